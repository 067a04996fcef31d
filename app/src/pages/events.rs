use crate::api::grids::event_grid;
use crate::components::local_time::LocalTime;
use crate::components::object_grid::{data, Column, GridState, ObjectGrid, RowSelection};
use crate::domain::collections;
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
            |e: &EventView| view! { <td class="mono"><LocalTime utc=e.at.clone() /></td> },
        ),
        Column::sorted("Severity", "severity", |e: &EventView| {
            view! { <td><span class=format!("sev sev-{}", e.severity)>{e.severity.clone()}</span></td> }
        }),
        Column::text("User", "user", |e: &EventView| {
            e.username.clone().unwrap_or_else(|| "system".into())
        }),
        Column::text("Object", "object", |e: &EventView| {
            format!("{} {}", e.object_kind, e.object_name.clone().unwrap_or_default())
        }),
        Column::text("Action", "action", |e: &EventView| e.action.clone()),
        Column::text("Result", None, |e: &EventView| e.result.clone()),
        Column::desc("Message", None, |e: &EventView| e.message.clone()),
    ];
    view! {
        <ObjectGrid
            fields=collections::EVENTS
            title="Events"
            path="/events"
            noun="events"
            grid
            columns
            selection=RowSelection::None
            row_id=|e| e.id.to_string()
            row_attrs=|e: &EventView| vec![data("data-result", e.result.clone())]
            placeholder="Search: words, severity:error result:failure object:vm user:admin"
            hint="Words match messages and object names; add severity:, result:, object: or user: terms."
            empty="No events match."
        />
    }
}
