//! `/admin/settings`: what the store charges for delivery, when it delivers, and its
//! coupons. Each form is an island posting to its server function; errors show by
//! field.

use super::settings_api::*;
use super::settings_model::*;
use crate::components::form::{BUTTON_CLASS, Field, field_errors, form_error};
use crate::components::island_support::{go, hydrated_flag};
use crate::components::not_found::refused;
use crate::domain::pricing::CouponValue;
use leptos::prelude::*;
use leptos_meta::Title;

const CARD: &str = "rounded-2xl border border-stone-200 bg-white p-4";

#[component]
pub fn StoreSettingsPage() -> impl IntoView {
    let page = Resource::new_blocking(|| (), |_| load_settings());
    view! {
        <Title text="Prices and delivery · Mandi"/>
        <section class="mx-auto max-w-4xl space-y-6 px-4 py-6">
            <h1 class="text-2xl font-bold text-stone-900">"Prices and delivery"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! {
                            <DeliveryForm initial=StoreSettingsForm::of(&page.settings)/>
                            <CouponList coupons=page.coupons.clone()/>
                            <CouponForm/>
                        }.into_any(),
                        Err(e) => refused(e, "/admin/settings".into()),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[island(lazy)]
fn DeliveryForm(initial: StoreSettingsForm) -> impl IntoView {
    let hydrated = hydrated_flag();
    let save = ServerAction::<SaveSettings>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    view! {
        <ActionForm action=save attr:class=format!("grid gap-4 sm:grid-cols-2 {CARD}") attr:data-testid="delivery-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h2 class="text-lg font-semibold sm:col-span-2">"Delivery"</h2>
            <Field label="Delivery fee (₹)" form="settings" field="deliveryFee" value=initial.delivery_fee errors=errors/>
            <Field label="Free delivery from (₹)" form="settings" field="freeDeliveryFrom" value=initial.free_delivery_from hint="Baskets at or above this, after discount, pay no delivery" errors=errors/>
            <div class="sm:col-span-2">
                <Field label="Delivery windows" form="settings" field="windows" value=initial.windows hint="Store time, e.g. 07:00-10:00, 17:00-20:00" errors=errors/>
            </div>
            <Field label="Cut-off (hours before a window)" form="settings" field="cutOffHours" kind="number" value=initial.cut_off_hours errors=errors/>
            <Field label="Days shoppers can book ahead" form="settings" field="daysAhead" kind="number" value=initial.days_ahead errors=errors/>
            <div class="sm:col-span-2">
                <button type="submit" class=BUTTON_CLASS disabled=move || save.pending().get()>"Save delivery settings"</button>
                <p class="mt-1 text-sm text-emerald-700" role="status" data-testid="delivery-saved">{move || matches!(save.value().get(), Some(Ok(_))).then_some("Saved")}</p>
            </div>
        </ActionForm>
    }
}

#[component]
fn CouponList(coupons: Vec<CouponWithUses>) -> impl IntoView {
    let date = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.with_timezone(&chrono::FixedOffset::east_opt(19_800).expect("IST")).format("%-d %b %Y").to_string())
    };
    view! {
        <section class=CARD aria-labelledby="coupons-h">
            <h2 id="coupons-h" class="text-lg font-semibold">"Coupons"</h2>
            {if coupons.is_empty() {
                view! { <p class="mt-2 text-sm text-stone-600">"No coupons yet."</p> }.into_any()
            } else {
                view! {
                    <table class="mt-2 w-full text-left text-sm">
                        <thead><tr class="text-stone-600"><th class="py-1">"Code"</th><th>"Takes off"</th><th>"Minimum"</th><th>"Valid"</th><th>"Used"</th><th>"State"</th></tr></thead>
                        <tbody>
                            {coupons.into_iter().map(|c| {
                                let off = match c.coupon.value {
                                    CouponValue::Percent(p) => format!("{}%{}", p.normalize(), c.coupon.max_off.map(|m| format!(" up to {}", m.format_inr())).unwrap_or_default()),
                                    CouponValue::Fixed(m) => m.format_inr(),
                                };
                                let valid = match (date(c.coupon.valid_from), date(c.coupon.valid_until)) {
                                    (None, None) => "always".to_string(),
                                    (f, u) => format!("{} – {}", f.unwrap_or_default(), u.unwrap_or_default()),
                                };
                                let used = match c.coupon.total_limit {
                                    Some(n) => format!("{} of {n}", c.uses),
                                    None => c.uses.to_string(),
                                };
                                view! {
                                    <tr class="border-t border-stone-100" data-testid="coupon" data-code=c.coupon.code.clone()>
                                        <td class="py-1 font-mono">{c.coupon.code.clone()}</td><td>{off}</td><td>{c.coupon.min_subtotal.format_inr()}</td>
                                        <td>{valid}</td><td data-testid="coupon-uses">{used}</td><td>{if c.coupon.active { "active" } else { "off" }}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

/// A new coupon, or (same code, "replace") a change to one.
#[island(lazy)]
fn CouponForm() -> impl IntoView {
    let hydrated = hydrated_flag();
    let save = ServerAction::<SaveCoupon>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            go("/admin/settings");
        }
    });
    view! {
        <ActionForm action=save attr:class=format!("grid gap-4 sm:grid-cols-3 {CARD}") attr:data-testid="coupon-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h2 class="text-lg font-semibold sm:col-span-3">"Add or change a coupon"</h2>
            <Field label="Code" form="coupon" field="code" hint="3–24 letters or digits" errors=errors/>
            <div>
                <label for="coupon-kind" class="block text-sm font-medium text-stone-800">"Kind"</label>
                <select id="coupon-kind" name="coupon[kind]" class=crate::components::form::INPUT_CLASS>
                    <option value="percent">"Percent off"</option>
                    <option value="fixed">"Fixed amount off"</option>
                </select>
                <p class="mt-1 text-sm text-red-700" role="alert" data-field-error="kind">{move || errors.with(|e| e.get("kind").cloned())}</p>
            </div>
            <Field label="Value (% or ₹)" form="coupon" field="value" errors=errors/>
            <Field label="Most it takes off (₹, percent only)" form="coupon" field="maxOff" errors=errors/>
            <Field label="Minimum order (₹)" form="coupon" field="minSubtotal" errors=errors/>
            <Field label="Valid from" form="coupon" field="validFrom" kind="date" errors=errors/>
            <Field label="Valid until" form="coupon" field="validUntil" kind="date" errors=errors/>
            <Field label="Uses in all" form="coupon" field="totalLimit" kind="number" hint="Blank: no limit" errors=errors/>
            <Field label="Uses per shopper" form="coupon" field="perCustomerLimit" kind="number" hint="Blank: no limit" errors=errors/>
            <div class="sm:col-span-3 flex flex-wrap items-center gap-4 text-sm">
                <label class="flex items-center gap-2">"State"
                    <select name="coupon[active]" class="rounded-lg border border-stone-300 px-2 py-2">
                        <option value="true">"Active"</option>
                        <option value="false">"Off"</option>
                    </select>
                </label>
                <label class="flex items-center gap-2"><input type="radio" name="create" value="true" checked class="h-5 w-5"/>"New coupon"</label>
                <label class="flex items-center gap-2"><input type="radio" name="create" value="false" class="h-5 w-5"/>"Replace the coupon with this code"</label>
            </div>
            <div class="sm:col-span-3">
                <button type="submit" class=BUTTON_CLASS disabled=move || save.pending().get()>"Save coupon"</button>
                <p role="alert" class="mt-1 text-sm text-red-700" data-testid="coupon-error">{move || form_error(save.value().get())}</p>
            </div>
        </ActionForm>
    }
}
