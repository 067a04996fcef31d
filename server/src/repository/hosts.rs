use super::{internal, Repository};
use sqlx::types::Json;
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::domain::host_topology::HostTopology;
use vireo_app::error::AppError;
use vireo_app::models::{HostStatus, HostView};

/// A row as every host query selects it (also the Hosts grid's).
#[derive(sqlx::FromRow)]
pub(super) struct HostRow {
    id: Uuid,
    name: String,
    cluster_id: Uuid,
    cluster_name: String,
    uri: String,
    status: String,
    simulated_topology: Option<String>,
    topology: Json<HostTopology>,
    ksm_running: Option<bool>,
    last_error: Option<String>,
    vm_count: i64,
    version: i32,
}

impl From<HostRow> for HostView {
    fn from(r: HostRow) -> Self {
        HostView {
            id: r.id,
            name: r.name,
            cluster_id: r.cluster_id,
            cluster_name: r.cluster_name,
            uri: r.uri,
            status: HostStatus::parse(&r.status).unwrap_or(HostStatus::NonResponsive),
            simulated_topology: r.simulated_topology,
            topology: r.topology.0,
            ksm_running: r.ksm_running,
            last_error: r.last_error,
            vm_count: r.vm_count,
            version: r.version,
        }
    }
}

const SELECT: &str = "SELECT h.id, h.name, h.cluster_id, c.name AS cluster_name, h.uri, h.status,
        h.simulated_topology, h.topology, h.ksm_running, h.last_error, h.version,
        (SELECT count(*) FROM vms v WHERE v.host_id = h.id) AS vm_count
    FROM hosts h JOIN clusters c ON c.id = h.cluster_id";

/// A host as a start chooses where to run (`host_choices`).
#[derive(Clone, Debug)]
pub struct HostChoice {
    pub id: Uuid,
    pub name: String,
    pub cluster_id: Uuid,
    pub status: HostStatus,
    pub vm_count: i64,
}

pub struct NewHost<'a> {
    pub name: &'a str,
    pub cluster_id: Uuid,
    pub uri: &'a str,
    pub status: HostStatus,
    pub simulated_topology: Option<&'a str>,
    pub topology: &'a HostTopology,
    pub ksm_running: Option<bool>,
    pub last_error: Option<&'a str>,
    /// SSH hosts: the pinned host key (`<type> <base64>`), confirmed by the admin.
    pub ssh_host_key: Option<&'a str>,
}

impl Repository {
    pub async fn list_hosts(&self) -> Result<Vec<HostView>, AppError> {
        let sql = format!("{SELECT} ORDER BY h.name");
        let rows: Vec<HostRow> = self.fetch_all(sqlx::query_as(&sql)).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn host(&self, id: Uuid) -> Result<Option<HostView>, AppError> {
        let sql = format!("{SELECT} WHERE h.id = $1");
        let row: Option<HostRow> = self.fetch_optional(sqlx::query_as(&sql).bind(id)).await?;
        Ok(row.map(Into::into))
    }

    /// Every host as a start chooses among them: without its topology, whose decoding (every CPU
    /// set in it parsed) was most of what reading all hosts cost (17 ms of a start's ~90 with 200
    /// hosts, before CPU sets parsed faster: issue 16).
    pub async fn host_choices(&self) -> Result<Vec<HostChoice>, AppError> {
        let rows: Vec<(Uuid, String, Uuid, String, i64)> = self
            .fetch_all(sqlx::query_as(
                "SELECT h.id, h.name, h.cluster_id, h.status,
                        (SELECT count(*) FROM vms v WHERE v.host_id = h.id) AS vm_count
                 FROM hosts h ORDER BY h.name",
            ))
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, cluster_id, status, vm_count)| HostChoice {
                id,
                name,
                cluster_id,
                status: HostStatus::parse(&status).unwrap_or(HostStatus::NonResponsive),
                vm_count,
            })
            .collect())
    }

    pub async fn count_hosts(&self) -> Result<i64, AppError> {
        self.count("SELECT count(*) FROM hosts").await
    }

    /// Checked before connecting to a new host: whether a host already has this name ("name", checked first) or this URI ("uri"). `uri` is
    /// `None` for simulated hosts, which share the test driver's URI.
    pub async fn host_name_or_uri_taken(
        &self,
        name: &str,
        uri: Option<&str>,
    ) -> Result<Option<&'static str>, AppError> {
        let sql = "SELECT name = $1 FROM hosts WHERE name = $1 OR (simulated_topology IS NULL AND uri = $2)
             ORDER BY name = $1 DESC LIMIT 1";
        let row: Option<(bool,)> = self.fetch_optional(sqlx::query_as(sql).bind(name).bind(uri)).await?;
        Ok(row.map(|(by_name,)| if by_name { "name" } else { "uri" }))
    }

    pub async fn insert_host(&self, _actor: &Actor, host: NewHost<'_>) -> Result<Uuid, AppError> {
        let id = Uuid::new_v4();
        let query = sqlx::query(
            "INSERT INTO hosts (id, name, cluster_id, uri, status, simulated_topology, topology, ksm_running, last_error, ssh_host_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(host.name)
        .bind(host.cluster_id)
        .bind(host.uri)
        .bind(host.status.as_str())
        .bind(host.simulated_topology)
        .bind(Json(host.topology))
        .bind(host.ksm_running)
        .bind(host.last_error)
        .bind(host.ssh_host_key);
        self.execute_named(query, "host", host.name).await?;
        Ok(id)
    }

    /// Every SSH host's URI and pinned host key, for the connections' known_hosts files.
    pub async fn pinned_ssh_host_keys(&self) -> Result<Vec<(String, String)>, AppError> {
        let sql = "SELECT uri, ssh_host_key FROM hosts WHERE ssh_host_key IS NOT NULL ORDER BY name";
        self.fetch_all(sqlx::query_as(sql)).await
    }

    /// Records the outcome of a liveness check; returns the previous status when it changed.
    pub async fn set_host_status(
        &self,
        id: Uuid,
        status: HostStatus,
        last_error: Option<&str>,
    ) -> Result<Option<HostStatus>, AppError> {
        let sql = "UPDATE hosts h SET status = $2, last_error = $3, updated_at = now()
             FROM (SELECT id, status FROM hosts WHERE id = $1 FOR UPDATE) old
             WHERE h.id = old.id AND (old.status <> $2 OR h.last_error IS DISTINCT FROM $3)
             RETURNING old.status";
        let previous: Option<(String,)> = self
            .fetch_optional(sqlx::query_as(sql).bind(id).bind(status.as_str()).bind(last_error))
            .await?;
        Ok(previous
            .and_then(|(s,)| HostStatus::parse(&s))
            .filter(|old| *old != status))
    }
}

impl Repository {
    pub async fn set_host_ksm(&self, _actor: &Actor, id: Uuid, running: Option<bool>) -> Result<(), AppError> {
        let sql = "UPDATE hosts SET ksm_running = $2, version = version + 1, updated_at = now() WHERE id = $1";
        self.execute(sqlx::query(sql).bind(id).bind(running)).await?;
        Ok(())
    }

    pub async fn set_host_topology(&self, id: Uuid, topology: &HostTopology) -> Result<(), AppError> {
        let sql = "UPDATE hosts SET topology = $2, version = version + 1, updated_at = now() WHERE id = $1";
        self.execute(sqlx::query(sql).bind(id).bind(Json(topology))).await?;
        Ok(())
    }
}

impl Repository {
    pub async fn host_cpu_quirks(&self, id: Uuid) -> Result<Vec<String>, AppError> {
        sqlx::query_scalar("SELECT disabled_cpu_features FROM hosts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(internal)
            .map(Option::unwrap_or_default)
    }

    pub async fn add_host_cpu_quirk(&self, id: Uuid, feature: &str) -> Result<(), AppError> {
        let sql = "UPDATE hosts SET disabled_cpu_features = array_append(disabled_cpu_features, $2)
             WHERE id = $1 AND NOT ($2 = ANY (disabled_cpu_features))";
        self.execute(sqlx::query(sql).bind(id).bind(feature)).await?;
        Ok(())
    }
}
