//! Toast notifications: a short message, with the full detail (libvirt's own words) a click away.

use crate::components::object_detail::prefetch_when_interactive;
use crate::components::split_part::split_part;
use crate::error::AppError;
use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    pub id: u64,
    pub ok: bool,
    pub message: String,
    pub detail: Option<String>,
}

#[derive(Clone, Copy)]
pub struct Toasts(pub RwSignal<Vec<Toast>>);

impl Toasts {
    pub fn push(&self, ok: bool, message: impl Into<String>, detail: Option<String>) {
        self.0.update(|t| {
            let id = t.iter().map(|x| x.id).max().unwrap_or(0) + 1;
            t.push(Toast {
                id,
                ok,
                message: message.into(),
                detail,
            });
            // Keep the latest few.
            let excess = t.len().saturating_sub(5);
            t.drain(..excess);
        });
    }
}

pub fn provide_toasts() -> Toasts {
    let toasts = Toasts(RwSignal::new(Vec::new()));
    provide_context(toasts);
    toasts
}

/// Where the toasts show. The live region is there from the start (a screen reader announces what
/// is added to one it already knows); the toasts' code is the details' wasm chunk's (`toast_list`),
/// fetched once the page is interactive: a toast follows an operation, never a page load.
#[component]
pub fn ToastArea() -> impl IntoView {
    let Some(toasts) = use_context::<Toasts>() else {
        return ().into_any();
    };
    prefetch_when_interactive(preload_toast_list);
    view! {
        <div class="toasts" aria-live="polite">
            <Show when=move || {
                toasts.0.with(|t| !t.is_empty())
            }>
                {split_part(
                    move || toast_list(toasts),
                    |error| {
                        // Their code did not download: say so, in the toasts' place.
                        view! {
                            <div class="toast toast-error" role="alert">
                                <p>{error.to_string()}</p>
                            </div>
                        }
                            .into_any()
                    },
                )}
            </Show>
        </div>
    }
    .into_any()
}

/// The toasts' split point (see `ToastArea`). On the server it is a plain call.
#[leptos::wasm_split::wasm_split(
    vireo_object_detail,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(#[doc(hidden)] preload_toast_list)
)]
fn toast_list(toasts: Toasts) -> Result<AnyView, AppError> {
    Ok(view! {
        <For each=move || toasts.0.get() key=|t| t.id let:toast>
            {
                let id = toast.id;
                view! {
                    <div
                        class=if toast.ok { "toast toast-ok" } else { "toast toast-error" }
                        role=if toast.ok { "status" } else { "alert" }
                    >
                        <p>{toast.message.clone()}</p>
                        {toast
                            .detail
                            .clone()
                            .map(|d| {
                                view! {
                                    <details>
                                        <summary>"Details"</summary>
                                        <p class="mono">{d}</p>
                                    </details>
                                }
                            })}
                        <button
                            type="button"
                            class="btn btn-plain"
                            aria-label="Dismiss"
                            on:click=move |_| toasts.0.update(|t| t.retain(|x| x.id != id))
                        >
                            "×"
                        </button>
                    </div>
                }
            }
        </For>
    }
    .into_any())
}
