//! Read-only queries for the registry's operator (STORIES #26): ingest and rejection
//! counts over a time window (`hocba registry stats`), and the stored records one keyset
//! page at a time (`hocba registry check-store`, run after a restore).
//!
//! Nothing here writes. Times are Unix seconds given by the caller. Rows of the page are
//! returned as stored, without parsing them into domain types, so that an integrity check
//! can report a damaged row instead of failing on it.

use crate::row::RowExt;
use crate::{Result, Store, dispatch};

/// Stored records in one hour of the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourCount {
    /// Start of the hour (Unix seconds, a multiple of 3600).
    pub hour_start: i64,
    /// Records stored (`received_at`) in that hour.
    pub stored: i64,
}

/// Ingest refusals of one rejection code in the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectionCodeCount {
    /// The stable code of `registry::Rejection` (`signature`, `seal-not-approved`, …).
    pub code: String,
    /// Refused posts (a document sent twice counts twice).
    pub attempts: i64,
    /// Distinct documents (by digest) refused.
    pub documents: i64,
}

/// What the registry did since a point in time, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryStats {
    /// Records stored per hour, oldest first; hours with none are absent.
    pub hourly: Vec<HourCount>,
    /// Records stored in the window (the sum of `hourly`).
    pub stored_in_window: i64,
    /// Records stored in all, whenever received.
    pub stored_total: i64,
    /// Refusals in the window by code, ordered by code.
    pub rejections: Vec<RejectionCodeCount>,
    /// Certificates submitted by schools still waiting for a decision ("Chờ phê duyệt"),
    /// whenever submitted.
    pub pending_certificates: i64,
    /// Revocation requests still waiting for a decision, whenever requested.
    pub pending_revocations: i64,
    /// Schools known to the registry with neither a stored record nor a refusal in the
    /// window (`MaTruong`, ordered).
    pub silent_schools: Vec<String>,
}

/// One stored record as it is in `registry_records`, for an integrity check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRegistryRow {
    /// `MaHocSinh` (first half of the key).
    pub student_code: String,
    /// `MaDinhDanhHocBa` (second half of the key).
    pub record_id: String,
    /// `PhienBan`.
    pub version: i64,
    /// The stored digest: SHA-256 (lowercase hex) the XML should have.
    pub digest: String,
    /// The stored XML.
    pub xml: String,
    /// The stored receipt document.
    pub receipt: String,
    /// When it was stored (Unix seconds).
    pub received_at: i64,
    /// `current` or `revoked`, as stored.
    pub status: String,
    /// When it was revoked.
    pub revoked_at: Option<i64>,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
}

impl Store {
    /// The registry's counts for the window from `since` (inclusive) on; see
    /// [`RegistryStats`]. Reads only.
    pub async fn registry_stats(&self, since: i64) -> Result<RegistryStats> {
        dispatch!(self, |pool, _begin| {
            let hourly = sqlx::query(
                "SELECT received_at / 3600 AS hour, COUNT(*) AS stored FROM registry_records \
                 WHERE received_at >= $1 GROUP BY received_at / 3600 ORDER BY hour",
            )
            .bind(since)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok(HourCount {
                    hour_start: r.int("hour")? * 3600,
                    stored: r.int("stored")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
            let stored_total = sqlx::query("SELECT COUNT(*) AS n FROM registry_records")
                .fetch_one(pool)
                .await?
                .int("n")?;
            let rejections = sqlx::query(
                "SELECT code, COUNT(*) AS attempts, COUNT(DISTINCT digest) AS documents \
                 FROM registry_rejections WHERE rejected_at >= $1 GROUP BY code ORDER BY code",
            )
            .bind(since)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok(RejectionCodeCount {
                    code: r.text("code")?,
                    attempts: r.int("attempts")?,
                    documents: r.int("documents")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
            let pending_certificates = sqlx::query(
                "SELECT COUNT(*) AS n FROM registry_certificates WHERE status = 'pending'",
            )
            .fetch_one(pool)
            .await?
            .int("n")?;
            let pending_revocations = sqlx::query(
                "SELECT COUNT(*) AS n FROM registry_revocations WHERE status = 'pending'",
            )
            .fetch_one(pool)
            .await?
            .int("n")?;
            let silent_schools = sqlx::query(
                "SELECT code FROM registry_schools s WHERE NOT EXISTS \
                 (SELECT 1 FROM registry_records r WHERE r.school_code = s.code \
                  AND r.received_at >= $1) \
                 AND NOT EXISTS (SELECT 1 FROM registry_rejections j \
                  WHERE j.school_code = s.code AND j.rejected_at >= $1) \
                 ORDER BY code",
            )
            .bind(since)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| r.text("code"))
            .collect::<Result<Vec<_>>>()?;
            Ok(RegistryStats {
                stored_in_window: hourly.iter().map(|h| h.stored).sum(),
                hourly,
                stored_total,
                rejections,
                pending_certificates,
                pending_revocations,
                silent_schools,
            })
        })
    }

    /// At most `limit` stored records ordered by `(student_code, record_id)`, starting
    /// strictly after the key `after` (`None`: from the first). Keyset pagination: each
    /// page is one index range scan, so walking the whole table needs constant memory
    /// and no OFFSET. An empty page means the walk is done.
    pub async fn registry_records_page(
        &self,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Vec<StoredRegistryRow>> {
        const COLUMNS: &str = "SELECT student_code, record_id, version, digest, xml, receipt, \
             received_at, status, revoked_at, revoked_reason FROM registry_records";
        let limit = i64::from(limit);
        dispatch!(self, |pool, _begin| {
            let rows = match after {
                None => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "{COLUMNS} ORDER BY student_code, record_id LIMIT $1"
                    )))
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
                }
                Some((student, record)) => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "{COLUMNS} WHERE (student_code, record_id) > ($1, $2) \
                         ORDER BY student_code, record_id LIMIT $3"
                    )))
                    .bind(student)
                    .bind(record)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
                }
            };
            rows.iter().map(stored_row).collect()
        })
    }
}

fn stored_row(r: &impl RowExt) -> Result<StoredRegistryRow> {
    Ok(StoredRegistryRow {
        student_code: r.text("student_code")?,
        record_id: r.text("record_id")?,
        version: r.int("version")?,
        digest: r.text("digest")?,
        xml: r.text("xml")?,
        receipt: r.text("receipt")?,
        received_at: r.int("received_at")?,
        status: r.text("status")?,
        revoked_at: r.opt_int("revoked_at")?,
        revoked_reason: r.opt_text("revoked_reason")?,
    })
}
