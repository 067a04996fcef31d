//! Views of stored objects as the UI and the API see them. Plain data, serialisable, no behaviour
//! beyond small derived values; the rules live in `domain`.

use crate::domain::host_topology::HostTopology;
use crate::domain::vm_config::{CompatVersion, OptimizedFor};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Viewer,
}

impl Role {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "admin" => Some(Self::Admin),
            "viewer" => Some(Self::Viewer),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Viewer => "viewer",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
}

impl CurrentUser {
    pub fn can_write(&self) -> bool {
        self.role == Role::Admin
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostStatus {
    Up,
    /// Vireo could not reach the host's libvirt on the last attempt.
    NonResponsive,
    Maintenance,
}

impl HostStatus {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "up" => Some(Self::Up),
            "non_responsive" => Some(Self::NonResponsive),
            "maintenance" => Some(Self::Maintenance),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::NonResponsive => "non_responsive",
            Self::Maintenance => "maintenance",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Up => "Up",
            Self::NonResponsive => "Non Responsive",
            Self::Maintenance => "Maintenance",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostView {
    pub id: Uuid,
    pub name: String,
    pub cluster_id: Uuid,
    pub cluster_name: String,
    pub uri: String,
    pub status: HostStatus,
    /// For a libvirt test-driver host: the shipped capabilities file its topology comes from.
    /// `None` for real hosts, whose topology libvirt reports.
    pub simulated_topology: Option<String>,
    pub topology: HostTopology,
    /// KSM (kernel same-page merging) running on the host, when known.
    pub ksm_running: Option<bool>,
    pub last_error: Option<String>,
    pub vm_count: i64,
    pub version: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub compat_version: CompatVersion,
    pub cpu_arch: String,
    pub ksm_enabled: bool,
    pub ballooning_enabled: bool,
    pub host_count: i64,
    pub vm_count: i64,
    pub version: i32,
}

/// A shipped capabilities file a test-driver host can take its topology from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopologyFile {
    pub id: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddHostRequest {
    pub name: String,
    pub cluster_id: Uuid,
    pub uri: String,
    /// Only for `test:///` URIs: which shipped topology the host simulates.
    pub simulated_topology: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub cluster_name: Option<String>,
    pub optimized_for: OptimizedFor,
    pub memory_mib: i64,
    pub vcpus: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub username: Option<String>,
    pub severity: String,
    pub action: String,
    pub object_kind: String,
    pub object_name: Option<String>,
    pub result: String,
    pub message: String,
}
