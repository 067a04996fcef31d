use crate::components::disks_tab::DisksTab;
use crate::components::nics_tab::NicsTab;
use crate::components::object_detail::SPLIT_NAME;
use crate::domain::draft::ConfigKind;
use crate::models::TemplateView;
use leptos::prelude::*;

/// The selected Template's sub-tabs: Disks (the default) and Network Interfaces, in the URL as
/// `tab=disks|nics`. `base`: the grid's link with the template selected.
#[component]
pub fn TemplateDetail(template: TemplateView, base: String, tab: String) -> impl IntoView {
    let nics = tab == "nics";
    let tabs = [("disks", "Disks", !nics), ("nics", "Network Interfaces", nics)]
        .into_iter()
        .map(|(key, label, selected)| {
            view! {
                <a role="tab" href=format!("{base}&tab={key}") aria-selected=selected.to_string()>
                    {label}
                </a>
            }
        })
        .collect_view();
    let id = template.id.to_string();
    let body = if nics {
        view! { <NicsTab kind=ConfigKind::Template id base=format!("{base}&tab=nics") /> }.into_any()
    } else {
        view! { <DisksTab kind=ConfigKind::Template id base=format!("{base}&tab=disks") /> }.into_any()
    };
    view! {
        <section class="detail" data-split=SPLIT_NAME aria-label=format!("Template {}", template.name)>
            <h2>{template.name.clone()}</h2>
            <nav class="sub-tabs" role="tablist" aria-label="Template details">
                {tabs}
            </nav>
            <div role="tabpanel">{body}</div>
        </section>
    }
}
