//! The relay driven over in-memory pipes: the test plays the VNC client on one side and QEMU's VNC
//! server (RFB 3.8, security type None) on the other.

use super::*;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::io::{duplex, DuplexStream};
use tokio::sync::oneshot;

const PASSWORD: &[u8; 8] = b"Tk7pQz2m";

/// The session's end as the service signals it: never, unless the test sends a reason.
struct Ends(oneshot::Receiver<String>);

impl Future for Ends {
    type Output = String;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        match Pin::new(&mut self.0).poll(cx) {
            Poll::Ready(Ok(reason)) => Poll::Ready(reason),
            _ => Poll::Pending,
        }
    }
}

async fn read_n(stream: &mut DuplexStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    stream.read_exact(&mut buf).await.unwrap();
    buf
}

/// What the client reads until the end of the stream.
async fn rest(stream: &mut DuplexStream) -> Vec<u8> {
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    buf
}

/// The client's side up to (not including) the SecurityResult: answers the challenge with
/// `password`.
async fn client_authenticates(client: &mut DuplexStream, password: &[u8]) {
    assert_eq!(read_n(client, 12).await, RFB_VERSION);
    client.write_all(RFB_VERSION).await.unwrap();
    assert_eq!(
        read_n(client, 2).await,
        [1, SECURITY_VNC_AUTH],
        "VNC Authentication only"
    );
    client.write_all(&[SECURITY_VNC_AUTH]).await.unwrap();
    let challenge: [u8; 16] = read_n(client, 16).await.try_into().unwrap();
    client
        .write_all(&vnc_auth_response(password, &challenge))
        .await
        .unwrap();
}

/// A failed SecurityResult: its reason.
async fn refusal(client: &mut DuplexStream) -> String {
    assert_eq!(read_n(client, 4).await, 1u32.to_be_bytes(), "SecurityResult failed");
    let length = u32::from_be_bytes(read_n(client, 4).await.try_into().unwrap());
    let reason = String::from_utf8(read_n(client, length as usize).await).unwrap();
    assert!(rest(client).await.is_empty(), "closed after the reason");
    reason
}

/// QEMU's side of the handshake: version, security type None, SecurityResult OK.
async fn display_accepts(display: &mut DuplexStream) {
    display.write_all(RFB_VERSION).await.unwrap();
    assert_eq!(read_n(display, 12).await, RFB_VERSION);
    display.write_all(&[2, SECURITY_NONE, 16]).await.unwrap();
    assert_eq!(read_n(display, 1).await, [SECURITY_NONE], "the relay picks None");
    display.write_all(&0u32.to_be_bytes()).await.unwrap();
}

/// A relay whose `open` hands out `display` (and records that it was called).
fn opener(
    display: DuplexStream,
    ends: oneshot::Receiver<String>,
    called: Arc<AtomicBool>,
) -> impl FnOnce() -> std::future::Ready<Result<(DuplexStream, Ends), String>> {
    move || {
        called.store(true, Ordering::SeqCst);
        std::future::ready(Ok((display, Ends(ends))))
    }
}

#[test]
fn the_des_response_uses_vncs_bit_reversed_key() {
    // Computed independently: `openssl enc -des-ecb -nopad -K 0e2ccece00000000` (the bit-reversed
    // key of "p4ss", NUL-padded) over the challenge "0123456789abcdef".
    let expected: [u8; 16] = [
        0xf0, 0xb9, 0xd7, 0xae, 0x4d, 0x32, 0x09, 0xe5, 0x38, 0xb4, 0x2c, 0xfb, 0x6b, 0x68, 0x4f, 0xa5,
    ];
    assert_eq!(vnc_auth_response(b"p4ss", b"0123456789abcdef"), expected);
    assert_ne!(vnc_auth_response(b"p4sS", b"0123456789abcdef"), expected);
    // Past 8 bytes a VNC password is cut, as every client does.
    assert_eq!(
        vnc_auth_response(b"Tk7pQz2mEXTRA", b"0123456789abcdef"),
        vnc_auth_response(b"Tk7pQz2m", b"0123456789abcdef")
    );
}

#[test]
fn relay_passwords_are_eight_random_printable_characters() {
    let a = relay_password();
    let b = relay_password();
    assert_ne!(a, b);
    for c in a.iter().chain(&b) {
        assert!(PASSWORD_ALPHABET.contains(c) && c.is_ascii_graphic(), "{c}");
    }
}

#[tokio::test]
async fn an_authenticated_client_is_spliced_to_the_display_both_ways() {
    let (mut client, relay_side) = duplex(4096);
    let (relay_display, mut display) = duplex(4096);
    let (_end, ends) = oneshot::channel();
    let called = Arc::new(AtomicBool::new(false));
    let relay = tokio::spawn(relay(relay_side, PASSWORD, opener(relay_display, ends, called.clone())));

    let qemu = tokio::spawn(async move {
        display_accepts(&mut display).await;
        // ClientInit (shared flag) arrives through the splice, then ServerInit goes back.
        assert_eq!(read_n(&mut display, 1).await, [1]);
        let mut server_init = vec![0, 0x80, 0, 0x60];
        server_init.extend_from_slice(&[32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
        server_init.extend_from_slice(&3u32.to_be_bytes());
        server_init.extend_from_slice(b"vm1");
        display.write_all(&server_init).await.unwrap();
        // A key event from the client, byte for byte.
        assert_eq!(read_n(&mut display, 8).await, [4, 1, 0, 0, 0, 0, 0xff, 0x0d]);
        // A Bell message, then a few bytes more.
        display.write_all(&[2, 0, 0, 0]).await.unwrap();
        display
    });

    client_authenticates(&mut client, PASSWORD).await;
    assert_eq!(read_n(&mut client, 4).await, 0u32.to_be_bytes(), "SecurityResult OK");
    assert!(
        called.load(Ordering::SeqCst),
        "the display is opened once the client is in"
    );
    client.write_all(&[1]).await.unwrap();
    let server_init = read_n(&mut client, 4 + 16 + 4 + 3).await;
    assert_eq!(&server_init[..4], &[0, 0x80, 0, 0x60], "800×600");
    assert_eq!(&server_init[24..], b"vm1");
    client.write_all(&[4, 1, 0, 0, 0, 0, 0xff, 0x0d]).await.unwrap();
    assert_eq!(read_n(&mut client, 4).await, [2, 0, 0, 0]);
    let _display = qemu.await.unwrap();
    drop(client);
    let end = relay.await.unwrap().unwrap();
    assert_eq!(
        end,
        RelayEnd::HungUp {
            to_display: 9,
            to_client: 31
        }
    );
}

#[tokio::test]
async fn the_display_hanging_up_ends_the_relay() {
    let (mut client, relay_side) = duplex(4096);
    let (relay_display, mut display) = duplex(4096);
    let (_end, ends) = oneshot::channel();
    let called = Arc::new(AtomicBool::new(false));
    let relay = tokio::spawn(relay(relay_side, PASSWORD, opener(relay_display, ends, called)));
    let qemu = tokio::spawn(async move {
        display_accepts(&mut display).await;
        // The VM stops: its display goes away.
    });
    client_authenticates(&mut client, PASSWORD).await;
    assert_eq!(read_n(&mut client, 4).await, 0u32.to_be_bytes());
    qemu.await.unwrap();
    assert!(
        rest(&mut client).await.is_empty(),
        "the client sees the end of the stream"
    );
    assert!(matches!(relay.await.unwrap(), Ok(RelayEnd::HungUp { .. })));
}

#[tokio::test]
async fn a_session_dropped_by_the_service_ends_the_relay_with_its_reason() {
    let (mut client, relay_side) = duplex(4096);
    let (relay_display, mut display) = duplex(4096);
    let (end, ends) = oneshot::channel();
    let called = Arc::new(AtomicBool::new(false));
    let relay = tokio::spawn(relay(relay_side, PASSWORD, opener(relay_display, ends, called)));
    let qemu = tokio::spawn(async move {
        display_accepts(&mut display).await;
        display
    });
    client_authenticates(&mut client, PASSWORD).await;
    assert_eq!(read_n(&mut client, 4).await, 0u32.to_be_bytes());
    let _display = qemu.await.unwrap();
    end.send("Taken over by alice".into()).unwrap();
    assert_eq!(
        relay.await.unwrap().unwrap(),
        RelayEnd::Dropped("Taken over by alice".into())
    );
    assert!(rest(&mut client).await.is_empty(), "the relay's end closes the client");
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_a_reason_and_the_display_never_opened() {
    let (mut client, relay_side) = duplex(4096);
    let (relay_display, _display) = duplex(4096);
    let (_end, ends) = oneshot::channel();
    let called = Arc::new(AtomicBool::new(false));
    let relay = tokio::spawn(relay(relay_side, PASSWORD, opener(relay_display, ends, called.clone())));
    client_authenticates(&mut client, b"Tk7pQz2n").await;
    let reason = refusal(&mut client).await;
    assert!(reason.starts_with("Wrong password"), "{reason}");
    assert!(matches!(relay.await.unwrap(), Err(RelayError::WrongPassword)));
    assert!(
        !called.load(Ordering::SeqCst),
        "no display for a client without the password"
    );
}

#[tokio::test]
async fn a_client_choosing_no_authentication_is_refused() {
    let (mut client, relay_side) = duplex(4096);
    let (relay_display, _display) = duplex(4096);
    let (_end, ends) = oneshot::channel();
    let called = Arc::new(AtomicBool::new(false));
    let relay = tokio::spawn(relay(relay_side, PASSWORD, opener(relay_display, ends, called.clone())));
    read_n(&mut client, 12).await;
    client.write_all(RFB_VERSION).await.unwrap();
    read_n(&mut client, 2).await;
    client.write_all(&[SECURITY_NONE]).await.unwrap();
    assert!(refusal(&mut client).await.contains("VNC Authentication only"));
    assert!(matches!(
        relay.await.unwrap(),
        Err(RelayError::SecurityType(SECURITY_NONE))
    ));
    assert!(!called.load(Ordering::SeqCst));
}

#[tokio::test]
async fn a_client_speaking_another_protocol_is_closed() {
    let (mut client, relay_side) = duplex(4096);
    let (relay_display, _display) = duplex(4096);
    let (_end, ends) = oneshot::channel();
    let called = Arc::new(AtomicBool::new(false));
    let relay = tokio::spawn(relay(relay_side, PASSWORD, opener(relay_display, ends, called.clone())));
    read_n(&mut client, 12).await;
    client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    assert!(matches!(relay.await.unwrap(), Err(RelayError::ClientVersion(_))));
    assert!(rest(&mut client).await.is_empty(), "closed without a word");
    assert!(!called.load(Ordering::SeqCst));
}

#[tokio::test(start_paused = true)]
async fn a_stalling_client_times_out() {
    let (mut client, relay_side) = duplex(4096);
    let (relay_display, _display) = duplex(4096);
    let (_end, ends) = oneshot::channel();
    let called = Arc::new(AtomicBool::new(false));
    let relay = tokio::spawn(relay(relay_side, PASSWORD, opener(relay_display, ends, called)));
    read_n(&mut client, 12).await;
    client.write_all(b"RFB 003.0").await.unwrap(); // and nothing more
    assert!(matches!(
        relay.await.unwrap(),
        Err(RelayError::Timeout("reading the client's version"))
    ));
}

#[tokio::test(start_paused = true)]
async fn a_display_that_never_answers_is_told_to_the_client() {
    let (mut client, relay_side) = duplex(4096);
    let (relay_display, _display) = duplex(4096);
    let (_end, ends) = oneshot::channel();
    let called = Arc::new(AtomicBool::new(false));
    let relay = tokio::spawn(relay(relay_side, PASSWORD, opener(relay_display, ends, called)));
    client_authenticates(&mut client, PASSWORD).await;
    let reason = refusal(&mut client).await;
    assert!(reason.contains("did not answer"), "{reason}");
    assert!(matches!(relay.await.unwrap(), Err(RelayError::Timeout(_))));
}

#[tokio::test]
async fn a_console_that_cannot_be_opened_is_refused_with_the_services_reason() {
    let (mut client, relay_side) = duplex(4096);
    let relay = tokio::spawn(relay(relay_side, PASSWORD, || async {
        Err::<(DuplexStream, Ends), _>("The console is held by alice.".to_string())
    }));
    client_authenticates(&mut client, PASSWORD).await;
    assert_eq!(refusal(&mut client).await, "The console is held by alice.");
    assert!(matches!(relay.await.unwrap(), Err(RelayError::Open(_))));
}

#[tokio::test]
async fn a_display_asking_for_a_password_or_refusing_is_reported_with_a_bounded_reason() {
    // A display that wants VNC Authentication itself: not one Vireo defined.
    let (mut client, relay_side) = duplex(4096);
    let (relay_display, mut display) = duplex(4096);
    let (_end, ends) = oneshot::channel();
    let called = Arc::new(AtomicBool::new(false));
    let relay1 = tokio::spawn(relay(relay_side, PASSWORD, opener(relay_display, ends, called)));
    let qemu = tokio::spawn(async move {
        display.write_all(RFB_VERSION).await.unwrap();
        read_n(&mut display, 12).await;
        display.write_all(&[1, SECURITY_VNC_AUTH]).await.unwrap();
        display
    });
    client_authenticates(&mut client, PASSWORD).await;
    assert!(refusal(&mut client).await.contains("not None"));
    assert!(matches!(relay1.await.unwrap(), Err(RelayError::Display(_))));
    drop(qemu.await.unwrap());

    // A display refusing with a reason that claims 4 GiB: only MAX_REASON bytes are read.
    let (mut client, relay_side) = duplex(4096);
    let (relay_display, mut display) = duplex(8192);
    let (_end, ends) = oneshot::channel();
    let called = Arc::new(AtomicBool::new(false));
    let relay2 = tokio::spawn(relay(relay_side, PASSWORD, opener(relay_display, ends, called)));
    let qemu = tokio::spawn(async move {
        display.write_all(RFB_VERSION).await.unwrap();
        read_n(&mut display, 12).await;
        display.write_all(&[0]).await.unwrap();
        display.write_all(&u32::MAX.to_be_bytes()).await.unwrap();
        display.write_all(&[b'x'; 2000]).await.unwrap();
        display
    });
    client_authenticates(&mut client, PASSWORD).await;
    let reason = refusal(&mut client).await;
    assert!(reason.contains("refused: xxx"), "{reason}");
    assert!(
        reason.len() < MAX_REASON as usize + 200,
        "bounded: {} bytes",
        reason.len()
    );
    assert!(matches!(relay2.await.unwrap(), Err(RelayError::Display(_))));
    drop(qemu.await.unwrap());
}
