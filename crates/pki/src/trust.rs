//! The trust store and certificate path validation.
//!
//! Path building, signature checks of every link, validity at the signing time, basic
//! constraints, path length, name chaining and CRL lookup are done by rustls-webpki, the
//! validator rustls uses: it is small, audited, has no TLS assumptions in
//! `EndEntityCert::verify_for_usage` (no host name is required) and takes an
//! extended-key-usage policy as a trait, so document signing fits without forking it.
//! webpki deliberately ignores the keyUsage extension, so the keyUsage rules of a signing
//! path are checked here afterwards with x509-parser on the path webpki found, together
//! with the validity of the root itself (webpki only keeps the root's name and key).

use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, ExtendedKeyUsageValidator,
    KeyPurposeIdIter, OwnedCertRevocationList, RevocationCheckDepth, RevocationOptionsBuilder,
    UnknownStatusPolicy,
};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::{LoadError, ValidationError};
use crate::pem;

/// Extended key usages (DER OID contents) that make a certificate acceptable for signing
/// records when the certificate has an extendedKeyUsage extension at all. A certificate
/// without the extension is accepted (RFC 5280: no restriction). TLS-only purposes
/// (serverAuth, clientAuth alone) are refused: a web server's key must not sign a học bạ.
///
/// - emailProtection 1.3.6.1.5.5.7.3.4 (what personal and organisation signing
///   certificates of Vietnamese CAs usually carry, for S/MIME and documents alike)
/// - id-kp-documentSigning 1.3.6.1.5.5.7.3.36 (RFC 9336)
/// - Microsoft document signing 1.3.6.1.4.1.311.10.3.12
/// - Adobe authentic documents trust 1.2.840.113583.1.1.5
/// - anyExtendedKeyUsage 2.5.29.37.0
pub const ACCEPTED_EKUS: &[(&str, &[u8])] = &[
    (
        "emailProtection",
        &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x04],
    ),
    (
        "documentSigning",
        &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x24],
    ),
    (
        "msDocumentSigning",
        &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x0a, 0x03, 0x0c],
    ),
    (
        "adobeAuthenticDocumentsTrust",
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x2f, 0x01, 0x01, 0x05],
    ),
    ("anyExtendedKeyUsage", &[0x55, 0x1d, 0x25, 0x00]),
];

/// Default bound on intermediates between the signer and the root.
pub const DEFAULT_MAX_INTERMEDIATES: usize = 4;

/// Signature algorithms accepted on certificates and CRLs: SHA-2 only, RSA ≥ 2048 bits.
static SIGNATURE_ALGS: &[&dyn rustls_pki_types::SignatureVerificationAlgorithm] = &[
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA384,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA512,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    webpki::aws_lc_rs::ECDSA_P256_SHA256,
    webpki::aws_lc_rs::ECDSA_P256_SHA384,
    webpki::aws_lc_rs::ECDSA_P384_SHA256,
    webpki::aws_lc_rs::ECDSA_P384_SHA384,
];

/// The descriptive fields of one certificate, for reports and audit logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject distinguished name, RFC 4514 style (`CN=…, O=…, C=VN`).
    pub subject: String,
    /// Issuer distinguished name, same format.
    pub issuer: String,
    /// Serial number, lowercase hex of the DER integer's bytes.
    pub serial_hex: String,
    /// Start of validity, unix seconds.
    pub not_before: i64,
    /// End of validity, unix seconds.
    pub not_after: i64,
    /// SHA-256 of the DER certificate, lowercase hex.
    pub sha256_fingerprint: String,
}

impl CertInfo {
    /// Reads the fields of a DER certificate.
    ///
    /// # Errors
    /// The bytes are not exactly one DER X.509 certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        let cert = parse_cert(der)?;
        Ok(info_of(&cert, der))
    }

    /// Reads the first certificate of `bytes`: the first `CERTIFICATE` block of a PEM
    /// bundle, or `bytes` themselves when they are not PEM (one DER certificate). Returns
    /// that certificate's DER bytes and its fields.
    ///
    /// # Errors
    /// The bytes are empty, bad PEM, PEM without a `CERTIFICATE` block, or the first
    /// certificate is not a DER X.509 certificate.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<(Vec<u8>, Self), String> {
        let der = xmldsig::certificates_from_pem_or_der(bytes)
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .ok_or_else(|| "no certificate".to_owned())?;
        let info = Self::from_der(&der)?;
        Ok((der, info))
    }
}

/// A path that [`TrustStore::validate`] accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedPath {
    /// The signer's (end-entity) certificate.
    pub signer: CertInfo,
    /// The issuers above it, nearest first, ending with the trusted root.
    pub issuers: Vec<CertInfo>,
}

/// Root CAs and CRLs against which signer certificate chains are validated.
///
/// Contract: a chain is accepted only if it leads to one of the roots added here; a
/// certificate that arrives with a document (in `KeyInfo`) is never trusted by itself.
/// The store is immutable while validating and can be shared between threads.
#[derive(Debug, Clone)]
pub struct TrustStore {
    roots: Vec<Root>,
    crls: Vec<Arc<CertRevocationList<'static>>>,
    max_intermediates: usize,
}

#[derive(Debug, Clone)]
struct Root {
    anchor: TrustAnchor<'static>,
    info: CertInfo,
    /// `None`: no keyUsage extension; `Some(b)`: whether keyCertSign is set.
    key_cert_sign: Option<bool>,
    /// pathLenConstraint of the root, which webpki does not keep in a trust anchor.
    path_len: Option<u32>,
}

impl Default for TrustStore {
    fn default() -> Self {
        Self::new()
    }
}

impl TrustStore {
    /// An empty store: it trusts nothing until roots are added.
    pub fn new() -> Self {
        Self {
            roots: Vec::new(),
            crls: Vec::new(),
            max_intermediates: DEFAULT_MAX_INTERMEDIATES,
        }
    }

    /// A store holding every `CERTIFICATE` of a PEM bundle as a root.
    ///
    /// # Errors
    /// See [`TrustStore::add_pem_bundle`].
    pub fn from_pem_bundle(pem: &[u8]) -> Result<Self, LoadError> {
        let mut store = Self::new();
        store.add_pem_bundle(pem)?;
        Ok(store)
    }

    /// Adds every `CERTIFICATE` block of a PEM bundle as a root and returns how many were
    /// added. Other blocks (keys, CRLs) are ignored. Nothing is added if any certificate
    /// is rejected.
    ///
    /// # Errors
    /// Broken PEM, no certificate at all, an unparsable certificate, or a certificate
    /// that is not a CA ([`LoadError::NotACa`]).
    pub fn add_pem_bundle(&mut self, pem: &[u8]) -> Result<usize, LoadError> {
        let ders = pem::blocks(pem, "CERTIFICATE")?;
        if ders.is_empty() {
            return Err(LoadError::Empty {
                expected: "CERTIFICATE",
            });
        }
        let mut roots = Vec::with_capacity(ders.len());
        for (index, der) in ders.iter().enumerate() {
            roots.push(root_from_der(der, index)?);
        }
        let added = roots.len();
        self.roots.extend(roots);
        Ok(added)
    }

    /// Adds one DER certificate as a root.
    ///
    /// # Errors
    /// As [`TrustStore::add_pem_bundle`].
    pub fn add_der(&mut self, der: &[u8]) -> Result<(), LoadError> {
        let root = root_from_der(der, 0)?;
        self.roots.push(root);
        Ok(())
    }

    /// Adds the CRLs of a file, DER (one CRL) or PEM (any number of `X509 CRL` blocks),
    /// and returns how many were added. A CRL's signature is checked when it is used,
    /// against the issuer certificate found on the path; a CRL whose signature does not
    /// verify makes validation of that issuer's certificates fail ([`ValidationError::CrlInvalid`]).
    ///
    /// # Errors
    /// Broken PEM or DER, no CRL found, or an unsupported kind of CRL (delta, indirect).
    pub fn add_crls(&mut self, bytes: &[u8]) -> Result<usize, LoadError> {
        let ders = if pem::looks_like_pem(bytes) {
            pem::blocks(bytes, "X509 CRL")?
        } else {
            vec![bytes.to_vec()]
        };
        if ders.is_empty() {
            return Err(LoadError::Empty {
                expected: "X509 CRL",
            });
        }
        let mut crls = Vec::with_capacity(ders.len());
        for (index, der) in ders.iter().enumerate() {
            let crl = OwnedCertRevocationList::from_der(der).map_err(|e| LoadError::Crl {
                index,
                reason: format!("{e:?}"),
            })?;
            crls.push(Arc::new(CertRevocationList::from(crl)));
        }
        let added = crls.len();
        self.crls.extend(crls);
        Ok(added)
    }

    /// Sets the largest number of intermediates accepted between signer and root
    /// (default [`DEFAULT_MAX_INTERMEDIATES`]; webpki's own hard bound is 6).
    pub fn set_max_intermediates(&mut self, max: usize) {
        self.max_intermediates = max;
    }

    /// The roots of the store.
    pub fn roots(&self) -> impl Iterator<Item = &CertInfo> {
        self.roots.iter().map(|r| &r.info)
    }

    /// Number of CRLs loaded.
    pub fn crl_count(&self) -> usize {
        self.crls.len()
    }

    /// Validates a signer's chain as found in `KeyInfo` — `chain[0]` the signer's DER
    /// certificate, then intermediates in any order — at `at_unix_seconds`, the signing
    /// time, and returns the accepted path.
    ///
    /// Checked: a path exists from `chain[0]` through certificates of `chain` to a root of
    /// the store; each certificate's signature verifies with its issuer's key (SHA-2 RSA or
    /// ECDSA only); every certificate of the path, the root included, is valid at the
    /// signing time; issuers are CAs (basicConstraints), their pathLenConstraint holds,
    /// and at most `max_intermediates` intermediates are given; issuers' keyUsage has
    /// keyCertSign (required on intermediates, checked on roots when present); the
    /// signer is not a CA and its keyUsage (required) has digitalSignature or
    /// nonRepudiation; an extendedKeyUsage, where present on any certificate of the path,
    /// contains one of [`ACCEPTED_EKUS`]; no certificate of the path is listed in a loaded
    /// CRL of its issuer (whatever the revocation date: the signing time is asserted by
    /// the signer, so a key revoked later cannot be trusted for earlier dates either).
    ///
    /// # Errors
    /// The first reason found, as a [`ValidationError`].
    pub fn validate(
        &self,
        chain: &[Vec<u8>],
        at_unix_seconds: i64,
    ) -> Result<ValidatedPath, ValidationError> {
        let Some((leaf_der, intermediates_der)) = chain.split_first() else {
            return Err(malformed("empty certificate chain"));
        };
        if intermediates_der.len() > self.max_intermediates {
            return Err(ValidationError::PathTooLong {
                max_intermediates: self.max_intermediates,
            });
        }
        let Ok(secs) = u64::try_from(at_unix_seconds) else {
            return Err(malformed("signing time before 1970"));
        };
        let time = UnixTime::since_unix_epoch(Duration::from_secs(secs));

        // Parse everything up front so a broken certificate is reported as such.
        for der in chain {
            parse_cert(der).map_err(|reason| ValidationError::Malformed { reason })?;
        }
        let leaf_cert_der = CertificateDer::from(leaf_der.as_slice());
        let intermediates: Vec<CertificateDer<'_>> = intermediates_der
            .iter()
            .map(|d| CertificateDer::from(d.as_slice()))
            .collect();
        let anchors: Vec<TrustAnchor<'_>> = self.roots.iter().map(|r| r.anchor.clone()).collect();
        let crl_refs: Vec<&CertRevocationList<'_>> = self.crls.iter().map(|c| c.as_ref()).collect();
        let revocation = RevocationOptionsBuilder::new(&crl_refs).ok().map(|b| {
            b.with_depth(RevocationCheckDepth::Chain)
                .with_status_policy(UnknownStatusPolicy::Allow)
                .with_expiration_policy(ExpirationPolicy::Ignore)
                .build()
        });

        let ee = EndEntityCert::try_from(&leaf_cert_der)
            .map_err(|e| self.map_webpki(e, chain, at_unix_seconds))?;
        let verified = ee
            .verify_for_usage(
                SIGNATURE_ALGS,
                &anchors,
                &intermediates,
                time,
                DocumentSigningEku,
                revocation,
                None,
            )
            .map_err(|e| self.map_webpki(e, chain, at_unix_seconds))?;

        // keyUsage of the signer.
        let leaf = parse_cert(leaf_der).map_err(|reason| ValidationError::Malformed { reason })?;
        let signer = info_of(&leaf, leaf_der);
        match key_usage(&leaf)? {
            Some(ku) if ku.digital_signature() || ku.non_repudiation() => {}
            _ => {
                return Err(ValidationError::KeyUsage {
                    subject: signer.subject,
                    needed: "digitalSignature or nonRepudiation",
                });
            }
        }

        // keyUsage of the intermediates webpki put on the path.
        let mut issuers = Vec::new();
        for cert in verified.intermediate_certificates() {
            let der = cert.der();
            let parsed =
                parse_cert(&der).map_err(|reason| ValidationError::Malformed { reason })?;
            let info = info_of(&parsed, &der);
            match key_usage(&parsed)? {
                Some(ku) if ku.key_cert_sign() => {}
                _ => {
                    return Err(ValidationError::KeyUsage {
                        subject: info.subject,
                        needed: "keyCertSign",
                    });
                }
            }
            issuers.push(info);
        }

        // The root: validity at the signing time and keyUsage, which webpki does not see.
        let anchor = verified.anchor();
        let root = self
            .roots
            .iter()
            .find(|r| {
                r.anchor.subject == anchor.subject
                    && r.anchor.subject_public_key_info == anchor.subject_public_key_info
            })
            .ok_or(ValidationError::UntrustedIssuer)?;
        if at_unix_seconds < root.info.not_before {
            return Err(ValidationError::NotYetValid {
                subject: root.info.subject.clone(),
                not_before: root.info.not_before,
                not_after: root.info.not_after,
                at: at_unix_seconds,
            });
        }
        if at_unix_seconds > root.info.not_after {
            return Err(ValidationError::Expired {
                subject: root.info.subject.clone(),
                not_before: root.info.not_before,
                not_after: root.info.not_after,
                at: at_unix_seconds,
            });
        }
        if root.key_cert_sign == Some(false) {
            return Err(ValidationError::KeyUsage {
                subject: root.info.subject.clone(),
                needed: "keyCertSign",
            });
        }
        if let Some(max) = root.path_len {
            // `issuers` holds the intermediates at this point.
            if issuers.len() > usize::try_from(max).unwrap_or(usize::MAX) {
                return Err(ValidationError::PathTooLong {
                    max_intermediates: self.max_intermediates,
                });
            }
        }
        issuers.push(root.info.clone());
        Ok(ValidatedPath { signer, issuers })
    }

    /// Translates a webpki error, naming the certificate for validity errors when it can
    /// be identified among the chain and the roots.
    fn map_webpki(&self, err: webpki::Error, chain: &[Vec<u8>], at: i64) -> ValidationError {
        use webpki::Error as E;
        let known: Vec<CertInfo> = chain
            .iter()
            .filter_map(|d| CertInfo::from_der(d).ok())
            .chain(self.roots.iter().map(|r| r.info.clone()))
            .collect();
        #[allow(deprecated)] // RequiredEkuNotFound is still produced by older code paths.
        match err {
            E::UnknownIssuer | E::CertDistrusted => ValidationError::UntrustedIssuer,
            E::CertExpired { not_after, .. } => {
                let not_after = secs(not_after);
                let cert = known.iter().find(|c| c.not_after == not_after);
                ValidationError::Expired {
                    subject: cert.map(|c| c.subject.clone()).unwrap_or_default(),
                    not_before: cert.map_or(i64::MIN, |c| c.not_before),
                    not_after,
                    at,
                }
            }
            E::CertNotValidYet { not_before, .. } => {
                let not_before = secs(not_before);
                let cert = known.iter().find(|c| c.not_before == not_before);
                ValidationError::NotYetValid {
                    subject: cert.map(|c| c.subject.clone()).unwrap_or_default(),
                    not_before,
                    not_after: cert.map_or(i64::MAX, |c| c.not_after),
                    at,
                }
            }
            // An algorithm that does not fit the issuer's key type (an ECDSA signature
            // under an RSA issuer) is a signature by some other key: a bad signature.
            E::InvalidSignatureForPublicKey
            | E::SignatureAlgorithmMismatch
            | E::UnsupportedSignatureAlgorithmForPublicKey
            | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
                ValidationError::BadSignature
            }
            E::UnsupportedSignatureAlgorithm | E::UnsupportedSignatureAlgorithmContext(_) => {
                ValidationError::UnsupportedAlgorithm
            }
            E::EndEntityUsedAsCa => ValidationError::NotACa,
            E::CaUsedAsEndEntity => ValidationError::CaAsEndEntity,
            E::PathLenConstraintViolated | E::MaximumPathDepthExceeded => {
                ValidationError::PathTooLong {
                    max_intermediates: self.max_intermediates,
                }
            }
            E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => {
                ValidationError::ExtendedKeyUsage
            }
            E::CertRevoked => self.find_revoked(chain),
            E::InvalidCrlSignatureForPublicKey
            | E::IssuerNotCrlSigner
            | E::UnsupportedCrlSignatureAlgorithm
            | E::UnsupportedCrlSignatureAlgorithmContext(_)
            | E::UnsupportedCrlSignatureAlgorithmForPublicKey
            | E::UnsupportedCrlSignatureAlgorithmForPublicKeyContext(_)
            | E::UnsupportedIndirectCrl
            | E::UnsupportedRevocationReasonsPartitioning
            | E::UnsupportedCrlIssuingDistributionPoint
            | E::UnknownRevocationStatus
            | E::CrlExpired { .. } => ValidationError::CrlInvalid {
                reason: format!("{err:?}"),
            },
            E::BadDer
            | E::BadDerTime
            | E::TrailingData(_)
            | E::InvalidCertValidity
            | E::InvalidSerialNumber
            | E::MalformedExtensions
            | E::ExtensionValueInvalid
            | E::UnsupportedCertVersion => ValidationError::Malformed {
                reason: format!("{err:?}"),
            },
            other => ValidationError::Rejected {
                reason: format!("{other:?}"),
            },
        }
    }
}

impl TrustStore {
    /// Names the revoked certificate of `chain` for the error report.
    fn find_revoked(&self, chain: &[Vec<u8>]) -> ValidationError {
        for der in chain {
            let Ok(cert) = parse_cert(der) else { continue };
            for crl in &self.crls {
                if crl.issuer() != der_contents(cert.issuer().as_raw()) {
                    continue;
                }
                if let Ok(Some(_)) = crl.find_serial(cert.raw_serial()) {
                    return ValidationError::Revoked {
                        subject: cert.subject().to_string(),
                        serial_hex: hex::encode(cert.raw_serial()),
                    };
                }
            }
        }
        ValidationError::Revoked {
            subject: String::new(),
            serial_hex: String::new(),
        }
    }
}

impl xmldsig::TrustPolicy for TrustStore {
    /// [`TrustStore::validate`], with the signer's certificate summarised. The precise
    /// [`ValidationError::code`] is kept at the end of the `TrustError` message.
    fn validate(
        &self,
        chain: &[Vec<u8>],
        at_unix_seconds: i64,
    ) -> Result<xmldsig::CertSummary, xmldsig::TrustError> {
        let path = TrustStore::validate(self, chain, at_unix_seconds)?;
        let s = path.signer;
        Ok(xmldsig::CertSummary {
            subject: s.subject,
            issuer: s.issuer,
            serial_hex: s.serial_hex,
            not_before: s.not_before,
            not_after: s.not_after,
            sha256_fingerprint: s.sha256_fingerprint,
        })
    }
}

/// Extended key usage policy for document signing: no extension → accepted; otherwise
/// one of [`ACCEPTED_EKUS`] must be listed. webpki applies it to every certificate of
/// the path, so an intermediate restricted to TLS cannot issue record signers either.
struct DocumentSigningEku;

impl ExtendedKeyUsageValidator for DocumentSigningEku {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        let mut present = Vec::new();
        for id in iter {
            let id = id?;
            if ACCEPTED_EKUS
                .iter()
                .any(|(_, oid)| id == webpki::KeyPurposeId::new(oid))
            {
                return Ok(());
            }
            present.push(id.to_decoded_oid());
        }
        if present.is_empty() {
            return Ok(());
        }
        Err(webpki::Error::RequiredEkuNotFoundContext(
            webpki::RequiredEkuNotFoundContext {
                required: webpki::KeyUsage::required(ACCEPTED_EKUS[0].1),
                present,
            },
        ))
    }
}

/// The contents of a DER TLV (webpki keeps names without their SEQUENCE header).
fn der_contents(tlv: &[u8]) -> &[u8] {
    let Some(&first_len) = tlv.get(1) else {
        return tlv;
    };
    let header = if first_len < 0x80 {
        2
    } else {
        2 + usize::from(first_len & 0x7f)
    };
    tlv.get(header..).unwrap_or(tlv)
}

fn secs(t: UnixTime) -> i64 {
    i64::try_from(t.as_secs()).unwrap_or(i64::MAX)
}

fn malformed(reason: &str) -> ValidationError {
    ValidationError::Malformed {
        reason: reason.to_owned(),
    }
}

fn root_from_der(der: &[u8], index: usize) -> Result<Root, LoadError> {
    let bad = |reason: String| LoadError::Certificate { index, reason };
    let cert = parse_cert(der).map_err(bad)?;
    let info = info_of(&cert, der);
    if !cert.is_ca() {
        return Err(LoadError::NotACa {
            subject: info.subject,
        });
    }
    let key_cert_sign = cert
        .key_usage()
        .map_err(|e| bad(e.to_string()))?
        .map(|ku| ku.value.key_cert_sign());
    let path_len = cert
        .basic_constraints()
        .map_err(|e| bad(e.to_string()))?
        .and_then(|bc| bc.value.path_len_constraint);
    let cert_der = CertificateDer::from(der);
    let anchor = webpki::anchor_from_trusted_cert(&cert_der)
        .map_err(|e| bad(format!("{e:?}")))?
        .to_owned();
    Ok(Root {
        anchor,
        info,
        key_cert_sign,
        path_len,
    })
}

/// Parses exactly one DER certificate (no trailing bytes).
fn parse_cert(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err("trailing bytes after certificate".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

fn key_usage<'a>(
    cert: &'a X509Certificate<'_>,
) -> Result<Option<&'a x509_parser::extensions::KeyUsage>, ValidationError> {
    cert.key_usage()
        .map(|ku| ku.map(|ext| ext.value))
        .map_err(|e| ValidationError::Malformed {
            reason: format!("keyUsage: {e}"),
        })
}

pub(crate) fn info_of(cert: &X509Certificate<'_>, der: &[u8]) -> CertInfo {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial_hex: hex::encode(cert.raw_serial()),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        sha256_fingerprint: hex::encode(digest.as_ref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_certificate_of_pem_or_der() {
        let demo = crate::demo_pki(1_764_000_000).unwrap();
        let (root, seal) = (&demo.root.cert_der, &demo.seal.cert_der);
        let (der, info) = CertInfo::from_pem_or_der(root).unwrap();
        assert_eq!(&der, root);
        assert_eq!(info, CertInfo::from_der(root).unwrap());
        let bundle = format!(
            "comment\n{}{}",
            pem::encode("CERTIFICATE", seal),
            pem::encode("CERTIFICATE", root)
        );
        let (der, info) = CertInfo::from_pem_or_der(bundle.as_bytes()).unwrap();
        assert_eq!(&der, seal);
        assert_eq!(
            info.sha256_fingerprint,
            CertInfo::from_der(seal).unwrap().sha256_fingerprint
        );
        let key_only = pem::encode("PRIVATE KEY", &demo.seal.key_pkcs8_der);
        for bad in [&b""[..], b"not a certificate", key_only.as_bytes()] {
            assert!(CertInfo::from_pem_or_der(bad).is_err());
        }
    }
}
