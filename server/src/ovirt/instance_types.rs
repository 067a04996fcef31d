//! `/instancetypes`: memory, CPU topology and a few hardware settings a VM can take on top of its
//! profile. Only what an instance type sets is written; absent elements leave a VM's value alone.

use super::collection::{api_object, ApiObject, Body};
use super::extract::kind;
use super::fault::Fault;
use super::href::object;
use super::read::Obj;
use super::vm_base::IGNORED_ELEMENTS;
use super::xml::El;
use crate::web::state::AppState;
use uuid::Uuid;
use vireo_app::domain::instance_type::InstanceTypeSpec;
use vireo_app::domain::vm_config::CpuTopology;
use vireo_app::models::{CurrentUser, InstanceTypeOption};

const ELEMENTS: &[&str] = &[
    "name",
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
    let mut el = object("instance_type", "instancetypes", i.id)
        .text("name", &i.name)
        .text("description", &i.description);
    if let Some(c) = s.cpu {
        el = el.child(
            El::new("cpu").child(
                El::new("topology")
                    .text("cores", c.cores)
                    .text("sockets", c.sockets)
                    .text("threads", c.threads),
            ),
        );
    }
    if let Some(n) = s.io_threads {
        el = el.child(El::new("io").text("threads", n));
    }
    if let Some(m) = s.memory_mib {
        el = el.text("memory", m * MIB);
    }
    if let Some(b) = s.memory_balloon {
        el = el.child(El::new("memory_policy").text("ballooning", b));
    }
    if let Some(v) = s.soundcard_enabled {
        el = el.text("soundcard_enabled", v);
    }
    el = el.text("status", "ok");
    if let Some(v) = s.usb_enabled {
        el = el.child(El::new("usb").text("enabled", v));
    }
    if let Some(h) = s.headless {
        el = el.child(El::new("vireo").text("headless", h));
    }
    el
}

/// Applies a request to (name, description, spec).
fn read(obj: &Obj, it: &mut InstanceTypeOption) -> Result<(), Fault> {
    obj.allow(&[ELEMENTS, IGNORED_ELEMENTS, &["high_availability"]].concat())?;
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
