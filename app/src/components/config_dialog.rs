//! The New/Edit dialog for VMs, Templates and Pools: side tabs General (with Instance Images),
//! (Pool,) Console, Host, High Availability, Resource Allocation, Boot Options; the change list; the
//! recommendations review.
//!
//! Works hydrated and with JavaScript off. Its state lives in the URL when it must survive a round
//! trip: `?dialog=new|edit&id=…` opens it; a plain form post sends the whole draft, and the server
//! answers by redirecting back with the draft's fields in the query (`draft=1&…`), plus `err=` or
//! `review=1`. Hydrated, the same form is driven in the browser (rules run in wasm) and talks to the
//! `preview` / `save` server functions.

mod actions;
mod change_list;
mod inputs;
mod instance_images;
mod nics;
mod review;
mod state;
mod tabs {
    pub mod boot_options;
    pub mod console;
    pub mod general;
    pub mod high_availability;
    pub mod host;
    pub mod pool;
    pub mod resource_allocation;
}

use crate::api::configs::{get_dialog_options, get_rule_context, load_draft, new_draft, preview_draft};
use crate::api::networks::{default_vnic_profile, list_vnic_profiles, new_nic_id};
use crate::api::storage::new_disk_id;
use crate::components::error_notice::ErrorNotice;
use crate::components::modal::Modal;
use crate::components::split_data::{from_text, load_as_text};
use crate::components::split_part::split_part;
use crate::domain::dialog::refresh;
use crate::domain::draft::{add_new_disk, default_boot_disk, form_new_disk, from_pairs, ConfigKind, NewDisk, VmDraft};
use crate::domain::fields::DialogTab;
use crate::domain::numa::{follow_resize, respread_change, Resize};
use crate::domain::profile::Change;
use crate::domain::recommendations::Recommendation;
use crate::domain::rule_context::RuleContext;
use crate::error::{AppError, FieldError};
use crate::models::DialogOptions;
use actions::SaveButton;
use change_list::ChangeList;
use leptos::ev::MouseEvent;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use review::Review;
use state::DialogState;
use tabs::{
    boot_options::BootOptionsTab, console::ConsoleTab, general::GeneralTab, high_availability::HighAvailabilityTab,
    host::HostTab, pool::PoolTab, resource_allocation::ResourceAllocationTab,
};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DialogInit {
    options: DialogOptions,
    draft: VmDraft,
    ctx: RuleContext,
    changes: Vec<Change>,
    errors: Vec<FieldError>,
    notice: Option<AppError>,
    review: Option<Vec<Recommendation>>,
    running: bool,
    pending_next_run: Vec<String>,
    /// The boot disk block's disk (see `DialogState::spare_disk`).
    spare_disk: Option<NewDisk>,
    /// The default vNIC profile of the draft's cluster (where an added NIC goes).
    default_profile: Option<Uuid>,
}

async fn load(kind: ConfigKind, q: ParamsMap) -> Result<DialogInit, AppError> {
    let mut options = get_dialog_options().await?;
    if options.vnic_profiles.is_empty() {
        // Profiles are an addition to the options; without them the NICs offer only "<Empty>".
        options.vnic_profiles = list_vnic_profiles().await.unwrap_or_default();
    }
    let mut errors = Vec::new();
    let mut running = false;
    let mut pending_next_run = Vec::new();
    let mut inherited = None;
    let mut spare_disk = None;
    let from_form = q.get("draft").as_deref() == Some("1");
    let mut draft = if from_form {
        // A round trip of the plain form: the draft is in the query.
        let pairs: Vec<(String, String)> = q.clone().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let (mut draft, parse_errors) = from_pairs(&pairs);
        errors.extend(parse_errors);
        spare_disk = form_new_disk(&pairs).map(|(disk, _)| disk);
        // A new object whose template select changed inherits from the new template.
        if draft.id.is_none() && draft.template_id.is_some() && draft.template_id != draft.applied_template {
            let fresh = new_draft(kind.as_str().to_string(), draft.template_id.map(|t| t.to_string())).await?;
            inherited = options
                .templates
                .iter()
                .find(|t| Some(t.id) == draft.template_id)
                .map(|t| {
                    Change::new(
                        "template_id",
                        String::new(),
                        t.name.clone(),
                        format!(
                            "Inherited Optimized for ({}) and every setting from the template",
                            fresh.applied_profile.label()
                        ),
                    )
                });
            // The boot disk stays for a template without disks; one with disks gives its own.
            let new_disks = std::mem::take(&mut draft.new_disks);
            draft.config = fresh.config;
            if draft.config.disks.is_empty() {
                for disk in new_disks {
                    add_new_disk(&mut draft, disk);
                }
            }
            draft.applied_profile = fresh.applied_profile;
            draft.applied_template = fresh.applied_template;
            draft.cluster_id = fresh.cluster_id.or(draft.cluster_id);
        }
        draft
    } else if q.get("dialog").as_deref() == Some("edit") {
        let id = q.get("id").unwrap_or_default();
        let env = load_draft(kind.as_str().to_string(), id).await?;
        running = env.running;
        pending_next_run = env.pending_next_run;
        env.draft
    } else {
        let mut draft = new_draft(kind.as_str().to_string(), q.get("template_id")).await?;
        // "Create boot disk", ticked for an object without disks when there is somewhere to put it.
        // Its id is chosen on the server now and travels with the dialog from here on.
        // The first domain on a host of the draft's cluster (where the VM will run), else the first.
        let in_cluster = |host: Uuid| {
            options
                .hosts
                .iter()
                .any(|h| h.id == host && Some(h.cluster_id) == draft.cluster_id)
        };
        let domain = options
            .storage_domains
            .iter()
            .find(|sd| in_cluster(sd.host_id))
            .or(options.storage_domains.first());
        if let (true, Some(domain)) = (kind != ConfigKind::Pool, domain) {
            let disk = default_boot_disk(new_disk_id().await?, domain.id);
            if draft.config.disks.is_empty() {
                add_new_disk(&mut draft, disk.clone());
            }
            spare_disk = Some(disk);
        }
        draft
    };
    let default_profile = default_vnic_profile(draft.cluster_id.map(|c| c.to_string()).unwrap_or_default())
        .await
        .ok()
        .flatten();
    if from_form && draft.id.is_none() {
        // The plain form's + and − (`op`), and a cluster chosen with "Update": NICs follow it.
        if let Some(op) = q.get("op") {
            let new_id = if op == "nic_add" {
                new_nic_id().await?
            } else {
                Uuid::nil()
            };
            nics::apply_nic_op(&mut draft, &op, new_id, default_profile);
        }
        let in_cluster: Vec<Uuid> = nics::cluster_profiles(&options.vnic_profiles, draft.cluster_id)
            .iter()
            .map(|p| p.id)
            .collect();
        nics::retarget_nics(&mut draft.config.nics, &in_cluster, default_profile);
    }
    let ctx = get_rule_context(
        draft.cluster_id.map(|c| c.to_string()),
        draft.config.os_type.clone(),
        draft.id.map(|i| i.to_string()),
    )
    .await?;
    let instance = draft
        .instance_type_id
        .and_then(|id| options.instance_types.iter().find(|i| i.id == id).cloned());
    let mut r = refresh(&draft, &ctx, instance.as_ref().map(|i| (i.name.as_str(), &i.spec)));
    errors.extend(r.blocked);
    // The plain form's round trip: vNUMA nodes follow a memory or vCPU change against the stored
    // configuration, as the save will (the hydrated dialog does this as the fields change).
    let mut numa_change = None;
    if let (true, Some(id), false) = (from_form, r.draft.id, r.draft.config.numa_nodes.is_empty()) {
        let stored = load_draft(kind.as_str().to_string(), id.to_string())
            .await?
            .draft
            .config;
        match follow_resize(&stored, &mut r.draft.config) {
            Resize::Unchanged => {}
            Resize::Respread => numa_change = Some(respread_change(&stored.numa_nodes, &r.draft.config.numa_nodes)),
            Resize::Refused(e) => errors.push(e),
        }
    }
    let mut notice = None;
    if let Some(err) = q.get("err").and_then(|e| serde_json::from_str::<AppError>(&e).ok()) {
        match err {
            AppError::Validation { errors: e } => errors.extend(e),
            other => notice = Some(other),
        }
    }
    let review = if q.get("review").as_deref() == Some("1") && errors.is_empty() {
        let p = preview_draft(r.draft.clone()).await?;
        errors.extend(p.errors);
        pending_next_run.extend(p.pending_restart);
        Some(p.recommendations)
    } else {
        None
    };
    let changes = inherited.into_iter().chain(r.changes).chain(numa_change).collect();
    Ok(DialogInit {
        options,
        draft: r.draft,
        ctx,
        changes,
        errors,
        notice,
        review,
        running,
        pending_next_run,
        spare_disk,
        default_profile,
    })
}

/// A VM, Template or Pool page's New/Edit dialog, there while the URL names a `dialog`.
#[component]
pub fn ConfigDialogWhenOpen(kind: ConfigKind) -> impl IntoView {
    let url = use_query_map();
    // The page hydrates without the dialog's code (`dialog_form`); it is fetched once the page is
    // interactive, so the first New or Edit opens as fast as the next. A failed fetch is left for
    // the dialog to retry and report. Effects run in the browser only.
    crate::components::object_detail::prefetch_when_interactive(preload_dialog_form);
    view! {
        <Show when=move || {
            url.with(|q| q.get("dialog").is_some())
        }>{split_part(move || dialog_form(kind), move |error| cannot_open(kind, error))}</Show>
    }
}

/// The dialog: its data, its form with the tabs, and the rules it runs as the user types: a large
/// part of the browser's code that a grid page does not need until a dialog opens. It is a split
/// point: in the browser's build, `scripts/build.sh` moves it and what only it reaches into a wasm
/// chunk of its own, fetched after the page hydrated (`ConfigDialogWhenOpen`) or when a dialog
/// opens, whichever is first (`hydrate` fetches it first when a page arrives with a dialog open).
/// A failed download is an error the dialog shows, not a panic, and is tried again on the next
/// open. On the server it is a plain call.
#[leptos::wasm_split::wasm_split(
    vireo_dialog_form,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(#[doc(hidden)] preload_dialog_form)
)]
pub fn dialog_form(kind: ConfigKind) -> Result<AnyView, AppError> {
    Ok(view! { <ConfigDialog kind /> }.into_any())
}

/// Opens when the page's URL says `dialog=new` or `dialog=edit`.
#[component]
fn ConfigDialog(kind: ConfigKind) -> impl IntoView {
    let query = use_query_map();
    // The dialog's data (`load`) as JSON text (`split_data`: the resource's type is one the main
    // part has anyway).
    let data = Resource::new(move || query.get(), move |q| load_as_text(load(kind, q)));
    view! {
        <Suspense fallback=|| {
            view! {
                <div class="modal-backdrop">
                    <p class="modal loading">"Opening…"</p>
                </div>
            }
        }>
            {move || Suspend::new(async move {
                match data.await.and_then(|text| from_text::<DialogInit>(&text)) {
                    Ok(init) => view! { <DialogForm kind init /> }.into_any(),
                    Err(error) => cannot_open(kind, error),
                }
            })}
        </Suspense>
    }
}

/// What an open dialog shows when it cannot: the data did not load, or its code did not download.
fn cannot_open(kind: ConfigKind, error: AppError) -> AnyView {
    crate::components::modal::cannot_open("config-dialog-error", kind.page().to_string(), error)
}

fn title(kind: ConfigKind, editing: bool) -> String {
    let noun = match kind {
        ConfigKind::Vm => "Virtual Machine",
        ConfigKind::Template => "Template",
        ConfigKind::Pool => "Pool",
    };
    format!("{} {noun}", if editing { "Edit" } else { "New" })
}

#[component]
fn DialogForm(kind: ConfigKind, init: DialogInit) -> impl IntoView {
    let editing = init.draft.id.is_some();
    let first_error_tab = init.errors.first().map(|e| crate::domain::fields::tab_of(&e.field));
    let s = DialogState {
        draft: RwSignal::new(init.draft),
        options: RwSignal::new(init.options),
        ctx: RwSignal::new(Some(init.ctx)),
        changes: RwSignal::new(init.changes),
        errors: RwSignal::new(init.errors),
        notice: RwSignal::new(init.notice),
        review: RwSignal::new(init.review),
        tab: RwSignal::new(first_error_tab.unwrap_or(DialogTab::General)),
        busy: RwSignal::new(false),
        running: StoredValue::new(init.running),
        pending_next_run: StoredValue::new(init.pending_next_run),
        spare_disk: RwSignal::new(init.spare_disk),
    };
    provide_context(s);
    provide_context(nics::ClusterDefault(RwSignal::new(init.default_profile)));
    actions::follow_numa_resizes(s);
    let navigate = use_navigate();
    let page = kind.page();
    let done = Callback::new(move |id: Uuid| navigate(&format!("{page}?selected={id}"), Default::default()));

    let tabs: Vec<DialogTab> = DialogTab::ALL
        .into_iter()
        .filter(|t| *t != DialogTab::Pool || kind == ConfigKind::Pool)
        .collect();
    let tab_list = tabs
        .iter()
        .map(|t| {
            let t = *t;
            let marked = move || s.tabs_with_errors().contains(&t);
            view! {
                <a
                    role="tab"
                    href=format!("#tab-{}", t.id())
                    id=format!("tab-link-{}", t.id())
                    aria-selected=move || (s.tab.get() == t).to_string()
                    aria-controls=format!("tab-{}", t.id())
                    data-has-errors=move || marked().to_string()
                    on:click=move |ev: MouseEvent| {
                        ev.prevent_default();
                        s.tab.set(t);
                    }
                >
                    {t.label()}
                    <Show when=marked>
                        <span class="tab-error" title="This tab has errors">
                            " !"
                        </span>
                    </Show>
                </a>
            }
        })
        .collect_view();
    let panel = move |t: DialogTab, body: AnyView| {
        view! {
            <section
                role="tabpanel"
                class="tab-panel"
                id=format!("tab-{}", t.id())
                aria-labelledby=format!("tab-link-{}", t.id())
                class:active=move || s.tab.get() == t
            >
                <h3 class="panel-title">{t.label()}</h3>
                {body}
            </section>
        }
    };
    let running_note = s.running.get_value().then(|| {
        view! {
            <div class="alert alert-info" role="status">
                "This VM is running: changes to most settings are saved as its next-run configuration and applied when it next starts. Name, description and high availability apply at once."
            </div>
        }
    });
    let pending = s.pending_next_run.get_value();
    let pending_note = (!pending.is_empty()).then(|| {
        view! {
            <div class="alert alert-warning" role="status">
                {format!("Waiting for the next start: {}.", pending.join(", "))}
            </div>
        }
    });
    let (hidden_kind, hidden_dialog) = (kind.as_str(), if editing { "edit" } else { "new" });
    let hidden = move |name: &'static str, get: fn(&VmDraft) -> String| {
        view! { <input type="hidden" name=name value=s.draft.with_untracked(get) prop:value=move || s.draft.with(get) /> }
    };

    view! {
        <Modal title=title(kind, editing) id="config-dialog" close_href=page>
            <form class="config-form" method="get" action=page id="config-form" novalidate>
                <input type="hidden" name="dialog" value=hidden_dialog />
                <input type="hidden" name="draft" value="1" />
                <input type="hidden" name="kind" value=hidden_kind />
                {hidden("id", |d| d.id.map(|i| i.to_string()).unwrap_or_default())}
                {hidden("version", |d| d.version.map(|v| v.to_string()).unwrap_or_default())}
                {hidden("applied_profile", |d| d.applied_profile.as_str().to_string())}
                {hidden("applied_template", |d| d.applied_template.map(|t| t.to_string()).unwrap_or_default())}
                <div class="modal-body dialog-body">
                    {move || s.notice.get().map(|error| view! { <ErrorNotice error /> })} {running_note} {pending_note}
                    <ChangeList />
                    <p class="js-off-only hint">
                        "Without JavaScript, choose Cluster, Template, Operating System, Optimized for or Instance Type and press "
                        <button type="submit" class="btn" name="op" value="refresh">
                            "Update"
                        </button> " to apply what follows from them."
                    </p> <div class="side-tabs-layout">
                        <nav class="side-tabs" role="tablist" aria-orientation="vertical" aria-label="Dialog sections">
                            {tab_list}
                        </nav>
                        <div class="tab-panels">
                            {panel(DialogTab::General, view! { <GeneralTab kind /> }.into_any())}
                            {(kind == ConfigKind::Pool)
                                .then(|| panel(DialogTab::Pool, view! { <PoolTab /> }.into_any()))}
                            {panel(DialogTab::Console, view! { <ConsoleTab /> }.into_any())}
                            {panel(DialogTab::Host, view! { <HostTab /> }.into_any())}
                            {panel(DialogTab::HighAvailability, view! { <HighAvailabilityTab /> }.into_any())}
                            {panel(DialogTab::ResourceAllocation, view! { <ResourceAllocationTab /> }.into_any())}
                            {panel(DialogTab::BootOptions, view! { <BootOptionsTab /> }.into_any())}
                        </div>
                    </div>
                </div>
                <footer class="modal-footer">
                    <a class="btn" href=page>
                        "Cancel"
                    </a>
                    <SaveButton class="btn btn-primary" save=actions::ok done>
                        {move || if s.busy.get() { "Checking…" } else { "OK" }}
                    </SaveButton>
                </footer>
                <Review done />
            </form>
        </Modal>
    }
}
