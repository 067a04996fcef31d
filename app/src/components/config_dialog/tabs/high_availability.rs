use super::super::inputs::{config_check, CheckField};
use leptos::prelude::*;

#[component]
pub fn HighAvailabilityTab() -> impl IntoView {
    view! {
        {config_check!(
            "Highly Available", high_availability, hint = "Restarted on its host if it crashes or is killed outside Vireo."
        )}
        {config_check!("Watchdog", watchdog)}
    }
}
