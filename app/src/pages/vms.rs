mod bulk;
pub(crate) mod details;
mod domain_xml_tab;
mod row_html;

use crate::api::grids::vm_grid;
use crate::authz::Permission;
use crate::components::config_dialog::ConfigDialogWhenOpen;
use crate::components::current_role::may;
use crate::components::disks_tab::DiskDialogs;
use crate::components::grid_controls::grid_href;
use crate::components::nics_tab::NicDialogs;
use crate::components::object_detail::{prefetch_object_detail, DetailPart, ObjectDetail};
use crate::components::object_grid::{Column, GridState, ObjectGrid};
use crate::components::toasts::{provide_toasts, ToastArea};
use crate::domain::collections;
use crate::domain::draft::ConfigKind;
use crate::models::{GridQuery, VmRow};
pub(crate) use bulk::preload_bulk;
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
            columns=columns(selection)
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
            row_html=Some(row_html::vm_rows(selection, progress))
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

/// The columns' headers; the rows are HTML text (`row_html.rs`, issue 16), a cell per column.
fn columns(selection: Selection) -> Vec<Column<VmRow>> {
    vec![
        Column::custom_head(move |rows: &[VmRow]| {
            let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
            let page_ids = ids.clone();
            let all_checked = move || !page_ids.is_empty() && page_ids.iter().all(|id| selection.has(*id));
            view! {
                <th scope="col" class="check-col">
                    <input type="checkbox" aria-label="Select all on this page" prop:checked=all_checked
                        on:change=move |ev| selection.set_all(&ids, event_target_checked(&ev)) />
                </th>
            }
        }),
        Column::head("Type", Some("type")),
        Column::head("Status", Some("status")),
        Column::head("Name", Some("name")),
        Column::head("Description", Some("description")),
        Column::head("Cluster", Some("cluster")),
        Column::head("Host", Some("host")),
        Column::head("Template", Some("template")),
        Column::head("Pool", Some("pool")),
        Column::head("Memory", Some("memory")),
        Column::head("vCPUs", Some("vcpus")),
        Column::head("Uptime", Some("uptime")),
        Column::head("IP Addresses", None),
    ]
}
