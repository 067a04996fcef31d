//! PostgreSQL's own `pg_dump` and `pg_restore`, run against Vireo's database. They get their
//! arguments as argv (no shell), their files as standard input/output opened by Vireo (so a
//! cluster owner other than Vireo's user never needs a path of ours), and a password only through
//! `PGPASSWORD` in their environment — never on the command line, where `ps` shows it.

use super::store::{Store, EMBEDDED_DATABASE};
use super::OpsError;
use std::process::{Command, Stdio};
use tokio::io::AsyncReadExt;

/// How much of a failing tool's standard error is kept for the message (its last bytes).
const STDERR_TAIL: usize = 4096;

/// `program` (`pg_dump`, `pg_restore`) set up to reach Vireo's database in `store`; `database`
/// names the embedded cluster's database to use instead of Vireo's own (a restore's staging one).
pub fn command(store: &Store, program: &str, database: Option<&str>) -> Result<Command, OpsError> {
    match store {
        Store::Embedded(pg) => {
            let mut cmd = pg.client_command(program)?;
            cmd.arg("--dbname").arg(database.unwrap_or(EMBEDDED_DATABASE));
            Ok(cmd)
        }
        Store::External { url } => {
            let target = libpq_target(url)?;
            // The installation the embedded cluster would use, else whatever `PATH` has.
            let program_path = crate::embedded_pg::find_bin_dir()
                .map(|bin| bin.join(program))
                .filter(|p| p.exists())
                .unwrap_or_else(|| program.into());
            let mut cmd = Command::new(program_path);
            cmd.arg("--dbname").arg(&target.url).arg("--no-password");
            cmd.env_remove("PGPASSWORD");
            if let Some(password) = target.password {
                cmd.env("PGPASSWORD", password);
            }
            Ok(cmd)
        }
    }
}

/// Runs `cmd` with the given standard input and output; its standard error (the last
/// [`STDERR_TAIL`] bytes) becomes the error when it fails.
pub async fn run(mut cmd: Command, stdin: Stdio, stdout: Stdio) -> Result<(), OpsError> {
    let program = cmd.get_program().to_string_lossy().to_string();
    cmd.stdin(stdin).stdout(stdout).stderr(Stdio::piped());
    let mut child = tokio::process::Command::from(cmd)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| OpsError::Tool {
            program: program.clone(),
            status: "not started".into(),
            stderr: e.to_string(),
        })?;
    let mut tail = Vec::new();
    if let Some(mut stderr) = child.stderr.take() {
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = stderr.read(&mut chunk).await {
            tail.extend_from_slice(&chunk[..n]);
            if tail.len() > STDERR_TAIL {
                tail.drain(..tail.len() - STDERR_TAIL);
            }
        }
    }
    let status = child.wait().await.map_err(|e| OpsError::Tool {
        program: program.clone(),
        status: "lost".into(),
        stderr: e.to_string(),
    })?;
    let stderr = String::from_utf8_lossy(&tail).trim().to_string();
    if !status.success() {
        return Err(OpsError::Tool {
            program,
            status: status.to_string(),
            stderr,
        });
    }
    if !stderr.is_empty() {
        tracing::warn!("{program}: {stderr}");
    }
    Ok(())
}

/// A `DATABASE_URL` as libpq's programs take it.
#[derive(Debug, PartialEq, Eq)]
pub struct LibpqTarget {
    /// The URL without its password, with sqlx's spellings of parameters turned into libpq's.
    pub url: String,
    /// The password (decoded), for `PGPASSWORD`.
    pub password: Option<String>,
}

/// Takes the password out of a `DATABASE_URL` (from the user part or a `password=` parameter)
/// and renames the parameters sqlx accepts under other names than libpq (`ssl-mode` →
/// `sslmode`, …); sqlx's own `statement-cache-capacity` means nothing to libpq and is dropped.
pub fn libpq_target(url: &str) -> Result<LibpqTarget, OpsError> {
    let mut parsed = url::Url::parse(url).map_err(|e| OpsError::BadUrl(e.to_string()))?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return Err(OpsError::BadUrl(format!(
            "scheme '{}' is not postgres or postgresql",
            parsed.scheme()
        )));
    }
    let mut password = parsed
        .password()
        .map(|p| percent_encoding::percent_decode_str(p).decode_utf8_lossy().to_string());
    parsed
        .set_password(None)
        .map_err(|()| OpsError::BadUrl("it has no host part".into()))?;
    let mut params = Vec::new();
    for (key, value) in parsed.query_pairs() {
        let key = match key.as_ref() {
            "password" => {
                password = Some(value.to_string());
                continue;
            }
            "statement-cache-capacity" => continue,
            "ssl-mode" => "sslmode".to_string(),
            "ssl-root-cert" | "ssl-ca" => "sslrootcert".to_string(),
            "ssl-cert" => "sslcert".to_string(),
            "ssl-key" => "sslkey".to_string(),
            other => other.to_string(),
        };
        params.push((key, value.to_string()));
    }
    if params.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(params);
    }
    Ok(LibpqTarget {
        url: parsed.to_string(),
        password: password.filter(|p| !p.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url() {
        let t = libpq_target("postgres://vireo:s%40cr%3At@db.example:5433/vireo").unwrap();
        assert_eq!(t.url, "postgres://vireo@db.example:5433/vireo");
        assert_eq!(t.password.as_deref(), Some("s@cr:t"));

        let t = libpq_target("postgresql://vireo@db/vireo?password=pw&sslmode=require").unwrap();
        assert_eq!(t.url, "postgresql://vireo@db/vireo?sslmode=require");
        assert_eq!(t.password.as_deref(), Some("pw"));

        let t = libpq_target("postgres://vireo@db/vireo").unwrap();
        assert_eq!(t.url, "postgres://vireo@db/vireo");
        assert_eq!(t.password, None);
    }

    #[test]
    fn sqlx_spellings_become_libpq_ones() {
        let t = libpq_target(
            "postgres://u:p@h/d?ssl-mode=verify-full&ssl-root-cert=/etc/ca.pem&statement-cache-capacity=10",
        )
        .unwrap();
        assert_eq!(
            t.url,
            "postgres://u@h/d?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem"
        );
        // A unix socket as sqlx and libpq both spell it.
        let t = libpq_target("postgres://vireo@localhost/vireo?host=/run/postgresql&port=5432").unwrap();
        assert_eq!(
            t.url,
            "postgres://vireo@localhost/vireo?host=%2Frun%2Fpostgresql&port=5432"
        );
    }

    #[test]
    fn what_is_not_a_postgres_url_is_refused() {
        for bad in ["mysql://u:p@h/d", "not a url", "postgres:relative"] {
            assert!(matches!(libpq_target(bad), Err(OpsError::BadUrl(_))), "{bad}");
        }
    }
}
