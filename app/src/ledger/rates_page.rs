//! `/ledger/rates?date=`: the market's rates for one day, flower types × time slots,
//! as a grid an admin fills with the keyboard (arrow keys move between cells), with
//! yesterday's rates one button away.

use super::api::*;
use super::model::{RateInput, RatesInput};
use crate::components::island_support::{go, hydrated_flag};
use crate::components::not_found::LoadError;
use crate::error::AppError;
use crate::language::{Locale, locale_from, request_locale, td_string};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;
use std::collections::BTreeMap;

const BUTTON: &str = "min-h-12 rounded-xl bg-emerald-700 px-5 font-semibold text-white hover:bg-emerald-800 focus-visible:outline focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-emerald-700 disabled:opacity-50";
const SECONDARY: &str = "min-h-12 rounded-xl border border-stone-300 bg-white px-5 font-semibold hover:bg-stone-100";

#[component]
pub fn RatesPage() -> impl IntoView {
    let l = request_locale();
    let query = use_query_map();
    let day = Resource::new_blocking(move || query.read().get("date").unwrap_or_default(), rates_day);
    view! {
        <Title text="Rates · Ledger"/>
        <div class="mx-auto max-w-5xl px-4 py-6">
            <nav class="text-sm"><a href="/ledger" class="text-emerald-800 underline">{td_string!(l, ledger.entry_screen).to_string()}</a></nav>
            <h1 class="mt-2 text-2xl font-bold" lang=crate::language::code(l)>{td_string!(l, rates.title).to_string()}</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match day.await {
                        Ok(day) => view! { <RatesGrid day=day lang=crate::language::code(l).to_string()/> }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login?next=/ledger/rates"/> }.into_any(),
                        Err(e) => view! { <LoadError error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[island(lazy)]
fn RatesGrid(day: DayRates, lang: String) -> impl IntoView {
    let l = locale_from(&lang);
    let hydrated = hydrated_flag();
    let save = ServerAction::<SaveRates>::new();
    let copy = ServerAction::<CopyRates>::new();
    let cells: RwSignal<BTreeMap<(usize, usize), String>> = RwSignal::new(
        day.flower_types
            .iter()
            .enumerate()
            .flat_map(|(fi, f)| {
                let rates = &day.rates;
                day.slots.iter().enumerate().map(move |(si, s)| {
                    let rate = rates
                        .iter()
                        .find(|r| r.flower_type_id == f.id && r.slot_id == s.id)
                        .map(|r| r.rate.to_api_string())
                        .unwrap_or_default();
                    ((fi, si), rate)
                })
            })
            .collect(),
    );
    let flowers = StoredValue::new(day.flower_types.clone());
    let slots = StoredValue::new(day.slots.clone());
    let date = day.date;
    let message = move || {
        let err = |e: &AppError| match e.fields() {
            Some(f) if !f.is_empty() => f.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(" · "),
            _ => e.to_string(),
        };
        match (save.value().get(), copy.value().get()) {
            (Some(Err(e)), _) | (_, Some(Err(e))) => Some((false, err(&e))),
            (Some(Ok(s)), _) | (_, Some(Ok(s))) => {
                Some((true, td_string!(l, rates.saved, saved = s.saved, priced = s.rated_now).to_string()))
            }
            _ => None,
        }
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = copy.value().get() {
            go(&format!("/ledger/rates?date={date}"));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let rates: Vec<RateInput> = cells.with_untracked(|c| {
            c.iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|((fi, si), v)| RateInput {
                    flower_type_id: flowers.with_value(|f| f[*fi].id.to_string()),
                    slot_id: slots.with_value(|s| s[*si].id.to_string()),
                    rate: v.trim().to_string(),
                })
                .collect()
        });
        save.dispatch(SaveRates { input: RatesInput { date: date.to_string(), rates } });
    };
    // Arrow keys move between cells, like a spreadsheet.
    let on_key = move |ev: leptos::ev::KeyboardEvent, fi: usize, si: usize| {
        let (df, ds): (isize, isize) = match ev.key().as_str() {
            "ArrowDown" => (1, 0),
            "ArrowUp" => (-1, 0),
            "ArrowRight" if ev.alt_key() => (0, 1),
            "ArrowLeft" if ev.alt_key() => (0, -1),
            _ => return,
        };
        ev.prevent_default();
        let target = format!("rate-{}-{}", fi as isize + df, si as isize + ds);
        #[cfg(feature = "hydrate")]
        if let Some(el) = document().get_element_by_id(&target) {
            use wasm_bindgen::JsCast;
            if let Ok(input) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = input.focus();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = target;
    };
    let yesterday = date - chrono::Duration::days(1);
    view! {
        <div data-testid="rates-grid" data-hydrated=move || hydrated.get().then_some("true")>
            <div class="mt-3 flex flex-wrap items-center gap-3">
                <a class=SECONDARY href=format!("/ledger/rates?date={yesterday}")>{td_string!(l, rates.previous).to_string()}</a>
                <span class="text-lg font-semibold" data-testid="rates-date">{date.to_string()}</span>
                <a class=SECONDARY href=format!("/ledger/rates?date={}", date + chrono::Duration::days(1))>{td_string!(l, rates.next).to_string()}</a>
                {day.can_edit.then(|| view! {
                    <button type="button" class=SECONDARY data-testid="copy-yesterday"
                            on:click=move |_| { copy.dispatch(CopyRates { from: yesterday.to_string(), to: date.to_string() }); }>{td_string!(l, rates.copy).to_string()}</button>
                })}
            </div>
            <form on:submit=submit class="mt-4 overflow-x-auto">
                <table class="text-sm">
                    <thead><tr><th class="p-2 text-left">{td_string!(l, slip.flower).to_string()}</th>
                        {day.slots.iter().map(|s| view! { <th class="p-2 text-left" scope="col">{format!("{}–{}", s.starts_at, s.ends_at)}</th> }).collect_view()}
                    </tr></thead>
                    <tbody>
                        {day.flower_types.iter().enumerate().map(|(fi, f)| view! {
                            <tr>
                                <th scope="row" class="p-2 text-left">{if l == Locale::ta { f.name_ta.clone() } else { f.name_en.clone() }}</th>
                                {day.slots.iter().enumerate().map(|(si, s)| view! {
                                    <td class="p-1">
                                        <label class="sr-only" for=format!("rate-{fi}-{si}")>{format!("{} {}–{}", f.name_en, s.starts_at, s.ends_at)}</label>
                                        <input id=format!("rate-{fi}-{si}") inputmode="decimal" class="min-h-11 w-24 rounded-lg border border-stone-300 px-2 text-right tabular-nums"
                                               data-testid="rate-cell" disabled=!day.can_edit
                                               prop:value=move || cells.with(|c| c.get(&(fi, si)).cloned().unwrap_or_default())
                                               on:input=move |ev| cells.update(|c| { c.insert((fi, si), event_target_value(&ev)); })
                                               on:keydown=move |ev| on_key(ev, fi, si)/>
                                    </td>
                                }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                {day.can_edit.then(|| view! { <button type="submit" class=format!("{BUTTON} mt-4") data-testid="save-rates" disabled=move || save.pending().get()>{td_string!(l, rates.save).to_string()}</button> })}
            </form>
            <p role="status" data-testid="rates-message" class=move || if message().is_some_and(|m| m.0) { "mt-2 text-sm text-emerald-800" } else { "mt-2 text-sm text-red-700" }>{move || message().map(|m| m.1)}</p>
        </div>
    }
}
