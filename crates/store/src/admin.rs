//! The school admin's writes ("Quản trị trường", STORIES #2 and #4): accounts with an
//! issued first-login password (migration 0009), roles, "Phân công giảng dạy" and the
//! personal IDs of students who had none.
//!
//! Every write here is confined to the school of the stamp's actor: a teacher, class or
//! student of another school is [`Error::NotFound`], exactly like one that does not exist,
//! and nothing is written. Every write appends its audit entries in the same transaction
//! as the change (see [`crate::audit`]); a write that changes nothing appends nothing.

use domain::{PersonalId, StudentCode};

use crate::audit::{AuditAction, AuditChange, AuditStamp, append_audit};
use crate::row::RowExt;
use crate::schools::i16_year;
use crate::{
    ClassId, Error, NewTeacher, Result, Role, SchoolId, SchoolYearInfo, Store, SubjectCode,
    TeacherId, dispatch,
};

/// Who teaches one class ("Phân công giảng dạy"), as the school admin saves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassTeaching {
    /// The homeroom teacher (giáo viên chủ nhiệm); `None` clears it.
    pub homeroom: Option<TeacherId>,
    /// For each subject listed, the one teacher who teaches it in the class afterwards
    /// (`None`: nobody). Subjects not listed keep their assignments.
    pub subjects: Vec<(SubjectCode, Option<TeacherId>)>,
}

impl Store {
    /// Creates an account in the actor's school with an issued first-login password:
    /// `teacher.password_hash` is the argon2id hash of the password just shown to the
    /// admin, and the account must change it at its first login
    /// ([`Store::must_change_password`]). Appends `account.create` and `password.issue`.
    ///
    /// [`Error::Invalid`] when the account has no password hash or is for another school
    /// than the actor's; [`Error::Conflict`] when the username is taken.
    pub async fn create_account_audited(
        &self,
        teacher: &NewTeacher,
        stamp: &AuditStamp,
    ) -> Result<TeacherId> {
        let Some(hash) = teacher.password_hash.as_deref() else {
            return Err(Error::invalid(
                "a new account needs an issued password hash",
            ));
        };
        if teacher.school != stamp.actor.school {
            return Err(Error::invalid(
                "an admin creates accounts in their own school only",
            ));
        }
        let changes = [
            AuditChange {
                student: None,
                class: None,
                action: AuditAction::AccountCreate,
                field: format!("account/{}", teacher.username),
                old: None,
                new: Some(role_codes(&teacher.roles)),
            },
            password_issue(&teacher.username),
        ];
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let id = sqlx::query(
                "INSERT INTO teachers (school_id, full_name, username, password_hash) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(teacher.school.0)
            .bind(&teacher.full_name)
            .bind(&teacher.username)
            .bind(hash)
            .fetch_one(&mut *tx)
            .await?
            .int("id")?;
            for role in &teacher.roles {
                sqlx::query(
                    "INSERT INTO teacher_roles (teacher_id, role) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(role.code())
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("INSERT INTO issued_passwords (teacher_id, password_hash) VALUES ($1, $2)")
                .bind(id)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
            append_audit!(tx, stamp, &changes)?;
            tx.commit().await?;
            Ok(TeacherId(id))
        })
    }

    /// Replaces the passwords of accounts of the actor's school with newly issued
    /// first-login passwords (`(account, argon2id hash)` pairs), ends every session of
    /// those accounts and appends one `password.issue` per account; each account must
    /// change its password at its next login. One transaction for the whole list, so
    /// either every password shown to the admin is the stored one or none is.
    /// [`Error::NotFound`] when an account does not exist or is another school's.
    pub async fn reset_passwords_audited(
        &self,
        accounts: &[(TeacherId, String)],
        stamp: &AuditStamp,
    ) -> Result<()> {
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let mut changes = Vec::new();
            for (teacher, hash) in accounts {
                let username = sqlx::query(
                    "UPDATE teachers SET password_hash = $2 WHERE id = $1 AND school_id = $3 \
                     RETURNING username",
                )
                .bind(teacher.0)
                .bind(hash)
                .bind(stamp.actor.school.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| Error::not_found(format!("teacher {teacher} of the school")))?
                .text("username")?;
                sqlx::query(
                    "INSERT INTO issued_passwords (teacher_id, password_hash) VALUES ($1, $2) \
                     ON CONFLICT (teacher_id) DO UPDATE SET password_hash = excluded.password_hash",
                )
                .bind(teacher.0)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM sessions WHERE teacher_id = $1")
                    .bind(teacher.0)
                    .execute(&mut *tx)
                    .await?;
                changes.push(password_issue(&username));
            }
            append_audit!(tx, stamp, &changes)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Locks accounts of the actor's school ("Khóa tài khoản"): removes their password
    /// (an account without one cannot log in) and any issued first-login password, ends
    /// their sessions and appends one `account.lock` per account, in one transaction. The
    /// account, its roles, assignments and history stay; issuing a new password
    /// ([`Store::reset_passwords_audited`]) opens it again. [`Error::NotFound`] when an
    /// account does not exist or is another school's.
    pub async fn lock_accounts_audited(
        &self,
        accounts: &[TeacherId],
        stamp: &AuditStamp,
    ) -> Result<()> {
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let mut changes = Vec::new();
            for teacher in accounts {
                let username = sqlx::query(
                    "UPDATE teachers SET password_hash = NULL WHERE id = $1 AND school_id = $2 \
                     RETURNING username",
                )
                .bind(teacher.0)
                .bind(stamp.actor.school.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| Error::not_found(format!("teacher {teacher} of the school")))?
                .text("username")?;
                sqlx::query("DELETE FROM issued_passwords WHERE teacher_id = $1")
                    .bind(teacher.0)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM sessions WHERE teacher_id = $1")
                    .bind(teacher.0)
                    .execute(&mut *tx)
                    .await?;
                changes.push(AuditChange {
                    student: None,
                    class: None,
                    action: AuditAction::AccountLock,
                    field: format!("account/{username}/password"),
                    old: None,
                    new: None,
                });
            }
            append_audit!(tx, stamp, &changes)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Replaces the roles of an account of the actor's school and appends
    /// `account.roles` (old and new role codes); nothing is written when the roles do not
    /// change. [`Error::NotFound`] when the account does not exist or is another school's.
    pub async fn set_account_roles_audited(
        &self,
        teacher: TeacherId,
        roles: &[Role],
        stamp: &AuditStamp,
    ) -> Result<()> {
        let mut new_roles = roles.to_vec();
        new_roles.sort();
        new_roles.dedup();
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let username =
                sqlx::query("SELECT username FROM teachers WHERE id = $1 AND school_id = $2")
                    .bind(teacher.0)
                    .bind(stamp.actor.school.0)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("teacher {teacher} of the school")))?
                    .text("username")?;
            let mut old_roles = Vec::new();
            for r in sqlx::query("SELECT role FROM teacher_roles WHERE teacher_id = $1")
                .bind(teacher.0)
                .fetch_all(&mut *tx)
                .await?
            {
                let code = r.text("role")?;
                old_roles.push(
                    Role::from_code(&code)
                        .ok_or_else(|| Error::invalid(format!("stored role {code:?}")))?,
                );
            }
            old_roles.sort();
            if old_roles == new_roles {
                return Ok(());
            }
            sqlx::query("DELETE FROM teacher_roles WHERE teacher_id = $1")
                .bind(teacher.0)
                .execute(&mut *tx)
                .await?;
            for role in &new_roles {
                sqlx::query("INSERT INTO teacher_roles (teacher_id, role) VALUES ($1, $2)")
                    .bind(teacher.0)
                    .bind(role.code())
                    .execute(&mut *tx)
                    .await?;
            }
            let change = AuditChange {
                student: None,
                class: None,
                action: AuditAction::AccountRoles,
                field: format!("account/{username}/roles"),
                old: Some(role_codes(&old_roles)),
                new: Some(role_codes(&new_roles)),
            };
            append_audit!(tx, stamp, std::slice::from_ref(&change))?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Whether the account still uses the first-login password the admin issued (its
    /// stored hash is the issued one), so that logging in must lead to "Đổi mật khẩu".
    /// `false` for accounts without an issued password or that changed it since.
    pub async fn must_change_password(&self, teacher: TeacherId) -> Result<bool> {
        dispatch!(self, |pool, _begin| {
            let found = sqlx::query(
                "SELECT i.teacher_id FROM issued_passwords i \
                 JOIN teachers t ON t.id = i.teacher_id \
                 WHERE i.teacher_id = $1 AND t.password_hash = i.password_hash",
            )
            .bind(teacher.0)
            .fetch_optional(pool)
            .await?;
            Ok(found.is_some())
        })
    }

    /// The accounts of `school` that still use an issued first-login password, by id.
    pub async fn accounts_awaiting_first_login(&self, school: SchoolId) -> Result<Vec<TeacherId>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT t.id FROM issued_passwords i JOIN teachers t ON t.id = i.teacher_id \
                 WHERE t.school_id = $1 AND t.password_hash = i.password_hash ORDER BY t.id",
            )
            .bind(school.0)
            .fetch_all(pool)
            .await?;
            rows.iter().map(|r| Ok(TeacherId(r.int("id")?))).collect()
        })
    }

    /// Saves who teaches `class` ("Phân công giảng dạy") in one transaction: the homeroom
    /// teacher, and for each listed subject exactly the one teacher given (or none). Each
    /// value that changes appends one entry (`class.homeroom.set` on `gvcn`,
    /// `class.assignment.set` on `SUBJECT/gv`, values usernames).
    ///
    /// All or nothing: [`Error::NotFound`] when the class or one of the teachers does not
    /// exist or belongs to another school than the actor's.
    pub async fn save_class_teaching_audited(
        &self,
        class: ClassId,
        teaching: &ClassTeaching,
        stamp: &AuditStamp,
    ) -> Result<()> {
        let school = stamp.actor.school.0;
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let current = sqlx::query(
                "SELECT c.homeroom_teacher_id, t.username FROM classes c \
                 LEFT JOIN teachers t ON t.id = c.homeroom_teacher_id \
                 WHERE c.id = $1 AND c.school_id = $2",
            )
            .bind(class.0)
            .bind(school)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::not_found(format!("class {class} of the school")))?;
            let old_homeroom = current.opt_int("homeroom_teacher_id")?;
            let old_homeroom_name = current.opt_text("username")?;
            let mut changes = Vec::new();
            if old_homeroom != teaching.homeroom.map(|t| t.0) {
                let new_name = match teaching.homeroom {
                    Some(t) => Some(
                        sqlx::query(
                            "SELECT username FROM teachers WHERE id = $1 AND school_id = $2",
                        )
                        .bind(t.0)
                        .bind(school)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| Error::not_found(format!("teacher {t} of the school")))?
                        .text("username")?,
                    ),
                    None => None,
                };
                sqlx::query("UPDATE classes SET homeroom_teacher_id = $2 WHERE id = $1")
                    .bind(class.0)
                    .bind(teaching.homeroom.map(|t| t.0))
                    .execute(&mut *tx)
                    .await?;
                changes.push(AuditChange {
                    student: None,
                    class: Some(class),
                    action: AuditAction::HomeroomSet,
                    field: "gvcn".to_owned(),
                    old: old_homeroom_name,
                    new: new_name,
                });
            }
            for (subject, teacher) in &teaching.subjects {
                let rows = sqlx::query(
                    "SELECT a.teacher_id, t.username FROM subject_assignments a \
                     JOIN teachers t ON t.id = a.teacher_id \
                     WHERE a.class_id = $1 AND a.subject_code = $2 ORDER BY t.username",
                )
                .bind(class.0)
                .bind(subject.as_str())
                .fetch_all(&mut *tx)
                .await?;
                let mut old_ids = Vec::new();
                let mut old_names = Vec::new();
                for r in &rows {
                    old_ids.push(r.int("teacher_id")?);
                    old_names.push(r.text("username")?);
                }
                let unchanged = match teacher {
                    Some(t) => old_ids == [t.0],
                    None => old_ids.is_empty(),
                };
                if unchanged {
                    continue;
                }
                let new_name = match teacher {
                    Some(t) => Some(
                        sqlx::query(
                            "SELECT username FROM teachers WHERE id = $1 AND school_id = $2",
                        )
                        .bind(t.0)
                        .bind(school)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| Error::not_found(format!("teacher {t} of the school")))?
                        .text("username")?,
                    ),
                    None => None,
                };
                sqlx::query(
                    "DELETE FROM subject_assignments WHERE class_id = $1 AND subject_code = $2",
                )
                .bind(class.0)
                .bind(subject.as_str())
                .execute(&mut *tx)
                .await?;
                if let Some(t) = teacher {
                    sqlx::query(
                        "INSERT INTO subject_assignments (class_id, subject_code, teacher_id) \
                         VALUES ($1, $2, $3)",
                    )
                    .bind(class.0)
                    .bind(subject.as_str())
                    .bind(t.0)
                    .execute(&mut *tx)
                    .await?;
                }
                changes.push(AuditChange {
                    student: None,
                    class: Some(class),
                    action: AuditAction::AssignmentSet,
                    field: format!("{}/gv", subject.as_str()),
                    old: (!old_names.is_empty()).then(|| old_names.join(",")),
                    new: new_name,
                });
            }
            append_audit!(tx, stamp, &changes)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Records the personal ID of a student enrolled in `class` of the actor's school who
    /// has none yet ("Chưa có mã định danh") and appends `student.personal_id.set`.
    ///
    /// [`Error::NotFound`] when the student is not enrolled in that class or the class is
    /// another school's; [`Error::Conflict`] when the student already has a personal ID or
    /// another student holds this one. Nothing is written then.
    pub async fn set_personal_id_audited(
        &self,
        student: &StudentCode,
        class: ClassId,
        id: &PersonalId,
        stamp: &AuditStamp,
    ) -> Result<()> {
        let change = AuditChange {
            student: Some(student.clone()),
            class: Some(class),
            action: AuditAction::PersonalIdSet,
            field: "personal_id".to_owned(),
            old: None,
            new: Some(id.as_str().to_owned()),
        };
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let enrolled = sqlx::query(
                "SELECT s.personal_id FROM enrolments e \
                 JOIN classes c ON c.id = e.class_id \
                 JOIN students s ON s.code = e.student_code \
                 WHERE e.student_code = $1 AND e.class_id = $2 AND c.school_id = $3",
            )
            .bind(student.as_str())
            .bind(class.0)
            .bind(stamp.actor.school.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::not_found(format!("student {student} in class {class}")))?;
            if enrolled.opt_text("personal_id")?.is_some() {
                return Err(Error::Conflict {
                    what: format!("student {student} already has a personal ID"),
                });
            }
            let holder = sqlx::query("SELECT code FROM students WHERE personal_id = $1")
                .bind(id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            if holder.is_some() {
                return Err(Error::Conflict {
                    what: "personal ID held by another student".to_owned(),
                });
            }
            sqlx::query("UPDATE students SET personal_id = $2 WHERE code = $1")
                .bind(student.as_str())
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            append_audit!(tx, stamp, std::slice::from_ref(&change))?;
            tx.commit().await?;
            Ok(())
        })
    }
}

impl Store {
    /// Creates a school year and appends `school_year.create` in the same transaction.
    /// School years belong to the installation, not to one school: the entry is stamped
    /// with the actor's school. [`Error::Conflict`] when the year exists,
    /// [`Error::Invalid`] unless `starts_on < ends_on`.
    pub async fn create_school_year_audited(
        &self,
        info: &SchoolYearInfo,
        stamp: &AuditStamp,
    ) -> Result<()> {
        let change = AuditChange {
            student: None,
            class: None,
            action: AuditAction::SchoolYearCreate,
            field: "school_year".to_owned(),
            old: None,
            new: Some(format!("{} {} {}", info.year, info.starts_on, info.ends_on)),
        };
        let start = i16_year(info.year);
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            sqlx::query(
                "INSERT INTO school_years (start_year, starts_on, ends_on) VALUES ($1, $2, $3)",
            )
            .bind(start)
            .bind(info.starts_on.to_string())
            .bind(info.ends_on.to_string())
            .execute(&mut *tx)
            .await?;
            append_audit!(tx, stamp, std::slice::from_ref(&change))?;
            tx.commit().await?;
            Ok(())
        })
    }
}

/// The `password.issue` entry about `username`: no value, ever.
fn password_issue(username: &str) -> AuditChange {
    AuditChange {
        student: None,
        class: None,
        action: AuditAction::PasswordIssue,
        field: format!("account/{username}/password"),
        old: None,
        new: None,
    }
}

/// Role codes joined by `,`, in [`Role`] order.
fn role_codes(roles: &[Role]) -> String {
    let mut sorted = roles.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted
        .iter()
        .map(|r| r.code())
        .collect::<Vec<_>>()
        .join(",")
}
