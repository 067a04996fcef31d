//! Test harness: one embedded PostgreSQL cluster per test process (in the system temp folder, gone
//! with the process), a migrated template database, and a fresh copy of it for every test.

use axum::body::Body;
use axum::http::{header, request, Request, Response, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use sqlx::PgPool;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;
use uuid::Uuid;
use vireo_app::backend::ConfigBackend;
use vireo_app::domain::draft::{ConfigKind, VmDraft};
use vireo_app::domain::recommendations::{apply_fixes, RecommendationId};
use vireo_app::domain::rule_context::RuleContext;
use vireo_app::domain::vm_config::{CpuTopology, OptimizedFor};
use vireo_app::error::AppError;
use vireo_app::models::SaveOutcome;
use vireo_server::config::Config;
use vireo_server::embedded_pg::{EmbeddedPostgres, PgSettings};
use vireo_server::hypervisor::SharedLibvirtPool;
use vireo_server::web::state::AppState;
use vireo_server::{assemble, MIGRATOR};

pub const ADMIN_PASSWORD: &str = "integration-admin-pw";

/// Every recommendation, for "apply all fixes".
pub const ALL_FIXES: [RecommendationId; 8] = RecommendationId::ALL;
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
    crate::watchdog::arm();
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
    crate::watchdog::arm();
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
    app_with(config()).await
}

/// A fresh app assembled with `config` (a test's own settings, e.g. a small MAC range).
pub async fn app_with(config: Config) -> TestApp {
    let (_name, pool) = fresh_db().await;
    let (state, router) = assemble(&config, pool.clone(), Arc::new(SharedLibvirtPool::new()))
        .await
        .expect("assemble Vireo");
    TestApp { state, router, pool }
}

/// A fresh app and its first-run admin, as most service-level tests start.
pub async fn admin_app() -> (TestApp, vireo_app::models::CurrentUser) {
    let app = app().await;
    let admin = app.admin_user().await;
    (app, admin)
}

impl TestApp {
    /// This machine's libvirtd (`qemu:///system`) added as a host of the first cluster: what the KVM
    /// tests run their VMs on.
    pub async fn add_local_kvm_host(
        &self,
        actor: &vireo_app::models::CurrentUser,
        name: &str,
    ) -> vireo_app::models::HostView {
        use vireo_app::backend::HostBackend;
        // These tests are compiled with the others; run on a machine without KVM, say what they
        // need instead of failing deep inside libvirt.
        assert!(
            std::path::Path::new("/dev/kvm").exists(),
            "the KVM tests need /dev/kvm and a libvirtd with QEMU: run scripts/kvm-test.sh, or leave \
             them out with `-- --skip kvm:: --skip kvm_console::`"
        );
        let cluster_id = self.state.repo.list_clusters().await.unwrap()[0].id;
        self.state
            .service
            .add_host(
                actor,
                vireo_app::models::AddHostRequest {
                    name: name.into(),
                    cluster_id,
                    transport: "local".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("Vireo adds the local KVM host")
    }

    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(request).await.expect("request")
    }

    /// An anonymous GET.
    pub async fn get(&self, path: impl AsRef<str>) -> Response<Body> {
        self.send(Request::get(path.as_ref()).body(Body::empty()).expect("request"))
            .await
    }

    /// A GET in the session of `cookie`.
    pub async fn get_as(&self, cookie: &str, path: impl AsRef<str>) -> Response<Body> {
        self.send(
            Request::get(path.as_ref())
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    /// An anonymous form post.
    pub async fn post_form(&self, path: impl AsRef<str>, body: impl Into<Body>) -> Response<Body> {
        self.send(form_post(path.as_ref()).body(body.into()).expect("request"))
            .await
    }

    /// A form post in the session of `cookie` (a server function or a no-JavaScript form).
    pub async fn post_form_as(&self, cookie: &str, path: impl AsRef<str>, body: impl Into<Body>) -> Response<Body> {
        self.send(
            form_post(path.as_ref())
                .header(header::COOKIE, cookie)
                .body(body.into())
                .expect("request"),
        )
        .await
    }

    /// A server function call as the hydrated page makes it (form-encoded, JSON answer).
    pub async fn call(&self, cookie: &str, function: &str, fields: &[(&str, &str)]) -> Response<Body> {
        let body = serde_urlencoded::to_string(fields).expect("form");
        self.post_form_as(cookie, format!("/api/{function}"), body).await
    }

    /// The login form's post, answered as is (`next` already URL-encoded).
    pub async fn post_login(&self, username: &str, password: &str, next: &str) -> Response<Body> {
        self.post_form("/login", login_form(username, password, next)).await
    }

    /// Logs in through the real form handler and returns the session cookie.
    pub async fn login(&self, username: &str, password: &str) -> Option<String> {
        let response = self.post_login(username, password, "%2Fhosts").await;
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
                form_post("/ovirt-engine/sso/oauth/token")
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

    /// A REST POST that must create its object (201): the object as answered.
    pub async fn rest_create(&self, token: &str, path: &str, body: &str) -> vireo_server::ovirt::xml::Node {
        let (status, node) = self.rest(token, axum::http::Method::POST, path, body).await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {node:?}");
        node
    }

    /// A REST request that must succeed with 200: the answer.
    pub async fn rest_ok(
        &self,
        token: &str,
        method: axum::http::Method,
        path: &str,
        body: &str,
    ) -> vireo_server::ovirt::xml::Node {
        let (status, node) = self.rest(token, method, path, body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {node:?}");
        node
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

    /// The service's rule context for a draft's cluster, OS and identity.
    pub async fn rule_context(&self, cluster_id: Option<Uuid>, os_type: &str, id: Option<Uuid>) -> RuleContext {
        self.state
            .service
            .rule_context(cluster_id, os_type, id)
            .await
            .expect("rule context")
    }

    /// A new draft of `kind` from Blank: named, RHEL 9, one socket of `cores` single-threaded cores
    /// and 2 GiB, its profile still the default (callers choose one and refresh as the dialog does).
    pub async fn sized_draft(&self, kind: ConfigKind, name: String, cores: u32) -> VmDraft {
        let mut d = self.state.service.new_draft(kind, None).await.expect("new draft");
        d.name = name;
        d.config.os_type = "rhel_9x64".into();
        d.config.cpu = CpuTopology {
            sockets: 1,
            cores,
            threads: 1,
        };
        d.config.memory_mib = 2048;
        d
    }

    /// The rule context the dialog computes for `d` (its cluster, OS and identity).
    pub async fn draft_context(&self, d: &VmDraft) -> RuleContext {
        self.rule_context(d.cluster_id, &d.config.os_type, d.id).await
    }

    /// `d` with `profile` chosen and the draft refreshed, as the dialog does.
    pub async fn with_profile(&self, mut d: VmDraft, profile: OptimizedFor) -> VmDraft {
        d.config.optimized_for = profile;
        let ctx = self.draft_context(&d).await;
        vireo_app::domain::dialog::refresh(&d, &ctx, None).draft
    }

    /// `d` with every recommendation's fix applied.
    pub async fn fixed(&self, d: &VmDraft) -> VmDraft {
        let ctx = self.draft_context(d).await;
        VmDraft {
            config: apply_fixes(&d.config, &ctx, &ALL_FIXES),
            ..d.clone()
        }
    }

    /// Runs `sql` with its one parameter `$1` = `id` straight on the database, to stage a row as
    /// no endpoint would leave it.
    pub async fn update_row(&self, sql: &str, id: Uuid) {
        sqlx::query(sql)
            .bind(id)
            .execute(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The first host (the default one, on libvirt's test driver, unless a test added others).
    pub async fn first_host(&self) -> vireo_app::models::HostView {
        self.state.repo.list_hosts().await.expect("hosts").remove(0)
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
            "storage_domains",
            "disks",
            "networks",
            "vnic_profiles",
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

/// A form post's request (the content type set); callers add their headers and the body.
pub fn form_post(path: &str) -> request::Builder {
    Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
}

/// The login form's body (`next` already URL-encoded).
pub fn login_form(username: &str, password: &str, next: &str) -> String {
    format!("username={username}&password={password}&next={next}")
}

/// A URL-encoded form body.
pub fn form(pairs: &[(String, String)]) -> String {
    serde_urlencoded::to_string(pairs).expect("form")
}

/// The typed error of a JSON answer (the body is quoted if it is not one).
pub async fn app_error(response: Response<Body>) -> AppError {
    let text = body_text(response).await;
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A name no other test uses: libvirt's test driver is shared by every test in the process.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &Uuid::new_v4().simple().to_string()[..8])
}

/// The id of a save that went through (anything else fails the test).
pub fn saved_id(outcome: SaveOutcome) -> Uuid {
    match outcome {
        SaveOutcome::Saved { id, .. } => id,
        other => panic!("expected Saved, got {other:?}"),
    }
}

/// A URL for the test cluster's database behind `pool`, as an operator would set DATABASE_URL.
pub fn url_of(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!(
        "postgres://{}@localhost/{}?host={}&port={}",
        options.get_username(),
        options.get_database().unwrap(),
        options.get_socket().unwrap().display(),
        options.get_port()
    )
}
