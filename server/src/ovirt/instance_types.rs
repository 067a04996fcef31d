//! `/instancetypes`: memory, CPU topology and a few hardware settings a VM can take on top of its
//! profile. Only what an instance type sets is written; absent elements leave a VM's value alone.

use super::collection::{api_object, ApiObject, Body};
use super::extract::{kind, ApiId, ApiIdAnd, ApiUser, XmlBody};
use super::fault::Fault;
use super::href::{link, object, reference, API};
use super::read::Obj;
use super::response::{action_complete, created, ok};
use super::vm_base::IGNORED_ELEMENTS;
use super::xml::El;
use crate::web::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use uuid::Uuid;
use vireo_app::domain::instance_type::InstanceTypeSpec;
use vireo_app::domain::vm_config::CpuTopology;
use vireo_app::models::{CurrentUser, InstanceTypeOption};

const ELEMENTS: &[&str] = &[
    "name",
    "os",
    "description",
    "cpu",
    "memory",
    "memory_policy",
    "io",
    "usb",
    "soundcard_enabled",
    "vireo",
];
const MIB: u64 = 1024 * 1024;

fn element(i: &InstanceTypeOption) -> El {
    let s = &i.spec;
    // Every part of oVirt's instance type is written, empty where the type leaves a VM's own value
    // alone: clients read `cpu.topology.cores`, `memory_policy.ballooning`, `io.threads`,
    // `usb.enabled`, `high_availability.enabled` and `os.type` of any instance type.
    let mut topology = El::new("topology");
    if let Some(c) = s.cpu {
        topology = topology
            .text("cores", c.cores)
            .text("sockets", c.sockets)
            .text("threads", c.threads);
    }
    let mut el = object("instance_type", "instancetypes", i.id)
        .text("name", &i.name)
        .text("description", &i.description)
        .child(link("instancetypes", i.id, "graphicsconsoles"))
        .child(El::new("cpu").child(topology))
        .child(El::new("high_availability"));
    let mut io = El::new("io");
    if let Some(n) = s.io_threads {
        io = io.text("threads", n);
    }
    el = el.child(io);
    if let Some(m) = s.memory_mib {
        el = el.text("memory", m * MIB);
    }
    let mut policy = El::new("memory_policy");
    if let Some(b) = s.memory_balloon {
        policy = policy.text("ballooning", b);
    }
    el = el.child(policy).child(El::new("os"));
    if let Some(v) = s.soundcard_enabled {
        el = el.text("soundcard_enabled", v);
    }
    el = el.text("status", "ok");
    let mut usb = El::new("usb");
    if let Some(v) = s.usb_enabled {
        usb = usb.text("enabled", v);
    }
    el = el.child(usb);
    if let Some(h) = s.headless {
        el = el.child(El::new("vireo").text("headless", h));
    }
    el
}

/// Applies a request to (name, description, spec).
fn read(obj: &Obj, it: &mut InstanceTypeOption) -> Result<(), Fault> {
    obj.allow(&[ELEMENTS, IGNORED_ELEMENTS, &["high_availability"]].concat())?;
    if let Some(os) = obj.get("os")? {
        // Clients send `<os/>` with every instance type; an OS is the VM's own, not hardware.
        os.allow(&["type", "boot"])?;
        if os.text("type")?.is_some() || os.get("boot")?.is_some() {
            return Err(Fault::invalid(
                "instance_type/os",
                "an instance type describes hardware; set the operating system and boot order on the VM",
            ));
        }
    }
    if let Some(n) = obj.text("name")? {
        it.name = n;
    }
    if let Some(d) = obj.text("description")? {
        it.description = d;
    }
    let s = &mut it.spec;
    if let Some(bytes) = obj.u64("memory")? {
        if bytes == 0 || !bytes.is_multiple_of(MIB) {
            return Err(Fault::invalid(
                "instance_type/memory",
                "memory must be a whole number of MiB",
            ));
        }
        s.memory_mib = Some(bytes / MIB);
    }
    if let Some(cpu) = obj.get("cpu")? {
        cpu.allow(&["topology", "architecture"])?;
        if let Some(t) = cpu.get("topology")? {
            t.allow(&["sockets", "cores", "threads"])?;
            let cur = s.cpu.unwrap_or_default();
            s.cpu = Some(CpuTopology {
                sockets: t.u32("sockets")?.unwrap_or(cur.sockets),
                cores: t.u32("cores")?.unwrap_or(cur.cores),
                threads: t.u32("threads")?.unwrap_or(cur.threads),
            });
        }
    }
    if let Some(io) = obj.get("io")? {
        io.allow(&["threads"])?;
        if let Some(n) = io.u32("threads")? {
            s.io_threads = Some(n);
        }
    }
    if let Some(mp) = obj.get("memory_policy")? {
        mp.allow(&["ballooning", "guaranteed", "max"])?;
        if let Some(b) = mp.bool("ballooning")? {
            s.memory_balloon = Some(b);
        }
    }
    if let Some(usb) = obj.get("usb")? {
        usb.allow(&["enabled", "type"])?;
        if let Some(v) = usb.bool("enabled")? {
            s.usb_enabled = Some(v);
        }
    }
    if let Some(v) = obj.bool("soundcard_enabled")? {
        s.soundcard_enabled = Some(v);
    }
    if let Some(v) = obj.get("vireo")? {
        v.allow(&["headless"])?;
        if let Some(h) = v.bool("headless")? {
            s.headless = Some(h);
        }
    }
    Ok(())
}

impl ApiObject for kind::InstanceType {
    api_object! {
        InstanceTypeOption, "instancetypes" listed as "instance_types", InstanceTypes,
        element, whole(list_instance_types, instance_type)
    }

    async fn add(state: &AppState, user: &CurrentUser, obj: &Obj<'_>) -> Result<InstanceTypeOption, Fault> {
        let mut it = InstanceTypeOption {
            id: Uuid::nil(),
            name: String::new(),
            description: String::new(),
            spec: InstanceTypeSpec::default(),
        };
        read(obj, &mut it)?;
        Fault::require("InstanceType", "add", &[("name", !it.name.is_empty())])?;
        Ok(state
            .service
            .save_instance_type(user, None, &it.name, &it.description, &it.spec)
            .await?)
    }

    async fn update(
        state: &AppState,
        user: &CurrentUser,
        id: Uuid,
        body: Body<Self>,
    ) -> Result<InstanceTypeOption, Fault> {
        let body = body?;
        let mut it = Self::existing(state, id).await?;
        read(&body.obj(), &mut it)?;
        Ok(state
            .service
            .save_instance_type(user, Some(id), &it.name, &it.description, &it.spec)
            .await?)
    }

    async fn remove(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<(), Fault> {
        Ok(state.service.remove_instance_type(user, id).await?)
    }
}

/// The id of an instance type's one console (VNC, as every Vireo display).
fn console_id(it: Uuid) -> Uuid {
    Uuid::new_v5(&it, b"console/vnc")
}

fn console_element(it: Uuid) -> El {
    let id = console_id(it);
    El::new("graphics_console")
        .attr("href", format!("{API}/instancetypes/{it}/graphicsconsoles/{id}"))
        .attr("id", id)
        .text("protocol", "vnc")
        .child(reference("instance_type", "instancetypes", it))
}

/// `GET /instancetypes/{id}/graphicsconsoles`: a VNC console when the type gives VMs a display;
/// none when it makes them headless or leaves the display to the VM.
pub async fn graphics_consoles(
    State(state): State<AppState>,
    ApiId { id, .. }: ApiId<kind::InstanceType>,
) -> Result<Response, Fault> {
    let it = kind::InstanceType::existing(&state, id).await?;
    let consoles = (it.spec.headless == Some(false)).then(|| console_element(it.id));
    Ok(ok(El::new("graphics_consoles").children(consoles)))
}

/// `GET /instancetypes/{id}/graphicsconsoles/{gid}`.
pub async fn graphics_console(
    State(state): State<AppState>,
    ApiIdAnd { id, sub, .. }: ApiIdAnd<kind::InstanceType>,
) -> Result<Response, Fault> {
    let it = kind::InstanceType::existing(&state, id).await?;
    if it.spec.headless != Some(false) || sub != console_id(it.id).to_string() {
        return Err(Fault::not_found(&format!("graphics console {sub}")));
    }
    Ok(ok(console_element(it.id)))
}

/// Saves the instance type with `headless` set as asked.
async fn set_headless(
    state: &AppState,
    user: &CurrentUser,
    mut it: InstanceTypeOption,
    headless: bool,
) -> Result<(), Fault> {
    it.spec.headless = Some(headless);
    state
        .service
        .save_instance_type(user, Some(it.id), &it.name, &it.description, &it.spec)
        .await?;
    Ok(())
}

/// `POST /instancetypes/{id}/graphicsconsoles`: VMs of this type get a (VNC) display.
pub async fn add_graphics_console(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiId { id, .. }: ApiId<kind::InstanceType>,
    body: Result<XmlBody<kind::GraphicsConsole>, Fault>,
) -> Result<Response, Fault> {
    let it = kind::InstanceType::existing(&state, id).await?;
    let body = body?;
    let obj = body.obj();
    obj.allow(&["protocol", "instance_type"])?;
    if obj.one_of("protocol", &["vnc", "spice"])?.as_deref() == Some("spice") {
        return Err(Fault::invalid(
            "graphics_console/protocol",
            "Vireo gives VMs a VNC console only",
        ));
    }
    let it_id = it.id;
    set_headless(&state, &user, it, false).await?;
    Ok(created(console_element(it_id)))
}

/// `DELETE /instancetypes/{id}/graphicsconsoles/{gid}`: VMs of this type are headless.
pub async fn remove_graphics_console(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiIdAnd { id, sub, .. }: ApiIdAnd<kind::InstanceType>,
) -> Result<Response, Fault> {
    let it = kind::InstanceType::existing(&state, id).await?;
    if it.spec.headless != Some(false) || sub != console_id(it.id).to_string() {
        return Err(Fault::not_found(&format!("graphics console {sub}")));
    }
    set_headless(&state, &user, it, true).await?;
    Ok(action_complete())
}

/// `/instancetypes` with the shared handlers, and its graphics consoles.
pub fn routes(router: Router<AppState>) -> Router<AppState> {
    super::collection::routes::<kind::InstanceType>(router)
        .route(
            "/instancetypes/{id}/graphicsconsoles",
            get(graphics_consoles).post(add_graphics_console),
        )
        .route(
            "/instancetypes/{id}/graphicsconsoles/{gid}",
            get(graphics_console).delete(remove_graphics_console),
        )
}
