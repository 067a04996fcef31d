use super::*;
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

/// The fixed HP VM with a bootable qcow2 system disk on virtio-blk and a raw data disk on
/// virtio-scsi, both tuned by the profile, and an installer in the CD-ROM drive it boots first.
pub(crate) fn hp_with_disks() -> VmConfig {
    let mut cfg = profile_vm(OptimizedFor::Server);
    cfg.disks = vec![
        attachment(1, DiskInterface::Virtio, true),
        attachment(2, DiskInterface::VirtioScsi, false),
    ];
    cfg.cdrom = Some(Uuid::from_u128(0xc));
    cfg.boot_devices = vec![BootDevice::Cdrom, BootDevice::Hd];
    let cfg = crate::domain::profile::profiled(&cfg, OptimizedFor::HighPerformance);
    apply_fixes(&cfg, &hp_ctx(), &RecommendationId::ALL)
}

#[test]
fn the_high_performance_domain_matches_its_golden_file() {
    let cfg = hp_with_disks();
    let disks = devices(&cfg, &[DiskFormat::Qcow2, DiskFormat::Raw]);
    let xml = domain_xml(&DomainSpec {
        disks: &disks,
        cdrom_path: Some(ISO),
        nics: &[],
        ..spec("hp-db1", "Trading engine", &cfg)
    });
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/domain/domain_xml/golden/hp_vm.xml");
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
