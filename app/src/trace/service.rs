//! Provenance queries: a product's lots, and the public trace of one batch code.
//! Every read runs inside its tenant's row-level security; the trace page learns the
//! tenant of a code from `batch_tenant()` (which returns that and nothing else).

use super::model::*;
use crate::error::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

#[derive(FromRow)]
struct BatchRow {
    id: Uuid,
    code: String,
    crop: String,
    harvested_on: NaiveDate,
    quantity: Decimal,
    unit: String,
    farm_id: Uuid,
    farm_slug: String,
    farm_name: String,
    farm_region: String,
    farm_description: String,
}

const BATCH_COLUMNS: &str = "b.id, b.code, b.crop, b.harvested_on, b.quantity, b.unit,
    f.id AS farm_id, f.slug AS farm_slug, f.name AS farm_name, f.region AS farm_region,
    f.description AS farm_description";

#[derive(FromRow)]
struct CertRow {
    farm_id: Option<Uuid>,
    batch_id: Option<Uuid>,
    scheme: String,
    scheme_slug: String,
    issuer: String,
    number: String,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    expired: bool,
}

impl CertRow {
    fn view(&self) -> CertificationView {
        CertificationView {
            scheme: self.scheme.clone(),
            scheme_slug: self.scheme_slug.clone(),
            issuer: self.issuer.clone(),
            number: self.number.clone(),
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            expired: self.expired,
            scope: if self.batch_id.is_some() { "batch" } else { "farm" }.into(),
        }
    }
}

#[derive(FromRow)]
struct LabRow {
    batch_id: Uuid,
    test: String,
    analyte_group: String,
    value: Decimal,
    unit: String,
    limit_value: Decimal,
    limit_kind: String,
    passed: bool,
    lab_name: String,
    tested_on: NaiveDate,
    report_number: String,
}

#[derive(FromRow)]
struct CheckpointRow {
    batch_id: Uuid,
    stage: String,
    occurred_at: DateTime<Utc>,
    place: String,
    temperature_c: Option<Decimal>,
    recorded_by: String,
}

fn decimal(d: Decimal) -> String {
    d.normalize().to_string()
}

const CERT_COLUMNS: &str = "c.farm_id, c.batch_id, c.scheme, c.scheme_slug, c.issuer, c.number,
    c.valid_from, c.valid_until, c.valid_until < current_date AS expired";
const CERT_ORDER: &str =
    "ORDER BY c.valid_until < current_date, c.batch_id IS NULL, c.valid_until DESC, c.scheme, c.number";

/// The certificates a farm holds, valid ones first.
pub async fn farm_certifications(
    conn: &mut PgConnection,
    tenant: Uuid,
    farm: Uuid,
) -> Result<Vec<CertificationView>, AppError> {
    let rows: Vec<CertRow> = sqlx::query_as(&format!(
        "SELECT {CERT_COLUMNS} FROM certifications c WHERE c.tenant_id = $1 AND c.farm_id = $2 {CERT_ORDER}"
    ))
    .bind(tenant)
    .bind(farm)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(CertRow::view).collect())
}

/// Fills in certificates, lab results and checkpoints for lots already read.
async fn with_provenance(
    conn: &mut PgConnection,
    tenant: Uuid,
    rows: Vec<BatchRow>,
) -> Result<Vec<BatchTrace>, AppError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let batch_ids: Vec<Uuid> = rows.iter().map(|b| b.id).collect();
    let farm_ids: Vec<Uuid> = rows.iter().map(|b| b.farm_id).collect();
    let certs: Vec<CertRow> = sqlx::query_as(&format!(
        "SELECT {CERT_COLUMNS} FROM certifications c
         WHERE c.tenant_id = $1 AND (c.batch_id = ANY($2) OR c.farm_id = ANY($3)) {CERT_ORDER}"
    ))
    .bind(tenant)
    .bind(&batch_ids)
    .bind(&farm_ids)
    .fetch_all(&mut *conn)
    .await?;
    let labs: Vec<LabRow> = sqlx::query_as(
        "SELECT batch_id, test, analyte_group, value, unit, limit_value, limit_kind, passed,
                lab_name, tested_on, report_number
         FROM lab_results WHERE tenant_id = $1 AND batch_id = ANY($2)
         ORDER BY tested_on, analyte_group, test, id",
    )
    .bind(tenant)
    .bind(&batch_ids)
    .fetch_all(&mut *conn)
    .await?;
    let stops: Vec<CheckpointRow> = sqlx::query_as(
        "SELECT batch_id, stage, occurred_at, place, temperature_c, recorded_by
         FROM handling_checkpoints WHERE tenant_id = $1 AND batch_id = ANY($2)
         ORDER BY occurred_at, id",
    )
    .bind(tenant)
    .bind(&batch_ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|b| BatchTrace {
            certifications: certs
                .iter()
                .filter(|c| c.batch_id == Some(b.id) || (c.batch_id.is_none() && c.farm_id == Some(b.farm_id)))
                .map(CertRow::view)
                .collect(),
            lab_results: labs
                .iter()
                .filter(|l| l.batch_id == b.id)
                .map(|l| LabResultView {
                    test: l.test.clone(),
                    analyte_group: l.analyte_group.clone(),
                    value: decimal(l.value),
                    unit: l.unit.clone(),
                    limit: decimal(l.limit_value),
                    limit_kind: l.limit_kind.clone(),
                    passed: l.passed,
                    lab: l.lab_name.clone(),
                    tested_on: l.tested_on,
                    report_number: l.report_number.clone(),
                })
                .collect(),
            checkpoints: stops
                .iter()
                .filter(|c| c.batch_id == b.id)
                .map(|c| CheckpointView {
                    stage: c.stage.clone(),
                    occurred_at: c.occurred_at,
                    place: c.place.clone(),
                    temperature_c: c.temperature_c.map(|t| format!("{:.1}", t)),
                    recorded_by: c.recorded_by.clone(),
                })
                .collect(),
            code: b.code,
            crop: b.crop,
            harvested_on: b.harvested_on,
            quantity: decimal(b.quantity),
            unit: b.unit,
            farm: FarmSummary {
                id: b.farm_id,
                slug: b.farm_slug,
                name: b.farm_name,
                region: b.farm_region,
                description: b.farm_description,
            },
        })
        .collect())
}

/// The lots a product's packs are sold from, newest harvest first.
pub async fn product_batches(
    conn: &mut PgConnection,
    tenant: Uuid,
    product: Uuid,
) -> Result<Vec<BatchTrace>, AppError> {
    let rows: Vec<BatchRow> = sqlx::query_as(&format!(
        "SELECT {BATCH_COLUMNS}
         FROM batches b
         JOIN farms f ON f.tenant_id = b.tenant_id AND f.id = b.farm_id
         WHERE b.tenant_id = $1 AND b.id IN (
             SELECT s.batch_id FROM product_variants v
             JOIN stock_items s ON s.tenant_id = v.tenant_id AND s.id = v.stock_item_id
             WHERE v.tenant_id = $1 AND v.product_id = $2 AND s.batch_id IS NOT NULL)
         ORDER BY b.harvested_on DESC, b.code"
    ))
    .bind(tenant)
    .bind(product)
    .fetch_all(&mut *conn)
    .await?;
    with_provenance(conn, tenant, rows).await
}

/// The public trace of one batch code, whichever tenant sells it. `store_tenant` is
/// the storefront's tenant: only its products are linked (others' have no page here).
pub async fn trace(pool: &PgPool, store_tenant: Uuid, raw_code: &str) -> Result<TraceReport, AppError> {
    let code = normalize_code(raw_code).ok_or_else(|| AppError::not_found("Batch"))?;
    let tenant: Option<Uuid> = sqlx::query_scalar("SELECT batch_tenant($1)").bind(&code).fetch_one(pool).await?;
    let tenant = tenant.ok_or_else(|| AppError::not_found("Batch"))?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let row: Option<BatchRow> = sqlx::query_as(&format!(
        "SELECT {BATCH_COLUMNS}
         FROM batches b JOIN farms f ON f.tenant_id = b.tenant_id AND f.id = b.farm_id
         WHERE b.tenant_id = $1 AND b.code = $2"
    ))
    .bind(tenant)
    .bind(&code)
    .fetch_optional(&mut *tx)
    .await?;
    let row = row.ok_or_else(|| AppError::not_found("Batch"))?;
    let batch_id = row.id;
    let batch = with_provenance(&mut tx, tenant, vec![row]).await?.pop().expect("one batch in, one out");
    let products: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT p.name, p.slug
         FROM stock_items s
         JOIN product_variants v ON v.tenant_id = s.tenant_id AND v.stock_item_id = s.id
         JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id
         WHERE s.tenant_id = $1 AND s.batch_id = $2 AND p.active
         ORDER BY p.name",
    )
    .bind(tenant)
    .bind(batch_id)
    .fetch_all(&mut *tx)
    .await?;
    let seller: String =
        sqlx::query_scalar("SELECT name FROM tenants WHERE id = $1").bind(tenant).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    let linked = tenant == store_tenant;
    Ok(TraceReport {
        batch,
        seller,
        products: products
            .into_iter()
            .map(|(name, slug)| TracedProduct { href: linked.then(|| format!("/products/{slug}")), name, slug })
            .collect(),
    })
}
