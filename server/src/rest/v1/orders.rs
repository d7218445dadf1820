//! `/api/v1/orders`: a customer's orders (staff of the store see every order), one
//! order, its history, actions on it, and starting its payment.

use super::routes::Routes;
use super::{ApiJson, Authenticated, keyset_page, parse_id, parse_query};
use app::domain::order_state::OrderState;
use app::domain::permissions::Access::SignedIn;
use app::envelope::ok;
use app::error::AppError;
use app::orders::api::door;
use app::orders::order_service;
use app::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde::Deserialize;

pub fn routes() -> Routes {
    Routes::new()
        .get("/orders", SignedIn, list)
        .get("/orders/{id}", SignedIn, show)
        .get("/orders/{id}/events", SignedIn, events)
        .post("/orders/{id}/actions", SignedIn, act)
        .post("/orders/{id}/payment", SignedIn, crate::payments::pay::for_mobile)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    state: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
    /// `all` (store staff only): every customer's orders.
    scope: Option<String>,
}

async fn list(State(state): State<AppState>, Authenticated(claims): Authenticated, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    let q: ListQuery = parse_query(raw.as_deref())?;
    let limit = match q.limit.as_deref() {
        None | Some("") => 20,
        Some(l) => l.parse::<i64>().ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| AppError::validation("limit", "must be a whole number from 1 to 100"))?,
    };
    let filter = match q.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse::<OrderState>().map_err(|e| AppError::validation("state", e))?),
    };
    let customer = match q.scope.as_deref() {
        None | Some("") | Some("mine") => Some(claims.sub),
        Some("all") if door::fulfils(&state, &claims) => None,
        Some("all") => return Err(AppError::Forbidden),
        Some(_) => return Err(AppError::validation("scope", "must be mine or all")),
    };
    let before = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => {
            let (at, id) = c.split_once('_').ok_or_else(|| AppError::validation("cursor", "is not a cursor from this list"))?;
            let at = chrono::DateTime::parse_from_rfc3339(at).map_err(|_| AppError::validation("cursor", "is not a cursor from this list"))?;
            Some((at.with_timezone(&chrono::Utc), parse_id(id, "cursor")?))
        }
    };
    let rows = order_service::list(&state.pool, state.store_tenant, customer, filter, before, limit + 1).await?;
    Ok(keyset_page(rows, limit, |o| format!("{}_{}", o.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true), o.id)))
}

fn scope(state: &AppState, claims: &app::account::tokens::Claims) -> Option<uuid::Uuid> {
    if door::fulfils(state, claims) { None } else { Some(claims.sub) }
}

async fn show(State(state): State<AppState>, Authenticated(claims): Authenticated, Path(id): Path<String>) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let detail = order_service::detail(&state.pool, state.store_tenant, id, scope(&state, &claims)).await?;
    let payment_url = detail.payment_url();
    let mut value = serde_json::to_value(&detail).map_err(|e| AppError::internal("order", e))?;
    value["paymentUrl"] = serde_json::json!(payment_url);
    Ok(ok(value))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    after: Option<String>,
}

async fn events(State(state): State<AppState>, Authenticated(claims): Authenticated, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let q: EventsQuery = parse_query(raw.as_deref())?;
    let after = match q.after.as_deref().filter(|a| !a.is_empty()) {
        None => 0,
        Some(a) => a.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| AppError::validation("after", "must be an event sequence number"))?,
    };
    Ok(ok(order_service::events(&state.pool, state.store_tenant, id, scope(&state, &claims), after).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ActionBody {
    action: String,
    reason: Option<String>,
    amount: Option<String>,
}

async fn act(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ActionBody>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let cmd = app::orders::api::parse_command(&body.action, body.reason, body.amount.as_deref())?;
    let acting = door::acting(&state, &claims, cmd.action)?;
    let to = order_service::act(&state.pool, state.store_tenant, id, acting, &cmd).await?;
    Ok(ok(serde_json::json!({ "orderId": id, "state": to })))
}
