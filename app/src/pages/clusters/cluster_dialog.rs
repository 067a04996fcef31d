use crate::api::clusters::SaveCluster;
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use crate::domain::vm_config::CompatVersion;
use crate::models::ClusterView;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// New/Edit Cluster: General (name, compatibility version, CPU architecture) and Optimization (KSM,
/// memory ballooning — turning KSM off here meets recommendation R4 for every VM of the cluster).
/// Posts to the `save_cluster` server function, so it works as a plain form too.
#[component]
pub fn ClusterDialog(cluster: Option<ClusterView>, on_saved: impl Fn() + Send + Sync + 'static) -> impl IntoView {
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
        compat_version: CompatVersion::LATEST,
        cpu_arch: "x86_64".into(),
        ksm_enabled: true,
        ballooning_enabled: true,
        host_count: 0,
        vm_count: 0,
        version: 0,
    });
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
                            <a
                                role="tab"
                                href="#cluster-general"
                                aria-selected=move || (tab.get() == "general").to_string()
                                on:click=move |ev| {
                                    ev.prevent_default();
                                    tab.set("general");
                                }
                            >
                                "General"
                            </a>
                            <a
                                role="tab"
                                href="#cluster-optimization"
                                aria-selected=move || (tab.get() == "optimization").to_string()
                                on:click=move |ev| {
                                    ev.prevent_default();
                                    tab.set("optimization");
                                }
                            >
                                "Optimization"
                            </a>
                        </nav>
                        <div class="tab-panels">
                            <section
                                role="tabpanel"
                                class="tab-panel"
                                id="cluster-general"
                                class:active=move || tab.get() == "general"
                            >
                                <h3 class="panel-title">"General"</h3>
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
                            </section>
                            <section
                                role="tabpanel"
                                class="tab-panel"
                                id="cluster-optimization"
                                class:active=move || tab.get() == "optimization"
                            >
                                <h3 class="panel-title">"Optimization"</h3>
                                <label class="check" for="cluster-ksm">
                                    <input
                                        id="cluster-ksm"
                                        type="checkbox"
                                        name="ksm_enabled"
                                        value="on"
                                        checked=c.ksm_enabled
                                    />
                                    "Enable KSM"
                                </label>
                                <p class="hint">
                                    "Kernel same-page merging saves memory but adds latency; High Performance VMs want it off (R4)."
                                </p>
                                <label class="check" for="cluster-balloon">
                                    <input
                                        id="cluster-balloon"
                                        type="checkbox"
                                        name="ballooning_enabled"
                                        value="on"
                                        checked=c.ballooning_enabled
                                    />
                                    "Enable Memory Balloon Optimization"
                                </label>
                            </section>
                        </div>
                    </div>
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
