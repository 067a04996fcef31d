use crate::api::grids::template_grid;
use crate::components::config_dialog::ConfigDialog;
use crate::components::object_grid::{data, Column, GridState, ObjectGrid};
use crate::components::object_toolbar::ObjectToolbar;
use crate::components::type_icon::TypeIcon;
use crate::domain::draft::ConfigKind;
use crate::models::TemplateView;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let url = use_query_map();
    let grid = GridState::new("name", false, false, template_grid);
    let columns = vec![
        Column::sorted(
            "Type",
            "type",
            |t: &TemplateView| view! { <td><TypeIcon kind=t.optimized_for stateless=t.stateless /></td> },
        ),
        Column::link("Name", "name", |t: &TemplateView| t.name.clone()),
        Column::sorted(
            "Description",
            "description",
            |t: &TemplateView| view! { <td class="desc">{t.description.clone()}</td> },
        ),
        Column::sorted(
            "Cluster",
            "cluster",
            |t: &TemplateView| view! { <td>{t.cluster_name.clone().unwrap_or_else(|| "—".into())}</td> },
        ),
        Column::sorted(
            "Memory",
            "memory",
            |t: &TemplateView| view! { <td class="num">{format!("{} MiB", t.memory_mib)}</td> },
        ),
        Column::sorted(
            "vCPUs",
            "vcpus",
            |t: &TemplateView| view! { <td class="num">{t.vcpus}</td> },
        ),
    ];
    view! {
        <ObjectGrid title="Templates" path="/templates" noun="templates" grid columns
            toolbar=move || view! { <ObjectToolbar kind=ConfigKind::Template selected=grid.selected /> }
            row_id=|t| t.id.to_string() row_attrs=|t: &TemplateView| vec![data("data-type", t.optimized_for.as_str())]
            placeholder="Search: words, type:high_performance cluster:Default"
            hint="Words match names and descriptions; add type: or cluster: terms."
            empty="No templates match. Use New to create one.">
            <Show when=move || url.with(|q| q.get("dialog").is_some())>
                <ConfigDialog kind=ConfigKind::Template />
            </Show>
        </ObjectGrid>
    }
}
