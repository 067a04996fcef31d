use crate::api::events::list_events;
use crate::components::error_notice::ErrorNotice;
use leptos::prelude::*;
use leptos_meta::Title;

/// The audit log: every write, with who did it and whether it worked.
#[component]
pub fn EventsPage() -> impl IntoView {
    let events = Resource::new(|| (), |_| list_events());
    view! {
        <Title text="Events" />
        <div class="page">
            <h1>"Events"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading events…"</p> }>
                {move || events.get().map(|result| match result {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"No events yet."</p> }.into_any(),
                    Ok(rows) => view! {
                        <table class="grid" id="events-grid">
                            <thead>
                                <tr>
                                    <th scope="col">"Time"</th>
                                    <th scope="col">"Severity"</th>
                                    <th scope="col">"User"</th>
                                    <th scope="col">"Object"</th>
                                    <th scope="col">"Action"</th>
                                    <th scope="col">"Result"</th>
                                    <th scope="col">"Message"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().map(|e| {
                                    let result = e.result.clone();
                                    let severity_class = format!("sev sev-{}", e.severity);
                                    view! {
                                    <tr data-id=e.id.to_string() data-result=result>
                                        <td class="mono">{e.at}</td>
                                        <td><span class=severity_class>{e.severity}</span></td>
                                        <td>{e.username.unwrap_or_else(|| "system".into())}</td>
                                        <td>{format!("{} {}", e.object_kind, e.object_name.unwrap_or_default())}</td>
                                        <td>{e.action}</td>
                                        <td>{e.result}</td>
                                        <td>{e.message}</td>
                                    </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
        </div>
    }
}
