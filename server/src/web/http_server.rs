//! The accept loop: HTTP/1.1 connections with a header-read deadline, a cap on open connections,
//! the client's address for handlers (`ConnectInfo<SocketAddr>`, the login throttle's key) and a
//! graceful shutdown with a deadline. `axum::serve` exposes none of the limits, so this is hyper's
//! connection builder directly.
//!
//! Only HTTP/1.1 is spoken: browsers use HTTP/2 only over TLS (which a reverse proxy in front of
//! Vireo terminates), and the HTTP/2-or-1 auto-detection reads the connection preface with no
//! deadline — a client sending one byte would hold its connection forever.

use crate::config::HttpLimits;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, lets each open
/// connection finish its current request for up to `limits.shutdown_grace`, and closes the rest
/// (live-update streams never finish on their own).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &HttpLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    // The header deadline also closes idle keep-alive connections: hyper restarts it whenever it
    // waits for the next request head.
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let http = Arc::new(http);

    // A permit per open connection, taken before `accept`: at the cap, new connections wait in the
    // kernel's listen backlog (and past that are refused by the kernel) instead of each taking a
    // file descriptor until the process runs out.
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);

    loop {
        // Reap finished connections so the set holds only open ones.
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, remote) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors or similar: wait instead of spinning.
                    tracing::error!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(remote));
            app.clone().oneshot(request)
        });
        let http = http.clone();
        let mut stop = stop_rx.clone();
        connections.spawn(async move {
            let _permit = permit;
            // Upgrades: the consoles' WebSockets (`web/console.rs`). The connection future ends at
            // the upgrade (and its permit with it); the WebSocket then runs as a task of its own.
            let connection = http.serve_connection(TokioIo::new(stream), service).with_upgrades();
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = async { drop(stop.wait_for(|stop| *stop).await) } => {
                    // Finish the request in progress, then close.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                // Header timeouts, resets, malformed requests: the client's problem, not ours.
                tracing::debug!(%remote, error = %e, "connection ended with an error");
            }
        });
    }

    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            "{} connections still open after {:?}; closing them",
            connections.len(),
            limits.shutdown_grace
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Errors about one connection that went away before it was accepted; the next accept is fine.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}
