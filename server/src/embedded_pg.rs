//! A private PostgreSQL cluster that Vireo starts, owns and stops: used when `DATABASE_URL` is unset
//! (`make run`) and by the tests (a throwaway cluster per test process). It runs Debian's `initdb` and
//! `postgres`, listens only on a unix socket in a directory only its owner can enter, and dies with
//! Vireo (the postmaster gets SIGTERM if Vireo's process goes away).

use nix::sys::signal::{kill, Signal};
use nix::unistd::{chown, Gid, Pid, Uid, User};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The superuser `initdb` creates; only reachable through the private socket.
pub const SUPERUSER: &str = "vireo";
const PORT: u16 = 5432;

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("PostgreSQL's server programs (initdb, postgres) were not found; install the postgresql package or set DATABASE_URL")]
    NotInstalled,
    #[error("PostgreSQL refuses to run as root and there is no 'postgres' user to run it as; create one or set DATABASE_URL")]
    NoUnprivilegedUser,
    #[error("the 'postgres' user cannot reach {0}; choose a VIREO_DATA_DIR it can enter (e.g. /var/lib/vireo) or set DATABASE_URL")]
    Unreachable(PathBuf),
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("initdb failed: {0}")]
    InitDb(String),
    #[error("PostgreSQL did not start: {0}")]
    Start(String),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> PgError {
    let what = what.into();
    move |source| PgError::Io { what, source }
}

#[derive(Clone, Copy, Debug)]
pub struct PgSettings {
    /// Throwaway clusters (tests) skip fsync and friends: much faster, and nothing to keep.
    pub durable: bool,
}

pub struct EmbeddedPostgres {
    root: PathBuf,
    socket_dir: PathBuf,
    pid: Pid,
    /// Signalled by the keeper thread when the postmaster ends. In a mutex so the handle is Sync.
    exited: std::sync::Mutex<mpsc::Receiver<()>>,
    /// Started by this process (and stopped by it); false when attached to a running cluster.
    owned: bool,
}

impl EmbeddedPostgres {
    /// Starts (initialising on first use) the cluster under `root` and waits until it accepts
    /// connections.
    pub async fn start(root: &Path, settings: PgSettings) -> Result<Self, PgError> {
        if let Some(running) = Self::attach(root).await {
            return Ok(running);
        }
        let root = root.to_path_buf();
        let (pg, log_path) = tokio::task::spawn_blocking(move || Self::launch(&root, settings))
            .await
            .map_err(|e| PgError::Start(e.to_string()))??;
        pg.wait_ready(&log_path).await?;
        Ok(pg)
    }

    /// The cluster under `root` is already running (another Vireo process — a server while a seed
    /// or benchmark runs): use it without owning it.
    async fn attach(root: &Path) -> Option<Self> {
        let root = root.canonicalize().ok()?;
        let pid_text = fs::read_to_string(root.join("pgdata/postmaster.pid")).ok()?;
        let pid: i32 = pid_text.lines().next()?.trim().parse().ok()?;
        if !Path::new(&format!("/proc/{pid}")).exists() {
            return None;
        }
        let (_, never) = mpsc::channel();
        let pg = Self {
            root: root.clone(),
            socket_dir: root.join("run"),
            pid: Pid::from_raw(pid),
            exited: std::sync::Mutex::new(never),
            owned: false,
        };
        let conn = pg.connect_options("postgres").connect().await.ok()?;
        let _ = conn.close().await;
        tracing::info!("using the PostgreSQL cluster already running in {}", root.display());
        Some(pg)
    }

    /// initdb on first use, then the postmaster; blocking.
    fn launch(root: &Path, settings: PgSettings) -> Result<(Self, PathBuf), PgError> {
        let bin = find_bin_dir().ok_or(PgError::NotInstalled)?;
        fs::create_dir_all(root).map_err(io(format!("creating {}", root.display())))?;
        let root = root
            .canonicalize()
            .map_err(io(format!("resolving {}", root.display())))?;
        let pgdata = root.join("pgdata");
        let socket_dir = root.join("run");
        let owner = run_as()?;
        for dir in [&pgdata, &socket_dir] {
            fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                .map_err(io(format!("securing {}", dir.display())))?;
        }
        fs::set_permissions(&root, fs::Permissions::from_mode(0o711))
            .map_err(io(format!("securing {}", root.display())))?;
        if let Some(user) = &owner {
            for path in [&root, &pgdata, &socket_dir] {
                chown(path, Some(user.uid), Some(user.gid))
                    .map_err(|e| io(format!("handing {} to postgres", path.display()))(e.into()))?;
            }
            check_reachable(&root, user.uid)?;
        }

        if !pgdata.join("PG_VERSION").exists() {
            let mut initdb = Command::new(bin.join("initdb"));
            initdb.arg("-D").arg(&pgdata).args([
                "-U",
                SUPERUSER,
                "-E",
                "UTF8",
                "--no-locale",
                "--auth-local=trust",
                "--auth-host=reject",
            ]);
            if !settings.durable {
                initdb.arg("--no-sync");
            }
            let out = as_owner(&mut initdb, owner.as_ref())
                .output()
                .map_err(io("running initdb"))?;
            if !out.status.success() {
                return Err(PgError::InitDb(String::from_utf8_lossy(&out.stderr).trim().to_string()));
            }
        }

        let log_path = root.join("postgres.log");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io(format!("opening {}", log_path.display())))?;
        if let Some(user) = &owner {
            let _ = chown(&log_path, Some(user.uid), Some(user.gid));
        }
        let mut postgres = Command::new(bin.join("postgres"));
        postgres.arg("-D").arg(&pgdata).arg("-k").arg(&socket_dir).args([
            "-p",
            &PORT.to_string(),
            "-c",
            "listen_addresses=",
            "-c",
            "max_connections=200",
        ]);
        if !settings.durable {
            postgres.args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]);
        }
        postgres
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(io("log file"))?)
            .stderr(log);
        as_owner(&mut postgres, owner.as_ref());

        // The postmaster is spawned from a thread that lives exactly as long as it does: the
        // parent-death signal is tied to the spawning thread, so it only fires when the postmaster
        // ends anyway or Vireo's whole process dies.
        let (pid_tx, pid_rx) = mpsc::channel();
        let (exit_tx, exit_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("postgres-keeper".into())
            .spawn(move || {
                // SAFETY: prctl in the child before exec only sets a process attribute.
                unsafe {
                    postgres.pre_exec(|| nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).map_err(std::io::Error::from));
                }
                match postgres.spawn() {
                    Ok(mut child) => {
                        let _ = pid_tx.send(Ok(child.id()));
                        let _ = child.wait();
                        let _ = exit_tx.send(());
                    }
                    Err(e) => {
                        let _ = pid_tx.send(Err(e));
                    }
                }
            })
            .map_err(io("starting the postgres keeper thread"))?;
        let pid = pid_rx
            .recv()
            .map_err(|_| PgError::Start("the keeper thread died".into()))?
            .map_err(io("starting postgres"))?;
        let pg = Self {
            root: root.clone(),
            socket_dir,
            pid: Pid::from_raw(pid as i32),
            exited: std::sync::Mutex::new(exit_rx),
            owned: true,
        };
        Ok((pg, log_path))
    }

    async fn wait_ready(&self, log_path: &Path) -> Result<(), PgError> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self.exited().try_recv().is_ok() {
                return Err(PgError::Start(log_tail(log_path)));
            }
            if let Ok(conn) = self.connect_options("postgres").connect().await {
                let _ = conn.close().await;
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(PgError::Start(format!("not ready after 60 s; {}", log_tail(log_path))));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(PORT)
            .username(SUPERUSER)
            .database(database)
    }

    /// Creates `name` unless it exists (optionally as a copy of `template`).
    pub async fn ensure_database(&self, name: &str, template: Option<&str>) -> Result<(), PgError> {
        let mut conn = self.connect_options("postgres").connect().await?;
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
        if !exists {
            // Identifiers cannot be bound; quote_ident in the server makes the name safe.
            let ident: String = sqlx::query_scalar("SELECT quote_ident($1)")
                .bind(name)
                .fetch_one(&mut conn)
                .await?;
            let sql = match template {
                Some(t) => {
                    let t: String = sqlx::query_scalar("SELECT quote_ident($1)")
                        .bind(t)
                        .fetch_one(&mut conn)
                        .await?;
                    format!("CREATE DATABASE {ident} TEMPLATE {t}")
                }
                None => format!("CREATE DATABASE {ident}"),
            };
            sqlx::query(&sql).execute(&mut conn).await?;
        }
        conn.close().await?;
        Ok(())
    }

    pub async fn pool(&self, database: &str, max: u32) -> Result<sqlx::PgPool, PgError> {
        Ok(PgPoolOptions::new()
            .max_connections(max)
            .connect_with(self.connect_options(database))
            .await?)
    }

    /// Whether this process started the cluster (and so stops it).
    pub fn owned(&self) -> bool {
        self.owned
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Fast shutdown: running transactions are rolled back, the cluster is checkpointed. Blocking
    /// (up to 35 s); call it from a blocking context.
    pub fn stop(self) {
        if !self.owned {
            return;
        }
        let _ = kill(self.pid, Signal::SIGINT);
        let exited = self.exited();
        if exited.recv_timeout(Duration::from_secs(30)).is_err() {
            let _ = kill(self.pid, Signal::SIGQUIT);
            let _ = exited.recv_timeout(Duration::from_secs(5));
        }
    }

    fn exited(&self) -> std::sync::MutexGuard<'_, mpsc::Receiver<()>> {
        self.exited.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct Owner {
    uid: Uid,
    gid: Gid,
}

/// `None` when we are not root (the cluster then runs as us); the `postgres` user when we are.
fn run_as() -> Result<Option<Owner>, PgError> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    let user = User::from_name("postgres")
        .ok()
        .flatten()
        .ok_or(PgError::NoUnprivilegedUser)?;
    Ok(Some(Owner {
        uid: user.uid,
        gid: user.gid,
    }))
}

fn as_owner<'a>(cmd: &'a mut Command, owner: Option<&Owner>) -> &'a mut Command {
    if let Some(o) = owner {
        cmd.uid(o.uid.as_raw()).gid(o.gid.as_raw());
    }
    cmd
}

/// Every ancestor must let the postgres user through (world-executable, or owned by it).
fn check_reachable(dir: &Path, uid: Uid) -> Result<(), PgError> {
    for ancestor in dir.ancestors().skip(1) {
        let meta = fs::metadata(ancestor).map_err(io(format!("inspecting {}", ancestor.display())))?;
        let world_x = meta.mode() & 0o001 != 0;
        if !world_x && meta.uid() != uid.as_raw() {
            return Err(PgError::Unreachable(dir.to_path_buf()));
        }
    }
    Ok(())
}

/// `PG_BIN_DIR`, else the newest `/usr/lib/postgresql/<n>/bin` with `initdb`.
pub fn find_bin_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("PG_BIN_DIR") {
        let dir = PathBuf::from(dir);
        return dir.join("initdb").exists().then_some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p)
}

fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().rev().take(8).collect();
    let tail: Vec<&str> = lines.into_iter().rev().collect();
    format!("see {}: {}", path.display(), tail.join(" | "))
}
