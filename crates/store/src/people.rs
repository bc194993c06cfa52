//! Teachers (staff accounts), their roles, and students.

use std::collections::BTreeMap;

use domain::{PersonalId, SchoolYear, StudentCode};

use crate::row::{self, RowExt, student_columns};
use crate::schools::i16_year;
use crate::{
    Error, NewTeacher, Result, Role, SchoolId, Store, Student, Teacher, TeacherId, dispatch,
};

impl Store {
    /// Creates a teacher or staff account with its roles and returns its id.
    ///
    /// Fails with [`Error::Conflict`] when the username is taken and [`Error::NotFound`]
    /// when the school does not exist.
    pub async fn insert_teacher(&self, teacher: &NewTeacher) -> Result<TeacherId> {
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let id = sqlx::query(
                "INSERT INTO teachers (school_id, full_name, username, password_hash) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(teacher.school.0)
            .bind(&teacher.full_name)
            .bind(&teacher.username)
            .bind(teacher.password_hash.as_deref())
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
            tx.commit().await?;
            Ok(TeacherId(id))
        })
    }

    /// The teacher with this id, or [`Error::NotFound`].
    pub async fn teacher(&self, id: TeacherId) -> Result<Teacher> {
        self.teachers_where("WHERE t.id = $1", id.0, None)
            .await?
            .pop()
            .ok_or_else(|| Error::not_found(format!("teacher {id}")))
    }

    /// The account with this username (for login), if any.
    pub async fn teacher_by_username(&self, username: &str) -> Result<Option<Teacher>> {
        Ok(self
            .teachers_where("WHERE t.username = $2 AND t.id <> $1", -1, Some(username))
            .await?
            .pop())
    }

    /// The staff of a school, ordered by full name then id.
    pub async fn teachers_of_school(&self, school: SchoolId) -> Result<Vec<Teacher>> {
        self.teachers_where("WHERE t.school_id = $1", school.0, None)
            .await
    }

    /// Replaces the roles of a teacher. [`Error::NotFound`] if the teacher does not exist.
    pub async fn set_teacher_roles(&self, id: TeacherId, roles: &[Role]) -> Result<()> {
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let found = sqlx::query("SELECT id FROM teachers WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(Error::not_found(format!("teacher {id}")));
            }
            sqlx::query("DELETE FROM teacher_roles WHERE teacher_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            for role in roles {
                sqlx::query(
                    "INSERT INTO teacher_roles (teacher_id, role) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(id.0)
                .bind(role.code())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Sets or clears the password hash of an account. [`Error::NotFound`] if absent.
    pub async fn set_password_hash(&self, id: TeacherId, hash: Option<&str>) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            let done = sqlx::query("UPDATE teachers SET password_hash = $2 WHERE id = $1")
                .bind(id.0)
                .bind(hash)
                .execute(pool)
                .await?;
            if done.rows_affected() == 0 {
                return Err(Error::not_found(format!("teacher {id}")));
            }
            Ok(())
        })
    }

    /// Creates a student. [`Error::Conflict`] when the student code or the personal ID is
    /// already used by another student.
    pub async fn insert_student(&self, student: &Student) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO students (code, personal_id, full_name, sex, born_on, ethnicity, \
                 nationality, place_of_birth, residence) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(student.code.as_str())
            .bind(student.personal_id.as_ref().map(PersonalId::as_str))
            .bind(&student.full_name)
            .bind(row::sex_code(student.sex))
            .bind(student.born_on.to_string())
            .bind(&student.ethnicity)
            .bind(&student.nationality)
            .bind(&student.place_of_birth)
            .bind(&student.residence)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Overwrites every field of the student with `student.code`. [`Error::NotFound`] if
    /// there is no such student, [`Error::Conflict`] if the personal ID is someone else's.
    pub async fn update_student(&self, student: &Student) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            let done = sqlx::query(
                "UPDATE students SET personal_id = $2, full_name = $3, sex = $4, born_on = $5, \
                 ethnicity = $6, nationality = $7, place_of_birth = $8, residence = $9 \
                 WHERE code = $1",
            )
            .bind(student.code.as_str())
            .bind(student.personal_id.as_ref().map(PersonalId::as_str))
            .bind(&student.full_name)
            .bind(row::sex_code(student.sex))
            .bind(student.born_on.to_string())
            .bind(&student.ethnicity)
            .bind(&student.nationality)
            .bind(&student.place_of_birth)
            .bind(&student.residence)
            .execute(pool)
            .await?;
            if done.rows_affected() == 0 {
                return Err(Error::not_found(format!("student {}", student.code)));
            }
            Ok(())
        })
    }

    /// Records the personal ID a student has just received (or clears it).
    pub async fn set_personal_id(&self, code: &StudentCode, id: Option<&PersonalId>) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            let done = sqlx::query("UPDATE students SET personal_id = $2 WHERE code = $1")
                .bind(code.as_str())
                .bind(id.map(PersonalId::as_str))
                .execute(pool)
                .await?;
            if done.rows_affected() == 0 {
                return Err(Error::not_found(format!("student {code}")));
            }
            Ok(())
        })
    }

    /// The student with this code, or [`Error::NotFound`].
    pub async fn student(&self, code: &StudentCode) -> Result<Student> {
        dispatch!(self, |pool, _begin| {
            let found = sqlx::query(concat!(
                "SELECT ",
                student_columns!(),
                " FROM students s WHERE s.code = $1"
            ))
            .bind(code.as_str())
            .fetch_optional(pool)
            .await?;
            match found {
                Some(r) => row::student(&r),
                None => Err(Error::not_found(format!("student {code}"))),
            }
        })
    }

    /// The student holding this personal ID, if any.
    pub async fn student_by_personal_id(&self, id: &PersonalId) -> Result<Option<Student>> {
        dispatch!(self, |pool, _begin| {
            let found = sqlx::query(concat!(
                "SELECT ",
                student_columns!(),
                " FROM students s WHERE s.personal_id = $1"
            ))
            .bind(id.as_str())
            .fetch_optional(pool)
            .await?;
            found.as_ref().map(row::student).transpose()
        })
    }

    /// Students enrolled in a class of `school` in `year` who have no personal ID yet
    /// (their records cannot be signed), ordered by class name then roll number.
    pub async fn students_without_personal_id(
        &self,
        school: SchoolId,
        year: SchoolYear,
    ) -> Result<Vec<Student>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(concat!(
                "SELECT ",
                student_columns!(),
                " FROM students s \
                 JOIN enrolments e ON e.student_code = s.code \
                 JOIN classes c ON c.id = e.class_id \
                 WHERE c.school_id = $1 AND c.start_year = $2 AND s.personal_id IS NULL \
                 ORDER BY c.grade, c.name, e.roll_no"
            ))
            .bind(school.0)
            .bind(i16_year(year))
            .fetch_all(pool)
            .await?;
            rows.iter().map(row::student).collect()
        })
    }

    /// Loads accounts matching a filter over `teachers t` that uses `$1` (an id) and
    /// optionally `$2` (a username), with their roles.
    async fn teachers_where(
        &self,
        filter: &'static str,
        id: i64,
        username: Option<&str>,
    ) -> Result<Vec<Teacher>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT t.id, t.school_id, t.full_name, t.username, t.password_hash, r.role \
             FROM teachers t LEFT JOIN teacher_roles r ON r.teacher_id = t.id \
             {filter} ORDER BY t.full_name, t.id, r.role"
        ));
        dispatch!(self, |pool, _begin| {
            let mut query = sqlx::query(sql).bind(id);
            if let Some(username) = username {
                query = query.bind(username);
            }
            let rows = query.fetch_all(pool).await?;
            let mut out: Vec<Teacher> = Vec::new();
            let mut index: BTreeMap<i64, usize> = BTreeMap::new();
            for r in &rows {
                let id = r.int("id")?;
                let at = match index.get(&id) {
                    Some(&at) => at,
                    None => {
                        out.push(Teacher {
                            id: TeacherId(id),
                            school: SchoolId(r.int("school_id")?),
                            full_name: r.text("full_name")?,
                            username: r.text("username")?,
                            roles: Vec::new(),
                            password_hash: r.opt_text("password_hash")?,
                        });
                        index.insert(id, out.len() - 1);
                        out.len() - 1
                    }
                };
                if let Some(role) = r.opt_text("role")? {
                    out[at]
                        .roles
                        .push(row::code(&role, "role", Role::from_code)?);
                }
            }
            for t in &mut out {
                t.roles.sort();
            }
            Ok(out)
        })
    }
}
