//! `/api/v1/stock`: the store's stock items, changes by hand with a reason, and
//! low-stock thresholds. Staff and admins of the store.

use super::extract::{ApiJson, Authenticated, parse_id, parse_query};
use super::responses::envelope;
use super::routes::Routes;
use super::store_settings::of_the_store;
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::StockManage;
use app::domain::stock_adjustment::{Adjustment, parse_threshold};
use app::envelope::ok;
use app::error::AppError;
use app::state::AppState;
use app::store::stock_service::{self, StockLevel};
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(utoipa::OpenApi)]
#[openapi(paths(list, adjust, threshold))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/stock", Requires(StockManage), list)
        .post("/stock/{id}/adjustments", Requires(StockManage), adjust)
        .put("/stock/{id}/threshold", Requires(StockManage), threshold)
}

envelope! {
    StockLevelEnvelope(StockLevel);
    StockLevelsEnvelope(Vec<StockLevel>);
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    q: Option<String>,
    low: Option<String>,
}

/// Stock items (200 at most), low ones first: on hand, held for orders being paid,
/// available, and the threshold.
#[utoipa::path(get, path = "/stock", operation_id = "listStock",
    params(
        ("q" = Option<String>, Query, description = "Part of a SKU or a product's name"),
        ("low" = Option<bool>, Query, description = "`true`: only items at or under their threshold"),
    ),
    responses(
        (status = 200, description = "Stock items", body = StockLevelsEnvelope),
        (status = 403, response = super::responses::Forbidden),
    ))]
async fn list(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    let q: ListQuery = parse_query(raw.as_deref())?;
    let low = match q.low.as_deref() {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(AppError::validation("low", "must be true or false")),
    };
    Ok(ok(stock_service::levels(&state.pool, state.store_tenant, q.q.as_deref(), low).await?))
}

/// A change by hand.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdjustmentBody {
    /// `damage` (negative), `count_correction` (either way) or `return` (positive).
    reason: String,
    /// Grams or units, as the item counts; negative takes stock away.
    #[schema(value_type = i64)]
    delta: serde_json::Value,
    note: Option<String>,
}

/// Change an item's count by hand. It never goes below zero nor below what is held for
/// orders being paid; each change is a stock movement and an audit entry, and an item
/// that ends at or under its threshold opens a low-stock alert.
#[utoipa::path(post, path = "/stock/{id}/adjustments", operation_id = "adjustStock",
    params(("id" = uuid::Uuid, Path, description = "The stock item's id")),
    request_body = AdjustmentBody,
    responses(
        (status = 200, description = "The item now", body = StockLevelEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn adjust(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AdjustmentBody>,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    let id = parse_id(&id, "id")?;
    let delta = match &body.delta {
        serde_json::Value::Number(n) => n.to_string(),
        other => other.as_str().unwrap_or("not a number").to_string(),
    };
    let a = Adjustment::parse(&body.reason, &delta, body.note.as_deref().unwrap_or_default())
        .map_err(|fields| AppError::Validation { fields })?;
    Ok(ok(stock_service::adjust(&state.pool, state.store_tenant, claims.sub, id, &a).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThresholdBody {
    /// Grams or units; 0 stops watching the item.
    #[schema(value_type = i64)]
    threshold: serde_json::Value,
}

/// Set the count at or under which the item is low.
#[utoipa::path(put, path = "/stock/{id}/threshold", operation_id = "setStockThreshold",
    params(("id" = uuid::Uuid, Path, description = "The stock item's id")),
    request_body = ThresholdBody,
    responses(
        (status = 200, description = "The item now", body = StockLevelEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn threshold(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ThresholdBody>,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    let id = parse_id(&id, "id")?;
    let raw = match &body.threshold {
        serde_json::Value::Number(n) => n.to_string(),
        other => other.as_str().unwrap_or("not a number").to_string(),
    };
    let t = parse_threshold(&raw).map_err(|m| AppError::validation("threshold", m))?;
    Ok(ok(stock_service::set_threshold(&state.pool, state.store_tenant, claims.sub, id, t).await?))
}
