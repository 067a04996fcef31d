//! Consoles: the one-time tickets a page asks for, opening a VM's serial console or VNC display for
//! the WebSocket bridge (`web/console.rs`), who holds each console (libvirt allows one client per
//! serial console; Vireo keeps one session per console of either kind, and a second one takes it
//! over, the first being told why), and the audit events `console.open`, `console.takeover` and
//! `console.close` (with how long it was open). Idle timeouts are the bridge's (it sees the input).
//!
//! Tickets are 256 random bits handed out once and kept only as their SHA-256, with what they were
//! issued for (user, VM, console) and until when (`TICKET_SECONDS`); redeeming one removes it,
//! whatever it is then presented for. Expired ones are pruned whenever a ticket is issued or
//! redeemed; a user holds at most `MAX_TICKETS_PER_USER` (asking for more drops their oldest), all
//! users together at most `MAX_TICKETS`.

use super::audit::{Object, Outcome};
use super::VireoService;
use crate::hypervisor::{ConsoleStream, HypervisorError};
use crate::repository::{ConfigRecord, Repository};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use uuid::Uuid;
use vireo_app::authz::Permission;
use vireo_app::backend::ConsoleBackend;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::host_address::HostAddress;
use vireo_app::error::AppError;
use vireo_app::models::{ConsoleAvailability, ConsoleKind, ConsoleTicket, CurrentUser, HostView};

/// How long a ticket stays valid after the page asked for it.
pub const TICKET_SECONDS: u32 = 30;
/// Live tickets one user may have; asking for more drops their oldest.
pub const MAX_TICKETS_PER_USER: usize = 16;
/// Live tickets of all users together; past this, asking for one is refused until some expire.
pub const MAX_TICKETS: usize = 4096;
/// What a session taken over is told (the bridge closes it with 4001 when the reason starts so).
pub const TAKEN_OVER_BY: &str = "Taken over by ";

/// What the sessions of a user who was disabled are told (closed with 4004).
pub const USER_DISABLED: &str = "Your user was disabled.";

struct Ticket {
    user: Uuid,
    vm: Uuid,
    kind: ConsoleKind,
    expires: Instant,
}

/// The Vireo session holding a console.
struct Holder {
    session: u64,
    user: Uuid,
    username: String,
    /// Tells the holder's bridge why it must end (taken over, user disabled).
    drop_tx: Option<oneshot::Sender<String>>,
}

type Holders = Arc<Mutex<HashMap<(Uuid, ConsoleKind), Holder>>>;

/// The consoles' shared state (tickets, holders), one per service.
pub struct Consoles {
    pub idle_timeout: Duration,
    tickets: Mutex<HashMap<[u8; 32], Ticket>>,
    holders: Holders,
    next_session: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each critical section is a few map operations that cannot panic half-way.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn digest(ticket: &str) -> [u8; 32] {
    Sha256::digest(ticket.as_bytes()).into()
}

impl Consoles {
    pub fn new(idle_timeout: Duration) -> Self {
        Self {
            idle_timeout,
            tickets: Mutex::default(),
            holders: Arc::default(),
            next_session: AtomicU64::new(1),
        }
    }

    /// A new ticket for `user` to open `kind` of `vm` once within `TICKET_SECONDS`. `None` when all
    /// users together hold `MAX_TICKETS`.
    pub fn issue(&self, user: Uuid, vm: Uuid, kind: ConsoleKind, now: Instant) -> Option<String> {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let mut tickets = lock(&self.tickets);
        tickets.retain(|_, t| t.expires > now);
        let mine: Vec<([u8; 32], Instant)> = tickets
            .iter()
            .filter(|(_, t)| t.user == user)
            .map(|(k, t)| (*k, t.expires))
            .collect();
        if mine.len() >= MAX_TICKETS_PER_USER {
            if let Some((oldest, _)) = mine.iter().min_by_key(|(_, expires)| *expires) {
                tickets.remove(oldest);
            }
        }
        if tickets.len() >= MAX_TICKETS {
            return None;
        }
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let ticket = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let expires = now + Duration::from_secs(u64::from(TICKET_SECONDS));
        tickets.insert(
            digest(&ticket),
            Ticket {
                user,
                vm,
                kind,
                expires,
            },
        );
        Some(ticket)
    }

    /// Redeems a ticket: `true` when it was issued to `user` for `kind` of `vm` and has not expired
    /// or been used. Presenting it uses it up, whatever it is presented for.
    pub fn redeem(&self, ticket: &str, user: Uuid, vm: Uuid, kind: ConsoleKind, now: Instant) -> bool {
        // Longer than any ticket Vireo makes: not worth hashing.
        if ticket.is_empty() || ticket.len() > 128 {
            return false;
        }
        let mut tickets = lock(&self.tickets);
        tickets.retain(|_, t| t.expires > now);
        tickets
            .remove(&digest(ticket))
            .is_some_and(|t| t.user == user && t.vm == vm && t.kind == kind)
    }

    /// Live tickets (for tests of the bounds).
    pub fn live_tickets(&self) -> usize {
        lock(&self.tickets).len()
    }

    /// The Vireo user whose session holds the console now.
    pub fn holder(&self, vm: Uuid, kind: ConsoleKind) -> Option<String> {
        lock(&self.holders).get(&(vm, kind)).map(|h| h.username.clone())
    }

    /// Makes `user` the console's holder. Held by another session: `Err(holder)` unless `takeover`,
    /// which tells that session why it ends and answers who it was (`Some` in the tuple).
    fn hold(
        &self,
        vm: Uuid,
        kind: ConsoleKind,
        user: &CurrentUser,
        takeover: bool,
    ) -> Result<(u64, oneshot::Receiver<String>, Option<String>), String> {
        let mut holders = lock(&self.holders);
        let previous = match holders.get_mut(&(vm, kind)) {
            Some(h) if !takeover => return Err(h.username.clone()),
            Some(h) => {
                if let Some(tx) = h.drop_tx.take() {
                    let _ = tx.send(format!("{TAKEN_OVER_BY}{}", user.username));
                }
                Some(h.username.clone())
            }
            None => None,
        };
        let session = self.next_session.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        holders.insert(
            (vm, kind),
            Holder {
                session,
                user: user.id,
                username: user.username.clone(),
                drop_tx: Some(tx),
            },
        );
        Ok((session, rx, previous))
    }

    /// Ends every console session of a user (disabled, or their sessions ended), telling each why.
    pub fn drop_user(&self, user: Uuid, reason: &str) {
        for holder in lock(&self.holders).values_mut().filter(|h| h.user == user) {
            if let Some(tx) = holder.drop_tx.take() {
                let _ = tx.send(reason.to_string());
            }
        }
    }
}

/// What an open console carries.
pub enum ConsoleIo {
    Serial(ConsoleStream),
    /// A socket connected to the VM's VNC server (RFB from its first byte).
    Vnc(std::os::fd::OwnedFd),
}

/// An open console, held until dropped (dropping it releases the console and writes
/// `console.close`).
pub struct ConsoleSession {
    pub io: ConsoleIo,
    /// Fires with the reason when this session must end though its stream is fine: taken over by
    /// another session, the user disabled. (Idle timeouts are the bridge's own.)
    pub dropped: oneshot::Receiver<String>,
    hold: HoldGuard,
}

impl ConsoleSession {
    /// The Vireo user holding it.
    pub fn username(&self) -> &str {
        &self.hold.user.username
    }
}

/// Releases the console when its session ends: the holder entry (unless another session has taken
/// it over since) and the `console.close` event.
struct HoldGuard {
    holders: Holders,
    session: u64,
    vm: Uuid,
    vm_name: String,
    kind: ConsoleKind,
    user: CurrentUser,
    opened: Instant,
    /// Set once the console is open; a failed open writes its own event, not a close.
    open: bool,
    repo: Repository,
}

impl Drop for HoldGuard {
    fn drop(&mut self) {
        {
            let mut holders = lock(&self.holders);
            if holders
                .get(&(self.vm, self.kind))
                .is_some_and(|h| h.session == self.session)
            {
                holders.remove(&(self.vm, self.kind));
            }
        }
        if !self.open {
            return;
        }
        let seconds = self.opened.elapsed().as_secs();
        let message = format!(
            "{} closed the {} of VM {} after {}.",
            self.user.username,
            self.kind.label().to_lowercase(),
            self.vm_name,
            duration_text(seconds)
        );
        let (repo, user, vm, vm_name) = (self.repo.clone(), self.user.clone(), self.vm, self.vm_name.clone());
        // Dropped outside a runtime only while the process ends; then the event is lost with it.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let object = Object::new("vm", Some(vm), &vm_name);
                repo.record_event(super::audit::event(
                    Some(&user),
                    "console.close",
                    object,
                    Outcome::Done(message),
                ))
                .await;
            });
        }
    }
}

/// "42 s", "3 min 5 s", "2 h 1 min".
pub fn duration_text(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// Why a console could not be opened, as the WebSocket reports it (the agreed close codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not allowed (role, ticket): answered before the upgrade, 403.
    Denied,
    /// Another session or client holds it: 4409, the page offers "Take over".
    Held,
    /// The VM is not running, or the console cannot be had on its host: 4404.
    Unavailable,
    /// Anything else (libvirt, the database): 4500.
    Failed,
}

/// A refused open: the kind, the error for the user, and who holds the console when that is why.
#[derive(Debug)]
pub struct ConsoleRefused {
    pub refusal: Refusal,
    pub error: AppError,
    pub held_by: Option<String>,
}

impl ConsoleRefused {
    fn new(refusal: Refusal, error: AppError) -> Self {
        Self {
            refusal,
            error,
            held_by: None,
        }
    }
}

fn unavailable(message: String) -> ConsoleRefused {
    ConsoleRefused::new(Refusal::Unavailable, AppError::host(message))
}

/// Why the console cannot be opened now, from what Vireo knows without asking the host.
fn availability(vm: &ConfigRecord, kind: ConsoleKind, host: Option<&HostView>) -> Option<String> {
    match kind {
        ConsoleKind::Serial if !vm.config.serial_console => {
            return Some(format!("VM {} has no serial console.", vm.name));
        }
        ConsoleKind::Vnc if vm.config.headless => {
            return Some(format!("VM {} is headless: it has no graphical console.", vm.name));
        }
        _ => {}
    }
    if !vm.running() {
        return Some(format!("VM {} is not running.", vm.name));
    }
    let Some(host) = host else {
        return Some(format!("Vireo does not know which host runs VM {}.", vm.name));
    };
    match HostAddress::parse_uri(&host.uri) {
        Ok(address) if address.is_simulated() => Some(no_consoles_on(host)),
        Ok(HostAddress::Ssh { .. } | HostAddress::Tls { .. }) if kind == ConsoleKind::Vnc => Some(format!(
            "Host {} is remote: libvirt hands a display's socket only to clients on the host itself, and Vireo does not forward it over SSH yet.",
            host.name
        )),
        Ok(_) => None,
        Err(refused) => Some(format!("Vireo does not connect to host {}: {refused}", host.name)),
    }
}

fn no_consoles_on(host: &HostView) -> String {
    format!("Host {} runs libvirt's test driver, which has no consoles.", host.name)
}

impl VireoService {
    async fn console_vm(&self, id: Uuid) -> Result<Option<ConfigRecord>, AppError> {
        self.repo.config_record(ConfigKind::Vm, id).await
    }

    async fn vm_host(&self, vm: &ConfigRecord) -> Result<Option<HostView>, AppError> {
        match vm.host_id {
            Some(id) if vm.running() => self.repo.host(id).await,
            _ => Ok(None),
        }
    }

    /// Redeems `ticket` (once; it must have been issued to `user` for this VM and kind) and opens
    /// the console. `takeover`: take it from the session (or other libvirt client) holding it,
    /// which is told why it was dropped; otherwise a held console is a `Conflict` naming who holds it.
    pub async fn open_console(
        &self,
        user: &CurrentUser,
        vm: Uuid,
        kind: ConsoleKind,
        ticket: &str,
        takeover: bool,
    ) -> Result<ConsoleSession, AppError> {
        self.try_open_console(user, vm, kind, ticket, takeover)
            .await
            .map_err(|r| r.error)
    }

    /// `open_console`, with why it was refused for the WebSocket's close codes.
    pub async fn try_open_console(
        &self,
        user: &CurrentUser,
        id: Uuid,
        kind: ConsoleKind,
        ticket: &str,
        takeover: bool,
    ) -> Result<ConsoleSession, ConsoleRefused> {
        let failed = |e: AppError| ConsoleRefused::new(Refusal::Failed, e);
        let denied = |e: AppError| ConsoleRefused::new(Refusal::Denied, e);
        let record = self.console_vm(id).await.map_err(failed)?;
        let name = record.as_ref().map_or(String::new(), |r| r.name.clone());
        self.authorize(user, Permission::UseConsole, "console.open", "vm", Some(id), &name)
            .await
            .map_err(denied)?;
        let object = Object::new("vm", Some(id), &name);
        let what = kind.label().to_lowercase();
        if !self.consoles.redeem(ticket, user.id, id, kind, Instant::now()) {
            let message = format!(
                "{} presented an unknown, expired or used ticket for the {what} of VM {name}: refused.",
                user.username
            );
            self.audit(Some(user), "console.open", object, Outcome::Refused(message))
                .await;
            return Err(denied(AppError::Forbidden));
        }
        let Some(vm) = record else {
            return Err(ConsoleRefused::new(Refusal::Unavailable, AppError::not_found("VM")));
        };
        let host = self.vm_host(&vm).await.map_err(failed)?;
        let result = self.open_on_host(user, &vm, kind, host.as_ref(), takeover).await;
        match &result {
            Ok(_) => {
                let on = host.as_ref().map_or(String::new(), |h| format!(" on host {}", h.name));
                let message = format!("{} opened the {what} of VM {}{on}.", user.username, vm.name);
                self.audit(Some(user), "console.open", object, Outcome::Done(message))
                    .await;
            }
            Err(refused) => {
                let message = format!(
                    "{} could not open the {what} of VM {}: {}",
                    user.username, vm.name, refused.error
                );
                let outcome = match refused.refusal {
                    Refusal::Failed => Outcome::Failed(message),
                    _ => Outcome::Refused(message),
                };
                self.audit(Some(user), "console.open", object, outcome).await;
            }
        }
        result
    }

    async fn open_on_host(
        &self,
        user: &CurrentUser,
        vm: &ConfigRecord,
        kind: ConsoleKind,
        host: Option<&HostView>,
        takeover: bool,
    ) -> Result<ConsoleSession, ConsoleRefused> {
        if let Some(why) = availability(vm, kind, host) {
            // A simulated host is asked all the same, so its driver's own answer is what counts
            // (and is what the tests see); anything else is known not to work.
            let simulated = host.is_some_and(|h| HostAddress::parse_uri(&h.uri).is_ok_and(|a| a.is_simulated()));
            if !(simulated && why == host.map(no_consoles_on).unwrap_or_default()) {
                return Err(unavailable(why));
            }
        }
        let Some(host) = host else {
            return Err(unavailable(format!("VM {} is not running.", vm.name)));
        };
        let what = kind.label().to_lowercase();
        let (session, dropped, previous) =
            self.consoles
                .hold(vm.id, kind, user, takeover)
                .map_err(|holder| ConsoleRefused {
                    refusal: Refusal::Held,
                    error: AppError::conflict(format!(
                        "{holder} has the {what} of VM {} open. Take it over to use it here.",
                        vm.name
                    )),
                    held_by: Some(holder),
                })?;
        let mut guard = HoldGuard {
            holders: self.consoles.holders.clone(),
            session,
            vm: vm.id,
            vm_name: vm.name.clone(),
            kind,
            user: user.clone(),
            opened: Instant::now(),
            open: false,
            repo: self.repo.clone(),
        };
        let opened = match kind {
            ConsoleKind::Serial => self
                .hypervisor
                .open_serial_console(&host.uri, vm.id, takeover)
                .await
                .map(ConsoleIo::Serial),
            ConsoleKind::Vnc => self
                .hypervisor
                .open_graphics(&host.uri, vm.id)
                .await
                .map(ConsoleIo::Vnc),
        };
        let io = opened.map_err(|e| match e {
            HypervisorError::ConsoleHeld => ConsoleRefused {
                refusal: Refusal::Held,
                error: AppError::conflict(format!(
                    "Another client (outside Vireo) has the {what} of VM {} open. Take it over to use it here.",
                    vm.name
                )),
                held_by: None,
            },
            HypervisorError::ConsoleUnavailable(why) => {
                let simulated = HostAddress::parse_uri(&host.uri).is_ok_and(|a| a.is_simulated());
                unavailable(if simulated {
                    no_consoles_on(host)
                } else {
                    format!("Host {} cannot open the {what} of VM {}: {why}.", host.name, vm.name)
                })
            }
            other => ConsoleRefused::new(
                Refusal::Failed,
                AppError::host(format!(
                    "Host {} could not open the {what} of VM {}: {other}",
                    host.name, vm.name
                )),
            ),
        })?;
        if let Some(previous) = previous {
            let message = format!(
                "{} took over the {what} of VM {} from {previous}.",
                user.username, vm.name
            );
            self.audit(
                Some(user),
                "console.takeover",
                Object::new("vm", Some(vm.id), &vm.name),
                Outcome::Done(message),
            )
            .await;
        }
        guard.open = true;
        guard.opened = Instant::now();
        Ok(ConsoleSession {
            io,
            dropped,
            hold: guard,
        })
    }
}

#[async_trait::async_trait]
impl ConsoleBackend for VireoService {
    async fn vm_consoles(&self, id: Uuid) -> Result<Vec<ConsoleAvailability>, AppError> {
        let vm = self.console_vm(id).await?.ok_or_else(|| AppError::not_found("VM"))?;
        let host = self.vm_host(&vm).await?;
        let mut all: Vec<ConsoleAvailability> = [ConsoleKind::Serial, ConsoleKind::Vnc]
            .into_iter()
            .map(|kind| ConsoleAvailability {
                kind,
                unavailable: availability(&vm, kind, host.as_ref()),
                held_by: self.consoles.holder(id, kind),
            })
            .collect();
        // The consoles the VM has come first (the Console tab opens the first): a Server VM
        // without a serial console opens on its display, an HP VM on its serial console.
        let has = |kind: ConsoleKind| match kind {
            ConsoleKind::Serial => vm.config.serial_console,
            ConsoleKind::Vnc => !vm.config.headless,
        };
        all.sort_by_key(|c| !has(c.kind));
        Ok(all)
    }

    async fn console_ticket(
        &self,
        actor: &CurrentUser,
        id: Uuid,
        kind: ConsoleKind,
    ) -> Result<ConsoleTicket, AppError> {
        let vm = self.console_vm(id).await?;
        let name = vm.as_ref().map_or(String::new(), |v| v.name.clone());
        self.authorize(actor, Permission::UseConsole, "console.ticket", "vm", Some(id), &name)
            .await?;
        if vm.is_none() {
            return Err(AppError::not_found("VM"));
        }
        let ticket = self
            .consoles
            .issue(actor.id, id, kind, Instant::now())
            .ok_or_else(|| AppError::Busy {
                message: "Too many console tickets are waiting to be used; try again in half a minute.".into(),
            })?;
        Ok(ConsoleTicket {
            ticket,
            expires_in: TICKET_SECONDS,
            path: format!("/vms/{id}/console/{}", kind.as_str()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vireo_app::models::Role;

    fn user(name: &str) -> CurrentUser {
        CurrentUser {
            id: Uuid::new_v4(),
            username: name.into(),
            role: Role::Operator,
        }
    }

    #[test]
    fn tickets_are_one_time_bound_and_expire() {
        let consoles = Consoles::new(Duration::from_secs(60));
        let (alice, bob, vm, other_vm) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let now = Instant::now();
        let t = consoles.issue(alice, vm, ConsoleKind::Serial, now).unwrap();
        // 256 bits, URL-safe.
        assert_eq!(t.len(), 43);
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(consoles.redeem(&t, alice, vm, ConsoleKind::Serial, now));
        assert!(!consoles.redeem(&t, alice, vm, ConsoleKind::Serial, now), "one use");

        for (u, v, k) in [
            (bob, vm, ConsoleKind::Serial),
            (alice, other_vm, ConsoleKind::Serial),
            (alice, vm, ConsoleKind::Vnc),
        ] {
            let t = consoles.issue(alice, vm, ConsoleKind::Serial, now).unwrap();
            assert!(!consoles.redeem(&t, u, v, k, now));
            // Presenting it for the wrong thing used it up.
            assert!(!consoles.redeem(&t, alice, vm, ConsoleKind::Serial, now));
        }

        let t = consoles.issue(alice, vm, ConsoleKind::Vnc, now).unwrap();
        let later = now + Duration::from_secs(u64::from(TICKET_SECONDS) + 1);
        assert!(!consoles.redeem(&t, alice, vm, ConsoleKind::Vnc, later), "expired");
        assert_eq!(consoles.live_tickets(), 0, "expired ones are pruned");
        for garbage in ["", "x", &"a".repeat(10_000)] {
            assert!(!consoles.redeem(garbage, alice, vm, ConsoleKind::Vnc, now));
        }
    }

    #[test]
    fn tickets_are_bounded_per_user_and_in_all() {
        let consoles = Consoles::new(Duration::from_secs(60));
        let (alice, vm) = (Uuid::new_v4(), Uuid::new_v4());
        let now = Instant::now();
        let first = consoles.issue(alice, vm, ConsoleKind::Serial, now).unwrap();
        for i in 1..=MAX_TICKETS_PER_USER as u64 {
            consoles
                .issue(alice, vm, ConsoleKind::Serial, now + Duration::from_millis(i))
                .unwrap();
        }
        assert_eq!(consoles.live_tickets(), MAX_TICKETS_PER_USER);
        assert!(
            !consoles.redeem(&first, alice, vm, ConsoleKind::Serial, now),
            "the oldest went"
        );
        let mut issued = consoles.live_tickets();
        while issued < MAX_TICKETS {
            assert!(consoles.issue(Uuid::new_v4(), vm, ConsoleKind::Vnc, now).is_some());
            issued += 1;
        }
        assert!(consoles.issue(Uuid::new_v4(), vm, ConsoleKind::Vnc, now).is_none());
        // Once they expire there is room again.
        assert!(consoles
            .issue(Uuid::new_v4(), vm, ConsoleKind::Vnc, now + Duration::from_secs(31))
            .is_some());
    }

    #[test]
    fn a_held_console_is_refused_or_taken_over_with_the_reason() {
        let consoles = Consoles::new(Duration::from_secs(60));
        let (alice, bob) = (user("alice"), user("bob"));
        let vm = Uuid::new_v4();
        let (_, mut alice_dropped, previous) = consoles.hold(vm, ConsoleKind::Serial, &alice, false).unwrap();
        assert_eq!(previous, None);
        assert_eq!(consoles.holder(vm, ConsoleKind::Serial).as_deref(), Some("alice"));
        assert_eq!(
            consoles.hold(vm, ConsoleKind::Serial, &bob, false).err().as_deref(),
            Some("alice")
        );
        // The other kind is another console.
        assert!(consoles.hold(vm, ConsoleKind::Vnc, &bob, false).is_ok());
        let (_, mut bob_dropped, previous) = consoles.hold(vm, ConsoleKind::Serial, &bob, true).unwrap();
        assert_eq!(previous.as_deref(), Some("alice"));
        assert_eq!(alice_dropped.try_recv().unwrap(), "Taken over by bob");
        assert_eq!(consoles.holder(vm, ConsoleKind::Serial).as_deref(), Some("bob"));
        consoles.drop_user(bob.id, "Your session ended.");
        assert_eq!(bob_dropped.try_recv().unwrap(), "Your session ended.");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_text(5), "5 s");
        assert_eq!(duration_text(185), "3 min 5 s");
        assert_eq!(duration_text(7260), "2 h 1 min");
    }
}
