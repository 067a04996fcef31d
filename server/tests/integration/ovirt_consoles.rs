//! The REST API's graphics consoles through the real router: the list (configured and `current`),
//! the `ticket` action, the `.vv` file and its one-time VNC relay (a real TCP client speaking RFB
//! to it), and who may ask.
//!
//! The test driver has no consoles, so the relay's client is authenticated and then told, in RFB's
//! own failure message, why the display cannot be opened; the splice itself is unit-tested against
//! a fake display (`web/vnc_relay/tests.rs`).

use crate::support::{saved_id, unique, TestApp};
use axum::http::{Method, StatusCode};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::backend::{ConfigBackend, LifecycleBackend};
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::vm_config::OptimizedFor;
use vireo_app::models::{Role, VmAction};
use vireo_server::ovirt::xml::Node;
use vireo_server::web::vnc_relay::{vnc_auth_response, RFB_VERSION, SECURITY_VNC_AUTH};

const PASSWORD: &str = "console-rest-password";

fn console_id(vm: Uuid) -> Uuid {
    Uuid::new_v5(&vm, b"console/vnc")
}

fn text<'a>(node: &'a Node, path: &[&str]) -> &'a str {
    let mut n = node;
    for p in path {
        n = n.child(p).unwrap_or_else(|| panic!("no <{p}> in <{}>", n.name));
    }
    n.text.trim()
}

async fn vm(app: &TestApp, profile: OptimizedFor) -> Uuid {
    let admin = app.admin_user().await;
    let mut d = app.sized_draft(ConfigKind::Vm, unique("con"), 2).await;
    d = app.with_profile(d, profile).await;
    saved_id(app.state.service.save(&admin, d, true).await.unwrap())
}

async fn run(app: &TestApp, id: Uuid) {
    let admin = app.admin_user().await;
    app.state.service.vm_action(&admin, id, VmAction::Run).await.unwrap();
}

/// A REST token for a new user with `role`.
async fn token_for(app: &TestApp, role: Role) -> String {
    let name = unique(role.as_str());
    let hash = vireo_server::service::passwords::hash_password(PASSWORD).unwrap();
    app.state
        .repo
        .insert_user(&Actor::vireo(), &name, &hash, role)
        .await
        .unwrap();
    app.rest_token(&name, PASSWORD).await
}

/// The `.vv` file's keys.
fn vv_keys(file: &str) -> std::collections::HashMap<String, String> {
    file.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A VNC client authenticating to the relay with `password`: the SecurityResult's status and, when
/// it failed, the reason.
async fn vnc_login(host: &str, port: u16, password: &str) -> (u32, String) {
    let mut s = TcpStream::connect((host, port)).await.expect("the relay listens");
    let mut version = [0u8; 12];
    s.read_exact(&mut version).await.unwrap();
    assert_eq!(&version, RFB_VERSION);
    s.write_all(RFB_VERSION).await.unwrap();
    let mut types = [0u8; 2];
    s.read_exact(&mut types).await.unwrap();
    assert_eq!(types, [1, SECURITY_VNC_AUTH]);
    s.write_all(&[SECURITY_VNC_AUTH]).await.unwrap();
    let mut challenge = [0u8; 16];
    s.read_exact(&mut challenge).await.unwrap();
    s.write_all(&vnc_auth_response(password.as_bytes(), &challenge))
        .await
        .unwrap();
    let mut status = [0u8; 4];
    s.read_exact(&mut status).await.unwrap();
    let status = u32::from_be_bytes(status);
    let mut reason = String::new();
    if status != 0 {
        let mut length = [0u8; 4];
        s.read_exact(&mut length).await.unwrap();
        let mut bytes = vec![0u8; u32::from_be_bytes(length) as usize];
        s.read_exact(&mut bytes).await.unwrap();
        reason = String::from_utf8(bytes).unwrap();
    }
    (status, reason)
}

#[tokio::test]
async fn graphics_consoles_list_the_real_consoles_as_ovirt_does() {
    let app = crate::support::app().await;
    let t = app.admin_token().await;
    let server = vm(&app, OptimizedFor::Server).await;
    let hp = vm(&app, OptimizedFor::HighPerformance).await;
    let gid = console_id(server);

    let (status, list) = app
        .rest(&t, Method::GET, &format!("/vms/{server}/graphicsconsoles"), "")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.name, "graphics_consoles");
    assert_eq!(list.children.len(), 1, "{list:?}");
    let console = &list.children[0];
    assert_eq!(console.attr("id"), Some(gid.to_string().as_str()));
    assert_eq!(text(console, &["protocol"]), "vnc");
    assert_eq!(
        console.child("vm").and_then(|v| v.attr("id")),
        Some(server.to_string().as_str())
    );
    // The display has no TCP port on the host: nothing pretends it has.
    for absent in ["address", "port", "tls_port"] {
        assert!(console.child(absent).is_none(), "<{absent}> in {console:?}");
    }
    let actions: Vec<&str> = console
        .child("actions")
        .unwrap()
        .children
        .iter()
        .filter_map(|l| l.attr("rel"))
        .collect();
    assert_eq!(actions, ["remoteviewerconnectionfile", "ticket"]);

    // `current=true`: the running VM's consoles, so none while it is down.
    let (_, current) = app
        .rest(
            &t,
            Method::GET,
            &format!("/vms/{server}/graphicsconsoles?current=true"),
            "",
        )
        .await;
    assert!(current.children.is_empty(), "down: {current:?}");
    let (status, _) = app
        .rest(
            &t,
            Method::GET,
            &format!("/vms/{server}/graphicsconsoles/{gid}?current=true"),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    run(&app, server).await;
    let (_, current) = app
        .rest(
            &t,
            Method::GET,
            &format!("/vms/{server}/graphicsconsoles?current=true"),
            "",
        )
        .await;
    assert_eq!(current.children.len(), 1, "running: {current:?}");
    let one = app
        .rest_ok(
            &t,
            Method::GET,
            &format!("/vms/{server}/graphicsconsoles/{gid}?current=true"),
            "",
        )
        .await;
    assert_eq!(text(&one, &["protocol"]), "vnc");

    // A headless High Performance VM has none, configured or running.
    run(&app, hp).await;
    for query in ["", "?current=true"] {
        let (_, list) = app
            .rest(&t, Method::GET, &format!("/vms/{hp}/graphicsconsoles{query}"), "")
            .await;
        assert!(list.children.is_empty(), "HP{query}: {list:?}");
    }
    let (status, fault) = app
        .rest(
            &t,
            Method::POST,
            &format!("/vms/{hp}/graphicsconsoles/{}/ticket", console_id(hp)),
            "<action/>",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{fault:?}");
}

#[tokio::test]
async fn tickets_are_for_admins_and_operators_and_viewers_get_a_403_fault() {
    let app = crate::support::app().await;
    let server = vm(&app, OptimizedFor::Server).await;
    let path = format!("/vms/{server}/graphicsconsoles/{}/ticket", console_id(server));

    let viewer = token_for(&app, Role::Viewer).await;
    for action in ["ticket", "remoteviewerconnectionfile"] {
        let (status, fault) = app
            .rest(
                &viewer,
                Method::POST,
                &format!("/vms/{server}/graphicsconsoles/{}/{action}", console_id(server)),
                "<action/>",
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}: {fault:?}");
        assert_eq!(fault.name, "fault");
    }

    for token in [token_for(&app, Role::Operator).await, app.admin_token().await] {
        // oVirt lets the client propose a value and an expiry; the answer says what was used.
        let answer = app
            .rest_ok(
                &token,
                Method::POST,
                &path,
                "<action><ticket><value>mine</value><expiry>120</expiry></ticket></action>",
            )
            .await;
        assert_eq!(answer.name, "action");
        assert_eq!(text(&answer, &["status"]), "complete");
        let value = text(&answer, &["ticket", "value"]);
        assert!(!value.is_empty() && value != "mine", "{answer:?}");
        assert_eq!(text(&answer, &["ticket", "expiry"]), "30");
        // And with no body at all, as the SDK sends `ticket()`'s bare `<action/>`.
        let again = app.rest_ok(&token, Method::POST, &path, "<action/>").await;
        assert_ne!(text(&again, &["ticket", "value"]), value, "each ticket is new");
    }
}

#[tokio::test]
async fn the_console_file_leads_to_a_one_time_vnc_relay() {
    let app = crate::support::app().await;
    let t = app.admin_token().await;
    let server = vm(&app, OptimizedFor::Server).await;
    let path = format!(
        "/vms/{server}/graphicsconsoles/{}/remoteviewerconnectionfile",
        console_id(server)
    );

    // oVirt makes the file only for a running VM.
    let (status, fault) = app.rest(&t, Method::POST, &path, "<action/>").await;
    assert_eq!(status, StatusCode::CONFLICT, "{fault:?}");
    assert!(text(&fault, &["detail"]).contains("not running"), "{fault:?}");

    run(&app, server).await;
    let answer = app.rest_ok(&t, Method::POST, &path, "<action/>").await;
    assert_eq!(text(&answer, &["status"]), "complete");
    let file = text(&answer, &["remote_viewer_connection_file"]);
    assert!(file.starts_with("[virt-viewer]"), "{file}");
    let keys = vv_keys(file);
    assert_eq!(keys["type"], "vnc");
    assert_eq!(keys["delete-this-file"], "1");
    assert_eq!(keys["host"], "127.0.0.1", "the address Vireo serves on");
    assert!(keys["title"].contains(':'), "{file}");
    let password = &keys["password"];
    assert_eq!(password.len(), 8, "VNC passwords are 8 bytes: {password}");
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()), "{password}");
    let port: u16 = keys["port"].parse().unwrap();

    // The right password gets the client through VNC Authentication; the test driver has no
    // display to open, and the client is told why in RFB's failure message.
    let (status, reason) = tokio::time::timeout(Duration::from_secs(30), vnc_login("127.0.0.1", port, password))
        .await
        .expect("the relay answers");
    assert_eq!(status, 1, "no display on the test driver");
    assert!(!reason.is_empty() && !reason.contains("Wrong password"), "{reason}");
    // One connection only: the relay is gone.
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "the relay accepts exactly one connection"
    );

    // A wrong password is refused, and costs that relay.
    let answer = app.rest_ok(&t, Method::POST, &path, "<action/>").await;
    let keys = vv_keys(text(&answer, &["remote_viewer_connection_file"]));
    let port: u16 = keys["port"].parse().unwrap();
    let wrong = if keys["password"] == "aaaaaaaa" {
        "bbbbbbbb"
    } else {
        "aaaaaaaa"
    };
    let (status, reason) = vnc_login("127.0.0.1", port, wrong).await;
    assert_eq!(status, 1);
    assert!(reason.starts_with("Wrong password"), "{reason}");
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
}

#[tokio::test]
async fn hostile_console_requests_are_refused_with_a_fault() {
    let app = crate::support::app().await;
    let t = app.admin_token().await;
    let server = vm(&app, OptimizedFor::Server).await;
    let gid = console_id(server);
    let base = format!("/vms/{server}/graphicsconsoles/{gid}");
    let cases: Vec<(String, &str, StatusCode)> = vec![
        (format!("{base}/proxyticket"), "<action/>", StatusCode::NOT_FOUND),
        (format!("{base}/..%2Fstart"), "<action/>", StatusCode::NOT_FOUND),
        (
            format!("/vms/{server}/graphicsconsoles/{}/ticket", Uuid::new_v4()),
            "<action/>",
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/vms/not-a-uuid/graphicsconsoles/{gid}/ticket"),
            "<action/>",
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/vms/{}/graphicsconsoles/{gid}/ticket", Uuid::new_v4()),
            "<action/>",
            StatusCode::NOT_FOUND,
        ),
        (
            format!("{base}/ticket"),
            "<action><ticket><expiry>soon</expiry></ticket></action>",
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{base}/ticket"),
            "<action><ticket><expiry>-1</expiry></ticket></action>",
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{base}/ticket"),
            "<action><ticket><expiry>99999999999999999999</expiry></ticket></action>",
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{base}/ticket"),
            "<action><ticket><owner>root</owner></ticket></action>",
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{base}/ticket"),
            "<action><evil/></action>",
            StatusCode::BAD_REQUEST,
        ),
        (format!("{base}/ticket"), "<vm/>", StatusCode::BAD_REQUEST),
        (format!("{base}/ticket"), "<action>", StatusCode::BAD_REQUEST),
        (
            format!("{base}/remoteviewerconnectionfile"),
            "<action><ticket/></action>",
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (path, body, expected) in cases {
        let (status, node) = app.rest(&t, Method::POST, &path, body).await;
        assert_eq!(status, expected, "{path} {body}: {node:?}");
        assert_eq!(node.name, "fault", "{path} {body}");
    }
}
