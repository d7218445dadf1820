//! Resumable photo uploads by tus 1.0.0 (core protocol, with the creation and
//! termination extensions), at `/uploads` for the field app's session and
//! `/api/v1/uploads` for API clients.
//!
//! - `POST` creates an upload under the id the phone made (`Upload-Metadata: id …,
//!   visit …`): asked again after a lost answer, it is the same upload, never a second.
//! - `HEAD` says how many bytes have arrived; `PATCH` appends from that offset. Bytes
//!   stream to a staging file under the data folder, synced before the offset moves,
//!   so a connection cut halfway keeps what arrived and nothing holds a photo in memory
//!   until the last byte is in.
//! - The last `PATCH` checks and cleans the photo (`photo.rs`) and puts it and its
//!   thumbnail in the object store. If the store is down, that last chunk is given back
//!   (the offset returns to where the `PATCH` began) and the answer is 503: the phone
//!   sends the chunk again later and nothing is lost or stored twice.

use super::records::{self, NewUpload, Purpose, Upload, Uploader};
use super::{Files, photo};
use crate::rest::v1::extract::Authenticated;
use app::error::AppError;
use app::state::AppState;
use axum::Extension;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures::StreamExt;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use uuid::Uuid;

pub const VERSION: &str = "1.0.0";
const TUS_RESUMABLE: &str = "tus-resumable";
const UPLOAD_OFFSET: &str = "upload-offset";
const UPLOAD_LENGTH: &str = "upload-length";

/// Paths whose bodies are upload chunks: exempt from the 1 MiB body limit (each chunk
/// is bounded by its upload's declared length instead) and from idempotency keys (the
/// offset makes a resend harmless).
pub fn is_upload_path(path: &str) -> bool {
    path.starts_with("/uploads/") || path.starts_with("/api/v1/uploads/")
}

fn with_tus(mut response: Response) -> Response {
    response.headers_mut().insert(TUS_RESUMABLE, HeaderValue::from_static(VERSION));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn answer(result: Result<Response, AppError>) -> Response {
    with_tus(result.unwrap_or_else(IntoResponse::into_response))
}

/// The refusal of a request in another tus version, if it is one.
fn wrong_version(headers: &HeaderMap) -> Option<Response> {
    if headers.get(TUS_RESUMABLE).and_then(|v| v.to_str().ok()) == Some(VERSION) {
        return None;
    }
    let mut r = AppError::validation("Tus-Resumable", "this server speaks tus 1.0.0").into_response();
    *r.status_mut() = StatusCode::PRECONDITION_FAILED;
    r.headers_mut().insert("tus-version", HeaderValue::from_static(VERSION));
    Some(with_tus(r))
}

fn number(headers: &HeaderMap, name: &str, field: &str) -> Result<i64, AppError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(|| AppError::validation(field, "must be a whole number of bytes"))
}

/// `Upload-Metadata`: comma-separated `key base64(value)` pairs.
fn metadata(headers: &HeaderMap) -> Result<Vec<(String, String)>, AppError> {
    let Some(raw) = headers.get("upload-metadata") else { return Ok(Vec::new()) };
    let raw = raw.to_str().map_err(|_| AppError::validation("Upload-Metadata", "must be ASCII"))?;
    let mut out = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
        let value = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                AppError::validation("Upload-Metadata", format!("the value of {key} is not base64 UTF-8"))
            })?;
        out.push((key.to_string(), value));
    }
    Ok(out)
}

fn meta_id(meta: &[(String, String)], key: &str) -> Result<Uuid, AppError> {
    let value = meta
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .ok_or_else(|| AppError::validation(format!("Upload-Metadata.{key}"), "is required"))?;
    Uuid::parse_str(value.trim()).map_err(|_| AppError::validation(format!("Upload-Metadata.{key}"), "must be a UUID"))
}

/// `OPTIONS`: what this server supports.
pub async fn options() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert("tus-version", HeaderValue::from_static(VERSION));
    h.insert("tus-extension", HeaderValue::from_static("creation,termination"));
    h.insert("tus-max-size", HeaderValue::from(photo::MAX_BYTES.max(super::CSV_MAX_BYTES)));
    with_tus(r)
}

/// Start an upload (tus 1.0.0 creation): `Upload-Length` and `Upload-Metadata` with
/// `id` (a UUID the client made: asking again with it after a lost answer gives the
/// same upload) and what it brings, base64 encoded as tus says: a visit's photo
/// (`visit`, a visit already sent; up to 25 MiB), a product's picture (`purpose
/// product_image` and `product`; up to 25 MiB; catalogue staff) or a catalogue CSV to
/// import (`purpose catalog_import`; up to 64 MiB; catalogue staff). The answer's `Location` is where to `PATCH` the bytes;
/// `HEAD` there gives `Upload-Offset`, how many have arrived.
#[utoipa::path(post, path = "/uploads", operation_id = "createUpload",
    params(
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Length" = u64, Header, description = "The file's size in bytes"),
        ("Upload-Metadata" = String, Header, description = "`id <base64 uuid>,visit <base64 uuid>[,filename <base64>]`, or `id …,purpose <base64 product_image>,product <base64 uuid>`, or `id …,purpose <base64 catalog_import>,filename …`"),
    ),
    responses(
        (status = 201, description = "The upload (new, or the same one again); `Location` names it", headers(("Location" = String), ("Upload-Offset" = u64))),
        (status = 404, response = crate::rest::v1::responses::NotFound),
        (status = 412, response = crate::rest::v1::responses::TusVersionMismatch),
        (status = 413, response = crate::rest::v1::responses::PayloadTooLarge),
    ))]
pub async fn create(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = wrong_version(&headers) {
        return r;
    }
    answer(
        async {
            if headers.contains_key("upload-defer-length") {
                return Err(AppError::validation("Upload-Defer-Length", "is not supported: send Upload-Length"));
            }
            let length = number(&headers, UPLOAD_LENGTH, "Upload-Length")?;
            let meta = metadata(&headers)?;
            let purpose = match meta.iter().find(|(k, _)| k == "purpose").map(|(_, v)| v.trim()) {
                None | Some("visit_photo") => Purpose::VisitPhoto { visit: meta_id(&meta, "visit")? },
                Some("product_image") => Purpose::ProductImage { product: meta_id(&meta, "product")? },
                Some("catalog_import") => Purpose::CatalogImport,
                Some(_) => {
                    return Err(AppError::validation(
                        "Upload-Metadata.purpose",
                        "must be visit_photo, product_image or catalog_import",
                    ));
                }
            };
            if length == 0 {
                return Err(AppError::validation("Upload-Length", "the file is empty"));
            }
            if length as u64 > purpose.max_bytes() {
                return Err(AppError::PayloadTooLarge { limit_bytes: purpose.max_bytes() });
            }
            let filename = meta.iter().find(|(k, _)| k == "filename").map(|(_, v)| v.chars().take(200).collect());
            let new = NewUpload { id: meta_id(&meta, "id")?, purpose, length, filename: filename.unwrap_or_default() };
            let who = records::uploader(&state.pool, &claims, state.in_store(&claims)).await?;
            let upload = records::create(&state.pool, &who, &new).await?;
            let location = format!("{}/{}", uri.path().trim_end_matches('/'), upload.id);
            let mut r = StatusCode::CREATED.into_response();
            r.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&location).expect("a path"));
            r.headers_mut().insert(UPLOAD_OFFSET, HeaderValue::from(upload.received));
            Ok(r)
        }
        .await,
    )
}

fn offsets(upload: &Upload) -> Response {
    let mut r = StatusCode::OK.into_response();
    r.headers_mut().insert(UPLOAD_OFFSET, HeaderValue::from(upload.received));
    r.headers_mut().insert(UPLOAD_LENGTH, HeaderValue::from(upload.length));
    r
}

async fn caller_upload(
    state: &AppState,
    claims: &app::account::tokens::Claims,
    id: &str,
) -> Result<(Uploader, Upload), AppError> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::not_found("Upload"))?;
    let who = records::uploader(&state.pool, claims, state.in_store(claims)).await?;
    let upload = records::find(&state.pool, &who, id).await?;
    Ok((who, upload))
}

/// `HEAD`: how far the upload has come.
pub async fn head(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = wrong_version(&headers) {
        return r;
    }
    answer(caller_upload(&state, &claims, &id).await.map(|(_, u)| offsets(&u)))
}

/// Give up an unfinished upload (tus termination); a finished one belongs to its visit,
/// product or import.
#[utoipa::path(delete, path = "/uploads/{id}", operation_id = "deleteUpload",
    params(("id" = uuid::Uuid, Path), ("Tus-Resumable" = String, Header, description = "1.0.0")),
    responses(
        (status = 204, description = "Gone"),
        (status = 404, response = crate::rest::v1::responses::NotFound),
        (status = 412, response = crate::rest::v1::responses::TusVersionMismatch),
    ))]
pub async fn terminate(
    State(state): State<AppState>,
    Extension(files): Extension<Files>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = wrong_version(&headers) {
        return r;
    }
    answer(
        async {
            let (who, upload) = caller_upload(&state, &claims, &id).await?;
            if upload.completed_at.is_some() {
                return Err(AppError::conflict("this upload is complete; its file belongs to what it was sent for"));
            }
            let _guard = files.claim(upload.id)?;
            records::delete(&state.pool, who.tenant, upload.id).await?;
            let _ = tokio::fs::remove_file(files.staging_path(who.tenant, upload.id)).await;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        .await,
    )
}

fn offset_answer(status: StatusCode, offset: i64) -> Response {
    let mut r = status.into_response();
    r.headers_mut().insert(UPLOAD_OFFSET, HeaderValue::from(offset));
    r
}

/// Send the next bytes from `Upload-Offset` (which must be where the upload is; 409
/// says where that is). A connection cut halfway keeps what arrived. With the last
/// byte the photo is checked (a JPEG, PNG or WebP by its content, at most 12,000
/// pixels a side), turned upright, stripped of its metadata and stored with a
/// thumbnail; one that is not a photo ends the upload with 400 on `file`. 503 (the
/// store is down): the last chunk was not kept; send it again later. No
/// `Idempotency-Key` is needed: the offset makes a resend harmless.
#[utoipa::path(patch, path = "/uploads/{id}", operation_id = "appendUpload",
    params(
        ("id" = uuid::Uuid, Path),
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Offset" = u64, Header, description = "Where these bytes start"),
    ),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses(
        (status = 204, description = "Received; `Upload-Offset` is where the upload now is", headers(("Upload-Offset" = u64))),
        (status = 404, response = crate::rest::v1::responses::NotFound),
        (status = 412, response = crate::rest::v1::responses::TusVersionMismatch),
        (status = 503, response = crate::rest::v1::responses::Unavailable),
    ))]
pub async fn append(
    State(state): State<AppState>,
    Extension(files): Extension<Files>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(r) = wrong_version(&headers) {
        return r;
    }
    answer(append_inner(&state, &files, &claims, &id, &headers, body).await)
}

async fn append_inner(
    state: &AppState,
    files: &Files,
    claims: &app::account::tokens::Claims,
    id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type != "application/offset+octet-stream" {
        return Err(AppError::validation("Content-Type", "must be application/offset+octet-stream"));
    }
    let offset = number(headers, UPLOAD_OFFSET, "Upload-Offset")?;
    let (who, upload) = caller_upload(state, claims, id).await?;
    if upload.completed_at.is_some() {
        if offset == upload.length {
            return Ok(offset_answer(StatusCode::NO_CONTENT, upload.length));
        }
        return Ok(offset_conflict(upload.length));
    }
    if offset != upload.received {
        return Ok(offset_conflict(upload.received));
    }
    let remaining = upload.length - upload.received;
    if let Some(declared) = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<i64>().ok())
        && declared > remaining
    {
        return Err(AppError::PayloadTooLarge { limit_bytes: remaining as u64 });
    }
    let _guard = files.claim(upload.id)?;
    let path = files.staging_path(who.tenant, upload.id);
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(internal)?;
    }
    let mut file =
        tokio::fs::OpenOptions::new().create(true).write(true).truncate(false).open(&path).await.map_err(internal)?;
    // Bytes past the confirmed offset were never acknowledged (a crash before the offset
    // was recorded): they are sent again.
    file.set_len(upload.received as u64).await.map_err(internal)?;
    file.seek(std::io::SeekFrom::Start(upload.received as u64)).await.map_err(internal)?;

    let mut written: i64 = 0;
    let mut head: Vec<u8> = Vec::new();
    let mut stream = body.into_data_stream();
    let mut cut = false;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            // The connection broke: keep what arrived, the phone resumes from there.
            cut = true;
            break;
        };
        if written + chunk.len() as i64 > remaining {
            file.set_len(upload.received as u64).await.map_err(internal)?;
            return Err(AppError::PayloadTooLarge { limit_bytes: remaining as u64 });
        }
        if upload.purpose().is_picture() && upload.received == 0 && head.len() < 32 {
            head.extend_from_slice(&chunk[..chunk.len().min(32 - head.len())]);
            if head.len() >= 32 && photo::sniff(&head).is_none() {
                drop(file);
                return refuse(state, files, &who, &upload, photo::Refusal::NotAnImage).await;
            }
        }
        file.write_all(&chunk).await.map_err(internal)?;
        written += chunk.len() as i64;
    }
    file.flush().await.map_err(internal)?;
    file.sync_data().await.map_err(internal)?;
    drop(file);
    let received = upload.received + written;
    if received < upload.length || cut {
        records::set_received(&state.pool, who.tenant, upload.id, received).await?;
        return Ok(offset_answer(StatusCode::NO_CONTENT, received));
    }
    match upload.purpose() {
        Purpose::CatalogImport => finish_import(state, files, &who, &upload, &path).await,
        _ => finish(state, files, &who, &upload, &path).await,
    }
}

fn offset_conflict(offset: i64) -> Response {
    let mut r = AppError::conflict_on(&["Upload-Offset"], format!("the upload is at byte {offset}; send from there"))
        .into_response();
    r.headers_mut().insert(UPLOAD_OFFSET, HeaderValue::from(offset));
    r
}

fn internal(e: std::io::Error) -> AppError {
    tracing::error!(error = %e, "upload staging failed");
    AppError::Unavailable { retry_after_secs: Some(5) }
}

/// A file that can never become a photo: the upload ends here, so the phone stops
/// resending it, and says why.
async fn refuse(
    state: &AppState,
    files: &Files,
    who: &Uploader,
    upload: &Upload,
    why: photo::Refusal,
) -> Result<Response, AppError> {
    records::delete(&state.pool, who.tenant, upload.id).await?;
    let _ = tokio::fs::remove_file(files.staging_path(who.tenant, upload.id)).await;
    tracing::info!(upload = %upload.id, reason = %why, "photo refused");
    Err(AppError::validation("file", why.to_string()))
}

/// The last byte is in: check and clean the photo, store it and its thumbnail, record it.
async fn finish(
    state: &AppState,
    files: &Files,
    who: &Uploader,
    upload: &Upload,
    path: &std::path::Path,
) -> Result<Response, AppError> {
    let received = tokio::fs::read(path).await.map_err(internal)?;
    let cleaned = match tokio::task::spawn_blocking(move || photo::clean(&received)).await {
        Ok(Ok(c)) => c,
        Ok(Err(why)) => return refuse(state, files, who, upload, why).await,
        Err(_) => return Err(AppError::Internal),
    };
    let folder = if matches!(upload.purpose(), Purpose::ProductImage { .. }) { "products" } else { "photos" };
    let keys = files.keys(who.tenant, folder, upload.id, cleaned.content_type);
    let stored = async {
        files.put(&keys.0, cleaned.bytes.clone()).await?;
        files.put(&keys.1, cleaned.thumbnail.clone()).await
    }
    .await;
    if let Err(e) = stored {
        return Err(give_back(upload, path, e).await);
    }
    let record = records::Stored {
        content_type: cleaned.content_type,
        bytes: cleaned.bytes.len() as i64,
        sha256: &cleaned.sha256,
        width: cleaned.width,
        height: cleaned.height,
        object_key: &keys.0,
        thumbnail_key: &keys.1,
        thumbnail_bytes: cleaned.thumbnail.len() as i64,
        received_sha256: &cleaned.received_sha256,
    };
    records::complete(&state.pool, who.tenant, upload, &record).await?;
    let _ = tokio::fs::remove_file(path).await;
    metrics::counter!("photos_stored_total").increment(1);
    Ok(offset_answer(StatusCode::NO_CONTENT, upload.length))
}

/// Gives the last chunk back (the object store refused the file): the offset stays
/// where this `PATCH` began, so the client sends it again once the store is back, and
/// the file is stored then, once.
async fn give_back(upload: &Upload, path: &std::path::Path, e: object_store::Error) -> AppError {
    tracing::error!(error = %e, upload = %upload.id, "object store refused the file");
    if let Ok(file) = tokio::fs::OpenOptions::new().write(true).open(path).await {
        let _ = file.set_len(upload.received as u64).await;
    }
    AppError::Unavailable { retry_after_secs: Some(30) }
}

/// The last byte of a catalogue CSV is in: it goes to the object store as it came, and
/// its import is recorded with the dry run queued. What the rows mean is the dry run's
/// to say, line by line.
async fn finish_import(
    state: &AppState,
    files: &Files,
    who: &Uploader,
    upload: &Upload,
    path: &std::path::Path,
) -> Result<Response, AppError> {
    let received = tokio::fs::read(path).await.map_err(internal)?;
    let sha256 = {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(&received);
        digest.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let key = format!("{}/imports/{}.csv", who.tenant, upload.id);
    if let Err(e) = files.put(&key, received).await {
        return Err(give_back(upload, path, e).await);
    }
    records::complete_import(&state.pool, who.tenant, upload, &key, &sha256).await?;
    let _ = tokio::fs::remove_file(path).await;
    Ok(offset_answer(StatusCode::NO_CONTENT, upload.length))
}
