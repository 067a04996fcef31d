use crate::components::modal::Modal;
use leptos::prelude::*;

/// Asks before a destructive action. The action itself is the `children` (a form whose submit
/// button does it); "Cancel" goes back to `cancel_href`.
#[component]
pub fn ConfirmDialog(
    #[prop(into)] title: String,
    #[prop(into)] message: String,
    #[prop(into)] cancel_href: String,
    children: Children,
) -> impl IntoView {
    view! {
        <Modal title=title id="confirm-dialog" close_href=cancel_href.clone()>
            <div class="modal-body">
                <p>{message}</p>
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
