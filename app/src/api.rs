//! Server functions, one file per area. Each is thin: authorize, call the `Backend`, map the error.

pub mod auth;
pub mod clusters;
pub mod configs;
pub mod consoles;
pub mod dashboard;
pub mod data_centers;
pub mod disk_upload;
pub mod events;
pub mod grids;
pub mod hosts;
pub mod json_text;
pub mod lifecycle;
pub mod networks;
pub mod storage;
pub mod usage;
pub mod users;

#[cfg(feature = "ssr")]
pub mod ssr;
