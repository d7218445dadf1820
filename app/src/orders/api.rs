//! Server functions of the cart, checkout and orders: parse, find who is asking, call
//! the service. The REST door (`server/src/rest/v1/{cart,checkout,orders}.rs`) calls
//! the same services.

use super::model::*;
use crate::domain::delivery_slot::Slot;
use crate::domain::order_state::OrderState;
use crate::domain::permissions::Access;
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use uuid::Uuid;

pub const ACCESS: &[(&str, Access)] = &[
    ("/_fn/cart/view", Access::Public),
    ("/_fn/cart/change", Access::Public),
    ("/_fn/cart/count", Access::Public),
    ("/_fn/checkout/options", Access::SignedIn),
    ("/_fn/checkout/place", Access::SignedIn),
    ("/_fn/orders/mine", Access::SignedIn),
    ("/_fn/addresses/mine", Access::SignedIn),
    ("/_fn/addresses/save", Access::SignedIn),
    ("/_fn/addresses/remove", Access::SignedIn),
    ("/_fn/orders/detail", Access::SignedIn),
    ("/_fn/orders/events", Access::SignedIn),
    ("/_fn/orders/act", Access::SignedIn),
    ("/_fn/orders/all", Access::Requires(crate::domain::permissions::Action::OrdersFulfil)),
    ("/_fn/orders/bulk", Access::Requires(crate::domain::permissions::Action::OrdersFulfil)),
];

#[cfg(feature = "ssr")]
pub mod door {
    //! Who is asking, in the terms the order services take.
    use super::super::action_service::Acting;
    use super::super::cart_service::CartOwner;
    use crate::account::session::Session;
    use crate::account::tokens::Claims;
    use crate::domain::order_state::{Actor, OrderAction};
    use crate::domain::permissions::{Action, Role, grant_for_roles};
    use crate::error::AppError;
    use crate::state::AppState;
    use uuid::Uuid;

    pub fn guest_cart_cookie() -> Option<Uuid> {
        let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
        crate::account::cookies::read(&parts.headers, crate::account::cookies::CART_COOKIE)
            .and_then(|v| Uuid::parse_str(&v).ok())
    }

    pub fn set_cart_cookie(state: &AppState, id: Option<Uuid>) {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.append_header(
                axum::http::header::SET_COOKIE,
                crate::account::cookies::cart(id, state.config.is_production()),
            );
        }
    }

    pub fn cart_owner(session: Option<&Session>, guest_cart: Option<Uuid>) -> CartOwner {
        match session {
            Some(s) => CartOwner::Person { user: s.claims.sub, guest_cart },
            None => CartOwner::Guest(guest_cart),
        }
    }

    /// Whether the caller works the store's orders (staff, ops, admin of the store tenant).
    pub fn fulfils(state: &AppState, claims: &Claims) -> bool {
        state.in_store(claims) && grant_for_roles(&roles(claims), Action::OrdersFulfil).is_some()
    }

    fn roles(claims: &Claims) -> Vec<Role> {
        claims.roles.iter().filter_map(|r| r.parse().ok()).collect()
    }

    /// The actor for `action`: fulfilment steps need a store role, refund decisions an
    /// admin; cancelling is the customer's unless an admin does it; asking for a
    /// refund is always the customer's.
    pub fn acting(state: &AppState, claims: &Claims, action: OrderAction) -> Result<Acting, AppError> {
        let in_store = state.in_store(claims);
        let roles = roles(claims);
        let is_admin = in_store && roles.contains(&Role::Admin);
        let actor = match action {
            OrderAction::Pack | OrderAction::Ship | OrderAction::SendOutForDelivery | OrderAction::Deliver => {
                if !fulfils(state, claims) {
                    return Err(AppError::Forbidden);
                }
                if is_admin { Actor::Admin } else { Actor::Staff }
            }
            OrderAction::ApproveRefund | OrderAction::RejectRefund => {
                if !(in_store && grant_for_roles(&roles, Action::RefundsApprove).is_some()) {
                    return Err(AppError::Forbidden);
                }
                Actor::Admin
            }
            OrderAction::Cancel if is_admin => Actor::Admin,
            OrderAction::Cancel | OrderAction::RequestRefund => Actor::Customer,
            OrderAction::ConfirmPayment => return Err(AppError::Forbidden),
        };
        Ok(Acting { actor, user: claims.sub })
    }
}

#[server(prefix = "/_fn", endpoint = "cart/view")]
pub async fn load_cart() -> Result<CartView, AppError> {
    let state = crate::state::app_state()?;
    let session = crate::account::session::current();
    let guest = door::guest_cart_cookie();
    let owner = door::cart_owner(session.as_ref(), guest);
    let (cart, view) = super::cart_service::view(&state.pool, state.store_tenant, owner).await?;
    if session.is_some() && guest.is_some() {
        // Folded into the person's cart: the guest cookie has done its job.
        door::set_cart_cookie(&state, None);
    } else if session.is_none() && cart.is_none() && guest.is_some() {
        door::set_cart_cookie(&state, None);
    }
    Ok(view)
}

/// How many packs the caller's cart holds, for the header.
#[server(prefix = "/_fn", endpoint = "cart/count")]
pub async fn cart_count() -> Result<u32, AppError> {
    let state = crate::state::app_state()?;
    let session = crate::account::session::current();
    let owner = door::cart_owner(session.as_ref(), door::guest_cart_cookie());
    super::cart_service::pack_count(&state.pool, state.store_tenant, owner).await
}

/// `add`: add `quantity` packs; otherwise set the line to `quantity` (0 removes it).
#[server(prefix = "/_fn", endpoint = "cart/change")]
pub async fn update_cart(variant_id: String, quantity: String, add: bool) -> Result<CartView, AppError> {
    let change = CartChange::parse(&CartLineInput { variant_id, quantity }, !add)?;
    let state = crate::state::app_state()?;
    let session = crate::account::session::current();
    let guest = door::guest_cart_cookie();
    let owner = door::cart_owner(session.as_ref(), guest);
    let (cart, view) = super::cart_service::change(&state.pool, state.store_tenant, owner, change, add).await?;
    match (&session, cart) {
        (None, Some(id)) if guest != Some(id) => door::set_cart_cookie(&state, Some(id)),
        (Some(_), _) if guest.is_some() => door::set_cart_cookie(&state, None),
        _ => {}
    }
    Ok(view)
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutOptions {
    pub cart: CartView,
    /// The shopper's address book, the default first.
    pub addresses: Vec<SavedAddress>,
    pub slots: Vec<Slot>,
    pub slot_labels: Vec<String>,
    pub name: String,
    pub phone: String,
}

#[server(prefix = "/_fn", endpoint = "checkout/options")]
pub async fn load_checkout() -> Result<CheckoutOptions, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/checkout/options").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let store = super::settings_service::load(&state.pool, state.store_tenant).await?;
    let guest = door::guest_cart_cookie();
    let (_, cart) =
        super::cart_service::view(&state.pool, state.store_tenant, door::cart_owner(Some(&session), guest)).await?;
    if guest.is_some() {
        door::set_cart_cookie(&state, None);
    }
    let (name, phone): (String, Option<String>) = sqlx::query_as("SELECT display_name, phone FROM users WHERE id = $1")
        .bind(session.claims.sub)
        .fetch_one(&state.pool)
        .await?;
    let slots = crate::domain::delivery_slot::open_slots(chrono::Utc::now(), &store.slots);
    let addresses = super::address_service::list(&state.pool, state.store_tenant, session.claims.sub).await?;
    Ok(CheckoutOptions {
        cart,
        addresses,
        slot_labels: slots.iter().map(Slot::label).collect(),
        slots,
        name,
        phone: phone.unwrap_or_default(),
    })
}

#[server(prefix = "/_fn", endpoint = "checkout/place")]
pub async fn place_order(input: CheckoutInput) -> Result<PlacedOrder, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/checkout/place").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let store = super::settings_service::load(&state.pool, state.store_tenant).await?;
    let request = CheckoutRequest::parse(&input, chrono::Utc::now(), &store.slots)?;
    let guest = door::guest_cart_cookie();
    let placed = super::checkout_service::place_order(
        &state.pool,
        state.store_tenant,
        session.claims.sub,
        guest,
        &request,
        &state.checkout_settings(&store),
    )
    .await?;
    if guest.is_some() {
        door::set_cart_cookie(&state, None);
    }
    if input.save_address.trim() == "true" {
        super::address_service::remember(&state.pool, state.store_tenant, session.claims.sub, &request.address).await?;
    }
    Ok(placed)
}

#[server(prefix = "/_fn", endpoint = "addresses/mine")]
pub async fn my_addresses() -> Result<Vec<SavedAddress>, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/addresses/mine").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    super::address_service::list(&state.pool, state.store_tenant, session.claims.sub).await
}

/// Adds an address (no `id`) or changes one; `make_default` (`true`) makes it the default.
#[server(prefix = "/_fn", endpoint = "addresses/save")]
pub async fn save_address(
    id: Option<String>,
    address: AddressInput,
    make_default: Option<String>,
) -> Result<SavedAddress, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/addresses/save").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let id = match id.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
        None => None,
        Some(i) => Some(Uuid::parse_str(i).map_err(|_| AppError::not_found("Address"))?),
    };
    let parsed = Address::parse(&address)?;
    let make_default = make_default.as_deref() == Some("true");
    super::address_service::save(&state.pool, state.store_tenant, session.claims.sub, id, &parsed, make_default).await
}

#[server(prefix = "/_fn", endpoint = "addresses/remove")]
pub async fn remove_address(id: String) -> Result<(), AppError> {
    let session = crate::access::check(ACCESS, "/_fn/addresses/remove").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::not_found("Address"))?;
    super::address_service::remove(&state.pool, state.store_tenant, session.claims.sub, id).await
}

#[server(prefix = "/_fn", endpoint = "orders/mine")]
pub async fn my_orders() -> Result<Vec<OrderSummary>, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/orders/mine").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let mine = OrderFilter { customer: Some(session.claims.sub), ..Default::default() };
    super::order_queries::list(&state.pool, state.store_tenant, &mine, None, 50).await
}

/// What the person looking at an order may do to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderRights {
    /// Works the store's orders (staff, ops, admin): sees any order, moves it along.
    pub fulfils: bool,
    /// Approves and refuses refunds (admin).
    pub refunds: bool,
}

/// The order, for its customer or for the store's staff.
#[server(prefix = "/_fn", endpoint = "orders/detail")]
pub async fn load_order(id: String) -> Result<(OrderDetail, OrderRights), AppError> {
    let session = crate::access::check(ACCESS, "/_fn/orders/detail").await?.ok_or(AppError::Unauthenticated)?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::not_found("Order"))?;
    let state = crate::state::app_state()?;
    let fulfils = door::fulfils(&state, &session.claims);
    let refunds = door::acting(&state, &session.claims, crate::domain::order_state::OrderAction::ApproveRefund).is_ok();
    let scope = if fulfils { None } else { Some(session.claims.sub) };
    let order = super::order_queries::detail(&state.pool, state.store_tenant, id, scope).await?;
    Ok((order, OrderRights { fulfils, refunds }))
}

#[server(prefix = "/_fn", endpoint = "orders/events")]
pub async fn order_events(id: String, after: i64) -> Result<Vec<OrderEventView>, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/orders/events").await?.ok_or(AppError::Unauthenticated)?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::not_found("Order"))?;
    let state = crate::state::app_state()?;
    let scope = if door::fulfils(&state, &session.claims) { None } else { Some(session.claims.sub) };
    super::order_queries::events(&state.pool, state.store_tenant, id, scope, after.max(0)).await
}

/// `lines`: for `request_refund`, which lines and how many (empty: everything).
#[server(prefix = "/_fn", endpoint = "orders/act", input = leptos::server_fn::codec::Json)]
pub async fn act_on_order(
    id: String,
    action: String,
    reason: Option<String>,
    amount: Option<String>,
    #[server(default)] lines: Vec<crate::domain::refund::AskedLine>,
) -> Result<OrderState, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/orders/act").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::not_found("Order"))?;
    let cmd = parse_command(&action, reason, amount.as_deref(), lines)?;
    let acting = door::acting(&state, &session.claims, cmd.action)?;
    super::action_service::act(&state.pool, state.store_tenant, id, acting, &cmd).await
}

#[cfg(feature = "ssr")]
pub fn parse_command(
    action: &str,
    reason: Option<String>,
    amount: Option<&str>,
    lines: Vec<crate::domain::refund::AskedLine>,
) -> Result<super::action_service::OrderCommand, AppError> {
    let action = super::action_service::parse_action(action.trim()).ok_or_else(|| {
        AppError::validation("action", "must be one of pack, ship, send_out_for_delivery, deliver, cancel, request_refund, approve_refund, reject_refund")
    })?;
    let amount = match amount.map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => {
            Some(crate::domain::money::Money::parse(a).map_err(|e| AppError::validation("amount", e.to_string()))?)
        }
    };
    if lines.len() > 200 {
        return Err(AppError::validation("lines", "at most 200 lines"));
    }
    Ok(super::action_service::OrderCommand { action, reason, amount, lines })
}

/// A page of the store's order queue and the cursor of the next (older) page.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QueuePage {
    pub orders: Vec<OrderSummary>,
    pub next: Option<String>,
}

/// Orders a page of the staff queue shows.
pub const QUEUE_PAGE: i64 = 50;

#[server(prefix = "/_fn", endpoint = "orders/all")]
pub async fn order_queue(filter: OrderFilterInput, cursor: Option<String>) -> Result<QueuePage, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/orders/all").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    if !door::fulfils(&state, &session.claims) {
        return Err(AppError::Forbidden);
    }
    let filter = OrderFilter::parse(&filter)?;
    let before = crate::time_cursor::parse(cursor.as_deref())?;
    let mut orders =
        super::order_queries::list(&state.pool, state.store_tenant, &filter, before, QUEUE_PAGE + 1).await?;
    let next = (orders.len() as i64 > QUEUE_PAGE).then(|| {
        orders.truncate(QUEUE_PAGE as usize);
        orders.last().map(|o| crate::time_cursor::encode(o.created_at, o.id))
    });
    Ok(QueuePage { orders, next: next.flatten() })
}

/// What became of each order of a bulk action: its new state, or why it did not move.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BulkOutcome {
    pub order_id: String,
    pub state: Option<OrderState>,
    pub error: Option<String>,
}

/// Packs or ships several orders at once (at most 100): each moves on its own, so one
/// that cannot (already moved by someone else, say) does not hold the others back.
#[server(prefix = "/_fn", endpoint = "orders/bulk", input = leptos::server_fn::codec::Json)]
pub async fn act_on_orders(ids: Vec<String>, action: String) -> Result<Vec<BulkOutcome>, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/orders/bulk").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let cmd = parse_command(&action, None, None, vec![])?;
    if !matches!(
        cmd.action,
        crate::domain::order_state::OrderAction::Pack | crate::domain::order_state::OrderAction::Ship
    ) {
        return Err(AppError::validation("action", "must be pack or ship"));
    }
    if ids.is_empty() || ids.len() > 100 {
        return Err(AppError::validation("ids", "choose from 1 to 100 orders"));
    }
    let acting = door::acting(&state, &session.claims, cmd.action)?;
    let mut outcomes = Vec::with_capacity(ids.len());
    for raw in ids {
        let outcome = match Uuid::parse_str(raw.trim()) {
            Err(_) => Err(AppError::not_found("Order")),
            Ok(id) => super::action_service::act(&state.pool, state.store_tenant, id, acting, &cmd).await,
        };
        outcomes.push(match outcome {
            Ok(to) => BulkOutcome { order_id: raw, state: Some(to), error: None },
            Err(e) => BulkOutcome { order_id: raw, state: None, error: Some(e.to_string()) },
        });
    }
    Ok(outcomes)
}
