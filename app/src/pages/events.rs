use crate::api::grids::event_grid;
use crate::components::object_grid::{data, Column, GridState, ObjectGrid, RowSelection};
use crate::models::EventView;
use leptos::prelude::*;

/// The audit log: every write, with who did it and whether it worked. Newest first.
#[component]
pub fn EventsPage() -> impl IntoView {
    let grid = GridState::new("time", true, false, |q| event_grid(q, None));
    let columns = vec![
        Column::sorted(
            "Time",
            "time",
            |e: &EventView| view! { <td class="mono">{e.at.clone()}</td> },
        ),
        Column::sorted("Severity", "severity", |e: &EventView| {
            view! { <td><span class=format!("sev sev-{}", e.severity)>{e.severity.clone()}</span></td> }
        }),
        Column::sorted(
            "User",
            "user",
            |e: &EventView| view! { <td>{e.username.clone().unwrap_or_else(|| "system".into())}</td> },
        ),
        Column::sorted("Object", "object", |e: &EventView| {
            view! { <td>{format!("{} {}", e.object_kind, e.object_name.clone().unwrap_or_default())}</td> }
        }),
        Column::sorted(
            "Action",
            "action",
            |e: &EventView| view! { <td>{e.action.clone()}</td> },
        ),
        Column::plain("Result", |e: &EventView| view! { <td>{e.result.clone()}</td> }),
        Column::plain(
            "Message",
            |e: &EventView| view! { <td class="desc">{e.message.clone()}</td> },
        ),
    ];
    view! {
        <ObjectGrid title="Events" path="/events" noun="events" grid columns selection=RowSelection::None
            row_id=|e| e.id.to_string() row_attrs=|e: &EventView| vec![data("data-result", e.result.clone())]
            placeholder="Search: words, severity:error result:failure object:vm user:admin"
            hint="Words match messages and object names; add severity:, result:, object: or user: terms."
            empty="No events match." />
    }
}
