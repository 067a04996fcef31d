//! Consoles: the one-time tickets a page asks for, opening a VM's serial console or VNC display for
//! the WebSocket bridge (`web/console.rs`) and the VNC relay, who holds each console (libvirt allows
//! one client; a second one takes it over and the first is told why), idle timeouts, and the audit
//! events `console.open` / `console.close`.
//!
//! SCAFFOLD (issue 14): the types and signatures below are the seam the WebSocket, the REST API and
//! the UI build on; the implementation lands with the console work.

use super::VireoService;
use crate::hypervisor::ConsoleStream;
use std::time::Duration;
use uuid::Uuid;
use vireo_app::backend::ConsoleBackend;
use vireo_app::error::AppError;
use vireo_app::models::{ConsoleAvailability, ConsoleKind, ConsoleTicket, CurrentUser};

/// How long a ticket stays valid after the page asked for it.
pub const TICKET_SECONDS: u32 = 30;

/// The consoles' shared state (tickets, holders), one per service.
pub struct Consoles {
    pub idle_timeout: Duration,
}

impl Consoles {
    pub fn new(idle_timeout: Duration) -> Self {
        Self { idle_timeout }
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
    /// another session, idle for too long, the user disabled.
    pub dropped: tokio::sync::oneshot::Receiver<String>,
}

impl VireoService {
    /// Redeems `ticket` (once; it must have been issued to `user` for this VM and kind) and opens
    /// the console. `takeover`: take it from the session (or other libvirt client) holding it,
    /// which is told why it was dropped; otherwise a held console is a `Conflict` naming who holds it.
    pub async fn open_console(
        &self,
        _user: &CurrentUser,
        _vm: Uuid,
        _kind: ConsoleKind,
        _ticket: &str,
        _takeover: bool,
    ) -> Result<ConsoleSession, AppError> {
        Err(AppError::Unavailable)
    }
}

#[async_trait::async_trait]
impl ConsoleBackend for VireoService {
    async fn vm_consoles(&self, _id: Uuid) -> Result<Vec<ConsoleAvailability>, AppError> {
        Err(AppError::Unavailable)
    }

    async fn console_ticket(
        &self,
        _actor: &CurrentUser,
        _id: Uuid,
        _kind: ConsoleKind,
    ) -> Result<ConsoleTicket, AppError> {
        Err(AppError::Unavailable)
    }
}
