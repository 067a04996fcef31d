//! Pure domain rules and types: no I/O, shared by the dialogs, the server functions and the REST API.

pub mod cpu_set;
pub mod host_topology;
pub mod naming;
pub mod vm_config;
