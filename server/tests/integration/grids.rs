//! Grids against a seeded database: search words and terms, sort, paging, totals, the page that
//! holds a selected row, events per object, and the live-update channel.

use crate::support::{app, TestApp};
use std::time::Duration;
use vireo_app::backend::GridBackend;
use vireo_app::error::AppError;
use vireo_app::models::GridQuery;

fn q(search: &str, sort: &str, desc: bool, page: u32, size: u32) -> GridQuery {
    GridQuery {
        search: search.into(),
        sort: sort.into(),
        desc,
        page,
        page_size: size,
        focus: None,
    }
}

/// A fresh app with `count` VMs named `<prefix>-00001`… (as `vireo-server seed` inserts them).
async fn seeded_app(prefix: &str, count: u32) -> TestApp {
    let app = app().await;
    vireo_server::service::seed::seed(&app.state.repo, prefix, count)
        .await
        .unwrap();
    app
}

#[tokio::test]
async fn the_batched_seed_gives_each_vm_its_numbers_configuration_pool_and_next_run() {
    let app = app().await;
    // Batches of 64: the boundaries fall inside the 13- and 11-periods of pools and next runs.
    let n = vireo_server::service::seed::seed_in_batches(&app.state.repo, "m", 250, 64)
        .await
        .unwrap();
    assert_eq!(n, 250);
    /// Name, description, configuration, whether a next run is pending, pool name, status.
    type SeededRow = (
        String,
        String,
        sqlx::types::Json<vireo_app::domain::vm_config::VmConfig>,
        bool,
        Option<String>,
        String,
    );
    let rows: Vec<SeededRow> = sqlx::query_as(
        "SELECT v.name, v.description, v.config, v.next_run_config IS NOT NULL, p.name, v.status
             FROM vms v LEFT JOIN vm_pools p ON p.id = v.pool_id WHERE v.name LIKE 'm-%' ORDER BY v.name",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 250);
    let teams = ["trading", "analytics", "web", "billing", "search", "ml"];
    for (i, (name, description, config, next_run, pool, status)) in (1u32..).zip(rows) {
        assert_eq!(name, format!("m-{i:05}"));
        assert_eq!(
            description,
            format!("Seeded VM {i} for the {} team", teams[i as usize % 6])
        );
        assert_eq!(config.0, vireo_server::service::seed::seeded_config(i), "{name}");
        assert_eq!(next_run, i % 11 == 0, "{name}");
        let pools = ["m-pool-a", "m-pool-b", "m-pool-c"];
        assert_eq!(pool.as_deref(), (i % 13 == 0).then(|| pools[i as usize % 3]), "{name}");
        assert_eq!(status, "down");
    }
}

#[tokio::test]
async fn search_sort_and_page_the_seeded_vms() {
    let app = seeded_app("s", 120).await;
    let svc = &app.state.service;

    let page = svc.vm_grid(&q("", "name", false, 2, 25)).await.unwrap();
    assert_eq!((page.total, page.page, page.rows.len()), (120, 2, 25));
    assert_eq!(page.rows[0].name, "s-00026");
    assert_eq!(page.pages(), 5);

    let hp = svc
        .vm_grid(&q("type:high_performance", "memory", true, 1, 50))
        .await
        .unwrap();
    assert_eq!(hp.total, 24);
    assert!(hp.rows.iter().all(|r| r.optimized_for.as_str() == "high_performance"));
    assert_eq!((hp.rows[0].name.as_str(), hp.rows[0].memory_mib), ("s-00019", 8192));
    assert!(hp.rows.windows(2).all(|w| w[0].memory_mib >= w[1].memory_mib));

    // Words match names and descriptions, case-insensitively, and combine with terms.
    let words = svc
        .vm_grid(&q("TRADING type:server", "name", false, 1, 200))
        .await
        .unwrap();
    assert!(words.total > 0);
    assert_eq!(
        words.total,
        words.rows.len() as i64,
        "the count matches the rows it counts"
    );
    assert!(words
        .rows
        .iter()
        .all(|r| r.description.contains("trading") && r.optimized_for.as_str() == "server"));
    let pool = svc.vm_grid(&q("pool:s-pool-a", "name", false, 1, 200)).await.unwrap();
    assert!(pool.total > 0 && pool.rows.iter().all(|r| r.pool_name.as_deref() == Some("s-pool-a")));
    // A term on a joined table: the count joins it too.
    assert_eq!(pool.total, pool.rows.len() as i64);
    let cluster = svc.vm_grid(&q("cluster:default", "name", false, 1, 10)).await.unwrap();
    assert_eq!((cluster.total, cluster.rows.len()), (120, 10));
    let elsewhere = svc.vm_grid(&q("cluster:nowhere", "name", false, 1, 10)).await.unwrap();
    assert_eq!((elsewhere.total, elsewhere.rows.len()), (0, 0));
    let none = svc.vm_grid(&q("status:up", "name", false, 1, 50)).await.unwrap();
    assert_eq!(none.total, 0);
    // LIKE wildcards in a search are literal.
    assert_eq!(svc.vm_grid(&q("%", "name", false, 1, 50)).await.unwrap().total, 0);

    let err = svc.vm_grid(&q("colour:red", "name", false, 1, 50)).await.unwrap_err();
    let AppError::Validation { errors } = err else { panic!() };
    assert_eq!(errors[0].field, "search");

    // An unknown sort key falls back to name; a page past the end is empty but the total is kept.
    let odd = svc.vm_grid(&q("", "drop table", false, 99, 25)).await.unwrap();
    assert!(odd.rows.is_empty());
    assert_eq!(odd.total, 120, "the total holds past the end of the rows");
}

#[tokio::test]
async fn a_selected_row_brings_its_page() {
    let app = seeded_app("f", 120).await;
    let svc = &app.state.service;
    let all = svc.vm_grid(&q("", "name", false, 3, 25)).await.unwrap();
    let target = all.rows[4].id; // f-00055
    let mut focused = q("", "name", false, 1, 25);
    focused.focus = Some(target);
    let page = svc.vm_grid(&focused).await.unwrap();
    assert_eq!(page.page, 3);
    assert!(page.rows.iter().any(|r| r.id == target));
    // Sorted the other way it is elsewhere.
    let mut desc = q("", "name", true, 1, 25);
    desc.focus = Some(target);
    assert_eq!(svc.vm_grid(&desc).await.unwrap().page, 3, "66th of 120 from the end");
    // A focus the search excludes leaves the page alone.
    let mut filtered = q("type:desktop", "name", false, 1, 25);
    filtered.focus = Some(target);
    assert_eq!(svc.vm_grid(&filtered).await.unwrap().page, 1);
}

#[tokio::test]
async fn other_grids_search_and_sort_too() {
    let app = seeded_app("o", 30).await;
    let svc = &app.state.service;
    assert_eq!(
        svc.pool_grid(&q("o-pool", "name", false, 1, 50)).await.unwrap().total,
        3
    );
    assert_eq!(
        svc.template_grid(&q("type:server", "name", false, 1, 50))
            .await
            .unwrap()
            .rows[0]
            .name,
        "Blank"
    );
    assert_eq!(
        svc.host_grid(&q("status:up", "name", false, 1, 50))
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        svc.cluster_grid(&q("Default", "vms", true, 1, 50)).await.unwrap().rows[0].vm_count,
        30
    );
    let events = svc
        .event_grid(&q("result:success object:host", "time", true, 1, 50), None)
        .await
        .unwrap();
    assert!(events.total >= 1 && events.rows.iter().all(|e| e.object_kind == "host"));
    let host = app.first_host().await;
    let own = svc
        .event_grid(&q("", "time", true, 1, 50), Some(uuid::Uuid::new_v4()))
        .await
        .unwrap();
    assert_eq!(own.total, 0);
    let _ = host;
    assert!(svc.host_grid(&q("status:sleepy", "name", false, 1, 50)).await.is_err());
}

/// Pentest row 13: a NUL in a grid search reached PostgreSQL, which refuses it in text (a 500); it
/// is a `search` field error now. Paging with the largest numbers a call can carry answers an
/// empty page instead of overflowing the OFFSET.
#[tokio::test]
async fn control_characters_and_huge_pages_are_handled() {
    let app = seeded_app("c", 3).await;
    let svc = &app.state.service;
    for search in ["c-\0", "cluster:\"a\0\"", "x\u{1b}[2J"] {
        let err = svc.vm_grid(&q(search, "name", false, 1, 50)).await.unwrap_err();
        let AppError::Validation { errors } = &err else {
            panic!("{search:?}: {err:?}")
        };
        assert_eq!(errors[0].field, "search");
        assert!(errors[0].message.contains("control character"), "{}", errors[0].message);
    }
    assert!(svc.event_grid(&q("\0", "time", true, 1, 50), None).await.is_err());
    let far = svc.vm_grid(&q("", "name", false, u32::MAX, u32::MAX)).await.unwrap();
    assert!(far.rows.is_empty());
    assert_eq!(far.total, 3);
}

/// The next message on the live channel within 5 s.
async fn next_change(rx: &mut tokio::sync::broadcast::Receiver<vireo_server::web::live::Changes>) -> String {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a change message")
        .expect("the channel is open")
        .to_string()
}

#[tokio::test]
async fn changes_are_announced_with_the_rows_that_really_changed() {
    let app = seeded_app("live", 3).await;
    let (tx, mut rx) = tokio::sync::broadcast::channel(16);
    let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let listener = tokio::spawn(vireo_server::web::live::listen(app.pool.clone(), tx, stop_rx));
    // Give LISTEN a moment to be in place.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let svc = &app.state.service;
    let vms = svc.vm_grid(&q("", "name", false, 1, 10)).await.unwrap().rows;
    let (a, b) = (vms[0].id, vms[1].id);

    // An update in place names its row.
    app.update_row("UPDATE vms SET description = 'changed' WHERE id = $1", a)
        .await;
    assert_eq!(next_change(&mut rx).await, format!("vms:{a}"));

    // Writing what is already there (the reconcile's status writes) announces nothing: the next
    // message is the host's change alone.
    app.update_row(
        "UPDATE vms SET description = description, status = status WHERE id = $1",
        b,
    )
    .await;
    app.update_row("UPDATE vms SET status = 'down' WHERE id = $1 AND status <> 'down'", b)
        .await;
    let host = app.first_host().await;
    app.update_row("UPDATE hosts SET last_error = 'x' WHERE id = $1", host.id)
        .await;
    assert_eq!(next_change(&mut rx).await, format!("hosts:{}", host.id));

    // A rename may move the row in a grid sorted by name; an insert or a delete changes the set:
    // the table alone.
    app.update_row("UPDATE vms SET name = 'live-renamed' WHERE id = $1", b)
        .await;
    assert_eq!(next_change(&mut rx).await, "vms");
    vireo_server::service::seed::seed(&app.state.repo, "more", 2)
        .await
        .unwrap();
    let seeded = next_change(&mut rx).await;
    assert!(seeded.split(' ').any(|e| e == "vms"), "{seeded}");

    // A statement changing many rows is one message, the table alone past 64 ids.
    sqlx::query("UPDATE vms SET description = description || '!'")
        .execute(&app.pool)
        .await
        .unwrap();
    let all = next_change(&mut rx).await;
    assert!(all.starts_with("vms:") && all.matches(',').count() == 4, "{all}");

    // New events name their object; the guest's addresses are the VMs grid's.
    sqlx::query(
        "INSERT INTO events (severity, action, object_kind, object_id, result, message)
         VALUES ('info', 'test', 'vm', $1, 'success', 'x')",
    )
    .bind(a)
    .execute(&app.pool)
    .await
    .unwrap();
    assert_eq!(next_change(&mut rx).await, format!("events:{a}"));
    sqlx::query("INSERT INTO vm_reported_nics (vm_id, name, mac, addresses) VALUES ($1, 'eth0', 'm', '{10.0.0.2}')")
        .bind(a)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(next_change(&mut rx).await, format!("vms:{a}"));
    listener.abort();
}

#[tokio::test]
async fn the_announced_tables_are_the_ones_the_browser_knows() {
    let app = app().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT c.relname::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE NOT t.tgisinternal AND t.tgname LIKE '%\\_announce\\_%' ORDER BY 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    // vm_reported_nics is announced as `vms`.
    let mut expected: Vec<&str> = vireo_app::domain::live_changes::ANNOUNCED.to_vec();
    expected.push("vm_reported_nics");
    expected.sort_unstable();
    assert_eq!(tables, expected);
}

#[tokio::test]
async fn a_vm_update_reaches_the_live_stream_with_its_id() {
    use futures_util::StreamExt;
    let app = seeded_app("stream", 2).await;
    let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let listener = tokio::spawn(vireo_server::web::live::listen(
        app.pool.clone(),
        app.state.changes.clone(),
        stop_rx,
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cookie = app.admin_cookie().await;
    let response = app.get_as(&cookie, "/api/stream").await;
    assert_eq!(response.status(), axum::http::StatusCode::OK);
    let mut body = response.into_body().into_data_stream();

    // Through the REST API, as a client changes a VM.
    let vm = app
        .state
        .service
        .vm_grid(&q("", "name", false, 1, 10))
        .await
        .unwrap()
        .rows[1]
        .id;
    let token = app.admin_token().await;
    app.rest_ok(
        &token,
        axum::http::Method::PUT,
        &format!("/vms/{vm}"),
        "<vm><description>changed live</description></vm>",
    )
    .await;
    let mut text = String::new();
    let wanted = format!("vms:{vm}");
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(chunk)) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            // `event: change` then `data: …` (entries separated by spaces; the save's audit
            // event is announced as `events:<vm>` beside it).
            if text
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .any(|data| data.split(' ').any(|entry| entry == wanted))
            {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "{text}");
    assert!(text.contains("event: change"), "{text}");
    listener.abort();
}

/// Both directions of a sort by an indexed, never-NULL column read its index (forwards or
/// backwards) and stop after the page, with no full sort of the table: a descending order written
/// `DESC NULLS LAST` did not match a b-tree read backwards, and PostgreSQL read and sorted every
/// VM (every event, for the audit log newest first, its default) for each page.
#[tokio::test]
async fn sorts_by_indexed_columns_read_the_index_in_both_directions() {
    use vireo_server::repository::{grid_page_sql, PlannedGrid};
    let t = app().await;
    for (grid, sort, index) in [
        (PlannedGrid::Vms, "name", "vms_name_key"),
        (PlannedGrid::Events, "time", "events_at_idx"),
    ] {
        for desc in [false, true] {
            let mut q = GridQuery::new(sort);
            q.desc = desc;
            let sql = grid_page_sql(grid, &q);
            // The test's tables are small: without this PostgreSQL would scan them whole anyway.
            let mut tx = t.pool.begin().await.unwrap();
            sqlx::query("SET LOCAL enable_seqscan = off")
                .execute(&mut *tx)
                .await
                .unwrap();
            let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {sql}"))
                .fetch_all(&mut *tx)
                .await
                .unwrap();
            let plan = plan.join("\n");
            assert!(
                plan.contains(&format!("using {index}")),
                "{grid:?} {sort} desc={desc}: {plan}"
            );
            // A plan node `Sort  (cost=…)`, not an `Incremental Sort` nor a `Sort Key:` line.
            let full_sort = plan.lines().any(|l| {
                l.trim_start()
                    .trim_start_matches("->")
                    .trim_start()
                    .starts_with("Sort  (")
            });
            assert!(!full_sort, "{grid:?} {sort} desc={desc} sorts the whole table: {plan}");
        }
    }
}

/// The sort keys the repository says are never NULL (they order `DESC` without `NULLS LAST`) are
/// `NOT NULL` columns in the migrated schema.
#[tokio::test]
async fn never_null_sort_keys_are_not_null_columns() {
    let t = app().await;
    let keys = vireo_server::repository::never_null_sort_columns();
    assert!(keys.len() > 40, "{keys:?}");
    for (collection, key, column) in keys {
        let Some((table, column)) = column else {
            panic!("{collection}: {key} is not one plain column");
        };
        let nullable: String = sqlx::query_scalar(
            "SELECT is_nullable::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2",
        )
        .bind(table)
        .bind(column)
        .fetch_one(&t.pool)
        .await
        .unwrap_or_else(|e| panic!("{collection}: {key} reads {table}.{column}, not in the schema: {e}"));
        assert_eq!(
            nullable, "NO",
            "{collection}: {key} reads {table}.{column}, which can be NULL"
        );
    }
}
