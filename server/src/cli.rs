//! The command line: `vireo-server [SETTINGS] [serve | seed | user … | backup FILE | restore FILE |
//! migrate | check]`. Every setting of [`Config`] is a flag that also reads its environment
//! variable (`--addr` / `VIREO_ADDR`, …); both only feed [`Config::from_lookup`], which alone
//! checks them. Secrets stay out of flags: the command line is visible to every user of the
//! machine (`ps`).

use crate::config::{self, Config, ConfigError};
use crate::logging::LogFormat;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const ENVIRONMENT_ONLY: &str = "\
Environment only (never flags: other users of the machine can read a command line):
  VIREO_ADMIN_PASSWORD  the first-run password of `admin` (at least 8 characters; random if unset,
                        written to $VIREO_DATA_DIR/admin-password)
  VIREO_USER_PASSWORD   the password for `user add` and `user passwd` (else one line of stdin)
  RUST_LOG              log filter (default: info)
A flag beats its variable; an empty variable counts as unset.";

/// Vireo: a self-hosted web admin for KVM virtual machines on libvirt hosts.
#[derive(Debug, Parser)]
#[command(name = "vireo-server", version, after_help = ENVIRONMENT_ONLY)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    /// What to do; `serve` when left out.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Every setting, given before or after the command.
#[derive(Debug, Args)]
pub struct Settings {
    /// Address to listen on
    #[arg(long, global = true, env = "VIREO_ADDR", value_name = "IP:PORT", default_value = config::DEFAULT_ADDR)]
    pub addr: String,
    /// PostgreSQL to use instead of the embedded cluster (prefer the variable, or a password in
    /// PGPASSWORD/~/.pgpass: a URL with a password on the command line is visible in `ps`)
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Where the embedded PostgreSQL cluster and the admin password file live
    #[arg(long, global = true, env = "VIREO_DATA_DIR", value_name = "DIR", default_value = config::DEFAULT_DATA_DIR)]
    pub data_dir: String,
    /// libvirt URI of the host created on the first run
    #[arg(long, global = true, env = "VIREO_DEFAULT_HOST_URI", value_name = "URI", default_value = config::DEFAULT_HOST_URI)]
    pub default_host_uri: String,
    /// The built site: browser bundle, CSS, icons
    #[arg(long, global = true, env = "VIREO_SITE_ROOT", value_name = "DIR", default_value = config::DEFAULT_SITE_ROOT)]
    pub site_root: String,
    /// Mark the session cookie Secure (set it when users reach Vireo over HTTPS)
    #[arg(
        long,
        global = true,
        env = "VIREO_SECURE_COOKIES",
        value_name = "1|0",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "1"
    )]
    pub secure_cookies: Option<String>,
    /// Comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For is believed
    #[arg(long, global = true, env = "VIREO_TRUSTED_PROXIES", value_name = "LIST")]
    pub trusted_proxies: Option<String>,
    /// Seconds Shutdown waits for a guest before it gives up (1-86400)
    #[arg(long, global = true, env = "VIREO_SHUTDOWN_TIMEOUT", value_name = "SECONDS", default_value = config::DEFAULT_SHUTDOWN_TIMEOUT)]
    pub shutdown_timeout: String,
    /// The MAC addresses Vireo gives NICs (first-last, unicast)
    #[arg(long, global = true, env = "VIREO_MAC_RANGE", value_name = "FIRST-LAST", default_value = config::DEFAULT_MAC_RANGE)]
    pub mac_range: String,
    /// Seconds without input after which an open console is closed (10-86400)
    #[arg(long, global = true, env = "VIREO_CONSOLE_IDLE_TIMEOUT", value_name = "SECONDS", default_value = config::DEFAULT_CONSOLE_IDLE_TIMEOUT)]
    pub console_idle_timeout: String,
    /// Live-update streams one login may hold open [default: 8]
    #[arg(long, global = true, env = "VIREO_STREAMS_PER_SESSION", value_name = "N")]
    pub streams_per_session: Option<String>,
    /// Live-update streams overall, at most 1792 [default: 1024]
    #[arg(long, global = true, env = "VIREO_STREAMS_TOTAL", value_name = "N")]
    pub streams_total: Option<String>,
    /// Clients (IPs/CIDRs, comma-separated) that may read /metrics without its token
    #[arg(long, global = true, env = "VIREO_METRICS_NETWORKS", value_name = "LIST")]
    pub metrics_networks: Option<String>,
    /// Seconds between usage samples of running VMs and Up hosts (1-3600) [default: 15]
    #[arg(long, global = true, env = "VIREO_SAMPLE_INTERVAL", value_name = "SECONDS")]
    pub sample_interval: Option<String>,
    /// Log lines as text or as one JSON object each
    #[arg(long, global = true, env = "VIREO_LOG_FORMAT", value_name = "text|json", default_value = "text", value_parser = LogFormat::parse)]
    pub log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web UI and the REST API (the default). Runs pending migrations first.
    Serve,
    /// Add COUNT VMs named PREFIX-00001… for trying the grids at scale
    Seed {
        #[arg(default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        count: u32,
        #[arg(long, default_value = "vm", value_name = "NAME")]
        prefix: String,
    },
    /// Add COUNT simulated hosts in the local libvirtd (test+unix:///default), shipped topologies
    /// in turn, with VMS VMs pinned to each (down), for the scale benchmark
    SeedHosts {
        #[arg(default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000))]
        count: u32,
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(0..=100))]
        vms: u32,
        #[arg(long, default_value = "sim", value_name = "NAME")]
        prefix: String,
    },
    /// Manage users without the UI (a lost admin password, a user to lock out now)
    #[command(subcommand)]
    User(UserCommand),
    /// Write the whole database to FILE (pg_dump's custom format, mode 0600)
    ///
    /// Safe while Vireo runs: it reads one consistent snapshot, from the running server's cluster
    /// if there is one.
    Backup {
        /// The backup file to write
        file: PathBuf,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
    },
    /// DESTRUCTIVE: replace the whole database with the backup in FILE
    ///
    /// Into a new or empty database as is; a database holding data is replaced only with --force,
    /// and only while no Vireo is connected to it (stop the service first). A failed restore
    /// leaves the old data in place. Start Vireo (or `migrate`) afterwards.
    Restore {
        /// A file written by `vireo-server backup`
        file: PathBuf,
        /// Replace a database that holds data (everything in it is lost)
        #[arg(long)]
        force: bool,
    },
    /// Apply pending database migrations and exit (what `serve` does at start)
    Migrate,
    /// Check that this installation is ready to serve (exit 0; 1 failed, 3 migrations pending)
    ///
    /// Configuration, the built site, the database, its migrations against this binary's, and
    /// libvirt at the default host's URI: one log line each. Exit 0 when ready, 1 when something
    /// failed, 3 when only migrations are pending.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (the password from VIREO_USER_PASSWORD or stdin)
    Add {
        name: String,
        /// admin, operator or viewer
        #[arg(long)]
        role: String,
    },
    /// Set a user's password (ends their sessions and API tokens)
    Passwd { name: String },
    /// Disable a user (ends their sessions and API tokens)
    Disable { name: String },
}

impl Settings {
    /// The value of the environment variable `key` as the command line gave it (flag, variable
    /// or default). `VIREO_ADMIN_PASSWORD` has no flag and is read from the environment.
    pub fn lookup(&self, key: &str) -> Option<String> {
        let value = match key {
            "VIREO_ADDR" => Some(self.addr.clone()),
            "DATABASE_URL" => self.database_url.clone(),
            "VIREO_DATA_DIR" => Some(self.data_dir.clone()),
            "VIREO_DEFAULT_HOST_URI" => Some(self.default_host_uri.clone()),
            "VIREO_SITE_ROOT" => Some(self.site_root.clone()),
            "VIREO_SECURE_COOKIES" => self.secure_cookies.clone(),
            "VIREO_TRUSTED_PROXIES" => self.trusted_proxies.clone(),
            "VIREO_SHUTDOWN_TIMEOUT" => Some(self.shutdown_timeout.clone()),
            "VIREO_MAC_RANGE" => Some(self.mac_range.clone()),
            "VIREO_CONSOLE_IDLE_TIMEOUT" => Some(self.console_idle_timeout.clone()),
            "VIREO_STREAMS_PER_SESSION" => self.streams_per_session.clone(),
            "VIREO_STREAMS_TOTAL" => self.streams_total.clone(),
            "VIREO_METRICS_NETWORKS" => self.metrics_networks.clone(),
            "VIREO_SAMPLE_INTERVAL" => self.sample_interval.clone(),
            // Secrets have no flag: a command line is visible to other users.
            "VIREO_ADMIN_PASSWORD" | "VIREO_METRICS_TOKEN" => std::env::var(key).ok(),
            _ => None,
        };
        value.filter(|v| !v.is_empty())
    }

    pub fn config(&self) -> Result<Config, ConfigError> {
        Config::from_lookup(|key| self.lookup(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("vireo-server").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    fn fails(args: &[&str]) -> clap::error::ErrorKind {
        match Cli::try_parse_from(std::iter::once("vireo-server").chain(args.iter().copied())) {
            Ok(cli) => panic!("{args:?} parsed: {cli:?}"),
            Err(e) => e.kind(),
        }
    }

    #[test]
    fn no_command_serves_with_the_config_defaults() {
        let cli = parse(&[]);
        assert!(cli.command.is_none());
        assert_eq!(cli.settings.log_format, LogFormat::Text);
        // The defaults clap shows are the ones `from_lookup` falls back to.
        let from_flags = cli.settings.config().unwrap();
        let from_nothing = Config::from_lookup(|key| match key {
            "VIREO_ADMIN_PASSWORD" => cli.settings.lookup(key),
            _ => None,
        })
        .unwrap();
        assert_eq!(format!("{from_flags:?}"), format!("{from_nothing:?}"));
    }

    #[test]
    fn the_commands_scripts_use_still_parse() {
        assert!(matches!(parse(&["serve"]).command, Some(Command::Serve)));
        match parse(&["seed", "10000", "--prefix", "bench"]).command {
            Some(Command::Seed { count, prefix }) => assert_eq!((count, prefix.as_str()), (10_000, "bench")),
            other => panic!("{other:?}"),
        }
        match parse(&["seed-hosts", "3", "--vms", "2"]).command {
            Some(Command::SeedHosts { count, vms, prefix }) => assert_eq!((count, vms, prefix.as_str()), (3, 2, "sim")),
            other => panic!("{other:?}"),
        }
        assert!(Cli::try_parse_from(["vireo-server", "seed-hosts", "1001"]).is_err());
        assert!(Cli::try_parse_from(["vireo-server", "seed-hosts", "--vms", "101"]).is_err());
        match parse(&["seed"]).command {
            Some(Command::Seed { count, prefix }) => assert_eq!((count, prefix.as_str()), (10_000, "vm")),
            other => panic!("{other:?}"),
        }
        match parse(&["user", "add", "rescue", "--role", "admin"]).command {
            Some(Command::User(UserCommand::Add { name, role })) => {
                assert_eq!((name.as_str(), role.as_str()), ("rescue", "admin"))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(&["user", "passwd", "rescue"]).command,
            Some(Command::User(UserCommand::Passwd { .. }))
        ));
        assert!(matches!(
            parse(&["user", "disable", "rescue"]).command,
            Some(Command::User(UserCommand::Disable { .. }))
        ));
        match parse(&["backup", "/var/backups/v.dump"]).command {
            Some(Command::Backup { file, force }) => assert_eq!((file, force), ("/var/backups/v.dump".into(), false)),
            other => panic!("{other:?}"),
        }
        match parse(&["restore", "--force", "v.dump"]).command {
            Some(Command::Restore { file, force }) => assert_eq!((file, force), ("v.dump".into(), true)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse(&["migrate"]).command, Some(Command::Migrate)));
        assert!(matches!(parse(&["check"]).command, Some(Command::Check)));
    }

    #[test]
    fn usage_errors_are_refused_by_clap() {
        use clap::error::ErrorKind;
        assert_eq!(fails(&["frobnicate"]), ErrorKind::InvalidSubcommand);
        assert_eq!(fails(&["seed", "ten"]), ErrorKind::ValueValidation);
        assert_eq!(fails(&["seed", "0"]), ErrorKind::ValueValidation);
        assert_eq!(fails(&["seed", "2000000"]), ErrorKind::ValueValidation);
        assert_eq!(fails(&["user", "add", "x"]), ErrorKind::MissingRequiredArgument);
        assert_eq!(fails(&["user", "passwd"]), ErrorKind::MissingRequiredArgument);
        assert_eq!(fails(&["backup"]), ErrorKind::MissingRequiredArgument);
        assert_eq!(fails(&["--log-format", "xml"]), ErrorKind::ValueValidation);
        // No flag for the admin password: it would be on the command line.
        assert_eq!(
            fails(&["--admin-password", "secret-secret"]),
            ErrorKind::UnknownArgument
        );
        assert_eq!(fails(&["--help"]), ErrorKind::DisplayHelp);
    }

    #[test]
    fn flags_go_before_or_after_the_command_and_feed_the_one_validation() {
        let cli = parse(&[
            "--addr",
            "0.0.0.0:8080",
            "seed",
            "5",
            "--data-dir",
            "/var/lib/vireo",
            "--secure-cookies",
        ]);
        let c = cli.settings.config().unwrap();
        assert_eq!(c.addr.to_string(), "0.0.0.0:8080");
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/vireo"));
        assert!(c.secure_cookies);
        let c = parse(&["--secure-cookies=0", "--log-format", "json"]);
        assert_eq!(c.settings.log_format, LogFormat::Json);
        assert!(!c.settings.config().unwrap().secure_cookies);
        // A bad value passes clap and is refused where every setting is checked.
        let bad = parse(&["--addr", "nope", "check"]);
        assert!(matches!(bad.settings.config(), Err(ConfigError::BadAddr(_))));
        let bad = parse(&["--default-host-uri", "qemu+ext:///system?command=/tmp/x"]);
        assert!(matches!(bad.settings.config(), Err(ConfigError::BadDefaultHostUri(_))));
        let bad = parse(&["--console-idle-timeout", "5"]);
        assert!(matches!(
            bad.settings.config(),
            Err(ConfigError::BadConsoleIdleTimeout(_))
        ));
    }

    /// Every variable `Config::from_lookup` reads has its flag (the admin password aside).
    #[test]
    fn every_setting_has_a_flag() {
        let asked = RefCell::new(Vec::new());
        let _ = Config::from_lookup(|key| {
            asked.borrow_mut().push(key.to_string());
            None
        });
        let cli = parse(&[
            "--addr=127.0.0.9:1",
            "--database-url=postgres://h/d",
            "--data-dir=/d",
            "--default-host-uri=qemu:///system",
            "--site-root=/s",
            "--secure-cookies",
            "--trusted-proxies=10.0.0.1",
            "--shutdown-timeout=7",
            "--mac-range=56:6f:00:00:00:00-56:6f:00:00:00:09",
            "--console-idle-timeout=11",
            "--streams-per-session=3",
            "--streams-total=40",
            "--metrics-networks=10.0.0.0/8",
            "--sample-interval=5",
        ]);
        let asked = asked.into_inner();
        assert!(asked.len() >= 11, "{asked:?}");
        for key in asked
            .iter()
            .filter(|k| !["VIREO_ADMIN_PASSWORD", "VIREO_METRICS_TOKEN"].contains(&k.as_str()))
        {
            assert!(cli.settings.lookup(key).is_some(), "{key} has no flag");
        }
        let c = cli.settings.config().unwrap();
        assert_eq!(
            (
                c.shutdown_timeout.as_secs(),
                c.console_idle_timeout.as_secs(),
                c.mac_range.size()
            ),
            (7, 11, 10)
        );
        assert_eq!((c.limits.streams_per_session, c.limits.streams_total), (3, 40));
        assert_eq!(c.database_url.as_deref(), Some("postgres://h/d"));
        assert!(!c.trusted_proxies.is_empty());
    }

    #[test]
    fn help_names_each_variable_and_default() {
        use clap::CommandFactory;
        let help = Cli::command().render_long_help().to_string();
        for text in [
            "VIREO_ADDR",
            "[default: 127.0.0.1:3000]",
            "DATABASE_URL",
            "VIREO_DATA_DIR",
            "VIREO_LOG_FORMAT",
            "VIREO_ADMIN_PASSWORD",
            "backup",
            "restore",
            "migrate",
            "check",
        ] {
            assert!(help.contains(text), "{text} missing from:\n{help}");
        }
        let restore = Cli::command()
            .find_subcommand_mut("restore")
            .map(|c| c.render_long_help().to_string())
            .unwrap_or_default();
        assert!(restore.contains("DESTRUCTIVE"), "{restore}");
    }
}
