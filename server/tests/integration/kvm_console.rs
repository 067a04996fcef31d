//! The serial console under KVM (`qemu:///system`), end to end: a High Performance VM boots a
//! 512-byte guest that echoes every byte it reads on its serial port; Vireo's WebSocket
//! (`/vms/{id}/console/serial`, served by the real router on a TCP port) shows the firmware's own
//! serial output after a reset (SeaBIOS, because the serial console comes with
//! `<bios useserial='yes'/>`), carries keystrokes both ways, and is dropped with a reason when
//! `virsh console --force` takes the console from outside. Run by `scripts/kvm-test.sh` only, as
//! `kvm.rs` is.
//!
//! It also measures keystroke echo latency through Vireo and through `virsh console` on the same
//! VM (200 keystrokes each; p50/p99 printed, never asserted: a figure, not a timed test).
//! `make bench-console` runs this test alone and prints them.

use crate::support::{admin_app, saved_id, unique};
use futures_util::{FutureExt, SinkExt, StreamExt};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use vireo_app::backend::{ConfigBackend, ConsoleBackend, LifecycleBackend, StorageBackend};
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::storage::{DiskAttachment, DiskFormat};
use vireo_app::domain::vm_config::CpuTopology;
use vireo_app::models::{ConsoleKind, NewDiskRequest, NewStorageDomainRequest, VmAction};

const URI: &str = "qemu:///system";

/// A boot sector (real mode, loaded at 0x7c00) that prints "vireo echo ready" on COM1 and then
/// echoes every byte it receives there, polling the UART (no BIOS calls, interrupts off):
///
/// ```text
///        cli; xor ax,ax; mov ds,ax; mov ss,ax; mov sp,0x7c00; cld; mov si,msg
/// print: lodsb; test al,al; jz echo; call putc; jmp print
/// echo:  mov dx,0x3fd
/// rx:    in al,dx; test al,1; jz rx          ; LSR: data ready
///        mov dx,0x3f8; in al,dx; call putc; jmp echo
/// putc:  mov ah,al; mov dx,0x3fd
/// tx:    in al,dx; test al,0x20; jz tx       ; LSR: transmitter empty
///        mov al,ah; mov dx,0x3f8; out dx,al; ret
/// msg:   "\r\nvireo echo ready\r\n", 0
/// ```
const ECHO_GUEST: [u8; 79] = [
    0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0x00, 0x7c, 0xfc, 0xbe, 0x3a, 0x7c, 0xac, 0x84, 0xc0, 0x74, 0x05,
    0xe8, 0x13, 0x00, 0xeb, 0xf6, 0xba, 0xfd, 0x03, 0xec, 0xa8, 0x01, 0x74, 0xfb, 0xba, 0xf8, 0x03, 0xec, 0xe8, 0x02,
    0x00, 0xeb, 0xef, 0x88, 0xc4, 0xba, 0xfd, 0x03, 0xec, 0xa8, 0x20, 0x74, 0xfb, 0x88, 0xe0, 0xba, 0xf8, 0x03, 0xee,
    0xc3, 0x0d, 0x0a, 0x76, 0x69, 0x72, 0x65, 0x6f, 0x20, 0x65, 0x63, 0x68, 0x6f, 0x20, 0x72, 0x65, 0x61, 0x64, 0x79,
    0x0d, 0x0a, 0x00,
];
/// The guest's whole ready line: nothing it prints comes after it but echoes.
const READY: &str = "vireo echo ready\r\n";
const KEYSTROKES: usize = 200;

/// A 1 MiB raw disk image whose first sector is the echo guest.
fn echo_image() -> Vec<u8> {
    let mut image = vec![0u8; 1 << 20];
    image[..ECHO_GUEST.len()].copy_from_slice(&ECHO_GUEST);
    image[510] = 0x55;
    image[511] = 0xaa;
    image
}

/// p50 and p99 of `samples`, in milliseconds.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)].as_secs_f64() * 1000.0;
    (at(0.50), at(0.99))
}

/// The keystrokes sent: printable, and never a character of the ready line, so an echo cannot be
/// confused with leftover output.
fn keystroke(i: usize) -> u8 {
    b"0123456789"[i % 10]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_serial_console_under_kvm_shows_the_firmware_echoes_keystrokes_and_yields_to_virsh() {
    let (app, actor) = admin_app().await;
    let svc = &app.state.service;
    let host = app.add_local_kvm_host(&actor, "kvm-console").await;
    let cluster_id = host.cluster_id;
    let pool_name = unique("vireo-kvm-con");
    let domain = svc
        .add_storage_domain(
            &actor,
            NewStorageDomainRequest {
                host_id: Some(host.id),
                name: pool_name.clone(),
                path: format!("/tmp/{pool_name}"),
            },
        )
        .await
        .expect("a directory pool on the KVM host");
    let disk = svc
        .create_disk(
            &actor,
            NewDiskRequest {
                name: unique("echo-guest"),
                description: String::new(),
                size_bytes: 1 << 20,
                format: DiskFormat::Raw,
                storage_domain_id: Some(domain.id),
                sparse: false,
            },
        )
        .await
        .expect("a 1 MiB raw disk");
    // The test runs as root beside libvirtd: the guest's boot sector is written into the volume.
    std::fs::write(&disk.path, echo_image()).expect("the echo guest written into the volume");

    let mut d = svc.new_draft(ConfigKind::Vm, None).await.unwrap();
    d.name = unique("vireo-kvm-echo");
    d.config.os_type = "other_linux".into();
    d.config.memory_mib = 128;
    d.config.cpu = CpuTopology {
        sockets: 1,
        cores: 1,
        threads: 1,
    };
    d.config.placement_hosts = vec![host.id];
    d.config.disks.push(DiskAttachment::new(disk.id, true));
    d.config.optimized_for = vireo_app::domain::vm_config::OptimizedFor::HighPerformance;
    let ctx = svc
        .rule_context(Some(cluster_id), &d.config.os_type, None)
        .await
        .unwrap();
    d = vireo_app::domain::dialog::refresh(&d, &ctx, None).draft;
    assert!(
        d.config.serial_console,
        "High Performance gives the VM a serial console"
    );
    let id = saved_id(svc.save(&actor, d.clone(), true).await.unwrap());
    let xml = svc.domain_xml(id).await.unwrap();
    assert!(
        xml.contains("<bios useserial=\"yes\"/>"),
        "the firmware writes to the serial console: {xml}"
    );
    svc.vm_action(&actor, id, VmAction::Run)
        .await
        .expect("the echo VM starts under KVM");

    let result = std::panic::AssertUnwindSafe(async {
        // The real router on a TCP port, as a browser reaches it.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = app.router.clone();
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        let cookie = app.admin_cookie().await;
        let ticket = svc
            .console_ticket(&actor, id, ConsoleKind::Serial)
            .await
            .expect("an admin gets a ticket");
        let mut request = format!("ws://{addr}{}?ticket={}", ticket.path, ticket.ticket)
            .into_client_request()
            .unwrap();
        request.headers_mut().insert("Cookie", cookie.parse().unwrap());
        request
            .headers_mut()
            .insert("Origin", format!("http://{addr}").parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the console's WebSocket opens");
        let mut seen = String::new();
        // The VM booted before the console connected (a serial line keeps no history): reset it
        // and read the firmware from its first line. QEMU notices that a reader opened its pty
        // only at its next check (once a second) and drops what the guest writes before that.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        svc.vm_action(&actor, id, VmAction::Reset).await.expect("reset");
        read_until(&mut ws, &mut seen, "SeaBIOS", Duration::from_secs(30)).await;
        read_until(&mut ws, &mut seen, READY, Duration::from_secs(30)).await;
        println!("firmware and guest through Vireo's console:\n{seen}");

        let mut vireo = Vec::with_capacity(KEYSTROKES);
        for i in 0..KEYSTROKES {
            let key = keystroke(i);
            let sent = Instant::now();
            ws.send(Message::Binary(vec![key].into())).await.unwrap();
            let mut echoed = String::new();
            read_until(&mut ws, &mut echoed, &(key as char).to_string(), Duration::from_secs(5)).await;
            vireo.push(sent.elapsed());
            assert_eq!(echoed, (key as char).to_string(), "exactly the keystroke comes back");
        }

        // `virsh console --force` takes the console from outside: Vireo's side is told why.
        let (pty, mut virsh) = virsh_console(&d.name);
        let closed = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match ws.next().await {
                    Some(Ok(Message::Close(frame))) => break frame,
                    Some(Ok(_)) => continue,
                    _ => break None,
                }
            }
        })
        .await
        .expect("Vireo's console is closed when virsh forces it away");
        println!("Vireo's console closed: {closed:?}");
        let code = closed.map(|f| u16::from(f.code));
        assert_eq!(code, Some(4003), "closed as 'the guest side hung up'");

        let virsh_samples = tokio::task::spawn_blocking(move || virsh_echoes(pty)).await.unwrap();
        let _ = virsh.kill();
        let _ = virsh.wait();
        let (vp50, vp99) = percentiles(vireo);
        let (sp50, sp99) = percentiles(virsh_samples);
        println!("keystroke echo latency over {KEYSTROKES} keystrokes (ms):");
        println!("  Vireo WebSocket  p50 {vp50:.3}  p99 {vp99:.3}");
        println!("  virsh console    p50 {sp50:.3}  p99 {sp99:.3}");
    })
    .catch_unwind()
    .await;
    svc.remove_vm(&actor, id, true, true).await.unwrap();
    svc.remove_storage_domain(&actor, domain.id).await.unwrap();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// Reads the console's output into `seen` until it holds `until`; a close or an error frame fails.
async fn read_until<S>(ws: &mut S, seen: &mut String, until: &str, within: Duration)
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let deadline = Instant::now() + within;
    while !seen.contains(until) {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = tokio::time::timeout(left, ws.next())
            .await
            .unwrap_or_else(|_| panic!("{until:?} within {within:?}; got {seen:?}"));
        match frame {
            Some(Ok(Message::Binary(b))) => seen.push_str(&String::from_utf8_lossy(&b)),
            Some(Ok(Message::Text(t))) => assert!(!t.contains("\"error\""), "console error: {t}"),
            Some(Ok(_)) => {}
            other => panic!("the console closed before {until:?}: {other:?}; got {seen:?}"),
        }
    }
}

/// `virsh console --force NAME` on a pseudo-terminal of its own (as a person's terminal would
/// run it); answers the terminal's controller side once virsh has connected.
fn virsh_console(name: &str) -> (std::fs::File, std::process::Child) {
    let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
    let child = Command::new("virsh")
        .args(["-c", URI, "console", "--force", name])
        .stdin(Stdio::from(pty.slave.try_clone().unwrap()))
        .stdout(Stdio::from(pty.slave.try_clone().unwrap()))
        .stderr(Stdio::from(pty.slave))
        .spawn()
        .expect("virsh console");
    let mut controller = std::fs::File::from(pty.master);
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&seen).contains("Escape character") {
        assert!(
            Instant::now() < deadline,
            "virsh console connects: {}",
            String::from_utf8_lossy(&seen)
        );
        let mut buf = [0u8; 4096];
        if wait_readable(&controller, Duration::from_secs(1)) {
            let n = controller.read(&mut buf).expect("read");
            seen.extend_from_slice(&buf[..n]);
        }
    }
    let _ = controller.flush();
    (controller, child)
}

fn wait_readable(file: &std::fs::File, within: Duration) -> bool {
    let mut fds = [libc_pollfd(file.as_raw_fd())];
    // SAFETY: one valid pollfd for the duration of the call.
    let n = unsafe { nix::libc::poll(fds.as_mut_ptr(), 1, within.as_millis() as i32) };
    n > 0
}

fn libc_pollfd(fd: i32) -> nix::libc::pollfd {
    nix::libc::pollfd {
        fd,
        events: nix::libc::POLLIN,
        revents: 0,
    }
}

/// Echo latency of `KEYSTROKES` keystrokes typed into virsh's terminal.
fn virsh_echoes(mut pty: std::fs::File) -> Vec<Duration> {
    // Whatever the guest printed before is not an echo.
    let mut buf = [0u8; 4096];
    while wait_readable(&pty, Duration::from_millis(300)) {
        let _ = pty.read(&mut buf);
    }
    let mut samples = Vec::with_capacity(KEYSTROKES);
    for i in 0..KEYSTROKES {
        let key = keystroke(i);
        let sent = Instant::now();
        pty.write_all(&[key]).expect("typed");
        assert!(
            wait_readable(&pty, Duration::from_secs(5)),
            "virsh echoes keystroke {i}"
        );
        let n = pty.read(&mut buf).expect("read");
        samples.push(sent.elapsed());
        assert_eq!(&buf[..n], &[key], "exactly the keystroke comes back through virsh");
    }
    samples
}
