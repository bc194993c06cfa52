//! A demonstration PKI for development, tests and demos: a root CA, an intermediate school
//! CA, and signing certificates for the default signer chain (homeroom teacher → principal
//! → school seal), one ECDSA principal and one seal per school of the demo data set
//! ([`DEMO_SCHOOLS`]). **Never use these keys for real records**: the private keys,
//! including the CAs', are written next to the certificates.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use time::OffsetDateTime;
use unicode_normalization::UnicodeNormalization as _;

use crate::error::DemoError;
use crate::pem;
use xmldsig::SignatureAlgorithm;

/// Password of every `.p12` file of the demo PKI.
pub const DEMO_P12_PASSWORD: &str = "hocba-demo";

/// Name of the demo school (organisation of the school CA, the staff and the seal).
pub const DEMO_SCHOOL_NAME: &str = "Trường THPT Nguyễn Trãi (demo)";

/// The schools of the demo data set (`demo::generate`), in seeding order: each gets its own
/// seal certificate, [`DemoPki::school_seals`], whose subject O and CN are the school name.
pub const DEMO_SCHOOLS: [DemoSchool; 4] = [
    DemoSchool {
        code: "79000101",
        name: "Trường Tiểu học Nguyễn Bỉnh Khiêm",
        file_stem: "seal-79000101",
        description: "seal (dấu đơn vị) of school 79000101, Trường Tiểu học Nguyễn Bỉnh Khiêm, RSA-2048",
    },
    DemoSchool {
        code: "79000202",
        name: "Trường THCS Lê Quý Đôn",
        file_stem: "seal-79000202",
        description: "seal (dấu đơn vị) of school 79000202, Trường THCS Lê Quý Đôn, RSA-2048",
    },
    DemoSchool {
        code: "79000303",
        name: "Trường THPT Chu Văn An",
        file_stem: "seal-79000303",
        description: "seal (dấu đơn vị) of school 79000303, Trường THPT Chu Văn An, RSA-2048",
    },
    DemoSchool {
        code: "79000404",
        name: "Trung tâm GDNN-GDTX phường Chợ Quán",
        file_stem: "seal-79000404",
        description: "seal (dấu đơn vị) of school 79000404, Trung tâm GDNN-GDTX phường Chợ Quán, RSA-2048",
    },
];

/// One school of the demo data set, as [`DEMO_SCHOOLS`] lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSchool {
    /// `MaTruong`.
    pub code: &'static str,
    /// Tên trường, the seal's subject O and CN.
    pub name: &'static str,
    /// File name stem of its seal: `seal-<code>`.
    pub file_stem: &'static str,
    /// One-line description of its seal for the README.
    pub description: &'static str,
}

/// Common name of the demo root CA.
pub const DEMO_ROOT_CN: &str = "Hocba Demo Root CA";

const DAY: i64 = 86_400;
const YEAR: i64 = 365 * DAY;

/// A CA of the demo PKI: its certificate and its PKCS#8 private key.
#[derive(Debug, Clone)]
pub struct DemoCa {
    /// DER certificate.
    pub cert_der: Vec<u8>,
    /// DER PKCS#8 private key (RSA-2048).
    pub key_pkcs8_der: Vec<u8>,
}

/// One signing identity of the demo PKI.
#[derive(Debug, Clone)]
pub struct DemoIdentity {
    /// File name stem in the written directory (`gvcn`, `ht`, `seal`, `ecdsa`).
    pub file_stem: &'static str,
    /// Signer role code as used in the signature chain (`GVCN`, `HT`, `DAU`).
    pub role: &'static str,
    /// One-line English description for the README.
    pub description: &'static str,
    /// Signature algorithm of the key.
    pub algorithm: SignatureAlgorithm,
    /// DER end-entity certificate.
    pub cert_der: Vec<u8>,
    /// DER PKCS#8 private key.
    pub key_pkcs8_der: Vec<u8>,
    /// The chain to put in `KeyInfo`: this certificate, then the school CA.
    pub chain: Vec<Vec<u8>>,
}

/// The whole demo PKI, as returned by [`demo_pki`].
#[derive(Debug, Clone)]
pub struct DemoPki {
    /// "Hocba Demo Root CA", self-signed, 10 years, pathLen 1.
    pub root: DemoCa,
    /// "Hocba Demo School CA", issued by the root, 8 years, pathLen 0.
    pub school_ca: DemoCa,
    /// Homeroom teacher (giáo viên chủ nhiệm), RSA-2048.
    pub gvcn: DemoIdentity,
    /// Principal (hiệu trưởng), RSA-2048.
    pub ht: DemoIdentity,
    /// School seal (dấu đơn vị), subject O = the school name, RSA-2048.
    pub seal: DemoIdentity,
    /// A second principal with an ECDSA P-256 key.
    pub ecdsa: DemoIdentity,
    /// One seal per school of [`DEMO_SCHOOLS`], in that order: subject O and CN = the
    /// school's name, RSA-2048, issued like [`DemoPki::seal`].
    pub school_seals: Vec<(DemoSchool, DemoIdentity)>,
}

/// One file of the demo PKI directory.
#[derive(Debug, Clone)]
pub struct DemoFile {
    /// File name, no directory.
    pub name: String,
    /// Contents.
    pub contents: Vec<u8>,
    /// What the file is, for the README.
    pub description: String,
}

/// Generates a fresh demo PKI valid from one day before `now_unix`: the root for 10 years,
/// the school CA for 8, the end-entity certificates for 5. End entities have keyUsage
/// digitalSignature + nonRepudiation, extendedKeyUsage emailProtection, basicConstraints
/// cA=false; Vietnamese names are NFC. Keys are random, so two calls differ. The per-school
/// seals are generated last, so the other identities are made exactly as before them.
///
/// # Errors
/// [`DemoError::Time`] if `now_unix` cannot be represented; [`DemoError::Generate`] if key
/// generation or signing fails.
pub fn demo_pki(now_unix: i64) -> Result<DemoPki, DemoError> {
    let school = nfc(DEMO_SCHOOL_NAME);
    let start = now_unix - DAY;

    let root_key = rsa_key()?;
    let mut root_params = ca_params(DEMO_ROOT_CN, "Hocba Demo", start, start + 10 * YEAR, 1)?;
    root_params.use_authority_key_identifier_extension = false;
    let root_cert = root_params.self_signed(&root_key).map_err(gen_err)?;
    let root_issuer = Issuer::from_params(&root_params, &root_key);

    let ca_key = rsa_key()?;
    let ca_params = ca_params("Hocba Demo School CA", &school, start, start + 8 * YEAR, 0)?;
    let ca_cert = ca_params
        .signed_by(&ca_key, &root_issuer)
        .map_err(gen_err)?;
    let ca_issuer = Issuer::from_params(&ca_params, &ca_key);
    let ca_der = ca_cert.der().to_vec();

    let end = start + 5 * YEAR;
    let leaf = |file_stem: &'static str,
                role: &'static str,
                description: &'static str,
                org: &str,
                cn: &str,
                ou: Option<&str>,
                key: KeyPair|
     -> Result<DemoIdentity, DemoError> {
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "VN");
        dn.push(DnType::StateOrProvinceName, nfc("Hà Nội"));
        dn.push(DnType::OrganizationName, nfc(org));
        if let Some(ou) = ou {
            dn.push(DnType::OrganizationalUnitName, nfc(ou));
        }
        dn.push(DnType::CommonName, nfc(cn));
        let mut params = CertificateParams::default();
        params.distinguished_name = dn;
        params.not_before = datetime(start)?;
        params.not_after = datetime(end)?;
        params.serial_number = Some(random_serial()?);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::EmailProtection];
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &ca_issuer).map_err(gen_err)?;
        let algorithm = if key.algorithm() == &rcgen::PKCS_ECDSA_P256_SHA256 {
            SignatureAlgorithm::EcdsaP256Sha256
        } else {
            SignatureAlgorithm::RsaSha256
        };
        let cert_der = cert.der().to_vec();
        Ok(DemoIdentity {
            file_stem,
            role,
            description,
            algorithm,
            chain: vec![cert_der.clone(), ca_der.clone()],
            cert_der,
            key_pkcs8_der: key.serialize_der(),
        })
    };

    let gvcn = leaf(
        "gvcn",
        "GVCN",
        "homeroom teacher (giáo viên chủ nhiệm) Nguyễn Thị Lan, RSA-2048",
        &school,
        "Nguyễn Thị Lan",
        Some("Giáo viên chủ nhiệm"),
        rsa_key()?,
    )?;
    let ht = leaf(
        "ht",
        "HT",
        "principal (hiệu trưởng) Trần Văn Minh, RSA-2048",
        &school,
        "Trần Văn Minh",
        Some("Hiệu trưởng"),
        rsa_key()?,
    )?;
    let seal = leaf(
        "seal",
        "DAU",
        "school seal (dấu đơn vị), subject O and CN = the school name, RSA-2048",
        &school,
        &school,
        None,
        rsa_key()?,
    )?;
    let ecdsa = leaf(
        "ecdsa",
        "HT",
        "second principal (hiệu trưởng) Lê Thị Hoa, ECDSA P-256",
        &school,
        "Lê Thị Hoa",
        Some("Hiệu trưởng"),
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(gen_err)?,
    )?;
    let school_seals = DEMO_SCHOOLS
        .iter()
        .map(|s| {
            let id = leaf(
                s.file_stem,
                "DAU",
                s.description,
                s.name,
                s.name,
                None,
                rsa_key()?,
            )?;
            Ok((*s, id))
        })
        .collect::<Result<Vec<_>, DemoError>>()?;

    Ok(DemoPki {
        root: DemoCa {
            cert_der: root_cert.der().to_vec(),
            key_pkcs8_der: root_key.serialize_der(),
        },
        school_ca: DemoCa {
            cert_der: ca_der,
            key_pkcs8_der: ca_key.serialize_der(),
        },
        gvcn,
        ht,
        seal,
        ecdsa,
        school_seals,
    })
}

impl DemoPki {
    /// The four signing identities: GVCN, HT, seal, ECDSA principal.
    pub fn identities(&self) -> [&DemoIdentity; 4] {
        [&self.gvcn, &self.ht, &self.seal, &self.ecdsa]
    }

    /// The own seal of the demo school `code`, if it is one of [`DEMO_SCHOOLS`].
    pub fn school_seal(&self, code: &str) -> Option<&DemoIdentity> {
        self.school_seals
            .iter()
            .find(|(s, _)| s.code == code)
            .map(|(_, id)| id)
    }

    /// The root certificate as PEM, usable as a trust bundle.
    pub fn root_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.root.cert_der)
    }

    /// Every file of the demo directory, `README.txt` last. Sans-IO: the caller writes.
    ///
    /// # Errors
    /// [`DemoError::Pkcs12`] if a `.p12` file cannot be encoded.
    pub fn files(&self) -> Result<Vec<DemoFile>, DemoError> {
        let mut files = Vec::new();
        let mut add = |name: String, contents: Vec<u8>, description: String| {
            files.push(DemoFile {
                name,
                contents,
                description,
            });
        };
        add(
            "root.pem".into(),
            self.root_pem().into_bytes(),
            format!(
                "{DEMO_ROOT_CN} certificate: the trust anchor (`hocba verify --trust root.pem`)"
            ),
        );
        add(
            "root.key.pem".into(),
            pem::encode("PRIVATE KEY", &self.root.key_pkcs8_der).into_bytes(),
            "root CA private key (PKCS#8) - demo only, to issue more test certificates".into(),
        );
        add(
            "school-ca.pem".into(),
            pem::encode("CERTIFICATE", &self.school_ca.cert_der).into_bytes(),
            "Hocba Demo School CA certificate (intermediate, issued by the root)".into(),
        );
        add(
            "school-ca.key.pem".into(),
            pem::encode("PRIVATE KEY", &self.school_ca.key_pkcs8_der).into_bytes(),
            "school CA private key (PKCS#8) - demo only".into(),
        );
        let school_seals = self.school_seals.iter().map(|(_, id)| id);
        for id in self.identities().into_iter().chain(school_seals) {
            let stem = id.file_stem;
            add(
                format!("{stem}.key.pem"),
                pem::encode("PRIVATE KEY", &id.key_pkcs8_der).into_bytes(),
                format!("private key (PKCS#8) of the {}", id.description),
            );
            add(
                format!("{stem}.cert.pem"),
                pem::encode("CERTIFICATE", &id.cert_der).into_bytes(),
                format!("certificate of the {} (role {})", id.description, id.role),
            );
            let chain: String = id
                .chain
                .iter()
                .map(|der| pem::encode("CERTIFICATE", der))
                .collect();
            add(
                format!("{stem}.chain.pem"),
                chain.into_bytes(),
                format!("{stem}.cert.pem followed by school-ca.pem (what goes into KeyInfo)"),
            );
            add(
                format!("{stem}.p12"),
                self.pkcs12(id)?,
                format!(
                    "PKCS#12 of key + certificate + school CA + root, password \"{DEMO_P12_PASSWORD}\""
                ),
            );
        }
        let mut readme = String::from(
            "Hocba demo PKI - FOR DEVELOPMENT AND TESTS ONLY\n\
             ===============================================\n\n\
             Generated by `hocba keys demo-pki`. Every private key, the CAs' included, is in\n\
             this directory without protection: never sign real records with these keys and\n\
             never add root.pem to a production trust store.\n\n\
             Chain: Hocba Demo Root CA -> Hocba Demo School CA -> end entities.\n\
             End entities: keyUsage digitalSignature + nonRepudiation, extendedKeyUsage\n\
             emailProtection, valid 5 years from the day before generation.\n\
             seal-<MaTruong>.*: the own seal of each demo school (subject O and CN = its\n\
             name), for `hocba serve --school-seal-p12 CODE=seal-CODE.p12`.\n",
        );
        readme.push_str(&format!(
            "PKCS#12 password of every .p12 file: {DEMO_P12_PASSWORD}\n\nFiles:\n"
        ));
        for f in &files {
            readme.push_str(&format!("  {:<20} {}\n", f.name, f.description));
        }
        files.push(DemoFile {
            name: "README.txt".into(),
            contents: readme.into_bytes(),
            description: "this file".into(),
        });
        Ok(files)
    }

    /// A PKCS#12 file (AES-256 / HMAC-SHA256) holding the identity's key, certificate,
    /// the school CA and the root, protected by [`DEMO_P12_PASSWORD`].
    ///
    /// # Errors
    /// [`DemoError::Pkcs12`] if encoding fails.
    pub fn pkcs12(&self, id: &DemoIdentity) -> Result<Vec<u8>, DemoError> {
        let p12_err = |e: p12_keystore::error::Error| DemoError::Pkcs12(e.to_string());
        let key = p12_keystore::PrivateKey::from_der(&id.key_pkcs8_der).map_err(p12_err)?;
        let certs = [&id.cert_der, &self.school_ca.cert_der, &self.root.cert_der]
            .into_iter()
            .map(|der| p12_keystore::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(p12_err)?;
        let local_key_id = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &id.cert_der)
            .as_ref()[..20]
            .to_vec();
        let chain = p12_keystore::PrivateKeyChain::new(local_key_id, key, certs);
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry(
            id.file_stem,
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
        );
        store.writer(DEMO_P12_PASSWORD).write().map_err(p12_err)
    }
}

fn ca_params(
    cn: &str,
    org: &str,
    not_before: i64,
    not_after: i64,
    path_len: u8,
) -> Result<CertificateParams, DemoError> {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "VN");
    dn.push(DnType::OrganizationName, nfc(org));
    dn.push(DnType::CommonName, nfc(cn));
    let mut params = CertificateParams::default();
    params.distinguished_name = dn;
    params.not_before = datetime(not_before)?;
    params.not_after = datetime(not_after)?;
    params.serial_number = Some(random_serial()?);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(path_len));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

fn rsa_key() -> Result<KeyPair, DemoError> {
    KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).map_err(gen_err)
}

/// A positive 16-byte serial number with its top byte non-zero (canonical DER length).
fn random_serial() -> Result<SerialNumber, DemoError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|e| DemoError::Generate(e.to_string()))?;
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(SerialNumber::from_slice(&bytes))
}

fn datetime(unix: i64) -> Result<OffsetDateTime, DemoError> {
    OffsetDateTime::from_unix_timestamp(unix).map_err(|_| DemoError::Time(unix))
}

fn nfc(s: &str) -> String {
    s.nfc().collect()
}

fn gen_err(e: rcgen::Error) -> DemoError {
    DemoError::Generate(e.to_string())
}

#[cfg(test)]
mod tests {
    use x509_parser::prelude::{FromDer as _, X509Certificate};

    use super::*;
    use crate::TrustStore;

    const NOW: i64 = 1_780_000_000;

    fn subject_attr(cert: &X509Certificate<'_>, org: bool) -> String {
        let values: Vec<&str> = if org {
            cert.subject()
                .iter_organization()
                .map(|a| a.as_str().unwrap())
                .collect()
        } else {
            cert.subject()
                .iter_common_name()
                .map(|a| a.as_str().unwrap())
                .collect()
        };
        assert_eq!(values.len(), 1, "one value only: {values:?}");
        values[0].to_owned()
    }

    #[test]
    fn each_demo_school_has_its_own_seal_chaining_to_the_root() {
        let demo = demo_pki(NOW).unwrap();
        let store = TrustStore::from_pem_bundle(demo.root_pem().as_bytes()).unwrap();
        let (_, shared) = X509Certificate::from_der(&demo.seal.cert_der).unwrap();
        assert_eq!(demo.school_seals.len(), DEMO_SCHOOLS.len());
        let mut fingerprints = std::collections::BTreeSet::new();
        for school in DEMO_SCHOOLS {
            let id = demo.school_seal(school.code).expect("a seal per school");
            assert_eq!(id.file_stem, format!("seal-{}", school.code));
            assert_eq!(id.role, "DAU");
            assert_eq!(id.algorithm, SignatureAlgorithm::RsaSha256);

            // Chains to the demo root through the school CA, valid five years.
            let path = store.validate(&id.chain, NOW).unwrap();
            assert_eq!(path.issuers.len(), 2, "{}", school.code);
            assert_eq!(id.chain[1], demo.school_ca.cert_der);
            fingerprints.insert(path.signer.sha256_fingerprint);

            // Names its school, in NFC, as O and CN.
            let (_, cert) = X509Certificate::from_der(&id.cert_der).unwrap();
            let name = nfc(school.name);
            assert_eq!(subject_attr(&cert, true), name);
            assert_eq!(subject_attr(&cert, false), name);
            assert!(unicode_normalization::is_nfc(&subject_attr(&cert, true)));
            assert_ne!(name, DEMO_SCHOOL_NAME);

            // The same key usage as the shared seal.
            let ku = cert.key_usage().unwrap().unwrap().value;
            assert!(ku.digital_signature() && ku.non_repudiation() && !ku.key_cert_sign());
            assert_eq!(ku, shared.key_usage().unwrap().unwrap().value);
            let eku = cert.extended_key_usage().unwrap().unwrap().value;
            assert!(eku.email_protection);
            assert!(!cert.is_ca());

            // Its PKCS#12 opens with the demo password and signs.
            let p12 = demo.pkcs12(id).unwrap();
            crate::Pkcs12Signer::from_pkcs12(&p12, DEMO_P12_PASSWORD).unwrap();
        }
        assert_eq!(fingerprints.len(), DEMO_SCHOOLS.len(), "distinct seals");
        assert!(demo.school_seal("79009999").is_none());

        // Written beside the others, listed in the README.
        let files = demo.files().unwrap();
        let readme = String::from_utf8(files.last().unwrap().contents.clone()).unwrap();
        for school in DEMO_SCHOOLS {
            for ext in ["p12", "cert.pem", "chain.pem", "key.pem"] {
                let name = format!("seal-{}.{ext}", school.code);
                assert!(files.iter().any(|f| f.name == name), "missing {name}");
                assert!(readme.contains(&name), "README lacks {name}");
            }
        }
    }
}
