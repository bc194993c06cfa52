//! A minimal [`TrustPolicy`] for tests and examples: **not for production**.
//!
//! [`PinnedRootPolicy`] checks issuer names and signatures along the chain up to one
//! pinned root certificate and every certificate's validity period at the signing time.
//! It ignores key usage, basic constraints, name constraints, path length and revocation;
//! the `pki` crate provides the real policy.

use aws_lc_rs::signature::{self, UnparsedPublicKey};

use crate::der::{self, KeyKind, OID_ECDSA_SHA256, OID_SHA256_RSA, ParsedCertificate};
use crate::trust::{CertSummary, TrustError, TrustPolicy};

/// Trusts chains that lead, by signatures, to one pinned root (test use only).
#[derive(Debug, Clone)]
pub struct PinnedRootPolicy {
    root: Vec<u8>,
}

impl PinnedRootPolicy {
    /// Pins `root_der` as the only trust anchor.
    pub fn new(root_der: Vec<u8>) -> Self {
        PinnedRootPolicy { root: root_der }
    }
}

impl TrustPolicy for PinnedRootPolicy {
    fn validate(&self, chain: &[Vec<u8>], at: i64) -> Result<CertSummary, TrustError> {
        let malformed = |e: der::CertError| TrustError::Malformed(e.to_string());
        let root = der::parse_certificate(&self.root).map_err(malformed)?;
        let leaf = chain
            .first()
            .ok_or_else(|| TrustError::Malformed("empty chain".into()))?;
        let mut certs: Vec<ParsedCertificate<'_>> = Vec::with_capacity(chain.len());
        for c in chain {
            certs.push(der::parse_certificate(c).map_err(malformed)?);
        }
        for (i, cert) in certs.iter().enumerate() {
            check_time(cert, at)?;
            if chain[i] == self.root {
                return der::summarize_certificate(leaf).map_err(malformed);
            }
            let issuer = certs.get(i + 1).unwrap_or(&root);
            if cert.issuer_der != issuer.subject_der || !signed_by(cert, issuer) {
                if i + 1 < certs.len() {
                    return Err(TrustError::Untrusted(format!(
                        "certificate {i} is not issued by certificate {}",
                        i + 1
                    )));
                }
                return Err(TrustError::Untrusted(
                    "chain does not end at the pinned root".into(),
                ));
            }
        }
        check_time(&root, at)?;
        der::summarize_certificate(leaf).map_err(malformed)
    }
}

fn check_time(cert: &ParsedCertificate<'_>, at: i64) -> Result<(), TrustError> {
    if at < cert.not_before || at > cert.not_after {
        return Err(TrustError::NotValidAt {
            subject: der::hex(cert.subject_der),
            at,
            not_before: cert.not_before,
            not_after: cert.not_after,
        });
    }
    Ok(())
}

fn signed_by(cert: &ParsedCertificate<'_>, issuer: &ParsedCertificate<'_>) -> bool {
    let alg: &dyn signature::VerificationAlgorithm =
        match (cert.signature_algorithm_oid, issuer.key_kind) {
            (OID_SHA256_RSA, KeyKind::Rsa) => &signature::RSA_PKCS1_2048_8192_SHA256,
            (OID_ECDSA_SHA256, KeyKind::EcP256) => &signature::ECDSA_P256_SHA256_ASN1,
            _ => return false,
        };
    UnparsedPublicKey::new(alg, issuer.public_key)
        .verify(cert.tbs, cert.signature)
        .is_ok()
}
