use super::error_notice::form_error;
use crate::error::AppError;
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
                    <a class="modal-close" href=close_href aria-label="Close">
                        "×"
                    </a>
                </header>
                {children()}
            </section>
        </div>
    }
}

/// What a dialog shows when it cannot open: its data did not load, or its code did not download.
pub fn cannot_open(id: &'static str, close_href: String, error: AppError) -> AnyView {
    view! {
        <Modal title="Cannot open the dialog" id close_href>
            <div class="modal-body">
                <super::error_notice::ErrorNotice error />
            </div>
        </Modal>
    }
    .into_any()
}

/// A dialog form's inside: the body (the error that belongs to no field, then the fields) and the
/// footer with "Cancel" (a link to `close_href`) and the submit button.
#[component]
pub fn DialogBody(
    /// The failed post's error (`form_error` shows the one that names no field).
    #[prop(into)]
    error: Signal<Option<AppError>>,
    #[prop(into)] close_href: String,
    /// The submit button's text.
    #[prop(into)]
    submit: TextProp,
    /// Disables the submit button while true (the post is under way).
    #[prop(optional, into)]
    pending: Option<Signal<bool>>,
    /// A red submit button, for what cannot be undone.
    #[prop(optional)]
    danger: bool,
    children: Children,
) -> impl IntoView {
    let submit_class = if danger { "btn btn-danger" } else { "btn btn-primary" };
    view! {
        <div class="modal-body">{move || form_error(error.get())} {children()}</div>
        <footer class="modal-footer">
            <a class="btn" href=close_href>
                "Cancel"
            </a>
            <button type="submit" class=submit_class disabled=move || pending.is_some_and(|p| p.get())>
                {move || submit.get()}
            </button>
        </footer>
    }
}
