//! The operations commands of the binary itself (`backup`, `restore`, `migrate`, `check`) and its
//! JSON log: run as an operator would, against real PostgreSQL clusters.

use crate::support::{config, empty_db, fresh_db, saved_id, unique, TestApp};
use sqlx::PgPool;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use vireo_app::backend::ConfigBackend;
use vireo_app::domain::draft::ConfigKind;
use vireo_server::embedded_pg::{EmbeddedPostgres, PgSettings};
use vireo_server::hypervisor::SharedLibvirtPool;

/// What a run of the binary did.
struct Run {
    code: Option<i32>,
    /// Standard output and error together (the log).
    log: String,
}

impl Run {
    fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

/// `vireo-server ARGS` with only the given settings (none inherited from the test's environment).
/// Waited for off the test's runtime, which meanwhile keeps serving the test's own pools (a
/// connection sqlx is still returning to a pool would otherwise stay open for the whole run).
async fn vireo(args: &[&str], env: &[(&str, &str)], setup: impl FnOnce(&mut Command)) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vireo-server"));
    cmd.args(args)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars() {
        if key.starts_with("VIREO_") || key == "DATABASE_URL" || key.starts_with("PG") {
            cmd.env_remove(key);
        }
    }
    for (key, value) in env {
        cmd.env(key, value);
    }
    setup(&mut cmd);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("run vireo-server");
    Run {
        code: out.status.code(),
        log: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Runs the command with writable memory never made executable (`PR_SET_MDWE`, Linux 6.3+), for
/// Vireo and every PostgreSQL program it starts: what `MemoryDenyWriteExecute=yes` imposes on
/// `server/systemd/vireo.service`. Whether the kernel has it (older kernels run it unrestricted).
fn deny_write_execute(cmd: &mut Command) -> bool {
    const PR_SET_MDWE: nix::libc::c_int = 65;
    const PR_GET_MDWE: nix::libc::c_int = 66;
    const PR_MDWE_REFUSE_EXEC_GAIN: nix::libc::c_ulong = 1;
    // SAFETY: PR_GET_MDWE only reads this process's flags.
    let supported = unsafe { nix::libc::prctl(PR_GET_MDWE, 0, 0, 0, 0) } >= 0;
    if supported {
        // SAFETY: prctl in the child before exec only sets a process attribute (inherited by
        // everything it starts).
        unsafe {
            cmd.pre_exec(|| {
                if nix::libc::prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    } else {
        eprintln!("this kernel has no PR_SET_MDWE: the restore ran without write-xor-execute");
    }
    supported
}

/// A fresh folder under the system temp folder (world-enterable, so the `postgres` user reaches
/// clusters inside when the tests run as root).
fn temp_folder(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(&format!("vireo-{label}")));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

async fn vm_names(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT name FROM vms ORDER BY name")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn migration_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Vireo assembled on `pool` with one VM saved through the service; the VM's name.
async fn with_a_vm(pool: &PgPool) -> String {
    let (state, router) = vireo_server::assemble(&config(), pool.clone(), Arc::new(SharedLibvirtPool::new()))
        .await
        .expect("assemble Vireo");
    let app = TestApp {
        state,
        router,
        pool: pool.clone(),
    };
    let admin = app.admin_user().await;
    let name = unique("kept");
    let draft = app.sized_draft(ConfigKind::Vm, name.clone(), 2).await;
    saved_id(app.state.service.save(&admin, draft, true).await.unwrap());
    name
}

async fn stop(pg: EmbeddedPostgres) {
    tokio::task::spawn_blocking(move || pg.stop()).await.unwrap();
}

/// The round trip: a data folder with a running "server" (its cluster up, a VM saved), `backup`
/// from it while it runs, `restore` into a new data folder — the VM is there. And what a restore
/// refuses: a database with data without `--force`, and with `--force` one still in use.
#[tokio::test]
async fn backup_and_restore_round_trip_through_data_folders() {
    let base = temp_folder("backup");
    let (old_data, new_data) = (base.join("old"), base.join("new"));
    let file = base.join("vireo.dump");
    let file_arg = file.to_str().unwrap();

    let old_pg = EmbeddedPostgres::start(&old_data.join("postgres"), PgSettings { durable: false })
        .await
        .unwrap();
    old_pg.ensure_database("vireo", None).await.unwrap();
    let old_pool = old_pg.pool("vireo", 4).await.unwrap();
    let vm = with_a_vm(&old_pool).await;

    let in_old = [("VIREO_DATA_DIR", old_data.to_str().unwrap())];
    let run = vireo(&["backup", file_arg], &in_old, |_| {}).await;
    assert!(run.ok(), "{}", run.log);
    assert!(
        run.log.contains("wrote a backup of the embedded cluster"),
        "{}",
        run.log
    );
    assert!(
        old_pg.postmaster_alive(),
        "the running server's cluster is left running"
    );
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o600,
        "a backup holds password hashes"
    );
    assert!(std::fs::read(&file).unwrap().starts_with(b"PGDMP"));
    let leftovers: Vec<_> = std::fs::read_dir(&base)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let again = vireo(&["backup", file_arg], &in_old, |_| {}).await;
    assert_eq!(again.code, Some(1), "{}", again.log);
    assert!(again.log.contains("--force"), "{}", again.log);
    assert!(vireo(&["backup", "--force", file_arg], &in_old, |_| {}).await.ok());

    // A new data folder, as a machine being rebuilt: the restore creates its cluster, with every
    // program under write-xor-execute as the systemd unit runs them.
    let in_new = [("VIREO_DATA_DIR", new_data.to_str().unwrap())];
    let run = vireo(&["restore", file_arg], &in_new, |cmd| {
        deny_write_execute(cmd);
    })
    .await;
    assert!(run.ok(), "{}", run.log);
    assert!(run.log.contains("restored"), "{}", run.log);

    let new_pg = EmbeddedPostgres::start(&new_data.join("postgres"), PgSettings { durable: false })
        .await
        .unwrap();
    let new_pool = new_pg.pool("vireo", 2).await.unwrap();
    assert!(vm_names(&new_pool).await.contains(&vm), "the VM came back");
    assert_eq!(vm_names(&new_pool).await, vm_names(&old_pool).await);
    assert_eq!(migration_count(&new_pool).await, migration_count(&old_pool).await);
    let admins: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE username = 'admin'")
        .fetch_one(&new_pool)
        .await
        .unwrap();
    assert_eq!(admins, 1);

    // It holds data now: refused without --force, and with --force while a server (this pool)
    // is connected.
    let run = vireo(&["restore", file_arg], &in_new, |_| {}).await;
    assert_eq!(run.code, Some(1), "{}", run.log);
    assert!(run.log.contains("already holds data"), "{}", run.log);
    let run = vireo(&["restore", "--force", file_arg], &in_new, |_| {}).await;
    assert_eq!(run.code, Some(1), "{}", run.log);
    assert!(run.log.contains("in use"), "{}", run.log);
    assert!(
        vm_names(&new_pool).await.contains(&vm),
        "a refused restore changes nothing"
    );
    new_pool.close().await;
    drop(new_pool);
    let run = vireo(&["restore", "--force", file_arg], &in_new, |_| {}).await;
    assert!(run.ok(), "{}", run.log);
    let new_pool = new_pg.pool("vireo", 2).await.unwrap();
    assert!(vm_names(&new_pool).await.contains(&vm));
    new_pool.close().await;

    // Not an archive: refused before anything is touched.
    let text = base.join("notes.txt");
    std::fs::write(&text, "not a backup").unwrap();
    let run = vireo(&["restore", "--force", text.to_str().unwrap()], &in_new, |_| {}).await;
    assert_eq!(run.code, Some(1), "{}", run.log);
    assert!(run.log.contains("is not a backup"), "{}", run.log);

    old_pool.close().await;
    stop(new_pg).await;
    stop(old_pg).await;
    std::fs::remove_dir_all(&base).unwrap();
}

/// With DATABASE_URL: pg_dump and pg_restore reach the server the URL names; a restore goes into
/// an empty database as is.
#[tokio::test]
async fn backup_and_restore_with_a_database_url() {
    let base = temp_folder("backup-url");
    let file = base.join("vireo.dump");
    let (_, source) = fresh_db().await;
    let vm = with_a_vm(&source).await;
    let run = vireo(
        &["backup", file.to_str().unwrap()],
        &[("DATABASE_URL", &crate::support::url_of(&source))],
        |_| {},
    )
    .await;
    assert!(run.ok(), "{}", run.log);
    assert!(!run.log.contains("postgres://"), "the URL is not logged: {}", run.log);

    let target = empty_db().await;
    let run = vireo(
        &["restore", file.to_str().unwrap()],
        &[("DATABASE_URL", &crate::support::url_of(&target))],
        |_| {},
    )
    .await;
    assert!(run.ok(), "{}", run.log);
    assert!(vm_names(&target).await.contains(&vm));
    assert_eq!(vm_names(&target).await, vm_names(&source).await);
    std::fs::remove_dir_all(&base).unwrap();
}

fn site_root(with_pkg: bool) -> PathBuf {
    let dir = temp_folder("site");
    if with_pkg {
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
    }
    dir
}

async fn check(url: &str, site: &Path, json: bool) -> Run {
    let mut env = vec![("DATABASE_URL", url), ("VIREO_SITE_ROOT", site.to_str().unwrap())];
    if json {
        env.push(("VIREO_LOG_FORMAT", "json"));
    }
    vireo(&["check"], &env, |_| {}).await
}

/// `check` says ready (0), pending migrations (3) or failed (1); `migrate` makes an empty
/// database ready.
#[tokio::test]
async fn check_and_migrate_say_what_is_ready() {
    let site = site_root(true);
    let (_, migrated) = fresh_db().await;
    let run = check(&crate::support::url_of(&migrated), &site, false).await;
    assert_eq!(run.code, Some(0), "{}", run.log);
    for part in [
        "configuration: ok",
        "site: ok",
        "database: ok",
        "migrations: ok, all",
        "libvirt: ok",
    ] {
        assert!(run.log.contains(part), "{part}: {}", run.log);
    }

    let empty = empty_db().await;
    let url = crate::support::url_of(&empty);
    let run = check(&url, &site, false).await;
    assert_eq!(run.code, Some(3), "{}", run.log);
    assert!(run.log.contains("migrations: pending"), "{}", run.log);
    let run = vireo(&["migrate"], &[("DATABASE_URL", &url)], |_| {}).await;
    assert!(run.ok(), "{}", run.log);
    assert!(run.log.contains("applied"), "{}", run.log);
    assert_eq!(check(&url, &site, false).await.code, Some(0));

    let no_site = site_root(false);
    let run = check(&url, &no_site, false).await;
    assert_eq!(run.code, Some(1), "{}", run.log);
    assert!(run.log.contains("site: failed"), "{}", run.log);
    let run = vireo(
        &["check", "--default-host-uri", "qemu+ssh://nobody@127.0.0.1:1/system"],
        &[("DATABASE_URL", &url), ("VIREO_SITE_ROOT", site.to_str().unwrap())],
        |_| {},
    )
    .await;
    assert_eq!(run.code, Some(1), "{}", run.log);
    assert!(run.log.contains("libvirt: failed"), "{}", run.log);
    for dir in [site, no_site] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

/// `VIREO_LOG_FORMAT=json`: every line is one JSON object with the level and message (and the
/// check's name as a field); a bad format is a usage error.
#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let site = site_root(true);
    let (_, db) = fresh_db().await;
    let run = check(&crate::support::url_of(&db), &site, true).await;
    assert_eq!(run.code, Some(0), "{}", run.log);
    let lines: Vec<serde_json::Value> = run
        .log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.len() >= 5, "{}", run.log);
    for line in &lines {
        assert!(line["timestamp"].is_string() && line["level"].is_string(), "{line}");
        assert!(line["message"].is_string(), "{line}");
    }
    assert!(
        lines.iter().any(|l| l["check"] == "database" && l["level"] == "INFO"),
        "{}",
        run.log
    );

    // A bad setting is reported in the chosen format too.
    let run = vireo(&["--addr", "nope", "check"], &[("VIREO_LOG_FORMAT", "json")], |_| {}).await;
    assert_eq!(run.code, Some(1), "{}", run.log);
    let line: serde_json::Value = serde_json::from_str(run.log.trim()).unwrap_or_else(|e| panic!("{e}: {}", run.log));
    assert_eq!(line["level"], "ERROR");
    assert!(line["message"].as_str().unwrap().contains("VIREO_ADDR"), "{line}");

    let run = vireo(&["check"], &[("VIREO_LOG_FORMAT", "xml")], |_| {}).await;
    assert_eq!(run.code, Some(2), "{}", run.log);
    assert!(run.log.contains("text or json"), "{}", run.log);
    std::fs::remove_dir_all(site).unwrap();
}
