//! The estate admin's ownership screens: `/admin/farms` (farms and the estate's rates),
//! `/admin/farms/{slug}` (profile, agreements, a month's revenue and costs, CSV
//! import), `/admin/distributions` (runs, a new preview) and
//! `/admin/distributions/{id}` (approve, mark payouts paid). Forms are small islands
//! that post to `api` and show each field's error beside it.

use super::api::*;
use super::model::*;
use super::statement_text::rupees;
use crate::components::form::{BUTTON_CLASS, Field, INPUT_CLASS, field_errors, non_field_error};
use crate::components::island_support::{go, hydrated_flag};
use crate::components::not_found::refused;
use crate::domain::distribution::Month;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

const CARD: &str = "rounded-2xl border border-stone-200 bg-white p-4 shadow-sm";
const LINK: &str = "font-medium text-emerald-700 hover:underline";
const SMALL_BUTTON: &str =
    "rounded-full bg-emerald-700 px-4 py-1.5 text-sm font-medium text-white hover:bg-emerald-800 disabled:opacity-60";

fn this_month_label() -> String {
    #[cfg(feature = "ssr")]
    {
        let today = crate::domain::distribution::ist_date(chrono::Utc::now());
        Month::containing(today).to_string()
    }
    #[cfg(not(feature = "ssr"))]
    {
        String::new()
    }
}

fn last_month_label() -> String {
    Month::parse(&this_month_label())
        .map(|m| Month::containing(m.first_day() - chrono::Days::new(1)).to_string())
        .unwrap_or_default()
}

// ------------------------------------------------------------------- farms

#[component]
pub fn AdminFarmsPage() -> impl IntoView {
    let farms = Resource::new_blocking(|| (), |_| admin_farms());
    let settings = Resource::new_blocking(|| (), |_| get_ownership_settings());
    view! {
        <Title text="Farms and owners · Mandi"/>
        <section class="mx-auto max-w-5xl px-4 py-8">
            <div class="flex flex-wrap items-baseline justify-between gap-3">
                <h1 class="text-2xl font-bold">"Farms and owners"</h1>
                <a class=LINK href="/admin/distributions">"Distributions →"</a>
            </div>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match (farms.await, settings.await) {
                        (Ok(farms), Ok(settings)) => view! {
                            <ul class="mt-6 divide-y divide-stone-200 rounded-2xl border border-stone-200 bg-white" data-testid="admin-farms">
                                {farms.into_iter().map(|f| view! {
                                    <li class="flex flex-wrap items-center justify-between gap-2 p-4" data-testid="admin-farm">
                                        <div>
                                            <a class=LINK href=format!("/admin/farms/{}", f.profile.slug)>{f.profile.name.clone()}</a>
                                            <p class="text-sm text-stone-500">{format!("{}, {}", f.profile.region, f.profile.state)}</p>
                                        </div>
                                        <p class="text-sm tabular-nums">{format!("{} of {} units held · {} owners", f.units_held, f.profile.total_units, f.owners)}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                            <SettingsForm fee=settings.platform_fee_percent.normalize().to_string() tds=settings.tds_percent.normalize().to_string()/>
                        }.into_any(),
                        (Err(e), _) | (_, Err(e)) => refused(e, "/admin/farms".into()),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[island(lazy)]
fn SettingsForm(fee: String, tds: String) -> impl IntoView {
    let hydrated = hydrated_flag();
    let save = ServerAction::<SetOwnershipSettings>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    view! {
        <ActionForm action=save attr:class=format!("mt-6 grid gap-4 sm:grid-cols-3 sm:items-end {CARD}") attr:data-testid="settings-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h2 class="text-lg font-semibold sm:col-span-3">"Estate rates"</h2>
            <Field label="Platform fee (% of revenue)" form="settings" field="platformFeePercent" kind="number" value=fee errors=errors/>
            <Field label="TDS on payouts (%)" form="settings" field="tdsPercent" kind="number" value=tds errors=errors/>
            <div>
                <button type="submit" class=BUTTON_CLASS disabled=move || save.pending().get()>"Save rates"</button>
                <p class="mt-1 text-sm text-emerald-700" role="status">{move || matches!(save.value().get(), Some(Ok(_))).then_some("Saved")}</p>
            </div>
        </ActionForm>
    }
}

#[component]
pub fn AdminFarmPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let month = move || query.read().get("month").filter(|m| Month::parse(m).is_ok()).unwrap_or_else(this_month_label);
    let farm = Resource::new_blocking(slug, farm_for_admin);
    let lines = Resource::new_blocking(move || (slug(), month()), |(s, m)| money_lines(s, m));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match (farm.await, lines.await) {
                    (Ok((farm, agreements)), Ok(lines)) => view! { <FarmAdmin farm agreements lines month=month()/> }.into_any(),
                    (Err(e), _) | (_, Err(e)) => refused(e, format!("/admin/farms/{}", slug())),
                }
            })}
        </Suspense>
    }
}

#[component]
fn FarmAdmin(farm: AdminFarm, agreements: Vec<Agreement>, lines: Vec<MoneyLine>, month: String) -> impl IntoView {
    let p = farm.profile.clone();
    let slug = p.slug.clone();
    let revenue: crate::domain::money::Money = lines.iter().filter(|l| l.kind == "revenue").map(|l| l.amount).sum();
    let costs: crate::domain::money::Money = lines.iter().filter(|l| l.kind == "cost").map(|l| l.amount).sum();
    let previous = Month::parse(&month)
        .map(|m| Month::containing(m.first_day() - chrono::Days::new(1)).to_string())
        .unwrap_or_default();
    let next = Month::parse(&month).map(|m| m.next().to_string()).unwrap_or_default();
    view! {
        <Title text=format!("{} · Farms · Mandi", p.name)/>
        <section class="mx-auto max-w-5xl px-4 py-8">
            <a class=LINK href="/admin/farms">"← Farms and owners"</a>
            <h1 class="mt-2 text-2xl font-bold">{p.name.clone()}</h1>
            <p class="text-stone-600 tabular-nums" data-testid="units-summary">{format!("{} of {} units held today · {} owners", farm.units_held, p.total_units, farm.owners)}</p>
            <ProfileForm slug=slug.clone()
                description=p.description.clone()
                latitude=p.latitude.map(|d| d.normalize().to_string()).unwrap_or_default()
                longitude=p.longitude.map(|d| d.normalize().to_string()).unwrap_or_default()
                area=p.area_acres.map(|d| d.normalize().to_string()).unwrap_or_default()
                infrastructure=p.infrastructure.clone()
                crops=p.crops.join(", ")
                units=p.total_units.to_string()/>

            <h2 class="mt-8 text-xl font-semibold">"Agreements"</h2>
            <div class="mt-3 overflow-x-auto">
                <table class="w-full text-left text-sm" data-testid="agreements">
                    <thead class="border-b border-stone-300 text-stone-500"><tr><th class="py-2 pr-3">"Owner"</th><th class="pr-3 text-right">"Units"</th><th class="pr-3">"From"</th><th class="pr-3">"To"</th><th class="pr-3 text-right">"Price paid"</th><th>"End on"</th></tr></thead>
                    <tbody>
                        {agreements.into_iter().map(|a| view! {
                            <tr class="border-b border-stone-100 align-top" data-testid="agreement">
                                <td class="py-2 pr-3">{a.owner_name.clone()}<span class="block text-xs text-stone-500">{a.owner_contact.clone().unwrap_or_default()}</span></td>
                                <td class="pr-3 text-right tabular-nums">{a.units}</td>
                                <td class="pr-3 tabular-nums">{a.starts_on.to_string()}</td>
                                <td class="pr-3 tabular-nums">{a.ends_on.map(|e| e.to_string()).unwrap_or_else(|| "—".into())}</td>
                                <td class="pr-3 text-right tabular-nums">{rupees(a.price_paid)}</td>
                                <td>{a.ends_on.is_none().then(|| view! { <EndAgreementForm agreement=a.id.to_string()/> })}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <AgreementForm slug=slug.clone()/>

            <div class="mt-8 flex flex-wrap items-baseline justify-between gap-3">
                <h2 class="text-xl font-semibold">"Revenue and costs · "{month.clone()}</h2>
                <nav class="flex gap-4 text-sm">
                    <a class=LINK href=format!("/admin/farms/{slug}?month={previous}")>"← "{previous.clone()}</a>
                    <a class=LINK href=format!("/admin/farms/{slug}?month={next}")>{next.clone()}" →"</a>
                </nav>
            </div>
            <p class="mt-1 text-sm tabular-nums" data-testid="month-totals">{format!("Revenue {} · Costs {}", rupees(revenue), rupees(costs))}</p>
            <div class="mt-3 overflow-x-auto">
                <table class="w-full text-left text-sm" data-testid="money-lines">
                    <thead class="border-b border-stone-300 text-stone-500"><tr><th class="py-2 pr-3">"Day"</th><th class="pr-3">"Kind"</th><th class="pr-3">"Source or category"</th><th class="pr-3 text-right">"Amount"</th><th>"Note"</th></tr></thead>
                    <tbody>
                        {lines.into_iter().map(|l| view! {
                            <tr class="border-b border-stone-100">
                                <td class="py-1.5 pr-3 tabular-nums">{l.on.to_string()}</td>
                                <td class="pr-3">{l.kind.clone()}</td>
                                <td class="pr-3">{l.label.clone()}</td>
                                <td class="pr-3 text-right tabular-nums">{rupees(l.amount)}</td>
                                <td>{l.note.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="mt-4 grid gap-4 lg:grid-cols-2">
                <MoneyLineForm slug=slug.clone()/>
                <ImportForm slug=slug/>
            </div>
        </section>
    }
}

#[island(lazy)]
#[allow(clippy::too_many_arguments)]
fn ProfileForm(
    slug: String,
    description: String,
    latitude: String,
    longitude: String,
    area: String,
    infrastructure: String,
    crops: String,
    units: String,
) -> impl IntoView {
    let hydrated = hydrated_flag();
    let save = ServerAction::<UpdateFarm>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    view! {
        <ActionForm action=save attr:class=format!("mt-6 grid gap-4 sm:grid-cols-2 {CARD}") attr:data-testid="profile-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h2 class="text-lg font-semibold sm:col-span-2">"Profile"</h2>
            <input type="hidden" name="farm" value=slug/>
            <Field label="Total share units" form="profile" field="totalUnits" kind="number" value=units errors=errors/>
            <Field label="Area (acres)" form="profile" field="areaAcres" kind="number" value=area errors=errors/>
            <Field label="Latitude" form="profile" field="latitude" kind="number" value=latitude hint="−90 to 90, e.g. 27.0360" errors=errors/>
            <Field label="Longitude" form="profile" field="longitude" kind="number" value=longitude hint="−180 to 180, e.g. 88.2627" errors=errors/>
            <Field label="Crops" form="profile" field="crops" value=crops hint="Comma-separated: tea, cardamom" errors=errors/>
            <Field label="Infrastructure" form="profile" field="infrastructure" value=infrastructure errors=errors/>
            <div class="sm:col-span-2"><Field label="Description" form="profile" field="description" value=description errors=errors/></div>
            <div class="sm:col-span-2 flex items-center gap-3">
                <button type="submit" class=SMALL_BUTTON disabled=move || save.pending().get()>"Save profile"</button>
                <span class="text-sm text-emerald-700" role="status">{move || matches!(save.value().get(), Some(Ok(_))).then_some("Saved")}</span>
                <span class="text-sm text-red-700" role="alert" data-testid="form-error">{move || non_field_error(save.value().get())}</span>
            </div>
        </ActionForm>
    }
}

#[island(lazy)]
fn AgreementForm(slug: String) -> impl IntoView {
    let hydrated = hydrated_flag();
    let save = ServerAction::<AddAgreement>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    let back = format!("/admin/farms/{slug}");
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            go(&back);
        }
    });
    view! {
        <ActionForm action=save attr:class=format!("mt-4 grid gap-4 sm:grid-cols-3 {CARD}") attr:data-testid="agreement-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h3 class="font-semibold sm:col-span-3">"New agreement"</h3>
            <input type="hidden" name="farm" value=slug/>
            <Field label="Owner (e-mail, phone or id)" form="agreement" field="owner" errors=errors/>
            <Field label="Units" form="agreement" field="units" kind="number" errors=errors/>
            <Field label="Price paid (₹)" form="agreement" field="pricePaid" errors=errors/>
            <Field label="Starts on" form="agreement" field="startsOn" kind="date" errors=errors/>
            <Field label="Ends on (optional)" form="agreement" field="endsOn" kind="date" errors=errors/>
            <div class="flex items-end gap-3">
                <button type="submit" class=SMALL_BUTTON disabled=move || save.pending().get()>"Add agreement"</button>
            </div>
            <p class="text-sm text-red-700 sm:col-span-3" role="alert" data-testid="form-error">{move || non_field_error(save.value().get())}</p>
        </ActionForm>
    }
}

#[island(lazy)]
fn EndAgreementForm(agreement: String) -> impl IntoView {
    let save = ServerAction::<EndAgreement>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    let id = format!("end-{agreement}");
    view! {
        <ActionForm action=save attr:class="flex flex-wrap items-start gap-2">
            <input type="hidden" name="agreement" value=agreement/>
            <label for=id.clone() class="sr-only">"Last day"</label>
            <input id=id type="date" name="ends_on" class="rounded border border-stone-300 px-2 py-1 text-sm"/>
            <button type="submit" class="rounded-full border border-stone-300 px-3 py-1 text-sm">"End"</button>
            <span class="w-full text-xs text-red-700" role="alert">{move || errors.with(|e| e.get("endsOn").cloned()).or_else(|| non_field_error(save.value().get()))}</span>
            <span class="text-xs text-emerald-700" role="status">{move || matches!(save.value().get(), Some(Ok(_))).then_some("Ended")}</span>
        </ActionForm>
    }
}

#[island(lazy)]
fn MoneyLineForm(slug: String) -> impl IntoView {
    let hydrated = hydrated_flag();
    let save = ServerAction::<AddMoneyLine>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    let back = format!("/admin/farms/{slug}");
    Effect::new(move |_| {
        if let Some(Ok(line)) = save.value().get() {
            go(&format!("{back}?month={}", Month::containing(line.on)));
        }
    });
    view! {
        <ActionForm action=save attr:class=format!("grid gap-3 {CARD}") attr:data-testid="money-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h3 class="font-semibold">"Add revenue or a cost"</h3>
            <input type="hidden" name="farm" value=slug/>
            <div>
                <label for="line-kind" class="block text-sm font-medium">"Kind"</label>
                <select id="line-kind" name="line[kind]" class=INPUT_CLASS>
                    <option value="revenue">"Revenue"</option>
                    <option value="cost">"Cost"</option>
                </select>
                <p class="mt-1 text-sm text-red-700" role="alert" data-field-error="kind">{move || errors.with(|e| e.get("kind").cloned())}</p>
            </div>
            <Field label="Day" form="line" field="on" kind="date" errors=errors/>
            <Field label="Source (auction, direct) or cost category" form="line" field="label" errors=errors/>
            <Field label="Amount (₹)" form="line" field="amount" errors=errors/>
            <Field label="Note" form="line" field="note" errors=errors/>
            <button type="submit" class=SMALL_BUTTON disabled=move || save.pending().get()>"Add"</button>
            <p class="text-sm text-red-700" role="alert" data-testid="form-error">{move || non_field_error(save.value().get())}</p>
        </ActionForm>
    }
}

#[island(lazy)]
fn ImportForm(slug: String) -> impl IntoView {
    let hydrated = hydrated_flag();
    let save = ServerAction::<ImportMoneyLines>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    view! {
        <ActionForm action=save attr:class=format!("grid gap-3 {CARD}") attr:data-testid="import-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h3 class="font-semibold">"Import a CSV"</h3>
            <input type="hidden" name="farm" value=slug/>
            <label for="import-csv" class="block text-sm font-medium">"Lines: kind,on,label,amount,note"</label>
            <textarea id="import-csv" name="csv" rows="6" class=format!("{INPUT_CLASS} font-mono text-xs")
                placeholder="kind,on,label,amount,note\nrevenue,2026-11-03,auction,12000.50,Lot 7"></textarea>
            <ul class="text-sm text-red-700" role="alert" data-testid="import-errors">
                {move || errors.get().into_iter().map(|(k, v)| view! { <li>{format!("{k}: {v}")}</li> }).collect_view()}
            </ul>
            <p class="text-sm text-red-700" role="alert">{move || non_field_error(save.value().get())}</p>
            <p class="text-sm text-emerald-700" role="status" data-testid="import-result">
                {move || match save.value().get() {
                    Some(Ok(r)) => Some(format!("Imported {} lines: revenue {}, costs {}", r.imported, rupees(r.revenue), rupees(r.costs))),
                    _ => None,
                }}
            </p>
            <button type="submit" class=SMALL_BUTTON disabled=move || save.pending().get()>"Import"</button>
        </ActionForm>
    }
}

// ------------------------------------------------------------- distributions

#[component]
pub fn DistributionsPage() -> impl IntoView {
    let runs = Resource::new_blocking(|| (), |_| distribution_runs(None));
    let farms = Resource::new_blocking(|| (), |_| admin_farms());
    view! {
        <Title text="Distributions · Mandi"/>
        <section class="mx-auto max-w-5xl px-4 py-8">
            <a class=LINK href="/admin/farms">"← Farms and owners"</a>
            <h1 class="mt-2 text-2xl font-bold">"Distributions"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match (runs.await, farms.await) {
                        (Ok(runs), Ok(farms)) => view! {
                            <PreviewForm farms=farms.into_iter().map(|f| (f.profile.slug, f.profile.name)).collect() month=last_month_label()/>
                            <div class="mt-6 overflow-x-auto">
                                <table class="w-full text-left text-sm" data-testid="runs">
                                    <thead class="border-b border-stone-300 text-stone-500"><tr><th class="py-2 pr-3">"Month"</th><th class="pr-3">"Farm"</th><th class="pr-3">"Status"</th><th class="pr-3 text-right">"Distributable"</th><th></th></tr></thead>
                                    <tbody>
                                        {runs.into_iter().map(|r| view! {
                                            <tr class="border-b border-stone-100" data-testid="run">
                                                <td class="py-2 pr-3 tabular-nums">{r.period.clone()}</td>
                                                <td class="pr-3">{r.farm_name.clone()}</td>
                                                <td class="pr-3">{r.status.clone()}</td>
                                                <td class="pr-3 text-right tabular-nums">{rupees(r.distributable)}</td>
                                                <td><a class=LINK href=format!("/admin/distributions/{}", r.id)>"Open"</a></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        (Err(e), _) | (_, Err(e)) => refused(e, "/admin/distributions".into()),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[island(lazy)]
fn PreviewForm(farms: Vec<(String, String)>, month: String) -> impl IntoView {
    let hydrated = hydrated_flag();
    let save = ServerAction::<PreviewDistribution>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    Effect::new(move |_| {
        if let Some(Ok(run)) = save.value().get() {
            go(&format!("/admin/distributions/{}", run.id));
        }
    });
    view! {
        <ActionForm action=save attr:class=format!("mt-6 grid gap-4 sm:grid-cols-3 sm:items-end {CARD}") attr:data-testid="preview-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <div>
                <label for="preview-farm" class="block text-sm font-medium">"Farm"</label>
                <select id="preview-farm" name="request[farm]" class=INPUT_CLASS>
                    {farms.into_iter().map(|(slug, name)| view! { <option value=slug>{name}</option> }).collect_view()}
                </select>
                <p class="mt-1 text-sm text-red-700" role="alert" data-field-error="farm">{move || errors.with(|e| e.get("farm").cloned())}</p>
            </div>
            <Field label="Month (YYYY-MM)" form="request" field="period" value=month errors=errors/>
            <div>
                <button type="submit" class=BUTTON_CLASS disabled=move || save.pending().get()>"Preview"</button>
                <p class="mt-1 text-sm text-red-700" role="alert" data-testid="form-error">{move || non_field_error(save.value().get())}</p>
            </div>
        </ActionForm>
    }
}

#[component]
pub fn DistributionPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let run = Resource::new_blocking(id, get_distribution_run);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match run.await {
                    Ok(run) => view! { <RunView run/> }.into_any(),
                    Err(e) => refused(e, format!("/admin/distributions/{}", id())),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RunView(run: DistributionRun) -> impl IntoView {
    let total_gross: crate::domain::money::Money = run.payouts.iter().map(|p| p.gross).sum();
    let total_net: crate::domain::money::Money = run.payouts.iter().map(|p| p.net).sum();
    let total_tds: crate::domain::money::Money = run.payouts.iter().map(|p| p.tds).sum();
    let why = run.nothing_to_pay.as_deref().map(|code| match code {
        "NO_REVENUE" => "Nothing to pay: the farm recorded no revenue in this month.",
        "COSTS_EXCEED_REVENUE" => "Nothing to pay: the fee and costs are more than the revenue.",
        _ => "Nothing to pay: no owner held units in this month.",
    });
    let approved = run.status == "approved";
    view! {
        <Title text=format!("{} {} · Distribution · Mandi", run.farm_name, run.period)/>
        <section class="mx-auto max-w-5xl px-4 py-8">
            <a class=LINK href="/admin/distributions">"← Distributions"</a>
            <h1 class="mt-2 text-2xl font-bold">{format!("{} · {}", run.farm_name, run.period)}</h1>
            <p class="text-stone-600" data-testid="run-status">{if approved { "Approved" } else { "Preview" }}</p>
            <dl class=format!("mt-4 grid gap-2 text-sm sm:grid-cols-2 {CARD}") data-testid="run-figures">
                <div class="flex justify-between"><dt>"Revenue"</dt><dd class="tabular-nums">{rupees(run.revenue)}</dd></div>
                <div class="flex justify-between"><dt>{format!("Platform fee ({}%)", run.platform_fee_percent.normalize())}</dt><dd class="tabular-nums">{rupees(-run.platform_fee)}</dd></div>
                <div class="flex justify-between"><dt>"Operating costs"</dt><dd class="tabular-nums">{rupees(-run.costs)}</dd></div>
                <div class="flex justify-between font-semibold"><dt>"Distributable"</dt><dd class="tabular-nums" data-testid="distributable">{rupees(run.distributable)}</dd></div>
                <div class="flex justify-between"><dt>"Unit-days"</dt><dd class="tabular-nums">{run.total_unit_days}</dd></div>
            </dl>
            {why.map(|w| view! { <p class="mt-4 rounded-lg border border-amber-200 bg-amber-50 px-3 py-2 text-amber-900" data-testid="nothing-to-pay">{w}</p> })}
            {(!approved).then(|| view! { <ApproveButton run=run.id.to_string()/> })}
            <div class="mt-6 overflow-x-auto">
                <table class="w-full text-left text-sm" data-testid="payouts">
                    <thead class="border-b border-stone-300 text-stone-500"><tr><th class="py-2 pr-3">"Owner"</th><th class="pr-3 text-right">"Unit-days"</th><th class="pr-3 text-right">"Share"</th><th class="pr-3 text-right">"TDS"</th><th class="pr-3 text-right">"Net"</th><th>"Payment"</th></tr></thead>
                    <tbody>
                        {run.payouts.into_iter().map(|p| view! {
                            <tr class="border-b border-stone-100 align-top" data-testid="payout">
                                <td class="py-2 pr-3">{p.owner_name.clone()}</td>
                                <td class="pr-3 text-right tabular-nums">{p.unit_days}</td>
                                <td class="pr-3 text-right tabular-nums" data-testid="payout-gross">{rupees(p.gross)}</td>
                                <td class="pr-3 text-right tabular-nums">{rupees(p.tds)}</td>
                                <td class="pr-3 text-right tabular-nums">{rupees(p.net)}</td>
                                <td>{match (p.payout_id, p.status.as_str()) {
                                    (Some(_), "paid") => view! { <span data-testid="paid">{format!("Paid · {}", p.bank_reference.clone().unwrap_or_default())}</span> }.into_any(),
                                    (Some(id), _) => view! { <MarkPaidForm payout=id.to_string()/> }.into_any(),
                                    (None, _) => view! { <span class="text-stone-500">"—"</span> }.into_any(),
                                }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                    <tfoot><tr class="font-semibold">
                        <td class="py-2 pr-3">"Total"</td><td></td>
                        <td class="pr-3 text-right tabular-nums" data-testid="total-gross">{rupees(total_gross)}</td>
                        <td class="pr-3 text-right tabular-nums">{rupees(total_tds)}</td>
                        <td class="pr-3 text-right tabular-nums">{rupees(total_net)}</td><td></td>
                    </tr></tfoot>
                </table>
            </div>
        </section>
    }
}

#[island(lazy)]
fn ApproveButton(run: String) -> impl IntoView {
    let hydrated = hydrated_flag();
    let approve = ServerAction::<ApproveDistribution>::new();
    Effect::new(move |_| {
        if let Some(Ok(run)) = approve.value().get() {
            go(&format!("/admin/distributions/{}", run.id));
        }
    });
    view! {
        <ActionForm action=approve attr:class="mt-4 flex flex-wrap items-center gap-3" attr:data-testid="approve-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <input type="hidden" name="run" value=run/>
            <button type="submit" class=SMALL_BUTTON disabled=move || approve.pending().get()>"Approve and create payouts"</button>
            <p class="text-sm text-red-700" role="alert" data-testid="form-error">{move || match approve.value().get() {
                Some(Err(e)) => Some(e.to_string()),
                _ => None,
            }}</p>
        </ActionForm>
    }
}

#[island(lazy)]
fn MarkPaidForm(payout: String) -> impl IntoView {
    let save = ServerAction::<MarkPayoutPaid>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    let id = format!("paid-{payout}");
    view! {
        <ActionForm action=save attr:class="flex flex-wrap items-start gap-2">
            <input type="hidden" name="payout" value=payout/>
            <label for=id.clone() class="sr-only">"Bank reference"</label>
            <input id=id name="request[bankReference]" placeholder="Bank reference" class="w-36 rounded border border-stone-300 px-2 py-1 text-sm"/>
            <button type="submit" class="rounded-full border border-stone-300 px-3 py-1 text-sm">"Mark paid"</button>
            <span class="w-full text-xs text-red-700" role="alert">{move || errors.with(|e| e.get("bankReference").cloned()).or_else(|| non_field_error(save.value().get()))}</span>
            <span class="text-xs text-emerald-700" role="status">{move || match save.value().get() {
                Some(Ok(p)) => Some(format!("Paid · {}", p.bank_reference.unwrap_or_default())),
                _ => None,
            }}</span>
        </ActionForm>
    }
}
