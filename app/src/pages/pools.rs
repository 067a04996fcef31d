use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PoolsPage() -> impl IntoView {
    view! {
        <Title text="Pools" />
        <div class="page">
            <h1>"Pools"</h1>
            <p class="empty">"No pools yet."</p>
        </div>
    }
}
