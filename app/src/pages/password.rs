use crate::api::users::ChangeOwnPassword;
use crate::components::error_notice::{field_errors, form_error};
use crate::components::password_fields::NewPasswordFields;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Change your own password (any role; "Change password" in the top bar). This session stays
/// logged in; every other session and API token of yours ends.
#[component]
pub fn PasswordPage() -> impl IntoView {
    let query = use_query_map();
    let action = ServerAction::<ChangeOwnPassword>::new();
    let pending = action.pending();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let changed = move || {
        matches!(action.value().get(), Some(Ok(())))
            || query.with(|q| q.get("changed").is_some()) && error.get().is_none()
    };
    view! {
        <Title text="Change password" />
        <div class="page page-narrow">
            <div class="page-header">
                <h1>"Change password"</h1>
            </div>
            {move || {
                changed()
                    .then(|| {
                        view! {
                            <div class="alert alert-info" role="status">
                                "Your password has been changed. Your other sessions and API tokens have been logged out."
                            </div>
                        }
                    })
            }}
            <ActionForm action attr:class="form card" attr:id="change-password-form">
                {move || form_error(error.get())}
                <label for="own-current">"Current password"</label>
                <input id="own-current" name="current" type="password" required autocomplete="current-password" />
                {move || field_errors(error.get(), "current")}
                <NewPasswordFields id="own" label="New password" error />
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=pending>
                        "Change password"
                    </button>
                </div>
            </ActionForm>
        </div>
    }
}
