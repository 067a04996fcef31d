//! Remote hosts over SSH (issue 17) against a throwaway `sshd` on a loopback port, with this
//! machine's libvirtd behind it (`virt-ssh-helper` on the "remote" side reaches its socket): Vireo's
//! key made on first run, the host key fetched and confirmed, the connection over libssh with that
//! key only, and a changed host key refused with both fingerprints named.
//!
//! Needs `sshd` (openssh-server, which `scripts/setup.sh` installs), root (the throwaway sshd logs
//! in as root with `PermitRootLogin prohibit-password`) and a libvirtd with its QEMU driver
//! (`scripts/libvirtd.sh`, which `make test` starts first). Where one is missing the test says
//! what it did not check and why, on stdout, and passes.

use crate::support::{app_with, config, TestApp};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use vireo_app::backend::HostBackend;
use vireo_app::error::AppError;
use vireo_app::models::Role;
use vireo_app::models::{AddHostRequest, CurrentUser, HostStatus};
use vireo_server::hypervisor::{HypervisorError, SharedLibvirtPool};

const SSHD: &str = "/usr/sbin/sshd";

/// Why this machine cannot run the test, if it cannot.
fn missing_prerequisite() -> Option<String> {
    if !Path::new(SSHD).exists() {
        return Some(format!("{SSHD} is absent (apt-get install openssh-server)"));
    }
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n");
    if !root.unwrap_or(false) {
        return Some("not running as root (the throwaway sshd logs in as root)".into());
    }
    let libvirtd = Command::new("virsh")
        .args(["-c", "qemu:///system", "version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !libvirtd {
        return Some("no libvirtd with a QEMU driver answers qemu:///system (run scripts/libvirtd.sh)".into());
    }
    None
}

/// A throwaway sshd: its own folder, host key, config and `authorized_keys`; stopped when dropped.
struct Sshd {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Sshd {
    fn new(authorized_keys_line: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("vireo-sshd-{}-{}", std::process::id(), uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("authorized_keys"), format!("{authorized_keys_line}\n")).unwrap();
        // A free port now (another process could take it before sshd binds: then the test fails
        // loudly, never silently).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let d = dir.display();
        let conf = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n\
             PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             StrictModes no\nUsePAM no\nPidFile {d}/sshd.pid\n"
        );
        std::fs::write(dir.join("sshd_config"), conf).unwrap();
        let mut sshd = Self { dir, port, child: None };
        sshd.new_host_key();
        sshd.start();
        sshd
    }

    fn new_host_key(&self) {
        let key = self.dir.join("host_key");
        let _ = std::fs::remove_file(&key);
        let _ = std::fs::remove_file(self.dir.join("host_key.pub"));
        let ok = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key)
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// The host key's fingerprint as OpenSSH prints it: what an admin compares with.
    fn fingerprint(&self) -> String {
        let out = Command::new("ssh-keygen")
            .arg("-lf")
            .arg(self.dir.join("host_key.pub"))
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        text.split(' ').nth(1).unwrap().to_string()
    }

    fn start(&mut self) {
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-f")
            .arg(self.dir.join("sshd_config"))
            .arg("-E")
            .arg(self.dir.join("sshd.log"))
            .spawn()
            .unwrap();
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the throwaway sshd did not listen on 127.0.0.1:{}", self.port);
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn ssh_request(name: &str, cluster_id: uuid::Uuid, port: u16, fingerprint: &str) -> AddHostRequest {
    AddHostRequest {
        name: name.into(),
        cluster_id,
        transport: "ssh".into(),
        address: "127.0.0.1".into(),
        user: "root".into(),
        port: port.to_string(),
        host_key_sha256: fingerprint.into(),
        ..Default::default()
    }
}

/// A Vireo with a data folder of its own (a fresh SSH key), on `pool` when given (a restart).
async fn vireo(data_dir: &Path, pool: Option<sqlx::PgPool>) -> TestApp {
    let mut c = config();
    c.data_dir = data_dir.to_path_buf();
    match pool {
        None => app_with(c).await,
        Some(pool) => {
            let (state, router) = vireo_server::assemble(&c, pool.clone(), Arc::new(SharedLibvirtPool::new()))
                .await
                .expect("Vireo starts again");
            TestApp { state, router, pool }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_hosts_are_pinned_to_the_confirmed_key_and_a_changed_key_is_refused() {
    if let Some(why) = missing_prerequisite() {
        println!("SSH host test not run: {why}.");
        return;
    }
    let data_dir = std::env::temp_dir().join(format!("vireo-ssh-data-{}", uuid::Uuid::new_v4()));
    let app = vireo(&data_dir, None).await;
    let admin = app.admin_user().await;
    let svc = &app.state.service;

    // First run made the key: 0600, under the data folder.
    let key = data_dir.join("ssh/id_ed25519");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let identity = svc.ssh_identity().await.unwrap();
    assert!(
        identity.public_key.starts_with("ssh-ed25519 AAAA"),
        "{}",
        identity.public_key
    );
    assert_eq!(
        identity.authorized_keys_line,
        format!("restrict {}", identity.public_key)
    );

    let mut sshd = Sshd::new(&identity.authorized_keys_line);
    let first = sshd.fingerprint();
    let cluster_id = app.state.repo.list_clusters().await.unwrap()[0].id;
    let port = sshd.port;

    // A viewer may not make the server fetch keys.
    let viewer = CurrentUser {
        role: Role::Viewer,
        ..admin.clone()
    };
    let refused = svc
        .scan_host_key(&viewer, ssh_request("kvm-ssh", cluster_id, port, ""))
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Forbidden), "{refused:?}");

    // Step 1: the fingerprint, as `ssh-keygen -l` prints it on the host.
    let scan = svc
        .scan_host_key(&admin, ssh_request("kvm-ssh", cluster_id, port, ""))
        .await
        .unwrap();
    assert_eq!(scan.fingerprint, first);
    assert_eq!(scan.key_type, "ssh-ed25519");
    assert_eq!(scan.from, format!("127.0.0.1:{port}"));

    // Without a confirmation nothing is added: the answer shows the key to confirm.
    let unconfirmed = svc
        .add_host(&admin, ssh_request("kvm-ssh", cluster_id, port, ""))
        .await
        .unwrap_err();
    let message = unconfirmed.field_messages("host_key_sha256").join(" ");
    assert!(
        message.contains("Confirm the host key first") && message.contains(&first),
        "{message}"
    );
    // A confirmation of another key is refused, naming both.
    let other = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let wrong = svc
        .add_host(&admin, ssh_request("kvm-ssh", cluster_id, port, other))
        .await
        .unwrap_err();
    let message = wrong.field_messages("host_key_sha256").join(" ");
    assert!(message.contains(other) && message.contains(&first), "{message}");
    assert_eq!(app.state.repo.count_hosts().await.unwrap(), 1, "nothing stored");

    // Step 2: confirmed, pinned, connected over libssh with Vireo's key to libvirtd behind sshd.
    let host = svc
        .add_host(&admin, ssh_request("kvm-ssh", cluster_id, port, &first))
        .await
        .expect("the SSH host is added");
    assert_eq!(host.uri, format!("qemu+ssh://root@127.0.0.1:{port}/system"));
    assert_eq!(host.status, HostStatus::Up);
    assert!(!host.topology.cells.is_empty(), "the topology came through ssh");
    let (stored,): (Option<String>,) = sqlx::query_as("SELECT ssh_host_key FROM hosts WHERE id = $1")
        .bind(host.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let stored = stored.expect("the key is pinned in the row");
    let pub_key = std::fs::read_to_string(sshd.dir.join("host_key.pub")).unwrap();
    assert!(pub_key.starts_with(&stored), "{stored} vs {pub_key}");
    let known_hosts = std::fs::read_dir(data_dir.join("ssh/known_hosts.d"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect::<Vec<_>>();
    assert_eq!(
        known_hosts,
        vec![format!("[127.0.0.1]:{port} {stored}\n")],
        "one host, one pinned key"
    );
    let added = crate::support::event_messages(&app.pool).await.pop().unwrap();
    assert!(added.2.contains(&first), "the event names the pinned key: {added:?}");

    // The host's key changes (sshd restarted with a new one); Vireo restarts on the same database
    // (a fresh connection pool, routes read back from the rows): the connection is refused.
    sshd.stop();
    sshd.new_host_key();
    sshd.start();
    let second = sshd.fingerprint();
    assert_ne!(first, second);
    // The old process is gone, and its leadership with it: the restarted one leads and reconciles.
    app.state.service.leadership.resign().await;
    let restarted = vireo(&data_dir, Some(app.pool.clone())).await;
    let err = restarted.state.hypervisor.probe(&host.uri).await.unwrap_err();
    assert_eq!(
        err,
        HypervisorError::HostKeyChanged {
            pinned: first.clone(),
            presented: second.clone()
        }
    );
    let text = err.to_string();
    assert!(text.contains("SSH host key mismatch") && text.contains(&first) && text.contains(&second));
    // The monitor's pass (assemble ran one) left the host not connected, with that error.
    let row = restarted.state.repo.host(host.id).await.unwrap().unwrap();
    assert_eq!(row.status, HostStatus::NonResponsive);
    let last_error = row.last_error.unwrap_or_default();
    assert!(
        last_error.contains(&first) && last_error.contains(&second),
        "{last_error}"
    );

    drop(sshd);
    let _ = std::fs::remove_dir_all(&data_dir);
}
