//! `GET /api/v1/categories`: the storefront's shelves with their product counts.

use app::envelope::ok;
use app::error::AppError;
use app::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/categories", get(list))
}

async fn list(State(state): State<AppState>) -> Result<Response, AppError> {
    Ok(ok(state.catalog.categories(&state.pool, state.store_tenant).await?))
}
