//! `GET /api/v1/trace/{code}`: the public provenance of one batch (lot) by its code.
//! Codes are unique across tenants; the service finds the owner without opening any
//! other tenant's rows.

use super::routes::Routes;
use app::domain::permissions::Access::Public;
use app::envelope::ok;
use app::error::AppError;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;

#[derive(utoipa::OpenApi)]
#[openapi(paths(show))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new().get("/trace/{code}", Public, show)
}

/// Where a lot (batch) comes from: farm, certificates, lab results and the checkpoints
/// on its way, with the products sold from it.
#[utoipa::path(get, path = "/trace/{code}", operation_id = "traceBatch",
    params(("code" = String, Path, description = "The batch code printed on the pack (`GH-TEA-000001`; any case)")),
    responses(
        (status = 200, description = "The batch's provenance", body = super::responses::TraceReportEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn show(State(state): State<AppState>, Path(code): Path<String>) -> Result<Response, AppError> {
    Ok(ok(app::trace::service::trace(&state.pool, state.store_tenant, &code).await?))
}
