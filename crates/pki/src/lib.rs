#![doc = include_str!("../README.md")]

mod demo;
mod error;
pub mod pem;
mod pkcs11;
mod software;
mod trust;

pub use demo::{
    DEMO_P12_PASSWORD, DEMO_ROOT_CN, DEMO_SCHOOL_NAME, DEMO_SCHOOLS, DemoCa, DemoFile,
    DemoIdentity, DemoPki, DemoSchool, demo_pki,
};
pub use error::{DemoError, KeyError, LoadError, ValidationError};
pub use pkcs11::{Pkcs11Config, Pkcs11Signer};
pub use software::Pkcs12Signer;
pub use trust::{ACCEPTED_EKUS, CertInfo, DEFAULT_MAX_INTERMEDIATES, TrustStore, ValidatedPath};
pub use xmldsig::{SignatureAlgorithm, Signer, TrustPolicy};
