use super::Repository;
use uuid::Uuid;
use vireo_app::error::AppError;
use vireo_app::models::{CurrentUser, EventView};

/// One audit-log row. `user` is None for Vireo's own actions (start-up, monitors).
pub struct NewEvent<'a> {
    pub user: Option<&'a CurrentUser>,
    /// For failed logins, the name that was tried (there is no user).
    pub username: Option<&'a str>,
    pub severity: &'a str,
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: Option<Uuid>,
    pub object_name: Option<&'a str>,
    pub success: bool,
    pub message: String,
}

/// An audit-log row as the event lists read it (`at` as UTC text).
#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    id: i64,
    at: String,
    username: Option<String>,
    severity: String,
    action: String,
    object_kind: String,
    object_name: Option<String>,
    result: String,
    message: String,
}

/// The longest user-supplied text (a name tried at login, an object's name) an event keeps.
pub const EVENT_TEXT_MAX: usize = 200;
/// The longest event message (messages quote user text, so they are capped too).
pub const EVENT_MESSAGE_MAX: usize = 1000;

/// `text` cut to at most `max` characters (marked with `…`), so an anonymous caller cannot grow the
/// audit log by sending megabytes of "user name". Apply to any user-supplied text put into an event.
pub fn clip(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(text),
        Some(_) => {
            let keep: String = text.chars().take(max.saturating_sub(1)).collect();
            std::borrow::Cow::Owned(format!("{keep}…"))
        }
    }
}

impl Repository {
    /// Writes an audit row. A failure here is logged, never allowed to undo the action it records.
    pub async fn record_event(&self, e: NewEvent<'_>) {
        // Capped here, where every event passes, as well as by callers that quote user text.
        let username = e
            .user
            .map(|u| u.username.as_str())
            .or(e.username)
            .map(|n| clip(n, EVENT_TEXT_MAX));
        let object_name = e.object_name.map(|n| clip(n, EVENT_TEXT_MAX));
        let message = clip(&e.message, EVENT_MESSAGE_MAX);
        let result = sqlx::query(
            "INSERT INTO events (user_id, username, severity, action, object_kind, object_id, object_name, result, message)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(e.user.map(|u| u.id))
        .bind(username.as_deref())
        .bind(e.severity)
        .bind(e.action)
        .bind(e.object_kind)
        .bind(e.object_id)
        .bind(object_name.as_deref())
        .bind(if e.success { "success" } else { "failure" })
        .bind(message.as_ref())
        .execute(&self.pool)
        .await;
        if let Err(err) = result {
            tracing::error!(error = %err, action = e.action, "could not write the audit event");
        }
    }

    pub async fn list_events(&self, limit: i64) -> Result<Vec<EventView>, AppError> {
        let sql =
            "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS at, username, severity,
                    action, object_kind, object_name, result, message
             FROM events ORDER BY at DESC, id DESC LIMIT $1";
        let rows: Vec<EventRow> = self.fetch_all(sqlx::query_as(sql).bind(limit.clamp(1, 1000))).await?;
        Ok(rows.into_iter().map(EventView::from).collect())
    }
}

impl From<EventRow> for EventView {
    fn from(r: EventRow) -> Self {
        EventView {
            id: r.id,
            at: r.at,
            username: r.username,
            severity: r.severity,
            action: r.action,
            object_kind: r.object_kind,
            object_name: r.object_name,
            result: r.result,
            message: r.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_short_text_and_cuts_long_text_on_characters() {
        assert_eq!(clip("admin", 200), "admin");
        let long = "é".repeat(1 << 20);
        let cut = clip(&long, 200);
        assert_eq!(cut.chars().count(), 200);
        assert!(cut.ends_with('…'));
        assert_eq!(clip(&"a".repeat(200), 200).chars().count(), 200);
    }
}
