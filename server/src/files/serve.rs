//! `GET /files/{id}` and `/files/{id}/thumbnail` (and the same under `/api/v1`): a
//! stored photo, streamed from the object store to someone allowed to see its farm.

use super::Files;
use super::records;
use crate::rest::v1::extract::Authenticated;
use app::error::AppError;
use app::state::AppState;
use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;

/// A stored photo (upright, without metadata), to the tenant's staff and the owners of
/// its farm; anyone else gets 404, as if it did not exist.
#[utoipa::path(get, path = "/files/{id}", operation_id = "getFile",
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "The photo", content_type = "image/jpeg", body = Vec<u8>),
        (status = 404, response = crate::rest::v1::responses::NotFound),
        (status = 503, response = crate::rest::v1::responses::Unavailable),
    ))]
pub async fn photo(
    State(state): State<AppState>,
    Extension(files): Extension<Files>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    send(&state, &files, &claims, &id, &headers, false).await
}

/// Its thumbnail (a JPEG at most 480 pixels a side), to the same people.
#[utoipa::path(get, path = "/files/{id}/thumbnail", operation_id = "getFileThumbnail",
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "The thumbnail", content_type = "image/jpeg", body = Vec<u8>),
        (status = 404, response = crate::rest::v1::responses::NotFound),
        (status = 503, response = crate::rest::v1::responses::Unavailable),
    ))]
pub async fn thumbnail(
    State(state): State<AppState>,
    Extension(files): Extension<Files>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    send(&state, &files, &claims, &id, &headers, true).await
}

async fn send(
    state: &AppState,
    files: &Files,
    claims: &app::account::tokens::Claims,
    id: &str,
    headers: &HeaderMap,
    thumbnail: bool,
) -> Result<Response, AppError> {
    let id = uuid::Uuid::parse_str(id).map_err(|_| AppError::not_found("File"))?;
    let file = records::visible(&state.pool, claims, id).await?;
    // Only this person's browser may keep it: another may not be allowed to see it.
    stream(files, file, id, headers, thumbnail, "private, max-age=86400").await
}

/// `GET /catalog/images/{id}`: a product's picture, to anyone (the shelves show it).
pub async fn product_image(
    State(state): State<AppState>,
    Extension(files): Extension<Files>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    public(&state, &files, &id, &headers, false).await
}

/// `GET /catalog/images/{id}/thumbnail`: its thumbnail.
pub async fn product_thumbnail(
    State(state): State<AppState>,
    Extension(files): Extension<Files>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    public(&state, &files, &id, &headers, true).await
}

async fn public(
    state: &AppState,
    files: &Files,
    id: &str,
    headers: &HeaderMap,
    thumbnail: bool,
) -> Result<Response, AppError> {
    let id = uuid::Uuid::parse_str(id).map_err(|_| AppError::not_found("Picture"))?;
    let file = records::product_image(&state.pool, id).await?;
    // The bytes under an id never change: caches anywhere may keep them.
    stream(files, file, id, headers, thumbnail, "public, max-age=31536000, immutable").await
}

async fn stream(
    files: &Files,
    file: records::FileRow,
    id: uuid::Uuid,
    headers: &HeaderMap,
    thumbnail: bool,
    cache_control: &'static str,
) -> Result<Response, AppError> {
    // A stored file never changes under its id: its digest is its version.
    let etag = format!("\"{}{}\"", file.sha256, if thumbnail { "-t" } else { "" });
    let (key, content_type) =
        if thumbnail { (file.thumbnail_key, "image/jpeg".to_string()) } else { (file.object_key, file.content_type) };
    let mut r = if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let got = files.store.get(&ObjectPath::from(key.as_str())).await.map_err(|e| {
            tracing::error!(error = %e, file = %id, "object store read failed");
            AppError::Unavailable { retry_after_secs: Some(30) }
        })?;
        let size = got.meta.size;
        let stream = got.into_stream().map_err(std::io::Error::other);
        let mut r = Body::from_stream(stream).into_response();
        r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_str(&content_type).map_err(|_| AppError::Internal)?);
        r
    };
    let h = r.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(&etag).map_err(|_| AppError::Internal)?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    Ok(r)
}
