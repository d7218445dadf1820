//! `GET /api/v1/farms` and `GET /api/v1/farms/{id}` (id or slug): the storefront's
//! farms and a farm's profile with its certificates and first products.

use super::routes::Routes;
use app::domain::permissions::Access::Public;
use app::envelope::ok;
use app::error::AppError;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;

pub fn routes() -> Routes {
    Routes::new().get("/farms", Public, list).get("/farms/{id}", Public, show)
}

async fn list(State(state): State<AppState>) -> Result<Response, AppError> {
    Ok(ok(state.catalog.farms(&state.pool, state.store_tenant).await?))
}

async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    Ok(ok(app::store::service::farm_profile(&state.pool, &state.catalog, state.store_tenant, &id).await?))
}
