use super::super::inputs::{Choice, SelectField};
use super::super::state::DialogState;
use crate::domain::storage::BootDevice;
use leptos::prelude::*;
use uuid::Uuid;

fn devices(none: bool) -> Vec<Choice> {
    let mut v: Vec<Choice> = if none {
        vec![Choice::new("", "(none)")]
    } else {
        Vec::new()
    };
    v.extend(BootDevice::ALL.iter().map(|b| Choice::new(b.as_str(), b.label())));
    v
}

/// Boot Options: an ISO image in the CD-ROM drive ("Attach CD") and the boot sequence.
#[component]
pub fn BootOptionsTab() -> impl IntoView {
    let s = expect_context::<DialogState>();
    let isos = Signal::derive(move || {
        let mut v = vec![Choice::new("", "(none)")];
        s.options
            .with(|o| v.extend(o.isos.iter().map(|i| Choice::new(i.id.to_string(), i.name.clone()))));
        v
    });
    let pick_cd = Callback::new(move |v: String| {
        s.draft.update(|d| d.config.cdrom = Uuid::parse_str(&v).ok());
    });
    let pick_first = Callback::new(move |v: String| {
        if let Some(b) = BootDevice::parse(&v) {
            s.draft.update(|d| match d.config.boot_devices.first_mut() {
                Some(first) => *first = b,
                None => d.config.boot_devices.push(b),
            });
        }
    });
    let pick_second = Callback::new(move |v: String| {
        s.draft.update(|d| {
            d.config.boot_devices.truncate(1);
            if let Some(b) = BootDevice::parse(&v) {
                d.config.boot_devices.push(b);
            }
        });
    });
    view! {
        <SelectField
            label="Attach CD"
            name="cdrom"
            field="cdrom"
            choices=isos
            get=|d| d.config.cdrom.map(|c| c.to_string()).unwrap_or_default()
            on_pick=pick_cd
            hint="An ISO image (uploaded to a storage domain) in the VM's CD-ROM drive."
        />
        <SelectField
            label="First Device"
            name="boot_first"
            field="boot_devices"
            choices=Signal::derive(|| devices(false))
            get=|d| d.config.boot_devices.first().map_or("", |b| b.as_str()).to_string()
            on_pick=pick_first
        />
        <SelectField
            label="Second Device"
            name="boot_second"
            field="boot_second"
            choices=Signal::derive(|| devices(true))
            get=|d| d.config.boot_devices.get(1).map_or("", |b| b.as_str()).to_string()
            on_pick=pick_second
        />
    }
}
