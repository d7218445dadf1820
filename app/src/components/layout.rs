//! The frame around every page: header with search, main, footer.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn Logo() -> impl IntoView {
    view! {
        <a href="/" class="flex items-center gap-2 font-bold text-xl text-emerald-800" aria-label="Mandi home">
            <svg aria-hidden="true" viewBox="0 0 32 32" width="32" height="32" class="shrink-0">
                <circle cx="16" cy="16" r="16" fill="#047857"></circle>
                <path d="M9 21c0-7 5-11 14-12-1 9-5 14-12 14l-2 2" fill="none" stroke="#ecfdf5" stroke-width="2.2" stroke-linecap="round"></path>
                <path d="M11 21c3-3 6-6 9-9" stroke="#ecfdf5" stroke-width="1.6" stroke-linecap="round"></path>
            </svg>
            <span>"Mandi"</span>
        </a>
    }
}

#[component]
pub fn SearchBox() -> impl IntoView {
    let query = use_query_map();
    let current = move || query.read().get("q").unwrap_or_default();
    view! {
        <form action="/search" method="get" role="search" class="flex w-full">
            <label for="site-search" class="sr-only">"Search products"</label>
            <input
                id="site-search"
                type="search"
                name="q"
                prop:value=current
                value=current
                maxlength="200"
                placeholder="Search tea, spices, vegetables…"
                class="w-full rounded-l-full border border-stone-300 bg-white px-4 py-2 text-base focus:border-emerald-600 focus:outline-none focus:ring-2 focus:ring-emerald-600/30"
            />
            <button
                type="submit"
                class="rounded-r-full bg-emerald-700 px-5 py-2 font-medium text-white hover:bg-emerald-800 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700"
            >
                "Search"
            </button>
        </form>
    }
}

#[component]
pub fn Header() -> impl IntoView {
    // Erased here: the header's whole type nested in every page's overflowed the
    // compiler's query depth.
    let person = view! { <CartLink/><AccountLink/> }.into_any();
    view! {
        <header class="sticky top-0 z-10 border-b border-stone-200 bg-white/95 backdrop-blur">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-3 px-4 py-3">
                <Logo/>
                <nav aria-label="Main" class="flex items-center gap-4 text-sm font-medium text-stone-700">
                    <a href="/" class="hover:text-emerald-700">"Shop"</a>
                    <a href="/search" class="hover:text-emerald-700">"All products"</a>
                    {person}
                </nav>
                <div class="order-last w-full sm:order-none sm:ml-auto sm:w-96">
                    <SearchBox/>
                </div>
            </div>
        </header>
    }
}

/// The cart with how many packs it holds. Pages for visitors are shared between them
/// (`server/src/http/page_cache.rs`), so the count is asked for once the page is in
/// the browser, and follows the `mandi:cart` events the cart and the buy box send.
#[island]
fn CartLink() -> impl IntoView {
    let count = RwSignal::new(None::<u32>);
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        leptos::task::spawn_local(async move {
            if let Ok(n) = crate::orders::api::cart_count().await {
                count.set(Some(n));
            }
        });
        let on_change = Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
            if let Some(n) = e.detail().as_f64() {
                count.set(Some(n as u32));
            }
        });
        let _ = window().add_event_listener_with_callback(CART_EVENT, on_change.as_ref().unchecked_ref());
        on_change.forget();
    }
    view! {
        <a href="/cart" class="hover:text-emerald-700" data-testid="cart-link"
           aria-label=move || match count.get() { Some(n) => format!("Cart, {n} items"), None => "Cart".to_string() }>
            "Cart"
            {move || count.get().filter(|n| *n > 0).map(|n| view! {
                <span class="ml-1 rounded-full bg-emerald-700 px-2 py-0.5 text-xs font-semibold text-white" data-testid="cart-count">{n}</span>
            })}
        </a>
    }
}

/// The window event that tells the header the cart's new count (`detail`).
pub const CART_EVENT: &str = "mandi:cart";

/// Tells the header's cart link how many packs the cart holds now.
#[cfg(feature = "hydrate")]
pub fn announce_cart_count(n: u32) {
    let init = web_sys::CustomEventInit::new();
    init.set_detail(&wasm_bindgen::JsValue::from(n));
    if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(CART_EVENT, &init) {
        let _ = window().dispatch_event(&event);
    }
}

/// "Sign in" for visitors; for the signed in their orders and account, and the store's
/// order queue for those who work it. Rendered on the server only, from the session
/// the middleware found.
#[component]
fn AccountLink() -> impl IntoView {
    #[cfg(feature = "ssr")]
    let (signed_in, works_orders, runs_catalogue, watches) = match crate::account::session::current() {
        Some(session) => {
            use crate::domain::permissions::{Action, Role, grant_for_roles};
            let roles: Vec<Role> = session.claims.roles.iter().filter_map(|r| r.parse().ok()).collect();
            let may = |action: Action| grant_for_roles(&roles, action).is_some();
            let doors = crate::state::app_state().map(|state| {
                let catalogue = state.in_store(&session.claims) && may(Action::CatalogManage);
                (crate::orders::api::door::fulfils(&state, &session.claims), catalogue)
            });
            let (works, catalogue) = doors.unwrap_or((false, false));
            let watches = may(Action::OperationsView);
            (true, works, catalogue, watches)
        }
        None => (false, false, false, false),
    };
    #[cfg(not(feature = "ssr"))]
    let (signed_in, works_orders, runs_catalogue, watches) = (false, false, false, false);
    if signed_in {
        view! {
            {watches.then(|| view! { <a href="/control" class="hover:text-emerald-700" data-testid="control-link">"Control"</a> })}
            {runs_catalogue.then(|| view! { <a href="/admin/catalog" class="hover:text-emerald-700" data-testid="catalogue-link">"Catalogue"</a> })}
            {works_orders.then(|| view! { <a href="/admin/orders" class="hover:text-emerald-700" data-testid="store-orders-link">"Store orders"</a> })}
            <a href="/orders" class="hover:text-emerald-700" data-testid="orders-link">"Orders"</a>
            <a href="/account" class="hover:text-emerald-700" data-testid="account-link">"Account"</a>
        }
        .into_any()
    } else {
        view! { <a href="/login" class="hover:text-emerald-700" data-testid="sign-in-link">"Sign in"</a> }.into_any()
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="mt-16 border-t border-stone-200 bg-stone-100">
            <div class="mx-auto max-w-6xl px-4 py-8 text-sm text-stone-600">
                <p class="font-medium text-stone-800">"Mandi — from the farm, with its story."</p>
                <p class="mt-1">"Tea and spice estates of Darjeeling and the Nilgiris, and vegetable farms across the South. Prices in INR, inclusive of taxes."</p>
            </div>
        </footer>
    }
}
