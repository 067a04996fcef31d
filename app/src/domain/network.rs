//! Networking as oVirt users know it, on libvirt's network and interface APIs: a **network** belongs
//! to a cluster and is backed on each of its hosts by a libvirt network or a host bridge of the
//! same name; a **vNIC profile** is a network plus options (network filter, multiqueue); a **NIC**
//! on a VM, Template or Pool names a profile (in its `VmConfig`, so the High Performance rules, the
//! next-run diff and the dialog see NICs like every other setting). Pure types and rules; no I/O.
//!
//! MAC addresses come from Vireo's own range (`MacRange`), are unique across every VM (the
//! database's `vm_nic_macs` key enforces it) and are never handed out again while a VM holds one.
//! Templates and Pools carry no MACs: each VM made from them gets its own.

use super::string_enum::string_enum;
use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// At most this many NICs per VM or Template (a PCIe slot each; oVirt's limit is in the same
/// range, and nothing real needs more).
pub const MAX_NICS: usize = 16;
/// virtio-net queue pairs are capped here, as oVirt caps them (more gives nothing measurable).
pub const MAX_NIC_QUEUES: u32 = 16;
/// Network, profile and NIC names: at most this many characters (libvirt network names and Linux
/// bridge names are shorter still; see `bridge_name_error`).
pub const MAX_NETWORK_NAME_LEN: usize = 50;
/// Linux interface names (a bridge's) are at most 15 bytes (IFNAMSIZ - 1).
pub const MAX_BRIDGE_NAME_LEN: usize = 15;

string_enum! {
    /// The device model the guest sees; wire values are oVirt's `nic/interface`.
    #[derive(Default)]
    pub enum NicModel {
        #[default]
        Virtio = "virtio" => "VirtIO",
        /// Emulated Intel 82574: for guests without virtio drivers.
        E1000e = "e1000e" => "e1000e (emulated)",
        /// Emulated Realtek 8139: for very old guests.
        Rtl8139 = "rtl8139" => "rtl8139 (emulated)",
    }
}

impl NicModel {
    /// libvirt's `<model type>`.
    pub fn libvirt_model(self) -> &'static str {
        self.as_str()
    }

    pub fn is_paravirtual(self) -> bool {
        self == Self::Virtio
    }
}

string_enum! {
    /// What backs a network on each host of its cluster.
    #[derive(Default)]
    pub enum NetworkBacking {
        /// A libvirt network of this name (`<interface type='network'>`).
        #[default]
        LibvirtNetwork = "libvirt_network" => "libvirt network",
        /// A host bridge of this name (`<interface type='bridge'>`).
        Bridge = "bridge" => "host bridge",
    }
}

/// A unicast MAC address. Parsed from `aa:bb:cc:dd:ee:ff` (or `-` separated, any case); shown
/// and stored lower case with colons, the form libvirt writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MacAddress(u64);

impl MacAddress {
    pub const MAX: u64 = (1 << 48) - 1;

    /// The address whose 48 bits are `value`; `None` above 48 bits.
    pub fn from_u64(value: u64) -> Option<Self> {
        (value <= Self::MAX).then_some(Self(value))
    }

    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// The group bit (the first octet's lowest): set for multicast and broadcast addresses, which a
    /// NIC must never have.
    pub fn is_multicast(self) -> bool {
        (self.0 >> 40) & 1 == 1
    }

    /// A parse error in words, for field errors.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let parts: Vec<&str> = text.split([':', '-']).collect();
        if text.len() != 17
            || parts.len() != 6
            || parts
                .iter()
                .any(|p| p.len() != 2 || !p.chars().all(|c| c.is_ascii_hexdigit()))
        {
            return Err("A MAC address is six pairs of hex digits, e.g. 56:6f:1a:2b:3c:4d.".into());
        }
        let mut value = 0u64;
        for p in parts {
            let byte = u8::from_str_radix(p, 16)
                .map_err(|_| "A MAC address is six pairs of hex digits, e.g. 56:6f:1a:2b:3c:4d.".to_string())?;
            value = (value << 8) | u64::from(byte);
        }
        Ok(Self(value))
    }
}

impl fmt::Display for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0.to_be_bytes();
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[2], b[3], b[4], b[5], b[6], b[7]
        )
    }
}

impl FromStr for MacAddress {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for MacAddress {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MacAddress {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The range Vireo hands MACs out of (`VIREO_MAC_RANGE`, `first-last`, inclusive). The default is
/// oVirt's: `56:6f:…` is locally administered and unicast, so it cannot clash with a vendor's
/// burnt-in address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MacRange {
    pub first: MacAddress,
    pub last: MacAddress,
}

impl Default for MacRange {
    fn default() -> Self {
        Self {
            first: MacAddress(0x56_6f_00_00_00_00),
            last: MacAddress(0x56_6f_00_ff_ff_ff),
        }
    }
}

impl MacRange {
    /// `first-last`; both unicast, first ≤ last.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (a, b) = text
            .split_once([',', ' '])
            .or_else(|| {
                // `-` also separates a MAC's pairs: the range's own dash is the one after 17 characters.
                let t = text.trim();
                // `get`: a multi-byte character there is no dash (and slicing through it would panic).
                (t.len() == 35 && t.get(17..18) == Some("-")).then(|| (&t[..17], &t[18..]))
            })
            .ok_or_else(|| {
                "A MAC range is two addresses, first-last (e.g. 56:6f:00:00:00:00-56:6f:00:ff:ff:ff).".to_string()
            })?;
        let first = MacAddress::parse(a)?;
        let last = MacAddress::parse(b)?;
        if first.is_multicast() || last.is_multicast() {
            return Err("A MAC range must hold unicast addresses (the first octet's lowest bit clear).".into());
        }
        if first > last {
            return Err("A MAC range's first address must not be above its last.".into());
        }
        if (first.0 >> 40) != (last.0 >> 40) {
            return Err("A MAC range must keep one first octet (so every address in it is unicast).".into());
        }
        Ok(Self { first, last })
    }

    /// How many addresses the range holds.
    pub fn size(&self) -> u64 {
        self.last.0 - self.first.0 + 1
    }

    pub fn contains(&self, mac: MacAddress) -> bool {
        (self.first..=self.last).contains(&mac)
    }

    /// The address after `mac` in the range, wrapping to its first.
    pub fn next_after(&self, mac: MacAddress) -> MacAddress {
        if mac >= self.last || mac < self.first {
            self.first
        } else {
            MacAddress(mac.0 + 1)
        }
    }
}

impl fmt::Display for MacRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

/// One network interface of a VM, Template or Pool (oVirt's `nic`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Nic {
    /// Stable id (the REST API's `nics/{id}`); kept when a VM is made from a template.
    pub id: Uuid,
    /// `nic1`, `nic2`, … unique within the VM.
    pub name: String,
    /// The vNIC profile (and so the network); `None` is oVirt's "Empty": the device is there, not
    /// connected to any network, its link down.
    #[serde(default)]
    pub vnic_profile_id: Option<Uuid>,
    #[serde(default)]
    pub model: NicModel,
    /// Set on VMs (Vireo assigns one from its range when `None`); always `None` on Templates and
    /// Pools.
    #[serde(default)]
    pub mac: Option<MacAddress>,
    /// Link state as the guest sees it (a cable plugged in or not).
    #[serde(default = "yes")]
    pub linked: bool,
    /// The device is in the VM at all (an unplugged NIC keeps its MAC and settings).
    #[serde(default = "yes")]
    pub plugged: bool,
}

fn yes() -> bool {
    true
}

impl Nic {
    /// A linked, plugged virtio NIC on `profile` (no MAC yet), with a fresh id. Server side only:
    /// ids are minted there (the browser build has no random source, as for new disks' ids).
    #[cfg(feature = "ssr")]
    pub fn new(name: impl Into<String>, vnic_profile_id: Option<Uuid>) -> Self {
        Self::with_id(Uuid::new_v4(), name, vnic_profile_id)
    }

    /// A linked, plugged virtio NIC with this id on `profile` (no MAC yet).
    pub fn with_id(id: Uuid, name: impl Into<String>, vnic_profile_id: Option<Uuid>) -> Self {
        Self {
            id,
            name: name.into(),
            vnic_profile_id,
            model: NicModel::Virtio,
            mac: None,
            linked: true,
            plugged: true,
        }
    }
}

/// `nicN` for the lowest N not taken by `nics`.
pub fn next_nic_name(nics: &[Nic]) -> String {
    (1..)
        .map(|n| format!("nic{n}"))
        .find(|name| !nics.iter().any(|n| &n.name == name))
        .unwrap_or_else(|| "nic".into())
}

/// The virtio-net queue pairs a multiqueue NIC of a VM with `vcpus` gets: one per vCPU, at most 16.
/// `None` for one vCPU (one queue is QEMU's default; writing it changes nothing).
pub fn nic_queues(vcpus: u32) -> Option<u32> {
    let q = vcpus.min(MAX_NIC_QUEUES);
    (q > 1).then_some(q)
}

/// `nics` with every NIC on virtio (A14, R7's fix); everything else about them kept.
pub fn virtio_nics(nics: &[Nic]) -> Vec<Nic> {
    nics.iter()
        .map(|n| Nic {
            model: NicModel::Virtio,
            ..n.clone()
        })
        .collect()
}

/// NIC names as a message lists them: "nic1", "nic1 and nic2", "nic1, nic2 and nic3".
pub fn nic_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A network's, profile's or NIC's name: 1–50 letters, digits, `.`, `_`, `-`.
pub fn network_name_error(field: &str, kind: &str, name: &str) -> Option<FieldError> {
    let message = if name.is_empty() {
        format!("The {kind} needs a name.")
    } else if name.chars().count() > MAX_NETWORK_NAME_LEN {
        format!("A {kind} name can be at most {MAX_NETWORK_NAME_LEN} characters.")
    } else if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        format!("A {kind} name may use only letters, digits, '.', '_' and '-' (not '{bad}').")
    } else {
        return None;
    };
    Some(FieldError::new(field, message))
}

/// The name of what backs a network on its hosts: a libvirt network name (as a network name
/// above) or a Linux bridge name (at most 15 bytes, no `/`, no whitespace, not `.` or `..`).
pub fn backing_name_error(field: &str, backing: NetworkBacking, name: &str) -> Option<FieldError> {
    match backing {
        NetworkBacking::LibvirtNetwork => network_name_error(field, "libvirt network", name),
        NetworkBacking::Bridge => {
            let message = if name.is_empty() {
                "Name the host bridge (e.g. br0).".to_string()
            } else if name.len() > MAX_BRIDGE_NAME_LEN {
                format!("A bridge name is at most {MAX_BRIDGE_NAME_LEN} characters.")
            } else if name == "." || name == ".." {
                "A bridge cannot be named '.' or '..'.".to_string()
            } else if let Some(bad) = name
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
            {
                format!("A bridge name may use only letters, digits, '.', '_' and '-' (not '{bad}').")
            } else {
                return None;
            };
            Some(FieldError::new(field, message))
        }
    }
}

/// A VLAN id: 1–4094 (0 and 4095 are reserved by 802.1Q).
pub fn vlan_error(field: &str, vlan: Option<u32>) -> Option<FieldError> {
    vlan.filter(|v| !(1..=4094).contains(v))
        .map(|_| FieldError::new(field, "A VLAN tag is between 1 and 4094."))
}

/// libvirt's network filters Vireo offers (nwfilter names every libvirt ships); a profile names one
/// of these or none, so no user text reaches `<filterref>`.
pub const NETWORK_FILTERS: [&str; 5] = [
    "clean-traffic",
    "no-mac-spoofing",
    "no-ip-spoofing",
    "no-arp-spoofing",
    "allow-dhcp",
];

pub fn network_filter_error(field: &str, filter: Option<&str>) -> Option<FieldError> {
    filter.filter(|f| !NETWORK_FILTERS.contains(f)).map(|_| {
        FieldError::new(
            field,
            format!("A network filter is one of {} (or none).", NETWORK_FILTERS.join(", ")),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_parse_print_and_round_trip() {
        let mac = MacAddress::parse("56:6F:00:0a:0B:ff").expect("valid");
        assert_eq!(mac.to_string(), "56:6f:00:0a:0b:ff");
        assert_eq!(MacAddress::parse("56-6f-00-0a-0b-ff"), Ok(mac));
        assert_eq!(mac.as_u64(), 0x56_6f_00_0a_0b_ff);
        let json = serde_json::to_string(&mac).unwrap();
        assert_eq!(json, "\"56:6f:00:0a:0b:ff\"");
        assert_eq!(serde_json::from_str::<MacAddress>(&json).unwrap(), mac);
        for bad in [
            "",
            "56:6f:00:0a:0b",
            "56:6f:00:0a:0b:ff:00",
            "56:6f:00:0a:0b:gg",
            "566f000a0bff",
            "56:6f:0:0a:0b:fff",
            "+6:6f:00:0a:0b:ff",
        ] {
            assert!(MacAddress::parse(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<MacAddress>("\"nope\"").is_err());
        assert!(MacAddress::parse("01:00:5e:00:00:01").unwrap().is_multicast());
        assert!(!mac.is_multicast());
        assert_eq!(MacAddress::from_u64(1 << 48), None);
    }

    #[test]
    fn ranges_parse_and_wrap() {
        let r = MacRange::parse("56:6f:00:00:00:00-56:6f:00:ff:ff:ff").expect("the default");
        assert_eq!(r, MacRange::default());
        assert_eq!(r.size(), 1 << 24);
        assert_eq!(r.to_string(), "56:6f:00:00:00:00-56:6f:00:ff:ff:ff");
        assert_eq!(r.next_after(r.last), r.first);
        assert_eq!(r.next_after(r.first).as_u64(), r.first.as_u64() + 1);
        assert_eq!(r.next_after(MacAddress::parse("00:00:00:00:00:01").unwrap()), r.first);
        assert!(MacRange::parse("56:6f:00:00:00:10,56:6f:00:00:00:01").is_err());
        assert!(
            MacRange::parse("57:6f:00:00:00:00-57:6f:00:00:00:01").is_err(),
            "multicast"
        );
        assert!(
            MacRange::parse("56:6f:00:00:00:00-58:6f:00:00:00:01").is_err(),
            "two first octets"
        );
        assert!(MacRange::parse("56:6f:00:00:00:00").is_err());
        // 35 bytes with a multi-byte character across the dash's place: an error, not a panic.
        assert!(MacRange::parse("56:6f:00:00:00:0\u{e9}6:6f:00:00:00:0a0").is_err());
        assert!(MacRange::parse("56:6f:00:00:00:00\u{e9}56:6f:00:00:00:0").is_err());
        let small = MacRange::parse("56:6f:00:00:00:00 56:6f:00:00:00:03").unwrap();
        assert_eq!(small.size(), 4);
        assert!(small.contains(MacAddress::parse("56:6f:00:00:00:03").unwrap()));
        assert!(!small.contains(MacAddress::parse("56:6f:00:00:00:04").unwrap()));
    }

    #[test]
    fn nic_names_and_queues() {
        let nic = |n: u128, name: &str| Nic::with_id(Uuid::from_u128(n), name, None);
        let mut nics = vec![nic(1, "nic1"), nic(3, "nic3")];
        assert_eq!(next_nic_name(&nics), "nic2");
        nics.push(nic(2, "nic2"));
        assert_eq!(next_nic_name(&nics), "nic4");
        assert_eq!(nic_queues(1), None);
        assert_eq!(nic_queues(4), Some(4));
        assert_eq!(nic_queues(64), Some(16));
    }

    #[test]
    fn nic_json_tolerates_missing_fields() {
        let id = Uuid::from_u128(1);
        let nic: Nic = serde_json::from_str(&format!(r#"{{"id":"{id}","name":"nic1"}}"#)).unwrap();
        assert!(nic.linked && nic.plugged);
        assert_eq!(nic.model, NicModel::Virtio);
        assert_eq!(nic.mac, None);
    }

    #[test]
    fn names_backings_vlans_and_filters_are_checked() {
        assert_eq!(network_name_error("name", "network", "ovirtmgmt"), None);
        assert!(network_name_error("name", "network", "").is_some());
        assert!(network_name_error("name", "network", "a b").is_some());
        assert!(network_name_error("name", "network", &"x".repeat(51)).is_some());
        assert_eq!(backing_name_error("b", NetworkBacking::Bridge, "br0"), None);
        for bad in ["", "..", "br/0", "averyveryverylongbridge", "br 0"] {
            assert!(backing_name_error("b", NetworkBacking::Bridge, bad).is_some(), "{bad}");
        }
        assert_eq!(vlan_error("vlan", Some(100)), None);
        assert_eq!(vlan_error("vlan", None), None);
        assert!(vlan_error("vlan", Some(0)).is_some());
        assert!(vlan_error("vlan", Some(4095)).is_some());
        assert_eq!(network_filter_error("f", Some("clean-traffic")), None);
        assert_eq!(network_filter_error("f", None), None);
        assert!(network_filter_error("f", Some("../../etc")).is_some());
    }
}
