//! `?follow=` (oVirt 4.2+): an answer inlines the objects its links name, so a client gets a
//! cluster and its data center, or a VM and its NICs, in one request. The parameter is a
//! comma-separated list of dotted paths of oVirt's link names (`cluster.data_center`,
//! `disk_attachments.disk`). A path names either a reference (`<cluster href id/>`, replaced by the
//! cluster itself) or a sub-collection link (`<link rel="nics"/>`, beside which the list is put as
//! `<nics>…</nics>`; the SDK reads both). Every path is checked against the links each object type
//! has before anything is fetched, so a path no object could have is a 400 `<fault>` as the
//! engine's, whatever the data; a link an object happens not to carry (a stopped VM's `host`) is
//! left out. An `href` is resolved through the collection it names: an `ApiObject`'s `find` and
//! `element`, the VMs' own element, or — for sub-collections — the handler that answers `GET` on
//! it, its answer read back.

use super::collection::ApiObject;
use super::extract::{kind, ApiId};
use super::fault::Fault;
use super::href::API;
use super::query::ListParams;
use super::xml::{self, El};
use super::{
    data_centers, disk_attachments, hosts, instance_types, mac_pools, networks, nics, scheduling_policies,
    storage_domains, vm_consoles, vm_numa, vms,
};
use crate::web::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;
use vireo_app::domain::draft::ConfigKind;

/// Paths in one `?follow=`.
pub const MAX_PATHS: usize = 16;
/// Links in one path (`vms?follow=disk_attachments.disk.storage_domains` is 3).
pub const MAX_DEPTH: usize = 4;
/// Distinct objects and lists one answer may inline (a list of 1,000 VMs following their cluster
/// fetches each cluster once).
const MAX_FETCHES: usize = 2_000;
/// A sub-collection's answer read back.
const MAX_LIST_BYTES: usize = 16 * 1024 * 1024;

/// `?follow=` alone, for the handlers that answer one object.
#[derive(Debug, Default, Deserialize)]
pub struct FollowParam {
    pub follow: Option<String>,
}

/// How an object type links to another: a reference, a sub-collection behind a `<link rel>`, or an
/// inline list of references (a disk's `<storage_domains>`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Via {
    Reference,
    SubCollection,
    References,
}

/// The links of oVirt's model that Vireo's objects carry: (element, link name, what it leads to,
/// how). A path is checked against this table segment by segment.
const LINKS: &[(&str, &str, &str, Via)] = &[
    ("vm", "cluster", "cluster", Via::Reference),
    ("vm", "host", "host", Via::Reference),
    ("vm", "instance_type", "instance_type", Via::Reference),
    ("vm", "original_template", "template", Via::Reference),
    ("vm", "template", "template", Via::Reference),
    ("vm", "vm_pool", "vm_pool", Via::Reference),
    ("vm", "disk_attachments", "disk_attachment", Via::SubCollection),
    ("vm", "nics", "nic", Via::SubCollection),
    ("vm", "numa_nodes", "vm_numa_node", Via::SubCollection),
    ("vm", "graphics_consoles", "graphics_console", Via::SubCollection),
    ("vm", "reported_devices", "reported_device", Via::SubCollection),
    ("template", "cluster", "cluster", Via::Reference),
    ("template", "disk_attachments", "disk_attachment", Via::SubCollection),
    ("template", "nics", "nic", Via::SubCollection),
    ("vm_pool", "cluster", "cluster", Via::Reference),
    ("vm_pool", "template", "template", Via::Reference),
    ("cluster", "data_center", "data_center", Via::Reference),
    ("cluster", "scheduling_policy", "scheduling_policy", Via::Reference),
    ("cluster", "mac_pool", "mac_pool", Via::Reference),
    ("cluster", "networks", "network", Via::SubCollection),
    ("data_center", "mac_pool", "mac_pool", Via::Reference),
    ("data_center", "clusters", "cluster", Via::SubCollection),
    ("host", "cluster", "cluster", Via::Reference),
    ("host", "numa_nodes", "host_numa_node", Via::SubCollection),
    ("host_numa_node", "host", "host", Via::Reference),
    ("vm_numa_node", "vm", "vm", Via::Reference),
    ("graphics_console", "vm", "vm", Via::Reference),
    ("reported_device", "vm", "vm", Via::Reference),
    ("disk", "storage_domains", "storage_domain", Via::References),
    ("disk_attachment", "disk", "disk", Via::Reference),
    ("disk_attachment", "vm", "vm", Via::Reference),
    ("disk_attachment", "template", "template", Via::Reference),
    ("nic", "vnic_profile", "vnic_profile", Via::Reference),
    ("nic", "vm", "vm", Via::Reference),
    ("nic", "template", "template", Via::Reference),
    ("storage_domain", "host", "host", Via::Reference),
    ("storage_domain", "disks", "disk", Via::SubCollection),
    ("network", "cluster", "cluster", Via::Reference),
    ("network", "vnic_profiles", "vnic_profile", Via::SubCollection),
    ("vnic_profile", "network", "network", Via::Reference),
    (
        "instance_type",
        "graphics_consoles",
        "graphics_console",
        Via::SubCollection,
    ),
    ("graphics_console", "instance_type", "instance_type", Via::Reference),
    ("vnic_profile", "network_filter", "network_filter", Via::Reference),
];

/// The parsed paths as a tree: `a.b,a.c,d` → a{b,c}, d.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Follow(Vec<(String, Follow)>);

impl Follow {
    /// `?follow=` read and checked against `root`'s links (`None`: nothing to follow).
    pub fn parse(raw: Option<&str>, root: &str) -> Result<Option<Self>, Fault> {
        let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
            return Ok(None);
        };
        let paths: Vec<&str> = raw.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
        if paths.len() > MAX_PATHS {
            return Err(invalid(format!("at most {MAX_PATHS} paths may be followed at once")));
        }
        let mut tree = Follow::default();
        for path in paths {
            let segments: Vec<&str> = path.split('.').collect();
            if segments.len() > MAX_DEPTH {
                return Err(invalid(format!("'{path}' is deeper than {MAX_DEPTH} links")));
            }
            let mut at = root;
            let mut node = &mut tree;
            for segment in segments {
                let Some((_, _, to, _)) = link(at, segment) else {
                    return Err(invalid(format!("'{path}': {at} has no link '{segment}'")));
                };
                at = to;
                let i = match node.0.iter().position(|(n, _)| n == segment) {
                    Some(i) => i,
                    None => {
                        node.0.push((segment.to_string(), Follow::default()));
                        node.0.len() - 1
                    }
                };
                node = &mut node.0[i].1;
            }
        }
        Ok(Some(tree))
    }
}

fn invalid(detail: String) -> Fault {
    Fault::new(StatusCode::BAD_REQUEST, "Invalid follow", detail)
}

fn link(element: &str, name: &str) -> Option<&'static (&'static str, &'static str, &'static str, Via)> {
    LINKS.iter().find(|(e, n, _, _)| *e == element && *n == name)
}

/// Objects and lists already fetched for this answer, by `href`.
pub struct Resolver<'a> {
    state: &'a AppState,
    fetched: HashMap<String, Option<El>>,
}

type Boxed<'f, T> = Pin<Box<dyn Future<Output = T> + Send + 'f>>;

impl<'a> Resolver<'a> {
    pub fn new(state: &'a AppState) -> Self {
        Self {
            state,
            fetched: HashMap::new(),
        }
    }

    /// `el`, an object of type `ty` (its element name in oVirt's model), with what `follow`
    /// names inlined.
    pub fn apply<'f>(&'f mut self, follow: &'f Follow, ty: &'f str, mut el: El) -> Boxed<'f, Result<El, Fault>> {
        Box::pin(async move {
            for (name, rest) in &follow.0 {
                // `Follow::parse` checked every path against the table.
                let Some(&(_, _, to, via)) = link(ty, name) else {
                    continue;
                };
                let children = std::mem::take(el.child_elements_mut());
                let mut out = Vec::with_capacity(children.len() + 1);
                for mut c in children {
                    match via {
                        Via::Reference if c.name() == name => c = self.object(c, to, rest).await?,
                        Via::References if c.name() == name => {
                            for r in std::mem::take(c.child_elements_mut()) {
                                let r = self.object(r, to, rest).await?;
                                c.child_elements_mut().push(r);
                            }
                        }
                        Via::SubCollection
                            if c.name() == "link" && c.get_attr("rel") == Some(name.replace('_', "").as_str()) =>
                        {
                            let href = c.get_attr("href").unwrap_or_default().to_string();
                            out.push(c);
                            if let Some(mut list) = self.fetch(&href).await? {
                                // The list's root is the model's name for it (`disk_attachments`).
                                for item in std::mem::take(list.child_elements_mut()) {
                                    let item = self.apply(rest, to, item).await?;
                                    list.child_elements_mut().push(item);
                                }
                                out.push(list);
                            }
                            continue;
                        }
                        _ => {}
                    }
                    out.push(c);
                }
                *el.child_elements_mut() = out;
            }
            Ok(el)
        })
    }

    /// Each of `els` with what `follow` names inlined.
    pub async fn apply_all(&mut self, follow: &Follow, ty: &str, els: Vec<El>) -> Result<Vec<El>, Fault> {
        let mut out = Vec::with_capacity(els.len());
        for el in els {
            out.push(self.apply(follow, ty, el).await?);
        }
        Ok(out)
    }

    /// The object a reference names, itself followed on; the reference as it was when the object
    /// is gone (removed since the answer was read).
    async fn object(&mut self, reference: El, ty: &str, rest: &Follow) -> Result<El, Fault> {
        let Some(href) = reference.get_attr("href").map(str::to_string) else {
            return Ok(reference);
        };
        match self.fetch(&href).await? {
            // The element keeps the link's name (`original_template` is a `<template>`).
            Some(found) => self.apply(rest, ty, found.renamed(reference.name())).await,
            None => Ok(reference),
        }
    }

    async fn fetch(&mut self, href: &str) -> Result<Option<El>, Fault> {
        if let Some(hit) = self.fetched.get(href) {
            return Ok(hit.clone());
        }
        if self.fetched.len() >= MAX_FETCHES {
            return Err(invalid(format!(
                "the answer would inline more than {MAX_FETCHES} objects; follow fewer links or search for fewer objects"
            )));
        }
        let found = resolve(self.state, href).await?;
        self.fetched.insert(href.to_string(), found.clone());
        Ok(found)
    }
}

/// The object or list at `href` (`None`: no such object).
async fn resolve(state: &AppState, href: &str) -> Result<Option<El>, Fault> {
    let Some(path) = href.strip_prefix(API).and_then(|p| p.strip_prefix('/')) else {
        return Ok(None);
    };
    let parts: Vec<&str> = path.split('/').collect();
    let Some(id) = parts.get(1).and_then(|i| Uuid::parse_str(i).ok()) else {
        return Ok(None);
    };
    match parts.as_slice() {
        [collection, _] => object(state, collection, id).await,
        [collection, _, sub] => {
            let answer = match (*collection, *sub) {
                ("vms", "nics") => nics::list::<kind::Vm>(State(state.clone()), ApiId::of(id)).await,
                ("templates", "nics") => nics::list::<kind::Template>(State(state.clone()), ApiId::of(id)).await,
                ("vms", "diskattachments") => {
                    disk_attachments::list::<kind::Vm>(State(state.clone()), ApiId::of(id)).await
                }
                ("templates", "diskattachments") => {
                    disk_attachments::list::<kind::Template>(State(state.clone()), ApiId::of(id)).await
                }
                ("vms", "numanodes") => vm_numa::numa_nodes(State(state.clone()), ApiId::of(id)).await,
                ("vms", "graphicsconsoles") => {
                    vm_consoles::graphics_consoles(State(state.clone()), Query(Default::default()), ApiId::of(id)).await
                }
                ("vms", "reporteddevices") => nics::reported_devices(State(state.clone()), ApiId::of(id)).await,
                ("instancetypes", "graphicsconsoles") => {
                    instance_types::graphics_consoles(State(state.clone()), ApiId::of(id)).await
                }
                ("hosts", "numanodes") => hosts::numa_nodes(State(state.clone()), ApiId::of(id)).await,
                ("clusters", "networks") => networks::cluster_networks(State(state.clone()), ApiId::of(id)).await,
                ("datacenters", "clusters") => data_centers::clusters(State(state.clone()), ApiId::of(id)).await,
                ("storagedomains", "disks") => storage_domains::disks(State(state.clone()), ApiId::of(id)).await,
                ("networks", "vnicprofiles") => networks::network_profiles(State(state.clone()), ApiId::of(id)).await,
                _ => return Ok(None),
            };
            read_back(answer).await
        }
        _ => Ok(None),
    }
}

/// Object `id` of a top-level collection, as its own `GET` answers it.
async fn object(state: &AppState, collection: &str, id: Uuid) -> Result<Option<El>, Fault> {
    async fn one<K: ApiObject>(state: &AppState, id: Uuid) -> Result<Option<El>, Fault> {
        Ok(K::find(state, id).await?.as_ref().map(K::element))
    }
    match collection {
        "clusters" => one::<kind::Cluster>(state, id).await,
        "datacenters" => one::<kind::DataCenter>(state, id).await,
        "hosts" => one::<kind::Host>(state, id).await,
        "templates" => one::<kind::Template>(state, id).await,
        "vmpools" => one::<kind::Pool>(state, id).await,
        "instancetypes" => one::<kind::InstanceType>(state, id).await,
        "storagedomains" => one::<kind::StorageDomain>(state, id).await,
        "disks" => one::<kind::Disk>(state, id).await,
        "networks" => one::<kind::Network>(state, id).await,
        "vnicprofiles" => one::<kind::VnicProfile>(state, id).await,
        "networkfilters" => read_back(networks::network_filter(Path(id.to_string())).await).await,
        "schedulingpolicies" => read_back(scheduling_policies::get_one(Path(id.to_string())).await).await,
        "macpools" => read_back(mac_pools::get_one(State(state.clone()), Path(id.to_string())).await).await,
        "vms" => {
            let Some(rec) = state.repo.config_record(ConfigKind::Vm, id).await? else {
                return Ok(None);
            };
            let arches = vms::arches(state).await?;
            Ok(Some(vms::vm_element(&rec, &arches, false)))
        }
        _ => Ok(None),
    }
}

/// A handler's answer as an element: 404 is "no such object", any other fault is the answer's.
async fn read_back(answer: Result<Response, Fault>) -> Result<Option<El>, Fault> {
    let response = match answer {
        Ok(r) => r,
        Err(f) if f.status == StatusCode::NOT_FOUND => return Ok(None),
        Err(f) => return Err(f),
    };
    if response.status() == StatusCode::NOT_FOUND {
        return Ok(None);
    }
    let failed = |detail: String| Fault::new(StatusCode::INTERNAL_SERVER_ERROR, "Operation Failed", detail);
    let bytes = axum::body::to_bytes(response.into_body(), MAX_LIST_BYTES)
        .await
        .map_err(|e| failed(format!("a followed link's answer could not be read: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| failed(format!("a followed link's answer: {e}")))?;
    let node = xml::parse(text).map_err(|e| failed(format!("a followed link's answer: {e}")))?;
    Ok(Some(El::from_node(node)))
}

/// `GET` answers of lists: `list` with `?follow=` applied to each item.
pub async fn follow_list(state: &AppState, p: &ListParams, item: &str, list: El) -> Result<El, Fault> {
    let Some(follow) = Follow::parse(p.follow.as_deref(), item)? else {
        return Ok(list);
    };
    let mut list = list;
    let items = std::mem::take(list.child_elements_mut());
    let items = Resolver::new(state).apply_all(&follow, item, items).await?;
    *list.child_elements_mut() = items;
    Ok(list)
}

/// `GET` answers of one object: `el` with `?follow=` applied.
pub async fn follow_one(state: &AppState, follow: Option<&str>, el: El) -> Result<El, Fault> {
    let ty = el.name().to_string();
    match Follow::parse(follow, &ty)? {
        Some(f) => Resolver::new(state).apply(&f, &ty, el).await,
        None => Ok(el),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(f: &Follow) -> Vec<String> {
        f.0.iter()
            .flat_map(|(n, rest)| {
                let mut v = vec![n.clone()];
                v.extend(names(rest).into_iter().map(|r| format!("{n}.{r}")));
                v
            })
            .collect()
    }

    #[test]
    fn paths_merge_into_one_tree_checked_against_the_model() {
        let f = Follow::parse(Some("cluster.data_center, disk_attachments.disk,cluster"), "vm")
            .unwrap()
            .unwrap();
        assert_eq!(
            names(&f),
            [
                "cluster",
                "cluster.data_center",
                "disk_attachments",
                "disk_attachments.disk"
            ]
        );
        assert_eq!(Follow::parse(None, "vm").unwrap(), None);
        assert_eq!(Follow::parse(Some(" "), "vm").unwrap(), None);
    }

    #[test]
    fn unknown_too_many_and_too_deep_paths_are_refused() {
        for bad in ["permissions", "cluster.clusters", "data_center", "cluster..data_center"] {
            let e = Follow::parse(Some(bad), "vm").unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{bad}");
        }
        let deep = "cluster.data_center.clusters.data_center.clusters";
        assert!(Follow::parse(Some(deep), "vm").unwrap_err().detail.contains("deeper"));
        let many = vec!["cluster"; MAX_PATHS + 1].join(",");
        assert!(Follow::parse(Some(&many), "vm").unwrap_err().detail.contains("at most"));
    }
}
