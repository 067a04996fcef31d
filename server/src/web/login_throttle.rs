//! The failed-login throttle: lockouts per user name and client address, and bounded concurrent
//! password checks. Shared by the login form, the API's SSO endpoint and changing one's password.

use crate::repository::Repository;
use crate::service::passwords::verify_password;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use vireo_app::error::AppError;

/// Refuses repeated failures instead of queueing them: after the free attempts for a user name
/// (`USER_FREE_ATTEMPTS`) or a client address (`ADDR_FREE_ATTEMPTS`), that key is locked for 1 s,
/// 2 s, 4 s … up to `MAX_LOCK` after its last failure, and attempts meanwhile are answered at once
/// with 429 and `Retry-After` — no password hash, no sleeping task holding memory. A failure is
/// counted when the attempt is *admitted* (before the password is checked, refunded on success),
/// so parallel attempts cannot all pass the check before any of them has failed. Password checks
/// (argon2, ~19 MiB each) run at most `CHECK_PERMITS` at a time; beyond `MAX_WAITING` waiting
/// checks, or after waiting `PERMIT_WAIT`, the attempt is refused as busy (503) rather than queued.
/// The map holds at most `MAX_ENTRIES` keys (oldest evicted); entries are forgotten
/// `FORGET_AFTER` after their last failure, and on success.
///
/// With a database (`LoginThrottle::shared`, what Vireo runs with) the failures are rows every
/// replica shares, so a guesser spreading attempts over replicas meets one lockout; the bound on
/// concurrent password checks stays per process (it guards this process's memory).
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Failures>>,
    shared: Option<Repository>,
    checks: Arc<Semaphore>,
    waiting: AtomicUsize,
    verifications: AtomicU64,
}

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    last: Instant,
}

pub const USER_FREE_ATTEMPTS: u32 = 3;
/// Higher than per user: several people behind one NAT may each mistype.
pub const ADDR_FREE_ATTEMPTS: u32 = 10;
const MAX_LOCK: Duration = Duration::from_secs(60);
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
pub const MAX_ENTRIES: usize = 10_000;
const CHECK_PERMITS: usize = 2;
const MAX_WAITING: usize = 16;
const PERMIT_WAIT: Duration = Duration::from_secs(3);

/// An admitted attempt: its failure is already counted under `keys`.
#[must_use = "report the outcome: succeeded() or refund()"]
pub struct Admitted {
    keys: Vec<String>,
}

/// Why a password check did not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The user name or the address is locked out for this long.
    TooMany(Duration),
    /// Too many password checks are running or waiting.
    Busy,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
            shared: None,
            checks: Arc::new(Semaphore::new(CHECK_PERMITS)),
            waiting: AtomicUsize::new(0),
            verifications: AtomicU64::new(0),
        }
    }
}

impl LoginThrottle {
    /// A throttle whose failures are the database's, shared by every replica.
    pub fn shared(repo: Repository) -> Self {
        Self {
            shared: Some(repo),
            ..Self::default()
        }
    }
}

/// Counts a caller waiting for a password-check permit, also when its request is dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl LoginThrottle {
    fn keys(username: Option<&str>, client: Option<&str>) -> Vec<(String, u32)> {
        let mut keys = Vec::with_capacity(2);
        if let Some(name) = username {
            keys.push((format!("user:{}", name.to_lowercase()), USER_FREE_ATTEMPTS));
        }
        if let Some(c) = client {
            keys.push((format!("addr:{c}"), ADDR_FREE_ATTEMPTS));
        }
        keys
    }

    /// Until when a key with these failures is locked (`None`: it has free attempts left).
    fn locked_until(f: &Failures, free: u32) -> Option<Instant> {
        let over = f.count.checked_sub(free)?;
        let lock = Duration::from_secs(1u64 << over.min(10)).min(MAX_LOCK);
        Some(f.last + lock)
    }

    /// Admits an attempt for `username` (None: a name that cannot exist, which gets no entry of its
    /// own) from `client`, counting it as a failure now; or says how long to wait. In this
    /// process's memory: the rule [`LoginThrottle::admit_shared`] applies to the database's rows.
    pub fn admit(&self, username: Option<&str>, client: Option<&str>, now: Instant) -> Result<Admitted, Duration> {
        let keys = Self::keys(username, client);
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        Self::admit_into(&mut map, &keys, now)?;
        Ok(Admitted {
            keys: keys.into_iter().map(|(k, _)| k).collect(),
        })
    }

    /// The rule itself, on the entries of `keys` in `map`: refused with the longest wait, or each
    /// key's failure counted.
    fn admit_into(map: &mut HashMap<String, Failures>, keys: &[(String, u32)], now: Instant) -> Result<(), Duration> {
        let mut wait = Duration::ZERO;
        for (key, free) in keys {
            if let Some(f) = map.get(key).filter(|f| now.duration_since(f.last) < FORGET_AFTER) {
                if let Some(until) = Self::locked_until(f, *free) {
                    wait = wait.max(until.saturating_duration_since(now));
                }
            }
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        for (key, _) in keys {
            if !map.contains_key(key) && map.len() >= MAX_ENTRIES {
                Self::make_room(map, now);
            }
            let f = map.entry(key.clone()).or_insert(Failures { count: 0, last: now });
            if now.duration_since(f.last) >= FORGET_AFTER {
                f.count = 0;
            }
            f.count = f.count.saturating_add(1);
            f.last = now;
        }
        Ok(())
    }

    /// [`LoginThrottle::admit`] here, then against the failures every replica shares
    /// (`login_failures`) when this throttle has a database. This process's own failures answer
    /// first, at once and without the database (a flood on one replica is refused as before);
    /// the shared rows then catch attempts spread over replicas. They are held while the rule
    /// runs, so parallel attempts on several replicas are counted one after the other. `Err`
    /// only when the database fails.
    pub async fn admit_shared(
        &self,
        username: Option<&str>,
        client: Option<&str>,
    ) -> Result<Result<Admitted, Duration>, AppError> {
        let local = match self.admit(username, client, Instant::now()) {
            Ok(local) => local,
            Err(wait) => return Ok(Err(wait)),
        };
        let Some(repo) = &self.shared else {
            return Ok(Ok(local));
        };
        let keys = Self::keys(username, client);
        let names = local.keys.clone();
        let decided = repo
            .with_login_failures(&names, |rows| {
                // Ages from the database's clock onto this process's (the rule reads `Instant`s),
                // taken now that the rows are held.
                let now = Instant::now();
                let mut map: HashMap<String, Failures> = rows
                    .iter()
                    .filter_map(|(key, (count, age))| {
                        let last = now.checked_sub(Duration::try_from_secs_f64(*age).ok()?)?;
                        Some((key.clone(), Failures { count: *count, last }))
                    })
                    .collect();
                Self::admit_into(&mut map, &keys, now)?;
                let writes = names.iter().map(|k| (k.clone(), map.get(k).map(|f| f.count))).collect();
                Ok((writes, ()))
            })
            .await;
        match decided {
            Ok(Ok(())) => Ok(Ok(local)),
            Ok(Err(wait)) => {
                // Refused by another replica's failures: not one of this process's either.
                self.refund(local);
                Ok(Err(wait))
            }
            Err(e) => {
                self.refund(local);
                Err(e)
            }
        }
    }

    /// [`LoginThrottle::succeeded`], here and on the shared failures.
    pub async fn succeeded_shared(&self, attempt: Admitted) {
        if let Some(repo) = &self.shared {
            if let Err(e) = repo.forget_login_failures(&attempt.keys).await {
                tracing::warn!(error = %e, "could not forget the login's failures");
            }
        }
        self.succeeded(attempt);
    }

    /// [`LoginThrottle::refund`], here and on the shared failures.
    pub async fn refund_shared(&self, attempt: Admitted) {
        if let Some(repo) = &self.shared {
            if let Err(e) = repo.refund_login_failures(&attempt.keys).await {
                tracing::warn!(error = %e, "could not refund a login attempt");
            }
        }
        self.refund(attempt);
    }

    /// Keeps the shared failures bounded as the map is: expired ones forgotten, then the oldest
    /// beyond [`MAX_ENTRIES`] (the leader does this beside its storage sync).
    pub async fn prune_shared(&self) {
        if let Some(repo) = &self.shared {
            if let Err(e) = repo
                .prune_login_failures(FORGET_AFTER.as_secs_f64(), MAX_ENTRIES as i64)
                .await
            {
                tracing::warn!(error = %e, "could not prune the login failures");
            }
        }
    }

    /// Forgets every failure, shared or in memory (tests).
    pub async fn forget_all_shared(&self) {
        self.forget_all();
        if let Some(repo) = &self.shared {
            if let Err(e) = repo.forget_all_login_failures().await {
                tracing::warn!(error = %e, "could not forget the login failures");
            }
        }
    }

    /// How many keys the throttle holds, shared or in memory (tests).
    pub async fn len_shared(&self) -> usize {
        match &self.shared {
            Some(repo) => repo.count_login_failures().await.unwrap_or(0),
            None => self.len(),
        }
    }

    /// Forgets expired entries; when none are, the one with the oldest failure.
    fn make_room(map: &mut HashMap<String, Failures>, now: Instant) {
        map.retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
        if map.len() >= MAX_ENTRIES {
            if let Some(oldest) = map.iter().min_by_key(|(_, f)| f.last).map(|(k, _)| k.clone()) {
                map.remove(&oldest);
            }
        }
    }

    /// The attempt logged in: its keys start afresh.
    pub fn succeeded(&self, attempt: Admitted) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in attempt.keys {
            map.remove(&key);
        }
    }

    /// The attempt never checked a password (Vireo was busy or the database failed): not a failure.
    pub fn refund(&self, attempt: Admitted) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in attempt.keys {
            if let Some(f) = map.get_mut(&key) {
                f.count = f.count.saturating_sub(1);
            }
        }
    }

    /// Checks a password against an argon2 hash under the permit limit. `Err(Busy)` when it would
    /// wait too long; the permit is held until the hash is done even if the caller goes away.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, Refused> {
        let permit = {
            if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                return Err(Refused::Busy);
            }
            let _waiting = Waiting(&self.waiting);
            match tokio::time::timeout(PERMIT_WAIT, self.checks.clone().acquire_owned()).await {
                Ok(Ok(permit)) => permit,
                _ => return Err(Refused::Busy),
            }
        };
        self.verifications.fetch_add(1, Ordering::SeqCst);
        let ok = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            verify_password(&password, &hash)
        })
        .await
        .unwrap_or(false);
        Ok(ok)
    }

    /// How many argon2 verifications have run (for tests and measurements).
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::SeqCst)
    }

    /// Forgets every failure (tests; an operator restarting Vireo has the same effect).
    pub fn forget_all(&self) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// How many keys the throttle holds.
    pub fn len(&self) -> usize {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::passwords::hash_password;

    #[test]
    fn throttle_locks_out_after_free_attempts_then_forgets() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        let addr = Some("10.0.0.1");
        for _ in 0..USER_FREE_ATTEMPTS {
            let _counted = t.admit(Some("admin"), addr, now).expect("free attempt");
        }
        // Counted at admission: the next attempt is refused at once, with how long to wait.
        assert_eq!(t.admit(Some("admin"), addr, now).err(), Some(Duration::from_secs(1)));
        assert_eq!(
            t.admit(Some("ADMIN"), None, now).err(),
            Some(Duration::from_secs(1)),
            "user names match case-blind"
        );
        // After the lock, one more attempt; its failure doubles the lock.
        let later = now + Duration::from_secs(1);
        let _counted = t.admit(Some("admin"), addr, later).expect("lock over");
        assert_eq!(t.admit(Some("admin"), None, later).err(), Some(Duration::from_secs(2)));
        // Other names from the same address still have the address's free attempts.
        assert!(t.admit(Some("other"), addr, later).is_ok());
        // Locks grow to at most MAX_LOCK and are forgotten FORGET_AFTER after the last failure.
        let mut at = later;
        for _ in 0..20 {
            at += MAX_LOCK;
            let _ = t.admit(Some("admin"), None, at);
        }
        assert_eq!(t.admit(Some("admin"), None, at).err(), Some(MAX_LOCK));
        assert!(t.admit(Some("admin"), None, at + FORGET_AFTER).is_ok());
        // Success and refunds give the attempt back.
        let a = t.admit(Some("bob"), None, now).unwrap();
        t.succeeded(a);
        for _ in 0..10 {
            let a = t.admit(Some("carol"), None, now).unwrap();
            t.refund(a);
        }
        assert!(t.admit(Some("carol"), None, now).is_ok());
    }

    #[test]
    fn the_address_alone_is_locked_after_its_own_free_attempts() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..ADDR_FREE_ATTEMPTS {
            assert!(t.admit(Some(&format!("u{i}")), Some("10.0.0.9"), now).is_ok());
        }
        assert!(t.admit(Some("fresh"), Some("10.0.0.9"), now).is_err());
        assert!(
            t.admit(None, Some("10.0.0.9"), now).is_err(),
            "impossible names count too"
        );
        assert!(t.admit(Some("fresh"), Some("10.0.0.10"), now).is_ok());
    }

    #[test]
    fn the_throttle_map_is_bounded() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..(MAX_ENTRIES + 500) {
            let _ = t.admit(Some(&format!("user{i}")), None, now + Duration::from_millis(i as u64));
        }
        assert_eq!(t.len(), MAX_ENTRIES);
        // The oldest went first.
        let map = t.failures.lock().unwrap();
        assert!(!map.contains_key("user:user0"));
        assert!(map.contains_key(&format!("user:user{}", MAX_ENTRIES + 499)));
    }

    #[tokio::test]
    async fn password_checks_are_bounded_and_counted() {
        let t = Arc::new(LoginThrottle::default());
        let hash = hash_password("right password").unwrap();
        assert_eq!(t.verify("right password".into(), hash.clone()).await, Ok(true));
        assert_eq!(t.verify("wrong".into(), hash.clone()).await, Ok(false));
        assert_eq!(t.verifications(), 2);
        // Far more callers than permits plus the waiting room: the excess is refused, not queued.
        let calls: Vec<_> = (0..64)
            .map(|_| {
                let (t, hash) = (t.clone(), hash.clone());
                tokio::spawn(async move { t.verify("wrong".into(), hash).await })
            })
            .collect();
        let mut busy = 0;
        for c in calls {
            if c.await.unwrap() == Err(Refused::Busy) {
                busy += 1;
            }
        }
        assert!(busy >= 64 - CHECK_PERMITS - MAX_WAITING, "{busy} refused");
        assert!(t.verifications() <= 2 + 64 - busy as u64);
    }
}
