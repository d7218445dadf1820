//! The imports of catalogue CSV files as their rows record them: made when an upload
//! completes (the dry run queued with it), read by the screen that shows their
//! progress, and committed on request. The work itself runs as jobs in the server
//! (`server::catalog_import`).

use super::catalog_admin_model::CatalogImport;
use crate::domain::shopify_csv::Problem;
use crate::error::AppError;
use crate::jobs::{NewJob, Queue};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

pub const CHECK_JOB: &str = "catalog.import.check";
pub const COMMIT_JOB: &str = "catalog.import.commit";

/// Problems kept with an import (all are counted).
pub const PROBLEMS_KEPT: usize = 1_000;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct ImportJob {
    pub import: Uuid,
}

#[derive(FromRow)]
struct ImportRow {
    id: Uuid,
    filename: String,
    status: String,
    rows_total: i32,
    rows_done: i32,
    products_new: i32,
    products_updated: i32,
    variants: i32,
    problems: serde_json::Value,
    problem_count: i32,
    error: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<ImportRow> for CatalogImport {
    fn from(r: ImportRow) -> CatalogImport {
        CatalogImport {
            id: r.id,
            filename: r.filename,
            status: r.status,
            rows_total: r.rows_total,
            rows_done: r.rows_done,
            products_new: r.products_new,
            products_updated: r.products_updated,
            variants: r.variants,
            problems: serde_json::from_value::<Vec<Problem>>(r.problems).unwrap_or_default(),
            problem_count: r.problem_count,
            error: r.error,
            created_at: r.created_at,
            finished_at: r.finished_at,
        }
    }
}

const COLUMNS: &str = "id, filename, status, rows_total, rows_done, products_new, products_updated, variants,
                       problems, problem_count, error, created_at, finished_at";

pub struct NewImport<'a> {
    pub id: Uuid,
    pub filename: &'a str,
    pub object_key: &'a str,
    pub bytes: i64,
    pub sha256: &'a str,
    pub by: Uuid,
}

/// The file is in the object store: the import is recorded and its dry run queued, in
/// the caller's transaction (with the upload's completion).
pub async fn start(tx: &mut PgConnection, tenant: Uuid, new: &NewImport<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO catalog_imports (tenant_id, id, filename, object_key, bytes, sha256, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, id) DO NOTHING",
    )
    .bind(tenant)
    .bind(new.id)
    .bind(new.filename)
    .bind(new.object_key)
    .bind(new.bytes)
    .bind(new.sha256)
    .bind(new.by)
    .execute(&mut *tx)
    .await?;
    let job = NewJob::new(Queue::Reports, CHECK_JOB, ImportJob { import: new.id })
        .tenant(tenant)
        .max_attempts(3)
        .dedupe_key(format!("{CHECK_JOB}:{}", new.id));
    crate::jobs::enqueue(&mut *tx, job).await?;
    Ok(())
}

pub async fn recent(pool: &PgPool, tenant: Uuid) -> Result<Vec<CatalogImport>, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<ImportRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM catalog_imports WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 20"
    ))
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(CatalogImport::from).collect())
}

pub async fn find(pool: &PgPool, tenant: Uuid, id: Uuid) -> Result<CatalogImport, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let row: Option<ImportRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM catalog_imports WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    tx.commit().await?;
    row.map(CatalogImport::from).ok_or_else(|| AppError::not_found("Import"))
}

/// Queues the import of a file whose dry run found no problem. Asked twice, it is
/// queued once.
pub async fn commit(pool: &PgPool, tenant: Uuid, by: Uuid, id: Uuid) -> Result<CatalogImport, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM catalog_imports WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
            .bind(tenant)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    match status.as_deref() {
        None => return Err(AppError::not_found("Import")),
        Some("checked") => {}
        Some("importing" | "imported") => {
            tx.commit().await?;
            return find(pool, tenant, id).await;
        }
        Some("checking") => return Err(AppError::conflict("the dry run has not finished")),
        Some(_) => return Err(AppError::conflict("this file has problems; fix them and upload it again")),
    }
    sqlx::query(
        "UPDATE catalog_imports SET status = 'importing', rows_done = 0, committed_by = $3
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(by)
    .execute(&mut *tx)
    .await?;
    let job = NewJob::new(Queue::Reports, COMMIT_JOB, ImportJob { import: id })
        .tenant(tenant)
        .max_attempts(3)
        .dedupe_key(format!("{COMMIT_JOB}:{id}"));
    crate::jobs::enqueue(&mut *tx, job).await?;
    tx.commit().await?;
    find(pool, tenant, id).await
}
