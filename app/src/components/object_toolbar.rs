use crate::authz::Permission;
use crate::components::current_role::may;
use crate::domain::draft::ConfigKind;
use leptos::prelude::*;

/// "New" and "Edit" for a VM, Template or Pool page. Links, so they work with JavaScript off; the
/// dialog state they open lives in the URL.
#[component]
pub fn ObjectToolbar(kind: ConfigKind, #[prop(into)] selected: Signal<Option<String>>) -> impl IntoView {
    let page = kind.page();
    view! {
        <NewEditToolbar
            permission=Permission::ManageVms
            label=format!("{} actions", kind.label())
            new_href=format!("{page}?dialog=new")
            selected
            edit_href=move |id| format!("{page}?dialog=edit&id={id}&selected={id}")
        />
    }
}

/// A grid page's toolbar: "New", and "Edit" (and "Remove", when given) on the selected row (greyed
/// out without one); nothing for a role without `permission`.
#[component]
pub fn NewEditToolbar(
    /// What creating and editing these objects takes.
    permission: Permission,
    /// The toolbar's accessible name ("Cluster actions").
    #[prop(into)]
    label: String,
    #[prop(into)] new_href: String,
    #[prop(into)] selected: Signal<Option<String>>,
    /// The link that edits the row with this id.
    edit_href: impl Fn(&str) -> String + Send + Sync + 'static,
    /// The link that asks before removing the row with this id; no "Remove" without it.
    #[prop(optional, into)]
    remove_href: Option<Callback<String, String>>,
) -> impl IntoView {
    may(permission).then(|| {
        view! {
            <div class="toolbar" role="toolbar" aria-label=label>
                <a class="btn btn-primary" role="button" href=new_href>
                    "New"
                </a>
                {move || match selected.get() {
                    Some(id) => {
                        view! {
                            <a class="btn" role="button" href=edit_href(&id) data-grid-edit="">
                                "Edit"
                            </a>
                        }
                            .into_any()
                    }
                    None => needs_selection("Edit", "Select a row first").into_any(),
                }}
                {move || {
                    remove_href
                        .map(|remove_href| match selected.get() {
                            Some(id) => {
                                view! {
                                    <a class="btn btn-danger-outline" role="button" href=remove_href.run(id)>
                                        "Remove"
                                    </a>
                                }
                                    .into_any()
                            }
                            None => needs_selection("Remove", "Select a row first").into_any(),
                        })
                }}
            </div>
        }
    })
}

/// A toolbar button shown greyed out until a row is selected; `why` is its tooltip.
pub fn needs_selection(label: &'static str, why: &'static str) -> impl IntoView {
    view! {
        <span class="btn" role="button" aria-disabled="true" title=why>
            {label}
        </span>
    }
}
