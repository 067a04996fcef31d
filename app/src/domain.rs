//! Pure domain rules and types: no I/O, shared by the dialogs, the server functions and the REST API.

#[cfg(test)]
mod bounds_tests;
// The modules marked `not(hydrate)` are server-only (libvirt's XML both ways, the REST API's
// search): never run in the browser, they stay out of the wasm build, and a use from browser code
// fails its wasm check at once.
#[cfg(not(feature = "hydrate"))]
pub mod capabilities;
pub mod collections;
pub mod cpu_map;
pub mod cpu_policy;
pub mod cpu_set;
pub mod dashboard;
pub mod dialog;
#[cfg(not(feature = "hydrate"))]
pub mod domain_xml;
pub mod draft;
pub mod fields;
pub mod gates;
pub mod host_address;
pub mod host_topology;
pub mod image_header;
pub mod instance_type;
pub mod live_changes;
pub mod naming;
pub mod network;
pub mod next_run;
pub mod numa;
#[cfg(not(feature = "hydrate"))]
pub mod ovirt_search;
pub mod pinning;
pub mod pinning_plan;
pub mod profile;
pub mod realtime;
pub mod recommendations;
pub mod rule_context;
pub mod search;
pub mod storage;
#[cfg(not(feature = "hydrate"))]
pub mod storage_xml;
pub(crate) mod string_enum;
#[cfg(test)]
pub(crate) mod test_hosts;
pub mod usage;
pub mod usage_chart;
pub mod validation;
pub mod vm_config;
