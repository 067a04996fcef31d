//! `vireo-server backup FILE` and `restore FILE`: the whole database in `pg_dump`'s custom format.
//!
//! Backup reads a consistent snapshot (one `pg_dump` transaction), so it runs while Vireo serves:
//! with a running `serve` it connects to that server's cluster, otherwise it starts the cluster
//! for the time of the dump. The file is written beside FILE under a temporary name, mode 0600
//! (it holds password hashes and tokens' hashes), and only named FILE once complete.
//!
//! Restore is destructive and so refuses by default: it goes into a database that is new or
//! empty, and replaces one with data only with `--force`. Into the embedded cluster it first
//! restores into a staging database (one transaction) and swaps it in only when that worked;
//! PostgreSQL refuses the swap while a running Vireo is connected, so a server is never changed
//! under its feet. Into `DATABASE_URL` it restores in one transaction (`--clean` with `--force`).

use super::store::{Store, EMBEDDED_DATABASE};
use super::{pg_tools, OpsError};
use crate::embedded_pg::PgError;
use crate::repository::Repository;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// What every custom-format archive starts with.
const ARCHIVE_MAGIC: &[u8; 5] = b"PGDMP";

/// The embedded cluster's database a restore goes into before it becomes Vireo's.
const STAGING_DATABASE: &str = "vireo_restore";

/// Writes the database to `file`; its size in bytes. An existing `file` is replaced only with
/// `force`.
pub async fn backup(store: &Store, file: &Path, force: bool) -> Result<u64, OpsError> {
    let file_error = |what, source| OpsError::File {
        what,
        path: file.to_path_buf(),
        source,
    };
    if let Store::Embedded(pg) = store {
        if !pg.database_exists(EMBEDDED_DATABASE).await? {
            return Err(OpsError::Refused(
                "there is no Vireo database to back up yet (the first start creates it)".into(),
            ));
        }
    }
    refuse_existing(file, force)?;
    let partial = partial_path(file);
    let out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(|e| file_error("cannot create a file beside", e))?;
    let keep = out.try_clone().map_err(|e| file_error("cannot write", e))?;
    let dumped: Result<u64, OpsError> = async {
        let mut cmd = pg_tools::command(store, "pg_dump", None)?;
        cmd.arg("--format=custom");
        pg_tools::run(cmd, Stdio::null(), Stdio::from(out)).await?;
        keep.sync_all().map_err(|e| file_error("cannot write", e))?;
        let size = keep.metadata().map_err(|e| file_error("cannot write", e))?.len();
        // Without --force, a link (which fails if `file` appeared meanwhile) instead of a rename
        // (which would replace it).
        let named = if force {
            std::fs::rename(&partial, file)
        } else {
            std::fs::hard_link(&partial, file).and_then(|()| std::fs::remove_file(&partial))
        };
        named.map_err(|e| file_error("cannot name the backup", e))?;
        sync_parent(file);
        Ok(size)
    }
    .await;
    if dumped.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    dumped
}

/// Refuses a `file` that is a folder, or exists without `force`: checked before anything is
/// started, and again just before writing.
pub fn refuse_existing(file: &Path, force: bool) -> Result<(), OpsError> {
    match std::fs::symlink_metadata(file) {
        Ok(meta) if meta.is_dir() => Err(OpsError::Refused(format!("{} is a folder", file.display()))),
        Ok(_) if !force => Err(OpsError::Refused(format!(
            "{} exists; choose another name, or add --force to replace it",
            file.display()
        ))),
        _ => Ok(()),
    }
}

/// Replaces the database with the archive in `file` (see the module's comment for what `force`
/// allows).
pub async fn restore(store: &Store, file: &Path, force: bool) -> Result<(), OpsError> {
    let archive = open_archive(file)?;
    let pool = store.pool(2).await?;
    let objects = Repository::new(pool.clone()).user_object_count().await;
    pool.close().await;
    // Dropped too, not only closed: sqlx's `close` can return while the connection just used is
    // still on its way back to the pool, which then keeps it open (measured: the DROP DATABASE
    // below then found it there) until the pool itself is gone.
    drop(pool);
    let occupied = objects? > 0;
    if occupied && !force {
        return Err(OpsError::Refused(format!(
            "{} already holds data; a restore replaces all of it: stop Vireo, back it up, then restore with --force",
            store.describe()
        )));
    }
    let restore_args = [
        "--exit-on-error",
        "--single-transaction",
        "--no-owner",
        "--no-privileges",
    ];
    match store {
        Store::Embedded(pg) => {
            // A staging database left by an interrupted restore is nobody's.
            pg.drop_database(STAGING_DATABASE).await?;
            pg.ensure_database(STAGING_DATABASE, None).await?;
            let mut cmd = pg_tools::command(store, "pg_restore", Some(STAGING_DATABASE))?;
            cmd.args(restore_args);
            if let Err(e) = pg_tools::run(cmd, Stdio::from(archive), Stdio::null()).await {
                let _ = pg.drop_database(STAGING_DATABASE).await;
                return Err(e);
            }
            if let Err(e) = drop_when_free(pg, EMBEDDED_DATABASE).await {
                let _ = pg.drop_database(STAGING_DATABASE).await;
                return Err(e.into());
            }
            pg.rename_database(STAGING_DATABASE, EMBEDDED_DATABASE).await?;
        }
        Store::External { .. } => {
            let mut cmd = pg_tools::command(store, "pg_restore", None)?;
            cmd.args(restore_args);
            if occupied {
                cmd.args(["--clean", "--if-exists"]);
            }
            pg_tools::run(cmd, Stdio::from(archive), Stdio::null()).await?;
        }
    }
    Ok(())
}

/// How many times a restore tries to drop the database it replaces. PostgreSQL itself waits 5 s
/// per try for other sessions to end; a session still exiting (the restore's own count
/// connection, on a loaded machine) is gone by the second, while a running Vireo holds its
/// connections through every try.
const DROP_TRIES: u32 = 2;

async fn drop_when_free(pg: &crate::embedded_pg::EmbeddedPostgres, name: &str) -> Result<(), PgError> {
    let mut tries = 0;
    loop {
        tries += 1;
        match pg.drop_database(name).await {
            Err(PgError::InUse(_)) if tries < DROP_TRIES => {
                tracing::info!("the database '{name}' still has a session; trying again");
            }
            other => return other,
        }
    }
}

/// Refuses `file` unless it is a custom-format archive: checked before anything is started.
pub fn check_archive(file: &Path) -> Result<(), OpsError> {
    open_archive(file).map(drop)
}

/// `file` opened for reading, refused unless it is a custom-format archive.
fn open_archive(file: &Path) -> Result<File, OpsError> {
    let file_error = |what, source| OpsError::File {
        what,
        path: file.to_path_buf(),
        source,
    };
    let mut archive = File::open(file).map_err(|e| file_error("cannot open", e))?;
    let mut magic = [0u8; ARCHIVE_MAGIC.len()];
    let read = archive.read_exact(&mut magic);
    if read.is_err() || &magic != ARCHIVE_MAGIC {
        return Err(OpsError::Refused(format!(
            "{} is not a backup made by `vireo-server backup` (pg_dump's custom format)",
            file.display()
        )));
    }
    archive.rewind().map_err(|e| file_error("cannot read", e))?;
    Ok(archive)
}

/// `dir/.NAME.<pid>.partial` for `dir/NAME`: same folder (so naming it is a rename), hidden,
/// and this process's own.
fn partial_path(file: &Path) -> PathBuf {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    file.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}

/// The folder's entry for the new name reaches the disk too (best effort: some filesystems
/// refuse to sync a folder).
fn sync_parent(file: &Path) {
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(parent) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partial_file_sits_beside_the_backup() {
        let pid = std::process::id();
        assert_eq!(
            partial_path(Path::new("/var/backups/vireo.dump")),
            PathBuf::from(format!("/var/backups/.vireo.dump.{pid}.partial"))
        );
        assert_eq!(
            partial_path(Path::new("vireo.dump")),
            PathBuf::from(format!(".vireo.dump.{pid}.partial"))
        );
    }

    #[test]
    fn only_custom_format_archives_are_restored() {
        let dir = std::env::temp_dir().join(format!("vireo-archive-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good");
        std::fs::write(&good, b"PGDMP\x01\x0e\x00rest").unwrap();
        let mut f = open_archive(&good).unwrap();
        let mut all = Vec::new();
        f.read_to_end(&mut all).unwrap();
        assert!(all.starts_with(b"PGDMP"), "read from the start");
        for (name, bytes) in [("plain", &b"-- PostgreSQL database dump\n"[..]), ("short", b"PG")] {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            assert!(matches!(open_archive(&path), Err(OpsError::Refused(_))), "{name}");
        }
        assert!(matches!(open_archive(&dir.join("missing")), Err(OpsError::File { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
