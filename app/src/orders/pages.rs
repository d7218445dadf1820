//! Cart, checkout and order pages. They render on the server; the cart's quantity
//! editor, the checkout form, the live tracking timeline and the order actions are
//! islands.

use super::api::*;
use super::model::*;
use crate::components::not_found::{LoadError, NotFound};
use crate::domain::order_state::OrderState;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::components::island_support::{go, hydrated_flag};

fn first_message(e: &AppError) -> String {
    match e.fields() {
        Some(fields) if !fields.is_empty() => fields.values().cloned().collect::<Vec<_>>().join(" · "),
        _ => e.to_string(),
    }
}

pub(crate) const BUTTON: &str = "rounded-full bg-emerald-700 px-5 py-2.5 font-semibold text-white hover:bg-emerald-800 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700 disabled:opacity-50";
const INPUT: &str = "mt-1 w-full rounded-lg border border-stone-300 px-3 py-2 focus:border-emerald-600 focus:outline-none focus:ring-2 focus:ring-emerald-600/30";

#[component]
pub fn CartPage() -> impl IntoView {
    let cart = Resource::new_blocking(|| (), |_| load_cart());
    view! {
        <Title text="Your cart · Mandi"/>
        <div class="mx-auto max-w-4xl px-4 py-6">
            <h1 class="text-2xl font-bold text-stone-900">"Your cart"</h1>
            <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match cart.await {
                        Ok(cart) => view! { <CartEditor initial=cart/> }.into_any(),
                        Err(e) => view! { <LoadError error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// Quantities change in place: the server answers with the whole cart re-priced.
#[island(lazy)]
fn CartEditor(initial: CartView) -> impl IntoView {
    let hydrated = hydrated_flag();
    let cart = RwSignal::new(initial);
    let update = ServerAction::<UpdateCart>::new();
    let (error, set_error) = signal(None::<String>);
    Effect::new(move |_| match update.value().get() {
        Some(Ok(fresh)) => {
            #[cfg(feature = "hydrate")]
            crate::components::layout::announce_cart_count(fresh.item_count);
            cart.set(fresh);
            set_error.set(None);
        }
        Some(Err(e)) => set_error.set(Some(first_message(&e))),
        None => {}
    });
    let set_quantity = move |variant: String, quantity: u32| {
        update.dispatch(UpdateCart { variant_id: variant, quantity: quantity.to_string(), add: false });
    };
    view! {
        <div data-testid="cart" data-hydrated=move || hydrated.get().then_some("true")>
            <p role="alert" class="mt-3 text-sm text-red-700">{move || error.get()}</p>
            {move || if cart.with(|c| c.lines.is_empty()) {
                view! {
                    <div class="mt-6 rounded-2xl border border-dashed border-stone-300 bg-white p-10 text-center">
                        <p class="font-medium text-stone-800">"Your cart is empty."</p>
                        <a href="/search" class="mt-3 inline-block font-medium text-emerald-700 hover:underline">"Browse the shop"</a>
                    </div>
                }.into_any()
            } else {
                view! {
                    <ul class="mt-4 divide-y divide-stone-200 rounded-2xl border border-stone-200 bg-white">
                        <For each=move || cart.get().lines key=|l| (l.variant_id, l.quantity, l.unit_price) let:line>
                            <CartRow line=line.clone() on_change=set_quantity/>
                        </For>
                    </ul>
                    {move || cart.get().quote.map(|q| view! {
                        <dl class="mt-4 ml-auto max-w-xs space-y-1 text-sm" data-testid="cart-totals">
                            <div class="flex justify-between"><dt>"Subtotal"</dt><dd>{q.subtotal.format_inr()}</dd></div>
                            <div class="flex justify-between"><dt>"Delivery"</dt><dd>{if q.delivery_fee.paise() == 0 { "Free".to_string() } else { q.delivery_fee.format_inr() }}</dd></div>
                            <div class="flex justify-between text-base font-semibold"><dt>"Total"</dt><dd data-testid="cart-total">{q.total.format_inr()}</dd></div>
                            <div class="flex justify-between text-stone-500"><dt>"Includes GST"</dt><dd>{q.tax_included.format_inr()}</dd></div>
                        </dl>
                    })}
                    <div class="mt-6 text-right">
                        <a href="/checkout" class=BUTTON data-testid="go-to-checkout">"Checkout"</a>
                    </div>
                }.into_any()
            }}
        </div>
    }
}

#[component]
fn CartRow(line: CartLine, on_change: impl Fn(String, u32) + Copy + Send + Sync + 'static) -> impl IntoView {
    let id = line.variant_id.to_string();
    let (dec, inc, rm) = (id.clone(), id.clone(), id.clone());
    let q = line.quantity;
    let label = format!("{} {}", line.product_name, line.variant_label);
    view! {
        <li class="flex flex-wrap items-center gap-4 p-4" data-testid="cart-line">
            <img src=line.image_url.clone() alt="" width="64" height="64" class="h-16 w-16 rounded-lg bg-stone-100 object-cover"/>
            <div class="min-w-0 flex-1">
                <a href=format!("/products/{}", line.product_slug) class="font-medium text-stone-900 hover:underline">{line.product_name.clone()}</a>
                <p class="text-sm text-stone-600">{line.variant_label.clone()}" · "{line.unit_price.format_inr()}</p>
                {line.issue.clone().map(|i| view! { <p class="text-sm font-medium text-amber-800" data-testid="line-issue">{i}</p> })}
            </div>
            <div class="flex items-center gap-2" role="group" aria-label=format!("Quantity of {label}")>
                <button type="button" class="h-9 w-9 rounded-full border border-stone-300 text-lg" aria-label=format!("One fewer {label}")
                    on:click=move |_| on_change(dec.clone(), q.saturating_sub(1))>"−"</button>
                <span class="w-8 text-center font-semibold" data-testid="line-quantity">{q}</span>
                <button type="button" class="h-9 w-9 rounded-full border border-stone-300 text-lg" aria-label=format!("One more {label}")
                    on:click=move |_| on_change(inc.clone(), q + 1)>"+"</button>
            </div>
            <span class="w-24 text-right font-semibold">{line.line_total.format_inr()}</span>
            <button type="button" class="text-sm text-stone-600 underline" on:click=move |_| on_change(rm.clone(), 0)>"Remove"</button>
        </li>
    }
}

#[component]
pub fn CheckoutPage() -> impl IntoView {
    let options = Resource::new_blocking(|| (), |_| load_checkout());
    view! {
        <Title text="Checkout · Mandi"/>
        <div class="mx-auto max-w-3xl px-4 py-6">
            <h1 class="text-2xl font-bold text-stone-900">"Checkout"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match options.await {
                        Ok(o) if o.cart.lines.is_empty() => view! { <p class="mt-4">"Your cart is empty. "<a class="text-emerald-700 underline" href="/search">"Browse the shop"</a></p> }.into_any(),
                        Ok(o) => view! { <CheckoutForm options=o/> }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login?next=/checkout"/> }.into_any(),
                        Err(e) => view! { <LoadError error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[island(lazy)]
fn CheckoutForm(options: CheckoutOptions) -> impl IntoView {
    let hydrated = hydrated_flag();
    let place = ServerAction::<PlaceOrder>::new();
    let errors = move || match place.value().get() {
        Some(Err(e)) => Some(e),
        _ => None,
    };
    let field = move |name: &'static str| move || errors().and_then(|e| e.fields().and_then(|f| f.get(name).cloned()));
    Effect::new(move |_| {
        if let Some(Ok(placed)) = place.value().get() {
            go(&placed.payment_url);
        }
    });
    let quote = options.cart.quote.clone();
    let slots: Vec<(String, String)> =
        options.slots.iter().map(|s| s.key()).zip(options.slot_labels.iter().cloned()).collect();
    // The fields are the page's: choosing a saved address fills them in.
    let default =
        options.addresses.iter().find(|a| a.is_default).or(options.addresses.first()).map(|a| a.address.clone());
    let start =
        |f: fn(&Address) -> String, fallback: String| RwSignal::new(default.as_ref().map(f).unwrap_or(fallback));
    let name = start(|a| a.name.clone(), options.name.clone());
    let phone = start(|a| a.phone.clone(), options.phone.clone());
    let line1 = start(|a| a.line1.clone(), String::new());
    let line2 = start(|a| a.line2.clone(), String::new());
    let city = start(|a| a.city.clone(), String::new());
    let pincode = start(|a| a.pincode.clone(), String::new());
    let state = start(|a| a.state.clone(), String::new());
    let fill = move |a: &Address| {
        name.set(a.name.clone());
        phone.set(a.phone.clone());
        line1.set(a.line1.clone());
        line2.set(a.line2.clone());
        city.set(a.city.clone());
        pincode.set(a.pincode.clone());
        state.set(a.state.clone());
    };
    let input = move |name: &'static str, label: &'static str, value: RwSignal<String>, autocomplete: &'static str| {
        let err = field(name);
        view! {
            <div>
                <label class="block">
                    <span class="text-sm font-medium text-stone-800">{label}</span>
                    <input name=format!("input[{name}]") class=INPUT prop:value=value autocomplete=autocomplete
                        on:input=move |e| value.set(event_target_value(&e))
                        aria-invalid=move || err().is_some().then_some("true") aria-describedby=format!("error-{name}")/>
                </label>
                <span class="text-sm text-red-700" id=format!("error-{name}") data-field-error=name>{err}</span>
            </div>
        }
    };
    let saved = options.addresses.clone();
    let has_saved = !saved.is_empty();
    view! {
        <div data-testid="checkout" data-hydrated=move || hydrated.get().then_some("true")>
            <ActionForm action=place>
                {has_saved.then(|| view! {
                    <fieldset class="mt-4" data-testid="saved-addresses">
                        <legend class="mb-2 text-lg font-semibold">"Your addresses"</legend>
                        <div class="space-y-2">
                            {saved.into_iter().map(|a| {
                                let text = format!("{}, {}, {} {}, {}", a.address.name, a.address.line1, a.address.city, a.address.pincode, a.address.state);
                                let chosen = a.is_default;
                                let address = a.address.clone();
                                view! {
                                    <label class="flex items-start gap-2 text-sm">
                                        <input type="radio" name="saved" class="mt-1 h-5 w-5" checked=chosen on:change=move |_| fill(&address)/>
                                        <span data-testid="saved-address">{text}{chosen.then_some(" (default)")}</span>
                                    </label>
                                }
                            }).collect_view()}
                        </div>
                    </fieldset>
                })}
                <fieldset class="mt-4 grid gap-4 sm:grid-cols-2">
                    <legend class="mb-2 text-lg font-semibold">"Deliver to"</legend>
                    {input("name", "Full name", name, "name")}
                    {input("phone", "Mobile number", phone, "tel")}
                    {input("line1", "Address", line1, "address-line1")}
                    {input("line2", "Landmark (optional)", line2, "address-line2")}
                    {input("city", "City", city, "address-level2")}
                    {input("pincode", "PIN code", pincode, "postal-code")}
                    <div>
                        <label class="block">
                            <span class="text-sm font-medium text-stone-800">"State"</span>
                            <select name="input[state]" class=INPUT autocomplete="address-level1" aria-describedby="error-state"
                                prop:value=state on:change=move |e| state.set(event_target_value(&e))>
                                <option value="">"Choose…"</option>
                                {crate::domain::india::STATES.iter().map(|s| view! { <option value=*s selected=move || state.get() == *s>{*s}</option> }).collect_view()}
                            </select>
                        </label>
                        <span class="text-sm text-red-700" id="error-state" data-field-error="state">{field("state")}</span>
                    </div>
                    <label class="flex items-center gap-2 text-sm sm:col-span-2">
                        <input type="checkbox" name="input[saveAddress]" value="true" class="h-5 w-5" checked=!has_saved/>
                        "Save this address for next time"
                    </label>
                </fieldset>
                <label class="mt-4 block">
                    <span class="text-sm font-medium text-stone-800">"Delivery slot"</span>
                    <select name="input[slot]" class=INPUT aria-describedby="error-slot">
                        {slots.into_iter().map(|(key, label)| view! { <option value=key>{label}</option> }).collect_view()}
                    </select>
                </label>
                <span class="text-sm text-red-700" id="error-slot" data-field-error="slot">{field("slot")}</span>
                <label class="mt-4 block max-w-xs">
                    <span class="text-sm font-medium text-stone-800">"Coupon (optional)"</span>
                    <input name="input[coupon]" class=INPUT aria-describedby="error-coupon"/>
                </label>
                <span class="text-sm text-red-700" id="error-coupon" data-field-error="coupon">{field("coupon")}</span>
                <section aria-labelledby="summary-h" class="mt-6 rounded-2xl border border-stone-200 bg-white p-4" data-testid="checkout-summary">
                    <h2 id="summary-h" class="font-semibold">"Your order"</h2>
                    <ul class="mt-2 space-y-1 text-sm">
                        {options.cart.lines.iter().map(|l| view! {
                            <li class="flex justify-between gap-2" data-testid="checkout-line">
                                <span>{format!("{} × {} {}", l.quantity, l.product_name, l.variant_label)}</span>
                                <span>{l.line_total.format_inr()}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                    {quote.map(|q| view! {
                        <dl class="mt-3 space-y-1 border-t border-stone-100 pt-2 text-sm">
                            <div class="flex justify-between"><dt>"Items"</dt><dd>{q.subtotal.format_inr()}</dd></div>
                            <div class="flex justify-between"><dt>"Delivery"</dt><dd>{q.delivery_fee.format_inr()}</dd></div>
                            <div class="flex justify-between text-lg font-semibold"><dt>"To pay"</dt><dd data-testid="checkout-total">{q.total.format_inr()}</dd></div>
                            <p class="text-xs text-stone-500">"A coupon is taken off when you place the order."</p>
                        </dl>
                    })}
                </section>
                <p role="alert" class="mt-3 text-sm font-medium text-red-700" data-testid="checkout-error">
                    {move || errors().filter(|e| matches!(e, AppError::CartChanged { .. }) || e.fields().is_none()).map(|e| first_message(&e))}
                </p>
                <button type="submit" class=format!("mt-4 {BUTTON}") disabled=move || place.pending().get()>"Place order and pay"</button>
                <p class="mt-2 text-sm text-stone-600">"Your items are held for 15 minutes while you pay."</p>
            </ActionForm>
        </div>
    }
}

#[component]
pub fn OrdersPage() -> impl IntoView {
    let orders = Resource::new_blocking(|| (), |_| my_orders());
    view! {
        <Title text="Your orders · Mandi"/>
        <div class="mx-auto max-w-4xl px-4 py-6">
            <h1 class="text-2xl font-bold text-stone-900">"Your orders"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match orders.await {
                        Ok(list) => view! { <OrderList orders=list/> }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login?next=/orders"/> }.into_any(),
                        Err(e) => view! { <LoadError error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn OrderList(orders: Vec<OrderSummary>) -> impl IntoView {
    if orders.is_empty() {
        return view! { <p class="mt-4 text-stone-600">"No orders yet."</p> }.into_any();
    }
    view! {
        <ul class="mt-4 divide-y divide-stone-200 rounded-2xl border border-stone-200 bg-white">
            {orders.into_iter().map(|o| view! {
                <li class="flex flex-wrap items-center justify-between gap-2 p-4" data-testid="order-row">
                    <a href=format!("/orders/{}", o.id) class="font-medium text-emerald-800 hover:underline">{format!("Order #{}", o.number)}</a>
                    <span class="text-sm text-stone-600">{o.created_at.format("%d %b %Y").to_string()}" · "{o.item_count}" items"</span>
                    <StateBadge state=o.state/>
                    <span class="font-semibold">{o.total.format_inr()}</span>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn StateBadge(state: OrderState) -> impl IntoView {
    let colour = match state {
        OrderState::PendingPayment => "bg-amber-100 text-amber-900",
        OrderState::Cancelled | OrderState::RefundRequested | OrderState::Refunded => "bg-stone-200 text-stone-800",
        _ => "bg-emerald-100 text-emerald-900",
    };
    view! { <span class=format!("rounded-full px-3 py-1 text-sm font-medium {colour}") data-state=state.as_str()>{state.to_string()}</span> }
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let order = Resource::new_blocking(move || params.read().get("id").unwrap_or_default(), load_order);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let id = params.read_untracked().get("id").unwrap_or_default();
                match order.await {
                    Ok((order, rights)) => view! { <OrderView order rights/> }.into_any(),
                    Err(AppError::Unauthenticated) => view! { <Redirect path=format!("/login?next=/orders/{id}")/> }.into_any(),
                    Err(AppError::NotFound { .. }) => view! { <NotFound message="We could not find that order"/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OrderView(order: OrderDetail, rights: OrderRights) -> impl IntoView {
    let staff = rights.fulfils;
    let a = &order.address;
    let address = format!(
        "{}, {}{}, {} {}, {}",
        a.name,
        a.line1,
        if a.line2.is_empty() { String::new() } else { format!(", {}", a.line2) },
        a.city,
        a.pincode,
        a.state
    );
    view! {
        <Title text=format!("Order #{} · Mandi", order.number)/>
        <div class="mx-auto max-w-4xl px-4 py-6">
            <a href=if staff { "/admin/orders" } else { "/orders" } class="text-sm text-emerald-800 hover:underline">"← Orders"</a>
            <h1 class="mt-2 text-2xl font-bold text-stone-900">{format!("Order #{}", order.number)}</h1>
            <p class="text-sm text-stone-600">"Delivery: "{order.slot_label.clone()}" · "{address}</p>
            <div class="mt-6 grid gap-6 md:grid-cols-2">
                <section aria-labelledby="items-h" class="rounded-2xl border border-stone-200 bg-white p-4">
                    <h2 id="items-h" class="font-semibold">"Items"</h2>
                    <ul class="mt-2 space-y-1 text-sm">
                        {order.lines.iter().map(|l| view! {
                            <li class="flex justify-between gap-2"><span>{format!("{} × {} {}", l.quantity, l.product_name, l.variant_label)}</span><span>{l.line_total.format_inr()}</span></li>
                        }).collect_view()}
                    </ul>
                    <dl class="mt-3 space-y-1 border-t border-stone-100 pt-2 text-sm">
                        <div class="flex justify-between"><dt>"Subtotal"</dt><dd>{order.subtotal.format_inr()}</dd></div>
                        {(order.discount.paise() > 0).then(|| view! { <div class="flex justify-between"><dt>"Discount"</dt><dd>"−"{order.discount.format_inr()}</dd></div> })}
                        <div class="flex justify-between"><dt>"Delivery"</dt><dd>{order.delivery_fee.format_inr()}</dd></div>
                        <div class="flex justify-between font-semibold"><dt>"Total"</dt><dd>{order.total.format_inr()}</dd></div>
                        {(order.refunded_amount.paise() > 0).then(|| view! { <div class="flex justify-between text-stone-600"><dt>"Refunded"</dt><dd data-testid="refunded-total">{order.refunded_amount.format_inr()}</dd></div> })}
                    </dl>
                </section>
                <OrderTracking id=order.id.to_string() initial_state=order.state events=order.events.clone() staff pay_url=order.payment_url()/>
            </div>
            <RefundsSection order=order.clone()/>
            <RefundPanel
                id=order.id.to_string()
                state=order.state
                lines=order.lines.clone()
                refundable=order.refundable()
                open=order.refund_requests.iter().find(|r| r.status == "requested").cloned()
                customer=!staff
                approves=rights.refunds/>
        </div>
    }
}

/// Each refund request and each refund with where it stands: money is never shown as
/// returned before the gateway says so.
#[component]
fn RefundsSection(order: OrderDetail) -> impl IntoView {
    if order.refunds.is_empty() && order.refund_requests.is_empty() {
        return ().into_any();
    }
    let line_name = |no: i32| {
        order
            .lines
            .iter()
            .find(|l| l.line_no == no)
            .map(|l| format!("{} {}", l.product_name, l.variant_label))
            .unwrap_or_else(|| format!("line {no}"))
    };
    let request_status = |s: &str| match s {
        "requested" => "waiting for the shop",
        "approved" => "approved",
        _ => "refused",
    };
    let refund_status = |s: &str| match s {
        "processed" => "paid back",
        "failed" => "failed at the bank; the shop will follow up",
        _ => "on its way",
    };
    view! {
        <section aria-labelledby="refunds-h" class="mt-6 rounded-2xl border border-stone-200 bg-white p-4" data-testid="refunds">
            <h2 id="refunds-h" class="font-semibold">"Refunds"</h2>
            {(!order.refund_requests.is_empty()).then(|| view! {
                <h3 class="mt-2 text-sm font-medium text-stone-700">"Requests"</h3>
                <ul class="mt-1 space-y-2 text-sm">
                    {order.refund_requests.iter().map(|r| view! {
                        <li data-testid="refund-request" data-status=r.status.clone()>
                            <p>
                                <span class="font-medium">{r.created_at.format("%d %b %Y").to_string()}</span>
                                " · "{r.lines.iter().map(|l| format!("{} × {}", l.quantity, line_name(l.line_no))).collect::<Vec<_>>().join(", ")}
                                " · "{r.amount.format_inr()}" · "<span class="font-medium">{request_status(&r.status)}</span>
                            </p>
                            <p class="text-stone-600">{r.reason.clone()}</p>
                            {r.decision_note.clone().map(|n| view! { <p class="text-stone-600">"Shop: "{n}</p> })}
                        </li>
                    }).collect_view()}
                </ul>
            })}
            {(!order.refunds.is_empty()).then(|| view! {
                <h3 class="mt-3 text-sm font-medium text-stone-700">"Money returned"</h3>
                <ul class="mt-1 space-y-1 text-sm">
                    {order.refunds.iter().map(|r| view! {
                        <li class="flex flex-wrap justify-between gap-2" data-testid="refund" data-status=r.status.clone()>
                            <span>{r.created_at.format("%d %b %Y").to_string()}" · "{r.reason.clone()}</span>
                            <span><span class="font-semibold">{r.amount.format_inr()}</span>" · "{refund_status(&r.status)}</span>
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
    .into_any()
}

/// Asking for lines back (the shopper) and deciding (an admin): after either, the page
/// loads again so the lists above show what the server recorded.
#[island(lazy)]
fn RefundPanel(
    id: String,
    state: OrderState,
    lines: Vec<OrderLineView>,
    refundable: crate::domain::money::Money,
    open: Option<RefundRequestView>,
    customer: bool,
    approves: bool,
) -> impl IntoView {
    let hydrated = hydrated_flag();
    let id = StoredValue::new(id);
    let act = ServerAction::<ActOnOrder>::new();
    let quantities: Vec<(i32, RwSignal<String>)> =
        lines.iter().map(|l| (l.line_no, RwSignal::new(String::new()))).collect();
    let quantities = StoredValue::new(quantities);
    let (reason, set_reason) = signal(String::new());
    let (amount, set_amount) = signal(String::new());
    let (local_error, set_local_error) = signal(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(_)) = act.value().get() {
            go(&format!("/orders/{}", id.get_value()));
        }
    });
    let error = move || {
        local_error.get().or_else(|| match act.value().get() {
            Some(Err(e)) => Some(first_message(&e)),
            _ => None,
        })
    };
    let send = move |action: &'static str, lines: Vec<crate::domain::refund::AskedLine>| {
        act.dispatch(ActOnOrder {
            id: id.get_value(),
            action: action.into(),
            reason: Some(reason.get_untracked()).filter(|r| !r.trim().is_empty()),
            amount: Some(amount.get_untracked()).filter(|a| !a.trim().is_empty()),
            lines,
        });
    };
    let request = move |_| {
        let mut asked = Vec::new();
        for (line_no, q) in quantities.get_value() {
            let text = q.get_untracked();
            let text = text.trim();
            if text.is_empty() || text == "0" {
                continue;
            }
            match text.parse::<i32>() {
                Ok(quantity) => asked.push(crate::domain::refund::AskedLine { line_no, quantity }),
                Err(_) => {
                    set_local_error.set(Some(format!("line {line_no}: the quantity must be a whole number")));
                    return;
                }
            }
        }
        if asked.is_empty() {
            set_local_error.set(Some("choose at least one item to return".into()));
            return;
        }
        set_local_error.set(None);
        send("request_refund", asked);
    };
    let claimable: Vec<_> = lines.iter().filter(|l| l.quantity > l.returned).cloned().collect();
    let can_request = customer && state == OrderState::Delivered && !claimable.is_empty();
    let can_decide = approves && open.is_some();
    let can_refund = approves && state == OrderState::Delivered && refundable > crate::domain::money::Money::ZERO;
    if !(can_request || can_decide || can_refund || (customer && open.is_some())) {
        return ().into_any();
    }
    let reason_box = move |label: &'static str| {
        view! {
            <label class="block text-sm">
                <span class="font-medium">{label}</span>
                <textarea class=INPUT rows="2" maxlength="500" data-testid="refund-reason" prop:value=reason
                    on:input=move |e| set_reason.set(event_target_value(&e))></textarea>
            </label>
        }
    };
    let amount_box = move |placeholder: String| {
        view! {
            <label class="block text-sm">
                <span class="font-medium">"Amount to refund (₹)"</span>
                <input class=INPUT inputmode="decimal" data-testid="refund-amount" placeholder=placeholder prop:value=amount
                    on:input=move |e| set_amount.set(event_target_value(&e))/>
            </label>
        }
    };
    view! {
        <section aria-labelledby="refund-panel-h" class="mt-6 rounded-2xl border border-stone-200 bg-white p-4 space-y-3"
                 data-testid="refund-panel" data-hydrated=move || hydrated.get().then_some("true")>
            <h2 id="refund-panel-h" class="font-semibold">{if customer { "Return items" } else { "Refund" }}</h2>
            {(customer && open.is_some()).then(|| view! {
                <p class="text-sm text-stone-700">"Your request is with the shop. You will hear from us when they decide."</p>
            })}
            {can_request.then(|| view! {
                <p class="text-sm text-stone-600">"Choose what to return and tell us why; the shop refunds to the way you paid."</p>
                <ul class="space-y-2">
                    {claimable.iter().map(|l| {
                        let signal = quantities.with_value(|q| q.iter().find(|(n, _)| *n == l.line_no).map(|(_, s)| *s));
                        let max = l.quantity - l.returned;
                        view! {
                            <li class="flex flex-wrap items-center justify-between gap-2 text-sm">
                                <label for=format!("return-{}", l.line_no)>{format!("{} {} (bought {}, {} each)", l.product_name, l.variant_label, l.quantity, l.unit_price.format_inr())}</label>
                                <input id=format!("return-{}", l.line_no) type="number" min="0" max=max.to_string() step="1"
                                    class="w-20 rounded-lg border border-stone-300 px-2 py-1" data-testid="return-quantity" data-line=l.line_no
                                    prop:value=move || signal.map(|s| s.get()).unwrap_or_default()
                                    on:input=move |e| if let Some(s) = signal { s.set(event_target_value(&e)) }/>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {reason_box("What went wrong?")}
                <button type="button" class=BUTTON data-action="request_refund" on:click=request disabled=move || act.pending().get()>"Request a refund"</button>
            })}
            {open.clone().filter(|_| approves).map(|r| {
                let names = r.lines.iter().map(|a| {
                    let name = lines.iter().find(|l| l.line_no == a.line_no).map(|l| format!("{} {}", l.product_name, l.variant_label)).unwrap_or_default();
                    format!("{} × {}", a.quantity, name)
                }).collect::<Vec<_>>().join(", ");
                let suggested = r.amount.min(refundable);
                view! {
                    <div class="rounded-xl bg-amber-50 p-3 text-sm" data-testid="open-request">
                        <p class="font-medium">"The shopper asks to return: "{names}</p>
                        <p>"“"{r.reason.clone()}"”"</p>
                        <p>"Worth "{r.amount.format_inr()}"; "{refundable.format_inr()}" of what was paid is left to refund."</p>
                    </div>
                    {amount_box(format!("{} (what the items are worth)", suggested.to_api_string()))}
                    {reason_box("Note to the shopper")}
                    <div class="flex flex-wrap gap-2">
                        <button type="button" class=BUTTON data-action="approve_refund" on:click=move |_| send("approve_refund", vec![]) disabled=move || act.pending().get()>"Approve refund"</button>
                        <button type="button" class=BUTTON data-action="reject_refund" on:click=move |_| send("reject_refund", vec![]) disabled=move || act.pending().get()>"Refuse"</button>
                    </div>
                }
            })}
            {(can_refund && !can_decide).then(|| view! {
                <p class="text-sm text-stone-600">{refundable.format_inr()}" of what was paid is left to refund."</p>
                {amount_box(format!("up to {}", refundable.to_api_string()))}
                {reason_box("Reason")}
                <button type="button" class=BUTTON data-action="approve_refund" on:click=move |_| send("approve_refund", vec![]) disabled=move || act.pending().get()>"Refund"</button>
            })}
            <p role="alert" class="text-sm text-red-700" data-testid="refund-error">{error}</p>
        </section>
    }
    .into_any()
}

/// The timeline, live: events arrive over the person's (or operations') event
/// stream; if the stream fails, the page polls instead.
#[island(lazy)]
fn OrderTracking(
    id: String,
    initial_state: OrderState,
    events: Vec<OrderEventView>,
    staff: bool,
    pay_url: Option<String>,
) -> impl IntoView {
    let hydrated = hydrated_flag();
    let state = RwSignal::new(initial_state);
    let events = RwSignal::new(events);
    let (live, set_live) = signal(false);
    let id = StoredValue::new(id);
    let merge = move |fresh: Vec<OrderEventView>| {
        events.update(|list| {
            for e in fresh {
                if !list.iter().any(|x| x.seq == e.seq) {
                    state.set(e.to_state);
                    list.push(e);
                }
            }
            list.sort_by_key(|e| e.seq);
        });
    };
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let topic = if staff { "ops" } else { "me" };
        let poll = move || {
            let after = events.with_untracked(|l| l.last().map(|e| e.seq).unwrap_or(0));
            leptos::task::spawn_local(async move {
                if let Ok(fresh) = order_events(id.get_value(), after).await {
                    merge(fresh);
                }
            });
        };
        crate::components::island_support::listen(
            topic,
            "order",
            move |value| {
                if value["orderId"].as_str() != Some(id.get_value().as_str()) {
                    return;
                }
                if let Ok(event) = serde_json::from_value::<OrderEventView>(value["event"].clone()) {
                    merge(vec![event]);
                }
            },
            // On (re)connecting, catch up on anything missed while away.
            poll,
            set_live,
        );
        // Polling fallback while the stream is down.
        let tick = Closure::<dyn FnMut()>::new(move || {
            if !live.get_untracked() {
                poll();
            }
        });
        let _ = window().set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), 10_000);
        tick.forget();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_live, merge);
    let act = ServerAction::<ActOnOrder>::new();
    let (reason, set_reason) = signal(String::new());
    let act_error = move || match act.value().get() {
        Some(Err(e)) => Some(first_message(&e)),
        _ => None,
    };
    let send = move |action: &'static str| {
        act.dispatch(ActOnOrder {
            id: id.get_value(),
            action: action.into(),
            reason: Some(reason.get_untracked()).filter(|r| !r.is_empty()),
            amount: None,
            lines: vec![],
        });
    };
    let action_button = move |action: &'static str, label: &'static str| {
        view! { <button type="button" class=BUTTON data-action=action on:click=move |_| send(action) disabled=move || act.pending().get()>{label}</button> }
    };
    view! {
        <section aria-labelledby="track-h" class="rounded-2xl border border-stone-200 bg-white p-4" data-testid="tracking"
                 data-hydrated=move || hydrated.get().then_some("true") data-live=move || live.get().then_some("true")>
            <div class="flex items-center justify-between">
                <h2 id="track-h" class="font-semibold">"Tracking"</h2>
                <span data-testid="order-state" data-state=move || state.get().as_str()>{move || view! { <StateBadge state=state.get()/> }}</span>
            </div>
            {pay_url.map(|url| view! {
                <a href=url class=format!("mt-3 inline-block {BUTTON}") data-testid="pay-now">"Pay now"</a>
            })}
            <ol class="mt-4 space-y-3 border-l-2 border-emerald-200 pl-4" aria-live="polite" data-testid="timeline">
                <For each=move || events.get() key=|e| e.seq let:e>
                    <li data-testid="timeline-event" data-to=e.to_state.as_str()>
                        <p class="font-medium text-stone-900">{e.to_state.to_string()}</p>
                        <p class="text-xs text-stone-500">{e.at.format("%d %b, %H:%M UTC").to_string()}" · "{e.actor.clone()}</p>
                        {e.reason.clone().map(|r| view! { <p class="text-sm text-stone-700">{r}</p> })}
                    </li>
                </For>
            </ol>
            <div class="mt-4 space-y-2">
                <label class="block text-sm">
                    <span class="font-medium">"Note or reason"</span>
                    <input class=INPUT prop:value=reason on:input=move |e| set_reason.set(event_target_value(&e))/>
                </label>
                {move || {
                    let s = state.get();
                    let mut buttons = Vec::new();
                    if staff {
                        match s {
                            OrderState::Paid => buttons.push(action_button("pack", "Mark packed").into_any()),
                            OrderState::Packed => buttons.push(action_button("ship", "Mark shipped").into_any()),
                            OrderState::Shipped => buttons.push(action_button("send_out_for_delivery", "Out for delivery").into_any()),
                            OrderState::OutForDelivery => buttons.push(action_button("deliver", "Mark delivered").into_any()),
                            _ => {}
                        }
                    } else {
                        match s {
                            OrderState::PendingPayment | OrderState::Paid => buttons.push(action_button("cancel", "Cancel order").into_any()),
                            _ => {}
                        }
                    }
                    view! { <div class="flex flex-wrap gap-2">{buttons}</div> }
                }}
                <p role="alert" class="text-sm text-red-700">{act_error}</p>
            </div>
        </section>
    }
}

/// The store's order queue: filters and paging in the address (a GET form, so a
/// filtered view can be bookmarked or shared), the rows live.
#[component]
pub fn StaffOrdersPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let read = move || {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        (OrderFilterInput { state: get("state"), from: get("from"), to: get("to"), q: get("q") }, q.get("cursor"))
    };
    let page = Resource::new_blocking(read, |(filter, cursor)| order_queue(filter, cursor));
    view! {
        <Title text="Orders · Mandi"/>
        <div class="mx-auto max-w-6xl px-4 py-6">
            <h1 class="text-2xl font-bold text-stone-900">"Store orders"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let (filter, cursor) = read();
                    match page.await {
                        Ok(page) => view! { <QueueFilters filter=filter.clone() errors=None/><QueueView page filter first=cursor.is_none()/> }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login?next=/admin/orders"/> }.into_any(),
                        Err(AppError::Validation { fields }) => view! { <QueueFilters filter errors=Some(fields)/> }.into_any(),
                        Err(e) => view! { <LoadError error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn QueueFilters(filter: OrderFilterInput, errors: Option<crate::error::FieldErrors>) -> impl IntoView {
    let errors = errors.unwrap_or_default();
    let error = |k: &str| {
        errors
            .get(k)
            .cloned()
            .map(|m| view! { <span class="block text-xs text-red-700" data-testid=format!("error-{k}")>{m}</span> })
    };
    let chosen = filter.state.clone();
    view! {
        <form method="get" action="/admin/orders" class="mt-4 flex flex-wrap items-end gap-3 rounded-2xl border border-stone-200 bg-white p-3 text-sm" data-testid="queue-filters">
            <label class="block"><span class="font-medium">"State"</span>
                <select name="state" class=INPUT>
                    <option value="" selected=chosen.is_empty()>"Any"</option>
                    {OrderState::ALL.into_iter().map(|st| view! {
                        <option value=st.as_str() selected=chosen == st.as_str()>{st.to_string()}</option>
                    }).collect_view()}
                </select>
                {error("state")}
            </label>
            <label class="block"><span class="font-medium">"Placed from"</span>
                <input type="date" name="from" class=INPUT value=filter.from.clone()/>{error("from")}</label>
            <label class="block"><span class="font-medium">"to"</span>
                <input type="date" name="to" class=INPUT value=filter.to.clone()/>{error("to")}</label>
            <label class="block grow"><span class="font-medium">"Order number or phone"</span>
                <input type="search" name="q" class=INPUT value=filter.q.clone() placeholder="1042 or 98400 10001"/>{error("q")}</label>
            <button type="submit" class=BUTTON>"Filter"</button>
            <a href="/admin/orders" class="py-2.5 font-medium text-emerald-800 hover:underline">"Clear"</a>
        </form>
    }
}

#[component]
fn QueueView(page: QueuePage, filter: OrderFilterInput, first: bool) -> impl IntoView {
    let older = page.next.clone().map(|cursor| {
        let mut params = vec![];
        for (k, v) in [("state", &filter.state), ("from", &filter.from), ("to", &filter.to), ("q", &filter.q)] {
            if !v.is_empty() {
                params.push(format!("{k}={}", crate::components::search_href::encode_component(v)));
            }
        }
        params.push(format!("cursor={}", crate::components::search_href::encode_component(&cursor)));
        format!("/admin/orders?{}", params.join("&"))
    });
    view! {
        <OrderQueue orders=page.orders first/>
        <nav aria-label="Pages" class="mt-4 flex gap-4 text-sm font-medium text-emerald-800">
            {(!first).then(|| view! { <a href="/admin/orders" class="hover:underline">"← Newest"</a> })}
            {older.map(|href| view! { <a href=href class="hover:underline" data-testid="older-orders">"Older orders →"</a> })}
        </nav>
    }
}

/// The rows, following the store's order stream: a row's state changes in place, and
/// new orders are announced (on the first page) rather than pushed under the pointer.
#[island]
fn OrderQueue(orders: Vec<OrderSummary>, first: bool) -> impl IntoView {
    let hydrated = hydrated_flag();
    let rows = RwSignal::new(orders);
    let selected = RwSignal::new(std::collections::BTreeSet::<Uuid>::new());
    let (live, set_live) = signal(false);
    let (arrived, set_arrived) = signal(0usize);
    let bulk = ServerAction::<ActOnOrders>::new();
    #[cfg(feature = "hydrate")]
    {
        crate::components::island_support::listen(
            "orders",
            "order",
            move |value| {
                let Some(id) = value["orderId"].as_str().and_then(|s| Uuid::parse_str(s).ok()) else { return };
                let Ok(state) = serde_json::from_value::<OrderState>(value["state"].clone()) else { return };
                let known = rows.with_untracked(|r| r.iter().any(|o| o.id == id));
                if known {
                    rows.update(|r| r.iter_mut().filter(|o| o.id == id).for_each(|o| o.state = state));
                } else if first && value["event"]["fromState"].is_null() {
                    set_arrived.update(|n| *n += 1);
                }
            },
            || (),
            set_live,
        );
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_live, set_arrived, first);
    Effect::new(move |_| {
        if let Some(Ok(outcomes)) = bulk.value().get() {
            rows.update(|r| {
                for o in &outcomes {
                    if let (Some(state), Ok(id)) = (o.state, Uuid::parse_str(&o.order_id)) {
                        r.iter_mut().filter(|x| x.id == id).for_each(|x| x.state = state);
                    }
                }
            });
            selected.update(|s| s.clear());
        }
    });
    let report = move || match bulk.value().get() {
        Some(Ok(outcomes)) => {
            let moved = outcomes.iter().filter(|o| o.error.is_none()).count();
            let failed: Vec<String> = outcomes
                .iter()
                .filter_map(|o| {
                    let number = rows.with(|r| {
                        r.iter().find(|x| x.id.to_string() == o.order_id).map(|x| x.number).unwrap_or_default()
                    });
                    o.error.as_ref().map(|e| format!("#{number}: {e}"))
                })
                .collect();
            let updated = format!("{moved} {} updated", if moved == 1 { "order" } else { "orders" });
            Some(if failed.is_empty() { updated } else { format!("{updated}; not moved: {}", failed.join("; ")) })
        }
        Some(Err(e)) => Some(first_message(&e)),
        None => None,
    };
    let send = move |action: &'static str| {
        let ids: Vec<String> = selected.get_untracked().iter().map(Uuid::to_string).collect();
        if !ids.is_empty() {
            bulk.dispatch(ActOnOrders { ids, action: action.into() });
        }
    };
    let none_selected = move || selected.with(|s| s.is_empty()) || bulk.pending().get();
    view! {
        <div class="mt-4" data-testid="order-queue" data-hydrated=move || hydrated.get().then_some("true") data-live=move || live.get().then_some("true")>
            <div class="flex flex-wrap items-center gap-2">
                <button type="button" class=BUTTON data-action="bulk-pack" disabled=none_selected on:click=move |_| send("pack")>"Mark packed"</button>
                <button type="button" class=BUTTON data-action="bulk-ship" disabled=none_selected on:click=move |_| send("ship")>"Mark shipped"</button>
                <span class="text-sm text-stone-600">{move || format!("{} selected", selected.with(|s| s.len()))}</span>
                <span class="ml-auto text-xs text-stone-500">{move || if live.get() { "Live" } else { "" }}</span>
            </div>
            <p role="status" aria-live="polite" class="mt-2 text-sm text-stone-700" data-testid="bulk-report">{report}</p>
            {move || (arrived.get() > 0).then(|| view! {
                <p class="mt-2 rounded-xl bg-amber-50 p-2 text-sm" data-testid="new-orders">
                    {format!("{} new orders. ", arrived.get())}<a href="/admin/orders" class="font-medium text-emerald-800 underline">"Show them"</a>
                </p>
            })}
            {move || if rows.with(|r| r.is_empty()) {
                view! { <p class="mt-4 text-stone-600" data-testid="queue-empty">"No orders match."</p> }.into_any()
            } else {
                view! {
                    <table class="mt-3 w-full border-collapse overflow-hidden rounded-2xl bg-white text-sm">
                        <thead class="bg-stone-100 text-left">
                            <tr>
                                <th class="p-2"><span class="sr-only">"Select"</span></th>
                                <th class="p-2">"Order"</th><th class="p-2">"Placed"</th><th class="p-2">"For"</th>
                                <th class="p-2">"Delivery"</th><th class="p-2">"Items"</th><th class="p-2">"Total"</th><th class="p-2">"State"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || rows.get() key=|o| (o.id, o.state) let:o>
                                <tr class="border-t border-stone-100" data-testid="queue-row" data-number=o.number data-state=o.state.as_str()>
                                    <td class="p-2">
                                        <input type="checkbox" class="h-5 w-5" aria-label=format!("Select order {}", o.number)
                                            prop:checked=move || selected.with(|s| s.contains(&o.id))
                                            on:change=move |e| {
                                                let on = event_target_checked(&e);
                                                selected.update(|s| { if on { s.insert(o.id); } else { s.remove(&o.id); } });
                                            }/>
                                    </td>
                                    <td class="p-2"><a href=format!("/orders/{}", o.id) class="font-medium text-emerald-800 hover:underline">{format!("#{}", o.number)}</a></td>
                                    <td class="p-2">{o.created_at.format("%d %b, %H:%M UTC").to_string()}</td>
                                    <td class="p-2">{o.customer_name.clone()}</td>
                                    <td class="p-2">{o.slot_label.clone()}</td>
                                    <td class="p-2">{o.item_count}</td>
                                    <td class="p-2">{o.total.format_inr()}</td>
                                    <td class="p-2"><StateBadge state=o.state/></td>
                                </tr>
                            </For>
                        </tbody>
                    </table>
                }.into_any()
            }}
        </div>
    }
}
