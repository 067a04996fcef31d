//! What replicas share beyond the objects themselves: advisory locks taken on a session of their
//! own (leadership, per-VM operations), the per-VM operation marks (`vm_operation_state`) and the
//! login throttle's failures (`login_failures`).

use super::{internal, Repository};
use sqlx::{Connection, PgConnection};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;
use uuid::Uuid;
use vireo_app::error::AppError;

/// Advisory lock keys `(class, object)`, in the two-`int4` form so that `pg_locks` shows them as
/// `classid`/`objid` (any constants no other lock uses; `lifecycle.rs` uses class 0x1919).
pub const LEADER_LOCK: (i32, i32) = (0x1917, 1);
/// Held while first-run setup runs: replicas started together must not each find the tables
/// empty and each create an admin, a cluster and a default host.
pub const FIRST_RUN_LOCK: (i32, i32) = (0x1917, 2);
/// The class of the per-VM operation locks; the object is [`vm_lock_key`].
pub const VM_OPERATION_LOCK_CLASS: i32 = 0x1918;

/// A VM id folded into an advisory lock's `int4` object key. Two VMs may share a key (1 in 2^32):
/// then one waits for the other's operation as if it were its own, which is harmless.
pub fn vm_lock_key(id: Uuid) -> i32 {
    let v = id.as_u128();
    let folded = (v as u32) ^ ((v >> 32) as u32) ^ ((v >> 64) as u32) ^ ((v >> 96) as u32);
    folded as i32
}

/// A session of its own, outside the pool: a session-level advisory lock lives as long as the
/// session, so it must not go back to a pool (another caller would inherit it) and it must end
/// when this process does (PostgreSQL then drops every lock it held).
pub async fn dedicated_session(repo: &Repository) -> Result<PgConnection, sqlx::Error> {
    PgConnection::connect_with(&repo.pool().connect_options()).await
}

/// `pg_try_advisory_lock` on `conn`: whether this session holds the lock now.
pub async fn try_lock(conn: &mut PgConnection, (class, object): (i32, i32)) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
        .bind(class)
        .bind(object)
        .fetch_one(conn)
        .await
}

/// Waits for the lock on a session of its own, which holds it until it is closed (or dies).
pub async fn lock_session(repo: &Repository, (class, object): (i32, i32)) -> Result<PgConnection, sqlx::Error> {
    let mut conn = dedicated_session(repo).await?;
    sqlx::query("SELECT pg_advisory_lock($1, $2)")
        .bind(class)
        .bind(object)
        .execute(&mut conn)
        .await?;
    Ok(conn)
}

/// Releases a lock `conn` holds (false when it did not hold it).
pub async fn unlock(conn: &mut PgConnection, (class, object): (i32, i32)) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_advisory_unlock($1, $2)")
        .bind(class)
        .bind(object)
        .fetch_one(conn)
        .await
}

/// Whether `conn`'s session still holds the lock: a round trip on the session itself, so a broken
/// connection answers with an error rather than a stale yes.
pub async fn holds(conn: &mut PgConnection, (class, object): (i32, i32)) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
                          AND granted AND classid = $1::int8::oid AND objid = $2::int8::oid AND objsubid = 2)",
    )
    .bind(i64::from(class))
    .bind(i64::from(object as u32))
    .fetch_one(conn)
    .await
}

/// What the reconcile needs to know about operations, read after libvirt.
#[derive(Debug, Default)]
pub struct OperationMarks {
    /// VMs an operation began or ended on after the given time.
    pub touched: HashSet<Uuid>,
    /// VMs some replica is stopping (a recent mark).
    pub expected_down: HashSet<Uuid>,
    /// Per-VM operation lock keys held by any session (an operation in flight on some replica).
    pub locked: HashSet<i32>,
}

impl Repository {
    /// The database's clock: the one every replica's marks are written with.
    pub async fn database_now(&self) -> Result<OffsetDateTime, AppError> {
        sqlx::query_scalar("SELECT clock_timestamp()")
            .fetch_one(self.pool())
            .await
            .map_err(internal)
    }

    /// An operation on the VM began or ended now (nothing for a VM already removed).
    pub async fn touch_vm_operation(&self, vm: Uuid) -> Result<(), AppError> {
        let sql = "INSERT INTO vm_operation_state (vm_id) SELECT id FROM vms WHERE id = $1
                   ON CONFLICT (vm_id) DO UPDATE SET touched_at = clock_timestamp()";
        self.execute(sqlx::query(sql).bind(vm)).await.map(|_| ())
    }

    /// Marks (or unmarks) the VM as being stopped by Vireo.
    pub async fn set_expected_down(&self, vm: Uuid, expected: bool) -> Result<(), AppError> {
        let sql = "INSERT INTO vm_operation_state (vm_id, expected_down) SELECT id, $2 FROM vms WHERE id = $1
                   ON CONFLICT (vm_id) DO UPDATE SET expected_down = $2, touched_at = clock_timestamp()";
        self.execute(sqlx::query(sql).bind(vm).bind(expected)).await.map(|_| ())
    }

    /// The VMs seen down whose marks have served: one statement for a whole pass.
    pub async fn clear_expected_down(&self, vms: &[Uuid]) -> Result<(), AppError> {
        if vms.is_empty() {
            return Ok(());
        }
        let sql = "UPDATE vm_operation_state SET expected_down = false WHERE vm_id = ANY($1) AND expected_down";
        self.execute(sqlx::query(sql).bind(vms)).await.map(|_| ())
    }

    /// Operations touched after `since`, recent expected-down marks (younger than `trusted_secs`)
    /// and the per-VM operation locks held now: two small queries per reconcile pass.
    pub async fn operation_marks(&self, since: OffsetDateTime, trusted_secs: f64) -> Result<OperationMarks, AppError> {
        let rows: Vec<(Uuid, bool, bool)> = sqlx::query_as(
            "SELECT vm_id, touched_at > $1,
                    expected_down AND touched_at > clock_timestamp() - make_interval(secs => $2)
             FROM vm_operation_state WHERE touched_at > $1 OR expected_down",
        )
        .bind(since)
        .bind(trusted_secs)
        .fetch_all(self.pool())
        .await
        .map_err(internal)?;
        let locked: Vec<i64> = sqlx::query_scalar(
            "SELECT objid::int8 FROM pg_locks WHERE locktype = 'advisory' AND granted
               AND classid = $1::int8::oid AND objsubid = 2",
        )
        .bind(i64::from(VM_OPERATION_LOCK_CLASS))
        .fetch_all(self.pool())
        .await
        .map_err(internal)?;
        let mut marks = OperationMarks {
            locked: locked.into_iter().map(|k| k as u32 as i32).collect(),
            ..Default::default()
        };
        for (vm, touched, expected) in rows {
            if touched {
                marks.touched.insert(vm);
            }
            if expected {
                marks.expected_down.insert(vm);
            }
        }
        Ok(marks)
    }

    /// Under one transaction holding the keys' rows: their failures (count, seconds since the
    /// last) given to `decide`, which answers the rows to write (count; `None` deletes the key) or
    /// an error to return without writing. Replicas admitting the same key wait for each other.
    pub async fn with_login_failures<T, R>(
        &self,
        keys: &[String],
        decide: impl FnOnce(&HashMap<String, (u32, f64)>) -> Result<(Vec<(String, Option<u32>)>, T), R>,
    ) -> Result<Result<T, R>, AppError> {
        let mut tx = self.pool().begin().await.map_err(internal)?;
        // Keys locked in a fixed order so that two admissions of the same pair cannot deadlock.
        let mut sorted: Vec<&String> = keys.iter().collect();
        sorted.sort();
        for key in &sorted {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('login:' || $1))")
                .bind(key.as_str())
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
        let rows: Vec<(String, i32, f64)> = sqlx::query_as(
            "SELECT key, count, extract(epoch FROM clock_timestamp() - last_at)::float8
             FROM login_failures WHERE key = ANY($1)",
        )
        .bind(keys)
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        let current = rows
            .into_iter()
            .map(|(k, c, age)| (k, (c.max(0) as u32, age.max(0.0))))
            .collect();
        let (writes, answer) = match decide(&current) {
            Ok(ok) => ok,
            Err(refused) => return Ok(Err(refused)),
        };
        for (key, count) in writes {
            match count {
                Some(count) => {
                    sqlx::query(
                        "INSERT INTO login_failures (key, count, last_at) VALUES ($1, $2, clock_timestamp())
                         ON CONFLICT (key) DO UPDATE SET count = $2, last_at = clock_timestamp()",
                    )
                    .bind(&key)
                    .bind(i32::try_from(count).unwrap_or(i32::MAX))
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                }
                None => {
                    sqlx::query("DELETE FROM login_failures WHERE key = $1")
                        .bind(&key)
                        .execute(&mut *tx)
                        .await
                        .map_err(internal)?;
                }
            }
        }
        tx.commit().await.map_err(internal)?;
        Ok(Ok(answer))
    }

    /// Takes one failure back from each key (an attempt that never checked a password).
    pub async fn refund_login_failures(&self, keys: &[String]) -> Result<(), AppError> {
        let sql = "UPDATE login_failures SET count = greatest(count - 1, 0) WHERE key = ANY($1)";
        self.execute(sqlx::query(sql).bind(keys)).await.map(|_| ())
    }

    /// Forgets the keys (a successful login).
    pub async fn forget_login_failures(&self, keys: &[String]) -> Result<(), AppError> {
        self.execute(sqlx::query("DELETE FROM login_failures WHERE key = ANY($1)").bind(keys))
            .await
            .map(|_| ())
    }

    /// Forgets failures older than `forget_secs`, then the oldest beyond `max_entries`: the table's
    /// bound, kept by the leader.
    pub async fn prune_login_failures(&self, forget_secs: f64, max_entries: i64) -> Result<(), AppError> {
        let expired = "DELETE FROM login_failures WHERE last_at < clock_timestamp() - make_interval(secs => $1)";
        self.execute(sqlx::query(expired).bind(forget_secs)).await?;
        let beyond = "DELETE FROM login_failures WHERE key IN
                        (SELECT key FROM login_failures ORDER BY last_at DESC OFFSET $1)";
        self.execute(sqlx::query(beyond).bind(max_entries)).await.map(|_| ())
    }

    /// How many keys have failures (tests).
    pub async fn count_login_failures(&self) -> Result<usize, AppError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM login_failures")
            .fetch_one(self.pool())
            .await
            .map_err(internal)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Forgets every login failure (tests; what restarting every replica used to do).
    pub async fn forget_all_login_failures(&self) -> Result<(), AppError> {
        self.execute(sqlx::query("DELETE FROM login_failures"))
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vm_lock_key_reads_back_from_pg_locks_unsigned_objid() {
        for v in [
            0u128,
            1,
            u128::MAX,
            0x8000_0000,
            0x1234_5678_9abc_def0_0fed_cba9_8765_4321,
        ] {
            let key = vm_lock_key(Uuid::from_u128(v));
            // `holds` binds it as `objid` (oid, unsigned); `operation_marks` reads `objid::int8` back.
            let objid = i64::from(key as u32);
            assert!((0..=i64::from(u32::MAX)).contains(&objid));
            assert_eq!(objid as u32 as i32, key);
        }
        assert_ne!(vm_lock_key(Uuid::from_u128(1)), vm_lock_key(Uuid::from_u128(2)));
    }
}
