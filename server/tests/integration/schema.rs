use crate::support::{app, config, empty_db, event_messages};
use std::sync::Arc;
use vireo_server::hypervisor::SharedLibvirtPool;
use vireo_server::{assemble, MIGRATOR};

#[tokio::test]
async fn migrations_apply_to_an_empty_database() {
    let pool = empty_db().await;
    MIGRATOR.run(&pool).await.expect("migrations apply");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for t in [
        "clusters",
        "events",
        "hosts",
        "instance_types",
        "os_types",
        "templates",
        "users",
        "vm_pools",
        "vms",
    ] {
        assert!(tables.contains(&t.to_string()), "table {t} missing from {tables:?}");
    }
    let families: Vec<(String, i64)> =
        sqlx::query_as("SELECT family, count(*) FROM os_types GROUP BY family ORDER BY family")
            .fetch_all(&pool)
            .await
            .unwrap();
    let count = |f: &str| families.iter().find(|(x, _)| x == f).map(|(_, n)| *n).unwrap_or(0);
    assert!(count("linux") >= 6 && count("windows") >= 4, "{families:?}");
    assert!(families.iter().map(|(_, n)| n).sum::<i64>() >= 12);
    let blank: (String, Option<String>, Option<i32>) = sqlx::query_as(
        "SELECT name, optimized_for, vcpus FROM templates WHERE id = '00000000-0000-0000-0000-000000000000'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(blank, ("Blank".into(), Some("server".into()), Some(1)));
    // Running them again is a no-op.
    MIGRATOR.run(&pool).await.expect("idempotent");
}

#[tokio::test]
async fn the_blank_template_is_a_valid_vm_config() {
    let pool = empty_db().await;
    MIGRATOR.run(&pool).await.unwrap();
    let config: sqlx::types::Json<vireo_app::domain::vm_config::VmConfig> =
        sqlx::query_scalar("SELECT config FROM templates WHERE name = 'Blank'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(config.0, vireo_app::domain::vm_config::VmConfig::default());
}

#[tokio::test]
async fn first_run_creates_admin_default_cluster_and_host_once() {
    let app = app().await;
    let users: Vec<(String, String)> = sqlx::query_as("SELECT username, role FROM users")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(users, vec![("admin".to_string(), "admin".to_string())]);
    let clusters = app.state.repo.list_clusters().await.unwrap();
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0].name, "Default");
    assert_eq!(clusters[0].compat_version.to_string(), "4.8");
    let hosts = app.state.repo.list_hosts().await.unwrap();
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0].uri, "test:///default");
    assert_eq!(hosts[0].simulated_topology.as_deref(), Some("hp-2s8c2t"));
    assert_eq!(hosts[0].topology.sockets, 2);

    // A restart (assemble again on the same database) adds nothing.
    let _restarted = assemble(&config(), app.pool.clone(), Arc::new(SharedLibvirtPool::new()))
        .await
        .unwrap();
    assert_eq!(app.state.repo.count_users().await.unwrap(), 1);
    assert_eq!(app.state.repo.count_clusters().await.unwrap(), 1);
    assert_eq!(app.state.repo.count_hosts().await.unwrap(), 1);
    let events = event_messages(&app.pool).await;
    assert_eq!(events.iter().filter(|e| e.0 == "host.add").count(), 1, "{events:?}");
}

#[tokio::test]
async fn a_generated_admin_password_is_written_to_the_data_folder() {
    let (_name, pool) = crate::support::fresh_db().await;
    let dir = std::env::temp_dir().join(format!("vireo-pw-{}", uuid::Uuid::new_v4()));
    let mut cfg = config();
    cfg.admin_password = None;
    cfg.data_dir = dir.clone();
    let (state, _router) = assemble(&cfg, pool, Arc::new(SharedLibvirtPool::new())).await.unwrap();
    let written = std::fs::read_to_string(dir.join("admin-password")).expect("password file");
    let password = written.trim();
    assert_eq!(password.len(), 20);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.join("admin-password"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "only the owner may read it");
    let user = state.repo.user_by_name("admin").await.unwrap().unwrap();
    assert!(vireo_server::service::passwords::verify_password(
        password,
        &user.password_hash
    ));
    let _ = std::fs::remove_dir_all(dir);
}
