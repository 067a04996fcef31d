use super::state::DialogState;
use crate::components::table_head::table_head;
use leptos::prelude::*;

/// The list of what the last profile, instance type, template or fix changed: field, tab,
/// old → new, and why. The user can still change any of it before OK.
#[component]
pub fn ChangeList() -> impl IntoView {
    let s = expect_context::<DialogState>();
    move || {
        let changes = s.changes.get();
        (!changes.is_empty()).then(|| {
            let title = s
                .draft
                .with(|d| format!("Changes for \"Optimized for: {}\"", d.applied_profile.label()));
            view! {
                <section class="change-list" role="region" aria-label="Changes made" data-testid="change-list">
                    <header>
                        <h3>{title}</h3>
                        <button type="button" class="btn btn-plain js-only" on:click=move |_| s.changes.set(Vec::new())>
                            "Dismiss"
                        </button>
                    </header>
                    <table class="grid compact">
                        {table_head(["Setting", "Tab", "Was", "Now", "Why"])}
                        <tbody>
                            {changes
                                .into_iter()
                                .map(|c| {
                                    view! {
                                        <tr data-change=c.field.clone()>
                                            <td>{c.label}</td>
                                            <td>{c.tab.label()}</td>
                                            <td class="old">{c.old}</td>
                                            <td class="new">{c.new}</td>
                                            <td class="why">{c.reason}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </section>
            }
        })
    }
}
