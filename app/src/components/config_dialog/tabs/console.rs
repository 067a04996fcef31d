use super::super::inputs::{config_check, CheckField};
use leptos::prelude::*;

#[component]
pub fn ConsoleTab() -> impl IntoView {
    view! {
        {config_check!("Headless Mode", headless, hint = "No graphics and no video device (A1).")}
        {config_check!("Enable VirtIO serial console", serial_console)}
        {config_check!("USB Support", usb_enabled)}
        {config_check!("Soundcard Enabled", soundcard_enabled)}
        {config_check!(
            "QEMU Guest Agent Channel", guest_agent, hint = "A virtio-serial channel for the guest agent (guest addresses)."
        )}
        {config_check!(
            "VirtIO-RNG Device Enabled", virtio_rng, hint = "Entropy for the guest from the host's /dev/urandom."
        )}
    }
}
