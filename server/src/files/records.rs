//! The database side of uploads and stored files: who may send a photo for which visit,
//! how far each upload has come, and which stored file a caller may see.

use app::account::tokens::Claims;
use app::admin::service::tenant_id;
use app::domain::permissions::{Action, Grant, grant_for_roles};
use app::error::AppError;
use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

/// How long an unfinished upload may be resumed.
pub const UPLOAD_LIFETIME_DAYS: i64 = 7;

fn roles(claims: &Claims) -> Vec<app::domain::permissions::Role> {
    claims.roles.iter().filter_map(|r| r.parse().ok()).collect()
}

/// Who is uploading: their tenant and whether they may touch others' uploads.
pub struct Uploader {
    pub tenant: Uuid,
    pub user: Uuid,
    pub any: bool,
}

pub async fn uploader(pool: &PgPool, claims: &Claims) -> Result<Uploader, AppError> {
    let grant = grant_for_roles(&roles(claims), Action::VisitsRecord).ok_or(AppError::Forbidden)?;
    Ok(Uploader { tenant: tenant_id(pool, claims).await?, user: claims.sub, any: grant == Grant::Any })
}

#[derive(FromRow, Clone, Debug)]
pub struct Upload {
    pub id: Uuid,
    pub uploaded_by: Uuid,
    pub farm_id: Uuid,
    pub visit_id: Uuid,
    pub length: i64,
    pub received: i64,
    pub expires_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

pub struct NewUpload {
    pub id: Uuid,
    pub visit: Uuid,
    pub length: i64,
    pub filename: String,
}

/// Creates the upload, or finds the same one made before (a phone that never heard the
/// answer asks again): the same id for the same visit and length is that upload; the
/// same id for anything else is refused.
pub async fn create(pool: &PgPool, who: &Uploader, new: &NewUpload) -> Result<Upload, AppError> {
    let mut tx = app::db::tenant_tx(pool, who.tenant).await?;
    let visit: Option<(Uuid, Uuid)> = sqlx::query_as("SELECT farm_id, agent_id FROM field_visits WHERE id = $1")
        .bind(new.visit)
        .fetch_optional(&mut *tx)
        .await?;
    let (farm, agent) = visit.ok_or_else(|| AppError::not_found("Visit"))?;
    if agent != who.user && !who.any {
        return Err(AppError::Forbidden);
    }
    sqlx::query(
        "INSERT INTO uploads (tenant_id, id, uploaded_by, farm_id, visit_id, length, filename, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(days => $8))
         ON CONFLICT (tenant_id, id) DO NOTHING",
    )
    .bind(who.tenant)
    .bind(new.id)
    .bind(who.user)
    .bind(farm)
    .bind(new.visit)
    .bind(new.length)
    .bind(&new.filename)
    .bind(UPLOAD_LIFETIME_DAYS as i32)
    .execute(&mut *tx)
    .await?;
    let upload = find_in(&mut tx, new.id).await?.ok_or_else(|| AppError::not_found("Upload"))?;
    tx.commit().await?;
    if upload.uploaded_by != who.user || upload.visit_id != new.visit || upload.length != new.length {
        return Err(AppError::conflict_on(&["id"], "another upload already has this id"));
    }
    Ok(upload)
}

async fn find_in(conn: &mut sqlx::PgConnection, id: Uuid) -> Result<Option<Upload>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, uploaded_by, farm_id, visit_id, length, received, expires_at, completed_at
         FROM uploads WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The caller's upload (ops: any of their tenant's); an expired unfinished one is gone.
pub async fn find(pool: &PgPool, who: &Uploader, id: Uuid) -> Result<Upload, AppError> {
    let mut tx = app::db::tenant_tx(pool, who.tenant).await?;
    let upload = find_in(&mut tx, id).await?.ok_or_else(|| AppError::not_found("Upload"))?;
    if upload.uploaded_by != who.user && !who.any {
        return Err(AppError::not_found("Upload"));
    }
    if upload.completed_at.is_none() && upload.expires_at < Utc::now() {
        return Err(AppError::not_found("Upload"));
    }
    Ok(upload)
}

/// Records how far the upload has come (the bytes are on disk, synced, before this).
pub async fn set_received(pool: &PgPool, tenant: Uuid, id: Uuid, received: i64) -> Result<(), AppError> {
    let mut tx = app::db::tenant_tx(pool, tenant).await?;
    sqlx::query("UPDATE uploads SET received = $2 WHERE id = $1 AND completed_at IS NULL")
        .bind(id)
        .bind(received)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete(pool: &PgPool, tenant: Uuid, id: Uuid) -> Result<(), AppError> {
    let mut tx = app::db::tenant_tx(pool, tenant).await?;
    sqlx::query("DELETE FROM uploads WHERE id = $1 AND completed_at IS NULL").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

pub struct Stored<'a> {
    pub content_type: &'a str,
    pub bytes: i64,
    pub sha256: &'a str,
    pub width: u32,
    pub height: u32,
    pub object_key: &'a str,
    pub thumbnail_key: &'a str,
    pub thumbnail_bytes: i64,
    pub received_sha256: &'a str,
}

/// The photo is in the store: the file is recorded and the upload finished, together.
pub async fn complete(pool: &PgPool, tenant: Uuid, upload: &Upload, file: &Stored<'_>) -> Result<(), AppError> {
    let mut tx = app::db::tenant_tx(pool, tenant).await?;
    sqlx::query(
        "INSERT INTO stored_files (tenant_id, id, farm_id, visit_id, content_type, bytes, sha256, width, height,
             object_key, thumbnail_key, thumbnail_bytes, received_bytes, received_sha256, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (tenant_id, id) DO NOTHING",
    )
    .bind(tenant)
    .bind(upload.id)
    .bind(upload.farm_id)
    .bind(upload.visit_id)
    .bind(file.content_type)
    .bind(file.bytes)
    .bind(file.sha256)
    .bind(file.width as i32)
    .bind(file.height as i32)
    .bind(file.object_key)
    .bind(file.thumbnail_key)
    .bind(file.thumbnail_bytes)
    .bind(upload.length)
    .bind(file.received_sha256)
    .bind(upload.uploaded_by)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE uploads SET received = length, completed_at = now() WHERE id = $1")
        .bind(upload.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(FromRow)]
pub struct FileRow {
    pub content_type: String,
    pub sha256: String,
    pub object_key: String,
    pub thumbnail_key: String,
}

/// A stored file, if the caller may see its farm: the tenant's staff (field agents,
/// ops, admins) see every farm's; anyone else only those of farms they hold shares in
/// (the ownership policies narrow the query). Otherwise: not found, as if absent.
pub async fn visible(pool: &PgPool, claims: &Claims, id: Uuid) -> Result<FileRow, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let roles = roles(claims);
    let staff = [Action::VisitsRecord, Action::AlertsView].iter().any(|a| grant_for_roles(&roles, *a).is_some());
    let mut tx = if staff {
        app::db::tenant_tx(pool, tenant).await?
    } else {
        app::db::owner_tx(pool, tenant, claims.sub).await?
    };
    let row: Option<FileRow> =
        sqlx::query_as("SELECT content_type, sha256, object_key, thumbnail_key FROM stored_files WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    row.ok_or_else(|| AppError::not_found("File"))
}

/// Forgets unfinished uploads past their time, across tenants (expiry is the same rule
/// for all); answers (tenant, id) of each, whose staged bytes are then deleted.
pub async fn expire(conn: &mut sqlx::PgConnection) -> Result<Vec<(Uuid, Uuid)>, sqlx::Error> {
    sqlx::query("SELECT set_config('mandi.cross_tenant', 'on', true)").execute(&mut *conn).await?;
    sqlx::query_as("DELETE FROM uploads WHERE completed_at IS NULL AND expires_at < now() RETURNING tenant_id, id")
        .fetch_all(&mut *conn)
        .await
}
