//! The XML the oVirt API speaks, read into a small element tree and written with quick-xml's writer
//! (never by concatenating strings). Reading is strict about well-formedness and bounded in depth
//! and size; what the elements mean is checked by `read.rs`, which knows each object's fields.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::{Reader, Writer, XmlVersion};
use std::borrow::Cow;

/// Deeper than any oVirt object (a VM's vCPU pin is 5 levels down).
const MAX_DEPTH: usize = 32;
/// Elements in one request body; a VM with 1,024 vCPU pins stays far below.
const MAX_ELEMENTS: usize = 20_000;

/// One element: its local name, attributes, child elements and text (entity references resolved,
/// surrounding whitespace kept; readers trim).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    pub text: String,
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XmlError {
    #[error("the body is empty; send an XML document")]
    Empty,
    #[error("the XML is not well-formed: {0}")]
    Malformed(String),
    #[error("document type declarations are not accepted")]
    Doctype,
    #[error("the XML nests deeper than {MAX_DEPTH} elements")]
    TooDeep,
    #[error("the XML has more than {MAX_ELEMENTS} elements")]
    TooLarge,
}

/// Parses one document into its root element.
pub fn parse(body: &str) -> Result<Node, XmlError> {
    let mut reader = Reader::from_str(body);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut elements = 0usize;
    let malformed = |e: &dyn std::fmt::Display| XmlError::Malformed(e.to_string());
    loop {
        let event = reader.read_event().map_err(|e| malformed(&e))?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(XmlError::Malformed("content after the root element".into()));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(XmlError::TooLarge);
                }
                let mut node = Node {
                    name: e.local_name().as_ref().to_string(),
                    ..Node::default()
                };
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| malformed(&e))?;
                    let value = attr
                        .normalized_value(XmlVersion::Implicit1_0)
                        .map_err(|e| malformed(&e))?;
                    node.attrs
                        .push((attr.key.local_name().as_ref().to_string(), value.into_owned()));
                }
                if matches!(event, Event::Empty(_)) {
                    close(&mut stack, &mut root, node);
                } else {
                    if stack.len() >= MAX_DEPTH {
                        return Err(XmlError::TooDeep);
                    }
                    stack.push(node);
                }
            }
            Event::End(_) => {
                let node = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unexpected closing tag".into()))?;
                close(&mut stack, &mut root, node);
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content())?,
            Event::CData(c) => push_text(&mut stack, &c.into_inner())?,
            Event::GeneralRef(r) => {
                let resolved: Cow<str> = match r.resolve_char_ref().map_err(|e| malformed(&e))? {
                    Some(c) => Cow::Owned(c.to_string()),
                    None => Cow::Borrowed(
                        resolve_predefined_entity(&r)
                            .ok_or_else(|| XmlError::Malformed(format!("unknown entity &{};", &*r)))?,
                    ),
                };
                push_text(&mut stack, &resolved)?;
            }
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed(format!(
            "element <{}> is not closed",
            stack[stack.len() - 1].name
        )));
    }
    root.ok_or(XmlError::Empty)
}

fn close(stack: &mut [Node], root: &mut Option<Node>, node: Node) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => *root = Some(node),
    }
}

fn push_text(stack: &mut [Node], text: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(node) => {
            node.text.push_str(text);
            Ok(())
        }
        // Whitespace around the root is fine; anything else is not XML.
        None if text.trim().is_empty() => Ok(()),
        None => Err(XmlError::Malformed("text outside the root element".into())),
    }
}

/// An element to write: built by the `wire` module, serialized by quick-xml.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct El {
    name: String,
    attrs: Vec<(Cow<'static, str>, String)>,
    children: Vec<El>,
    text: Option<String>,
}

impl El {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// `<name>value</name>`.
    pub fn leaf(name: impl Into<String>, value: impl ToString) -> Self {
        Self {
            name: name.into(),
            text: Some(value.to_string()),
            ..Self::default()
        }
    }

    pub fn attr(mut self, name: &'static str, value: impl ToString) -> Self {
        self.attrs.push((Cow::Borrowed(name), value.to_string()));
        self
    }

    /// An element read back (a handler's answer inlined into another's by `?follow=`).
    pub fn from_node(node: Node) -> Self {
        let text = node.text.trim();
        Self {
            text: (node.children.is_empty() && !text.is_empty()).then(|| text.to_string()),
            name: node.name,
            attrs: node.attrs.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect(),
            children: node.children.into_iter().map(El::from_node).collect(),
        }
    }

    /// The element under another name (a followed `<original_template>` is a `<template>`).
    pub fn renamed(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// The value of attribute `name`.
    pub fn get_attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn child_elements(&self) -> &[El] {
        &self.children
    }

    /// The children, to replace or extend in place.
    pub fn child_elements_mut(&mut self) -> &mut Vec<El> {
        &mut self.children
    }

    pub fn child(mut self, child: El) -> Self {
        self.children.push(child);
        self
    }

    pub fn child_opt(self, child: Option<El>) -> Self {
        match child {
            Some(c) => self.child(c),
            None => self,
        }
    }

    pub fn children(mut self, children: impl IntoIterator<Item = El>) -> Self {
        self.children.extend(children);
        self
    }

    /// `<name>value</name>` as a child.
    pub fn text(self, name: &str, value: impl ToString) -> Self {
        self.child(El::leaf(name, value))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole document, pretty-printed, with its declaration.
    pub fn to_document(&self) -> Vec<u8> {
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        // Writing into a Vec cannot fail.
        let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), Some("yes"))));
        let _ = self.write(&mut w);
        let mut out = w.into_inner();
        out.push(b'\n');
        out
    }

    fn write(&self, w: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
        let el = w
            .create_element(&self.name)
            .with_attributes(self.attrs.iter().map(|(k, v)| (k.as_ref(), v.as_str())));
        match (&self.text, self.children.is_empty()) {
            (Some(text), _) => el.write_text_content(BytesText::new(&xml_safe(text)))?,
            (None, true) => el.write_empty()?,
            (None, false) => el.write_inner_content(|w| {
                for c in &self.children {
                    c.write(w)?;
                }
                Ok::<_, std::io::Error>(())
            })?,
        };
        Ok(())
    }
}

/// XML 1.0 cannot carry most control characters even escaped.
fn xml_safe(text: &str) -> String {
    text.chars()
        .filter(|c| matches!(c, '\t' | '\n' | '\r') || (*c >= ' ' && *c != '\u{FFFE}' && *c != '\u{FFFF}'))
        .collect()
}

/// Dates as the SDK reads them: `2024-05-06T10:20:00.123Z`.
pub fn date(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pretty_printed_input_with_entities_and_attributes() {
        let doc = parse(
            "<?xml version=\"1.0\"?>\n<vm>\n  <name>a &amp; b&#33;</name>\n  <cluster id=\"x&lt;\"/>\n  <description><![CDATA[<raw>]]></description>\n</vm>\n",
        )
        .unwrap();
        assert_eq!(doc.name, "vm");
        assert_eq!(doc.child("name").unwrap().text, "a & b!");
        assert_eq!(doc.child("cluster").unwrap().attr("id"), Some("x<"));
        assert_eq!(doc.child("description").unwrap().text, "<raw>");
        assert_eq!(doc.children.len(), 3);
    }

    #[test]
    fn refuses_what_is_not_one_well_formed_document() {
        assert_eq!(parse(""), Err(XmlError::Empty));
        assert_eq!(parse("   "), Err(XmlError::Empty));
        assert!(matches!(parse("<vm><name>x</vm>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse("<vm>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse("<vm/><vm/>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse("text"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse("<vm>&bogus;</vm>"), Err(XmlError::Malformed(_))));
        assert_eq!(
            parse("<!DOCTYPE vm [<!ENTITY x \"y\">]><vm>&x;</vm>"),
            Err(XmlError::Doctype)
        );
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert_eq!(parse(&deep), Err(XmlError::TooDeep));
        let wide = format!("<a>{}</a>", "<b/>".repeat(MAX_ELEMENTS + 1));
        assert_eq!(parse(&wide), Err(XmlError::TooLarge));
    }

    #[test]
    fn writes_escaped_pretty_documents_that_read_back() {
        let el = El::new("vm")
            .attr("id", "1")
            .text("name", "a<b & \"c\"\u{1}")
            .child(El::new("cpu").child(El::new("topology").text("cores", 2)))
            .child(El::new("empty"));
        let bytes = el.to_document();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"));
        assert!(text.contains("<empty/>"));
        let back = parse(&text).unwrap();
        assert_eq!(back.attr("id"), Some("1"));
        assert_eq!(back.child("name").unwrap().text, "a<b & \"c\"");
        assert_eq!(
            back.child("cpu")
                .unwrap()
                .child("topology")
                .unwrap()
                .child("cores")
                .unwrap()
                .text,
            "2"
        );
    }
}
