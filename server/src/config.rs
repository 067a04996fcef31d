//! Configuration from the environment (`VIREO_*`, `DATABASE_URL`; see the README). Everything has a default so `make run` needs
//! nothing set.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

// The defaults, named once: `Config::from_lookup` falls back to them and the command line
// (`cli.rs`) shows them in `--help`.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_HOST_URI: &str = "test:///default";
pub const DEFAULT_SITE_ROOT: &str = "target/site";
pub const DEFAULT_SHUTDOWN_TIMEOUT: &str = "120";
pub const DEFAULT_MAC_RANGE: &str = "56:6f:00:00:00:00-56:6f:00:ff:ff:ff";
pub const DEFAULT_CONSOLE_IDLE_TIMEOUT: &str = "900";

#[derive(Clone, Debug)]
pub struct Config {
    /// `VIREO_ADDR`, default 127.0.0.1:3000.
    pub addr: SocketAddr,
    /// `DATABASE_URL`; when absent Vireo runs its own PostgreSQL cluster under `data_dir`.
    pub database_url: Option<String>,
    /// `VIREO_DATA_DIR`, default `./data`.
    pub data_dir: PathBuf,
    /// `VIREO_ADMIN_PASSWORD`: the first-run password of `admin`; random when unset.
    pub admin_password: Option<String>,
    /// `VIREO_DEFAULT_HOST_URI`: the libvirt URI of the host created on first run.
    pub default_host_uri: String,
    /// `VIREO_SITE_ROOT`: the built site (wasm, js, css, icons), default `target/site`.
    pub site_root: PathBuf,
    /// `VIREO_SECURE_COOKIES=1` marks the session cookie Secure (set it behind HTTPS).
    pub secure_cookies: bool,
    /// `VIREO_SHUTDOWN_TIMEOUT` (seconds, default 120): how long Shutdown waits for the guest.
    pub shutdown_timeout: std::time::Duration,
    /// `VIREO_TRUSTED_PROXIES`: comma-separated IPs/CIDRs whose `X-Forwarded-For` is believed.
    /// Empty (the default) believes no one: the client is always the connection's peer.
    pub trusted_proxies: TrustedProxies,
    /// `VIREO_MAC_RANGE` (`first-last`, default 56:6f:00:00:00:00-56:6f:00:ff:ff:ff): the MAC
    /// addresses Vireo gives NICs.
    pub mac_range: vireo_app::domain::network::MacRange,
    /// `VIREO_CONSOLE_IDLE_TIMEOUT` (seconds, 10–86400, default 900): a console through which
    /// nothing was typed for this long is closed.
    pub console_idle_timeout: Duration,
    /// Who may read `/metrics` (`VIREO_METRICS_TOKEN`, `VIREO_METRICS_NETWORKS`); nobody by default.
    pub metrics: MetricsAccess,
    /// `VIREO_SAMPLE_INTERVAL` (seconds, 1–3600, default 15): how often running VMs' and Up hosts'
    /// usage is sampled for the charts and `/metrics`.
    pub sample_interval: Duration,
    /// What one client may cost the server (the defaults are the policy; tests shorten the
    /// timeouts; only the live-update stream limits are read from the environment).
    pub limits: HttpLimits,
}

/// Who may read `/metrics`, which names every running VM and host: a scraper presenting the token
/// (`Authorization: Bearer …`), or a client whose address is in the networks (after
/// `VIREO_TRUSTED_PROXIES`' `X-Forwarded-For`, as for logins). Neither set (the default): nobody,
/// and `/metrics` answers 404 as if it did not exist. Loopback is not trusted by default: a reverse
/// proxy on the same machine would make every request come from it.
#[derive(Clone, Default)]
pub struct MetricsAccess {
    /// SHA-256 of `VIREO_METRICS_TOKEN` (at least 32 characters); compared in constant time.
    pub token_sha256: Option<[u8; 32]>,
    /// `VIREO_METRICS_NETWORKS`: IPs/CIDRs, as `VIREO_TRUSTED_PROXIES`.
    pub networks: TrustedProxies,
}

impl std::fmt::Debug for MetricsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not even the hash of the token goes into logs.
        f.debug_struct("MetricsAccess")
            .field("token", &self.token_sha256.map(|_| "set"))
            .field("networks", &self.networks)
            .finish()
    }
}

/// The shortest `VIREO_METRICS_TOKEN`: a token is a secret, not a password someone types.
pub const METRICS_TOKEN_MIN_CHARS: usize = 32;

impl MetricsAccess {
    /// A token and/or networks.
    pub fn new(token: Option<&str>, networks: TrustedProxies) -> Self {
        Self {
            token_sha256: token.map(sha256),
            networks,
        }
    }

    /// Whether `/metrics` is served at all.
    pub fn enabled(&self) -> bool {
        self.token_sha256.is_some() || !self.networks.is_empty()
    }

    /// Whether `presented` is the token: hashes compared without stopping at the first difference,
    /// so neither the token's length nor a matching prefix shows in the time it takes.
    pub fn token_matches(&self, presented: &str) -> bool {
        let Some(expected) = &self.token_sha256 else {
            return false;
        };
        let given = sha256(presented);
        expected.iter().zip(given.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

fn sha256(text: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).into()
}

/// Bounds on what clients may hold or send, so that a slow or hostile client costs a bounded
/// amount of memory, file descriptors and time.
#[derive(Clone, Debug)]
pub struct HttpLimits {
    /// A connection that has not sent a complete request head within this time is closed. It also
    /// bounds how long an idle keep-alive connection stays open (hyper restarts the clock whenever
    /// it waits for the next request head).
    pub header_read_timeout: Duration,
    /// Accepted connections open at once. Beyond it new connections wait in the kernel's listen
    /// backlog instead of taking a file descriptor each.
    pub max_connections: usize,
    /// Request bodies of forms and server functions (the oVirt REST API has its own 1 MiB,
    /// `ovirt::extract::MAX_BODY`). The largest legitimate one, the VM dialog's draft, is a few KiB.
    pub max_body: usize,
    /// A request body (forms, server functions) must arrive completely within this time.
    pub body_read_timeout: Duration,
    /// Live-update streams (`/api/stream`) one session may hold open at once (a browser opens one
    /// per tab). `VIREO_STREAMS_PER_SESSION`.
    pub streams_per_session: usize,
    /// Live-update streams overall, kept well under `max_connections` so pages and server
    /// functions always find a connection. `VIREO_STREAMS_TOTAL` (at most `max_connections` - 256).
    pub streams_total: usize,
    /// How long shutdown lets open connections finish their current request.
    pub shutdown_grace: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 2048,
            max_body: 256 * 1024,
            body_read_timeout: Duration::from_secs(30),
            streams_per_session: 8,
            streams_total: 1024,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// The reverse proxies allowed to say who the client is (`X-Forwarded-For`). Anyone else could
/// claim any address and so dodge the login throttle or forge the audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// `10.0.0.1, 10.1.0.0/16, ::1` → the list; the text of the first bad entry on error.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (addr, prefix) = match entry.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (entry, None),
            };
            let addr: IpAddr = addr.parse().map_err(|_| entry.to_string())?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                Some(p) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| entry.to_string())?,
                None => max,
            };
            nets.push((addr, prefix));
        }
        Ok(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 peer on a dual-stack socket shows up as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.0.iter().any(|(net, prefix)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => masked(u32::from(*n).into(), u32::from(a).into(), *prefix, 32),
            (IpAddr::V6(n), IpAddr::V6(a)) => masked(u128::from(*n), u128::from(a), *prefix, 128),
            _ => false,
        })
    }
}

/// Whether the first `prefix` of `bits` bits of `a` and `b` agree.
fn masked(a: u128, b: u128, prefix: u8, bits: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let shift = u32::from(bits - prefix);
    (a >> shift) == (b >> shift)
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("VIREO_ADDR '{0}' is not an address like 127.0.0.1:3000")]
    BadAddr(String),
    #[error("VIREO_ADMIN_PASSWORD must be at least 8 characters")]
    WeakAdminPassword,
    #[error("VIREO_DEFAULT_HOST_URI is not a URI Vireo connects to: {0}")]
    BadDefaultHostUri(String),
    #[error("VIREO_TRUSTED_PROXIES: '{0}' is not an IP address or CIDR like 10.0.0.0/8")]
    BadTrustedProxy(String),
    #[error("VIREO_MAC_RANGE '{0}': {1}")]
    BadMacRange(String, String),
    #[error("VIREO_CONSOLE_IDLE_TIMEOUT '{0}' is not a number of seconds from 10 to 86400")]
    BadConsoleIdleTimeout(String),
    #[error(
        "VIREO_METRICS_TOKEN must be at least {METRICS_TOKEN_MIN_CHARS} characters, printable ASCII without spaces"
    )]
    WeakMetricsToken,
    #[error("VIREO_METRICS_NETWORKS: '{0}' is not an IP address or CIDR like 10.0.0.0/8")]
    BadMetricsNetwork(String),
    #[error("VIREO_SAMPLE_INTERVAL '{0}' is not a number of seconds from 1 to 3600")]
    BadSampleInterval(String),
    #[error("{0} '{1}' is not a number from 1 to {2}")]
    BadStreamLimit(&'static str, String, usize),
    #[error("VIREO_SHUTDOWN_TIMEOUT '{0}' is not a number of seconds from 1 to 86400")]
    BadShutdownTimeout(String),
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok().filter(|v| !v.is_empty()))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let addr_text = get("VIREO_ADDR").unwrap_or_else(|| DEFAULT_ADDR.into());
        let addr = addr_text.parse().map_err(|_| ConfigError::BadAddr(addr_text.clone()))?;
        let admin_password = get("VIREO_ADMIN_PASSWORD");
        if admin_password.as_ref().is_some_and(|p| p.chars().count() < 8) {
            return Err(ConfigError::WeakAdminPassword);
        }
        let default_host_uri = get("VIREO_DEFAULT_HOST_URI").unwrap_or_else(|| DEFAULT_HOST_URI.into());
        // The same gate as every other URI: a `qemu+ext` or `test:///<file>` here would run a
        // program or read a file at every start.
        if let Err(refused) = vireo_app::domain::host_address::HostAddress::parse_uri(&default_host_uri) {
            return Err(ConfigError::BadDefaultHostUri(refused.0));
        }
        let trusted_proxies = TrustedProxies::parse(&get("VIREO_TRUSTED_PROXIES").unwrap_or_default())
            .map_err(ConfigError::BadTrustedProxy)?;
        let mac_text = get("VIREO_MAC_RANGE").unwrap_or_else(|| DEFAULT_MAC_RANGE.into());
        let mac_range = vireo_app::domain::network::MacRange::parse(&mac_text)
            .map_err(|why| ConfigError::BadMacRange(mac_text.clone(), why))?;
        let idle_text = get("VIREO_CONSOLE_IDLE_TIMEOUT").unwrap_or_else(|| DEFAULT_CONSOLE_IDLE_TIMEOUT.into());
        let console_idle_timeout = match idle_text.parse::<u64>() {
            Ok(secs @ 10..=86_400) => Duration::from_secs(secs),
            _ => return Err(ConfigError::BadConsoleIdleTimeout(idle_text)),
        };
        // A typo here used to mean 120 s without a word; now it stops start-up like the others.
        let shutdown_text = get("VIREO_SHUTDOWN_TIMEOUT").unwrap_or_else(|| DEFAULT_SHUTDOWN_TIMEOUT.into());
        let shutdown_timeout = match shutdown_text.parse::<u64>() {
            Ok(secs @ 1..=86_400) => Duration::from_secs(secs),
            _ => return Err(ConfigError::BadShutdownTimeout(shutdown_text)),
        };
        let metrics_token = get("VIREO_METRICS_TOKEN");
        // Printable ASCII only: it travels in an HTTP header, where anything else could not be sent.
        if metrics_token
            .as_ref()
            .is_some_and(|t| t.len() < METRICS_TOKEN_MIN_CHARS || !t.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(ConfigError::WeakMetricsToken);
        }
        let metrics_networks = TrustedProxies::parse(&get("VIREO_METRICS_NETWORKS").unwrap_or_default())
            .map_err(ConfigError::BadMetricsNetwork)?;
        let sample_interval = match get("VIREO_SAMPLE_INTERVAL") {
            Some(text) => match text.parse::<u64>() {
                Ok(secs @ 1..=3600) => Duration::from_secs(secs),
                _ => return Err(ConfigError::BadSampleInterval(text)),
            },
            None => Duration::from_secs(15),
        };
        let mut limits = HttpLimits::default();
        // Live-update streams each hold a connection: overall they must leave some for pages and
        // server functions, so at most `max_connections` - 256.
        let most = limits.max_connections - 256;
        limits.streams_total = stream_limit(&get, "VIREO_STREAMS_TOTAL", limits.streams_total, most)?;
        limits.streams_per_session = stream_limit(
            &get,
            "VIREO_STREAMS_PER_SESSION",
            limits.streams_per_session,
            limits.streams_total,
        )?;
        Ok(Self {
            addr,
            trusted_proxies,
            metrics: MetricsAccess::new(metrics_token.as_deref(), metrics_networks),
            sample_interval,
            console_idle_timeout,
            mac_range,
            database_url: get("DATABASE_URL"),
            data_dir: PathBuf::from(get("VIREO_DATA_DIR").unwrap_or_else(|| DEFAULT_DATA_DIR.into())),
            admin_password,
            default_host_uri,
            site_root: PathBuf::from(get("VIREO_SITE_ROOT").unwrap_or_else(|| DEFAULT_SITE_ROOT.into())),
            secure_cookies: get("VIREO_SECURE_COOKIES").is_some_and(|v| v == "1" || v == "true"),
            shutdown_timeout,
            limits,
        })
    }
}

/// A stream limit from the environment: 1 to `most`, else `default`.
fn stream_limit(
    get: &impl Fn(&str) -> Option<String>,
    key: &'static str,
    default: usize,
    most: usize,
) -> Result<usize, ConfigError> {
    match get(key) {
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=most).contains(&n) => Ok(n),
            _ => Err(ConfigError::BadStreamLimit(key, text, most)),
        },
        None => Ok(default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_need_nothing_set() {
        let c = Config::from_lookup(lookup(&[])).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert!(c.database_url.is_none());
        assert_eq!(c.default_host_uri, "test:///default");
        assert!(!c.secure_cookies);
        assert!(c.trusted_proxies.is_empty());
        assert_eq!(c.mac_range, vireo_app::domain::network::MacRange::default());
    }

    #[test]
    fn stream_limits_are_bounded_by_the_connections() {
        let c = Config::from_lookup(lookup(&[])).unwrap();
        assert_eq!(c.limits.streams_per_session, HttpLimits::default().streams_per_session);
        assert_eq!(c.limits.streams_total, HttpLimits::default().streams_total);
        let c = Config::from_lookup(lookup(&[
            ("VIREO_STREAMS_PER_SESSION", "200"),
            ("VIREO_STREAMS_TOTAL", "1500"),
        ]))
        .unwrap();
        assert_eq!((c.limits.streams_per_session, c.limits.streams_total), (200, 1500));
        let most = HttpLimits::default().max_connections - 256;
        for (key, bad) in [
            ("VIREO_STREAMS_TOTAL", "0".to_string()),
            ("VIREO_STREAMS_TOTAL", (most + 1).to_string()),
            ("VIREO_STREAMS_TOTAL", "many".to_string()),
            // More per session than overall.
            ("VIREO_STREAMS_PER_SESSION", "1025".to_string()),
            ("VIREO_STREAMS_PER_SESSION", "-1".to_string()),
        ] {
            assert!(
                matches!(
                    Config::from_lookup(lookup(&[(key, bad.as_str())])),
                    Err(ConfigError::BadStreamLimit(k, _, _)) if k == key
                ),
                "{key}={bad}"
            );
        }
    }

    #[test]
    fn the_console_idle_timeout_is_bounded() {
        let c = Config::from_lookup(lookup(&[])).unwrap();
        assert_eq!(c.console_idle_timeout, Duration::from_secs(900));
        let c = Config::from_lookup(lookup(&[("VIREO_CONSOLE_IDLE_TIMEOUT", "60")])).unwrap();
        assert_eq!(c.console_idle_timeout, Duration::from_secs(60));
        for bad in ["0", "9", "86401", "-5", "1e3", "ten"] {
            assert!(
                matches!(
                    Config::from_lookup(lookup(&[("VIREO_CONSOLE_IDLE_TIMEOUT", bad)])),
                    Err(ConfigError::BadConsoleIdleTimeout(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_shutdown_timeout_is_bounded() {
        let c = Config::from_lookup(lookup(&[])).unwrap();
        assert_eq!(c.shutdown_timeout, Duration::from_secs(120));
        let c = Config::from_lookup(lookup(&[("VIREO_SHUTDOWN_TIMEOUT", "30")])).unwrap();
        assert_eq!(c.shutdown_timeout, Duration::from_secs(30));
        for bad in ["0", "86401", "-1", "2m", ""] {
            assert!(
                matches!(
                    Config::from_lookup(lookup(&[("VIREO_SHUTDOWN_TIMEOUT", bad)])),
                    Err(ConfigError::BadShutdownTimeout(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_mac_range_is_read_and_a_bad_one_stops_start_up() {
        let c = Config::from_lookup(lookup(&[("VIREO_MAC_RANGE", "56:6f:00:00:00:00-56:6f:00:00:00:03")])).unwrap();
        assert_eq!(c.mac_range.size(), 4);
        for bad in [
            "nope",
            "57:00:00:00:00:00-57:00:00:00:00:01",
            "56:6f:00:00:00:09-56:6f:00:00:00:01",
        ] {
            match Config::from_lookup(lookup(&[("VIREO_MAC_RANGE", bad)])) {
                Err(e @ ConfigError::BadMacRange(..)) => {
                    assert!(e.to_string().starts_with(&format!("VIREO_MAC_RANGE '{bad}': ")), "{e}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn metrics_are_closed_unless_a_token_or_networks_are_set() {
        let c = Config::from_lookup(lookup(&[])).unwrap();
        assert!(!c.metrics.enabled());
        assert!(!c.metrics.token_matches(""));
        assert_eq!(c.sample_interval, Duration::from_secs(15));

        let token = "t0ken-t0ken-t0ken-t0ken-t0ken-t0ken";
        let c = Config::from_lookup(lookup(&[("VIREO_METRICS_TOKEN", token)])).unwrap();
        assert!(c.metrics.enabled());
        assert!(c.metrics.token_matches(token));
        assert!(!c.metrics.token_matches(&token[1..]));
        assert!(!c.metrics.token_matches(""));
        assert!(!format!("{:?}", c.metrics).contains("t0ken"));

        let c = Config::from_lookup(lookup(&[("VIREO_METRICS_NETWORKS", "10.1.0.0/16")])).unwrap();
        assert!(c.metrics.enabled());
        assert!(c.metrics.networks.contains("10.1.2.3".parse().unwrap()));
        assert!(!c.metrics.token_matches("anything"));

        for bad in ["short", "x x x x x x x x x x x x x x x x x x x", &"é".repeat(40)] {
            assert!(
                matches!(
                    Config::from_lookup(lookup(&[("VIREO_METRICS_TOKEN", bad)])),
                    Err(ConfigError::WeakMetricsToken)
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            Config::from_lookup(lookup(&[("VIREO_METRICS_NETWORKS", "nope")])),
            Err(ConfigError::BadMetricsNetwork(_))
        ));
    }

    #[test]
    fn the_sample_interval_is_bounded() {
        let c = Config::from_lookup(lookup(&[("VIREO_SAMPLE_INTERVAL", "2")])).unwrap();
        assert_eq!(c.sample_interval, Duration::from_secs(2));
        for bad in ["0", "3601", "-1", "fast"] {
            assert!(
                matches!(
                    Config::from_lookup(lookup(&[("VIREO_SAMPLE_INTERVAL", bad)])),
                    Err(ConfigError::BadSampleInterval(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn trusted_proxies_are_ips_and_cidrs() {
        let c = Config::from_lookup(lookup(&[(
            "VIREO_TRUSTED_PROXIES",
            "10.0.0.1, 192.168.0.0/16,fd00::/8",
        )]))
        .unwrap();
        let t = &c.trusted_proxies;
        for yes in ["10.0.0.1", "192.168.7.9", "fd12::1", "::ffff:10.0.0.1"] {
            assert!(t.contains(yes.parse().unwrap()), "{yes}");
        }
        for no in ["10.0.0.2", "192.169.0.1", "fe80::1", "127.0.0.1"] {
            assert!(!t.contains(no.parse().unwrap()), "{no}");
        }
        assert!(TrustedProxies::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        for bad in ["10.0.0.0/33", "nope", "10.0.0.1/x", "::/129"] {
            assert!(
                matches!(
                    Config::from_lookup(lookup(&[("VIREO_TRUSTED_PROXIES", bad)])),
                    Err(ConfigError::BadTrustedProxy(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn overrides_and_errors() {
        let c = Config::from_lookup(lookup(&[
            ("VIREO_ADDR", "0.0.0.0:8080"),
            ("DATABASE_URL", "postgres://x/y"),
            ("VIREO_ADMIN_PASSWORD", "long-enough"),
        ]))
        .unwrap();
        assert_eq!(c.addr.port(), 8080);
        assert_eq!(c.database_url.as_deref(), Some("postgres://x/y"));
        assert!(matches!(
            Config::from_lookup(lookup(&[("VIREO_ADDR", "nope")])),
            Err(ConfigError::BadAddr(_))
        ));
        assert!(matches!(
            Config::from_lookup(lookup(&[("VIREO_ADMIN_PASSWORD", "short")])),
            Err(ConfigError::WeakAdminPassword)
        ));
    }

    #[test]
    fn the_default_host_uri_must_be_one_vireo_builds() {
        for ok in ["qemu:///system", "qemu+ssh://root@kvm1/system", "test+unix:///default"] {
            let c = Config::from_lookup(lookup(&[("VIREO_DEFAULT_HOST_URI", ok)])).unwrap();
            assert_eq!(c.default_host_uri, ok);
        }
        for bad in [
            "qemu+ext:///system?command=/tmp/x",
            "test:///etc/shadow",
            "qemu+unix:///system?socket=/tmp/s",
            "qemu+tcp://kvm1/system",
        ] {
            match Config::from_lookup(lookup(&[("VIREO_DEFAULT_HOST_URI", bad)])) {
                Err(e @ ConfigError::BadDefaultHostUri(_)) => {
                    assert!(e
                        .to_string()
                        .starts_with("VIREO_DEFAULT_HOST_URI is not a URI Vireo connects to"));
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
