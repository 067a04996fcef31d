//! What Vireo knows about a host's hardware: read from libvirt's capabilities XML (and free-page
//! counts) on real hosts, or from a shipped capabilities file for test-driver hosts. The High
//! Performance recommendations compute pinning, vNUMA and huge pages from this and nothing else.

use super::cpu_set::CpuSet;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostTopology {
    pub arch: String,
    pub cpu_model: Option<String>,
    pub sockets: u32,
    pub cores_per_socket: u32,
    pub threads_per_core: u32,
    /// CPU feature flags libvirt reports for the host CPU (`invtsc`, `vmx`, ...).
    pub cpu_flags: Vec<String>,
    pub cells: Vec<NumaCell>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumaCell {
    pub id: u32,
    pub memory_kib: u64,
    pub cpus: Vec<HostCpu>,
    /// Every page size the cell offers (4 KiB base pages included), with totals and free counts.
    pub pages: Vec<PageCount>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostCpu {
    pub id: u32,
    pub socket_id: u32,
    pub core_id: u32,
    /// All CPUs sharing this CPU's physical core, itself included (libvirt's `siblings`).
    pub siblings: CpuSet,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCount {
    pub size_kib: u64,
    pub total: u64,
    pub free: u64,
}

/// Sizes Vireo offers for huge pages, in KiB.
pub const HUGE_PAGE_2M_KIB: u64 = 2048;
pub const HUGE_PAGE_1G_KIB: u64 = 1_048_576;

impl HostTopology {
    pub fn total_cpus(&self) -> usize {
        self.cells.iter().map(|c| c.cpus.len()).sum()
    }

    pub fn has_flag(&self, flag: &str) -> bool {
        self.cpu_flags.iter().any(|f| f == flag)
    }

    pub fn has_invtsc(&self) -> bool {
        self.has_flag("invtsc")
    }

    pub fn memory_kib(&self) -> u64 {
        self.cells.iter().map(|c| c.memory_kib).sum()
    }

    pub fn all_cpus(&self) -> impl Iterator<Item = &HostCpu> {
        self.cells.iter().flat_map(|c| c.cpus.iter())
    }

    pub fn cpu(&self, id: u32) -> Option<&HostCpu> {
        self.all_cpus().find(|c| c.id == id)
    }

    pub fn cpu_ids(&self) -> CpuSet {
        CpuSet::from_ids(self.all_cpus().map(|c| c.id))
    }

    pub fn cell_of_cpu(&self, id: u32) -> Option<u32> {
        self.cells
            .iter()
            .find(|c| c.cpus.iter().any(|cpu| cpu.id == id))
            .map(|c| c.id)
    }

    pub fn cell(&self, id: u32) -> Option<&NumaCell> {
        self.cells.iter().find(|c| c.id == id)
    }

    /// Huge page sizes (larger than the 4 KiB base page) any cell offers, ascending.
    pub fn huge_page_sizes(&self) -> Vec<u64> {
        let mut sizes: Vec<u64> = self
            .cells
            .iter()
            .flat_map(|c| c.pages.iter().map(|p| p.size_kib))
            .filter(|s| *s > 4)
            .collect();
        sizes.sort_unstable();
        sizes.dedup();
        sizes
    }

    /// Free pages of one size across the given cells (all cells when `cells` is empty).
    pub fn free_pages(&self, size_kib: u64, cells: &[u32]) -> u64 {
        self.cells
            .iter()
            .filter(|c| cells.is_empty() || cells.contains(&c.id))
            .flat_map(|c| c.pages.iter())
            .filter(|p| p.size_kib == size_kib)
            .map(|p| p.free)
            .sum()
    }

    pub fn total_pages(&self, size_kib: u64) -> u64 {
        self.cells
            .iter()
            .flat_map(|c| c.pages.iter())
            .filter(|p| p.size_kib == size_kib)
            .map(|p| p.total)
            .sum()
    }
}

impl NumaCell {
    pub fn cpu_ids(&self) -> CpuSet {
        CpuSet::from_ids(self.cpus.iter().map(|c| c.id))
    }

    pub fn free_pages(&self, size_kib: u64) -> u64 {
        self.pages
            .iter()
            .filter(|p| p.size_kib == size_kib)
            .map(|p| p.free)
            .sum()
    }
}

impl HostTopology {
    /// A host with Linux CPU numbering (CPU id = thread × sockets × cores + socket × cores + core),
    /// one NUMA cell per socket with `memory_kib` each and the given huge pages per cell (all free).
    /// For benchmarks and tests of topologies Vireo does not ship as files.
    pub fn synthetic(sockets: u32, cores: u32, threads: u32, memory_kib: u64, huge_pages: &[(u64, u64)]) -> Self {
        let id = |s: u32, c: u32, t: u32| t * sockets * cores + s * cores + c;
        let cells = (0..sockets)
            .map(|s| {
                let mut cpus: Vec<HostCpu> = (0..threads)
                    .flat_map(|t| (0..cores).map(move |c| (c, t)))
                    .map(|(c, t)| HostCpu {
                        id: id(s, c, t),
                        socket_id: s,
                        core_id: c,
                        siblings: CpuSet::from_ids((0..threads).map(|t| id(s, c, t))),
                    })
                    .collect();
                cpus.sort_by_key(|c| c.id);
                let huge_kib: u64 = huge_pages.iter().map(|(size, n)| size * n).sum();
                let mut pages = vec![PageCount {
                    size_kib: 4,
                    total: memory_kib.saturating_sub(huge_kib) / 4,
                    free: 0,
                }];
                pages.extend(huge_pages.iter().map(|(size_kib, n)| PageCount {
                    size_kib: *size_kib,
                    total: *n,
                    free: *n,
                }));
                NumaCell {
                    id: s,
                    memory_kib,
                    cpus,
                    pages,
                }
            })
            .collect();
        Self {
            arch: "x86_64".into(),
            cpu_model: None,
            sockets,
            cores_per_socket: cores,
            threads_per_core: threads,
            cpu_flags: vec!["invtsc".into()],
            cells,
        }
    }
}

/// Human form of a page size: `2 MiB`, `1 GiB`, `4 KiB`.
pub fn page_size_label(size_kib: u64) -> String {
    if size_kib >= 1_048_576 && size_kib.is_multiple_of(1_048_576) {
        format!("{} GiB", size_kib / 1_048_576)
    } else if size_kib >= 1024 && size_kib.is_multiple_of(1024) {
        format!("{} MiB", size_kib / 1024)
    } else {
        format!("{size_kib} KiB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_cell_host() -> HostTopology {
        let cpu = |id, core| HostCpu {
            id,
            socket_id: 0,
            core_id: core,
            siblings: CpuSet::single(id),
        };
        let pages = |free_2m| {
            vec![
                PageCount {
                    size_kib: 4,
                    total: 1000,
                    free: 500,
                },
                PageCount {
                    size_kib: 2048,
                    total: 100,
                    free: free_2m,
                },
            ]
        };
        HostTopology {
            arch: "x86_64".into(),
            cpu_model: None,
            sockets: 1,
            cores_per_socket: 4,
            threads_per_core: 1,
            cpu_flags: vec!["vmx".into(), "invtsc".into()],
            cells: vec![
                NumaCell {
                    id: 0,
                    memory_kib: 4096,
                    cpus: vec![cpu(0, 0), cpu(1, 1)],
                    pages: pages(10),
                },
                NumaCell {
                    id: 1,
                    memory_kib: 4096,
                    cpus: vec![cpu(2, 2), cpu(3, 3)],
                    pages: pages(7),
                },
            ],
        }
    }

    #[test]
    fn lookups() {
        let h = two_cell_host();
        assert_eq!(h.total_cpus(), 4);
        assert!(h.has_invtsc());
        assert!(!h.has_flag("svm"));
        assert_eq!(h.memory_kib(), 8192);
        assert_eq!(h.cell_of_cpu(3), Some(1));
        assert_eq!(h.cell_of_cpu(9), None);
        assert_eq!(h.cpu_ids().to_string(), "0-3");
        assert_eq!(h.huge_page_sizes(), vec![2048]);
        assert_eq!(h.free_pages(2048, &[]), 17);
        assert_eq!(h.free_pages(2048, &[1]), 7);
        assert_eq!(h.total_pages(2048), 200);
        assert_eq!(h.cell(0).unwrap().free_pages(2048), 10);
    }

    #[test]
    fn page_labels() {
        assert_eq!(page_size_label(4), "4 KiB");
        assert_eq!(page_size_label(2048), "2 MiB");
        assert_eq!(page_size_label(1_048_576), "1 GiB");
    }
}
