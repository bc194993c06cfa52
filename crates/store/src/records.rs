//! Year records and their workflow (migration 0003): one row per version of a student's
//! record in a class, and the homeroom teacher's per-class review mark.
//!
//! Every transition is one statement or one transaction guarded by the state the caller
//! saw (compare-and-set): when the row is no longer in that state — another principal
//! signed first, the record was unlocked meanwhile — the write changes nothing and
//! returns [`Error::Conflict`]. The store does not sign, build or verify documents; it
//! keeps the bytes it is given. Times are ISO 8601 UTC text given by the caller.

use domain::{SchoolYear, StudentCode};

use crate::audit::{AuditAction, AuditChange, AuditStamp};
use crate::row::{self, RowExt};
use crate::schools::i16_year;
use crate::{ClassId, Error, Result, Store, TeacherId, dispatch};

/// The codes of [`AuditAction::RECORD_INPUTS`] as an SQL list (a literal, so the queries
/// stay static; `input_actions_match_record_inputs` keeps the two equal).
macro_rules! input_actions {
    () => {
        "'score.set', 'result.set', 'comment.set', 'conduct.set', 'absences.set', \
         'tt27.level.set', 'tt27.test.set', 'tt27.rating.set', 'tt27.outstanding.set', \
         'student.personal_id.set'"
    };
}

/// Where a record version is in the workflow (DESIGN.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordState {
    /// A new version after an unlock: the inputs are editable again, no document yet.
    Draft,
    /// Built from the reviewed class summary ("Xác nhận tổng hợp"), not signed.
    Reviewed,
    /// At least one signature, the chain is not complete yet. Locked.
    Signing,
    /// The seal is applied: the chain is complete. Locked.
    Signed,
    /// Sent to the registry and acknowledged. Locked.
    Synced,
}

impl RecordState {
    /// The stored code: `draft`, `reviewed`, `signing`, `signed`, `synced`.
    pub const fn code(self) -> &'static str {
        match self {
            RecordState::Draft => "draft",
            RecordState::Reviewed => "reviewed",
            RecordState::Signing => "signing",
            RecordState::Signed => "signed",
            RecordState::Synced => "synced",
        }
    }

    /// The state with this code, if any.
    pub fn from_code(code: &str) -> Option<RecordState> {
        [
            RecordState::Draft,
            RecordState::Reviewed,
            RecordState::Signing,
            RecordState::Signed,
            RecordState::Synced,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    /// A record in this state is locked: its student's inputs must not change.
    pub const fn is_locked(self) -> bool {
        matches!(
            self,
            RecordState::Signing | RecordState::Signed | RecordState::Synced
        )
    }
}

/// One signature as listed beside the record (the document itself is the authority).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerEntry {
    /// Role code in the chain (`GVCN`, `HT`, `GD`, `DAU`).
    pub role: String,
    /// Who signed (account name, or the seal certificate's subject).
    pub name: String,
    /// When (ISO 8601 UTC).
    pub at: String,
}

/// One stored version of a student's year record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// Record id (`MaDinhDanhHocBa`, a lowercase UUID).
    pub id: String,
    /// The student.
    pub student: StudentCode,
    /// The class the record is for.
    pub class: ClassId,
    /// The school year.
    pub year: SchoolYear,
    /// 1, 2, …
    pub version: u32,
    /// Workflow state.
    pub state: RecordState,
    /// The current document bytes (UTF-8 XML); `None` for a draft.
    pub xml: Option<String>,
    /// Lowercase hex SHA-256 of `xml`.
    pub sha256: Option<String>,
    /// The version this one replaces: (record id, SHA-256 of its bytes as signed).
    pub supersedes: Option<(String, String)>,
    /// Number of signatures in `xml`.
    pub signatures: u32,
    /// The signatures, in chain order.
    pub signers: Vec<SignerEntry>,
    /// Creation time (ISO 8601 UTC).
    pub created_at: String,
    /// Last change (ISO 8601 UTC).
    pub updated_at: String,
    /// Why the previous version was unlocked (versions made by an unlock only).
    pub unlock_reason: Option<String>,
    /// Who unlocked the previous version.
    pub unlocked_by: Option<TeacherId>,
}

/// A record built from the reviewed class summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewedRecord {
    /// Record id.
    pub id: String,
    /// The student.
    pub student: StudentCode,
    /// The class.
    pub class: ClassId,
    /// The school year.
    pub year: SchoolYear,
    /// 1 for a first record (inserted); above 1 for the draft made by an unlock
    /// (which must exist and still be a draft).
    pub version: u32,
    /// The unsigned document.
    pub xml: String,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
    /// Set when this rebuilds a record that is still `reviewed` and unsigned (the inputs
    /// changed after an earlier review): the SHA-256 of the stored document it replaces.
    pub replaces_sha256: Option<String>,
}

/// "Xác nhận tổng hợp" of a class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassReview {
    /// The class.
    pub class: ClassId,
    /// The homeroom teacher who confirmed.
    pub reviewed_by: TeacherId,
    /// When (ISO 8601 UTC).
    pub reviewed_at: String,
}

/// One more signature on a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSignature {
    /// The student.
    pub student: StudentCode,
    /// The record id.
    pub id: String,
    /// The state the caller saw.
    pub from: RecordState,
    /// The number of signatures the caller saw (and signed after).
    pub signatures_before: u32,
    /// The document with the new signature.
    pub xml: String,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
    /// The state after this signature (`signing`, or `signed` after the seal).
    pub to: RecordState,
    /// Who signed, as listed.
    pub signer: SignerEntry,
    /// For the first signature: the audit sequence number of the student's last input
    /// change ([`Store::last_input_change`]) read *before* the inputs the signer checked
    /// the document against. The signature is refused ([`Error::Conflict`]) when an input
    /// change was logged after it — checked in the signature's own transaction, after
    /// its compare-and-set has locked the record row, so a save racing the signature
    /// either lands first and is seen, or waits and then finds the record locked.
    /// `None`: no such check (later signatures sign a locked record).
    pub inputs_as_of: Option<i64>,
}

/// "Mở khóa": a locked version gets a successor draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unlock {
    /// The student.
    pub student: StudentCode,
    /// The locked version.
    pub id: String,
    /// SHA-256 of the locked version as the caller saw it.
    pub sha256: String,
    /// Id of the new version.
    pub new_id: String,
    /// Why (mandatory, 1–2000 characters).
    pub reason: String,
    /// The principal.
    pub by: TeacherId,
    /// When (ISO 8601 UTC).
    pub at: String,
    /// `true` only for "Lập phiên bản thay thế" after the registry approved the revocation
    /// of the locked version: a `synced` version may then be superseded. `false` ("Mở
    /// khóa"): a `synced` version is a [`Error::Conflict`] — once the registry holds it,
    /// only an approved revocation replaces it (checked here, in the unlock's transaction,
    /// so a sync landing between the caller's check and the unlock cannot slip through).
    pub replaces_revoked: bool,
}

/// The columns [`stored`] reads.
macro_rules! columns {
    () => {
        "SELECT student_code, id, class_id, start_year, version, state, xml, sha256, \
         supersedes_id, supersedes_sha256, signatures, signers, created_at, updated_at, \
         unlock_reason, unlocked_by FROM records "
    };
}

impl Store {
    /// Marks `review.class` reviewed (replacing an earlier mark) and stores `records` as
    /// `reviewed`, all in one transaction. A record with `replaces_sha256` replaces the
    /// document of a record still `reviewed`, unsigned and with that digest; otherwise a
    /// version-1 record is inserted ([`Error::Conflict`] if the student already has a
    /// record in the class) and a later version must be the student's draft. Any failed
    /// precondition is [`Error::Conflict`]; on any error nothing is stored.
    ///
    /// One audit entry per stored record (`record.review`) is appended with `stamp` in
    /// the same transaction.
    pub async fn review_class(
        &self,
        review: &ClassReview,
        records: &[ReviewedRecord],
        stamp: &AuditStamp,
    ) -> Result<()> {
        let changes: Vec<AuditChange> = records
            .iter()
            .map(|r| AuditChange {
                student: Some(r.student.clone()),
                class: Some(r.class),
                action: AuditAction::RecordReview,
                field: "record".to_string(),
                old: r.replaces_sha256.clone(),
                new: Some(format!("{} v{} {}", r.id, r.version.max(1), r.sha256)),
            })
            .collect();
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            sqlx::query(
                "INSERT INTO class_reviews (class_id, reviewed_by, reviewed_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (class_id) DO UPDATE SET reviewed_by = excluded.reviewed_by, \
                 reviewed_at = excluded.reviewed_at",
            )
            .bind(review.class.0)
            .bind(review.reviewed_by.0)
            .bind(&review.reviewed_at)
            .execute(&mut *tx)
            .await?;
            for r in records {
                if r.class != review.class {
                    return Err(Error::invalid("a reviewed record of another class"));
                }
                if let Some(old) = &r.replaces_sha256 {
                    let done = sqlx::query(
                        "UPDATE records SET xml = $3, sha256 = $4, updated_at = $5 \
                         WHERE student_code = $1 AND id = $2 AND class_id = $7 \
                         AND state = 'reviewed' AND signatures = 0 AND sha256 = $6",
                    )
                    .bind(r.student.as_str())
                    .bind(&r.id)
                    .bind(&r.xml)
                    .bind(&r.sha256)
                    .bind(&review.reviewed_at)
                    .bind(old)
                    .bind(r.class.0)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(conflict(&r.student, "is no longer the reviewed document"));
                    }
                } else if r.version <= 1 {
                    let existing = sqlx::query(
                        "SELECT 1 AS one FROM records WHERE student_code = $1 AND class_id = $2",
                    )
                    .bind(r.student.as_str())
                    .bind(r.class.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if existing.is_some() {
                        return Err(conflict(&r.student, "already has a record in this class"));
                    }
                    sqlx::query(
                        "INSERT INTO records (student_code, id, class_id, start_year, version, \
                         state, xml, sha256, signatures, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, 1, 'reviewed', $5, $6, 0, $7, $7)",
                    )
                    .bind(r.student.as_str())
                    .bind(&r.id)
                    .bind(r.class.0)
                    .bind(i64::from(i16_year(r.year)))
                    .bind(&r.xml)
                    .bind(&r.sha256)
                    .bind(&review.reviewed_at)
                    .execute(&mut *tx)
                    .await?;
                } else {
                    let done = sqlx::query(
                        "UPDATE records SET state = 'reviewed', xml = $4, sha256 = $5, \
                         updated_at = $6 WHERE student_code = $1 AND id = $2 AND version = $3 \
                         AND class_id = $7 AND state = 'draft'",
                    )
                    .bind(r.student.as_str())
                    .bind(&r.id)
                    .bind(i64::from(r.version))
                    .bind(&r.xml)
                    .bind(&r.sha256)
                    .bind(&review.reviewed_at)
                    .bind(r.class.0)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(conflict(&r.student, "has no draft of this version"));
                    }
                }
            }
            crate::audit::append_audit!(tx, stamp, &changes)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The review mark of a class, if it was reviewed.
    pub async fn class_review(&self, class: ClassId) -> Result<Option<ClassReview>> {
        dispatch!(self, |pool, _begin| {
            let found = sqlx::query(
                "SELECT class_id, reviewed_by, reviewed_at FROM class_reviews WHERE class_id = $1",
            )
            .bind(class.0)
            .fetch_optional(pool)
            .await?;
            found
                .map(|r| {
                    Ok(ClassReview {
                        class: ClassId(r.int("class_id")?),
                        reviewed_by: TeacherId(r.int("reviewed_by")?),
                        reviewed_at: r.text("reviewed_at")?,
                    })
                })
                .transpose()
        })
    }

    /// Adds a signature: the record must still be in `sig.from` with exactly
    /// `sig.signatures_before` signatures (compare-and-set), otherwise
    /// [`Error::Conflict`] and nothing changes. Of two signers racing on the same record,
    /// exactly one succeeds.
    ///
    /// An audit entry (`record.sign`, field `record/ROLE`, old and new digests) is
    /// appended with `stamp` in the same transaction; the move to `signed` also queues the
    /// record in the outbox there (see [`Store::claim_outbox`]).
    pub async fn add_signature(&self, sig: &NewSignature, stamp: &AuditStamp) -> Result<()> {
        if !matches!(sig.from, RecordState::Reviewed | RecordState::Signing)
            || !matches!(sig.to, RecordState::Signing | RecordState::Signed)
        {
            return Err(Error::invalid(format!(
                "no signature transition from {} to {}",
                sig.from.code(),
                sig.to.code()
            )));
        }
        let line = format!(
            "{}\t{}\t{}\n",
            one_line(&sig.signer.role),
            one_line(&sig.signer.name),
            one_line(&sig.signer.at)
        );
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let before = sqlx::query(
                "SELECT class_id, sha256 FROM records WHERE student_code = $1 AND id = $2",
            )
            .bind(sig.student.as_str())
            .bind(&sig.id)
            .fetch_optional(&mut *tx)
            .await?;
            let done = sqlx::query(
                "UPDATE records SET xml = $5, sha256 = $6, state = $7, \
                 signatures = signatures + 1, signers = signers || $8, updated_at = $9 \
                 WHERE student_code = $1 AND id = $2 AND state = $3 AND signatures = $4",
            )
            .bind(sig.student.as_str())
            .bind(&sig.id)
            .bind(sig.from.code())
            .bind(i64::from(sig.signatures_before))
            .bind(&sig.xml)
            .bind(&sig.sha256)
            .bind(sig.to.code())
            .bind(&line)
            .bind(&sig.signer.at)
            .execute(&mut *tx)
            .await?;
            let Some(before) = before.filter(|_| done.rows_affected() == 1) else {
                return Err(conflict(
                    &sig.student,
                    "the record changed since it was read (state or signatures)",
                ));
            };
            if let Some(seen) = sig.inputs_as_of {
                let class = before.int("class_id")?;
                let later = sqlx::query(concat!(
                    "SELECT COUNT(*) AS n FROM audit_log WHERE student_code = $1 \
                     AND (class_id = $2 OR class_id IS NULL) AND seq > $3 AND action IN (",
                    input_actions!(),
                    ")"
                ))
                .bind(sig.student.as_str())
                .bind(class)
                .bind(seen)
                .fetch_one(&mut *tx)
                .await?;
                if later.int("n")? > 0 {
                    return Err(conflict(
                        &sig.student,
                        "the inputs changed after the signer checked the document",
                    ));
                }
            }
            let change = AuditChange {
                student: Some(sig.student.clone()),
                class: Some(ClassId(before.int("class_id")?)),
                action: AuditAction::RecordSign,
                field: format!("record/{}", sig.signer.role),
                old: before.opt_text("sha256")?,
                new: Some(format!("{} {} {}", sig.id, sig.to.code(), sig.sha256)),
            };
            crate::audit::append_audit!(tx, stamp, std::slice::from_ref(&change))?;
            if sig.to == RecordState::Signed {
                // Sealed: queue it for the registry in this same transaction (0006).
                let class = before.int("class_id")?;
                crate::outbox::enqueue!(
                    tx,
                    sig.student.as_str(),
                    &sig.sha256,
                    &sig.id,
                    class,
                    &sig.signer.at
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// The sequence number of the last audit entry that changed `student`'s record inputs
    /// in `class` (or the student's own data, such as the personal ID); 0 when none.
    /// Read it before reading the inputs a first signature is checked against, and pass
    /// it as [`NewSignature::inputs_as_of`].
    pub async fn last_input_change(&self, student: &StudentCode, class: ClassId) -> Result<i64> {
        dispatch!(self, |pool, _begin| {
            let row = sqlx::query(concat!(
                "SELECT COALESCE(MAX(seq), 0) AS seq FROM audit_log WHERE student_code = $1 \
                 AND (class_id = $2 OR class_id IS NULL) AND action IN (",
                input_actions!(),
                ")"
            ))
            .bind(student.as_str())
            .bind(class.0)
            .fetch_one(pool)
            .await?;
            row.int("seq")
        })
    }

    /// "Mở khóa": in one transaction, checks that `unlock.id` is the student's latest
    /// version in its class, locked (`signing`, `signed` or `synced`), with the digest the
    /// caller saw, and inserts version + 1 as a `draft` that supersedes it and carries the
    /// reason. The locked version is left exactly as it was. [`Error::Conflict`] when any
    /// condition fails; [`Error::NotFound`] when the record does not exist.
    ///
    /// An audit entry (`record.unlock`, with the reason) is appended with `stamp` in the
    /// same transaction; the stamp's reason is the unlock's reason.
    pub async fn unlock_record(&self, unlock: &Unlock, stamp: &AuditStamp) -> Result<StoredRecord> {
        let reason = unlock.reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid("an unlock needs a reason"));
        }
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let old = sqlx::query(
                "SELECT class_id, start_year, version, state, sha256 FROM records \
                 WHERE student_code = $1 AND id = $2",
            )
            .bind(unlock.student.as_str())
            .bind(&unlock.id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::not_found(format!("record {}", unlock.id)))?;
            let class = old.int("class_id")?;
            let version = old.int("version")?;
            let state = row::code(&old.text("state")?, "record state", RecordState::from_code)?;
            if !state.is_locked() {
                return Err(conflict(&unlock.student, "the record is not locked"));
            }
            if state == RecordState::Synced && !unlock.replaces_revoked {
                return Err(conflict(
                    &unlock.student,
                    "the record is in the registry: only an approved revocation replaces it",
                ));
            }
            if old.opt_text("sha256")?.as_deref() != Some(unlock.sha256.as_str()) {
                return Err(conflict(
                    &unlock.student,
                    "the record changed since it was read",
                ));
            }
            let newer = sqlx::query(
                "SELECT 1 AS one FROM records WHERE student_code = $1 AND class_id = $2 \
                 AND version > $3",
            )
            .bind(unlock.student.as_str())
            .bind(class)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
            if newer.is_some() {
                return Err(conflict(&unlock.student, "a newer version exists"));
            }
            sqlx::query(
                "INSERT INTO records (student_code, id, class_id, start_year, version, state, \
                 supersedes_id, supersedes_sha256, signatures, created_at, updated_at, \
                 unlock_reason, unlocked_by) \
                 VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, 0, $8, $8, $9, $10)",
            )
            .bind(unlock.student.as_str())
            .bind(&unlock.new_id)
            .bind(class)
            .bind(old.int("start_year")?)
            .bind(version + 1)
            .bind(&unlock.id)
            .bind(&unlock.sha256)
            .bind(&unlock.at)
            .bind(reason)
            .bind(unlock.by.0)
            .execute(&mut *tx)
            .await?;
            let created = sqlx::query(concat!(columns!(), "WHERE student_code = $1 AND id = $2"))
                .bind(unlock.student.as_str())
                .bind(&unlock.new_id)
                .fetch_one(&mut *tx)
                .await?;
            let created = stored(&created)?;
            let change = AuditChange {
                student: Some(unlock.student.clone()),
                class: Some(ClassId(class)),
                action: AuditAction::RecordUnlock,
                field: "record".to_string(),
                old: Some(format!("{} v{version} {}", unlock.id, unlock.sha256)),
                new: Some(format!("{} v{} draft", unlock.new_id, version + 1)),
            };
            let stamp = AuditStamp {
                reason: Some(reason.to_string()),
                ..stamp.clone()
            };
            crate::audit::append_audit!(tx, &stamp, std::slice::from_ref(&change))?;
            tx.commit().await?;
            Ok(created)
        })
    }

    /// One version of a student's record.
    pub async fn record(&self, student: &StudentCode, id: &str) -> Result<StoredRecord> {
        dispatch!(self, |pool, _begin| {
            let found = sqlx::query(concat!(columns!(), "WHERE student_code = $1 AND id = $2"))
                .bind(student.as_str())
                .bind(id)
                .fetch_optional(pool)
                .await?;
            match found {
                Some(r) => stored(&r),
                None => Err(Error::not_found(format!("record {id}"))),
            }
        })
    }

    /// Every version of every record of a student, by school year then version.
    pub async fn records_of_student(&self, student: &StudentCode) -> Result<Vec<StoredRecord>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(concat!(
                columns!(),
                "WHERE student_code = $1 \
                 ORDER BY start_year, class_id, version"
            ))
            .bind(student.as_str())
            .fetch_all(pool)
            .await?;
            rows.iter().map(stored).collect()
        })
    }

    /// The latest version of each student's record in a class, by student code.
    pub async fn current_records_of_class(&self, class: ClassId) -> Result<Vec<StoredRecord>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(concat!(
                columns!(),
                "r WHERE class_id = $1 AND NOT EXISTS \
                 (SELECT 1 FROM records n WHERE n.student_code = r.student_code \
                 AND n.class_id = r.class_id AND n.version > r.version) \
                 ORDER BY student_code"
            ))
            .bind(class.0)
            .fetch_all(pool)
            .await?;
            rows.iter().map(stored).collect()
        })
    }

    /// The students of a class whose latest record version is locked (`signing`,
    /// `signed`, `synced`): their inputs must not change.
    pub async fn locked_students(&self, class: ClassId) -> Result<Vec<StudentCode>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT student_code FROM records r WHERE class_id = $1 \
                 AND state IN ('signing', 'signed', 'synced') AND NOT EXISTS \
                 (SELECT 1 FROM records n WHERE n.student_code = r.student_code \
                 AND n.class_id = r.class_id AND n.version > r.version) \
                 ORDER BY student_code",
            )
            .bind(class.0)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| row::parse(&r.text("student_code")?, "student code"))
                .collect()
        })
    }
}

fn conflict(student: &StudentCode, what: &str) -> Error {
    Error::Conflict {
        what: format!("record of {student}: {what}"),
    }
}

/// Tabs and newlines separate the `signers` column; they never occur inside a field.
fn one_line(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

fn stored(r: &impl RowExt) -> Result<StoredRecord> {
    let count = |v: i64, what: &str| {
        u32::try_from(v).map_err(|_| Error::invalid(format!("stored {what} {v}")))
    };
    let signers = r
        .text("signers")?
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            SignerEntry {
                role: f.next().unwrap_or_default().to_owned(),
                name: f.next().unwrap_or_default().to_owned(),
                at: f.next().unwrap_or_default().to_owned(),
            }
        })
        .collect();
    Ok(StoredRecord {
        id: r.text("id")?,
        student: row::parse(&r.text("student_code")?, "student code")?,
        class: ClassId(r.int("class_id")?),
        year: row::school_year(r.int("start_year")?)?,
        version: count(r.int("version")?, "version")?,
        state: row::code(&r.text("state")?, "record state", RecordState::from_code)?,
        xml: r.opt_text("xml")?,
        sha256: r.opt_text("sha256")?,
        supersedes: match (
            r.opt_text("supersedes_id")?,
            r.opt_text("supersedes_sha256")?,
        ) {
            (Some(id), Some(digest)) => Some((id, digest)),
            _ => None,
        },
        signatures: count(r.int("signatures")?, "signature count")?,
        signers,
        created_at: r.text("created_at")?,
        updated_at: r.text("updated_at")?,
        unlock_reason: r.opt_text("unlock_reason")?,
        unlocked_by: r.opt_int("unlocked_by")?.map(TeacherId),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_actions_match_record_inputs() {
        let listed: Vec<&str> = input_actions!()
            .split(',')
            .map(|c| c.trim().trim_matches('\''))
            .collect();
        let codes: Vec<&str> = AuditAction::RECORD_INPUTS
            .iter()
            .map(|a| a.code())
            .collect();
        assert_eq!(listed, codes);
    }
}
