//! Reusable UI pieces, one component per file.

pub mod app_shell;
pub mod built_once;
pub mod change_outcome;
pub mod config_dialog;
pub mod confirm_dialog;
pub mod console_tab;
pub mod cpu_map;
pub mod current_role;
pub mod disk_upload;
pub mod disks_tab;
pub mod error_notice;
pub mod grid_controls;
pub mod grid_keys;
pub mod host_topology_card;
pub mod live_updates;
pub mod local_time;
pub mod modal;
pub mod nics_tab;
pub mod object_grid;
pub mod object_toolbar;
pub mod password_fields;
pub mod table_head;
pub mod toasts;
pub mod type_icon;
pub mod usage_chart;
