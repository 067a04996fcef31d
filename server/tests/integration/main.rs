//! Integration tests against a real PostgreSQL (a throwaway cluster per test process, a fresh
//! database per test) and libvirt's in-process test driver.

mod auth_flow;
mod configs;
mod consoles;
mod cpu_policy;
mod dashboard;
mod db_supervision;
mod disk_upload;
mod grids;
mod hosts;
mod identity;
// Run by scripts/kvm-test.sh only (a real KVM host); `make test` skips `kvm::` and `kvm_console::`
// in its first cargo test run. Always compiled, so both runs share one test binary.
mod kvm;
mod kvm_console;
mod lifecycle;
mod lost_writes;
mod metrics;
mod networks;
mod operations;
mod ovirt_ansible_vm;
mod ovirt_api;
mod ovirt_clusters;
mod ovirt_consoles;
mod ovirt_data_centers;
mod ovirt_follow;
mod ovirt_numa;
mod ovirt_storage;

mod replicas;
mod robustness;
mod roles;
mod schema;
mod ssh_hosts;
mod static_assets;
mod storage;
mod storage_ui;
mod support;
mod topology;
mod users;
mod watchdog;
mod web_guard;
