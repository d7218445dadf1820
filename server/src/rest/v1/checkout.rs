//! `POST /api/v1/checkout` (the cart becomes an order holding its stock) and
//! `GET /api/v1/checkout/slots` (delivery windows open now).

use super::extract::{ApiJson, Authenticated};
use super::routes::Routes;
use app::domain::delivery_slot::{self, Slot};
use app::domain::permissions::Access::{Public, SignedIn};
use app::envelope::ok;
use app::error::AppError;
use app::orders::model::{CheckoutInput, CheckoutRequest};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(utoipa::OpenApi)]
#[openapi(paths(slots, place))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new().get("/checkout/slots", Public, slots).post("/checkout", SignedIn, place)
}

/// A delivery window a checkout can choose.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliverySlot {
    /// What `slot` of `POST /checkout` takes: the start, RFC 3339.
    key: String,
    /// In store time (IST): `Thu 27 Nov, 7–10 am`.
    label: String,
    starts_at: chrono::DateTime<chrono::Utc>,
    ends_at: chrono::DateTime<chrono::Utc>,
}

super::responses::envelope! {
    DeliverySlotsEnvelope(Vec<DeliverySlot>);
}

impl From<&Slot> for DeliverySlot {
    fn from(s: &Slot) -> DeliverySlot {
        DeliverySlot { key: s.key(), label: s.label(), starts_at: s.starts_at, ends_at: s.ends_at }
    }
}

/// The delivery windows open now, earliest first.
#[utoipa::path(get, path = "/checkout/slots", operation_id = "listDeliverySlots",
    responses((status = 200, description = "The open delivery slots", body = DeliverySlotsEnvelope)))]
async fn slots(State(state): State<AppState>) -> Result<Response, AppError> {
    let store = app::orders::settings_service::load(&state.pool, state.store_tenant).await?;
    let slots: Vec<DeliverySlot> =
        delivery_slot::open_slots(chrono::Utc::now(), &store.slots).iter().map(DeliverySlot::from).collect();
    Ok(ok(slots))
}

/// Turn the signed-in person's cart into an order waiting for payment: prices are
/// checked again and the stock is held until `reservedUntil`. Pay it with
/// `POST /orders/{id}/payment` (mobile SDKs) or in a browser at `paymentUrl`.
#[utoipa::path(post, path = "/checkout", operation_id = "placeOrder",
    request_body = app::orders::model::CheckoutInput,
    responses(
        (status = 201, description = "The order, waiting for payment", body = super::responses::PlacedOrderEnvelope),
        (status = 409, response = super::responses::CartChanged),
    ))]
async fn place(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ApiJson(input): ApiJson<CheckoutInput>,
) -> Result<Response, AppError> {
    let store = app::orders::settings_service::load(&state.pool, state.store_tenant).await?;
    let request = CheckoutRequest::parse(&input, chrono::Utc::now(), &store.slots)?;
    let placed = app::orders::checkout_service::place_order(
        &state.pool,
        state.store_tenant,
        claims.sub,
        None,
        &request,
        &state.checkout_settings(&store),
    )
    .await?;
    if input.save_address.trim() == "true" {
        app::orders::address_service::remember(&state.pool, state.store_tenant, claims.sub, &request.address).await?;
    }
    let mut response = ok(placed).into_response();
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}
