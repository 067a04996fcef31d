//! The embedded PostgreSQL server under supervision: a `kill -9` of its postmaster is repaired
//! within seconds, and while it is away requests answer 503 without logging anyone out. Each test
//! runs a cluster of its own (the shared test cluster must stay up for the other tests).

use crate::support::{body_text, config, TestApp};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vireo_app::error::AppError;
use vireo_server::embedded_pg::supervisor::{self as db_supervisor, RESTARTED_MESSAGE};
use vireo_server::embedded_pg::{EmbeddedPostgres, PgSettings};
use vireo_server::hypervisor::SharedLibvirtPool;
use vireo_server::{assemble, MIGRATOR};

/// A private cluster with a migrated `vireo` database. The folder is removed by `finish`.
async fn own_cluster(tag: &str) -> (Arc<EmbeddedPostgres>, sqlx::PgPool, PathBuf) {
    let root = std::env::temp_dir().join(format!(
        "vireo-supervised-pg-{tag}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    ));
    let pg = EmbeddedPostgres::start(&root, PgSettings { durable: false })
        .await
        .expect("start a private cluster");
    pg.ensure_database("vireo", None).await.expect("database");
    let pool = pg.pool("vireo", 8).await.expect("pool");
    MIGRATOR.run(&pool).await.expect("migrate");
    (Arc::new(pg), pool, root)
}

async fn finish(pg: Arc<EmbeddedPostgres>, pool: sqlx::PgPool, root: PathBuf) {
    pool.close().await;
    tokio::task::spawn_blocking(move || pg.stop())
        .await
        .expect("stop the cluster");
    let _ = std::fs::remove_dir_all(root);
}

fn sigkill(pid: i32) {
    kill(Pid::from_raw(pid), Signal::SIGKILL).expect("kill -9 the postmaster");
}

/// Running (a zombie waiting for a reaper, as an orphan of a killed postmaster may be, is not).
fn process_running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next());
        !matches!(state, Some('Z' | 'X') | None)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_postmaster_is_restarted_and_queries_work_again() {
    let (pg, pool, root) = own_cluster("restart").await;
    let supervisor = tokio::spawn(db_supervisor::supervise(
        pg.clone(),
        pool.clone(),
        std::future::pending(),
    ));

    // A backend busy in a long computation does not notice its postmaster's death for a long
    // time, and keeps the old shared memory: the restart must clear it, not fail on it.
    let mut busy = pool.acquire().await.expect("connection").detach();
    let busy_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut busy)
        .await
        .expect("backend pid");
    // Bounded, so that it cannot run on for long whatever happens to this test.
    sqlx::query("SET statement_timeout = '60s'")
        .execute(&mut busy)
        .await
        .expect("statement timeout");
    let busy_query = tokio::spawn(async move {
        sqlx::query("SELECT count(*) FROM generate_series(1, 100000000000)")
            .execute(&mut busy)
            .await
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let active: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active')")
                .bind(busy_pid)
                .fetch_one(&pool)
                .await
                .expect("activity");
        if active {
            break;
        }
        assert!(Instant::now() < deadline, "the busy query never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let old = pg.postmaster_pid();
    let killed_at = Instant::now();
    sigkill(old);
    let deadline = killed_at + Duration::from_secs(20);
    loop {
        // Right after the signal the old postmaster may not be reaped yet and an idle pooled
        // backend still answers: "back" means a new postmaster, and a query through it.
        if pg.postmaster_pid() != old && pg.postmaster_alive() && sqlx::query("SELECT 1").execute(&pool).await.is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "the database did not come back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let back_after = killed_at.elapsed();
    eprintln!("kill -9 → database answering again: {back_after:?}");
    assert_ne!(pg.postmaster_pid(), old, "a new postmaster runs");
    assert!(pg.postmaster_exit().is_none());
    assert!(!process_running(busy_pid), "the orphaned backend was ended");
    assert!(busy_query.await.expect("task").is_err(), "the busy query was cut off");

    // The event is written once the database is back.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let messages: Vec<String> =
            sqlx::query_scalar("SELECT message FROM events WHERE action = 'system.database_restart'")
                .fetch_all(&pool)
                .await
                .expect("events");
        if !messages.is_empty() {
            assert_eq!(messages, vec![RESTARTED_MESSAGE.to_string()], "one event per restart");
            break;
        }
        assert!(Instant::now() < deadline, "no restart event");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Data written before the crash survived it (crash recovery), and writes work.
    let migrations: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .expect("query after the restart");
    assert!(migrations > 0);

    // A deliberate stop is not a crash: the supervisor ends instead of restarting.
    finish(pg.clone(), pool, root).await;
    let ended = tokio::time::timeout(db_supervisor::POLL * 3, supervisor)
        .await
        .expect("the supervisor ends after a stop")
        .expect("supervisor task");
    assert!(ended.is_ok(), "{ended:?}");
    assert!(!pg.postmaster_alive());
}

async fn get(app: &TestApp, path: &str, cookie: &str) -> (StatusCode, Option<String>, String, Duration) {
    let started = Instant::now();
    let r = app
        .send(
            Request::get(path)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    let took = started.elapsed();
    let status = r.status();
    let set_cookie = r
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, set_cookie, body_text(r).await, took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_away_requests_get_503_and_nobody_is_logged_out() {
    let (pg, pool, root) = own_cluster("unavailable").await;
    let hypervisor = Arc::new(SharedLibvirtPool::new());
    let (state, router) = assemble(&config(), pool.clone(), hypervisor.clone())
        .await
        .expect("assemble");
    let warm = TestApp {
        state,
        router,
        pool: pool.clone(),
    };
    // A second instance of the router has an empty session cache: its session lookups go to
    // PostgreSQL, so they fail while it is away (the first one still has the session cached and
    // fails on the user lookup instead). Both paths must answer 503.
    let (state, router) = assemble(&config(), pool.clone(), hypervisor).await.expect("assemble");
    let cold = TestApp {
        state,
        router,
        pool: pool.clone(),
    };
    let cookie = warm.admin_cookie().await;
    let (status, _, _, _) = get(&warm, "/vms", &cookie).await;
    assert_eq!(status, StatusCode::OK);

    // Test clusters commit asynchronously (synchronous_commit=off), so a crash right after the
    // login could lose its session row; Vireo's own cluster commits synchronously. A checkpoint
    // makes the test's data as durable as production's before the kill.
    sqlx::query("CHECKPOINT").execute(&pool).await.expect("checkpoint");
    sigkill(pg.postmaster_pid());
    let deadline = Instant::now() + Duration::from_secs(5);
    while pg.postmaster_alive() {
        assert!(Instant::now() < deadline, "the postmaster did not die");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let (page, api, cold_page, health) = tokio::join!(
        get(&warm, "/vms", &cookie),
        get(&warm, "/api/whoami", &cookie),
        get(&cold, "/events", &cookie),
        get(&warm, "/healthz", ""),
    );
    for (what, (status, set_cookie, body, took)) in
        [("page", &page), ("server function", &api), ("cold page", &cold_page)]
    {
        eprintln!("{what} while the database is away: {status} in {took:?}");
        assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {body}");
        assert!(
            set_cookie.is_none(),
            "{what}: the session cookie is left alone: {set_cookie:?}"
        );
        assert!(took < &Duration::from_secs(5), "{what} answered in {took:?}");
    }
    for (what, body) in [("page", &page.2), ("cold page", &cold_page.2)] {
        assert!(
            body.contains("The database is unavailable; Vireo is reconnecting"),
            "{what}: {body}"
        );
    }
    let err: AppError = serde_json::from_str(&api.2).expect("a typed error");
    assert_eq!(err, AppError::Unavailable);
    assert!(err
        .to_string()
        .starts_with("The database is unavailable; Vireo is reconnecting"));
    eprintln!("/healthz while the database is away: {} in {:?}", health.0, health.3);
    assert_eq!(health.0, StatusCode::SERVICE_UNAVAILABLE);
    assert!(health.3 < Duration::from_secs(2), "/healthz took {:?}", health.3);

    assert!(pg.restart().await.expect("restart"), "restarted");
    for (what, app, path) in [("page", &warm, "/vms"), ("cold page", &cold, "/events")] {
        let (status, _, body, _) = get(app, path, &cookie).await;
        assert_eq!(status, StatusCode::OK, "{what} after the restart, same cookie: {body}");
    }
    let (status, _, body, _) = get(&warm, "/api/whoami", &cookie).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("admin"), "{body}");

    finish(pg, pool, root).await;
}
