use vireo_app::domain::host_topology::{HUGE_PAGE_1G_KIB, HUGE_PAGE_2M_KIB};
use vireo_server::hypervisor::topology_files;
use vireo_server::hypervisor::{Hypervisor, SharedLibvirtPool};

#[test]
fn the_high_performance_host_file() {
    let t = topology_files::load("hp-2s8c2t").unwrap().unwrap();
    assert_eq!(t.arch, "x86_64");
    assert_eq!((t.sockets, t.cores_per_socket, t.threads_per_core), (2, 8, 2));
    assert_eq!(t.total_cpus(), 32);
    assert_eq!(t.cells.len(), 2);
    assert_eq!(t.cells[0].cpu_ids().to_string(), "0-7,16-23");
    assert_eq!(t.cells[1].cpu_ids().to_string(), "8-15,24-31");
    // Linux numbering: the second thread of core n on socket 0 is CPU n + 16.
    assert_eq!(t.cpu(0).unwrap().siblings.to_string(), "0,16");
    assert_eq!(t.cpu(25).unwrap().siblings.to_string(), "9,25");
    assert_eq!(t.cpu(25).unwrap().socket_id, 1);
    assert!(t.has_invtsc());
    assert_eq!(t.huge_page_sizes(), vec![HUGE_PAGE_2M_KIB, HUGE_PAGE_1G_KIB]);
    assert_eq!(t.cell(0).unwrap().free_pages(HUGE_PAGE_2M_KIB), 8192);
    assert_eq!(t.cell(1).unwrap().free_pages(HUGE_PAGE_1G_KIB), 16);
    assert_eq!(t.cells[0].memory_kib, 64 * 1024 * 1024);
}

#[test]
fn the_small_host_file() {
    let t = topology_files::load("small-1s4c").unwrap().unwrap();
    assert_eq!((t.sockets, t.cores_per_socket, t.threads_per_core), (1, 4, 1));
    assert_eq!(t.cells.len(), 1);
    assert_eq!(t.cpu(3).unwrap().siblings.to_string(), "3");
    assert!(!t.has_invtsc());
    assert_eq!(t.huge_page_sizes(), vec![HUGE_PAGE_2M_KIB], "no 1 GiB pages");
    assert_eq!(t.free_pages(HUGE_PAGE_2M_KIB, &[]), 2048);
}

#[test]
fn every_shipped_file_parses_and_the_list_names_them() {
    let listed: Vec<String> = topology_files::list().into_iter().map(|f| f.id).collect();
    assert_eq!(listed, vec!["hp-2s8c2t", "small-1s4c"]);
    assert_eq!(topology_files::DEFAULT_ID, listed[0]);
    for id in listed {
        topology_files::load(&id).unwrap().unwrap();
    }
    assert!(topology_files::load("missing").is_none());
    assert!(topology_files::is_test_driver("test:///default"));
    assert!(topology_files::is_test_driver("test+unix:///default"));
    assert!(!topology_files::is_test_driver("qemu:///system"));
    // Only the test driver URIs Vireo accepts count: any other path is a file the driver would read.
    assert!(!topology_files::is_test_driver("test:///etc/shadow"));
    assert_eq!(topology_files::ids(), vec!["hp-2s8c2t", "small-1s4c"]);
}

#[test]
fn shipped_files_validate_against_libvirts_schema() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let out = std::process::Command::new("virt-xml-validate")
            .arg(&path)
            .arg("capability")
            .output()
            .expect("virt-xml-validate (libvirt-clients) is installed by scripts/setup.sh");
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test]
async fn the_test_drivers_own_topology_is_read_from_libvirt() {
    let pool = SharedLibvirtPool::new();
    let probe = pool.probe("test:///default").await.expect("the test driver answers");
    let t = probe.topology;
    assert_eq!(probe.driver, "TEST");
    assert_eq!(t.arch, "i686");
    assert_eq!(t.cells.len(), 2);
    assert_eq!(t.total_cpus(), 16);
    assert_eq!((t.sockets, t.cores_per_socket, t.threads_per_core), (2, 8, 1));
    // The toy reports no huge pages (and its virNodeGetFreePages answers "0 entries"), which is why
    // test-driver hosts take their topology from a shipped file.
    assert_eq!(t.total_pages(HUGE_PAGE_2M_KIB), 0);
    assert_eq!(t.free_pages(HUGE_PAGE_2M_KIB, &[]), 0);
    assert_eq!(t.cells[0].cpu_ids().to_string(), "0-7");
}

#[tokio::test]
async fn an_unreachable_uri_is_an_error_not_a_hang() {
    use vireo_server::hypervisor::{ConnectFailure, HypervisorError, SshRoute};
    let pool = SharedLibvirtPool::new();
    let uri = "qemu+ssh://nobody@127.0.0.1:1/system";
    // An SSH host without a pinned host key is not even tried.
    assert_eq!(pool.probe(uri).await.unwrap_err(), HypervisorError::NoPinnedKey);
    // Routed as a pinned host is (libssh, a key file and a known_hosts file): nothing listens on
    // port 1. The error is a fixed text per kind: libvirt's own message is never passed on.
    let address = vireo_app::domain::host_address::HostAddress::parse_uri(uri).unwrap();
    let route = SshRoute {
        open_uri: address
            .libssh_uri("/nonexistent/id_ed25519", "/nonexistent/known_hosts")
            .unwrap(),
        pinned: vireo_server::ssh::HostKey::parse(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILF5SSndC4X1GSxVLoLjk9d0l7LQlekS+4oKbMMrhWaC",
        )
        .unwrap(),
    };
    pool.0.route_ssh(uri, Some(route));
    let err = pool.probe(uri).await.unwrap_err();
    assert_eq!(err, HypervisorError::Connect(ConnectFailure::NoAnswer));
    assert!(pool.ping(uri).await.is_err());
    assert!(pool.ping("test:///default").await.is_ok());
}
