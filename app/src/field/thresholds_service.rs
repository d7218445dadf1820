//! Each crop's acceptable range of each metric, set by ops.

use super::model::{ThresholdRequest, ThresholdView};
use crate::account::tokens::Claims;
use crate::admin::service::tenant_id;
use crate::audit::{self, Entry};
use crate::domain::readings::{Metric, Threshold};
use crate::error::AppError;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::PgPool;
use std::str::FromStr;

type Row = (String, String, Option<Decimal>, Option<Decimal>, i16);

fn view((crop, metric, min, max, consecutive): Row) -> ThresholdView {
    let unit = metric.parse::<Metric>().map(Metric::unit).unwrap_or_default().to_string();
    ThresholdView {
        crop,
        metric,
        unit,
        min: min.map(|d| d.normalize().to_string()),
        max: max.map(|d| d.normalize().to_string()),
        consecutive: consecutive.clamp(1, 100) as u16,
    }
}

pub async fn list(pool: &PgPool, claims: &Claims) -> Result<Vec<ThresholdView>, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT crop, metric, min_value, max_value, consecutive FROM reading_thresholds ORDER BY crop, metric",
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(view).collect())
}

fn bound(field: &str, text: Option<&str>, metric: Metric) -> Result<Option<Decimal>, AppError> {
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let v = Decimal::from_str(t).map_err(|_| AppError::validation(field, "must be a decimal number, e.g. 24.5"))?;
    let (lo, hi) = metric.plausible();
    if v < lo || v > hi {
        return Err(AppError::validation(field, format!("must be from {lo} to {hi} {}", metric.unit())));
    }
    Ok(Some(v))
}

/// Sets (or replaces) `crop`'s range of `metric`.
pub async fn put(
    pool: &PgPool,
    claims: &Claims,
    crop: &str,
    metric: &str,
    req: &ThresholdRequest,
    ip: Option<&str>,
) -> Result<ThresholdView, AppError> {
    let crop = crop.trim().to_lowercase();
    if crop.is_empty() || crop.chars().count() > 60 {
        return Err(AppError::validation("crop", "must be 1 to 60 characters"));
    }
    let m = metric.parse::<Metric>().map_err(|e| AppError::validation("metric", e))?;
    let threshold = Threshold::new(
        bound("min", req.min.as_deref(), m)?,
        bound("max", req.max.as_deref(), m)?,
        req.consecutive.unwrap_or(3),
    )
    .map_err(|(f, e)| AppError::validation(f, e))?;
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let row: Row = sqlx::query_as(
        "INSERT INTO reading_thresholds (tenant_id, crop, metric, min_value, max_value, consecutive, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id, crop, metric) DO UPDATE SET min_value = EXCLUDED.min_value,
             max_value = EXCLUDED.max_value, consecutive = EXCLUDED.consecutive,
             updated_by = EXCLUDED.updated_by, updated_at = now()
         RETURNING crop, metric, min_value, max_value, consecutive",
    )
    .bind(tenant)
    .bind(&crop)
    .bind(m.as_str())
    .bind(threshold.min)
    .bind(threshold.max)
    .bind(threshold.consecutive as i16)
    .bind(claims.sub)
    .fetch_one(&mut *tx)
    .await?;
    let shown = view(row);
    audit::record(
        &mut *tx,
        Entry {
            after: Some(json!(shown)),
            ..Entry::event(
                Some(tenant),
                Some(claims.sub),
                "reading_threshold.set",
                format!("threshold:{crop}:{}", m.as_str()),
                ip,
            )
        },
    )
    .await?;
    tx.commit().await?;
    Ok(shown)
}

/// Removes `crop`'s range of `metric`; removing one that is not set is a no-op.
pub async fn remove(
    pool: &PgPool,
    claims: &Claims,
    crop: &str,
    metric: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let m = metric.parse::<Metric>().map_err(|e| AppError::validation("metric", e))?;
    let crop = crop.trim().to_lowercase();
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let gone = sqlx::query("DELETE FROM reading_thresholds WHERE crop = $1 AND metric = $2")
        .bind(&crop)
        .bind(m.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if gone > 0 {
        audit::record(
            &mut *tx,
            Entry::event(
                Some(tenant),
                Some(claims.sub),
                "reading_threshold.removed",
                format!("threshold:{crop}:{}", m.as_str()),
                ip,
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
