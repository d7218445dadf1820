//! `GET /api/v1/farms` and `GET /api/v1/farms/{id}` (id or slug): the storefront's
//! farms and a farm's profile with its certificates and first products.

use super::routes::Routes;
use app::domain::permissions::Access::Public;
use app::envelope::ok;
use app::error::AppError;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;

#[derive(utoipa::OpenApi)]
#[openapi(paths(list, show))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new().get("/farms", Public, list).get("/farms/{id}", Public, show)
}

/// The store's farms, by name, with their product counts and certificates valid today.
#[utoipa::path(get, path = "/farms", operation_id = "listFarms",
    responses((status = 200, description = "The farms", body = super::responses::FarmsEnvelope)))]
async fn list(State(state): State<AppState>) -> Result<Response, AppError> {
    Ok(ok(state.catalog.farms(&state.pool, state.store_tenant).await?.to_vec()))
}

/// A farm's storefront: its profile, certificates and first page of products.
#[utoipa::path(get, path = "/farms/{id}", operation_id = "getFarm",
    params(("id" = String, Path, description = "The farm's id or slug (`ketti-valley-farms`)")),
    responses(
        (status = 200, description = "The farm", body = super::responses::FarmProfileEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    Ok(ok(app::store::service::farm_profile(&state.pool, &state.catalog, state.store_tenant, &id).await?))
}
