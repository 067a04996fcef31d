//! How each collection's fields (`vireo_app::domain::collections`) read in SQL: its tables and one
//! expression per search field and sort key, shared by the grid queries (`grids.rs`) and the REST
//! search (`api_search.rs`), so a name means the same column in both. Expressions are fixed text,
//! never user input; the callers bind every value.

use vireo_app::domain::collections::{self, CollectionFields};

/// A column of a table: (table, column).
pub type TableColumn = (&'static str, &'static str);

pub(super) struct CollectionSql {
    /// The names this maps (the domain's description).
    pub fields: CollectionFields,
    /// The collection's own table and alias (`vms v`).
    pub base: &'static str,
    /// Joined tables: (alias, `JOIN …` clause), in join order.
    pub joins: &'static [(&'static str, &'static str)],
    /// The row's id.
    pub id: &'static str,
    /// Search field or sort key → SQL expression. A grid term whose values are a fixed list (a
    /// code) is compared with its expression as is, so the column's index serves it.
    pub exprs: &'static [(&'static str, &'static str)],
    /// Grid sort keys that order by something other than their field's expression.
    pub grid_sort_exprs: &'static [(&'static str, &'static str)],
    /// Sort keys whose expression is a column that is never NULL (`NOT NULL` in the base table or
    /// an inner join's): they order descending as `DESC`, which an index read backwards serves,
    /// instead of `DESC NULLS LAST` (see [`CollectionSql::direction`]). The schema test
    /// (`server/tests/integration/grids.rs`) checks each against the database.
    pub never_null: &'static [&'static str],
    /// REST search fields some rows match whatever the condition says: (field, SQL predicate of
    /// those rows). Blank belongs to no cluster and so is in every data center.
    pub in_every: &'static [(&'static str, &'static str)],
    /// REST search fields about other rows, as oVirt's cross-object searches (`Templates:
    /// vm.name=X`: the templates a VM named X was made from): (field, the related rows as `FROM …
    /// WHERE <correlation>`). A row matches when any related row meets the condition on the
    /// field's expression, which reads the related rows' alias.
    pub related: &'static [(&'static str, &'static str)],
    /// Grid terms no SQL expression can answer: the service computes the matching ids and the grid
    /// narrows to them (`recommendations:missing`: the High Performance rules run in Rust, with
    /// each VM's cluster and host facts). Their expression is the id the set is compared with.
    pub computed: &'static [&'static str],
}

fn lookup(pairs: &[(&'static str, &'static str)], name: &str) -> Option<&'static str> {
    pairs.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
}

impl CollectionSql {
    /// The expression of a search field or sort key.
    pub fn expr(&self, name: &str) -> Option<&'static str> {
        lookup(self.exprs, name)
    }

    /// A grid term's expression and whether it is a code (compared as stored), for the grid's own
    /// terms only.
    pub fn grid_term(&self, field: &str) -> Option<(&'static str, bool)> {
        let (_, allowed) = self.fields.grid_terms.iter().find(|(f, _)| *f == field)?;
        if self.computed.contains(&field) {
            return Some((self.id, true));
        }
        Some((self.expr(field)?, allowed.is_some()))
    }

    /// What the grid orders by for `key`; an unknown key orders by the default (the first).
    pub fn grid_sort(&self, key: &str) -> &'static str {
        let key = self.grid_sort_key(key);
        lookup(self.grid_sort_exprs, key)
            .or_else(|| self.expr(key))
            .unwrap_or(self.id)
    }

    /// The grid sort key `key` resolves to: itself if the collection sorts by it, else the default
    /// (the first).
    fn grid_sort_key(&self, key: &str) -> &'static str {
        let sorts = self.fields.grid_sorts;
        sorts
            .iter()
            .find(|k| **k == key)
            .or(sorts.first())
            .copied()
            .unwrap_or("")
    }

    /// `ORDER BY`'s expression and direction for the grid's sort `key` (without the tie).
    pub fn grid_order(&self, key: &str, desc: bool) -> String {
        let key = self.grid_sort_key(key);
        format!("{} {}", self.grid_sort(key), self.direction(key, desc))
    }

    /// The direction to order by `key`, blanks last either way. PostgreSQL puts NULLs first in a
    /// descending order unless told `NULLS LAST`, and an order that says so no longer matches a
    /// b-tree index read backwards: `ORDER BY v.name DESC NULLS LAST LIMIT 100` read and sorted all
    /// 10,000 VMs (9 ms; 21 ms for the grid's request against 5.5 ms ascending), where `DESC` reads
    /// 100 names from the index (0.08 ms). So a key that is never NULL says only `DESC`: the same
    /// rows, in the same order.
    pub fn direction(&self, key: &str, desc: bool) -> &'static str {
        match (desc, self.never_null.contains(&key)) {
            (false, _) => "ASC",
            (true, true) => "DESC",
            (true, false) => "DESC NULLS LAST",
        }
    }

    /// The never-NULL sort keys' columns as (table, column): the schema test compares them with
    /// the database. `None` for a key whose expression is not a plain column of the base table or
    /// of an inner join (the unit test below refuses those).
    pub fn never_null_columns(&self) -> Vec<(&'static str, Option<TableColumn>)> {
        self.never_null
            .iter()
            .map(|key| {
                // The direction applies to the grid expression's last part (Templates keep Blank
                // first: `(t.name <> 'Blank'), t.name`).
                let grid = lookup(self.grid_sort_exprs, key).and_then(|e| e.rsplit(", ").next());
                let exprs = [self.expr(key), grid];
                let mut columns = exprs.into_iter().flatten().map(|e| self.plain_column(e));
                let first = columns.next().flatten();
                // Each expression of the key (the field's and the grid's own) must be that column.
                let column = first.filter(|c| columns.all(|other| other == Some(*c)));
                (*key, column)
            })
            .collect()
    }

    /// `alias.column` or a bare column of the base table, or of a table joined with `JOIN` (an
    /// outer join's columns are NULL where it finds no row), as (table, column).
    fn plain_column(&self, expr: &'static str) -> Option<TableColumn> {
        let ident = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        let mut base = self.base.split_whitespace();
        let (base_table, base_alias) = (base.next()?, base.next().unwrap_or(self.base));
        let (alias, column) = expr.split_once('.').unwrap_or((base_alias, expr));
        if !ident(alias) || !ident(column) {
            return None;
        }
        if alias == base_alias {
            return Some((base_table, column));
        }
        let (_, join) = self.joins.iter().find(|(a, _)| *a == alias)?;
        let table = join.strip_prefix("JOIN ")?.split_whitespace().next()?;
        Some((table, column))
    }

    /// A REST search field's expression, for the collection's API fields only.
    pub fn api_field(&self, field: &str) -> Option<&'static str> {
        self.fields
            .api_fields
            .contains(&field)
            .then(|| self.expr(field))
            .flatten()
    }

    /// `base` plus the joins whose alias `needed` asks for.
    pub fn tables(&self, needed: impl Fn(&str) -> bool) -> String {
        let mut from = self.base.to_string();
        for (alias, join) in self.joins {
            if needed(alias) {
                from.push(' ');
                from.push_str(join);
            }
        }
        from
    }

    /// The related rows a condition on `field` is about (`related`), if it is about any.
    pub fn related(&self, field: &str) -> Option<&'static str> {
        lookup(self.related, field)
    }

    /// The predicate of the rows a condition on `field` always matches (`in_every`).
    pub fn in_every(&self, field: &str) -> Option<&'static str> {
        lookup(self.in_every, field)
    }

    pub fn all_tables(&self) -> String {
        self.tables(|_| true)
    }
}

/// `value` with LIKE's own wildcards (and its escape character) escaped.
pub(super) fn escape_like(value: &str) -> String {
    value.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub(super) const VMS: CollectionSql = CollectionSql {
    fields: collections::VMS,
    base: "vms v",
    joins: &[
        ("c", "JOIN clusters c ON c.id = v.cluster_id"),
        ("dc", "JOIN data_centers dc ON dc.id = c.data_center_id"),
        ("t", "JOIN templates t ON t.id = v.template_id"),
        ("h", "LEFT JOIN hosts h ON h.id = v.host_id"),
        ("p", "LEFT JOIN vm_pools p ON p.id = v.pool_id"),
    ],
    id: "v.id",
    exprs: &[
        ("name", "v.name"),
        ("description", "v.description"),
        ("status", "v.status"),
        ("type", "v.optimized_for"),
        ("cluster", "c.name"),
        ("host", "h.name"),
        ("template", "t.name"),
        ("pool", "p.name"),
        ("os", "v.os_type"),
        ("datacenter", "dc.name"),
        ("id", "v.id::text"),
        ("memory", "v.memory_mib"),
        ("vcpus", "v.vcpus"),
        ("uptime", "CASE WHEN v.status = 'up' THEN v.status_changed_at END"),
    ],
    grid_sort_exprs: &[],
    never_null: &["name", "description", "status", "cluster", "template", "datacenter"],
    in_every: &[],
    related: &[],
    computed: &["recommendations"],
};

pub(super) const TEMPLATES: CollectionSql = CollectionSql {
    fields: collections::TEMPLATES,
    base: "templates t",
    joins: &[
        ("c", "LEFT JOIN clusters c ON c.id = t.cluster_id"),
        ("dc", "LEFT JOIN data_centers dc ON dc.id = c.data_center_id"),
    ],
    id: "t.id",
    exprs: &[
        ("name", "t.name"),
        ("description", "t.description"),
        ("cluster", "c.name"),
        ("datacenter", "dc.name"),
        ("type", "t.optimized_for"),
        ("id", "t.id::text"),
        ("memory", "t.memory_mib"),
        ("vcpus", "t.vcpus"),
        ("vm.name", "rv.name"),
    ],
    // The grid keeps Blank, the template every other starts from, at the top.
    grid_sort_exprs: &[("name", "(t.name <> 'Blank'), t.name")],
    never_null: &["name", "description"],
    in_every: &[("datacenter", "t.cluster_id IS NULL")],
    related: &[("vm.name", "vms rv WHERE rv.template_id = t.id")],
    computed: &[],
};

pub(super) const POOLS: CollectionSql = CollectionSql {
    fields: collections::POOLS,
    base: "vm_pools p",
    joins: &[
        ("t", "JOIN templates t ON t.id = p.template_id"),
        ("c", "JOIN clusters c ON c.id = p.cluster_id"),
        ("dc", "JOIN data_centers dc ON dc.id = c.data_center_id"),
    ],
    id: "p.id",
    exprs: &[
        ("name", "p.name"),
        ("description", "p.description"),
        ("cluster", "c.name"),
        ("datacenter", "dc.name"),
        ("template", "t.name"),
        ("type", "p.optimized_for"),
        ("id", "p.id::text"),
        ("size", "p.size"),
        (
            "running",
            "(SELECT count(*) FROM vms v WHERE v.pool_id = p.id AND v.status = 'up')",
        ),
    ],
    grid_sort_exprs: &[],
    never_null: &["name", "description", "cluster", "datacenter", "template", "size"],
    in_every: &[],
    related: &[],
    computed: &[],
};

pub(super) const HOSTS: CollectionSql = CollectionSql {
    fields: collections::HOSTS,
    base: "hosts h",
    joins: &[
        ("c", "JOIN clusters c ON c.id = h.cluster_id"),
        ("dc", "JOIN data_centers dc ON dc.id = c.data_center_id"),
    ],
    id: "h.id",
    exprs: &[
        ("name", "h.name"),
        ("status", "h.status"),
        ("cluster", "c.name"),
        ("datacenter", "dc.name"),
        ("address", "h.uri"),
        ("uri", "h.uri"),
        ("id", "h.id::text"),
        ("cpus", "jsonb_array_length(h.topology -> 'cells')"),
        ("vms", "(SELECT count(*) FROM vms v WHERE v.host_id = h.id)"),
    ],
    grid_sort_exprs: &[],
    never_null: &["name", "status", "cluster", "datacenter", "address", "uri"],
    in_every: &[],
    related: &[],
    computed: &[],
};

pub(super) const CLUSTERS: CollectionSql = CollectionSql {
    fields: collections::CLUSTERS,
    base: "clusters c",
    joins: &[("dc", "JOIN data_centers dc ON dc.id = c.data_center_id")],
    id: "c.id",
    exprs: &[
        ("name", "c.name"),
        ("description", "c.description"),
        ("datacenter", "dc.name"),
        ("id", "c.id::text"),
        ("version", "c.compat_version"),
        ("hosts", "(SELECT count(*) FROM hosts h WHERE h.cluster_id = c.id)"),
        ("vms", "(SELECT count(*) FROM vms v WHERE v.cluster_id = c.id)"),
    ],
    grid_sort_exprs: &[],
    never_null: &["name", "description", "datacenter", "version"],
    in_every: &[],
    related: &[],
    computed: &[],
};

/// A data center's status as `DataCenterStatus` derives it from the hosts of its clusters; a macro
/// so that the data center queries' column lists can `concat!` it.
macro_rules! data_center_status_sql {
    () => {
        "(SELECT CASE WHEN bool_or(h.status = 'up') THEN 'up'
            WHEN count(h.id) > 0 THEN 'problematic' ELSE 'uninitialized' END
         FROM clusters hc JOIN hosts h ON h.cluster_id = hc.id WHERE hc.data_center_id = dc.id)"
    };
}
pub(super) use data_center_status_sql;
pub(super) const DATA_CENTER_STATUS: &str = data_center_status_sql!();

pub(super) const DATA_CENTERS: CollectionSql = CollectionSql {
    fields: collections::DATA_CENTERS,
    base: "data_centers dc",
    joins: &[],
    id: "dc.id",
    exprs: &[
        ("name", "dc.name"),
        ("description", "dc.description"),
        ("status", DATA_CENTER_STATUS),
        ("id", "dc.id::text"),
        ("version", "dc.compat_version"),
        (
            "clusters",
            "(SELECT count(*) FROM clusters c WHERE c.data_center_id = dc.id)",
        ),
        (
            "hosts",
            "(SELECT count(*) FROM hosts h JOIN clusters c ON c.id = h.cluster_id WHERE c.data_center_id = dc.id)",
        ),
        (
            "vms",
            "(SELECT count(*) FROM vms v JOIN clusters c ON c.id = v.cluster_id WHERE c.data_center_id = dc.id)",
        ),
    ],
    grid_sort_exprs: &[],
    never_null: &["name", "description", "version"],
    in_every: &[],
    related: &[],
    computed: &[],
};

pub(super) const EVENTS: CollectionSql = CollectionSql {
    fields: collections::EVENTS,
    base: "events",
    joins: &[],
    id: "id",
    exprs: &[
        // Qualified: the grid's select list has a text `at` too, and a bare name in ORDER BY means
        // the select list's.
        ("time", "events.at"),
        ("severity", "severity"),
        ("result", "result"),
        ("object", "object_kind"),
        ("user", "username"),
        ("action", "action"),
    ],
    // `object:vm` filters by kind; the column sorts by the object's name.
    grid_sort_exprs: &[("object", "object_name")],
    never_null: &["time", "severity", "action"],
    in_every: &[],
    related: &[],
    computed: &[],
};

pub(super) const USERS: CollectionSql = CollectionSql {
    fields: collections::USERS,
    base: "users",
    joins: &[],
    id: "id",
    exprs: &[
        ("name", "lower(username)"),
        ("role", "role"),
        // The term's yes/no, as text to compare with; it sorts as the boolean does (no, then yes).
        ("disabled", "CASE WHEN disabled THEN 'yes' ELSE 'no' END"),
        ("created", "created_at"),
    ],
    grid_sort_exprs: &[],
    never_null: &["role", "created"],
    in_every: &[],
    related: &[],
    computed: &[],
};

pub(super) const INSTANCE_TYPES: CollectionSql = CollectionSql {
    fields: collections::INSTANCE_TYPES,
    base: "instance_types i",
    joins: &[],
    id: "i.id",
    exprs: &[
        ("name", "i.name"),
        ("description", "i.description"),
        ("id", "i.id::text"),
    ],
    grid_sort_exprs: &[],
    never_null: &["name", "description"],
    in_every: &[],
    related: &[],
    computed: &[],
};

pub(super) const STORAGE_DOMAINS: CollectionSql = CollectionSql {
    fields: collections::STORAGE_DOMAINS,
    base: "storage_domains sd",
    joins: &[("h", "JOIN hosts h ON h.id = sd.host_id")],
    id: "sd.id",
    exprs: &[
        ("name", "sd.name"),
        ("id", "sd.id::text"),
        ("host", "h.name"),
        ("type", "sd.pool_type"),
        ("path", "sd.path"),
        ("capacity", "sd.capacity_bytes"),
        ("used", "sd.allocation_bytes"),
        ("free", "sd.available_bytes"),
        ("status", "sd.status"),
    ],
    grid_sort_exprs: &[],
    never_null: &["name", "host", "type", "path", "capacity", "used", "free", "status"],
    in_every: &[],
    related: &[],
    computed: &[],
};

pub(super) const DISKS: CollectionSql = CollectionSql {
    fields: collections::DISKS,
    base: "disks d",
    joins: &[("sd", "JOIN storage_domains sd ON sd.id = d.storage_domain_id")],
    id: "d.id",
    exprs: &[
        ("name", "d.name"),
        ("id", "d.id::text"),
        ("size", "d.provisioned_bytes"),
        ("actual", "d.actual_bytes"),
        ("format", "d.format"),
        ("domain", "sd.name"),
        ("status", "d.status"),
    ],
    grid_sort_exprs: &[],
    never_null: &["name", "size", "actual", "format", "domain", "status"],
    in_every: &[],
    related: &[],
    computed: &[],
};

pub(super) const NETWORKS: CollectionSql = CollectionSql {
    fields: collections::NETWORKS,
    base: "networks n",
    joins: &[("c", "JOIN clusters c ON c.id = n.cluster_id")],
    id: "n.id",
    exprs: &[
        ("name", "n.name"),
        ("description", "n.description"),
        ("id", "n.id::text"),
        ("cluster", "c.name"),
        ("backing", "n.backing"),
        ("backing_name", "n.backing_name"),
        // As text, so `vlan:100` compares like any other term.
        ("vlan", "n.vlan_id::text"),
        (
            "profiles",
            "(SELECT count(*) FROM vnic_profiles vp WHERE vp.network_id = n.id)",
        ),
        (
            "nics",
            "(SELECT count(*) FROM nic_profile_refs r JOIN vnic_profiles vp ON vp.id = r.vnic_profile_id
              WHERE vp.network_id = n.id)",
        ),
    ],
    // Numerically, not as the term's text.
    grid_sort_exprs: &[("vlan", "n.vlan_id")],
    never_null: &["name", "description", "cluster", "backing", "backing_name"],
    in_every: &[],
    related: &[],
    computed: &[],
};

pub(super) const VNIC_PROFILES: CollectionSql = CollectionSql {
    fields: collections::VNIC_PROFILES,
    base: "vnic_profiles vp",
    joins: &[("n", "JOIN networks n ON n.id = vp.network_id")],
    id: "vp.id",
    exprs: &[
        ("name", "vp.name"),
        ("description", "vp.description"),
        ("id", "vp.id::text"),
        ("network", "n.name"),
        ("cluster", "(SELECT c.name FROM clusters c WHERE c.id = n.cluster_id)"),
        ("filter", "vp.network_filter"),
        ("multiqueue", "vp.multiqueue"),
        (
            "nics",
            "(SELECT count(*) FROM nic_profile_refs r WHERE r.vnic_profile_id = vp.id)",
        ),
    ],
    grid_sort_exprs: &[],
    never_null: &["name", "description", "network", "multiqueue"],
    in_every: &[],
    related: &[],
    computed: &[],
};

/// Every collection's SQL.
pub(super) const ALL: &[&CollectionSql] = &[
    &VMS,
    &TEMPLATES,
    &POOLS,
    &HOSTS,
    &CLUSTERS,
    &DATA_CENTERS,
    &EVENTS,
    &USERS,
    &INSTANCE_TYPES,
    &STORAGE_DOMAINS,
    &DISKS,
    &NETWORKS,
    &VNIC_PROFILES,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every collection the domain describes has its SQL here, and every name it gives has an
    /// expression: a field added to the description without its SQL fails here, not at run time.
    #[test]
    fn every_named_field_and_sort_key_has_its_sql() {
        for (name, fields) in collections::ALL {
            let sql = ALL
                .iter()
                .find(|s| s.fields == *fields)
                .unwrap_or_else(|| panic!("{name}: no CollectionSql"));
            for (field, _) in fields.grid_terms {
                assert!(sql.grid_term(field).is_some(), "{name}: grid term {field}");
            }
            for key in fields.grid_sorts {
                let order = lookup(sql.grid_sort_exprs, key).or_else(|| sql.expr(key));
                assert!(order.is_some(), "{name}: grid sort {key}");
                assert_eq!(sql.grid_sort(key), order.unwrap_or_default(), "{name}: {key}");
            }
            for field in fields.api_fields {
                assert!(sql.api_field(field).is_some(), "{name}: API field {field}");
            }
        }
    }

    /// Nothing here is left over from a name the description no longer has.
    #[test]
    fn every_expression_is_named_by_the_description() {
        for sql in ALL {
            let f = &sql.fields;
            for (name, _) in sql.exprs {
                let named = f.grid_terms.iter().any(|(t, _)| t == name)
                    || f.grid_sorts.contains(name)
                    || f.api_fields.contains(name);
                assert!(named, "{}: {name} is named nowhere", sql.base);
            }
            for (key, _) in sql.grid_sort_exprs {
                assert!(f.grid_sorts.contains(key), "{}: sort {key}", sql.base);
            }
        }
    }

    /// The grid's count query joins only the tables its terms' expressions name (by alias), so
    /// each term expression's alias must be the base table's or a join's (a subquery, in
    /// parentheses, names its own tables).
    #[test]
    fn term_expressions_name_only_known_tables() {
        for sql in ALL {
            let base_alias = sql.base.split_whitespace().nth(1);
            for (field, _) in sql.fields.grid_terms {
                let Some((expr, _)) = sql.grid_term(field) else {
                    continue;
                };
                if let Some((alias, _)) = expr.split_once('.').filter(|_| !expr.starts_with('(')) {
                    let known = Some(alias) == base_alias || sql.joins.iter().any(|(a, _)| *a == alias);
                    assert!(known, "{}: {field} reads {alias}.", sql.base);
                }
            }
        }
    }

    /// A key said to be never NULL is a sort key or an API field of its collection whose
    /// expressions are one plain column of the base table or an inner join; the schema test
    /// checks that column is `NOT NULL`.
    #[test]
    fn never_null_keys_are_plain_columns_of_inner_tables() {
        for sql in ALL {
            let f = &sql.fields;
            for (key, column) in sql.never_null_columns() {
                assert!(
                    f.grid_sorts.contains(&key) || f.api_fields.contains(&key),
                    "{}: {key} is not a sort key",
                    sql.base
                );
                assert!(column.is_some(), "{}: {key} is not one plain column", sql.base);
            }
        }
        // An outer join's column, an expression and a subquery are refused.
        assert_eq!(VMS.plain_column("h.name"), None);
        assert_eq!(VMS.plain_column("v.id::text"), None);
        assert_eq!(
            POOLS.plain_column("(SELECT count(*) FROM vms v WHERE v.pool_id = p.id)"),
            None
        );
        assert_eq!(VMS.plain_column("c.name"), Some(("clusters", "name")));
        assert_eq!(EVENTS.plain_column("events.at"), Some(("events", "at")));
        assert_eq!(EVENTS.plain_column("severity"), Some(("events", "severity")));
        assert_eq!(TEMPLATES.never_null_columns()[0], ("name", Some(("templates", "name"))));
    }

    /// Descending: plain `DESC` for a never-NULL key (an index read backwards serves it), blanks
    /// kept last for the others; ascending puts blanks last by itself.
    #[test]
    fn descending_orders_keep_blanks_last_and_indexes_usable() {
        assert_eq!(VMS.grid_order("name", true), "v.name DESC");
        assert_eq!(VMS.grid_order("name", false), "v.name ASC");
        assert_eq!(VMS.grid_order("host", true), "h.name DESC NULLS LAST");
        assert_eq!(VMS.grid_order("memory", true), "v.memory_mib DESC NULLS LAST");
        assert_eq!(
            VMS.grid_order("bogus", true),
            "v.name DESC",
            "the default key's own direction"
        );
        assert_eq!(EVENTS.grid_order("time", true), "events.at DESC");
        assert_eq!(EVENTS.grid_order("object", true), "object_name DESC NULLS LAST");
        assert_eq!(TEMPLATES.grid_order("name", true), "(t.name <> 'Blank'), t.name DESC");
    }

    #[test]
    fn unknown_sort_keys_order_by_the_default() {
        assert_eq!(VMS.grid_sort("bogus"), "v.name");
        // `os` is a REST field, not a grid column.
        assert_eq!(VMS.grid_sort("os"), "v.name");
        assert_eq!(TEMPLATES.grid_sort("name"), "(t.name <> 'Blank'), t.name");
        assert_eq!(TEMPLATES.api_field("name"), Some("t.name"));
        assert_eq!(EVENTS.grid_sort("object"), "object_name");
        assert_eq!(EVENTS.grid_term("object"), Some(("object_kind", true)));
        assert_eq!(VMS.grid_term("cluster"), Some(("c.name", false)));
        assert_eq!(VMS.api_field("memory"), None);
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
