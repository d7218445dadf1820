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

/// Who is uploading: their tenant, whether they may touch others' visit photos, and
/// whether they run the store's catalogue (its pictures and CSV imports).
pub struct Uploader {
    pub tenant: Uuid,
    pub user: Uuid,
    pub any: bool,
    pub visits: bool,
    pub catalog: bool,
}

/// `in_store`: the caller belongs to the store's tenant (only its staff run its catalogue).
pub async fn uploader(pool: &PgPool, claims: &Claims, in_store: bool) -> Result<Uploader, AppError> {
    let visits = grant_for_roles(&roles(claims), Action::VisitsRecord);
    let catalog = in_store && grant_for_roles(&roles(claims), Action::CatalogManage).is_some();
    if visits.is_none() && !catalog {
        return Err(AppError::Forbidden);
    }
    Ok(Uploader {
        tenant: tenant_id(pool, claims).await?,
        user: claims.sub,
        any: visits == Some(Grant::Any),
        visits: visits.is_some(),
        catalog,
    })
}

/// What an upload brings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A photo of a field visit already sent.
    VisitPhoto { visit: Uuid },
    /// A picture of a product.
    ProductImage { product: Uuid },
    /// A catalogue CSV to import.
    CatalogImport,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VisitPhoto { .. } => "visit_photo",
            Purpose::ProductImage { .. } => "product_image",
            Purpose::CatalogImport => "catalog_import",
        }
    }

    /// Whether its bytes must be a picture.
    pub fn is_picture(self) -> bool {
        !matches!(self, Purpose::CatalogImport)
    }

    /// The largest file of its kind.
    pub fn max_bytes(self) -> u64 {
        if self.is_picture() { super::photo::MAX_BYTES } else { super::CSV_MAX_BYTES }
    }
}

#[derive(FromRow, Clone, Debug)]
pub struct Upload {
    pub id: Uuid,
    pub uploaded_by: Uuid,
    pub farm_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub product_id: Option<Uuid>,
    pub purpose: String,
    pub filename: String,
    pub length: i64,
    pub received: i64,
    pub expires_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl Upload {
    pub fn purpose(&self) -> Purpose {
        match (self.purpose.as_str(), self.visit_id, self.product_id) {
            ("visit_photo", Some(visit), _) => Purpose::VisitPhoto { visit },
            ("product_image", _, Some(product)) => Purpose::ProductImage { product },
            _ => Purpose::CatalogImport,
        }
    }
}

pub struct NewUpload {
    pub id: Uuid,
    pub purpose: Purpose,
    pub length: i64,
    pub filename: String,
}

/// Creates the upload, or finds the same one made before (a phone that never heard the
/// answer asks again): the same id for the same purpose and length is that upload; the
/// same id for anything else is refused.
pub async fn create(pool: &PgPool, who: &Uploader, new: &NewUpload) -> Result<Upload, AppError> {
    let mut tx = app::db::tenant_tx(pool, who.tenant).await?;
    let (farm, visit, product) = match new.purpose {
        Purpose::VisitPhoto { visit } => {
            if !who.visits {
                return Err(AppError::Forbidden);
            }
            let row: Option<(Uuid, Uuid)> = sqlx::query_as("SELECT farm_id, agent_id FROM field_visits WHERE id = $1")
                .bind(visit)
                .fetch_optional(&mut *tx)
                .await?;
            let (farm, agent) = row.ok_or_else(|| AppError::not_found("Visit"))?;
            if agent != who.user && !who.any {
                return Err(AppError::Forbidden);
            }
            (Some(farm), Some(visit), None)
        }
        Purpose::ProductImage { product } => {
            if !who.catalog {
                return Err(AppError::Forbidden);
            }
            let farm: Option<Uuid> = sqlx::query_scalar("SELECT farm_id FROM products WHERE id = $1")
                .bind(product)
                .fetch_optional(&mut *tx)
                .await?;
            (Some(farm.ok_or_else(|| AppError::not_found("Product"))?), None, Some(product))
        }
        Purpose::CatalogImport => {
            if !who.catalog {
                return Err(AppError::Forbidden);
            }
            (None, None, None)
        }
    };
    sqlx::query(
        "INSERT INTO uploads (tenant_id, id, uploaded_by, farm_id, visit_id, product_id, purpose, length, filename, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(days => $10))
         ON CONFLICT (tenant_id, id) DO NOTHING",
    )
    .bind(who.tenant)
    .bind(new.id)
    .bind(who.user)
    .bind(farm)
    .bind(visit)
    .bind(product)
    .bind(new.purpose.as_str())
    .bind(new.length)
    .bind(&new.filename)
    .bind(UPLOAD_LIFETIME_DAYS as i32)
    .execute(&mut *tx)
    .await?;
    let upload = find_in(&mut tx, new.id).await?.ok_or_else(|| AppError::not_found("Upload"))?;
    tx.commit().await?;
    if upload.uploaded_by != who.user || upload.purpose() != new.purpose || upload.length != new.length {
        return Err(AppError::conflict_on(&["id"], "another upload already has this id"));
    }
    Ok(upload)
}

async fn find_in(conn: &mut sqlx::PgConnection, id: Uuid) -> Result<Option<Upload>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, uploaded_by, farm_id, visit_id, product_id, purpose, filename, length, received, expires_at,
                completed_at
         FROM uploads WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The caller's upload (ops: any visit photo of their tenant's; catalogue staff: any of
/// the catalogue's); an expired unfinished one is gone.
pub async fn find(pool: &PgPool, who: &Uploader, id: Uuid) -> Result<Upload, AppError> {
    let mut tx = app::db::tenant_tx(pool, who.tenant).await?;
    let upload = find_in(&mut tx, id).await?.ok_or_else(|| AppError::not_found("Upload"))?;
    let others = match upload.purpose() {
        Purpose::VisitPhoto { .. } => who.any,
        _ => who.catalog,
    };
    if upload.uploaded_by != who.user && !others {
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
             object_key, thumbnail_key, thumbnail_bytes, received_bytes, received_sha256, uploaded_by, purpose, product_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
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
    .bind(upload.purpose().as_str())
    .bind(upload.product_id)
    .execute(&mut *tx)
    .await?;
    if let Some(product) = upload.product_id {
        app::store::catalog_admin_service::refresh_image_path(&mut tx, tenant, product).await?;
        app::audit::record(
            &mut *tx,
            app::audit::Entry {
                tenant: Some(tenant),
                actor: Some(upload.uploaded_by),
                action: "product.image_added",
                target: Some(product.to_string()),
                before: None,
                after: Some(serde_json::json!({ "image": upload.id, "sha256": file.sha256 })),
                ip: None,
            },
        )
        .await?;
    }
    finished(&mut tx, upload.id).await?;
    tx.commit().await?;
    Ok(())
}

async fn finished(tx: &mut sqlx::PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE uploads SET received = length, completed_at = now() WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map(|_| ())
}

/// A catalogue CSV is in the object store: the upload is finished and its import
/// recorded with its dry run queued, together.
pub async fn complete_import(
    pool: &PgPool,
    tenant: Uuid,
    upload: &Upload,
    object_key: &str,
    sha256: &str,
) -> Result<(), AppError> {
    let mut tx = app::db::tenant_tx(pool, tenant).await?;
    let new = app::store::catalog_import_service::NewImport {
        id: upload.id,
        filename: &upload.filename,
        object_key,
        bytes: upload.length,
        sha256,
        by: upload.uploaded_by,
    };
    app::store::catalog_import_service::start(&mut tx, tenant, &new).await?;
    finished(&mut tx, upload.id).await?;
    tx.commit().await?;
    Ok(())
}

/// A product's picture, for anyone: the shelves show them.
pub async fn product_image(pool: &PgPool, id: Uuid) -> Result<FileRow, AppError> {
    let mut tx = app::db::cross_tenant_tx(pool).await?;
    let row: Option<FileRow> = sqlx::query_as(
        "SELECT content_type, sha256, object_key, thumbnail_key FROM stored_files
         WHERE id = $1 AND purpose = 'product_image'",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    row.ok_or_else(|| AppError::not_found("Picture"))
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
