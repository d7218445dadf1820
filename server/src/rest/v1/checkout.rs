//! `POST /api/v1/checkout` (the cart becomes an order holding its stock) and
//! `GET /api/v1/checkout/slots` (delivery windows open now).

use super::routes::Routes;
use super::{ApiJson, Authenticated};
use app::domain::delivery_slot::{self, Slot};
use app::domain::permissions::Access::{Public, SignedIn};
use app::envelope::ok;
use app::error::AppError;
use app::orders::model::{CheckoutInput, CheckoutRequest};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub fn routes() -> Routes {
    Routes::new().get("/checkout/slots", Public, slots).post("/checkout", SignedIn, place)
}

async fn slots() -> Response {
    let slots: Vec<serde_json::Value> = delivery_slot::open_slots(chrono::Utc::now())
        .iter()
        .map(|s: &Slot| serde_json::json!({ "key": s.key(), "label": s.label(), "startsAt": s.starts_at, "endsAt": s.ends_at }))
        .collect();
    ok(slots)
}

async fn place(State(state): State<AppState>, Authenticated(claims): Authenticated, ApiJson(input): ApiJson<CheckoutInput>) -> Result<Response, AppError> {
    let request = CheckoutRequest::parse(&input, chrono::Utc::now())?;
    let placed = app::orders::checkout_service::place_order(&state.pool, state.store_tenant, claims.sub, None, &request, &state.checkout_settings()).await?;
    let mut response = ok(placed).into_response();
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}
