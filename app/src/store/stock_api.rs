//! Server functions of `/admin/stock`. The REST door (`server/src/rest/v1/stock.rs`)
//! calls the same service.

use crate::domain::permissions::{Access, Action};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const ACCESS: &[(&str, Access)] = &[
    ("/_fn/stock/levels", Access::Requires(Action::StockManage)),
    ("/_fn/stock/adjust", Access::Requires(Action::StockManage)),
    ("/_fn/stock/threshold", Access::Requires(Action::StockManage)),
];

/// One stock item as the screen shows it (the service's `StockLevel`, for both builds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRow {
    pub id: String,
    pub sku: String,
    pub unit: String,
    pub products: String,
    pub on_hand: i64,
    pub held: i64,
    pub available: i64,
    pub threshold: i64,
    pub low: bool,
}

#[cfg(feature = "ssr")]
async fn store_staff(path: &str) -> Result<(crate::state::AppState, uuid::Uuid), AppError> {
    let session = crate::access::check(ACCESS, path).await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    if !state.in_store(&session.claims) {
        return Err(AppError::Forbidden);
    }
    Ok((state, session.claims.sub))
}

#[cfg(feature = "ssr")]
fn row(l: super::stock_service::StockLevel) -> StockRow {
    StockRow {
        id: l.id.to_string(),
        sku: l.sku,
        unit: l.unit,
        products: l.products,
        on_hand: l.on_hand,
        held: l.held,
        available: l.available,
        threshold: l.low_stock_threshold,
        low: l.low,
    }
}

#[cfg(feature = "ssr")]
fn item_id(id: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(id.trim()).map_err(|_| AppError::not_found("Stock item"))
}

#[server(prefix = "/_fn", endpoint = "stock/levels")]
pub async fn stock_levels(q: Option<String>, low: Option<String>) -> Result<Vec<StockRow>, AppError> {
    let (state, _) = store_staff("/_fn/stock/levels").await?;
    let low = low.as_deref() == Some("true");
    let levels = super::stock_service::levels(&state.pool, state.store_tenant, q.as_deref(), low).await?;
    Ok(levels.into_iter().map(row).collect())
}

#[server(prefix = "/_fn", endpoint = "stock/adjust")]
pub async fn adjust_stock(
    id: String,
    reason: String,
    delta: String,
    note: Option<String>,
) -> Result<StockRow, AppError> {
    let (state, by) = store_staff("/_fn/stock/adjust").await?;
    let a = crate::domain::stock_adjustment::Adjustment::parse(&reason, &delta, note.as_deref().unwrap_or_default())
        .map_err(|fields| AppError::Validation { fields })?;
    let level = super::stock_service::adjust(&state.pool, state.store_tenant, by, item_id(&id)?, &a).await?;
    Ok(row(level))
}

#[server(prefix = "/_fn", endpoint = "stock/threshold")]
pub async fn set_stock_threshold(id: String, threshold: String) -> Result<StockRow, AppError> {
    let (state, by) = store_staff("/_fn/stock/threshold").await?;
    let t = crate::domain::stock_adjustment::parse_threshold(&threshold)
        .map_err(|m| AppError::validation("threshold", m))?;
    let level = super::stock_service::set_threshold(&state.pool, state.store_tenant, by, item_id(&id)?, t).await?;
    Ok(row(level))
}
