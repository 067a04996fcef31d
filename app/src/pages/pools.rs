use crate::api::grids::pool_grid;
use crate::components::config_dialog::ConfigDialog;
use crate::components::object_grid::{data, Column, GridState, ObjectGrid};
use crate::components::object_toolbar::ObjectToolbar;
use crate::components::type_icon::TypeIcon;
use crate::domain::draft::ConfigKind;
use crate::models::PoolRow;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn PoolsPage() -> impl IntoView {
    let url = use_query_map();
    let grid = GridState::new("name", false, false, pool_grid);
    let columns = vec![
        Column::sorted(
            "Type",
            "type",
            |p: &PoolRow| view! { <td><TypeIcon kind=p.optimized_for stateless=p.stateless in_pool=true /></td> },
        ),
        Column::link("Name", "name", |p: &PoolRow| p.name.clone()),
        Column::sorted(
            "Template",
            "template",
            |p: &PoolRow| view! { <td>{p.template_name.clone()}</td> },
        ),
        Column::sorted(
            "Cluster",
            "cluster",
            |p: &PoolRow| view! { <td>{p.cluster_name.clone()}</td> },
        ),
        Column::sorted("Size", "size", |p: &PoolRow| view! { <td class="num">{p.size}</td> }),
        Column::sorted(
            "Running VMs",
            "running",
            |p: &PoolRow| view! { <td class="num">{format!("{} of {}", p.running, p.vm_count)}</td> },
        ),
        Column::sorted(
            "Description",
            "description",
            |p: &PoolRow| view! { <td class="desc">{p.description.clone()}</td> },
        ),
    ];
    view! {
        <ObjectGrid title="Pools" path="/pools" noun="pools" grid columns
            toolbar=move || view! { <ObjectToolbar kind=ConfigKind::Pool selected=grid.selected /> }
            row_id=|p| p.id.to_string() row_attrs=|p: &PoolRow| vec![data("data-type", p.optimized_for.as_str())]
            placeholder="Search: words, type:… template:… cluster:…"
            hint="Words match names and descriptions; add type:, template: or cluster: terms."
            empty="No pools match. Use New to create one.">
            <Show when=move || url.with(|q| q.get("dialog").is_some())>
                <ConfigDialog kind=ConfigKind::Pool />
            </Show>
        </ObjectGrid>
    }
}
