//! The audit log (migration 0004): an append-only, hash-chained record of every change
//! the school application makes — who, when, which field, old → new, why.
//!
//! # The chain
//!
//! Entries are numbered `seq = 1, 2, 3, …` with no gaps. Entry *n* stores `prev_hash`
//! (the `hash` of entry *n − 1*, or 64 zeros for entry 1) and
//! `hash = hex(SHA-256(encoding))`, where the encoding is the ASCII tag
//! `hocba-audit-v1` followed by these fields in this order, each self-delimiting:
//!
//! `seq, prev_hash, at, actor_id, actor_username, actor_name, school_id, student_code,
//! class_id, action, field, old_value, new_value, reason`
//!
//! * an integer is the byte `i` then 8 bytes big-endian two's complement;
//! * a text is the byte `s`, its UTF-8 length as 8 bytes big-endian, then its bytes;
//! * a NULL is the byte `n`.
//!
//! Every field is typed and length-prefixed, so no two different entries encode to the
//! same bytes. The one-row table `audit_head` holds the last `seq` and `hash`; it moves in
//! the same transaction as every append, so [`Store::verify_audit_chain`] also notices
//! entries cut off the end of the log.
//!
//! # Appending
//!
//! An append locks `audit_head` (`UPDATE … RETURNING`: a row lock on PostgreSQL, inside
//! `BEGIN IMMEDIATE` on SQLite), so concurrent writers queue and the chain stays gap-free.
//! Writes that change school data append their entries **in the same transaction** as
//! the change ([`Store::save_subject_sheet_audited`], [`Store::save_class_summary_audited`],
//! [`Store::set_password_hash_audited`]); store methods added later do the same with the
//! crate-internal `append_audit!` macro on their own transaction.
//!
//! # What it protects against
//!
//! Triggers reject `UPDATE`, `DELETE` and `TRUNCATE` on `audit_log`. Someone with the
//! rights to drop the triggers can still edit rows; the chain then breaks at the first
//! edited, removed, inserted or reordered entry, and verification names it. The chain has
//! no key: someone who rewrites *every* later entry and the head consistently is not
//! detected by the database alone — compare the head hash printed by
//! `hocba audit verify` with one recorded earlier outside the database.

use std::fmt;
use std::str::FromStr;

use domain::StudentCode;
use sha2::{Digest, Sha256};

use crate::row::{self, RowExt};
use crate::{
    Absences, ClassId, ConductRating, Error, Result, SchoolId, Store, TeacherId, dispatch,
};

/// The `prev_hash` of the first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How many entries verification reads per query.
const VERIFY_PAGE: i64 = 2000;

/// The account that made a change; copied into every entry, so the log stays readable
/// after the account is renamed or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account's id.
    pub teacher: TeacherId,
    /// Its username at the time.
    pub username: String,
    /// Its full name at the time.
    pub full_name: String,
    /// Its school.
    pub school: SchoolId,
}

/// A UTC instant to the second, written `YYYY-MM-DDTHH:MM:SSZ`. The store has no clock:
/// the caller supplies the time ([`AuditTime::from_unix`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AuditTime(String);

/// Text that is not an `YYYY-MM-DDTHH:MM:SSZ` instant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ: {0:?}")]
pub struct InvalidAuditTime(pub String);

impl AuditTime {
    /// The instant `secs` seconds after 1970-01-01T00:00:00Z (negative values are before
    /// it; years outside 0000–9999 are clamped to those bounds).
    pub fn from_unix(secs: i64) -> AuditTime {
        let (y, mo, d, h, mi, s) = domain::date::utc_from_unix(secs);
        AuditTime(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"))
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AuditTime {
    type Err = InvalidAuditTime;

    fn from_str(s: &str) -> Result<AuditTime, InvalidAuditTime> {
        domain::date::parse_utc_instant(s).ok_or_else(|| InvalidAuditTime(s.to_owned()))?;
        Ok(AuditTime(s.to_owned()))
    }
}

impl fmt::Display for AuditTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who changes something, when, and (for actions that need one) why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditStamp {
    /// The account.
    pub actor: Actor,
    /// When.
    pub at: AuditTime,
    /// Why, when the action asks for a reason (unlocking a record); `None` otherwise.
    pub reason: Option<String>,
}

macro_rules! actions {
    ($($(#[$m:meta])* $variant:ident = $code:literal),+ $(,)?) => {
        /// What kind of change an entry records; stored as its code (`score.set`, …).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum AuditAction { $($(#[$m])* $variant),+ }

        impl AuditAction {
            /// Every action.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant),+];

            /// The stored code.
            pub fn code(self) -> &'static str {
                match self { $(AuditAction::$variant => $code),+ }
            }

            /// The action stored as `code`.
            pub fn from_code(code: &str) -> Option<AuditAction> {
                match code { $($code => Some(AuditAction::$variant),)+ _ => None }
            }
        }
    };
}

actions! {
    /// A score cell (ĐĐGtx *n*, ĐĐGgk, ĐĐGck): field `SUBJECT/HKn/txN|gk|ck`, values are
    /// tenths written `8.5`.
    ScoreSet = "score.set",
    /// A comment-only subject's result: field `SUBJECT/HKn/kq`, values `dat` / `chua_dat`.
    ResultSet = "result.set",
    /// A subject comment (nhận xét): field `SUBJECT/TERM/nx`, values the text.
    CommentSet = "comment.set",
    /// Conduct (rèn luyện) of a semester: field `HKn/rl`, values `tot` / `kha` / `dat` /
    /// `chua_dat`.
    ConductSet = "conduct.set",
    /// Absences of the year: field `np` (excused) or `kp` (unexcused), values whole days.
    AbsencesSet = "absences.set",
    /// An account's password changed: field `password`, never any value.
    PasswordChange = "password.change",
    /// A class or record marked reviewed.
    RecordReview = "record.review",
    /// A record signed.
    RecordSign = "record.sign",
    /// A signed record unlocked (needs a reason).
    RecordUnlock = "record.unlock",
    /// A sealed record accepted by the registry (its receipt stored), by the background
    /// sender: field `record`, old `ID signed`, new `ID synced DIGEST`.
    RecordSync = "record.sync",
    /// A record rejected by the registry queued again ("Gửi lại"): field `record`, old the
    /// reject code, new `ID DIGEST`.
    RecordResend = "record.resend",
    /// A primary subject's level (mức đạt được, TT27) at a checkpoint: field
    /// `SUBJECT/PERIOD/muc` (`GK1`, `CK1`, `GK2`, `CN`), values `htt` / `ht` / `cht`.
    Tt27LevelSet = "tt27.level.set",
    /// A primary periodic test (TT27): field `SUBJECT/PERIOD/kt`, values integers 1–10.
    Tt27TestSet = "tt27.test.set",
    /// A quality or competence (TT27): field `PERIOD/ITEM` (e.g. `CN/yeu_nuoc`), values
    /// `tot` / `dat` / `can_co_gang`.
    Tt27RatingSet = "tt27.rating.set",
    /// "Học sinh Tiêu biểu" (TT27): field `tieu_bieu`, values the note (`""` for a flag
    /// without a note); none when not recognised.
    Tt27OutstandingSet = "tt27.outstanding.set",
    /// A paper copy printed (STORIES #17): field `record`, new value `ID vN`.
    RecordPrint = "record.print",
    /// An account created by the school admin ("Tài khoản giáo viên"): field
    /// `account/USERNAME`, new value the role codes joined by `,`.
    AccountCreate = "account.create",
    /// An account's roles changed by the school admin: field `account/USERNAME/roles`,
    /// values the role codes joined by `,`.
    AccountRoles = "account.roles",
    /// A first-login password issued (account created or password reset): field
    /// `account/USERNAME/password`, never any value.
    PasswordIssue = "password.issue",
    /// A class's homeroom teacher set or cleared ("Phân công giảng dạy"): field `gvcn`,
    /// values usernames.
    HomeroomSet = "class.homeroom.set",
    /// Who teaches a subject in a class ("Phân công giảng dạy"): field `SUBJECT/gv`,
    /// values usernames joined by `,`.
    AssignmentSet = "class.assignment.set",
    /// A student's personal ID entered ("Chưa có mã định danh"): field `personal_id`,
    /// new value the 12 digits.
    PersonalIdSet = "student.personal_id.set",
    /// A school year created by a school admin ("Năm học"): field `school_year`, new
    /// value `YYYY-YYYY FIRST_DAY LAST_DAY`.
    SchoolYearCreate = "school_year.create",
    /// An account locked by the school admin ("Khóa tài khoản"): its password removed and
    /// its sessions ended; field `account/USERNAME/password`, never any value. A new
    /// first-login password (`password.issue`) opens it again.
    AccountLock = "account.lock",
    /// The school's registry token set or replaced ("Kết nối CSDL"): field
    /// `registry/token`, new value `…` and its last 4 characters, never the token.
    RegistryTokenSet = "registry.token.set",
    /// A certificate uploaded and submitted to the registry ("Chứng thư số"): field
    /// `certificate/KIND`, new value the SHA-256 fingerprint.
    CertificateSubmit = "certificate.submit",
    /// "Đề nghị thu hồi" of a synced record sent to the registry: field `record`, old
    /// `ID DIGEST`, new `revocation REGISTRY_ID`; the reason is the entry's reason.
    RevocationRequest = "record.revocation.request",
}

impl AuditAction {
    /// The actions that change what a student's record is built from: scores, results,
    /// comments, conduct, absences, the TT27 assessments, summer results (stored as these
    /// same actions) and the personal ID. A record's first signature is refused when one
    /// of them was logged after the inputs its signer checked
    /// ([`NewSignature::inputs_as_of`](crate::NewSignature::inputs_as_of)).
    pub const RECORD_INPUTS: &'static [AuditAction] = &[
        AuditAction::ScoreSet,
        AuditAction::ResultSet,
        AuditAction::CommentSet,
        AuditAction::ConductSet,
        AuditAction::AbsencesSet,
        AuditAction::Tt27LevelSet,
        AuditAction::Tt27TestSet,
        AuditAction::Tt27RatingSet,
        AuditAction::Tt27OutstandingSet,
        AuditAction::PersonalIdSet,
    ];
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One change to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditChange {
    /// The student the change is about, if any.
    pub student: Option<StudentCode>,
    /// The class, if any.
    pub class: Option<ClassId>,
    /// What kind of change.
    pub action: AuditAction,
    /// Which field, e.g. `TOAN/HK1/tx2` (see [`AuditAction`] for each action's fields).
    pub field: String,
    /// The value before; `None` when there was none.
    pub old: Option<String>,
    /// The value after; `None` when it was cleared.
    pub new: Option<String>,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Sequence number, from 1, without gaps.
    pub seq: i64,
    /// When.
    pub at: AuditTime,
    /// The account's id.
    pub actor: TeacherId,
    /// The account's username at the time.
    pub actor_username: String,
    /// The account's full name at the time.
    pub actor_name: String,
    /// The school the change was made in.
    pub school: SchoolId,
    /// The student, if any.
    pub student: Option<StudentCode>,
    /// The class, if any.
    pub class: Option<ClassId>,
    /// What kind of change.
    pub action: AuditAction,
    /// Which field.
    pub field: String,
    /// Value before.
    pub old: Option<String>,
    /// Value after.
    pub new: Option<String>,
    /// Why, if a reason was given.
    pub reason: Option<String>,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// Hash of this entry.
    pub hash: String,
}

/// An intact chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheck {
    /// How many entries were checked (the last sequence number).
    pub entries: i64,
    /// The hash of the last entry ([`GENESIS_HASH`] for an empty log).
    pub last_hash: String,
}

/// Where and why a chain is broken: the first bad sequence number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit log broken at entry {seq}: {reason}")]
pub struct AuditBreak {
    /// The first sequence number that does not check out.
    pub seq: i64,
    /// Why.
    pub reason: BreakReason,
}

/// Why an entry does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BreakReason {
    /// The entry with this number is absent: the next entry has a higher number.
    #[error("entry is missing (the next stored entry is {found})")]
    Missing {
        /// The sequence number found instead.
        found: i64,
    },
    /// The entry does not point at the hash of the entry before it (entries were
    /// removed, inserted or reordered before it).
    #[error("prev_hash {found} is not the hash of the entry before ({expected})")]
    PrevHash {
        /// Hash of the previous entry.
        expected: String,
        /// The entry's `prev_hash`.
        found: String,
    },
    /// The entry's content does not hash to its stored hash (it was edited).
    #[error("content hashes to {computed}, stored hash is {stored}")]
    Hash {
        /// Hash recomputed from the content.
        computed: String,
        /// Hash stored in the entry.
        stored: String,
    },
    /// The log ends before the head says it does (entries were cut off the end).
    #[error("the log ends at entry {last}, the head records {head} entries")]
    Truncated {
        /// The last entry present.
        last: i64,
        /// The count the head records.
        head: i64,
    },
    /// The head does not match the last entry (the head or the tail was altered).
    #[error("the head records seq {head_seq} with hash {head_hash}, the log ends at {last}")]
    Head {
        /// The head's sequence number.
        head_seq: i64,
        /// The head's hash.
        head_hash: String,
        /// The last entry present.
        last: i64,
    },
}

impl Store {
    /// Appends `changes` as consecutive entries stamped with `stamp`, in one transaction of
    /// their own. Prefer the audited writes, which append in the same transaction as the
    /// change they record. Nothing is written for an empty list.
    pub async fn append_audit(&self, stamp: &AuditStamp, changes: &[AuditChange]) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            append_audit!(tx, stamp, changes)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The entries about `student` made in `school`, newest first.
    pub async fn audit_of_student(
        &self,
        school: SchoolId,
        student: &StudentCode,
    ) -> Result<Vec<AuditEntry>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT seq, at, actor_id, actor_username, actor_name, school_id, student_code, \
                 class_id, action, field, old_value, new_value, reason, prev_hash, hash \
                 FROM audit_log WHERE student_code = $1 AND school_id = $2 ORDER BY seq DESC",
            )
            .bind(student.as_str())
            .bind(school.0)
            .fetch_all(pool)
            .await?;
            rows.iter().map(|r| RawEntry::read(r)?.parse()).collect()
        })
    }

    /// The entry with sequence number `seq`, if there is one.
    pub async fn audit_entry(&self, seq: i64) -> Result<Option<AuditEntry>> {
        dispatch!(self, |pool, _begin| {
            let found = sqlx::query(
                "SELECT seq, at, actor_id, actor_username, actor_name, school_id, student_code, \
                 class_id, action, field, old_value, new_value, reason, prev_hash, hash \
                 FROM audit_log WHERE seq = $1",
            )
            .bind(seq)
            .fetch_optional(pool)
            .await?;
            found.map(|r| RawEntry::read(&r)?.parse()).transpose()
        })
    }

    /// The most recent `limit` entries of the whole log, newest first.
    pub async fn audit_latest(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT seq, at, actor_id, actor_username, actor_name, school_id, student_code, \
                 class_id, action, field, old_value, new_value, reason, prev_hash, hash \
                 FROM audit_log ORDER BY seq DESC LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
            rows.iter().map(|r| RawEntry::read(r)?.parse()).collect()
        })
    }

    /// Recomputes every entry's hash in order and checks the links and the head. The
    /// outer `Result` is a database failure; the inner one the verdict: the count and
    /// last hash of an intact chain, or the first broken sequence number and why.
    pub async fn verify_audit_chain(&self) -> Result<Result<AuditCheck, AuditBreak>> {
        let mut expected_seq = 1i64;
        let mut prev = GENESIS_HASH.to_owned();
        loop {
            let page = self.audit_page(expected_seq - 1).await?;
            let done = (page.len() as i64) < VERIFY_PAGE;
            for e in &page {
                if e.seq != expected_seq {
                    return Ok(Err(AuditBreak {
                        seq: expected_seq,
                        reason: BreakReason::Missing { found: e.seq },
                    }));
                }
                if e.prev_hash != prev {
                    return Ok(Err(AuditBreak {
                        seq: e.seq,
                        reason: BreakReason::PrevHash {
                            expected: prev,
                            found: e.prev_hash.clone(),
                        },
                    }));
                }
                let computed = e.compute_hash();
                if computed != e.hash {
                    return Ok(Err(AuditBreak {
                        seq: e.seq,
                        reason: BreakReason::Hash {
                            computed,
                            stored: e.hash.clone(),
                        },
                    }));
                }
                prev = e.hash.clone();
                expected_seq += 1;
            }
            if done {
                break;
            }
        }
        let last = expected_seq - 1;
        let (head_seq, head_hash) = self.audit_head().await?;
        if head_seq > last {
            return Ok(Err(AuditBreak {
                seq: last + 1,
                reason: BreakReason::Truncated {
                    last,
                    head: head_seq,
                },
            }));
        }
        if head_seq != last || head_hash != prev {
            return Ok(Err(AuditBreak {
                seq: last,
                reason: BreakReason::Head {
                    head_seq,
                    head_hash,
                    last,
                },
            }));
        }
        Ok(Ok(AuditCheck {
            entries: last,
            last_hash: prev,
        }))
    }

    /// Up to [`VERIFY_PAGE`] raw entries after `after`, in order.
    async fn audit_page(&self, after: i64) -> Result<Vec<RawEntry>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT seq, at, actor_id, actor_username, actor_name, school_id, student_code, \
                 class_id, action, field, old_value, new_value, reason, prev_hash, hash \
                 FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after)
            .bind(VERIFY_PAGE)
            .fetch_all(pool)
            .await?;
            rows.iter().map(RawEntry::read).collect()
        })
    }

    /// The head row: last sequence number and hash.
    async fn audit_head(&self) -> Result<(i64, String)> {
        dispatch!(self, |pool, _begin| {
            let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_optional(pool)
                .await?
                .ok_or_else(|| Error::not_found("audit_head row"))?;
            Ok((r.int("seq")?, r.text("hash")?))
        })
    }
}

/// One student's row of the homeroom summary to save: conduct per semester and the
/// year's absences; `None` leaves the stored value as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    /// The student (enrolled in the class).
    pub student: StudentCode,
    /// Conduct of HK I and HK II.
    pub conduct: [Option<ConductRating>; 2],
    /// Absences of the year.
    pub absences: Option<Absences>,
}

impl Store {
    /// Saves the homeroom summary rows of a class in **one transaction**, writing only the
    /// values that change, each with its audit entry (`conduct.set` on `HKn/rl`,
    /// `absences.set` on `np` / `kp`) stamped with `stamp`: a
    /// [`Store::save_homeroom_rows_audited`] where `None` keeps the stored conduct. All or
    /// nothing: [`Error::NotFound`] when a student is not enrolled in the class,
    /// [`Error::Locked`] when a value of a student whose record is locked would change.
    pub async fn save_class_summary_audited(
        &self,
        class: ClassId,
        rows: &[SummaryRow],
        stamp: &AuditStamp,
    ) -> Result<()> {
        let rows: Vec<crate::HomeroomRow> = rows
            .iter()
            .map(|r| crate::HomeroomRow {
                student: r.student.clone(),
                conduct: r
                    .conduct
                    .map(|c| c.map_or(crate::ValueEdit::Keep, crate::ValueEdit::Set)),
                absences: r.absences,
            })
            .collect();
        self.save_homeroom_rows_audited(class, &rows, stamp).await
    }

    /// Sets the password hash of an account and, in the same transaction, appends a
    /// `password.change` entry about it (field `password`, no values: neither the
    /// password nor its hash ever reaches the log). [`Error::NotFound`] if absent.
    pub async fn set_password_hash_audited(
        &self,
        id: TeacherId,
        hash: &str,
        stamp: &AuditStamp,
    ) -> Result<()> {
        let change = AuditChange {
            student: None,
            class: None,
            action: AuditAction::PasswordChange,
            field: "password".to_owned(),
            old: None,
            new: None,
        };
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let done = sqlx::query("UPDATE teachers SET password_hash = $2 WHERE id = $1")
                .bind(id.0)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(Error::not_found(format!("teacher {id}")));
            }
            append_audit!(tx, stamp, std::slice::from_ref(&change))?;
            tx.commit().await?;
            Ok(())
        })
    }
}

/// Appends entries on an open transaction (`$tx`, a `sqlx::Transaction` of either
/// backend): locks `audit_head`, inserts one chained entry per change, moves the head.
/// Evaluates to `Result<()>`; does nothing for no changes. The caller commits.
macro_rules! append_audit {
    ($tx:ident, $stamp:expr, $changes:expr) => {
        async {
            let stamp: &$crate::audit::AuditStamp = $stamp;
            let changes: &[$crate::audit::AuditChange] = $changes;
            if changes.is_empty() {
                return Ok::<(), $crate::Error>(());
            }
            // The no-op UPDATE takes the head's row lock (PostgreSQL) before reading it,
            // so a concurrent appender waits here and then sees this one's head.
            let head =
                sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
                    .fetch_optional(&mut *$tx)
                    .await?
                    .ok_or_else(|| $crate::Error::not_found("audit_head row"))?;
            let mut seq = $crate::row::RowExt::int(&head, "seq")?;
            let mut prev = $crate::row::RowExt::text(&head, "hash")?;
            for change in changes {
                seq += 1;
                let entry = $crate::audit::RawEntry::new(seq, prev, stamp, change);
                sqlx::query(
                    "INSERT INTO audit_log (seq, at, actor_id, actor_username, actor_name, \
                     school_id, student_code, class_id, action, field, old_value, new_value, \
                     reason, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                )
                .bind(entry.seq)
                .bind(&entry.at)
                .bind(entry.actor_id)
                .bind(&entry.actor_username)
                .bind(&entry.actor_name)
                .bind(entry.school_id)
                .bind(&entry.student_code)
                .bind(entry.class_id)
                .bind(&entry.action)
                .bind(&entry.field)
                .bind(&entry.old_value)
                .bind(&entry.new_value)
                .bind(&entry.reason)
                .bind(&entry.prev_hash)
                .bind(&entry.hash)
                .execute(&mut *$tx)
                .await?;
                prev = entry.hash;
            }
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(seq)
                .bind(&prev)
                .execute(&mut *$tx)
                .await?;
            Ok::<(), $crate::Error>(())
        }
        .await
    };
}
pub(crate) use append_audit;

/// An entry exactly as stored (texts not parsed), what the hash is computed over.
#[derive(Debug, Clone)]
pub(crate) struct RawEntry {
    pub(crate) seq: i64,
    pub(crate) at: String,
    pub(crate) actor_id: i64,
    pub(crate) actor_username: String,
    pub(crate) actor_name: String,
    pub(crate) school_id: i64,
    pub(crate) student_code: Option<String>,
    pub(crate) class_id: Option<i64>,
    pub(crate) action: String,
    pub(crate) field: String,
    pub(crate) old_value: Option<String>,
    pub(crate) new_value: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) prev_hash: String,
    pub(crate) hash: String,
}

impl RawEntry {
    /// Entry `seq` after `prev_hash`, with its hash computed.
    pub(crate) fn new(
        seq: i64,
        prev_hash: String,
        stamp: &AuditStamp,
        change: &AuditChange,
    ) -> RawEntry {
        let mut e = RawEntry {
            seq,
            at: stamp.at.as_str().to_owned(),
            actor_id: stamp.actor.teacher.0,
            actor_username: stamp.actor.username.clone(),
            actor_name: stamp.actor.full_name.clone(),
            school_id: stamp.actor.school.0,
            student_code: change.student.as_ref().map(|s| s.as_str().to_owned()),
            class_id: change.class.map(|c| c.0),
            action: change.action.code().to_owned(),
            field: change.field.clone(),
            old_value: change.old.clone(),
            new_value: change.new.clone(),
            reason: stamp.reason.clone(),
            prev_hash,
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }

    pub(crate) fn read<R: RowExt>(r: &R) -> Result<RawEntry> {
        Ok(RawEntry {
            seq: r.int("seq")?,
            at: r.text("at")?,
            actor_id: r.int("actor_id")?,
            actor_username: r.text("actor_username")?,
            actor_name: r.text("actor_name")?,
            school_id: r.int("school_id")?,
            student_code: r.opt_text("student_code")?,
            class_id: r.opt_int("class_id")?,
            action: r.text("action")?,
            field: r.text("field")?,
            old_value: r.opt_text("old_value")?,
            new_value: r.opt_text("new_value")?,
            reason: r.opt_text("reason")?,
            prev_hash: r.text("prev_hash")?,
            hash: r.text("hash")?,
        })
    }

    /// The SHA-256 of the canonical encoding (module doc), lowercase hex.
    pub(crate) fn compute_hash(&self) -> String {
        let mut h = Canonical(Sha256::new());
        h.0.update(b"hocba-audit-v1");
        h.int(Some(self.seq));
        h.text(Some(&self.prev_hash));
        h.text(Some(&self.at));
        h.int(Some(self.actor_id));
        h.text(Some(&self.actor_username));
        h.text(Some(&self.actor_name));
        h.int(Some(self.school_id));
        h.text(self.student_code.as_deref());
        h.int(self.class_id);
        h.text(Some(&self.action));
        h.text(Some(&self.field));
        h.text(self.old_value.as_deref());
        h.text(self.new_value.as_deref());
        h.text(self.reason.as_deref());
        hex::encode(h.0.finalize())
    }

    pub(crate) fn parse(self) -> Result<AuditEntry> {
        Ok(AuditEntry {
            seq: self.seq,
            at: row::parse(&self.at, "audit time")?,
            actor: TeacherId(self.actor_id),
            actor_username: self.actor_username,
            actor_name: self.actor_name,
            school: SchoolId(self.school_id),
            student: self
                .student_code
                .as_deref()
                .map(|s| row::parse(s, "student code"))
                .transpose()?,
            class: self.class_id.map(ClassId),
            action: AuditAction::from_code(&self.action)
                .ok_or_else(|| Error::invalid(format!("stored audit action {:?}", self.action)))?,
            field: self.field,
            old: self.old_value,
            new: self.new_value,
            reason: self.reason,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// The typed, length-prefixed encoding of the module doc.
struct Canonical(Sha256);

impl Canonical {
    fn int(&mut self, v: Option<i64>) {
        match v {
            Some(v) => {
                self.0.update(b"i");
                self.0.update(v.to_be_bytes());
            }
            None => self.0.update(b"n"),
        }
    }

    fn text(&mut self, v: Option<&str>) {
        match v {
            Some(v) => {
                self.0.update(b"s");
                self.0.update((v.len() as u64).to_be_bytes());
                self.0.update(v.as_bytes());
            }
            None => self.0.update(b"n"),
        }
    }
}

/// A score as stored in the log: tenths written with one decimal, `8.5`, `10.0`.
pub(crate) fn score_text(tenths: i64) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_in_utc_to_the_second() {
        assert_eq!(AuditTime::from_unix(0).as_str(), "1970-01-01T00:00:00Z");
        assert_eq!(
            AuditTime::from_unix(1_764_097_344).as_str(),
            "2025-11-25T19:02:24Z"
        );
        assert_eq!(
            AuditTime::from_unix(951_782_400).as_str(),
            "2000-02-29T00:00:00Z"
        );
        assert!("2025-11-25T19:02:24Z".parse::<AuditTime>().is_ok());
        for bad in [
            "2025-11-25 19:02:24Z",
            "2025-02-30T00:00:00Z",
            "2025-11-25T24:00:00Z",
            "2025-11-25T19:02:24",
            "２025-11-25T19:02:24Z",
        ] {
            assert!(bad.parse::<AuditTime>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_action_round_trips_through_its_code() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::from_code(a.code()), Some(*a));
        }
    }

    fn entry() -> RawEntry {
        let stamp = AuditStamp {
            actor: Actor {
                teacher: TeacherId(7),
                username: "gv.toan".into(),
                full_name: "Trần Văn Bình".into(),
                school: SchoolId(1),
            },
            at: AuditTime::from_unix(1_764_097_344),
            reason: None,
        };
        let change = AuditChange {
            student: None,
            class: Some(ClassId(3)),
            action: AuditAction::ScoreSet,
            field: "TOAN/HK1/tx2".into(),
            old: Some("7.0".into()),
            new: Some("8.5".into()),
        };
        RawEntry::new(1, GENESIS_HASH.to_owned(), &stamp, &change)
    }

    #[test]
    fn the_encoding_is_unambiguous() {
        let base = entry();
        // Moving bytes between neighbouring texts changes the hash.
        let mut moved = base.clone();
        moved.old_value = Some("7.08".into());
        moved.new_value = Some(".5".into());
        assert_ne!(moved.compute_hash(), base.hash);
        // NULL and the empty text differ.
        let mut empty = base.clone();
        empty.reason = Some(String::new());
        assert_ne!(empty.compute_hash(), base.hash);
        // So do a NULL class and class 0.
        let mut zero = base.clone();
        zero.class_id = None;
        let mut none = base.clone();
        none.class_id = Some(0);
        assert_ne!(zero.compute_hash(), none.compute_hash());
        assert_eq!(base.compute_hash(), base.hash);
        assert_eq!(base.hash.len(), 64);
    }

    #[test]
    fn scores_are_written_with_one_decimal() {
        assert_eq!(score_text(85), "8.5");
        assert_eq!(score_text(100), "10.0");
        assert_eq!(score_text(0), "0.0");
    }
}
