//! Error types of the crate: one enum per job (loading trust material, validating a path,
//! using a signing key, building the demo PKI).

/// Why a certificate chain was not accepted by [`crate::TrustStore::validate`].
///
/// Every variant has a stable machine-readable [`code`](ValidationError::code) that
/// verifiers put into their reports; the `Display` text is English and meant for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// No path leads from the signer's certificate to a root of the trust store (this
    /// includes a self-signed signer certificate that is not itself a trusted root).
    #[error("no path from the signer certificate to a trusted root CA")]
    UntrustedIssuer,
    /// A certificate of the path had expired at the signing time.
    #[error("certificate {subject:?} expired at {not_after} (unix), before the signing time {at}")]
    Expired {
        /// Subject of the certificate, empty when it could not be identified.
        subject: String,
        /// Start of the certificate's validity, unix seconds (`i64::MIN` if unknown).
        not_before: i64,
        /// End of the certificate's validity, unix seconds.
        not_after: i64,
        /// The signing time that was checked, unix seconds.
        at: i64,
    },
    /// A certificate of the path was not yet valid at the signing time.
    #[error(
        "certificate {subject:?} not valid before {not_before} (unix), after the signing time {at}"
    )]
    NotYetValid {
        /// Subject of the certificate, empty when it could not be identified.
        subject: String,
        /// Start of the certificate's validity, unix seconds.
        not_before: i64,
        /// End of the certificate's validity, unix seconds (`i64::MAX` if unknown).
        not_after: i64,
        /// The signing time that was checked, unix seconds.
        at: i64,
    },
    /// The signature of a certificate does not verify with its issuer's public key.
    #[error("a certificate signature does not verify with the issuer's key")]
    BadSignature,
    /// A certificate or CRL is signed with an algorithm outside the allowed set
    /// (RSA PKCS#1 v1.5 / PSS with SHA-2, ECDSA P-256 / P-384 with SHA-2).
    #[error("unsupported or disallowed signature algorithm in the certificate path")]
    UnsupportedAlgorithm,
    /// An issuing certificate of the path is not a CA (basicConstraints cA is absent or false).
    #[error("an issuing certificate is not a CA (basicConstraints)")]
    NotACa,
    /// The signer's certificate is a CA certificate; CA keys must not sign documents.
    #[error("the signer certificate is a CA certificate")]
    CaAsEndEntity,
    /// The path is longer than allowed: too many intermediates in KeyInfo, or a
    /// pathLenConstraint of an issuer is exceeded.
    #[error("certificate path too long (at most {max_intermediates} intermediates)")]
    PathTooLong {
        /// The configured bound on intermediates.
        max_intermediates: usize,
    },
    /// A keyUsage extension forbids the use: issuers need keyCertSign, the signer needs
    /// digitalSignature or nonRepudiation.
    #[error("key usage of {subject:?} does not allow {needed}")]
    KeyUsage {
        /// Subject of the offending certificate.
        subject: String,
        /// What the certificate was needed for.
        needed: &'static str,
    },
    /// An extendedKeyUsage extension is present and contains none of the accepted
    /// document-signing purposes (see [`crate::ACCEPTED_EKUS`]).
    #[error("extended key usage does not allow document signing")]
    ExtendedKeyUsage,
    /// A certificate of the path is listed as revoked by a loaded CRL of its issuer.
    #[error("certificate {subject:?} (serial {serial_hex}) is revoked by its issuer's CRL")]
    Revoked {
        /// Subject of the revoked certificate, empty when it could not be identified.
        subject: String,
        /// Its serial number, lowercase hex, empty when it could not be identified.
        serial_hex: String,
    },
    /// A CRL of an issuer in the path could not be used: its signature does not verify,
    /// the issuer may not sign CRLs, or it uses an unsupported CRL feature.
    #[error("CRL of an issuer in the path is unusable: {reason}")]
    CrlInvalid {
        /// What was wrong with the CRL.
        reason: String,
    },
    /// The chain is empty, a certificate is not valid DER X.509 v3, or the time is out of range.
    #[error("malformed certificate chain: {reason}")]
    Malformed {
        /// What could not be parsed.
        reason: String,
    },
    /// Path validation failed for another reason (unsupported critical extension, name
    /// constraints, …).
    #[error("certificate path rejected: {reason}")]
    Rejected {
        /// The validator's reason.
        reason: String,
    },
}

impl ValidationError {
    /// Stable code for reports and translations, e.g. `"cert-expired"`. Codes never change
    /// meaning; new variants get new codes.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UntrustedIssuer => "cert-untrusted-issuer",
            Self::Expired { .. } => "cert-expired",
            Self::NotYetValid { .. } => "cert-not-yet-valid",
            Self::BadSignature => "cert-bad-signature",
            Self::UnsupportedAlgorithm => "cert-unsupported-algorithm",
            Self::NotACa => "cert-issuer-not-ca",
            Self::CaAsEndEntity => "cert-signer-is-ca",
            Self::PathTooLong { .. } => "cert-path-too-long",
            Self::KeyUsage { .. } => "cert-key-usage",
            Self::ExtendedKeyUsage => "cert-extended-key-usage",
            Self::Revoked { .. } => "cert-revoked",
            Self::CrlInvalid { .. } => "cert-crl-invalid",
            Self::Malformed { .. } => "cert-malformed",
            Self::Rejected { .. } => "cert-rejected",
        }
    }
}

/// Why trust material (root certificates, CRLs) could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The PEM text is broken (bad armour or base64).
    #[error("invalid PEM: {0}")]
    Pem(String),
    /// The input holds no object of the expected kind (no `CERTIFICATE` / `X509 CRL` block).
    #[error("no {expected} found in the input")]
    Empty {
        /// What was looked for.
        expected: &'static str,
    },
    /// A certificate could not be parsed as DER X.509.
    #[error("invalid certificate #{index}: {reason}")]
    Certificate {
        /// Position of the certificate in the input, from 0.
        index: usize,
        /// Parser message.
        reason: String,
    },
    /// A root certificate is not a CA certificate (basicConstraints cA must be true).
    #[error("certificate {subject:?} is not a CA and cannot be a trust anchor")]
    NotACa {
        /// Subject of the rejected certificate.
        subject: String,
    },
    /// A CRL could not be parsed or uses unsupported features (delta, indirect CRLs).
    #[error("invalid CRL #{index}: {reason}")]
    Crl {
        /// Position of the CRL in the input, from 0.
        index: usize,
        /// Parser message.
        reason: String,
    },
}

/// Why a signing key could not be loaded or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The PKCS#12 password is wrong (the integrity MAC does not verify).
    #[error("wrong PKCS#12 password (integrity check failed)")]
    WrongPassword,
    /// The PKCS#12 file is damaged or uses an unsupported algorithm.
    #[error("cannot read PKCS#12 file: {0}")]
    Pkcs12(String),
    /// The PKCS#12 file or token holds no private key with its certificate.
    #[error("no private key with a certificate found")]
    NoKey,
    /// The key is neither RSA (≥ 2048 bits) nor ECDSA P-256.
    #[error("unsupported key type: {0}")]
    UnsupportedKey(String),
    /// The certificate's public key is not the private key's.
    #[error("the certificate does not belong to the private key")]
    KeyCertMismatch,
    /// A certificate of the chain could not be parsed.
    #[error("invalid certificate in chain: {0}")]
    Certificate(String),
    /// The PKCS#11 module, slot, token, login or key lookup failed.
    #[error("PKCS#11: {0}")]
    Pkcs11(String),
    /// The signing operation failed.
    #[error("signing failed: {0}")]
    Sign(String),
}

/// Why the demo PKI could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// Key generation or certificate issuance failed.
    #[error("certificate generation failed: {0}")]
    Generate(String),
    /// The time given is outside the range certificates can express.
    #[error("time {0} is out of range")]
    Time(i64),
    /// Writing the PKCS#12 file failed.
    #[error("PKCS#12 encoding failed: {0}")]
    Pkcs12(String),
}

impl From<KeyError> for xmldsig::SignerError {
    fn from(err: KeyError) -> Self {
        match err {
            KeyError::KeyCertMismatch => Self::KeyCertificateMismatch,
            KeyError::Certificate(m) => Self::BadCertificate(m),
            KeyError::Sign(m) | KeyError::Pkcs11(m) => Self::Failed(m),
            other => Self::BadKey(other.to_string()),
        }
    }
}

impl From<ValidationError> for xmldsig::TrustError {
    /// Keeps the precise reason: the message ends with the stable
    /// [`ValidationError::code`] in brackets, since `TrustError` has coarser variants.
    fn from(err: ValidationError) -> Self {
        let message = format!("{err} [{}]", err.code());
        match err {
            ValidationError::Expired {
                subject,
                not_before,
                not_after,
                at,
            }
            | ValidationError::NotYetValid {
                subject,
                not_before,
                not_after,
                at,
            } => Self::NotValidAt {
                subject,
                at,
                not_before,
                not_after,
            },
            ValidationError::Revoked { serial_hex, .. } => Self::Revoked { serial_hex },
            ValidationError::Malformed { .. } => Self::Malformed(message),
            ValidationError::UntrustedIssuer
            | ValidationError::BadSignature
            | ValidationError::UnsupportedAlgorithm => Self::Untrusted(message),
            ValidationError::NotACa
            | ValidationError::CaAsEndEntity
            | ValidationError::PathTooLong { .. }
            | ValidationError::KeyUsage { .. }
            | ValidationError::ExtendedKeyUsage => Self::Usage(message),
            ValidationError::CrlInvalid { .. } | ValidationError::Rejected { .. } => {
                Self::Other(message)
            }
        }
    }
}
