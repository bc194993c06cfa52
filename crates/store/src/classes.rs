//! Classes, enrolments (class lists) and subject assignments.

use domain::{SchoolYear, StudentCode};

use crate::row::{self, RowExt, class_columns, student_columns};
use crate::schools::i16_year;
use crate::{
    Class, ClassId, ClassMember, Error, NewClass, Result, SchoolId, Store, SubjectAssignment,
    SubjectCode, TeacherId, dispatch,
};

impl Store {
    /// Creates a class and returns its id.
    ///
    /// [`Error::Conflict`] when the school already has a class of that name in that year;
    /// [`Error::NotFound`] when the school or year does not exist, or the homeroom teacher
    /// does not work at that school.
    pub async fn insert_class(&self, class: &NewClass) -> Result<ClassId> {
        dispatch!(self, |pool, _begin| {
            let id = sqlx::query(
                "INSERT INTO classes (school_id, start_year, grade, name, homeroom_teacher_id) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(class.school.0)
            .bind(i16_year(class.year))
            .bind(i16::from(class.grade.get()))
            .bind(&class.name)
            .bind(class.homeroom_teacher.map(|t| t.0))
            .fetch_one(pool)
            .await?
            .int("id")?;
            Ok(ClassId(id))
        })
    }

    /// The class with this id, or [`Error::NotFound`].
    pub async fn class(&self, id: ClassId) -> Result<Class> {
        dispatch!(self, |pool, _begin| {
            let found = sqlx::query(concat!(
                "SELECT ",
                class_columns!(),
                " FROM classes c WHERE c.id = $1"
            ))
            .bind(id.0)
            .fetch_optional(pool)
            .await?;
            match found {
                Some(r) => row::class(&r),
                None => Err(Error::not_found(format!("class {id}"))),
            }
        })
    }

    /// The classes of a school in a year, ordered by grade then name.
    pub async fn classes_of_school(
        &self,
        school: SchoolId,
        year: SchoolYear,
    ) -> Result<Vec<Class>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(concat!(
                "SELECT ",
                class_columns!(),
                " FROM classes c WHERE c.school_id = $1 AND c.start_year = $2 \
                 ORDER BY c.grade, c.name"
            ))
            .bind(school.0)
            .bind(i16_year(year))
            .fetch_all(pool)
            .await?;
            rows.iter().map(row::class).collect()
        })
    }

    /// The classes a teacher is homeroom teacher of, ordered by year, grade, name.
    pub async fn homeroom_classes(&self, teacher: TeacherId) -> Result<Vec<Class>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(concat!(
                "SELECT ",
                class_columns!(),
                " FROM classes c WHERE c.homeroom_teacher_id = $1 \
                 ORDER BY c.start_year, c.grade, c.name"
            ))
            .bind(teacher.0)
            .fetch_all(pool)
            .await?;
            rows.iter().map(row::class).collect()
        })
    }

    /// Sets or clears the homeroom teacher of a class. [`Error::NotFound`] when the class
    /// does not exist or the teacher does not work at the class's school.
    pub async fn set_homeroom_teacher(
        &self,
        class: ClassId,
        teacher: Option<TeacherId>,
    ) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            let done = sqlx::query("UPDATE classes SET homeroom_teacher_id = $2 WHERE id = $1")
                .bind(class.0)
                .bind(teacher.map(|t| t.0))
                .execute(pool)
                .await?;
            if done.rows_affected() == 0 {
                return Err(Error::not_found(format!("class {class}")));
            }
            Ok(())
        })
    }

    /// Enrols a student in a class and returns the roll number: `roll_no` when given,
    /// otherwise one past the highest in the class.
    ///
    /// [`Error::NotFound`] when the student or class does not exist; [`Error::Conflict`]
    /// when the student is already in the class or the roll number is taken.
    pub async fn enrol(
        &self,
        student: &StudentCode,
        class: ClassId,
        roll_no: Option<u16>,
    ) -> Result<u16> {
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let roll = match roll_no {
                Some(n) => {
                    let n: i16 = row::narrow(i64::from(n), "roll number")?;
                    let taken = sqlx::query(
                        "SELECT student_code FROM enrolments WHERE class_id = $1 AND roll_no = $2",
                    )
                    .bind(class.0)
                    .bind(n)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if taken.is_some() {
                        return Err(Error::Conflict {
                            what: format!("roll number {n} in class {class}"),
                        });
                    }
                    n
                }
                None => row::narrow(
                    sqlx::query(
                        "SELECT COALESCE(MAX(roll_no), 0) + 1 AS next FROM enrolments \
                         WHERE class_id = $1",
                    )
                    .bind(class.0)
                    .fetch_one(&mut *tx)
                    .await?
                    .int("next")?,
                    "roll number",
                )?,
            };
            sqlx::query(
                "INSERT INTO enrolments (student_code, class_id, roll_no) VALUES ($1, $2, $3)",
            )
            .bind(student.as_str())
            .bind(class.0)
            .bind(roll)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            row::narrow(i64::from(roll), "roll number")
        })
    }

    /// Renumbers a class list: `order[i]` gets roll number `i + 1`. Meant for sorting a
    /// class by Vietnamese name (collation is done by the caller). All or nothing:
    /// [`Error::Invalid`] unless `order` names every member of the class exactly once.
    pub async fn set_roll_order(&self, class: ClassId, order: &[StudentCode]) -> Result<()> {
        let mut wanted: Vec<&str> = order.iter().map(StudentCode::as_str).collect();
        wanted.sort_unstable();
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let rows = sqlx::query(
                "SELECT student_code FROM enrolments WHERE class_id = $1 ORDER BY student_code",
            )
            .bind(class.0)
            .fetch_all(&mut *tx)
            .await?;
            let members = rows
                .iter()
                .map(|r| r.text("student_code"))
                .collect::<Result<Vec<_>>>()?;
            if members
                .iter()
                .map(String::as_str)
                .ne(wanted.iter().copied())
            {
                return Err(Error::invalid(format!(
                    "the new order of class {class} must list its {} students exactly once",
                    members.len()
                )));
            }
            for (i, code) in order.iter().enumerate() {
                sqlx::query(
                    "UPDATE enrolments SET roll_no = $3 WHERE student_code = $1 AND class_id = $2",
                )
                .bind(code.as_str())
                .bind(class.0)
                .bind(row::narrow::<i16>(i as i64 + 1, "roll number")?)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Removes a student from a class together with every assessment input of that
    /// enrolment. [`Error::NotFound`] when the student was not in the class.
    pub async fn unenrol(&self, student: &StudentCode, class: ClassId) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            let done =
                sqlx::query("DELETE FROM enrolments WHERE student_code = $1 AND class_id = $2")
                    .bind(student.as_str())
                    .bind(class.0)
                    .execute(pool)
                    .await?;
            if done.rows_affected() == 0 {
                return Err(Error::not_found(format!(
                    "student {student} in class {class}"
                )));
            }
            Ok(())
        })
    }

    /// The class list in roll order (số thứ tự), ties broken by student code. Vietnamese
    /// alphabetical order is the caller's job (it needs a collator): sort, then
    /// [`Store::set_roll_order`].
    pub async fn class_members(&self, class: ClassId) -> Result<Vec<ClassMember>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(concat!(
                "SELECT e.roll_no, ",
                student_columns!(),
                " FROM enrolments e JOIN students s ON s.code = e.student_code \
                 WHERE e.class_id = $1 ORDER BY e.roll_no, e.student_code"
            ))
            .bind(class.0)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(ClassMember {
                        roll_no: row::narrow(r.int("roll_no")?, "roll number")?,
                        student: row::student(r)?,
                    })
                })
                .collect()
        })
    }

    /// Every class the student has been enrolled in, oldest year first, with the roll
    /// number.
    pub async fn classes_of_student(&self, student: &StudentCode) -> Result<Vec<(Class, u16)>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(concat!(
                "SELECT e.roll_no, ",
                class_columns!(),
                " FROM enrolments e JOIN classes c ON c.id = e.class_id \
                 WHERE e.student_code = $1 ORDER BY c.start_year, c.id"
            ))
            .bind(student.as_str())
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        row::class(r)?,
                        row::narrow(r.int("roll_no")?, "roll number")?,
                    ))
                })
                .collect()
        })
    }

    /// Records that `teacher` teaches `subject` in `class`; doing it twice is harmless.
    /// [`Error::NotFound`] when the class or teacher does not exist.
    pub async fn assign_subject(&self, assignment: &SubjectAssignment) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO subject_assignments (class_id, subject_code, teacher_id) \
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(assignment.class.0)
            .bind(assignment.subject.as_str())
            .bind(assignment.teacher.0)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Withdraws a subject assignment; [`Error::NotFound`] if there was none.
    pub async fn unassign_subject(&self, assignment: &SubjectAssignment) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            let done = sqlx::query(
                "DELETE FROM subject_assignments \
                 WHERE class_id = $1 AND subject_code = $2 AND teacher_id = $3",
            )
            .bind(assignment.class.0)
            .bind(assignment.subject.as_str())
            .bind(assignment.teacher.0)
            .execute(pool)
            .await?;
            if done.rows_affected() == 0 {
                return Err(Error::not_found("subject assignment"));
            }
            Ok(())
        })
    }

    /// What a teacher teaches, ordered by class id then subject.
    pub async fn assignments_of_teacher(
        &self,
        teacher: TeacherId,
    ) -> Result<Vec<SubjectAssignment>> {
        self.assignments_where("teacher_id", teacher.0).await
    }

    /// Who teaches what in a class, ordered by subject then teacher id.
    pub async fn assignments_of_class(&self, class: ClassId) -> Result<Vec<SubjectAssignment>> {
        self.assignments_where("class_id", class.0).await
    }

    async fn assignments_where(
        &self,
        column: &'static str,
        id: i64,
    ) -> Result<Vec<SubjectAssignment>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT class_id, subject_code, teacher_id FROM subject_assignments \
             WHERE {column} = $1 ORDER BY class_id, subject_code, teacher_id"
        ));
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(sql).bind(id).fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    Ok(SubjectAssignment {
                        class: ClassId(r.int("class_id")?),
                        subject: row::parse::<SubjectCode>(&r.text("subject_code")?, "subject")?,
                        teacher: TeacherId(r.int("teacher_id")?),
                    })
                })
                .collect()
        })
    }
}
