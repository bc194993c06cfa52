#![doc = include_str!("../README.md")]

pub mod c14n;
pub mod der;
mod error;
mod profile;
mod sign;
mod signer;
pub mod testing;
mod time;
mod trust;
mod verify;

pub use error::{SignError, VerifyError};
pub use profile::Limits;
pub use sign::{ChainLayout, Prepared, SignatureProperties, prepare_next_signature, sign_next};
pub use signer::{
    SignatureAlgorithm, Signer, SignerError, SoftwareSigner, certificates_from_pem_or_der,
};
pub use trust::{CertSummary, TrustError, TrustPolicy};
pub use verify::{
    ChainReport, SignatureReport, SignaturesReport, verify_chain, verify_chain_with_limits,
    verify_signatures_only, verify_signatures_only_with_limits,
};

/// XMLDSig namespace (prefix `ds` in what we write).
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// Namespace of our signed signature properties (prefix `hs`).
pub const PROPS_NS: &str = "urn:hocba:sig:1";
/// Exclusive XML Canonicalization 1.0 without comments.
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// The enveloped-signature transform (accepted only by [`verify_signatures_only`]).
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// SHA-256 digest method.
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// RSA PKCS#1 v1.5 with SHA-256.
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// ECDSA with SHA-256.
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
