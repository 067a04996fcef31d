use crate::api::users::ChangeOwnPassword;
use crate::components::error_notice::ErrorNotice;
use crate::error::AppError;
use crate::models::MIN_PASSWORD_CHARS;
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
    let error = move || action.value().get().and_then(Result::err);
    let changed = move || {
        matches!(action.value().get(), Some(Ok(()))) || query.with(|q| q.get("changed").is_some()) && error().is_none()
    };
    let field_error = move |field: &'static str| {
        move || {
            error()
                .map(|e| e.field_messages(field))
                .unwrap_or_default()
                .into_iter()
                .map(|m| view! { <p class="field-error">{m}</p> })
                .collect_view()
        }
    };
    view! {
        <Title text="Change password" />
        <div class="page page-narrow">
            <div class="page-header"><h1>"Change password"</h1></div>
            {move || changed().then(|| view! {
                <div class="alert alert-info" role="status">
                    "Your password has been changed. Your other sessions and API tokens have been logged out."
                </div>
            })}
            <ActionForm action attr:class="form card" attr:id="change-password-form">
                {move || error().filter(|e| !matches!(e, AppError::Validation { .. })).map(|error| view! { <ErrorNotice error /> })}
                <label for="own-current">"Current password"</label>
                <input id="own-current" name="current" type="password" required autocomplete="current-password" />
                {field_error("current")}
                <label for="own-password">"New password"</label>
                <input id="own-password" name="password" type="password" required
                    minlength=MIN_PASSWORD_CHARS.to_string() autocomplete="new-password" />
                <p class="hint">{format!("At least {MIN_PASSWORD_CHARS} characters")}</p>
                {field_error("password")}
                <label for="own-confirm">"Repeat new password"</label>
                <input id="own-confirm" name="confirm" type="password" required autocomplete="new-password" />
                {field_error("confirm")}
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=pending>"Change password"</button>
                </div>
            </ActionForm>
        </div>
    }
}
