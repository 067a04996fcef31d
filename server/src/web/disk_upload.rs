//! `PUT /api/disks/upload?name=..&storage_domain_id=..&format=qcow2|raw|iso` with the image as the
//! raw body: the browser's Upload dialog (XMLHttpRequest, for its progress events) and `curl
//! --upload-file` send it. Behind the login gate and the cross-site-write guard like every write;
//! the guard's 256 KiB body bound does not apply here (`guard::limit_body` passes this route
//! through): the bound is `Content-Length`, required (411) and at most `MAX_DISK_BYTES` (413), and
//! the service holds the body to exactly that length. Answers the new disk as JSON (201), or the
//! typed `AppError` JSON with its status.

use crate::service::disk_upload::UploadRequest;
use crate::web::guard::app_error_response;
use crate::web::state::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use std::collections::HashMap;
use vireo_app::domain::storage::{format_bytes, DiskFormat, MAX_DISK_BYTES};
use vireo_app::error::AppError;
use vireo_app::models::CurrentUser;

/// The route's path (the guard exempts exactly this one from its body bound).
pub const UPLOAD_PATH: &str = "/api/disks/upload";

fn error(error: AppError) -> Response {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    app_error_response(status, &error)
}

/// The query's fields. An unreadable query is a field error on the whole request; unknown keys are
/// ignored, as forms are.
fn upload_request(query: Option<&str>, size_bytes: u64) -> Result<UploadRequest, AppError> {
    let fields: HashMap<String, String> = serde_urlencoded::from_str(query.unwrap_or_default())
        .map_err(|_| AppError::validation("request", "The address's query could not be read."))?;
    let field = |key: &str| fields.get(key).map(|v| v.trim().to_string()).unwrap_or_default();
    Ok(UploadRequest {
        name: field("name"),
        storage_domain_id: field("storage_domain_id").parse().ok(),
        format: DiskFormat::parse(&field("format")),
        size_bytes,
    })
}

pub async fn upload(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // The auth gate answers anonymous `/api/` calls itself; this only guards against a route
    // change that would let one through.
    let Some(Extension(user)) = user else {
        return error(AppError::Unauthorized);
    };
    let Some(length) = headers.get(header::CONTENT_LENGTH) else {
        return (
            StatusCode::LENGTH_REQUIRED,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&AppError::validation(
                "file",
                "Send the file with its Content-Length (curl --upload-file does).",
            ))
            .unwrap_or_default(),
        )
            .into_response();
    };
    let Some(size) = length.to_str().ok().and_then(|v| v.parse::<u64>().ok()) else {
        return error(AppError::validation("file", "The Content-Length is not a number."));
    };
    if size > MAX_DISK_BYTES {
        return app_error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            &AppError::validation(
                "file",
                format!("The file is larger than {}.", format_bytes(MAX_DISK_BYTES)),
            ),
        );
    }
    let request = match upload_request(query.as_deref(), size) {
        Ok(r) => r,
        Err(e) => return error(e),
    };
    // Its own task: when the client goes away, hyper may drop this handler's future; the upload
    // still runs to its end, which (the body having failed) deletes the volume and the row.
    let service = state.service.clone();
    let work = tokio::spawn(async move {
        let mut body = body.into_data_stream();
        let result = service.upload_disk(&user, request, &mut body).await;
        if result.is_err() {
            drain(&mut body).await;
        }
        result
    });
    match work.await {
        Ok(Ok(disk)) => (StatusCode::CREATED, Json(disk)).into_response(),
        Ok(Err(e)) => error(e),
        Err(join) => {
            tracing::error!(error = %join, "the upload task failed");
            error(AppError::Internal)
        }
    }
}

/// At most this much of a refused upload's body is read and dropped (and for at most `DRAIN_TIME`).
const DRAIN_BYTES: u64 = 512 << 20;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(30);

/// Reads and drops what is left of a refused upload's body, within bounds. A browser still sending
/// the file when the answer comes would otherwise see the connection reset (the server closing a
/// socket with unread data resets it) instead of the answer: refused at its first 32 KiB, a
/// wrong-format file of a few hundred MiB still shows its field error. Past the bounds the
/// connection closes and the client reports a broken connection.
async fn drain<S, E>(body: &mut S)
where
    S: futures_util::Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
{
    use futures_util::StreamExt;
    let mut dropped: u64 = 0;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(chunk)) = body.next().await {
            dropped += chunk.len() as u64;
            if dropped > DRAIN_BYTES {
                break;
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_become_requests_with_unreadable_parts_left_empty() {
        let r = upload_request(
            Some("name=deb12&storage_domain_id=00000000-0000-0000-0000-000000000001&format=qcow2&x=1"),
            5,
        )
        .expect("reads");
        assert_eq!(r.name, "deb12");
        assert_eq!(r.storage_domain_id, Some(uuid::Uuid::from_u128(1)));
        assert_eq!(r.format, Some(DiskFormat::Qcow2));
        assert_eq!(r.size_bytes, 5);
        let r = upload_request(Some("storage_domain_id=nope&format=vmdk"), 5).expect("reads");
        assert_eq!((r.storage_domain_id, r.format, r.name.as_str()), (None, None, ""));
        assert!(upload_request(None, 1).is_ok());
    }
}
