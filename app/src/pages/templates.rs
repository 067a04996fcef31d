pub(crate) mod detail;

use crate::api::grids::template_grid;
use crate::components::config_dialog::ConfigDialogWhenOpen;
use crate::components::disks_tab::DiskDialogs;
use crate::components::grid_controls::grid_href;
use crate::components::nics_tab::NicDialogs;
use crate::components::object_detail::{prefetch_object_detail, DetailPart, ObjectDetail};
use crate::components::object_grid::{data, Column, GridState, ObjectGrid};
use crate::components::object_toolbar::ObjectToolbar;
use crate::components::type_icon::TypeIcon;
use crate::domain::collections;
use crate::domain::draft::ConfigKind;
use crate::models::TemplateView;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let url = use_query_map();
    let grid = GridState::new("name", false, false, template_grid);
    prefetch_object_detail();
    let columns = vec![
        Column::sorted(
            "Type",
            "type",
            |t: &TemplateView| view! { <td><TypeIcon kind=t.optimized_for stateless=t.stateless /></td> },
        ),
        Column::link("Name", "name", |t: &TemplateView| t.name.clone()),
        Column::desc("Description", "description", |t: &TemplateView| t.description.clone()),
        Column::text("Cluster", "cluster", |t: &TemplateView| {
            t.cluster_name.clone().unwrap_or_else(|| "—".into())
        }),
        Column::num("Memory", "memory", |t: &TemplateView| format!("{} MiB", t.memory_mib)),
        Column::num("vCPUs", "vcpus", |t: &TemplateView| t.vcpus),
    ];
    view! {
        <ObjectGrid
            fields=collections::TEMPLATES
            title="Templates"
            path="/templates"
            noun="templates"
            grid
            columns
            toolbar=move || view! { <ObjectToolbar kind=ConfigKind::Template selected=grid.selected /> }
            row_id=|t| t.id.to_string()
            row_attrs=|t: &TemplateView| vec![data("data-type", t.optimized_for.as_str())]
            detail=move |template: TemplateView| {
                let base = grid_href("/templates", &grid.query.get(), Some(&template.id.to_string()), |_| {});
                let tab = url.with(|q| q.get("tab")).unwrap_or_default();
                let part = DetailPart::Template {
                    template,
                    base,
                    tab,
                };
                view! { <ObjectDetail part /> }.into_any()
            }
            placeholder="Search: words, type:high_performance cluster:Default"
            hint="Words match names and descriptions; add type: or cluster: terms."
            empty="No templates match. Use New to create one."
        >
            <ConfigDialogWhenOpen kind=ConfigKind::Template />
            <DiskDialogs kind=ConfigKind::Template />
            <NicDialogs kind=ConfigKind::Template />
        </ObjectGrid>
    }
}
