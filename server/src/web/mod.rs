//! The HTTP side: the router, login and the auth gate, the no-JavaScript form handlers, server-sent
//! events, the consoles' WebSocket, `/healthz`, `/metrics`, the defences around every route and the accept loop.

pub mod auth;
pub mod bulk_forms;
pub mod console;
pub mod dialog_forms;
pub mod disk_upload;
pub mod guard;
pub mod health;
pub mod http_server;
pub mod live;
pub mod login_throttle;
pub mod metrics_endpoint;
pub mod page_deadline;
pub mod routes;
pub mod state;
pub mod static_assets;
pub mod vnc_relay;
