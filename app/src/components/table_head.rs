//! The header row of a plain (not sortable) table.

use leptos::prelude::*;

/// `<thead>` with one `<th scope="col">` a column, in order.
pub fn table_head(columns: impl IntoIterator<Item = &'static str>) -> impl IntoView {
    let cells = columns
        .into_iter()
        .map(|c| view! { <th scope="col">{c}</th> })
        .collect_view();
    view! {
        <thead>
            <tr>{cells}</tr>
        </thead>
    }
}
