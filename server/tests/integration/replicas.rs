//! Replicas (issue 17): three `vireo-server serve` processes on one PostgreSQL database and one
//! libvirt (the local libvirtd's test driver, `test+unix:///default`, which every process and
//! this test reach alike). One leads; killing it hands the lead to another; a Power Off through a
//! follower stays off; a crashed HA VM is restarted exactly once; concurrent saves spread over the
//! replicas are all kept. The measured numbers are printed for the record.

use crate::support::{config, fresh_db, saved_id, unique, TestApp, ADMIN_PASSWORD};
use axum::http::{header, StatusCode};
use sqlx::PgPool;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;
use vireo_app::backend::{ConfigBackend, LifecycleBackend};
use vireo_app::domain::draft::ConfigKind;
use vireo_app::error::AppError;
use vireo_app::models::VmAction;
use vireo_server::hypervisor::SharedLibvirtPool;
use vireo_server::web::login_throttle::USER_FREE_ATTEMPTS;
use virt::connect::Connect;

const DAEMON_URI: &str = "test+unix:///default";
/// The bound: another replica leads within this long after the leader is killed.
const FAILOVER_BOUND: Duration = Duration::from_secs(10);
/// How long the test waits for something that must happen (a deadline to fail on, not a measure).
const PATIENCE: Duration = Duration::from_secs(90);
const SAVES: usize = 500;

struct Replica {
    child: Child,
    port: u16,
    dir: PathBuf,
    log: PathBuf,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Its log stays when the test failed.
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `vireo-server serve` on its own port, with only the given settings (none inherited), its log in
/// a file (shown when the test fails).
fn start_replica(database_url: &str, n: usize) -> Replica {
    let port = free_port();
    let dir = std::env::temp_dir().join(unique(&format!("vireo-replica{n}")));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("vireo.log");
    let out = std::fs::File::create(&log).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vireo-server"));
    cmd.arg("serve");
    for (key, _) in std::env::vars() {
        if key.starts_with("VIREO_") || key == "DATABASE_URL" || key.starts_with("PG") {
            cmd.env_remove(key);
        }
    }
    cmd.env("RUST_LOG", "info")
        .env("DATABASE_URL", database_url)
        .env("VIREO_ADDR", format!("127.0.0.1:{port}"))
        .env("VIREO_DATA_DIR", &dir)
        .env("VIREO_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("VIREO_DEFAULT_HOST_URI", DAEMON_URI)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out);
    let child = cmd.spawn().expect("start vireo-server serve");
    Replica { child, port, dir, log }
}

fn logs(replicas: &[&Replica]) -> String {
    replicas
        .iter()
        .map(|r| {
            let text = std::fs::read_to_string(&r.log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            format!(
                "--- replica on :{} ---\n{}",
                r.port,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One HTTP/1.0 request (the server closes the connection after the answer): status and body.
async fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Option<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let mut request = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.ok()?;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// `/healthz`'s answer: whether it is 200 and whether the replica says it leads.
async fn health(port: u16) -> Option<(bool, bool)> {
    let (status, body) = http(port, "GET", "/healthz", &[], "").await?;
    let json: serde_json::Value = serde_json::from_str(&body).ok()?;
    Some((status == 200, json["leader"].as_bool()?))
}

async fn wait_healthy(replica: &Replica) {
    let deadline = Instant::now() + PATIENCE;
    while !matches!(health(replica.port).await, Some((true, _))) {
        assert!(Instant::now() < deadline, "never healthy:\n{}", logs(&[replica]));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The replicas that say they lead now.
async fn leaders(replicas: &[&Replica]) -> Vec<u16> {
    let mut out = Vec::new();
    for r in replicas {
        if let Some((_, true)) = health(r.port).await {
            out.push(r.port);
        }
    }
    out
}

async fn token(port: u16) -> String {
    let body = serde_urlencoded::to_string([
        ("grant_type", "password"),
        ("scope", "ovirt-app-api"),
        ("username", "admin@internal"),
        ("password", ADMIN_PASSWORD),
    ])
    .unwrap();
    let (status, answer) = http(
        port,
        "POST",
        "/ovirt-engine/sso/oauth/token",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept", "application/json"),
        ],
        &body,
    )
    .await
    .expect("the token endpoint answers");
    assert_eq!(status, 200, "{answer}");
    let json: serde_json::Value = serde_json::from_str(&answer).unwrap();
    json["access_token"].as_str().unwrap().to_string()
}

async fn rest(port: u16, token: &str, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let auth = format!("Bearer {token}");
    http(
        port,
        method,
        &format!("/ovirt-engine/api{path}"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/xml"),
            ("Accept", "application/xml"),
        ],
        body,
    )
    .await
}

/// A VM made through the REST API of the replica on `port`; its id.
async fn create_vm(port: u16, token: &str, name: &str, ha: bool) -> Uuid {
    let ha = if ha {
        "<high_availability><enabled>true</enabled></high_availability>"
    } else {
        ""
    };
    let body = format!(
        "<vm><name>{name}</name><cluster><name>Default</name></cluster><template><name>Blank</name></template>{ha}</vm>"
    );
    let (status, answer) = rest(port, token, "POST", "/vms", &body).await.expect("an answer");
    assert_eq!(status, 201, "{answer}");
    let node = vireo_server::ovirt::xml::parse(&answer).unwrap();
    node.attr("id").and_then(|id| id.parse().ok()).expect("the new VM's id")
}

async fn action(port: u16, token: &str, id: Uuid, what: &str) {
    let (status, answer) = rest(port, token, "POST", &format!("/vms/{id}/{what}"), "<action/>")
        .await
        .expect("an answer");
    assert_eq!(status, 200, "{what}: {answer}");
}

async fn status(pool: &PgPool, id: Uuid) -> String {
    sqlx::query_scalar("SELECT status FROM vms WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn ha_restarts(pool: &PgPool, id: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE action = 'vm.ha_restart' AND object_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Whether the domain runs in the daemon's test driver.
fn running(id: Uuid) -> bool {
    let conn = Connect::open(Some(DAEMON_URI)).unwrap();
    conn.lookup_domain_by_uuid_string(&id.to_string())
        .ok()
        .and_then(|d| d.is_active().ok())
        .unwrap_or(false)
}

/// Kills the domain behind Vireo's back, as a crash would.
fn destroy_outside_vireo(id: Uuid) {
    let conn = Connect::open(Some(DAEMON_URI)).unwrap();
    conn.lookup_domain_by_uuid_string(&id.to_string())
        .unwrap()
        .destroy()
        .unwrap();
}

/// Destroys the HA VM outside Vireo and waits until its restart is recorded and it runs again;
/// how long that took.
async fn crash_and_wait_for_restart(pool: &PgPool, id: Uuid, before: i64, replicas: &[&Replica]) -> Duration {
    destroy_outside_vireo(id);
    let crashed = Instant::now();
    let deadline = crashed + PATIENCE;
    while ha_restarts(pool, id).await <= before || !running(id) {
        assert!(
            Instant::now() < deadline,
            "the HA VM was not restarted:\n{}",
            logs(replicas)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    crashed.elapsed()
}

#[tokio::test]
async fn three_replicas_one_leader_failover_ha_once_and_no_lost_saves() {
    let reachable = Command::new("virsh")
        .args(["-c", DAEMON_URI, "version"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        reachable,
        "{DAEMON_URI} is not reachable: the replica test shares libvirt between processes through \
         libvirtd's test driver (run scripts/libvirtd.sh; make test does)"
    );
    let (_name, pool) = fresh_db().await;
    let url = crate::support::url_of(&pool);

    // The first replica runs first-run setup; the others join a set-up database.
    let first = start_replica(&url, 0);
    wait_healthy(&first).await;
    let second = start_replica(&url, 1);
    let third = start_replica(&url, 2);
    wait_healthy(&second).await;
    wait_healthy(&third).await;
    let all = [&first, &second, &third];
    let deadline = Instant::now() + PATIENCE;
    let mut leading = leaders(&all).await;
    while leading.len() != 1 {
        assert!(Instant::now() < deadline, "leaders {leading:?}:\n{}", logs(&all));
        tokio::time::sleep(Duration::from_millis(200)).await;
        leading = leaders(&all).await;
    }
    eprintln!("replicas on ports {:?}; leader :{}", all.map(|r| r.port), leading[0]);
    let t = token(second.port).await;

    // 500 concurrent VM creations through the REST API, round robin over the three replicas. A
    // replica short of database connections sheds load with 503 (nothing written), which a client
    // retries; a save it answered 201 must be stored, as must one first answered 503 and then
    // 409 "already exists" (stored although the answer was lost).
    let prefix = unique("rep");
    let started = Instant::now();
    let saves: Vec<_> = (0..SAVES)
        .map(|i| {
            let (port, t, name) = (all[i % 3].port, t.clone(), format!("{prefix}-{i:03}"));
            tokio::spawn(async move {
                let body = format!(
                    "<vm><name>{name}</name><cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>"
                );
                let mut shed = 0;
                loop {
                    match rest(port, &t, "POST", "/vms", &body).await.map(|(s, _)| s) {
                        Some(503) | None if shed < 50 => {
                            shed += 1;
                            tokio::time::sleep(Duration::from_millis(500)).await;
                        }
                        Some(409) if shed > 0 => return (Some(201), shed),
                        other => return (other, shed),
                    }
                }
            })
        })
        .collect();
    let (mut acknowledged, mut retried) = (0i64, 0);
    let mut refused = Vec::new();
    for save in saves {
        let (answer, shed) = save.await.unwrap();
        retried += shed;
        match answer {
            Some(201) => acknowledged += 1,
            other => refused.push(other),
        }
    }
    let elapsed = started.elapsed();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM vms WHERE name LIKE $1 || '-%'")
        .bind(&prefix)
        .fetch_one(&pool)
        .await
        .unwrap();
    eprintln!(
        "saves: {SAVES} concurrent creations over 3 replicas in {:.1} s ({retried} answers 503 retried): {acknowledged} acknowledged, {stored} stored, {} lost",
        elapsed.as_secs_f64(),
        acknowledged - stored
    );
    assert!(refused.is_empty(), "refused: {refused:?}");
    assert_eq!(stored, SAVES as i64, "every acknowledged save is stored");

    // Three HA VMs running: one to power off through a follower, one to crash, one to crash last
    // (its restart shows that the leader has made a pass after the first restart).
    let powered_off = create_vm(second.port, &t, &unique("rep-off"), true).await;
    let crashing = create_vm(third.port, &t, &unique("rep-crash"), true).await;
    let marker = create_vm(first.port, &t, &unique("rep-marker"), true).await;
    for id in [powered_off, crashing, marker] {
        action(third.port, &t, id, "start").await;
        assert!(running(id));
    }

    // Kill -9 the leader; another replica leads within the bound.
    let mut replicas = vec![first, second, third];
    let index = replicas.iter().position(|r| r.port == leading[0]).unwrap();
    let mut old = replicas.remove(index);
    old.child.kill().unwrap();
    let killed = Instant::now();
    old.child.wait().unwrap();
    let rest_of: Vec<&Replica> = replicas.iter().collect();
    let mut leading = leaders(&rest_of).await;
    while leading.is_empty() {
        assert!(
            killed.elapsed() < FAILOVER_BOUND,
            "no new leader within {FAILOVER_BOUND:?}:\n{}",
            logs(&rest_of)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        leading = leaders(&rest_of).await;
    }
    let failover = killed.elapsed();
    eprintln!(
        "failover: the leader :{} killed with SIGKILL, :{} leads after {:.2} s",
        old.port,
        leading[0],
        failover.as_secs_f64()
    );
    assert_eq!(leading.len(), 1, "one leader: {leading:?}");
    assert!(failover < FAILOVER_BOUND);
    drop(old);
    let follower = replicas.iter().find(|r| r.port != leading[0]).expect("a follower").port;

    // Power Off through the follower: it stays off, however the leader reconciles.
    action(follower, &t, powered_off, "stop").await;
    assert!(!running(powered_off));
    // A crash after it: restarted once by the leader; then the marker's crash and restart prove
    // the leader has reconciled again since.
    let first_restart = crash_and_wait_for_restart(&pool, crashing, 0, &rest_of).await;
    let marker_restart = crash_and_wait_for_restart(&pool, marker, 0, &rest_of).await;
    let (off_restarts, crash_restarts, marker_restarts) = (
        ha_restarts(&pool, powered_off).await,
        ha_restarts(&pool, crashing).await,
        ha_restarts(&pool, marker).await,
    );
    eprintln!(
        "HA: crashed VM restarted after {:.2} s, marker after {:.2} s; vm.ha_restart events: crashed {crash_restarts}, marker {marker_restarts}, powered off {off_restarts}",
        first_restart.as_secs_f64(),
        marker_restart.as_secs_f64()
    );
    assert_eq!(crash_restarts, 1, "restarted exactly once:\n{}", logs(&rest_of));
    assert_eq!(marker_restarts, 1, "{}", logs(&rest_of));
    assert_eq!(off_restarts, 0, "a Power Off is not a crash:\n{}", logs(&rest_of));
    assert_eq!(status(&pool, powered_off).await, "down");
    assert!(!running(powered_off), "the powered-off VM stays off");
    assert_eq!(status(&pool, crashing).await, "up");

    // Leave the shared test driver as it was.
    for id in [crashing, marker] {
        action(follower, &t, id, "stop").await;
    }
    for id in [powered_off, crashing, marker] {
        let (status, answer) = rest(follower, &t, "DELETE", &format!("/vms/{id}"), "")
            .await
            .expect("an answer");
        assert_eq!(status, 200, "{answer}");
    }
}

/// Another Vireo assembled on the same database, in this process: a replica without its own
/// process (its leadership tried once at assembly, as `serve` does before it keeps trying).
async fn replica_app(pool: &PgPool) -> TestApp {
    let (state, router) = vireo_server::assemble(&config(), pool.clone(), Arc::new(SharedLibvirtPool::new()))
        .await
        .expect("assemble Vireo");
    TestApp {
        state,
        router,
        pool: pool.clone(),
    }
}

/// The same three things between two replicas in one process, without libvirtd: one leader
/// (handed over when it resigns), one login throttle, one lock per VM.
#[tokio::test]
async fn replicas_share_leadership_the_login_throttle_and_the_per_vm_lock() {
    let (_name, pool) = fresh_db().await;
    let a = replica_app(&pool).await;
    let b = replica_app(&pool).await;
    let (lead_a, lead_b) = (&a.state.service.leadership, &b.state.service.leadership);
    assert!(lead_a.is_leader() && lead_a.confirm().await, "the first one leads");
    assert!(!lead_b.is_leader() && !lead_b.refresh().await, "one leader at a time");
    lead_a.resign().await;
    assert!(lead_b.refresh().await, "the follower takes over");
    assert!(!lead_a.confirm().await && !lead_a.refresh().await);

    // Bad logins for one account sent at once to both replicas: together they check no more
    // passwords than one replica would (each alone would check USER_FREE_ATTEMPTS), the rest are
    // refused as too many.
    let before = a.state.throttle.verifications() + b.state.throttle.verifications();
    let attempts = (0..10).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.post_login("admin", "wrong", "%2Fhosts")
    });
    let answers = futures_util::future::join_all(attempts).await;
    let refused = answers
        .iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let checked = a.state.throttle.verifications() + b.state.throttle.verifications() - before;
    eprintln!("10 bad logins over 2 replicas: {checked} password checks, {refused} refused");
    assert!(checked <= u64::from(USER_FREE_ATTEMPTS), "{checked} password checks");
    assert_eq!(refused as u64, 10 - checked);
    for r in answers.iter().filter(|r| r.status() != StatusCode::TOO_MANY_REQUESTS) {
        assert!(r.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/login?error=invalid"));
    }

    // An operation held on one replica is "in progress" on the other.
    let admin = a.admin_user().await;
    let draft = a.sized_draft(ConfigKind::Vm, unique("locked"), 1).await;
    let name = draft.name.clone();
    let id = saved_id(a.state.service.save(&admin, draft, true).await.unwrap());
    let guard = a.state.service.ops.begin(id, &name).await.unwrap();
    let err = b.state.service.vm_action(&admin, id, VmAction::Run).await.unwrap_err();
    assert!(matches!(err, AppError::Busy { .. }), "{err:?}");
    guard.release().await;
    let guard = b.state.service.ops.begin(id, &name).await.expect("free again");
    guard.release().await;
}
