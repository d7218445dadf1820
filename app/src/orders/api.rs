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
    ("/_fn/checkout/options", Access::SignedIn),
    ("/_fn/checkout/place", Access::SignedIn),
    ("/_fn/orders/mine", Access::SignedIn),
    ("/_fn/orders/detail", Access::SignedIn),
    ("/_fn/orders/events", Access::SignedIn),
    ("/_fn/orders/act", Access::SignedIn),
    ("/_fn/orders/all", Access::Requires(crate::domain::permissions::Action::OrdersFulfil)),
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
        claims.tenant == state.config.store_tenant.as_str()
            && grant_for_roles(&roles(claims), Action::OrdersFulfil).is_some()
    }

    fn roles(claims: &Claims) -> Vec<Role> {
        claims.roles.iter().filter_map(|r| r.parse().ok()).collect()
    }

    /// The actor for `action`: fulfilment steps need a store role, refund decisions an
    /// admin; cancelling is the customer's unless an admin does it; asking for a
    /// refund is always the customer's.
    pub fn acting(state: &AppState, claims: &Claims, action: OrderAction) -> Result<Acting, AppError> {
        let in_store = claims.tenant == state.config.store_tenant.as_str();
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
    let (cart, view) = super::cart_service::view(&state.pool, state.store_tenant, owner, &Default::default()).await?;
    if session.is_some() && guest.is_some() {
        // Folded into the person's cart: the guest cookie has done its job.
        door::set_cart_cookie(&state, None);
    } else if session.is_none() && cart.is_none() && guest.is_some() {
        door::set_cart_cookie(&state, None);
    }
    Ok(view)
}

/// `add`: add `quantity` packs; otherwise set the line to `quantity` (0 removes it).
#[server(prefix = "/_fn", endpoint = "cart/change")]
pub async fn update_cart(variant_id: String, quantity: String, add: bool) -> Result<CartView, AppError> {
    let change = CartChange::parse(&CartLineInput { variant_id, quantity }, !add)?;
    let state = crate::state::app_state()?;
    let session = crate::account::session::current();
    let guest = door::guest_cart_cookie();
    let owner = door::cart_owner(session.as_ref(), guest);
    let (cart, view) =
        super::cart_service::change(&state.pool, state.store_tenant, owner, change, add, &Default::default()).await?;
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
    pub slots: Vec<Slot>,
    pub slot_labels: Vec<String>,
    pub name: String,
    pub phone: String,
}

#[server(prefix = "/_fn", endpoint = "checkout/options")]
pub async fn load_checkout() -> Result<CheckoutOptions, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/checkout/options").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let guest = door::guest_cart_cookie();
    let (_, cart) = super::cart_service::view(
        &state.pool,
        state.store_tenant,
        door::cart_owner(Some(&session), guest),
        &Default::default(),
    )
    .await?;
    if guest.is_some() {
        door::set_cart_cookie(&state, None);
    }
    let (name, phone): (String, Option<String>) = sqlx::query_as("SELECT display_name, phone FROM users WHERE id = $1")
        .bind(session.claims.sub)
        .fetch_one(&state.pool)
        .await?;
    let slots = crate::domain::delivery_slot::open_slots(chrono::Utc::now());
    Ok(CheckoutOptions {
        cart,
        slot_labels: slots.iter().map(Slot::label).collect(),
        slots,
        name,
        phone: phone.unwrap_or_default(),
    })
}

#[server(prefix = "/_fn", endpoint = "checkout/place")]
pub async fn place_order(input: CheckoutInput) -> Result<PlacedOrder, AppError> {
    let request = CheckoutRequest::parse(&input, chrono::Utc::now())?;
    let session = crate::access::check(ACCESS, "/_fn/checkout/place").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let guest = door::guest_cart_cookie();
    let placed = super::checkout_service::place_order(
        &state.pool,
        state.store_tenant,
        session.claims.sub,
        guest,
        &request,
        &state.checkout_settings(),
    )
    .await?;
    if guest.is_some() {
        door::set_cart_cookie(&state, None);
    }
    Ok(placed)
}

#[server(prefix = "/_fn", endpoint = "orders/mine")]
pub async fn my_orders() -> Result<Vec<OrderSummary>, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/orders/mine").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    super::order_queries::list(&state.pool, state.store_tenant, Some(session.claims.sub), None, None, 50).await
}

/// The order, for its customer or for the store's staff.
#[server(prefix = "/_fn", endpoint = "orders/detail")]
pub async fn load_order(id: String) -> Result<(OrderDetail, bool), AppError> {
    let session = crate::access::check(ACCESS, "/_fn/orders/detail").await?.ok_or(AppError::Unauthenticated)?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::not_found("Order"))?;
    let state = crate::state::app_state()?;
    let staff = door::fulfils(&state, &session.claims);
    let scope = if staff { None } else { Some(session.claims.sub) };
    Ok((super::order_queries::detail(&state.pool, state.store_tenant, id, scope).await?, staff))
}

#[server(prefix = "/_fn", endpoint = "orders/events")]
pub async fn order_events(id: String, after: i64) -> Result<Vec<OrderEventView>, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/orders/events").await?.ok_or(AppError::Unauthenticated)?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::not_found("Order"))?;
    let state = crate::state::app_state()?;
    let scope = if door::fulfils(&state, &session.claims) { None } else { Some(session.claims.sub) };
    super::order_queries::events(&state.pool, state.store_tenant, id, scope, after.max(0)).await
}

#[server(prefix = "/_fn", endpoint = "orders/act")]
pub async fn act_on_order(
    id: String,
    action: String,
    reason: Option<String>,
    amount: Option<String>,
) -> Result<OrderState, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/orders/act").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::not_found("Order"))?;
    let cmd = parse_command(&action, reason, amount.as_deref())?;
    let acting = door::acting(&state, &session.claims, cmd.action)?;
    super::action_service::act(&state.pool, state.store_tenant, id, acting, &cmd).await
}

#[cfg(feature = "ssr")]
pub fn parse_command(
    action: &str,
    reason: Option<String>,
    amount: Option<&str>,
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
    Ok(super::action_service::OrderCommand { action, reason, amount })
}

#[server(prefix = "/_fn", endpoint = "orders/all")]
pub async fn all_orders(state_filter: Option<String>) -> Result<Vec<OrderSummary>, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/orders/all").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    if !door::fulfils(&state, &session.claims) {
        return Err(AppError::Forbidden);
    }
    let filter = match state_filter.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse::<OrderState>().map_err(|e| AppError::validation("state", e))?),
    };
    super::order_queries::list(&state.pool, state.store_tenant, None, filter, None, 100).await
}
