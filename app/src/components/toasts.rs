//! Toast notifications: a short message, with the full detail (libvirt's own words) a click away.

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

#[component]
pub fn ToastArea() -> impl IntoView {
    let Some(toasts) = use_context::<Toasts>() else {
        return ().into_any();
    };
    view! {
        <div class="toasts" aria-live="polite">
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
        </div>
    }
    .into_any()
}
