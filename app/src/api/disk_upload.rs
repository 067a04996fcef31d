//! What the Upload dialog needs from the server besides the upload itself (which is a plain HTTP
//! `PUT /api/disks/upload`, not a server function: its body is the file, streamed).

use crate::error::AppError;
use crate::models::StorageDomainView;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// The active storage domains, by name: where an image can go.
#[server(prefix = "/api", endpoint = "upload_storage_domains", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn upload_storage_domains() -> Result<Vec<StorageDomainView>, AppError> {
    use super::ssr::*;
    use crate::models::{GridQuery, PAGE_SIZES};
    authorize_read()?;
    let query = GridQuery {
        search: "status:active".into(),
        page_size: PAGE_SIZES[PAGE_SIZES.len() - 1],
        ..GridQuery::new("name")
    };
    respond(backend()?.storage_domain_grid(&query).await.map(|page| page.rows))
}
