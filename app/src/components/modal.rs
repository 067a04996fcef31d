use leptos::prelude::*;

/// A modal dialog frame. Its open state lives in the URL (the page renders it or not), so dialogs
/// also work with JavaScript off and Back closes them; `close_href` is where "Cancel" leads.
#[component]
pub fn Modal(
    #[prop(into)] title: String,
    #[prop(into)] id: String,
    #[prop(into)] close_href: String,
    children: Children,
) -> impl IntoView {
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    view! {
        <div class="modal-backdrop">
            <section class="modal" role="dialog" aria-modal="true" aria-labelledby=labelled_by id=id>
                <header class="modal-header">
                    <h2 id=title_id>{title}</h2>
                    <a class="modal-close" href=close_href aria-label="Close">"×"</a>
                </header>
                {children()}
            </section>
        </div>
    }
}
