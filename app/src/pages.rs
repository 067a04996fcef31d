//! One file per page.

pub mod clusters;
pub mod dashboard;
pub mod data_centers;
pub mod disk_upload;
pub mod disks;
pub mod events;
pub mod hosts;
pub mod login;
pub mod networks;
pub mod not_found;
pub mod password;
pub mod pools;
pub mod storage_domains;
pub mod templates;
pub mod users;
pub mod vms;
pub mod vnic_profiles;
