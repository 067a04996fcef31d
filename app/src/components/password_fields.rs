use super::error_notice::field_errors;
use crate::error::AppError;
use crate::models::MIN_PASSWORD_CHARS;
use leptos::prelude::*;

/// A new password typed twice (the form fields `password` and `confirm`), with the length hint and
/// each field's errors. The inputs' ids are `{id}-password` and `{id}-confirm`.
#[component]
pub fn NewPasswordFields(
    id: &'static str,
    /// "Password" or "New password"; the second field is "Repeat " + it.
    label: &'static str,
    /// Said after the length hint.
    #[prop(optional)]
    hint: &'static str,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let (password, confirm) = (format!("{id}-password"), format!("{id}-confirm"));
    view! {
        <label for=password.clone()>{label}</label>
        <input
            id=password
            name="password"
            type="password"
            required
            minlength=MIN_PASSWORD_CHARS.to_string()
            autocomplete="new-password"
        />
        <p class="hint">{format!("At least {MIN_PASSWORD_CHARS} characters{hint}")}</p>
        {move || field_errors(error.get(), "password")}
        <label for=confirm.clone()>{format!("Repeat {}", label.to_lowercase())}</label>
        <input id=confirm name="confirm" type="password" required autocomplete="new-password" />
        {move || field_errors(error.get(), "confirm")}
    }
}
