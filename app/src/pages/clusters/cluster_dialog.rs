use crate::api::clusters::SaveCluster;
use crate::components::error_notice::{field_errors, other_field_errors};
use crate::components::modal::{DialogBody, Modal};
use crate::domain::vm_config::CompatVersion;
use crate::models::{ClusterView, DataCenterView};
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The fields this dialog shows errors beside; any other field's message is shown at the end.
const FIELDS: &[&str] = &["name", "data_center", "compat_version", "cpu_arch"];

/// New/Edit Cluster: General (data center, name, compatibility version, CPU architecture) and
/// Optimization (KSM, memory ballooning — turning KSM off here meets recommendation R4 for every VM
/// of the cluster). Posts to the `save_cluster` server function, so it works as a plain form too.
/// `data_centers`: the choices for the cluster's data center.
#[component]
pub fn ClusterDialog(
    cluster: Option<ClusterView>,
    data_centers: Vec<DataCenterView>,
    on_saved: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let action = ServerAction::<SaveCluster>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            on_saved();
        }
    });
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let field_error = move |field: &'static str| move || field_errors(error.get(), field);
    let editing = cluster.is_some();
    let c = cluster.unwrap_or(ClusterView {
        id: uuid::Uuid::nil(),
        name: String::new(),
        description: String::new(),
        data_center_id: uuid::Uuid::nil(),
        data_center_name: String::new(),
        compat_version: CompatVersion::LATEST,
        cpu_arch: "x86_64".into(),
        ksm_enabled: true,
        ballooning_enabled: true,
        host_count: 0,
        vm_count: 0,
        version: 0,
    });
    // A new cluster goes where the service would put one that names none: the only data center,
    // else the one called "Default".
    let chosen_dc = if editing {
        Some(c.data_center_id)
    } else if data_centers.len() == 1 {
        data_centers.first().map(|d| d.id)
    } else {
        data_centers.iter().find(|d| d.name == "Default").map(|d| d.id)
    };
    let dc_options = data_centers
        .into_iter()
        .map(|d| {
            view! {
                <option value=d.id.to_string() selected=Some(d.id) == chosen_dc>
                    {d.name}
                </option>
            }
        })
        .collect_view();
    let versions = CompatVersion::SUPPORTED
        .iter()
        .rev()
        .map(|v| {
            view! {
                <option value=v.to_string() selected=*v == c.compat_version>
                    {v.to_string()}
                </option>
            }
        })
        .collect_view();
    let arches = ["x86_64", "aarch64", "ppc64le"]
        .into_iter()
        .map(|a| {
            view! {
                <option value=a selected=a == c.cpu_arch>
                    {a}
                </option>
            }
        })
        .collect_view();
    let tab = RwSignal::new("general");
    view! {
        <Modal title=if editing { "Edit Cluster" } else { "New Cluster" } id="cluster-dialog" close_href="/clusters">
            <ActionForm action attr:class="form" attr:id="cluster-form">
                <DialogBody error close_href="/clusters" submit="OK">
                    {editing
                        .then(|| {
                            view! {
                                <input type="hidden" name="id" value=c.id.to_string() />
                                <input type="hidden" name="version" value=c.version.to_string() />
                            }
                        })}
                    <div class="side-tabs-layout">
                        <nav
                            class="side-tabs"
                            role="tablist"
                            aria-orientation="vertical"
                            aria-label="Cluster dialog sections"
                        >
                            {side_tab(tab, "general", "General")}
                            {side_tab(tab, "optimization", "Optimization")}
                        </nav>
                        <div class="tab-panels">
                            <TabPanel tab key="general" title="General">
                                <label for="cluster-data-center">"Data Center"</label>
                                <select id="cluster-data-center" name="data_center_id">
                                    {dc_options}
                                </select>
                                <p class="hint">
                                    "The cluster's version may not be below its data center's (see Data Centers)."
                                </p>
                                {field_error("data_center")}
                                <label for="cluster-name">"Name"</label>
                                <input
                                    id="cluster-name"
                                    name="name"
                                    type="text"
                                    required
                                    maxlength="64"
                                    value=c.name.clone()
                                />
                                {field_error("name")}
                                <label for="cluster-description">"Description"</label>
                                <input
                                    id="cluster-description"
                                    name="description"
                                    type="text"
                                    value=c.description.clone()
                                />
                                <label for="cluster-version">"Compatibility Version"</label>
                                <select id="cluster-version" name="compat_version">
                                    {versions}
                                </select>
                                <p class="hint">"High Performance and huge pages need 4.2 or later."</p>
                                {field_error("compat_version")}
                                <label for="cluster-arch">"CPU Architecture"</label>
                                <select id="cluster-arch" name="cpu_arch">
                                    {arches}
                                </select>
                                {field_error("cpu_arch")}
                                {move || other_field_errors(error.get(), FIELDS)}
                            </TabPanel>
                            <TabPanel tab key="optimization" title="Optimization">
                                {check_box("cluster-ksm", "ksm_enabled", c.ksm_enabled, "Enable KSM")}
                                <p class="hint">
                                    "Kernel same-page merging saves memory but adds latency; High Performance VMs want it off (R4)."
                                </p>
                                {check_box(
                                    "cluster-balloon",
                                    "ballooning_enabled",
                                    c.ballooning_enabled,
                                    "Enable Memory Balloon Optimization",
                                )}
                            </TabPanel>
                        </div>
                    </div>
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}

/// The side tab that shows panel `#cluster-<key>`.
fn side_tab(tab: RwSignal<&'static str>, key: &'static str, label: &'static str) -> impl IntoView {
    view! {
        <a
            role="tab"
            href=format!("#cluster-{key}")
            aria-selected=move || (tab.get() == key).to_string()
            on:click=move |ev| {
                ev.prevent_default();
                tab.set(key);
            }
        >
            {label}
        </a>
    }
}

/// A checkbox posted as `name=on` when checked, inside its label.
fn check_box(id: &'static str, name: &'static str, checked: bool, label: &'static str) -> impl IntoView {
    view! {
        <label class="check" for=id>
            <input id=id type="checkbox" name=name value="on" checked=checked />
            {label}
        </label>
    }
}

/// Panel `#cluster-<key>` with its title, shown while its tab is selected.
#[component]
fn TabPanel(tab: RwSignal<&'static str>, key: &'static str, title: &'static str, children: Children) -> impl IntoView {
    view! {
        <section role="tabpanel" class="tab-panel" id=format!("cluster-{key}") class:active=move || tab.get() == key>
            <h3 class="panel-title">{title}</h3>
            {children()}
        </section>
    }
}
