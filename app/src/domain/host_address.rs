//! Where Vireo connects to a host. A libvirt URI is a small program: its scheme picks a transport
//! that may run a local command (`qemu+ext`, `?command=`, `?netcat=`), open any local socket
//! (`qemu+unix`, `?socket=`), read any file (`test:///<path>` parses the file and quotes it in its
//! error) or turn off checks (`?no_verify=`, `?pkipath=`, `?known_hosts=`). So Vireo never takes a
//! URI from a user: it takes a transport and validated parts, and formats the URI itself.
//! `HostAddress::parse_uri` is the reverse and accepts only URIs this module would have built; it
//! gates every URI that comes from elsewhere (stored rows, `VIREO_DEFAULT_HOST_URI`, the REST API).
//!
//! The URIs Vireo builds, and the only ones it accepts:
//!
//! | transport | URI |
//! |---|---|
//! | This machine | `qemu:///system` |
//! | SSH | `qemu+ssh://[user@]host[:port]/system` |
//! | TLS | `qemu+tls://host[:port]/system` |
//! | Simulated | `test:///default` (libvirt's in-process test driver) |
//! | Simulated through libvirtd | `test+unix:///default` (the same driver inside the local libvirtd) |
//!
//! `host` is a DNS name (at most 253 characters, labels of `[A-Za-z0-9-]` not starting or ending
//! with `-`), an IPv4 address or an IPv6 address in brackets (no zone id); `user` is 1–32 of
//! `[A-Za-z0-9._-]` not starting with `-` (it becomes an `ssh -l` argument); `port` is 1–65535.
//! No query string, fragment or percent-encoding, ever.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU16;

/// How Vireo reaches a host. `as_str` is the form/API value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Transport {
    Ssh,
    Tls,
    Local,
    Simulated,
    /// The test driver inside the local libvirtd: its VMs can be changed from outside Vireo with
    /// `virsh -c test+unix:///default`, which is what the live-update browser test needs.
    SimulatedLibvirtd,
}

impl Transport {
    pub const ALL: [Transport; 5] = [
        Transport::Ssh,
        Transport::Tls,
        Transport::Local,
        Transport::Simulated,
        Transport::SimulatedLibvirtd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ssh => "ssh",
            Self::Tls => "tls",
            Self::Local => "local",
            Self::Simulated => "simulated",
            Self::SimulatedLibvirtd => "simulated_libvirtd",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Ssh => "SSH",
            Self::Tls => "TLS",
            Self::Local => "This machine",
            Self::Simulated => "Simulated test host",
            Self::SimulatedLibvirtd => "Simulated test host in the local libvirtd",
        }
    }

    pub fn takes_address(self) -> bool {
        matches!(self, Self::Ssh | Self::Tls)
    }

    pub fn takes_user(self) -> bool {
        self == Self::Ssh
    }

    pub fn takes_port(self) -> bool {
        matches!(self, Self::Ssh | Self::Tls)
    }

    pub fn is_simulated(self) -> bool {
        matches!(self, Self::Simulated | Self::SimulatedLibvirtd)
    }

    /// The URI's shape, for the dialog's preview before the fields are complete.
    pub fn uri_shape(self) -> &'static str {
        match self {
            Self::Ssh => "qemu+ssh://[user@]address[:port]/system",
            Self::Tls => "qemu+tls://address[:port]/system",
            Self::Local => LOCAL_URI,
            Self::Simulated => SIMULATED_URI,
            Self::SimulatedLibvirtd => SIMULATED_LIBVIRTD_URI,
        }
    }
}

const LOCAL_URI: &str = "qemu:///system";
const SIMULATED_URI: &str = "test:///default";
const SIMULATED_LIBVIRTD_URI: &str = "test+unix:///default";
pub const MAX_HOST_NAME_LEN: usize = 253;
pub const MAX_USER_LEN: usize = 32;

/// A validated host name or IP address, exactly as it appears in a URI (IPv6 in brackets). Only
/// `HostName::parse` makes one, so a `HostAddress` can only hold checked parts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostName(String);

impl HostName {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.is_empty() {
            return Err("Enter the host's name or IP address.");
        }
        if s.len() > MAX_HOST_NAME_LEN + 2 {
            return Err("A host name can be at most 253 characters.");
        }
        let (inner, bracketed) = match s.strip_prefix('[') {
            Some(rest) => match rest.strip_suffix(']') {
                Some(inner) => (inner, true),
                None => return Err("An IPv6 address opened with '[' must end with ']'."),
            },
            None => (s, false),
        };
        if bracketed || inner.contains(':') {
            if inner.contains('%') {
                // A zone id (`fe80::1%eth0`) names a local interface; URIs cannot carry it safely.
                return Err("IPv6 zone ids (%…) are not accepted.");
            }
            return match inner.parse::<Ipv6Addr>() {
                // Written back in Rust's canonical form, so one address has one URI.
                Ok(ip) => Ok(Self(format!("[{ip}]"))),
                Err(_) if bracketed => Err("Not a valid IPv6 address."),
                Err(_) => {
                    Err("Not a host name or IP address: a port goes in the Port field, an IPv6 address in brackets.")
                }
            };
        }
        if s.len() > MAX_HOST_NAME_LEN {
            return Err("A host name can be at most 253 characters.");
        }
        if let Ok(ip) = s.parse::<Ipv4Addr>() {
            return Ok(Self(ip.to_string()));
        }
        for label in s.split('.') {
            if label.is_empty() || label.len() > 63 {
                return Err("Each part of a host name between dots needs 1 to 63 characters.");
            }
            if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(
                    "Not a host name or IP address: use letters, digits, dots and hyphens (kvm1.example.com), an IPv4 address, or an IPv6 address in brackets.",
                );
            }
            if label.starts_with('-') || label.ends_with('-') {
                // A leading '-' would also be read as an option by ssh.
                return Err("A part of a host name cannot start or end with '-'.");
            }
        }
        // A name whose last part is all digits is an IPv4 address or a mistake ("127.1",
        // "10.0.0.256"); resolvers read some such strings as addresses.
        if s.rsplit('.')
            .next()
            .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err("Not a valid IPv4 address.");
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated ssh user name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserName(String);

impl UserName {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.is_empty() || s.len() > MAX_USER_LEN {
            return Err("A user name needs 1 to 32 characters.");
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err("A user name may use only letters, digits, '.', '_' and '-'.");
        }
        if s.starts_with('-') {
            // ssh would read it as an option.
            return Err("A user name cannot start with '-'.");
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A port typed by a user: decimal digits, 1–65535.
pub fn parse_port(s: &str) -> Result<NonZeroU16, &'static str> {
    const MESSAGE: &str = "Enter a port from 1 to 65535, or leave it empty.";
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MESSAGE);
    }
    s.parse::<u16>().ok().and_then(NonZeroU16::new).ok_or(MESSAGE)
}

/// A host's place, made only of validated parts; `uri` formats it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HostAddress {
    Local,
    Ssh {
        host: HostName,
        user: Option<UserName>,
        port: Option<NonZeroU16>,
    },
    Tls {
        host: HostName,
        port: Option<NonZeroU16>,
    },
    /// libvirt's test driver; the host's topology comes from a shipped file.
    Simulated {
        via_libvirtd: bool,
    },
}

/// Why `parse_uri` refused a URI. The reason never quotes the URI's text beyond what Vireo
/// validated, so it is safe to show and to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedUri(pub String);

impl fmt::Display for RefusedUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const ACCEPTED: &str = "Vireo accepts qemu:///system, qemu+ssh://[user@]host[:port]/system, qemu+tls://host[:port]/system, test:///default and test+unix:///default";

fn refuse<T>(reason: impl Into<String>) -> Result<T, RefusedUri> {
    Err(RefusedUri(reason.into()))
}

impl HostAddress {
    pub fn transport(&self) -> Transport {
        match self {
            Self::Local => Transport::Local,
            Self::Ssh { .. } => Transport::Ssh,
            Self::Tls { .. } => Transport::Tls,
            Self::Simulated { via_libvirtd: false } => Transport::Simulated,
            Self::Simulated { via_libvirtd: true } => Transport::SimulatedLibvirtd,
        }
    }

    pub fn is_simulated(&self) -> bool {
        matches!(self, Self::Simulated { .. })
    }

    pub fn host(&self) -> Option<&HostName> {
        match self {
            Self::Ssh { host, .. } | Self::Tls { host, .. } => Some(host),
            _ => None,
        }
    }

    pub fn user(&self) -> Option<&UserName> {
        match self {
            Self::Ssh { user, .. } => user.as_ref(),
            _ => None,
        }
    }

    pub fn port(&self) -> Option<u16> {
        match self {
            Self::Ssh { port, .. } | Self::Tls { port, .. } => port.map(NonZeroU16::get),
            _ => None,
        }
    }

    /// The libvirt URI, formatted from the validated parts.
    pub fn uri(&self) -> String {
        let port = |p: &Option<NonZeroU16>| p.map(|p| format!(":{p}")).unwrap_or_default();
        match self {
            Self::Local => LOCAL_URI.to_string(),
            Self::Ssh { host, user, port: p } => {
                let user = user.as_ref().map(|u| format!("{}@", u.as_str())).unwrap_or_default();
                format!("qemu+ssh://{user}{}{}/system", host.as_str(), port(p))
            }
            Self::Tls { host, port: p } => format!("qemu+tls://{}{}/system", host.as_str(), port(p)),
            Self::Simulated { via_libvirtd: false } => SIMULATED_URI.to_string(),
            Self::Simulated { via_libvirtd: true } => SIMULATED_LIBVIRTD_URI.to_string(),
        }
    }

    /// The URI libvirt opens for an SSH host (never stored, never shown as the host's URI): its
    /// libssh transport with Vireo's key only (`sshauth=privkey`, no agent, no password) and the
    /// host's pinned known_hosts file only (`known_hosts_verify=normal`: an unknown or changed key
    /// is refused). The plain `qemu+ssh` transport runs the `ssh` binary, which reads the user's
    /// own known_hosts and agent and cannot be pointed at a private known_hosts file.
    /// `keyfile` and `known_hosts` are Vireo's own absolute paths; `None` for another transport,
    /// or for a path with anything but `[A-Za-z0-9/._-]` (refused, not escaped).
    pub fn libssh_uri(&self, keyfile: &str, known_hosts: &str) -> Option<String> {
        let plain = |p: &str| {
            p.starts_with('/')
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-'))
        };
        let Self::Ssh { .. } = self else {
            return None;
        };
        if !plain(keyfile) || !plain(known_hosts) {
            return None;
        }
        let uri = self.uri();
        let rest = uri.strip_prefix("qemu+ssh://")?;
        Some(format!(
            "qemu+libssh://{rest}?keyfile={keyfile}&known_hosts={known_hosts}&known_hosts_verify=normal&sshauth=privkey"
        ))
    }

    /// What oVirt calls the host's `address`: the host name for remote hosts, `localhost` for this
    /// machine and simulated hosts (both run on Vireo's own machine).
    pub fn display_address(&self) -> &str {
        self.host().map(HostName::as_str).unwrap_or("localhost")
    }

    /// Accepts exactly the URIs `uri` builds and nothing else (see the module's table).
    pub fn parse_uri(uri: &str) -> Result<Self, RefusedUri> {
        if uri.is_empty() {
            return refuse("The URI is empty.");
        }
        if uri.len() > MAX_HOST_NAME_LEN + 64 {
            return refuse("The URI is too long.");
        }
        if !uri.bytes().all(|b| b.is_ascii_graphic()) {
            return refuse("The URI contains spaces, control characters or non-ASCII characters.");
        }
        if uri.contains('?') {
            return refuse(
                "Query parameters (?…) are not accepted: libvirt's command=, socket=, netcat=, keyfile=, known_hosts=, pkipath=, no_verify= and the like run programs or reach local files.",
            );
        }
        if uri.contains('#') {
            return refuse("Fragments (#…) are not accepted.");
        }
        if uri.contains('%') {
            return refuse("Percent-encoded characters are not accepted.");
        }
        let Some((scheme, rest)) = uri.split_once("://") else {
            return refuse(format!("That is not a libvirt URI. {ACCEPTED}."));
        };
        let address = match scheme {
            "qemu" => match rest {
                "/system" => Self::Local,
                "/session" => {
                    return refuse("qemu:///session (a per-user daemon) is not supported; use qemu:///system.")
                }
                _ if !rest.starts_with('/') => {
                    return refuse("For a remote host use qemu+ssh://host/system or qemu+tls://host/system.")
                }
                _ => return refuse("The only local QEMU URI is qemu:///system."),
            },
            "qemu+ssh" => {
                let (host, user, port) = remote_parts(rest, true)?;
                Self::Ssh { host, user, port }
            }
            "qemu+tls" => {
                let (host, _, port) = remote_parts(rest, false)?;
                Self::Tls { host, port }
            }
            "test" | "test+unix" => {
                if rest != "/default" {
                    return refuse(
                        "The test driver reads any other path as a file; only test:///default and test+unix:///default are accepted.",
                    );
                }
                Self::Simulated {
                    via_libvirtd: scheme == "test+unix",
                }
            }
            "qemu+ext" => return refuse("qemu+ext runs a local program; it is never accepted."),
            "qemu+unix" | "test+ext" | "test+ssh" | "test+tcp" | "test+tls" => {
                return refuse(
                    "This transport is not accepted; use qemu:///system for this machine, or a simulated host.",
                )
            }
            "qemu+tcp" => return refuse("qemu+tcp is neither encrypted nor authenticated; use qemu+ssh or qemu+tls."),
            "qemu+libssh" | "qemu+libssh2" => return refuse("Use qemu+ssh://[user@]host[:port]/system."),
            _ if ["qemu", "qemu+ssh", "qemu+tls", "test", "test+unix"]
                .iter()
                .any(|s| s.eq_ignore_ascii_case(scheme)) =>
            {
                return refuse("URI schemes are lower case (qemu+ssh, not QEMU+SSH).")
            }
            _ => {
                return refuse(format!(
                    "Only QEMU/KVM hosts and the test driver are supported. {ACCEPTED}."
                ))
            }
        };
        // The last word: the URI must be exactly the one Vireo would build from what it read (no
        // leading zeros in ports, canonical IPv6, no stray characters anywhere).
        let built = address.uri();
        if built != uri {
            return refuse(format!("The URI is not in Vireo's form; did you mean {built}?"));
        }
        Ok(address)
    }
}

/// `[user@]host[:port]/system` of a remote URI.
fn remote_parts(
    rest: &str,
    user_allowed: bool,
) -> Result<(HostName, Option<UserName>, Option<NonZeroU16>), RefusedUri> {
    let Some((authority, path)) = rest.split_once('/') else {
        return refuse("A remote URI ends with /system.");
    };
    if path != "system" {
        return refuse("A remote URI ends with /system (and nothing after it).");
    }
    let (user, host_port) = match authority.split_once('@') {
        Some((user, host_port)) => {
            if host_port.contains('@') {
                return refuse("A URI may contain at most one '@'.");
            }
            if !user_allowed {
                return refuse("qemu+tls takes no user name.");
            }
            match UserName::parse(user) {
                Ok(u) => (Some(u), host_port),
                Err(e) => return refuse(e),
            }
        }
        None => (None, authority),
    };
    let (host, port) = if host_port.starts_with('[') {
        match host_port.find(']') {
            Some(end) => {
                let (host, after) = host_port.split_at(end + 1);
                match after {
                    "" => (host, None),
                    _ => match after.strip_prefix(':') {
                        Some(p) => (host, Some(p)),
                        None => return refuse("Only ':port' may follow an IPv6 address."),
                    },
                }
            }
            None => return refuse("An IPv6 address opened with '[' must end with ']'."),
        }
    } else {
        match host_port.split_once(':') {
            Some((_, p)) if p.contains(':') => return refuse("IPv6 addresses go in brackets: [2001:db8::1]."),
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let host = HostName::parse(host).or_else(refuse)?;
    let port = match port {
        Some(p) => Some(parse_port(p).or_else(refuse)?),
        None => None,
    };
    Ok((host, user, port))
}

/// The Add-host form's address fields as typed (empty = not given): the dialog, a plain form post
/// and the REST API all arrive this way, and one function validates them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddressFields<'a> {
    pub transport: &'a str,
    pub address: &'a str,
    pub user: &'a str,
    pub port: &'a str,
    pub simulated_topology: &'a str,
}

/// A validated address and, for a simulated host, the shipped topology it reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidHostAddress {
    pub address: HostAddress,
    pub simulated_topology: Option<String>,
}

impl AddressFields<'_> {
    /// Validates every field (errors for `transport`, `address`, `user`, `port`,
    /// `simulated_topology`, in that order). `topologies` are the shipped topology ids; an empty
    /// choice for a simulated host takes the first.
    pub fn validate(&self, topologies: &[&str]) -> Result<ValidHostAddress, Vec<FieldError>> {
        let transport = self.transport()?;
        let mut errors = Vec::new();
        let address = self.address_of(transport, &mut errors);
        let simulated_topology = self.topology_of(transport, topologies, &mut errors);
        match address {
            Some(address) if errors.is_empty() => Ok(ValidHostAddress {
                address,
                simulated_topology,
            }),
            _ => Err(errors),
        }
    }

    /// What the dialog shows as "URI": the one Vireo will use, or the transport's shape while the
    /// fields are incomplete or invalid. (The topology does not change the URI.)
    pub fn preview(&self) -> String {
        let Ok(transport) = self.transport() else {
            return String::new();
        };
        match self.address_of(transport, &mut Vec::new()) {
            Some(address) => address.uri(),
            None => transport.uri_shape().to_string(),
        }
    }

    fn transport(&self) -> Result<Transport, Vec<FieldError>> {
        Transport::parse(self.transport.trim()).ok_or_else(|| {
            vec![FieldError::new(
                "transport",
                "Choose how Vireo reaches the host: SSH, TLS, this machine or a simulated test host.",
            )]
        })
    }

    /// The address from the transport, address, user and port fields; `None` after recording
    /// errors. Fields the transport does not use are refused, not dropped.
    fn address_of(&self, transport: Transport, errors: &mut Vec<FieldError>) -> Option<HostAddress> {
        let before = errors.len();
        let mut error = |field: &str, message: &str| errors.push(FieldError::new(field, message));
        let (address, user, port) = (self.address.trim(), self.user.trim(), self.port.trim());
        let host = if transport.takes_address() {
            HostName::parse(address).map_err(|e| error("address", e)).ok()
        } else {
            if !address.is_empty() {
                error(
                    "address",
                    "This machine and simulated hosts take no address; leave it empty.",
                );
            }
            None
        };
        let user = if user.is_empty() {
            None
        } else if transport.takes_user() {
            UserName::parse(user).map_err(|e| error("user", e)).ok()
        } else {
            error("user", "Only SSH takes a user name; leave it empty.");
            None
        };
        let port = if port.is_empty() {
            None
        } else if transport.takes_port() {
            parse_port(port).map_err(|e| error("port", e)).ok()
        } else {
            error("port", "Only SSH and TLS take a port; leave it empty.");
            None
        };
        if errors.len() > before {
            return None;
        }
        match (transport, host) {
            (Transport::Ssh, Some(host)) => Some(HostAddress::Ssh { host, user, port }),
            (Transport::Tls, Some(host)) => Some(HostAddress::Tls { host, port }),
            (Transport::Local, _) => Some(HostAddress::Local),
            (Transport::Simulated, _) => Some(HostAddress::Simulated { via_libvirtd: false }),
            (Transport::SimulatedLibvirtd, _) => Some(HostAddress::Simulated { via_libvirtd: true }),
            // Unreachable in practice: a remote transport without a host recorded an error above.
            (Transport::Ssh | Transport::Tls, None) => None,
        }
    }

    fn topology_of(&self, transport: Transport, topologies: &[&str], errors: &mut Vec<FieldError>) -> Option<String> {
        let topology = self.simulated_topology.trim();
        let message = if transport.is_simulated() {
            match topology {
                "" => match topologies.first() {
                    Some(first) => return Some(first.to_string()),
                    None => "Vireo ships no topologies to simulate.".to_string(),
                },
                t if topologies.contains(&t) => return Some(t.to_string()),
                // The typed value is not echoed: only the known ids are.
                _ => format!(
                    "There is no shipped topology by that id; choose one of: {}.",
                    topologies.join(", ")
                ),
            }
        } else if !topology.is_empty() {
            "Only a simulated test host takes a simulated topology.".to_string()
        } else {
            return None;
        };
        errors.push(FieldError::new("simulated_topology", message));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPOLOGIES: &[&str] = &["hp-2s8c2t", "small-1s4c"];

    fn fields<'a>(transport: &'a str, address: &'a str, user: &'a str, port: &'a str) -> AddressFields<'a> {
        AddressFields {
            transport,
            address,
            user,
            port,
            simulated_topology: "",
        }
    }

    fn uri_of(f: AddressFields) -> String {
        f.validate(TOPOLOGIES).expect("valid").address.uri()
    }

    fn error_fields(f: AddressFields) -> Vec<String> {
        f.validate(TOPOLOGIES)
            .expect_err("invalid")
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn builds_each_transports_uri() {
        for ((transport, address, user, port), uri) in [
            (("local", "", "", ""), "qemu:///system"),
            (
                ("ssh", "kvm1.example.com", "", ""),
                "qemu+ssh://kvm1.example.com/system",
            ),
            (("ssh", "kvm1", "root", "2222"), "qemu+ssh://root@kvm1:2222/system"),
            (
                ("ssh", "192.0.2.10", "ops_1.x", ""),
                "qemu+ssh://ops_1.x@192.0.2.10/system",
            ),
            (
                ("tls", "[2001:db8::1]", "", "16514"),
                "qemu+tls://[2001:db8::1]:16514/system",
            ),
            (("tls", "2001:db8:0:0::1", "", ""), "qemu+tls://[2001:db8::1]/system"),
            (("simulated", "", "", ""), "test:///default"),
            (("simulated_libvirtd", "", "", ""), "test+unix:///default"),
        ] {
            assert_eq!(uri_of(fields(transport, address, user, port)), uri);
        }
        // Surrounding blanks from a paste are trimmed; nothing inside is.
        assert_eq!(
            uri_of(fields(" ssh ", " kvm1 ", " root ", " 22 ")),
            "qemu+ssh://root@kvm1:22/system"
        );
    }

    #[test]
    fn simulated_hosts_take_a_shipped_topology_or_the_first() {
        let mut f = fields("simulated", "", "", "");
        assert_eq!(
            f.validate(TOPOLOGIES).unwrap().simulated_topology.as_deref(),
            Some("hp-2s8c2t")
        );
        f.simulated_topology = "small-1s4c";
        assert_eq!(
            f.validate(TOPOLOGIES).unwrap().simulated_topology.as_deref(),
            Some("small-1s4c")
        );
        f.simulated_topology = "../../etc/shadow";
        let errors = f.validate(TOPOLOGIES).unwrap_err();
        assert_eq!(errors[0].field, "simulated_topology");
        assert!(!errors[0].message.contains("shadow"), "the typed value is not echoed");
        assert_eq!(
            error_fields(AddressFields {
                simulated_topology: "small-1s4c",
                ..fields("ssh", "kvm1", "", "")
            }),
            vec!["simulated_topology"]
        );
        assert_eq!(
            fields("simulated", "", "", "").validate(&[]).unwrap_err()[0].field,
            "simulated_topology"
        );
        assert_eq!(
            fields("ssh", "kvm1", "", "")
                .validate(TOPOLOGIES)
                .unwrap()
                .simulated_topology,
            None
        );
    }

    #[test]
    fn fields_that_do_not_apply_are_refused_not_dropped() {
        assert_eq!(
            error_fields(fields("local", "kvm1", "root", "22")),
            vec!["address", "user", "port"]
        );
        assert_eq!(error_fields(fields("simulated", "x", "", "")), vec!["address"]);
        assert_eq!(error_fields(fields("tls", "kvm1", "root", "")), vec!["user"]);
        assert_eq!(error_fields(fields("ssh", "", "", "")), vec!["address"]);
        assert_eq!(error_fields(fields("", "kvm1", "", "")), vec!["transport"]);
        assert_eq!(error_fields(fields("SSH", "kvm1", "", "")), vec!["transport"]);
        assert_eq!(error_fields(fields("ext", "kvm1", "", "")), vec!["transport"]);
        // Every bad field at once, in form order.
        assert_eq!(
            error_fields(fields("ssh", "a b", "-x", "0")),
            vec!["address", "user", "port"]
        );
    }

    #[test]
    fn host_names_and_addresses() {
        for ok in [
            "a",
            "kvm-1",
            "KVM1.Example.COM",
            "xn--bcher-kva.example",
            "1password.com",
            "10.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            &format!(
                "{}.{}.{}.{}",
                "a".repeat(63),
                "b".repeat(63),
                "c".repeat(63),
                "d".repeat(61)
            ),
        ] {
            assert!(HostName::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(HostName::parse("[::1]").unwrap().as_str(), "[::1]");
        assert_eq!(HostName::parse("::1").unwrap().as_str(), "[::1]");
        assert_eq!(
            HostName::parse("[::ffff:192.0.2.1]").unwrap().as_str(),
            "[::ffff:192.0.2.1]"
        );
        for bad in [
            "",
            "-kvm",
            "kvm-",
            "a..b",
            ".a",
            "a.",
            "kvm_1",
            "kvm 1",
            "kvm\n1",
            "kvm\u{0}1",
            "kvm/1",
            "kvm@1",
            "kvm?1",
            "kvm%3F1",
            "kvm:22",
            "kvm\u{e9}",
            "127.1",
            "10.0.0.256",
            "010.0.0.1",
            "1.2.3.4.5",
            "[::1",
            "[fe80::1%eth0]",
            "fe80::1%25eth0",
            "[not-v6]",
            "[[::1]]",
            &"a".repeat(64),
            &format!(
                "{}.{}.{}.{}",
                "a".repeat(63),
                "b".repeat(63),
                "c".repeat(63),
                "d".repeat(62)
            ),
        ] {
            assert!(HostName::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn user_names_and_ports() {
        for ok in ["root", "a", "ops.team_1-x", &"u".repeat(32), "_svc"] {
            assert!(UserName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-oProxyCommand=x",
            "a@b",
            "a b",
            "a:b",
            "a/b",
            "ü",
            &"u".repeat(33),
            "a\nb",
            "a\u{0}",
        ] {
            assert!(UserName::parse(bad).is_err(), "{bad:?} was accepted");
        }
        for (ok, n) in [("1", 1), ("22", 22), ("65535", 65535), ("022", 22)] {
            assert_eq!(parse_port(ok).map(NonZeroU16::get), Ok(n), "{ok}");
        }
        for bad in [
            "", "0", "65536", "99999", "123456", "-1", "+22", "22 ", "0x16", "2.2", "٢٢",
        ] {
            assert!(parse_port(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn parse_uri_accepts_exactly_what_uri_builds() {
        for uri in [
            "qemu:///system",
            "qemu+ssh://kvm1/system",
            "qemu+ssh://root@kvm1.example.com/system",
            "qemu+ssh://root@192.0.2.10:2222/system",
            "qemu+ssh://root@[2001:db8::1]:22/system",
            "qemu+tls://kvm1/system",
            "qemu+tls://kvm1:16514/system",
            "qemu+tls://[::1]/system",
            "test:///default",
            "test+unix:///default",
        ] {
            let parsed = HostAddress::parse_uri(uri).unwrap_or_else(|e| panic!("{uri}: {e}"));
            assert_eq!(parsed.uri(), uri);
        }
        let ssh = HostAddress::parse_uri("qemu+ssh://ops@kvm1:2222/system").unwrap();
        assert_eq!(ssh.transport(), Transport::Ssh);
        assert_eq!(ssh.host().map(HostName::as_str), Some("kvm1"));
        assert_eq!(ssh.user().map(UserName::as_str), Some("ops"));
        assert_eq!(ssh.port(), Some(2222));
        assert_eq!(ssh.display_address(), "kvm1");
        assert_eq!(
            HostAddress::parse_uri("test+unix:///default").unwrap().transport(),
            Transport::SimulatedLibvirtd
        );
        assert_eq!(
            HostAddress::parse_uri("qemu:///system").unwrap().display_address(),
            "localhost"
        );
    }

    /// Every URI from the pentest and its variations: refused, with a reason that does not quote
    /// anything from the URI Vireo did not validate.
    #[test]
    fn parse_uri_refuses_the_hostile_list() {
        let hostile = [
            // Programs and files.
            "qemu+ext:///system?command=/tmp/x.sh",
            "qemu+ext:///system",
            "qemu+ssh://root@kvm1/system?command=/tmp/x.sh",
            "qemu+ssh://root@kvm1/system?netcat=/tmp/x.sh",
            "qemu+ssh://root@kvm1/system?keyfile=/etc/shadow",
            "qemu+ssh://root@kvm1/system?known_hosts=/dev/null",
            "qemu+ssh://root@kvm1/system?no_verify=1",
            "qemu+ssh://root@kvm1/system?proxy=netcat",
            "qemu+ssh://root@kvm1/system?mode=legacy",
            "qemu+ssh://root@kvm1/system?no_tty=1&sshauth=agent",
            "qemu+tls://kvm1/system?pkipath=/etc",
            "qemu+tls://kvm1/system?no_verify=1",
            "qemu:///system?socket=/run/other.sock",
            "qemu:///system?",
            "test:///etc/shadow",
            "test:///proc/self/environ",
            "test:///default/../../etc/shadow",
            "test:///default?file=/etc/shadow",
            "test://localhost/etc/shadow",
            "test:////etc/shadow",
            "test+unix:///etc/shadow",
            "test+ext:///default?command=/tmp/x.sh",
            "test+ssh://kvm1/default",
            // Sockets and ports.
            "qemu+unix:///system?socket=/var/run/docker.sock",
            "qemu+unix:///system",
            "qemu+tcp://127.0.0.1:5432/system",
            "qemu+tcp://kvm1/system",
            "qemu+libssh://kvm1/system",
            "qemu+libssh2://kvm1/system",
            "qemu://kvm1/system",
            // Other drivers and daemons.
            "qemu:///session",
            "qemu:///embed?root=/tmp",
            "qemu:///",
            "lxc:///",
            "xen:///system",
            "vbox:///session",
            "esx://kvm1",
            "ch:///system",
            "bhyve:///system",
            "file:///etc/shadow",
            "http://kvm1/system",
            "/etc/shadow",
            "system",
            "",
            // Encoding and smuggling.
            "qemu+ssh://root@kvm1/system%3Fcommand=/tmp/x.sh",
            "qemu+ssh://root%40evil@kvm1/system",
            "qemu+ssh://root@evil@kvm1/system",
            "qemu+ssh://-oProxyCommand=x@kvm1/system",
            "qemu+ssh://-oProxyCommand=x/system",
            "qemu+ssh://root@kvm1/system\n",
            "qemu+ssh://root@kvm1\n/system",
            "qemu+ssh://root@kvm1/system\0",
            "qemu+ssh://root@kvm1\0.evil/system",
            "qemu+ssh://root@kvm1 /system",
            " qemu:///system",
            "qemu:///system ",
            "qemu+ssh://root@kvm1//system",
            "qemu+ssh://root@kvm1/system/",
            "qemu+ssh://root@kvm1/system//",
            "qemu+ssh://root@kvm1/session",
            "qemu+ssh://root@kvm1/",
            "qemu+ssh://root@kvm1",
            "qemu+ssh:///system",
            "qemu+ssh://root@/system",
            "qemu:////system",
            "qemu+ssh://root@kvm1/system#frag",
            "qemu+ssh://root@kvm1:0/system",
            "qemu+ssh://root@kvm1:65536/system",
            "qemu+ssh://root@kvm1:022/system",
            "qemu+ssh://root@kvm1:/system",
            "qemu+ssh://root@kvm1:+22/system",
            "qemu+ssh://root@kvm1:22:23/system",
            "qemu+ssh://root@2001:db8::1/system",
            "qemu+ssh://root@[fe80::1%eth0]/system",
            "qemu+ssh://root@[fe80::1%25eth0]/system",
            "qemu+ssh://root@[0:0::1]/system",
            "qemu+ssh://root@[::1]x/system",
            "qemu+tls://root@kvm1/system",
            "qemu+ssh://root@kvm\u{e9}/system",
            "qemu+ssh://root@127.1/system",
            // Case.
            "QEMU:///system",
            "Qemu+SSH://root@kvm1/system",
            "TEST:///default",
            "qemu:///SYSTEM",
            "test:///DEFAULT",
        ];
        for uri in hostile {
            match HostAddress::parse_uri(uri) {
                Ok(a) => panic!("{uri:?} was accepted as {a:?}"),
                Err(RefusedUri(reason)) => {
                    assert!(!reason.is_empty());
                    for secret in [
                        "/tmp/x.sh",
                        "shadow",
                        "environ",
                        "docker.sock",
                        "evil",
                        "ProxyCommand",
                        "\n",
                        "\0",
                    ] {
                        assert!(
                            !reason.contains(secret),
                            "{uri:?}: the reason quotes {secret:?}: {reason}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn refusals_say_why() {
        let reason = |uri: &str| HostAddress::parse_uri(uri).unwrap_err().0;
        assert!(reason("qemu+ext:///system").contains("runs a local program"));
        assert!(reason("qemu+ssh://kvm1/system?command=x").contains("Query parameters"));
        assert!(reason("test:///etc/shadow").contains("only test:///default"));
        assert!(reason("qemu+tcp://kvm1/system").contains("neither encrypted"));
        assert!(reason("QEMU:///system").contains("lower case"));
        assert!(reason("qemu:///session").contains("qemu:///system"));
        assert!(reason("lxc:///").contains("Only QEMU/KVM"));
        assert!(reason("qemu+ssh://kvm1/system%3F").contains("Percent"));
        assert!(reason("qemu+ssh://root@kvm1:022/system").contains("qemu+ssh://root@kvm1:22/system"));
    }

    #[test]
    fn the_form_refuses_the_same_attacks_field_by_field() {
        for address in [
            "kvm1/system?command=/tmp/x.sh",
            "kvm1?socket=/run/x",
            "kvm1%3Fcommand=x",
            "root@kvm1",
            "kvm1\n.evil",
            "kvm1\r\nHost: x",
            "kvm1\0",
            "\0",
            "test:///etc/shadow",
            "qemu+ext:///system",
            "-oProxyCommand=x",
            "[fe80::1%eth0]",
            "kvm1:22",
        ] {
            let f = fields("ssh", address, "", "");
            assert_eq!(error_fields(f), vec!["address"], "{address:?}");
        }
        for user in ["root@evil", "-oProxyCommand=x", "a b", "ro\not", "root\0", "%72oot"] {
            assert_eq!(error_fields(fields("ssh", "kvm1", user, "")), vec!["user"], "{user:?}");
        }
        for port in ["22?command=x", "22/system", "0", "70000"] {
            assert_eq!(error_fields(fields("ssh", "kvm1", "", port)), vec!["port"], "{port:?}");
        }
    }

    #[test]
    fn preview_shows_the_uri_or_its_shape() {
        assert_eq!(
            fields("ssh", "kvm1", "root", "").preview(),
            "qemu+ssh://root@kvm1/system"
        );
        assert_eq!(
            fields("ssh", "", "", "").preview(),
            "qemu+ssh://[user@]address[:port]/system"
        );
        assert_eq!(
            fields("tls", "bad host", "", "").preview(),
            "qemu+tls://address[:port]/system"
        );
        assert_eq!(fields("local", "", "", "").preview(), "qemu:///system");
        assert_eq!(fields("simulated", "", "", "").preview(), "test:///default");
        assert_eq!(fields("nope", "", "", "").preview(), "");
        // The preview is the URI the service will use.
        let f = fields("ssh", "[2001:db8:0::1]", "ops", "2222");
        assert_eq!(f.preview(), f.validate(TOPOLOGIES).unwrap().address.uri());
    }

    #[test]
    fn ssh_hosts_open_over_libssh_with_the_pinned_files_only() {
        let ssh = HostAddress::parse_uri("qemu+ssh://root@127.0.0.1:2222/system").unwrap();
        assert_eq!(
            ssh.libssh_uri("/var/lib/vireo/ssh/id_ed25519", "/var/lib/vireo/ssh/known_hosts.d/ab12").as_deref(),
            Some(
                "qemu+libssh://root@127.0.0.1:2222/system?keyfile=/var/lib/vireo/ssh/id_ed25519&known_hosts=/var/lib/vireo/ssh/known_hosts.d/ab12&known_hosts_verify=normal&sshauth=privkey"
            )
        );
        for bad in ["relative/key", "/a b", "/a&command=x", "/a?b", "/a%20", "/a#b", "/ä"] {
            assert_eq!(ssh.libssh_uri(bad, "/k"), None, "{bad:?}");
            assert_eq!(ssh.libssh_uri("/k", bad), None, "{bad:?}");
        }
        assert_eq!(HostAddress::Local.libssh_uri("/k", "/h"), None);
        // The stored form stays the qemu+ssh URI: libssh URIs are built, never accepted.
        assert!(HostAddress::parse_uri("qemu+libssh://root@127.0.0.1:2222/system").is_err());
    }

    #[test]
    fn every_transport_round_trips_through_its_form_value() {
        for t in Transport::ALL {
            assert_eq!(Transport::parse(t.as_str()), Some(t));
        }
    }
}
