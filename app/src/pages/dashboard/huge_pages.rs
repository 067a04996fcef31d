use crate::domain::dashboard::HostHugePages;
use crate::domain::host_topology::page_size_label;
use leptos::prelude::*;

/// Huge pages free per host and page size (summed over its NUMA cells), from the host topology; a
/// High Performance VM's huge pages come from these.
#[component]
pub fn HugePagesCard(hosts: Vec<HostHugePages>) -> impl IntoView {
    let rows = hosts
        .into_iter()
        .map(|h| {
            let pages = h
                .pages
                .iter()
                .map(|p| {
                    view! {
                        <li data-page-size=p
                            .size_kib
                            .to_string()>
                            {format!("{}: {} free of {}", page_size_label(p.size_kib), p.free, p.total)}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <tr data-host=h.name.clone()>
                    <th scope="row">
                        <a href=format!("/hosts?selected={}", h.id)>{h.name.clone()}</a>
                    </th>
                    <td>{h.status.label()}</td>
                    <td>
                        <ul class="plain">{pages}</ul>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="detail dash-card" id="huge-pages" aria-labelledby="huge-pages-title">
            <h2 class="panel-title" id="huge-pages-title">
                "Huge pages free per host"
            </h2>
            <table class="grid">
                <thead>
                    <tr>
                        <th scope="col">"Host"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Free / total"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
