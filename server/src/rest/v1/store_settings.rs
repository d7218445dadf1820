//! `/api/v1/store-settings` and `/api/v1/coupons`: what the store charges for
//! delivery, when it delivers, and its coupons. The store's own admins only.

use super::extract::{ApiJson, Authenticated};
use super::responses::envelope;
use super::routes::Routes;
use app::account::tokens::Claims;
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::StoreSettingsManage;
use app::domain::pricing::{Coupon, CouponInput};
use app::envelope::ok;
use app::error::AppError;
use app::orders::settings_model::{CouponWithUses, StoreSettings, StoreSettingsInput};
use app::orders::settings_service;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(utoipa::OpenApi)]
#[openapi(paths(show, replace, coupons, create_coupon, replace_coupon))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/store-settings", Requires(StoreSettingsManage), show)
        .put("/store-settings", Requires(StoreSettingsManage), replace)
        .get("/coupons", Requires(StoreSettingsManage), coupons)
        .post("/coupons", Requires(StoreSettingsManage), create_coupon)
        .put("/coupons/{code}", Requires(StoreSettingsManage), replace_coupon)
}

envelope! {
    StoreSettingsEnvelope(StoreSettings);
    CouponsEnvelope(Vec<CouponWithUses>);
    CouponEnvelope(Coupon);
}

/// An admin of another tenant (an estate, a market) has no store to set.
pub(super) fn of_the_store(state: &AppState, claims: &Claims) -> Result<(), AppError> {
    if state.in_store(claims) { Ok(()) } else { Err(AppError::Forbidden) }
}

/// The delivery fee, free-delivery threshold, delivery windows, cut-off and days ahead.
#[utoipa::path(get, path = "/store-settings", operation_id = "getStoreSettings",
    responses(
        (status = 200, description = "The store's delivery settings", body = StoreSettingsEnvelope),
        (status = 403, response = super::responses::Forbidden),
    ))]
async fn show(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    Ok(ok(settings_service::load(&state.pool, state.store_tenant).await?))
}

/// Replace the delivery settings. Each field is checked; a bad one is named in
/// `error.fields` and nothing changes.
#[utoipa::path(put, path = "/store-settings", operation_id = "replaceStoreSettings",
    request_body = StoreSettingsInput,
    responses(
        (status = 200, description = "The settings now in force", body = StoreSettingsEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 403, response = super::responses::Forbidden),
    ))]
async fn replace(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ApiJson(body): ApiJson<StoreSettingsInput>,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    let settings = body.parse()?;
    Ok(ok(settings_service::save(&state.pool, state.store_tenant, claims.sub, &settings).await?))
}

/// The store's coupons with how often each has been used (orders not cancelled).
#[utoipa::path(get, path = "/coupons", operation_id = "listCoupons",
    responses(
        (status = 200, description = "The coupons", body = CouponsEnvelope),
        (status = 403, response = super::responses::Forbidden),
    ))]
async fn coupons(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    Ok(ok(settings_service::coupons(&state.pool, state.store_tenant).await?))
}

/// A new coupon. Its code is upper-cased; a code already used is refused on `code`.
#[utoipa::path(post, path = "/coupons", operation_id = "createCoupon",
    request_body = CouponInput,
    responses(
        (status = 201, description = "The coupon", body = CouponEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 403, response = super::responses::Forbidden),
    ))]
async fn create_coupon(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ApiJson(body): ApiJson<CouponInput>,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    let coupon = Coupon::parse(&body).map_err(|fields| AppError::Validation { fields })?;
    let saved = settings_service::save_coupon(&state.pool, state.store_tenant, claims.sub, &coupon, true).await?;
    Ok((StatusCode::CREATED, ok(saved)).into_response())
}

/// Replace the coupon with this code (the body's `code` must match or be empty).
#[utoipa::path(put, path = "/coupons/{code}", operation_id = "replaceCoupon",
    params(("code" = String, Path, description = "The coupon's code (any case)")),
    request_body = CouponInput,
    responses(
        (status = 200, description = "The coupon", body = CouponEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn replace_coupon(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(code): Path<String>,
    ApiJson(mut body): ApiJson<CouponInput>,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    if body.code.trim().is_empty() {
        body.code = code.clone();
    } else if !body.code.trim().eq_ignore_ascii_case(code.trim()) {
        return Err(AppError::validation("code", "must be the code in the address (a code cannot be renamed)"));
    }
    let coupon = Coupon::parse(&body).map_err(|fields| AppError::Validation { fields })?;
    Ok(ok(settings_service::save_coupon(&state.pool, state.store_tenant, claims.sub, &coupon, false).await?))
}
