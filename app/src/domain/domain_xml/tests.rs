use super::*;
use crate::domain::recommendations::{apply_fixes, RecommendationId};
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

#[test]
fn the_high_performance_domain_matches_its_golden_file() {
    let cfg = hp_fixed();
    let xml = domain_xml(&spec("hp-db1", "Trading engine", &cfg));
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
