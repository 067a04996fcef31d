use leptos::prelude::*;

/// Where the VM grid lists the High Performance VMs with an unmet recommendation.
pub const MISSING_HREF: &str = "/vms?q=recommendations:missing";

/// "N High Performance VMs are missing recommended settings", linking to exactly them; or that all
/// are met.
#[component]
pub fn RecommendationsCard(missing: u64) -> impl IntoView {
    let body = match missing {
        0 => view! { <p>"All High Performance VMs have their recommended settings."</p> }.into_any(),
        n => {
            let text = if n == 1 {
                "1 High Performance VM is missing recommended settings".to_string()
            } else {
                format!("{n} High Performance VMs are missing recommended settings")
            };
            view! {
                <p>
                    <a href=MISSING_HREF>{text}</a>
                </p>
            }
            .into_any()
        }
    };
    view! {
        <section
            class="detail dash-card dash-recommendations"
            id="hp-recommendations"
            aria-label="High Performance recommendations"
            data-missing=missing.to_string()
        >
            {body}
        </section>
    }
}
