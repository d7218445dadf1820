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

pub fn routes() -> Routes {
    Routes::new().get("/trace/{code}", Public, show)
}

async fn show(State(state): State<AppState>, Path(code): Path<String>) -> Result<Response, AppError> {
    Ok(ok(app::trace::service::trace(&state.pool, state.store_tenant, &code).await?))
}
