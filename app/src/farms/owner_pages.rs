//! A farm owner's pages, phone first: `/my/farms` (a card per farm), `/my/farms/{slug}`
//! (plants, visits, alerts, money, statements), and the printable statements
//! `/my/statements/{id}` and `/my/statements/annual/{year}` (each with its PDF).

use super::api::{my_annual_statement, my_farm, my_farms, my_statement};
use super::model::*;
use super::statement_text::{StatementDocument, annual_document, rupees, statement_document};
use crate::components::not_found::LoadError;
use crate::domain::health_score::{Basis, HealthScore, Part};
use crate::error::AppError;
use crate::language::{Locale, request_locale, td_string};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_params_map;

const CARD: &str = "rounded-2xl border border-stone-200 bg-white p-4 shadow-sm sm:p-5";
const LINK: &str = "font-medium text-emerald-700 hover:underline";

fn refused(error: AppError, back_to: String) -> AnyView {
    match error {
        AppError::Unauthenticated => view! { <Redirect path=format!("/login?next={back_to}")/> }.into_any(),
        error => view! { <LoadError error/> }.into_any(),
    }
}

fn trend_svg(points: &[TrendPoint], l: Locale) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        super::trend_chart::trend_svg(points, l).ok().flatten()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = (points, l);
        None
    }
}

fn score_colour(score: u8) -> &'static str {
    match score {
        75.. => "bg-emerald-100 text-emerald-900",
        50..75 => "bg-amber-100 text-amber-900",
        _ => "bg-red-100 text-red-900",
    }
}

/// Each part of the score, in words: what it counted or what is missing.
fn part_words(l: Locale, h: &HealthScore) -> Vec<(String, Part, String)> {
    let i = &h.inputs;
    let survival = match h.survival.basis {
        Basis::Missing => td_string!(l, farms.missing_survival).to_string(),
        Basis::Measured => td_string!(l, farms.measured_survival, alive = i.alive, planted = i.planted).to_string(),
    };
    let care = match (h.care.basis, i.days_since_visit) {
        (Basis::Measured, Some(days)) => td_string!(l, farms.measured_care, days = days).to_string(),
        _ => td_string!(l, farms.missing_care).to_string(),
    };
    let tasks = match h.tasks.basis {
        Basis::Missing => td_string!(l, farms.missing_tasks).to_string(),
        Basis::Measured => {
            td_string!(l, farms.measured_tasks, overdue = i.overdue_tasks, open = i.open_tasks).to_string()
        }
    };
    let conditions = match h.conditions.basis {
        Basis::Missing => td_string!(l, farms.missing_conditions).to_string(),
        Basis::Measured => {
            td_string!(l, farms.measured_conditions, ok = i.readings_in_range, readings = i.readings).to_string()
        }
    };
    vec![
        (td_string!(l, farms.survival).to_string(), h.survival, survival),
        (td_string!(l, farms.care).to_string(), h.care, care),
        (td_string!(l, farms.tasks).to_string(), h.tasks, tasks),
        (td_string!(l, farms.conditions).to_string(), h.conditions, conditions),
    ]
}

#[component]
fn HealthPanel(health: HealthScore, trend: Vec<TrendPoint>, l: Locale) -> impl IntoView {
    let svg = trend_svg(&trend, l);
    view! {
        <div data-testid="health">
            <div class="flex items-center gap-3">
                <span class=format!("rounded-full px-3 py-1 text-lg font-bold tabular-nums {}", score_colour(health.score)) data-testid="health-score">
                    {health.score}
                </span>
                <span class="text-sm text-stone-600">{td_string!(l, farms.score_of, score = health.score).to_string()}</span>
            </div>
            <dl class="mt-3 grid gap-2 text-sm" data-testid="health-breakdown">
                {part_words(l, &health).into_iter().map(|(name, part, words)| view! {
                    <div class="grid grid-cols-[1fr_auto] gap-x-3">
                        <dt class="font-medium">{name}</dt>
                        <dd class="tabular-nums text-right">{format!("{} / {}", part.points.normalize(), part.weight)}</dd>
                        <dd class="col-span-2 text-stone-600" data-basis=if part.basis == Basis::Missing { "missing" } else { "measured" }>{words}</dd>
                    </div>
                }).collect_view()}
            </dl>
            {match svg {
                Some(svg) => view! { <figure class="mt-4 overflow-x-auto" data-testid="health-trend" aria-label=td_string!(l, farms.trend).to_string() inner_html=svg></figure> }.into_any(),
                None => view! { <p class="mt-4 text-sm text-stone-500">{td_string!(l, farms.no_trend).to_string()}</p> }.into_any(),
            }}
        </div>
    }
}

fn agreement_span(l: Locale, h: &Holding) -> String {
    let end = h.ends_on.map(|e| e.to_string()).unwrap_or_else(|| td_string!(l, farms.open_ended).to_string());
    td_string!(l, farms.agreement_span, units = h.units, start = h.starts_on.to_string(), end = end).to_string()
}

#[component]
fn FarmCard(farm: OwnedFarm, l: Locale) -> impl IntoView {
    let href = format!("/my/farms/{}", farm.slug);
    view! {
        <article class=CARD data-testid="owned-farm">
            <header class="flex flex-wrap items-baseline justify-between gap-2">
                <h2 class="text-lg font-semibold"><a class="hover:underline" href=href.clone()>{farm.name.clone()}</a></h2>
                <p class="text-sm text-stone-500">{format!("{}, {}", farm.region, farm.state)}</p>
            </header>
            <dl class="mt-3 grid grid-cols-2 gap-3 text-sm">
                <div><dt class="text-stone-500">{td_string!(l, farms.units_held).to_string()}</dt>
                    <dd class="font-semibold tabular-nums" data-testid="units-held">{farm.units_held}" "<span class="font-normal text-stone-500">{td_string!(l, farms.of_units, total = farm.total_units).to_string()}</span></dd></div>
                <div><dt class="text-stone-500">{td_string!(l, farms.price_paid).to_string()}</dt>
                    <dd class="font-semibold tabular-nums">{rupees(farm.price_paid)}</dd></div>
                <div class="col-span-2"><dt class="text-stone-500">{td_string!(l, farms.agreements).to_string()}</dt>
                    {farm.holdings.iter().map(|h| view! { <dd>{agreement_span(l, h)}</dd> }).collect_view()}</div>
                <div class="col-span-2"><dt class="text-stone-500">{td_string!(l, farms.last_payout).to_string()}</dt>
                    <dd data-testid="last-payout">{match &farm.last_payout {
                        Some(p) => format!("{} · {} · {}", p.period, rupees(p.net), payout_status(l, &p.status)),
                        None => td_string!(l, farms.no_payout).to_string(),
                    }}</dd></div>
            </dl>
            <div class="mt-4"><HealthPanel health=farm.health trend=farm.trend.clone() l=l/></div>
            <a class=format!("mt-4 inline-block {LINK}") href=href>{td_string!(l, farms.open_farm).to_string()}" →"</a>
        </article>
    }
}

/// This financial year and the one before, as `2026-27`.
fn recent_financial_years() -> Vec<String> {
    #[cfg(feature = "ssr")]
    {
        let today = crate::domain::distribution::ist_date(chrono::Utc::now());
        let fy = crate::domain::distribution::financial_year_of(today);
        vec![financial_year_label(fy), financial_year_label(fy - 1)]
    }
    #[cfg(not(feature = "ssr"))]
    {
        Vec::new()
    }
}

fn payout_status(l: Locale, status: &str) -> String {
    if status == "paid" {
        td_string!(l, farms.status_paid).to_string()
    } else {
        td_string!(l, farms.status_pending).to_string()
    }
}

#[component]
pub fn MyFarmsPage() -> impl IntoView {
    let l = request_locale();
    let data = Resource::new_blocking(|| (), |_| my_farms());
    view! {
        <Title text=td_string!(l, farms.my_farms_title).to_string()/>
        <section class="mx-auto max-w-5xl px-4 py-8">
            <h1 class="text-2xl font-bold">{td_string!(l, farms.my_farms_title).to_string()}</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(farms) if farms.is_empty() => view! { <p class="mt-6 text-stone-600">{td_string!(l, farms.no_farms).to_string()}</p> }.into_any(),
                        Ok(farms) => view! {
                            <div class="mt-6 grid gap-4 lg:grid-cols-2" data-testid="owned-farms">
                                {farms.into_iter().map(|farm| view! { <FarmCard farm l/> }).collect_view()}
                            </div>
                            <h2 class="mt-8 text-lg font-semibold">{td_string!(l, farms.annual_title).to_string()}</h2>
                            <ul class="mt-2 flex flex-wrap gap-4" data-testid="annual-statements">
                                {recent_financial_years().into_iter().map(|fy| view! {
                                    <li><a class=LINK href=format!("/my/statements/annual/{fy}")>{td_string!(l, farms.financial_year, year = fy.clone()).to_string()}</a></li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => refused(e, "/my/farms".into()),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn MyFarmPage() -> impl IntoView {
    let l = request_locale();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new_blocking(slug, my_farm);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(detail) => view! { <FarmDetail detail l/> }.into_any(),
                    Err(e) => refused(e, format!("/my/farms/{}", slug())),
                }
            })}
        </Suspense>
    }
}

#[component]
fn FarmDetail(detail: OwnedFarmDetail, l: Locale) -> impl IntoView {
    let OwnedFarmDetail { profile, summary, plants, periods, statements, alerts, visits } = detail;
    let location = match (profile.latitude, profile.longitude) {
        (Some(a), Some(o)) => format!("{a}, {o}"),
        _ => "—".into(),
    };
    view! {
        <Title text=profile.name.clone()/>
        <section class="mx-auto max-w-5xl px-4 py-8">
            <a class=LINK href="/my/farms">"← "{td_string!(l, farms.my_farms_title).to_string()}</a>
            <h1 class="mt-2 text-2xl font-bold" data-testid="farm-name">{profile.name.clone()}</h1>
            <p class="text-stone-600">{format!("{}, {}", profile.region, profile.state)}</p>
            <div class="mt-6 grid gap-4 lg:grid-cols-2">
                <div class=CARD><HealthPanel health=summary.health trend=summary.trend.clone() l=l/></div>
                <div class=CARD>
                    <dl class="grid grid-cols-2 gap-3 text-sm">
                        <div><dt class="text-stone-500">{td_string!(l, farms.units_held).to_string()}</dt>
                            <dd class="font-semibold tabular-nums">{summary.units_held}" "<span class="font-normal text-stone-500">{td_string!(l, farms.of_units, total = summary.total_units).to_string()}</span></dd></div>
                        <div><dt class="text-stone-500">{td_string!(l, farms.price_paid).to_string()}</dt><dd class="font-semibold tabular-nums">{rupees(summary.price_paid)}</dd></div>
                        <div><dt class="text-stone-500">{td_string!(l, farms.location).to_string()}</dt><dd class="tabular-nums">{location}</dd></div>
                        <div><dt class="text-stone-500">{td_string!(l, farms.area).to_string()}</dt>
                            <dd>{profile.area_acres.map(|a| td_string!(l, farms.acres, acres = a.normalize()).to_string()).unwrap_or_else(|| "—".into())}</dd></div>
                        <div class="col-span-2"><dt class="text-stone-500">{td_string!(l, farms.crops).to_string()}</dt><dd>{profile.crops.join(", ")}</dd></div>
                        <div class="col-span-2"><dt class="text-stone-500">{td_string!(l, farms.infrastructure).to_string()}</dt><dd>{profile.infrastructure.clone()}</dd></div>
                        <div class="col-span-2"><dt class="text-stone-500">{td_string!(l, farms.agreements).to_string()}</dt>
                            {summary.holdings.iter().map(|h| view! { <dd>{agreement_span(l, h)}" · "{rupees(h.price_paid)}</dd> }).collect_view()}</div>
                    </dl>
                </div>
            </div>

            <h2 class="mt-8 text-xl font-semibold">{td_string!(l, farms.plants).to_string()}</h2>
            {if plants.is_empty() {
                view! { <p class="mt-2 text-stone-600">{td_string!(l, farms.no_plants).to_string()}</p> }.into_any()
            } else {
                view! {
                    <div class="mt-3 grid gap-4 sm:grid-cols-2" data-testid="plants">
                        {plants.into_iter().map(|c| view! { <CropCard crop=c l=l/> }).collect_view()}
                    </div>
                }.into_any()
            }}

            <div class="mt-8 grid gap-4 lg:grid-cols-2">
                <div class=CARD>
                    <h2 class="text-lg font-semibold">{td_string!(l, farms.visits).to_string()}</h2>
                    {if visits.is_empty() {
                        view! { <p class="mt-2 text-sm text-stone-600" data-testid="visits-none">{td_string!(l, farms.no_visits).to_string()}</p> }.into_any()
                    } else {
                        view! {
                            <ul class="mt-2 divide-y divide-stone-100 text-sm" data-testid="visits">
                                {visits.iter().map(|v| view! {
                                    <li class="py-2" data-testid="visit">
                                        <p class="font-medium">{crate::domain::distribution::ist_date(v.visited_at.min(v.received_at)).format("%d %b %Y").to_string()}" · "{v.agent_name.clone()}</p>
                                        <p class="whitespace-pre-line text-stone-700">{v.notes.clone()}</p>
                                        {(!v.plant_counts.is_empty()).then(|| view! {
                                            <p class="text-xs text-stone-500">{v.plant_counts.iter().map(|c| format!("{}: {}/{}", c.crop, c.alive, c.planted)).collect::<Vec<_>>().join(" · ")}</p>
                                        })}
                                        {(!v.photos.is_empty()).then(|| view! {
                                            <div class="mt-2 flex flex-wrap gap-2" data-testid="visit-photos">
                                                {v.photos.iter().map(|p| view! {
                                                    <a href=format!("/files/{}", p.id) target="_blank" rel="noopener">
                                                        <img src=format!("/files/{}/thumbnail", p.id) alt=td_string!(l, farms.visit_photo).to_string()
                                                            loading="lazy" class="h-24 w-auto rounded-lg border border-stone-200 object-cover" data-testid="visit-photo"/>
                                                    </a>
                                                }).collect_view()}
                                            </div>
                                        })}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </div>
                <div class=CARD>
                    <h2 class="text-lg font-semibold">{td_string!(l, farms.alerts).to_string()}</h2>
                    {if alerts.is_empty() {
                        view! { <p class="mt-2 text-sm text-stone-600" data-testid="alerts-none">{td_string!(l, farms.no_alerts).to_string()}</p> }.into_any()
                    } else {
                        let place = profile.name.clone();
                        view! {
                            <ul class="mt-2 space-y-2 text-sm" data-testid="alerts">
                                {alerts.iter().map(|a| view! {
                                    <li class="rounded-lg bg-amber-50 p-3" data-testid="alert" data-kind=a.kind.clone()>
                                        <p>{crate::alerts::model::message(&a.kind, &a.details, &a.title, &place, crate::language::code(l))}</p>
                                        <p class="text-xs text-stone-600">{(a.opened_at + chrono::Duration::minutes(330)).format("%d %b %Y, %H:%M IST").to_string()}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </div>
            </div>

            <h2 class="mt-8 text-xl font-semibold">{td_string!(l, farms.money).to_string()}</h2>
            <div class="mt-3 overflow-x-auto">
                <table class="w-full min-w-[28rem] text-left text-sm" data-testid="periods">
                    <thead class="border-b border-stone-300 text-stone-500"><tr>
                        <th class="py-2 pr-3">{td_string!(l, farms.period).to_string()}</th>
                        <th class="pr-3 text-right">{td_string!(l, farms.revenue).to_string()}</th>
                        <th class="pr-3 text-right">{td_string!(l, farms.costs).to_string()}</th>
                        <th class="text-right">{td_string!(l, farms.your_payout).to_string()}</th>
                    </tr></thead>
                    <tbody>
                        {periods.into_iter().map(|p| view! {
                            <tr class="border-b border-stone-100">
                                <td class="py-2 pr-3 tabular-nums">{p.period.clone()}</td>
                                <td class="pr-3 text-right tabular-nums">{rupees(p.revenue)}</td>
                                <td class="pr-3 text-right tabular-nums">{rupees(p.costs)}</td>
                                <td class="text-right tabular-nums">{p.payout.map(|s| rupees(s.net)).unwrap_or_else(|| "—".into())}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>

            <h2 class="mt-8 text-xl font-semibold">{td_string!(l, farms.statements).to_string()}</h2>
            {if statements.is_empty() {
                view! { <p class="mt-2 text-stone-600">{td_string!(l, farms.no_statements).to_string()}</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-3 divide-y divide-stone-200 rounded-2xl border border-stone-200 bg-white" data-testid="statements">
                        {statements.into_iter().map(|s| view! {
                            <li class="flex flex-wrap items-center justify-between gap-2 p-3" data-testid="statement">
                                <span class="tabular-nums">{s.period.clone()}" · "{rupees(s.net)}" · "{payout_status(l, &s.status)}</span>
                                <span class="flex gap-4">
                                    <a class=LINK href=format!("/my/statements/{}", s.payout_id)>{td_string!(l, farms.view).to_string()}</a>
                                    <a class=LINK href=format!("/my/statements/{}/pdf", s.payout_id) download data-testid="statement-pdf">{td_string!(l, farms.download_pdf).to_string()}</a>
                                </span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn CropCard(crop: CropInventory, l: Locale) -> impl IntoView {
    view! {
        <div class=CARD data-testid="crop">
            <h3 class="font-semibold capitalize">{crop.crop.clone()}</h3>
            <dl class="mt-2 grid grid-cols-3 gap-2 text-sm">
                <div><dt class="text-stone-500">{td_string!(l, farms.planted).to_string()}</dt><dd class="font-semibold tabular-nums">{crop.latest.planted}</dd></div>
                <div><dt class="text-stone-500">{td_string!(l, farms.alive).to_string()}</dt><dd class="font-semibold tabular-nums" data-testid="alive">{crop.latest.alive}</dd></div>
                <div><dt class="text-stone-500">{td_string!(l, farms.lost).to_string()}</dt><dd class="font-semibold tabular-nums">{crop.latest.lost}</dd></div>
            </dl>
            <details class="mt-2 text-sm">
                <summary class="cursor-pointer text-stone-600">{td_string!(l, farms.counted_on).to_string()}" "{crop.latest.counted_on.to_string()}</summary>
                <table class="mt-2 w-full text-left tabular-nums">
                    <thead class="text-stone-500"><tr><th>{td_string!(l, farms.counted_on).to_string()}</th><th>{td_string!(l, farms.planted).to_string()}</th><th>{td_string!(l, farms.alive).to_string()}</th><th>{td_string!(l, farms.lost).to_string()}</th></tr></thead>
                    <tbody>
                        {crop.history.into_iter().map(|p| view! { <tr><td>{p.counted_on.to_string()}</td><td>{p.planted}</td><td>{p.alive}</td><td>{p.lost}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            </details>
        </div>
    }
}

/// A statement laid out as the PDF lays it out, for the screen and the printer.
#[component]
fn StatementSheet(document: StatementDocument, pdf_href: String, lang: String) -> impl IntoView {
    let l = crate::language::locale_from(&lang);
    view! {
        <Title text=document.title.clone()/>
        <section class="mx-auto max-w-3xl px-4 py-8" lang=lang data-testid="statement-sheet">
            <div class="flex flex-wrap items-center justify-between gap-3 print:hidden">
                <a class=LINK href="/my/farms">"← "{td_string!(l, farms.my_farms_title).to_string()}</a>
                <a class="rounded-full bg-emerald-700 px-4 py-2 font-medium text-white" href=pdf_href download data-testid="download-pdf">{td_string!(l, farms.download_pdf).to_string()}</a>
            </div>
            <article class=format!("mt-4 {CARD}")>
                <h1 class="text-2xl font-bold">{document.title.clone()}</h1>
                {document.subtitle.iter().map(|s| view! { <p class="text-stone-700">{s.clone()}</p> }).collect_view()}
                <dl class="mt-4 divide-y divide-stone-100" data-testid="statement-facts">
                    {document.facts.iter().map(|(k, v)| view! {
                        <div class="flex justify-between gap-4 py-1.5"><dt>{k.clone()}</dt><dd class="tabular-nums text-right font-medium">{v.clone()}</dd></div>
                    }).collect_view()}
                </dl>
                {document.table.clone().map(|(headers, rows)| view! {
                    <div class="mt-4 overflow-x-auto">
                        <table class="w-full text-left text-sm">
                            <thead class="border-b border-stone-300 text-stone-500"><tr>{headers.into_iter().map(|h| view! { <th class="py-1 pr-3">{h}</th> }).collect_view()}</tr></thead>
                            <tbody>{rows.into_iter().map(|r| view! { <tr class="border-b border-stone-100">{r.into_iter().map(|c| view! { <td class="py-1 pr-3 tabular-nums">{c}</td> }).collect_view()}</tr> }).collect_view()}</tbody>
                        </table>
                    </div>
                })}
                {document.footer.iter().map(|f| view! { <p class="mt-4 text-xs text-stone-500">{f.clone()}</p> }).collect_view()}
            </article>
        </section>
    }
}

#[component]
pub fn StatementPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let data = Resource::new_blocking(id, my_statement);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(s) => {
                        let pdf = format!("/my/statements/{}/pdf", s.payout_id);
                        let lang = s.language.clone();
                        view! { <StatementSheet document=statement_document(&s) pdf_href=pdf lang/> }.into_any()
                    }
                    Err(e) => refused(e, format!("/my/statements/{}", id())),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn AnnualStatementPage() -> impl IntoView {
    let params = use_params_map();
    let year = move || params.read().get("year").unwrap_or_default();
    let data = Resource::new_blocking(year, my_annual_statement);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(a) => {
                        let pdf = format!("/my/statements/annual/{}/pdf", a.financial_year);
                        let lang = a.language.clone();
                        view! { <StatementSheet document=annual_document(&a) pdf_href=pdf lang/> }.into_any()
                    }
                    Err(e) => refused(e, format!("/my/statements/annual/{}", year())),
                }
            })}
        </Suspense>
    }
}
