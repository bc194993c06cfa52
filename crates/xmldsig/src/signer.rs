//! Signature algorithms and signer backends.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use base64::Engine as _;

use crate::der::{self, KeyKind};

/// The two signature algorithms of the profile (DESIGN.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, `http://www.w3.org/2001/04/xmldsig-more#rsa-sha256`.
    RsaSha256,
    /// ECDSA on P-256 with SHA-256, fixed-width `r || s` signature value,
    /// `http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256`.
    EcdsaP256Sha256,
}

impl SignatureAlgorithm {
    /// The XMLDSig `SignatureMethod/@Algorithm` URI.
    pub fn uri(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaSha256 => crate::RSA_SHA256,
            SignatureAlgorithm::EcdsaP256Sha256 => crate::ECDSA_SHA256,
        }
    }

    /// The algorithm named by a `SignatureMethod` URI, if it is one of ours.
    pub fn from_uri(uri: &str) -> Option<Self> {
        match uri {
            crate::RSA_SHA256 => Some(SignatureAlgorithm::RsaSha256),
            crate::ECDSA_SHA256 => Some(SignatureAlgorithm::EcdsaP256Sha256),
            _ => None,
        }
    }

    pub(crate) fn key_kind(self) -> KeyKind {
        match self {
            SignatureAlgorithm::RsaSha256 => KeyKind::Rsa,
            SignatureAlgorithm::EcdsaP256Sha256 => KeyKind::EcP256,
        }
    }

    pub(crate) fn verification(self) -> &'static dyn signature::VerificationAlgorithm {
        match self {
            SignatureAlgorithm::RsaSha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            SignatureAlgorithm::EcdsaP256Sha256 => &signature::ECDSA_P256_SHA256_FIXED,
        }
    }
}

/// Errors of a signer backend.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignerError {
    /// The private key is not a PKCS#8 RSA (≥ 2048 bits) or P-256 key in PEM or DER.
    #[error("unusable private key: {0}")]
    BadKey(String),
    /// A certificate cannot be decoded or read.
    #[error("unusable certificate: {0}")]
    BadCertificate(String),
    /// The certificate chain is empty.
    #[error("the certificate chain is empty")]
    EmptyChain,
    /// The private key does not belong to the first certificate of the chain.
    #[error("the private key does not match the signer's certificate")]
    KeyCertificateMismatch,
    /// The backend failed to produce a signature (token removed, remote refusal, …).
    #[error("signing failed: {0}")]
    Failed(String),
}

/// Produces raw XMLDSig signature values. Implemented by [`SoftwareSigner`] here and by
/// PKCS#11 / PKCS#12 / remote backends elsewhere.
pub trait Signer: Send + Sync {
    /// The signature algorithm of the key.
    fn algorithm(&self) -> SignatureAlgorithm;
    /// DER certificates: the signer's certificate first, then intermediates; the root is
    /// never required.
    fn certificate_chain(&self) -> &[Vec<u8>];
    /// Signs `data` (the canonical `SignedInfo` octets; the signer hashes them), returning
    /// the raw signature value: PKCS#1 v1.5 bytes for RSA, 64-byte `r || s` for ECDSA.
    ///
    /// # Errors
    /// [`SignerError::Failed`] if the backend cannot sign.
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignerError>;
}

enum SoftKey {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// A signer holding a PKCS#8 private key in memory (development, tests, server keys).
pub struct SoftwareSigner {
    key: SoftKey,
    chain: Vec<Vec<u8>>,
    rng: SystemRandom,
}

impl std::fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareSigner")
            .field("algorithm", &self.algorithm())
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl SoftwareSigner {
    /// Builds a signer from a PKCS#8 private key (PEM `PRIVATE KEY` or DER; RSA ≥ 2048
    /// bits or EC P-256) and certificates (a PEM bundle or one DER certificate), signer's
    /// certificate first.
    ///
    /// # Errors
    /// [`SignerError`] if the key or certificates cannot be read, or the key does not
    /// match the first certificate.
    pub fn new(private_key: &[u8], certificates: &[u8]) -> Result<Self, SignerError> {
        Self::from_parts(private_key, certificates_from_pem_or_der(certificates)?)
    }

    /// Like [`SoftwareSigner::new`] with the chain already split into DER certificates.
    ///
    /// # Errors
    /// As [`SoftwareSigner::new`].
    pub fn from_parts(private_key: &[u8], chain: Vec<Vec<u8>>) -> Result<Self, SignerError> {
        let der = if looks_like_pem(private_key) {
            let blocks = pem_blocks(private_key).map_err(SignerError::BadKey)?;
            match blocks
                .into_iter()
                .find(|(label, _)| label.ends_with("PRIVATE KEY"))
            {
                Some((label, der)) if label == "PRIVATE KEY" => der,
                Some((label, _)) => {
                    return Err(SignerError::BadKey(format!(
                        "PEM label {label:?}: convert to PKCS#8 (`openssl pkcs8 -topk8 -nocrypt`)"
                    )));
                }
                None => return Err(SignerError::BadKey("no PRIVATE KEY block in PEM".into())),
            }
        } else {
            private_key.to_vec()
        };
        let key = if let Ok(k) = RsaKeyPair::from_pkcs8(&der) {
            if k.public_modulus_len() < 256 {
                return Err(SignerError::BadKey(
                    "RSA keys must have at least 2048 bits".into(),
                ));
            }
            SoftKey::Rsa(k)
        } else {
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der)
                .map(SoftKey::Ec)
                .map_err(|e| SignerError::BadKey(format!("not a PKCS#8 RSA or P-256 key: {e}")))?
        };
        let leaf = chain.first().ok_or(SignerError::EmptyChain)?;
        let parsed =
            der::parse_certificate(leaf).map_err(|e| SignerError::BadCertificate(e.to_string()))?;
        let public: &[u8] = match &key {
            SoftKey::Rsa(k) => k.public_key().as_ref(),
            SoftKey::Ec(k) => k.public_key().as_ref(),
        };
        let expected_kind = match key {
            SoftKey::Rsa(_) => KeyKind::Rsa,
            SoftKey::Ec(_) => KeyKind::EcP256,
        };
        if parsed.key_kind != expected_kind || parsed.public_key != public {
            return Err(SignerError::KeyCertificateMismatch);
        }
        Ok(SoftwareSigner {
            key,
            chain,
            rng: SystemRandom::new(),
        })
    }
}

impl Signer for SoftwareSigner {
    fn algorithm(&self) -> SignatureAlgorithm {
        match self.key {
            SoftKey::Rsa(_) => SignatureAlgorithm::RsaSha256,
            SoftKey::Ec(_) => SignatureAlgorithm::EcdsaP256Sha256,
        }
    }

    fn certificate_chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignerError> {
        match &self.key {
            SoftKey::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(&signature::RSA_PKCS1_SHA256, &self.rng, data, &mut sig)
                    .map_err(|e| SignerError::Failed(e.to_string()))?;
                Ok(sig)
            }
            SoftKey::Ec(k) => k
                .sign(&self.rng, data)
                .map(|s| s.as_ref().to_vec())
                .map_err(|e| SignerError::Failed(e.to_string())),
        }
    }
}

/// Splits a PEM bundle into DER certificates, or returns a single DER certificate as is.
///
/// # Errors
/// [`SignerError::BadCertificate`] on bad PEM or no certificate at all.
pub fn certificates_from_pem_or_der(bytes: &[u8]) -> Result<Vec<Vec<u8>>, SignerError> {
    if !looks_like_pem(bytes) {
        if bytes.is_empty() {
            return Err(SignerError::EmptyChain);
        }
        return Ok(vec![bytes.to_vec()]);
    }
    let certs: Vec<Vec<u8>> = pem_blocks(bytes)
        .map_err(SignerError::BadCertificate)?
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .collect();
    if certs.is_empty() {
        return Err(SignerError::EmptyChain);
    }
    Ok(certs)
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Decodes every `-----BEGIN X-----` … `-----END X-----` block as (label, DER).
fn pem_blocks(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "PEM is not UTF-8".to_owned())?;
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let label_end = after.find("-----").ok_or("unterminated PEM header")?;
        let label = &after[..label_end];
        let body_start = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let body_end = body_start.find(&end_marker).ok_or("missing PEM END line")?;
        let b64: String = body_start[..body_end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| format!("PEM base64: {e}"))?;
        out.push((label.to_owned(), der));
        rest = &body_start[body_end + end_marker.len()..];
    }
    Ok(out)
}
