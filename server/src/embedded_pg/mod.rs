//! A private PostgreSQL cluster that Vireo starts, owns and stops: used when `DATABASE_URL` is unset
//! (`make run`) and by the tests (a throwaway cluster per test process). It runs Debian's `initdb` and
//! `postgres`, listens only on a unix socket in a directory only its owner can enter, and dies with
//! Vireo (the postmaster gets SIGTERM if Vireo's process goes away).

pub mod supervisor;

use nix::sys::signal::{kill, Signal};
use nix::unistd::{chown, Gid, Pid, Uid, User};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a query waits for a connection. sqlx's default (30 s) kept every page hanging while the
/// database was away; a few seconds is plenty for a healthy pool (connections are local) and lets
/// requests answer "unavailable" (503) quickly while it restarts.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

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
    #[error("the database '{0}' is in use (is Vireo running? stop it first)")]
    InUse(String),
}

/// SQLSTATE 55006 (object_in_use): the database has other sessions.
fn in_use(e: sqlx::Error, name: &str) -> PgError {
    match &e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("55006") => PgError::InUse(name.to_string()),
        _ => PgError::Sql(e),
    }
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
    settings: PgSettings,
    /// The current postmaster; replaced when a crashed one is restarted.
    postmaster: std::sync::Mutex<Postmaster>,
    /// Started by this process (and stopped by it); false when attached to a running cluster.
    owned: bool,
    /// Set by `stop`: the postmaster ending is then expected and must not be restarted.
    stopping: AtomicBool,
    /// Held while restarting or stopping, so a stop never races a restart (async: a restart
    /// holds it across its awaits; `stop` takes it from its blocking context).
    lifecycle: tokio::sync::Mutex<()>,
}

struct Postmaster {
    pid: Pid,
    /// Signalled by the keeper thread when the postmaster ends, with how it ended.
    exited: mpsc::Receiver<String>,
    /// How it ended, once the keeper thread has said so (the receiver only says it once).
    gone: Option<String>,
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
            settings: PgSettings { durable: true },
            postmaster: std::sync::Mutex::new(Postmaster {
                pid: Pid::from_raw(pid),
                exited: never,
                gone: None,
            }),
            owned: false,
            stopping: AtomicBool::new(false),
            lifecycle: tokio::sync::Mutex::new(()),
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
        let owner = run_as(&root)?;
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

        // A cluster that died uncleanly (Vireo killed, the postmaster killed) may have left
        // backends behind that still hold its shared memory; the new postmaster would refuse.
        clear_leftovers(&pgdata)?;

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

        let (postmaster, log_path) = spawn_postmaster(&bin, &root, &socket_dir, settings, owner.as_ref())?;
        let pg = Self {
            root: root.clone(),
            socket_dir,
            settings,
            postmaster: std::sync::Mutex::new(postmaster),
            owned: true,
            stopping: AtomicBool::new(false),
            lifecycle: tokio::sync::Mutex::new(()),
        };
        Ok((pg, log_path))
    }

    async fn wait_ready(&self, log_path: &Path) -> Result<(), PgError> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if !self.postmaster_alive() {
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

    pub async fn database_exists(&self, name: &str) -> Result<bool, PgError> {
        let mut conn = self.connect_options("postgres").connect().await?;
        let exists = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
        conn.close().await?;
        Ok(exists)
    }

    /// Drops `name` if it exists. PostgreSQL refuses while anyone is connected to it (a running
    /// Vireo): that refusal is [`PgError::InUse`], and nothing is dropped.
    pub async fn drop_database(&self, name: &str) -> Result<(), PgError> {
        if !self.database_exists(name).await? {
            return Ok(());
        }
        // A drop checkpoints and may take seconds: not worth sqlx's slow-statement warning.
        let mut conn = self
            .connect_options("postgres")
            .disable_statement_logging()
            .connect()
            .await?;
        let ident: String = sqlx::query_scalar("SELECT quote_ident($1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
        let dropped = sqlx::query(&format!("DROP DATABASE {ident}")).execute(&mut conn).await;
        conn.close().await?;
        dropped.map(|_| ()).map_err(|e| in_use(e, name))
    }

    /// Renames the database `from` to `to` (which must not exist); refused like a drop while
    /// anyone is connected to `from`.
    pub async fn rename_database(&self, from: &str, to: &str) -> Result<(), PgError> {
        let mut conn = self
            .connect_options("postgres")
            .disable_statement_logging()
            .connect()
            .await?;
        let from_ident: String = sqlx::query_scalar("SELECT quote_ident($1)")
            .bind(from)
            .fetch_one(&mut conn)
            .await?;
        let to_ident: String = sqlx::query_scalar("SELECT quote_ident($1)")
            .bind(to)
            .fetch_one(&mut conn)
            .await?;
        let renamed = sqlx::query(&format!("ALTER DATABASE {from_ident} RENAME TO {to_ident}"))
            .execute(&mut conn)
            .await;
        conn.close().await?;
        renamed.map(|_| ()).map_err(|e| in_use(e, from))
    }

    /// One of PostgreSQL's client programs (`pg_dump`, `pg_restore`) set up to reach this cluster:
    /// from the same installation, through the private socket as the superuser, never asking for
    /// a password. When Vireo runs as root it runs as the cluster's owner, the only user who may
    /// enter the socket folder — so it gets no path of the caller's: files go through its standard
    /// input and output, which the caller opens.
    pub fn client_command(&self, program: &str) -> Result<Command, PgError> {
        let bin = find_bin_dir().ok_or(PgError::NotInstalled)?;
        let mut cmd = Command::new(bin.join(program));
        cmd.arg("--host")
            .arg(&self.socket_dir)
            .arg("--port")
            .arg(PORT.to_string())
            .arg("--username")
            .arg(SUPERUSER)
            .arg("--no-password")
            // Its own folder, where the owner may be; the caller's (e.g. /root) may be closed to it.
            .current_dir(&self.root);
        as_owner(&mut cmd, run_as(&self.root)?.as_ref());
        Ok(cmd)
    }

    pub async fn pool(&self, database: &str, max: u32) -> Result<sqlx::PgPool, PgError> {
        Ok(PgPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(ACQUIRE_TIMEOUT)
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

    /// The postmaster's process id.
    pub fn postmaster_pid(&self) -> i32 {
        self.lock_postmaster().pid.as_raw()
    }

    /// Whether the postmaster is still running. For a cluster this process started, the keeper
    /// thread says (it reaps the postmaster); for an attached one, /proc does.
    pub fn postmaster_alive(&self) -> bool {
        let mut pm = self.lock_postmaster();
        if !self.owned {
            return Path::new(&format!("/proc/{}", pm.pid)).exists();
        }
        if pm.gone.is_none() {
            pm.gone = match pm.exited.try_recv() {
                Ok(how) => Some(how),
                Err(mpsc::TryRecvError::Empty) => None,
                Err(mpsc::TryRecvError::Disconnected) => Some("its keeper thread ended".into()),
            };
        }
        pm.gone.is_none()
    }

    /// How the postmaster ended ("signal: 9 (SIGKILL)"), once it has.
    pub fn postmaster_exit(&self) -> Option<String> {
        self.postmaster_alive();
        self.lock_postmaster().gone.clone()
    }

    /// Whether `stop` has been called: the postmaster ending is then expected.
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Starts the postmaster again after it died (crash recovery replays the WAL) and waits until
    /// it accepts connections. Waits first for what is left of the old one: orphaned backends
    /// keep its shared memory, which the new postmaster refuses to share. `Ok(false)` when there
    /// was nothing to do (still running, being stopped, or not ours to restart).
    pub async fn restart(&self) -> Result<bool, PgError> {
        let _lifecycle = self.lifecycle.lock().await;
        if !self.owned || self.stopping() || self.postmaster_alive() {
            return Ok(false);
        }
        let bin = find_bin_dir().ok_or(PgError::NotInstalled)?;
        let (root, socket_dir, settings) = (self.root.clone(), self.socket_dir.clone(), self.settings);
        let (postmaster, log_path) = tokio::task::spawn_blocking(move || {
            clear_leftovers(&root.join("pgdata"))?;
            spawn_postmaster(&bin, &root, &socket_dir, settings, run_as(&root)?.as_ref())
        })
        .await
        .map_err(|e| PgError::Start(e.to_string()))??;
        *self.lock_postmaster() = postmaster;
        self.wait_ready(&log_path).await?;
        Ok(true)
    }

    /// Fast shutdown: running transactions are rolled back, the cluster is checkpointed. Blocking
    /// (up to 35 s); call it from a blocking context. A supervisor stops restarting it first.
    pub fn stop(&self) {
        if !self.owned {
            return;
        }
        self.stopping.store(true, Ordering::SeqCst);
        // Waits for a restart in progress, so the postmaster signalled is the current one.
        let _lifecycle = self.lifecycle.blocking_lock();
        let pm = self.lock_postmaster();
        if pm.gone.is_some() {
            return;
        }
        let _ = kill(pm.pid, Signal::SIGINT);
        if pm.exited.recv_timeout(Duration::from_secs(30)).is_err() {
            let _ = kill(pm.pid, Signal::SIGQUIT);
            let _ = pm.exited.recv_timeout(Duration::from_secs(5));
        }
    }

    fn lock_postmaster(&self) -> std::sync::MutexGuard<'_, Postmaster> {
        self.postmaster.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Spawns the postmaster on the initialised cluster under `root`; blocking but quick (it does not
/// wait for the server to accept connections).
fn spawn_postmaster(
    bin: &Path,
    root: &Path,
    socket_dir: &Path,
    settings: PgSettings,
    owner: Option<&Owner>,
) -> Result<(Postmaster, PathBuf), PgError> {
    let pgdata = root.join("pgdata");
    let log_path = root.join("postgres.log");
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(io(format!("opening {}", log_path.display())))?;
    if let Some(user) = owner {
        let _ = chown(&log_path, Some(user.uid), Some(user.gid));
    }
    let mut postgres = Command::new(bin.join("postgres"));
    postgres.arg("-D").arg(&pgdata).arg("-k").arg(socket_dir).args([
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
    // After a crash, PostgreSQL first fsyncs every file of the cluster one by one; measured here
    // that took 5.5 s of a 7.5 s restart. One syncfs of the filesystem gives the same guarantee
    // (PostgreSQL 14 and later, Linux).
    let major = fs::read_to_string(pgdata.join("PG_VERSION"))
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok());
    if settings.durable && major.is_some_and(|v| v >= 14) {
        postgres.args(["-c", "recovery_init_sync_method=syncfs"]);
    }
    postgres
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(io("log file"))?)
        .stderr(log);
    as_owner(&mut postgres, owner);

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
                    let how = match child.wait() {
                        Ok(status) => status.to_string(),
                        Err(e) => format!("unknown ({e})"),
                    };
                    let _ = exit_tx.send(how);
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
    let postmaster = Postmaster {
        pid: Pid::from_raw(pid as i32),
        exited: exit_rx,
        gone: None,
    };
    Ok((postmaster, log_path))
}

/// How long a fresh start waits for what is left of an earlier server on the same data folder.
const LEFTOVER_GRACE: Duration = Duration::from_secs(10);

/// Makes sure no process of an earlier server still runs on `pgdata` before a new postmaster
/// starts there, and removes its stale `postmaster.pid`.
///
/// PostgreSQL's own checks are not enough after a crash: a backend orphaned by a killed
/// postmaster keeps the old shared memory attached until it next checks for its parent (a long
/// query may not for minutes), and the new postmaster then refuses to start ("pre-existing shared
/// memory block is still in use"); and a stale `postmaster.pid` whose pid now belongs to another
/// process of the same user makes it refuse too ("lock file already exists"). Every PostgreSQL
/// process works in the data folder (`/proc/<pid>/cwd`), which names them exactly.
///
/// A live postmaster among them (one that is shutting down, or still starting) is waited for;
/// orphaned backends are told to quit (SIGQUIT, as an immediate shutdown would), then killed.
fn clear_leftovers(pgdata: &Path) -> Result<(), PgError> {
    let Ok(pgdata) = pgdata.canonicalize() else {
        return Ok(()); // not created yet: nothing can run there
    };
    let pid_file = pgdata.join("postmaster.pid");
    let deadline = Instant::now() + LEFTOVER_GRACE;
    let mut asked_at: Option<Instant> = None;
    loop {
        let procs = processes_in(&pgdata);
        if procs.is_empty() {
            break;
        }
        let recorded = fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<i32>().ok()));
        let postmaster_alive = recorded.is_some_and(|pid| procs.contains(&pid));
        if Instant::now() > deadline {
            return Err(PgError::Start(format!(
                "processes {procs:?} of an earlier PostgreSQL server still run in {}",
                pgdata.display()
            )));
        }
        if !postmaster_alive {
            let signal = match asked_at {
                Some(at) if at.elapsed() > Duration::from_secs(2) => Signal::SIGKILL,
                _ => Signal::SIGQUIT,
            };
            tracing::warn!(
                ?procs,
                ?signal,
                "ending processes left by a PostgreSQL server that died"
            );
            for pid in &procs {
                let _ = kill(Pid::from_raw(*pid), signal);
            }
            asked_at.get_or_insert_with(Instant::now);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // Nothing runs on the folder any more, so a pid file left there is stale by definition.
    if pid_file.exists() {
        fs::remove_file(&pid_file).map_err(io(format!("removing the stale {}", pid_file.display())))?;
    }
    Ok(())
}

/// Processes whose working directory is `dir` (those this process may inspect).
fn processes_in(dir: &Path) -> Vec<i32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id() as i32;
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == dir))
        .collect()
}

struct Owner {
    uid: Uid,
    gid: Gid,
}

/// Who runs the cluster under `root`: `None` when we are not root (it then runs as us). As root:
/// the user who owns its data folder if it exists — a cluster made by Vireo's service user
/// (`vireo`, see `server/systemd/vireo.service`) stays that user's when root runs `vireo-server
/// backup` on it — else the `postgres` user.
fn run_as(root: &Path) -> Result<Option<Owner>, PgError> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    if let Ok(meta) = fs::metadata(root.join("pgdata")) {
        if meta.uid() != 0 && root.join("pgdata/PG_VERSION").exists() {
            return Ok(Some(Owner {
                uid: Uid::from_raw(meta.uid()),
                gid: Gid::from_raw(meta.gid()),
            }));
        }
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

/// Vireo's own data folder (`VIREO_DATA_DIR`), made enterable for the `postgres` user its cluster
/// runs as when Vireo runs as root: `o+x` (enter, not list) on that folder only — a `mktemp -d`
/// folder is 0700 — never on anything above it, which `check_reachable` still explains. What it
/// changed, for the log; `None` when nothing needed changing (not root, already reachable, or
/// owned by `postgres`).
pub fn let_postgres_through(data_dir: &Path) -> Result<Option<String>, PgError> {
    let Some(owner) = run_as(&data_dir.join("postgres"))? else {
        return Ok(None);
    };
    let meta = match fs::metadata(data_dir) {
        Ok(m) => m,
        // Not made yet: `launch` creates it with the default umask (world-enterable).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(format!("inspecting {}", data_dir.display()))(e)),
    };
    let mode = meta.mode() & 0o7777;
    if mode & 0o001 != 0 || meta.uid() == owner.uid.as_raw() {
        return Ok(None);
    }
    fs::set_permissions(data_dir, fs::Permissions::from_mode(mode | 0o001))
        .map_err(io(format!("letting postgres enter {}", data_dir.display())))?;
    Ok(Some(format!(
        "gave the data folder {} o+x (mode {:o} → {:o}) so that PostgreSQL, running as the 'postgres' user, can reach its cluster inside; nothing above it was changed",
        data_dir.display(),
        mode,
        mode | 0o001
    )))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A 0700 data folder (`mktemp -d`) gets o+x when Vireo runs as root, and nothing above it
    /// changes; run as anyone else, nothing changes at all (the cluster then runs as that user).
    #[test]
    fn the_data_folder_alone_is_opened_to_postgres() {
        let parent = std::env::temp_dir().join(format!("vireo-reach-{}", std::process::id()));
        let data = parent.join("data");
        fs::create_dir_all(&data).unwrap();
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o700)).unwrap();
        fs::set_permissions(&data, fs::Permissions::from_mode(0o700)).unwrap();
        let root = Uid::effective().is_root() && User::from_name("postgres").ok().flatten().is_some();

        let said = let_postgres_through(&data).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().mode() & 0o777;
        if root {
            assert_eq!(mode(&data), 0o701);
            assert!(said.unwrap().contains("nothing above it was changed"));
            // Once reachable, nothing more to do.
            assert_eq!(let_postgres_through(&data).unwrap(), None);
        } else {
            assert_eq!(mode(&data), 0o700);
            assert_eq!(said, None);
        }
        assert_eq!(mode(&parent), 0o700, "the folder above is not Vireo's to open");
        // A folder that does not exist yet is made later, reachable.
        assert_eq!(let_postgres_through(&parent.join("missing")).unwrap(), None);
        fs::remove_dir_all(&parent).unwrap();
    }
}
