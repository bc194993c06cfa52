//! The outbox towards the national registry (migration 0006, DESIGN.md §6): one entry per
//! record version to send, queued by the seal in the same transaction that moves the
//! record to `signed` ([`Store::add_signature`]), keyed by student and digest so the same
//! bytes are queued once.
//!
//! A sender claims due entries ([`Store::claim_outbox`]) with a compare-and-set per entry,
//! so two servers on one database never send the same entry at the same time; a claim
//! that is not settled before its lease ends (the sender died) is taken again. Each claim
//! ends in exactly one of [`Store::outbox_accepted`] (receipt stored and record `synced`,
//! one transaction), [`Store::outbox_retry`] (transient failure, next attempt scheduled by
//! the caller) or [`Store::outbox_rejected`] (definitive reject with its Vietnamese
//! reason). The store has no clock and no backoff policy: the caller passes times.

use domain::StudentCode;

use crate::audit::{Actor, AuditAction, AuditChange, AuditStamp, AuditTime};
use crate::row::{self, RowExt};
use crate::{ClassId, Error, Result, SchoolId, Store, TeacherId, dispatch};

/// The actor of the audit entries the background sender appends (no account: id 0).
pub const SYNC_ACTOR_USERNAME: &str = "he-thong-dong-bo";

/// Where an outbox entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxState {
    /// Waiting for its first attempt or, after a transient failure, its next one.
    Pending,
    /// Claimed by a sender: the request is in flight.
    Sent,
    /// The registry accepted it; its signed receipt is stored.
    Accepted,
    /// The registry rejected it definitively (no automatic retry).
    Rejected,
}

impl OutboxState {
    /// The stored code: `pending`, `sent`, `accepted`, `rejected`.
    pub const fn code(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sent => "sent",
            OutboxState::Accepted => "accepted",
            OutboxState::Rejected => "rejected",
        }
    }

    /// The state with this code, if any.
    pub fn from_code(code: &str) -> Option<OutboxState> {
        [
            OutboxState::Pending,
            OutboxState::Sent,
            OutboxState::Accepted,
            OutboxState::Rejected,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// One outbox entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The student (leads the key).
    pub student: StudentCode,
    /// Lowercase hex SHA-256 of the signed document to send (the rest of the key).
    pub digest: String,
    /// The record version's id.
    pub record_id: String,
    /// The record's class.
    pub class: ClassId,
    /// Where the entry is.
    pub state: OutboxState,
    /// Requests made so far (counted when claimed).
    pub attempts: u32,
    /// When the next attempt is due (Unix seconds; 0 = now).
    pub next_attempt_at: i64,
    /// The sender holding the claim while `sent`.
    pub claimed_by: Option<String>,
    /// Until when the claim holds while `sent` (Unix seconds).
    pub claimed_until: Option<i64>,
    /// The last transient failure, for the sync page.
    pub last_error: Option<String>,
    /// The registry's signed receipt document (JSON), once accepted.
    pub receipt: Option<String>,
    /// The registry's reject code, once rejected.
    pub reject_code: Option<String>,
    /// The reject reason in Vietnamese, shown to the principal and clerk.
    pub reject_message: Option<String>,
    /// The reject's technical detail.
    pub reject_detail: Option<String>,
    /// How many times the entry was sent again ("Gửi lại") after a reject.
    pub resent: u32,
    /// When it was queued (ISO 8601 UTC).
    pub created_at: String,
    /// Last change (ISO 8601 UTC).
    pub updated_at: String,
}

/// A claimed entry with the document to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedEntry {
    /// The entry as claimed (`sent`, attempts already counted).
    pub entry: OutboxEntry,
    /// The signed document's bytes (the record version's XML).
    pub xml: String,
}

/// A definitive reject from the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxReject {
    /// Machine-readable code.
    pub code: String,
    /// The reason in Vietnamese.
    pub message: String,
    /// Technical detail.
    pub detail: String,
}

/// The columns [`entry`] reads.
macro_rules! columns {
    () => {
        "SELECT student_code, digest, record_id, class_id, state, attempts, next_attempt_at, \
         claimed_by, claimed_until, last_error, receipt, reject_code, reject_message, \
         reject_detail, resent, created_at, updated_at FROM outbox "
    };
}

/// The condition on outbox row `o` that its record version has no newer version in its
/// class. A version unlocked before it was synced ("Mở khóa") is not sent: its corrected
/// successor is, once sealed.
macro_rules! not_superseded {
    () => {
        "NOT EXISTS (SELECT 1 FROM records r JOIN records n \
         ON n.student_code = r.student_code AND n.class_id = r.class_id \
         AND n.version > r.version \
         WHERE r.student_code = o.student_code AND r.id = o.record_id)"
    };
}

/// Which entries a claim may take.
#[derive(Clone, Copy)]
enum Scope {
    All,
    /// Of schools with their own registry token in the database.
    Linked,
    /// Of one school.
    School(SchoolId),
}

/// Inserts the outbox entry of a record version inside the caller's open transaction
/// `$tx`, due at once; does nothing when the same student and digest are already queued.
macro_rules! enqueue {
    ($tx:ident, $student:expr, $digest:expr, $record_id:expr, $class:expr, $at:expr) => {
        sqlx::query(
            "INSERT INTO outbox (student_code, digest, record_id, class_id, state, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', $5, $5) \
             ON CONFLICT (student_code, digest) DO NOTHING",
        )
        .bind($student)
        .bind($digest)
        .bind($record_id)
        .bind($class)
        .bind($at)
        .execute(&mut *$tx)
    };
}
pub(crate) use enqueue;

impl Store {
    /// Claims up to `limit` entries due at `now` for `worker` until `now + lease_secs`:
    /// `pending` entries whose `next_attempt_at <= now`, and `sent` entries whose claim
    /// expired — except entries whose record version was superseded (unlocked) before it
    /// was sent: those stay `pending` and are never sent. Each claim is a compare-and-set on the state and claim the entry had
    /// when it was read, so an entry raced by another sender is skipped, never sent twice
    /// at once. Attempts are counted here. Oldest due first.
    pub async fn claim_outbox(
        &self,
        worker: &str,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<ClaimedEntry>> {
        self.claim(worker, now, lease_secs, limit, Scope::All).await
    }

    /// [`Store::claim_outbox`] restricted to the entries of schools that have their own
    /// registry token ("Kết nối CSDL", migration 0010): the sender's claim when the server
    /// has no default token, so the other schools' entries wait untouched.
    pub async fn claim_outbox_of_linked_schools(
        &self,
        worker: &str,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<ClaimedEntry>> {
        self.claim(worker, now, lease_secs, limit, Scope::Linked)
            .await
    }

    /// [`Store::claim_outbox`] restricted to the entries of `school`: the sender's claim
    /// for a school whose registry token comes from the server's configuration
    /// (`--registry-school-token`) rather than from the database.
    pub async fn claim_outbox_of_school(
        &self,
        worker: &str,
        now: i64,
        lease_secs: i64,
        limit: u32,
        school: SchoolId,
    ) -> Result<Vec<ClaimedEntry>> {
        self.claim(worker, now, lease_secs, limit, Scope::School(school))
            .await
    }

    async fn claim(
        &self,
        worker: &str,
        now: i64,
        lease_secs: i64,
        limit: u32,
        scope: Scope,
    ) -> Result<Vec<ClaimedEntry>> {
        let at = iso(now);
        // Static SQL only: the variants differ by one condition.
        let select = match scope {
            Scope::School(_) => concat!(
                "SELECT student_code, digest, state, claimed_until FROM outbox o \
                 WHERE ((state = 'pending' AND next_attempt_at <= $1) \
                 OR (state = 'sent' AND claimed_until <= $1)) AND ",
                not_superseded!(),
                " AND o.class_id IN (SELECT c.id FROM classes c WHERE c.school_id = $3) \
                 ORDER BY next_attempt_at, created_at LIMIT $2"
            ),
            Scope::Linked => concat!(
                "SELECT student_code, digest, state, claimed_until FROM outbox o \
                 WHERE ((state = 'pending' AND next_attempt_at <= $1) \
                 OR (state = 'sent' AND claimed_until <= $1)) AND ",
                not_superseded!(),
                " AND o.class_id IN (SELECT c.id FROM classes c \
                 JOIN school_registry_tokens t ON t.school_id = c.school_id) \
                 ORDER BY next_attempt_at, created_at LIMIT $2"
            ),
            Scope::All => concat!(
                "SELECT student_code, digest, state, claimed_until FROM outbox o \
                 WHERE ((state = 'pending' AND next_attempt_at <= $1) \
                 OR (state = 'sent' AND claimed_until <= $1)) AND ",
                not_superseded!(),
                " ORDER BY next_attempt_at, created_at LIMIT $2"
            ),
        };
        dispatch!(self, |pool, _begin| {
            let mut query = sqlx::query(select).bind(now).bind(i64::from(limit));
            if let Scope::School(school) = scope {
                query = query.bind(school.0);
            }
            let due = query.fetch_all(pool).await?;
            let mut claimed = Vec::new();
            for d in &due {
                let student = d.text("student_code")?;
                let digest = d.text("digest")?;
                let done = sqlx::query(
                    "UPDATE outbox SET state = 'sent', attempts = attempts + 1, \
                     claimed_by = $3, claimed_until = $4, updated_at = $5 \
                     WHERE student_code = $1 AND digest = $2 AND state = $6 \
                     AND (claimed_until = $7 OR (claimed_until IS NULL AND $7 IS NULL))",
                )
                .bind(&student)
                .bind(&digest)
                .bind(worker)
                .bind(now + lease_secs)
                .bind(&at)
                .bind(d.text("state")?)
                .bind(d.opt_int("claimed_until")?)
                .execute(pool)
                .await?;
                if done.rows_affected() != 1 {
                    continue;
                }
                let r = sqlx::query(
                    "SELECT o.student_code, o.digest, o.record_id, o.class_id, o.state, \
                     o.attempts, o.next_attempt_at, o.claimed_by, o.claimed_until, \
                     o.last_error, o.receipt, o.reject_code, o.reject_message, \
                     o.reject_detail, o.resent, o.created_at, o.updated_at, r.xml \
                     FROM outbox o JOIN records r \
                     ON r.student_code = o.student_code AND r.id = o.record_id \
                     WHERE o.student_code = $1 AND o.digest = $2",
                )
                .bind(&student)
                .bind(&digest)
                .fetch_one(pool)
                .await?;
                let Some(xml) = r.opt_text("xml")? else {
                    return Err(Error::invalid(format!(
                        "outbox entry of {student}: the record has no document"
                    )));
                };
                claimed.push(ClaimedEntry {
                    entry: entry(&r)?,
                    xml,
                });
            }
            Ok(claimed)
        })
    }

    /// Settles a claimed entry as accepted: stores the receipt document and, in the same
    /// transaction, moves the record version from `signed` to `synced` (when it still is
    /// `signed` with this digest) and appends a `record.sync` audit entry by the sender
    /// (actor id 0, [`SYNC_ACTOR_USERNAME`]). [`Error::Conflict`] when the entry is no
    /// longer claimed by `worker` (its lease expired and another sender took it): nothing
    /// changes.
    pub async fn outbox_accepted(
        &self,
        student: &StudentCode,
        digest: &str,
        worker: &str,
        receipt: &str,
        now: i64,
    ) -> Result<()> {
        let at = iso(now);
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let done = sqlx::query(
                "UPDATE outbox SET state = 'accepted', receipt = $4, claimed_by = NULL, \
                 claimed_until = NULL, last_error = NULL, updated_at = $5 \
                 WHERE student_code = $1 AND digest = $2 AND state = 'sent' AND claimed_by = $3 \
                 RETURNING record_id, class_id",
            )
            .bind(student.as_str())
            .bind(digest)
            .bind(worker)
            .bind(receipt)
            .bind(&at)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(done) = done else {
                return Err(not_claimed(student, digest));
            };
            let record_id = done.text("record_id")?;
            let class = done.int("class_id")?;
            let synced = sqlx::query(
                "UPDATE records SET state = 'synced', updated_at = $4 \
                 WHERE student_code = $1 AND id = $2 AND sha256 = $3 AND state = 'signed'",
            )
            .bind(student.as_str())
            .bind(&record_id)
            .bind(digest)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
            if synced.rows_affected() == 1 {
                let school = sqlx::query("SELECT school_id FROM classes WHERE id = $1")
                    .bind(class)
                    .fetch_one(&mut *tx)
                    .await?
                    .int("school_id")?;
                let stamp = AuditStamp {
                    actor: Actor {
                        teacher: TeacherId(0),
                        username: SYNC_ACTOR_USERNAME.to_owned(),
                        full_name: "Hệ thống đồng bộ CSDL".to_owned(),
                        school: SchoolId(school),
                    },
                    at: AuditTime::from_unix(now),
                    reason: None,
                };
                let change = AuditChange {
                    student: Some(student.clone()),
                    class: Some(ClassId(class)),
                    action: AuditAction::RecordSync,
                    field: "record".to_owned(),
                    old: Some(format!("{record_id} signed")),
                    new: Some(format!("{record_id} synced {digest}")),
                };
                crate::audit::append_audit!(tx, &stamp, std::slice::from_ref(&change))?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Settles a claimed entry after a transient failure (network, 401, 5xx, a receipt
    /// that does not check): back to `pending`, due at `next_attempt_at`, with `error`
    /// kept for the sync page. [`Error::Conflict`] when no longer claimed by `worker`.
    pub async fn outbox_retry(
        &self,
        student: &StudentCode,
        digest: &str,
        worker: &str,
        error: &str,
        next_attempt_at: i64,
        now: i64,
    ) -> Result<()> {
        let error: String = error.chars().take(2000).collect();
        dispatch!(self, |pool, _begin| {
            let done = sqlx::query(
                "UPDATE outbox SET state = 'pending', next_attempt_at = $4, last_error = $5, \
                 claimed_by = NULL, claimed_until = NULL, updated_at = $6 \
                 WHERE student_code = $1 AND digest = $2 AND state = 'sent' AND claimed_by = $3",
            )
            .bind(student.as_str())
            .bind(digest)
            .bind(worker)
            .bind(next_attempt_at)
            .bind(&error)
            .bind(iso(now))
            .execute(pool)
            .await?;
            if done.rows_affected() != 1 {
                return Err(not_claimed(student, digest));
            }
            Ok(())
        })
    }

    /// Settles a claimed entry as rejected by the registry (no automatic retry).
    /// [`Error::Conflict`] when no longer claimed by `worker`.
    pub async fn outbox_rejected(
        &self,
        student: &StudentCode,
        digest: &str,
        worker: &str,
        reject: &OutboxReject,
        now: i64,
    ) -> Result<()> {
        let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
        let code = if reject.code.trim().is_empty() {
            "unknown".to_owned()
        } else {
            cut(reject.code.trim(), 100)
        };
        dispatch!(self, |pool, _begin| {
            let done = sqlx::query(
                "UPDATE outbox SET state = 'rejected', reject_code = $4, reject_message = $5, \
                 reject_detail = $6, claimed_by = NULL, claimed_until = NULL, \
                 last_error = NULL, updated_at = $7 \
                 WHERE student_code = $1 AND digest = $2 AND state = 'sent' AND claimed_by = $3",
            )
            .bind(student.as_str())
            .bind(digest)
            .bind(worker)
            .bind(&code)
            .bind(cut(&reject.message, 2000))
            .bind(cut(&reject.detail, 4000))
            .bind(iso(now))
            .execute(pool)
            .await?;
            if done.rows_affected() != 1 {
                return Err(not_claimed(student, digest));
            }
            Ok(())
        })
    }

    /// "Gửi lại": a `rejected` entry becomes `pending` and due at once; its reject stays
    /// readable in `last_error`, `resent` is counted, and a `record.resend` audit entry is
    /// appended with `stamp` in the same transaction. [`Error::Conflict`] when the entry is
    /// not rejected; [`Error::NotFound`] when there is none.
    pub async fn outbox_resend(
        &self,
        student: &StudentCode,
        digest: &str,
        stamp: &AuditStamp,
    ) -> Result<OutboxEntry> {
        let now = stamp.at.as_str().to_owned();
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let before = sqlx::query(
                "SELECT reject_code FROM outbox WHERE student_code = $1 AND digest = $2",
            )
            .bind(student.as_str())
            .bind(digest)
            .fetch_optional(&mut *tx)
            .await?;
            let done = sqlx::query(
                "UPDATE outbox SET state = 'pending', next_attempt_at = 0, \
                 last_error = reject_code || ': ' || COALESCE(reject_message, ''), \
                 reject_code = NULL, reject_message = NULL, reject_detail = NULL, \
                 resent = resent + 1, updated_at = $3 \
                 WHERE student_code = $1 AND digest = $2 AND state = 'rejected'",
            )
            .bind(student.as_str())
            .bind(digest)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            let found = sqlx::query(concat!(
                columns!(),
                "WHERE student_code = $1 AND digest = $2"
            ))
            .bind(student.as_str())
            .bind(digest)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(found) = found else {
                return Err(Error::not_found(format!("outbox entry {student} {digest}")));
            };
            if done.rows_affected() != 1 {
                return Err(Error::Conflict {
                    what: format!("outbox entry of {student}: not rejected"),
                });
            }
            let queued = entry(&found)?;
            let change = AuditChange {
                student: Some(student.clone()),
                class: Some(queued.class),
                action: AuditAction::RecordResend,
                field: "record".to_owned(),
                old: match before {
                    Some(b) => b.opt_text("reject_code")?,
                    None => None,
                },
                new: Some(format!("{} {digest}", queued.record_id)),
            };
            crate::audit::append_audit!(tx, stamp, std::slice::from_ref(&change))?;
            tx.commit().await?;
            Ok(queued)
        })
    }

    /// One entry.
    pub async fn outbox_entry(&self, student: &StudentCode, digest: &str) -> Result<OutboxEntry> {
        dispatch!(self, |pool, _begin| {
            let found = sqlx::query(concat!(
                columns!(),
                "WHERE student_code = $1 AND digest = $2"
            ))
            .bind(student.as_str())
            .bind(digest)
            .fetch_optional(pool)
            .await?;
            match found {
                Some(r) => entry(&r),
                None => Err(Error::not_found(format!("outbox entry {student} {digest}"))),
            }
        })
    }

    /// Every entry of a student's records, oldest first.
    pub async fn outbox_of_student(&self, student: &StudentCode) -> Result<Vec<OutboxEntry>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(concat!(
                columns!(),
                "WHERE student_code = $1 ORDER BY created_at, digest"
            ))
            .bind(student.as_str())
            .fetch_all(pool)
            .await?;
            rows.iter().map(entry).collect()
        })
    }

    /// Every entry of the classes of a school, by class then student.
    pub async fn outbox_of_school(&self, school: SchoolId) -> Result<Vec<OutboxEntry>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(concat!(
                columns!(),
                "WHERE class_id IN (SELECT id FROM classes WHERE school_id = $1) \
                 ORDER BY class_id, student_code, created_at"
            ))
            .bind(school.0)
            .fetch_all(pool)
            .await?;
            rows.iter().map(entry).collect()
        })
    }

    /// The earliest time an entry becomes due (a `pending` entry's next attempt or a
    /// `sent` entry's claim end), for the sender to sleep until; `None` when nothing is
    /// waiting.
    pub async fn outbox_next_due(&self) -> Result<Option<i64>> {
        dispatch!(self, |pool, _begin| {
            let r = sqlx::query(concat!(
                "SELECT MIN(CASE WHEN state = 'pending' THEN next_attempt_at \
                 ELSE claimed_until END) AS due FROM outbox o \
                 WHERE state IN ('pending', 'sent') AND ",
                not_superseded!()
            ))
            .fetch_one(pool)
            .await?;
            r.opt_int("due")
        })
    }
}

fn not_claimed(student: &StudentCode, digest: &str) -> Error {
    Error::Conflict {
        what: format!("outbox entry of {student} ({digest}) is not claimed by this sender"),
    }
}

/// Unix seconds as ISO 8601 UTC text (`updated_at`).
fn iso(unix: i64) -> String {
    crate::AuditTime::from_unix(unix).as_str().to_owned()
}

fn entry(r: &impl RowExt) -> Result<OutboxEntry> {
    let count = |v: i64, what: &str| {
        u32::try_from(v).map_err(|_| Error::invalid(format!("stored {what} {v}")))
    };
    Ok(OutboxEntry {
        student: row::parse(&r.text("student_code")?, "student code")?,
        digest: r.text("digest")?,
        record_id: r.text("record_id")?,
        class: ClassId(r.int("class_id")?),
        state: row::code(&r.text("state")?, "outbox state", OutboxState::from_code)?,
        attempts: count(r.int("attempts")?, "attempts")?,
        next_attempt_at: r.int("next_attempt_at")?,
        claimed_by: r.opt_text("claimed_by")?,
        claimed_until: r.opt_int("claimed_until")?,
        last_error: r.opt_text("last_error")?,
        receipt: r.opt_text("receipt")?,
        reject_code: r.opt_text("reject_code")?,
        reject_message: r.opt_text("reject_message")?,
        reject_detail: r.opt_text("reject_detail")?,
        resent: count(r.int("resent")?, "resent")?,
        created_at: r.text("created_at")?,
        updated_at: r.text("updated_at")?,
    })
}
