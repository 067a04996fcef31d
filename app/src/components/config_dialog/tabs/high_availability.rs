use super::super::inputs::CheckField;
use leptos::prelude::*;

#[component]
pub fn HighAvailabilityTab() -> impl IntoView {
    view! {
        <CheckField label="Highly Available" name="high_availability" field="high_availability"
            get=|d| d.config.high_availability set=|d, v| d.config.high_availability = v
            hint="Restarted on its host if it crashes or is killed outside Vireo." />
        <CheckField label="Watchdog" name="watchdog" field="watchdog"
            get=|d| d.config.watchdog set=|d, v| d.config.watchdog = v />
    }
}
