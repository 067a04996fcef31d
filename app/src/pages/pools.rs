use crate::api::grids::pool_grid;
use crate::components::config_dialog::ConfigDialogWhenOpen;
use crate::components::object_grid::{data, Column, GridState, ObjectGrid};
use crate::components::object_toolbar::ObjectToolbar;
use crate::components::type_icon::TypeIcon;
use crate::domain::collections;
use crate::domain::draft::ConfigKind;
use crate::models::PoolRow;
use leptos::prelude::*;

#[component]
pub fn PoolsPage() -> impl IntoView {
    let grid = GridState::new("name", false, false, pool_grid);
    let columns = vec![
        Column::sorted(
            "Type",
            "type",
            |p: &PoolRow| view! { <td><TypeIcon kind=p.optimized_for stateless=p.stateless in_pool=true /></td> },
        ),
        Column::link("Name", "name", |p: &PoolRow| p.name.clone()),
        Column::text("Template", "template", |p: &PoolRow| p.template_name.clone()),
        Column::text("Cluster", "cluster", |p: &PoolRow| p.cluster_name.clone()),
        Column::num("Size", "size", |p: &PoolRow| p.size),
        Column::num("Running VMs", "running", |p: &PoolRow| {
            format!("{} of {}", p.running, p.vm_count)
        }),
        Column::desc("Description", "description", |p: &PoolRow| p.description.clone()),
    ];
    view! {
        <ObjectGrid
            fields=collections::POOLS
            title="Pools"
            path="/pools"
            noun="pools"
            grid
            columns
            toolbar=move || view! { <ObjectToolbar kind=ConfigKind::Pool selected=grid.selected /> }
            row_id=|p| p.id.to_string()
            row_attrs=|p: &PoolRow| vec![data("data-type", p.optimized_for.as_str())]
            placeholder="Search: words, type:… template:… cluster:…"
            hint="Words match names and descriptions; add type:, template: or cluster: terms."
            empty="No pools match. Use New to create one."
        >
            <ConfigDialogWhenOpen kind=ConfigKind::Pool />
        </ObjectGrid>
    }
}
