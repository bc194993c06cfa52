//! Class lists waiting for the admin's "Nhập": the rows read from the uploaded file, kept
//! in memory under a random token, bound to the session that uploaded them, for
//! [`TTL`]. The confirm form carries only the token; the rows are checked again against
//! the database when it is used, and a token is used once.
//!
//! Process-local on purpose: a pending import is a few hundred kilobytes at most and
//! lives minutes; losing it on restart only means uploading the file again. Kept out of
//! `AppState` so that this module owns it entirely.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::read::Row;

/// How long a preview stays confirmable.
pub const TTL: Duration = Duration::from_secs(30 * 60);
/// Pending imports kept at most (the oldest goes first).
const MAX_PENDING: usize = 64;

/// What was previewed.
#[derive(Debug, Clone)]
pub struct PendingImport {
    /// The session that uploaded it (`Session::id_hash`).
    pub session: String,
    /// The file name, for the messages.
    pub filename: String,
    /// The rows read from the file.
    pub rows: Vec<Row>,
    created: Instant,
}

fn table() -> &'static Mutex<HashMap<String, PendingImport>> {
    static TABLE: OnceLock<Mutex<HashMap<String, PendingImport>>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Keeps `rows` under `token` for `session`, replacing that session's earlier preview.
pub fn put(token: String, session: &str, filename: &str, rows: Vec<Row>) {
    // A poisoned lock only means another request panicked while holding it; the map
    // itself is still consistent (every update is a single insert or remove).
    let mut t = table().lock().unwrap_or_else(|p| p.into_inner());
    t.retain(|_, p| p.created.elapsed() < TTL && p.session != session);
    while t.len() >= MAX_PENDING {
        let Some(oldest) = t
            .iter()
            .min_by_key(|(_, p)| p.created)
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        t.remove(&oldest);
    }
    t.insert(
        token,
        PendingImport {
            session: session.to_owned(),
            filename: filename.to_owned(),
            rows,
            created: Instant::now(),
        },
    );
}

/// Takes the preview under `token` if it belongs to `session` and has not expired; it
/// cannot be taken twice.
pub fn take(token: &str, session: &str) -> Option<PendingImport> {
    let mut t = table().lock().unwrap_or_else(|p| p.into_inner());
    let fresh = t
        .get(token)
        .is_some_and(|p| p.session == session && p.created.elapsed() < TTL);
    if fresh { t.remove(token) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_bound_to_its_session_and_used_once() {
        put("tok-a".into(), "session-1", "x.xlsx", Vec::new());
        assert!(take("tok-a", "session-2").is_none());
        assert!(take("tok-a", "session-1").is_some());
        assert!(take("tok-a", "session-1").is_none());
    }

    #[test]
    fn a_new_upload_replaces_the_session_s_earlier_preview() {
        put("tok-b1".into(), "session-3", "x.xlsx", Vec::new());
        put("tok-b2".into(), "session-3", "y.xlsx", Vec::new());
        assert!(take("tok-b1", "session-3").is_none());
        assert_eq!(take("tok-b2", "session-3").unwrap().filename, "y.xlsx");
    }
}
