use crate::components::disks_tab::DisksTab;
use crate::domain::draft::ConfigKind;
use crate::models::TemplateView;
use leptos::prelude::*;

/// The selected Template's sub-tabs: Disks (the only one so far). `base`: the grid's link with the
/// template selected.
#[component]
pub fn TemplateDetail(template: TemplateView, base: String) -> impl IntoView {
    let disks = format!("{base}&tab=disks");
    view! {
        <section class="detail" aria-label=format!("Template {}", template.name)>
            <h2>{template.name.clone()}</h2>
            <nav class="sub-tabs" role="tablist" aria-label="Template details">
                <a role="tab" href=disks.clone() aria-selected="true">
                    "Disks"
                </a>
            </nav>
            <div role="tabpanel">
                <DisksTab kind=ConfigKind::Template id=template.id.to_string() base=disks />
            </div>
        </section>
    }
}
