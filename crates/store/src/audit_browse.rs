//! Browsing a school's audit log ("Nhật ký thay đổi của trường"): every entry made in
//! one school — about a student or not (accounts, teaching assignments, school years,
//! the registry token, certificates) — newest first, a page at a time, filtered by kind
//! of change and by who made it.

use crate::audit::RawEntry;
use crate::{AuditAction, AuditEntry, Result, SchoolId, Store, dispatch};

/// Which entries of a school's log [`Store::audit_of_school`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only entries of these actions; empty means every action.
    pub actions: Vec<AuditAction>,
    /// Only entries made by the account with this username (exact match, as it was at
    /// the time of the change); `None` means anyone.
    pub actor_username: Option<String>,
}

impl Store {
    /// The entries made in `school` that match `filter`, newest first: at most `limit`
    /// of them, all with a sequence number below `before` when it is given (the `seq`
    /// of the last entry of the previous page). Entries of other schools are never
    /// returned.
    pub async fn audit_of_school(
        &self,
        school: SchoolId,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let mut sql = String::from(
            "SELECT seq, at, actor_id, actor_username, actor_name, school_id, student_code, \
             class_id, action, field, old_value, new_value, reason, prev_hash, hash \
             FROM audit_log WHERE school_id = $1 AND seq < $2 \
             AND ($3 = '' OR actor_username = $3)",
        );
        if !filter.actions.is_empty() {
            let placeholders: Vec<String> = (0..filter.actions.len())
                .map(|i| format!("${}", i + 4))
                .collect();
            sql.push_str(&format!(" AND action IN ({})", placeholders.join(", ")));
        }
        // Numbered in the order they appear, which SQLite needs.
        let limit_at = filter.actions.len() + 4;
        sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${limit_at}"));
        let before = before.unwrap_or(i64::MAX);
        let actor = filter.actor_username.as_deref().unwrap_or("");
        dispatch!(self, |pool, _begin| {
            // Safe: the text holds only fixed SQL and numbered placeholders; every value
            // is bound.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(school.0)
                .bind(before)
                .bind(actor);
            for action in &filter.actions {
                q = q.bind(action.code());
            }
            q = q.bind(i64::from(limit));
            let rows = q.fetch_all(pool).await?;
            rows.iter().map(|r| RawEntry::read(r)?.parse()).collect()
        })
    }
}
