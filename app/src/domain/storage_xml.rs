//! libvirt's storage XML: the pool and volume definitions Vireo writes (quick-xml's writer, every
//! value escaped by it) and the parts of libvirt's answers it reads (quick-xml's serde reader).

use super::storage::DiskFormat;
use quick_xml::events::BytesText;
use quick_xml::Writer;
use serde::Deserialize;

/// A volume to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeSpec {
    /// The libvirt volume name (`storage::volume_name`: from the disk's id, never user text).
    pub name: String,
    pub capacity_bytes: u64,
    pub format: DiskFormat,
    /// Allocate the whole capacity now (preallocated) instead of as the guest writes (thin).
    pub preallocate: bool,
    /// A thin overlay on this volume (path on the same host, its format).
    pub backing: Option<(String, DiskFormat)>,
}

fn into_string(w: Writer<Vec<u8>>) -> String {
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

/// `<pool type='dir'>` with its name and target path (both checked by the caller:
/// `storage_domain_name_error`, `pool_path_error`).
pub fn dir_pool_xml(name: &str, path: &str) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail.
    let _ = w
        .create_element("pool")
        .with_attribute(("type", "dir"))
        .write_inner_content(|w| {
            w.create_element("name").write_text_content(BytesText::new(name))?;
            w.create_element("target").write_inner_content(|w| {
                w.create_element("path").write_text_content(BytesText::new(path))?;
                Ok(())
            })?;
            Ok(())
        });
    into_string(w)
}

/// `<volume>` for `virStorageVolCreateXML`: capacity, allocation (0 when thin), format and an
/// optional backing store.
pub fn volume_xml(spec: &VolumeSpec) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let capacity = spec.capacity_bytes.to_string();
    let allocation = if spec.preallocate { capacity.clone() } else { "0".into() };
    let _ = w.create_element("volume").write_inner_content(|w| {
        w.create_element("name")
            .write_text_content(BytesText::new(&spec.name))?;
        w.create_element("capacity")
            .with_attribute(("unit", "bytes"))
            .write_text_content(BytesText::new(&capacity))?;
        w.create_element("allocation")
            .with_attribute(("unit", "bytes"))
            .write_text_content(BytesText::new(&allocation))?;
        w.create_element("target").write_inner_content(|w| {
            w.create_element("format")
                .with_attribute(("type", spec.format.driver_type()))
                .write_empty()?;
            Ok(())
        })?;
        if let Some((path, format)) = &spec.backing {
            w.create_element("backingStore").write_inner_content(|w| {
                w.create_element("path").write_text_content(BytesText::new(path))?;
                w.create_element("format")
                    .with_attribute(("type", format.driver_type()))
                    .write_empty()?;
                Ok(())
            })?;
        }
        Ok(())
    });
    into_string(w)
}

/// What Vireo reads from a pool's XML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolXmlFacts {
    pub pool_type: String,
    pub path: String,
}

/// What Vireo reads from a volume's XML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeXmlFacts {
    pub path: String,
    /// libvirt's format name (`qcow2`, `raw`, ...), when it says.
    pub format: Option<String>,
    pub backing_path: Option<String>,
}

#[derive(Deserialize)]
struct PoolXml {
    #[serde(rename = "@type")]
    pool_type: String,
    target: Option<Target>,
}

#[derive(Deserialize)]
struct Target {
    path: Option<String>,
    format: Option<Format>,
}

#[derive(Deserialize)]
struct Format {
    #[serde(rename = "@type")]
    kind: String,
}

#[derive(Deserialize)]
struct VolumeXml {
    target: Option<Target>,
    #[serde(rename = "backingStore")]
    backing_store: Option<Target>,
}

/// Reads a pool's type and target path. libvirt's answer is input like any other: a bad one is an
/// error, never a panic.
pub fn parse_pool_xml(xml: &str) -> Result<PoolXmlFacts, String> {
    let pool: PoolXml = quick_xml::de::from_str(xml).map_err(|e| format!("pool XML is not valid: {e}"))?;
    Ok(PoolXmlFacts {
        pool_type: pool.pool_type,
        path: pool.target.and_then(|t| t.path).unwrap_or_default(),
    })
}

pub fn parse_volume_xml(xml: &str) -> Result<VolumeXmlFacts, String> {
    let vol: VolumeXml = quick_xml::de::from_str(xml).map_err(|e| format!("volume XML is not valid: {e}"))?;
    let target = vol.target;
    Ok(VolumeXmlFacts {
        path: target.as_ref().and_then(|t| t.path.clone()).unwrap_or_default(),
        format: target.and_then(|t| t.format).map(|f| f.kind),
        backing_path: vol.backing_store.and_then(|b| b.path).filter(|p| !p.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_xml_escapes_what_it_is_given() {
        let xml = dir_pool_xml("images", "/srv/a<b>&'\"");
        assert!(xml.contains("<pool type=\"dir\">"), "{xml}");
        assert!(xml.contains("<name>images</name>"), "{xml}");
        assert!(xml.contains("<path>/srv/a&lt;b&gt;&amp;"), "{xml}");
        let facts = parse_pool_xml(&xml).expect("reads back");
        assert_eq!(facts.pool_type, "dir");
        assert_eq!(facts.path, "/srv/a<b>&'\"");
    }

    #[test]
    fn thin_and_preallocated_volumes_and_overlays() {
        let mut spec = VolumeSpec {
            name: "vireo-1.qcow2".into(),
            capacity_bytes: 10 << 30,
            format: DiskFormat::Qcow2,
            preallocate: false,
            backing: None,
        };
        let thin = volume_xml(&spec);
        assert!(
            thin.contains("<capacity unit=\"bytes\">10737418240</capacity>"),
            "{thin}"
        );
        assert!(thin.contains("<allocation unit=\"bytes\">0</allocation>"), "{thin}");
        assert!(thin.contains("<format type=\"qcow2\"/>"), "{thin}");
        assert!(!thin.contains("backingStore"));
        spec.preallocate = true;
        assert!(volume_xml(&spec).contains("<allocation unit=\"bytes\">10737418240</allocation>"));
        spec.backing = Some(("/pool/base.qcow2".into(), DiskFormat::Qcow2));
        let overlay = volume_xml(&spec);
        assert!(overlay.contains("<backingStore>"), "{overlay}");
        let facts = parse_volume_xml(&overlay).expect("reads back");
        assert_eq!(facts.backing_path.as_deref(), Some("/pool/base.qcow2"));
        assert_eq!(facts.format.as_deref(), Some("qcow2"));
        spec.format = DiskFormat::Iso;
        assert!(
            volume_xml(&spec).contains("<format type=\"raw\"/>"),
            "an ISO is raw to libvirt"
        );
    }

    #[test]
    fn libvirts_volume_answers_are_read_and_bad_ones_refused() {
        let answer = "<volume type='file'><name>a.qcow2</name><key>/default-pool/a.qcow2</key>\
            <capacity unit='bytes'>1073741824</capacity><allocation unit='bytes'>0</allocation>\
            <target><path>/default-pool/a.qcow2</path><format type='qcow2'/></target>\
            <backingStore><path>/default-pool/b.qcow2</path><format type='qcow2'/></backingStore></volume>";
        let facts = parse_volume_xml(answer).expect("libvirt's own form");
        assert_eq!(facts.path, "/default-pool/a.qcow2");
        assert_eq!(facts.backing_path.as_deref(), Some("/default-pool/b.qcow2"));
        assert!(parse_volume_xml("<volume><target>").is_err());
        assert!(parse_pool_xml("not xml").is_err());
        let no_backing = parse_volume_xml("<volume><target><path>/p</path></target><backingStore/></volume>")
            .expect("empty backing store");
        assert_eq!(no_backing.backing_path, None);
    }
}
