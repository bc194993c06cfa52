//! The trust boundary: who decides whether a certificate chain is acceptable.

/// What a verifier learned about the signer's certificate once the chain was accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    /// Subject distinguished name, e.g. `CN=Nguyễn Văn A, O=THPT Chu Văn An, C=VN`.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number, lowercase hex of its DER content bytes.
    pub serial_hex: String,
    /// Start of validity, Unix seconds.
    pub not_before: i64,
    /// End of validity, Unix seconds.
    pub not_after: i64,
    /// SHA-256 of the certificate DER, lowercase hex.
    pub sha256_fingerprint: String,
}

/// Why a [`TrustPolicy`] refused a chain.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustError {
    /// The chain is empty or a certificate cannot be parsed.
    #[error("malformed certificate chain: {0}")]
    Malformed(String),
    /// No path from the signer's certificate to a trusted root.
    #[error("certificate chain does not lead to a trusted root: {0}")]
    Untrusted(String),
    /// A certificate of the chain was not valid at the signing time.
    #[error("certificate {subject:?} not valid at {at} (valid {not_before}..{not_after})")]
    NotValidAt {
        /// Subject of the offending certificate.
        subject: String,
        /// The time checked (Unix seconds).
        at: i64,
        /// Its notBefore.
        not_before: i64,
        /// Its notAfter.
        not_after: i64,
    },
    /// A certificate of the chain is revoked.
    #[error("certificate with serial {serial_hex} is revoked")]
    Revoked {
        /// Serial of the revoked certificate.
        serial_hex: String,
    },
    /// Key usage, extended key usage or basic constraints forbid this use.
    #[error("certificate may not be used for document signing: {0}")]
    Usage(String),
    /// Any other refusal by the policy.
    #[error("{0}")]
    Other(String),
}

impl TrustError {
    /// A stable machine-readable code for this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            TrustError::Malformed(_) => "trust_malformed",
            TrustError::Untrusted(_) => "trust_untrusted",
            TrustError::NotValidAt { .. } => "trust_not_valid_at_time",
            TrustError::Revoked { .. } => "trust_revoked",
            TrustError::Usage(_) => "trust_usage",
            TrustError::Other(_) => "trust_other",
        }
    }
}

/// Decides whether a certificate chain found in `KeyInfo` is trusted at a given time.
///
/// Contract: `chain` is DER, the signer's certificate first, then intermediates, maybe
/// (not necessarily) the root. An implementation must build a path to one of *its own*
/// trust anchors — a certificate present only in the chain is never trusted by itself —
/// and check validity at `at_unix_seconds` (the claimed signing time), key usage and
/// revocation as its policy requires. Implementations may cache results by chain hash;
/// the verifier calls it once per signature.
pub trait TrustPolicy {
    /// Validates `chain` at `at_unix_seconds`, returning a summary of the signer's certificate.
    ///
    /// # Errors
    /// A [`TrustError`] saying why the chain is not trusted.
    fn validate(&self, chain: &[Vec<u8>], at_unix_seconds: i64) -> Result<CertSummary, TrustError>;
}

impl<T: TrustPolicy + ?Sized> TrustPolicy for &T {
    fn validate(&self, chain: &[Vec<u8>], at: i64) -> Result<CertSummary, TrustError> {
        (**self).validate(chain, at)
    }
}
