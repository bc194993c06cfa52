//! Schools and school years.

use std::collections::BTreeMap;

use domain::{Level, SchoolYear};

use crate::row::{self, RowExt};
use crate::{Error, NewSchool, Result, School, SchoolId, SchoolYearInfo, Store, dispatch};

const SCHOOL_COLUMNS: &str = "id, code, name, department_code, authority_name, address";

impl Store {
    /// Creates a school with its levels in one transaction and returns its id.
    ///
    /// Fails with [`Error::Conflict`] when the code is taken and [`Error::Invalid`] when a
    /// field breaks a constraint or `levels` is empty.
    pub async fn insert_school(&self, school: &NewSchool) -> Result<SchoolId> {
        if school.levels.is_empty() {
            return Err(Error::invalid("a school teaches at least one level"));
        }
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let id: i64 = sqlx::query(
                "INSERT INTO schools (code, name, department_code, authority_name, address) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(&school.code)
            .bind(&school.name)
            .bind(&school.department_code)
            .bind(&school.authority_name)
            .bind(&school.address)
            .fetch_one(&mut *tx)
            .await?
            .int("id")?;
            for level in &school.levels {
                sqlx::query(
                    "INSERT INTO school_levels (school_id, level) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(level.code())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(SchoolId(id))
        })
    }

    /// The school with this id, or [`Error::NotFound`].
    pub async fn school(&self, id: SchoolId) -> Result<School> {
        self.schools_where("WHERE id = $1", Some(id.0), None)
            .await?
            .pop()
            .ok_or_else(|| Error::not_found(format!("school {id}")))
    }

    /// The school with this MaTruong code, if any.
    pub async fn school_by_code(&self, code: &str) -> Result<Option<School>> {
        Ok(self
            .schools_where("WHERE code = $1", None, Some(code))
            .await?
            .pop())
    }

    /// Every school, ordered by code.
    pub async fn list_schools(&self) -> Result<Vec<School>> {
        self.schools_where("", None, None).await
    }

    /// Creates a school year. Fails with [`Error::Conflict`] when it exists and
    /// [`Error::Invalid`] unless `starts_on < ends_on`.
    pub async fn insert_school_year(&self, info: &SchoolYearInfo) -> Result<()> {
        let start = i16_year(info.year);
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO school_years (start_year, starts_on, ends_on) VALUES ($1, $2, $3)",
            )
            .bind(start)
            .bind(info.starts_on.to_string())
            .bind(info.ends_on.to_string())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Every school year, oldest first.
    pub async fn list_school_years(&self) -> Result<Vec<SchoolYearInfo>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT start_year, starts_on, ends_on FROM school_years ORDER BY start_year",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(SchoolYearInfo {
                        year: row::school_year(r.int("start_year")?)?,
                        starts_on: row::date(&r.text("starts_on")?, "year start")?,
                        ends_on: row::date(&r.text("ends_on")?, "year end")?,
                    })
                })
                .collect()
        })
    }

    /// Loads schools matching one optional id or code filter, with their levels.
    async fn schools_where(
        &self,
        filter: &'static str,
        id: Option<i64>,
        code: Option<&str>,
    ) -> Result<Vec<School>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SCHOOL_COLUMNS} FROM schools {filter} ORDER BY code"
        ));
        dispatch!(self, |pool, _begin| {
            let mut query = sqlx::query(sql);
            if let Some(id) = id {
                query = query.bind(id);
            }
            if let Some(code) = code {
                query = query.bind(code);
            }
            let rows = query.fetch_all(pool).await?;
            let levels = sqlx::query("SELECT school_id, level FROM school_levels")
                .fetch_all(pool)
                .await?;
            let mut by_school: BTreeMap<i64, Vec<Level>> = BTreeMap::new();
            for l in &levels {
                by_school
                    .entry(l.int("school_id")?)
                    .or_default()
                    .push(row::parse(&l.text("level")?, "level")?);
            }
            rows.iter()
                .map(|r| {
                    let id = r.int("id")?;
                    let mut levels = by_school.remove(&id).unwrap_or_default();
                    levels.sort();
                    Ok(School {
                        id: SchoolId(id),
                        code: r.text("code")?,
                        name: r.text("name")?,
                        levels,
                        department_code: r.text("department_code")?,
                        authority_name: r.text("authority_name")?,
                        address: r.text("address")?,
                    })
                })
                .collect()
        })
    }
}

/// The start year as stored (`SMALLINT`); [`SchoolYear`] guarantees 2000–2199.
pub(crate) fn i16_year(year: SchoolYear) -> i16 {
    // SchoolYear::starting only accepts 2000..=2199, which fits in i16.
    year.start() as i16
}
