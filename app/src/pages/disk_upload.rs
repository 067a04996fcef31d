use crate::components::disk_upload::DiskUploadDialog;
use leptos::prelude::*;
use leptos_meta::Title;

/// "Upload an image" on its own address (`/disks/upload`); the Disks grid's toolbar opens the same
/// dialog over the grid (`/disks?dialog=upload`). Close goes to the Disks grid.
#[component]
pub fn DiskUploadPage() -> impl IntoView {
    view! {
        <Title text="Upload an image" />
        <div class="page page-narrow">
            <div class="page-header">
                <h1>"Upload an image"</h1>
            </div>
            <section class="card" aria-label="Upload an image">
                <DiskUploadDialog close_href="/disks" />
            </section>
        </div>
    }
}
