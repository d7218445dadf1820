//! `/account/addresses`: the shopper's address book (checkout offers these).

use super::api::*;
use super::model::SavedAddress;
use crate::components::form::{BUTTON_CLASS, Field, field_errors, form_error};
use crate::components::island_support::{go, hydrated_flag};
use crate::components::not_found::refused;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AddressesPage() -> impl IntoView {
    let list = Resource::new_blocking(|| (), |_| my_addresses());
    view! {
        <Title text="Your addresses · Mandi"/>
        <section class="mx-auto max-w-2xl space-y-6 px-4 py-8">
            <h1 class="text-2xl font-bold text-stone-900">"Your addresses"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) => view! { <AddressBook list/><AddressForm/> }.into_any(),
                        Err(e) => refused(e, "/account/addresses".into()),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[island(lazy)]
fn AddressBook(list: Vec<SavedAddress>) -> impl IntoView {
    let hydrated = hydrated_flag();
    let make_default = ServerAction::<SaveAddress>::new();
    let remove = ServerAction::<RemoveAddress>::new();
    Effect::new(move |_| {
        if matches!(make_default.value().get(), Some(Ok(_))) || matches!(remove.value().get(), Some(Ok(_))) {
            go("/account/addresses");
        }
    });
    if list.is_empty() {
        return view! { <p class="text-stone-600" data-testid="no-addresses">"No saved addresses yet: add one below, or tick “Save this address” at checkout."</p> }.into_any();
    }
    view! {
        <ul class="divide-y divide-stone-100 rounded-2xl border border-stone-200 bg-white" data-testid="address-book" data-hydrated=move || hydrated.get().then_some("true")>
            {list.into_iter().map(|a| {
                let id = a.id.to_string();
                let (id2, address) = (id.clone(), a.address.clone());
                let input = super::model::AddressInput {
                    name: address.name.clone(),
                    phone: address.phone.clone(),
                    line1: address.line1.clone(),
                    line2: address.line2.clone(),
                    city: address.city.clone(),
                    pincode: address.pincode.clone(),
                    state: address.state.clone(),
                };
                view! {
                    <li class="flex flex-wrap items-center justify-between gap-3 p-4" data-testid="saved-address" data-default=a.is_default.then_some("true")>
                        <div class="text-sm">
                            <p class="font-medium">{address.name.clone()}{a.is_default.then_some(" · default")}</p>
                            <p>{format!("{}{}, {} {}, {}", address.line1, if address.line2.is_empty() { String::new() } else { format!(", {}", address.line2) }, address.city, address.pincode, address.state)}</p>
                            <p class="text-stone-500">{address.phone.clone()}</p>
                        </div>
                        <div class="flex gap-2">
                            {(!a.is_default).then(|| {
                                let input = input.clone();
                                let id = id.clone();
                                view! {
                                    <button type="button" class="rounded-full border border-emerald-700 px-4 py-2 text-sm font-medium text-emerald-800"
                                        on:click=move |_| { make_default.dispatch(SaveAddress { id: Some(id.clone()), address: input.clone(), make_default: Some("true".into()) }); }>
                                        "Make default"
                                    </button>
                                }
                            })}
                            <button type="button" class="rounded-full border border-stone-300 px-4 py-2 text-sm"
                                on:click=move |_| { remove.dispatch(RemoveAddress { id: id2.clone() }); }>"Remove"</button>
                        </div>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[island(lazy)]
fn AddressForm() -> impl IntoView {
    let hydrated = hydrated_flag();
    let save = ServerAction::<SaveAddress>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) {
            go("/account/addresses");
        }
    });
    view! {
        <ActionForm action=save attr:class="grid gap-4 rounded-2xl border border-stone-200 bg-white p-4 sm:grid-cols-2" attr:data-testid="address-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h2 class="text-lg font-semibold sm:col-span-2">"Add an address"</h2>
            <Field label="Full name" form="address" field="name" errors=errors/>
            <Field label="Mobile number" form="address" field="phone" kind="tel" errors=errors/>
            <Field label="Address" form="address" field="line1" errors=errors/>
            <Field label="Landmark (optional)" form="address" field="line2" errors=errors/>
            <Field label="City" form="address" field="city" errors=errors/>
            <Field label="PIN code" form="address" field="pincode" errors=errors/>
            <div>
                <label for="address-state" class="block text-sm font-medium text-stone-800">"State"</label>
                <select id="address-state" name="address[state]" class=crate::components::form::INPUT_CLASS>
                    <option value="">"Choose…"</option>
                    {crate::domain::india::STATES.iter().map(|s| view! { <option value=*s>{*s}</option> }).collect_view()}
                </select>
                <p class="mt-1 text-sm text-red-700" role="alert" data-field-error="state">{move || errors.with(|e| e.get("state").cloned())}</p>
            </div>
            <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="make_default" value="true" class="h-5 w-5"/>"Make it my default"</label>
            <div class="sm:col-span-2">
                <button type="submit" class=BUTTON_CLASS disabled=move || save.pending().get()>"Save address"</button>
                <p role="alert" class="mt-1 text-sm text-red-700">{move || form_error(save.value().get())}</p>
            </div>
        </ActionForm>
    }
}
