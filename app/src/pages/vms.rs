mod bulk;
pub(crate) mod details;
mod domain_xml_tab;
#[cfg(feature = "ssr")]
mod row_html;

use crate::api::grids::vm_grid;
use crate::authz::Permission;
use crate::components::config_dialog::ConfigDialogWhenOpen;
use crate::components::current_role::may;
use crate::components::disks_tab::DiskDialogs;
use crate::components::grid_controls::grid_href;
use crate::components::nics_tab::NicDialogs;
use crate::components::object_detail::{prefetch_object_detail, DetailPart, ObjectDetail};
use crate::components::object_grid::{class_when, data, Column, GridState, ObjectGrid, RowWriter};
use crate::components::toasts::{provide_toasts, ToastArea};
use crate::components::type_icon::TypeIcon;
use crate::domain::collections;
use crate::domain::draft::ConfigKind;
use crate::models::{GridQuery, VmRow};
use bulk::{provide_bulk_confirm, BulkConfirm, BulkToolbar, Selection};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use std::collections::BTreeMap;
use uuid::Uuid;

const PATH: &str = "/vms";

/// What a bulk operation is doing to each VM (shown in its row).
#[derive(Clone, Copy)]
pub struct Progress(pub RwSignal<BTreeMap<Uuid, (bool, String)>>);

pub fn uptime_text(secs: Option<i64>) -> String {
    match secs {
        None => String::new(),
        Some(s) if s < 60 => format!("{s} s"),
        Some(s) if s < 3600 => format!("{} min", s / 60),
        Some(s) if s < 86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        Some(s) => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// Virtual Machines: the grid (server-side search, sort, paging; state in the URL), multi-select
/// with a toolbar that follows the selection, the selected VM's sub-tabs, and the New/Edit dialog.
/// Rows update live (server-sent events) and in place.
#[component]
pub fn VmsPage() -> impl IntoView {
    vms_page(GridState::new("name", false, false, vm_grid))
}

/// The page around its grid state. Public so the rendering benchmark (`app/benches/grid_render.rs`)
/// renders exactly the page the server sends, with rows it makes up instead of `vm_grid`'s.
pub fn vms_page(grid: GridState<VmRow>) -> impl IntoView {
    let url = use_query_map();
    let selected = grid.selected;
    let tab = move || url.with(|q| q.get("tab")).unwrap_or_else(|| "general".into());
    let selection = Selection::new(selected.get_untracked().and_then(|s| Uuid::parse_str(&s).ok()));
    provide_context(selection);
    // Selecting a row (a link, or landing on a saved VM) makes it the toolbar's selection too.
    Effect::new(move |_| {
        if let Some(id) = selected.get().and_then(|s| Uuid::parse_str(&s).ok()) {
            selection.only(id);
        }
    });
    let progress = Progress(RwSignal::new(BTreeMap::new()));
    provide_context(progress);
    provide_toasts();
    provide_bulk_confirm();
    prefetch_object_detail();
    let on_done = Callback::new(move |_| grid.refetch());
    // Derived, so each is read where its reader is (inside the toolbar's Transition, which then
    // waits for the rows), and reading the resource by reference: copying the whole page on each
    // read (the toolbar's hidden fields read the query five times) was a tenth of the page's
    // server render (issue 16's profile). Only `rows` copies, and only the rows.
    let rows = Signal::derive(move || {
        grid.rows
            .with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).map(|p| p.rows.clone()))
            .unwrap_or_default()
    });
    // The page shown may differ from the URL's (the page holding a selected row).
    let shown = Signal::derive(move || GridQuery {
        page: grid
            .rows
            .with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).map_or(1, |p| p.page)),
        focus: None,
        ..grid.query.get()
    });
    view! {
        <ObjectGrid
            fields=collections::VMS
            title="Virtual Machines"
            label="Virtual machines"
            path=PATH
            noun="virtual machines"
            grid
            columns=columns(selection, progress)
            toolbar=move || {
                may(Permission::ManageVms)
                    .then(|| {
                        view! {
                            <Transition fallback=|| ()>
                                <BulkToolbar rows grid=shown selected on_done />
                            </Transition>
                        }
                    })
            }
            above=move || move || {
                url.with(|q| q.get("notice"))
                    .map(|n| {
                        view! {
                            <div class="alert alert-info" role="status" data-testid="bulk-notice">
                                {n}
                            </div>
                        }
                    })
            }
            row_id=|v| v.id.to_string()
            row_attrs=move |v: &VmRow| {
                let id = v.id;
                vec![
                    data("data-type", v.optimized_for.as_str()),
                    data("data-status", v.status.as_str()),
                    class_when("checked", move || selection.has(id)),
                ]
            }
            row_html=rows_as_text(selection)
            // The selected VM's sub-tabs: below the table (ObjectGrid puts the dialogs first).
            below=move || {
                view! {
                    <Transition fallback=|| ()>
                        {move || {
                            grid.rows
                                .with(Option::is_some)
                                .then(|| {
                                    view! {
                                        {selected
                                            .get()
                                            .map(|id| {
                                                let row = rows
                                                    .with(|rows| rows.iter().find(|r| r.id.to_string() == id).cloned());
                                                let part = DetailPart::Vm {
                                                    id,
                                                    row,
                                                    tab: tab(),
                                                    grid: shown.get(),
                                                };
                                                view! { <ObjectDetail part /> }
                                            })}
                                        <BulkConfirm rows grid=shown on_done />
                                    }
                                })
                        }}
                    </Transition>
                }
            }
            placeholder="Search: words, type:high_performance status:up cluster:Default host:… pool:…"
            hint="Words match names and descriptions; add field:value terms (type, status, cluster, host, pool, template)."
            empty="No virtual machines match."
        >
            <ConfigDialogWhenOpen kind=ConfigKind::Vm />
            <DiskDialogs kind=ConfigKind::Vm />
            <NicDialogs kind=ConfigKind::Vm />
            <ToastArea />
        </ObjectGrid>
    }
}

/// The server writes the rows as text (`row_html.rs`: the same HTML as `columns`, issue 16).
#[cfg(feature = "ssr")]
fn rows_as_text(selection: Selection) -> Option<RowWriter<VmRow>> {
    Some(row_html::vm_row_html(selection))
}

#[cfg(not(feature = "ssr"))]
fn rows_as_text(_: Selection) -> Option<RowWriter<VmRow>> {
    None
}

fn columns(selection: Selection, progress: Progress) -> Vec<Column<VmRow>> {
    vec![
        Column::custom(
            move |rows: &[VmRow]| {
                let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
                let page_ids = ids.clone();
                let all_checked = move || !page_ids.is_empty() && page_ids.iter().all(|id| selection.has(*id));
                view! {
                    <th scope="col" class="check-col">
                        <input type="checkbox" aria-label="Select all on this page" prop:checked=all_checked
                            on:change=move |ev| selection.set_all(&ids, event_target_checked(&ev)) />
                    </th>
                }
            },
            move |v: &VmRow, ctx| {
                let id = v.id;
                view! {
                    <td class="check-col">
                        <input type="checkbox" name="ids" value=id.to_string() form="vm-bulk"
                            aria-label=format!("Select {}", v.name) checked=ctx.selected prop:checked=move || selection.has(id)
                            on:change=move |ev| selection.set(id, event_target_checked(&ev)) />
                    </td>
                }
            },
        ),
        Column::sorted("Type", "type", |v: &VmRow| {
            view! {
                <td><TypeIcon kind=v.optimized_for stateless=v.stateless next_run=v.next_run in_pool=v.pool_name.is_some() /></td>
            }
        }),
        Column::sorted("Status", "status", move |v: &VmRow| {
            let id = v.id;
            let op = move || progress.0.with(|p| p.get(&id).cloned());
            view! {
                <td>
                    <span class=format!("status status-{}", v.status)>{v.status.label()}</span>
                    {move || op().map(|(ok, text)| view! {
                        <span class=if ok { "op op-ok" } else { "op op-error" } data-testid="op">{text}</span>
                    })}
                </td>
            }
        }),
        Column::with_ctx("Name", Some("name"), move |v: &VmRow, ctx| {
            let id = v.id;
            view! { <td><a href=ctx.href.clone() on:click=move |_| selection.only(id)>{v.name.clone()}</a></td> }
        }),
        Column::desc("Description", "description", |v: &VmRow| v.description.clone()),
        Column::text("Cluster", "cluster", |v: &VmRow| v.cluster_name.clone()),
        Column::text("Host", "host", |v: &VmRow| v.host_name.clone().unwrap_or_default()),
        Column::text("Template", "template", |v: &VmRow| v.template_name.clone()),
        Column::text("Pool", "pool", |v: &VmRow| v.pool_name.clone().unwrap_or_default()),
        Column::num("Memory", "memory", |v: &VmRow| format!("{} MiB", v.memory_mib)),
        Column::num("vCPUs", "vcpus", |v: &VmRow| v.vcpus),
        Column::text("Uptime", "uptime", |v: &VmRow| uptime_text(v.uptime_secs)),
        Column::plain(
            "IP Addresses",
            |v: &VmRow| view! { <td class="mono" data-col="ip-addresses">{v.ip_addresses.clone()}</td> },
        ),
    ]
}
