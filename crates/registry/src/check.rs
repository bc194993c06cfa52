//! Full verification of a record sent to the registry (DESIGN.md §6): nothing is stored
//! before every check passes; a rejection carries a code and a Vietnamese reason.

use std::collections::HashMap;

use aws_lc_rs::digest;
use domain::{Grade, Level, SchoolYear, StudentCode};
use record::RecordId;
use xmldsig::{ChainLayout, TrustPolicy, VerifyError};

/// Which seal certificates each school's supervising authority has approved
/// ("Phê duyệt chứng thư số"). The registry accepts a record only when its seal
/// signature was made with a certificate approved for the record's school at the time of
/// signing.
pub trait SealApprovals {
    /// Whether the certificate with SHA-256 fingerprint `fingerprint_hex` (lowercase hex
    /// of the DER) was approved for school `school_code` at `at_unix`.
    fn is_approved(&self, school_code: &str, fingerprint_hex: &str, at_unix: i64) -> bool;
}

/// Approvals held in memory: per school, certificate fingerprints with the period in
/// which each approval holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovedSeals {
    by_school: HashMap<String, Vec<Approval>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Approval {
    fingerprint: String,
    from: i64,
    until: Option<i64>,
}

impl ApprovedSeals {
    /// No approvals.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that the certificate `fingerprint_hex` is approved for `school_code` from
    /// `from_unix` on, until `until_unix` when the approval is withdrawn (if ever).
    pub fn approve(
        &mut self,
        school_code: &str,
        fingerprint_hex: &str,
        from_unix: i64,
        until_unix: Option<i64>,
    ) {
        self.by_school
            .entry(school_code.to_string())
            .or_default()
            .push(Approval {
                fingerprint: fingerprint_hex.to_ascii_lowercase(),
                from: from_unix,
                until: until_unix,
            });
    }
}

impl SealApprovals for ApprovedSeals {
    fn is_approved(&self, school_code: &str, fingerprint_hex: &str, at_unix: i64) -> bool {
        self.by_school.get(school_code).is_some_and(|list| {
            list.iter().any(|a| {
                a.fingerprint.eq_ignore_ascii_case(fingerprint_hex)
                    && a.from <= at_unix
                    && a.until.is_none_or(|u| at_unix < u)
            })
        })
    }
}

/// What the registry learned from an accepted record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// `MaDinhDanhHocBa`.
    pub record_id: RecordId,
    /// `PhienBan`.
    pub version: u32,
    /// The record this one replaces, if any.
    pub supersedes: Option<RecordId>,
    /// `MaHocSinh`: the distribution key of the registry's tables.
    pub student: StudentCode,
    /// `MaTruong`.
    pub school_code: String,
    /// The level.
    pub level: Level,
    /// The school year.
    pub year: SchoolYear,
    /// The grade.
    pub grade: Grade,
    /// SHA-256 of the exact bytes received (lowercase hex): the idempotency key.
    pub digest: String,
    /// Each signature: role, signer certificate fingerprint, signing time.
    pub signers: Vec<Signer>,
}

/// One verified signature of an accepted record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// GVCN, HT, GD or DAU.
    pub role: String,
    /// Subject of the certificate.
    pub subject: String,
    /// SHA-256 fingerprint of the certificate.
    pub fingerprint: String,
    /// Signing time (Unix seconds) from the signed properties.
    pub signing_time: i64,
}

/// Why the registry refuses a record. Every variant has a stable [`code`](Self::code)
/// for machines and a Vietnamese [`message_vi`](Self::message_vi) for the school UI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The document is not a well-formed record of schema v1.
    #[error("malformed record [{code}]: {detail}")]
    Malformed {
        /// The record parser's code.
        code: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The record cannot be signed at all (no personal ID, inconsistent identity).
    #[error("record not signable: {0}")]
    NotSignable(String),
    /// The chain lacks signatures (the registry takes complete records only).
    #[error("signature chain incomplete: {found} of {expected}")]
    IncompleteChain {
        /// Signatures present.
        found: usize,
        /// Signatures the level's chain needs.
        expected: usize,
    },
    /// A signature, its order, or a signer's certificate does not verify.
    #[error("signature invalid [{code}]: {detail}")]
    Signature {
        /// The xmldsig code.
        code: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The seal certificate is not approved for this school at signing time.
    #[error("seal certificate {fingerprint} is not approved for school {school}")]
    SealNotApproved {
        /// `MaTruong` of the record.
        school: String,
        /// Fingerprint of the seal certificate.
        fingerprint: String,
    },
    /// Recomputing the results from the record's inputs gives other values.
    #[error("recomputation mismatch: {0}")]
    RecomputeMismatch(String),
}

impl Rejection {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Malformed { .. } => "malformed",
            Rejection::NotSignable(_) => "not-signable",
            Rejection::IncompleteChain { .. } => "incomplete-chain",
            Rejection::Signature { .. } => "signature",
            Rejection::SealNotApproved { .. } => "seal-not-approved",
            Rejection::RecomputeMismatch(_) => "recompute-mismatch",
        }
    }

    /// The sentence the school UI shows.
    pub fn message_vi(&self) -> String {
        match self {
            Rejection::Malformed { detail, .. } => {
                format!("Tệp học bạ không đúng cấu trúc quy định: {detail}.")
            }
            Rejection::NotSignable(detail) => {
                format!("Học bạ chưa đủ điều kiện ký số: {detail}.")
            }
            Rejection::IncompleteChain { found, expected } => format!(
                "Học bạ mới có {found}/{expected} chữ ký số; cần đủ chữ ký giáo viên chủ nhiệm, thủ trưởng đơn vị và dấu đơn vị."
            ),
            Rejection::Signature { code, .. } => {
                format!(
                    "Chữ ký số không hợp lệ hoặc nội dung đã bị thay đổi sau khi ký (mã lỗi {code})."
                )
            }
            Rejection::SealNotApproved { school, .. } => format!(
                "Chứng thư số của dấu đơn vị chưa được cơ quan quản lý phê duyệt cho trường {school} tại thời điểm ký."
            ),
            Rejection::RecomputeMismatch(_) => {
                "Kết quả tính lại từ điểm trong học bạ không khớp với kết quả đã ghi.".to_string()
            }
        }
    }
}

/// The signature layout of a record: `DuLieu` then `ChuKySo`.
pub fn layout() -> ChainLayout {
    ChainLayout::new(
        record::NAMESPACE,
        record::DATA_ELEMENT,
        record::NAMESPACE,
        record::SIGNATURES_ELEMENT,
    )
}

/// Verifies a record as the registry must before storing it: strict parsing, the
/// record is signable, the complete signature chain in the level's order with every
/// signer trusted by `trust` at its signing time, the seal certificate approved for the
/// record's school at signing time, and the recomputation of every value.
pub fn check_record(
    doc: &[u8],
    trust: &dyn TrustPolicy,
    approvals: &dyn SealApprovals,
) -> Result<Accepted, Rejection> {
    check_parsed(doc, &parse(doc)?, trust, approvals)
}

/// The strict parse that [`check_record`] starts with, as a rejection when it fails.
pub fn parse(doc: &[u8]) -> Result<record::Document, Rejection> {
    record::parse_document(doc).map_err(|e| Rejection::Malformed {
        code: e.code(),
        detail: e.to_string(),
    })
}

/// [`check_record`] for a document already parsed with [`parse`] (`parsed` must be the
/// parse of `doc`), so that a caller who reads the record first does not parse it twice.
pub fn check_parsed(
    doc: &[u8],
    parsed: &record::Document,
    trust: &dyn TrustPolicy,
    approvals: &dyn SealApprovals,
) -> Result<Accepted, Rejection> {
    let r = &parsed.record;
    if let Some(blocker) = r.signing_blockers().first() {
        return Err(Rejection::NotSignable(blocker.to_string()));
    }
    let roles = record::default_chain_codes(r.school.level);
    if parsed.signatures.len() < roles.len() {
        return Err(Rejection::IncompleteChain {
            found: parsed.signatures.len(),
            expected: roles.len(),
        });
    }
    let report =
        xmldsig::verify_chain(doc, &layout(), trust, Some(&roles)).map_err(|e: VerifyError| {
            Rejection::Signature {
                code: e.code(),
                detail: e.to_string(),
            }
        })?;
    let signers: Vec<Signer> = report
        .signatures
        .iter()
        .map(|s| Signer {
            role: s.role.clone().unwrap_or_default(),
            subject: s.signer.subject.clone(),
            fingerprint: s.signer.sha256_fingerprint.to_ascii_lowercase(),
            signing_time: s.signing_time.unwrap_or(s.validated_at),
        })
        .collect();
    let school = r.school.code.to_string();
    let seal = signers
        .last()
        .filter(|s| s.role == record::SignerRole::Seal.code())
        .ok_or(Rejection::IncompleteChain {
            found: signers.len(),
            expected: roles.len(),
        })?;
    if !approvals.is_approved(&school, &seal.fingerprint, seal.signing_time) {
        return Err(Rejection::SealNotApproved {
            school,
            fingerprint: seal.fingerprint.clone(),
        });
    }
    if let Err(mismatches) = record::recompute_check(r) {
        let detail = mismatches
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Rejection::RecomputeMismatch(detail));
    }
    Ok(Accepted {
        record_id: r.id,
        version: r.version.get(),
        supersedes: r.supersedes.map(|s| s.id),
        student: r.student.code.clone(),
        school_code: school,
        level: r.school.level,
        year: r.class.year,
        grade: r.class.grade,
        digest: hex::encode(digest::digest(&digest::SHA256, doc)),
        signers,
    })
}
