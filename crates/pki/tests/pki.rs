//! Integration tests of the `pki` crate: path validation (one test per rejection reason),
//! CRLs, the demo PKI, PKCS#12 and PKCS#11 (SoftHSM2) signers.
//!
//! Fixtures are generated on the fly with rcgen; `Node` is a certificate with its key and
//! parameters so it can issue further certificates. All validation happens at `NOW`.

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey, VerificationAlgorithm,
};
use pki::{
    DEMO_P12_PASSWORD, KeyError, LoadError, Pkcs11Config, Pkcs11Signer, Pkcs12Signer,
    SignatureAlgorithm, Signer, TrustPolicy, TrustStore, ValidationError, demo_pki,
};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams, SerialNumber,
};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

/// 2026-05-28T20:26:40Z, the signing time of every test.
const NOW: i64 = 1_780_000_000;
const DAY: i64 = 86_400;
const YEAR: i64 = 365 * DAY;

// ---------------------------------------------------------------------------------------
// Fixture builders

fn ec() -> KeyPair {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()
}

fn rsa() -> KeyPair {
    KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap()
}

fn t(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap()
}

fn base(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(DnType::CountryName, "VN");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.not_before = t(NOW - YEAR);
    p.not_after = t(NOW + YEAR);
    p.use_authority_key_identifier_extension = true;
    p.key_identifier_method = KeyIdMethod::Sha256;
    p
}

/// CA parameters: basicConstraints cA, keyUsage keyCertSign + cRLSign.
fn ca(cn: &str) -> CertificateParams {
    let mut p = base(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p
}

/// Signer parameters: cA false, keyUsage digitalSignature + nonRepudiation, no EKU.
fn leaf(cn: &str) -> CertificateParams {
    let mut p = base(cn);
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    p
}

struct Node {
    params: CertificateParams,
    key: KeyPair,
    der: Vec<u8>,
}

impl Node {
    fn root(params: CertificateParams) -> Node {
        let key = ec();
        let der = params.self_signed(&key).unwrap().der().to_vec();
        Node { params, key, der }
    }

    fn issue(&self, params: CertificateParams, key: KeyPair) -> Node {
        let issuer = Issuer::from_params(&self.params, &self.key);
        let der = params.signed_by(&key, &issuer).unwrap().der().to_vec();
        Node { params, key, der }
    }

    fn crl(&self, revoked_serials: &[&[u8]]) -> Vec<u8> {
        let params = CertificateRevocationListParams {
            this_update: t(NOW - DAY),
            next_update: t(NOW + 30 * DAY),
            crl_number: SerialNumber::from(7u64),
            issuing_distribution_point: None,
            revoked_certs: revoked_serials
                .iter()
                .map(|s| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(s),
                    revocation_time: t(NOW - DAY),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let issuer = Issuer::from_params(&self.params, &self.key);
        params.signed_by(&issuer).unwrap().der().to_vec()
    }
}

/// Root → "School CA" → signer, all valid at NOW.
struct Pki {
    root: Node,
    ica: Node,
    leaf: Node,
}

impl Pki {
    fn new() -> Pki {
        Pki::with_leaf(leaf("Nguyễn Văn A"), ec())
    }

    /// An unrelated PKI whose names differ from [`Pki::new`]'s.
    fn other() -> Pki {
        Pki::build("Other Root CA", leaf("Nguyễn Văn A"), ec())
    }

    fn with_leaf(leaf_params: CertificateParams, key: KeyPair) -> Pki {
        Pki::build("Test Root CA", leaf_params, key)
    }

    fn build(root_cn: &str, leaf_params: CertificateParams, key: KeyPair) -> Pki {
        let root = Node::root(ca(root_cn));
        let ica = root.issue(ca("Test School CA"), ec());
        let leaf = ica.issue(leaf_params, key);
        Pki { root, ica, leaf }
    }

    fn store(&self) -> TrustStore {
        let mut s = TrustStore::new();
        s.add_der(&self.root.der).unwrap();
        s
    }

    fn chain(&self) -> Vec<Vec<u8>> {
        vec![self.leaf.der.clone(), self.ica.der.clone()]
    }

    fn validate(&self) -> Result<pki::ValidatedPath, ValidationError> {
        self.store().validate(&self.chain(), NOW)
    }
}

fn serial_of(der: &[u8]) -> Vec<u8> {
    let (_, c) = X509Certificate::from_der(der).unwrap();
    c.raw_serial().to_vec()
}

fn verify_with_cert(cert_der: &[u8], alg: SignatureAlgorithm, data: &[u8], sig: &[u8]) {
    let (_, c) = X509Certificate::from_der(cert_der).unwrap();
    let key = c.public_key().subject_public_key.data.to_vec();
    let v: &dyn VerificationAlgorithm = match alg {
        SignatureAlgorithm::RsaSha256 => &RSA_PKCS1_2048_8192_SHA256,
        SignatureAlgorithm::EcdsaP256Sha256 => &ECDSA_P256_SHA256_FIXED,
    };
    UnparsedPublicKey::new(v, key)
        .verify(data, sig)
        .expect("signature verifies with the certificate's public key");
}

// ---------------------------------------------------------------------------------------
// Path validation: accepted

#[test]
fn valid_ecdsa_chain_is_accepted() {
    let pki = Pki::new();
    let path = pki.validate().unwrap();
    assert!(
        path.signer.subject.contains("CN=Nguyễn Văn A"),
        "{}",
        path.signer.subject
    );
    assert_eq!(path.issuers.len(), 2);
    assert!(path.issuers[0].subject.contains("Test School CA"));
    assert!(path.issuers[1].subject.contains("Test Root CA"));
    assert_eq!(path.signer.sha256_fingerprint.len(), 64);
}

#[test]
fn valid_rsa_chain_is_accepted() {
    let root = Node::root(ca("RSA Root"));
    let ica = root.issue(ca("RSA School CA"), rsa());
    let signer = ica.issue(leaf("RSA signer"), rsa());
    let mut store = TrustStore::new();
    store.add_der(&root.der).unwrap();
    let path = store.validate(&[signer.der, ica.der], NOW).unwrap();
    assert!(path.signer.subject.contains("RSA signer"));
}

#[test]
fn intermediates_in_any_order_extra_certificates_and_the_root_are_fine() {
    let pki = Pki::new();
    let stranger = Node::root(ca("Stranger CA"));
    let chain = vec![
        pki.leaf.der.clone(),
        stranger.der.clone(),
        pki.root.der.clone(),
        pki.ica.der.clone(),
    ];
    let path = pki.store().validate(&chain, NOW).unwrap();
    assert_eq!(path.issuers.len(), 2);
}

#[test]
fn several_roots_each_anchor_their_own_chains() {
    let government = Pki::new();
    let licensed = Pki::other();
    let pem = format!(
        "# bundle\n{}{}",
        pki::pem::encode("CERTIFICATE", &government.root.der),
        pki::pem::encode("CERTIFICATE", &licensed.root.der)
    );
    let store = TrustStore::from_pem_bundle(pem.as_bytes()).unwrap();
    assert_eq!(store.roots().count(), 2);
    store.validate(&government.chain(), NOW).unwrap();
    store.validate(&licensed.chain(), NOW).unwrap();
}

#[test]
fn eku_absent_or_document_signing_is_accepted() {
    let mut p = leaf("Email EKU");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::EmailProtection];
    Pki::with_leaf(p, ec()).validate().unwrap();
    let mut p = leaf("Any EKU");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::Any];
    Pki::with_leaf(p, ec()).validate().unwrap();
    let mut p = leaf("DocumentSigning EKU");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::Other(vec![
        1, 3, 6, 1, 5, 5, 7, 3, 36,
    ])];
    Pki::with_leaf(p, ec()).validate().unwrap();
}

#[test]
fn trust_policy_impl_returns_the_signer_summary() {
    let pki = Pki::new();
    let store = pki.store();
    let summary = TrustPolicy::validate(&store, &pki.chain(), NOW).unwrap();
    assert!(summary.subject.contains("Nguyễn Văn A"));
    assert!(summary.issuer.contains("Test School CA"));
    assert_eq!(summary.serial_hex, hex::encode(serial_of(&pki.leaf.der)));
    assert!(summary.not_before <= NOW && NOW <= summary.not_after);

    let err = TrustPolicy::validate(&store, &pki.chain(), NOW + 2 * YEAR).unwrap_err();
    assert!(
        matches!(err, xmldsig::TrustError::NotValidAt { .. }),
        "{err:?}"
    );
    let untrusted = Pki::other();
    let err = TrustPolicy::validate(&store, &untrusted.chain(), NOW).unwrap_err();
    assert!(err.to_string().contains("[cert-untrusted-issuer]"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Path validation: rejected, one reason each

#[test]
fn expired_at_signing_time_but_valid_when_signed_earlier() {
    let mut p = leaf("Expired signer");
    p.not_before = t(NOW - 3 * YEAR);
    p.not_after = t(NOW - 30 * DAY);
    let pki = Pki::with_leaf(p, ec());
    match pki.validate() {
        Err(ValidationError::Expired { subject, at, .. }) => {
            assert!(subject.contains("Expired signer"), "{subject}");
            assert_eq!(at, NOW);
        }
        other => panic!("expected Expired, got {other:?}"),
    }
    // The same chain at a signing time within the validity is fine: validity is judged
    // at the signing time, not at verification time.
    pki.store().validate(&pki.chain(), NOW - 60 * DAY).unwrap();
}

#[test]
fn not_yet_valid_at_signing_time() {
    let mut p = leaf("Future signer");
    p.not_before = t(NOW + DAY);
    let pki = Pki::with_leaf(p, ec());
    let err = pki.validate().unwrap_err();
    assert!(
        matches!(&err, ValidationError::NotYetValid { subject, .. } if subject.contains("Future signer")),
        "{err:?}"
    );
    assert_eq!(err.code(), "cert-not-yet-valid");
}

#[test]
fn expired_intermediate_is_rejected() {
    let root = Node::root(ca("Root"));
    let mut p = ca("Old School CA");
    p.not_after = t(NOW - DAY);
    let ica = root.issue(p, ec());
    let signer = ica.issue(leaf("Signer"), ec());
    let mut store = TrustStore::new();
    store.add_der(&root.der).unwrap();
    let err = store.validate(&[signer.der, ica.der], NOW).unwrap_err();
    assert!(
        matches!(&err, ValidationError::Expired { subject, .. } if subject.contains("Old School CA")),
        "{err:?}"
    );
}

#[test]
fn expired_root_is_rejected() {
    let mut p = ca("Expired Root");
    p.not_after = t(NOW - DAY);
    let root = Node::root(p);
    let ica = root.issue(ca("School CA"), ec());
    let signer = ica.issue(leaf("Signer"), ec());
    let mut store = TrustStore::new();
    store.add_der(&root.der).unwrap();
    let err = store.validate(&[signer.der, ica.der], NOW).unwrap_err();
    assert!(
        matches!(&err, ValidationError::Expired { subject, .. } if subject.contains("Expired Root")),
        "{err:?}"
    );
}

#[test]
fn unknown_root_is_untrusted() {
    let trusted = Pki::new();
    let other = Pki::other();
    let err = trusted.store().validate(&other.chain(), NOW).unwrap_err();
    assert_eq!(err, ValidationError::UntrustedIssuer);
    assert_eq!(err.code(), "cert-untrusted-issuer");
}

#[test]
fn chain_without_its_intermediate_is_untrusted() {
    let pki = Pki::new();
    let err = pki
        .store()
        .validate(std::slice::from_ref(&pki.leaf.der), NOW)
        .unwrap_err();
    assert_eq!(err, ValidationError::UntrustedIssuer);
}

#[test]
fn self_signed_leaf_is_never_trusted_by_itself() {
    let pki = Pki::new();
    let key = ec();
    let selfie = leaf("Self-signed signer").self_signed(&key).unwrap();
    let err = pki
        .store()
        .validate(&[selfie.der().to_vec()], NOW)
        .unwrap_err();
    assert_eq!(err, ValidationError::UntrustedIssuer);

    // Nor with a self-signed "root" carried along in KeyInfo.
    let fake_root = Node::root(ca("Test Root CA"));
    let fake_leaf = fake_root.issue(leaf("Mallory"), ec());
    let err = pki
        .store()
        .validate(&[fake_leaf.der, fake_root.der], NOW)
        .unwrap_err();
    assert!(
        matches!(
            err,
            ValidationError::BadSignature | ValidationError::UntrustedIssuer
        ),
        "{err:?}"
    );
}

#[test]
fn intermediate_without_ca_bit_is_rejected() {
    let root = Node::root(ca("Root"));
    let mut p = ca("Not a CA");
    p.is_ca = IsCa::ExplicitNoCa;
    let ica = root.issue(p, ec());
    let signer = ica.issue(leaf("Signer"), ec());
    let mut store = TrustStore::new();
    store.add_der(&root.der).unwrap();
    let err = store
        .validate(&[signer.der, ica.der.clone()], NOW)
        .unwrap_err();
    assert_eq!(err, ValidationError::NotACa);

    // Without basicConstraints at all, too.
    let mut p = ca("No basic constraints");
    p.is_ca = IsCa::NoCa;
    let ica = root.issue(p, ec());
    let signer = ica.issue(leaf("Signer"), ec());
    let err = store.validate(&[signer.der, ica.der], NOW).unwrap_err();
    assert_eq!(err, ValidationError::NotACa);
}

#[test]
fn end_entity_used_as_ca_is_rejected() {
    let pki = Pki::new();
    let child = pki.leaf.issue(leaf("Issued by a teacher"), ec());
    let err = pki
        .store()
        .validate(&[child.der, pki.leaf.der.clone(), pki.ica.der.clone()], NOW)
        .unwrap_err();
    assert_eq!(err, ValidationError::NotACa);
    assert_eq!(err.code(), "cert-issuer-not-ca");
}

#[test]
fn ca_certificate_as_signer_is_rejected() {
    let pki = Pki::new();
    let err = pki
        .store()
        .validate(std::slice::from_ref(&pki.ica.der), NOW)
        .unwrap_err();
    assert_eq!(err, ValidationError::CaAsEndEntity);
}

#[test]
fn signer_key_usage_must_allow_signing() {
    let mut p = leaf("Encryption only");
    p.key_usages = vec![KeyUsagePurpose::KeyEncipherment];
    let err = Pki::with_leaf(p, rsa()).validate().unwrap_err();
    assert!(
        matches!(&err, ValidationError::KeyUsage { subject, .. } if subject.contains("Encryption only")),
        "{err:?}"
    );

    let mut p = leaf("No key usage");
    p.key_usages = vec![];
    let err = Pki::with_leaf(p, ec()).validate().unwrap_err();
    assert!(matches!(err, ValidationError::KeyUsage { .. }), "{err:?}");

    let mut p = leaf("Non-repudiation only");
    p.key_usages = vec![KeyUsagePurpose::ContentCommitment];
    Pki::with_leaf(p, ec()).validate().unwrap();
}

#[test]
fn intermediate_without_key_cert_sign_is_rejected() {
    let root = Node::root(ca("Root"));
    let mut p = ca("CA without keyCertSign");
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::CrlSign];
    let ica = root.issue(p, ec());
    let signer = ica.issue(leaf("Signer"), ec());
    let mut store = TrustStore::new();
    store.add_der(&root.der).unwrap();
    let err = store.validate(&[signer.der, ica.der], NOW).unwrap_err();
    assert!(
        matches!(&err, ValidationError::KeyUsage { subject, needed } if subject.contains("without keyCertSign") && *needed == "keyCertSign"),
        "{err:?}"
    );
}

#[test]
fn tls_only_extended_key_usage_is_rejected() {
    let mut p = leaf("Web server");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let err = Pki::with_leaf(p, ec()).validate().unwrap_err();
    assert_eq!(err, ValidationError::ExtendedKeyUsage);
    assert_eq!(err.code(), "cert-extended-key-usage");
}

#[test]
fn path_length_constraint_and_chain_bound() {
    // Root allows no intermediate CA below it.
    let mut p = ca("Root pathLen 0");
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let root = Node::root(p);
    let ica = root.issue(ca("School CA"), ec());
    let signer = ica.issue(leaf("Signer"), ec());
    let mut store = TrustStore::new();
    store.add_der(&root.der).unwrap();
    let err = store.validate(&[signer.der, ica.der], NOW).unwrap_err();
    assert!(
        matches!(err, ValidationError::PathTooLong { .. }),
        "{err:?}"
    );

    // Too many certificates in KeyInfo.
    let pki = Pki::new();
    let mut store = pki.store();
    store.set_max_intermediates(1);
    let mut chain = pki.chain();
    chain.push(pki.ica.der.clone());
    let err = store.validate(&chain, NOW).unwrap_err();
    assert_eq!(
        err,
        ValidationError::PathTooLong {
            max_intermediates: 1
        }
    );
}

#[test]
fn bad_signature_in_chain_is_rejected() {
    // RSA issuer so that flipping the last byte keeps the DER valid.
    let root = Node::root(ca("Root"));
    let ica = root.issue(ca("RSA School CA"), rsa());
    let signer = ica.issue(leaf("Signer"), ec());
    let mut store = TrustStore::new();
    store.add_der(&root.der).unwrap();
    let mut tampered = signer.der.clone();
    *tampered.last_mut().unwrap() ^= 0x01;
    let err = store
        .validate(&[tampered, ica.der.clone()], NOW)
        .unwrap_err();
    assert_eq!(err, ValidationError::BadSignature);
    assert_eq!(err.code(), "cert-bad-signature");

    // A certificate naming the school CA as issuer but signed by another key.
    let impostor = Node::root(ca("RSA School CA"));
    let forged = impostor.issue(leaf("Forged"), ec());
    let err = store.validate(&[forged.der, ica.der], NOW).unwrap_err();
    assert_eq!(err, ValidationError::BadSignature);
}

#[test]
fn malformed_chains_are_rejected() {
    let pki = Pki::new();
    let store = pki.store();
    assert!(matches!(
        store.validate(&[], NOW),
        Err(ValidationError::Malformed { .. })
    ));
    assert!(matches!(
        store.validate(&[b"not a certificate".to_vec()], NOW),
        Err(ValidationError::Malformed { .. })
    ));
    let mut trailing = pki.leaf.der.clone();
    trailing.push(0);
    assert!(matches!(
        store.validate(&[trailing, pki.ica.der.clone()], NOW),
        Err(ValidationError::Malformed { .. })
    ));
    assert!(matches!(
        store.validate(&pki.chain(), -1),
        Err(ValidationError::Malformed { .. })
    ));
}

#[test]
fn trust_store_loading_errors() {
    let pki = Pki::new();
    let leaf_pem = pki::pem::encode("CERTIFICATE", &pki.leaf.der);
    assert!(matches!(
        TrustStore::from_pem_bundle(leaf_pem.as_bytes()),
        Err(LoadError::NotACa { .. })
    ));
    assert!(matches!(
        TrustStore::from_pem_bundle(b"no pem here"),
        Err(LoadError::Empty { .. })
    ));
    assert!(matches!(
        TrustStore::from_pem_bundle(
            b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"
        ),
        Err(LoadError::Pem(_))
    ));
    let mut store = TrustStore::new();
    assert!(matches!(
        store.add_crls(b"garbage"),
        Err(LoadError::Crl { .. })
    ));
}

// ---------------------------------------------------------------------------------------
// Revocation

#[test]
fn revoked_signer_is_rejected_via_crl() {
    let pki = Pki::new();
    let serial = serial_of(&pki.leaf.der);
    let crl = pki.ica.crl(&[&serial]);
    let mut store = pki.store();
    assert_eq!(store.add_crls(&crl).unwrap(), 1);
    let err = store.validate(&pki.chain(), NOW).unwrap_err();
    assert_eq!(
        err,
        ValidationError::Revoked {
            subject: X509Certificate::from_der(&pki.leaf.der)
                .unwrap()
                .1
                .subject()
                .to_string(),
            serial_hex: hex::encode(&serial),
        }
    );
    assert_eq!(err.code(), "cert-revoked");
}

#[test]
fn revoked_intermediate_is_rejected_via_pem_crl() {
    let pki = Pki::new();
    let crl = pki.root.crl(&[&serial_of(&pki.ica.der)]);
    let mut store = pki.store();
    store
        .add_crls(pki::pem::encode("X509 CRL", &crl).as_bytes())
        .unwrap();
    let err = store.validate(&pki.chain(), NOW).unwrap_err();
    assert!(matches!(err, ValidationError::Revoked { .. }), "{err:?}");
}

#[test]
fn crl_not_listing_the_signer_accepts() {
    let pki = Pki::new();
    let mut store = pki.store();
    store.add_crls(&pki.ica.crl(&[&[0x01, 0x02]])).unwrap();
    store.add_crls(&pki.root.crl(&[])).unwrap();
    assert_eq!(store.crl_count(), 2);
    store.validate(&pki.chain(), NOW).unwrap();
}

#[test]
fn crl_with_a_bad_signature_fails_closed() {
    let pki = Pki::new();
    // Same issuer name as the school CA, different key.
    let impostor = Node::root(ca("Test School CA"));
    let crl = impostor.crl(&[]);
    let mut store = pki.store();
    store.add_crls(&crl).unwrap();
    let err = store.validate(&pki.chain(), NOW).unwrap_err();
    assert!(matches!(err, ValidationError::CrlInvalid { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// Demo PKI

#[test]
fn demo_pki_identities_validate_and_files_are_complete() {
    let demo = demo_pki(NOW).unwrap();
    let store = TrustStore::from_pem_bundle(demo.root_pem().as_bytes()).unwrap();
    for id in demo.identities() {
        let path = store.validate(&id.chain, NOW).unwrap();
        assert_eq!(path.issuers.len(), 2, "{}", id.file_stem);
        // Valid for five years, not six.
        store.validate(&id.chain, NOW + 4 * YEAR).unwrap();
        assert!(matches!(
            store.validate(&id.chain, NOW + 6 * YEAR),
            Err(ValidationError::Expired { .. })
        ));
    }
    assert_eq!(demo.ecdsa.algorithm, SignatureAlgorithm::EcdsaP256Sha256);
    for id in [&demo.gvcn, &demo.ht, &demo.seal] {
        assert_eq!(id.algorithm, SignatureAlgorithm::RsaSha256);
        let (_, c) = X509Certificate::from_der(&id.cert_der).unwrap();
        assert_eq!(c.public_key().parsed().unwrap().key_size(), 2048);
    }

    // The seal's subject O is the school name, in NFC.
    let (_, seal) = X509Certificate::from_der(&demo.seal.cert_der).unwrap();
    let org = seal
        .subject()
        .iter_organization()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(org, pki::DEMO_SCHOOL_NAME);
    assert!(unicode_normalization::is_nfc(&org));

    let files = demo.files().unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    for expected in [
        "root.pem",
        "school-ca.pem",
        "gvcn.key.pem",
        "gvcn.cert.pem",
        "gvcn.chain.pem",
        "gvcn.p12",
        "ht.chain.pem",
        "seal.p12",
        "ecdsa.key.pem",
        "README.txt",
    ] {
        assert!(names.contains(&expected), "missing {expected} in {names:?}");
    }
    let readme = &files
        .iter()
        .find(|f| f.name == "README.txt")
        .unwrap()
        .contents;
    let readme = String::from_utf8(readme.clone()).unwrap();
    assert!(readme.contains(DEMO_P12_PASSWORD));
    assert!(readme.contains("gvcn.chain.pem"));
}

#[test]
fn demo_keys_sign_with_xmldsig_software_signer() {
    let demo = demo_pki(NOW).unwrap();
    for id in demo.identities() {
        let key_pem = pki::pem::encode("PRIVATE KEY", &id.key_pkcs8_der);
        let signer = xmldsig::SoftwareSigner::from_parts(key_pem.as_bytes(), id.chain.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", id.file_stem));
        assert_eq!(signer.algorithm(), id.algorithm);
        let sig = signer.sign(b"SignedInfo").unwrap();
        verify_with_cert(&id.cert_der, id.algorithm, b"SignedInfo", &sig);
    }
}

// ---------------------------------------------------------------------------------------
// PKCS#12

#[test]
fn pkcs12_signers_load_and_sign() {
    let demo = demo_pki(NOW).unwrap();
    let store = TrustStore::from_pem_bundle(demo.root_pem().as_bytes()).unwrap();
    for id in [&demo.ht, &demo.ecdsa] {
        let p12 = demo.pkcs12(id).unwrap();
        let signer = Pkcs12Signer::from_pkcs12(&p12, DEMO_P12_PASSWORD).unwrap();
        assert_eq!(signer.algorithm(), id.algorithm);
        // Leaf then school CA; the self-signed root is left out.
        assert_eq!(signer.certificate_chain(), id.chain.as_slice());
        store.validate(signer.certificate_chain(), NOW).unwrap();
        let sig = signer.sign(b"canonical SignedInfo").unwrap();
        if id.algorithm == SignatureAlgorithm::EcdsaP256Sha256 {
            assert_eq!(sig.len(), 64);
        } else {
            assert_eq!(sig.len(), 256);
        }
        verify_with_cert(&id.cert_der, id.algorithm, b"canonical SignedInfo", &sig);
    }
}

#[test]
fn pkcs12_wrong_password_is_a_clear_error() {
    let demo = demo_pki(NOW).unwrap();
    let p12 = demo.pkcs12(&demo.gvcn).unwrap();
    let err = Pkcs12Signer::from_pkcs12(&p12, "wrong").unwrap_err();
    assert!(matches!(err, KeyError::WrongPassword), "{err:?}");
    assert!(err.to_string().contains("wrong PKCS#12 password"));
    let err = Pkcs12Signer::from_pkcs12(b"not a pfx", DEMO_P12_PASSWORD).unwrap_err();
    assert!(matches!(err, KeyError::Pkcs12(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// PKCS#11 with SoftHSM2
//
// SoftHSM2 reads its configuration from the SOFTHSM2_CONF environment variable, which a
// test cannot set safely in a multi-threaded process (and unsafe code is forbidden), so
// the test re-runs this binary as a child process with its own SOFTHSM2_CONF and token
// directory. The test FAILS when SoftHSM2 is not installed.

const CHILD_ENV: &str = "HOCBA_PKI_SOFTHSM_CHILD";
const SO_PIN: &str = "12345678";
const USER_PIN: &str = "87654321";
const TOKEN_LABEL: &str = "hocba-test";

fn softhsm_module() -> std::path::PathBuf {
    if let Ok(path) = std::env::var("HOCBA_SOFTHSM2_MODULE") {
        return path.into();
    }
    [
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/local/lib/softhsm/libsofthsm2.so",
    ]
    .into_iter()
    .map(std::path::PathBuf::from)
    .find(|p| p.exists())
    .expect(
        "SoftHSM2 is required for the PKCS#11 tests: `apt-get install softhsm2` \
         (or set HOCBA_SOFTHSM2_MODULE to libsofthsm2.so)",
    )
}

#[test]
fn pkcs11_softhsm_rsa_and_ecdsa_sign() {
    let module = softhsm_module();
    if std::env::var_os(CHILD_ENV).is_some() {
        softhsm_child(&module);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir(&tokens).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "pkcs11_softhsm_rsa_and_ecdsa_sign",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "SoftHSM2 child failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "child ran no test\nstdout:\n{stdout}"
    );
}

/// Runs inside the child: token set-up with cryptoki, keys generated on the token,
/// certificates issued for their public keys, then `Pkcs11Signer` signs.
fn softhsm_child(module: &std::path::Path) {
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    use cryptoki::mechanism::Mechanism;
    use cryptoki::object::{Attribute, AttributeType, CertificateType, ObjectClass};
    use cryptoki::session::UserType;
    use cryptoki::types::AuthPin;

    let pki = Pki::new();
    let mut spkis = Vec::new();
    let mut certs = Vec::new();
    {
        let ctx = Pkcs11::new(module).unwrap();
        ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .unwrap();
        let slot = ctx.get_slots_with_token().unwrap()[0];
        ctx.init_token(slot, &AuthPin::new(SO_PIN.into()), TOKEN_LABEL)
            .unwrap();
        // SoftHSM2 moves an initialised token to a new slot: look it up by label.
        let slot = ctx
            .get_slots_with_token()
            .unwrap()
            .into_iter()
            .find(|s| ctx.get_token_info(*s).unwrap().label().trim_end() == TOKEN_LABEL)
            .unwrap();
        let session = ctx.open_rw_session(slot).unwrap();
        session
            .login(UserType::So, Some(&AuthPin::new(SO_PIN.into())))
            .unwrap();
        session.init_pin(&AuthPin::new(USER_PIN.into())).unwrap();
        session.logout().unwrap();
        session
            .login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
            .unwrap();

        let private = |label: &str, id: u8| {
            vec![
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Sensitive(true),
                Attribute::Sign(true),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Id(vec![id]),
            ]
        };
        let (rsa_pub, _) = session
            .generate_key_pair(
                &Mechanism::RsaPkcsKeyPairGen,
                &[
                    Attribute::Token(true),
                    Attribute::Verify(true),
                    Attribute::ModulusBits(2048.into()),
                    Attribute::PublicExponent(vec![1, 0, 1]),
                    Attribute::Label(b"teacher-rsa".to_vec()),
                    Attribute::Id(vec![1]),
                ],
                &private("teacher-rsa", 1),
            )
            .unwrap();
        let attrs = session
            .get_attributes(
                rsa_pub,
                &[AttributeType::Modulus, AttributeType::PublicExponent],
            )
            .unwrap();
        let (mut n, mut e) = (Vec::new(), Vec::new());
        for a in attrs {
            match a {
                Attribute::Modulus(v) => n = v,
                Attribute::PublicExponent(v) => e = v,
                _ => {}
            }
        }
        spkis.push(TokenKey {
            bits: tlv(0x30, &[der_uint(&n), der_uint(&e)].concat()),
            alg: &rcgen::PKCS_RSA_SHA256,
        });

        let p256 = vec![0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        let (ec_pub, _) = session
            .generate_key_pair(
                &Mechanism::EccKeyPairGen,
                &[
                    Attribute::Token(true),
                    Attribute::Verify(true),
                    Attribute::EcParams(p256),
                    Attribute::Label(b"principal-ec".to_vec()),
                    Attribute::Id(vec![2]),
                ],
                &private("principal-ec", 2),
            )
            .unwrap();
        let attrs = session
            .get_attributes(ec_pub, &[AttributeType::EcPoint])
            .unwrap();
        let point = attrs
            .into_iter()
            .find_map(|a| match a {
                Attribute::EcPoint(v) => Some(v),
                _ => None,
            })
            .unwrap();
        // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point.
        assert_eq!(point[0], 0x04);
        spkis.push(TokenKey {
            bits: point[2..].to_vec(),
            alg: &rcgen::PKCS_ECDSA_P256_SHA256,
        });

        let issuer = Issuer::from_params(&pki.ica.params, &pki.ica.key);
        for (label, key) in [("teacher-rsa", &spkis[0]), ("principal-ec", &spkis[1])] {
            certs.push(leaf(label).signed_by(key, &issuer).unwrap().der().to_vec());
        }
        // The RSA certificate also goes on the token under the key's CKA_ID, as CAs
        // deliver tokens, to test reading the chain from the token.
        let (_, parsed) = X509Certificate::from_der(&certs[0]).unwrap();
        session
            .create_object(&[
                Attribute::Class(ObjectClass::CERTIFICATE),
                Attribute::CertificateType(CertificateType::X_509),
                Attribute::Token(true),
                Attribute::Id(vec![1]),
                Attribute::Label(b"teacher-rsa".to_vec()),
                Attribute::Subject(parsed.subject().as_raw().to_vec()),
                Attribute::Value(certs[0].clone()),
            ])
            .unwrap();
    }

    let store = pki.store();
    for (label, cert, alg) in [
        ("teacher-rsa", &certs[0], SignatureAlgorithm::RsaSha256),
        (
            "principal-ec",
            &certs[1],
            SignatureAlgorithm::EcdsaP256Sha256,
        ),
    ] {
        let config = Pkcs11Config {
            module: module.to_path_buf(),
            token_label: Some(TOKEN_LABEL.into()),
            pin: USER_PIN.into(),
            key_label: label.into(),
        };
        let signer = Pkcs11Signer::open(&config, vec![cert.clone(), pki.ica.der.clone()])
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(signer.algorithm(), alg);
        store.validate(signer.certificate_chain(), NOW).unwrap();
        let sig = signer.sign(b"canonical SignedInfo octets").unwrap();
        verify_with_cert(cert, alg, b"canonical SignedInfo octets", &sig);

        // A certificate of another key is refused for the RSA key (its modulus is readable).
        if alg == SignatureAlgorithm::RsaSha256 {
            let other = pki.ica.issue(leaf("other"), rsa());
            let err = Pkcs11Signer::open(&config, vec![other.der]).unwrap_err();
            assert!(matches!(err, KeyError::KeyCertMismatch), "{err:?}");
        }
    }

    // With no chain given, the certificate with the key's CKA_ID is read from the token.
    let from_token = Pkcs11Signer::open(
        &Pkcs11Config {
            module: module.to_path_buf(),
            token_label: None,
            pin: USER_PIN.into(),
            key_label: "teacher-rsa".into(),
        },
        vec![],
    )
    .unwrap();
    assert_eq!(from_token.certificate_chain(), &certs[..1]);
    // PKCS#11 login state is per application: close every session so the PIN is checked.
    drop(from_token);

    let bad_pin = Pkcs11Config {
        module: module.to_path_buf(),
        token_label: Some(TOKEN_LABEL.into()),
        pin: "0000".into(),
        key_label: "teacher-rsa".into(),
    };
    let err = Pkcs11Signer::open(&bad_pin, vec![pki.leaf.der.clone()]).unwrap_err();
    assert!(
        matches!(&err, KeyError::Pkcs11(m) if m.contains("login")),
        "{err:?}"
    );
    let missing = Pkcs11Config {
        key_label: "nobody".into(),
        pin: USER_PIN.into(),
        ..bad_pin
    };
    let err = Pkcs11Signer::open(&missing, vec![pki.leaf.der.clone()]).unwrap_err();
    assert!(
        matches!(&err, KeyError::Pkcs11(m) if m.contains("no private key")),
        "{err:?}"
    );
}

fn der_len(len: usize) -> Vec<u8> {
    if len < 0x80 {
        vec![len as u8]
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        let mut out = vec![0x80 | bytes.len() as u8];
        out.extend(bytes);
        out
    }
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(der_len(content.len()));
    out.extend_from_slice(content);
    out
}

fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let start = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len() - 1);
    let mut v = bytes[start..].to_vec();
    if v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    tlv(0x02, &v)
}

/// A public key read from the token, in the form rcgen puts into a SubjectPublicKeyInfo.
struct TokenKey {
    /// RSAPublicKey DER, or the uncompressed EC point.
    bits: Vec<u8>,
    alg: &'static rcgen::SignatureAlgorithm,
}

impl rcgen::PublicKeyData for TokenKey {
    fn der_bytes(&self) -> &[u8] {
        &self.bits
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.alg
    }
}

// ---------------------------------------------------------------------------------------
// End to end with xmldsig: PKCS#12 signers sign, the trust store validates.

const DOC: &str = r#"<r:HocBa xmlns:r="urn:hocba:test"><r:DuLieu Id="data"><r:Diem>8.5</r:Diem></r:DuLieu><r:ChuKySo></r:ChuKySo></r:HocBa>"#;

fn layout() -> xmldsig::ChainLayout {
    xmldsig::ChainLayout::new("urn:hocba:test", "DuLieu", "urn:hocba:test", "ChuKySo")
}

fn sign_as(doc: &[u8], signer: &dyn Signer, role: &str) -> Vec<u8> {
    let props = xmldsig::SignatureProperties {
        signing_time: NOW,
        role: role.into(),
        signer_name: None,
    };
    xmldsig::sign_next(doc, &layout(), signer, &props).unwrap()
}

#[test]
fn xmldsig_chain_signed_with_pkcs12_verifies_against_the_trust_store() {
    let demo = demo_pki(NOW).unwrap();
    let gvcn =
        Pkcs12Signer::from_pkcs12(&demo.pkcs12(&demo.gvcn).unwrap(), DEMO_P12_PASSWORD).unwrap();
    let ht =
        Pkcs12Signer::from_pkcs12(&demo.pkcs12(&demo.ecdsa).unwrap(), DEMO_P12_PASSWORD).unwrap();
    let doc = sign_as(DOC.as_bytes(), &gvcn, "GVCN");
    let doc = sign_as(&doc, &ht, "HT");

    let store = TrustStore::from_pem_bundle(demo.root_pem().as_bytes()).unwrap();
    let report = xmldsig::verify_chain(&doc, &layout(), &store, Some(&["GVCN", "HT"])).unwrap();
    assert_eq!(report.signatures.len(), 2);
    assert!(
        report.signatures[0]
            .signer
            .subject
            .contains("Nguyễn Thị Lan")
    );

    // Another root: untrusted.
    let other = Pki::other();
    assert!(xmldsig::verify_chain(&doc, &layout(), &other.store(), None).is_err());

    // The principal's certificate revoked by the school CA.
    let ca_key = KeyPair::try_from(demo.school_ca.key_pkcs8_der.as_slice()).unwrap();
    let (_, ca_cert) = X509Certificate::from_der(&demo.school_ca.cert_der).unwrap();
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    for attr in ca_cert.subject().iter_attributes() {
        let value = attr.as_str().unwrap().to_owned();
        let oid: Vec<u64> = attr.attr_type().iter().unwrap().collect();
        ca_params
            .distinguished_name
            .push(DnType::from_oid(&oid), value);
    }
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_node = Node {
        params: ca_params,
        key: ca_key,
        der: demo.school_ca.cert_der.clone(),
    };
    let mut revoking = store.clone();
    revoking
        .add_crls(&ca_node.crl(&[&serial_of(&demo.ecdsa.cert_der)]))
        .unwrap();
    let err = xmldsig::verify_chain(&doc, &layout(), &revoking, None).unwrap_err();
    assert!(err.to_string().contains("revoked"), "{err}");
}
