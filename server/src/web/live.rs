//! Live updates: PostgreSQL announces every change on `vireo_changes` (a trigger per table); one
//! listener task turns those into a broadcast, and each browser holds a server-sent-events stream
//! (`GET /api/stream`) that says which tables changed. Bursts are coalesced so a seed of 10,000
//! rows is a handful of messages, not 10,000.

use crate::web::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use sqlx::postgres::PgListener;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use tower_sessions::Session;
use vireo_app::error::AppError;
use vireo_app::models::CurrentUser;

pub const CHANNEL: &str = "vireo_changes";
/// Changes within this window go out as one message.
const COALESCE: Duration = Duration::from_millis(150);

/// Listens on PostgreSQL and republishes (coalesced). Reconnects when the connection drops.
pub async fn listen(
    pool: sqlx::PgPool,
    tx: broadcast::Sender<String>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "change listener cannot connect; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(2)) => continue,
                    _ = shutdown.changed() => return,
                }
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "LISTEN failed; retrying");
            tokio::time::sleep(Duration::from_secs(2)).await;
            continue;
        }
        loop {
            let first = tokio::select! {
                n = listener.recv() => n,
                _ = shutdown.changed() => return,
            };
            let Ok(first) = first else { break };
            let mut tables = BTreeSet::from([first.payload().to_string()]);
            let deadline = tokio::time::sleep(COALESCE);
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    _ = &mut deadline => break,
                    more = listener.recv() => match more {
                        Ok(n) => { tables.insert(n.payload().to_string()); }
                        Err(_) => break,
                    },
                }
            }
            // No subscribers is fine: nobody is looking.
            let _ = tx.send(tables.into_iter().collect::<Vec<_>>().join(","));
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

/// `GET /api/stream`: `event: change`, `data: vms,events` whenever those tables changed. 429 (a JSON
/// `AppError::Busy`) when the session already holds `streams_per_session` streams or the server
/// `streams_total`.
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
        let data = match rx.recv().await {
            Ok(tables) => tables,
            // Fell behind: say something changed; the page refetches anyway.
            Err(broadcast::error::RecvError::Lagged(_)) => "*".to_string(),
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((
            Ok::<_, std::convert::Infallible>(Event::default().event("change").data(data)),
            (rx, ticket),
        ))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

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
