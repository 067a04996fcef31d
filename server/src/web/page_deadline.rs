//! A deadline on rendering a page. Every page renders fully on the server before a byte is sent
//! (`SsrMode::Async`), and a render normally takes milliseconds. Under heavy load (the machine's
//! two cores running three test suites), about one render in several thousand never finishes:
//! the integration suite's robustness run saw a `/vms` render wait 20 s and an `/events` render
//! wait 8 s, while the same request rendered again answered at once. Leptos 0.8's
//! `<Suspense>` has known, rare races of this kind (leptos-rs/leptos#4578, #4673; #4851 is fixed in
//! the version we use); awaiting resources in `Suspend` instead of reading them, the advice given
//! there, did not make our stall go away. A browser would spin until its own timeout and a
//! connection slot would stay taken, so a render that passes the deadline is dropped (its owner and
//! resources with it) and the page is rendered once more from scratch; if that stalls too, the
//! answer is a 503 page that reloads itself. Rendering a page only reads, so doing it twice changes
//! nothing. Each stall is logged with its path, so it can be counted.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// Far above any healthy render (a 10,000-VM grid page renders in well under a second on two
/// busy cores), far below a browser's patience.
pub const PAGE_RENDER_DEADLINE: Duration = Duration::from_secs(8);

/// How many renders a request gets before it is answered with a 503.
const ATTEMPTS: u32 = 2;

/// Layered on the page routes only (`route_layer`): server functions, REST calls and live streams
/// never pass through it.
pub async fn render_within_deadline(State(deadline): State<Duration>, request: Request, next: Next) -> Response {
    // Only reads can be rendered again; a form post to a page route is left alone.
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return next.run(request).await;
    }
    let (parts, _body) = request.into_parts();
    for attempt in 1..=ATTEMPTS {
        let request = Request::from_parts(parts.clone(), Body::empty());
        match tokio::time::timeout(deadline, next.clone().run(request)).await {
            Ok(response) => {
                if attempt > 1 {
                    tracing::warn!(path = %parts.uri.path(), attempt, "page rendered after an earlier render stalled");
                }
                return response;
            }
            Err(_) => tracing::error!(
                path = %parts.uri.path(),
                attempt,
                deadline_ms = deadline.as_millis() as u64,
                "page render stalled past its deadline; dropped"
            ),
        }
    }
    stalled_page()
}

fn stalled_page() -> Response {
    let page = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"5\"><title>Vireo could not prepare this page</title></head>\
         <body><main><h1>Vireo could not prepare this page</h1>\
         <p>Preparing it took too long twice. This page reloads by itself; nothing was changed.</p>\
         </main></body></html>";
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "5")],
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use axum::Router;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use tower::ServiceExt;

    /// A page whose first `stalls` renders (and form posts) never finish.
    fn page(stalls: u32, renders: Arc<AtomicU32>, posts: Arc<AtomicU32>) -> Router {
        Router::new()
            .route(
                "/vms",
                get(move || {
                    let n = renders.fetch_add(1, Ordering::SeqCst);
                    async move {
                        if n < stalls {
                            std::future::pending::<()>().await;
                        }
                        "rendered"
                    }
                })
                .post(move || {
                    let n = posts.fetch_add(1, Ordering::SeqCst);
                    async move {
                        if n < stalls {
                            std::future::pending::<()>().await;
                        }
                        "posted"
                    }
                }),
            )
            .route_layer(axum::middleware::from_fn_with_state(
                Duration::from_millis(50),
                render_within_deadline,
            ))
    }

    async fn get_vms(router: Router, method: Method) -> (StatusCode, String) {
        let request = Request::builder()
            .method(method)
            .uri("/vms")
            .body(Body::empty())
            .expect("request");
        let response = router.oneshot(request).await.expect("infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn a_stalled_render_is_dropped_and_the_page_rendered_again() {
        let renders = Arc::new(AtomicU32::new(0));
        let (status, body) = get_vms(page(1, renders.clone(), Arc::default()), Method::GET).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "rendered"));
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn two_stalls_answer_a_self_reloading_503() {
        let renders = Arc::new(AtomicU32::new(0));
        let (status, body) = get_vms(page(u32::MAX, renders.clone(), Arc::default()), Method::GET).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("http-equiv=\"refresh\""), "{body}");
        assert!(body.contains("nothing was changed"), "{body}");
        assert_eq!(renders.load(Ordering::SeqCst), ATTEMPTS);
    }

    #[tokio::test]
    async fn a_healthy_render_runs_once() {
        let renders = Arc::new(AtomicU32::new(0));
        let answer = get_vms(page(0, renders.clone(), Arc::default()), Method::GET).await;
        assert_eq!(answer, (StatusCode::OK, "rendered".to_string()));
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_slow_post_is_neither_cut_off_nor_repeated() {
        let posts = Arc::new(AtomicU32::new(0));
        let router = page(1, Arc::default(), posts.clone());
        let waited = tokio::time::timeout(Duration::from_millis(300), get_vms(router, Method::POST)).await;
        assert!(
            waited.is_err(),
            "the post is still running after six deadlines: {waited:?}"
        );
        assert_eq!(posts.load(Ordering::SeqCst), 1);
    }
}
