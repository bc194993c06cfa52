//! A trust policy that accepts every chain, so fuzzing reaches signature and digest checks.

use xmldsig::{CertSummary, TrustError, TrustPolicy};

pub struct AcceptAll;

impl TrustPolicy for AcceptAll {
    fn validate(&self, chain: &[Vec<u8>], _at: i64) -> Result<CertSummary, TrustError> {
        let leaf = chain
            .first()
            .ok_or_else(|| TrustError::Malformed("empty".into()))?;
        xmldsig::der::summarize_certificate(leaf).map_err(|e| TrustError::Malformed(e.to_string()))
    }
}

pub fn layout() -> xmldsig::ChainLayout {
    xmldsig::ChainLayout::new(
        "urn:hocba:record:1",
        "DuLieu",
        "urn:hocba:record:1",
        "ChuKySo",
    )
}
