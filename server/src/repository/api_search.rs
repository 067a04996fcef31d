//! The REST API's `?search=` (oVirt's query language, parsed in `vireo_app::domain::ovirt_search`)
//! as SQL: which ids match, in order, one page. Fields map to fixed expressions; values are bound.

use super::collection_sql::{self, escape_like, CollectionSql};
use super::{internal, Repository};
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;
use vireo_app::domain::ovirt_search::{Condition, OvirtQuery};
use vireo_app::error::AppError;

/// The collections the API lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiCollection {
    Vms,
    Templates,
    Pools,
    Clusters,
    DataCenters,
    Hosts,
    InstanceTypes,
    StorageDomains,
    Disks,
    Networks,
    VnicProfiles,
}

impl ApiCollection {
    pub const ALL: [ApiCollection; 11] = [
        Self::Vms,
        Self::Templates,
        Self::Pools,
        Self::Clusters,
        Self::DataCenters,
        Self::Hosts,
        Self::InstanceTypes,
        Self::StorageDomains,
        Self::Disks,
        Self::Networks,
        Self::VnicProfiles,
    ];

    /// The collection's tables and fields (shared with its grid).
    fn sql(self) -> &'static CollectionSql {
        match self {
            Self::Vms => &collection_sql::VMS,
            Self::Templates => &collection_sql::TEMPLATES,
            Self::Pools => &collection_sql::POOLS,
            Self::Clusters => &collection_sql::CLUSTERS,
            Self::DataCenters => &collection_sql::DATA_CENTERS,
            Self::Hosts => &collection_sql::HOSTS,
            Self::InstanceTypes => &collection_sql::INSTANCE_TYPES,
            Self::StorageDomains => &collection_sql::STORAGE_DOMAINS,
            Self::Disks => &collection_sql::DISKS,
            Self::Networks => &collection_sql::NETWORKS,
            Self::VnicProfiles => &collection_sql::VNIC_PROFILES,
        }
    }

    /// What `?search=` accepts for this collection; the first is the default order.
    pub fn fields(self) -> &'static [&'static str] {
        self.sql().fields.api_fields
    }
}

/// `*` → `%`, with LIKE's own wildcards escaped.
fn like_pattern(value: &str) -> String {
    escape_like(value).replace('*', "%")
}
fn push_condition(qb: &mut QueryBuilder<'_, Postgres>, expr: &str, c: &Condition, case_sensitive: bool) {
    // NULL (a VM without a host) is "not equal" to anything, so negations match it.
    qb.push(if c.negated { "NOT coalesce(" } else { "coalesce(" });
    match (c.has_wildcard(), case_sensitive) {
        (true, true) => qb.push(expr).push(" LIKE ").push_bind(like_pattern(&c.value)),
        (true, false) => qb.push(expr).push(" ILIKE ").push_bind(like_pattern(&c.value)),
        (false, true) => qb.push(expr).push(" = ").push_bind(c.value.clone()),
        (false, false) => qb
            .push("lower(")
            .push(expr)
            .push(") = lower(")
            .push_bind(c.value.clone())
            .push(")"),
    };
    qb.push(", false)");
}

impl Repository {
    /// Ids matching `q` (fields already checked against `c.fields()`), sorted, at most `max`.
    pub async fn api_search(
        &self,
        c: ApiCollection,
        q: &OvirtQuery,
        max: Option<u32>,
        case_sensitive: bool,
    ) -> Result<Vec<Uuid>, AppError> {
        let sql = c.sql();
        let expr = |field: &str| sql.api_field(field);
        let mut qb = QueryBuilder::new(format!("SELECT {} FROM {} WHERE ", sql.id, sql.all_tables()));
        if q.any_of.is_empty() {
            qb.push("true");
        }
        for (i, group) in q.any_of.iter().enumerate() {
            qb.push(if i > 0 { " OR (" } else { "(" });
            for (j, cond) in group.iter().enumerate() {
                if j > 0 {
                    qb.push(" AND ");
                }
                match (expr(&cond.field), sql.related(&cond.field)) {
                    (Some(e), Some(rows)) => {
                        qb.push(format!("EXISTS (SELECT 1 FROM {rows} AND "));
                        push_condition(&mut qb, e, cond, case_sensitive);
                        qb.push(")");
                    }
                    (Some(e), None) => match sql.in_every(&cond.field) {
                        Some(always) => {
                            qb.push(format!("({always} OR "));
                            push_condition(&mut qb, e, cond, case_sensitive);
                            qb.push(")");
                        }
                        None => push_condition(&mut qb, e, cond, case_sensitive),
                    },
                    (None, _) => {
                        qb.push("false");
                    }
                }
            }
            qb.push(")");
        }
        let (key, sort, desc) = q
            .sort
            .as_ref()
            // A field about other rows has no value of this row to order by.
            .filter(|(f, _)| sql.related(f).is_none())
            .and_then(|(f, d)| expr(f).map(|e| (f.as_str(), e, *d)))
            .unwrap_or_else(|| {
                let first = c.fields().first().copied().unwrap_or("");
                (first, expr(first).unwrap_or(sql.id), false)
            });
        qb.push(format!(" ORDER BY {sort} {}, {}", sql.direction(key, desc), sql.id));
        if let Some(max) = max {
            qb.push(" LIMIT ").push_bind(i64::from(max));
            if let Some(page) = q.page {
                // The parser and the handler hold page and max to their limits; checked anyway, so
                // no caller can wrap it into a negative OFFSET (past i64 there are no rows anyway).
                let offset = i64::from(page.saturating_sub(1))
                    .checked_mul(i64::from(max))
                    .unwrap_or(i64::MAX);
                qb.push(" OFFSET ").push_bind(offset);
            }
        }
        qb.build_query_scalar().fetch_all(&self.pool).await.map_err(internal)
    }
}

/// The API root's summary: up and total hosts and VMs, and users.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApiSummary {
    pub hosts_up: i64,
    pub hosts: i64,
    pub vms_up: i64,
    pub vms: i64,
    pub users: i64,
}

impl Repository {
    pub async fn api_summary(&self) -> Result<ApiSummary, AppError> {
        let (hosts_up, hosts, vms_up, vms, users): (i64, i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM hosts WHERE status = 'up'), (SELECT count(*) FROM hosts),
                    (SELECT count(*) FROM vms WHERE status = 'up'), (SELECT count(*) FROM vms),
                    (SELECT count(*) FROM users)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(internal)?;
        Ok(ApiSummary {
            hosts_up,
            hosts,
            vms_up,
            vms,
            users,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_become_like_patterns_and_like_syntax_is_literal() {
        assert_eq!(like_pattern("hp*"), "hp%");
        assert_eq!(like_pattern("50%_off*"), "50\\%\\_off%");
        assert_eq!(like_pattern("a\\b"), "a\\\\b");
    }

    #[test]
    fn every_collection_sorts_by_name_first() {
        for c in ApiCollection::ALL {
            assert_eq!(c.fields()[0], "name");
            assert!(c.fields().contains(&"id"));
        }
    }

    /// Each REST collection is one the domain describes with `?search=` fields, and each such
    /// description has its REST collection.
    #[test]
    fn the_rest_collections_are_those_with_api_fields() {
        for (name, fields) in vireo_app::domain::collections::ALL {
            let listed = ApiCollection::ALL.iter().any(|c| c.sql().fields == *fields);
            assert_eq!(listed, !fields.api_fields.is_empty(), "{name}");
        }
    }
}
