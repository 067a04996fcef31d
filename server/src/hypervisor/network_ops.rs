//! libvirt's network, interface and guest-address APIs for the `Hypervisor` trait: what can back a
//! Vireo network on a host (libvirt networks, host bridges), the addresses a running guest has,
//! and changing a device of a running domain in place (a NIC's link state).

use super::connection_pool::Session;
use super::errors::{libvirt_error, HypervisorError};
use super::storage_ops::unsupported;
use super::{GuestInterface, NetworkBackingInfo};
use serde::Deserialize;
use std::ffi::CStr;
use uuid::Uuid;
use vireo_app::domain::network::NetworkBacking;
use virt::enumutil::Enum::Known;
use virt::error::ErrorNumber;
use virt_sys as sys;

/// At most this many guest interfaces are kept per domain, and this many addresses per interface
/// (a guest agent reports whatever the guest has: containers, tunnels, …).
pub(super) const MAX_GUEST_INTERFACES: usize = 64;
pub(super) const MAX_GUEST_ADDRESSES: usize = 64;
/// libvirt networks and bridges read per host (a host with more is not one Vireo manages well;
/// the rest are left out rather than stored without bound).
pub(super) const MAX_BACKINGS: usize = 1024;
/// Names and MACs longer than this are cut (the database's columns hold 255 and 64).
const MAX_NAME: usize = 255;
const MAX_MAC: usize = 64;

#[derive(Deserialize)]
struct NetworkXml {
    bridge: Option<BridgeXml>,
}

#[derive(Deserialize)]
struct BridgeXml {
    #[serde(rename = "@name")]
    name: Option<String>,
}

#[derive(Deserialize)]
struct InterfaceXml {
    #[serde(rename = "@type")]
    kind: Option<String>,
}

/// The bridge device a libvirt network's XML names (`<bridge name=…>`), empty when it has none.
pub(super) fn network_bridge(xml: &str) -> Result<String, String> {
    let net: NetworkXml = quick_xml::de::from_str(xml).map_err(|e| format!("network XML is not valid: {e}"))?;
    Ok(net.bridge.and_then(|b| b.name).unwrap_or_default())
}

/// Whether a host interface's XML describes a bridge (`<interface type='bridge'>`).
pub(super) fn interface_is_bridge(xml: &str) -> Result<bool, String> {
    let iface: InterfaceXml = quick_xml::de::from_str(xml).map_err(|e| format!("interface XML is not valid: {e}"))?;
    Ok(iface.kind.as_deref() == Some("bridge"))
}

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// The host's libvirt networks (active or not) and its bridges. A libvirt without an interface
/// driver (no netcf/udev backend, or a driver that lacks the call) simply has no bridges to offer.
pub(super) fn network_backings(s: &Session<'_>) -> Result<Vec<NetworkBackingInfo>, HypervisorError> {
    let mut out = Vec::new();
    for net in s.conn.list_all_networks(0).map_err(libvirt_error)? {
        if out.len() >= MAX_BACKINGS {
            break;
        }
        let name = net.name().map_err(libvirt_error)?;
        let active = net.is_active().map_err(libvirt_error)?;
        let xml = net.xml_desc(0).map_err(libvirt_error)?;
        // A network whose XML cannot be read still exists: it only lacks its bridge's name.
        let bridge = network_bridge(&xml).unwrap_or_default();
        out.push(NetworkBackingInfo {
            backing: NetworkBacking::LibvirtNetwork,
            name: clip(&name, MAX_NAME),
            active,
            bridge: clip(&bridge, MAX_NAME),
        });
    }
    let interfaces = match s.conn.list_all_interfaces(0) {
        Ok(list) => list,
        Err(e) if no_interface_driver(&e) => Vec::new(),
        Err(e) => return Err(libvirt_error(e)),
    };
    for iface in interfaces {
        if out.len() >= MAX_BACKINGS {
            break;
        }
        let xml = iface.xml_desc(0).map_err(libvirt_error)?;
        if !interface_is_bridge(&xml).unwrap_or(false) {
            continue;
        }
        out.push(NetworkBackingInfo {
            backing: NetworkBacking::Bridge,
            name: clip(&iface.name().map_err(libvirt_error)?, MAX_NAME),
            active: iface.is_active().map_err(libvirt_error)?,
            bridge: String::new(),
        });
    }
    Ok(out)
}

/// "This libvirt cannot list host interfaces" (no interface driver, or the call unsupported).
fn no_interface_driver(e: &virt::error::Error) -> bool {
    unsupported(e)
        || matches!(
            e.code(),
            Known(ErrorNumber::NoConnect | ErrorNumber::OperationUnsupported)
        )
}

/// An agent that is absent, not configured or not answering is the normal case for most guests:
/// the lease source's answer stands alone.
fn agent_unavailable(code: virt::error::ErrorNumberEnum) -> bool {
    matches!(
        code,
        Known(
            ErrorNumber::AgentUnresponsive
                | ErrorNumber::AgentUnsynced
                | ErrorNumber::OperationInvalid
                | ErrorNumber::OperationUnsupported
                | ErrorNumber::ArgumentUnsupported
                | ErrorNumber::NoSupport
                | ErrorNumber::OperationFailed
                | ErrorNumber::InternalError
        )
    )
}

/// The guest's interfaces and addresses: DHCP leases of libvirt networks, merged (by MAC) with
/// what the guest agent reports when it answers. Empty for a domain that is not running.
pub(super) fn interface_addresses(s: &Session<'_>, id: Uuid) -> Result<Vec<GuestInterface>, HypervisorError> {
    let Some(dom) = s.domain(id)? else {
        return Ok(Vec::new());
    };
    if !dom.is_active().map_err(libvirt_error)? {
        return Ok(Vec::new());
    }
    let mut out = match domain_interfaces(&dom, sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE) {
        Ok(list) => list,
        // A domain with no NIC on a libvirt network has no leases to read; nothing to report.
        Err((code, _)) if agent_unavailable(code) => Vec::new(),
        Err((_, e)) => return Err(e),
    };
    match domain_interfaces(&dom, sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT) {
        Ok(agent) => merge(&mut out, agent),
        Err((code, _)) if agent_unavailable(code) => {}
        Err((_, e)) => return Err(e),
    }
    Ok(out)
}

/// Adds `more` into `into`, one entry per MAC (an entry without a MAC — the agent's loopback —
/// is matched by name); addresses are not repeated; both bounds hold.
pub(super) fn merge(into: &mut Vec<GuestInterface>, more: Vec<GuestInterface>) {
    for iface in more {
        let same = |g: &GuestInterface| {
            if iface.mac.is_empty() {
                g.mac.is_empty() && g.name == iface.name
            } else {
                g.mac.eq_ignore_ascii_case(&iface.mac)
            }
        };
        let full = into.len() >= MAX_GUEST_INTERFACES;
        match into.iter_mut().find(|g| same(g)) {
            Some(existing) => {
                if existing.name.is_empty() {
                    existing.name = iface.name;
                }
                for a in iface.addresses {
                    if existing.addresses.len() < MAX_GUEST_ADDRESSES && !existing.addresses.contains(&a) {
                        existing.addresses.push(a);
                    }
                }
            }
            None if !full => into.push(iface),
            None => {}
        }
    }
}

/// `virDomainInterfaceAddresses` from one source, every entry freed as libvirt asks (the `virt`
/// crate's wrapper leaks each interface it copies). The error keeps libvirt's code for the caller
/// to tell "no agent" from a failure.
fn domain_interfaces(
    dom: &virt::domain::Domain,
    source: sys::virDomainInterfaceAddressesSource,
) -> Result<Vec<GuestInterface>, (virt::error::ErrorNumberEnum, HypervisorError)> {
    let mut ifaces: *mut sys::virDomainInterfacePtr = std::ptr::null_mut();
    // SAFETY: libvirt fills `ifaces` with an array of `n` interfaces it allocated.
    let n = unsafe { sys::virDomainInterfaceAddresses(dom.as_ptr(), &mut ifaces, source, 0) };
    if n < 0 {
        let e = virt::error::Error::last_error();
        return Err((e.code(), libvirt_error(e)));
    }
    let mut out = Vec::new();
    for i in 0..n as usize {
        // SAFETY: `i < n`: an entry of the array libvirt returned.
        let ptr = unsafe { *ifaces.add(i) };
        if ptr.is_null() {
            continue;
        }
        if out.len() < MAX_GUEST_INTERFACES {
            // SAFETY: a valid interface until it is freed below.
            out.push(unsafe { read_interface(&*ptr) });
        }
        // SAFETY: each entry is freed once, as virDomainInterfaceAddresses documents.
        unsafe { sys::virDomainInterfaceFree(ptr) };
    }
    if !ifaces.is_null() {
        // SAFETY: the array itself, allocated by libvirt with malloc.
        unsafe { libc_free(ifaces.cast()) };
    }
    Ok(out)
}

extern "C" {
    #[link_name = "free"]
    fn libc_free(ptr: *mut std::ffi::c_void);
}

/// # Safety
/// `iface` must be a valid `virDomainInterface` as libvirt returns it.
unsafe fn read_interface(iface: &sys::_virDomainInterface) -> GuestInterface {
    let text = |p: *mut std::os::raw::c_char| {
        if p.is_null() {
            String::new()
        } else {
            // SAFETY: a NUL-terminated string owned by the interface.
            unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
        }
    };
    let mut addresses = Vec::new();
    let count = (iface.naddrs as usize).min(MAX_GUEST_ADDRESSES);
    if !iface.addrs.is_null() {
        for j in 0..count {
            // SAFETY: `j < naddrs`: an entry of the interface's address array.
            let a = unsafe { &*iface.addrs.add(j) };
            let addr = text(a.addr);
            if !addr.is_empty() {
                addresses.push(format!("{}/{}", clip(&addr, 64), a.prefix));
            }
        }
    }
    GuestInterface {
        name: clip(&text(iface.name), MAX_NAME),
        mac: clip(&text(iface.hwaddr), MAX_MAC).to_ascii_lowercase(),
        addresses,
    }
}

/// Changes a device of a running domain in place (live, and in its persistent definition).
/// `Ok(false)` when the domain is not running or its host cannot.
pub(super) fn update_device(s: &Session<'_>, id: Uuid, xml: &str) -> Result<bool, HypervisorError> {
    let Some(dom) = s.domain(id)? else {
        return Ok(false);
    };
    if !dom.is_active().map_err(libvirt_error)? {
        return Ok(false);
    }
    let flags = sys::VIR_DOMAIN_AFFECT_LIVE | sys::VIR_DOMAIN_AFFECT_CONFIG;
    match dom.update_device_flags(xml, flags) {
        Ok(()) => Ok(true),
        Err(e) if unsupported(&e) => Ok(false),
        Err(e) => Err(libvirt_error(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_networks_bridge_and_an_interfaces_kind() {
        let net = "<network><name>default</name><forward mode='nat'/><bridge name='virbr0' stp='on'/></network>";
        assert_eq!(network_bridge(net).unwrap(), "virbr0");
        assert_eq!(network_bridge("<network><name>x</name></network>").unwrap(), "");
        assert!(network_bridge("<network").is_err());
        assert!(interface_is_bridge("<interface type='bridge' name='br0'><bridge/></interface>").unwrap());
        assert!(!interface_is_bridge("<interface type='ethernet' name='eth1'/>").unwrap());
        assert!(interface_is_bridge("not xml").is_err());
    }

    fn iface(name: &str, mac: &str, addresses: &[&str]) -> GuestInterface {
        GuestInterface {
            name: name.into(),
            mac: mac.into(),
            addresses: addresses.iter().map(|a| a.to_string()).collect(),
        }
    }

    #[test]
    fn lease_and_agent_answers_merge_by_mac_within_bounds() {
        let mut all = vec![iface("vnet0", "56:6f:00:00:00:01", &["192.168.122.5/24"])];
        merge(
            &mut all,
            vec![
                iface("eth0", "56:6F:00:00:00:01", &["192.168.122.5/24", "fe80::1/64"]),
                iface("lo", "", &["127.0.0.1/8"]),
            ],
        );
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].name, "vnet0");
        assert_eq!(all[0].addresses, ["192.168.122.5/24", "fe80::1/64"]);
        assert_eq!(all[1].name, "lo");
        let many: Vec<GuestInterface> = (0..200)
            .map(|i| iface(&format!("n{i}"), &format!("56:6f:00:00:01:{:02x}", i % 256), &[]))
            .collect();
        merge(&mut all, many);
        assert_eq!(all.len(), MAX_GUEST_INTERFACES);
        let addrs: Vec<String> = (0..100).map(|i| format!("10.0.0.{i}/32")).collect();
        let refs: Vec<&str> = addrs.iter().map(String::as_str).collect();
        merge(&mut all, vec![iface("eth0", "56:6f:00:00:00:01", &refs)]);
        assert_eq!(all[0].addresses.len(), MAX_GUEST_ADDRESSES);
    }
}
