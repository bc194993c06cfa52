//! The one error type of the store.

use sqlx::error::ErrorKind;

/// The result of every store operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL has a scheme other than `sqlite:` or `postgres://`.
    #[error("unsupported database URL {0:?}: expected sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    /// The row asked for, or a row a write refers to, does not exist.
    #[error("not found: {what}")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// A row with the same unique key already exists (or the row is still referenced).
    #[error("conflict: {what}")]
    Conflict {
        /// Which key or constraint collided.
        what: String,
    },
    /// A value broke a constraint, or a stored value could not be parsed back.
    #[error("invalid value: {what}")]
    Invalid {
        /// Which value and why.
        what: String,
    },
    /// A write would change the inputs of a student whose current record in the class is
    /// locked (being signed, signed or synced, see [`crate::RecordState::is_locked`]);
    /// nothing was written. The record must be unlocked ("Mở khóa") first.
    #[error("the record of student {student} is locked")]
    Locked {
        /// The first locked student the write would have changed.
        student: domain::StudentCode,
    },
    /// An embedded migration could not be applied.
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The data directory or database file could not be created.
    #[error("cannot create the data directory")]
    Io(#[from] std::io::Error),
    /// Any other database or connection failure.
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl Error {
    /// Builds [`Error::NotFound`].
    pub(crate) fn not_found(what: impl Into<String>) -> Error {
        Error::NotFound { what: what.into() }
    }

    /// Builds [`Error::Invalid`].
    pub(crate) fn invalid(what: impl Into<String>) -> Error {
        Error::Invalid { what: what.into() }
    }
}

impl From<sqlx::Error> for Error {
    /// Sorts database errors into the variants callers act on: unique violations are
    /// [`Error::Conflict`], foreign-key violations [`Error::NotFound`] (the referenced row
    /// is missing), check / not-null violations and PostgreSQL data exceptions (class 22,
    /// e.g. an impossible date) [`Error::Invalid`].
    fn from(e: sqlx::Error) -> Error {
        if let sqlx::Error::RowNotFound = e {
            return Error::not_found("row");
        }
        let sqlx::Error::Database(db) = &e else {
            return Error::Database(e);
        };
        let what = match db.constraint() {
            Some(c) => format!("{} ({c})", db.message()),
            None => db.message().to_owned(),
        };
        match db.kind() {
            ErrorKind::UniqueViolation => Error::Conflict { what },
            ErrorKind::ForeignKeyViolation => Error::NotFound { what },
            ErrorKind::CheckViolation | ErrorKind::NotNullViolation => Error::Invalid { what },
            _ if db.code().is_some_and(|c| c.starts_with("22")) => Error::Invalid { what },
            _ => Error::Database(e),
        }
    }
}
