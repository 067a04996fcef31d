//! Usage samples (`usage_samples`): written by the host monitor's sampler, read by the General
//! sub-tabs' charts; and the status counts `/metrics` reports.

use super::Repository;
use uuid::Uuid;
use vireo_app::domain::usage::{UsageKind, UsageSample, MAX_SAMPLES, WINDOW_SECS};
use vireo_app::error::AppError;
use vireo_app::models::HostStatus;

/// One object's sample as the sampler writes it (taken at the database's `now()`).
#[derive(Clone, Debug, PartialEq)]
pub struct NewUsageSample {
    pub kind: UsageKind,
    pub id: Uuid,
    pub cpu_percent: Option<f32>,
    pub memory_bytes: Option<u64>,
    pub memory_percent: Option<f32>,
}

/// A sample as read: epoch seconds, CPU %, memory bytes, memory %.
type HistoryRow = (i64, Option<f32>, Option<i64>, Option<f32>);

impl Repository {
    /// Writes one sample per object (one statement), then deletes every sample older than
    /// `retention_secs`: the table stays at most retention / interval rows per object.
    pub async fn record_usage(&self, samples: &[NewUsageSample], retention_secs: i64) -> Result<(), AppError> {
        if !samples.is_empty() {
            let kinds: Vec<&str> = samples.iter().map(|s| s.kind.as_str()).collect();
            let ids: Vec<Uuid> = samples.iter().map(|s| s.id).collect();
            let cpu: Vec<Option<f32>> = samples.iter().map(|s| s.cpu_percent).collect();
            let bytes: Vec<Option<i64>> = samples
                .iter()
                .map(|s| s.memory_bytes.and_then(|b| i64::try_from(b).ok()))
                .collect();
            let mem: Vec<Option<f32>> = samples.iter().map(|s| s.memory_percent).collect();
            let sql = "INSERT INTO usage_samples
                           (object_kind, object_id, sampled_at, cpu_percent, memory_bytes, memory_percent)
                       SELECT k, i, now(), c, b, m
                       FROM UNNEST($1::text[], $2::uuid[], $3::real[], $4::bigint[], $5::real[]) AS t(k, i, c, b, m)
                       ON CONFLICT DO NOTHING";
            self.execute(sqlx::query(sql).bind(kinds).bind(ids).bind(cpu).bind(bytes).bind(mem))
                .await?;
        }
        self.execute(
            sqlx::query("DELETE FROM usage_samples WHERE sampled_at < now() - make_interval(secs => $1)")
                .bind(retention_secs as f64),
        )
        .await?;
        Ok(())
    }

    /// The object's samples of the last hour, oldest first: at most `MAX_SAMPLES`, the newest ones.
    /// With the database's clock (seconds since the epoch), which the samples were taken by.
    pub async fn usage_history(&self, kind: UsageKind, id: Uuid) -> Result<(Vec<UsageSample>, i64), AppError> {
        let sql = "SELECT extract(epoch FROM sampled_at)::bigint, cpu_percent, memory_bytes, memory_percent
                   FROM usage_samples
                   WHERE object_kind = $1 AND object_id = $2 AND sampled_at >= now() - make_interval(secs => $3)
                   ORDER BY sampled_at DESC LIMIT $4";
        let rows: Vec<HistoryRow> = self
            .fetch_all(
                sqlx::query_as(sql)
                    .bind(kind.as_str())
                    .bind(id)
                    .bind(WINDOW_SECS as f64)
                    .bind(MAX_SAMPLES as i64),
            )
            .await?;
        let now = self.count("SELECT extract(epoch FROM now())::bigint").await?;
        let samples = rows
            .into_iter()
            .rev()
            .map(|(at, cpu_percent, memory_bytes, memory_percent)| UsageSample {
                at,
                cpu_percent,
                memory_bytes: memory_bytes.and_then(|b| u64::try_from(b).ok()),
                memory_percent,
            })
            .collect();
        Ok((samples, now))
    }

    /// How many hosts have each status (every status, zeros included).
    pub async fn host_status_counts(&self) -> Result<Vec<(HostStatus, u64)>, AppError> {
        let rows: Vec<(String, i64)> = self
            .fetch_all(sqlx::query_as(
                "SELECT status, count(*)::bigint FROM hosts GROUP BY status",
            ))
            .await?;
        Ok(HostStatus::ALL
            .iter()
            .map(|status| {
                let n = rows
                    .iter()
                    .filter(|(s, _)| s == status.as_str())
                    .map(|(_, n)| u64::try_from(*n).unwrap_or(0))
                    .sum();
                (*status, n)
            })
            .collect())
    }
}
