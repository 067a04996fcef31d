//! One description per collection of what it can be searched and sorted by: the grid search box's
//! `field:value` terms, the grid's sort keys (its columns' keys) and the REST API's `?search=`
//! fields (also its `sortby` keys). The grid queries and the REST search
//! (`server/src/repository/collection_sql.rs`) map exactly these names onto SQL, and a test there
//! checks that every name here has its SQL; the parsers (`search::parse_search`,
//! `ovirt_search::parse_ovirt_search`) admit exactly these names.

use super::live_changes::LiveTables;
use super::network::NETWORK_FILTERS;
use super::search::{HOST_STATUSES, TYPES, VM_STATUSES};

/// A grid search term: its field and allowed values. A fixed list means a code (`status`, `type`),
/// stored as written here; `None` means any text, compared as a name (case-insensitively).
pub type GridTerm = (&'static str, Option<&'static [&'static str]>);

/// What one collection can be searched and sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollectionFields {
    /// The grid's `field:value` terms, in the order a bad search lists them.
    pub grid_terms: &'static [GridTerm],
    /// The grid's sort keys; the first is the default (and what an unknown key falls back to).
    pub grid_sorts: &'static [&'static str],
    /// What the REST API's `?search=` accepts, as conditions and after `sortby`, in the order an
    /// unknown field's error lists them; the first is the default order. Empty: no REST collection.
    pub api_fields: &'static [&'static str],
    /// The tables the grid reads, for live updates: its rows' table, and those whose change it
    /// shows too (names of related objects, counts). `users` and `instance_types` are never
    /// announced.
    pub live: LiveTables,
}

pub const VMS: CollectionFields = CollectionFields {
    grid_terms: &[
        ("type", Some(TYPES)),
        ("status", Some(VM_STATUSES)),
        ("cluster", None),
        ("host", None),
        ("pool", None),
        ("template", None),
        // High Performance VMs with an unmet recommendation (the Dashboard links here). The rules
        // run in the service, which narrows the grid to the ids they name.
        ("recommendations", Some(&["missing"])),
    ],
    grid_sorts: &[
        "name",
        "status",
        "type",
        "description",
        "cluster",
        "host",
        "template",
        "pool",
        "memory",
        "vcpus",
        "uptime",
    ],
    api_fields: &[
        "name",
        "description",
        "status",
        "cluster",
        "host",
        "type",
        "template",
        "pool",
        "os",
        "datacenter",
        "id",
    ],
    live: LiveTables::rows("vms", &["clusters", "data_centers", "templates", "hosts", "vm_pools"]),
};

pub const TEMPLATES: CollectionFields = CollectionFields {
    grid_terms: &[("type", Some(TYPES)), ("cluster", None)],
    grid_sorts: &["name", "type", "description", "cluster", "memory", "vcpus"],
    // `datacenter=`: Blank, which belongs to no cluster, is in every data center (as in oVirt,
    // where playbooks find it with `name=Blank and datacenter=X`).
    // `vm.name=X`: the template VM X was made from (oVirt's cross-object search, which
    // `ovirt_vm` sends to find an existing VM's template).
    api_fields: &["name", "description", "cluster", "type", "datacenter", "id", "vm.name"],
    live: LiveTables::rows("templates", &["clusters", "data_centers"]),
};

pub const POOLS: CollectionFields = CollectionFields {
    grid_terms: &[("type", Some(TYPES)), ("template", None), ("cluster", None)],
    grid_sorts: &["name", "type", "template", "cluster", "size", "running", "description"],
    api_fields: &["name", "description", "cluster", "template", "type", "datacenter", "id"],
    live: LiveTables::rows("vm_pools", &["templates", "clusters", "data_centers", "vms"]),
};

pub const HOSTS: CollectionFields = CollectionFields {
    grid_terms: &[("status", Some(HOST_STATUSES)), ("cluster", None)],
    grid_sorts: &["name", "status", "uri", "cluster", "cpus", "vms"],
    api_fields: &["name", "status", "cluster", "address", "datacenter", "id"],
    live: LiveTables::rows("hosts", &["clusters", "data_centers", "vms"]),
};

pub const CLUSTERS: CollectionFields = CollectionFields {
    grid_terms: &[("datacenter", None)],
    grid_sorts: &["name", "datacenter", "version", "hosts", "vms"],
    api_fields: &["name", "description", "datacenter", "id"],
    live: LiveTables::rows("clusters", &["data_centers", "hosts", "vms"]),
};

/// Data centers: the top of oVirt's hierarchy (data center → clusters → hosts).
pub const DATA_CENTERS: CollectionFields = CollectionFields {
    grid_terms: &[("status", Some(DATA_CENTER_STATUSES))],
    grid_sorts: &["name", "status", "version", "clusters", "hosts", "vms", "description"],
    api_fields: &["name", "description", "status", "id"],
    live: LiveTables::rows("data_centers", &["clusters", "hosts", "vms"]),
};

/// `DataCenterStatus`'s strings (a search term's allowed values).
pub const DATA_CENTER_STATUSES: &[&str] = &crate::models::DataCenterStatus::STRS;

/// The audit log (the Events page and each object's Events sub-tab); not in the REST API.
pub const EVENTS: CollectionFields = CollectionFields {
    grid_terms: &[
        ("severity", Some(&["info", "warning", "error"])),
        ("result", Some(&["success", "failure"])),
        (
            "object",
            Some(&["vm", "template", "pool", "host", "cluster", "data_center", "user"]),
        ),
        ("user", None),
    ],
    grid_sorts: &["time", "severity", "user", "object", "action"],
    api_fields: &[],
    live: LiveTables {
        table: "events",
        by_row: false,
        also: &[],
    },
};

/// Vireo's users; not in the REST API.
pub const USERS: CollectionFields = CollectionFields {
    grid_terms: &[
        ("role", Some(&["admin", "operator", "viewer"])),
        ("disabled", Some(&["yes", "no"])),
    ],
    grid_sorts: &["name", "role", "disabled", "created"],
    api_fields: &[],
    live: LiveTables::rows("users", &[]),
};

/// Instance types: in the REST API only (the UI offers them in the VM dialog, with no grid).
pub const INSTANCE_TYPES: CollectionFields = CollectionFields {
    grid_terms: &[],
    grid_sorts: &[],
    api_fields: &["name", "description", "id"],
    live: LiveTables::rows("instance_types", &[]),
};

/// Storage domains (libvirt pools on hosts).
pub const STORAGE_DOMAINS: CollectionFields = CollectionFields {
    grid_terms: &[("status", Some(&["active", "inactive", "unknown"])), ("host", None)],
    grid_sorts: &["name", "host", "type", "path", "capacity", "used", "free", "status"],
    api_fields: &["name", "id"],
    live: LiveTables::rows("storage_domains", &["hosts", "disks"]),
};

/// Disks (volumes in storage domains).
pub const DISKS: CollectionFields = CollectionFields {
    grid_terms: &[
        ("format", Some(&["qcow2", "raw", "iso"])),
        ("status", Some(&["ok", "locked", "illegal"])),
        ("domain", None),
    ],
    grid_sorts: &["name", "size", "actual", "format", "domain", "status"],
    api_fields: &["name", "id"],
    live: LiveTables::rows("disks", &["storage_domains", "hosts", "vms", "templates", "vm_pools"]),
};

/// Networks (per cluster, backed by a libvirt network or a host bridge on each of its hosts).
pub const NETWORKS: CollectionFields = CollectionFields {
    grid_terms: &[
        ("cluster", None),
        ("backing", Some(&["libvirt_network", "bridge"])),
        ("vlan", None),
    ],
    grid_sorts: &["name", "cluster", "backing", "backing_name", "vlan", "profiles", "nics"],
    api_fields: &["name", "description", "cluster", "id"],
    live: LiveTables::rows(
        "networks",
        &[
            "clusters",
            "vnic_profiles",
            "host_network_backings",
            "hosts",
            "vms",
            "templates",
            "vm_pools",
        ],
    ),
};

/// vNIC profiles (a network plus options).
pub const VNIC_PROFILES: CollectionFields = CollectionFields {
    grid_terms: &[("network", None), ("filter", Some(&NETWORK_FILTERS))],
    grid_sorts: &["name", "network", "cluster", "filter", "multiqueue", "nics"],
    api_fields: &["name", "description", "network", "id"],
    live: LiveTables::rows(
        "vnic_profiles",
        &["networks", "clusters", "vms", "templates", "vm_pools"],
    ),
};

/// Every collection, named, for tests that check each one.
pub const ALL: &[(&str, CollectionFields)] = &[
    ("vms", VMS),
    ("templates", TEMPLATES),
    ("pools", POOLS),
    ("hosts", HOSTS),
    ("clusters", CLUSTERS),
    ("data_centers", DATA_CENTERS),
    ("events", EVENTS),
    ("users", USERS),
    ("instance_types", INSTANCE_TYPES),
    ("storage_domains", STORAGE_DOMAINS),
    ("disks", DISKS),
    ("networks", NETWORKS),
    ("vnic_profiles", VNIC_PROFILES),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ovirt_search::parse_ovirt_search;
    use crate::domain::search::parse_search;
    use std::collections::HashSet;

    fn unique(names: impl IntoIterator<Item = &'static str>) -> bool {
        let mut seen = HashSet::new();
        names.into_iter().all(|n| seen.insert(n))
    }

    #[test]
    fn names_are_unique_lower_case_and_parsed_by_both_search_languages() {
        for (collection, c) in ALL {
            let terms = c.grid_terms.iter().map(|(f, _)| *f);
            assert!(unique(terms.clone()), "{collection}: a grid term twice");
            assert!(unique(c.grid_sorts.iter().copied()), "{collection}: a sort key twice");
            assert!(unique(c.api_fields.iter().copied()), "{collection}: an API field twice");
            for name in terms
                .clone()
                .chain(c.grid_sorts.iter().copied())
                .chain(c.api_fields.iter().copied())
            {
                assert_eq!(name, name.to_lowercase(), "{collection}: {name}");
            }
            for (field, allowed) in c.grid_terms {
                let value = allowed.and_then(|a| a.first().copied()).unwrap_or("x");
                let search = parse_search(&format!("{field}:{value}"), c.grid_terms).unwrap();
                assert_eq!(search.term(field), vec![value], "{collection}: {field}");
            }
            for field in c.api_fields {
                let q = parse_ovirt_search(&format!("{field}=x sortby {field}"), c.api_fields).unwrap();
                assert_eq!(q.any_of[0][0].field, *field, "{collection}");
                assert_eq!(q.sort, Some((field.to_string(), false)), "{collection}");
            }
        }
    }

    /// Every REST collection is ordered by name unless asked otherwise, and can be found by id.
    #[test]
    fn rest_collections_sort_by_name_first_and_search_by_id() {
        for (collection, c) in ALL.iter().filter(|(_, c)| !c.api_fields.is_empty()) {
            assert_eq!(c.api_fields[0], "name", "{collection}");
            assert!(c.api_fields.contains(&"id"), "{collection}");
        }
    }

    #[test]
    fn every_grid_reads_only_tables_that_are_announced() {
        use crate::domain::live_changes::ANNOUNCED;
        for (name, fields) in ALL {
            let live = fields.live;
            for table in live.also {
                assert!(ANNOUNCED.contains(table), "{name}: {table} is never announced");
            }
            assert!(ANNOUNCED.contains(&live.table), "{name}: {}", live.table);
            assert!(!live.also.contains(&live.table), "{name}");
        }
    }
}
