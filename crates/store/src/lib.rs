#![doc = include_str!("../README.md")]

mod admin;
mod assessment;
mod audit;
mod audit_browse;
mod batch;
mod classes;
pub mod convert;
mod error;
mod lookup;
mod migrate;
mod model;
mod outbox;
mod people;
mod records;
mod registry;
mod registry_link;
mod registry_ops;
mod reports;
mod row;
mod schools;
mod sessions;
mod sheets;
mod supervision;
mod tt27_sheets;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use admin::ClassTeaching;
pub use assessment::{HomeroomRow, MAX_REGULAR_SCORES, ValueEdit};
pub use audit::{
    Actor, AuditAction, AuditBreak, AuditChange, AuditCheck, AuditEntry, AuditStamp, AuditTime,
    BreakReason, GENESIS_HASH, InvalidAuditTime, SummaryRow,
};
pub use audit_browse::AuditFilter;
pub use batch::{Batch, BatchCounts};
pub use error::{Error, Result};
pub use lookup::{NewRevocation, NewShareCode, Revocation, RevocationStatus, ShareCode};
pub use model::*;
pub use outbox::{ClaimedEntry, OutboxEntry, OutboxReject, OutboxState, SYNC_ACTOR_USERNAME};
pub use records::{
    ClassReview, NewSignature, RecordState, ReviewedRecord, SignerEntry, StoredRecord, Unlock,
};
pub use registry::{
    BatchIngested, Ingested, NewRegistryRecord, NewRegistrySchool, NewSealApproval, RegistryRecord,
    RegistrySchool, RegistryStatus, SealApproval, SealUse,
};
pub use registry_link::{
    CertificateKind, LinkStatus, MAX_REGISTRY_TOKEN, NewRevocationRequest, NewSchoolCertificate,
    RevocationRequest, SchoolCertificate, token_hint,
};
pub use registry_ops::{HourCount, RegistryStats, RejectionCodeCount, StoredRegistryRow};
pub use reports::{ClassSize, SchoolCounts, TableCounts};
pub use sessions::{NewSession, Session};
pub use sheets::{SheetMarks, semester_term};
pub use supervision::{
    CertificateStatus, Decision, ExpectedCount, NewCertificate, NewSupervisor,
    NewSupervisorSession, ReceivedCount, RejectedCount, Submitted, SubmittedCertificate,
    Supervisor, SupervisorSession,
};
pub use tt27_sheets::{MAX_TT27_TEXT_CHARS, Tt27RatingsRow, Tt27SheetRow};

/// The file name of the embedded database inside a data directory.
pub const SQLITE_FILE_NAME: &str = "hocba.sqlite3";

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (the default for a school installation).
    Sqlite,
    /// A PostgreSQL server (the registry, large deployments).
    Postgres,
}

/// A handle on the database: cheap to clone, `Send + Sync`, shareable behind `Arc` and
/// across tasks. Every repository method is an inherent `async fn` on it and behaves the
/// same on both backends (the contract suite in `tests/contract.rs` checks that).
#[derive(Debug, Clone)]
pub struct Store {
    pools: Pools,
}

#[derive(Debug, Clone)]
enum Pools {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` once per backend with `$pool` bound to the concrete pool and `$begin`
/// bound to the statement that opens a write transaction there. The body is written once
/// and compiled twice, so every query text must be valid on both SQLite and PostgreSQL
/// (`$1` placeholders, `RETURNING`, `ON CONFLICT`, no casts with `::`).
macro_rules! dispatch {
    ($store:expr, |$pool:ident, $begin:ident| $body:expr) => {
        match &$store.pools {
            $crate::Pools::Sqlite($pool) => {
                // IMMEDIATE takes the write lock up front, so two writers wait for each
                // other (busy timeout) instead of failing on a lock upgrade.
                #[allow(unused_variables)]
                let $begin: &'static str = "BEGIN IMMEDIATE";
                $body
            }
            $crate::Pools::Postgres($pool) => {
                #[allow(unused_variables)]
                let $begin: &'static str = "BEGIN";
                $body
            }
        }
    };
}
pub(crate) use dispatch;

impl Store {
    /// Opens the database named by `url`, creating it if needed, and applies every
    /// embedded migration that has not run yet.
    ///
    /// `sqlite://path/to/file.sqlite3?mode=rwc` (or `sqlite::memory:`) opens SQLite in
    /// WAL mode with foreign keys enforced; `postgres://…` or `postgresql://…` opens a
    /// PostgreSQL pool. Any other scheme is [`Error::UnsupportedUrl`].
    pub async fn open(url: &str) -> Result<Store> {
        let store = if url.starts_with("sqlite:") {
            Store::open_sqlite(url).await?
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Store {
                pools: Pools::Postgres(pool),
            }
        } else {
            return Err(Error::UnsupportedUrl(redact(url)));
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens (or creates) the embedded SQLite database `hocba.sqlite3` inside `data_dir`,
    /// creating the directory if it does not exist.
    pub async fn open_data_dir(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir)?;
        let options = sqlite_options(SqliteConnectOptions::new())
            .filename(data_dir.join(SQLITE_FILE_NAME))
            .create_if_missing(true);
        let store = Store::sqlite_pool(options, false).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// The backend this store talks to.
    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite(_) => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Waits for every connection to be returned and closes the pool; later calls fail.
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite(pool) => pool.close().await,
            Pools::Postgres(pool) => pool.close().await,
        }
    }

    /// Executes one raw SQL statement without binds and returns the number of rows it
    /// touched. Meant for tests that must reach past the typed API (to prove a database
    /// constraint holds on its own) and for maintenance; application code never calls it.
    #[doc(hidden)]
    pub async fn execute_raw_for_tests(&self, sql: &str) -> Result<u64> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        dispatch!(self, |pool, _begin| Ok(sqlx::query(sql)
            .execute(pool)
            .await?
            .rows_affected()))
    }

    async fn open_sqlite(url: &str) -> Result<Store> {
        let options = sqlite_options(SqliteConnectOptions::from_str(url)?);
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        if !memory
            && let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        Store::sqlite_pool(options, memory).await
    }

    async fn sqlite_pool(options: SqliteConnectOptions, memory: bool) -> Result<Store> {
        let pool = if memory {
            // Every connection to `:memory:` is a separate database: keep exactly one
            // alive for the life of the pool.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?
        } else {
            SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await?
        };
        Ok(Store {
            pools: Pools::Sqlite(pool),
        })
    }
}

fn sqlite_options(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
}

/// Drops the password from a URL before it goes into an error message.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let auth = &url[scheme + 3..at];
            match auth.find(':') {
                Some(colon) => {
                    format!("{}{}:***{}", &url[..scheme + 3], &auth[..colon], &url[at..])
                }
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
