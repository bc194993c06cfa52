//! The registry's supervising authorities (migration 0007): supervisor accounts and the
//! schools each supervises, their login sessions, certificates submitted by schools for
//! approval ("Phê duyệt chứng thư số"), the counts schools report as expected, and ingest
//! rejections counted for the deadline dashboard.
//!
//! Scoping lives in the queries: every read or decision made for a supervisor joins
//! `registry_supervisor_schools`, so a supervisor can neither see nor decide a
//! certificate of a school they do not supervise, whatever the caller checked before.
//! Passwords arrive already hashed; session ids arrive as their SHA-256. Times are Unix
//! seconds passed in by the caller.

use crate::row::RowExt;
use crate::{Error, Result, Store, dispatch};

/// A supervisor account to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSupervisor {
    /// Login name (letters, digits, `.`, `_`, `-`).
    pub username: String,
    /// The supervising authority, e.g. "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh".
    pub authority: String,
    /// The argon2id PHC string of the password.
    pub password_hash: String,
    /// Codes of the supervised schools (each known to the registry).
    pub schools: Vec<String>,
    /// When it is created (Unix seconds).
    pub created_at: i64,
}

/// A stored supervisor account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supervisor {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// The supervising authority.
    pub authority: String,
    /// The argon2id PHC string of the password.
    pub password_hash: String,
    /// Codes of the supervised schools, sorted.
    pub schools: Vec<String>,
    /// Creation time (Unix seconds).
    pub created_at: i64,
}

/// A supervisor session to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSupervisorSession {
    /// SHA-256 of the cookie value, 64 lowercase hex digits.
    pub id_hash: String,
    /// The account.
    pub supervisor_id: i64,
    /// The anti-CSRF token every POST of the session carries (32–128 characters).
    pub csrf_token: String,
    /// Creation time (Unix seconds).
    pub created_at: i64,
    /// Expiry time (Unix seconds).
    pub expires_at: i64,
}

/// A stored supervisor session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisorSession {
    /// SHA-256 of the cookie value.
    pub id_hash: String,
    /// The account.
    pub supervisor_id: i64,
    /// The anti-CSRF token.
    pub csrf_token: String,
    /// Expiry time (Unix seconds).
    pub expires_at: i64,
}

/// A certificate a school submits for approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCertificate {
    /// The submitting school.
    pub school_code: String,
    /// SHA-256 of the DER, 64 lowercase hex digits.
    pub fingerprint: String,
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Start of validity (Unix seconds).
    pub not_before: i64,
    /// End of validity (Unix seconds).
    pub not_after: i64,
    /// The certificate in PEM.
    pub pem: String,
    /// When it was submitted (Unix seconds).
    pub submitted_at: i64,
}

/// Where a submitted certificate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateStatus {
    /// "Chờ phê duyệt".
    Pending,
    /// "Đã phê duyệt".
    Approved,
    /// "Từ chối".
    Rejected,
}

impl CertificateStatus {
    fn code(self) -> &'static str {
        match self {
            CertificateStatus::Pending => "pending",
            CertificateStatus::Approved => "approved",
            CertificateStatus::Rejected => "rejected",
        }
    }
}

/// A stored submission with its decision, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedCertificate {
    /// Row id.
    pub id: i64,
    /// The submitting school.
    pub school_code: String,
    /// SHA-256 of the DER.
    pub fingerprint: String,
    /// Subject.
    pub subject: String,
    /// Issuer.
    pub issuer: String,
    /// Start of validity.
    pub not_before: i64,
    /// End of validity.
    pub not_after: i64,
    /// The certificate in PEM.
    pub pem: String,
    /// Submission time.
    pub submitted_at: i64,
    /// Pending, approved or rejected.
    pub status: CertificateStatus,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When it was decided.
    pub decided_at: Option<i64>,
    /// The supervisor's comment (required for a rejection).
    pub comment: Option<String>,
    /// The seal approval written by an approval.
    pub approval_id: Option<i64>,
}

/// What [`Store::submit_certificate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// A new submission, pending, with this id.
    New(i64),
    /// The same certificate is already pending or approved for the school: that row.
    Existing(i64),
}

/// A supervisor's decision on a pending certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Approve: signatures made from `approved_from` on count for the school.
    Approve {
        /// Start of the approval (Unix seconds).
        approved_from: i64,
        /// Optional comment.
        comment: Option<String>,
    },
    /// Reject with a comment the school sees.
    Reject {
        /// Why (1–2000 characters).
        comment: String,
    },
}

/// Records expected by a school for one grade (reported by the school).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedCount {
    /// The grade (1–12).
    pub grade: u8,
    /// How many records the school expects to send.
    pub expected: i64,
}

/// Records received for one grade of a school year (distinct students, current records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedCount {
    /// The grade.
    pub grade: u8,
    /// Students with at least one accepted record.
    pub received: i64,
    /// Of those, received before the first deadline given to the query.
    pub before_deadline: i64,
}

/// Rejected ingests for one grade (distinct documents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RejectedCount {
    /// The grade, when the rejected document parsed far enough to tell.
    pub grade: Option<u8>,
    /// Distinct rejected documents.
    pub rejected: i64,
}

impl Store {
    /// Creates a supervisor account bound to its schools, in one transaction; returns its
    /// id. [`Error::Conflict`] when the username is taken, [`Error::NotFound`] when a
    /// school is unknown, [`Error::Invalid`] for a bad username or an empty school list.
    pub async fn insert_supervisor(&self, new: &NewSupervisor) -> Result<i64> {
        if new.schools.is_empty() {
            return Err(Error::invalid("a supervisor needs at least one school"));
        }
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let id = sqlx::query(
                "INSERT INTO registry_supervisors (username, authority, password_hash, \
                 created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(&new.username)
            .bind(&new.authority)
            .bind(&new.password_hash)
            .bind(new.created_at)
            .fetch_one(&mut *tx)
            .await?
            .int("id")?;
            for school in &new.schools {
                sqlx::query(
                    "INSERT INTO registry_supervisor_schools (supervisor_id, school_code) \
                     VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(school)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(id)
        })
    }

    /// The account with this login name, if any.
    pub async fn supervisor_by_username(&self, username: &str) -> Result<Option<Supervisor>> {
        self.supervisor_where("username = $1", username.to_owned())
            .await
    }

    /// The account with this id, if any.
    pub async fn supervisor(&self, id: i64) -> Result<Option<Supervisor>> {
        self.supervisor_where("id = $1", id).await
    }

    /// Creates a session. [`Error::NotFound`] for an unknown account, [`Error::Invalid`]
    /// for a malformed hash or token.
    pub async fn insert_supervisor_session(&self, s: &NewSupervisorSession) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO registry_supervisor_sessions (id_hash, supervisor_id, csrf_token, \
                 created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&s.id_hash)
            .bind(s.supervisor_id)
            .bind(&s.csrf_token)
            .bind(s.created_at)
            .bind(s.expires_at)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The session with this hash if it has not expired at `now`.
    pub async fn supervisor_session(
        &self,
        id_hash: &str,
        now: i64,
    ) -> Result<Option<SupervisorSession>> {
        dispatch!(self, |pool, _begin| {
            let row = sqlx::query(
                "SELECT id_hash, supervisor_id, csrf_token, expires_at \
                 FROM registry_supervisor_sessions WHERE id_hash = $1 AND expires_at > $2",
            )
            .bind(id_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            row.map(|r| {
                Ok(SupervisorSession {
                    id_hash: r.text("id_hash")?,
                    supervisor_id: r.int("supervisor_id")?,
                    csrf_token: r.text("csrf_token")?,
                    expires_at: r.int("expires_at")?,
                })
            })
            .transpose()
        })
    }

    /// Ends a session (logout). Deleting an unknown session is not an error.
    pub async fn delete_supervisor_session(&self, id_hash: &str) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query("DELETE FROM registry_supervisor_sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Records a school's certificate as pending ("Chờ phê duyệt"), unless the same
    /// certificate is already pending or approved for that school (then that row's id).
    /// [`Error::NotFound`] for an unknown school.
    pub async fn submit_certificate(&self, c: &NewCertificate) -> Result<Submitted> {
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let existing = sqlx::query(
                "SELECT id FROM registry_certificates WHERE school_code = $1 \
                 AND fingerprint = $2 AND status IN ('pending', 'approved') ORDER BY id LIMIT 1",
            )
            .bind(&c.school_code)
            .bind(&c.fingerprint)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = existing {
                return Ok(Submitted::Existing(row.int("id")?));
            }
            let id = sqlx::query(
                "INSERT INTO registry_certificates (school_code, fingerprint, subject, issuer, \
                 not_before, not_after, pem, submitted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(&c.school_code)
            .bind(&c.fingerprint)
            .bind(&c.subject)
            .bind(&c.issuer)
            .bind(c.not_before)
            .bind(c.not_after)
            .bind(&c.pem)
            .bind(c.submitted_at)
            .fetch_one(&mut *tx)
            .await?
            .int("id")?;
            tx.commit().await?;
            Ok(Submitted::New(id))
        })
    }

    /// Every submission of the schools `supervisor_id` supervises, optionally only those
    /// in `status`, newest first.
    pub async fn certificates_for_supervisor(
        &self,
        supervisor_id: i64,
        status: Option<CertificateStatus>,
    ) -> Result<Vec<SubmittedCertificate>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {CERT_COLUMNS} FROM registry_certificates c \
             JOIN registry_supervisor_schools s ON s.school_code = c.school_code \
             WHERE s.supervisor_id = $1 AND ($2 = '' OR c.status = $2) \
             ORDER BY c.submitted_at DESC, c.id DESC"
        ));
        let status = status.map_or("", CertificateStatus::code);
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(sql)
                .bind(supervisor_id)
                .bind(status)
                .fetch_all(pool)
                .await?;
            rows.iter().map(certificate).collect()
        })
    }

    /// One submission, whoever supervises it (the caller checks the scope).
    pub async fn certificate(&self, id: i64) -> Result<Option<SubmittedCertificate>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {CERT_COLUMNS} FROM registry_certificates c WHERE c.id = $1"
        ));
        dispatch!(self, |pool, _begin| {
            let row = sqlx::query(sql).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(certificate).transpose()
        })
    }

    /// Every submission of one school, newest first (what the school sees).
    pub async fn certificates_of_school(&self, school: &str) -> Result<Vec<SubmittedCertificate>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {CERT_COLUMNS} FROM registry_certificates c WHERE c.school_code = $1 \
             ORDER BY c.submitted_at DESC, c.id DESC"
        ));
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(sql).bind(school).fetch_all(pool).await?;
            rows.iter().map(certificate).collect()
        })
    }

    /// Decides a pending certificate for `supervisor_id`, in one transaction: an approval
    /// also writes the `registry_seal_approvals` row ingest uses (by `decided_by`, from
    /// `approved_from`). [`Error::NotFound`] when no pending certificate with this id
    /// belongs to a school the supervisor supervises (nothing changes then),
    /// [`Error::Invalid`] for an empty or over-long comment.
    pub async fn decide_certificate(
        &self,
        id: i64,
        supervisor_id: i64,
        decision: &Decision,
        decided_by: &str,
        now: i64,
    ) -> Result<()> {
        let (status, comment) = match decision {
            Decision::Approve { comment, .. } => ("approved", comment.clone()),
            Decision::Reject { comment } => ("rejected", Some(comment.clone())),
        };
        if comment
            .as_deref()
            .is_some_and(|c| c.trim().is_empty() || c.chars().count() > 2000)
        {
            return Err(Error::invalid("comment must have 1–2000 characters"));
        }
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let row = sqlx::query(
                "SELECT c.school_code, c.fingerprint, c.subject FROM registry_certificates c \
                 JOIN registry_supervisor_schools s ON s.school_code = c.school_code \
                 WHERE c.id = $1 AND s.supervisor_id = $2 AND c.status = 'pending'",
            )
            .bind(id)
            .bind(supervisor_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::not_found("pending certificate of a supervised school"))?;
            let approval_id = match decision {
                Decision::Approve { approved_from, .. } => Some(
                    sqlx::query(
                        "INSERT INTO registry_seal_approvals (school_code, fingerprint, \
                         subject, approved_from, approved_until, approved_by, approved_at) \
                         VALUES ($1, $2, $3, $4, NULL, $5, $6) RETURNING id",
                    )
                    .bind(row.text("school_code")?)
                    .bind(row.text("fingerprint")?)
                    .bind(row.text("subject")?)
                    .bind(*approved_from)
                    .bind(decided_by)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?
                    .int("id")?,
                ),
                Decision::Reject { .. } => None,
            };
            let done = sqlx::query(
                "UPDATE registry_certificates SET status = $2, decided_by = $3, \
                 decided_at = $4, comment = $5, approval_id = $6 \
                 WHERE id = $1 AND status = 'pending'",
            )
            .bind(id)
            .bind(status)
            .bind(decided_by)
            .bind(now)
            .bind(&comment)
            .bind(approval_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(Error::not_found("pending certificate"));
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Sets (or replaces) how many records `school` expects for a year and grade.
    pub async fn set_expected_count(
        &self,
        school: &str,
        start_year: u16,
        grade: u8,
        expected: i64,
        now: i64,
    ) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO registry_expected_counts (school_code, start_year, grade, \
                 expected, reported_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (school_code, start_year, grade) \
                 DO UPDATE SET expected = excluded.expected, reported_at = excluded.reported_at",
            )
            .bind(school)
            .bind(i64::from(start_year))
            .bind(i64::from(grade))
            .bind(expected)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The expected counts a school reported for a year, by grade.
    pub async fn expected_counts(
        &self,
        school: &str,
        start_year: u16,
    ) -> Result<Vec<ExpectedCount>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT grade, expected FROM registry_expected_counts \
                 WHERE school_code = $1 AND start_year = $2 ORDER BY grade",
            )
            .bind(school)
            .bind(i64::from(start_year))
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(ExpectedCount {
                        grade: crate::row::narrow(r.int("grade")?, "grade")?,
                        expected: r.int("expected")?,
                    })
                })
                .collect()
        })
    }

    /// Students with an accepted record of `school` for a year, by grade, and how many
    /// of them arrived before `deadline` (Unix seconds). Revoked records do not count.
    pub async fn received_counts(
        &self,
        school: &str,
        start_year: u16,
        deadline: i64,
    ) -> Result<Vec<ReceivedCount>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT grade, COUNT(DISTINCT student_code) AS received, \
                 COUNT(DISTINCT CASE WHEN received_at < $3 THEN student_code END) AS early \
                 FROM registry_records WHERE school_code = $1 AND start_year = $2 \
                 AND status = 'current' GROUP BY grade ORDER BY grade",
            )
            .bind(school)
            .bind(i64::from(start_year))
            .bind(deadline)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(ReceivedCount {
                        grade: crate::row::narrow(r.int("grade")?, "grade")?,
                        received: r.int("received")?,
                        before_deadline: r.int("early")?,
                    })
                })
                .collect()
        })
    }

    /// Notes one refused ingest of `school` (after authentication).
    pub async fn record_rejection(
        &self,
        school: &str,
        digest: &str,
        year_grade: Option<(u16, u8)>,
        code: &str,
        now: i64,
    ) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO registry_rejections (school_code, digest, start_year, grade, code, \
                 rejected_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(school)
            .bind(digest)
            .bind(year_grade.map(|(y, _)| i64::from(y)))
            .bind(year_grade.map(|(_, g)| i64::from(g)))
            .bind(code)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Distinct documents of `school` refused for a year, by grade. Documents whose year
    /// could not be read are not counted here.
    pub async fn rejected_counts(
        &self,
        school: &str,
        start_year: u16,
    ) -> Result<Vec<RejectedCount>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT grade, COUNT(DISTINCT digest) AS rejected FROM registry_rejections \
                 WHERE school_code = $1 AND start_year = $2 GROUP BY grade ORDER BY grade",
            )
            .bind(school)
            .bind(i64::from(start_year))
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(RejectedCount {
                        grade: r
                            .opt_int("grade")?
                            .map(|g| crate::row::narrow(g, "grade"))
                            .transpose()?,
                        rejected: r.int("rejected")?,
                    })
                })
                .collect()
        })
    }

    async fn supervisor_where<T>(
        &self,
        condition: &'static str,
        value: T,
    ) -> Result<Option<Supervisor>>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Sqlite>
            + sqlx::Type<sqlx::Sqlite>
            + for<'q> sqlx::Encode<'q, sqlx::Postgres>
            + sqlx::Type<sqlx::Postgres>
            + Send
            + Clone,
    {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT id, username, authority, password_hash, created_at \
             FROM registry_supervisors WHERE {condition}"
        ));
        let found = dispatch!(self, |pool, _begin| {
            let row = sqlx::query(sql)
                .bind(value.clone())
                .fetch_optional(pool)
                .await?;
            row.map(|r| {
                Ok::<_, Error>(Supervisor {
                    id: r.int("id")?,
                    username: r.text("username")?,
                    authority: r.text("authority")?,
                    password_hash: r.text("password_hash")?,
                    schools: Vec::new(),
                    created_at: r.int("created_at")?,
                })
            })
            .transpose()
        })?;
        let Some(mut supervisor) = found else {
            return Ok(None);
        };
        supervisor.schools = dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT school_code FROM registry_supervisor_schools WHERE supervisor_id = $1 \
                 ORDER BY school_code",
            )
            .bind(supervisor.id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| r.text("school_code"))
                .collect::<Result<Vec<_>>>()
        })?;
        Ok(Some(supervisor))
    }
}

const CERT_COLUMNS: &str = "c.id, c.school_code, c.fingerprint, c.subject, c.issuer, \
     c.not_before, c.not_after, c.pem, c.submitted_at, c.status, c.decided_by, c.decided_at, \
     c.comment, c.approval_id";

fn certificate(r: &impl RowExt) -> Result<SubmittedCertificate> {
    Ok(SubmittedCertificate {
        id: r.int("id")?,
        school_code: r.text("school_code")?,
        fingerprint: r.text("fingerprint")?,
        subject: r.text("subject")?,
        issuer: r.text("issuer")?,
        not_before: r.int("not_before")?,
        not_after: r.int("not_after")?,
        pem: r.text("pem")?,
        submitted_at: r.int("submitted_at")?,
        status: match r.text("status")?.as_str() {
            "pending" => CertificateStatus::Pending,
            "approved" => CertificateStatus::Approved,
            "rejected" => CertificateStatus::Rejected,
            other => {
                return Err(Error::invalid(format!(
                    "stored certificate status {other:?}"
                )));
            }
        },
        decided_by: r.opt_text("decided_by")?,
        decided_at: r.opt_int("decided_at")?,
        comment: r.opt_text("comment")?,
        approval_id: r.opt_int("approval_id")?,
    })
}
