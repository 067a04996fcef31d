use crate::components::error_notice::ErrorNotice;
use crate::components::modal::Modal;
use crate::error::AppError;
use leptos::prelude::*;

/// Asks before a destructive action. The action itself is the `children` (a form whose submit
/// button does it); "Cancel" goes back to `cancel_href`.
#[component]
pub fn ConfirmDialog(
    #[prop(into)] title: String,
    #[prop(into)] message: String,
    #[prop(into)] cancel_href: String,
    /// The action's refusal ("still owns clusters …"), shown in the body above the question, where
    /// it is read first, rather than beside the buttons.
    #[prop(optional, into)]
    error: Option<Signal<Option<AppError>>>,
    children: Children,
) -> impl IntoView {
    view! {
        <Modal title=title id="confirm-dialog" close_href=cancel_href.clone()>
            <div class="modal-body">
                {move || error.and_then(|e| e.get()).map(|error| view! { <ErrorNotice error /> })} <p>{message}</p>
            </div>
            <footer class="modal-footer">
                <a class="btn" href=cancel_href>
                    "Cancel"
                </a>
                {children()}
            </footer>
        </Modal>
    }
}
