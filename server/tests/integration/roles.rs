//! Every write endpoint × every role, through the real router: server functions, the no-JavaScript
//! form posts and the REST API. A role that may not do a thing gets the refusal its entry point
//! speaks (403 JSON, a redirect carrying the error, a 403 `<fault>`; 401 or the login page when
//! anonymous) and nothing in the database changes; a role that may do it is not refused.

use crate::support::{app, body_text, form, saved_id, unique, TestApp, ADMIN_PASSWORD};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use uuid::Uuid;
use vireo_app::authz::{Actor, Permission};
use vireo_app::backend::{ClusterBackend, ConfigBackend, DataCenterBackend, NetworkBackend, StorageBackend};
use vireo_app::domain::draft::{to_pairs, ConfigKind};
use vireo_app::domain::network::NetworkBacking;
use vireo_app::domain::storage::{DiskAttachment, DiskFormat};
use vireo_app::models::{
    ClusterDraft, CurrentUser, DataCenterDraft, NewDiskRequest, NewNetworkRequest, NewStorageDomainRequest, Role,
    VnicProfileRequest,
};

const PASSWORD: &str = "role-matrix-password";

/// Who calls: their session cookie and REST token (None: anonymous).
struct Caller {
    role: Option<Role>,
    cookie: Option<String>,
    token: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Door {
    /// A server function: answers with a JSON `AppError` and its status.
    ServerFn,
    /// A plain form post: answers with a redirect that carries the error.
    Form,
    /// The oVirt-compatible REST API: a `<fault>` with the engine's status.
    Rest,
}

struct Case {
    door: Door,
    method: Method,
    path: String,
    content_type: &'static str,
    body: String,
    needs: Permission,
}

fn case(door: Door, method: Method, path: impl Into<String>, body: impl Into<String>, needs: Permission) -> Case {
    let content_type = match door {
        Door::Rest => "application/xml",
        _ => "application/x-www-form-urlencoded",
    };
    Case {
        door,
        method,
        path: path.into(),
        content_type,
        body: body.into(),
        needs,
    }
}

fn json_case(path: &str, body: serde_json::Value, needs: Permission) -> Case {
    Case {
        door: Door::ServerFn,
        method: Method::POST,
        path: path.into(),
        content_type: "application/json",
        body: body.to_string(),
        needs,
    }
}

async fn caller(app: &TestApp, role: Role) -> Caller {
    let (name, password) = if role == Role::Admin {
        ("admin".to_string(), ADMIN_PASSWORD)
    } else {
        let name = role.as_str().to_string();
        let hash = vireo_server::service::passwords::hash_password(PASSWORD).expect("hash");
        app.state
            .repo
            .insert_user(&Actor::vireo(), &name, &hash, role)
            .await
            .expect("user");
        (name, PASSWORD)
    };
    Caller {
        role: Some(role),
        cookie: Some(app.login(&name, password).await.expect("logs in")),
        token: Some(app.rest_token(&name, password).await),
    }
}

async fn send(app: &TestApp, who: &Caller, c: &Case) -> (StatusCode, String, String) {
    let mut request = Request::builder()
        .method(c.method.clone())
        .uri(if c.door == Door::Rest {
            format!("/ovirt-engine/api{}", c.path)
        } else {
            c.path.clone()
        })
        .header(header::CONTENT_TYPE, c.content_type)
        // As every client sends it; the image upload requires it (411 without).
        .header(header::CONTENT_LENGTH, c.body.len());
    match c.door {
        Door::Rest => {
            if let Some(t) = &who.token {
                request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
            }
        }
        _ => {
            if let Some(cookie) = &who.cookie {
                request = request.header(header::COOKIE, cookie);
            }
        }
    }
    let response = app
        .send(request.body(Body::from(c.body.clone())).expect("request"))
        .await;
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, location, body_text(response).await)
}

/// The form posts carry an error back in the redirect's query; decoded so the message can be read.
fn decoded(location: &str) -> String {
    let query = location.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

const FORBIDDEN_TEXT: &str = "Your role does not allow this action.";

fn assert_refused(who: &Caller, c: &Case, (status, location, body): &(StatusCode, String, String)) {
    let what = format!("{:?} {} {}", who.role, c.method, c.path);
    match (who.role, c.door) {
        (None, Door::Rest) => assert_eq!(*status, StatusCode::UNAUTHORIZED, "{what}: {body}"),
        (None, Door::ServerFn) => assert_eq!(*status, StatusCode::UNAUTHORIZED, "{what}: {body}"),
        (None, Door::Form) => {
            assert_eq!(*status, StatusCode::SEE_OTHER, "{what}");
            assert!(location.starts_with("/login"), "{what}: {location}");
        }
        (Some(_), Door::Rest) => {
            assert_eq!(*status, StatusCode::FORBIDDEN, "{what}: {body}");
            assert!(body.contains("<fault>"), "{what}: {body}");
        }
        (Some(_), Door::ServerFn) => {
            assert_eq!(*status, StatusCode::FORBIDDEN, "{what}: {body}");
            assert!(body.contains("Forbidden"), "{what}: {body}");
        }
        (Some(_), Door::Form) => {
            assert_eq!(*status, StatusCode::SEE_OTHER, "{what}");
            let text = decoded(location);
            assert!(
                text.contains(FORBIDDEN_TEXT) || text.contains("\"Forbidden\""),
                "{what}: {text}"
            );
        }
    }
}

fn assert_not_refused(who: &Caller, c: &Case, (status, location, body): &(StatusCode, String, String)) {
    let what = format!("{:?} {} {}", who.role, c.method, c.path);
    assert!(
        *status != StatusCode::FORBIDDEN && *status != StatusCode::UNAUTHORIZED,
        "{what} was refused: {status} {body}"
    );
    assert!(status.as_u16() < 500, "{what}: {status} {body}");
    let text = decoded(location);
    assert!(
        !text.contains(FORBIDDEN_TEXT) && !text.contains("\"Forbidden\"") && !location.starts_with("/login"),
        "{what} was refused: {text}"
    );
}

/// The objects the cases act on, made by the admin through the service.
struct Fixtures {
    cluster: Uuid,
    spare_cluster: Uuid,
    /// The Default data center, and an empty one to remove.
    data_center: Uuid,
    spare_data_center: Uuid,
    host: Uuid,
    vm: Uuid,
    template: Uuid,
    pool: Uuid,
    instance_type: Uuid,
    /// The test driver's pool, the upload case's target.
    upload_domain: Uuid,
    /// A user the user-management cases act on.
    other_user: Uuid,
    /// Disks in the test driver's `default-pool`: one attached to `vm`, one free to attach, one to
    /// remove; and a storage domain to remove.
    attached_disk: Uuid,
    free_disk: Uuid,
    doomed_disk: Uuid,
    storage_domain: Uuid,
    /// The test driver's `default-pool`, where new disks go.
    default_pool: Uuid,
    /// The default cluster's default vNIC profile, and a NIC of `vm` on it.
    profile: Uuid,
    nic: Uuid,
    /// A network and a second profile on it, for the UI's server functions to change and remove.
    network: Uuid,
    doomed_profile: Uuid,
    doomed_profile_version: i32,
    new_vm_draft: vireo_app::domain::draft::VmDraft,
}

async fn save(app: &TestApp, admin: &CurrentUser, kind: ConfigKind, template: Option<Uuid>) -> Uuid {
    let mut d = app.state.service.new_draft(kind, template).await.expect("draft");
    d.name = unique(kind.as_str());
    saved_id(app.state.service.save(admin, d, true).await.expect("save"))
}

async fn fixtures(app: &TestApp) -> Fixtures {
    let admin = app.admin_user().await;
    let clusters = app.state.repo.list_clusters().await.expect("clusters");
    let cluster = clusters[0].id;
    let spare = app
        .state
        .service
        .save_cluster(
            &admin,
            ClusterDraft {
                data_center_id: None,
                id: None,
                version: None,
                name: unique("spare"),
                description: String::new(),
                compat_version: "4.8".into(),
                cpu_arch: "x86_64".into(),
                ksm_enabled: true,
                ballooning_enabled: true,
            },
        )
        .await
        .expect("spare cluster");
    let data_center = clusters[0].data_center_id;
    let spare_data_center = app
        .state
        .service
        .save_data_center(
            &admin,
            DataCenterDraft {
                id: None,
                version: None,
                name: unique("spare-dc"),
                description: String::new(),
                compat_version: "4.8".into(),
            },
        )
        .await
        .expect("spare data center")
        .id;
    let host = app.state.repo.list_hosts().await.expect("hosts")[0].id;
    let vm = save(app, &admin, ConfigKind::Vm, None).await;
    let template = save(app, &admin, ConfigKind::Template, None).await;
    let pool = save(app, &admin, ConfigKind::Pool, Some(template)).await;
    let instance_type = app
        .state
        .service
        .save_instance_type(&admin, None, &unique("it"), "", &Default::default())
        .await
        .expect("instance type")
        .id;
    let mut new_vm_draft = app.state.service.new_draft(ConfigKind::Vm, None).await.expect("draft");
    new_vm_draft.name = unique("new");
    let default_pool = app
        .state
        .repo
        .list_storage_domains(false)
        .await
        .expect("storage domains")
        .into_iter()
        .find(|d| d.host_id == host && d.name == "default-pool")
        .expect("default-pool")
        .id;
    let mut disks = Vec::new();
    for name in ["attached", "free", "doomed"] {
        let request = NewDiskRequest {
            name: unique(name),
            description: String::new(),
            size_bytes: 1 << 30,
            format: DiskFormat::Qcow2,
            storage_domain_id: Some(default_pool),
            sparse: true,
        };
        disks.push(app.state.service.create_disk(&admin, request).await.expect("disk").id);
    }
    app.state
        .service
        .attach_disk(&admin, ConfigKind::Vm, vm, DiskAttachment::new(disks[0], false))
        .await
        .expect("attach");
    let domain_name = unique("roles");
    let storage_domain = app
        .state
        .service
        .add_storage_domain(
            &admin,
            NewStorageDomainRequest {
                host_id: Some(host),
                path: format!("/{domain_name}"),
                name: domain_name,
            },
        )
        .await
        .expect("storage domain")
        .id;
    let profile = app
        .state
        .service
        .default_vnic_profile(None)
        .await
        .expect("profile")
        .expect("the default cluster's default profile");
    let nic = vireo_app::domain::network::Nic::new("nic1", Some(profile));
    let nic_id = nic.id;
    app.state
        .service
        .add_nic(&admin, ConfigKind::Vm, vm, nic)
        .await
        .expect("NIC");
    let network = app
        .state
        .service
        .add_network(
            &admin,
            NewNetworkRequest {
                name: unique("rolenet"),
                description: String::new(),
                cluster_id: None,
                backing: NetworkBacking::LibvirtNetwork,
                backing_name: String::new(),
                vlan_id: None,
            },
        )
        .await
        .expect("network")
        .id;
    let doomed_profile = app
        .state
        .service
        .add_vnic_profile(
            &admin,
            VnicProfileRequest {
                name: unique("roleprof"),
                description: String::new(),
                network_id: network,
                network_filter: None,
                multiqueue: false,
            },
        )
        .await
        .expect("profile");
    let hash = vireo_server::service::passwords::hash_password(PASSWORD).expect("hash");
    let other_user = app
        .state
        .repo
        .insert_user(&Actor::vireo(), &unique("other"), &hash, Role::Viewer)
        .await
        .expect("user");
    Fixtures {
        upload_domain: default_pool,
        cluster,
        spare_cluster: spare.id,
        data_center,
        spare_data_center,
        host,
        vm,
        template,
        pool,
        instance_type,
        other_user,
        attached_disk: disks[0],
        free_disk: disks[1],
        doomed_disk: disks[2],
        storage_domain,
        default_pool,
        profile,
        nic: nic_id,
        network,
        doomed_profile: doomed_profile.id,
        doomed_profile_version: doomed_profile.version,
        new_vm_draft,
    }
}

/// Every write endpoint, destructive ones last so the others still find their objects.
/// The id the REST API gives a VM's VNC console.
fn console_id(vm: Uuid) -> Uuid {
    Uuid::new_v5(&vm, b"console/vnc")
}

fn cases(f: &Fixtures) -> Vec<Case> {
    use Door::*;
    use Permission::*;
    let vm = f.vm;
    let rest_vm = format!(
        "<vm><name>{}</name><cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>",
        unique("rest")
    );
    let mut draft_pairs = to_pairs(&f.new_vm_draft);
    draft_pairs.push(("save_anyway".into(), "1".into()));
    vec![
        // Server functions.
        case(
            ServerFn,
            Method::POST,
            "/api/add_host",
            form(&[
                ("name".into(), unique("host")),
                ("cluster_id".into(), f.cluster.to_string()),
                ("transport".into(), "simulated".into()),
            ]),
            ManageInfrastructure,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/set_host_ksm",
            format!("host_id={}&running=off", f.host),
            ManageInfrastructure,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/save_cluster",
            form(&[
                ("name".into(), unique("cluster")),
                ("compat_version".into(), "4.8".into()),
                ("cpu_arch".into(), "x86_64".into()),
            ]),
            ManageInfrastructure,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/save_data_center",
            form(&[
                ("name".into(), unique("dc")),
                ("compat_version".into(), "4.8".into()),
            ]),
            ManageInfrastructure,
        ),
        // Objects still in use: the role check comes first, then the refusal (409) for those who may.
        case(
            ServerFn,
            Method::POST,
            "/api/remove_data_center",
            format!("id={}", f.data_center),
            ManageInfrastructure,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/remove_cluster",
            format!("id={}", f.cluster),
            ManageInfrastructure,
        ),
        json_case(
            "/api/apply_host_action",
            serde_json::json!({"action": {"AllocateHugePages": {
                "host_id": f.host, "host_name": "default-host", "size_kib": 2048, "per_cell": [[0, 1]]
            }}}),
            ManageInfrastructure,
        ),
        json_case(
            "/api/save",
            serde_json::json!({"draft": f.new_vm_draft, "save_anyway": true}),
            ManageVms,
        ),
        case(ServerFn, Method::POST, "/api/vm_action", format!("id={vm}&action=run"), ManageVms),
        // The console's WebSocket: the session and the role are checked before the upgrade (this
        // plain GET is no upgrade, so a role that may gets a 4xx about that, not a refusal).
        case(
            ServerFn,
            Method::GET,
            format!("/vms/{vm}/console/serial?ticket=none"),
            "",
            UseConsole,
        ),
        case(
            ServerFn,
            Method::GET,
            format!("/vms/{vm}/console/vnc?ticket=none&takeover=1"),
            "",
            UseConsole,
        ),
        case(Form, Method::POST, "/dialog/save", form(&draft_pairs), ManageVms),
        case(
            Form,
            Method::POST,
            "/vms/bulk",
            format!("ids={vm}&action=power_off&confirmed=1"),
            ManageVms,
        ),
        // An image upload (the test driver's pool: refused for being simulated, after the role
        // check).
        Case {
            door: ServerFn,
            method: Method::PUT,
            path: format!(
                "/api/disks/upload?name={}&storage_domain_id={}&format=raw",
                unique("up"),
                f.upload_domain
            ),
            content_type: "application/octet-stream",
            body: "\0".repeat(4096),
            needs: ManageVms,
        },
        // Users.
        case(
            ServerFn,
            Method::POST,
            "/api/add_user",
            form(&[
                ("username".into(), unique("u")),
                ("role".into(), "admin".into()),
                ("password".into(), "a-long-enough-password".into()),
                ("confirm".into(), "a-long-enough-password".into()),
            ]),
            ManageUsers,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/set_user_role",
            format!("id={}&role=admin", f.other_user),
            ManageUsers,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/reset_user_password",
            format!(
                "id={}&password=another-long-password&confirm=another-long-password",
                f.other_user
            ),
            ManageUsers,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/set_user_disabled",
            format!("id={}&disabled=true", f.other_user),
            ManageUsers,
        ),
        // Everyone but anonymous may change their own password (a wrong current one is a 400).
        case(
            ServerFn,
            Method::POST,
            "/api/change_own_password",
            "current=not-my-password&password=another-long-password&confirm=another-long-password",
            ChangeOwnPassword,
        ),
        // REST.
        case(
            Rest,
            Method::POST,
            "/clusters",
            format!("<cluster><name>{}</name></cluster>", unique("rc")),
            ManageInfrastructure,
        ),
        case(
            Rest,
            Method::PUT,
            format!("/clusters/{}", f.cluster),
            "<cluster><description>changed</description></cluster>",
            ManageInfrastructure,
        ),
        case(
            Rest,
            Method::POST,
            "/datacenters",
            format!("<data_center><name>{}</name></data_center>", unique("dc")),
            ManageInfrastructure,
        ),
        case(
            Rest,
            Method::PUT,
            format!("/datacenters/{}", f.data_center),
            "<data_center><description>changed</description></data_center>",
            ManageInfrastructure,
        ),
        case(
            Rest,
            Method::PUT,
            format!("/hosts/{}", f.host),
            "<host><ksm><enabled>true</enabled></ksm></host>",
            ManageInfrastructure,
        ),
        case(
            Rest,
            Method::POST,
            "/instancetypes",
            format!("<instance_type><name>{}</name></instance_type>", unique("rit")),
            ManageInfrastructure,
        ),
        case(
            Rest,
            Method::PUT,
            format!("/instancetypes/{}", f.instance_type),
            "<instance_type><description>changed</description></instance_type>",
            ManageInfrastructure,
        ),
        case(
            Rest,
            Method::POST,
            "/templates",
            format!(
                "<template><name>{}</name><cluster><name>Default</name></cluster></template>",
                unique("rt")
            ),
            ManageVms,
        ),
        case(
            Rest,
            Method::PUT,
            format!("/templates/{}", f.template),
            "<template><description>changed</description></template>",
            ManageVms,
        ),
        case(
            Rest,
            Method::PUT,
            format!("/vmpools/{}", f.pool),
            "<vm_pool><description>changed</description></vm_pool>",
            ManageVms,
        ),
        case(Rest, Method::POST, "/vms", rest_vm, ManageVms),
        case(
            Rest,
            Method::PUT,
            format!("/vms/{vm}"),
            "<vm><description>changed</description></vm>",
            ManageVms,
        ),
        // Consoles: a ticket or a console file is root access to the guest (admins and operators);
        // the console as a device is the VM's configuration. The device's removal comes last of
        // the four, so the console's actions still find it.
        case(
            Rest,
            Method::POST,
            format!("/vms/{vm}/graphicsconsoles/{}/ticket", console_id(vm)),
            "<action/>",
            UseConsole,
        ),
        case(
            Rest,
            Method::POST,
            format!("/vms/{vm}/graphicsconsoles/{}/remoteviewerconnectionfile", console_id(vm)),
            "<action/>",
            UseConsole,
        ),
        case(
            Rest,
            Method::POST,
            format!("/vms/{vm}/graphicsconsoles"),
            "<graphics_console><protocol>vnc</protocol></graphics_console>",
            ManageVms,
        ),
        case(
            Rest,
            Method::DELETE,
            format!("/vms/{vm}/graphicsconsoles/{}", console_id(vm)),
            "",
            ManageVms,
        ),
        case(
            Rest,
            Method::POST,
            format!("/vms/{vm}/numanodes"),
            "<vm_numa_node><index>0</index><memory>1024</memory><cpu><cores><core><index>0</index></core></cores></cpu></vm_numa_node>",
            ManageVms,
        ),
        case(
            Rest,
            Method::POST,
            "/storagedomains",
            format!(
                "<storage_domain><name>{0}</name><type>data</type><host id=\"{1}\"/><storage><type>localfs</type><path>/{0}</path></storage></storage_domain>",
                unique("rsd"),
                f.host
            ),
            ManageInfrastructure,
        ),
        case(
            Rest,
            Method::POST,
            "/disks",
            format!(
                "<disk><name>{}</name><provisioned_size>1073741824</provisioned_size><format>cow</format><storage_domains><storage_domain><name>default-pool</name></storage_domain></storage_domains></disk>",
                unique("rdisk")
            ),
            ManageVms,
        ),
        case(
            Rest,
            Method::PUT,
            format!("/disks/{}", f.free_disk),
            "<disk><description>changed</description></disk>",
            ManageVms,
        ),
        case(
            Rest,
            Method::POST,
            format!("/vms/{vm}/diskattachments"),
            format!("<disk_attachment><disk id=\"{}\"/></disk_attachment>", f.free_disk),
            ManageVms,
        ),
        case(
            Rest,
            Method::PUT,
            format!("/vms/{vm}/diskattachments/{}", f.attached_disk),
            "<disk_attachment><bootable>true</bootable></disk_attachment>",
            ManageVms,
        ),
        // NICs (the REST API; the UI's server functions go through the same service calls).
        case(
            Rest,
            Method::POST,
            format!("/vms/{vm}/nics"),
            format!("<nic><name>rnic</name><vnic_profile id=\"{}\"/></nic>", f.profile),
            ManageVms,
        ),
        case(
            Rest,
            Method::PUT,
            format!("/vms/{vm}/nics/{}", f.nic),
            "<nic><linked>false</linked></nic>",
            ManageVms,
        ),
        case(
            Rest,
            Method::POST,
            format!("/templates/{}/nics", f.template),
            format!("<nic><name>tnic</name><vnic_profile id=\"{}\"/></nic>", f.profile),
            ManageVms,
        ),
        // Networks and vNIC profiles (the REST API): infrastructure.
        case(
            Rest,
            Method::POST,
            "/networks",
            format!("<network><name>{}</name><vdsm_name>default</vdsm_name></network>", unique("rnet")),
            ManageInfrastructure,
        ),
        case(
            Rest,
            Method::POST,
            "/vnicprofiles",
            format!(
                "<vnic_profile><name>{}</name><network id=\"{}\"/></vnic_profile>",
                unique("rprof"),
                f.network
            ),
            ManageInfrastructure,
        ),
        case(
            Rest,
            Method::POST,
            format!("/networks/{}/vnicprofiles", f.network),
            format!("<vnic_profile><name>{}</name></vnic_profile>", unique("rnprof")),
            ManageInfrastructure,
        ),
        // The web UI's storage server functions.
        case(
            ServerFn,
            Method::POST,
            "/api/add_storage_domain",
            form(&[
                ("host_id".into(), f.host.to_string()),
                ("name".into(), unique("uisd")),
                ("path".into(), format!("/{}", unique("uisd"))),
            ]),
            ManageInfrastructure,
        ),
        case(ServerFn, Method::POST, "/api/refresh_storage", "page=/disks", ManageVms),
        case(
            ServerFn,
            Method::POST,
            "/api/create_disk",
            form(&[
                ("name".into(), unique("uidisk")),
                ("size_gib".into(), "1".into()),
                ("format".into(), "qcow2".into()),
                ("storage_domain_id".into(), f.default_pool.to_string()),
                ("sparse".into(), "on".into()),
            ]),
            ManageVms,
        ),
        // Smaller than it is: refused by the rule, not the role, for those who may.
        case(
            ServerFn,
            Method::POST,
            "/api/resize_disk",
            format!("id={}&size_gib=0.5", f.free_disk),
            ManageVms,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/attach_disk",
            format!("kind=vm&id={vm}&disk_id={}&interface=virtio", f.free_disk),
            ManageVms,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/update_attachment",
            format!("kind=vm&id={vm}&disk_id={}&interface=virtio&bootable=on", f.attached_disk),
            ManageVms,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/detach_disk",
            format!("kind=vm&id={vm}&disk_id={}", f.attached_disk),
            ManageVms,
        ),
        // The web UI's network server functions.
        case(
            ServerFn,
            Method::POST,
            "/api/add_network",
            form(&[
                ("name".into(), unique("uinet")),
                ("backing".into(), "libvirt_network".into()),
            ]),
            ManageInfrastructure,
        ),
        case(ServerFn, Method::POST, "/api/refresh_networks", "page=/networks", ManageVms),
        case(
            ServerFn,
            Method::POST,
            "/api/add_vnic_profile",
            form(&[
                ("name".into(), unique("uiprof")),
                ("network_id".into(), f.network.to_string()),
                ("network_filter".into(), "clean-traffic".into()),
                ("multiqueue".into(), "on".into()),
            ]),
            ManageInfrastructure,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/update_vnic_profile",
            form(&[
                ("id".into(), f.doomed_profile.to_string()),
                ("version".into(), f.doomed_profile_version.to_string()),
                ("name".into(), unique("uiprof")),
                ("network_id".into(), f.network.to_string()),
            ]),
            ManageInfrastructure,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/add_nic",
            form(&[
                ("kind".into(), "vm".into()),
                ("id".into(), vm.to_string()),
                ("name".into(), unique("uinic")),
                ("vnic_profile_id".into(), f.profile.to_string()),
                ("model".into(), "virtio".into()),
            ]),
            ManageVms,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/update_nic",
            form(&[
                ("kind".into(), "vm".into()),
                ("id".into(), vm.to_string()),
                ("nic_id".into(), f.nic.to_string()),
                ("name".into(), "nic1".into()),
                ("vnic_profile_id".into(), f.profile.to_string()),
                ("model".into(), "e1000e".into()),
                ("linked".into(), "down".into()),
            ]),
            ManageVms,
        ),
        case(Rest, Method::POST, format!("/vms/{vm}/start"), "<action/>", ManageVms),
        case(Rest, Method::POST, format!("/vms/{vm}/reboot"), "<action/>", ManageVms),
        case(Rest, Method::POST, format!("/vms/{vm}/reset"), "<action/>", ManageVms),
        case(Rest, Method::POST, format!("/vms/{vm}/shutdown"), "<action/>", ManageVms),
        case(Rest, Method::POST, format!("/vms/{vm}/stop"), "<action/>", ManageVms),
        // Destructive ones last.
        case(
            ServerFn,
            Method::POST,
            "/api/remove_nic",
            format!("kind=vm&id={vm}&nic_id={}", f.nic),
            ManageVms,
        ),
        case(Rest, Method::DELETE, format!("/vms/{vm}/nics/{}", f.nic), "", ManageVms),
        case(
            ServerFn,
            Method::POST,
            "/api/remove_vnic_profile",
            format!("id={}", f.doomed_profile),
            ManageInfrastructure,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/remove_network",
            format!("id={}", f.network),
            ManageInfrastructure,
        ),
        case(
            Rest,
            Method::DELETE,
            format!("/vms/{vm}/diskattachments/{}?detach_only=true", f.attached_disk),
            "",
            ManageVms,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/remove_disk",
            format!("id={}", f.doomed_disk),
            ManageVms,
        ),
        case(
            ServerFn,
            Method::POST,
            "/api/remove_storage_domain",
            format!("id={}", f.storage_domain),
            ManageInfrastructure,
        ),
        case(Rest, Method::DELETE, format!("/disks/{}", f.doomed_disk), "", ManageVms),
        case(
            Rest,
            Method::DELETE,
            format!("/storagedomains/{}", f.storage_domain),
            "",
            ManageInfrastructure,
        ),
        case(
            Rest,
            Method::DELETE,
            format!("/instancetypes/{}", f.instance_type),
            "",
            ManageInfrastructure,
        ),
        case(
            Rest,
            Method::DELETE,
            format!("/clusters/{}", f.spare_cluster),
            "",
            ManageInfrastructure,
        ),
        case(
            Rest,
            Method::DELETE,
            format!("/datacenters/{}", f.spare_data_center),
            "",
            ManageInfrastructure,
        ),
        case(Rest, Method::DELETE, format!("/vmpools/{}", f.pool), "", ManageVms),
        case(Rest, Method::DELETE, format!("/templates/{}", f.template), "", ManageVms),
        case(
            ServerFn,
            Method::POST,
            "/api/remove_vm",
            format!("id={vm}&force=true"),
            ManageVms,
        ),
        case(
            Form,
            Method::POST,
            "/vms/bulk",
            format!("ids={vm}&action=remove&confirmed=1"),
            ManageVms,
        ),
        case(Rest, Method::DELETE, format!("/vms/{vm}"), "", ManageVms),
        case(Rest, Method::DELETE, format!("/hosts/{}", f.host), "", ManageInfrastructure),
    ]
}

#[tokio::test]
async fn every_write_endpoint_answers_every_role_as_its_permission_says() {
    let app = app().await;
    let f = fixtures(&app).await;
    let anonymous = Caller {
        role: None,
        cookie: None,
        token: None,
    };
    let viewer = caller(&app, Role::Viewer).await;
    let operator = caller(&app, Role::Operator).await;
    let admin = caller(&app, Role::Admin).await;
    let all = cases(&f);

    // Refusals first, while every object the cases name still exists: the answer, and not one row
    // changed.
    let mut refused = 0;
    for who in [&anonymous, &viewer, &operator] {
        for c in &all {
            if who.role.is_some_and(|r| r.allows(c.needs)) {
                continue;
            }
            let before = app.fingerprint().await;
            let answer = send(&app, who, c).await;
            assert_refused(who, c, &answer);
            assert_eq!(
                app.fingerprint().await,
                before,
                "{:?} {} {} changed the database",
                who.role,
                c.method,
                c.path
            );
            refused += 1;
        }
    }
    let refused_audit: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE result = 'failure' AND message LIKE '%refused.'")
            .fetch_one(&app.pool)
            .await
            .expect("events");
    assert!(refused_audit > 0, "refusals are audited");

    // Then the roles that may: the operator's VM work, then the admin's everything.
    let mut allowed = 0;
    for who in [&operator, &admin] {
        for c in cases(&f).iter().filter(|c| who.role.is_some_and(|r| r.allows(c.needs))) {
            let answer = send(&app, who, c).await;
            assert_not_refused(who, c, &answer);
            allowed += 1;
        }
    }
    assert!(refused > 60 && allowed > 30, "{refused} refused, {allowed} allowed");
}

/// Console tickets (the service behind `/api/console_ticket`): admin and operator get one, a viewer
/// is refused and the refusal audited.
#[tokio::test]
async fn console_tickets_answer_every_role_as_use_console_says() {
    use vireo_app::backend::ConsoleBackend;
    use vireo_app::models::ConsoleKind;
    let app = app().await;
    let admin = app.admin_user().await;
    let vm = save(&app, &admin, ConfigKind::Vm, None).await;
    for role in [Role::Admin, Role::Operator, Role::Viewer] {
        let user = if role == Role::Admin {
            admin.clone()
        } else {
            caller(&app, role).await;
            app.state
                .repo
                .user_by_name(role.as_str())
                .await
                .unwrap()
                .and_then(|u| u.to_current())
                .expect("user")
        };
        for kind in [ConsoleKind::Serial, ConsoleKind::Vnc] {
            let answer = app.state.service.console_ticket(&user, vm, kind).await;
            if role.allows(Permission::UseConsole) {
                let ticket = answer.unwrap_or_else(|e| panic!("{role:?} {kind:?}: {e}"));
                assert!(ticket.ticket.len() >= 22, "at least 128 bits");
            } else {
                assert_eq!(answer.unwrap_err(), vireo_app::error::AppError::Forbidden, "{role:?}");
            }
        }
    }
    let refused: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE action = 'console.ticket' AND result = 'failure' AND message LIKE '%refused.'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("events");
    assert_eq!(refused, 2, "the viewer's two refusals are audited");
}

/// Pages leave out the actions a role may not take (the service refuses them anyway), and carry the
/// role for the browser, which must render the same markup when it hydrates.
#[tokio::test]
async fn pages_offer_each_role_only_the_actions_it_may_take() {
    let app = app().await;
    // (page, the marker of its write actions, what they take)
    let pages = [
        ("/vms", r#"aria-label="VM actions""#, Permission::ManageVms),
        ("/templates", r#"aria-label="Template actions""#, Permission::ManageVms),
        ("/pools", r#"aria-label="Pool actions""#, Permission::ManageVms),
        (
            "/clusters",
            r#"aria-label="Cluster actions""#,
            Permission::ManageInfrastructure,
        ),
        (
            "/datacenters",
            r#"aria-label="Data center actions""#,
            Permission::ManageInfrastructure,
        ),
        (
            "/hosts",
            r#"href="/hosts?dialog=add""#,
            Permission::ManageInfrastructure,
        ),
        ("/hosts", r#"id="ksm-form""#, Permission::ManageInfrastructure),
        (
            "/networks",
            r#"href="/networks?dialog=new""#,
            Permission::ManageInfrastructure,
        ),
        ("/networks", r#"id="refresh-networks-form""#, Permission::ManageVms),
        (
            "/vnic-profiles",
            r#"href="/vnic-profiles?dialog=new""#,
            Permission::ManageInfrastructure,
        ),
    ];
    for role in [Role::Admin, Role::Operator, Role::Viewer] {
        let who = caller(&app, role).await;
        let cookie = who.cookie.expect("cookie");
        for (path, marker, needs) in pages {
            let response = app.get_as(&cookie, path).await;
            assert_eq!(response.status(), StatusCode::OK, "{role:?} {path}");
            let html = body_text(response).await;
            let meta = format!(r#"<meta name="vireo-role" content="{}""#, role.as_str());
            assert!(html.contains(&meta), "{role:?} {path}: no {meta}");
            assert_eq!(
                html.contains(marker),
                role.allows(needs),
                "{role:?} {path}: {marker} should be there only for roles with {needs:?}"
            );
        }
    }
}
