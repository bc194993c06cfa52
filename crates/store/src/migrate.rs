//! Embedded migrations, one folder per backend. A migration never changes after it lands;
//! a schema change is a new numbered file in both folders.

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::{Pools, Result, Store};

/// `(version, description, SQL)` for SQLite. Versions are applied in numeric order
/// whatever their place in this list (sqlx sorts them), and a version added later with a
/// lower number than one already applied is still applied on the next open.
const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "sessions",
        include_str!("../migrations/sqlite/0002_sessions.sql"),
    ),
    (
        3,
        "records",
        include_str!("../migrations/sqlite/0003_records.sql"),
    ),
    (
        4,
        "audit",
        include_str!("../migrations/sqlite/0004_audit.sql"),
    ),
    (
        5,
        "registry",
        include_str!("../migrations/sqlite/0005_registry.sql"),
    ),
    (
        6,
        "outbox",
        include_str!("../migrations/sqlite/0006_outbox.sql"),
    ),
    (
        7,
        "supervisors",
        include_str!("../migrations/sqlite/0007_supervisors.sql"),
    ),
    (
        8,
        "revocation lookup",
        include_str!("../migrations/sqlite/0008_revocation_lookup.sql"),
    ),
    (
        9,
        "issued passwords",
        include_str!("../migrations/sqlite/0009_issued_passwords.sql"),
    ),
    (
        10,
        "registry link",
        include_str!("../migrations/sqlite/0010_registry_link.sql"),
    ),
    (
        11,
        "registry xml storage",
        include_str!("../migrations/sqlite/0011_registry_xml_storage.sql"),
    ),
];

/// `(version, description, SQL)` for PostgreSQL, in order; same versions as [`SQLITE`].
const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        "sessions",
        include_str!("../migrations/postgres/0002_sessions.sql"),
    ),
    (
        3,
        "records",
        include_str!("../migrations/postgres/0003_records.sql"),
    ),
    (
        4,
        "audit",
        include_str!("../migrations/postgres/0004_audit.sql"),
    ),
    (
        5,
        "registry",
        include_str!("../migrations/postgres/0005_registry.sql"),
    ),
    (
        6,
        "outbox",
        include_str!("../migrations/postgres/0006_outbox.sql"),
    ),
    (
        7,
        "supervisors",
        include_str!("../migrations/postgres/0007_supervisors.sql"),
    ),
    (
        8,
        "revocation lookup",
        include_str!("../migrations/postgres/0008_revocation_lookup.sql"),
    ),
    (
        9,
        "issued passwords",
        include_str!("../migrations/postgres/0009_issued_passwords.sql"),
    ),
    (
        10,
        "registry link",
        include_str!("../migrations/postgres/0010_registry_link.sql"),
    ),
    (
        11,
        "registry xml storage",
        include_str!("../migrations/postgres/0011_registry_xml_storage.sql"),
    ),
];

fn migrator(list: &'static [(i64, &'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        list.iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

impl Store {
    /// Applies every embedded migration not yet recorded in `_sqlx_migrations`.
    pub(crate) async fn migrate(&self) -> Result<()> {
        match &self.pools {
            Pools::Sqlite(pool) => migrator(SQLITE).run(pool).await?,
            Pools::Postgres(pool) => migrator(POSTGRES).run(pool).await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_migration_versions() {
        let versions =
            |l: &[(i64, &str, &str)]| l.iter().map(|m| (m.0, m.1.to_owned())).collect::<Vec<_>>();
        assert_eq!(versions(SQLITE), versions(POSTGRES));
    }
}
