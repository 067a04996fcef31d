//! User management through the real router and service: admins add users, change roles, disable and
//! reset passwords; everyone changes their own password; nobody else may touch users; disabling and
//! password changes end sessions and REST tokens at once; the command line recovers without the UI.

use crate::support::{app, app_error, body_text, form_post, TestApp};
use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use uuid::Uuid;
use vireo_app::backend::UserBackend;
use vireo_app::error::AppError;
use vireo_app::models::{GridQuery, NewUserRequest, Role};

async fn add(app: &TestApp, name: &str, role: Role, password: &str) -> Uuid {
    let admin = app.admin_user().await;
    app.state
        .service
        .add_user(
            &admin,
            NewUserRequest {
                username: name.into(),
                role: role.as_str().into(),
                password: password.into(),
                confirm: password.into(),
            },
        )
        .await
        .unwrap()
        .id
}

/// The `add_user` server function as the Add User dialog posts it: username, role, password, confirm.
async fn add_user(app: &TestApp, cookie: &str, [username, role, password, confirm]: [&str; 4]) -> Response<Body> {
    let fields = [
        ("username", username),
        ("role", role),
        ("password", password),
        ("confirm", confirm),
    ];
    app.call(cookie, "add_user", &fields).await
}

/// The `change_own_password` server function: current password, new password, confirmation.
async fn change_password(app: &TestApp, cookie: &str, [current, password, confirm]: [&str; 3]) -> Response<Body> {
    let fields = [("current", current), ("password", password), ("confirm", confirm)];
    app.call(cookie, "change_own_password", &fields).await
}

/// The `set_user_role` or `set_user_disabled` server function (`what`: "role" or "disabled") for user `id`.
async fn set_user(app: &TestApp, cookie: &str, id: Uuid, what: &str, value: &str) -> Response<Body> {
    let id = id.to_string();
    app.call(cookie, &format!("set_user_{what}"), &[("id", &id), (what, value)])
        .await
}

async fn whoami(app: &TestApp, cookie: &str) -> StatusCode {
    app.get_as(cookie, "/api/whoami").await.status()
}

async fn token(app: &TestApp, name: &str, password: &str) -> Option<String> {
    let r = app
        .post_form(
            "/ovirt-engine/sso/oauth/token",
            serde_urlencoded::to_string([
                ("grant_type", "password"),
                ("username", &format!("{name}@internal")),
                ("password", password),
            ])
            .unwrap(),
        )
        .await;
    let json: serde_json::Value = serde_json::from_str(&body_text(r).await).unwrap();
    json["access_token"].as_str().map(str::to_string)
}

async fn api_status(app: &TestApp, token: &str) -> StatusCode {
    app.send(
        Request::get("/ovirt-engine/api/clusters")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .status()
}

fn ok_or_redirect(status: StatusCode) -> bool {
    status.is_success() || status.is_redirection()
}

#[tokio::test]
async fn admins_add_users_and_change_roles_with_field_level_errors() {
    let app = app().await;
    let cookie = app.admin_cookie().await;
    let r = add_user(
        &app,
        &cookie,
        ["alice", "operator", "alice-password-1", "alice-password-1"],
    )
    .await;
    assert!(ok_or_redirect(r.status()), "{}", r.status());
    let alice = app.state.repo.user_by_name("alice").await.unwrap().unwrap();
    assert_eq!(alice.role, "operator");
    assert!(!alice.disabled);
    assert!(alice.password_hash.starts_with("$argon2"));
    assert!(app.login("alice", "alice-password-1").await.is_some());

    // Every field gets its own message.
    let r = add_user(&app, &cookie, ["bad name", "root", "short", "other"]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let AppError::Validation { errors } = app_error(r).await else {
        panic!("validation expected")
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["username", "role", "password", "confirm"]);
    let r = add_user(
        &app,
        &cookie,
        ["alice", "viewer", "another-password", "another-password"],
    )
    .await;
    assert_eq!(
        app_error(r).await.field_messages("username"),
        ["A user named 'alice' already exists."]
    );

    let r = set_user(&app, &cookie, alice.id, "role", "viewer").await;
    assert!(ok_or_redirect(r.status()));
    assert_eq!(
        app.state.repo.user_by_name("alice").await.unwrap().unwrap().role,
        "viewer"
    );

    // The grid: admins only, searchable by role.
    let admin = app.admin_user().await;
    let all = app
        .state
        .service
        .user_grid(&admin, &GridQuery::new("name"))
        .await
        .unwrap();
    assert_eq!(all.total, 2);
    let viewers = GridQuery {
        search: "role:viewer".into(),
        ..GridQuery::new("name")
    };
    let page = app.state.service.user_grid(&admin, &viewers).await.unwrap();
    assert_eq!(
        page.rows.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(),
        ["alice"]
    );
    let html = body_text(app.get_as(&cookie, "/users").await).await;
    assert!(html.contains("alice") && html.contains("Add user"), "{html}");

    // Audited, and no password anywhere in the audit log.
    let events: Vec<(String, String, String)> = sqlx::query_as("SELECT action, result, message FROM events")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    for action in ["user.create", "user.role"] {
        assert!(events.iter().any(|e| e.0 == action && e.1 == "success"), "{action}");
    }
    assert!(events.iter().any(|e| e.0 == "user.create" && e.1 == "failure"));
    for (_, _, message) in &events {
        assert!(
            !message.contains("alice-password-1") && !message.contains("short"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn viewers_and_operators_may_not_touch_users() {
    let app = app().await;
    let alice = add(&app, "alice", Role::Operator, "alice-password-1").await;
    add(&app, "vera", Role::Viewer, "vera-password-1").await;
    add(&app, "otto", Role::Operator, "otto-password-1").await;
    let before: Vec<(String, String, bool, i32, String)> =
        sqlx::query_as("SELECT username, role, disabled, auth_epoch, password_hash FROM users ORDER BY username")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let id = alice.to_string();
    for (name, password) in [("vera", "vera-password-1"), ("otto", "otto-password-1")] {
        let cookie = app.login(name, password).await.unwrap();
        let writes: [(&str, Vec<(&str, &str)>); 4] = [
            (
                "add_user",
                vec![
                    ("username", "mallory"),
                    ("role", "admin"),
                    ("password", "mallory-password"),
                    ("confirm", "mallory-password"),
                ],
            ),
            ("set_user_role", vec![("id", &id), ("role", "admin")]),
            ("set_user_disabled", vec![("id", &id), ("disabled", "true")]),
            (
                "reset_user_password",
                vec![
                    ("id", &id),
                    ("password", "mallory-password"),
                    ("confirm", "mallory-password"),
                ],
            ),
        ];
        for (function, fields) in writes {
            let r = app.call(&cookie, function, &fields).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{name} {function}");
            assert_eq!(app_error(r).await, AppError::Forbidden);
        }
        let me = app
            .state
            .repo
            .user_by_name(name)
            .await
            .unwrap()
            .unwrap()
            .to_current()
            .unwrap();
        assert_eq!(
            app.state.service.user_grid(&me, &GridQuery::new("name")).await,
            Err(AppError::Forbidden)
        );
        // The page says so, and the navigation has no Users link for them.
        let html = body_text(app.get_as(&cookie, "/users").await).await;
        assert!(html.contains("Your role does not allow this action."), "{html}");
        assert!(!body_text(app.get_as(&cookie, "/vms").await)
            .await
            .contains("href=\"/users\""));
    }
    let after: Vec<(String, String, bool, i32, String)> =
        sqlx::query_as("SELECT username, role, disabled, auth_epoch, password_hash FROM users ORDER BY username")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(before, after, "nothing changed");
    let refusals: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE action LIKE 'user.%' AND result = 'failure'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(refusals >= 8, "every refusal is audited ({refusals})");
    let admin_cookie = app.admin_cookie().await;
    assert!(body_text(app.get_as(&admin_cookie, "/vms").await)
        .await
        .contains("href=\"/users\""));
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_tokens_at_once() {
    let app = app().await;
    let alice = add(&app, "alice", Role::Operator, "alice-password-1").await;
    let session = app.login("alice", "alice-password-1").await.unwrap();
    let rest = token(&app, "alice", "alice-password-1").await.unwrap();
    assert_eq!(whoami(&app, &session).await, StatusCode::OK);
    assert_eq!(api_status(&app, &rest).await, StatusCode::OK);

    let admin_cookie = app.admin_cookie().await;
    let r = set_user(&app, &admin_cookie, alice, "disabled", "true").await;
    assert!(ok_or_redirect(r.status()));
    assert_eq!(whoami(&app, &session).await, StatusCode::UNAUTHORIZED);
    let page = app.get_as(&session, "/vms").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert!(page.headers()[header::LOCATION].to_str().unwrap().starts_with("/login"));
    assert_eq!(api_status(&app, &rest).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.state.repo.count_api_tokens(alice).await.unwrap(), 0);
    assert_eq!(app.login("alice", "alice-password-1").await, None);
    assert_eq!(token(&app, "alice", "alice-password-1").await, None);

    // Enabling lets them log in again; the old session stays over.
    let r = set_user(&app, &admin_cookie, alice, "disabled", "false").await;
    assert!(ok_or_redirect(r.status()));
    assert_eq!(whoami(&app, &session).await, StatusCode::UNAUTHORIZED);
    let fresh = app.login("alice", "alice-password-1").await.unwrap();
    assert_eq!(whoami(&app, &fresh).await, StatusCode::OK);
}

#[tokio::test]
async fn changing_ones_own_password_keeps_this_session_and_ends_the_others() {
    let app = app().await;
    let alice = add(&app, "alice", Role::Viewer, "alice-password-1").await;
    let here = app.login("alice", "alice-password-1").await.unwrap();
    let elsewhere = app.login("alice", "alice-password-1").await.unwrap();
    let rest = token(&app, "alice", "alice-password-1").await.unwrap();

    let r = change_password(&app, &here, ["not-it", "alice-password-2", "alice-password-2"]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app_error(r).await.field_messages("current"),
        ["That is not your current password."]
    );
    let r = change_password(&app, &here, ["alice-password-1", "short", "short"]).await;
    assert_eq!(
        app_error(r).await.field_messages("password"),
        ["Use at least 12 characters."]
    );
    assert_eq!(
        whoami(&app, &elsewhere).await,
        StatusCode::OK,
        "failed attempts change nothing"
    );

    let r = change_password(
        &app,
        &here,
        ["alice-password-1", "alice-password-2", "alice-password-2"],
    )
    .await;
    assert!(ok_or_redirect(r.status()), "{}", r.status());
    assert_eq!(whoami(&app, &here).await, StatusCode::OK, "this session goes on");
    assert_eq!(whoami(&app, &elsewhere).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(&app, &rest).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.state.repo.count_api_tokens(alice).await.unwrap(), 0);
    assert_eq!(app.login("alice", "alice-password-1").await, None);
    assert!(app.login("alice", "alice-password-2").await.is_some());
    let events: Vec<String> =
        sqlx::query_scalar("SELECT message FROM events WHERE action = 'user.own_password' ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|m| !m.contains("alice-password")));
}

#[tokio::test]
async fn an_admin_reset_ends_the_users_sessions_but_not_for_oneself() {
    let app = app().await;
    let alice = add(&app, "alice", Role::Operator, "alice-password-1").await;
    let session = app.login("alice", "alice-password-1").await.unwrap();
    let admin_cookie = app.admin_cookie().await;
    let r = app
        .call(
            &admin_cookie,
            "reset_user_password",
            &[
                ("id", &alice.to_string()),
                ("password", "reset-password-1"),
                ("confirm", "reset-password-1"),
            ],
        )
        .await;
    assert!(ok_or_redirect(r.status()));
    assert_eq!(whoami(&app, &session).await, StatusCode::UNAUTHORIZED);
    assert!(app.login("alice", "reset-password-1").await.is_some());

    let me = app.admin_user().await;
    let r = app
        .call(
            &admin_cookie,
            "reset_user_password",
            &[
                ("id", &me.id.to_string()),
                ("password", "reset-password-1"),
                ("confirm", "reset-password-1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(whoami(&app, &admin_cookie).await, StatusCode::OK);
}

#[tokio::test]
async fn admins_keep_at_least_one_enabled_admin() {
    let app = app().await;
    let cookie = app.admin_cookie().await;
    let me = app.admin_user().await;
    let r = set_user(&app, &cookie, me.id, "disabled", "true").await;
    assert_eq!(
        app_error(r).await.field_messages("disabled"),
        ["You cannot disable yourself."]
    );
    let r = set_user(&app, &cookie, me.id, "role", "viewer").await;
    assert_eq!(
        app_error(r).await.field_messages("role"),
        ["You cannot change your own role."]
    );

    // The command line is no user, so only the last-admin rule stops it.
    let err = app.state.service.command_line_disable_user("admin").await.unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict { message } if message.contains("last enabled administrator")),
        "{err:?}"
    );

    // Two admins demoting each other at the same moment: one of them stays an admin.
    let bea = add(&app, "bea", Role::Admin, "bea-password-12").await;
    let bea_user = app
        .state
        .repo
        .user_by_id(bea)
        .await
        .unwrap()
        .unwrap()
        .to_current()
        .unwrap();
    let (a, b) = tokio::join!(
        app.state.service.set_user_role(&me, bea, "viewer".into()),
        app.state.service.set_user_role(&bea_user, me.id, "viewer".into()),
    );
    assert!(a.is_ok() != b.is_ok(), "{a:?} / {b:?}");
    let admins: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(admins, 1);
    assert!(app.state.repo.user_by_name("admin").await.unwrap().unwrap().auth_epoch >= 1);
}

#[tokio::test]
async fn a_plain_form_post_with_javascript_off_shows_field_errors_on_the_form() {
    let app = app().await;
    let cookie = app.admin_cookie().await;
    let r = app
        .send(
            form_post("/api/add_user")
                .header(header::COOKIE, &cookie)
                .header(header::ACCEPT, "text/html")
                .header(header::REFERER, "http://127.0.0.1:3000/users?dialog=add")
                .body(Body::from(
                    "username=carol&role=viewer&password=short-pw&confirm=short-pw",
                ))
                .unwrap(),
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let location = r.headers()[header::LOCATION].to_str().unwrap().to_string();
    assert!(location.contains("/users?dialog=add"), "{location}");
    assert!(!location.contains("short-pw"), "no password in the URL: {location}");
    let path = location.trim_start_matches("http://127.0.0.1:3000");
    let html = body_text(app.get_as(&cookie, path).await).await;
    assert!(html.contains("Use at least 12 characters."), "{html}");
    assert!(app.state.repo.user_by_name("carol").await.unwrap().is_none());
}

/// The binary itself: `vireo-server user add|passwd|disable`, the password from the environment or
/// standard input, against the same database.
#[tokio::test]
async fn the_user_command_adds_resets_and_disables() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let app = app().await;
    let options = app.pool.connect_options();
    let url = format!(
        "postgres://{}@localhost/{}?host={}&port={}",
        options.get_username(),
        options.get_database().unwrap(),
        options.get_socket().unwrap().display(),
        options.get_port()
    );
    let run = |args: &[&str], env_password: Option<&str>, stdin: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vireo-server"));
        cmd.args(args)
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "info")
            .env_remove("VIREO_USER_PASSWORD")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(p) = env_password {
            cmd.env("VIREO_USER_PASSWORD", p);
        }
        let mut child = cmd.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
        drop(input);
        let out = child.wait_with_output().unwrap();
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), log)
    };
    let (ok, log) = run(
        &["user", "add", "rescue", "--role", "admin"],
        Some("rescue-password-1"),
        None,
    );
    assert!(ok, "{log}");
    assert!(!log.contains("rescue-password-1"), "{log}");
    assert!(app.login("rescue", "rescue-password-1").await.is_some());
    let session = app.login("rescue", "rescue-password-1").await.unwrap();

    let (ok, log) = run(&["user", "passwd", "rescue"], None, Some("rescue-password-2\n"));
    assert!(ok, "{log}");
    assert_eq!(whoami(&app, &session).await, StatusCode::UNAUTHORIZED);
    assert!(app.login("rescue", "rescue-password-2").await.is_some());

    let (ok, log) = run(&["user", "passwd", "rescue"], None, Some("short\n"));
    assert!(!ok && log.contains("Use at least 12 characters."), "{log}");
    let (ok, _) = run(&["user", "add", "x", "--role", "root"], Some("some-password-1"), None);
    assert!(!ok);

    let (ok, log) = run(&["user", "disable", "rescue"], None, None);
    assert!(ok, "{log}");
    assert!(app.state.repo.user_by_name("rescue").await.unwrap().unwrap().disabled);
    // Done as Vireo itself: the audit log names no user.
    let by: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT username FROM events WHERE object_name = 'rescue' AND action IN ('user.create', 'user.disable')",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(by, [None, None]);
}
