//! Live updates: PostgreSQL announces every change on `vireo_changes` (a trigger per table); one
//! listener task turns those into a broadcast, and each browser holds a server-sent-events stream
//! (`GET /api/stream`) that says which tables changed. Bursts are coalesced so a seed of 10,000
//! rows is a handful of messages, not 10,000.

use crate::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::Stream;
use sqlx::postgres::PgListener;
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast;

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

/// `GET /api/stream`: `event: change`, `data: vms,events` whenever those tables changed.
pub async fn stream(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = futures_util::stream::unfold(state.changes.subscribe(), |mut rx| async move {
        let data = match rx.recv().await {
            Ok(tables) => tables,
            // Fell behind: say something changed; the page refetches anyway.
            Err(broadcast::error::RecvError::Lagged(_)) => "*".to_string(),
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(Event::default().event("change").data(data)), rx))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
