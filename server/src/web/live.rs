//! Live updates: PostgreSQL announces every real change on `vireo_changes` (statement triggers,
//! migration `20261205160001_row_change_notifications`: the table and the ids of the rows changed in
//! place); one listener task coalesces those into a bounded [`ChangeSet`] per [`COALESCE`] window and
//! broadcasts its text form, and each browser holds a server-sent-events stream (`GET /api/stream`)
//! that carries it (`event: change`, `data: vms:ID,ID events:ID`; the format is in
//! `vireo_app::domain::live_changes`). Bursts are coalesced so a seed of 10,000 rows is a handful of
//! messages, not 10,000, and a browser refetches only what shows a changed row.

use crate::web::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use tower_sessions::Session;
use vireo_app::domain::live_changes::ChangeSet;
use vireo_app::error::AppError;
use vireo_app::models::CurrentUser;

pub const CHANNEL: &str = "vireo_changes";
/// Changes within this window go out as one message.
pub const COALESCE: Duration = Duration::from_millis(150);
/// Messages a stream may fall behind before it is told `*` instead (`RecvError::Lagged`). At one
/// message per [`COALESCE`] window that is 38 s of a stream not being polled.
pub const BACKLOG: usize = 256;

/// One message: the text form of a change set, shared by every stream that sends it.
pub type Changes = Arc<str>;

/// The broadcast the listener feeds and every stream subscribes to.
pub fn channel() -> broadcast::Sender<Changes> {
    broadcast::channel(BACKLOG).0
}

/// The payloads of one window as one change set (bounded: see `ChangeSet`).
pub fn coalesce<'a>(payloads: impl IntoIterator<Item = &'a str>) -> ChangeSet {
    let mut set = ChangeSet::default();
    for payload in payloads {
        set.add_text(payload);
    }
    set
}

/// Listens on PostgreSQL and republishes (coalesced). Reconnects when the connection drops, and
/// then says `*`: whatever changed meanwhile was announced to nobody.
pub async fn listen(
    pool: sqlx::PgPool,
    tx: broadcast::Sender<Changes>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    // Set once LISTEN was in place: a later connection may have missed changes.
    let mut listened = false;
    let mut retry = false;
    loop {
        if retry {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = shutdown.changed() => return,
            }
        }
        retry = true;
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "change listener cannot connect; retrying");
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "LISTEN failed; retrying");
            continue;
        }
        if listened {
            let _ = tx.send(Arc::from("*"));
        }
        listened = true;
        loop {
            // `try_recv` says when the connection was lost (`Ok(None)`), which `recv` would hide by
            // reconnecting and dropping what was announced meanwhile.
            let first = tokio::select! {
                n = listener.try_recv() => n,
                _ = shutdown.changed() => return,
            };
            let Ok(Some(first)) = first else { break };
            let mut set = coalesce([first.payload()]);
            let deadline = tokio::time::sleep(COALESCE);
            tokio::pin!(deadline);
            let mut lost = false;
            loop {
                tokio::select! {
                    _ = &mut deadline => break,
                    more = listener.try_recv() => match more {
                        Ok(Some(n)) => set.add_text(n.payload()),
                        _ => { lost = true; break }
                    },
                }
            }
            if lost {
                set = ChangeSet::everything();
            }
            if !set.is_empty() {
                // No subscribers is fine: nobody is looking.
                let _ = tx.send(Arc::from(set.to_string()));
            }
            if lost {
                break;
            }
        }
    }
}

/// Counts open streams: each holds a connection for as long as the page is open, so one session
/// (a script, or a user with many tabs) must not be able to take every connection the server has.
pub struct StreamGate {
    per_session: usize,
    total: usize,
    open: Mutex<(usize, HashMap<String, usize>)>,
}

/// One open stream; dropping it (the client went away, the stream ended) gives the place back.
pub struct StreamTicket {
    gate: Arc<StreamGate>,
    key: String,
}

impl StreamGate {
    pub fn new(per_session: usize, total: usize) -> Arc<Self> {
        Arc::new(Self {
            per_session,
            total,
            open: Mutex::new((0, HashMap::new())),
        })
    }

    /// A ticket for one more stream of `key`, or `None` when the session or the server is full.
    pub fn open(self: &Arc<Self>, key: &str) -> Option<StreamTicket> {
        let mut guard = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let (total, per_key) = &mut *guard;
        let mine = per_key.get(key).copied().unwrap_or(0);
        if *total >= self.total || mine >= self.per_session {
            return None;
        }
        *total += 1;
        per_key.insert(key.to_string(), mine + 1);
        Some(StreamTicket {
            gate: self.clone(),
            key: key.to_string(),
        })
    }

    /// Streams open now (overall).
    pub fn open_count(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).0
    }
}

impl Drop for StreamTicket {
    fn drop(&mut self) {
        let mut guard = self.gate.open.lock().unwrap_or_else(|p| p.into_inner());
        let (total, per_key) = &mut *guard;
        *total = total.saturating_sub(1);
        if let Some(n) = per_key.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                per_key.remove(&self.key);
            }
        }
    }
}

/// `GET /api/stream`: `event: change`, `data: vms:ID,ID events:ID` (a change set's text form)
/// whenever rows changed. 429 (a JSON `AppError::Busy`) when the session already holds
/// `streams_per_session` streams or the server `streams_total`.
pub async fn stream(
    State(state): State<AppState>,
    Extension(gate): Extension<Arc<StreamGate>>,
    session: Session,
    user: Option<Extension<CurrentUser>>,
) -> Response {
    // The auth gate admits only logged-in sessions here, so there is a session id; the user is the
    // fallback key should a session ever lack one.
    let key = match (session.id(), user) {
        (Some(id), _) => format!("session:{id}"),
        (None, Some(Extension(user))) => format!("user:{}", user.id),
        (None, None) => "anonymous".to_string(),
    };
    let Some(ticket) = gate.open(&key) else {
        tracing::warn!(key, "live-update stream refused: too many open");
        return crate::web::guard::app_error_response(
            StatusCode::TOO_MANY_REQUESTS,
            &AppError::Busy {
                message: "Too many live-update streams are open; close some Vireo tabs.".into(),
            },
        );
    };
    let stream = futures_util::stream::unfold((state.changes.subscribe(), ticket), |(mut rx, ticket)| async move {
        let event = match rx.recv().await {
            Ok(changes) => Event::default().event("change").data(&*changes),
            // Fell behind (what it missed is gone from the channel): anything may have changed.
            Err(broadcast::error::RecvError::Lagged(_)) => Event::default().event("change").data("*"),
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok::<_, std::convert::Infallible>(event), (rx, ticket)))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_of_notifications_is_one_bounded_change_set() {
        // What the triggers announce within one window, as one event's data.
        let set = coalesce(["vms:b", "events:b", "vms:a", "vms:b", "events:a"]);
        assert_eq!(set.to_string(), "events:a,b vms:a,b");
        // An insert anywhere in the window is the table alone.
        assert_eq!(coalesce(["vms:a", "vms", "vms:c"]).to_string(), "vms");
        // A burst of single-row updates past the bound is the table alone, not a huge event.
        let ids: Vec<String> = (0..1000).map(|i| format!("vms:{i:036}")).collect();
        let set = coalesce(ids.iter().map(String::as_str));
        assert_eq!(set.to_string(), "vms");
        // Nothing announced, nothing sent; something unreadable, everything.
        assert!(coalesce([]).is_empty());
        assert_eq!(coalesce(["vms:a", "hosts,vms"]).to_string(), "*");
    }

    #[test]
    fn streams_are_bounded_per_session_and_overall_and_given_back() {
        let gate = StreamGate::new(2, 3);
        let a1 = gate.open("a").expect("first");
        let _a2 = gate.open("a").expect("second");
        assert!(gate.open("a").is_none(), "third for one session");
        let _b1 = gate.open("b").expect("another session");
        assert!(gate.open("c").is_none(), "server full");
        assert_eq!(gate.open_count(), 3);
        drop(a1);
        assert_eq!(gate.open_count(), 2);
        assert!(gate.open("a").is_some(), "a closed stream frees its place");
    }
}
