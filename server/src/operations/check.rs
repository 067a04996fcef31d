//! `vireo-server check`: is this installation ready to serve? The configuration (already valid
//! when this runs: `Config::from_lookup` refused it otherwise), the built site, the database, its
//! migrations against this binary's, and libvirt at the default host's URI. Each finding is one
//! log line; the exit code sums them up (see [`Verdict::exit_code`]).

use super::store::Store;
use crate::config::Config;
use crate::hypervisor::Hypervisor;
use crate::repository::{AppliedMigration, Repository};
use std::time::Duration;

/// How long the libvirt check waits for the default host.
const LIBVIRT_DEADLINE: Duration = Duration::from_secs(15);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    Ok(String),
    /// Not wrong, but not ready: migrations this binary would apply, a database not created yet.
    Pending(String),
    Failed(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub what: &'static str,
    pub finding: Finding,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Ready,
    Pending,
    Failed,
}

impl Verdict {
    pub fn of(checks: &[Check]) -> Self {
        if checks.iter().any(|c| matches!(c.finding, Finding::Failed(_))) {
            Self::Failed
        } else if checks.iter().any(|c| matches!(c.finding, Finding::Pending(_))) {
            Self::Pending
        } else {
            Self::Ready
        }
    }

    /// 0 ready; 1 something failed; 3 nothing failed but migrations are pending (2 is clap's
    /// usage error).
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Ready => 0,
            Self::Failed => 1,
            Self::Pending => 3,
        }
    }
}

/// Runs every check. The embedded cluster is started for the time of the check if no Vireo runs
/// it (and not created if it does not exist yet).
pub async fn run(config: &Config, hypervisor: &dyn Hypervisor) -> Vec<Check> {
    let mut checks = vec![
        Check {
            what: "configuration",
            finding: Finding::Ok("valid".into()),
        },
        site(config),
    ];
    checks.extend(database(config).await);
    checks.push(libvirt(config, hypervisor).await);
    checks
}

fn site(config: &Config) -> Check {
    let pkg = config.site_root.join("pkg");
    let finding = if pkg.is_dir() {
        Finding::Ok(config.site_root.display().to_string())
    } else {
        Finding::Failed(format!(
            "{} has no pkg/ folder: set VIREO_SITE_ROOT to the built site (scripts/build.sh writes target/site)",
            config.site_root.display()
        ))
    };
    Check { what: "site", finding }
}

async fn database(config: &Config) -> Vec<Check> {
    let check = |what, finding| Check { what, finding };
    if !Store::exists(config) {
        return vec![
            check(
                "database",
                Finding::Pending(format!(
                    "no embedded cluster under {} yet (the first start creates it)",
                    config.data_dir.display()
                )),
            ),
            check("migrations", migration_finding(&[])),
        ];
    }
    let store = match Store::open(config).await {
        Ok(store) => store,
        Err(e) => return vec![check("database", Finding::Failed(e.to_string()))],
    };
    let described = store.describe();
    let result = match store.pool(2).await {
        Ok(pool) => {
            let repo = Repository::new(pool.clone());
            let applied = repo.applied_migrations().await;
            pool.close().await;
            match applied {
                Ok(applied) => vec![
                    check("database", Finding::Ok(format!("{described} answers"))),
                    check("migrations", migration_finding(&applied)),
                ],
                Err(e) => vec![check("database", Finding::Failed(format!("{described}: {e}")))],
            }
        }
        Err(e) => vec![check("database", Finding::Failed(e.to_string()))],
    };
    store.close().await;
    result
}

async fn libvirt(config: &Config, hypervisor: &dyn Hypervisor) -> Check {
    let uri = &config.default_host_uri;
    let finding = match tokio::time::timeout(LIBVIRT_DEADLINE, hypervisor.ping(uri)).await {
        Ok(Ok(())) => Finding::Ok(format!("{uri} answers")),
        Ok(Err(e)) => Finding::Failed(format!("{uri}: {e}")),
        Err(_) => Finding::Failed(format!("{uri}: no answer within {} s", LIBVIRT_DEADLINE.as_secs())),
    };
    Check {
        what: "libvirt",
        finding,
    }
}

/// The database's migrations against this binary's (`crate::MIGRATOR`).
fn migration_finding(applied: &[AppliedMigration]) -> Finding {
    let known: Vec<Known> = crate::MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| Known {
            version: m.version,
            description: m.description.to_string(),
            checksum: m.checksum.to_vec(),
        })
        .collect();
    compare_migrations(&known, applied)
}

/// A migration this binary carries.
#[derive(Clone, Debug)]
pub struct Known {
    pub version: i64,
    pub description: String,
    pub checksum: Vec<u8>,
}

/// What the migrator would say: applied ones it does not know (a newer Vireo's), whose text
/// changed or that failed half-way are errors `serve` would stop at; the rest is pending.
pub fn compare_migrations(known: &[Known], applied: &[AppliedMigration]) -> Finding {
    let mut problems = Vec::new();
    for a in applied {
        match known.iter().find(|k| k.version == a.version) {
            _ if !a.success => problems.push(format!("{} failed part-way (repair it by hand)", a.version)),
            None => problems.push(format!(
                "{} is not one of this binary's (made by a newer Vireo?)",
                a.version
            )),
            Some(k) if k.checksum != a.checksum => problems.push(format!("{} differs from this binary's", a.version)),
            Some(_) => {}
        }
    }
    if !problems.is_empty() {
        return Finding::Failed(format!("applied migration {}", problems.join("; ")));
    }
    let pending: Vec<String> = known
        .iter()
        .filter(|k| !applied.iter().any(|a| a.version == k.version))
        .map(|k| format!("{} {}", k.version, k.description))
        .collect();
    if pending.is_empty() {
        Finding::Ok(format!("all {} applied", known.len()))
    } else {
        Finding::Pending(format!(
            "{} of {} pending (`vireo-server migrate` or the next start applies them): {}",
            pending.len(),
            known.len(),
            pending.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(v: i64) -> Known {
        Known {
            version: v,
            description: format!("step {v}"),
            checksum: vec![v as u8],
        }
    }

    fn applied(v: i64, checksum: u8, success: bool) -> AppliedMigration {
        AppliedMigration {
            version: v,
            checksum: vec![checksum],
            success,
        }
    }

    #[test]
    fn migrations_are_applied_pending_or_wrong() {
        let k = [known(1), known(2), known(3)];
        assert_eq!(
            compare_migrations(&k, &[applied(1, 1, true), applied(2, 2, true), applied(3, 3, true)]),
            Finding::Ok("all 3 applied".into())
        );
        match compare_migrations(&k, &[applied(1, 1, true)]) {
            Finding::Pending(text) => assert!(
                text.starts_with("2 of 3 pending") && text.ends_with("2 step 2, 3 step 3"),
                "{text}"
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(compare_migrations(&k, &[]), Finding::Pending(_)));
        for (bad, says) in [
            (applied(4, 4, true), "4 is not one of this binary's"),
            (applied(2, 9, true), "2 differs"),
            (applied(2, 2, false), "2 failed part-way"),
        ] {
            match compare_migrations(&k, &[applied(1, 1, true), bad]) {
                Finding::Failed(text) => assert!(text.contains(says), "{text}"),
                other => panic!("{says}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_verdict_is_the_worst_finding() {
        let c = |finding| Check { what: "x", finding };
        let ok = c(Finding::Ok(String::new()));
        let pending = c(Finding::Pending(String::new()));
        let failed = c(Finding::Failed(String::new()));
        assert_eq!(Verdict::of(std::slice::from_ref(&ok)).exit_code(), 0);
        assert_eq!(Verdict::of(&[ok.clone(), pending.clone()]).exit_code(), 3);
        assert_eq!(Verdict::of(&[pending, failed, ok]).exit_code(), 1);
    }
}
