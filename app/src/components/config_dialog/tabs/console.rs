use super::super::inputs::CheckField;
use leptos::prelude::*;

#[component]
pub fn ConsoleTab() -> impl IntoView {
    view! {
        <CheckField label="Headless Mode" name="headless" field="headless"
            get=|d| d.config.headless set=|d, v| d.config.headless = v
            hint="No graphics and no video device (A1)." />
        <CheckField label="Enable VirtIO serial console" name="serial_console" field="serial_console"
            get=|d| d.config.serial_console set=|d, v| d.config.serial_console = v />
        <CheckField label="USB Support" name="usb_enabled" field="usb_enabled"
            get=|d| d.config.usb_enabled set=|d, v| d.config.usb_enabled = v />
        <CheckField label="Soundcard Enabled" name="soundcard_enabled" field="soundcard_enabled"
            get=|d| d.config.soundcard_enabled set=|d, v| d.config.soundcard_enabled = v />
    }
}
