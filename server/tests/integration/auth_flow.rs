use crate::support::{app, app_error, body_text, event_messages, ADMIN_PASSWORD};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use vireo_app::error::AppError;
use vireo_app::models::Role;

#[tokio::test]
async fn anonymous_page_requests_redirect_to_login_with_next() {
    let app = app().await;
    for path in ["/vms", "/hosts?selected=x", "/events", "/no-such-page"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        let location = r.headers()[header::LOCATION].to_str().unwrap();
        assert!(location.starts_with("/login?next=/"), "{path} -> {location}");
    }
    let r = app.get("/login").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = body_text(r).await;
    assert!(html.contains("Log in") && html.contains("Username") && html.contains("Password"));
}

#[tokio::test]
async fn anonymous_server_function_calls_get_401_with_a_typed_error() {
    let app = app().await;
    for (method, path) in [
        ("GET", "/api/list_hosts"),
        ("POST", "/api/add_host"),
        ("GET", "/api/whoami"),
        ("GET", "/api/dashboard"),
        ("GET", "/api/host_cpu_map?host_id=00000000-0000-0000-0000-000000000000"),
        ("GET", "/api/list_data_centers"),
        ("GET", "/api/data_center_grid"),
        ("POST", "/api/remove_cluster"),
    ] {
        let r = app
            .send(Request::builder().method(method).uri(path).body(Body::empty()).unwrap())
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(app_error(r).await, AppError::Unauthorized);
    }
}

#[tokio::test]
async fn health_is_public() {
    let app = app().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = serde_json::from_str(&body_text(r).await).unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["libvirt"]["reachable"], 1);
}

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_and_opens_pages_and_functions() {
    let app = app().await;
    let r = app.post_login("admin", ADMIN_PASSWORD, "%2Fclusters").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/clusters");
    let set_cookie = r.headers()[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_string();

    let r = app.get_as(&cookie, "/clusters").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body_text(r).await.contains("Default"));

    let r = app.get_as(&cookie, "/api/whoami").await;
    assert_eq!(r.status(), StatusCode::OK);
    let me: vireo_app::models::CurrentUser = serde_json::from_str(&body_text(r).await).unwrap();
    assert_eq!((me.username.as_str(), me.role), ("admin", Role::Admin));

    // Logged in, the login page sends you on.
    let r = app.get_as(&cookie, "/login").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Logging out ends the session for good.
    let r = app
        .send(
            Request::post("/logout")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.headers()[header::LOCATION], "/login?logged_out=1");
    let r = app.get_as(&cookie, "/api/whoami").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let actions: Vec<String> = event_messages(&app.pool).await.into_iter().map(|e| e.0).collect();
    assert!(actions.contains(&"user.login".to_string()) && actions.contains(&"user.logout".to_string()));
}

#[tokio::test]
async fn wrong_credentials_fail_the_same_way_and_are_audited() {
    let app = app().await;
    assert_eq!(app.login("admin", "wrong-password").await, None);
    assert_eq!(app.login("nobody", "wrong-password").await, None);
    let r = app.post_login("admin", "nope", "%2Fhosts").await;
    assert_eq!(r.headers()[header::LOCATION], "/login?error=invalid&next=/hosts");
    let failures: Vec<_> = event_messages(&app.pool)
        .await
        .into_iter()
        .filter(|e| e.0 == "user.login" && e.1 == "failure")
        .collect();
    assert_eq!(failures.len(), 3);
    assert!(failures[1].2.contains("'nobody'"));
}

#[tokio::test]
async fn off_site_next_targets_are_ignored() {
    let app = app().await;
    let r = app.post_login("admin", ADMIN_PASSWORD, "%2F%2Fevil.example").await;
    assert_eq!(
        r.headers()[header::LOCATION],
        "/",
        "an unsafe next lands on the Dashboard"
    );
}

#[tokio::test]
async fn a_viewer_may_read_but_not_write() {
    let app = app().await;
    let hash = vireo_server::service::passwords::hash_password("viewer-password").unwrap();
    app.state
        .repo
        .insert_user(&vireo_app::authz::Actor::vireo(), "viewer", &hash, Role::Viewer)
        .await
        .unwrap();
    let cookie = app.login("viewer", "viewer-password").await.expect("viewer logs in");
    let r = app.get_as(&cookie, "/api/list_hosts").await;
    assert_eq!(r.status(), StatusCode::OK);
    let cluster = app.state.repo.list_clusters().await.unwrap()[0].id;
    let r = app
        .post_form_as(
            &cookie,
            "/api/add_host",
            format!("name=h2&cluster_id={cluster}&transport=simulated"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app_error(r).await, AppError::Forbidden);
    assert_eq!(app.state.repo.count_hosts().await.unwrap(), 1);
}

/// The CPU map's read takes a host id from the query: a hostile or unknown one is a clear 4xx.
#[tokio::test]
async fn the_host_cpu_map_answers_a_bad_or_unknown_host_with_a_4xx() {
    let app = app().await;
    let r = app.post_login("admin", ADMIN_PASSWORD, "%2F").await;
    let set_cookie = r.headers()[header::SET_COOKIE].to_str().unwrap().to_string();
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let long = "9".repeat(5000);
    for (query, status) in [
        ("host_id=not-a-uuid".to_string(), StatusCode::BAD_REQUEST),
        (format!("host_id={long}"), StatusCode::BAD_REQUEST),
        (
            "host_id=00000000-0000-0000-0000-000000000000".to_string(),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let r = app.get_as(&cookie, &format!("/api/host_cpu_map?{query}")).await;
        assert_eq!(r.status(), status, "{}", &query[..query.len().min(40)]);
    }
}
