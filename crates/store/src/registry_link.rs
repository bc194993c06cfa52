//! The school's link to the national registry (migration 0010): per-school registry
//! tokens ("Kết nối CSDL"), the certificates the school submitted ("Chứng thư số",
//! STORIES #3) and its revocation requests ("Đề nghị thu hồi", STORIES #15), each with
//! the registry's last known decision.
//!
//! Changes made by a person (a token set, a certificate uploaded, a revocation asked)
//! append their audit entry in the same transaction. The registry's decisions are copied
//! in as they are read ([`Store::set_certificate_status`],
//! [`Store::set_revocation_request_status`]): they are the registry's facts, not school
//! data, and are not audited.

use domain::StudentCode;

use crate::audit::{AuditAction, AuditChange, AuditStamp};
use crate::row::{self, RowExt};
use crate::{ClassId, Error, Result, SchoolId, Store, TeacherId, dispatch};

/// The longest registry token kept, in bytes.
pub const MAX_REGISTRY_TOKEN: usize = 512;

/// What the registry last said about a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkStatus {
    /// Not yet received by the registry (it could not be reached).
    Unsent,
    /// "Chờ phê duyệt".
    Pending,
    /// "Đã phê duyệt".
    Approved,
    /// "Bị từ chối".
    Rejected,
}

impl LinkStatus {
    /// The stored code: `unsent`, `pending`, `approved`, `rejected` (the registry's codes
    /// for the last three).
    pub const fn code(self) -> &'static str {
        match self {
            LinkStatus::Unsent => "unsent",
            LinkStatus::Pending => "pending",
            LinkStatus::Approved => "approved",
            LinkStatus::Rejected => "rejected",
        }
    }

    /// The status with this code, if any.
    pub fn from_code(code: &str) -> Option<LinkStatus> {
        [
            LinkStatus::Unsent,
            LinkStatus::Pending,
            LinkStatus::Approved,
            LinkStatus::Rejected,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// Which certificate of the school.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertificateKind {
    /// The school seal's ("Chứng thư số dấu").
    Seal,
    /// A person's (principal, homeroom teacher).
    Personal,
}

impl CertificateKind {
    /// The stored code: `seal`, `personal`.
    pub const fn code(self) -> &'static str {
        match self {
            CertificateKind::Seal => "seal",
            CertificateKind::Personal => "personal",
        }
    }

    /// The kind with this code, if any.
    pub fn from_code(code: &str) -> Option<CertificateKind> {
        [CertificateKind::Seal, CertificateKind::Personal]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// A certificate to keep for a school.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSchoolCertificate {
    /// The school.
    pub school: SchoolId,
    /// Seal or personal.
    pub kind: CertificateKind,
    /// Lowercase hex SHA-256 of the DER.
    pub fingerprint: String,
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Validity start (Unix seconds).
    pub not_before: i64,
    /// Validity end (Unix seconds).
    pub not_after: i64,
    /// The certificate as PEM.
    pub pem: String,
}

/// A certificate the school keeps, with the registry's last known decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolCertificate {
    /// Local id.
    pub id: i64,
    /// The certificate.
    pub cert: NewSchoolCertificate,
    /// The registry's id, once it received the certificate.
    pub registry_id: Option<i64>,
    /// The registry's last known decision.
    pub status: LinkStatus,
    /// The registry's comment (the reason of a rejection), if any.
    pub comment: Option<String>,
    /// When the status was last read from the registry (ISO 8601 UTC).
    pub checked_at: Option<String>,
    /// Who uploaded it.
    pub uploaded_by: TeacherId,
    /// When (ISO 8601 UTC).
    pub uploaded_at: String,
}

/// A revocation request the registry accepted for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRevocationRequest {
    /// The student (leads the key).
    pub student: StudentCode,
    /// The registry's request id.
    pub registry_id: i64,
    /// The record version to revoke.
    pub record_id: String,
    /// Its class.
    pub class: ClassId,
    /// Why (1–2000 characters).
    pub reason: String,
}

/// A revocation request with the registry's last known decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRequest {
    /// The request.
    pub request: NewRevocationRequest,
    /// Who asked.
    pub requested_by: TeacherId,
    /// Their name at the time.
    pub requested_by_name: String,
    /// When (ISO 8601 UTC).
    pub requested_at: String,
    /// The registry's last known decision (`Pending`, `Approved` or `Rejected`).
    pub status: LinkStatus,
    /// The supervisor's comment, if any.
    pub comment: Option<String>,
    /// When the status was last read from the registry (ISO 8601 UTC).
    pub checked_at: Option<String>,
}

macro_rules! cert_columns {
    () => {
        "SELECT id, school_id, kind, fingerprint, subject, issuer, not_before, not_after, pem, \
         registry_id, status, comment, checked_at, uploaded_by, uploaded_at \
         FROM school_certificates "
    };
}

macro_rules! revocation_columns {
    () => {
        "SELECT student_code, registry_id, record_id, class_id, reason, requested_by, \
         requested_by_name, requested_at, status, comment, checked_at FROM revocation_requests "
    };
}

impl Store {
    /// Sets or replaces `school`'s registry token (printable ASCII, 1–512 bytes), with a
    /// `registry.token.set` audit entry by `stamp` in the same transaction (it records the
    /// last 4 characters only). [`Error::Invalid`] for an unusable token: nothing changes.
    pub async fn set_registry_token(
        &self,
        school: SchoolId,
        token: &str,
        stamp: &AuditStamp,
    ) -> Result<()> {
        if token.is_empty()
            || token.len() > MAX_REGISTRY_TOKEN
            || !token.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(Error::invalid(
                "a registry token is 1–512 printable ASCII characters",
            ));
        }
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let before =
                sqlx::query("SELECT token FROM school_registry_tokens WHERE school_id = $1")
                    .bind(school.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            let old = match before {
                Some(r) => Some(token_hint(&r.text("token")?)),
                None => None,
            };
            sqlx::query(
                "INSERT INTO school_registry_tokens (school_id, token, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (school_id) DO UPDATE SET \
                 token = excluded.token, updated_by = excluded.updated_by, \
                 updated_at = excluded.updated_at",
            )
            .bind(school.0)
            .bind(token)
            .bind(stamp.actor.teacher.0)
            .bind(stamp.at.as_str())
            .execute(&mut *tx)
            .await?;
            let change = AuditChange {
                student: None,
                class: None,
                action: AuditAction::RegistryTokenSet,
                field: "registry/token".to_owned(),
                old,
                new: Some(token_hint(token)),
            };
            crate::audit::append_audit!(tx, stamp, std::slice::from_ref(&change))?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// `school`'s own registry token, if set.
    pub async fn registry_token(&self, school: SchoolId) -> Result<Option<String>> {
        dispatch!(self, |pool, _begin| {
            let r = sqlx::query("SELECT token FROM school_registry_tokens WHERE school_id = $1")
                .bind(school.0)
                .fetch_optional(pool)
                .await?;
            match r {
                Some(r) => Ok(Some(r.text("token")?)),
                None => Ok(None),
            }
        })
    }

    /// The own registry token of the school `class` belongs to, if set (the sender's
    /// lookup for an outbox entry).
    pub async fn registry_token_of_class(&self, class: ClassId) -> Result<Option<String>> {
        dispatch!(self, |pool, _begin| {
            let r = sqlx::query(
                "SELECT t.token FROM school_registry_tokens t \
                 JOIN classes c ON c.school_id = t.school_id WHERE c.id = $1",
            )
            .bind(class.0)
            .fetch_optional(pool)
            .await?;
            match r {
                Some(r) => Ok(Some(r.text("token")?)),
                None => Ok(None),
            }
        })
    }

    /// Keeps a certificate for its school, with a `certificate.submit` audit entry by
    /// `stamp` in the same transaction, status `unsent`. When the school already keeps the
    /// same certificate (same fingerprint), nothing changes and that one is returned with
    /// `false`.
    pub async fn add_school_certificate(
        &self,
        cert: &NewSchoolCertificate,
        stamp: &AuditStamp,
    ) -> Result<(SchoolCertificate, bool)> {
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let inserted = sqlx::query(
                "INSERT INTO school_certificates (school_id, kind, fingerprint, subject, \
                 issuer, not_before, not_after, pem, status, uploaded_by, uploaded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'unsent', $9, $10) \
                 ON CONFLICT (school_id, fingerprint) DO NOTHING",
            )
            .bind(cert.school.0)
            .bind(cert.kind.code())
            .bind(&cert.fingerprint)
            .bind(&cert.subject)
            .bind(&cert.issuer)
            .bind(cert.not_before)
            .bind(cert.not_after)
            .bind(&cert.pem)
            .bind(stamp.actor.teacher.0)
            .bind(stamp.at.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            let r = sqlx::query(concat!(
                cert_columns!(),
                "WHERE school_id = $1 AND fingerprint = $2"
            ))
            .bind(cert.school.0)
            .bind(&cert.fingerprint)
            .fetch_one(&mut *tx)
            .await?;
            let kept = certificate(&r)?;
            if inserted {
                let change = AuditChange {
                    student: None,
                    class: None,
                    action: AuditAction::CertificateSubmit,
                    field: format!("certificate/{}", cert.kind.code()),
                    old: None,
                    new: Some(cert.fingerprint.clone()),
                };
                crate::audit::append_audit!(tx, stamp, std::slice::from_ref(&change))?;
            }
            tx.commit().await?;
            Ok((kept, inserted))
        })
    }

    /// The certificates `school` keeps, newest first.
    pub async fn school_certificates(&self, school: SchoolId) -> Result<Vec<SchoolCertificate>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(concat!(
                cert_columns!(),
                "WHERE school_id = $1 ORDER BY id DESC"
            ))
            .bind(school.0)
            .fetch_all(pool)
            .await?;
            rows.iter().map(certificate).collect()
        })
    }

    /// Copies the registry's answer about certificate `id` of `school`: its registry id
    /// (when known), decision and comment, read at `checked_at` (ISO 8601 UTC).
    /// [`Error::NotFound`] when the school keeps no such certificate.
    pub async fn set_certificate_status(
        &self,
        school: SchoolId,
        id: i64,
        registry_id: Option<i64>,
        status: LinkStatus,
        comment: Option<&str>,
        checked_at: &str,
    ) -> Result<()> {
        let comment = comment.map(|c| c.chars().take(2000).collect::<String>());
        dispatch!(self, |pool, _begin| {
            let done = sqlx::query(
                "UPDATE school_certificates SET registry_id = COALESCE($3, registry_id), \
                 status = $4, comment = $5, checked_at = $6 WHERE school_id = $1 AND id = $2",
            )
            .bind(school.0)
            .bind(id)
            .bind(registry_id)
            .bind(status.code())
            .bind(&comment)
            .bind(checked_at)
            .execute(pool)
            .await?;
            if done.rows_affected() != 1 {
                return Err(Error::not_found(format!("certificate {id}")));
            }
            Ok(())
        })
    }

    /// Keeps a revocation request the registry accepted, status `pending`, with a
    /// `record.revocation.request` audit entry by `stamp` (whose reason becomes the
    /// request's) in the same transaction. [`Error::Invalid`] for an empty or over-long
    /// reason; [`Error::Conflict`] when the record already has a pending request.
    pub async fn add_revocation_request(
        &self,
        new: &NewRevocationRequest,
        stamp: &AuditStamp,
    ) -> Result<RevocationRequest> {
        let reason = new.reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(Error::invalid("a revocation request needs a reason"));
        }
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let pending = sqlx::query(
                "SELECT 1 AS one FROM revocation_requests WHERE student_code = $1 \
                 AND record_id = $2 AND status = 'pending'",
            )
            .bind(new.student.as_str())
            .bind(&new.record_id)
            .fetch_optional(&mut *tx)
            .await?;
            if pending.is_some() {
                return Err(Error::Conflict {
                    what: format!("record {}: a revocation request is pending", new.record_id),
                });
            }
            let digest =
                sqlx::query("SELECT sha256 FROM records WHERE student_code = $1 AND id = $2")
                    .bind(new.student.as_str())
                    .bind(&new.record_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("record {}", new.record_id)))?
                    .opt_text("sha256")?
                    .unwrap_or_default();
            sqlx::query(
                "INSERT INTO revocation_requests (student_code, registry_id, record_id, \
                 class_id, reason, requested_by, requested_by_name, requested_at, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending')",
            )
            .bind(new.student.as_str())
            .bind(new.registry_id)
            .bind(&new.record_id)
            .bind(new.class.0)
            .bind(reason)
            .bind(stamp.actor.teacher.0)
            .bind(&stamp.actor.full_name)
            .bind(stamp.at.as_str())
            .execute(&mut *tx)
            .await?;
            let change = AuditChange {
                student: Some(new.student.clone()),
                class: Some(new.class),
                action: AuditAction::RevocationRequest,
                field: "record".to_owned(),
                old: Some(format!("{} {digest}", new.record_id)),
                new: Some(format!("revocation {}", new.registry_id)),
            };
            let stamp = AuditStamp {
                reason: Some(reason.to_owned()),
                ..stamp.clone()
            };
            crate::audit::append_audit!(tx, &stamp, std::slice::from_ref(&change))?;
            let r = sqlx::query(concat!(
                revocation_columns!(),
                "WHERE student_code = $1 AND registry_id = $2"
            ))
            .bind(new.student.as_str())
            .bind(new.registry_id)
            .fetch_one(&mut *tx)
            .await?;
            let kept = revocation(&r)?;
            tx.commit().await?;
            Ok(kept)
        })
    }

    /// The revocation requests of a student's records, oldest first.
    pub async fn revocation_requests_of_student(
        &self,
        student: &StudentCode,
    ) -> Result<Vec<RevocationRequest>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(concat!(
                revocation_columns!(),
                "WHERE student_code = $1 ORDER BY requested_at, registry_id"
            ))
            .bind(student.as_str())
            .fetch_all(pool)
            .await?;
            rows.iter().map(revocation).collect()
        })
    }

    /// Copies the registry's decision on request `registry_id` of `student`, read at
    /// `checked_at` (ISO 8601 UTC). [`Error::NotFound`] when there is no such request.
    pub async fn set_revocation_request_status(
        &self,
        student: &StudentCode,
        registry_id: i64,
        status: LinkStatus,
        comment: Option<&str>,
        checked_at: &str,
    ) -> Result<()> {
        if status == LinkStatus::Unsent {
            return Err(Error::invalid("a revocation request is never unsent"));
        }
        let comment = comment.map(|c| c.chars().take(2000).collect::<String>());
        dispatch!(self, |pool, _begin| {
            let done = sqlx::query(
                "UPDATE revocation_requests SET status = $3, comment = $4, checked_at = $5 \
                 WHERE student_code = $1 AND registry_id = $2",
            )
            .bind(student.as_str())
            .bind(registry_id)
            .bind(status.code())
            .bind(&comment)
            .bind(checked_at)
            .execute(pool)
            .await?;
            if done.rows_affected() != 1 {
                return Err(Error::not_found(format!(
                    "revocation request {registry_id}"
                )));
            }
            Ok(())
        })
    }
}

/// `…` and the last 4 characters of a token: what pages and the audit log may show.
pub fn token_hint(token: &str) -> String {
    let tail: String = token
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

fn certificate(r: &impl RowExt) -> Result<SchoolCertificate> {
    Ok(SchoolCertificate {
        id: r.int("id")?,
        cert: NewSchoolCertificate {
            school: SchoolId(r.int("school_id")?),
            kind: row::code(
                &r.text("kind")?,
                "certificate kind",
                CertificateKind::from_code,
            )?,
            fingerprint: r.text("fingerprint")?,
            subject: r.text("subject")?,
            issuer: r.text("issuer")?,
            not_before: r.int("not_before")?,
            not_after: r.int("not_after")?,
            pem: r.text("pem")?,
        },
        registry_id: r.opt_int("registry_id")?,
        status: row::code(
            &r.text("status")?,
            "certificate status",
            LinkStatus::from_code,
        )?,
        comment: r.opt_text("comment")?,
        checked_at: r.opt_text("checked_at")?,
        uploaded_by: TeacherId(r.int("uploaded_by")?),
        uploaded_at: r.text("uploaded_at")?,
    })
}

fn revocation(r: &impl RowExt) -> Result<RevocationRequest> {
    Ok(RevocationRequest {
        request: NewRevocationRequest {
            student: row::parse(&r.text("student_code")?, "student code")?,
            registry_id: r.int("registry_id")?,
            record_id: r.text("record_id")?,
            class: ClassId(r.int("class_id")?),
            reason: r.text("reason")?,
        },
        requested_by: TeacherId(r.int("requested_by")?),
        requested_by_name: r.text("requested_by_name")?,
        requested_at: r.text("requested_at")?,
        status: row::code(
            &r.text("status")?,
            "revocation status",
            LinkStatus::from_code,
        )?,
        comment: r.opt_text("comment")?,
        checked_at: r.opt_text("checked_at")?,
    })
}
