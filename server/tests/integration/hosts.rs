use crate::support::{app, body_text, event_messages};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use vireo_app::backend::Backend;
use vireo_app::error::AppError;
use vireo_app::models::{AddHostRequest, CurrentUser, HostView, Role};

async fn admin(app: &crate::support::TestApp) -> CurrentUser {
    let user = app.state.repo.user_by_name("admin").await.unwrap().unwrap();
    user.to_current().unwrap()
}

#[tokio::test]
async fn an_unreachable_uri_gives_a_clear_error_and_stores_nothing() {
    let app = app().await;
    let actor = admin(&app).await;
    let cluster_id = app.state.repo.list_clusters().await.unwrap()[0].id;
    let err = app
        .state
        .service
        .add_host(
            &actor,
            AddHostRequest {
                name: "gone".into(),
                cluster_id,
                uri: "qemu+unix:///system?socket=/nonexistent/libvirt-sock".into(),
                simulated_topology: None,
            },
        )
        .await
        .unwrap_err();
    match &err {
        AppError::Host { message } => {
            assert!(
                message.starts_with("Could not connect to qemu+unix:///system"),
                "{message}"
            );
            assert!(
                message.contains("/nonexistent/libvirt-sock"),
                "libvirt's reason is shown: {message}"
            );
        }
        other => panic!("expected a host error, got {other:?}"),
    }
    assert_eq!(app.state.repo.count_hosts().await.unwrap(), 1, "nothing stored");
    let last = event_messages(&app.pool).await.pop().unwrap();
    assert_eq!((last.0.as_str(), last.1.as_str()), ("host.add", "failure"));
}

#[tokio::test]
async fn adding_a_host_validates_every_field() {
    let app = app().await;
    let actor = admin(&app).await;
    let err = app
        .state
        .service
        .add_host(
            &actor,
            AddHostRequest {
                name: "bad name!".into(),
                cluster_id: uuid::Uuid::new_v4(),
                uri: "no uri here".into(),
                simulated_topology: Some("nonsense".into()),
            },
        )
        .await
        .unwrap_err();
    let AppError::Validation { errors } = err else {
        panic!("expected validation errors")
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["name", "uri", "cluster_id"]);

    let cluster_id = app.state.repo.list_clusters().await.unwrap()[0].id;
    let dup = app
        .state
        .service
        .add_host(
            &actor,
            AddHostRequest {
                name: "default-host".into(),
                cluster_id,
                uri: "test:///default?other".into(),
                simulated_topology: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        dup.field_messages("name"),
        vec!["A host named 'default-host' already exists.".to_string()]
    );
    let unknown_topology = app
        .state
        .service
        .add_host(
            &actor,
            AddHostRequest {
                name: "t2".into(),
                cluster_id,
                uri: "test:///default?t2".into(),
                simulated_topology: Some("nonsense".into()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(unknown_topology.field_messages("simulated_topology").len(), 1);
}

#[tokio::test]
async fn adding_a_test_driver_host_through_the_server_function() {
    let app = app().await;
    let cookie = app.admin_cookie().await;
    let cluster = app.state.repo.list_clusters().await.unwrap()[0].id;
    let r = app
        .send(
            Request::post("/api/add_host")
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "name=small-1&cluster_id={cluster}&uri=test%3A%2F%2F%2Fdefault%3Fsmall&simulated_topology=small-1s4c"
                )))
                .unwrap(),
        )
        .await;
    let status = r.status();
    let text = body_text(r).await;
    assert!(status.is_success() || status.is_redirection(), "{status}: {text}");
    let host: HostView = serde_json::from_str(&text).unwrap();
    assert_eq!(host.name, "small-1");
    assert_eq!(host.simulated_topology.as_deref(), Some("small-1s4c"));
    assert_eq!(
        (
            host.topology.sockets,
            host.topology.cores_per_socket,
            host.topology.threads_per_core
        ),
        (1, 4, 1)
    );
    assert!(!host.topology.has_invtsc());

    let r = app
        .send(
            Request::get("/api/list_hosts")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let hosts: Vec<HostView> = serde_json::from_str(&body_text(r).await).unwrap();
    assert_eq!(
        hosts.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
        vec!["default-host", "small-1"]
    );
    assert_eq!(Role::parse("admin"), Some(Role::Admin));
}

#[tokio::test]
async fn a_host_that_stops_answering_is_marked_non_responsive_then_recovers() {
    use vireo_app::models::HostStatus;
    let app = app().await;
    let host = app.state.repo.list_hosts().await.unwrap().remove(0);
    // Point the host at a dead socket, as if its libvirt went away.
    sqlx::query("UPDATE hosts SET uri = 'qemu+unix:///system?socket=/nonexistent/sock' WHERE id = $1")
        .bind(host.id)
        .execute(&app.pool)
        .await
        .unwrap();
    vireo_server::host_monitor::check_all(&app.state).await;
    let down = app.state.repo.host(host.id).await.unwrap().unwrap();
    assert_eq!(down.status, HostStatus::NonResponsive);
    assert!(down.last_error.unwrap().contains("/nonexistent/sock"));
    sqlx::query("UPDATE hosts SET uri = 'test:///default' WHERE id = $1")
        .bind(host.id)
        .execute(&app.pool)
        .await
        .unwrap();
    vireo_server::host_monitor::check_all(&app.state).await;
    let up = app.state.repo.host(host.id).await.unwrap().unwrap();
    assert_eq!(up.status, HostStatus::Up);
    assert_eq!(up.last_error, None);
    let statuses: Vec<_> = event_messages(&app.pool)
        .await
        .into_iter()
        .filter(|e| e.0 == "host.status")
        .collect();
    assert_eq!(statuses.len(), 2, "{statuses:?}");
}
