//! `/api/v1/orders`: a customer's orders (staff of the store see every order), one
//! order, its history, actions on it, and starting its payment.

use super::extract::{ApiJson, Authenticated, parse_id, parse_limit, parse_query, parse_time_cursor};
use super::responses::keyset_page;
use super::routes::Routes;
use app::domain::order_state::OrderState;
use app::domain::permissions::Access::SignedIn;
use app::envelope::ok;
use app::error::AppError;
use app::orders::api::door;
use app::orders::model::{OrderDetail, OrderFilter, OrderFilterInput};
use app::orders::{action_service, order_queries};
use app::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};

#[derive(utoipa::OpenApi)]
#[openapi(paths(list, show, events, act, crate::payments::pay::for_mobile))]
pub struct Api;

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
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
    /// `all` (store staff only): every customer's orders.
    scope: Option<String>,
}

/// The caller's orders, newest first (`scope=all`: every customer's, for the store's staff).
#[utoipa::path(get, path = "/orders", operation_id = "listOrders",
    params(
        ("state" = Option<app::domain::order_state::OrderState>, Query, description = "Only orders in this state"),
        ("from" = Option<chrono::NaiveDate>, Query, description = "Placed on or after this day (store time, Asia/Kolkata)"),
        ("to" = Option<chrono::NaiveDate>, Query, description = "Placed on or before this day (store time)"),
        ("q" = Option<String>, Query, description = "An order number (`1042` or `#1042`) or the delivery phone number"),
        ("scope" = Option<String>, Query, description = "`mine` (the default) or `all` (every customer's orders: the store's staff only, others get 403)"),
        ("cursor" = Option<String>, Query, description = "`pagination.nextCursor` of the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Default 20"),
    ),
    responses(
        (status = 200, description = "A page of orders", body = super::responses::OrderSummaryPage),
        (status = 403, response = super::responses::Forbidden),
    ))]
async fn list(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: ListQuery = parse_query(raw.as_deref())?;
    let limit = parse_limit(q.limit.as_deref(), 20, 100)?;
    let mut filter = OrderFilter::parse(&OrderFilterInput {
        state: q.state.unwrap_or_default(),
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        q: q.q.unwrap_or_default(),
    })?;
    filter.customer = match q.scope.as_deref() {
        None | Some("") | Some("mine") => Some(claims.sub),
        Some("all") if door::fulfils(&state, &claims) => None,
        Some("all") => return Err(AppError::Forbidden),
        Some(_) => return Err(AppError::validation("scope", "must be mine or all")),
    };
    let before = parse_time_cursor(q.cursor.as_deref())?;
    let rows = order_queries::list(&state.pool, state.store_tenant, &filter, before, limit + 1).await?;
    Ok(keyset_page(rows, limit, |o| app::time_cursor::encode(o.created_at, o.id)))
}

fn scope(state: &AppState, claims: &app::account::tokens::Claims) -> Option<uuid::Uuid> {
    if door::fulfils(state, claims) { None } else { Some(claims.sub) }
}

/// One order with where to pay it while it waits for payment.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderWithPayment {
    #[serde(flatten)]
    detail: OrderDetail,
    /// The page that starts payment in a browser; `null` unless the order is `pending_payment`.
    payment_url: Option<String>,
}

super::responses::envelope! {
    OrderEnvelope(OrderWithPayment);
}

/// The order's state after an action.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderMoved {
    order_id: uuid::Uuid,
    state: OrderState,
}

super::responses::envelope! {
    OrderMovedEnvelope(OrderMoved);
}

const ORDER_ID: &str = "The order's id";

/// One order: lines, amounts, address, slot, history and refunds. Customers see their
/// own orders; the store's staff see every order.
#[utoipa::path(get, path = "/orders/{id}", operation_id = "getOrder",
    params(("id" = uuid::Uuid, Path, description = ORDER_ID)),
    responses(
        (status = 200, description = "The order", body = OrderEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn show(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let detail = order_queries::detail(&state.pool, state.store_tenant, id, scope(&state, &claims)).await?;
    let payment_url = detail.payment_url();
    Ok(ok(OrderWithPayment { detail, payment_url }))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    after: Option<String>,
}

/// The order's history, oldest first, after event `after` (for polling).
#[utoipa::path(get, path = "/orders/{id}/events", operation_id = "listOrderEvents",
    params(
        ("id" = uuid::Uuid, Path, description = ORDER_ID),
        ("after" = Option<i64>, Query, minimum = 0, description = "Only events with a greater `seq` (default 0: all)"),
    ),
    responses(
        (status = 200, description = "The events", body = super::responses::OrderEventsEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn events(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let q: EventsQuery = parse_query(raw.as_deref())?;
    let after = match q.after.as_deref().filter(|a| !a.is_empty()) {
        None => 0,
        Some(a) => a
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| AppError::validation("after", "must be an event sequence number"))?,
    };
    Ok(ok(order_queries::events(&state.pool, state.store_tenant, id, scope(&state, &claims), after).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionBody {
    /// `cancel` and `request_refund` are the customer's (an admin may cancel too); `pack`,
    /// `ship`, `send_out_for_delivery` and `deliver` need a store role; `approve_refund`
    /// and `reject_refund` need a role that approves refunds.
    #[schema(schema_with = action_schema)]
    action: String,
    /// Why (up to 500 characters): shown in the order's history.
    reason: Option<String>,
    /// `approve_refund`: how much to refund (default: what the waiting request's lines
    /// are worth, or else all that is left of what was paid). Any number of part
    /// refunds may follow one another; together they never pass what was paid.
    #[schema(value_type = Option<app::domain::money::Money>)]
    amount: Option<String>,
    /// `request_refund`: the lines to return (`lineNo` as in the order's `lines`, from
    /// 1) and how many of each; omitted, every item not yet asked for.
    #[serde(default)]
    lines: Vec<app::domain::refund::AskedLine>,
}

fn action_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some([
            "pack",
            "ship",
            "send_out_for_delivery",
            "deliver",
            "cancel",
            "request_refund",
            "approve_refund",
            "reject_refund",
        ]))
        .build()
}

/// Move the order along its lifecycle (`pending_payment → paid → packed → shipped →
/// out_for_delivery → delivered`; `cancelled` before packing; after delivery
/// `refund_requested`, then back to `delivered` after a part refund or a refusal, and
/// `refunded` once everything paid has gone back).
#[utoipa::path(post, path = "/orders/{id}/actions", operation_id = "actOnOrder",
    params(("id" = uuid::Uuid, Path, description = ORDER_ID)),
    request_body = ActionBody,
    responses(
        (status = 200, description = "The order's new state", body = OrderMovedEnvelope),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
        (status = 409, description = "`CONFLICT`: the order's state does not allow the action (or there is no captured payment to refund); \
            or `REQUEST_IN_PROGRESS` while a request with the same `Idempotency-Key` runs", body = app::envelope::ErrorEnvelope),
    ))]
async fn act(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ActionBody>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let cmd = app::orders::api::parse_command(&body.action, body.reason, body.amount.as_deref(), body.lines)?;
    let acting = door::acting(&state, &claims, cmd.action)?;
    let to = action_service::act(&state.pool, state.store_tenant, id, acting, &cmd).await?;
    Ok(ok(OrderMoved { order_id: id, state: to }))
}
