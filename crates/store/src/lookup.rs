//! The registry's revocation requests, share codes and lookup rate limit (migration 0008).
//!
//! - "Đề nghị thu hồi" / "Phê duyệt thu hồi" (STORIES #15, #20): a school asks for a
//!   stored record to be revoked; the supervising authority approves (the record is then
//!   revoked in the same transaction) or rejects with a comment.
//! - "Mã chia sẻ" (STORIES #23): codes a student hands to a receiving school, stored only
//!   as their SHA-256, with an expiry, revocable.
//! - "Tra cứu học bạ" (STORIES #22): failed attempts per bucket for the rate limit.
//!
//! Times are Unix seconds passed in by the caller; codes arrive already hashed.

use domain::StudentCode;

use crate::row::{self, RowExt};
use crate::{Error, Result, Store, dispatch};

/// A revocation request to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRevocation {
    /// `MaHocSinh` of the record.
    pub student_code: StudentCode,
    /// `MaDinhDanhHocBa` of the record to revoke.
    pub record_id: String,
    /// The school asking (must be the record's school; the caller checks).
    pub school_code: String,
    /// Why (shown to the supervisor and, once approved, on the verify page).
    pub reason: String,
    /// When it was asked (Unix seconds).
    pub requested_at: i64,
}

/// Where a revocation request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationStatus {
    /// "Chờ phê duyệt".
    Pending,
    /// "Đã phê duyệt": the record is revoked.
    Approved,
    /// "Từ chối".
    Rejected,
}

impl RevocationStatus {
    /// Stable code (`pending`, `approved`, `rejected`).
    pub fn code(self) -> &'static str {
        match self {
            RevocationStatus::Pending => "pending",
            RevocationStatus::Approved => "approved",
            RevocationStatus::Rejected => "rejected",
        }
    }

    /// What a page says.
    pub fn label_vi(self) -> &'static str {
        match self {
            RevocationStatus::Pending => "Chờ phê duyệt",
            RevocationStatus::Approved => "Đã phê duyệt",
            RevocationStatus::Rejected => "Từ chối",
        }
    }
}

/// A stored revocation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// Row id.
    pub id: i64,
    /// `MaHocSinh`.
    pub student_code: StudentCode,
    /// `MaDinhDanhHocBa`.
    pub record_id: String,
    /// The school that asked.
    pub school_code: String,
    /// Why.
    pub reason: String,
    /// When it was asked.
    pub requested_at: i64,
    /// Where it stands.
    pub status: RevocationStatus,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<i64>,
    /// The supervisor's comment.
    pub comment: Option<String>,
}

/// A share code to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShareCode {
    /// SHA-256 (lowercase hex) of the code; the code itself is never stored.
    pub code_sha256: String,
    /// Whose records.
    pub student_code: StudentCode,
    /// One record, or `None` for all of the student's records.
    pub record_id: Option<String>,
    /// When it was made.
    pub created_at: i64,
    /// From this time on it opens nothing.
    pub expires_at: i64,
}

/// A stored share code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareCode {
    /// Row id (what the student names to revoke it).
    pub id: i64,
    /// Whose records.
    pub student_code: StudentCode,
    /// One record, or all.
    pub record_id: Option<String>,
    /// When it was made.
    pub created_at: i64,
    /// When it expires.
    pub expires_at: i64,
    /// When the student revoked it.
    pub revoked_at: Option<i64>,
}

impl ShareCode {
    /// Whether it opens anything at `now`.
    pub fn is_active(&self, now: i64) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

const REVOCATION_COLUMNS: &str = "id, student_code, record_id, school_code, reason, \
     requested_at, status, decided_by, decided_at, comment";
const SHARE_COLUMNS: &str = "id, student_code, record_id, created_at, expires_at, revoked_at";

impl Store {
    /// Records a pending revocation request and returns its id. [`Error::NotFound`] when
    /// no current record of that school has this id, [`Error::Conflict`] when a request
    /// for it is pending already, [`Error::Invalid`] for an empty reason.
    pub async fn insert_revocation(&self, new: &NewRevocation) -> Result<i64> {
        let sql = "INSERT INTO registry_revocations (student_code, record_id, school_code, \
                   reason, requested_at) SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 \
                   FROM registry_records WHERE student_code = $1 AND record_id = $2 \
                   AND school_code = $3 AND status = 'current') RETURNING id";
        dispatch!(self, |pool, _begin| {
            let row = sqlx::query(sql)
                .bind(new.student_code.to_string())
                .bind(&new.record_id)
                .bind(&new.school_code)
                .bind(&new.reason)
                .bind(new.requested_at)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(r) => r.int("id"),
                None => Err(Error::not_found("current registry record of that school")),
            }
        })
    }

    /// One request by id.
    pub async fn revocation(&self, id: i64) -> Result<Option<Revocation>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {REVOCATION_COLUMNS} FROM registry_revocations WHERE id = $1"
        ));
        dispatch!(self, |pool, _begin| {
            let row = sqlx::query(sql).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(revocation).transpose()
        })
    }

    /// Requests, newest first: all of them, or only those with `status`.
    pub async fn revocations(&self, status: Option<RevocationStatus>) -> Result<Vec<Revocation>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {REVOCATION_COLUMNS} FROM registry_revocations \
             WHERE $1 = '' OR status = $1 ORDER BY id DESC"
        ));
        let status = status.map_or("", RevocationStatus::code);
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(sql).bind(status).fetch_all(pool).await?;
            rows.iter().map(revocation).collect()
        })
    }

    /// Every request about one record, oldest first.
    pub async fn revocations_of_record(
        &self,
        student: &StudentCode,
        record_id: &str,
    ) -> Result<Vec<Revocation>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {REVOCATION_COLUMNS} FROM registry_revocations \
             WHERE student_code = $1 AND record_id = $2 ORDER BY id"
        ));
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(sql)
                .bind(student.to_string())
                .bind(record_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(revocation).collect()
        })
    }

    /// Decides a pending request ("Phê duyệt thu hồi"). On approval the record is revoked
    /// at `at` with the request's reason, in the same transaction. Returns the decided
    /// request. [`Error::NotFound`] when no pending request has this id (unknown or
    /// decided already), [`Error::Invalid`] for an empty `by`.
    pub async fn decide_revocation(
        &self,
        id: i64,
        approve: bool,
        by: &str,
        comment: &str,
        at: i64,
    ) -> Result<Revocation> {
        let status = if approve { "approved" } else { "rejected" };
        let comment = comment.trim();
        let comment = (!comment.is_empty()).then_some(comment);
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE registry_revocations SET status = $2, decided_by = $3, decided_at = $4, \
             comment = $5 WHERE id = $1 AND status = 'pending' RETURNING {REVOCATION_COLUMNS}"
        ));
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let row = sqlx::query(sql)
                .bind(id)
                .bind(status)
                .bind(by)
                .bind(at)
                .bind(comment)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Err(Error::not_found("pending revocation request"));
            };
            let decided = revocation(&row)?;
            if approve {
                let done = sqlx::query(
                    "UPDATE registry_records SET status = 'revoked', revoked_at = $3, \
                     revoked_reason = $4 WHERE student_code = $1 AND record_id = $2 \
                     AND status = 'current'",
                )
                .bind(decided.student_code.to_string())
                .bind(&decided.record_id)
                .bind(at)
                .bind(&decided.reason)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found("current registry record"));
                }
            }
            tx.commit().await?;
            Ok(decided)
        })
    }

    /// Stores a share code and returns its id. [`Error::Conflict`] when the hash is taken,
    /// [`Error::Invalid`] when it is not 64 lowercase hex digits or expires before it is
    /// made.
    pub async fn insert_share_code(&self, new: &NewShareCode) -> Result<i64> {
        dispatch!(self, |pool, _begin| {
            let row = sqlx::query(
                "INSERT INTO registry_share_codes (code_sha256, student_code, record_id, \
                 created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(&new.code_sha256)
            .bind(new.student_code.to_string())
            .bind(&new.record_id)
            .bind(new.created_at)
            .bind(new.expires_at)
            .fetch_one(pool)
            .await?;
            row.int("id")
        })
    }

    /// The share code with this hash, whether or not it is still active (the caller
    /// checks [`ShareCode::is_active`]).
    pub async fn share_code_by_hash(&self, code_sha256: &str) -> Result<Option<ShareCode>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SHARE_COLUMNS} FROM registry_share_codes WHERE code_sha256 = $1"
        ));
        dispatch!(self, |pool, _begin| {
            let row = sqlx::query(sql)
                .bind(code_sha256)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(share_code).transpose()
        })
    }

    /// Every share code of a student, newest first.
    pub async fn share_codes_of_student(&self, student: &StudentCode) -> Result<Vec<ShareCode>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SHARE_COLUMNS} FROM registry_share_codes WHERE student_code = $1 \
             ORDER BY id DESC"
        ));
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(sql)
                .bind(student.to_string())
                .fetch_all(pool)
                .await?;
            rows.iter().map(share_code).collect()
        })
    }

    /// Revokes one of the student's share codes at `at`. [`Error::NotFound`] when the
    /// student has no unrevoked code with this id.
    pub async fn revoke_share_code(&self, student: &StudentCode, id: i64, at: i64) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            let done = sqlx::query(
                "UPDATE registry_share_codes SET revoked_at = $3 \
                 WHERE id = $1 AND student_code = $2 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(student.to_string())
            .bind(at)
            .execute(pool)
            .await?;
            if done.rows_affected() == 0 {
                return Err(Error::not_found("share code"));
            }
            Ok(())
        })
    }

    /// How many failed lookup attempts each bucket has at or after `since`, in the order
    /// of `buckets`.
    pub async fn lookup_failures(&self, buckets: &[&str], since: i64) -> Result<Vec<i64>> {
        let mut counts = Vec::with_capacity(buckets.len());
        for bucket in buckets {
            let n = dispatch!(self, |pool, _begin| {
                let row = sqlx::query(
                    "SELECT COUNT(*) AS n FROM registry_lookup_attempts \
                     WHERE bucket = $1 AND attempted_at >= $2",
                )
                .bind(*bucket)
                .bind(since)
                .fetch_one(pool)
                .await?;
                row.int("n")
            })?;
            counts.push(n);
        }
        Ok(counts)
    }

    /// Records one failed attempt at `at` in each bucket, and forgets every attempt older
    /// than `forget_before` (one transaction).
    pub async fn record_lookup_failure(
        &self,
        buckets: &[&str],
        at: i64,
        forget_before: i64,
    ) -> Result<()> {
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            sqlx::query("DELETE FROM registry_lookup_attempts WHERE attempted_at < $1")
                .bind(forget_before)
                .execute(&mut *tx)
                .await?;
            for bucket in buckets {
                sqlx::query(
                    "INSERT INTO registry_lookup_attempts (bucket, attempted_at) VALUES ($1, $2)",
                )
                .bind(*bucket)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}

fn revocation(r: &impl RowExt) -> Result<Revocation> {
    Ok(Revocation {
        id: r.int("id")?,
        student_code: row::parse(&r.text("student_code")?, "student code")?,
        record_id: r.text("record_id")?,
        school_code: r.text("school_code")?,
        reason: r.text("reason")?,
        requested_at: r.int("requested_at")?,
        status: match r.text("status")?.as_str() {
            "pending" => RevocationStatus::Pending,
            "approved" => RevocationStatus::Approved,
            "rejected" => RevocationStatus::Rejected,
            other => {
                return Err(Error::invalid(format!(
                    "stored revocation status {other:?}"
                )));
            }
        },
        decided_by: r.opt_text("decided_by")?,
        decided_at: r.opt_int("decided_at")?,
        comment: r.opt_text("comment")?,
    })
}

fn share_code(r: &impl RowExt) -> Result<ShareCode> {
    Ok(ShareCode {
        id: r.int("id")?,
        student_code: row::parse(&r.text("student_code")?, "student code")?,
        record_id: r.opt_text("record_id")?,
        created_at: r.int("created_at")?,
        expires_at: r.int("expires_at")?,
        revoked_at: r.opt_int("revoked_at")?,
    })
}
