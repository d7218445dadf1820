//! Provenance queries: a product's lots, and the public trace of one batch code.
//! Every read runs inside its tenant's row-level security; the trace page learns the
//! tenant of a code from `batch_tenant()` (which returns that and nothing else).

use super::chain_service::{self, EVENT_COLUMNS, EventRow};
use super::model::*;
use crate::domain::batch_event::EventKind;
use crate::domain::epcis::Lot;
use crate::error::AppError;
use chrono::NaiveDate;
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
    chain_length: i32,
    chain_head: Option<String>,
}

const BATCH_COLUMNS: &str = "b.id, b.code, b.crop, b.harvested_on, b.quantity, b.unit, b.chain_length, b.chain_head,
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

/// Fills in certificates, lab results and checkpoints for lots already read: the
/// farm's certificates from its records, everything about the lot from its chain.
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
         WHERE c.tenant_id = $1 AND c.batch_id IS NULL AND c.farm_id = ANY($2) {CERT_ORDER}"
    ))
    .bind(tenant)
    .bind(&farm_ids)
    .fetch_all(&mut *conn)
    .await?;
    let events: Vec<(Uuid, EventRow)> = sqlx::query_as::<_, BatchEventRow>(&format!(
        "SELECT batch_id, {EVENT_COLUMNS} FROM batch_events
         WHERE tenant_id = $1 AND batch_id = ANY($2) AND kind <> 'temperature_reading' ORDER BY batch_id, seq"
    ))
    .bind(tenant)
    .bind(&batch_ids)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.batch_id, r.event))
    .collect();
    Ok(rows
        .into_iter()
        .map(|b| {
            let mine: Vec<BatchEventView> =
                events.iter().filter(|(id, _)| *id == b.id).map(|(_, e)| e.view()).collect();
            BatchTrace::from_parts(b, &certs, mine)
        })
        .collect())
}

#[derive(FromRow)]
struct BatchEventRow {
    batch_id: Uuid,
    #[sqlx(flatten)]
    event: EventRow,
}

impl BatchTrace {
    fn from_parts(b: BatchRow, certs: &[CertRow], events: Vec<BatchEventView>) -> BatchTrace {
        let mut certifications: Vec<CertificationView> = events.iter().filter_map(|e| e.certificate.clone()).collect();
        certifications.extend(certs.iter().filter(|c| c.farm_id == Some(b.farm_id)).map(CertRow::view));
        let mut lab_results: Vec<LabResultView> = events.iter().filter_map(|e| e.lab_result.clone()).collect();
        lab_results
            .sort_by(|a, b| (a.tested_on, &a.analyte_group, &a.test).cmp(&(b.tested_on, &b.analyte_group, &b.test)));
        let mut checkpoints: Vec<CheckpointView> = events
            .iter()
            .filter(|e| e.kind.parse::<EventKind>().is_ok_and(EventKind::is_handling))
            .map(|e| CheckpointView {
                stage: e.kind.clone(),
                occurred_at: e.occurred_at,
                place: e.place.clone(),
                temperature_c: e.temperature_c.clone(),
                recorded_by: e.actor.clone(),
            })
            .collect();
        checkpoints.sort_by_key(|c| c.occurred_at);
        BatchTrace {
            certifications,
            lab_results,
            checkpoints,
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
        }
    }
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
    let (farm_id, chain_length, chain_head, crop) =
        (row.farm_id, row.chain_length, row.chain_head.clone(), row.crop.clone());
    let rows = chain_service::events(&mut tx, tenant, batch_id).await?;
    let certs: Vec<CertRow> = sqlx::query_as(&format!(
        "SELECT {CERT_COLUMNS} FROM certifications c WHERE c.tenant_id = $1 AND c.batch_id IS NULL AND c.farm_id = $2 {CERT_ORDER}"
    ))
    .bind(tenant)
    .bind(farm_id)
    .fetch_all(&mut *tx)
    .await?;
    let limits = chain_service::limits_for(&mut tx, tenant, &crop).await?;
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
    let location: Option<(Option<Decimal>, Option<Decimal>)> =
        sqlx::query_as("SELECT latitude, longitude FROM farms WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(farm_id)
            .fetch_optional(&mut *tx)
            .await?;
    tx.commit().await?;
    let subject = chain_service::ChainSubject {
        id: batch_id,
        lot: Lot { code: &row.code, farm_id, crop: &row.crop },
        chain_length: chain_length as i64,
        chain_head: chain_head.as_deref(),
    };
    let chain = chain_service::chain_state(&chain_service::verify_rows(&subject, &rows));
    let events: Vec<BatchEventView> = rows.iter().map(EventRow::view).collect();
    let cold_chain =
        limits.map(|l| ColdChainView { crop: crop.clone(), min_c: decimal(l.min_c), max_c: decimal(l.max_c) });
    let batch = BatchTrace::from_parts(
        row,
        &certs,
        events.iter().filter(|e| e.kind != "temperature_reading").cloned().collect(),
    );
    let linked = tenant == store_tenant;
    Ok(TraceReport {
        batch,
        seller,
        events,
        chain,
        cold_chain,
        farm_location: location
            .and_then(|(lat, lon)| Some(FarmLocation { latitude: decimal(lat?), longitude: decimal(lon?) })),
        products: products
            .into_iter()
            .map(|(name, slug)| TracedProduct { href: linked.then(|| format!("/products/{slug}")), name, slug })
            .collect(),
    })
}
