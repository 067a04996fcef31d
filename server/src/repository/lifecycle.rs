//! The VM status and host placement writes the lifecycle and the reconciler make.

use super::{internal, Repository, RuntimePins};
use sqlx::types::Json;
use std::collections::HashMap;
use uuid::Uuid;
use vireo_app::domain::cpu_policy::StartPins;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::next_run::split_running_edit;
use vireo_app::domain::vm_config::VmConfig;
use vireo_app::error::AppError;
use vireo_app::models::VmStatus;

/// What `mark_vm_started` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StartRecorded {
    /// A save landed between the start's read and its write (the version had moved on).
    pub saved_meanwhile: bool,
    /// Labels of that save's fields that wait for the next start (the VM runs without them).
    pub pending: Vec<String>,
}

/// What the reconciler needs of a VM.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VmRuntime {
    pub id: Uuid,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub status: VmStatus,
    pub host_id: Option<Uuid>,
    pub high_availability: bool,
}

/// The columns of [`VmRuntime`] (a VM's HA switch is in its configuration).
const VM_RUNTIME_SELECT: &str = "SELECT id, name, status, host_id,
        COALESCE((config ->> 'high_availability')::boolean, false) AS high_availability
    FROM vms";

impl Repository {
    /// After a successful start: the configuration it runs with (`started`, read at `read_version`)
    /// becomes current and the pending one is cleared — unless a save landed between the start's
    /// read and this write. Then that save must not be lost: the VM runs `started`, so `config`
    /// becomes `started` plus the saved change's hot fields, and whatever needs a restart stays
    /// (or becomes) the next-run configuration, exactly as if the save had found the VM running.
    ///
    /// The version is compared under the row lock (as a save does), so a save committing while
    /// this runs either lands before the lock (seen here) or waits and then fails its own version
    /// check (the start bumps the version): in neither order is a saved configuration overwritten.
    pub async fn mark_vm_started(
        &self,
        id: Uuid,
        host_id: Uuid,
        started: &VmConfig,
        read_version: i32,
    ) -> Result<StartRecorded, AppError> {
        let mut tx = self.pool.begin().await.map_err(internal)?;
        let current = Self::lock_config(&mut tx, ConfigKind::Vm, id)
            .await?
            .ok_or_else(|| AppError::not_found("VM"))?;
        let (config, next_run, recorded) = if current.version == read_version {
            (started.clone(), None, StartRecorded::default())
        } else {
            // The configuration the user saved last: a pending one if the save found the VM
            // running, else the plain one (it found the VM still down).
            let intended = current.next_run.as_ref().unwrap_or(&current.config);
            let split = split_running_edit(started, intended);
            (
                split.now,
                split.next_run,
                StartRecorded {
                    saved_meanwhile: true,
                    pending: split.pending,
                },
            )
        };
        sqlx::query(
            "UPDATE vms SET status = 'up', host_id = $2, config = $3, next_run_config = $4,
                    status_changed_at = now(), version = version + 1, updated_at = now()
             WHERE id = $1 AND version = $5",
        )
        .bind(id)
        .bind(host_id)
        .bind(Json(&config))
        .bind(next_run.as_ref().map(Json))
        .bind(current.version)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok(recorded)
    }

    /// Sets the status; returns the previous one when it changed. Status only: it never writes
    /// `config`/`next_run_config` nor bumps the version, so it cannot undo a save however it
    /// interleaves with one (a save only reads the status, under its row lock, to decide whether
    /// the edit applies now or at the next start).
    pub async fn set_vm_status(&self, id: Uuid, status: VmStatus) -> Result<Option<VmStatus>, AppError> {
        // A VM that is down holds no host CPUs: its start-time pins go with it.
        let sql = "UPDATE vms v SET status = $2, status_changed_at = now(),
                    runtime_pins = CASE WHEN $2 = 'down' THEN NULL ELSE v.runtime_pins END
             FROM (SELECT id, status FROM vms WHERE id = $1 FOR UPDATE) old
             WHERE v.id = old.id AND old.status <> $2
             RETURNING old.status";
        let previous: Option<(String,)> = self
            .fetch_optional(sqlx::query_as(sql).bind(id).bind(status.as_str()))
            .await?;
        previous
            .map(|(s,)| VmStatus::try_from(s).map_err(|e| internal(sqlx::Error::Decode(Box::new(e)))))
            .transpose()
    }

    /// A disk change was plugged into the running VM: its pending disk list is now its current
    /// one (and the pending configuration goes when nothing else differs).
    pub async fn apply_pending_disks(&self, id: Uuid) -> Result<(), AppError> {
        let mut tx = self.pool.begin().await.map_err(internal)?;
        let current = Self::lock_config(&mut tx, ConfigKind::Vm, id)
            .await?
            .ok_or_else(|| AppError::not_found("VM"))?;
        let Some(next) = current.next_run else {
            return Ok(());
        };
        let mut now = current.config;
        now.disks = next.disks.clone();
        let next = (now != next).then_some(next);
        sqlx::query(
            "UPDATE vms SET config = $2, next_run_config = $3, version = version + 1, updated_at = now()
             WHERE id = $1",
        )
        .bind(id)
        .bind(Json(&now))
        .bind(next.as_ref().map(Json))
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)
    }

    pub async fn delete_vm(&self, id: Uuid) -> Result<(), AppError> {
        self.delete_row("DELETE FROM vms WHERE id = $1", id).await?;
        Ok(())
    }

    /// VMs Vireo believes are on `host_id` (placed there, or pinned there).
    pub async fn vms_on_host(&self, host_id: Uuid) -> Result<Vec<VmRuntime>, AppError> {
        let sql = format!("{VM_RUNTIME_SELECT} WHERE host_id = $1 ORDER BY name");
        self.fetch_all(sqlx::query_as(&sql).bind(host_id)).await
    }

    /// VMs Vireo believes are on any of these hosts, in one query (the reconcile of every host).
    pub async fn vms_on_hosts(&self, host_ids: &[Uuid]) -> Result<Vec<VmRuntime>, AppError> {
        let sql = format!("{VM_RUNTIME_SELECT} WHERE host_id = ANY($1) ORDER BY name");
        self.fetch_all(sqlx::query_as(&sql).bind(host_ids)).await
    }

    /// These VMs, where they are on one of these hosts (the reconcile after lifecycle events).
    pub async fn vms_by_id_on_hosts(&self, ids: &[Uuid], host_ids: &[Uuid]) -> Result<Vec<VmRuntime>, AppError> {
        let sql = format!("{VM_RUNTIME_SELECT} WHERE id = ANY($1) AND host_id = ANY($2) ORDER BY name");
        self.fetch_all(sqlx::query_as(&sql).bind(ids).bind(host_ids)).await
    }

    pub async fn vm_runtime(&self, id: Uuid) -> Result<Option<VmRuntime>, AppError> {
        self.fetch_optional(sqlx::query_as(&format!("{VM_RUNTIME_SELECT} WHERE id = $1")).bind(id))
            .await
    }
}

/// A VM holding (or that may hold) host CPUs on a host, as a start's reservation reads it.
#[derive(Clone, Debug)]
pub struct CpuHolderRow {
    pub id: Uuid,
    pub name: String,
    /// What it reserved at start; `None` for a VM running without a reservation (started before
    /// policies existed, or with the `none` policy and saved pins): its saved pins count then.
    pub runtime_pins: Option<RuntimePins>,
    pub config: VmConfig,
}

#[derive(sqlx::FromRow)]
struct HolderRow {
    id: Uuid,
    name: String,
    runtime_pins: Option<Json<RuntimePins>>,
    config: Json<VmConfig>,
}

/// First key of the per-host advisory lock that serializes CPU reservations (any constant no
/// other lock uses; the second key is the host id's hash).
const HOST_CPU_LOCK: i32 = 0x1919;

impl Repository {
    /// Reserves host CPUs for starting `vm_id` on `host_id`: under a per-host advisory lock (held
    /// to the end of the transaction, so two concurrent starts on one host take turns), reads what
    /// the other VMs there hold, lets `compute` choose the pins, and stores them with the VM, which
    /// becomes `powering_up` on that host. `compute` returning `None` (nothing to hold) changes
    /// nothing. A VM that is no longer down is refused (another start got there first).
    pub async fn reserve_runtime_pins<F>(
        &self,
        vm_id: Uuid,
        host_id: Uuid,
        compute: F,
    ) -> Result<Option<StartPins>, AppError>
    where
        F: FnOnce(&[CpuHolderRow]) -> Result<Option<StartPins>, AppError> + Send,
    {
        let mut tx = self.pool.begin().await.map_err(internal)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2::text))")
            .bind(HOST_CPU_LOCK)
            .bind(host_id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        let holders = Self::holder_rows(&mut tx, host_id, vm_id).await?;
        let Some(pins) = compute(&holders)? else {
            return Ok(None);
        };
        let reserved = RuntimePins {
            host_id,
            pins: pins.clone(),
        };
        let done = sqlx::query(
            "UPDATE vms SET runtime_pins = $2, status = 'powering_up', host_id = $3, status_changed_at = now()
             WHERE id = $1 AND status = 'down'",
        )
        .bind(vm_id)
        .bind(Json(&reserved))
        .bind(host_id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        if done.rows_affected() == 0 {
            return Err(AppError::conflict("The VM is already starting or running."));
        }
        tx.commit().await.map_err(internal)?;
        Ok(Some(pins))
    }

    /// What the VMs other than `vm_id` hold on `host_id` now (no lock: for previews).
    pub async fn cpu_holders(&self, host_id: Uuid, vm_id: Uuid) -> Result<Vec<CpuHolderRow>, AppError> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        Self::holder_rows(&mut conn, host_id, vm_id).await
    }

    /// `cpu_holders` for each of `host_ids`, in one query (a cluster's rule context: one query per
    /// host cost ~160 ms per save or start with 200 hosts, issue 16).
    pub async fn cpu_holders_on_hosts(
        &self,
        host_ids: &[Uuid],
        vm_id: Uuid,
    ) -> Result<HashMap<Uuid, Vec<CpuHolderRow>>, AppError> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        Self::holders_by_host(&mut conn, host_ids, vm_id).await
    }

    async fn holder_rows(
        conn: &mut sqlx::PgConnection,
        host_id: Uuid,
        vm_id: Uuid,
    ) -> Result<Vec<CpuHolderRow>, AppError> {
        let mut by_host = Self::holders_by_host(conn, &[host_id], vm_id).await?;
        Ok(by_host.remove(&host_id).unwrap_or_default())
    }

    /// The VMs other than `vm_id` holding CPUs on each of `host_ids`, by name: a VM counts on the
    /// host of its start's reservation, else, running without one, on the host it runs on.
    async fn holders_by_host(
        conn: &mut sqlx::PgConnection,
        host_ids: &[Uuid],
        vm_id: Uuid,
    ) -> Result<HashMap<Uuid, Vec<CpuHolderRow>>, AppError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            holder: HolderRow,
            holder_host: Option<String>,
        }
        let mut by_host: HashMap<Uuid, Vec<CpuHolderRow>> = HashMap::new();
        if host_ids.is_empty() {
            return Ok(by_host);
        }
        let texts: Vec<String> = host_ids.iter().map(Uuid::to_string).collect();
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, name, runtime_pins, config,
                    CASE WHEN runtime_pins IS NULL THEN host_id::text ELSE runtime_pins ->> 'host_id' END AS holder_host
             FROM vms
             WHERE id <> $3
               AND ((runtime_pins ->> 'host_id') = ANY($1::text[])
                    OR (runtime_pins IS NULL AND host_id = ANY($2::uuid[])
                        AND status IN ('up', 'powering_up', 'rebooting', 'paused', 'powering_down', 'unknown')))
             ORDER BY name",
        )
        .bind(texts)
        .bind(host_ids)
        .bind(vm_id)
        .fetch_all(conn)
        .await
        .map_err(internal)?;
        for row in rows {
            let Some(host) = row.holder_host.as_deref().and_then(|h| Uuid::parse_str(h).ok()) else {
                continue;
            };
            let r = row.holder;
            by_host.entry(host).or_default().push(CpuHolderRow {
                id: r.id,
                name: r.name,
                runtime_pins: r.runtime_pins.map(|j| j.0),
                config: r.config.0,
            });
        }
        Ok(by_host)
    }

    /// A start that reserved CPUs failed: the VM is down again, on the host it was on before,
    /// holding nothing.
    pub async fn release_start(&self, vm_id: Uuid, previous_host: Option<Uuid>) -> Result<(), AppError> {
        sqlx::query(
            "UPDATE vms SET status = 'down', runtime_pins = NULL, host_id = $2, status_changed_at = now()
             WHERE id = $1",
        )
        .bind(vm_id)
        .bind(previous_host)
        .execute(&self.pool)
        .await
        .map_err(internal)
        .map(|_| ())
    }
}

impl Repository {
    /// A pending next-run configuration (seeding).
    pub async fn set_next_run_by_name(
        &self,
        conn: &mut sqlx::PgConnection,
        name: &str,
        next: &VmConfig,
    ) -> Result<(), AppError> {
        sqlx::query("UPDATE vms SET next_run_config = $2 WHERE name = $1")
            .bind(name)
            .bind(Json(next))
            .execute(conn)
            .await
            .map_err(internal)
            .map(|_| ())
    }
}
