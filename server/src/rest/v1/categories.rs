//! `GET /api/v1/categories`: the storefront's shelves with their product counts.

use super::routes::Routes;
use app::domain::permissions::Access::Public;
use app::envelope::ok;
use app::error::AppError;
use app::state::AppState;
use axum::extract::State;
use axum::response::Response;

#[derive(utoipa::OpenApi)]
#[openapi(paths(list))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new().get("/categories", Public, list)
}

/// Every category with how many products it has.
#[utoipa::path(get, path = "/categories", operation_id = "listCategories",
    responses((status = 200, description = "The categories", body = super::responses::CategoriesEnvelope)))]
async fn list(State(state): State<AppState>) -> Result<Response, AppError> {
    Ok(ok(state.catalog.categories(&state.pool, state.store_tenant).await?.to_vec()))
}
