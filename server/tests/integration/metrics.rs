//! `/metrics` and the usage samples behind the General sub-tabs' charts: closed unless configured,
//! the token or a listed network let a scraper in and nothing else does, the families are there
//! with VM names escaped, the route label is the route's template, and samples are written, read
//! back and expired.

use crate::support::{app_with, body_text, config, saved_id, unique, TestApp};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use std::net::SocketAddr;
use uuid::Uuid;
use vireo_app::backend::{ConfigBackend, LifecycleBackend, UsageBackend};
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::usage::UsageKind;
use vireo_app::models::VmAction;
use vireo_server::config::{MetricsAccess, TrustedProxies};

const TOKEN: &str = "metrics-token-0123456789-abcdefghij";

async fn metrics_app(networks: &str) -> TestApp {
    let mut c = config();
    c.metrics = MetricsAccess::new(Some(TOKEN), TrustedProxies::parse(networks).unwrap());
    app_with(c).await
}

/// `GET /metrics` from `peer`, with `authorization` when given.
async fn scrape(app: &TestApp, peer: &str, authorization: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::get("/metrics");
    if let Some(a) = authorization {
        request = request.header(header::AUTHORIZATION, a);
    }
    let mut request = request.body(Body::empty()).unwrap();
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = app.send(request).await;
    let status = response.status();
    (status, body_text(response).await)
}

async fn scrape_ok(app: &TestApp) -> String {
    let (status, body) = scrape(app, "192.0.2.1", Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// A running VM named `name` on the default host.
async fn running_vm(app: &TestApp, name: &str) -> Uuid {
    let actor = app.admin_user().await;
    let d = app.sized_draft(ConfigKind::Vm, name.to_string(), 2).await;
    let id = saved_id(app.state.service.save(&actor, d, true).await.unwrap());
    app.state.service.vm_action(&actor, id, VmAction::Run).await.unwrap();
    id
}

#[tokio::test]
async fn metrics_are_closed_unless_configured() {
    let app = app_with(config()).await;
    // No token, no networks: as if there were no such page, whoever asks and however.
    for auth in [None, Some("Bearer anything")] {
        let (status, body) = scrape(&app, "127.0.0.1", auth).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!body.contains("vireo_"), "{body}");
    }
    // Nor does a logged-in session open it.
    let cookie = app.admin_cookie().await;
    let response = app.get_as(&cookie, "/metrics").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_the_token_or_a_listed_network_gets_in() {
    let app = metrics_app("10.0.0.0/8").await;
    for auth in [
        None,
        Some("Bearer wrong"),
        Some(&format!("Bearer {TOKEN}x")[..]),
        Some(&format!("Basic {TOKEN}")[..]),
        Some(&format!("Bearer {}", &TOKEN[..TOKEN.len() - 1])[..]),
    ] {
        let (status, body) = scrape(&app, "192.0.2.1", auth).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(body, "Unauthorized", "nothing more is said");
    }
    let body = scrape_ok(&app).await;
    assert!(body.contains("# TYPE vireo_hosts gauge"), "{body}");
    // A listed network needs no token; `X-Forwarded-For` from a peer that is not a trusted proxy
    // is not believed.
    let (status, _) = scrape(&app, "10.1.2.3", None).await;
    assert_eq!(status, StatusCode::OK);
    let mut request = Request::get("/metrics")
        .header("x-forwarded-for", "10.1.2.3")
        .body(Body::empty())
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo("192.0.2.1:1".parse::<SocketAddr>().unwrap()));
    assert_eq!(app.send(request).await.status(), StatusCode::UNAUTHORIZED);
    // The answer's type is the exposition format's.
    let mut request = Request::get("/metrics").body(Body::empty()).unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo("10.9.9.9:1".parse::<SocketAddr>().unwrap()));
    let response = app.send(request).await;
    assert_eq!(
        response.headers().get(header::CONTENT_TYPE).unwrap(),
        "text/plain; version=0.0.4; charset=utf-8"
    );
}

#[tokio::test]
async fn every_family_is_there_and_vm_names_are_escaped() {
    let app = metrics_app("").await;
    let name = unique("metrics-vm");
    let id = running_vm(&app, &name).await;
    app.state.service.sample_usage().await;
    // A name no dialog accepts, as an older version or a hand-edited row could leave it: quotes,
    // a backslash and a newline that would otherwise start a forged sample.
    app.update_row(
        "UPDATE vms SET name = 'q\"uote\\back' || chr(10) || 'vireo_forged 1' WHERE id = $1",
        id,
    )
    .await;
    app.state.service.sample_usage().await;
    let body = scrape_ok(&app).await;
    for family in [
        "vireo_http_requests_total",
        "vireo_http_request_duration_seconds",
        "vireo_libvirt_call_duration_seconds",
        "vireo_libvirt_call_errors_total",
        "vireo_db_pool_connections",
        "vireo_db_pool_max_connections",
        "vireo_hosts",
        "vireo_vms",
        "vireo_vm_cpu_seconds_total",
        "vireo_vm_memory_bytes",
        "vireo_vm_disk_read_bytes_total",
        "vireo_vm_network_receive_bytes_total",
        "vireo_host_memory_used_bytes",
    ] {
        assert!(body.contains(&format!("# TYPE {family} ")), "{family} missing:\n{body}");
    }
    assert!(body.contains("vireo_hosts{status=\"up\"} 1\n"), "{body}");
    assert!(body.contains("vireo_vms{status=\"up\",type=\"server\"} 1\n"), "{body}");
    assert!(
        body.contains("vireo_vms{status=\"paused\",type=\"desktop\"} 0\n"),
        "{body}"
    );
    assert!(
        body.contains("vireo_libvirt_call_duration_seconds_count{call=\"define_and_start\"}"),
        "{body}"
    );
    // The test driver reports CPU time and memory (through domain info), not disks or NICs: what
    // a host does not report is left out, not reported as 0.
    let escaped = format!("{{vm_id=\"{id}\",vm=\"q\\\"uote\\\\back\\nvireo_forged 1\",host=\"");
    let cpu_line = body
        .lines()
        .find(|l| l.starts_with("vireo_vm_cpu_seconds_total{") && l.contains(&id.to_string()))
        .unwrap_or_else(|| panic!("no CPU line for the VM:\n{body}"));
    assert!(cpu_line.contains(&escaped), "{cpu_line}");
    assert!(
        body.lines()
            .any(|l| l.starts_with("vireo_vm_memory_bytes{") && l.contains(&escaped)),
        "{body}"
    );
    assert!(
        !body.lines().any(|l| l.starts_with("vireo_forged")),
        "a forged line:\n{body}"
    );
    assert!(
        !body
            .lines()
            .any(|l| l.starts_with("vireo_vm_disk_read_bytes_total{") && l.contains(&id.to_string())),
        "{body}"
    );
    // Every line is a comment or `name{…} value`/`name value`.
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        assert!(line.starts_with("vireo_"), "{line}");
    }

    // A VM that stops is no longer reported.
    let actor = app.admin_user().await;
    app.state
        .service
        .vm_action(&actor, id, VmAction::PowerOff)
        .await
        .unwrap();
    app.state.service.sample_usage().await;
    let body = scrape_ok(&app).await;
    assert!(!body.contains(&id.to_string()), "{body}");
}

#[tokio::test]
async fn the_route_label_is_the_template_not_the_path() {
    let app = metrics_app("").await;
    let cookie = app.admin_cookie().await;
    let mut made_up = Vec::new();
    for _ in 0..40 {
        let id = Uuid::new_v4();
        made_up.push(id);
        app.get_as(&cookie, format!("/no-such-page/{id}")).await;
        app.get_as(&cookie, format!("/vms?selected={id}")).await;
        app.get(format!("/api/{id}")).await;
    }
    let body = scrape_ok(&app).await;
    for id in &made_up {
        assert!(!body.contains(&id.to_string()), "a path made it into a label:\n{body}");
    }
    let routes: std::collections::BTreeSet<&str> = body
        .lines()
        .filter(|l| l.starts_with("vireo_http_requests_total{"))
        .filter_map(|l| l.split("route=\"").nth(1)?.split('"').next())
        .collect();
    assert!(routes.contains("/vms"), "{routes:?}");
    assert!(routes.contains("unmatched"), "{routes:?}");
    // The routes this process has served: the router's templates, a bounded set.
    assert!(routes.len() < 100, "{routes:?}");
}

#[tokio::test]
async fn samples_are_written_read_back_and_expired() {
    let app = metrics_app("").await;
    let id = running_vm(&app, &unique("usage-vm")).await;
    let host = app.first_host().await;
    let empty = app
        .state
        .service
        .usage_history(UsageKind::Vm, Uuid::new_v4())
        .await
        .unwrap();
    assert!(empty.samples.is_empty());
    assert_eq!(empty.interval_secs, 15);

    app.state.service.sample_usage().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.state.service.sample_usage().await;
    let vm = app.state.service.usage_history(UsageKind::Vm, id).await.unwrap();
    assert_eq!(vm.samples.len(), 2, "{vm:?}");
    // The first reading has no rate yet; the second has one. The test driver's VMs run at full
    // memory (its domain info says memory = maximum).
    assert_eq!(vm.samples[0].cpu_percent, None);
    assert!(
        vm.samples[1].cpu_percent.is_some_and(|p| (0.0..=100.0).contains(&p)),
        "{vm:?}"
    );
    assert_eq!(vm.samples[1].memory_bytes, Some(2048 * 1024 * 1024));
    assert_eq!(vm.samples[1].memory_percent, Some(100.0));
    assert!(vm.samples[0].at <= vm.samples[1].at && vm.samples[1].at <= vm.now);

    // The host: memory from node info less free memory; the test driver's CPU counters never move,
    // so no CPU rate.
    let h = app.state.service.usage_history(UsageKind::Host, host.id).await.unwrap();
    assert_eq!(h.samples.len(), 2, "{h:?}");
    assert!(h.samples[1].memory_percent.is_some(), "{h:?}");
    assert_eq!(h.samples[1].cpu_percent, None);

    // Samples past the retention go in the next pass; recent ones stay.
    app.update_row(
        "INSERT INTO usage_samples (object_kind, object_id, sampled_at, cpu_percent)
         VALUES ('vm', $1, now() - interval '71 minutes', 5)",
        id,
    )
    .await;
    app.state.service.sample_usage().await;
    let old: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM usage_samples WHERE object_id = $1 AND sampled_at < now() - interval '1 hour'",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(old, 0);
    let vm = app.state.service.usage_history(UsageKind::Vm, id).await.unwrap();
    assert_eq!(vm.samples.len(), 3);

    // Through the server function, as the chart reads it; anonymous callers get nothing.
    let cookie = app.admin_cookie().await;
    let response = app.get_as(&cookie, format!("/api/usage_history?kind=vm&id={id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = body_text(response).await;
    assert!(text.contains("\"samples\""), "{text}");
    let response = app.get(format!("/api/usage_history?kind=vm&id={id}")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = app
        .get_as(&cookie, format!("/api/usage_history?kind=disk&id={id}"))
        .await;
    assert!(response.status().is_client_error());
}

#[tokio::test]
async fn hosts_sharing_a_uri_are_each_sampled_and_a_vm_is_reported_under_its_own_host() {
    // Simulated hosts share their driver's URI: the sampler reads it once per pass (200 hosts
    // read one after another kept the monitor busy past its interval), and must still give each
    // host its reading and each VM to the host Vireo placed it on, not to every host on the URI.
    use vireo_app::backend::HostBackend;
    let app = metrics_app("").await;
    let actor = app.admin_user().await;
    let first = app.first_host().await;
    let second = app
        .state
        .service
        .add_host(
            &actor,
            vireo_app::models::AddHostRequest {
                name: unique("sim-shared"),
                cluster_id: first.cluster_id,
                transport: "simulated".into(),
                simulated_topology: "small-1s4c".into(),
                ..Default::default()
            },
        )
        .await
        .expect("a second simulated host on the same URI");
    assert_eq!(second.uri, first.uri);
    let id = running_vm(&app, &unique("shared-uri-vm")).await;
    let placed: Option<Uuid> = sqlx::query_scalar("SELECT host_id FROM vms WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let placed_name = [&first, &second]
        .into_iter()
        .find(|h| Some(h.id) == placed)
        .map(|h| h.name.clone())
        .expect("the VM runs on one of the two hosts");

    app.state.service.sample_usage().await;
    let latest = app.state.service.usage.latest();
    let sampled_hosts: Vec<Uuid> = latest.hosts.iter().map(|h| h.id).collect();
    assert!(
        sampled_hosts.contains(&first.id) && sampled_hosts.contains(&second.id),
        "{sampled_hosts:?}"
    );
    let readings: Vec<&str> = latest
        .vms
        .iter()
        .filter(|v| v.id == id)
        .map(|v| v.host.as_str())
        .collect();
    assert_eq!(readings, vec![placed_name.as_str()]);
    let vm = app.state.service.usage_history(UsageKind::Vm, id).await.unwrap();
    assert_eq!(vm.samples.len(), 1, "{vm:?}");
}

#[tokio::test]
async fn a_pass_that_misses_a_running_vm_keeps_its_rate_and_a_stop_forgets_it() {
    // A pass can miss a running VM: its host not Up for a moment (maintenance, a lost
    // connection), a failed stats call. Its next sample must still have a CPU rate, spanning the
    // gap; only a VM seen stopped starts over without one.
    let app = metrics_app("").await;
    let actor = app.admin_user().await;
    let id = running_vm(&app, &unique("missed-vm")).await;
    app.state.service.sample_usage().await;
    assert_eq!(vm_samples(&app, id).await, (1, None));

    // Missed: Vireo places the VM on no host for one pass.
    let host: Option<Uuid> = sqlx::query_scalar("SELECT host_id FROM vms WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    app.update_row("UPDATE vms SET host_id = NULL WHERE id = $1", id).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    app.state.service.sample_usage().await;
    assert_eq!(vm_samples(&app, id).await.0, 1, "a missed VM gets no sample");
    sqlx::query("UPDATE vms SET host_id = $2 WHERE id = $1")
        .bind(id)
        .bind(host)
        .execute(&app.pool)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    app.state.service.sample_usage().await;
    let (samples, rate) = vm_samples(&app, id).await;
    assert_eq!(samples, 2);
    assert!(rate.is_some_and(|p| (0.0..=100.0).contains(&p)), "{rate:?}");

    // Seen stopped, then run again: the first sample of the new run has no rate yet.
    app.state
        .service
        .vm_action(&actor, id, VmAction::PowerOff)
        .await
        .unwrap();
    app.state.service.sample_usage().await;
    app.state.service.vm_action(&actor, id, VmAction::Run).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    app.state.service.sample_usage().await;
    assert_eq!(vm_samples(&app, id).await, (3, None));
}

/// How many samples the VM has, and its latest one's CPU %.
async fn vm_samples(app: &TestApp, id: Uuid) -> (usize, Option<f32>) {
    let h = app.state.service.usage_history(UsageKind::Vm, id).await.unwrap();
    (h.samples.len(), h.samples.last().and_then(|s| s.cpu_percent))
}
