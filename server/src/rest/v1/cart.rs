//! `/api/v1/cart`: the signed-in person's cart (mobile clients sign in first; guests'
//! carts live in the browser's cookie).

use super::routes::Routes;
use super::{ApiJson, Authenticated};
use app::domain::permissions::Access::SignedIn;
use app::envelope::ok;
use app::error::AppError;
use app::orders::cart_service::{self, CartOwner};
use app::orders::model::{CartChange, CartLineInput};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

pub fn routes() -> Routes {
    Routes::new()
        .get("/cart", SignedIn, show)
        .post("/cart/items", SignedIn, add)
        .put("/cart/items/{variantId}", SignedIn, set)
        .delete("/cart/items/{variantId}", SignedIn, remove)
}

fn owner(user: uuid::Uuid) -> CartOwner {
    CartOwner::Person { user, guest_cart: None }
}

async fn show(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    let (_, view) = cart_service::view(&state.pool, state.store_tenant, owner(claims.sub), &Default::default()).await?;
    Ok(ok(view))
}

/// Quantities travel as strings or numbers; both are parsed strictly.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LineBody {
    variant_id: Option<String>,
    quantity: serde_json::Value,
}

fn quantity_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

async fn add(State(state): State<AppState>, Authenticated(claims): Authenticated, ApiJson(body): ApiJson<LineBody>) -> Result<Response, AppError> {
    let change = CartChange::parse(&CartLineInput { variant_id: body.variant_id.unwrap_or_default(), quantity: quantity_text(&body.quantity) }, false)?;
    let (_, view) = cart_service::change(&state.pool, state.store_tenant, owner(claims.sub), change, true, &Default::default()).await?;
    Ok(ok(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuantityBody {
    quantity: serde_json::Value,
}

async fn set(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(variant): Path<String>,
    ApiJson(body): ApiJson<QuantityBody>,
) -> Result<Response, AppError> {
    let change = CartChange::parse(&CartLineInput { variant_id: variant, quantity: quantity_text(&body.quantity) }, true)?;
    let (_, view) = cart_service::change(&state.pool, state.store_tenant, owner(claims.sub), change, false, &Default::default()).await?;
    Ok(ok(view))
}

async fn remove(State(state): State<AppState>, Authenticated(claims): Authenticated, Path(variant): Path<String>) -> Result<Response, AppError> {
    let change = CartChange::parse(&CartLineInput { variant_id: variant, quantity: "0".into() }, true)?;
    let (_, view) = cart_service::change(&state.pool, state.store_tenant, owner(claims.sub), change, false, &Default::default()).await?;
    Ok(ok(view))
}
