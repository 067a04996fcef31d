use crate::domain::draft::ConfigKind;
use leptos::prelude::*;

/// "New" and "Edit" for a VM, Template or Pool page. Links, so they work with JavaScript off; the
/// dialog state they open lives in the URL.
#[component]
pub fn ObjectToolbar(kind: ConfigKind, #[prop(into)] selected: Signal<Option<String>>) -> impl IntoView {
    let page = kind.page();
    view! {
        <div class="toolbar" role="toolbar" aria-label=format!("{} actions", kind.label())>
            <a class="btn btn-primary" role="button" href=format!("{page}?dialog=new")>"New"</a>
            {move || match selected.get() {
                Some(id) => view! {
                    <a class="btn" role="button" href=format!("{page}?dialog=edit&id={id}&selected={id}")>"Edit"</a>
                }.into_any(),
                None => view! { <span class="btn" role="button" aria-disabled="true" title="Select a row first">"Edit"</span> }.into_any(),
            }}
        </div>
    }
}
