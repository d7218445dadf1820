//! `/api/v1/me/addresses`: the signed-in shopper's address book.

use super::extract::{ApiJson, Authenticated, parse_id};
use super::responses::envelope;
use super::routes::Routes;
use app::domain::permissions::Access::SignedIn;
use app::envelope::ok;
use app::error::AppError;
use app::orders::address_service;
use app::orders::model::{Address, AddressInput, SavedAddress};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, replace, remove))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/me/addresses", SignedIn, list)
        .post("/me/addresses", SignedIn, create)
        .put("/me/addresses/{id}", SignedIn, replace)
        .delete("/me/addresses/{id}", SignedIn, remove)
}

envelope! {
    SavedAddressEnvelope(SavedAddress);
    SavedAddressesEnvelope(Vec<SavedAddress>);
}

/// An address, and whether it becomes the default.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddressBody {
    #[serde(flatten)]
    address: AddressInput,
    /// Make it the default (the first address is the default anyway).
    #[serde(default)]
    make_default: bool,
}

/// The shopper's addresses, the default first.
#[utoipa::path(get, path = "/me/addresses", operation_id = "listMyAddresses",
    responses((status = 200, description = "The address book", body = SavedAddressesEnvelope)))]
async fn list(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    Ok(ok(address_service::list(&state.pool, state.store_tenant, claims.sub).await?))
}

/// Add an address. The state must be one of India's; the PIN code one of the state's.
#[utoipa::path(post, path = "/me/addresses", operation_id = "addMyAddress",
    request_body = AddressBody,
    responses(
        (status = 201, description = "The address kept", body = SavedAddressEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
    ))]
async fn create(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ApiJson(body): ApiJson<AddressBody>,
) -> Result<Response, AppError> {
    let address = Address::parse(&body.address)?;
    let saved =
        address_service::save(&state.pool, state.store_tenant, claims.sub, None, &address, body.make_default).await?;
    Ok((StatusCode::CREATED, ok(saved)).into_response())
}

/// Change an address (or make it the default).
#[utoipa::path(put, path = "/me/addresses/{id}", operation_id = "replaceMyAddress",
    params(("id" = uuid::Uuid, Path, description = "The address's id")),
    request_body = AddressBody,
    responses(
        (status = 200, description = "The address now", body = SavedAddressEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn replace(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AddressBody>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let address = Address::parse(&body.address)?;
    Ok(ok(address_service::save(&state.pool, state.store_tenant, claims.sub, Some(id), &address, body.make_default)
        .await?))
}

/// Remove an address; if it was the default, the newest left becomes the default.
#[utoipa::path(delete, path = "/me/addresses/{id}", operation_id = "removeMyAddress",
    params(("id" = uuid::Uuid, Path, description = "The address's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn remove(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    address_service::remove(&state.pool, state.store_tenant, claims.sub, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
