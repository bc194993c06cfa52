//! Login sessions of the school server (migration 0002).
//!
//! The store keeps only the SHA-256 of a session's cookie value (`id_hash`), never the
//! value itself; hashing, randomness, lifetimes and the idle timeout are the caller's
//! business. Times are Unix seconds (UTC) passed in by the caller, so the store has no
//! clock of its own and tests control time.

use crate::row::RowExt;
use crate::{Error, Result, Store, TeacherId, dispatch};

/// A session to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 of the cookie value, 64 lowercase hex digits; the primary key.
    pub id_hash: String,
    /// The account logged in.
    pub teacher: TeacherId,
    /// The anti-CSRF token every POST of this session must carry (32–128 characters).
    pub csrf_token: String,
    /// When it was created (Unix seconds); also its first `last_seen_at`.
    pub created_at: i64,
    /// When it stops being valid (Unix seconds), at or after `created_at`.
    pub expires_at: i64,
    /// The account logged in with a seeded password and must change it before anything
    /// else.
    pub must_change_password: bool,
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the cookie value.
    pub id_hash: String,
    /// The account logged in.
    pub teacher: TeacherId,
    /// The anti-CSRF token.
    pub csrf_token: String,
    /// Creation time (Unix seconds).
    pub created_at: i64,
    /// Expiry time (Unix seconds).
    pub expires_at: i64,
    /// Last request seen (Unix seconds), as recorded by [`Store::touch_session`].
    pub last_seen_at: i64,
    /// A password change is required before anything else.
    pub must_change_password: bool,
}

impl Store {
    /// Creates a session. [`Error::NotFound`] when the teacher does not exist,
    /// [`Error::Conflict`] when the hash is taken, [`Error::Invalid`] when a field breaks a
    /// constraint (hash not 64 hex digits, expiry before creation, short token).
    pub async fn insert_session(&self, session: &NewSession) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO sessions (id_hash, teacher_id, csrf_token, created_at, expires_at, \
                 last_seen_at, must_change_password) VALUES ($1, $2, $3, $4, $5, $4, $6)",
            )
            .bind(&session.id_hash)
            .bind(session.teacher.0)
            .bind(&session.csrf_token)
            .bind(session.created_at)
            .bind(session.expires_at)
            .bind(session.must_change_password)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The session with this hash if it exists and has not expired at `now` (that is,
    /// `now < expires_at`); `None` otherwise. Expired rows are left for
    /// [`Store::delete_expired_sessions`].
    pub async fn session(&self, id_hash: &str, now: i64) -> Result<Option<Session>> {
        dispatch!(self, |pool, _begin| {
            let found = sqlx::query(
                "SELECT id_hash, teacher_id, csrf_token, created_at, expires_at, last_seen_at, \
                 must_change_password FROM sessions WHERE id_hash = $1 AND expires_at > $2",
            )
            .bind(id_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            found
                .map(|r| {
                    Ok(Session {
                        id_hash: r.text("id_hash")?,
                        teacher: TeacherId(r.int("teacher_id")?),
                        csrf_token: r.text("csrf_token")?,
                        created_at: r.int("created_at")?,
                        expires_at: r.int("expires_at")?,
                        last_seen_at: r.int("last_seen_at")?,
                        must_change_password: r.boolean("must_change_password")?,
                    })
                })
                .transpose()
        })
    }

    /// Records a request of the session at `now` (never moves `last_seen_at` backwards).
    /// [`Error::NotFound`] when the session does not exist.
    pub async fn touch_session(&self, id_hash: &str, now: i64) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            let done = sqlx::query(
                "UPDATE sessions SET last_seen_at = CASE WHEN last_seen_at < $2 THEN $2 \
                 ELSE last_seen_at END WHERE id_hash = $1",
            )
            .bind(id_hash)
            .bind(now)
            .execute(pool)
            .await?;
            if done.rows_affected() == 0 {
                return Err(Error::not_found("session"));
            }
            Ok(())
        })
    }

    /// Sets or clears the "must change password" mark of a session.
    /// [`Error::NotFound`] when the session does not exist.
    pub async fn set_session_must_change_password(&self, id_hash: &str, must: bool) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            let done =
                sqlx::query("UPDATE sessions SET must_change_password = $2 WHERE id_hash = $1")
                    .bind(id_hash)
                    .bind(must)
                    .execute(pool)
                    .await?;
            if done.rows_affected() == 0 {
                return Err(Error::not_found("session"));
            }
            Ok(())
        })
    }

    /// Deletes one session (logout); deleting a missing session is not an error.
    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Deletes every session of an account except `keep` (if given), e.g. after a password
    /// change; returns how many were deleted.
    pub async fn delete_sessions_of_teacher(
        &self,
        teacher: TeacherId,
        keep: Option<&str>,
    ) -> Result<u64> {
        dispatch!(self, |pool, _begin| {
            let done = sqlx::query(
                "DELETE FROM sessions WHERE teacher_id = $1 AND id_hash <> COALESCE($2, '')",
            )
            .bind(teacher.0)
            .bind(keep)
            .execute(pool)
            .await?;
            Ok(done.rows_affected())
        })
    }

    /// Deletes every session expired at `now` (`expires_at <= now`); returns how many.
    pub async fn delete_expired_sessions(&self, now: i64) -> Result<u64> {
        dispatch!(self, |pool, _begin| {
            let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }
}
