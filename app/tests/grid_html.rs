//! The VM grid's rows are HTML text (`components/grid_html.rs`, `pages/vms/row_html.rs`), written
//! the same way on the server and in the browser, which keeps the server's rows as they came
//! instead of hydrating a view per cell (issue 16). This renders the VM page and checks the rows:
//! one cell per column header, every status and type, each flag of the type icon drawn as the
//! `TypeIcon` component draws it, empty and missing fields, hostile text escaped, the selected row
//! (its box checked, its `selected` class), links that keep a search, and no hydration markers.

#[path = "support/vm_page.rs"]
mod vm_page;

use leptos::prelude::*;
use uuid::Uuid;
use vireo_app::components::type_icon::TypeIcon;
use vireo_app::domain::vm_config::OptimizedFor;
use vireo_app::models::{GridPage, VmRow, VmStatus};
use vm_page::{page, render, URL};

fn runtime() -> tokio::runtime::Runtime {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let _ = any_spawner::Executor::init_tokio();
    runtime
}

/// The `<tbody>`'s rows, each as its HTML.
fn rows_of(html: &str) -> Vec<&str> {
    let body = &html[html.find("<tbody>").expect("a table body") + "<tbody>".len()..];
    let body = &body[..body.find("</tbody>").expect("its end")];
    body.split_inclusive("</tr>").collect()
}

/// Renders `url` with `rows`: every row drawn, with a cell for each column header, and nothing a
/// hydration would look for. Returns the page's HTML.
fn render_rows(url: &str, rows: GridPage<VmRow>) -> String {
    let n = rows.rows.len();
    let html = runtime().block_on(render(url, rows));
    let head = &html[html.find("<thead>").expect("a table head")..html.find("</thead>").expect("its end")];
    let columns = head.matches("<th ").count() + head.matches("<th>").count();
    assert_eq!(columns, 13, "the VM grid's columns");
    let drawn = rows_of(&html);
    assert_eq!(drawn.len(), n, "every row drawn");
    for row in &drawn {
        assert!(row.starts_with("<tr data-id=\""), "a row: {row}");
        assert_eq!(row.matches("<td").count(), columns, "a cell per column: {row}");
        assert_eq!(row.matches("</td>").count(), columns, "each cell closed: {row}");
        assert!(!row.contains("<!"), "no markers nor comments: {row}");
    }
    html
}

/// Every status × type, the icon's flags, and fields empty or missing.
fn varied() -> GridPage<VmRow> {
    let statuses = [
        VmStatus::Down,
        VmStatus::Up,
        VmStatus::PoweringUp,
        VmStatus::PoweringDown,
        VmStatus::Rebooting,
        VmStatus::Paused,
        VmStatus::Unknown,
    ];
    let kinds = [
        OptimizedFor::Server,
        OptimizedFor::Desktop,
        OptimizedFor::HighPerformance,
    ];
    let mut rows = Vec::new();
    for (i, status) in statuses.iter().enumerate() {
        for (k, kind) in kinds.iter().enumerate() {
            let n = i * kinds.len() + k;
            rows.push(VmRow {
                id: Uuid::from_u128(0xabc0_0000 + n as u128),
                name: format!("vm-{n}"),
                description: if n.is_multiple_of(2) {
                    String::new()
                } else {
                    format!("VM {n}")
                },
                status: *status,
                cluster_name: "Default".into(),
                host_name: (!n.is_multiple_of(3)).then(|| format!("host-{n}")),
                template_name: "Blank".into(),
                pool_name: (n.is_multiple_of(4)).then(|| "pool-a".into()),
                optimized_for: *kind,
                stateless: n.is_multiple_of(5),
                memory_mib: 512 * (n as i64 + 1),
                vcpus: 1 + n as i32,
                next_run: n.is_multiple_of(6),
                uptime_secs: [None, Some(5), Some(125), Some(7_300), Some(200_000)][n % 5],
                ip_addresses: if n % 2 == 1 {
                    "192.0.2.7, 2001:db8::7".into()
                } else {
                    String::new()
                },
            });
        }
    }
    GridPage {
        total: rows.len() as i64,
        rows,
        page: 1,
        page_size: 100,
    }
}

#[test]
fn every_row_has_a_cell_per_column_and_its_values() {
    let rows = varied();
    let html = render_rows(URL, rows.clone());
    for (v, row) in rows.rows.iter().zip(rows_of(&html)) {
        assert!(row.starts_with(&format!(
            "<tr data-id=\"{}\" aria-selected=\"false\" tabindex=\"-1\"",
            v.id
        )));
        assert!(row.contains(&format!(
            "data-type=\"{}\" data-status=\"{}\"",
            v.optimized_for.as_str(),
            v.status.as_str()
        )));
        assert!(row.contains(&format!(
            "<span class=\"status status-{}\">{}</span>",
            v.status,
            v.status.label()
        )));
        assert!(row.contains(&format!(
            "<td class=\"num\">{} MiB</td><td class=\"num\">{}</td>",
            v.memory_mib, v.vcpus
        )));
        assert!(row.contains(&format!("<td>{}</td>", v.host_name.as_deref().unwrap_or_default())));
        let tr = &row[..row.find('>').expect("the row's tag")];
        assert!(
            !tr.contains("class=") && !row.contains(" checked"),
            "nothing selected: {row}"
        );
        // The type icon, as the component draws it on the other grids.
        let icon = view! {
            <TypeIcon kind=v.optimized_for stateless=v.stateless next_run=v.next_run in_pool=v.pool_name.is_some() />
        }
        .to_html();
        assert!(
            row.contains(&format!("<td>{icon}</td>")),
            "the type icon {icon} in {row}"
        );
    }
    render_rows(URL, page(100));
}

#[test]
fn hostile_text_is_escaped() {
    let mut rows = varied();
    for (i, r) in rows.rows.iter_mut().enumerate() {
        r.name = format!("<script>alert({i})</script> & \"quoted\" 'single'");
        r.description = "a < b && c > d \"e\" <!-- f --> ]]>".into();
        r.cluster_name = "Dé & fault".into();
        r.host_name = Some("h\"ost<1>".into());
        r.template_name = "  leading and trailing  ".into();
        r.pool_name = Some("&amp;".into());
        r.ip_addresses = "<img src=x onerror=alert(1)>".into();
    }
    let html = render_rows(URL, rows);
    assert!(
        !html.contains("<script>alert") && !html.contains("<img src=x"),
        "nothing unescaped"
    );
    let row = rows_of(&html)[0];
    assert!(
        row.contains("&lt;script&gt;alert(0)&lt;/script&gt; &amp; \"quoted\" 'single'</a>"),
        "{row}"
    );
    assert!(
        row.contains("aria-label=\"Select &lt;script&gt;alert(0)&lt;/script&gt; &amp; &quot;quoted&quot; 'single'\""),
        "{row}"
    );
    assert!(
        row.contains("<td class=\"desc\">a &lt; b &amp;&amp; c &gt; d \"e\" &lt;!-- f --&gt; ]]&gt;</td>"),
        "{row}"
    );
    assert!(row.contains("<td>&amp;amp;</td>"), "{row}");
}

#[test]
fn the_selected_row_and_a_search_are_written_with_their_marks() {
    let rows = varied();
    let chosen = rows.rows[4].id;
    let html = render_rows(
        &format!("/vms?q=type%3Ahigh_performance%20%22a%20b%22&sort=memory&dir=desc&page=1&size=100&selected={chosen}"),
        rows.clone(),
    );
    let row = &html[html.find(&format!("<tr data-id=\"{chosen}\"")).expect("the chosen row")..];
    let row = &row[..row.find("</tr>").expect("its end")];
    assert!(
        row.contains("aria-selected=\"true\"")
            && row.contains("class=\"selected checked\"")
            && row.contains(" checked>"),
        "the chosen row is drawn selected, its box checked: {row}"
    );
    let selected = rows_of(&html)
        .iter()
        .filter(|r| r.contains("aria-selected=\"true\""))
        .count();
    assert_eq!(selected, 1, "one row selected");
    assert!(
        html.contains("q=type%3Ahigh_performance%20%22a%20b%22&amp;sort=memory&amp;dir=desc"),
        "links keep the search"
    );
    // A selected VM that is not on the page: no row drawn selected.
    let html = render_rows(
        &format!("/vms?sort=name&dir=asc&page=1&size=100&selected={}", Uuid::from_u128(7)),
        rows,
    );
    assert!(rows_of(&html).iter().all(|r| r.contains("aria-selected=\"false\"")));
}

#[test]
fn an_empty_page_has_no_rows() {
    let empty = GridPage {
        rows: Vec::new(),
        total: 0,
        page: 1,
        page_size: 100,
    };
    let html = runtime().block_on(render(URL, empty));
    assert!(html.contains("grid-empty"), "the empty state is drawn");
    assert!(!html.contains("<tbody"), "no table");
}
