//! What handlers take from a request, as axum extractors: the caller (`ApiUser`), the ids in the
//! path (`ApiId`, `ApiIdAnd`) and the XML body (`XmlBody`). Each refuses with the `<fault>` the
//! API has always given for it. Extractors run in argument order and a body extractor runs last;
//! a handler that must answer for its path (a missing object) before its body takes
//! `Result<XmlBody<_>, Fault>` and applies `?` where the check belongs.

use super::fault::Fault;
use super::read::Obj;
use super::xml::{self, Node};
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Path, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::marker::PhantomData;
use uuid::Uuid;
use vireo_app::models::CurrentUser;

/// The objects a path id or a body names.
pub mod kind {
    use super::Fault;

    /// An object a path names by id.
    pub trait Kind: Send + Sync + 'static {
        /// How a fault names it: `Entity not found: VM 1234…`.
        const WHAT: &'static str;

        fn missing(id: impl std::fmt::Display) -> Fault {
            Fault::not_found(&format!("{} {id}", Self::WHAT))
        }
    }

    /// A request document, by its root element.
    pub trait Document: Send + Sync + 'static {
        const ROOT: &'static str;
    }

    /// Marker types for documents that are no object of their own.
    macro_rules! documents {
        ($($name:ident: $root:literal;)*) => {$(
            pub struct $name;
            impl Document for $name {
                const ROOT: &'static str = $root;
            }
        )*};
    }

    /// Marker types for objects: how faults name them, and their documents' root.
    macro_rules! kinds {
        ($($name:ident: $what:literal, $root:literal;)*) => {
            documents! { $($name: $root;)* }
            $(impl Kind for $name {
                const WHAT: &'static str = $what;
            })*
        };
    }

    kinds! {
        Cluster: "cluster", "cluster";
        DataCenter: "data center", "data_center";
        Disk: "disk", "disk";
        Host: "host", "host";
        InstanceType: "instance type", "instance_type";
        Network: "network", "network";
        Nic: "NIC", "nic";
        Pool: "pool", "vm_pool";
        StorageDomain: "storage domain", "storage_domain";
        Template: "template", "template";
        Vm: "VM", "vm";
        VnicProfile: "vNIC profile", "vnic_profile";
    }

    documents! {
        Action: "action";
        DiskAttachment: "disk_attachment";
        GraphicsConsole: "graphics_console";
        VmNumaNode: "vm_numa_node";
    }
}

use kind::{Document, Kind};

/// Request bodies above this are refused (413) before parsing.
pub const MAX_BODY: usize = 1024 * 1024;

/// The caller `bearer_auth` attached to the request.
pub struct ApiUser(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for ApiUser {
    type Rejection = Fault;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Fault> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .map(ApiUser)
            .ok_or_else(Fault::unauthorized)
    }
}

/// The `{id}` of a route with one path parameter: a UUID, since nothing else names an object
/// (anything else is a 404 `<fault>` naming what was asked for).
pub struct ApiId<K> {
    pub id: Uuid,
    kind: PhantomData<K>,
}

impl<K: Kind> ApiId<K> {
    pub fn parse(id: &str) -> Result<Uuid, Fault> {
        Uuid::parse_str(id).map_err(|_| K::missing(id))
    }

    /// The id as a handler gets it from its path (`?follow=` calls sub-collection handlers).
    pub fn of(id: Uuid) -> Self {
        Self { id, kind: PhantomData }
    }
}

impl<S: Send + Sync, K: Kind> FromRequestParts<S> for ApiId<K> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let id = Self::parse(&id).map_err(IntoResponse::into_response)?;
        Ok(Self { id, kind: PhantomData })
    }
}

/// `{id}` and the segment after it (a sub-object's id, kept as sent: sub-objects are found by
/// comparing it with the ids Vireo gives them).
pub struct ApiIdAnd<K> {
    pub id: Uuid,
    pub sub: String,
    kind: PhantomData<K>,
}

impl<S: Send + Sync, K: Kind> FromRequestParts<S> for ApiIdAnd<K> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Path((id, sub)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let id = ApiId::<K>::parse(&id).map_err(IntoResponse::into_response)?;
        Ok(Self {
            id,
            sub,
            kind: PhantomData,
        })
    }
}

/// A request body that is one XML document with root `D::ROOT`, at most `MAX_BODY` bytes (413
/// above, 400 when empty, not UTF-8, malformed or rooted elsewhere). `Option<XmlBody<D>>` takes an
/// empty body as `None` (actions may come without one).
pub struct XmlBody<D> {
    node: Node,
    document: PhantomData<D>,
}

impl<D: Document> XmlBody<D> {
    /// The root element, ready for typed reading.
    pub fn obj(&self) -> Obj<'_> {
        Obj::checked_root(&self.node)
    }

    fn checked(node: Node) -> Result<Self, Fault> {
        Obj::root(&node, D::ROOT)?;
        Ok(Self {
            node,
            document: PhantomData,
        })
    }
}

impl<S: Send + Sync, D: Document> FromRequest<S> for XmlBody<D> {
    type Rejection = Fault;

    async fn from_request(req: Request, _: &S) -> Result<Self, Fault> {
        let node = read_optional(req.into_body()).await?.ok_or_else(|| {
            Fault::new(
                StatusCode::BAD_REQUEST,
                "Malformed XML",
                xml::XmlError::Empty.to_string(),
            )
        })?;
        Self::checked(node)
    }
}

impl<S: Send + Sync, D: Document> OptionalFromRequest<S> for XmlBody<D> {
    type Rejection = Fault;

    async fn from_request(req: Request, _: &S) -> Result<Option<Self>, Fault> {
        read_optional(req.into_body()).await?.map(Self::checked).transpose()
    }
}

/// Reads a body as one XML document (size-limited); an empty body is `None`.
async fn read_optional(body: Body) -> Result<Option<Node>, Fault> {
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        Fault::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request Entity Too Large",
            format!("The request body is larger than {} KiB.", MAX_BODY / 1024),
        )
    })?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Fault::new(StatusCode::BAD_REQUEST, "Malformed XML", "The body is not UTF-8."))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    xml::parse(text)
        .map(Some)
        .map_err(|e| Fault::new(StatusCode::BAD_REQUEST, "Malformed XML", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(body: impl Into<Body>) -> Request {
        Request::builder().method("POST").uri("/").body(body.into()).unwrap()
    }

    async fn vm_body(body: impl Into<Body>) -> Result<XmlBody<kind::Vm>, Fault> {
        <XmlBody<kind::Vm> as FromRequest<()>>::from_request(post(body), &()).await
    }

    #[test]
    fn ids_that_are_no_uuid_name_what_was_asked_for() {
        let f = ApiId::<kind::InstanceType>::parse("small").unwrap_err();
        assert_eq!(
            (f.status, f.detail.as_str()),
            (StatusCode::NOT_FOUND, "Entity not found: instance type small")
        );
        let id = Uuid::new_v4();
        assert_eq!(ApiId::<kind::Vm>::parse(&id.to_string()).unwrap(), id);
    }

    #[tokio::test]
    async fn bodies_are_one_document_with_the_expected_root() {
        let body = vm_body("<vm><name>a</name></vm>").await.unwrap();
        assert_eq!(
            (body.obj().path(), body.obj().text("name").unwrap()),
            ("vm", Some("a".into()))
        );
        let wrong = vm_body("<template/>").await.err().unwrap();
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
        assert!(wrong.detail.contains("expected a <vm> document, got <template>"));
        for bad in [&b""[..], b"  \n", b"<vm>", b"\xff\xfe"] {
            let f = vm_body(bad.to_vec()).await.err().unwrap();
            assert_eq!((f.status, f.reason), (StatusCode::BAD_REQUEST, "Malformed XML"));
        }
        let big = format!("<vm><description>{}</description></vm>", "x".repeat(MAX_BODY));
        assert_eq!(vm_body(big).await.err().unwrap().status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn an_optional_body_may_be_empty() {
        let empty = <Option<XmlBody<kind::Action>> as FromRequest<()>>::from_request(post(" "), &()).await;
        assert!(empty.unwrap().is_none());
        let action = <Option<XmlBody<kind::Action>> as FromRequest<()>>::from_request(post("<action/>"), &()).await;
        assert!(action.unwrap().is_some());
        let wrong = <Option<XmlBody<kind::Action>> as FromRequest<()>>::from_request(post("<vm/>"), &()).await;
        assert_eq!(wrong.err().map(|f| f.status), Some(StatusCode::BAD_REQUEST));
    }
}
