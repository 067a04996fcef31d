//! Storage domains (libvirt pools as Vireo last read them) and disks (their volumes).
//! `disk_attachments` is kept by a trigger from the configurations; it is only read here.

use super::{internal, Repository};
use sqlx::types::Json;
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::domain::storage::{DiskContent, DiskFormat, DiskStatus, StorageDomainStatus};
use vireo_app::error::AppError;
use vireo_app::models::{AttachedTo, DiskView, StorageDomainView};

/// A storage domain with what libvirt calls need: its host's URI.
#[derive(Clone, Debug)]
pub struct StorageDomainRecord {
    pub view: StorageDomainView,
    pub host_uri: String,
}

/// A disk with where its volume lives.
#[derive(Clone, Debug)]
pub struct DiskRecord {
    pub view: DiskView,
    pub volume_name: String,
    /// The libvirt pool (its storage domain's name) and the host's URI.
    pub pool: String,
    pub host_uri: String,
}

/// A disk row to insert (its volume exists on the host).
pub struct NewDiskRow<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub description: &'a str,
    pub storage_domain_id: Uuid,
    pub volume_name: &'a str,
    pub path: &'a str,
    pub format: DiskFormat,
    pub content: DiskContent,
    pub provisioned_bytes: u64,
    pub actual_bytes: u64,
    pub sparse: bool,
    pub backing_disk_id: Option<Uuid>,
    pub status: DiskStatus,
}

/// A pool as read from its host, to store.
pub struct PoolRow<'a> {
    pub name: &'a str,
    pub pool_uuid: Option<Uuid>,
    pub pool_type: &'a str,
    pub path: &'a str,
    pub capacity: u64,
    pub allocation: u64,
    pub available: u64,
    pub active: bool,
}

/// Bytes as PostgreSQL's bigint holds them (a size past i64 is not a real volume; it saturates).
fn bytes(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[derive(sqlx::FromRow)]
pub(super) struct StorageDomainRow {
    id: Uuid,
    name: String,
    host_id: Uuid,
    host_name: String,
    host_uri: String,
    pool_type: String,
    path: String,
    capacity_bytes: i64,
    allocation_bytes: i64,
    available_bytes: i64,
    status: String,
    disk_count: i64,
}

impl StorageDomainRow {
    fn record(self) -> StorageDomainRecord {
        StorageDomainRecord {
            host_uri: self.host_uri,
            view: StorageDomainView {
                id: self.id,
                name: self.name,
                host_id: self.host_id,
                host_name: self.host_name,
                pool_type: self.pool_type,
                path: self.path,
                capacity_bytes: self.capacity_bytes,
                allocation_bytes: self.allocation_bytes,
                available_bytes: self.available_bytes,
                // The column's CHECK admits only these.
                status: StorageDomainStatus::parse(&self.status).unwrap_or(StorageDomainStatus::Unknown),
                disk_count: self.disk_count,
            },
        }
    }
}

impl From<StorageDomainRow> for StorageDomainView {
    fn from(r: StorageDomainRow) -> Self {
        r.record().view
    }
}

/// The select list of every storage domain query (and the grid's).
pub(super) const STORAGE_DOMAIN_COLUMNS: &str = "sd.id, sd.name, sd.host_id, h.name AS host_name, h.uri AS host_uri,
    sd.pool_type, sd.path, sd.capacity_bytes, sd.allocation_bytes, sd.available_bytes, sd.status,
    (SELECT count(*) FROM disks d WHERE d.storage_domain_id = sd.id) AS disk_count";

#[derive(sqlx::FromRow)]
pub(super) struct DiskRow {
    id: Uuid,
    name: String,
    description: String,
    storage_domain_id: Uuid,
    storage_domain_name: String,
    host_id: Uuid,
    host_uri: String,
    volume_name: String,
    path: String,
    format: String,
    content: String,
    provisioned_bytes: i64,
    actual_bytes: i64,
    sparse: bool,
    backing_disk_id: Option<Uuid>,
    status: String,
    attached_to: Json<Vec<AttachedTo>>,
    version: i32,
}

impl DiskRow {
    fn record(self) -> DiskRecord {
        DiskRecord {
            volume_name: self.volume_name,
            pool: self.storage_domain_name.clone(),
            host_uri: self.host_uri,
            view: DiskView {
                id: self.id,
                name: self.name,
                description: self.description,
                storage_domain_id: self.storage_domain_id,
                storage_domain_name: self.storage_domain_name,
                host_id: self.host_id,
                provisioned_bytes: self.provisioned_bytes,
                actual_bytes: self.actual_bytes,
                // The columns' CHECKs admit only these.
                format: DiskFormat::parse(&self.format).unwrap_or_default(),
                content: DiskContent::parse(&self.content).unwrap_or_default(),
                sparse: self.sparse,
                status: DiskStatus::parse(&self.status).unwrap_or(DiskStatus::Illegal),
                backing_disk_id: self.backing_disk_id,
                attached_to: self.attached_to.0,
                path: self.path,
                version: self.version,
            },
        }
    }
}

impl From<DiskRow> for DiskView {
    fn from(r: DiskRow) -> Self {
        r.record().view
    }
}

/// The select list of every disk query (and the grid's): the disk, its domain and host, and
/// the objects it is attached to.
pub(super) const DISK_COLUMNS: &str = "d.id, d.name, d.description, d.storage_domain_id,
    sd.name AS storage_domain_name, sd.host_id, (SELECT uri FROM hosts WHERE id = sd.host_id) AS host_uri,
    d.volume_name, d.path, d.format, d.content, d.provisioned_bytes, d.actual_bytes, d.sparse,
    d.backing_disk_id, d.status, d.version,
    COALESCE((SELECT jsonb_agg(jsonb_build_object('kind', a.owner_kind, 'id', a.owner_id,
                  'name', COALESCE(v.name, t.name, p.name, '')) ORDER BY a.owner_kind, a.owner_id)
              FROM disk_attachments a
              LEFT JOIN vms v ON a.owner_kind = 'vm' AND v.id = a.owner_id
              LEFT JOIN templates t ON a.owner_kind = 'template' AND t.id = a.owner_id
              LEFT JOIN vm_pools p ON a.owner_kind = 'pool' AND p.id = a.owner_id
              WHERE a.disk_id = d.id), '[]'::jsonb) AS attached_to";

const DISK_FROM: &str = "disks d JOIN storage_domains sd ON sd.id = d.storage_domain_id";

/// A foreign-key violation (23503): a row another row still needs.
fn still_referenced(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("23503"))
}

impl Repository {
    // --- Storage domains

    pub async fn storage_domain(&self, id: Uuid) -> Result<Option<StorageDomainRecord>, AppError> {
        let sql = format!(
            "SELECT {STORAGE_DOMAIN_COLUMNS} FROM storage_domains sd JOIN hosts h ON h.id = sd.host_id WHERE sd.id = $1"
        );
        let row: Option<StorageDomainRow> = self.fetch_optional(sqlx::query_as(&sql).bind(id)).await?;
        Ok(row.map(StorageDomainRow::record))
    }

    /// Every storage domain, by host and name; `active_only`: those a disk can be created in.
    pub async fn list_storage_domains(&self, active_only: bool) -> Result<Vec<StorageDomainView>, AppError> {
        let sql = format!(
            "SELECT {STORAGE_DOMAIN_COLUMNS} FROM storage_domains sd JOIN hosts h ON h.id = sd.host_id
             WHERE NOT $1 OR sd.status = 'active' ORDER BY h.name, sd.name"
        );
        let rows: Vec<StorageDomainRow> = self.fetch_all(sqlx::query_as(&sql).bind(active_only)).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Makes the host's rows what libvirt says: pools are added or updated by name; rows of pools
    /// the host no longer has turn `unknown` (a domain with Vireo's disks is never dropped behind
    /// the user's back) or go when they hold none.
    pub async fn sync_storage_domains(&self, host_id: Uuid, pools: &[PoolRow<'_>]) -> Result<(), AppError> {
        let mut tx = self.pool.begin().await.map_err(internal)?;
        for p in pools {
            sqlx::query(
                "INSERT INTO storage_domains (id, host_id, name, pool_uuid, pool_type, path, capacity_bytes,
                     allocation_bytes, available_bytes, status)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (host_id, name) DO UPDATE SET pool_uuid = EXCLUDED.pool_uuid,
                     pool_type = EXCLUDED.pool_type, path = EXCLUDED.path,
                     capacity_bytes = EXCLUDED.capacity_bytes, allocation_bytes = EXCLUDED.allocation_bytes,
                     available_bytes = EXCLUDED.available_bytes, status = EXCLUDED.status, refreshed_at = now()
                 WHERE (storage_domains.pool_uuid, storage_domains.pool_type, storage_domains.path,
                        storage_domains.capacity_bytes, storage_domains.allocation_bytes,
                        storage_domains.available_bytes, storage_domains.status)
                   IS DISTINCT FROM (EXCLUDED.pool_uuid, EXCLUDED.pool_type, EXCLUDED.path,
                        EXCLUDED.capacity_bytes, EXCLUDED.allocation_bytes, EXCLUDED.available_bytes,
                        EXCLUDED.status)",
            )
            .bind(Uuid::new_v4())
            .bind(host_id)
            .bind(p.name)
            .bind(p.pool_uuid)
            .bind(p.pool_type)
            .bind(p.path)
            .bind(bytes(p.capacity))
            .bind(bytes(p.allocation))
            .bind(bytes(p.available))
            .bind(if p.active { "active" } else { "inactive" })
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        }
        let names: Vec<&str> = pools.iter().map(|p| p.name).collect();
        sqlx::query(
            "DELETE FROM storage_domains sd WHERE sd.host_id = $1 AND NOT (sd.name = ANY($2))
               AND NOT EXISTS (SELECT 1 FROM disks d WHERE d.storage_domain_id = sd.id)",
        )
        .bind(host_id)
        .bind(&names)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        sqlx::query(
            "UPDATE storage_domains SET status = 'unknown', refreshed_at = now()
             WHERE host_id = $1 AND NOT (name = ANY($2)) AND status <> 'unknown'",
        )
        .bind(host_id)
        .bind(&names)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)
    }

    /// The host did not answer: its domains' state is unknown until it does.
    pub async fn mark_host_storage_unknown(&self, host_id: Uuid) -> Result<(), AppError> {
        self.execute(
            sqlx::query("UPDATE storage_domains SET status = 'unknown' WHERE host_id = $1 AND status <> 'unknown'")
                .bind(host_id),
        )
        .await
        .map(|_| ())
    }

    pub async fn delete_storage_domain(&self, _actor: &Actor, id: Uuid) -> Result<bool, AppError> {
        sqlx::query("DELETE FROM storage_domains WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected() > 0)
            .map_err(|e| {
                if still_referenced(&e) {
                    AppError::conflict("The storage domain still holds disks; remove them first.")
                } else {
                    internal(e)
                }
            })
    }

    // --- Disks

    pub async fn disk(&self, id: Uuid) -> Result<Option<DiskRecord>, AppError> {
        let sql = format!("SELECT {DISK_COLUMNS} FROM {DISK_FROM} WHERE d.id = $1");
        let row: Option<DiskRow> = self.fetch_optional(sqlx::query_as(&sql).bind(id)).await?;
        Ok(row.map(DiskRow::record))
    }

    /// The disks with these ids (any order; missing ids are left out).
    pub async fn disks(&self, ids: &[Uuid]) -> Result<Vec<DiskRecord>, AppError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT {DISK_COLUMNS} FROM {DISK_FROM} WHERE d.id = ANY($1)");
        let rows: Vec<DiskRow> = self.fetch_all(sqlx::query_as(&sql).bind(ids)).await?;
        Ok(rows.into_iter().map(DiskRow::record).collect())
    }

    /// ISO images, for the CD-ROM select.
    pub async fn iso_disks(&self) -> Result<Vec<DiskView>, AppError> {
        let sql = format!(
            "SELECT {DISK_COLUMNS} FROM {DISK_FROM} WHERE d.content = 'iso' AND d.status = 'ok' ORDER BY d.name LIMIT 500"
        );
        let rows: Vec<DiskRow> = self.fetch_all(sqlx::query_as(&sql)).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Disks in a storage domain (their volumes, for the test driver's re-creation).
    pub async fn disks_in_domain(&self, storage_domain_id: Uuid) -> Result<Vec<DiskRecord>, AppError> {
        let sql = format!(
            "SELECT {DISK_COLUMNS} FROM {DISK_FROM} WHERE d.storage_domain_id = $1
             ORDER BY d.backing_disk_id NULLS FIRST, d.created_at"
        );
        let rows: Vec<DiskRow> = self.fetch_all(sqlx::query_as(&sql).bind(storage_domain_id)).await?;
        Ok(rows.into_iter().map(DiskRow::record).collect())
    }

    pub async fn insert_disk(&self, _actor: &Actor, d: &NewDiskRow<'_>) -> Result<(), AppError> {
        let q = sqlx::query(
            "INSERT INTO disks (id, name, description, storage_domain_id, volume_name, path, format, content,
                 provisioned_bytes, actual_bytes, sparse, backing_disk_id, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(d.id)
        .bind(d.name)
        .bind(d.description)
        .bind(d.storage_domain_id)
        .bind(d.volume_name)
        .bind(d.path)
        .bind(d.format.as_str())
        .bind(d.content.as_str())
        .bind(bytes(d.provisioned_bytes))
        .bind(bytes(d.actual_bytes))
        .bind(d.sparse)
        .bind(d.backing_disk_id)
        .bind(d.status.as_str());
        self.execute_named(q, "disk with the id", &d.id.to_string())
            .await
            .map(|_| ())
    }

    /// Sizes and state after libvirt answered (create, upload, grow, refresh).
    pub async fn update_disk_volume(
        &self,
        id: Uuid,
        path: &str,
        provisioned: u64,
        actual: u64,
        status: DiskStatus,
    ) -> Result<(), AppError> {
        let q = sqlx::query(
            "UPDATE disks SET path = $2, provisioned_bytes = $3, actual_bytes = $4, status = $5,
                 version = version + 1, updated_at = now()
             WHERE id = $1",
        )
        .bind(id)
        .bind(path)
        .bind(bytes(provisioned))
        .bind(bytes(actual))
        .bind(status.as_str());
        self.execute(q).await.map(|_| ())
    }

    pub async fn set_disk_status(&self, id: Uuid, status: DiskStatus) -> Result<(), AppError> {
        let q = sqlx::query("UPDATE disks SET status = $2, updated_at = now() WHERE id = $1 AND status <> $2")
            .bind(id)
            .bind(status.as_str());
        self.execute(q).await.map(|_| ())
    }

    /// Locks a disk for a long operation (grow, upload): `false` when it is not `ok` (another
    /// operation holds it).
    pub async fn lock_disk(&self, id: Uuid) -> Result<bool, AppError> {
        let q = sqlx::query("UPDATE disks SET status = 'locked', updated_at = now() WHERE id = $1 AND status = 'ok'")
            .bind(id);
        Ok(self.execute(q).await? == 1)
    }

    /// At start-up: a disk still locked was held by an operation of a Vireo that stopped (an
    /// upload or a grow cut off): it is `illegal` now, for the user to see and remove. Returns
    /// the names.
    pub async fn release_interrupted_disks(&self) -> Result<Vec<String>, AppError> {
        sqlx::query_scalar(
            "UPDATE disks SET status = 'illegal', updated_at = now() WHERE status = 'locked' RETURNING name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(internal)
    }

    /// Renames a disk; `false` when `version` is not the stored one (someone changed it since).
    pub async fn update_disk_identity(
        &self,
        _actor: &Actor,
        id: Uuid,
        version: i32,
        name: &str,
        description: &str,
    ) -> Result<bool, AppError> {
        let q = sqlx::query(
            "UPDATE disks SET name = $3, description = $4, version = version + 1, updated_at = now()
             WHERE id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .bind(name)
        .bind(description);
        Ok(self.execute(q).await? == 1)
    }

    /// Deletes the row; a disk still attached somewhere or backing another is refused by the
    /// database itself (a conflict naming why).
    pub async fn delete_disk(&self, _actor: &Actor, id: Uuid) -> Result<bool, AppError> {
        sqlx::query("DELETE FROM disks WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected() > 0)
            .map_err(|e| {
                if still_referenced(&e) {
                    AppError::conflict(
                        "The disk is attached to a VM, Template or Pool, or other disks are made from it.",
                    )
                } else {
                    internal(e)
                }
            })
    }

    /// Disks made from this one (thin overlays on a template's disk).
    pub async fn overlays_of(&self, id: Uuid) -> Result<i64, AppError> {
        sqlx::query_scalar("SELECT count(*) FROM disks WHERE backing_disk_id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(internal)
    }
}
