//! Reusable UI pieces, one component per file.

pub mod app_shell;
pub mod config_dialog;
pub mod confirm_dialog;
pub mod error_notice;
pub mod host_topology_card;
pub mod modal;
pub mod object_toolbar;
