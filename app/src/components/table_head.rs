//! The header row of a plain (not sortable) table.

use leptos::prelude::*;

/// `<thead>` with one `<th scope="col">` a column, in order.
pub fn table_head<const N: usize>(columns: [&'static str; N]) -> impl IntoView {
    view! {
        <thead>
            <tr>{columns.map(|c| view! { <th scope="col">{c}</th> })}</tr>
        </thead>
    }
}
