use super::super::actions::{choose_template, refresh_now, reload_context};
use super::super::inputs::{
    config_check, config_select, enum_choices, pick_parsed, CheckField, Choice, NumberField, SelectField, TextField,
};
use super::super::instance_images::InstanceImages;
use super::super::nics::{cluster_profiles, retarget_nics, ClusterDefault, NetworkInterfaces};
use super::super::state::DialogState;
use crate::api::networks::default_vnic_profile;
use crate::domain::dialog::gate_context;
use crate::domain::draft::{reshape_to_total, ConfigKind};
use crate::domain::gates::profile_choices;
use crate::domain::vm_config::{MachineType, OptimizedFor};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

fn parse_uuid(v: &str) -> Option<Uuid> {
    Uuid::parse_str(v).ok()
}

#[component]
pub fn GeneralTab(kind: ConfigKind) -> impl IntoView {
    let s = expect_context::<DialogState>();
    let defaults = expect_context::<ClusterDefault>();
    let editing = s.draft.with_untracked(|d| d.id.is_some());

    let clusters = Signal::derive(move || {
        s.options.with(|o| {
            o.clusters
                .iter()
                .map(|c| Choice::new(c.id.to_string(), format!("{} ({})", c.name, c.compat_version)))
                .collect()
        })
    });
    let templates = Signal::derive(move || {
        s.options.with(|o| {
            o.templates
                .iter()
                .filter(|t| t.id != Uuid::nil() || kind != ConfigKind::Template)
                .map(|t| Choice::new(t.id.to_string(), format!("{} ({})", t.name, t.optimized_for.label())))
                .collect()
        })
    });
    let os_types = Signal::derive(move || {
        s.options.with(|o| {
            o.os_types
                .iter()
                .map(|t| Choice::new(t.id.clone(), t.name.clone()))
                .collect()
        })
    });
    let profiles = Signal::derive(move || {
        let gate = s.ctx.with(|c| c.as_ref().map(gate_context));
        match gate {
            Some(g) => profile_choices(&g)
                .into_iter()
                .map(|(p, reason)| Choice {
                    value: p.as_str().into(),
                    label: p.label().into(),
                    disabled: reason,
                })
                .collect(),
            None => OptimizedFor::ALL
                .iter()
                .map(|p| Choice::new(p.as_str(), p.label()))
                .collect(),
        }
    });
    let instance_types = Signal::derive(move || {
        let mut v = vec![Choice::new("", "Custom")];
        s.options.with(|o| {
            v.extend(
                o.instance_types
                    .iter()
                    .map(|i| Choice::new(i.id.to_string(), i.name.clone())),
            )
        });
        v
    });

    let pick_cluster = Callback::new(move |v: String| {
        let id = parse_uuid(&v);
        s.draft.update(|d| {
            d.cluster_id = id;
            // Hosts of another cluster cannot stay chosen.
            d.config.placement_hosts.clear();
        });
        reload_context(s);
        // NICs on another cluster's profiles move to the new cluster's default profile.
        spawn_local(async move {
            let default = default_vnic_profile(id.map(|c| c.to_string()).unwrap_or_default())
                .await
                .ok()
                .flatten();
            defaults.0.set(default);
            let in_cluster: Vec<Uuid> = s
                .options
                .with_untracked(|o| cluster_profiles(&o.vnic_profiles, id).iter().map(|p| p.id).collect());
            s.draft.update(|d| {
                retarget_nics(&mut d.config.nics, &in_cluster, default);
            });
        });
    });
    let pick_os = Callback::new(move |v: String| {
        s.draft.update(|d| d.config.os_type = v);
        reload_context(s);
    });
    let pick_profile = Callback::new(move |v: String| {
        if let Some(p) = OptimizedFor::parse(&v) {
            s.draft.update(|d| d.config.optimized_for = p);
            refresh_now(s);
        }
    });
    let pick_instance = Callback::new(move |v: String| {
        s.draft.update(|d| d.instance_type_id = parse_uuid(&v));
        refresh_now(s);
    });
    let pick_template = Callback::new(move |v: String| {
        if let Some(id) = parse_uuid(&v) {
            choose_template(s, kind, id);
        }
    });
    let vcpus_set: fn(&mut crate::domain::draft::VmDraft, u64) =
        |d, n| d.config.cpu = reshape_to_total(d.config.cpu, n as u32);

    view! {
        <TextField
            label="Name"
            name="name"
            field="name"
            get=|d| d.name.clone()
            set=|d, v| d.name = v
            hint="Letters, digits, '.', '_' and '-'; up to 64 characters."
        />
        <TextField
            label="Description"
            name="description"
            field="description"
            get=|d| d.description.clone()
            set=|d, v| d.description = v
        />
        <SelectField
            label="Cluster"
            name="cluster_id"
            field="cluster_id"
            choices=clusters
            get=|d| d.cluster_id.map(|c| c.to_string()).unwrap_or_default()
            on_pick=pick_cluster
        />
        {(kind != ConfigKind::Template)
            .then(|| {
                view! {
                    <SelectField
                        label="Template"
                        name="template_id"
                        field="template_id"
                        choices=templates
                        get=|d| d.template_id.map(|c| c.to_string()).unwrap_or_default()
                        on_pick=pick_template
                        hint=if editing {
                            "The template a VM was made from cannot change."
                        } else {
                            "The new object inherits Optimized for and every setting of its template."
                        }
                    />
                }
            })}
        <SelectField
            label="Operating System"
            name="os_type"
            field="os_type"
            choices=os_types
            get=|d| d.config.os_type.clone()
            on_pick=pick_os
        />
        <SelectField
            label="Optimized for"
            name="optimized_for"
            field="optimized_for"
            choices=profiles
            get=|d| d.config.optimized_for.as_str().to_string()
            on_pick=pick_profile
        />
        {(kind == ConfigKind::Vm)
            .then(|| {
                view! {
                    <SelectField
                        label="Instance Type"
                        name="instance_type_id"
                        field="instance_type_id"
                        choices=instance_types
                        get=|d| d.instance_type_id.map(|c| c.to_string()).unwrap_or_default()
                        on_pick=pick_instance
                        hint="An instance type sets memory and CPUs (and a few devices) after the profile."
                    />
                }
            })}
        <NumberField
            label="Memory Size"
            name="memory_mib"
            field="memory_mib"
            min=1
            hint="MiB"
            get=|d| d.config.memory_mib
            set=|d, v| d.config.memory_mib = v
        />
        <NumberField
            label="Total Virtual CPUs"
            name="vcpus"
            field="cpu"
            min=1
            get=|d| d.config.vcpus() as u64
            set=vcpus_set
        />
        <input
            type="hidden"
            name="vcpus_was"
            value=s.draft.with_untracked(|d| d.config.vcpus().to_string())
            prop:value=move || s.draft.with(|d| d.config.vcpus().to_string())
        />
        <div class="field-row">
            <NumberField
                label="Virtual Sockets"
                name="sockets"
                field="cpu.sockets"
                min=1
                get=|d| d.config.cpu.sockets as u64
                set=|d, v| d.config.cpu.sockets = v as u32
            />
            <NumberField
                label="Cores per Virtual Socket"
                name="cores"
                field="cpu.cores"
                min=1
                get=|d| d.config.cpu.cores as u64
                set=|d, v| d.config.cpu.cores = v as u32
            />
            <NumberField
                label="Threads per Core"
                name="threads"
                field="cpu.threads"
                min=1
                get=|d| d.config.cpu.threads as u64
                set=|d, v| d.config.cpu.threads = v as u32
            />
        </div>
        {config_check!("Stateless", stateless, hint = "Changes made while running are discarded at shutdown.")}
        {config_select!("Chipset", machine, MachineType)}
        <InstanceImages kind />
        <NetworkInterfaces editable=!editing && kind != ConfigKind::Pool pool=kind == ConfigKind::Pool />
    }
}
