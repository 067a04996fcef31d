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
