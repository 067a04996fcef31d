//! `VmConfig` → libvirt domain XML, written with quick-xml's writer: every name,
//! description and value is escaped by the writer, never concatenated into markup.
//!
//! Mapping of the High Performance profile: A1 no `<graphics>` and `<video><model type='none'/>`;
//! A2 `<serial>` + `<console>`; A3 `<controller type='usb' model='none'/>`; A4 no `<sound>`; A5
//! `<cpu mode='host-passthrough'>`; A7 `<feature policy='require' name='invtsc'/>`; A8
//! `<iothreads>`; A9 `<memballoon model='none'/>`; A11 no `<watchdog>`; R1 `<cputune>` vcpupin +
//! emulatorpin; R2 iothreadpin; R3 `<numatune>` + `<cpu><numa>`; R4 `<nosharepages/>`; R5
//! `<hugepages><page/>`. A10 (HA) is Vireo's own restart, not XML.

use super::vm_config::VmConfig;
use quick_xml::events::BytesText;
use quick_xml::Writer;
use std::io;
use uuid::Uuid;

/// Vireo's namespace for its `<metadata>` element.
pub const METADATA_NS: &str = "https://vireo.dev/xmlns/domain/1.0";

#[derive(Clone, Debug)]
pub struct DomainSpec<'a> {
    /// Vireo's VM id, used as the domain UUID.
    pub uuid: Uuid,
    pub name: &'a str,
    pub description: &'a str,
    pub config: &'a VmConfig,
    /// `kvm`, `qemu` or `test`, from the host's driver.
    pub domain_type: &'a str,
    /// The host's architecture (`x86_64`).
    pub arch: &'a str,
    /// CPU features to disable under host-passthrough on this host (per-host quirk list; e.g.
    /// `arch-capabilities`, which some nested-virtualisation hosts cannot pass through).
    pub disabled_cpu_features: &'a [String],
}

/// XML 1.0 cannot carry most control characters even escaped; drop them (descriptions are checked
/// on input too, this keeps the builder total).
fn xml_safe(text: &str) -> String {
    text.chars()
        .filter(|c| matches!(c, '\t' | '\n' | '\r') || (*c >= ' ' && *c != '\u{FFFE}' && *c != '\u{FFFF}'))
        .collect()
}

fn empty(w: &mut Writer<Vec<u8>>, name: &str, attrs: &[(&str, &str)]) -> io::Result<()> {
    w.create_element(name)
        .with_attributes(attrs.iter().copied())
        .write_empty()
        .map(|_| ())
}

fn text(w: &mut Writer<Vec<u8>>, name: &str, attrs: &[(&str, &str)], value: &str) -> io::Result<()> {
    w.create_element(name)
        .with_attributes(attrs.iter().copied())
        .write_text_content(BytesText::new(&xml_safe(value)))
        .map(|_| ())
}

pub fn domain_xml(spec: &DomainSpec) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail.
    let _ = write_domain(&mut w, spec);
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

fn write_domain(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    let c = spec.config;
    // Built only from validated configurations (memory ≤ 4 TiB, so no overflow); saturating anyway
    // so that a value that slipped past can never wrap into a tiny one (pentest row 12 started a
    // VM with memory="0").
    debug_assert!(c.memory_mib <= super::validation::MAX_MEMORY_MIB, "unvalidated memory");
    let memory_kib = c.memory_mib.saturating_mul(1024).to_string();
    let uuid = spec.uuid.to_string();
    w.create_element("domain")
        .with_attribute(("type", spec.domain_type))
        .write_inner_content(|w| {
            text(w, "name", &[], spec.name)?;
            text(w, "uuid", &[], &uuid)?;
            if !spec.description.is_empty() {
                text(w, "description", &[], spec.description)?;
            }
            w.create_element("metadata").write_inner_content(|w| {
                w.create_element("vireo:vm")
                    .with_attribute(("xmlns:vireo", METADATA_NS))
                    .write_inner_content(|w| {
                        text(w, "vireo:optimized-for", &[], c.optimized_for.as_str())?;
                        text(
                            w,
                            "vireo:high-availability",
                            &[],
                            if c.high_availability { "on" } else { "off" },
                        )
                    })?;
                Ok(())
            })?;
            text(w, "memory", &[("unit", "KiB")], &memory_kib)?;
            text(w, "currentMemory", &[("unit", "KiB")], &memory_kib)?;
            if c.huge_pages.is_some() || c.ksm_disabled {
                w.create_element("memoryBacking").write_inner_content(|w| {
                    if let Some(hp) = c.huge_pages {
                        w.create_element("hugepages").write_inner_content(|w| {
                            empty(w, "page", &[("size", &hp.size_kib.to_string()), ("unit", "KiB")])
                        })?;
                    }
                    if c.ksm_disabled {
                        empty(w, "nosharepages", &[])?;
                    }
                    Ok(())
                })?;
            }
            text(w, "vcpu", &[("placement", "static")], &c.vcpus().to_string())?;
            if c.io_threads > 0 {
                text(w, "iothreads", &[], &c.io_threads.to_string())?;
            }
            if !c.cpu_pinning.is_empty() || c.emulator_pin.is_some() || !c.io_thread_pins.is_empty() {
                w.create_element("cputune").write_inner_content(|w| {
                    for pin in &c.cpu_pinning {
                        empty(
                            w,
                            "vcpupin",
                            &[("vcpu", &pin.vcpu.to_string()), ("cpuset", &pin.cpuset.to_string())],
                        )?;
                    }
                    if let Some(e) = &c.emulator_pin {
                        empty(w, "emulatorpin", &[("cpuset", &e.to_string())])?;
                    }
                    for pin in &c.io_thread_pins {
                        empty(
                            w,
                            "iothreadpin",
                            &[
                                ("iothread", &pin.iothread.to_string()),
                                ("cpuset", &pin.cpuset.to_string()),
                            ],
                        )?;
                    }
                    Ok(())
                })?;
            }
            let pinned_nodes: Vec<_> = c.numa_nodes.iter().filter(|n| !n.host_nodes.is_empty()).collect();
            if !pinned_nodes.is_empty() {
                let mode = c.numa_tune_mode.as_str();
                let mut all: Vec<u32> = pinned_nodes.iter().flat_map(|n| n.host_nodes.iter().copied()).collect();
                all.sort_unstable();
                all.dedup();
                let join = |v: &[u32]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",");
                w.create_element("numatune").write_inner_content(|w| {
                    empty(w, "memory", &[("mode", mode), ("nodeset", &join(&all))])?;
                    for n in &pinned_nodes {
                        empty(
                            w,
                            "memnode",
                            &[
                                ("cellid", &n.index.to_string()),
                                ("mode", mode),
                                ("nodeset", &join(&n.host_nodes)),
                            ],
                        )?;
                    }
                    Ok(())
                })?;
            }
            w.create_element("os").write_inner_content(|w| {
                text(w, "type", &[("arch", spec.arch)], "hvm")?;
                empty(w, "boot", &[("dev", "hd")])
            })?;
            w.create_element("features").write_inner_content(|w| {
                empty(w, "acpi", &[])?;
                empty(w, "apic", &[])
            })?;
            write_cpu(w, spec)?;
            empty(w, "clock", &[("offset", "utc")])?;
            text(w, "on_poweroff", &[], "destroy")?;
            text(w, "on_reboot", &[], "restart")?;
            // A crashed VM stops; Vireo's HA monitor restarts it (so it can also record why).
            text(w, "on_crash", &[], "destroy")?;
            write_devices(w, c)?;
            Ok(())
        })?;
    Ok(())
}

fn write_cpu(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    let c = spec.config;
    let mut el = w.create_element("cpu");
    el = if c.cpu_passthrough {
        el.with_attributes([("mode", "host-passthrough"), ("check", "none"), ("migratable", "off")])
    } else {
        el.with_attribute(("mode", "host-model"))
    };
    el.write_inner_content(|w| {
        empty(
            w,
            "topology",
            &[
                ("sockets", &c.cpu.sockets.to_string()),
                ("dies", "1"),
                ("cores", &c.cpu.cores.to_string()),
                ("threads", &c.cpu.threads.to_string()),
            ],
        )?;
        if c.invtsc {
            empty(w, "feature", &[("policy", "require"), ("name", "invtsc")])?;
        }
        if c.cpu_passthrough {
            for feature in spec.disabled_cpu_features {
                empty(w, "feature", &[("policy", "disable"), ("name", feature)])?;
            }
        }
        if !c.numa_nodes.is_empty() {
            w.create_element("numa").write_inner_content(|w| {
                for n in &c.numa_nodes {
                    empty(
                        w,
                        "cell",
                        &[
                            ("id", &n.index.to_string()),
                            ("cpus", &n.cpus.to_string()),
                            ("memory", &n.memory_mib.saturating_mul(1024).to_string()),
                            ("unit", "KiB"),
                        ],
                    )?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_devices(w: &mut Writer<Vec<u8>>, c: &VmConfig) -> io::Result<()> {
    w.create_element("devices").write_inner_content(|w| {
        if c.usb_enabled {
            empty(w, "controller", &[("type", "usb"), ("model", "qemu-xhci")])?;
            empty(w, "input", &[("type", "tablet"), ("bus", "usb")])?;
        } else {
            empty(w, "controller", &[("type", "usb"), ("model", "none")])?;
        }
        if c.serial_console {
            w.create_element("serial")
                .with_attribute(("type", "pty"))
                .write_inner_content(|w| empty(w, "target", &[("port", "0")]))?;
            w.create_element("console")
                .with_attribute(("type", "pty"))
                .write_inner_content(|w| empty(w, "target", &[("type", "serial"), ("port", "0")]))?;
        }
        if c.headless {
            w.create_element("video")
                .write_inner_content(|w| empty(w, "model", &[("type", "none")]))?;
        } else {
            w.create_element("graphics")
                .with_attributes([("type", "vnc"), ("autoport", "yes"), ("listen", "127.0.0.1")])
                .write_inner_content(|w| empty(w, "listen", &[("type", "address"), ("address", "127.0.0.1")]))?;
            w.create_element("video")
                .write_inner_content(|w| empty(w, "model", &[("type", "virtio"), ("heads", "1")]))?;
        }
        if c.soundcard_enabled {
            empty(w, "sound", &[("model", "ich9")])?;
        }
        if c.watchdog {
            empty(w, "watchdog", &[("model", "i6300esb"), ("action", "reset")])?;
        }
        empty(
            w,
            "memballoon",
            &[("model", if c.memory_balloon { "virtio" } else { "none" })],
        )?;
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests;
