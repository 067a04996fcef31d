//! Typed reading of request bodies. Every object reader names the elements it understands; any
//! other element is refused with its path (a setting Vireo would silently drop is worse than an
//! error). Read-only elements a client may echo back from a GET (`status`, `href`, …) are accepted
//! and ignored. Types follow the SDK: booleans `true|false|1|0`, decimal integers.

use super::fault::Fault;
use super::xml::Node;
use std::str::FromStr;
use uuid::Uuid;

/// A reference to another object: `<cluster id="…"/>` or `<cluster><name>Default</name></cluster>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ref {
    Id(Uuid),
    Name(String),
}

#[derive(Clone)]
pub struct Obj<'a> {
    pub node: &'a Node,
    path: String,
}

fn join(parent: &str, child: &str) -> String {
    format!("{parent}/{child}")
}

impl<'a> Obj<'a> {
    /// The request's root, which must be `expected`.
    pub fn root(node: &'a Node, expected: &str) -> Result<Self, Fault> {
        if node.name != expected {
            return Err(Fault::invalid(
                &node.name,
                format!("expected a <{expected}> document, got <{}>", node.name),
            ));
        }
        Ok(Self {
            node,
            path: expected.to_string(),
        })
    }

    /// The root of a document whose name `extract::XmlBody` has checked.
    pub(super) fn checked_root(node: &'a Node) -> Self {
        Self {
            node,
            path: node.name.clone(),
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Refuses child elements outside `known`.
    pub fn allow(&self, known: &[&str]) -> Result<(), Fault> {
        for c in &self.node.children {
            if !known.contains(&c.name.as_str()) {
                return Err(Fault::invalid(
                    &join(&self.path, &c.name),
                    format!(
                        "Vireo does not support the element <{}> here; it accepts: {}",
                        c.name,
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A child object.
    pub fn get(&self, name: &str) -> Result<Option<Obj<'a>>, Fault> {
        let mut found = self.node.children.iter().filter(|c| c.name == name);
        let first = found.next();
        if found.next().is_some() {
            return Err(Fault::invalid(
                &join(&self.path, name),
                "the element appears more than once",
            ));
        }
        Ok(first.map(|node| Obj {
            node,
            path: join(&self.path, name),
        }))
    }

    /// The trimmed text of a child element.
    pub fn text(&self, name: &str) -> Result<Option<String>, Fault> {
        match self.get(name)? {
            None => Ok(None),
            Some(c) if !c.node.children.is_empty() => Err(Fault::invalid(&c.path, "expected a value, got elements")),
            Some(c) => Ok(Some(c.node.text.trim().to_string())),
        }
    }

    pub fn parse<T: FromStr>(&self, name: &str, what: &str) -> Result<Option<T>, Fault> {
        match self.text(name)? {
            None => Ok(None),
            Some(t) => t
                .parse()
                .map(Some)
                .map_err(|_| Fault::invalid(&join(&self.path, name), format!("'{t}' is not {what}"))),
        }
    }

    pub fn u64(&self, name: &str) -> Result<Option<u64>, Fault> {
        self.parse(name, "a whole number")
    }

    pub fn u32(&self, name: &str) -> Result<Option<u32>, Fault> {
        self.parse(name, "a whole number up to 4294967295")
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, Fault> {
        match self.text(name)? {
            None => Ok(None),
            Some(t) => match t.to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(Some(true)),
                "false" | "0" => Ok(Some(false)),
                _ => Err(Fault::invalid(
                    &join(&self.path, name),
                    format!("'{t}' is not true or false"),
                )),
            },
        }
    }

    /// One of `values` (enum elements).
    pub fn one_of(&self, name: &str, values: &[&str]) -> Result<Option<String>, Fault> {
        match self.text(name)? {
            None => Ok(None),
            Some(t) if values.contains(&t.to_ascii_lowercase().as_str()) => Ok(Some(t.to_ascii_lowercase())),
            Some(t) => Err(Fault::invalid(
                &join(&self.path, name),
                format!("'{t}' is not one of: {}", values.join(", ")),
            )),
        }
    }

    /// The items of a list container: `None` when the container is absent (leave the list alone),
    /// `Some(vec![])` when it is present and empty (clear it).
    pub fn items(&self, container: &str, item: &str) -> Result<Option<Vec<Obj<'a>>>, Fault> {
        let Some(list) = self.get(container)? else {
            return Ok(None);
        };
        list.allow(&[item])?;
        Ok(Some(
            list.node
                .children
                .iter()
                .enumerate()
                .map(|(i, node)| Obj {
                    node,
                    path: format!("{}/{item}[{i}]", list.path),
                })
                .collect(),
        ))
    }

    /// A reference by `id` attribute or `<name>`.
    pub fn reference(&self, name: &str) -> Result<Option<Ref>, Fault> {
        let Some(obj) = self.get(name)? else {
            return Ok(None);
        };
        obj.as_reference().map(Some)
    }

    /// This element as a reference.
    pub fn as_reference(&self) -> Result<Ref, Fault> {
        // Everything a GET returns for a referenced object may come back; only id and name count.
        if let Some(id) = self.node.attr("id") {
            return Uuid::parse_str(id)
                .map(Ref::Id)
                .map_err(|_| Fault::invalid(&self.path, format!("'{id}' is not an id (a UUID)")));
        }
        match self.text("name")? {
            Some(n) if !n.is_empty() => Ok(Ref::Name(n)),
            _ => Err(Fault::invalid(
                &self.path,
                "give the object's id attribute or its <name>",
            )),
        }
    }
}
