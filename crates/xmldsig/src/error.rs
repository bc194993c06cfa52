//! Errors of signing and verification. Every rejection of the strict profile has its own
//! variant and a stable machine code ([`VerifyError::code`]) that user interfaces map to
//! Vietnamese messages.

use crate::trust::TrustError;

/// Why a document was rejected by verification (or could not be prepared for signing).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The document is larger than the configured limit.
    #[error("document is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Document size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Elements are nested deeper than the configured limit.
    #[error("elements nested deeper than {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// The document has more nodes than the configured limit.
    #[error("document has more than {limit} nodes")]
    TooManyNodes {
        /// The limit.
        limit: u32,
    },
    /// More signatures than the configured limit.
    #[error("more than {limit} signatures")]
    TooManySignatures {
        /// The limit.
        limit: usize,
    },
    /// A signature with more references than the configured limit.
    #[error("signature {signature} has more than {limit} references")]
    TooManyReferences {
        /// Signature Id.
        signature: String,
        /// The limit.
        limit: usize,
    },
    /// The document is not UTF-8.
    #[error("document is not UTF-8")]
    NotUtf8,
    /// The document has a DOCTYPE (DTD, entity declarations, XXE, entity expansion).
    #[error("DTDs and entity declarations are not allowed")]
    DtdForbidden,
    /// The document is not well-formed XML (or uses an undeclared entity or prefix).
    #[error("malformed XML: {0}")]
    MalformedXml(String),
    /// A namespace URI in signed content contains characters (`&`, `<`, `"`, TAB, LF,
    /// CR) on whose canonical form implementations disagree.
    #[error("namespace URI {uri:?} is not allowed in signed content")]
    UnsupportedNamespaceUri {
        /// The URI.
        uri: String,
    },
    /// A comment or processing instruction inside the document element.
    #[error(
        "comments and processing instructions are not allowed inside the document (at byte {offset})"
    )]
    CommentOrPi {
        /// Byte offset of the node.
        offset: usize,
    },
    /// Two elements carry the same identifier (attribute `Id`, `ID` or `id`).
    #[error("identifier {id:?} is used more than once")]
    DuplicateId {
        /// The repeated identifier.
        id: String,
    },
    /// The data element named by the layout is not a child of the document element.
    #[error("data element {name} not found as a child of the document element")]
    MissingDataElement {
        /// Expected `{namespace}local` name.
        name: String,
    },
    /// The data element name appears more than once, or somewhere other than its place.
    #[error("data element {name} appears more than once or outside its place")]
    DuplicateDataElement {
        /// Expected `{namespace}local` name.
        name: String,
    },
    /// The data element has no usable `Id` attribute.
    #[error("data element has no valid Id attribute")]
    MissingDataId,
    /// The signatures container named by the layout is missing or repeated.
    #[error("signatures container {name} missing or repeated")]
    MissingContainer {
        /// Expected `{namespace}local` name.
        name: String,
    },
    /// Content other than the data element, the container and signatures where the layout
    /// allows none (wrapper elements, text, data after the container…).
    #[error("unexpected content: {what}")]
    UnexpectedContent {
        /// What was found.
        what: String,
    },
    /// The document contains no signature.
    #[error("document has no signature")]
    NoSignatures,
    /// Fewer signatures than the expected chain of roles.
    #[error("signature chain incomplete: {expected} expected, {found} found")]
    MissingSignature {
        /// Expected count.
        expected: usize,
        /// Found count.
        found: usize,
    },
    /// More signatures than the expected chain of roles.
    #[error("too many signatures: {expected} expected, {found} found")]
    ExtraSignature {
        /// Expected count.
        expected: usize,
        /// Found count.
        found: usize,
    },
    /// The signature at a position does not carry the Id of that position.
    #[error("signature at position {position} has Id {found:?}, expected {expected:?}")]
    SignatureOutOfOrder {
        /// 1-based position in the container.
        position: usize,
        /// Expected Id (`sigN`).
        expected: String,
        /// Id found.
        found: String,
    },
    /// A signature's signed role is not the one expected at its position.
    #[error("signature {signature} has role {found:?}, expected {expected:?}")]
    RoleMismatch {
        /// Signature Id.
        signature: String,
        /// Expected role.
        expected: String,
        /// Signed role.
        found: String,
    },
    /// The `ds:Signature` structure is not the profile's.
    #[error("signature {signature}: malformed: {reason}")]
    MalformedSignature {
        /// Signature Id (or position).
        signature: String,
        /// What is wrong.
        reason: String,
    },
    /// A canonicalization method other than exclusive C14N without comments.
    #[error("canonicalization method {algorithm} is not allowed")]
    UnsupportedCanonicalization {
        /// The algorithm URI.
        algorithm: String,
    },
    /// A known-weak algorithm (SHA-1, MD5, HMAC, DSA…).
    #[error("weak algorithm {algorithm} is not allowed")]
    WeakAlgorithm {
        /// The algorithm URI.
        algorithm: String,
    },
    /// An algorithm outside the profile.
    #[error("algorithm {algorithm} is not supported")]
    UnsupportedAlgorithm {
        /// The algorithm URI.
        algorithm: String,
    },
    /// A transform outside the profile (XSLT, XPath, base64, inclusive C14N…).
    #[error("transform {algorithm} is not allowed")]
    ForbiddenTransform {
        /// The algorithm URI.
        algorithm: String,
    },
    /// The transform list is not exactly what the profile prescribes.
    #[error("reference {uri:?}: transforms must be {expected}")]
    WrongTransforms {
        /// Reference URI.
        uri: String,
        /// The prescribed list.
        expected: &'static str,
    },
    /// A reference URI pointing outside the document.
    #[error("external reference {uri:?} is not allowed")]
    ExternalReference {
        /// The URI.
        uri: String,
    },
    /// A same-document reference whose target does not exist, or an XPointer.
    #[error("reference {uri:?} cannot be resolved")]
    UnresolvedReference {
        /// The URI.
        uri: String,
    },
    /// A reference to an element the signature may not cover at its position.
    #[error("signature {signature}: reference {uri:?} is not allowed here")]
    UnexpectedReference {
        /// Signature Id.
        signature: String,
        /// The URI.
        uri: String,
    },
    /// A reference the profile requires is absent (or references are out of order).
    #[error("signature {signature}: required reference {uri:?} missing or out of place")]
    MissingReference {
        /// Signature Id.
        signature: String,
        /// The URI expected.
        uri: String,
    },
    /// `KeyInfo` holds something other than one `X509Data` of `X509Certificate`s.
    #[error("signature {signature}: KeyInfo may only hold X509Data/X509Certificate, found {found}")]
    KeyInfoNotAllowed {
        /// Signature Id.
        signature: String,
        /// The element found.
        found: String,
    },
    /// No certificate in `KeyInfo`.
    #[error("signature {signature}: no certificate in KeyInfo")]
    MissingCertificate {
        /// Signature Id.
        signature: String,
    },
    /// The signer certificate cannot be read.
    #[error("signature {signature}: bad certificate: {reason}")]
    BadCertificate {
        /// Signature Id.
        signature: String,
        /// Why.
        reason: String,
    },
    /// The certificate key type does not match the signature method.
    #[error("signature {signature}: certificate key does not match signature method")]
    KeyAlgorithmMismatch {
        /// Signature Id.
        signature: String,
    },
    /// The signed certificate digest does not match the certificate in `KeyInfo`.
    #[error("signature {signature}: signed certificate digest does not match KeyInfo")]
    CertificateDigestMismatch {
        /// Signature Id.
        signature: String,
    },
    /// The trust policy refused the certificate chain.
    #[error("signature {signature}: untrusted signer: {source}")]
    Untrusted {
        /// Signature Id.
        signature: String,
        /// The policy's reason.
        #[source]
        source: TrustError,
    },
    /// The signature value does not verify over the canonical `SignedInfo`.
    #[error("signature {signature}: signature value does not verify")]
    BadSignatureValue {
        /// Signature Id.
        signature: String,
    },
    /// A reference digest does not match the referenced content.
    #[error("signature {signature}: digest of {uri:?} does not match (content changed)")]
    DigestMismatch {
        /// Signature Id.
        signature: String,
        /// The reference URI.
        uri: String,
    },
    /// Signed properties missing or malformed (signing time, role, certificate digest).
    #[error("signature {signature}: bad signed properties: {reason}")]
    BadProperties {
        /// Signature Id.
        signature: String,
        /// Why.
        reason: String,
    },
    /// Invalid base64 in a digest, signature or certificate.
    #[error("signature {signature}: invalid base64 in {what}")]
    BadBase64 {
        /// Signature Id.
        signature: String,
        /// Which element.
        what: &'static str,
    },
}

impl VerifyError {
    /// A stable machine-readable code, one per variant.
    pub fn code(&self) -> &'static str {
        use VerifyError as E;
        match self {
            E::TooLarge { .. } => "too_large",
            E::TooDeep { .. } => "too_deep",
            E::TooManyNodes { .. } => "too_many_nodes",
            E::TooManySignatures { .. } => "too_many_signatures",
            E::TooManyReferences { .. } => "too_many_references",
            E::NotUtf8 => "not_utf8",
            E::DtdForbidden => "dtd_forbidden",
            E::MalformedXml(_) => "malformed_xml",
            E::UnsupportedNamespaceUri { .. } => "unsupported_namespace_uri",
            E::CommentOrPi { .. } => "comment_or_pi",
            E::DuplicateId { .. } => "duplicate_id",
            E::MissingDataElement { .. } => "missing_data_element",
            E::DuplicateDataElement { .. } => "duplicate_data_element",
            E::MissingDataId => "missing_data_id",
            E::MissingContainer { .. } => "missing_container",
            E::UnexpectedContent { .. } => "unexpected_content",
            E::NoSignatures => "no_signatures",
            E::MissingSignature { .. } => "missing_signature",
            E::ExtraSignature { .. } => "extra_signature",
            E::SignatureOutOfOrder { .. } => "signature_out_of_order",
            E::RoleMismatch { .. } => "role_mismatch",
            E::MalformedSignature { .. } => "malformed_signature",
            E::UnsupportedCanonicalization { .. } => "unsupported_canonicalization",
            E::WeakAlgorithm { .. } => "weak_algorithm",
            E::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            E::ForbiddenTransform { .. } => "forbidden_transform",
            E::WrongTransforms { .. } => "wrong_transforms",
            E::ExternalReference { .. } => "external_reference",
            E::UnresolvedReference { .. } => "unresolved_reference",
            E::UnexpectedReference { .. } => "unexpected_reference",
            E::MissingReference { .. } => "missing_reference",
            E::KeyInfoNotAllowed { .. } => "key_info_not_allowed",
            E::MissingCertificate { .. } => "missing_certificate",
            E::BadCertificate { .. } => "bad_certificate",
            E::KeyAlgorithmMismatch { .. } => "key_algorithm_mismatch",
            E::CertificateDigestMismatch { .. } => "certificate_digest_mismatch",
            E::Untrusted { .. } => "untrusted",
            E::BadSignatureValue { .. } => "bad_signature_value",
            E::DigestMismatch { .. } => "digest_mismatch",
            E::BadProperties { .. } => "bad_properties",
            E::BadBase64 { .. } => "bad_base64",
        }
    }
}

/// Why a signature could not be added.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// The document breaks the profile (same reasons verification would give).
    #[error("document cannot be signed: {0}")]
    InvalidDocument(#[source] VerifyError),
    /// A signature property cannot be written (control characters, time out of range…).
    #[error("invalid signature property: {0}")]
    InvalidProperty(String),
    /// The certificate chain is empty or its first certificate cannot be read.
    #[error("unusable signer certificate: {0}")]
    BadCertificate(String),
    /// The signer's key type does not match the requested algorithm.
    #[error("signature algorithm does not match the signer's certificate key")]
    AlgorithmMismatch,
    /// The signer backend failed.
    #[error(transparent)]
    Signer(#[from] crate::signer::SignerError),
    /// The signature value handed to [`Prepared::finish`](crate::Prepared::finish) does
    /// not verify with the signer's certificate (wrong key, wrong format, corrupted).
    #[error("the signature value does not verify with the signer's certificate")]
    SignatureValueInvalid,
}

impl SignError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SignError::InvalidDocument(e) => e.code(),
            SignError::InvalidProperty(_) => "invalid_property",
            SignError::BadCertificate(_) => "bad_signer_certificate",
            SignError::AlgorithmMismatch => "algorithm_mismatch",
            SignError::Signer(_) => "signer_failed",
            SignError::SignatureValueInvalid => "signature_value_invalid",
        }
    }
}
