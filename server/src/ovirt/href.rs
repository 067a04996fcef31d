//! Where objects live on the wire: the API's base path, an object's `href`, and the `<tag href id/>`
//! references and `<link rel/>` elements every answer carries.

use super::xml::El;
use uuid::Uuid;

/// Where the API lives; every `href` starts with it.
pub const API: &str = "/ovirt-engine/api";

pub fn href(collection: &str, id: Uuid) -> String {
    format!("{API}/{collection}/{id}")
}

/// `<tag href="…" id="…"/>`.
pub fn reference(tag: &str, collection: &str, id: Uuid) -> El {
    El::new(tag).attr("href", href(collection, id)).attr("id", id)
}

/// The object's own `id`/`href` attributes.
pub fn object(tag: &str, collection: &str, id: Uuid) -> El {
    reference(tag, collection, id)
}

/// `<link rel=… href=…/>`.
pub fn link_to(href: &str, rel: &str) -> El {
    El::new("link").attr("href", href).attr("rel", rel)
}

/// `<link rel=… href=…/>` to a sub-collection.
pub fn link(collection: &str, id: Uuid, rel: &str) -> El {
    El::new("link")
        .attr("href", format!("{}/{rel}", href(collection, id)))
        .attr("rel", rel)
}
