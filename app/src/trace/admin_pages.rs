//! The lots' back office: `/admin/batches` (search, a new lot, each crop's cold chain),
//! `/admin/batches/{code}` (the verified history and a form per kind of event) and
//! `/admin/batches/{code}/labels` (an A4 sheet of QR labels to print). Forms are small
//! islands that post to `admin_api` and show each field's error beside it.

use super::admin_api::*;
use super::model::*;
use super::pages::{ChainVerdict, History};
use crate::components::form::{Field, INPUT_CLASS, field_errors, non_field_error};
use crate::components::island_support::{go, hydrated_flag};
use crate::components::not_found::refused;
use crate::domain::batch_event::{ANALYTE_GROUPS, EventKind};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

const CARD: &str = "rounded-2xl border border-stone-200 bg-white p-4 shadow-sm";
const LINK: &str = "font-medium text-emerald-700 hover:underline";
const SMALL_BUTTON: &str =
    "rounded-full bg-emerald-700 px-4 py-1.5 text-sm font-medium text-white hover:bg-emerald-800 disabled:opacity-60";

/// `/admin/batches`
#[component]
pub fn BatchesPage() -> impl IntoView {
    let query = use_query_map();
    let list =
        Resource::new(move || (query.read().get("q"), query.read().get("after")), |(q, after)| batches(q, after));
    let limits = Resource::new(|| (), |_| cold_chains());
    let q = move || query.read().get("q").unwrap_or_default();
    view! {
        <Title text="Lots · Mandi"/>
        <main class="mx-auto max-w-6xl px-4 py-8" data-testid="batches-page">
            <h1 class="text-2xl font-bold text-stone-900">"Lots"</h1>
            <p class="mt-1 text-sm text-stone-600">"Every lot's history is hash-chained: record what happens to it here or over the API."</p>
            <form method="get" action="/admin/batches" role="search" class="mt-4 flex max-w-xl items-end gap-2">
                <div class="grow">
                    <label for="batch-search" class="block text-sm font-medium text-stone-800">"Code, crop or farm"</label>
                    <input id="batch-search" name="q" type="search" value=q class=INPUT_CLASS/>
                </div>
                <button type="submit" class=SMALL_BUTTON>"Search"</button>
            </form>
            <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(page) => view! { <BatchTable page q=q()/> }.into_any(),
                        Err(e) => refused(e, "/admin/batches".into()),
                    }
                })}
            </Suspense>
            <NewBatchForm/>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    limits.await.ok().map(|l| view! { <ColdChainSection limits=l/> })
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn BatchTable(page: BatchList, q: String) -> impl IntoView {
    if page.batches.is_empty() {
        return view! { <p class="mt-6 text-stone-600">"No lots match."</p> }.into_any();
    }
    let next = page.next.map(|after| format!("/admin/batches?q={}&after={after}", urlencoding_lite(&q)));
    view! {
        <div class="mt-6 overflow-x-auto">
            <table class="w-full text-left text-sm" data-testid="batch-list">
                <caption class="sr-only">"Lots, newest harvest first"</caption>
                <thead class="border-b border-stone-300 text-stone-600">
                    <tr>
                        <th scope="col" class="py-2 pr-3 font-medium">"Lot"</th>
                        <th scope="col" class="py-2 pr-3 font-medium">"Crop"</th>
                        <th scope="col" class="py-2 pr-3 font-medium">"Farm"</th>
                        <th scope="col" class="py-2 pr-3 font-medium">"Harvested"</th>
                        <th scope="col" class="py-2 pr-3 font-medium">"Events"</th>
                        <th scope="col" class="py-2 font-medium">"Latest"</th>
                    </tr>
                </thead>
                <tbody>
                    {page.batches.into_iter().map(|b| view! {
                        <tr class="border-b border-stone-100">
                            <th scope="row" class="py-2 pr-3 font-mono"><a class=LINK href=format!("/admin/batches/{}", b.code)>{b.code.clone()}</a></th>
                            <td class="py-2 pr-3">{b.crop}</td>
                            <td class="py-2 pr-3">{b.farm_name}</td>
                            <td class="py-2 pr-3 tabular-nums">{format_date(b.harvested_on)}</td>
                            <td class="py-2 pr-3 tabular-nums">{b.events}</td>
                            <td class="py-2">
                                {b.last_event.map(|k| stage_label(&k))}
                                {b.excursion.then(|| view! { <span class="ml-2 rounded bg-red-100 px-1.5 text-xs font-semibold text-red-800">"cold-chain excursion"</span> })}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {next.map(|href| view! { <a class=format!("mt-3 inline-block {LINK}") href=href rel="next">"Older lots →"</a> })}
        </div>
    }
    .into_any()
}

/// Enough escaping for a search term in a query string.
fn urlencoding_lite(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[island(lazy)]
fn NewBatchForm() -> impl IntoView {
    let hydrated = hydrated_flag();
    let save = ServerAction::<CreateBatch>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    view! {
        <ActionForm action=save attr:class=format!("mt-8 grid gap-4 sm:grid-cols-3 {CARD}") attr:data-testid="new-batch-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h2 class="text-lg font-semibold sm:col-span-3">"New lot"</h2>
            <Field label="Code" form="batch" field="code" hint="e.g. GH-VEG-000123" errors=errors/>
            <Field label="Farm (slug)" form="batch" field="farm" errors=errors/>
            <Field label="Crop" form="batch" field="crop" errors=errors/>
            <Field label="Harvested on" form="batch" field="harvestedOn" kind="date" errors=errors/>
            <Field label="Quantity (kg)" form="batch" field="quantityKg" kind="number" errors=errors/>
            <Field label="Where" form="batch" field="place" errors=errors/>
            <div class="flex items-center gap-3 sm:col-span-3">
                <button type="submit" class=SMALL_BUTTON disabled=move || save.pending().get()>"Record harvest"</button>
                <span class="text-sm text-emerald-700" role="status">{move || match save.value().get() {
                    Some(Ok(_)) => Some(view! { "Recorded. " <a class=LINK href="/admin/batches">"Refresh the list"</a> }),
                    _ => None,
                }}</span>
                <span class="text-sm text-red-700" role="alert" data-testid="form-error">{move || non_field_error(save.value().get())}</span>
            </div>
        </ActionForm>
    }
}

#[component]
fn ColdChainSection(limits: Vec<ColdChainView>) -> impl IntoView {
    view! {
        <section class=format!("mt-8 {CARD}") aria-labelledby="cold-chains" data-testid="cold-chains">
            <h2 id="cold-chains" class="text-lg font-semibold">"Cold chains"</h2>
            <p class="text-sm text-stone-600">"A temperature recorded for a lot outside its crop's range opens an alert and marks the lot."</p>
            <ul class="mt-2 text-sm">
                {limits.into_iter().map(|l| view! { <li>{format!("{}: {}–{} °C", l.crop, l.min_c, l.max_c)}</li> }).collect_view()}
            </ul>
            <ColdChainForm/>
        </section>
    }
}

#[island(lazy)]
fn ColdChainForm() -> impl IntoView {
    let save = ServerAction::<SetColdChain>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    view! {
        <ActionForm action=save attr:class="mt-3 grid gap-3 sm:grid-cols-4">
            <div>
                <label for="cold-crop" class="block text-sm font-medium text-stone-800">"Crop"</label>
                <input id="cold-crop" name="crop" class=INPUT_CLASS/>
                <p class="mt-1 text-sm text-red-700" role="alert">{move || errors.with(|e| e.get("crop").cloned())}</p>
            </div>
            <Field label="Lowest °C" form="limits" field="minC" kind="number" errors=errors/>
            <Field label="Highest °C" form="limits" field="maxC" kind="number" errors=errors/>
            <div class="flex items-end gap-2">
                <button type="submit" class=SMALL_BUTTON>"Set"</button>
                <span class="text-sm text-emerald-700" role="status">{move || matches!(save.value().get(), Some(Ok(_))).then_some("Saved")}</span>
                <span class="text-sm text-red-700" role="alert">{move || non_field_error(save.value().get())}</span>
            </div>
        </ActionForm>
    }
}

/// `/admin/batches/{code}`
#[component]
pub fn BatchPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let history = Resource::new(code, lot_history);
    view! {
        <Suspense fallback=|| view! { <p class="mx-auto max-w-4xl px-4 py-8 text-stone-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(h) => view! { <BatchView history=h/> }.into_any(),
                    Err(e) => refused(e, format!("/admin/batches/{}", code())),
                }
            })}
        </Suspense>
    }
}

#[component]
fn BatchView(history: BatchHistory) -> impl IntoView {
    let BatchHistory { code, crop, harvested_on, events, chain } = history;
    let title = format!("Lot {code} · Mandi");
    view! {
        <Title text=title/>
        <main class="mx-auto max-w-4xl px-4 py-8" data-testid="batch-page">
            <p class="text-sm"><a class=LINK href="/admin/batches">"← Lots"</a></p>
            <h1 class="mt-1 text-2xl font-bold text-stone-900">{format!("Lot {code}")}</h1>
            <p class="text-stone-700">{format!("{crop}, harvested {}", format_date(harvested_on))}</p>
            <p class="mt-2 flex flex-wrap gap-4 text-sm">
                <a class=LINK href=format!("/trace/{code}")>"Public trace page"</a>
                <a class=LINK href=format!("/admin/batches/{code}/labels") data-testid="labels-link">"Print labels"</a>
            </p>
            <ChainVerdict chain/>
            <RecordEventForm code=code.clone() event_id=new_event_id()/>
            <section class="mt-8" aria-labelledby="history-heading">
                <h2 id="history-heading" class="mb-3 text-lg font-semibold">{format!("History ({} events)", events.len())}</h2>
                <History events/>
            </section>
        </main>
    }
}

/// A fresh id for the form's event, made when the page is drawn: submitting the same
/// form twice (a double tap, a retry) records the event once.
fn new_event_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[island(lazy)]
fn RecordEventForm(code: String, event_id: String) -> impl IntoView {
    let hydrated = hydrated_flag();
    let save = ServerAction::<RecordBatchEvent>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    let back = format!("/admin/batches/{code}");
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            go(&back);
        }
    });
    view! {
        <ActionForm action=save attr:class=format!("mt-6 grid gap-4 sm:grid-cols-3 {CARD}") attr:data-testid="event-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h2 class="text-lg font-semibold sm:col-span-3">"Record an event"</h2>
            <input type="hidden" name="code" value=code/>
            <input type="hidden" name="event[eventId]" value=event_id/>
            <div>
                <label for="event-kind" class="block text-sm font-medium text-stone-800">"What happened"</label>
                <select id="event-kind" name="event[kind]" class=INPUT_CLASS>
                    {EventKind::ALL.into_iter().filter(|k| *k != EventKind::Harvested).map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                </select>
                <p class="mt-1 text-sm text-red-700" role="alert" data-field-error="kind">{move || errors.with(|e| e.get("kind").cloned())}</p>
            </div>
            <Field label="When" form="event" field="occurredAt" kind="datetime-local" hint="India time" errors=errors/>
            <Field label="Where" form="event" field="place" errors=errors/>
            <Field label="Temperature (°C)" form="event" field="temperatureC" kind="number" errors=errors/>
            <Field label="Quantity (kg)" form="event" field="quantityKg" kind="number" errors=errors/>
            <Field label="Done by (team or company)" form="event" field="actor" errors=errors/>
            <div class="sm:col-span-3"><Field label="Note" form="event" field="note" errors=errors/></div>
            <details class="sm:col-span-3">
                <summary class="cursor-pointer text-sm font-medium">"Lab result (for “Lab tested”)"</summary>
                <div class="mt-2 grid gap-4 sm:grid-cols-3">
                    <Field label="Test" form="event" field="test" errors=errors/>
                    <div>
                        <label for="event-analyteGroup" class="block text-sm font-medium text-stone-800">"Group"</label>
                        <select id="event-analyteGroup" name="event[analyteGroup]" class=INPUT_CLASS>
                            {ANALYTE_GROUPS.into_iter().map(|g| view! { <option value=g>{g.replace('_', " ")}</option> }).collect_view()}
                        </select>
                    </div>
                    <Field label="Value" form="event" field="value" kind="number" errors=errors/>
                    <Field label="Unit" form="event" field="unit" errors=errors/>
                    <Field label="Limit" form="event" field="limit" kind="number" errors=errors/>
                    <div>
                        <label for="event-limitKind" class="block text-sm font-medium text-stone-800">"Limit is a"</label>
                        <select id="event-limitKind" name="event[limitKind]" class=INPUT_CLASS>
                            <option value="max">"maximum"</option>
                            <option value="min">"minimum"</option>
                        </select>
                    </div>
                    <Field label="Laboratory" form="event" field="lab" errors=errors/>
                    <Field label="Report number" form="event" field="reportNumber" errors=errors/>
                </div>
            </details>
            <details class="sm:col-span-3">
                <summary class="cursor-pointer text-sm font-medium">"Certificate (for “Certified”)"</summary>
                <div class="mt-2 grid gap-4 sm:grid-cols-3">
                    <Field label="Scheme" form="event" field="scheme" errors=errors/>
                    <Field label="Issuer" form="event" field="issuer" errors=errors/>
                    <Field label="Number" form="event" field="number" errors=errors/>
                    <Field label="Valid from" form="event" field="validFrom" kind="date" errors=errors/>
                    <Field label="Valid until" form="event" field="validUntil" kind="date" errors=errors/>
                </div>
            </details>
            <div class="flex items-center gap-3 sm:col-span-3">
                <button type="submit" class=SMALL_BUTTON disabled=move || save.pending().get()>"Record"</button>
                <span class="text-sm text-red-700" role="alert" data-testid="form-error">{move || non_field_error(save.value().get())}</span>
            </div>
        </ActionForm>
    }
}

/// `/admin/batches/{code}/labels`: 24 labels on an A4 sheet (3 × 8), each with the QR
/// code of the lot's public page, its code and product.
#[component]
pub fn LabelsPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let sheet = Resource::new(code, batch_labels);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match sheet.await {
                    Ok(s) => view! { <LabelSheetView sheet=s/> }.into_any(),
                    Err(e) => refused(e, format!("/admin/batches/{}/labels", code())),
                }
            })}
        </Suspense>
    }
}

#[component]
fn LabelSheetView(sheet: LabelSheet) -> impl IntoView {
    let qr = format!("/trace/{}/qr.svg", sheet.code);
    view! {
        <Title text=format!("Labels for lot {} · Mandi", sheet.code)/>
        <style>"@page { size: A4; margin: 8mm } @media print { header, footer, .no-print { display: none !important } body { background: white } }"</style>
        <main class="mx-auto max-w-[210mm] p-4 print:p-0" data-testid="label-sheet">
            <p class="no-print mb-4 text-sm text-stone-700">"24 labels on A4 (3 × 8). Print at 100 % scale. "
                <a class=LINK href=format!("/admin/batches/{}", sheet.code)>"Back to the lot"</a>
            </p>
            <div class="grid grid-cols-3 gap-[2mm]">
                {(0..24).map(|_| view! {
                    <div class="flex h-[34mm] items-center gap-[2mm] overflow-hidden border border-dashed border-stone-300 p-[2mm]" data-testid="label">
                        <img src=qr.clone() alt="" width="96" height="96" class="h-[28mm] w-[28mm] shrink-0"/>
                        <div class="min-w-0 text-[9pt] leading-tight">
                            <p class="font-mono font-bold">{sheet.code.clone()}</p>
                            <p class="mt-1 break-words">{sheet.name.clone()}</p>
                            <p class="mt-1 text-[7pt] text-stone-600">"Scan to trace"</p>
                        </div>
                    </div>
                }).collect_view()}
            </div>
        </main>
    }
}
