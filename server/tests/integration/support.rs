//! Test harness: one embedded PostgreSQL cluster per test process (in the system temp folder, gone
//! with the process), a migrated template database, and a fresh copy of it for every test.

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use sqlx::PgPool;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;
use vireo_server::config::Config;
use vireo_server::embedded_pg::{EmbeddedPostgres, PgSettings};
use vireo_server::hypervisor::SharedLibvirtPool;
use vireo_server::web::state::AppState;
use vireo_server::{assemble, MIGRATOR};

pub const ADMIN_PASSWORD: &str = "integration-admin-pw";
const TEMPLATE_DB: &str = "vireo_template";

struct Cluster {
    pg: EmbeddedPostgres,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

fn cluster() -> &'static EmbeddedPostgres {
    &CLUSTER
        .get_or_init(|| {
            // Started on its own runtime and thread: every #[tokio::test] has a runtime of its own.
            std::thread::spawn(|| {
                let rt = tokio::runtime::Runtime::new().expect("runtime");
                rt.block_on(async {
                    remove_stale_clusters();
                    let root = std::env::temp_dir().join(format!("vireo-test-pg-{}", std::process::id()));
                    let _ = std::fs::remove_dir_all(&root);
                    let pg = EmbeddedPostgres::start(&root, PgSettings { durable: false })
                        .await
                        .expect("start the test PostgreSQL cluster");
                    pg.ensure_database(TEMPLATE_DB, None).await.expect("template database");
                    let pool = pg.pool(TEMPLATE_DB, 2).await.expect("template pool");
                    MIGRATOR.run(&pool).await.expect("migrate the template");
                    tower_sessions_sqlx_store::PostgresStore::new(pool.clone())
                        .migrate()
                        .await
                        .expect("session table");
                    pool.close().await;
                    Cluster { pg }
                })
            })
            .join()
            .expect("cluster thread")
        })
        .pg
}

/// Clusters of earlier test processes stop with them (parent-death signal); their folders stay.
/// Remove those whose process is gone.
fn remove_stale_clusters() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(pid) = name.strip_prefix("vireo-test-pg-").and_then(|p| p.parse::<u32>().ok()) {
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// A fresh, migrated, empty database.
pub async fn fresh_db() -> (String, PgPool) {
    let pg = cluster();
    let name = format!("t{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    pg.ensure_database(&name, Some(TEMPLATE_DB))
        .await
        .expect("create test database");
    let pool = pg.pool(&name, 8).await.expect("test pool");
    (name, pool)
}

/// A database with no tables at all, for migration tests.
pub async fn empty_db() -> PgPool {
    let pg = cluster();
    let name = format!("e{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    pg.ensure_database(&name, None).await.expect("create empty database");
    pg.pool(&name, 2).await.expect("pool")
}

pub fn config() -> Config {
    let mut c = Config::from_lookup(|_| None).expect("default config");
    c.admin_password = Some(ADMIN_PASSWORD.into());
    c.data_dir = std::env::temp_dir().join("vireo-test-data");
    c.site_root = PathBuf::from("../target/site");
    c
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub pool: PgPool,
}

pub async fn app() -> TestApp {
    let (_name, pool) = fresh_db().await;
    let (state, router) = assemble(&config(), pool.clone(), Arc::new(SharedLibvirtPool::new()))
        .await
        .expect("assemble Vireo");
    TestApp { state, router, pool }
}

impl TestApp {
    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(request).await.expect("request")
    }

    /// Logs in through the real form handler and returns the session cookie.
    pub async fn login(&self, username: &str, password: &str) -> Option<String> {
        let body = format!("username={username}&password={password}&next=%2Fhosts");
        let response = self
            .send(
                Request::post("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .expect("request"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers().get(header::LOCATION)?.to_str().ok()?;
        if location.starts_with("/login") {
            return None;
        }
        let cookie = response.headers().get(header::SET_COOKIE)?.to_str().ok()?;
        Some(cookie.split(';').next()?.to_string())
    }

    pub async fn admin_cookie(&self) -> String {
        self.login("admin", ADMIN_PASSWORD).await.expect("admin logs in")
    }

    /// A REST API bearer token from the SSO endpoint (password grant), as the oVirt SDK gets one.
    pub async fn rest_token(&self, username: &str, password: &str) -> String {
        let body = serde_urlencoded::to_string([
            ("grant_type", "password"),
            ("scope", "ovirt-app-api"),
            ("username", &format!("{username}@internal")),
            ("password", password),
        ])
        .expect("form");
        let response = self
            .send(
                Request::post("/ovirt-engine/sso/oauth/token")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ACCEPT, "application/json")
                    .body(Body::from(body))
                    .expect("request"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{username} gets a token");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let json: serde_json::Value = serde_json::from_str(&body_text(response).await).expect("json");
        json["access_token"].as_str().expect("access_token").to_string()
    }

    /// A REST API request with a bearer token; the status and the parsed XML answer (every answer,
    /// faults included, is XML).
    pub async fn rest(
        &self,
        token: &str,
        method: axum::http::Method,
        path: &str,
        body: &str,
    ) -> (StatusCode, vireo_server::ovirt::xml::Node) {
        let response = self
            .send(
                Request::builder()
                    .method(method)
                    .uri(format!("/ovirt-engine/api{path}"))
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .header(header::CONTENT_TYPE, "application/xml")
                    .header(header::ACCEPT, "application/xml")
                    .body(Body::from(body.to_string()))
                    .expect("request"),
            )
            .await;
        let status = response.status();
        let content_type = response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default()
            .to_string();
        assert!(content_type.starts_with("application/xml"), "{content_type}");
        let text = body_text(response).await;
        let node = vireo_server::ovirt::xml::parse(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        (status, node)
    }

    /// The first-run admin as the service sees a logged-in user.
    pub async fn admin_user(&self) -> vireo_app::models::CurrentUser {
        self.state
            .repo
            .user_by_name("admin")
            .await
            .expect("admin")
            .and_then(|u| u.to_current())
            .expect("admin")
    }

    pub async fn admin_token(&self) -> String {
        self.rest_token("admin", ADMIN_PASSWORD).await
    }

    /// A digest of every table a write could change (the audit log aside: refusals are audited), to
    /// show that a refused or hostile request changed nothing.
    pub async fn fingerprint(&self) -> String {
        let mut out = String::new();
        for table in [
            "users",
            "clusters",
            "hosts",
            "templates",
            "vm_pools",
            "vms",
            "instance_types",
        ] {
            let digest: String = sqlx::query_scalar(&format!(
                "SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x.id), '')) FROM {table} x"
            ))
            .fetch_one(&self.pool)
            .await
            .expect("fingerprint");
            out.push_str(&format!("{table}:{digest} "));
        }
        out
    }

    /// This test's other database sessions: state, what each waits on, and its query.
    pub async fn database_activity(&self) -> Vec<(Option<String>, Option<String>, Option<String>)> {
        sqlx::query_as(
            "SELECT state, wait_event_type || ':' || wait_event, left(query, 160) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap_or_default()
    }
}

pub async fn body_text(response: Response<Body>) -> String {
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    String::from_utf8_lossy(&bytes).to_string()
}

pub async fn event_messages(pool: &PgPool) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT action, result, message FROM events ORDER BY id")
        .fetch_all(pool)
        .await
        .expect("events")
}
