mod domain_xml_tab;
mod vm_actions;

use crate::api::configs::list_vms;
use crate::components::config_dialog::ConfigDialog;
use crate::components::error_notice::ErrorNotice;
use crate::components::object_toolbar::ObjectToolbar;
use crate::domain::draft::ConfigKind;
use crate::models::VmRow;
use domain_xml_tab::DomainXmlTab;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use vm_actions::{VmActions, VmConfirm};

/// Virtual Machines: the grid, the selected VM's lifecycle actions and sub-tabs, and the New/Edit
/// dialog. Selection, sub-tab, dialog and confirmation all live in the URL.
#[component]
pub fn VmsPage() -> impl IntoView {
    let query = use_query_map();
    let selected = Signal::derive(move || query.with(|q| q.get("selected")));
    let tab = Signal::derive(move || query.with(|q| q.get("tab")).unwrap_or_else(|| "general".into()));
    let confirm = Signal::derive(move || query.with(|q| q.get("confirm")));
    let dialog = move || query.with(|q| q.get("dialog").is_some());
    let reload = RwSignal::new(0u32);
    // Refetched when the selection changes (a save lands on its object) or an action finished.
    let rows = Resource::new(move || (selected.get(), reload.get()), |_| list_vms());
    let on_done = Callback::new(move |_| reload.update(|n| *n += 1));
    view! {
        <Title text="Virtual Machines" />
        <div class="page">
            <div class="page-header">
                <h1>"Virtual Machines"</h1>
                <ObjectToolbar kind=ConfigKind::Vm selected />
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Loading virtual machines…"</p> }>
                {move || rows.get().map(|r| match r {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"No virtual machines yet. Use New to create one."</p> }.into_any(),
                    Ok(rows) => {
                        let chosen = selected.get().and_then(|id| rows.iter().find(|v| v.id.to_string() == id).cloned());
                        view! {
                            <VmGrid rows selected=selected.get() />
                            {chosen.clone().map(|vm| view! {
                                <VmDetail vm=vm.clone() tab=tab.get() on_done />
                            })}
                            {chosen.zip(confirm.get()).map(|(vm, what)| view! { <VmConfirm vm what on_done /> })}
                        }.into_any()
                    }
                })}
            </Suspense>
            <Show when=dialog>
                <ConfigDialog kind=ConfigKind::Vm />
            </Show>
        </div>
    }
}

#[component]
fn VmGrid(rows: Vec<VmRow>, selected: Option<String>) -> impl IntoView {
    view! {
        <table class="grid" id="vms-grid">
            <thead>
                <tr>
                    <th scope="col">"Type"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Cluster"</th>
                    <th scope="col">"Host"</th>
                    <th scope="col">"Template"</th>
                    <th scope="col">"Pool"</th>
                    <th scope="col">"Memory"</th>
                    <th scope="col">"vCPUs"</th>
                    <th scope="col">"Description"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|v| {
                    let is_selected = selected.as_deref() == Some(v.id.to_string().as_str());
                    let next_run = v.next_run.then_some(" · pending changes");
                    view! {
                        <tr data-id=v.id.to_string() data-type=v.optimized_for.as_str() data-status=v.status.clone()
                            aria-selected=is_selected.to_string() class:selected=is_selected>
                            <td><span class=format!("type-badge type-{}", v.optimized_for.as_str())>{v.optimized_for.label()}{next_run}</span></td>
                            <td><span class=format!("status status-{}", v.status)>{v.status.replace('_', " ")}</span></td>
                            <td><a href=format!("/vms?selected={}", v.id)>{v.name.clone()}</a></td>
                            <td>{v.cluster_name}</td>
                            <td>{v.host_name.unwrap_or_default()}</td>
                            <td>{v.template_name}</td>
                            <td>{v.pool_name.unwrap_or_default()}</td>
                            <td>{format!("{} MiB", v.memory_mib)}</td>
                            <td>{v.vcpus}</td>
                            <td>{v.description}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn VmDetail(vm: VmRow, tab: String, on_done: Callback<()>) -> impl IntoView {
    let base = format!("/vms?selected={}", vm.id);
    let tabs = [("general", "General"), ("domain-xml", "Domain XML")]
        .into_iter()
        .map(|(id, label)| {
            view! {
                <a role="tab" href=format!("{base}&tab={id}") aria-selected=(tab == id).to_string()>{label}</a>
            }
        })
        .collect_view();
    let body = if tab == "domain-xml" {
        view! { <DomainXmlTab id=vm.id.to_string() /> }.into_any()
    } else {
        view! {
            <dl class="facts">
                <div><dt>"Optimized for"</dt><dd>{vm.optimized_for.label()}</dd></div>
                <div><dt>"Status"</dt><dd data-testid="vm-status">{vm.status.replace('_', " ")}</dd></div>
                <div><dt>"Host"</dt><dd>{vm.host_name.clone().unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt>"Memory"</dt><dd>{format!("{} MiB", vm.memory_mib)}</dd></div>
                <div><dt>"vCPUs"</dt><dd>{vm.vcpus}</dd></div>
                <div><dt>"Stateless"</dt><dd>{if vm.stateless { "yes" } else { "no" }}</dd></div>
            </dl>
        }
        .into_any()
    };
    view! {
        <section class="detail" aria-label=format!("VM {}", vm.name)>
            <div class="detail-header">
                <h2>{vm.name.clone()}</h2>
                <VmActions vm=vm.clone() on_done />
            </div>
            <nav class="sub-tabs" role="tablist" aria-label="VM details">{tabs}</nav>
            <div role="tabpanel">{body}</div>
        </section>
    }
}
