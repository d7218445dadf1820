//! `/api/v1/cart`: the signed-in person's cart (mobile clients sign in first; guests'
//! carts live in the browser's cookie).

use super::extract::{ApiJson, Authenticated};
use super::routes::Routes;
use app::domain::permissions::Access::SignedIn;
use app::envelope::ok;
use app::error::AppError;
use app::orders::cart_service::{self, CartOwner};
use app::orders::model::{CartChange, CartLineInput};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(utoipa::OpenApi)]
#[openapi(paths(show, add, set, remove))]
pub struct Api;

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

/// The signed-in person's cart, priced today (a guest cart from the browser is folded
/// in when they sign in there).
#[utoipa::path(get, path = "/cart", operation_id = "getCart",
    responses((status = 200, description = "The cart; `quote` is `null` when it is empty", body = super::responses::CartEnvelope)))]
async fn show(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    let (_, view) = cart_service::view(&state.pool, state.store_tenant, owner(claims.sub)).await?;
    Ok(ok(view))
}

/// Quantities travel as strings or numbers; both are parsed strictly.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LineBody {
    /// A pack size's id (`variants[].id` of a product).
    #[schema(value_type = uuid::Uuid, required = true)]
    variant_id: Option<String>,
    /// Packs to add: 1 to 99 in all on the line.
    #[schema(schema_with = packs_to_add)]
    quantity: serde_json::Value,
}

/// A whole number of packs, as a JSON integer or a string of digits.
fn packs(minimum: u32) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    let max = app::orders::model::MAX_LINE_QUANTITY;
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(minimum)).maximum(Some(max)))
        .item(ObjectBuilder::new().schema_type(Type::String).pattern(Some("^[0-9]{1,2}$")))
        .examples([serde_json::json!(2)])
        .build()
        .into()
}

fn packs_to_add() -> utoipa::openapi::schema::Schema {
    packs(1)
}

fn packs_to_set() -> utoipa::openapi::schema::Schema {
    packs(0)
}

fn quantity_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// Add packs of one pack size (to its line, if the cart has one).
#[utoipa::path(post, path = "/cart/items", operation_id = "addToCart",
    request_body = LineBody,
    responses((status = 200, description = "The cart after the change", body = super::responses::CartEnvelope)))]
async fn add(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ApiJson(body): ApiJson<LineBody>,
) -> Result<Response, AppError> {
    let change = CartChange::parse(
        &CartLineInput { variant_id: body.variant_id.unwrap_or_default(), quantity: quantity_text(&body.quantity) },
        false,
    )?;
    let (_, view) = cart_service::change(&state.pool, state.store_tenant, owner(claims.sub), change, true).await?;
    Ok(ok(view))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuantityBody {
    /// The line's new number of packs, 0 to 99; 0 removes it.
    #[schema(schema_with = packs_to_set)]
    quantity: serde_json::Value,
}

/// Set a line's number of packs (0 removes it).
#[utoipa::path(put, path = "/cart/items/{variantId}", operation_id = "setCartItem",
    params(("variantId" = uuid::Uuid, Path, description = "The pack size's id")),
    request_body = QuantityBody,
    responses((status = 200, description = "The cart after the change", body = super::responses::CartEnvelope)))]
async fn set(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(variant): Path<String>,
    ApiJson(body): ApiJson<QuantityBody>,
) -> Result<Response, AppError> {
    let change =
        CartChange::parse(&CartLineInput { variant_id: variant, quantity: quantity_text(&body.quantity) }, true)?;
    let (_, view) = cart_service::change(&state.pool, state.store_tenant, owner(claims.sub), change, false).await?;
    Ok(ok(view))
}

/// Remove a line (removing one that is not there changes nothing).
#[utoipa::path(delete, path = "/cart/items/{variantId}", operation_id = "removeCartItem",
    params(("variantId" = uuid::Uuid, Path, description = "The pack size's id")),
    responses((status = 200, description = "The cart after the change", body = super::responses::CartEnvelope)))]
async fn remove(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(variant): Path<String>,
) -> Result<Response, AppError> {
    let change = CartChange::parse(&CartLineInput { variant_id: variant, quantity: "0".into() }, true)?;
    let (_, view) = cart_service::change(&state.pool, state.store_tenant, owner(claims.sub), change, false).await?;
    Ok(ok(view))
}
