use crate::error::AppError;
use leptos::prelude::*;

/// An error as the user should read it: one alert, plus the field list for validation errors.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    let fields = match &error {
        AppError::Validation { errors } if errors.len() > 1 => errors
            .iter()
            .map(|e| view! { <li>{e.message.clone()}</li> })
            .collect_view()
            .into_any(),
        _ => ().into_any(),
    };
    view! {
        <div class="alert alert-error" role="alert">
            <p>{error.to_string()}</p>
            <ul>{fields}</ul>
        </div>
    }
}

/// The messages for one field of a failed form, shown beside its input.
pub fn field_errors(error: Option<AppError>, field: &'static str) -> impl IntoView {
    error
        .map(|e| e.field_messages(field))
        .unwrap_or_default()
        .into_iter()
        .map(|m| view! { <p class="field-error">{m}</p> })
        .collect_view()
}

/// An error that belongs to no field (a conflict, a refusal), above the form.
pub fn form_error(error: Option<AppError>) -> impl IntoView {
    error
        .filter(|e| !matches!(e, AppError::Validation { .. }))
        .map(|error| view! { <ErrorNotice error /> })
}

/// The messages of a failed form's fields that the dialog shows beside no input (`shown` lists
/// those it does), so that no validation message is lost whatever field the service names.
pub fn other_field_errors(error: Option<AppError>, shown: &'static [&'static str]) -> impl IntoView {
    let messages = match error {
        Some(AppError::Validation { errors }) => errors
            .into_iter()
            .filter(|e| !shown.contains(&e.field.as_str()))
            .map(|e| e.message)
            .collect(),
        _ => Vec::new(),
    };
    messages
        .into_iter()
        .map(|m| view! { <p class="field-error">{m}</p> })
        .collect_view()
}
