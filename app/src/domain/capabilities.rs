//! Parses libvirt's capabilities XML (`virConnectGetCapabilities`, `virsh capabilities`) into the
//! `HostTopology` the High Performance rules work from.

use super::cpu_set::CpuSet;
use super::host_topology::{HostCpu, HostTopology, NumaCell, PageCount};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, thiserror::Error)]
pub enum CapabilitiesError {
    #[error("capabilities XML is not valid: {0}")]
    Xml(String),
    #[error("capabilities XML has a bad value: {0}")]
    Value(String),
}

#[derive(Deserialize)]
struct Capabilities {
    host: Host,
}

#[derive(Deserialize)]
struct Host {
    cpu: Cpu,
    topology: Option<Topology>,
}

#[derive(Deserialize)]
struct Cpu {
    arch: String,
    model: Option<String>,
    #[serde(rename = "feature", default)]
    features: Vec<Named>,
    topology: Option<CpuTopologyXml>,
}

#[derive(Deserialize)]
struct Named {
    #[serde(rename = "@name")]
    name: String,
}

#[derive(Deserialize)]
struct CpuTopologyXml {
    #[serde(rename = "@sockets")]
    sockets: u32,
    #[serde(rename = "@cores")]
    cores: u32,
    #[serde(rename = "@threads")]
    threads: u32,
}

#[derive(Deserialize)]
struct Topology {
    cells: Cells,
}

#[derive(Deserialize)]
struct Cells {
    #[serde(rename = "cell", default)]
    cells: Vec<Cell>,
}

#[derive(Deserialize)]
struct Cell {
    #[serde(rename = "@id")]
    id: u32,
    memory: Option<Amount>,
    #[serde(rename = "pages", default)]
    pages: Vec<Pages>,
    cpus: Option<Cpus>,
}

#[derive(Deserialize)]
struct Amount {
    #[serde(rename = "@unit")]
    unit: Option<String>,
    #[serde(rename = "$text")]
    value: u64,
}

#[derive(Deserialize)]
struct Pages {
    #[serde(rename = "@unit")]
    unit: Option<String>,
    #[serde(rename = "@size")]
    size: u64,
    #[serde(rename = "$text", default)]
    count: u64,
}

#[derive(Deserialize)]
struct Cpus {
    #[serde(rename = "cpu", default)]
    cpus: Vec<CpuXml>,
}

#[derive(Deserialize)]
struct CpuXml {
    #[serde(rename = "@id")]
    id: u32,
    #[serde(rename = "@socket_id")]
    socket_id: Option<u32>,
    #[serde(rename = "@core_id")]
    core_id: Option<u32>,
    #[serde(rename = "@siblings")]
    siblings: Option<String>,
}

fn to_kib(value: u64, unit: Option<&str>) -> Result<u64, CapabilitiesError> {
    let factor = match unit.unwrap_or("KiB") {
        "b" | "bytes" => return Ok(value / 1024),
        "k" | "KiB" => 1,
        "M" | "MiB" => 1024,
        "G" | "GiB" => 1024 * 1024,
        other => return Err(CapabilitiesError::Value(format!("unknown unit '{other}'"))),
    };
    value
        .checked_mul(factor)
        .ok_or_else(|| CapabilitiesError::Value(format!("{value} {unit:?} overflows")))
}

/// Free page counts are not part of capabilities; this fills `free` with the total, which is right
/// for a simulated host before any VM takes pages. Real hosts overwrite them with
/// `virNodeGetFreePages`.
pub fn parse(xml: &str) -> Result<HostTopology, CapabilitiesError> {
    let caps: Capabilities = quick_xml::de::from_str(xml).map_err(|e| CapabilitiesError::Xml(e.to_string()))?;
    let host = caps.host;
    let mut cells = Vec::new();
    for cell in host.topology.map(|t| t.cells.cells).unwrap_or_default() {
        let memory_kib = match &cell.memory {
            Some(m) => to_kib(m.value, m.unit.as_deref())?,
            None => 0,
        };
        let mut pages = Vec::new();
        for p in &cell.pages {
            let size_kib = to_kib(p.size, p.unit.as_deref())?;
            pages.push(PageCount {
                size_kib,
                total: p.count,
                free: p.count,
            });
        }
        pages.sort_by_key(|p| p.size_kib);
        let mut cpus = Vec::new();
        for c in cell.cpus.map(|c| c.cpus).unwrap_or_default() {
            let siblings = match c.siblings.as_deref() {
                Some(s) => {
                    CpuSet::parse(s).map_err(|e| CapabilitiesError::Value(format!("cpu {} siblings: {e}", c.id)))?
                }
                None => CpuSet::single(c.id),
            };
            cpus.push(HostCpu {
                id: c.id,
                socket_id: c.socket_id.unwrap_or(0),
                core_id: c.core_id.unwrap_or(c.id),
                siblings,
            });
        }
        cpus.sort_by_key(|c| c.id);
        cells.push(NumaCell {
            id: cell.id,
            memory_kib,
            cpus,
            pages,
        });
    }
    cells.sort_by_key(|c| c.id);

    // libvirt's <cpu><topology sockets=...> counts sockets per NUMA node, so the real counts come
    // from the CPUs themselves when the cells list them.
    let all: Vec<&HostCpu> = cells.iter().flat_map(|c| c.cpus.iter()).collect();
    let (sockets, cores_per_socket, threads_per_core) = if all.is_empty() {
        let t = host.cpu.topology.as_ref();
        (
            t.map_or(1, |t| t.sockets.max(1)),
            t.map_or(1, |t| t.cores.max(1)),
            t.map_or(1, |t| t.threads.max(1)),
        )
    } else {
        let sockets: BTreeSet<u32> = all.iter().map(|c| c.socket_id).collect();
        let mut per_core: BTreeMap<(u32, u32), u32> = BTreeMap::new();
        for c in &all {
            *per_core.entry((c.socket_id, c.core_id)).or_default() += 1;
        }
        let socket_count = sockets.len() as u32;
        let cores = (per_core.len() as u32).div_ceil(socket_count.max(1));
        let threads = per_core.values().copied().max().unwrap_or(1);
        (socket_count, cores, threads)
    };

    Ok(HostTopology {
        arch: host.cpu.arch,
        cpu_model: host.cpu.model,
        sockets,
        cores_per_socket,
        threads_per_core,
        cpu_flags: host.cpu.features.into_iter().map(|f| f.name).collect(),
        cells,
    })
}

/// The `<domain type>`s the host's guests can use (`kvm`, `qemu`, `test`), from `<guest><arch><domain>`.
pub fn guest_domain_types(xml: &str) -> Vec<String> {
    #[derive(Deserialize)]
    struct Caps {
        #[serde(rename = "guest", default)]
        guests: Vec<Guest>,
    }
    #[derive(Deserialize)]
    struct Guest {
        arch: Option<GuestArch>,
    }
    #[derive(Deserialize)]
    struct GuestArch {
        #[serde(rename = "domain", default)]
        domains: Vec<DomainType>,
    }
    #[derive(Deserialize)]
    struct DomainType {
        #[serde(rename = "@type")]
        kind: String,
    }
    let Ok(caps) = quick_xml::de::from_str::<Caps>(xml) else {
        return Vec::new();
    };
    let mut out: Vec<String> = caps
        .guests
        .into_iter()
        .filter_map(|g| g.arch)
        .flat_map(|a| a.domains.into_iter().map(|d| d.kind))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_garbage_and_bad_values() {
        assert!(matches!(parse("not xml"), Err(CapabilitiesError::Xml(_))));
        assert!(matches!(parse("<capabilities/>"), Err(CapabilitiesError::Xml(_))));
        let bad_unit = "<capabilities><host><cpu><arch>x86_64</arch></cpu><topology><cells num='1'>\
            <cell id='0'><memory unit='parsecs'>1</memory></cell></cells></topology></host></capabilities>";
        assert!(matches!(parse(bad_unit), Err(CapabilitiesError::Value(_))));
    }

    #[test]
    fn host_without_cells_falls_back_to_cpu_topology() {
        let xml = "<capabilities><host><cpu><arch>aarch64</arch>\
            <topology sockets='1' dies='1' cores='4' threads='1'/></cpu></host></capabilities>";
        let t = parse(xml).unwrap();
        assert_eq!((t.sockets, t.cores_per_socket, t.threads_per_core), (1, 4, 1));
        assert!(t.cells.is_empty());
        assert_eq!(t.arch, "aarch64");
    }

    #[test]
    fn guest_domain_types_are_read() {
        let xml = "<capabilities><host><cpu><arch>x86_64</arch></cpu></host>\
            <guest><os_type>hvm</os_type><arch name='x86_64'><domain type='qemu'/><domain type='kvm'/></arch></guest>\
            <guest><os_type>hvm</os_type><arch name='i686'><domain type='qemu'/></arch></guest></capabilities>";
        assert_eq!(guest_domain_types(xml), vec!["kvm", "qemu"]);
        assert!(guest_domain_types("junk").is_empty());
    }

    #[test]
    fn memory_units_convert() {
        assert_eq!(to_kib(2, Some("GiB")).unwrap(), 2 * 1024 * 1024);
        assert_eq!(to_kib(4096, Some("bytes")).unwrap(), 4);
        assert_eq!(to_kib(7, None).unwrap(), 7);
        assert!(to_kib(u64::MAX, Some("GiB")).is_err());
    }
}
