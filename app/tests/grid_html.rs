//! The server writes the VM grid's rows as text (`components/grid_html.rs`,
//! `pages/vms/row_html.rs`); the browser hydrates them with the rows' views. Hydration needs the
//! two to be the same HTML, byte for byte: this renders the VM page both ways and compares.
//! Rows cover every status and type, each flag of the type icon, empty and missing fields, text
//! that must be escaped, the selected row (checked box and `selected` class) and a search.

#[path = "support/vm_page.rs"]
mod vm_page;

use uuid::Uuid;
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

/// Renders `url` with `rows` both ways; the same HTML, with every row in it. Returns it.
fn assert_same(url: &str, rows: GridPage<VmRow>) -> String {
    let runtime = runtime();
    let n = rows.rows.len();
    let views = runtime.block_on(render(url, rows.clone(), true));
    let text = runtime.block_on(render(url, rows, false));
    assert_eq!(views.matches("<tr data-id=").count(), n, "the views drew every row");
    if views != text {
        let at = views
            .bytes()
            .zip(text.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(views.len().min(text.len()));
        let from = at.saturating_sub(300);
        panic!(
            "the rows written as text differ from their views at byte {at}\nviews: …{}\ntext:  …{}",
            &views[from..(at + 300).min(views.len())],
            &text[from..(at + 300).min(text.len())],
        );
    }
    views
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
fn rows_written_as_text_equal_their_views() {
    assert_same(URL, varied());
    assert_same(URL, page(100));
}

#[test]
fn hostile_text_is_escaped_as_the_views_escape_it() {
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
    let html = assert_same(URL, rows);
    assert!(
        !html.contains("<script>alert") && !html.contains("<img src=x"),
        "nothing unescaped"
    );
}

#[test]
fn the_selected_row_and_a_search_are_written_as_their_views() {
    let rows = varied();
    let chosen = rows.rows[4].id;
    let html = assert_same(
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
    assert!(
        html.contains("q=type%3Ahigh_performance%20%22a%20b%22&amp;sort=memory&amp;dir=desc"),
        "links keep the search"
    );
    // A selected VM that is not on the page.
    assert_same(
        &format!("/vms?sort=name&dir=asc&page=1&size=100&selected={}", Uuid::from_u128(7)),
        rows,
    );
}

#[test]
fn an_empty_page_has_no_rows_either_way() {
    let runtime = runtime();
    let empty = GridPage {
        rows: Vec::new(),
        total: 0,
        page: 1,
        page_size: 100,
    };
    let views = runtime.block_on(render(URL, empty.clone(), true));
    let text = runtime.block_on(render(URL, empty, false));
    assert!(views.contains("grid-empty"), "the empty state is drawn");
    assert_eq!(views, text);
}
