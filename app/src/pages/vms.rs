use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn VmsPage() -> impl IntoView {
    view! {
        <Title text="Virtual Machines" />
        <div class="page">
            <h1>"Virtual Machines"</h1>
            <p class="empty">"No virtual machines yet."</p>
        </div>
    }
}
