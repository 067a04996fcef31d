//! A bounded robustness run: a few thousand generated requests at the REST API, the server
//! functions, the form posts and the pages, as admin, operator, viewer and anonymous — valid bodies
//! with hostile mutations (extreme numbers, control characters, long text, dropped fields, broken
//! XML). Whatever arrives: no panic, no 5xx, an answer within a bound, and no write by a viewer or an
//! anonymous caller. Deterministic (fixed seed; `VIREO_ROBUSTNESS_SEED` / `VIREO_ROBUSTNESS_REQUESTS`
//! to explore further) and it prints its figures.

use crate::support::{app, body_text, TestApp, ADMIN_PASSWORD};
use axum::body::Body;
use axum::http::{header, Method, Request};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::backend::ConfigBackend;
use vireo_app::domain::draft::{to_pairs, ConfigKind};
use vireo_app::models::{Role, SaveOutcome};

/// A small xorshift generator: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const NUMBERS: [&str; 14] = [
    "0",
    "-1",
    "1",
    "7",
    "4096",
    "65536",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
    "1e308",
    "-9223372036854775808",
    "200000000",
];

fn extreme(rng: &mut Rng) -> &'static str {
    NUMBERS[rng.below(NUMBERS.len())]
}

fn hostile_text(rng: &mut Rng) -> String {
    match rng.below(12) {
        0 => "\u{0}".into(),
        1 => "a\u{b}b\tc\r\nd".into(),
        2 => "x".repeat(70_000),
        3 => "../../../../etc/shadow".into(),
        4 => "<script>alert(1)</script>".into(),
        5 => "' OR 1=1 --".into(),
        6 => "0-4095,^0,4096-999999".into(),
        7 => "\u{202e}\u{fffd}名前😀".into(),
        8 => "0-".repeat(5_000),
        9 => "name=\"a*\" or status=up sortby name desc page 4294967295".into(),
        10 => "%00%0d%0a".into(),
        _ => String::new(),
    }
}

/// Replaces some leaves of a valid JSON value with hostile ones, or drops fields.
fn mutate_json(rng: &mut Rng, v: &mut Value, depth: usize) {
    match v {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                if rng.chance(4) {
                    map.remove(&k);
                } else if let Some(child) = map.get_mut(&k) {
                    mutate_json(rng, child, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                mutate_json(rng, item, depth + 1);
            }
            if rng.chance(10) && depth < 6 {
                let copy = items.first().cloned().unwrap_or(Value::Null);
                items.extend(std::iter::repeat_n(copy, 1 + rng.below(300)));
            }
        }
        Value::Number(_) if rng.chance(25) => {
            *v = serde_json::from_str(extreme(rng)).unwrap_or(Value::Null);
        }
        Value::String(_) if rng.chance(20) => *v = Value::String(hostile_text(rng)),
        Value::Bool(b) if rng.chance(20) => *b = !*b,
        _ => {}
    }
}

/// Mutates an XML body as text: numbers swapped for extremes, text for hostile text, truncation.
fn mutate_xml(rng: &mut Rng, xml: &str) -> String {
    let mut out = String::new();
    for part in xml.split_inclusive('>') {
        match part.split_once('<') {
            Some((text, tag)) if !text.is_empty() && rng.chance(30) => {
                let replacement = if text.chars().all(|c| c.is_ascii_digit()) {
                    rng.pick(&NUMBERS).to_string()
                } else {
                    xml_escape(&hostile_text(rng))
                };
                out.push_str(&replacement);
                out.push('<');
                out.push_str(tag);
            }
            _ => out.push_str(part),
        }
    }
    match rng.below(10) {
        0 => {
            // Cut anywhere, but on a character boundary (a body is text; `truncate` panics otherwise).
            let mut cut = rng.below(out.len() + 1);
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
        }
        1 => out = format!("{}{}", "<a>".repeat(5_000), out),
        2 => out.push_str("<unexpected>1</unexpected>"),
        _ => {}
    }
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).unwrap_or_default()[2..].to_string()
}

struct Caller {
    role: Option<Role>,
    cookie: Option<String>,
    token: Option<String>,
}

struct Targets {
    vms: Vec<Uuid>,
    template: Uuid,
    pool: Uuid,
    host: Uuid,
    cluster: Uuid,
    draft: Value,
    draft_pairs: Vec<(String, String)>,
}

enum Door {
    Page,
    ServerFn,
    Form,
    Rest,
}

struct Generated {
    door: Door,
    method: Method,
    path: String,
    content_type: &'static str,
    body: String,
}

fn generate(rng: &mut Rng, t: &Targets) -> Generated {
    let vm = rng.pick(&t.vms);
    let any_id = match rng.below(6) {
        0 => "not-a-uuid".to_string(),
        1 => Uuid::new_v4().to_string(),
        2 => t.template.to_string(),
        3 => t.pool.to_string(),
        _ => vm.to_string(),
    };
    let text = hostile_text(rng);
    let number = rng.pick(&NUMBERS).to_string();
    let get = |door, path: String| Generated {
        door,
        method: Method::GET,
        path,
        content_type: "text/plain",
        body: String::new(),
    };
    let post = |door, path: &str, content_type, body: String| Generated {
        door,
        method: Method::POST,
        path: path.into(),
        content_type,
        body,
    };
    const FORM: &str = "application/x-www-form-urlencoded";
    match rng.below(29) {
        0 => get(
            Door::Page,
            format!(
                "/vms?q={}&page={number}&size={}&sort={}&selected={any_id}",
                enc(&text),
                rng.pick(&NUMBERS),
                enc(&hostile_text(rng))
            ),
        ),
        1 => get(
            Door::Page,
            format!(
                "{}?dialog={}&id={any_id}&q={}",
                rng.pick(&["/hosts", "/templates", "/pools", "/clusters", "/events", "/vms", "/users"]),
                rng.pick(&["new", "edit", "add", "role", "disable", "password", "x"]),
                enc(&text)
            ),
        ),
        2 => get(
            Door::ServerFn,
            format!(
                "/api/{}?query[search]={}&query[sort]=name&query[desc]=false&query[page]={number}&query[page_size]={}",
                rng.pick(&[
                    "vm_grid",
                    "template_grid",
                    "pool_grid",
                    "host_grid",
                    "cluster_grid",
                    "event_grid",
                    "user_grid",
                ]),
                enc(&text),
                rng.pick(&NUMBERS)
            ),
        ),
        3 => get(
            Door::ServerFn,
            format!(
                "/api/{}?id={}&kind={}",
                rng.pick(&["vm_details", "domain_xml", "load_draft"]),
                enc(&any_id),
                rng.pick(&["vm", "template", "pool", "x"])
            ),
        ),
        4..=6 => {
            let mut draft = t.draft.clone();
            mutate_json(rng, &mut draft, 0);
            let endpoint = rng.pick(&["/api/preview", "/api/save", "/api/preview"]);
            let body = if endpoint == "/api/save" {
                serde_json::json!({"draft": draft, "save_anyway": rng.chance(50)})
            } else {
                serde_json::json!({"draft": draft})
            };
            post(Door::ServerFn, endpoint, "application/json", body.to_string())
        }
        7 => post(
            Door::ServerFn,
            "/api/vm_action",
            FORM,
            format!(
                "id={}&action={}",
                enc(&any_id),
                rng.pick(&["run", "shutdown", "power_off", "restart", "x"])
            ),
        ),
        8 => post(
            Door::ServerFn,
            "/api/apply_host_action",
            "application/json",
            serde_json::json!({"action": {"AllocateHugePages": {
                "host_id": t.host, "host_name": text, "size_kib": serde_json::from_str::<Value>(&number).unwrap_or(Value::Null),
                "per_cell": [[rng.below(4), serde_json::from_str::<Value>(extreme(rng)).unwrap_or(Value::Null)]]
            }}})
            .to_string(),
        ),
        9 => post(
            Door::ServerFn,
            "/api/save_cluster",
            FORM,
            format!(
                "name={}&compat_version={}&cpu_arch={}&description={}",
                enc(&text),
                enc(&hostile_text(rng)),
                rng.pick(&["x86_64", "s390x", ""]),
                enc(&hostile_text(rng))
            ),
        ),
        10 => post(
            Door::ServerFn,
            "/api/set_host_ksm",
            FORM,
            format!("host_id={}&running={}", enc(&any_id), enc(&text)),
        ),
        11 => {
            let mut pairs = t.draft_pairs.clone();
            for pair in pairs.iter_mut() {
                if rng.chance(15) {
                    pair.1 = if rng.chance(50) {
                        rng.pick(&NUMBERS).to_string()
                    } else {
                        hostile_text(rng)
                    };
                }
            }
            let path = if rng.chance(50) { "/dialog/save" } else { "/dialog/apply-fix" };
            pairs.push(("fix".into(), rng.pick(&["r1", "r2", "r3", "r4", "r5", "x"]).to_string()));
            post(
                Door::Form,
                path,
                FORM,
                serde_urlencoded::to_string(&pairs).unwrap_or_default(),
            )
        }
        12 => post(
            Door::Form,
            "/vms/bulk",
            FORM,
            format!(
                "ids={}&ids={vm}&action={}&confirmed={}&q={}&page={number}",
                enc(&any_id),
                rng.pick(&["run", "power_off", "shutdown", "remove", "edit", "x"]),
                rng.pick(&["1", "0"]),
                enc(&text)
            ),
        ),
        13 => post(
            Door::Form,
            "/login",
            FORM,
            format!(
                "username={}&password={}&next={}",
                enc(&text),
                enc(&hostile_text(rng)),
                enc(rng.pick(&["/\t/evil.example", "//evil", "/\u{b}", "/vms", "https://x"]))
            ),
        ),
        14..=15 => get(
            Door::Rest,
            format!(
                "/{}?search={}&max={}",
                rng.pick(&["vms", "templates", "vmpools", "hosts", "clusters", "datacenters", "instancetypes"]),
                enc(&text),
                rng.pick(&NUMBERS)
            ),
        ),
        16..=17 => {
            let add = format!(
                "<vm><name>r-{}</name><cluster><name>Default</name></cluster><template><name>Blank</name></template><memory>{}</memory><cpu><topology><sockets>{}</sockets><cores>{}</cores><threads>1</threads></topology><cpu_tune><vcpu_pins><vcpu_pin><vcpu>0</vcpu><cpu_set>{}</cpu_set></vcpu_pin></vcpu_pins></cpu_tune></cpu><type>high_performance</type><placement_policy><affinity>pinned</affinity><hosts><host><name>default-host</name></host></hosts></placement_policy></vm>",
                rng.below(1_000_000),
                rng.pick(&NUMBERS),
                rng.pick(&["1", "2", "0", "200000000"]),
                rng.pick(&["1", "4", "0", "4294967295"]),
                xml_escape(&hostile_text(rng))
            );
            let body = mutate_xml(rng, &add);
            if rng.chance(50) {
                post(Door::Rest, "/vms", "application/xml", body)
            } else {
                Generated {
                    door: Door::Rest,
                    method: Method::PUT,
                    path: format!("/vms/{any_id}"),
                    content_type: "application/xml",
                    body,
                }
            }
        }
        18 => post(
            Door::Rest,
            &format!("/vms/{any_id}/numanodes"),
            "application/xml",
            mutate_xml(
                rng,
                "<vm_numa_node><index>0</index><memory>1024</memory><cpu><cores><core><index>0</index></core></cores></cpu><numa_node_pins><numa_node_pin><index>0</index></numa_node_pin></numa_node_pins></vm_numa_node>",
            ),
        ),
        19 => post(
            Door::Rest,
            &format!(
                "/vms/{any_id}/{}",
                rng.pick(&["start", "stop", "shutdown", "reboot", "migrate", "x"])
            ),
            "application/xml",
            mutate_xml(rng, "<action><async>false</async></action>"),
        ),
        20 => {
            let body = format!(
                "<cluster><name>c{}</name><data_center><name>{}</name></data_center><version><major>4</major><minor>8</minor></version><cpu><type>x</type></cpu><instance_type><name>i</name></instance_type><memory>{number}</memory><address>{}</address></cluster>",
                rng.below(1000),
                xml_escape(&hostile_text(rng)),
                xml_escape(&text)
            );
            let path = rng.pick(&["/clusters", "/datacenters", "/instancetypes", "/templates", "/vmpools", "/hosts"]);
            post(Door::Rest, path, "application/xml", mutate_xml(rng, &body))
        }
        22 => {
            let endpoint = rng.pick(&[
                "add_user",
                "set_user_role",
                "set_user_disabled",
                "reset_user_password",
                "change_own_password",
            ]);
            post(
                Door::ServerFn,
                &format!("/api/{endpoint}"),
                FORM,
                format!(
                    "id={}&username={}&role={}&disabled={}&password={}&confirm={}&current={}",
                    enc(&any_id),
                    enc(&text),
                    rng.pick(&["admin", "operator", "viewer", "root", ""]),
                    rng.pick(&["true", "false", "x"]),
                    enc(&hostile_text(rng)),
                    enc(&hostile_text(rng)),
                    enc(&hostile_text(rng))
                ),
            )
        }
        23 => {
            // Disks: extreme sizes and text, added, changed through /disks or an attachment.
            let disk = format!(
                "<disk><name>{}</name><provisioned_size>{number}</provisioned_size><format>{}</format><sparse>{}</sparse><storage_domains><storage_domain><name>{}</name></storage_domain></storage_domains></disk>",
                xml_escape(&text),
                rng.pick(&["cow", "raw", "qcow2", ""]),
                rng.pick(&["true", "false", "2"]),
                rng.pick(&["default-pool", "nope", ""])
            );
            let (path, body) = match rng.below(3) {
                0 => ("/disks".to_string(), disk),
                1 => (format!("/disks/{any_id}"), disk),
                _ => (
                    format!("/{}/{any_id}/diskattachments", rng.pick(&["vms", "templates"])),
                    format!(
                        "<disk_attachment><interface>{}</interface><bootable>{}</bootable>{disk}</disk_attachment>",
                        rng.pick(&["virtio", "virtio_scsi", "sata", "ide", "x"]),
                        rng.pick(&["true", "0", "yes"])
                    ),
                ),
            };
            Generated {
                door: Door::Rest,
                method: if path.ends_with("diskattachments") || path == "/disks" {
                    Method::POST
                } else {
                    Method::PUT
                },
                path,
                content_type: "application/xml",
                body: mutate_xml(rng, &body),
            }
        }
        24 => {
            // NICs: hostile names, MACs and profiles, added or changed on VMs and Templates.
            let nic = format!(
                "<nic><name>{}</name><interface>{}</interface><mac><address>{}</address></mac><linked>{}</linked><vnic_profile id=\"{}\"/></nic>",
                xml_escape(&text),
                rng.pick(&["virtio", "e1000e", "rtl8139", "e1000", ""]),
                rng.pick(&[
                    "56:6f:00:00:00:01",
                    "ff:ff:ff:ff:ff:ff",
                    "01:00:5e:00:00:01",
                    "00:00:00:00:00:00",
                    "56:6f:00:00:00",
                    "zz:zz:zz:zz:zz:zz",
                    "56:6f:00:00:00:01:02",
                ]),
                rng.pick(&["true", "false", "2"]),
                any_id
            );
            let owner = rng.pick(&["vms", "templates"]);
            let (method, path) = match rng.below(3) {
                0 => (Method::POST, format!("/{owner}/{any_id}/nics")),
                1 => (Method::PUT, format!("/{owner}/{any_id}/nics/{}", Uuid::new_v4())),
                _ => (Method::DELETE, format!("/{owner}/{any_id}/nics/{any_id}")),
            };
            Generated {
                door: Door::Rest,
                method,
                path,
                content_type: "application/xml",
                body: mutate_xml(rng, &nic),
            }
        }
        25 => {
            // Networks and vNIC profiles: hostile names, backings, VLAN tags, filters and networks.
            let (path, body) = if rng.below(2) == 0 {
                (
                    "/networks".to_string(),
                    format!(
                        "<network><name>{}</name><vdsm_name>{}</vdsm_name><vlan id=\"{}\"/><vireo><backing>{}</backing></vireo></network>",
                        xml_escape(&text),
                        xml_escape(&text),
                        rng.pick(&["0", "100", "4095", "-1", "99999999999", "x"]),
                        rng.pick(&["libvirt_network", "bridge", "ovs", ""])
                    ),
                )
            } else {
                (
                    format!("/networks/{any_id}/vnicprofiles"),
                    format!(
                        "<vnic_profile><name>{}</name><network_filter><name>{}</name></network_filter><port_mirroring>{}</port_mirroring></vnic_profile>",
                        xml_escape(&text),
                        rng.pick(&["clean-traffic", "../../etc/passwd", "", "no-ip-spoofing"]),
                        rng.pick(&["false", "true", "2"])
                    ),
                )
            };
            Generated {
                door: Door::Rest,
                method: Method::POST,
                path,
                content_type: "application/xml",
                body: mutate_xml(rng, &body),
            }
        }
        // The consoles' WebSocket path as a plain GET: hostile tickets, kinds and ids, long
        // queries (past 8 KiB the guard answers 414). Never a 5xx, never a write.
        27 => {
            let ticket = match rng.below(5) {
                0 => "A".repeat(60_000),
                1 => enc(&text),
                2 => String::new(),
                3 => "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
                _ => enc(&hostile_text(rng)),
            };
            get(
                Door::Page,
                format!(
                    "/vms/{}/console/{}?ticket={ticket}&takeover={}",
                    enc(&any_id),
                    rng.pick(&["serial", "vnc", "spice", "..", "%00", "SERIAL", "serial%2Fx"]),
                    rng.pick(&NUMBERS)
                ),
            )
        }
        28 => {
            // Consoles: the list (`current` as anything), tickets with hostile values and expiries,
            // console files, on consoles that are and are not there.
            let gid = match rng.below(3) {
                0 => Uuid::new_v5(&vm, b"console/vnc").to_string(),
                1 => Uuid::new_v4().to_string(),
                _ => enc(&text),
            };
            if rng.below(4) == 0 {
                return get(
                    Door::Rest,
                    format!("/vms/{any_id}/graphicsconsoles?current={}", enc(&text)),
                );
            }
            let action = match rng.below(4) {
                0 | 1 => "ticket".to_string(),
                2 => "remoteviewerconnectionfile".to_string(),
                _ => enc(&text),
            };
            let body = format!(
                "<action><ticket><value>{}</value><expiry>{number}</expiry></ticket></action>",
                xml_escape(&text)
            );
            post(
                Door::Rest,
                &format!("/vms/{any_id}/graphicsconsoles/{gid}/{action}"),
                "application/xml",
                mutate_xml(rng, &body),
            )
        }
        _ => Generated {
            door: Door::Rest,
            method: Method::DELETE,
            path: format!(
                "/{}/{any_id}",
                rng.pick(&[
                    "vms",
                    "templates",
                    "vmpools",
                    "clusters",
                    "instancetypes",
                    "disks",
                    "storagedomains",
                    "networks",
                    "vnicprofiles",
                ])
            ),
            content_type: "application/xml",
            body: String::new(),
        },
    }
}

async fn targets(app: &TestApp) -> Targets {
    let admin = app.admin_user().await;
    let mut saved = Vec::new();
    for kind in [ConfigKind::Vm, ConfigKind::Vm, ConfigKind::Vm, ConfigKind::Template] {
        let mut d = app.state.service.new_draft(kind, None).await.expect("draft");
        d.name = format!("robust-{}", &Uuid::new_v4().simple().to_string()[..8]);
        match app.state.service.save(&admin, d, true).await.expect("save") {
            SaveOutcome::Saved { id, .. } => saved.push(id),
            other => panic!("{other:?}"),
        }
    }
    let template = saved[3];
    let mut pool = app
        .state
        .service
        .new_draft(ConfigKind::Pool, Some(template))
        .await
        .expect("pool draft");
    pool.name = "robust-pool".into();
    pool.pool_size = 2;
    let pool = match app.state.service.save(&admin, pool, true).await.expect("pool") {
        SaveOutcome::Saved { id, .. } => id,
        other => panic!("{other:?}"),
    };
    let draft = app
        .state
        .service
        .load_draft(ConfigKind::Vm, saved[0])
        .await
        .expect("draft")
        .draft;
    Targets {
        vms: saved[..3].to_vec(),
        template,
        pool,
        host: app.state.repo.list_hosts().await.expect("hosts")[0].id,
        cluster: app.state.repo.list_clusters().await.expect("clusters")[0].id,
        draft_pairs: to_pairs(&draft),
        draft: serde_json::to_value(&draft).expect("json"),
    }
}

#[tokio::test]
async fn thousands_of_hostile_requests_no_panic_no_5xx_no_write_by_viewers() {
    let app = app().await;
    let t = targets(&app).await;
    let _ = t.cluster;
    let mut callers = vec![Caller {
        role: None,
        cookie: None,
        token: None,
    }];
    for role in [Role::Admin, Role::Operator, Role::Viewer] {
        let (name, password) = match role {
            Role::Admin => ("admin".to_string(), ADMIN_PASSWORD.to_string()),
            _ => {
                let password = "robustness-password".to_string();
                let hash = vireo_server::service::passwords::hash_password(&password).expect("hash");
                app.state
                    .repo
                    .insert_user(&Actor::vireo(), role.as_str(), &hash, role)
                    .await
                    .expect("user");
                (role.as_str().to_string(), password)
            }
        };
        callers.push(Caller {
            role: Some(role),
            cookie: Some(app.login(&name, &password).await.expect("login")),
            token: Some(app.rest_token(&name, &password).await),
        });
    }

    let seed = std::env::var("VIREO_ROBUSTNESS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x005e_ed0f_u64);
    let total: usize = std::env::var("VIREO_ROBUSTNESS_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3_000);
    let mut rng = Rng(seed);
    let mut statuses: BTreeMap<(String, u16), u32> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    let started = Instant::now();
    for i in 0..total {
        let who = &callers[i % callers.len()];
        let g = generate(&mut rng, &t);
        let mut request = Request::builder()
            .method(g.method.clone())
            .uri(match g.door {
                Door::Rest => format!("/ovirt-engine/api{}", g.path),
                _ => g.path.clone(),
            })
            .header(header::CONTENT_TYPE, g.content_type);
        match g.door {
            Door::Rest => {
                if let Some(token) = &who.token {
                    request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
                }
            }
            Door::Page | Door::ServerFn | Door::Form => {
                if let Some(cookie) = &who.cookie {
                    request = request.header(header::COOKIE, cookie);
                }
            }
        }
        let Ok(request) = request.body(Body::from(g.body.clone())) else {
            continue; // a URI the http crate itself refuses never reaches a server
        };
        let read_only = !who.role.is_some_and(|r| r != Role::Viewer);
        let before = if read_only { Some(app.fingerprint().await) } else { None };
        let what = format!(
            "{:?} {} {}",
            who.role,
            g.method,
            g.path.chars().take(160).collect::<String>()
        );
        let sent = Instant::now();
        let answer = tokio::time::timeout(Duration::from_secs(20), app.send(request)).await;
        let took = sent.elapsed();
        if took > slowest.0 {
            slowest = (took, what.clone());
        }
        let Ok(response) = answer else {
            // What the database was doing meanwhile tells a query waiting on a lock from a
            // render waiting on nothing.
            failures.push(format!(
                "no answer within 20 s: {what}\n  database sessions: {:?}",
                app.database_activity().await
            ));
            continue;
        };
        let status = response.status();
        let role = who.role.map_or("anonymous", |r| r.as_str()).to_string();
        *statuses.entry((role, status.as_u16())).or_default() += 1;
        if status.is_server_error() {
            let body = body_text(response).await;
            failures.push(format!(
                "{status}: {what}: {}",
                body.chars().take(300).collect::<String>()
            ));
        }
        if let Some(before) = before {
            if app.fingerprint().await != before {
                failures.push(format!("a {what} request changed the database"));
            }
        }
    }
    let elapsed = started.elapsed();
    println!(
        "robustness: {total} requests (seed {seed:#x}) in {:.1} s, slowest {:.0} ms ({})",
        elapsed.as_secs_f64(),
        slowest.0.as_secs_f64() * 1000.0,
        slowest.1
    );
    for ((role, status), n) in &statuses {
        println!("  {role:<10} {status}: {n}");
    }
    let server_errors: u32 = statuses.iter().filter(|((_, s), _)| *s >= 500).map(|(_, n)| n).sum();
    println!("  5xx: {server_errors}, failures: {}", failures.len());
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        statuses.values().sum::<u32>() as usize >= total * 9 / 10,
        "most requests were sent"
    );
}
