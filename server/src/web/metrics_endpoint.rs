//! `GET /metrics` (Prometheus text format, `crate::metrics`) and the middleware that counts every
//! request for it.
//!
//! `/metrics` names every running VM and host, so it is closed unless configured
//! (`config::MetricsAccess`): a scraper gets it with the token (`Authorization: Bearer …`) or from
//! an address in `VIREO_METRICS_NETWORKS`; anyone else gets a bare 401 (or 404 when it is not
//! configured at all) that says nothing more. It needs no session (the auth gate lets it through,
//! `auth::is_public`).

use crate::web::auth::client_ip;
use crate::web::state::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::time::Instant;

pub const METRICS_PATH: &str = "/metrics";

/// The scrape. No body is read; the answer is a few lines per route, call, host and running VM.
pub async fn scrape(State(state): State<AppState>, request: Request) -> Response {
    let access = &state.metrics_access;
    if !access.enabled() {
        return StatusCode::NOT_FOUND.into_response();
    }
    // Only the head is read; the request is dropped before the scrape's queries.
    let allowed = {
        let headers = request.headers();
        bearer(headers).is_some_and(|t| access.token_matches(t))
            || request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|peer| client_ip(peer.0.ip(), headers, &state.trusted_proxies))
                .is_some_and(|ip| access.networks.contains(ip))
    };
    drop(request);
    if !allowed {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "Unauthorized",
        )
            .into_response();
    }
    match crate::metrics::scrape::render(&state).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, crate::metrics::exposition::CONTENT_TYPE),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "metrics scrape failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Counts the request by its matched route's template (`MatchedPath`, set by the router before this
/// layer runs; never the path itself, whose ids would make a series per object) and times it to
/// the response head.
pub async fn count_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let response = next.run(request).await;
    crate::metrics::http_request(
        route.as_deref().unwrap_or(crate::metrics::UNMATCHED_ROUTE),
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_token_is_read_case_insensitively_and_nothing_else_is() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, "bearer  abc ".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, "Bearerabc".parse().unwrap());
        assert_eq!(bearer(&h), None);
    }
}
