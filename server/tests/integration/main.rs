//! Integration tests against a real PostgreSQL (a throwaway cluster per test process, a fresh
//! database per test) and libvirt's in-process test driver.

mod auth_flow;
mod configs;
mod grids;
mod hosts;
mod identity;
#[cfg(feature = "kvm-tests")]
mod kvm;
mod lifecycle;
mod ovirt_api;
mod schema;
mod support;
mod topology;
mod users;
