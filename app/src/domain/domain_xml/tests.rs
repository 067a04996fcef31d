use super::*;
use crate::domain::cpu_set::CpuSet;
use crate::domain::network::NicModel;
use crate::domain::recommendations::{apply_fixes, recommendations, RecommendationId};
use crate::domain::storage::volume_name;
use crate::domain::test_hosts::{hp_ctx, profiled_vm};
use crate::domain::vm_config::OptimizedFor;
use proptest::prelude::*;

pub(crate) fn profile_vm(p: OptimizedFor) -> VmConfig {
    profiled_vm(p, 1, 2, 2, 4096)
}

pub(crate) fn hp_fixed() -> VmConfig {
    apply_fixes(
        &profile_vm(OptimizedFor::HighPerformance),
        &hp_ctx(),
        &RecommendationId::ALL,
    )
}

fn spec<'a>(name: &'a str, description: &'a str, config: &'a VmConfig) -> DomainSpec<'a> {
    DomainSpec {
        uuid: Uuid::from_u128(0x6f5c6c8e_1b7e_4b51_9e5c_0d7d5a5e8f01),
        name,
        description,
        config,
        domain_type: "kvm",
        arch: "x86_64",
        disabled_cpu_features: &[],
        disks: &[],
        cdrom_path: None,
        nics: &[],
    }
}

/// The domain's text fields, read back with a real XML parser (entities decoded).
#[derive(serde::Deserialize)]
struct Parsed {
    name: String,
    #[serde(default)]
    description: String,
    vcpu: Vcpu,
}

#[derive(serde::Deserialize)]
struct Vcpu {
    #[serde(rename = "$text")]
    count: u32,
}

fn parse(xml: &str) -> Result<Parsed, quick_xml::DeError> {
    quick_xml::de::from_str(xml)
}

const ISO: &str = "/var/lib/vireo/images/vireo-00000000-0000-0000-0000-00000000000c.iso";

/// Disks as the server builds them: each attachment of `cfg.disks` with its volume.
fn devices(cfg: &VmConfig, formats: &[DiskFormat]) -> Vec<DiskDevice> {
    cfg.disks
        .iter()
        .zip(formats)
        .map(|(a, format)| DiskDevice {
            path: format!("/var/lib/vireo/images/{}", volume_name(a.disk_id, *format)),
            format: *format,
            attachment: a.clone(),
        })
        .collect()
}

fn attachment(n: u128, interface: DiskInterface, bootable: bool) -> DiskAttachment {
    DiskAttachment {
        interface,
        // The number in the leading digits, which the serial keeps.
        ..DiskAttachment::new(Uuid::from_u128((0xd15c_0000 + n) << 96), bootable)
    }
}

fn mac(n: u64) -> MacAddress {
    MacAddress::from_u64(0x56_6f_00_00_00_00 + n).unwrap()
}

/// A NIC numbered `n` (id, name `nic{n}` and MAC from it).
fn nic(n: u64, model: NicModel) -> Nic {
    Nic {
        model,
        mac: Some(mac(n)),
        ..Nic::with_id(Uuid::from_u128(u128::from(n)), format!("nic{n}"), None)
    }
}

/// NICs as the server resolves them: each of `cfg.nics` with what backs it on the host, its
/// profile's filter and whether the profile allows multiqueue.
fn nic_devices(cfg: &VmConfig, backing: &[(NicSource, Option<&str>, bool)]) -> Vec<NicDevice> {
    cfg.nics
        .iter()
        .zip(backing)
        .map(|(nic, (source, filter, multiqueue))| NicDevice {
            nic: nic.clone(),
            source: source.clone(),
            network_filter: filter.map(str::to_string),
            multiqueue: *multiqueue,
        })
        .collect()
}

/// The fixed HP VM with a bootable qcow2 system disk on virtio-blk and a raw data disk on
/// virtio-scsi, both tuned by the profile, and an installer in the CD-ROM drive it boots first.
/// Its NICs: nic1 virtio, nic2 rtl8139 with its link down, nic3 e1000e unplugged, nic4 (oVirt's
/// "Empty" profile) e1000e; the profile moves them all to virtio (A14).
pub(crate) fn hp_with_disks() -> VmConfig {
    let mut cfg = profile_vm(OptimizedFor::Server);
    cfg.disks = vec![
        attachment(1, DiskInterface::Virtio, true),
        attachment(2, DiskInterface::VirtioScsi, false),
    ];
    cfg.cdrom = Some(Uuid::from_u128(0xc));
    cfg.boot_devices = vec![BootDevice::Cdrom, BootDevice::Hd];
    cfg.nics = vec![
        nic(1, NicModel::Virtio),
        Nic {
            linked: false,
            ..nic(2, NicModel::Rtl8139)
        },
        Nic {
            plugged: false,
            ..nic(3, NicModel::E1000e)
        },
        nic(4, NicModel::E1000e),
    ];
    let mut cfg = crate::domain::profile::profiled(&cfg, OptimizedFor::HighPerformance);
    // The golden VM is pinned at save time (R1–R3's fixes), as before start-time policies.
    cfg.cpu_pinning_policy = crate::domain::vm_config::CpuPinningPolicy::None;
    apply_fixes(&cfg, &hp_ctx(), &RecommendationId::ALL)
}

/// hp_with_disks' NICs on the host: nic1 on libvirt's `default` network with a filter and a
/// multiqueue profile, nic2 on bridge `br0` with a profile without multiqueue, nic3 (unplugged) on
/// `default`, nic4 on no network.
fn golden_nics(cfg: &VmConfig) -> Vec<NicDevice> {
    nic_devices(
        cfg,
        &[
            (NicSource::Network("default".into()), Some("clean-traffic"), true),
            (NicSource::Bridge("br0".into()), None, false),
            (NicSource::Network("default".into()), None, true),
            (NicSource::Unconnected, None, true),
        ],
    )
}

#[test]
fn the_high_performance_domain_matches_its_golden_file() {
    let cfg = hp_with_disks();
    let disks = devices(&cfg, &[DiskFormat::Qcow2, DiskFormat::Raw]);
    let nics = golden_nics(&cfg);
    let xml = domain_xml(&DomainSpec {
        disks: &disks,
        cdrom_path: Some(ISO),
        nics: &nics,
        ..spec("hp-db1", "Trading engine", &cfg)
    });
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/domain/domain_xml/golden/hp_vm.xml");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &xml).unwrap();
    }
    let golden = std::fs::read_to_string(path).expect("golden file (UPDATE_GOLDEN=1 writes it)");
    assert_eq!(xml, golden, "domain XML changed; review and rerun with UPDATE_GOLDEN=1");
}

/// A Server VM as it starts: its devices for the graphical console (VNC on a UNIX socket, video,
/// tablet) are what the golden file pins.
#[test]
fn the_server_domain_matches_its_golden_file() {
    let cfg = profile_vm(OptimizedFor::Server);
    let xml = domain_xml(&spec("web1", "", &cfg));
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/domain/domain_xml/golden/server_vm.xml"
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &xml).unwrap();
    }
    let golden = std::fs::read_to_string(path).expect("golden file (UPDATE_GOLDEN=1 writes it)");
    assert_eq!(xml, golden, "domain XML changed; review and rerun with UPDATE_GOLDEN=1");
}

#[test]
fn every_high_performance_setting_is_in_the_xml() {
    let xml = domain_xml(&spec("hp", "", &hp_fixed()));
    for needle in [
        "<domain type=\"kvm\">",
        "<uuid>6f5c6c8e-1b7e-4b51-9e5c-0d7d5a5e8f01</uuid>",
        "<page size=\"1048576\" unit=\"KiB\"/>",
        "<nosharepages/>",
        "<iothreads>1</iothreads>",
        "<vcpupin vcpu=\"0\" cpuset=\"8\"/>",
        "<vcpupin vcpu=\"3\" cpuset=\"25\"/>",
        "<emulatorpin cpuset=\"10,26\"/>",
        "<iothreadpin iothread=\"1\" cpuset=\"10,26\"/>",
        "<memory mode=\"strict\" nodeset=\"1\"/>",
        "<memnode cellid=\"0\" mode=\"strict\" nodeset=\"1\"/>",
        "<cpu mode=\"host-passthrough\" check=\"none\" migratable=\"off\">",
        "<topology sockets=\"1\" dies=\"1\" cores=\"2\" threads=\"2\"/>",
        "<feature policy=\"require\" name=\"invtsc\"/>",
        "<cell id=\"0\" cpus=\"0-3\" memory=\"4194304\" unit=\"KiB\"/>",
        "<controller type=\"usb\" model=\"none\"/>",
        "<serial type=\"pty\">",
        "<console type=\"pty\">",
        "<model type=\"none\"/>",
        "<memballoon model=\"none\"/>",
    ] {
        assert!(xml.contains(needle), "missing {needle} in\n{xml}");
    }
    for absent in ["<graphics", "<sound", "<watchdog", "tablet", "virtio\"/>"] {
        assert!(!xml.contains(absent), "{absent} must not be in an HP domain");
    }
}

#[test]
fn server_and_desktop_domains_are_ordinary() {
    let server = domain_xml(&spec("s", "", &profile_vm(OptimizedFor::Server)));
    assert!(server.contains("<graphics type=\"vnc\""));
    assert!(server.contains("<input type=\"tablet\" bus=\"usb\"/>"));
    assert!(server.contains("<memballoon model=\"virtio\"/>"));
    assert!(server.contains("<cpu mode=\"host-model\">"));
    assert!(!server.contains("<sound") && !server.contains("<cputune>") && !server.contains("<iothreads>"));
    let desktop = domain_xml(&spec("d", "", &profile_vm(OptimizedFor::Desktop)));
    assert!(desktop.contains("<sound model=\"ich9\"/>"));
    let mut watched = profile_vm(OptimizedFor::Server);
    watched.watchdog = true;
    assert!(domain_xml(&spec("w", "", &watched)).contains("<watchdog model=\"i6300esb\" action=\"reset\"/>"));
}

#[test]
fn a_serial_console_also_carries_the_firmwares_output_on_x86() {
    let hp = hp_fixed();
    assert!(hp.serial_console);
    let xml = domain_xml(&spec("hp", "", &hp));
    let os = &xml[xml.find("<os>").unwrap()..xml.find("</os>").unwrap()];
    assert!(os.contains("<bios useserial=\"yes\"/>"), "{os}");
    // SeaBIOS is x86's firmware: elsewhere libvirt refuses the element.
    let arm = domain_xml(&DomainSpec {
        arch: "aarch64",
        ..spec("hp", "", &hp)
    });
    assert!(!arm.contains("<bios"), "{arm}");
    // libvirt requires a <serial> device for it: without a serial console, no redirection.
    let mut quiet = hp.clone();
    quiet.serial_console = false;
    let quiet = domain_xml(&spec("hp", "", &quiet));
    assert!(!quiet.contains("<bios") && !quiet.contains("<serial type"), "{quiet}");
    assert!(!domain_xml(&spec("s", "", &profile_vm(OptimizedFor::Server))).contains("<bios"));
}

#[test]
fn the_graphical_console_listens_on_a_unix_socket_not_a_tcp_port() {
    let xml = domain_xml(&spec("s", "", &profile_vm(OptimizedFor::Server)));
    let start = xml.find("<graphics").unwrap();
    let graphics = &xml[start..start + xml[start..].find("</graphics>").unwrap()];
    assert!(graphics.starts_with("<graphics type=\"vnc\">"), "{graphics}");
    assert!(graphics.contains("<listen type=\"socket\"/>"), "{graphics}");
    // libvirt picks the socket's path; nothing names a port or an address to listen on.
    for absent in ["port", "address", "autoport", "socket=", "passwd"] {
        assert!(!graphics.contains(absent), "{absent} in {graphics}");
    }
}

#[test]
fn host_cpu_quirks_disable_features_under_passthrough_only() {
    let quirks = vec!["arch-capabilities".to_string()];
    let cfg = hp_fixed();
    let xml = domain_xml(&DomainSpec {
        disabled_cpu_features: &quirks,
        ..spec("q", "", &cfg)
    });
    assert!(xml.contains("<feature policy=\"disable\" name=\"arch-capabilities\"/>"));
    let server = profile_vm(OptimizedFor::Server);
    assert!(!domain_xml(&DomainSpec {
        disabled_cpu_features: &quirks,
        ..spec("q", "", &server)
    })
    .contains("disable"));
}

#[test]
fn hostile_text_is_escaped() {
    let cfg = profile_vm(OptimizedFor::Server);
    let desc = "</description><evil attr=\"x\"> & 'quotes' \u{1F680} ünïcödé";
    let xml = domain_xml(&spec("a<b>&\"c'", desc, &cfg));
    assert!(!xml.contains("<evil"));
    let parsed = parse(&xml).unwrap();
    assert_eq!(parsed.description, desc);
    assert_eq!(parsed.name, "a<b>&\"c'");
    assert_eq!(parsed.vcpu.count, 4);
}

#[test]
fn control_characters_are_dropped_not_emitted() {
    let cfg = profile_vm(OptimizedFor::Server);
    let xml = domain_xml(&spec("x", "bell\u{7} and nul\u{0} and tab\t", &cfg));
    assert_eq!(parse(&xml).unwrap().description, "bell and nul and tab\t");
}

#[test]
fn high_performance_disks_are_uncached_native_and_threaded() {
    let cfg = hp_with_disks();
    assert!(recommendations(&cfg, &hp_ctx()).is_empty(), "R6 is met");
    let disks = devices(&cfg, &[DiskFormat::Qcow2, DiskFormat::Raw]);
    let xml = domain_xml(&DomainSpec {
        disks: &disks,
        cdrom_path: Some(ISO),
        nics: &[],
        ..spec("hp", "", &cfg)
    });
    for needle in [
        "<disk type=\"file\" device=\"disk\">",
        "<driver name=\"qemu\" type=\"qcow2\" cache=\"none\" io=\"native\" iothread=\"1\"/>",
        "<target dev=\"vda\" bus=\"virtio\"/>",
        "<serial>d15c0001000000000000</serial>",
        "<serial>d15c0002000000000000</serial>",
        // virtio-scsi: the thread is the controller's, not the disk's.
        "<driver name=\"qemu\" type=\"raw\" cache=\"none\" io=\"native\"/>",
        "<target dev=\"sda\" bus=\"scsi\"/>",
        "<address type=\"drive\" controller=\"0\" bus=\"0\" target=\"0\" unit=\"0\"/>",
        "<controller type=\"scsi\" index=\"0\" model=\"virtio-scsi\">",
        "<driver queues=\"4\" iothread=\"1\"/>",
        "<disk type=\"file\" device=\"cdrom\">",
        "<target dev=\"sdb\" bus=\"sata\"/>",
        "<readonly/>",
    ] {
        assert!(xml.contains(needle), "missing {needle} in\n{xml}");
    }
    // The CD-ROM first, then the bootable disk; no <os><boot> beside them.
    let cd = xml.find("device=\"cdrom\"").unwrap();
    assert!(xml[cd..].contains("<boot order=\"1\"/>"));
    let vda = xml.find("dev=\"vda\"").unwrap();
    assert!(xml[vda..cd].contains("<boot order=\"2\"/>"));
    assert_eq!(xml.matches("<boot order=").count(), 2);
    assert!(!xml.contains("<boot dev="));
    assert_eq!(parse(&xml).unwrap().name, "hp");
}

#[test]
fn a_server_sata_disk_takes_the_hypervisor_defaults() {
    let mut cfg = profile_vm(OptimizedFor::Server);
    cfg.disks = vec![attachment(1, DiskInterface::Sata, false)];
    cfg.disks[0].read_only = true;
    let disks = devices(&cfg, &[DiskFormat::Raw]);
    let xml = domain_xml(&DomainSpec {
        disks: &disks,
        ..spec("s", "", &cfg)
    });
    for needle in [
        "<driver name=\"qemu\" type=\"raw\"/>",
        "<target dev=\"sda\" bus=\"sata\"/>",
        "<boot order=\"1\"/>",
        "<readonly/>",
        "<address type=\"drive\" controller=\"0\" bus=\"0\" target=\"0\" unit=\"0\"/>",
    ] {
        assert!(xml.contains(needle), "missing {needle} in\n{xml}");
    }
    for absent in [
        "cache=",
        "io=",
        "iothread",
        "<controller type=\"scsi\"",
        "<boot dev=",
        "cdrom",
    ] {
        assert!(!xml.contains(absent), "{absent} in\n{xml}");
    }
}

#[test]
fn without_disks_or_a_cd_the_os_boots_from_the_disk_as_before() {
    let cfg = profile_vm(OptimizedFor::Server);
    let xml = domain_xml(&spec("s", "", &cfg));
    assert!(xml.contains("<boot dev=\"hd\"/>"));
    assert!(!xml.contains("<disk") && !xml.contains("<boot order"));
    // A CD the boot sequence leaves out gets no order; nothing else has one: <os><boot> stays.
    let xml = domain_xml(&DomainSpec {
        cdrom_path: Some(ISO),
        nics: &[],
        ..spec("s", "", &cfg)
    });
    assert!(xml.contains("<boot dev=\"hd\"/>") && xml.contains("device=\"cdrom\""));
    assert!(!xml.contains("<boot order"));
}

#[test]
fn the_bootable_disk_boots_else_the_first() {
    let mut cfg = profile_vm(OptimizedFor::Server);
    cfg.disks = vec![
        attachment(1, DiskInterface::Virtio, false),
        attachment(2, DiskInterface::Virtio, true),
    ];
    let disks = devices(&cfg, &[DiskFormat::Qcow2, DiskFormat::Qcow2]);
    let xml = domain_xml(&DomainSpec {
        disks: &disks,
        ..spec("s", "", &cfg)
    });
    let vdb = xml.find("dev=\"vdb\"").unwrap();
    assert!(xml[vdb..].contains("<boot order=\"1\"/>"), "{xml}");
    assert_eq!(xml.matches("<boot order=").count(), 1);
    let mut none_bootable = disks.clone();
    none_bootable[1].attachment.bootable = false;
    let xml = domain_xml(&DomainSpec {
        disks: &none_bootable,
        ..spec("s", "", &cfg)
    });
    let (vda, vdb) = (xml.find("dev=\"vda\"").unwrap(), xml.find("dev=\"vdb\"").unwrap());
    assert!(xml[vda..vdb].contains("<boot order=\"1\"/>"), "{xml}");
}

#[test]
fn each_scsi_io_thread_gets_its_own_controller_and_names_stay_unique() {
    let mut cfg = profile_vm(OptimizedFor::HighPerformance);
    cfg.io_threads = 2;
    // Seven SATA disks, then virtio-blk and pairs of virtio-scsi disks.
    cfg.disks = (0..16)
        .map(|n| {
            let interface = match n {
                0..=6 => DiskInterface::Sata,
                n if n % 3 == 1 => DiskInterface::Virtio,
                _ => DiskInterface::VirtioScsi,
            };
            attachment(n, interface, n == 0)
        })
        .collect();
    cfg.disks = crate::domain::storage::high_performance_disks(&cfg.disks, 2, false);
    assert!(crate::domain::validation::validate_config(&cfg, &hp_ctx()).is_empty());
    let disks = devices(&cfg, &[DiskFormat::Qcow2; 16]);
    let xml = domain_xml(&DomainSpec {
        disks: &disks,
        cdrom_path: Some(ISO),
        nics: &[],
        ..spec("many", "", &cfg)
    });
    // The SCSI disks land on both IO threads (round robin over the paravirtual disks).
    assert!(xml.contains("<controller type=\"scsi\" index=\"0\" model=\"virtio-scsi\">"));
    assert!(xml.contains("<controller type=\"scsi\" index=\"1\" model=\"virtio-scsi\">"));
    assert!(xml.contains("<driver queues=\"4\" iothread=\"2\"/>"));
    assert!(xml.contains("<driver queues=\"4\" iothread=\"1\"/>"));
    let mut targets: Vec<&str> = xml
        .match_indices("<target dev=\"")
        .map(|(i, m)| {
            let rest = &xml[i + m.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    assert_eq!(targets.len(), 17);
    targets.sort_unstable();
    targets.dedup();
    assert_eq!(targets.len(), 17, "every target name is unique");
    // Seven SATA disks and the CD: the seventh and eighth SATA devices are on the second AHCI
    // controller.
    assert!(xml.contains("<address type=\"drive\" controller=\"1\" bus=\"0\" target=\"0\" unit=\"1\"/>"));
    assert_eq!(parse(&xml).unwrap().name, "many");
}

#[test]
fn scsi_units_skip_the_controllers_own_unit_7() {
    let mut cfg = profile_vm(OptimizedFor::Server);
    cfg.disks = (0..9)
        .map(|n| attachment(n, DiskInterface::VirtioScsi, false))
        .collect();
    let disks = devices(&cfg, &[DiskFormat::Raw; 9]);
    let xml = domain_xml(&DomainSpec {
        disks: &disks,
        ..spec("s", "", &cfg)
    });
    assert!(xml.contains("unit=\"6\"") && xml.contains("unit=\"8\"") && xml.contains("unit=\"9\""));
    assert!(!xml.contains("unit=\"7\""));
    assert_eq!(xml.matches("<controller type=\"scsi\"").count(), 1);
    assert!(
        xml.contains("<controller type=\"scsi\" index=\"0\" model=\"virtio-scsi\"/>"),
        "no driver outside HP"
    );
}

#[test]
fn drive_names_count_like_libvirts() {
    assert_eq!(drive_name("vd", 0), "vda");
    assert_eq!(drive_name("vd", 25), "vdz");
    assert_eq!(drive_name("sd", 26), "sdaa");
    assert_eq!(drive_name("sd", 27), "sdab");
    assert_eq!(drive_name("sd", 26 * 27), "sdaaa");
}

#[test]
fn hostile_paths_are_escaped() {
    let mut cfg = profile_vm(OptimizedFor::Server);
    cfg.disks = vec![attachment(1, DiskInterface::Virtio, true)];
    let disks = vec![DiskDevice {
        path: "/srv/a\"b'<c>&d\u{7}".into(),
        format: DiskFormat::Raw,
        attachment: cfg.disks[0].clone(),
    }];
    let xml = domain_xml(&DomainSpec {
        disks: &disks,
        cdrom_path: Some("/srv/x\"/><evil/>"),
        nics: &[],
        ..spec("p", "", &cfg)
    });
    assert!(!xml.contains("<evil") && !xml.contains('\u{7}'));
    assert!(parse(&xml).is_ok(), "{xml}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any name and description: the XML is well formed and carries them back exactly (minus the
    /// characters XML cannot hold at all).
    #[test]
    fn any_text_round_trips(name in "[^/\n\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}]{1,40}", description in "\\PC{0,200}") {
        let cfg = profile_vm(OptimizedFor::HighPerformance);
        let xml = domain_xml(&spec(&name, &description, &cfg));
        let parsed = parse(&xml);
        prop_assert!(parsed.is_ok(), "not well formed: {:?}\n{}", parsed.err(), xml);
        let parsed = parsed.unwrap();
        prop_assert_eq!(parsed.name, xml_safe(&name));
        prop_assert_eq!(parsed.description, xml_safe(&description));
    }
}

#[test]
fn one_disks_element_is_cut_from_the_domain_for_hotplug() {
    let cfg = hp_with_disks();
    let disks = devices(&cfg, &[DiskFormat::Qcow2, DiskFormat::Raw]);
    let xml = domain_xml(&DomainSpec {
        disks: &disks,
        cdrom_path: Some(ISO),
        nics: &[],
        ..spec("hp-db1", "Trading engine", &cfg)
    });
    let second = cfg.disks[1].disk_id;
    let element = disk_element(&xml, second).expect("the second disk is in the domain");
    assert!(element.starts_with("<disk type=\"file\" device=\"disk\">"), "{element}");
    assert!(element.trim_end().ends_with("</disk>"), "{element}");
    assert!(element.contains(&disks[1].path), "{element}");
    assert!(!element.contains(&disks[0].path), "only that disk: {element}");
    assert_eq!(element.matches("<disk").count(), 1);
    assert_eq!(disk_element(&xml, Uuid::from_u128(99)), None, "a disk the domain lacks");
    assert_eq!(disk_element("not xml <", second), None);
}

/// The `<interface>` elements of `xml`, in document order.
fn interfaces(xml: &str) -> Vec<&str> {
    xml.match_indices("<interface ")
        .map(|(i, _)| {
            let end = xml[i..]
                .find("</interface>")
                .map_or(xml.len(), |e| i + e + "</interface>".len());
            &xml[i..end]
        })
        .collect()
}

#[test]
fn the_golden_vms_nics_are_written_in_order_after_the_storage() {
    let cfg = hp_with_disks();
    assert!(
        cfg.multi_queues_enabled && cfg.nics.iter().all(|n| n.model == NicModel::Virtio),
        "A14"
    );
    assert!(recommendations(&cfg, &hp_ctx()).is_empty(), "R7 is met");
    let disks = devices(&cfg, &[DiskFormat::Qcow2, DiskFormat::Raw]);
    let nics = golden_nics(&cfg);
    let xml = domain_xml(&DomainSpec {
        disks: &disks,
        cdrom_path: Some(ISO),
        nics: &nics,
        ..spec("hp", "", &cfg)
    });
    let found = interfaces(&xml);
    assert_eq!(found.len(), 3, "the unplugged nic3 is no device: {xml}");
    // After the disks and their controllers, before the USB controller.
    let first = xml.find("<interface ").unwrap();
    assert!(xml.rfind("</disk>").unwrap() < first && xml.find("model=\"virtio-scsi\"").unwrap() < first);
    assert!(first < xml.find("<controller type=\"usb\"").unwrap());
    assert_eq!(
        found[0],
        "<interface type=\"network\">\n      <mac address=\"56:6f:00:00:00:01\"/>\n      \
         <source network=\"default\"/>\n      <model type=\"virtio\"/>\n      \
         <driver queues=\"4\"/>\n      <filterref filter=\"clean-traffic\"/>\n      \
         <link state=\"up\"/>\n    </interface>"
    );
    // A profile without multiqueue: no queues (and no driver: the backend is libvirt's choice);
    // the link as set.
    for needle in [
        "<mac address=\"56:6f:00:00:00:02\"/>",
        "<source bridge=\"br0\"/>",
        "<link state=\"down\"/>",
    ] {
        assert!(found[1].contains(needle), "{needle} in {}", found[1]);
    }
    assert!(!found[1].contains("<driver"), "{}", found[1]);
    assert!(found[1].starts_with("<interface type=\"bridge\">"));
    // oVirt's "Empty": user networking, link down, no backend options.
    assert!(found[2].starts_with("<interface type=\"user\">"), "{}", found[2]);
    assert!(found[2].contains("<mac address=\"56:6f:00:00:00:04\"/>"));
    assert!(found[2].contains("<link state=\"down\"/>"));
    assert!(!found[2].contains("<source") && !found[2].contains("<driver") && !found[2].contains("filterref"));
    assert!(!xml.contains("56:6f:00:00:00:03"));
    assert_eq!(parse(&xml).unwrap().name, "hp");
}

/// One virtio NIC on `default`, on a VM of `profile` with `vcpus` vCPUs and multiqueue as given,
/// through a profile that does or does not allow multiqueue: its `<driver>` element, if any.
fn driver_of(
    profile: OptimizedFor,
    vcpus: u32,
    vm_multiqueue: bool,
    profile_multiqueue: bool,
    model: NicModel,
) -> Option<String> {
    let mut cfg = profiled_vm(profile, 1, vcpus, 1, 4096);
    cfg.multi_queues_enabled = vm_multiqueue;
    cfg.nics = vec![nic(1, model)];
    let nics = nic_devices(
        &cfg,
        &[(NicSource::Network("default".into()), None, profile_multiqueue)],
    );
    let xml = domain_xml(&DomainSpec {
        nics: &nics,
        ..spec("mq", "", &cfg)
    });
    let nic = interfaces(&xml)[0].to_string();
    assert!(nic.contains(&format!("<model type=\"{}\"/>", model.as_str())), "{nic}");
    nic.lines()
        .map(str::trim)
        .find(|l| l.starts_with("<driver"))
        .map(str::to_string)
}

#[test]
fn queues_need_virtio_the_vms_multiqueue_and_the_profiles() {
    use NicModel::*;
    use OptimizedFor::*;
    let queues4 = Some("<driver queues=\"4\"/>".to_string());
    // Both flags on: one queue pair per vCPU, for every profile.
    assert_eq!(driver_of(HighPerformance, 4, true, true, Virtio), queues4);
    assert_eq!(driver_of(Server, 4, true, true, Virtio), queues4);
    assert_eq!(driver_of(Desktop, 4, true, true, Virtio), queues4);
    // Capped at 16.
    assert_eq!(
        driver_of(Server, 64, true, true, Virtio),
        Some("<driver queues=\"16\"/>".to_string())
    );
    // Either flag off: no queues, and no driver element (libvirt picks vhost-net where the host
    // has it; naming it would fail the start where it does not).
    for (vm, profile) in [(false, true), (true, false), (false, false)] {
        assert_eq!(
            driver_of(HighPerformance, 4, vm, profile, Virtio),
            None,
            "{vm} {profile}"
        );
        assert_eq!(driver_of(Server, 4, vm, profile, Virtio), None, "{vm} {profile}");
    }
    // One vCPU: one queue is QEMU's default, nothing to write.
    assert_eq!(driver_of(HighPerformance, 1, true, true, Virtio), None);
    assert_eq!(driver_of(Server, 1, true, true, Virtio), None);
    // Emulated models have neither vhost nor queues.
    for model in [E1000e, Rtl8139] {
        assert_eq!(driver_of(HighPerformance, 4, true, true, model), None);
        assert_eq!(driver_of(Server, 4, true, true, model), None);
    }
}

#[test]
fn only_the_offered_filters_reach_the_xml() {
    let mut cfg = profile_vm(OptimizedFor::Server);
    cfg.nics = vec![nic(1, NicModel::Virtio)];
    let with_filter = |filter: &str, source: NicSource| {
        let nics = nic_devices(&cfg, &[(source, Some(filter), false)]);
        domain_xml(&DomainSpec {
            nics: &nics,
            ..spec("f", "", &cfg)
        })
    };
    for filter in crate::domain::network::NETWORK_FILTERS {
        let xml = with_filter(filter, NicSource::Network("default".into()));
        assert!(xml.contains(&format!("<filterref filter=\"{filter}\"/>")), "{xml}");
        // Nothing to filter on a NIC connected to nothing.
        assert!(!with_filter(filter, NicSource::Unconnected).contains("filterref"));
    }
    for hostile in ["../../etc/passwd", "clean-traffic\"/><evil/>", "", "CLEAN-TRAFFIC"] {
        let xml = with_filter(hostile, NicSource::Bridge("br0".into()));
        assert!(!xml.contains("filterref") && !xml.contains("<evil"), "{xml}");
        assert!(xml.contains("<source bridge=\"br0\"/>"));
    }
    let nics = nic_devices(&cfg, &[(NicSource::Network("default".into()), None, false)]);
    assert!(!domain_xml(&DomainSpec {
        nics: &nics,
        ..spec("f", "", &cfg)
    })
    .contains("filterref"));
}

#[test]
fn a_nic_without_a_mac_gets_libvirts_and_hostile_names_are_escaped() {
    let mut cfg = profile_vm(OptimizedFor::Server);
    cfg.nics = vec![Nic {
        mac: None,
        ..nic(1, NicModel::E1000e)
    }];
    let nics = nic_devices(
        &cfg,
        &[(NicSource::Network("net\"/><evil a='1'/>&\u{7}".into()), None, true)],
    );
    let xml = domain_xml(&DomainSpec {
        nics: &nics,
        ..spec("m", "", &cfg)
    });
    let found = interfaces(&xml);
    assert_eq!(found.len(), 1);
    assert!(!found[0].contains("<mac"), "a Template's NIC: libvirt picks one");
    assert!(found[0].contains("<model type=\"e1000e\"/>"));
    assert!(!xml.contains("<evil") && !xml.contains('\u{7}'), "{xml}");
    assert!(parse(&xml).is_ok(), "{xml}");
    assert!(xml.contains("<link state=\"up\"/>"));
}

#[test]
fn unplugged_nics_and_vms_without_nics_write_no_interface() {
    let mut cfg = profile_vm(OptimizedFor::HighPerformance);
    assert!(!domain_xml(&spec("n", "", &cfg)).contains("<interface"));
    cfg.nics = vec![Nic {
        plugged: false,
        ..nic(1, NicModel::Virtio)
    }];
    let nics = nic_devices(&cfg, &[(NicSource::Network("default".into()), None, true)]);
    assert!(!domain_xml(&DomainSpec {
        nics: &nics,
        ..spec("n", "", &cfg)
    })
    .contains("<interface"));
}

#[test]
fn every_vm_has_the_guest_agent_channel() {
    for p in OptimizedFor::ALL {
        let xml = domain_xml(&spec("g", "", &profile_vm(p)));
        assert_eq!(
            xml.matches("<channel type=\"unix\">\n      <target type=\"virtio\" name=\"org.qemu.guest_agent.0\"/>\n    </channel>").count(),
            1,
            "{p:?}: {xml}"
        );
    }
}

#[test]
fn each_nics_element_is_cut_from_the_domain_by_its_mac() {
    let cfg = hp_with_disks();
    let disks = devices(&cfg, &[DiskFormat::Qcow2, DiskFormat::Raw]);
    let nics = golden_nics(&cfg);
    let xml = domain_xml(&DomainSpec {
        disks: &disks,
        cdrom_path: Some(ISO),
        nics: &nics,
        ..spec("hp-db1", "", &cfg)
    });
    let written = interfaces(&xml);
    for (n, expected) in [(1, written[0]), (2, written[1]), (4, written[2])] {
        let element = interface_element(&xml, mac(n)).unwrap_or_else(|| panic!("nic{n} in {xml}"));
        assert!(element.starts_with("<interface type="), "{element}");
        assert!(element.trim_end().ends_with("</interface>"), "{element}");
        assert_eq!(element.matches("<interface").count(), 1);
        assert!(element.contains(&format!("<mac address=\"{}\"/>", mac(n))), "{element}");
        // The same element as written, give or take its indentation.
        let squash = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(squash(&element), squash(expected));
    }
    // Upper-case input finds the same NIC; the unplugged nic3 and strangers are not there.
    assert!(interface_element(&xml, MacAddress::parse("56:6F:00:00:00:01").unwrap()).is_some());
    assert_eq!(interface_element(&xml, mac(3)), None);
    assert_eq!(interface_element(&xml, mac(99)), None);
}

/// The `<devices>` children of `xml` that are PCIe root ports.
fn root_ports(xml: &str) -> usize {
    xml.matches("model=\"pcie-root-port\"").count()
}

#[test]
fn new_vms_get_the_modern_machine_virt_install_writes() {
    let cfg = profile_vm(OptimizedFor::Server);
    let xml = domain_xml(&spec("m", "", &cfg));
    for needle in [
        "<type arch=\"x86_64\" machine=\"q35\">hvm</type>",
        "<timer name=\"rtc\" tickpolicy=\"catchup\"/>",
        "<timer name=\"pit\" tickpolicy=\"delay\"/>",
        "<timer name=\"hpet\" present=\"no\"/>",
        "<suspend-to-mem enabled=\"no\"/>",
        "<suspend-to-disk enabled=\"no\"/>",
        "<controller type=\"pci\" index=\"0\" model=\"pcie-root\"/>",
        "<rng model=\"virtio\">\n      <backend model=\"random\">/dev/urandom</backend>\n    </rng>",
        "name=\"org.qemu.guest_agent.0\"",
    ] {
        assert!(xml.contains(needle), "missing {needle} in\n{xml}");
    }
    // xHCI, agent channel's virtio-serial, balloon, RNG: four ports taken, eight free.
    assert_eq!(root_ports(&xml), 4 + FREE_ROOT_PORTS);
    // Root ports are numbered from 1, after the root (index 0), each index once.
    for index in 1..=root_ports(&xml) {
        assert_eq!(
            xml.matches(&format!(
                "<controller type=\"pci\" index=\"{index}\" model=\"pcie-root-port\"/>"
            ))
            .count(),
            1
        );
    }
    // No IDE anywhere (q35 has none): the CD-ROM is on SATA.
    let with_cd = domain_xml(&DomainSpec {
        cdrom_path: Some(ISO),
        ..spec("m", "", &cfg)
    });
    assert!(
        with_cd.contains("bus=\"sata\"") && !with_cd.contains("bus=\"ide\""),
        "{with_cd}"
    );
}

#[test]
fn every_disk_and_nic_keeps_eight_root_ports_free_for_hotplug() {
    let cfg = hp_with_disks();
    let disks = devices(&cfg, &[DiskFormat::Qcow2, DiskFormat::Raw]);
    let nics = golden_nics(&cfg);
    let xml = domain_xml(&DomainSpec {
        disks: &disks,
        cdrom_path: Some(ISO),
        nics: &nics,
        ..spec("hp", "", &cfg)
    });
    // virtio-blk, the virtio-scsi controller, three plugged NICs, the agent's channel, the RNG (no
    // USB, no balloon on HP); the SATA CD-ROM sits on q35's built-in AHCI.
    assert_eq!(root_ports(&xml), 7 + FREE_ROOT_PORTS, "{xml}");
    let mut busy = hp_with_disks();
    busy.disks = (0..6).map(|n| attachment(n, DiskInterface::Virtio, n == 0)).collect();
    let disks = devices(&busy, &[DiskFormat::Raw; 6]);
    let xml = domain_xml(&DomainSpec {
        disks: &disks,
        ..spec("hp", "", &busy)
    });
    assert_eq!(root_ports(&xml), 6 + 2 + FREE_ROOT_PORTS, "{xml}");
}

#[test]
fn stored_legacy_vms_keep_i440fx_without_pcie_controllers() {
    let mut cfg = profile_vm(OptimizedFor::Server);
    cfg.machine = MachineType::I440fx;
    let xml = domain_xml(&spec("old", "", &cfg));
    assert!(xml.contains("<type arch=\"x86_64\" machine=\"pc\">hvm</type>"), "{xml}");
    assert!(!xml.contains("pcie"), "i440fx's PCI root bus hot-plugs itself: {xml}");
    // The timers and power management do not depend on the chipset.
    assert!(xml.contains("<timer name=\"hpet\" present=\"no\"/>") && xml.contains("<pm>"));
}

#[test]
fn guest_agent_and_rng_follow_their_settings() {
    let mut cfg = profile_vm(OptimizedFor::Server);
    cfg.guest_agent = false;
    cfg.virtio_rng = false;
    let xml = domain_xml(&spec("q", "", &cfg));
    assert!(!xml.contains("<channel") && !xml.contains("<rng"), "{xml}");
    // Two devices fewer: two root ports fewer, still eight free.
    assert_eq!(root_ports(&xml), 2 + FREE_ROOT_PORTS);
}

#[test]
fn machines_and_x86_timers_are_left_out_elsewhere() {
    let cfg = profile_vm(OptimizedFor::Server);
    let arm = domain_xml(&DomainSpec {
        arch: "aarch64",
        ..spec("a", "", &cfg)
    });
    assert!(arm.contains("<type arch=\"aarch64\">hvm</type>"), "{arm}");
    assert!(arm.contains("<clock offset=\"utc\"/>") && !arm.contains("<timer") && !arm.contains("pcie"));
}

#[test]
fn real_time_vcpus_run_fifo_with_locked_memory() {
    let mut cfg = hp_fixed();
    cfg.realtime_vcpus = Some(CpuSet::from_ids([1, 2, 3]));
    let xml = domain_xml(&spec("rt", "", &cfg));
    assert!(
        xml.contains("<vcpusched vcpus=\"1-3\" scheduler=\"fifo\" priority=\"1\"/>"),
        "{xml}"
    );
    let backing = &xml[xml.find("<memoryBacking>").unwrap()..xml.find("</memoryBacking>").unwrap()];
    assert!(
        backing.contains("<locked/>") && backing.contains("<hugepages>"),
        "{backing}"
    );
    // vcpusched follows the pins inside <cputune>.
    let tune = &xml[xml.find("<cputune>").unwrap()..xml.find("</cputune>").unwrap()];
    assert!(tune.find("<vcpupin").unwrap() < tune.find("<vcpusched").unwrap());
    // vCPUs the VM lacks never reach the XML; a mask with none of its vCPUs writes nothing.
    cfg.realtime_vcpus = Some(CpuSet::from_ids([3, 9]));
    assert!(domain_xml(&spec("rt", "", &cfg)).contains("<vcpusched vcpus=\"3\""));
    cfg.realtime_vcpus = Some(CpuSet::from_ids([9]));
    let none = domain_xml(&spec("rt", "", &cfg));
    assert!(!none.contains("vcpusched") && !none.contains("<locked/>"), "{none}");
    // Off: neither element.
    let off = domain_xml(&spec("rt", "", &hp_fixed()));
    assert!(!off.contains("vcpusched") && !off.contains("<locked/>"));
    // A real-time VM without pins or huge pages (refused by the rules) still gets its elements.
    let mut bare = profile_vm(OptimizedFor::Server);
    bare.realtime_vcpus = Some(CpuSet::from_ids([1]));
    let bare = domain_xml(&spec("rt", "", &bare));
    assert!(
        bare.contains("<cputune>\n    <vcpusched vcpus=\"1\"") && bare.contains("<memoryBacking>\n    <locked/>"),
        "{bare}"
    );
}
