//! Adding hosts: structured addresses (never a raw URI), the hostile inputs of the pentest through
//! the server function and the REST API, the URI gate in front of libvirt, and host status.

use crate::support::{admin_app, app, body_text, event_messages, TestApp};
use axum::http::{Method, StatusCode};
use std::path::PathBuf;
use vireo_app::backend::HostBackend;
use vireo_app::domain::host_topology::HostTopology;
use vireo_app::error::AppError;
use vireo_app::models::{AddHostRequest, CurrentUser, HostStatus, HostView, Role};
use vireo_server::hypervisor::{Hypervisor, HypervisorError, SharedLibvirtPool};
use vireo_server::ovirt::xml::Node;

async fn cluster_id(app: &TestApp) -> uuid::Uuid {
    app.state.repo.list_clusters().await.unwrap()[0].id
}

fn request(name: &str, cluster_id: uuid::Uuid, transport: &str) -> AddHostRequest {
    AddHostRequest {
        name: name.into(),
        cluster_id,
        transport: transport.into(),
        ..Default::default()
    }
}

async fn add_host(app: &TestApp, actor: &CurrentUser, request: AddHostRequest) -> Result<HostView, AppError> {
    app.state.service.add_host(actor, request).await
}

/// A simulated host on libvirt's test driver with the shipped `topology` (empty: the first one).
fn simulated(name: &str, cluster_id: uuid::Uuid, topology: &str) -> AddHostRequest {
    AddHostRequest {
        simulated_topology: topology.into(),
        ..request(name, cluster_id, "simulated")
    }
}

/// What a successful attack would leave behind: a file whose first line would be quoted back (as
/// `/etc/shadow` was), and a script that would leave a marker (as `qemu+ext`'s `command=` ran).
struct Bait {
    dir: PathBuf,
    secret: String,
}

impl Bait {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("vireo-hosturi-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let secret = format!("VIREO-SECRET-{}", uuid::Uuid::new_v4().simple());
        std::fs::write(dir.join("secret"), format!("{secret}\nsecond line\n")).unwrap();
        let script = dir.join("script.sh");
        std::fs::write(&script, format!("#!/bin/sh\ntouch {}\n", dir.join("marker").display())).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        Self { dir, secret }
    }

    fn secret_file(&self) -> String {
        self.dir.join("secret").display().to_string()
    }

    fn script(&self) -> String {
        self.dir.join("script.sh").display().to_string()
    }

    fn marker(&self) -> PathBuf {
        self.dir.join("marker")
    }

    /// The pentest's URIs, aimed at this bait.
    fn hostile_uris(&self) -> Vec<String> {
        let (script, secret) = (self.script(), self.secret_file());
        vec![
            format!("qemu+ext:///system?command={script}"),
            format!("qemu+ext:///system?command={script}&foo=bar"),
            format!("QEMU+EXT:///system?command={script}"),
            format!("test://{secret}"),
            format!("test:///default/../..{secret}"),
            "test:///etc/shadow".into(),
            "test:///proc/self/environ".into(),
            format!("test+unix://{secret}"),
            "qemu+unix:///system?socket=/var/run/libvirt/libvirt-sock".into(),
            "qemu+unix:///system".into(),
            "qemu+tcp://127.0.0.1:5432/system".into(),
            format!("qemu+ssh://root@localhost/system?command={script}"),
            format!("qemu+ssh://root@localhost/system?netcat={script}"),
            "qemu+ssh://root@localhost/system?keyfile=/etc/shadow".into(),
            "qemu+ssh://root@localhost/system?known_hosts=/etc/shadow&no_verify=1".into(),
            "qemu+tls://localhost/system?pkipath=/etc".into(),
            format!("qemu+ssh://root@localhost/system%3Fcommand={script}"),
            "qemu+ssh://root@evil@localhost/system".into(),
            "qemu+ssh://root@[fe80::1%eth0]/system".into(),
            "qemu+ssh://root@localhost//system".into(),
            "qemu+libssh2://localhost/system".into(),
            "qemu:///session".into(),
            "lxc:///".into(),
            "xen:///system".into(),
        ]
    }

    fn assert_untouched(&self, what: &str) {
        assert!(!self.marker().exists(), "{what}: the command ran");
    }
}

impl Drop for Bait {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Every text Vireo stored that a user could read: events, and hosts' last errors.
async fn stored_texts(app: &TestApp) -> String {
    let events: Vec<(String, Option<String>)> = sqlx::query_as("SELECT message, object_name FROM events")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let errors: Vec<(Option<String>,)> = sqlx::query_as("SELECT last_error FROM hosts")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let mut all = String::new();
    for (m, n) in events {
        all += &format!("{m}\n{}\n", n.unwrap_or_default());
    }
    for (e,) in errors {
        all += &format!("{}\n", e.unwrap_or_default());
    }
    all
}

/// No file content anywhere a user can read it: the bait's secret, a line of `/etc/shadow`, or
/// the first variable of this process's environment (what `/proc/self/environ` would have shown).
async fn assert_no_file_contents(app: &TestApp, bait: &Bait) {
    let stored = stored_texts(app).await;
    assert!(!stored.contains(&bait.secret), "the secret file was quoted: {stored}");
    assert!(!stored.contains("second line"), "{stored}");
    assert!(!stored.contains("root:"), "a line of /etc/shadow: {stored}");
    let environ = std::fs::read("/proc/self/environ").unwrap_or_default();
    if let Some(first) = environ.split(|b| *b == 0).next().filter(|v| v.len() > 3) {
        let first = String::from_utf8_lossy(first);
        assert!(!stored.contains(first.as_ref()), "the environment was quoted: {first}");
    }
}

/// A refused attack through `door` left nothing: no host stored, the bait's command never ran, no
/// file quoted.
async fn assert_attack_left_nothing(app: &TestApp, bait: &Bait, door: &str) {
    assert_eq!(app.state.repo.count_hosts().await.unwrap(), 1, "nothing stored");
    bait.assert_untouched(door);
    assert_no_file_contents(app, bait).await;
}

fn form(pairs: &[(&str, &str)]) -> String {
    fn encode(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn post_add_host(app: &TestApp, cookie: &str, body: String) -> (StatusCode, String) {
    let r = app.post_form_as(cookie, "/api/add_host", body).await;
    let status = r.status();
    (status, body_text(r).await)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn text_at<'a>(node: &'a Node, path: &[&str]) -> &'a str {
    let mut n = node;
    for p in path {
        n = n.child(p).unwrap_or_else(|| panic!("no <{p}> in <{}>", n.name));
    }
    &n.text
}

/// The fields of a `<fault>`'s `<vireo><field_errors>`.
fn fault_fields(fault: &Node) -> Vec<String> {
    fault
        .child("vireo")
        .and_then(|v| v.child("field_errors"))
        .map(|f| f.children.iter().map(|e| text_at(e, &["field"]).to_string()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn an_unreachable_host_gives_a_fixed_message_and_stores_nothing() {
    let (app, actor) = admin_app().await;
    let cluster_id = cluster_id(&app).await;
    // Nothing listens on port 1: ssh's "Connection refused" comes back from libvirt.
    let err = add_host(
        &app,
        &actor,
        AddHostRequest {
            address: "127.0.0.1".into(),
            user: "nobody".into(),
            port: "1".into(),
            ..request("gone", cluster_id, "ssh")
        },
    )
    .await
    .unwrap_err();
    // An SSH host's key is fetched first (to be confirmed): that is what finds nobody listening.
    let expected = "Could not connect to qemu+ssh://nobody@127.0.0.1:1/system: the host did not answer (no SSH host key from 127.0.0.1:1: nothing listens there, or it is not an SSH server)";
    assert_eq!(err, AppError::host(expected));
    assert_eq!(app.state.repo.count_hosts().await.unwrap(), 1, "nothing stored");
    let last = event_messages(&app.pool).await.pop().unwrap();
    assert_eq!(
        (last.0.as_str(), last.1.as_str(), last.2.as_str()),
        ("host.add", "failure", expected),
        "the event stores the fixed message, not libvirt's (or ssh's) text"
    );
}

#[tokio::test]
async fn adding_a_host_validates_every_field() {
    let (app, actor) = admin_app().await;
    let err = add_host(
        &app,
        &actor,
        AddHostRequest {
            address: "no uri here".into(),
            user: "root@evil".into(),
            port: "0".into(),
            simulated_topology: "nonsense".into(),
            ..request("bad name!", uuid::Uuid::new_v4(), "ssh")
        },
    )
    .await
    .unwrap_err();
    let AppError::Validation { errors } = err else {
        panic!("expected validation errors")
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec!["name", "address", "user", "port", "simulated_topology", "cluster_id"]
    );

    let cluster_id = cluster_id(&app).await;
    let unknown_transport = add_host(&app, &actor, request("t0", cluster_id, "qemu+ext"))
        .await
        .unwrap_err();
    assert_eq!(unknown_transport.field_messages("transport").len(), 1);

    let dup = add_host(&app, &actor, request("default-host", cluster_id, "simulated"))
        .await
        .unwrap_err();
    assert_eq!(
        dup.field_messages("name"),
        vec!["A host named 'default-host' already exists.".to_string()]
    );
    let unknown_topology = add_host(&app, &actor, simulated("t2", cluster_id, "nonsense"))
        .await
        .unwrap_err();
    assert_eq!(unknown_topology.field_messages("simulated_topology").len(), 1);
    assert_eq!(app.state.repo.count_hosts().await.unwrap(), 1);
}

#[tokio::test]
async fn simulated_hosts_share_the_test_driver_and_real_hosts_stay_unique() {
    let (app, actor) = admin_app().await;
    let cluster_id = cluster_id(&app).await;
    // The default host already uses test:///default; more simulated hosts may.
    for (name, topology) in [("sim-a", "small-1s4c"), ("sim-b", "")] {
        let host = add_host(&app, &actor, simulated(name, cluster_id, topology))
            .await
            .expect("a second simulated host");
        assert_eq!(host.uri, "test:///default");
    }
    let hosts = app.state.repo.list_hosts().await.unwrap();
    let b = hosts.iter().find(|h| h.name == "sim-b").unwrap();
    assert_eq!(
        b.simulated_topology.as_deref(),
        Some("hp-2s8c2t"),
        "the first shipped one"
    );

    // A real host's URI stays unique (the database says so too).
    sqlx::query(
        "INSERT INTO hosts (id, name, cluster_id, uri, status, topology) VALUES ($1, 'real-1', $2, 'qemu+ssh://kvm1/system', 'up', $3)",
    )
    .bind(uuid::Uuid::new_v4())
    .bind(cluster_id)
    .bind(sqlx::types::Json(HostTopology::default()))
    .execute(&app.pool)
    .await
    .unwrap();
    let dup = add_host(
        &app,
        &actor,
        AddHostRequest {
            address: "kvm1".into(),
            ..request("real-2", cluster_id, "ssh")
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        dup.field_messages("address"),
        vec!["Host qemu+ssh://kvm1/system is already added.".to_string()]
    );
    let again = sqlx::query(
        "INSERT INTO hosts (id, name, cluster_id, uri, status, topology) VALUES ($1, 'real-3', $2, 'qemu+ssh://kvm1/system', 'up', $3)",
    )
    .bind(uuid::Uuid::new_v4())
    .bind(cluster_id)
    .bind(sqlx::types::Json(HostTopology::default()))
    .execute(&app.pool)
    .await;
    assert!(again.is_err(), "the unique index holds for real hosts");
}

#[tokio::test]
async fn adding_a_test_driver_host_through_the_server_function() {
    let app = app().await;
    let cookie = app.admin_cookie().await;
    let cluster = cluster_id(&app).await.to_string();
    let (status, text) = post_add_host(
        &app,
        &cookie,
        form(&[
            ("name", "small-1"),
            ("cluster_id", &cluster),
            ("transport", "simulated"),
            ("simulated_topology", "small-1s4c"),
        ]),
    )
    .await;
    assert!(status.is_success() || status.is_redirection(), "{status}: {text}");
    let host: HostView = serde_json::from_str(&text).unwrap();
    assert_eq!(host.name, "small-1");
    assert_eq!(host.uri, "test:///default");
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

    let r = app.get_as(&cookie, "/api/list_hosts").await;
    assert_eq!(r.status(), StatusCode::OK);
    let hosts: Vec<HostView> = serde_json::from_str(&body_text(r).await).unwrap();
    assert_eq!(
        hosts.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
        vec!["default-host", "small-1"]
    );
    assert_eq!(Role::parse("admin"), Some(Role::Admin));
}

/// The pentest through the dialog's server function: every hostile field is a 400 naming that
/// field; nothing is stored, nothing runs, no file is quoted.
#[tokio::test]
async fn hostile_addresses_through_the_server_function_are_field_errors() {
    let app = app().await;
    let bait = Bait::new();
    let cookie = app.admin_cookie().await;
    let cluster = cluster_id(&app).await.to_string();
    let (script, secret) = (bait.script(), bait.secret_file());
    let command = format!("kvm1/system?command={script}");
    let encoded = format!("kvm1%3Fcommand={script}");
    let proxy = format!("-oProxyCommand={script}");
    let test_file = format!("test://{secret}");
    let ext = format!("qemu+ext:///system?command={script}");
    let port = format!("22/system?command={script}");
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("transport", vec![("transport", "ext")]),
        ("transport", vec![("transport", &ext)]),
        ("transport", vec![("transport", "SSH"), ("address", "kvm1")]),
        ("address", vec![("transport", "ssh"), ("address", &command)]),
        ("address", vec![("transport", "ssh"), ("address", &encoded)]),
        ("address", vec![("transport", "ssh"), ("address", &test_file)]),
        ("address", vec![("transport", "ssh"), ("address", &ext)]),
        ("address", vec![("transport", "ssh"), ("address", "test:///etc/shadow")]),
        ("address", vec![("transport", "tls"), ("address", "/proc/self/environ")]),
        ("address", vec![("transport", "ssh"), ("address", &proxy)]),
        ("address", vec![("transport", "ssh"), ("address", "kvm1\n.evil")]),
        ("address", vec![("transport", "ssh"), ("address", "kvm1\0")]),
        ("address", vec![("transport", "ssh"), ("address", "[fe80::1%eth0]")]),
        ("address", vec![("transport", "ssh"), ("address", "root@kvm1")]),
        ("address", vec![("transport", "simulated"), ("address", &secret)]),
        (
            "address",
            vec![("transport", "local"), ("address", "/var/run/docker.sock")],
        ),
        (
            "user",
            vec![("transport", "ssh"), ("address", "kvm1"), ("user", "root@evil")],
        ),
        (
            "user",
            vec![("transport", "ssh"), ("address", "kvm1"), ("user", &proxy)],
        ),
        (
            "user",
            vec![("transport", "tls"), ("address", "kvm1"), ("user", "root")],
        ),
        ("port", vec![("transport", "ssh"), ("address", "kvm1"), ("port", &port)]),
        (
            "port",
            vec![
                ("transport", "ssh"),
                ("address", "kvm1"),
                ("port", "22?socket=/var/run/docker.sock"),
            ],
        ),
        (
            "port",
            vec![("transport", "tls"), ("address", "kvm1"), ("port", "65536")],
        ),
        (
            "simulated_topology",
            vec![
                ("transport", "simulated"),
                ("simulated_topology", "../../../etc/shadow"),
            ],
        ),
        (
            "simulated_topology",
            vec![("transport", "simulated"), ("simulated_topology", &secret)],
        ),
    ];
    for (i, (field, fields)) in cases.iter().enumerate() {
        let name = format!("hostile-{i}");
        let mut pairs = vec![("name", name.as_str()), ("cluster_id", cluster.as_str())];
        pairs.extend(fields.iter().copied());
        let (status, text) = post_add_host(&app, &cookie, form(&pairs)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{fields:?}: {text}");
        let err: AppError = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert!(
            !err.field_messages(field).is_empty(),
            "{fields:?}: expected a {field} error, got {err:?}"
        );
        assert!(!text.contains(&bait.secret), "{text}");
    }
    // An old client's raw URI: there is no such field; without a transport the form is refused.
    let (status, text) = post_add_host(
        &app,
        &cookie,
        form(&[("name", "raw"), ("cluster_id", &cluster), ("uri", &ext)]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let err: AppError = serde_json::from_str(&text).unwrap();
    assert_eq!(err.field_messages("transport").len(), 1, "{err:?}");

    assert_attack_left_nothing(&app, &bait, "the server function").await;
}

/// The pentest through REST `POST /hosts`: `<vireo><uri>` only as Vireo would build it, `<address>`
/// only a host name; everything else a 400 `<fault>` with the field, and nothing stored.
#[tokio::test]
async fn hostile_hosts_through_the_rest_api_are_400_faults() {
    let app = app().await;
    let bait = Bait::new();
    let t = app.admin_token().await;
    let host = |inner: &str| format!("<host><name>h</name><cluster><name>Default</name></cluster>{inner}</host>");
    let mut cases: Vec<(String, &str)> = bait
        .hostile_uris()
        .into_iter()
        .map(|uri| {
            (
                host(&format!("<vireo><uri>{}</uri></vireo>", xml_escape(&uri))),
                "host/vireo/uri",
            )
        })
        .collect();
    for address in [
        format!("qemu+ext:///system?command={}", bait.script()),
        format!("test://{}", bait.secret_file()),
        "test:///etc/shadow".into(),
        format!("kvm1/system?command={}", bait.script()),
        format!("-oProxyCommand={}", bait.script()),
        "kvm1%3Fcommand=x".into(),
    ] {
        cases.push((
            host(&format!("<address>{}</address>", xml_escape(&address))),
            "host/address",
        ));
    }
    cases.push((
        host("<address>kvm1</address><ssh><user><user_name>root@evil</user_name></user></ssh>"),
        "host/ssh/user/user_name",
    ));
    cases.push((
        host(&format!(
            "<address>kvm1</address><ssh><user><user_name>-oProxyCommand={}</user_name></user></ssh>",
            bait.script()
        )),
        "host/ssh/user/user_name",
    ));
    cases.push((
        host("<address>kvm1</address><ssh><port>22?socket=/x</port></ssh>"),
        "host/ssh/port",
    ));
    cases.push((
        host("<vireo><uri>test:///default</uri><simulated_topology>../../etc/shadow</simulated_topology></vireo>"),
        "host/vireo/simulated_topology",
    ));
    for (body, field) in &cases {
        let (status, fault) = app.rest(&t, Method::POST, "/hosts", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {fault:?}");
        assert_eq!(fault.name, "fault");
        assert!(fault_fields(&fault).iter().any(|f| f == field), "{body}: {fault:?}");
        assert!(!text_at(&fault, &["detail"]).contains(&bait.secret));
    }
    assert_attack_left_nothing(&app, &bait, "REST").await;
}

#[tokio::test]
async fn rest_adds_hosts_by_address_or_by_vireos_own_uri() {
    let app = app().await;
    let t = app.admin_token().await;
    // A Vireo URI: the simulated host, which GET returns with its URI in <vireo>.
    let host = app.rest_create(&t, "/hosts",
        "<host><name>sim</name><cluster><name>Default</name></cluster><vireo><uri>test:///default</uri><simulated_topology>small-1s4c</simulated_topology></vireo></host>").await;
    assert_eq!(text_at(&host, &["vireo", "uri"]), "test:///default");
    assert_eq!(text_at(&host, &["address"]), "localhost");
    assert_eq!(text_at(&host, &["vireo", "simulated_topology"]), "small-1s4c");
    let id = host.attr("id").unwrap().to_string();
    let got = app.rest_ok(&t, Method::GET, &format!("/hosts/{id}"), "").await;
    assert_eq!(text_at(&got, &["vireo", "uri"]), "test:///default");
    // What GET returned is accepted back unchanged; a different URI is not.
    app.rest_ok(
        &t,
        Method::PUT,
        &format!("/hosts/{id}"),
        "<host><address>localhost</address><vireo><uri>test:///default</uri></vireo></host>",
    )
    .await;
    let (status, fault) = app
        .rest(
            &t,
            Method::PUT,
            &format!("/hosts/{id}"),
            "<host><vireo><uri>qemu:///system</uri></vireo></host>",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{fault:?}");

    // oVirt's way: an address reached over SSH, as root unless the body names a user; the URI is
    // built from the parts, and the failure is a fixed message.
    let (status, fault) = app.rest(&t,
        Method::POST,
        "/hosts",
        "<host><name>remote</name><cluster><name>Default</name></cluster><address>127.0.0.1</address><ssh><port>1</port></ssh></host>",
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{fault:?}");
    assert_eq!(
        text_at(&fault, &["detail"]),
        "[Could not connect to qemu+ssh://root@127.0.0.1:1/system: the host did not answer (no SSH host key from 127.0.0.1:1: nothing listens there, or it is not an SSH server)]"
    );
    let (status, fault) = app.rest(&t,
        Method::POST,
        "/hosts",
        "<host><name>remote</name><cluster><name>Default</name></cluster><address>127.0.0.1</address><ssh><port>1</port><user><user_name>ops</user_name></user></ssh></host>",
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(text_at(&fault, &["detail"]).contains("qemu+ssh://ops@127.0.0.1:1/system"));
    assert_eq!(app.state.repo.count_hosts().await.unwrap(), 2);
}

/// The gate in front of libvirt: the pool itself opens no URI Vireo would not build, whoever asks.
#[tokio::test]
async fn the_libvirt_pool_opens_only_uris_vireo_builds() {
    let bait = Bait::new();
    let pool = SharedLibvirtPool::new();
    for uri in bait.hostile_uris() {
        let err = pool.probe(&uri).await.unwrap_err();
        assert!(matches!(err, HypervisorError::UriRefused(_)), "{uri}: {err:?}");
        assert!(!err.to_string().contains(&bait.secret));
        assert!(pool.ping(&uri).await.is_err());
    }
    bait.assert_untouched("the pool");
    assert!(pool.ping("test:///default").await.is_ok());
}

/// Stored rows Vireo would not build (an older version, an edited database): the monitor does not
/// connect, marks the host non-responsive with a clear reason, and recovers when the row is fixed.
#[tokio::test]
async fn a_stored_hostile_uri_is_never_opened_and_the_host_shows_why() {
    let app = app().await;
    let bait = Bait::new();
    let host = app.first_host().await;
    for uri in bait.hostile_uris() {
        sqlx::query("UPDATE hosts SET uri = $2 WHERE id = $1")
            .bind(host.id)
            .bind(&uri)
            .execute(&app.pool)
            .await
            .unwrap();
        vireo_server::service::host_monitor::check_all(&app.state).await;
        let down = app.state.repo.host(host.id).await.unwrap().unwrap();
        assert_eq!(down.status, HostStatus::NonResponsive, "{uri}");
        let error = down.last_error.unwrap();
        assert!(
            error.starts_with("Vireo does not connect to this URI: "),
            "{uri}: {error}"
        );
    }
    bait.assert_untouched("the host monitor");
    assert_no_file_contents(&app, &bait).await;
    app.update_row("UPDATE hosts SET uri = 'test:///default' WHERE id = $1", host.id)
        .await;
    vireo_server::service::host_monitor::check_all(&app.state).await;
    let up = app.state.repo.host(host.id).await.unwrap().unwrap();
    assert_eq!((up.status, up.last_error), (HostStatus::Up, None));
}

#[tokio::test]
async fn a_host_that_stops_answering_is_marked_non_responsive_then_recovers() {
    let app = app().await;
    let host = app.first_host().await;
    // A URI Vireo builds but was never given a confirmed host key (a row written behind Vireo's
    // back): Vireo does not even try it.
    app.update_row(
        "UPDATE hosts SET uri = 'qemu+ssh://nobody@127.0.0.1:1/system' WHERE id = $1",
        host.id,
    )
    .await;
    vireo_server::service::host_monitor::check_all(&app.state).await;
    let down = app.state.repo.host(host.id).await.unwrap().unwrap();
    assert_eq!(down.status, HostStatus::NonResponsive);
    assert_eq!(
        down.last_error.as_deref(),
        Some("no confirmed SSH host key for this host; add it through Add Host, which shows the key's fingerprint for confirmation")
    );
    app.update_row("UPDATE hosts SET uri = 'test:///default' WHERE id = $1", host.id)
        .await;
    vireo_server::service::host_monitor::check_all(&app.state).await;
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

/// The resources serialized into a server-rendered page for the browser to hydrate from
/// (`__RESOLVED_RESOURCES[id] = "…"`), as (id, JSON text).
fn resolved_resources(html: &str) -> Vec<(u32, String)> {
    const MARK: &str = "__RESOLVED_RESOURCES[";
    html.match_indices(MARK)
        .filter_map(|(at, _)| {
            let (id, value) = html[at + MARK.len()..].split_once("] = ")?;
            Some((id.parse().ok()?, value.split("\";").next()?.to_string()))
        })
        .collect()
}

#[tokio::test]
async fn a_grid_pages_row_details_are_built_once_on_the_server() {
    // Before, the server built a grid's row details once per walk of its Transition: the host's
    // usage chart and CPU map fetched twice, under new ids, and the page was written from the
    // second fetch while the browser hydrated from the first. A usage sample arriving between the
    // two made the page fail to hydrate (seen in CI on /hosts?dialog=add).
    let app = app().await;
    let cookie = app.admin_cookie().await;
    let host = app.first_host().await;
    let dc: uuid::Uuid = sqlx::query_scalar("SELECT id FROM data_centers ORDER BY name LIMIT 1")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let pages = [
        (
            format!("/hosts?selected={}&dialog=add", host.id),
            "usage history",
            "\\\"samples\\\":",
        ),
        ("/hosts?dialog=add".to_string(), "CPU map", "\\\"host_name\\\":"),
        (
            format!("/datacenters?selected={dc}&tab=clusters"),
            "clusters",
            "\\\"data_center_id\\\":",
        ),
    ];
    for (path, what, marker) in &pages {
        let r = app.get_as(&cookie, path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let html = body_text(r).await;
        let resources = resolved_resources(&html);
        let ids: Vec<u32> = resources.iter().map(|(id, _)| *id).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "{path}: each id once, in order: {ids:?}"
        );
        let fetched = resources.iter().filter(|(_, v)| v.contains(marker)).count();
        assert_eq!(fetched, 1, "{path}: the {what} is fetched once; resources: {ids:?}");
    }
}
