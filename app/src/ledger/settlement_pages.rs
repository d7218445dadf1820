//! Settlements on screen: the list with the generate form, one slip with its
//! approvals, WhatsApp status and payment, the printable slip (A5 or an 80 mm
//! thermal roll), and the slip behind a WhatsApp link.

use super::api::*;
use super::model::*;
use crate::components::island_support::{go, hydrated_flag};
use crate::components::not_found::LoadError;
use crate::error::AppError;
use crate::language::{Locale, locale_from, request_locale, td_string};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};

const BUTTON: &str = "min-h-12 rounded-xl bg-emerald-700 px-5 font-semibold text-white hover:bg-emerald-800 focus-visible:outline focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-emerald-700 disabled:opacity-50 print:hidden";
const FIELD: &str = "mt-1 min-h-12 w-full rounded-lg border border-stone-300 px-3 focus:border-emerald-600 focus:outline-none focus:ring-4 focus:ring-emerald-600/30";

fn first_message(e: &AppError) -> String {
    match e.fields() {
        Some(fields) if !fields.is_empty() => fields.values().cloned().collect::<Vec<_>>().join(" · "),
        _ => e.to_string(),
    }
}

fn status_label(l: Locale, status: &str) -> String {
    match status {
        "generated" => td_string!(l, slip.status_generated),
        "approved" => td_string!(l, slip.status_approved),
        "paid" => td_string!(l, slip.status_paid),
        _ => td_string!(l, slip.status_cancelled),
    }
    .to_string()
}

fn message_label(l: Locale, status: Option<&str>) -> String {
    match status {
        None => td_string!(l, settle.message_none),
        Some("queued") => td_string!(l, settle.message_queued),
        Some("sent") => td_string!(l, settle.message_sent),
        Some("delivered") | Some("read") => td_string!(l, settle.message_delivered),
        Some(_) => td_string!(l, settle.message_failed),
    }
    .to_string()
}

fn grower(l: Locale, no: i32, en: &str, ta: &str) -> String {
    // Tamil when asked for and known; otherwise English, unless only Tamil is known.
    let name = if (l == Locale::ta && !ta.is_empty()) || en.is_empty() { ta } else { en };
    format!("{no} · {name}")
}

#[component]
pub fn SettlementsPage() -> impl IntoView {
    let l = request_locale();
    let list = Resource::new_blocking(|| (), |_| list_settlements(None));
    view! {
        <Title text="Settlements · Ledger"/>
        <div class="mx-auto max-w-5xl px-4 py-6">
            <nav class="text-sm"><a href="/ledger" class="text-emerald-800 underline">{td_string!(l, ledger.entry_screen).to_string()}</a></nav>
            <h1 class="mt-2 text-2xl font-bold" lang=crate::language::code(l)>{td_string!(l, settle.title).to_string()}</h1>
            <GenerateSettlements lang=crate::language::code(l).to_string()/>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="mt-6 text-stone-600">{td_string!(l, settle.none).to_string()}</p> }.into_any(),
                        Ok(rows) => view! {
                            <table class="mt-6 w-full text-left text-sm" data-testid="settlements">
                                <thead><tr class="text-stone-600"><th>{td_string!(l, settle.col_number).to_string()}</th><th>{td_string!(l, settle.col_grower).to_string()}</th><th>{td_string!(l, settle.col_period).to_string()}</th><th class="text-right">{td_string!(l, settle.col_net).to_string()}</th><th>{td_string!(l, settle.col_status).to_string()}</th><th>{td_string!(l, settle.col_message).to_string()}</th></tr></thead>
                                <tbody class="divide-y divide-stone-200">
                                    {rows.into_iter().map(|s| view! {
                                        <tr data-testid="settlement-row">
                                            <td><a class="font-medium text-emerald-800 underline" href=format!("/ledger/settlements/{}", s.id)>{s.number.clone()}</a></td>
                                            <td>{grower(l, s.farmer_no, &s.farmer_name_en, &s.farmer_name_ta)}</td>
                                            <td>{if s.period_from == s.period_to { s.period_from.to_string() } else { format!("{} – {}", s.period_from, s.period_to) }}</td>
                                            <td class="text-right tabular-nums">{s.net_payable.format_inr()}</td>
                                            <td>{status_label(l, &s.status)}</td>
                                            <td>{message_label(l, s.message_status.as_deref())}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login?next=/ledger/settlements"/> }.into_any(),
                        Err(e) => view! { <LoadError error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// Admins settle one grower or everyone over a period.
#[island(lazy)]
fn GenerateSettlements(lang: String) -> impl IntoView {
    let l = locale_from(&lang);
    let hydrated = hydrated_flag();
    let generate = ServerAction::<GenerateSettlements>::new();
    let message = move || match generate.value().get() {
        Some(Ok(outcome)) => {
            let mut text = td_string!(l, settle.made, count = outcome.settlements.len()).to_string();
            if !outcome.skipped.is_empty() {
                text = format!("{text}; {}", td_string!(l, settle.skipped, count = outcome.skipped.len()));
            }
            Some((true, text))
        }
        Some(Err(e)) => Some((false, first_message(&e))),
        None => None,
    };
    Effect::new(move |_| {
        if let Some(Ok(outcome)) = generate.value().get()
            && !outcome.settlements.is_empty()
        {
            go("/ledger/settlements");
        }
    });
    view! {
        <ActionForm action=generate attr:class="mt-4 grid gap-3 rounded-xl border border-stone-200 bg-white p-4 sm:grid-cols-4" attr:data-testid="generate-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <label class="block text-sm font-medium">{td_string!(l, settle.from).to_string()}<input type="date" name="from" required class=FIELD/></label>
            <label class="block text-sm font-medium">{td_string!(l, settle.to).to_string()}<input type="date" name="to" required class=FIELD/></label>
            <label class="block text-sm font-medium">{td_string!(l, settle.grower_id).to_string()}<input name="farmer_id" class=FIELD/></label>
            <button type="submit" class=format!("{BUTTON} self-end") disabled=move || generate.pending().get()>{td_string!(l, settle.generate).to_string()}</button>
            <p role="status" class=move || if message().is_some_and(|m| m.0) { "text-sm text-emerald-800 sm:col-span-4" } else { "text-sm text-red-700 sm:col-span-4" } data-testid="generate-message">
                {move || message().map(|m| m.1)}
            </p>
        </ActionForm>
    }
}

/// The slip: what the grower is paid and why. Print styles fit it on A5 or a roll.
#[component]
pub fn Slip(slip: SlipView, #[prop(optional)] lang: Option<Locale>) -> impl IntoView {
    let s = slip.settlement.clone();
    // In the grower's language unless the reader asked for another.
    let l = lang.unwrap_or_else(|| locale_from(&s.language));
    let period = if s.period_from == s.period_to {
        s.period_from.to_string()
    } else {
        format!("{} – {}", s.period_from, s.period_to)
    };
    view! {
        <article class="slip mx-auto max-w-xl rounded-xl border border-stone-300 bg-white p-5 print:border-0 print:p-0" data-testid="slip" lang=crate::language::code(l) data-lang=crate::language::code(l)>
            <header class="border-b border-stone-300 pb-2">
                <p class="text-lg font-bold">{slip.market_name.clone()}</p>
                <p>{td_string!(l, slip.settlement).to_string()} " " <span class="font-semibold" data-testid="slip-number">{s.number.clone()}</span> " · " {period}</p>
                <p data-testid="slip-grower">{grower(l, s.farmer_no, &s.farmer_name_en, &s.farmer_name_ta)}</p>
            </header>
            <table class="mt-3 w-full text-sm">
                <thead><tr class="text-left"><th>{td_string!(l, slip.flower).to_string()}</th><th class="text-right">{td_string!(l, slip.kg).to_string()}</th><th class="text-right">{td_string!(l, slip.rate).to_string()}</th><th class="text-right">{td_string!(l, slip.amount).to_string()}</th></tr></thead>
                <tbody>
                    {slip.lines.iter().map(|line| view! {
                        <tr><td>{if l == Locale::ta { line.flower_ta.clone() } else { line.flower_en.clone() }}</td><td class="text-right tabular-nums">{line.quantity_kg.clone()}</td><td class="text-right tabular-nums">{line.rate.format_inr()}</td><td class="text-right tabular-nums">{line.amount.format_inr()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <dl class="mt-3 grid grid-cols-2 gap-y-1 border-t border-stone-300 pt-2 text-sm" data-testid="slip-figures">
                <dt>{td_string!(l, slip.gross, entries = s.entry_count, kg = s.quantity_kg.clone()).to_string()}</dt><dd class="text-right tabular-nums">{s.gross.format_inr()}</dd>
                <dt>{td_string!(l, slip.commission, percent = s.commission_percent.clone()).to_string()}</dt><dd class="text-right tabular-nums">{format!("− {}", s.commission.format_inr())}</dd>
                <dt>{td_string!(l, slip.fees).to_string()}</dt><dd class="text-right tabular-nums">{format!("− {}", s.fees.format_inr())}</dd>
                <dt>{td_string!(l, slip.advance).to_string()}</dt><dd class="text-right tabular-nums">{format!("− {}", s.advance_recovered.format_inr())}</dd>
                {(s.shortfall.amount() > rust_decimal::Decimal::ZERO).then(|| view! { <dt>{td_string!(l, slip.carried).to_string()}</dt><dd class="text-right tabular-nums">{s.shortfall.format_inr()}</dd> })}
                <dt class="text-base font-bold">{td_string!(l, slip.net).to_string()}</dt><dd class="text-right text-base font-bold tabular-nums" data-testid="slip-net">{s.net_payable.format_inr()}</dd>
            </dl>
            <footer class="mt-3 text-xs text-stone-600">
                <p>{status_label(l, &s.status)} {s.approved_at.map(|a| format!(" · {}", td_string!(l, slip.approved_on, date = a.format("%d-%m-%Y"))))}</p>
                <p>{slip.approvals.iter().map(|a| format!("{} ({})", a.display_name, a.role)).collect::<Vec<_>>().join(", ")}</p>
            </footer>
        </article>
    }
}

#[component]
pub fn SettlementPage() -> impl IntoView {
    let params = use_params_map();
    let l = request_locale();
    let asked = crate::language::query_locale();
    let slip = Resource::new_blocking(move || params.read().get("id").unwrap_or_default(), settlement_slip);
    view! {
        <Title text="Settlement · Ledger"/>
        <div class="mx-auto max-w-3xl px-4 py-6">
            <nav class="text-sm print:hidden"><a href="/ledger/settlements" class="text-emerald-800 underline">{td_string!(l, settle.back).to_string()}</a></nav>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match slip.await {
                        Ok(slip) => {
                            let s = slip.settlement.clone();
                            view! {
                                // In the grower's language (it is their slip) unless the reader asked for another.
                                <div class="mt-3"><Slip slip=slip lang=asked.unwrap_or_else(|| locale_from(&s.language))/></div>
                                <p class="mt-3 text-sm print:hidden" data-testid="message-status">{message_label(l, s.message_status.as_deref())}</p>
                                <SettlementActions id=s.id.to_string() status=s.status.clone() message_status=s.message_status.clone() lang=crate::language::code(l).to_string()/>
                                <p class="mt-3 flex gap-4 print:hidden">
                                    <a class="text-emerald-800 underline" data-testid="print-link" href=format!("/ledger/settlements/{}/print?lang={}", s.id, s.language)>{td_string!(l, slip.printable).to_string()}</a>
                                    <a class="text-emerald-800 underline" href=format!("/ledger/settlements/{}/print?format=thermal&lang={}", s.id, s.language)>{td_string!(l, slip.print_thermal).to_string()}</a>
                                </p>
                            }.into_any()
                        }
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login?next=/ledger/settlements"/> }.into_any(),
                        Err(e) => view! { <LoadError error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// Approve (queues the WhatsApp slip), record payment, send a failed message again.
#[island(lazy)]
fn SettlementActions(id: String, status: String, message_status: Option<String>, lang: String) -> impl IntoView {
    let l = locale_from(&lang);
    let hydrated = hydrated_flag();
    let approve = ServerAction::<ApproveSettlement>::new();
    let paid = ServerAction::<MarkSettlementPaid>::new();
    let resend = ServerAction::<ResendSlip>::new();
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let results = [
            approve.value().get().map(|r| r.map(|_| ())),
            paid.value().get().map(|r| r.map(|_| ())),
            resend.value().get().map(|r| r.map(|_| ())),
        ];
        for r in results.into_iter().flatten() {
            match r {
                Ok(()) => {
                    #[cfg(feature = "hydrate")]
                    {
                        let _ = window().location().reload();
                    }
                }
                Err(e) => error.set(Some(first_message(&e))),
            }
        }
    });
    let (id_a, id_p, id_r) = (id.clone(), id.clone(), id);
    view! {
        <div class="mt-4 flex flex-wrap items-end gap-3 print:hidden" data-testid="settlement-actions" data-hydrated=move || hydrated.get().then_some("true")>
            {(status == "generated" || status == "approved").then(|| view! {
                <button type="button" class=BUTTON data-testid="approve" on:click=move |_| { approve.dispatch(ApproveSettlement { id: id_a.clone() }); }>{td_string!(l, settle.approve).to_string()}</button>
            })}
            {(status == "approved").then(|| {
                let method = RwSignal::new("cash".to_string());
                let reference = RwSignal::new(String::new());
                view! {
                    <label class="text-sm font-medium">{td_string!(l, settle.paid_by).to_string()}
                        <select class=FIELD on:change=move |ev| method.set(event_target_value(&ev))>
                            <option value="cash">{td_string!(l, settle.cash).to_string()}</option><option value="upi">{td_string!(l, settle.upi).to_string()}</option><option value="bank">{td_string!(l, settle.bank).to_string()}</option>
                        </select>
                    </label>
                    <label class="text-sm font-medium">{td_string!(l, settle.reference).to_string()}<input class=FIELD on:input=move |ev| reference.set(event_target_value(&ev))/></label>
                    <button type="button" class=BUTTON data-testid="mark-paid" on:click=move |_| {
                        let r = reference.get_untracked();
                        paid.dispatch(MarkSettlementPaid { id: id_p.clone(), method: method.get_untracked(), reference: (!r.is_empty()).then_some(r) });
                    }>{td_string!(l, settle.mark_paid).to_string()}</button>
                }
            })}
            {(message_status.as_deref() == Some("failed")).then(|| view! {
                <button type="button" class=BUTTON data-testid="resend" on:click=move |_| { resend.dispatch(ResendSlip { id: id_r.clone() }); }>{td_string!(l, settle.send_again).to_string()}</button>
            })}
            <p role="alert" class="w-full text-sm text-red-700">{move || error.get()}</p>
        </div>
    }
}

/// `/ledger/settlements/{id}/print?format=a5|thermal`: the slip alone, for the printer.
#[component]
pub fn SlipPrintPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slip = Resource::new_blocking(move || params.read().get("id").unwrap_or_default(), settlement_slip);
    let thermal = move || query.read().get("format").as_deref() == Some("thermal");
    view! {
        <Title text="Slip · Ledger"/>
        <div class=move || if thermal() { "slip-thermal" } else { "slip-a5" } data-testid="print-slip">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match slip.await {
                        Ok(slip) => view! { <Slip slip=slip lang=crate::language::query_locale().unwrap_or_else(request_locale)/> }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login?next=/ledger/settlements"/> }.into_any(),
                        Err(e) => view! { <LoadError error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// `/ledger/slip/{token}`: the link in the WhatsApp message; no sign-in.
#[component]
pub fn PublicSlipPage() -> impl IntoView {
    let params = use_params_map();
    let slip = Resource::new_blocking(move || params.read().get("token").unwrap_or_default(), public_slip);
    view! {
        <Title text="Slip"/>
        <div class="mx-auto max-w-xl px-4 py-6 slip-a5">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match slip.await {
                        Ok(slip) => view! { <Slip slip=slip/> }.into_any(),
                        Err(e) => view! { <LoadError error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
