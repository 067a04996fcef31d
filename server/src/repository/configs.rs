//! VMs, Templates and Pools: the three tables that hold a `VmConfig`. One record type serves all
//! three (pools add size and prestarted; VMs add pool, host, status and next-run configuration).

use super::{internal, Repository};
use sqlx::types::Json;
use sqlx::PgConnection;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::domain::cpu_policy::StartPins;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::vm_config::{OptimizedFor, VmConfig};
use vireo_app::error::AppError;
use vireo_app::models::{TemplateOption, VmStatus};

#[derive(Clone, Debug)]
pub struct ConfigRecord {
    pub kind: ConfigKind,
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub cluster_id: Option<Uuid>,
    pub template_id: Option<Uuid>,
    pub instance_type_id: Option<Uuid>,
    pub pool_id: Option<Uuid>,
    pub host_id: Option<Uuid>,
    pub size: i32,
    pub prestarted: i32,
    pub status: VmStatus,
    pub config: VmConfig,
    pub next_run: Option<VmConfig>,
    /// For a running VM under a CPU pinning policy: the pins it got at start (and its host).
    pub runtime_pins: Option<RuntimePins>,
    pub version: i32,
    pub created_at: OffsetDateTime,
    /// When the status last changed (VMs; the creation time for templates and pools).
    pub status_changed_at: OffsetDateTime,
}

impl ConfigRecord {
    pub fn running(&self) -> bool {
        self.status.is_active()
    }

    /// The configuration as it runs: for a running VM that got pins at start, its configuration
    /// with those pins (what the Domain XML tab and the host CPU map show); else its configuration.
    pub fn effective_config(&self) -> VmConfig {
        match (&self.runtime_pins, self.running()) {
            (Some(r), true) => r.pins.apply(&self.config),
            _ => self.config.clone(),
        }
    }
}

/// What `vms.runtime_pins` holds: the host a start reserved CPUs on and what it got there.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RuntimePins {
    pub host_id: Uuid,
    pub pins: StartPins,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    description: String,
    cluster_id: Option<Uuid>,
    template_id: Option<Uuid>,
    instance_type_id: Option<Uuid>,
    pool_id: Option<Uuid>,
    host_id: Option<Uuid>,
    size: i32,
    prestarted: i32,
    #[sqlx(try_from = "String")]
    status: VmStatus,
    config: Json<VmConfig>,
    next_run: Option<Json<VmConfig>>,
    runtime_pins: Option<Json<RuntimePins>>,
    version: i32,
    created_at: OffsetDateTime,
    status_changed_at: OffsetDateTime,
}

fn select(kind: ConfigKind) -> &'static str {
    match kind {
        ConfigKind::Vm => {
            "SELECT id, name, description, cluster_id, template_id, instance_type_id, pool_id, host_id,
                    0 AS size, 0 AS prestarted, status, config, next_run_config AS next_run, runtime_pins, version, created_at,
                    status_changed_at FROM vms"
        }
        ConfigKind::Template => {
            "SELECT id, name, description, cluster_id, NULL::uuid AS template_id, NULL::uuid AS instance_type_id,
                    NULL::uuid AS pool_id, NULL::uuid AS host_id, 0 AS size, 0 AS prestarted, 'down' AS status,
                    config, NULL::jsonb AS next_run, NULL::jsonb AS runtime_pins, version, created_at, created_at AS status_changed_at
             FROM templates"
        }
        ConfigKind::Pool => {
            "SELECT id, name, description, cluster_id, template_id, NULL::uuid AS instance_type_id,
                    NULL::uuid AS pool_id, NULL::uuid AS host_id, size, prestarted, 'down' AS status,
                    config, NULL::jsonb AS next_run, NULL::jsonb AS runtime_pins, version, created_at, created_at AS status_changed_at
             FROM vm_pools"
        }
    }
}

/// Binds what every kind's insert and update take first: `$1` id, `$2` name, `$3` description,
/// `$4` cluster. A macro because inserts are `query` and updates `query_scalar` (different types
/// with the same `bind`).
macro_rules! bind_head {
    ($query:expr, $w:expr) => {
        $query
            .bind($w.id)
            .bind($w.name)
            .bind($w.description)
            .bind($w.cluster_id)
    };
}

fn record(kind: ConfigKind, r: Row) -> ConfigRecord {
    ConfigRecord {
        kind,
        id: r.id,
        name: r.name,
        description: r.description,
        cluster_id: r.cluster_id,
        template_id: r.template_id,
        instance_type_id: r.instance_type_id,
        pool_id: r.pool_id,
        host_id: r.host_id,
        size: r.size,
        prestarted: r.prestarted,
        status: r.status,
        config: r.config.0,
        next_run: r.next_run.map(|j| j.0),
        runtime_pins: r.runtime_pins.map(|j| j.0),
        version: r.version,
        created_at: r.created_at,
        status_changed_at: r.status_changed_at,
    }
}

/// The row a save writes (the record minus what the database owns).
pub struct ConfigWrite<'a> {
    pub kind: ConfigKind,
    pub id: Uuid,
    pub name: &'a str,
    pub description: &'a str,
    pub cluster_id: Option<Uuid>,
    pub template_id: Option<Uuid>,
    pub instance_type_id: Option<Uuid>,
    pub pool_id: Option<Uuid>,
    pub size: i32,
    pub prestarted: i32,
    pub config: &'a VmConfig,
    pub next_run: Option<&'a VmConfig>,
}

impl Repository {
    pub async fn config_record(&self, kind: ConfigKind, id: Uuid) -> Result<Option<ConfigRecord>, AppError> {
        let row: Option<Row> = self
            .fetch_optional(sqlx::query_as(&format!("{} WHERE id = $1", select(kind))).bind(id))
            .await?;
        Ok(row.map(|r| record(kind, r)))
    }

    /// Records by id, in the order of `ids` (ids that do not exist are skipped).
    pub async fn config_records(&self, kind: ConfigKind, ids: &[Uuid]) -> Result<Vec<ConfigRecord>, AppError> {
        let sql = format!("{} WHERE id = ANY($1)", select(kind));
        let rows: Vec<Row> = self.fetch_all(sqlx::query_as(&sql).bind(ids)).await?;
        let mut by_id: std::collections::HashMap<Uuid, ConfigRecord> =
            rows.into_iter().map(|r| (r.id, record(kind, r))).collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// Locks the row for the rest of the transaction (the version check happens under the lock).
    pub async fn lock_config(
        conn: &mut PgConnection,
        kind: ConfigKind,
        id: Uuid,
    ) -> Result<Option<ConfigRecord>, AppError> {
        let row: Option<Row> = sqlx::query_as(&format!("{} WHERE id = $1 FOR UPDATE", select(kind)))
            .bind(id)
            .fetch_optional(conn)
            .await
            .map_err(internal)?;
        Ok(row.map(|r| record(kind, r)))
    }

    /// Another object of the same kind already has the name.
    pub async fn config_name_taken(
        conn: &mut PgConnection,
        kind: ConfigKind,
        name: &str,
        except: Option<Uuid>,
    ) -> Result<bool, AppError> {
        sqlx::query_scalar(&format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE name = $1 AND id IS DISTINCT FROM $2)",
            kind.table()
        ))
        .bind(name)
        .bind(except)
        .fetch_one(conn)
        .await
        .map_err(internal)
    }

    pub async fn insert_config(conn: &mut PgConnection, _actor: &Actor, w: &ConfigWrite<'_>) -> Result<(), AppError> {
        let sql = match w.kind {
            ConfigKind::Vm => {
                "INSERT INTO vms (id, name, description, cluster_id, template_id, pool_id, instance_type_id, config)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            }
            ConfigKind::Template => {
                "INSERT INTO templates (id, name, description, cluster_id, config) VALUES ($1, $2, $3, $4, $5)"
            }
            ConfigKind::Pool => {
                "INSERT INTO vm_pools (id, name, description, cluster_id, template_id, size, prestarted, config)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            }
        };
        let query = bind_head!(sqlx::query(sql), w);
        let query = match w.kind {
            ConfigKind::Vm => query
                .bind(w.template_id)
                .bind(w.pool_id)
                .bind(w.instance_type_id)
                .bind(Json(w.config)),
            ConfigKind::Template => query.bind(Json(w.config)),
            ConfigKind::Pool => query
                .bind(w.template_id)
                .bind(w.size)
                .bind(w.prestarted)
                .bind(Json(w.config)),
        };
        query
            .execute(conn)
            .await
            .map(|_| ())
            .map_err(super::db_error(w.kind.label(), w.name))
    }

    /// Updates under the version check; the caller holds the row lock.
    pub async fn update_config(
        conn: &mut PgConnection,
        _actor: &Actor,
        w: &ConfigWrite<'_>,
        expected_version: i32,
    ) -> Result<i32, AppError> {
        let sql = match w.kind {
            ConfigKind::Vm => {
                "UPDATE vms SET name = $2, description = $3, cluster_id = $4, template_id = $5, instance_type_id = $6,
                        config = $7, next_run_config = $8, version = version + 1, updated_at = now()
                 WHERE id = $1 AND version = $9 RETURNING version"
            }
            ConfigKind::Template => {
                "UPDATE templates SET name = $2, description = $3, cluster_id = $4, config = $5, version = version + 1,
                        updated_at = now()
                 WHERE id = $1 AND version = $6 RETURNING version"
            }
            ConfigKind::Pool => {
                "UPDATE vm_pools SET name = $2, description = $3, cluster_id = $4, template_id = $5, size = $6,
                        prestarted = $7, config = $8, version = version + 1, updated_at = now()
                 WHERE id = $1 AND version = $9 RETURNING version"
            }
        };
        let query = bind_head!(sqlx::query_scalar(sql), w);
        let query = match w.kind {
            ConfigKind::Vm => query
                .bind(w.template_id)
                .bind(w.instance_type_id)
                .bind(Json(w.config))
                .bind(w.next_run.map(Json)),
            ConfigKind::Template => query.bind(Json(w.config)),
            ConfigKind::Pool => query
                .bind(w.template_id)
                .bind(w.size)
                .bind(w.prestarted)
                .bind(Json(w.config)),
        };
        let version: Option<i32> = query
            .bind(expected_version)
            .fetch_optional(conn)
            .await
            .map_err(super::db_error(w.kind.label(), w.name))?;
        version.ok_or_else(|| AppError::conflict(format!("{} {} was changed by someone else.", w.kind.label(), w.name)))
    }

    /// The pool's VMs, by name.
    pub async fn pool_vms(conn: &mut PgConnection, pool_id: Uuid) -> Result<Vec<ConfigRecord>, AppError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "{} WHERE pool_id = $1 ORDER BY name FOR UPDATE",
            select(ConfigKind::Vm)
        ))
        .bind(pool_id)
        .fetch_all(conn)
        .await
        .map_err(internal)?;
        Ok(rows.into_iter().map(|r| record(ConfigKind::Vm, r)).collect())
    }

    /// The pool's VMs, by name (no lock).
    pub async fn pool_vm_records(&self, pool_id: Uuid) -> Result<Vec<ConfigRecord>, AppError> {
        let sql = format!("{} WHERE pool_id = $1 ORDER BY name", select(ConfigKind::Vm));
        let rows: Vec<Row> = self.fetch_all(sqlx::query_as(&sql).bind(pool_id)).await?;
        Ok(rows.into_iter().map(|r| record(ConfigKind::Vm, r)).collect())
    }

    /// The VMs pinned to each of `host_ids` (their first placement host), by name, `except` left
    /// out: whose CPUs and huge pages the rules must not hand out again. One query for a whole
    /// cluster's hosts (asked host by host, a save's or start's rule context cost two queries per
    /// host in the cluster: ~160 ms with 200 hosts, issue 16).
    pub async fn vms_pinned_to_hosts(
        &self,
        host_ids: &[Uuid],
        except: Option<Uuid>,
    ) -> Result<HashMap<Uuid, Vec<ConfigRecord>>, AppError> {
        let mut by_host: HashMap<Uuid, Vec<ConfigRecord>> = HashMap::new();
        if host_ids.is_empty() {
            return Ok(by_host);
        }
        let sql = format!(
            "{} WHERE config -> 'placement_hosts' ->> 0 = ANY($1::text[]) AND id IS DISTINCT FROM $2 ORDER BY name",
            select(ConfigKind::Vm)
        );
        let ids: Vec<String> = host_ids.iter().map(Uuid::to_string).collect();
        let query = sqlx::query_as(&sql).bind(ids).bind(except);
        let rows: Vec<Row> = self.fetch_all(query).await?;
        for vm in rows.into_iter().map(|r| record(ConfigKind::Vm, r)) {
            if let Some(host) = vm.config.placement_hosts.first() {
                by_host.entry(*host).or_default().push(vm);
            }
        }
        Ok(by_host)
    }

    /// In one query, every VM the High Performance rules look at when judging them all at once:
    /// the High Performance ones (to judge) and every VM pinned to a host (`placement_hosts[0]`,
    /// as `vms_pinned_to` reads it: their CPUs and huge pages are claims on that host).
    pub async fn vms_for_rule_pass(&self) -> Result<Vec<ConfigRecord>, AppError> {
        let sql = format!(
            "{} WHERE optimized_for = 'high_performance' OR config -> 'placement_hosts' ->> 0 IS NOT NULL ORDER BY name",
            select(ConfigKind::Vm)
        );
        let rows: Vec<Row> = self.fetch_all(sqlx::query_as(&sql)).await?;
        Ok(rows.into_iter().map(|r| record(ConfigKind::Vm, r)).collect())
    }

    /// VMs pinned to `host_id` (first placement host) or running on it, by name, at most
    /// `MAX_MAP_VMS`: what the host's CPU map draws.
    pub async fn vms_on_cpu_map(&self, host_id: Uuid) -> Result<Vec<ConfigRecord>, AppError> {
        let sql = format!(
            "{} WHERE config -> 'placement_hosts' ->> 0 = $1 OR host_id = $2 ORDER BY name, id LIMIT $3",
            select(ConfigKind::Vm)
        );
        let limit = i64::try_from(vireo_app::domain::cpu_map::MAX_MAP_VMS).unwrap_or(i64::MAX);
        let query = sqlx::query_as(&sql).bind(host_id.to_string()).bind(host_id).bind(limit);
        let rows: Vec<Row> = self.fetch_all(query).await?;
        Ok(rows.into_iter().map(|r| record(ConfigKind::Vm, r)).collect())
    }

    pub async fn template_options(&self) -> Result<Vec<TemplateOption>, AppError> {
        let sql = "SELECT id, name, cluster_id, optimized_for FROM templates ORDER BY name = 'Blank' DESC, name";
        let rows: Vec<(Uuid, String, Option<Uuid>, Option<String>)> = self.fetch_all(sqlx::query_as(sql)).await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, cluster_id, o)| TemplateOption {
                id,
                name,
                cluster_id,
                optimized_for: o.as_deref().and_then(OptimizedFor::parse).unwrap_or_default(),
            })
            .collect())
    }
}
