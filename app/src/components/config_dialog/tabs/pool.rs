use super::super::inputs::NumberField;
use leptos::prelude::*;

#[component]
pub fn PoolTab() -> impl IntoView {
    view! {
        <NumberField
            label="Number of VMs"
            name="pool_size"
            field="pool_size"
            min=1
            get=|d| d.pool_size as u64
            set=|d, v| d.pool_size = v as u32
            hint="The pool makes this many stateless VMs from its configuration. It can grow, not shrink."
        />
        <NumberField
            label="Prestarted VMs"
            name="prestarted"
            field="prestarted"
            get=|d| d.prestarted as u64
            set=|d, v| d.prestarted = v as u32
        />
    }
}
