//! Server functions of traceability: the public trace of a batch code.

use super::model::TraceReport;
use crate::error::AppError;
use leptos::prelude::*;

pub const ACCESS: &[(&str, crate::domain::permissions::Access)] =
    &[("/_fn/trace/batch", crate::domain::permissions::Access::Public)];

#[server(prefix = "/_fn", endpoint = "trace/batch")]
pub async fn trace_batch(code: String) -> Result<TraceReport, AppError> {
    let state = crate::state::app_state()?;
    super::service::trace(&state.pool, state.store_tenant, &code).await
}
