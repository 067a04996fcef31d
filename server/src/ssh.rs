//! Remote hosts over SSH (issue 17): Vireo's own key and the host keys it pins.
//!
//! - Vireo's identity is `<data dir>/ssh/id_ed25519` (0600), made on first run by `ssh-keygen` run
//!   as an argv (never a shell). Its public key is read back with `ssh-keygen -y`, so it always
//!   belongs to the private key even when two processes raced to make one.
//! - A host's key is fetched with `ssh-keyscan` (argv, timeout, bounded output) and shown as its
//!   SHA256 fingerprint; once the admin confirmed it, it is stored in the host's row (the database
//!   is the record: backups and every Vireo process sharing the database see it) and written to a
//!   per-host known_hosts file, `<data dir>/ssh/known_hosts.d/<hash of the URI>`, before Vireo
//!   connects. libvirt's libssh transport is pointed at that file and that key only
//!   (`HostAddress::libssh_uri`). The plain `qemu+ssh` transport runs the `ssh` binary, which reads
//!   the user's own `~/.ssh/known_hosts` and agent: it cannot be held to one pinned file.
//!
//! Every part that reaches an argv or a file name was validated first (`HostName`, ports as
//! numbers; file names are hashes), and data-folder paths that would need escaping in a URI are
//! refused rather than escaped.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use vireo_app::domain::host_address::{HostAddress, HostName};

/// How long `ssh-keyscan` may take, all in.
const SCAN_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of a command's output Vireo reads.
const MAX_OUTPUT: u64 = 64 * 1024;
/// Key types Vireo pins, most preferred first.
const KEY_TYPES: [&str; 5] = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
];
const MAX_BLOB_B64: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SshError {
    #[error("{0}")]
    Io(String),
    #[error("{0} is not installed (apt-get install openssh-client)")]
    Missing(&'static str),
    #[error("{0}")]
    Scan(String),
}

/// A host's public key: its type and its base64 blob (the known_hosts fields after the name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostKey {
    key_type: String,
    blob: String,
}

impl HostKey {
    /// `<type> <base64>` as stored: a known type, a blob that decodes and names the same type.
    pub fn parse(s: &str) -> Option<Self> {
        let (key_type, blob) = s.trim().split_once(' ')?;
        if !KEY_TYPES.contains(&key_type) || blob.is_empty() || blob.len() > MAX_BLOB_B64 {
            return None;
        }
        let bytes = STANDARD.decode(blob).ok()?;
        // The blob starts with its type as an SSH string (u32 length, then the name).
        let len = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        if bytes.get(4..4 + len)? != key_type.as_bytes() {
            return None;
        }
        Some(Self {
            key_type: key_type.to_string(),
            blob: blob.to_string(),
        })
    }

    pub fn key_type(&self) -> &str {
        &self.key_type
    }

    /// `SHA256:<base64 without padding>`, as `ssh-keygen -l` and ssh print it.
    pub fn fingerprint(&self) -> String {
        // The blob decoded when it was parsed.
        let bytes = STANDARD.decode(&self.blob).unwrap_or_default();
        format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(bytes)))
    }

    /// What the row stores: `<type> <base64>`.
    pub fn stored(&self) -> String {
        format!("{} {}", self.key_type, self.blob)
    }

    /// The known_hosts line for `host` on `port`.
    pub fn known_hosts_line(&self, host: &HostName, port: u16) -> String {
        format!("{} {} {}\n", known_hosts_name(host, port), self.key_type, self.blob)
    }
}

/// How known_hosts names a host: `name` on port 22, `[name]:port` elsewhere (IPv6 unbracketed on 22).
fn known_hosts_name(host: &HostName, port: u16) -> String {
    let bare = bare_host(host);
    if port == 22 {
        bare.to_string()
    } else {
        format!("[{bare}]:{port}")
    }
}

/// The host as ssh tools take it on their command line: IPv6 without brackets.
fn bare_host(host: &HostName) -> &str {
    let s = host.as_str();
    s.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(s)
}

/// Runs `cmd` with no stdin, reading at most `MAX_OUTPUT` of its stdout, killed after `timeout`.
fn run(program: &'static str, args: &[&str], timeout: Duration) -> Result<(bool, String), SshError> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SshError::Missing(program),
            _ => SshError::Io(format!("could not run {program}: {e}")),
        })?;
    let stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(s) = stdout {
            let _ = s.take(MAX_OUTPUT).read_to_end(&mut out);
        }
        out
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < timeout => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(SshError::Scan(format!(
                    "{program} did not finish within {} seconds",
                    timeout.as_secs()
                )));
            }
        }
    };
    let out = reader.join().unwrap_or_default();
    Ok((status.success(), String::from_utf8_lossy(&out).into_owned()))
}

/// Every key the host offers, from `ssh-keyscan` (no login, no trust: the admin checks the
/// fingerprint). `host` is a validated `HostName` (it cannot start with '-'), and `--` ends the
/// options anyway.
pub fn scan_all(host: &HostName, port: u16) -> Result<Vec<HostKey>, SshError> {
    let port_arg = port.to_string();
    let args = [
        "-T",
        "5",
        "-t",
        "ed25519,ecdsa,rsa",
        "-p",
        &port_arg,
        "--",
        bare_host(host),
    ];
    let (_, out) = run("ssh-keyscan", &args, SCAN_TIMEOUT)?;
    let keys: Vec<HostKey> = out
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' ').and_then(|(_, key)| HostKey::parse(key)))
        .collect();
    if keys.is_empty() {
        return Err(SshError::Scan(format!(
            "no SSH host key from {}:{port}: nothing listens there, or it is not an SSH server",
            host.as_str()
        )));
    }
    Ok(keys)
}

/// The key Vireo pins: the host's most preferred type (Ed25519, then ECDSA, then RSA).
pub fn scan(host: &HostName, port: u16) -> Result<HostKey, SshError> {
    preferred(scan_all(host, port)?).ok_or_else(|| SshError::Scan("no SSH host key".into()))
}

fn preferred(keys: Vec<HostKey>) -> Option<HostKey> {
    KEY_TYPES
        .iter()
        .find_map(|t| keys.iter().find(|k| k.key_type == *t).cloned())
}

/// What the host presents instead of `pinned`, if anything: `None` when it still offers the
/// pinned key (or cannot be asked).
pub fn presented_instead(host: &HostName, port: u16, pinned: &HostKey) -> Option<HostKey> {
    let keys = scan_all(host, port).ok()?;
    if keys.contains(pinned) {
        return None;
    }
    let same_type = keys.iter().find(|k| k.key_type == pinned.key_type).cloned();
    same_type.or_else(|| preferred(keys))
}

/// Vireo's SSH folder, `<data dir>/ssh`.
#[derive(Clone, Debug)]
pub struct SshFiles {
    dir: PathBuf,
}

impl SshFiles {
    pub fn new(data_dir: &Path) -> Self {
        let data_dir = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
        Self {
            dir: data_dir.join("ssh"),
        }
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.join("id_ed25519")
    }

    /// The known_hosts file of the host at `uri` (a hash: nothing typed reaches a file name).
    pub fn known_hosts_path(&self, uri: &str) -> PathBuf {
        let hash = Sha256::digest(uri.as_bytes());
        let name: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join("known_hosts.d").join(name)
    }

    fn make_dir(path: &Path) -> Result<(), SshError> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .map_err(|e| SshError::Io(format!("could not create {}: {e}", path.display())))
    }

    /// Makes Vireo's key unless it exists: `ssh-keygen` writes it under a temporary name, which is
    /// then linked into place (a process that lost the race keeps the winner's key).
    pub fn ensure_identity(&self) -> Result<(), SshError> {
        let key = self.key_path();
        if key.exists() {
            return Ok(());
        }
        Self::make_dir(&self.dir)?;
        let nonce = format!(
            "{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        );
        let tmp = self.dir.join(format!(".id_ed25519.{nonce}"));
        let tmp_str = tmp
            .to_str()
            .ok_or_else(|| SshError::Io("the data folder's path is not UTF-8".into()))?;
        let args = ["-q", "-t", "ed25519", "-N", "", "-C", "vireo", "-f", tmp_str];
        let (ok, _) = run("ssh-keygen", &args, Duration::from_secs(30))?;
        let linked = if ok {
            match std::fs::hard_link(&tmp, &key) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                Err(e) => Err(SshError::Io(format!("could not store {}: {e}", key.display()))),
            }
        } else {
            Err(SshError::Io("ssh-keygen could not make Vireo's key".into()))
        };
        let _ = std::fs::remove_file(&tmp);
        let _ = std::fs::remove_file(format!("{tmp_str}.pub"));
        linked
    }

    /// Vireo's public key (`ssh-ed25519 AAAA… vireo`), derived from the private key.
    pub fn public_key(&self) -> Result<String, SshError> {
        self.ensure_identity()?;
        let key = self.key_path();
        let key = key
            .to_str()
            .ok_or_else(|| SshError::Io("the data folder's path is not UTF-8".into()))?;
        let (ok, out) = run("ssh-keygen", &["-y", "-f", key], Duration::from_secs(10))?;
        let mut fields = out.lines().next().unwrap_or_default().split(' ');
        let key = match (fields.next(), fields.next()) {
            (Some(t), Some(b)) if ok => HostKey::parse(&format!("{t} {b}")),
            _ => None,
        };
        key.map(|k| format!("{} vireo", k.stored()))
            .ok_or_else(|| SshError::Io("ssh-keygen could not read Vireo's key".into()))
    }

    /// Writes the host's known_hosts file (only the pinned key) and returns the URI libvirt opens:
    /// `qemu+libssh://…?keyfile=…&known_hosts=…&known_hosts_verify=normal&sshauth=privkey`.
    pub fn pin(&self, address: &HostAddress, key: &HostKey) -> Result<String, SshError> {
        let HostAddress::Ssh { host, port, .. } = address else {
            return Err(SshError::Io("only SSH hosts have a host key".into()));
        };
        let uri = address.uri();
        let path = self.known_hosts_path(&uri);
        if let Some(dir) = path.parent() {
            Self::make_dir(dir)?;
        }
        let line = key.known_hosts_line(host, port.map_or(22, |p| p.get()));
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, line)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| SshError::Io(format!("could not write {}: {e}", path.display())))?;
        let (keyfile, known_hosts) = (self.key_path(), path);
        match (keyfile.to_str(), known_hosts.to_str()) {
            (Some(k), Some(h)) => address.libssh_uri(k, h).ok_or_else(|| {
                SshError::Io(
                    "Vireo's data folder path has characters a libvirt URI would need escaped; use a path of letters, digits, '/', '.', '_' and '-'".into(),
                )
            }),
            _ => Err(SshError::Io("the data folder's path is not UTF-8".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // `ssh-keygen -t ed25519` output of a throwaway key.
    const ED: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILF5SSndC4X1GSxVLoLjk9d0l7LQlekS+4oKbMMrhWaC";

    #[test]
    fn host_keys_parse_and_print_their_fingerprint() {
        let key = HostKey::parse(ED).unwrap();
        assert_eq!(key.key_type(), "ssh-ed25519");
        assert_eq!(key.stored(), ED);
        // As `ssh-keygen -l` prints it.
        assert_eq!(key.fingerprint(), "SHA256:KJ9T8b7qUyBmAv1nvDwxpHTkEduIz0uSrx8HO0UJVXI");
        let host = HostName::parse("127.0.0.1").unwrap();
        assert!(key
            .known_hosts_line(&host, 2222)
            .starts_with("[127.0.0.1]:2222 ssh-ed25519 "));
        assert!(key.known_hosts_line(&host, 22).starts_with("127.0.0.1 ssh-ed25519 "));
        let v6 = HostName::parse("[::1]").unwrap();
        assert!(key.known_hosts_line(&v6, 22).starts_with("::1 "));
        assert!(key.known_hosts_line(&v6, 2222).starts_with("[::1]:2222 "));
    }

    #[test]
    fn host_keys_refuse_what_is_not_one() {
        for bad in [
            "",
            "ssh-ed25519",
            "ssh-ed25519 ",
            "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
            "ssh-ed25519 not!base64",
            // A valid blob under the wrong type name.
            "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAILF5SSndC4X1GSxVLoLjk9d0l7LQlekS+4oKbMMrhWaC",
            "ssh-ed25519 AAAA",
        ] {
            assert!(HostKey::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn known_hosts_files_are_named_by_a_hash() {
        let files = SshFiles::new(Path::new("/var/lib/vireo"));
        let path = files.known_hosts_path("qemu+ssh://root@kvm1/system");
        assert!(path.starts_with("/var/lib/vireo/ssh/known_hosts.d"));
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_eq!(name.len(), 24);
        assert!(name.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(path, files.known_hosts_path("qemu+ssh://root@kvm2/system"));
    }
}
