use super::super::inputs::{config_check, CheckField};
use leptos::prelude::*;

#[component]
pub fn ConsoleTab() -> impl IntoView {
    view! {
        {config_check!("Headless Mode", headless, hint = "No graphics and no video device (A1).")}
        {config_check!("Enable VirtIO serial console", serial_console)}
        {config_check!("USB Support", usb_enabled)}
        {config_check!("Soundcard Enabled", soundcard_enabled)}
    }
}
