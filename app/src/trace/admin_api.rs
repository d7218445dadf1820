//! Server functions of the lots' back office (`/admin/batches`). Each checks its rule
//! itself as well, since a page rendering on the server calls them in-process.

use super::model::*;
use crate::domain::batch_event::NewBatchEvent;
use crate::domain::permissions::{Access, Action};
use crate::error::AppError;
use leptos::prelude::*;

pub const ACCESS: &[(&str, Access)] = &[
    ("/_fn/batches/list", Access::Requires(Action::BatchesView)),
    ("/_fn/batches/history", Access::Requires(Action::BatchesView)),
    ("/_fn/batches/labels", Access::Requires(Action::BatchesView)),
    ("/_fn/batches/create", Access::Requires(Action::BatchesRecord)),
    ("/_fn/batches/record", Access::Requires(Action::BatchesRecord)),
    ("/_fn/batches/cold_chains", Access::Requires(Action::BatchesView)),
    ("/_fn/batches/set_cold_chain", Access::Requires(Action::ThresholdsManage)),
];

#[cfg(feature = "ssr")]
async fn session(path: &str) -> Result<crate::account::session::Session, AppError> {
    crate::access::check(ACCESS, path).await?.ok_or(AppError::Unauthenticated)
}

#[server(prefix = "/_fn", endpoint = "batches/list")]
pub async fn batches(q: Option<String>, after: Option<String>) -> Result<BatchList, AppError> {
    let s = session("/_fn/batches/list").await?;
    let state = crate::state::app_state()?;
    super::batches_service::list(&state.pool, &s.claims, q.as_deref(), after.as_deref().filter(|a| !a.is_empty())).await
}

#[server(prefix = "/_fn", endpoint = "batches/history")]
pub async fn lot_history(code: String) -> Result<BatchHistory, AppError> {
    let s = session("/_fn/batches/history").await?;
    let state = crate::state::app_state()?;
    Ok(super::batches_service::history(&state.pool, &s.claims, &code).await?.view())
}

/// A sheet of labels: what each prints.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LabelSheet {
    pub code: String,
    /// The product the lot is sold as (or its crop, before it is listed).
    pub name: String,
}

#[server(prefix = "/_fn", endpoint = "batches/labels")]
pub async fn batch_labels(code: String) -> Result<LabelSheet, AppError> {
    let s = session("/_fn/batches/labels").await?;
    let state = crate::state::app_state()?;
    let h = super::batches_service::history(&state.pool, &s.claims, &code).await?;
    let tenant = crate::admin::service::tenant_id(&state.pool, &s.claims).await?;
    let mut tx = crate::db::tenant_tx(&state.pool, tenant).await?;
    let product: Option<String> = sqlx::query_scalar(
        "SELECT p.name FROM stock_items s
         JOIN product_variants v ON v.tenant_id = s.tenant_id AND v.stock_item_id = s.id
         JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id
         WHERE s.tenant_id = $1 AND s.batch_id = $2 ORDER BY p.name LIMIT 1",
    )
    .bind(tenant)
    .bind(h.batch.id)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(LabelSheet { name: product.unwrap_or_else(|| h.batch.crop.clone()), code: h.batch.code })
}

#[server(prefix = "/_fn", endpoint = "batches/create")]
pub async fn create_batch(batch: NewBatch) -> Result<RecordedEvent, AppError> {
    let s = session("/_fn/batches/create").await?;
    let state = crate::state::app_state()?;
    let ip = crate::account::api::client_ip();
    super::batches_service::create(&state.pool, &s.claims, &batch, ip.as_deref()).await
}

#[server(prefix = "/_fn", endpoint = "batches/record")]
pub async fn record_batch_event(code: String, event: NewBatchEvent) -> Result<RecordedEvent, AppError> {
    let s = session("/_fn/batches/record").await?;
    let state = crate::state::app_state()?;
    let ip = crate::account::api::client_ip();
    super::batches_service::record(&state.pool, &s.claims, &code, &event, ip.as_deref()).await
}

#[server(prefix = "/_fn", endpoint = "batches/cold_chains")]
pub async fn cold_chains() -> Result<Vec<ColdChainView>, AppError> {
    let s = session("/_fn/batches/cold_chains").await?;
    let state = crate::state::app_state()?;
    super::batches_service::limits(&state.pool, &s.claims).await
}

#[server(prefix = "/_fn", endpoint = "batches/set_cold_chain")]
pub async fn set_cold_chain(crop: String, limits: ColdChainRequest) -> Result<ColdChainView, AppError> {
    let s = session("/_fn/batches/set_cold_chain").await?;
    let state = crate::state::app_state()?;
    let ip = crate::account::api::client_ip();
    super::batches_service::set_limits(&state.pool, &s.claims, &crop, &limits.min_c, &limits.max_c, ip.as_deref()).await
}
