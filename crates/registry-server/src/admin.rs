//! Operator actions run from the command line (`hocba registry add-school`,
//! `approve-seal`, the demo seed) until the supervisor's pages exist.

use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use domain::Level;
use store::{NewRegistrySchool, NewSealApproval, Store};

/// Why an operator action failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// The certificate file holds no usable certificate.
    #[error("certificate: {0}")]
    Certificate(String),
    /// The system random generator failed.
    #[error("no randomness for the API token")]
    Random,
    /// The store refused (unknown school, code taken, invalid value) or failed.
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// A fresh API token (`hocba_` + 64 hex digits, 256 random bits). Shown once to the
/// operator; the registry keeps only [`token_sha256`] of it.
pub fn new_api_token() -> Result<String, AdminError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AdminError::Random)?;
    Ok(format!("hocba_{}", hex::encode(bytes)))
}

/// SHA-256 of a token, lowercase hex: what the registry stores and looks up.
pub fn token_sha256(token: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, token.as_bytes()))
}

/// Adds a school to the registry and returns its new API token (the only time it is
/// visible).
pub async fn add_school(
    store: &Store,
    school: &SchoolEntry,
    now: i64,
) -> Result<String, AdminError> {
    let token = new_api_token()?;
    store
        .insert_registry_school(&NewRegistrySchool {
            code: school.code.clone(),
            name: school.name.clone(),
            level: school.level,
            authority: school.authority.clone(),
            token_sha256: token_sha256(&token),
            created_at: now,
        })
        .await?;
    Ok(token)
}

/// A school to add: code, name, level and supervising authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolEntry {
    /// `MaTruong`.
    pub code: String,
    /// Tên trường.
    pub name: String,
    /// The level it teaches.
    pub level: Level,
    /// The supervising authority.
    pub authority: String,
}

/// What [`approve_seal`] recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovedSeal {
    /// Row id of the approval.
    pub id: i64,
    /// SHA-256 of the certificate.
    pub fingerprint: String,
    /// Subject of the certificate.
    pub subject: String,
    /// Issuer of the certificate.
    pub issuer: String,
    /// Validity of the certificate (Unix seconds).
    pub not_before: i64,
    /// End of validity (Unix seconds).
    pub not_after: i64,
}

/// Approves the first certificate in `cert` (PEM or DER) as `school`'s seal, for
/// signatures made from the certificate's `notBefore` on (the approval vouches that the
/// certificate is the school's for its whole validity; withdrawing it ends that).
pub async fn approve_seal(
    store: &Store,
    school: &str,
    cert: &[u8],
    approved_by: &str,
    now: i64,
) -> Result<ApprovedSeal, AdminError> {
    let ders = xmldsig::certificates_from_pem_or_der(cert)
        .map_err(|e| AdminError::Certificate(e.to_string()))?;
    let der = ders
        .first()
        .ok_or_else(|| AdminError::Certificate("no certificate in the file".to_owned()))?;
    let info = pki::CertInfo::from_der(der).map_err(AdminError::Certificate)?;
    let fingerprint = info.sha256_fingerprint.to_ascii_lowercase();
    let id = store
        .insert_seal_approval(&NewSealApproval {
            school_code: school.to_owned(),
            fingerprint: fingerprint.clone(),
            subject: info.subject.clone(),
            approved_from: info.not_before,
            approved_until: None,
            approved_by: approved_by.to_owned(),
            approved_at: now,
        })
        .await?;
    Ok(ApprovedSeal {
        id,
        fingerprint,
        subject: info.subject,
        issuer: info.issuer,
        not_before: info.not_before,
        not_after: info.not_after,
    })
}

/// Demo only: adds each school that is missing (returning its new token) and approves,
/// for that school only, each seal certificate listed with it (PEM or DER, the first
/// certificate of each counts) that has no live approval there yet. Running it twice adds
/// nothing.
///
/// # Errors
/// [`AdminError::Certificate`] if a seal is not a certificate; store errors.
pub async fn seed_demo(
    store: &Store,
    schools: &[(SchoolEntry, Vec<Vec<u8>>)],
    now: i64,
) -> Result<Vec<(String, Option<String>)>, AdminError> {
    // Every certificate is checked before anything is written.
    let fingerprints = schools
        .iter()
        .map(|(_, seals)| seals.iter().map(|seal| seal_fingerprint(seal)).collect())
        .collect::<Result<Vec<Vec<_>>, AdminError>>()?;
    let mut out = Vec::new();
    for ((school, seals), fingerprints) in schools.iter().zip(fingerprints) {
        let token = match store.registry_school(&school.code).await? {
            Some(_) => None,
            None => Some(add_school(store, school, now).await?),
        };
        for (seal_cert, fingerprint) in seals.iter().zip(fingerprints) {
            let approved = store
                .seal_approvals(&school.code)
                .await?
                .iter()
                .any(|a| a.fingerprint == fingerprint && a.withdrawn_at.is_none());
            if !approved {
                approve_seal(store, &school.code, seal_cert, "demo", now).await?;
            }
        }
        out.push((school.code.clone(), token));
    }
    Ok(out)
}

/// The lowercase SHA-256 fingerprint of the first certificate of `cert` (PEM or DER).
fn seal_fingerprint(cert: &[u8]) -> Result<String, AdminError> {
    let ders = xmldsig::certificates_from_pem_or_der(cert)
        .map_err(|e| AdminError::Certificate(e.to_string()))?;
    let der = ders
        .first()
        .ok_or_else(|| AdminError::Certificate("no certificate in the file".to_owned()))?;
    Ok(pki::CertInfo::from_der(der)
        .map_err(AdminError::Certificate)?
        .sha256_fingerprint
        .to_ascii_lowercase())
}
