use leptos::prelude::*;

/// A titled list of counts, each a link to the grid search that lists what it counts.
/// `items`: (code, label, count, href); the code names the row for tests (`data-key`).
#[component]
pub fn CountsCard(title: &'static str, id: &'static str, items: Vec<(String, String, u64, String)>) -> impl IntoView {
    let heading = format!("{id}-title");
    let rows = items
        .into_iter()
        .map(|(code, label, count, href)| {
            view! {
                <tr data-key=code>
                    <th scope="row">{label.clone()}</th>
                    <td class="num">
                        <a href=href aria-label=format!("{count} {label}")>
                            {count}
                        </a>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="detail dash-card" id=id aria-labelledby=format!("{id}-title")>
            <h2 class="panel-title" id=heading>
                {title}
            </h2>
            <table class="dash-counts">
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
