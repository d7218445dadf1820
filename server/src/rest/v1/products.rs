//! `GET /api/v1/products` and `GET /api/v1/products/{id}`.

use super::extract::{parse_id, parse_query};
use super::routes::Routes;
use app::domain::permissions::Access::Public;
use app::envelope::{ok, ok_page};
use app::error::AppError;
use app::state::AppState;
use app::store::catalog::{ProductQuery, ProductQueryParams};
use app::store::service::{self, ProductKey};
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;

#[derive(utoipa::OpenApi)]
#[openapi(paths(list, show))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new().get("/products", Public, list).get("/products/{id}", Public, show)
}

/// The catalogue, alphabetical, or by relevance to `q`.
#[utoipa::path(get, path = "/products", operation_id = "listProducts",
    params(app::store::catalog::ProductQueryParams),
    responses((status = 200, description = "A page of products", body = super::responses::ProductCardPage)))]
async fn list(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    let params: ProductQueryParams = parse_query(raw.as_deref())?;
    let query = ProductQuery::parse(&params)?;
    Ok(ok_page(service::list_products(&state.pool, &state.catalog, state.store_tenant, &query).await?))
}

/// One product with its farm and every pack size.
#[utoipa::path(get, path = "/products/{id}", operation_id = "getProduct",
    params(("id" = uuid::Uuid, Path, description = "The product's id")),
    responses(
        (status = 200, description = "The product", body = super::responses::ProductDetailEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    Ok(ok(state.catalog.product(&state.pool, state.store_tenant, ProductKey::Id(id)).await?))
}
