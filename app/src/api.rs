//! Server functions, one file per area. Each is thin: authorize, call the `Backend`, map the error.

pub mod auth;
// The browser's stubs that `#[server]` generates for the forms with many fields (New/Edit Cluster,
// Add Host, a NIC's add and update) take every field as an argument, and the macro does not carry
// the functions' own `allow` over to them.
#[cfg_attr(feature = "hydrate", allow(clippy::too_many_arguments))]
pub mod clusters;
pub mod configs;
pub mod consoles;
pub mod dashboard;
pub mod data_centers;
pub mod disk_upload;
pub mod events;
pub mod grids;
#[cfg_attr(feature = "hydrate", allow(clippy::too_many_arguments))]
pub mod hosts;
pub mod json_text;
pub mod lifecycle;
#[cfg_attr(feature = "hydrate", allow(clippy::too_many_arguments))]
pub mod networks;
pub mod storage;
pub mod usage;
pub mod users;

#[cfg(feature = "ssr")]
pub mod ssr;
