//! Networks, vNIC profiles, what backs them on each host, the MAC range's allocation and the
//! addresses guests report. `nic_profile_refs` and `vm_nic_macs` are kept by a trigger from the
//! configurations (whatever writes them); they are only read here.

use super::{internal, Repository};
use sqlx::PgConnection;
use std::collections::HashSet;
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::network::{MacAddress, MacRange, NetworkBacking};
use vireo_app::error::{AppError, FieldError};
use vireo_app::models::{NetworkView, ReportedNic, VnicProfileView};

/// NICs (in every VM's, Template's and Pool's configuration — a VM's pending one when it has one)
/// whose profile is `vp`. A macro so it can be pasted into the column lists with `concat!`.
macro_rules! profile_nics {
    () => {
        "(SELECT count(*) FROM nic_profile_refs r
            LEFT JOIN vms v ON r.owner_kind = 'vm' AND v.id = r.owner_id
            LEFT JOIN templates t ON r.owner_kind = 'template' AND t.id = r.owner_id
            LEFT JOIN vm_pools pl ON r.owner_kind = 'pool' AND pl.id = r.owner_id
            CROSS JOIN LATERAL jsonb_array_elements(
                COALESCE(v.next_run_config, v.config, t.config, pl.config) -> 'nics') nic
          WHERE r.vnic_profile_id = vp.id AND nic ->> 'vnic_profile_id' = vp.id::text)"
    };
}

/// Hosts of the network's cluster with (`EXISTS`) or without (`NOT EXISTS`) its backing, active.
macro_rules! hosts_with_backing {
    ($exists:literal) => {
        concat!(
            "ARRAY(SELECT h.name FROM hosts h WHERE h.cluster_id = n.cluster_id AND ",
            $exists,
            " (SELECT 1 FROM host_network_backings b WHERE b.host_id = h.id AND b.backing = n.backing
                  AND b.name = n.backing_name AND b.active) ORDER BY h.name)"
        )
    };
}

/// The select list of every network query (and the grid's): the network, its cluster (`c`), where
/// its backing is and is not, its profiles and NICs.
pub(super) const NETWORK_COLUMNS: &str = concat!(
    "n.id, n.name, n.description, n.cluster_id, c.name AS cluster_name, n.backing, n.backing_name,
     n.vlan_id, n.is_default, n.version, ",
    hosts_with_backing!("EXISTS"),
    " AS present_on, ",
    hosts_with_backing!("NOT EXISTS"),
    " AS missing_on,
     (SELECT count(*) FROM vnic_profiles vp WHERE vp.network_id = n.id) AS profile_count,
     (SELECT COALESCE(sum(",
    profile_nics!(),
    "), 0)::bigint FROM vnic_profiles vp WHERE vp.network_id = n.id) AS nic_count"
);

const NETWORK_FROM: &str = "networks n JOIN clusters c ON c.id = n.cluster_id";

/// The select list of every profile query (and the grid's): the profile and its network (`n`).
pub(super) const PROFILE_COLUMNS: &str = concat!(
    "vp.id, vp.name, vp.description, vp.network_id, n.name AS network_name, n.cluster_id,
     vp.network_filter, vp.port_mirroring, vp.multiqueue, vp.is_default, vp.version, ",
    profile_nics!(),
    " AS nic_count"
);

const PROFILE_FROM: &str = "vnic_profiles vp JOIN networks n ON n.id = vp.network_id";

#[derive(sqlx::FromRow)]
pub(super) struct NetworkRow {
    id: Uuid,
    name: String,
    description: String,
    cluster_id: Uuid,
    cluster_name: String,
    backing: String,
    backing_name: String,
    vlan_id: Option<i32>,
    is_default: bool,
    version: i32,
    present_on: Vec<String>,
    missing_on: Vec<String>,
    profile_count: i64,
    nic_count: i64,
}

impl From<NetworkRow> for NetworkView {
    fn from(r: NetworkRow) -> Self {
        NetworkView {
            id: r.id,
            name: r.name,
            description: r.description,
            cluster_id: r.cluster_id,
            cluster_name: r.cluster_name,
            // The column's CHECK admits only these.
            backing: NetworkBacking::parse(&r.backing).unwrap_or_default(),
            backing_name: r.backing_name,
            vlan_id: r.vlan_id,
            is_default: r.is_default,
            present_on: r.present_on,
            missing_on: r.missing_on,
            profile_count: r.profile_count,
            nic_count: r.nic_count,
            version: r.version,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ProfileRow {
    id: Uuid,
    name: String,
    description: String,
    network_id: Uuid,
    network_name: String,
    cluster_id: Uuid,
    network_filter: Option<String>,
    port_mirroring: bool,
    multiqueue: bool,
    is_default: bool,
    version: i32,
    nic_count: i64,
}

impl From<ProfileRow> for VnicProfileView {
    fn from(r: ProfileRow) -> Self {
        VnicProfileView {
            id: r.id,
            name: r.name,
            description: r.description,
            network_id: r.network_id,
            network_name: r.network_name,
            cluster_id: r.cluster_id,
            network_filter: r.network_filter,
            port_mirroring: r.port_mirroring,
            multiqueue: r.multiqueue,
            is_default: r.is_default,
            nic_count: r.nic_count,
            version: r.version,
        }
    }
}

/// A network to insert, with its default profile (named as the network).
pub struct NewNetworkRow<'a> {
    pub id: Uuid,
    pub cluster_id: Uuid,
    pub name: &'a str,
    pub description: &'a str,
    pub backing: NetworkBacking,
    pub backing_name: &'a str,
    pub vlan_id: Option<i32>,
    pub is_default: bool,
    /// The default profile's id.
    pub profile_id: Uuid,
}

/// A profile's fields as stored.
pub struct ProfileFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub network_filter: Option<&'a str>,
    pub multiqueue: bool,
}

/// What a NIC's profile resolves to when its VM starts: the network and what backs it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ProfileTarget {
    pub profile_id: Uuid,
    pub profile_name: String,
    pub network_id: Uuid,
    pub network_name: String,
    pub cluster_id: Uuid,
    pub backing: String,
    pub backing_name: String,
    pub network_filter: Option<String>,
    pub multiqueue: bool,
}

impl ProfileTarget {
    pub fn backing(&self) -> NetworkBacking {
        NetworkBacking::parse(&self.backing).unwrap_or_default()
    }
}

/// A libvirt network or bridge as read from a host, to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackingRow<'a> {
    pub backing: NetworkBacking,
    pub name: &'a str,
    pub active: bool,
    pub bridge: &'a str,
}

/// A host's stored backing.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct HostBacking {
    pub backing: String,
    pub name: String,
    pub active: bool,
    pub bridge: String,
}

/// Something whose NICs use a profile: its kind (`vm`, `template`, `pool`) and name.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct NicUser {
    pub kind: String,
    pub name: String,
}

impl NicUser {
    /// "VM web1", "Template base", "Pool desk".
    pub fn label(&self) -> String {
        let kind = ConfigKind::parse(&self.kind).map_or("", |k| k.label());
        format!("{kind} {}", self.name)
    }
}

/// At most this many users are named in a refusal (the message says how many more).
pub const MAX_NAMED_USERS: i64 = 20;

/// A foreign-key violation (23503): a row another row still needs.
fn still_referenced(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("23503"))
}

/// `MAC in use`: the unique key of `vm_nic_macs` refused a MAC another VM holds. The MAC, read from
/// PostgreSQL's detail (`Key (mac)=(56:6f:…) already exists.`), when it says.
pub(crate) fn mac_taken(e: &sqlx::Error) -> Option<String> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    if !db.is_unique_violation() || db.constraint() != Some("vm_nic_macs_pkey") {
        return None;
    }
    let detail = db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .and_then(|pg| pg.detail())
        .unwrap_or_default();
    let mac = detail
        .split_once("=(")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(mac, _)| mac)
        .and_then(|m| MacAddress::parse(m).ok())
        .map(|m| m.to_string());
    Some(mac.unwrap_or_default())
}

/// The field error a MAC held by another VM gives.
pub fn mac_taken_error(mac: &str) -> AppError {
    let text = if mac.is_empty() {
        "A MAC address of this VM is already held by another VM.".to_string()
    } else {
        format!("MAC address {mac} is already held by another VM.")
    };
    AppError::Validation {
        errors: vec![FieldError::new("nics", text)],
    }
}

/// Taken MACs are read in pages of this many while looking for free ones.
const MAC_PAGE: i64 = 512;

impl Repository {
    // --- Networks

    pub async fn network(&self, id: Uuid) -> Result<Option<NetworkView>, AppError> {
        let sql = format!("SELECT {NETWORK_COLUMNS} FROM {NETWORK_FROM} WHERE n.id = $1");
        let row: Option<NetworkRow> = self.fetch_optional(sqlx::query_as(&sql).bind(id)).await?;
        Ok(row.map(Into::into))
    }

    /// The cluster's network of this name, if any.
    pub async fn network_named(&self, cluster_id: Uuid, name: &str) -> Result<Option<Uuid>, AppError> {
        sqlx::query_scalar("SELECT id FROM networks WHERE cluster_id = $1 AND name = $2")
            .bind(cluster_id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(internal)
    }

    pub async fn cluster_has_default_network(&self, cluster_id: Uuid) -> Result<bool, AppError> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM networks WHERE cluster_id = $1 AND is_default)")
            .bind(cluster_id)
            .fetch_one(&self.pool)
            .await
            .map_err(internal)
    }

    /// Inserts the network and its default profile in one transaction.
    pub async fn insert_network(&self, _actor: &Actor, n: &NewNetworkRow<'_>) -> Result<(), AppError> {
        let mut tx = self.pool.begin().await.map_err(internal)?;
        Self::insert_network_in(&mut tx, n).await?;
        tx.commit().await.map_err(internal)
    }

    /// Inserts the network and its default profile on `conn` (a cluster's creation does it in its
    /// own transaction).
    pub(super) async fn insert_network_in(conn: &mut PgConnection, n: &NewNetworkRow<'_>) -> Result<(), AppError> {
        sqlx::query(
            "INSERT INTO networks (id, cluster_id, name, description, backing, backing_name, vlan_id, is_default)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(n.id)
        .bind(n.cluster_id)
        .bind(n.name)
        .bind(n.description)
        .bind(n.backing.as_str())
        .bind(n.backing_name)
        .bind(n.vlan_id)
        .bind(n.is_default)
        .execute(&mut *conn)
        .await
        .map_err(super::db_error("network", n.name))?;
        sqlx::query("INSERT INTO vnic_profiles (id, network_id, name, is_default) VALUES ($1, $2, $3, true)")
            .bind(n.profile_id)
            .bind(n.id)
            .bind(n.name)
            .execute(&mut *conn)
            .await
            .map_err(super::db_error("vNIC profile", n.name))?;
        Ok(())
    }

    /// Deletes the network with its profiles. A profile a NIC still uses makes the database refuse
    /// (`nic_profile_refs` restricts): `Err(conflict)` then, with `refused` as its text.
    pub async fn delete_network(&self, _actor: &Actor, id: Uuid, refused: &str) -> Result<bool, AppError> {
        sqlx::query("DELETE FROM networks WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected() > 0)
            .map_err(|e| {
                if still_referenced(&e) {
                    AppError::conflict(refused)
                } else {
                    internal(e)
                }
            })
    }

    // --- vNIC profiles

    pub async fn vnic_profile(&self, id: Uuid) -> Result<Option<VnicProfileView>, AppError> {
        let sql = format!("SELECT {PROFILE_COLUMNS} FROM {PROFILE_FROM} WHERE vp.id = $1");
        let row: Option<ProfileRow> = self.fetch_optional(sqlx::query_as(&sql).bind(id)).await?;
        Ok(row.map(Into::into))
    }

    /// Every profile, by network and name (the dialogs' options; bounded by what an admin makes).
    pub async fn list_vnic_profiles(&self) -> Result<Vec<VnicProfileView>, AppError> {
        let sql = format!("SELECT {PROFILE_COLUMNS} FROM {PROFILE_FROM} ORDER BY n.name, vp.name, vp.id LIMIT 5000");
        let rows: Vec<ProfileRow> = self.fetch_all(sqlx::query_as(&sql)).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn insert_vnic_profile(
        &self,
        _actor: &Actor,
        id: Uuid,
        network_id: Uuid,
        f: &ProfileFields<'_>,
    ) -> Result<(), AppError> {
        let q = sqlx::query(
            "INSERT INTO vnic_profiles (id, network_id, name, description, network_filter, multiqueue)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(network_id)
        .bind(f.name)
        .bind(f.description)
        .bind(f.network_filter)
        .bind(f.multiqueue);
        self.execute_named(q, "vNIC profile on this network", f.name)
            .await
            .map(|_| ())
    }

    /// `false` when `version` is not the stored one (someone changed it since).
    pub async fn update_vnic_profile(
        &self,
        _actor: &Actor,
        id: Uuid,
        version: i32,
        f: &ProfileFields<'_>,
    ) -> Result<bool, AppError> {
        let q = sqlx::query(
            "UPDATE vnic_profiles SET name = $3, description = $4, network_filter = $5, multiqueue = $6,
                    version = version + 1
             WHERE id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .bind(f.name)
        .bind(f.description)
        .bind(f.network_filter)
        .bind(f.multiqueue);
        Ok(self.execute_named(q, "vNIC profile on this network", f.name).await? == 1)
    }

    /// Deletes the profile; one a NIC uses is refused by the database (`refused` is the conflict's
    /// text then).
    pub async fn delete_vnic_profile(&self, _actor: &Actor, id: Uuid, refused: &str) -> Result<bool, AppError> {
        sqlx::query("DELETE FROM vnic_profiles WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected() > 0)
            .map_err(|e| {
                if still_referenced(&e) {
                    AppError::conflict(refused)
                } else {
                    internal(e)
                }
            })
    }

    /// The default profile of the cluster's default network.
    pub async fn default_vnic_profile(&self, cluster_id: Uuid) -> Result<Option<Uuid>, AppError> {
        sqlx::query_scalar(
            "SELECT vp.id FROM vnic_profiles vp JOIN networks n ON n.id = vp.network_id
             WHERE n.cluster_id = $1 AND n.is_default AND vp.is_default",
        )
        .bind(cluster_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(internal)
    }

    /// What these profiles resolve to (missing ids are left out).
    pub async fn profile_targets(&self, ids: &[Uuid]) -> Result<Vec<ProfileTarget>, AppError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = "SELECT vp.id AS profile_id, vp.name AS profile_name, n.id AS network_id, n.name AS network_name,
                          n.cluster_id, n.backing, n.backing_name, vp.network_filter, vp.multiqueue
                   FROM vnic_profiles vp JOIN networks n ON n.id = vp.network_id WHERE vp.id = ANY($1)";
        self.fetch_all(sqlx::query_as(sql).bind(ids)).await
    }

    /// The VMs, Templates and Pools whose NICs use any of these profiles (current or pending
    /// configuration), at most `MAX_NAMED_USERS`, and how many there are in all.
    pub async fn profile_users(&self, profile_ids: &[Uuid]) -> Result<(Vec<NicUser>, i64), AppError> {
        let users: Vec<NicUser> = sqlx::query_as(
            "SELECT DISTINCT r.owner_kind AS kind, COALESCE(v.name, t.name, p.name, '') AS name
             FROM nic_profile_refs r
             LEFT JOIN vms v ON r.owner_kind = 'vm' AND v.id = r.owner_id
             LEFT JOIN templates t ON r.owner_kind = 'template' AND t.id = r.owner_id
             LEFT JOIN vm_pools p ON r.owner_kind = 'pool' AND p.id = r.owner_id
             WHERE r.vnic_profile_id = ANY($1)
             ORDER BY 1 DESC, 2 LIMIT $2",
        )
        .bind(profile_ids)
        .bind(MAX_NAMED_USERS)
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        let total: i64 =
            sqlx::query_scalar("SELECT count(DISTINCT owner_id) FROM nic_profile_refs WHERE vnic_profile_id = ANY($1)")
                .bind(profile_ids)
                .fetch_one(&self.pool)
                .await
                .map_err(internal)?;
        Ok((users, total))
    }

    /// The network's profiles' ids.
    pub async fn network_profile_ids(&self, network_id: Uuid) -> Result<Vec<Uuid>, AppError> {
        sqlx::query_scalar("SELECT id FROM vnic_profiles WHERE network_id = $1")
            .bind(network_id)
            .fetch_all(&self.pool)
            .await
            .map_err(internal)
    }

    // --- What hosts have

    pub async fn host_backings(&self, host_id: Uuid) -> Result<Vec<HostBacking>, AppError> {
        self.fetch_all(
            sqlx::query_as(
                "SELECT backing, name, active, bridge FROM host_network_backings WHERE host_id = $1 ORDER BY backing, name",
            )
            .bind(host_id),
        )
        .await
    }

    /// Makes the host's rows what libvirt says, touching only the rows that changed (each changed
    /// row announces itself; the periodic read usually changes none).
    pub async fn sync_host_backings(&self, host_id: Uuid, backings: &[BackingRow<'_>]) -> Result<(), AppError> {
        let mut tx = self.pool.begin().await.map_err(internal)?;
        for b in backings {
            sqlx::query(
                "INSERT INTO host_network_backings (host_id, backing, name, active, bridge)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (host_id, backing, name) DO UPDATE SET active = EXCLUDED.active, bridge = EXCLUDED.bridge
                 WHERE (host_network_backings.active, host_network_backings.bridge)
                   IS DISTINCT FROM (EXCLUDED.active, EXCLUDED.bridge)",
            )
            .bind(host_id)
            .bind(b.backing.as_str())
            .bind(b.name)
            .bind(b.active)
            .bind(b.bridge)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        }
        let kinds: Vec<&str> = backings.iter().map(|b| b.backing.as_str()).collect();
        let names: Vec<&str> = backings.iter().map(|b| b.name).collect();
        sqlx::query(
            "DELETE FROM host_network_backings hb WHERE hb.host_id = $1
               AND (hb.backing, hb.name) NOT IN (SELECT * FROM unnest($2::text[], $3::text[]))",
        )
        .bind(host_id)
        .bind(&kinds)
        .bind(&names)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)
    }

    // --- MACs

    /// Hands out `count` free MACs of `range`, from the shared cursor on (wrapping once), skipping
    /// every MAC a VM holds and `reserved` (MACs this save gives explicitly). Runs in the caller's
    /// transaction and locks the cursor row until it ends, so concurrent saves never pick the same
    /// address; the work is bounded by the MACs held, not by the range's size. A range without
    /// `count` free addresses is a field error on `nics`.
    pub async fn allocate_macs(
        conn: &mut PgConnection,
        range: MacRange,
        count: usize,
        reserved: &HashSet<MacAddress>,
    ) -> Result<Vec<MacAddress>, AppError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let cursor: i64 = sqlx::query_scalar("SELECT next_mac FROM mac_pool_cursor WHERE id = 1 FOR UPDATE")
            .fetch_one(&mut *conn)
            .await
            .map_err(internal)?;
        let start = u64::try_from(cursor)
            .ok()
            .and_then(MacAddress::from_u64)
            .filter(|m| range.contains(*m))
            .unwrap_or(range.first);
        let mut found = Vec::with_capacity(count);
        Self::free_macs_in(conn, start.as_u64(), range.last.as_u64(), count, reserved, &mut found).await?;
        if found.len() < count && start > range.first {
            let before = start.as_u64() - 1;
            Self::free_macs_in(conn, range.first.as_u64(), before, count, reserved, &mut found).await?;
        }
        let Some(last) = found.last().copied().filter(|_| found.len() == count) else {
            return Err(AppError::validation(
                "nics",
                format!(
                    "Vireo's MAC range {range} has no free address left for {count} more NIC(s) (it holds {}). Remove VMs or NICs, or widen VIREO_MAC_RANGE.",
                    range.size()
                ),
            ));
        };
        let next = range.next_after(last).as_u64() as i64;
        sqlx::query("UPDATE mac_pool_cursor SET next_mac = $1 WHERE id = 1")
            .bind(next)
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        Ok(found)
    }

    /// Adds free MACs of `[lo, hi]`, in order, to `found` until it holds `count`.
    async fn free_macs_in(
        conn: &mut PgConnection,
        lo: u64,
        hi: u64,
        count: usize,
        reserved: &HashSet<MacAddress>,
        found: &mut Vec<MacAddress>,
    ) -> Result<(), AppError> {
        let mut candidate = lo;
        while found.len() < count && candidate <= hi {
            let (Some(from), Some(to)) = (MacAddress::from_u64(candidate), MacAddress::from_u64(hi)) else {
                break;
            };
            // The next page of held MACs from the candidate on: the free ones are the gaps.
            let held: Vec<String> = sqlx::query_scalar(
                "SELECT mac::text FROM vm_nic_macs WHERE mac >= $1::macaddr AND mac <= $2::macaddr
                 ORDER BY mac LIMIT $3",
            )
            .bind(from.to_string())
            .bind(to.to_string())
            .bind(MAC_PAGE)
            .fetch_all(&mut *conn)
            .await
            .map_err(internal)?;
            let page_full = held.len() as i64 == MAC_PAGE;
            let held: Vec<u64> = held
                .iter()
                .filter_map(|m| MacAddress::parse(m).ok())
                .map(MacAddress::as_u64)
                .collect();
            // Past the last held MAC of a full page the gaps are unknown until the next page.
            let limit = if page_full {
                held.last().copied().unwrap_or(hi)
            } else {
                hi
            };
            let mut taken = held.iter().copied().peekable();
            // Each step hands out an address or passes a held or reserved one: at most
            // `count + held + reserved` steps, whatever the range's size.
            while found.len() < count && candidate <= limit {
                while taken.peek().is_some_and(|t| *t < candidate) {
                    taken.next();
                }
                let free = taken.peek() != Some(&candidate);
                // Candidates only grow, and the two segments are disjoint: no address twice.
                if let Some(m) = MacAddress::from_u64(candidate).filter(|m| free && !reserved.contains(m)) {
                    found.push(m);
                }
                candidate += 1;
            }
            if !page_full {
                break;
            }
        }
        Ok(())
    }

    /// Which of these MACs other VMs than `except` hold: (MAC, the VM's name).
    pub async fn mac_holders(&self, macs: &[String], except: Option<Uuid>) -> Result<Vec<(String, String)>, AppError> {
        if macs.is_empty() {
            return Ok(Vec::new());
        }
        self.fetch_all(
            sqlx::query_as(
                "SELECT m.mac::text, v.name FROM vm_nic_macs m JOIN vms v ON v.id = m.vm_id
                 WHERE m.mac = ANY($1::macaddr[]) AND m.vm_id IS DISTINCT FROM $2 ORDER BY 1",
            )
            .bind(macs)
            .bind(except),
        )
        .await
    }

    // --- Guest addresses

    /// Stores what libvirt reported for the VM, writing only what changed (each changed row
    /// announces the VMs grid).
    pub async fn set_reported_nics(&self, vm_id: Uuid, nics: &[ReportedNic]) -> Result<(), AppError> {
        let stored = self.reported_nics(vm_id).await?;
        if stored == nics {
            return Ok(());
        }
        let mut tx = self.pool.begin().await.map_err(internal)?;
        for n in nics {
            sqlx::query(
                "INSERT INTO vm_reported_nics (vm_id, name, mac, addresses) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (vm_id, mac, name) DO UPDATE SET addresses = EXCLUDED.addresses, reported_at = now()
                 WHERE vm_reported_nics.addresses IS DISTINCT FROM EXCLUDED.addresses",
            )
            .bind(vm_id)
            .bind(&n.name)
            .bind(&n.mac)
            .bind(&n.addresses)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        }
        let macs: Vec<&str> = nics.iter().map(|n| n.mac.as_str()).collect();
        let names: Vec<&str> = nics.iter().map(|n| n.name.as_str()).collect();
        sqlx::query(
            "DELETE FROM vm_reported_nics r WHERE r.vm_id = $1
               AND (r.mac, r.name) NOT IN (SELECT * FROM unnest($2::text[], $3::text[]))",
        )
        .bind(vm_id)
        .bind(&macs)
        .bind(&names)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)
    }

    /// The VM stopped: nothing it reported holds any more.
    pub async fn clear_reported_nics(&self, vm_id: Uuid) -> Result<(), AppError> {
        self.execute(sqlx::query("DELETE FROM vm_reported_nics WHERE vm_id = $1").bind(vm_id))
            .await
            .map(|_| ())
    }

    /// Addresses left behind by VMs that are down (a stop the poller raced with).
    pub async fn clear_reported_nics_of_stopped(&self) -> Result<(), AppError> {
        self.execute(sqlx::query(
            "DELETE FROM vm_reported_nics r USING vms v WHERE v.id = r.vm_id AND v.status = 'down'",
        ))
        .await
        .map(|_| ())
    }

    /// What libvirt last reported for the VM, by MAC and name.
    pub async fn reported_nics(&self, vm_id: Uuid) -> Result<Vec<ReportedNic>, AppError> {
        let rows: Vec<(String, String, Vec<String>)> = self
            .fetch_all(
                sqlx::query_as(
                    "SELECT name, mac, addresses FROM vm_reported_nics WHERE vm_id = $1 ORDER BY mac, name LIMIT 64",
                )
                .bind(vm_id),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(name, mac, addresses)| ReportedNic { name, mac, addresses })
            .collect())
    }

    /// A NIC change was plugged into the running VM: that NIC (added, changed or gone) in its
    /// pending configuration is now its current one too; the pending configuration goes when
    /// nothing else differs.
    pub async fn apply_pending_nic(&self, vm_id: Uuid, nic_id: Uuid) -> Result<(), AppError> {
        let mut tx = self.pool.begin().await.map_err(internal)?;
        let current = Self::lock_config(&mut tx, ConfigKind::Vm, vm_id)
            .await?
            .ok_or_else(|| AppError::not_found("VM"))?;
        let Some(next) = current.next_run else {
            return Ok(());
        };
        let mut now = current.config;
        match (
            next.nics.iter().find(|n| n.id == nic_id),
            now.nics.iter().position(|n| n.id == nic_id),
        ) {
            (Some(nic), Some(i)) => now.nics[i] = nic.clone(),
            (Some(nic), None) => {
                // In the pending list's order, as far as the current list allows.
                let at = next
                    .nics
                    .iter()
                    .position(|n| n.id == nic_id)
                    .unwrap_or(now.nics.len())
                    .min(now.nics.len());
                now.nics.insert(at, nic.clone());
            }
            (None, Some(i)) => {
                now.nics.remove(i);
            }
            (None, None) => return Ok(()),
        }
        let next = (now != next).then_some(next);
        sqlx::query(
            "UPDATE vms SET config = $2, next_run_config = $3, version = version + 1, updated_at = now()
             WHERE id = $1",
        )
        .bind(vm_id)
        .bind(sqlx::types::Json(&now))
        .bind(next.as_ref().map(sqlx::types::Json))
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)
    }

    /// Gives every NIC without a MAC (in the VM's current and pending configuration) one from the
    /// range; a NIC keeps one MAC across both. `true` when something was written.
    pub async fn assign_missing_macs(&self, vm_id: Uuid, range: MacRange) -> Result<bool, AppError> {
        let mut tx = self.pool.begin().await.map_err(internal)?;
        let Some(rec) = Self::lock_config(&mut tx, ConfigKind::Vm, vm_id).await? else {
            return Ok(false);
        };
        let (mut config, mut next) = (rec.config.clone(), rec.next_run.clone());
        let mut missing: Vec<Uuid> = Vec::new();
        for nic in config.nics.iter().chain(next.iter().flat_map(|n| n.nics.iter())) {
            if nic.mac.is_none() && !missing.contains(&nic.id) {
                missing.push(nic.id);
            }
        }
        if missing.is_empty() {
            return Ok(false);
        }
        let macs = Self::allocate_macs(&mut tx, range, missing.len(), &HashSet::new()).await?;
        for cfg in std::iter::once(&mut config).chain(next.iter_mut()) {
            for nic in cfg.nics.iter_mut().filter(|n| n.mac.is_none()) {
                if let Some(i) = missing.iter().position(|id| *id == nic.id) {
                    nic.mac = macs.get(i).copied();
                }
            }
        }
        sqlx::query(
            "UPDATE vms SET config = $2, next_run_config = $3, version = version + 1, updated_at = now()
             WHERE id = $1",
        )
        .bind(vm_id)
        .bind(sqlx::types::Json(&config))
        .bind(next.as_ref().map(sqlx::types::Json))
        .execute(&mut *tx)
        .await
        .map_err(|e| match mac_taken(&e) {
            Some(mac) => mac_taken_error(&mac),
            None => internal(e),
        })?;
        tx.commit().await.map_err(internal)?;
        Ok(true)
    }
}
