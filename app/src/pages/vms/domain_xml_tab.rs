use crate::api::lifecycle::domain_xml;
use crate::components::error_notice::ErrorNotice;
use leptos::prelude::*;

/// The exact libvirt domain XML the VM gets at its next start: read-only, selectable, and with a
/// Copy button when JavaScript runs.
#[component]
pub fn DomainXmlTab(id: String) -> impl IntoView {
    let xml = Resource::new(move || id.clone(), domain_xml);
    let copied = RwSignal::new(false);
    view! {
        <Suspense fallback=|| {
            view! { <p class="loading">"Building the domain XML…"</p> }
        }>
            {move || {
                xml.get()
                    .map(|r| match r {
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        Ok(text) => {
                            let for_copy = text.clone();
                            view! {
                                <div class="domain-xml">
                                    <div class="toolbar">
                                        <button
                                            type="button"
                                            class="btn js-only"
                                            on:click=move |_| {
                                                copy_to_clipboard(&for_copy);
                                                copied.set(true);
                                            }
                                        >
                                            {move || if copied.get() { "Copied" } else { "Copy" }}
                                        </button>
                                        <span class="hint">
                                            "What Vireo defines in libvirt when the VM next starts (pending changes included)."
                                        </span>
                                    </div>
                                    // <pre>, not <textarea>: Leptos escapes <pre> text on the server.
                                    <pre class="mono" tabindex="0" aria-label="Domain XML" data-testid="domain-xml">
                                        {text}
                                    </pre>
                                </div>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

fn copy_to_clipboard(text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}
