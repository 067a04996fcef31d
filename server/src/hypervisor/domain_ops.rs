//! The `Hypervisor` trait on the shared pool: each operation is one closure run by `LibvirtPool::call`
//! with the host's connection (host probing, KSM, huge pages, and the domain lifecycle).

use super::connection_pool::Session;
use super::console_ops;
use super::errors::{libvirt_error, HypervisorError};
use super::network_ops;
use super::node_ffi;
use super::stats_ffi;
use super::storage_ops::{self, LONG_CALL};
use super::{DomainState, HostProbe, Hypervisor, PoolInfo, SharedLibvirtPool, VolumeInfo};
use uuid::Uuid;
use vireo_app::domain::capabilities;
use vireo_app::domain::host_topology::HostTopology;
use vireo_app::domain::storage_xml::VolumeSpec;
use virt::connect::Connect;

#[async_trait::async_trait]
impl Hypervisor for SharedLibvirtPool {
    fn route_ssh(&self, uri: &str, route: Option<super::SshRoute>) {
        self.0.route_ssh(uri, route);
    }

    async fn probe(&self, uri: &str) -> Result<HostProbe, HypervisorError> {
        self.0
            .call("probe", uri, |s| {
                let xml = s.conn.capabilities().map_err(libvirt_error)?;
                let mut topology =
                    capabilities::parse(&xml).map_err(|e| HypervisorError::Capabilities(e.to_string()))?;
                fill_free_pages(s.conn, &mut topology)?;
                Ok(HostProbe {
                    hostname: s.conn.hostname().map_err(libvirt_error)?,
                    driver: s.conn.driver_type().map_err(libvirt_error)?,
                    topology,
                })
            })
            .await
    }

    async fn ping(&self, uri: &str) -> Result<(), HypervisorError> {
        self.0
            .call("ping", uri, |s| s.conn.lib_version().map(|_| ()).map_err(libvirt_error))
            .await
    }

    async fn ksm_running(&self, uri: &str) -> Result<bool, HypervisorError> {
        self.0
            .call("ksm_running", uri, |s| node_ffi::shm_run(s.conn).map(|v| v == 1))
            .await
    }

    async fn set_ksm(&self, uri: &str, running: bool) -> Result<(), HypervisorError> {
        self.0
            .call("set_ksm", uri, move |s| {
                node_ffi::set_shm_run(s.conn, u32::from(running))
            })
            .await
    }

    async fn domain_type(&self, uri: &str) -> Result<String, HypervisorError> {
        self.0
            .call("domain_type", uri, |s| {
                let driver = s.conn.driver_type().map_err(libvirt_error)?;
                if driver.eq_ignore_ascii_case("test") {
                    return Ok("test".to_string());
                }
                let caps = s.conn.capabilities().map_err(libvirt_error)?;
                let kvm = capabilities::guest_domain_types(&caps).iter().any(|t| t == "kvm");
                Ok(if kvm { "kvm" } else { "qemu" }.to_string())
            })
            .await
    }

    async fn define_and_start(&self, uri: &str, xml: &str) -> Result<(), HypervisorError> {
        let xml = xml.to_string();
        self.0
            .call("define_and_start", uri, move |s| {
                let dom = s.conn.define_domain_xml(&xml).map_err(libvirt_error)?;
                if let Err(e) = dom.create() {
                    // Leave nothing behind that Vireo does not show as defined.
                    let _ = dom.undefine();
                    return Err(libvirt_error(e));
                }
                s.remember(dom);
                Ok(())
            })
            .await
    }

    async fn shutdown(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError> {
        self.0
            .call("shutdown", uri, move |s| match s.domain(id)? {
                Some(dom) => dom.shutdown().map_err(libvirt_error),
                None => Err(HypervisorError::Libvirt("the domain is not defined on its host".into())),
            })
            .await
    }

    async fn destroy(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError> {
        self.0
            .call("destroy", uri, move |s| match s.domain(id)? {
                Some(dom) if dom.is_active().map_err(libvirt_error)? => dom.destroy().map_err(libvirt_error),
                _ => Ok(()),
            })
            .await
    }

    async fn reboot(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError> {
        self.0
            .call("reboot", uri, move |s| match s.domain(id)? {
                Some(dom) => dom.reboot(0).map_err(libvirt_error),
                None => Err(HypervisorError::Libvirt("the domain is not defined on its host".into())),
            })
            .await
    }

    async fn undefine(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError> {
        self.0
            .call("undefine", uri, move |s| undefine_domain(s, id, false))
            .await
    }

    async fn remove_domain(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError> {
        self.0
            .call("remove_domain", uri, move |s| undefine_domain(s, id, true))
            .await
    }

    async fn domain_states(&self, uri: &str) -> Result<Vec<(Uuid, DomainState)>, HypervisorError> {
        self.0
            .call("domain_states", uri, |s| {
                if let Some(all) = node_ffi::all_domain_states(s.conn)? {
                    return Ok(all
                        .into_iter()
                        .map(|(id, state, reason)| (id, DomainState::from_raw(state, reason)))
                        .collect());
                }
                // Drivers without the bulk call: one state read per domain.
                let mut out = Vec::new();
                for dom in s.conn.list_all_domains(0).map_err(libvirt_error)? {
                    let id = dom.uuid().map_err(libvirt_error)?;
                    let (state, reason) = node_ffi::domain_state(&dom)?;
                    out.push((id, DomainState::from_raw(state, reason)));
                }
                Ok(out)
            })
            .await
    }

    async fn storage_pools(&self, uri: &str) -> Result<Vec<PoolInfo>, HypervisorError> {
        self.0.call("storage_pools", uri, storage_ops::pools).await
    }

    async fn define_dir_pool(&self, uri: &str, name: &str, path: &str) -> Result<PoolInfo, HypervisorError> {
        let (name, path) = (name.to_string(), path.to_string());
        self.0
            .call("define_dir_pool", uri, move |s| {
                storage_ops::define_dir_pool(s, &name, &path)
            })
            .await
    }

    async fn remove_pool(&self, uri: &str, name: &str) -> Result<(), HypervisorError> {
        let name = name.to_string();
        self.0
            .call("remove_pool", uri, move |s| storage_ops::remove_pool(s, &name))
            .await
    }

    async fn refresh_pool(&self, uri: &str, name: &str) -> Result<PoolInfo, HypervisorError> {
        let name = name.to_string();
        self.0
            .call("refresh_pool", uri, move |s| storage_ops::refresh_pool(s, &name))
            .await
    }

    async fn volumes(&self, uri: &str, pool: &str) -> Result<Vec<VolumeInfo>, HypervisorError> {
        let pool = pool.to_string();
        self.0
            .call("volumes", uri, move |s| storage_ops::volumes(s, &pool))
            .await
    }

    async fn volume(&self, uri: &str, pool: &str, name: &str) -> Result<Option<VolumeInfo>, HypervisorError> {
        let (pool, name) = (pool.to_string(), name.to_string());
        self.0
            .call("volume", uri, move |s| {
                storage_ops::find_volume(s, &pool, &name)?
                    .map(|v| storage_ops::volume_info(&v))
                    .transpose()
            })
            .await
    }

    async fn create_volume(&self, uri: &str, pool: &str, spec: VolumeSpec) -> Result<VolumeInfo, HypervisorError> {
        let pool = pool.to_string();
        self.0
            .call_within("create_volume", uri, LONG_CALL, move |s| {
                storage_ops::create_volume(s, &pool, &spec)
            })
            .await
    }

    async fn clone_volume(
        &self,
        uri: &str,
        pool: &str,
        source: &str,
        spec: VolumeSpec,
    ) -> Result<VolumeInfo, HypervisorError> {
        let (pool, source) = (pool.to_string(), source.to_string());
        self.0
            .call_within("clone_volume", uri, LONG_CALL, move |s| {
                storage_ops::clone_volume(s, &pool, &source, &spec)
            })
            .await
    }

    async fn delete_volume(&self, uri: &str, pool: &str, name: &str) -> Result<(), HypervisorError> {
        let (pool, name) = (pool.to_string(), name.to_string());
        self.0
            .call("delete_volume", uri, move |s| {
                storage_ops::delete_volume(s, &pool, &name)
            })
            .await
    }

    async fn resize_volume(
        &self,
        uri: &str,
        pool: &str,
        name: &str,
        capacity: u64,
    ) -> Result<VolumeInfo, HypervisorError> {
        let (pool, name) = (pool.to_string(), name.to_string());
        self.0
            .call_within("resize_volume", uri, LONG_CALL, move |s| {
                storage_ops::resize_volume(s, &pool, &name, capacity)
            })
            .await
    }

    async fn upload_volume(
        &self,
        uri: &str,
        pool: &str,
        volume: &str,
        length: u64,
        chunks: tokio::sync::mpsc::Receiver<axum::body::Bytes>,
    ) -> Result<u64, HypervisorError> {
        let (pool, volume) = (pool.to_string(), volume.to_string());
        self.0
            .call_within("upload_volume", uri, storage_ops::upload_deadline(length), move |s| {
                storage_ops::upload_volume(s, &pool, &volume, length, chunks)
            })
            .await
    }

    async fn change_device(&self, uri: &str, id: Uuid, xml: &str, attach: bool) -> Result<bool, HypervisorError> {
        let xml = xml.to_string();
        self.0
            .call("change_device", uri, move |s| {
                storage_ops::change_device(s, id, &xml, attach)
            })
            .await
    }

    async fn update_device(&self, uri: &str, id: Uuid, xml: &str) -> Result<bool, HypervisorError> {
        let xml = xml.to_string();
        self.0
            .call("update_device", uri, move |s| network_ops::update_device(s, id, &xml))
            .await
    }

    async fn network_backings(&self, uri: &str) -> Result<Vec<super::NetworkBackingInfo>, HypervisorError> {
        self.0
            .call("network_backings", uri, network_ops::network_backings)
            .await
    }

    async fn interface_addresses(&self, uri: &str, id: Uuid) -> Result<Vec<super::GuestInterface>, HypervisorError> {
        self.0
            .call("interface_addresses", uri, move |s| {
                network_ops::interface_addresses(s, id)
            })
            .await
    }

    async fn open_serial_console(
        &self,
        uri: &str,
        id: Uuid,
        force: bool,
    ) -> Result<super::ConsoleStream, HypervisorError> {
        let runtime = tokio::runtime::Handle::current();
        self.0
            .call("open_serial_console", uri, move |s| {
                console_ops::open_serial(s, id, force, runtime)
            })
            .await
    }

    async fn open_graphics(&self, uri: &str, id: Uuid) -> Result<std::os::fd::OwnedFd, HypervisorError> {
        console_ops::graphics_reachable(uri)?;
        self.0
            .call("open_graphics", uri, move |s| console_ops::open_graphics(s, id))
            .await
    }

    async fn reset(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError> {
        self.0
            .call("reset", uri, move |s| match s.domain(id)? {
                Some(dom) => dom.reset().map_err(libvirt_error),
                None => Err(HypervisorError::Libvirt("the domain is not defined on its host".into())),
            })
            .await
    }

    async fn domain_stats(&self, uri: &str) -> Result<Vec<super::DomainStats>, HypervisorError> {
        self.0
            .call("domain_stats", uri, |s| stats_ffi::all_domain_stats(s.conn))
            .await
    }

    async fn node_usage(&self, uri: &str) -> Result<super::NodeUsage, HypervisorError> {
        self.0
            .call("node_usage", uri, |s| Ok(stats_ffi::node_usage(s.conn)))
            .await
    }

    fn take_lifecycle_events(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<super::LifecycleEvent>> {
        self.0.event_rx.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    async fn allocate_pages(&self, uri: &str, size_kib: u64, per_cell: &[(u32, u64)]) -> Result<(), HypervisorError> {
        let size = u32::try_from(size_kib)
            .map_err(|_| HypervisorError::Libvirt(format!("page size {size_kib} KiB is too large")))?;
        let per_cell = per_cell.to_vec();
        self.0
            .call("allocate_pages", uri, move |s| {
                for (cell, count) in per_cell {
                    node_ffi::alloc_pages(s.conn, size, count, cell)?;
                }
                Ok(())
            })
            .await
    }
}

/// Replaces the capabilities' page totals' stand-in free counts with libvirt's real free counts.
fn fill_free_pages(conn: &Connect, topology: &mut HostTopology) -> Result<(), HypervisorError> {
    for cell in &mut topology.cells {
        let sizes: Vec<u32> = cell
            .pages
            .iter()
            .filter_map(|p| u32::try_from(p.size_kib).ok())
            .collect();
        if sizes.is_empty() {
            continue;
        }
        // Hosts without per-cell page info (or drivers without the call) keep the totals.
        if let Ok(free) = conn.free_pages(&sizes, cell.id, 1, 0) {
            for (page, count) in cell.pages.iter_mut().zip(free) {
                page.free = count;
            }
        }
    }
    Ok(())
}

/// Undefines the VM's domain when the host has it — destroying it first when `stop` and it runs —
/// and forgets its handle; a domain the host does not have is already gone.
fn undefine_domain(s: &Session<'_>, id: Uuid, stop: bool) -> Result<(), HypervisorError> {
    let Some(dom) = s.domain(id)? else {
        return Ok(());
    };
    s.forget(id);
    if stop && dom.is_active().map_err(libvirt_error)? {
        dom.destroy().map_err(libvirt_error)?;
    }
    dom.undefine().map_err(libvirt_error)
}
