//! The national registry's tables (migration 0005): schools known to the registry with
//! their API token hash, approved seal certificates, and the records received with their
//! signed receipts.
//!
//! The store checks nothing about a record's content: callers store only what
//! `registry::check_record` accepted. Times are Unix seconds passed in by the caller;
//! tokens arrive already hashed (SHA-256, lowercase hex), so the store never sees one.

use domain::{Grade, Level, SchoolYear, StudentCode};

use crate::row::{self, RowExt};
use crate::{Error, Result, Store, dispatch};

/// A school as the registry knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySchool {
    /// `MaTruong`.
    pub code: String,
    /// Tên trường.
    pub name: String,
    /// The level it teaches.
    pub level: Level,
    /// The supervising authority (Phòng VH-XH of the ward, or the Sở).
    pub authority: String,
    /// When it was added (Unix seconds).
    pub created_at: i64,
}

/// A school to add, with the SHA-256 (lowercase hex) of its API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRegistrySchool {
    /// `MaTruong` (1–20 letters or digits).
    pub code: String,
    /// Tên trường.
    pub name: String,
    /// The level it teaches.
    pub level: Level,
    /// The supervising authority.
    pub authority: String,
    /// SHA-256 of the API token, 64 lowercase hex digits.
    pub token_sha256: String,
    /// When it is added (Unix seconds).
    pub created_at: i64,
}

/// An approval to record ("Phê duyệt chứng thư số").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSealApproval {
    /// The school the certificate is approved for.
    pub school_code: String,
    /// SHA-256 of the certificate DER, 64 lowercase hex digits.
    pub fingerprint: String,
    /// Subject of the certificate, for people reading the list.
    pub subject: String,
    /// Signatures made at or after this time count (Unix seconds).
    pub approved_from: i64,
    /// Signatures made at or after this time no longer count; `None`: open-ended.
    pub approved_until: Option<i64>,
    /// Who approved (account or authority name).
    pub approved_by: String,
    /// When the approval was given (Unix seconds).
    pub approved_at: i64,
}

/// A stored approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealApproval {
    /// Row id (for withdrawal).
    pub id: i64,
    /// The school.
    pub school_code: String,
    /// SHA-256 of the certificate DER.
    pub fingerprint: String,
    /// Subject of the certificate.
    pub subject: String,
    /// Start of the approval (Unix seconds).
    pub approved_from: i64,
    /// End of the approval, if any (Unix seconds, exclusive).
    pub approved_until: Option<i64>,
    /// Who approved.
    pub approved_by: String,
    /// When it was approved.
    pub approved_at: i64,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<i64>,
}

/// A record accepted by the registry, to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRegistryRecord {
    /// `MaHocSinh`: the distribution column.
    pub student_code: StudentCode,
    /// `MaDinhDanhHocBa`.
    pub record_id: String,
    /// `PhienBan`.
    pub version: u32,
    /// SHA-256 (lowercase hex) of `xml`: the idempotency key.
    pub digest: String,
    /// `MaTruong`; the school must be known to the registry.
    pub school_code: String,
    /// The school year.
    pub year: SchoolYear,
    /// The grade.
    pub grade: Grade,
    /// `MaDinhDanhHocBa` of the version this one replaces.
    pub supersedes_id: Option<String>,
    /// Exactly the bytes received (a record is UTF-8 XML).
    pub xml: String,
    /// When the registry stored it (Unix seconds).
    pub received_at: i64,
    /// The signed receipt document (JSON) answered to the school.
    pub receipt: String,
}

/// Status of a stored record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryStatus {
    /// The record stands.
    Current,
    /// Revoked after an approved request ("Phê duyệt thu hồi").
    Revoked,
}

/// A stored record, without its XML (see [`Store::registry_record_xml`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRecord {
    /// `MaHocSinh`.
    pub student_code: StudentCode,
    /// `MaDinhDanhHocBa`.
    pub record_id: String,
    /// `PhienBan`.
    pub version: u32,
    /// SHA-256 of the stored bytes.
    pub digest: String,
    /// `MaTruong`.
    pub school_code: String,
    /// The school year.
    pub year: SchoolYear,
    /// The grade.
    pub grade: Grade,
    /// The version this one replaces.
    pub supersedes_id: Option<String>,
    /// When it was stored (Unix seconds).
    pub received_at: i64,
    /// The signed receipt document (JSON), byte for byte as first answered.
    pub receipt: String,
    /// Current or revoked.
    pub status: RegistryStatus,
    /// When it was revoked.
    pub revoked_at: Option<i64>,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
}

/// What [`Store::insert_registry_record`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// The record was new and is now stored.
    Stored,
    /// The same bytes (same digest) were stored before: this is that row, with the
    /// receipt first answered. Nothing was written.
    Duplicate(Box<RegistryRecord>),
    /// Another document with the same `MaDinhDanhHocBa` is stored (a signed version is
    /// never replaced in place). Nothing was written.
    RecordIdTaken {
        /// Digest of the document already stored under that id.
        stored_digest: String,
    },
}

/// The seal signature of a record to store: [`Store::insert_registry_records`] stores the
/// record only if this certificate is approved for the record's school at this time,
/// checked by the database in the statement that inserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealUse {
    /// SHA-256 of the seal certificate DER, 64 lowercase hex digits.
    pub fingerprint: String,
    /// The seal's signing time (Unix seconds).
    pub signed_at: i64,
}

/// What [`Store::insert_registry_records`] did with one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchIngested {
    /// Stored, a duplicate, or refused for its record id, as [`Store::insert_registry_record`].
    Done(Ingested),
    /// No approval of the seal certificate for the school holds at the seal's signing
    /// time (it was withdrawn since the caller looked). Nothing was written.
    SealNotApproved,
}

/// The condition under which a row `i` (with `school_code`, `seal_fingerprint`,
/// `seal_at`) may be stored.
const SEAL_APPROVED: &str = "EXISTS (SELECT 1 FROM registry_seal_approvals a \
     WHERE a.school_code = i.school_code AND a.fingerprint = i.seal_fingerprint \
     AND a.approved_from <= i.seal_at AND (a.approved_until IS NULL OR i.seal_at < a.approved_until))";

const RECORD_COLUMNS: &str = "student_code, record_id, version, digest, school_code, \
     start_year, grade, supersedes_id, received_at, receipt, status, revoked_at, revoked_reason";

impl Store {
    /// Adds a school to the registry. [`Error::Conflict`] when the code (or the token
    /// hash) is taken, [`Error::Invalid`] when a field breaks a constraint.
    pub async fn insert_registry_school(&self, school: &NewRegistrySchool) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO registry_schools (code, name, level, authority, token_sha256, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&school.code)
            .bind(&school.name)
            .bind(school.level.code())
            .bind(&school.authority)
            .bind(&school.token_sha256)
            .bind(school.created_at)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The school with this code, if the registry knows it.
    pub async fn registry_school(&self, code: &str) -> Result<Option<RegistrySchool>> {
        self.registry_school_where("code", code).await
    }

    /// The school whose API token hashes to `token_sha256`, if any: how a request is
    /// authenticated.
    pub async fn registry_school_by_token(
        &self,
        token_sha256: &str,
    ) -> Result<Option<RegistrySchool>> {
        self.registry_school_where("token_sha256", token_sha256)
            .await
    }

    /// Every school of the registry, by code.
    pub async fn list_registry_schools(&self) -> Result<Vec<RegistrySchool>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT code, name, level, authority, created_at FROM registry_schools \
                 ORDER BY code",
            )
            .fetch_all(pool)
            .await?;
            rows.iter().map(registry_school).collect()
        })
    }

    /// Records an approval and returns its id. [`Error::NotFound`] when the school is
    /// unknown, [`Error::Invalid`] when the fingerprint is not 64 lowercase hex digits or
    /// the period ends before it starts.
    pub async fn insert_seal_approval(&self, approval: &NewSealApproval) -> Result<i64> {
        dispatch!(self, |pool, _begin| {
            let row = sqlx::query(
                "INSERT INTO registry_seal_approvals (school_code, fingerprint, subject, \
                 approved_from, approved_until, approved_by, approved_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(&approval.school_code)
            .bind(&approval.fingerprint)
            .bind(&approval.subject)
            .bind(approval.approved_from)
            .bind(approval.approved_until)
            .bind(&approval.approved_by)
            .bind(approval.approved_at)
            .fetch_one(pool)
            .await?;
            row.int("id")
        })
    }

    /// Every approval of a school (withdrawn ones included), oldest first.
    pub async fn seal_approvals(&self, school_code: &str) -> Result<Vec<SealApproval>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT id, school_code, fingerprint, subject, approved_from, approved_until, \
                 approved_by, approved_at, withdrawn_at FROM registry_seal_approvals \
                 WHERE school_code = $1 ORDER BY id",
            )
            .bind(school_code)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(SealApproval {
                        id: r.int("id")?,
                        school_code: r.text("school_code")?,
                        fingerprint: r.text("fingerprint")?,
                        subject: r.text("subject")?,
                        approved_from: r.int("approved_from")?,
                        approved_until: r.opt_int("approved_until")?,
                        approved_by: r.text("approved_by")?,
                        approved_at: r.int("approved_at")?,
                        withdrawn_at: r.opt_int("withdrawn_at")?,
                    })
                })
                .collect()
        })
    }

    /// Withdraws an approval at `at`: signatures made from then on no longer count.
    /// [`Error::NotFound`] when no such approval is in force (unknown or already
    /// withdrawn), [`Error::Invalid`] when `at` is before the approval's start.
    pub async fn withdraw_seal_approval(&self, id: i64, at: i64) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            let done = sqlx::query(
                "UPDATE registry_seal_approvals SET approved_until = CASE \
                 WHEN approved_until IS NULL OR approved_until > $2 THEN $2 \
                 ELSE approved_until END, withdrawn_at = $2 \
                 WHERE id = $1 AND withdrawn_at IS NULL",
            )
            .bind(id)
            .bind(at)
            .execute(pool)
            .await?;
            if done.rows_affected() == 0 {
                return Err(Error::not_found("seal approval in force"));
            }
            Ok(())
        })
    }

    /// Stores a record once: idempotent by digest, and race-free (the unique constraints
    /// decide, `ON CONFLICT DO NOTHING`). Two concurrent calls with the same digest store
    /// one row; the loser gets [`Ingested::Duplicate`] with the winner's receipt.
    /// [`Error::NotFound`] when the school is unknown to the registry.
    pub async fn insert_registry_record(&self, record: &NewRegistryRecord) -> Result<Ingested> {
        let student = record.student_code.to_string();
        let inserted = dispatch!(self, |pool, _begin| {
            let done = sqlx::query(
                "INSERT INTO registry_records (student_code, record_id, version, digest, \
                 school_code, start_year, grade, supersedes_id, xml, received_at, receipt) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
            )
            .bind(&student)
            .bind(&record.record_id)
            .bind(i64::from(record.version))
            .bind(&record.digest)
            .bind(&record.school_code)
            .bind(i64::from(record.year.start()))
            .bind(i64::from(record.grade.get()))
            .bind(&record.supersedes_id)
            .bind(&record.xml)
            .bind(record.received_at)
            .bind(&record.receipt)
            .execute(pool)
            .await?;
            Result::<bool>::Ok(done.rows_affected() == 1)
        })?;
        if inserted {
            return Ok(Ingested::Stored);
        }
        // The row that won is committed (PostgreSQL waited for it before doing nothing;
        // SQLite writers are serialised), so these reads see it.
        match self.stored_instead(record).await? {
            Some(outcome) => Ok(outcome),
            None => Err(Error::Conflict {
                what: "registry record changed during insert".to_owned(),
            }),
        }
    }

    /// What stands in the way of storing `record` once the insert did nothing: the same
    /// bytes stored already ([`Ingested::Duplicate`]) or its record id taken by other
    /// bytes ([`Ingested::RecordIdTaken`]); `None` when neither.
    async fn stored_instead(&self, record: &NewRegistryRecord) -> Result<Option<Ingested>> {
        if let Some(found) = self
            .registry_record_by_digest(&record.student_code, &record.digest)
            .await?
        {
            return Ok(Some(Ingested::Duplicate(Box::new(found))));
        }
        Ok(self
            .registry_record(&record.student_code, &record.record_id)
            .await?
            .map(|other| Ingested::RecordIdTaken {
                stored_digest: other.digest,
            }))
    }

    /// Stores many records at once, each only if its seal is approved ([`SealUse`]); on
    /// PostgreSQL in one statement and one transaction (the server's group commit), on
    /// SQLite one by one. The same contract per record as [`Store::insert_registry_record`]:
    /// idempotent by digest (of two identical records in one batch the first is stored and
    /// the second is its duplicate), race-free, a record id never replaced. One answer per
    /// record, in order; a record that fails alone (e.g. an unknown school) gets its own
    /// error and does not fail the others.
    pub async fn insert_registry_records(
        &self,
        batch: &[(NewRegistryRecord, SealUse)],
    ) -> Vec<Result<BatchIngested>> {
        let stored = match &self.pools {
            crate::Pools::Postgres(pool) if batch.len() > 1 => {
                insert_batch_pg(pool, batch).await.ok()
            }
            _ => None,
        };
        let mut out = Vec::with_capacity(batch.len());
        match stored {
            Some(stored) => {
                for ((record, seal), is_stored) in batch.iter().zip(stored) {
                    out.push(if is_stored {
                        Ok(BatchIngested::Done(Ingested::Stored))
                    } else {
                        self.explain_not_stored(record, seal).await
                    });
                }
            }
            // SQLite, a single record, or a batch that failed as a whole (one bad row
            // fails the statement): one by one, so each gets its own answer.
            None => {
                for (record, seal) in batch {
                    out.push(self.insert_registry_record_sealed(record, seal).await);
                }
            }
        }
        out
    }

    async fn insert_registry_record_sealed(
        &self,
        record: &NewRegistryRecord,
        seal: &SealUse,
    ) -> Result<BatchIngested> {
        let student = record.student_code.to_string();
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO registry_records (student_code, record_id, version, digest, \
             school_code, start_year, grade, supersedes_id, xml, received_at, receipt) \
             SELECT i.student_code, i.record_id, i.version, i.digest, i.school_code, \
             i.start_year, i.grade, i.supersedes_id, i.xml, i.received_at, i.receipt \
             FROM (SELECT $1 AS student_code, $2 AS record_id, $3 AS version, $4 AS digest, \
             $5 AS school_code, $6 AS start_year, $7 AS grade, $8 AS supersedes_id, \
             $9 AS xml, $10 AS received_at, $11 AS receipt, $12 AS seal_fingerprint, \
             $13 AS seal_at) i WHERE {SEAL_APPROVED} ON CONFLICT DO NOTHING"
        ));
        let inserted = dispatch!(self, |pool, _begin| {
            let done = sqlx::query(sql)
                .bind(&student)
                .bind(&record.record_id)
                .bind(i64::from(record.version))
                .bind(&record.digest)
                .bind(&record.school_code)
                .bind(i64::from(record.year.start()))
                .bind(i64::from(record.grade.get()))
                .bind(&record.supersedes_id)
                .bind(&record.xml)
                .bind(record.received_at)
                .bind(&record.receipt)
                .bind(&seal.fingerprint)
                .bind(seal.signed_at)
                .execute(pool)
                .await?;
            Result::<bool>::Ok(done.rows_affected() == 1)
        })?;
        if inserted {
            return Ok(BatchIngested::Done(Ingested::Stored));
        }
        self.explain_not_stored(record, seal).await
    }

    /// Why a record of a batch was not stored: the same bytes are (duplicate), its id is
    /// taken, or its seal is not approved; anything else is a lost race on the one
    /// successor per replaced version ([`Error::Conflict`]).
    async fn explain_not_stored(
        &self,
        record: &NewRegistryRecord,
        seal: &SealUse,
    ) -> Result<BatchIngested> {
        if let Some(outcome) = self.stored_instead(record).await? {
            return Ok(BatchIngested::Done(outcome));
        }
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM (SELECT $1 AS school_code, $2 AS seal_fingerprint, \
             $3 AS seal_at) i WHERE {SEAL_APPROVED}"
        ));
        let approved = dispatch!(self, |pool, _begin| {
            let row = sqlx::query(sql)
                .bind(&record.school_code)
                .bind(&seal.fingerprint)
                .bind(seal.signed_at)
                .fetch_one(pool)
                .await?;
            Result::<bool>::Ok(row.int("n")? > 0)
        })?;
        if !approved {
            return Ok(BatchIngested::SealNotApproved);
        }
        Err(Error::Conflict {
            what: "registry record changed during insert".to_owned(),
        })
    }

    /// The stored record with these bytes (by digest), if any.
    pub async fn registry_record_by_digest(
        &self,
        student: &StudentCode,
        digest: &str,
    ) -> Result<Option<RegistryRecord>> {
        self.registry_record_where(student, "digest", digest).await
    }

    /// The stored record with this `MaDinhDanhHocBa`, if any.
    pub async fn registry_record(
        &self,
        student: &StudentCode,
        record_id: &str,
    ) -> Result<Option<RegistryRecord>> {
        self.registry_record_where(student, "record_id", record_id)
            .await
    }

    /// The stored record with this `MaDinhDanhHocBa`, whoever the student: the lookup
    /// behind the code printed on a paper copy. Unlike every other registry query it does
    /// not name the student, so on a distributed cluster it visits every shard.
    pub async fn find_registry_record(&self, record_id: &str) -> Result<Option<RegistryRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS} FROM registry_records WHERE record_id = $1 \
             ORDER BY student_code LIMIT 1"
        ));
        dispatch!(self, |pool, _begin| {
            let row = sqlx::query(sql)
                .bind(record_id)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(registry_record).transpose()
        })
    }

    /// The stored XML of a record, byte for byte as received.
    pub async fn registry_record_xml(
        &self,
        student: &StudentCode,
        record_id: &str,
    ) -> Result<Option<String>> {
        dispatch!(self, |pool, _begin| {
            let row = sqlx::query(
                "SELECT xml FROM registry_records WHERE student_code = $1 AND record_id = $2",
            )
            .bind(student.to_string())
            .bind(record_id)
            .fetch_optional(pool)
            .await?;
            row.map(|r| r.text("xml")).transpose()
        })
    }

    /// Every stored record of a student, by school year then version (one shard).
    pub async fn registry_records_of_student(
        &self,
        student: &StudentCode,
    ) -> Result<Vec<RegistryRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS} FROM registry_records WHERE student_code = $1 \
             ORDER BY start_year, version, record_id"
        ));
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(sql)
                .bind(student.to_string())
                .fetch_all(pool)
                .await?;
            rows.iter().map(registry_record).collect()
        })
    }

    /// The newest stored version that names `record_id` as the one it replaces.
    pub async fn registry_successor(
        &self,
        student: &StudentCode,
        record_id: &str,
    ) -> Result<Option<RegistryRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS} FROM registry_records WHERE student_code = $1 \
             AND supersedes_id = $2 ORDER BY version DESC LIMIT 1"
        ));
        dispatch!(self, |pool, _begin| {
            let row = sqlx::query(sql)
                .bind(student.to_string())
                .bind(record_id)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(registry_record).transpose()
        })
    }

    /// Marks a current record revoked at `at` with `reason` (after an approved request).
    /// [`Error::NotFound`] when no current record has this id, [`Error::Invalid`] for an
    /// empty reason.
    pub async fn revoke_registry_record(
        &self,
        student: &StudentCode,
        record_id: &str,
        at: i64,
        reason: &str,
    ) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            let done = sqlx::query(
                "UPDATE registry_records SET status = 'revoked', revoked_at = $3, \
                 revoked_reason = $4 WHERE student_code = $1 AND record_id = $2 \
                 AND status = 'current'",
            )
            .bind(student.to_string())
            .bind(record_id)
            .bind(at)
            .bind(reason)
            .execute(pool)
            .await?;
            if done.rows_affected() == 0 {
                return Err(Error::not_found("current registry record"));
            }
            Ok(())
        })
    }

    async fn registry_school_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Option<RegistrySchool>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT code, name, level, authority, created_at FROM registry_schools \
             WHERE {column} = $1"
        ));
        dispatch!(self, |pool, _begin| {
            let row = sqlx::query(sql).bind(value).fetch_optional(pool).await?;
            row.as_ref().map(registry_school).transpose()
        })
    }

    async fn registry_record_where(
        &self,
        student: &StudentCode,
        column: &'static str,
        value: &str,
    ) -> Result<Option<RegistryRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS} FROM registry_records \
             WHERE student_code = $1 AND {column} = $2"
        ));
        dispatch!(self, |pool, _begin| {
            let row = sqlx::query(sql)
                .bind(student.to_string())
                .bind(value)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(registry_record).transpose()
        })
    }
}

fn registry_school(r: &impl RowExt) -> Result<RegistrySchool> {
    Ok(RegistrySchool {
        code: r.text("code")?,
        name: r.text("name")?,
        level: row::parse(&r.text("level")?, "level")?,
        authority: r.text("authority")?,
        created_at: r.int("created_at")?,
    })
}

fn registry_record(r: &impl RowExt) -> Result<RegistryRecord> {
    Ok(RegistryRecord {
        student_code: row::parse(&r.text("student_code")?, "student code")?,
        record_id: r.text("record_id")?,
        version: row::narrow(r.int("version")?, "version")?,
        digest: r.text("digest")?,
        school_code: r.text("school_code")?,
        year: row::school_year(r.int("start_year")?)?,
        grade: Grade::new(row::narrow(r.int("grade")?, "grade")?)
            .map_err(|e| Error::invalid(format!("stored grade: {e}")))?,
        supersedes_id: r.opt_text("supersedes_id")?,
        received_at: r.int("received_at")?,
        receipt: r.text("receipt")?,
        status: match r.text("status")?.as_str() {
            "current" => RegistryStatus::Current,
            "revoked" => RegistryStatus::Revoked,
            other => return Err(Error::invalid(format!("stored status {other:?}"))),
        },
        revoked_at: r.opt_int("revoked_at")?,
        revoked_reason: r.opt_text("revoked_reason")?,
    })
}

/// One multi-row insert of `batch` in one transaction; for each record whether this
/// statement stored it.
async fn insert_batch_pg(
    pool: &sqlx::PgPool,
    batch: &[(NewRegistryRecord, SealUse)],
) -> Result<Vec<bool>> {
    let col = |f: &dyn Fn(&NewRegistryRecord, &SealUse) -> String| -> Vec<String> {
        batch.iter().map(|(r, s)| f(r, s)).collect()
    };
    let num = |f: &dyn Fn(&NewRegistryRecord, &SealUse) -> i64| -> Vec<i64> {
        batch.iter().map(|(r, s)| f(r, s)).collect()
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "INSERT INTO registry_records (student_code, record_id, version, digest, school_code, \
         start_year, grade, supersedes_id, xml, received_at, receipt) \
         SELECT i.student_code, i.record_id, i.version, i.digest, i.school_code, i.start_year, \
         i.grade, i.supersedes_id, i.xml, i.received_at, i.receipt \
         FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::int8[], \
         $7::int8[], $8::text[], $9::text[], $10::int8[], $11::text[], $12::text[], $13::int8[]) \
         WITH ORDINALITY AS i(student_code, record_id, version, digest, school_code, start_year, \
         grade, supersedes_id, xml, received_at, receipt, seal_fingerprint, seal_at, n) \
         WHERE {SEAL_APPROVED} ORDER BY i.n ON CONFLICT DO NOTHING RETURNING student_code, digest"
    ));
    let rows = sqlx::query(sql)
        .bind(col(&|r, _| r.student_code.to_string()))
        .bind(col(&|r, _| r.record_id.clone()))
        .bind(num(&|r, _| i64::from(r.version)))
        .bind(col(&|r, _| r.digest.clone()))
        .bind(col(&|r, _| r.school_code.clone()))
        .bind(num(&|r, _| i64::from(r.year.start())))
        .bind(num(&|r, _| i64::from(r.grade.get())))
        .bind(
            batch
                .iter()
                .map(|(r, _)| r.supersedes_id.clone())
                .collect::<Vec<Option<String>>>(),
        )
        .bind(col(&|r, _| r.xml.clone()))
        .bind(num(&|r, _| r.received_at))
        .bind(col(&|r, _| r.receipt.clone()))
        .bind(col(&|_, s| s.fingerprint.clone()))
        .bind(num(&|_, s| s.signed_at))
        .fetch_all(pool)
        .await?;
    let mut stored: std::collections::HashSet<(String, String)> = rows
        .iter()
        .map(|r| Ok((r.text("student_code")?, r.text("digest")?)))
        .collect::<Result<_>>()?;
    // The first of identical records in the batch is the stored one.
    Ok(batch
        .iter()
        .map(|(r, _)| stored.remove(&(r.student_code.to_string(), r.digest.clone())))
        .collect())
}
