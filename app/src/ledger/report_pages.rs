//! `/ledger/reports/…`: the day book, a grower's statement and the flower-wise summary
//! with its chart. Plain GET forms keep the question in the URL (shareable, the back
//! button works, no script needed) and the pages print cleanly.

use super::report_api::*;
use super::report_model::*;
use crate::components::not_found::LoadError;
use crate::domain::ledger_report::{AdvanceMove, Tally};
use crate::error::AppError;
use crate::language::{Locale, code, request_locale, td_string};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

const FIELD: &str = "mt-1 min-h-12 w-full rounded-lg border border-stone-300 px-3 focus:border-emerald-600 focus:outline-none focus:ring-4 focus:ring-emerald-600/30";
const BUTTON: &str = "min-h-12 self-end rounded-xl bg-emerald-700 px-5 font-semibold text-white hover:bg-emerald-800 focus-visible:outline focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-emerald-700";
const TABLE: &str = "mt-4 w-full text-left text-sm";

fn name(l: Locale, en: &str, ta: &str) -> String {
    if l == Locale::ta && !ta.is_empty() || en.is_empty() { ta.to_string() } else { en.to_string() }
}

fn day(d: chrono::NaiveDate) -> String {
    d.format("%d-%m-%Y").to_string()
}

fn query(key: &'static str) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let q = use_query_map();
    move || q.read().get(key).unwrap_or_default()
}

/// The reports' links, with the one being read marked.
#[component]
fn ReportNav(l: Locale, current: &'static str) -> impl IntoView {
    let link = move |href: &'static str, label: String| {
        let here = href == current;
        view! { <a href=href aria-current=here.then_some("page") class=if here { "font-semibold text-stone-900" } else { "text-emerald-800 underline" }>{label}</a> }
    };
    view! {
        <nav class="flex flex-wrap gap-x-5 gap-y-2 text-sm print:hidden" aria-label=td_string!(l, report.title).to_string()>
            <a href="/ledger" class="text-emerald-800 underline">{td_string!(l, ledger.entry_screen).to_string()}</a>
            {link("/ledger/reports/day-book", td_string!(l, report.day_book).to_string())}
            {link("/ledger/reports/statement", td_string!(l, report.statement).to_string())}
            {link("/ledger/reports/flowers", td_string!(l, report.flowers).to_string())}
        </nav>
    }
}

/// Header cells and a row of figures for a tally.
fn tally_cells(t: Tally) -> impl IntoView {
    view! {
        <td class="text-right tabular-nums">{t.entries}</td>
        <td class="text-right tabular-nums">{t.quantity_kg.to_string()}</td>
        <td class="text-right tabular-nums">{t.gross.format_inr()}</td>
        <td class="text-right tabular-nums">{(t.pending > 0).then(|| t.pending.to_string())}</td>
    }
}

fn tally_heads(l: Locale) -> impl IntoView {
    view! {
        <th class="text-right">{td_string!(l, report.col_entries).to_string()}</th>
        <th class="text-right">{td_string!(l, report.col_kg).to_string()}</th>
        <th class="text-right">{td_string!(l, report.col_gross).to_string()}</th>
        <th class="text-right">{td_string!(l, report.col_pending).to_string()}</th>
    }
}

fn flower_table(l: Locale, flowers: Vec<FlowerTally>, total: Tally) -> impl IntoView {
    view! {
        <table class=TABLE data-testid="flower-table">
            <thead><tr class="text-stone-600"><th>{td_string!(l, report.col_flower).to_string()}</th>{tally_heads(l)}<th class="text-right">{td_string!(l, report.col_avg_rate).to_string()}</th><th class="text-right">{td_string!(l, report.col_share).to_string()}</th></tr></thead>
            <tbody class="divide-y divide-stone-200">
                {flowers.into_iter().map(|f| view! {
                    <tr data-testid="flower-row" data-code=f.code.clone()>
                        <td>{name(l, &f.name_en, &f.name_ta)}</td>
                        {tally_cells(f.tally)}
                        <td class="text-right tabular-nums">{f.average_rate.map(|r| r.format_inr())}</td>
                        <td class="text-right tabular-nums">{format!("{} %", f.share_percent)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
            <tfoot><tr class="border-t-2 border-stone-400 font-semibold" data-testid="flower-total"><td>{td_string!(l, report.total).to_string()}</td>{tally_cells(total)}<td></td><td></td></tr></tfoot>
        </table>
    }
}

/// A report form's period and its Show button.
fn period_fields(
    l: Locale,
    from: impl Fn() -> String + Copy + Send + Sync + 'static,
    to: impl Fn() -> String + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <label class="block text-sm font-medium">{td_string!(l, report.from).to_string()}<input type="date" name="from" value=from class=FIELD/></label>
        <label class="block text-sm font-medium">{td_string!(l, report.to).to_string()}<input type="date" name="to" value=to class=FIELD/></label>
        <button type="submit" class=BUTTON>{td_string!(l, report.show).to_string()}</button>
    }
}

fn load_error(e: AppError, next: &'static str) -> AnyView {
    match e {
        AppError::Unauthenticated => view! { <Redirect path=format!("/login?next={next}")/> }.into_any(),
        e if e.fields().is_some() => view! {
            <p role="alert" class="mt-4 rounded-lg bg-red-50 p-3 text-red-800" data-testid="report-error">
                {e.fields().map(|f| f.values().cloned().collect::<Vec<_>>().join(" · "))}
            </p>
        }
        .into_any(),
        e => view! { <LoadError error=e/> }.into_any(),
    }
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let l = request_locale();
    view! {
        <Title text="Reports · Ledger"/>
        <div class="mx-auto max-w-5xl px-4 py-6" lang=code(l)>
            <ReportNav l=l current="/ledger/reports"/>
            <h1 class="mt-2 text-2xl font-bold">{td_string!(l, report.title).to_string()}</h1>
            <ul class="mt-4 grid gap-3 sm:grid-cols-3">
                <li><a class="block min-h-12 rounded-xl border border-stone-300 bg-white p-4 font-semibold text-emerald-800 hover:bg-stone-50" href="/ledger/reports/day-book">{td_string!(l, report.day_book).to_string()}</a></li>
                <li><a class="block min-h-12 rounded-xl border border-stone-300 bg-white p-4 font-semibold text-emerald-800 hover:bg-stone-50" href="/ledger/reports/statement">{td_string!(l, report.statement).to_string()}</a></li>
                <li><a class="block min-h-12 rounded-xl border border-stone-300 bg-white p-4 font-semibold text-emerald-800 hover:bg-stone-50" href="/ledger/reports/flowers">{td_string!(l, report.flowers).to_string()}</a></li>
            </ul>
        </div>
    }
}

#[component]
pub fn DayBookPage() -> impl IntoView {
    let l = request_locale();
    let date = query("date");
    let book = Resource::new_blocking(date, day_book_report);
    view! {
        <Title text="Day book · Ledger"/>
        <div class="mx-auto max-w-5xl px-4 py-6" lang=code(l)>
            <ReportNav l=l current="/ledger/reports/day-book"/>
            <h1 class="mt-2 text-2xl font-bold">{td_string!(l, report.day_book).to_string()}</h1>
            <form method="get" class="mt-4 flex flex-wrap gap-3 print:hidden">
                <label class="block text-sm font-medium">{td_string!(l, report.date).to_string()}<input type="date" name="date" value=date class=FIELD/></label>
                <button type="submit" class=BUTTON>{td_string!(l, report.show).to_string()}</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match book.await {
                        Ok(book) => view! {
                            <p class="mt-4 font-semibold" data-testid="report-day">{day(book.date)}</p>
                            {book.own_only.then(|| view! { <p class="text-sm text-stone-600">{td_string!(l, report.own_only).to_string()}</p> })}
                            {if book.growers.is_empty() {
                                view! { <p class="mt-4 text-stone-600" data-testid="report-empty">{td_string!(l, report.nothing).to_string()}</p> }.into_any()
                            } else {
                                view! {
                                    <table class=TABLE data-testid="day-book">
                                        <thead><tr class="text-stone-600"><th>{td_string!(l, report.col_grower).to_string()}</th>{tally_heads(l)}</tr></thead>
                                        <tbody class="divide-y divide-stone-200">
                                            {book.growers.iter().map(|g| view! {
                                                <tr data-testid="grower-row">
                                                    <td><a class="text-emerald-800 underline" href=format!("/ledger/reports/statement?farmer={}&from={}&to={}", g.farmer_no, book.date, book.date)>{format!("{} · {}", g.farmer_no, name(l, &g.name_en, &g.name_ta))}</a></td>
                                                    {tally_cells(g.tally)}
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                        <tfoot><tr class="border-t-2 border-stone-400 font-semibold" data-testid="day-total"><td>{td_string!(l, report.total).to_string()}</td>{tally_cells(book.total)}</tr></tfoot>
                                    </table>
                                    <h2 class="mt-6 text-lg font-semibold">{td_string!(l, report.flowers).to_string()}</h2>
                                    {flower_table(l, book.flowers.clone(), book.total)}
                                }.into_any()
                            }}
                        }.into_any(),
                        Err(e) => load_error(e, "/ledger/reports/day-book"),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
pub fn StatementPage() -> impl IntoView {
    let l = request_locale();
    let (farmer, from, to) = (query("farmer"), query("from"), query("to"));
    let statement = Resource::new_blocking(move || (farmer(), from(), to()), |(f, a, b)| statement_report(f, a, b));
    view! {
        <Title text="Statement · Ledger"/>
        <div class="mx-auto max-w-5xl px-4 py-6" lang=code(l)>
            <ReportNav l=l current="/ledger/reports/statement"/>
            <h1 class="mt-2 text-2xl font-bold">{td_string!(l, report.statement).to_string()}</h1>
            <form method="get" class="mt-4 grid gap-3 sm:grid-cols-4 print:hidden">
                <label class="block text-sm font-medium">{td_string!(l, report.grower).to_string()}<input name="farmer" inputmode="numeric" value=farmer class=FIELD/></label>
                {period_fields(l, from, to)}
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match statement.await {
                        Ok(s) => statement_view(l, s).into_any(),
                        Err(AppError::Validation { fields }) if fields.contains_key("farmerId") => {
                            view! { <p class="mt-4 text-stone-600" data-testid="report-empty">{td_string!(l, report.choose_grower).to_string()}</p> }.into_any()
                        }
                        Err(e) => load_error(e, "/ledger/reports/statement"),
                    }
                })}
            </Suspense>
        </div>
    }
}

fn statement_view(l: Locale, s: FarmerStatement) -> impl IntoView {
    let g = &s.grower;
    view! {
        <section class="mt-4" data-testid="statement">
            <p class="text-lg font-semibold" data-testid="statement-grower">{format!("{} · {}", g.farmer_no, name(l, &g.name_en, &g.name_ta))} {(!g.village.is_empty()).then(|| format!(" · {}", g.village))}</p>
            <p class="text-sm text-stone-600">{format!("{} – {}", day(s.from), day(s.to))}</p>
            {if s.days.is_empty() {
                view! { <p class="mt-4 text-stone-600" data-testid="report-empty">{td_string!(l, report.nothing).to_string()}</p> }.into_any()
            } else {
                view! {
                    <table class=TABLE data-testid="statement-days">
                        <thead><tr class="text-stone-600"><th>{td_string!(l, report.col_date).to_string()}</th><th>{td_string!(l, report.col_flower).to_string()}</th>{tally_heads(l)}</tr></thead>
                        <tbody class="divide-y divide-stone-200">
                            {s.days.iter().map(|d| view! { <tr><td>{day(d.date)}</td><td>{name(l, &d.flower_en, &d.flower_ta)}</td>{tally_cells(d.tally)}</tr> }).collect_view()}
                        </tbody>
                        <tfoot><tr class="border-t-2 border-stone-400 font-semibold" data-testid="statement-total"><td>{td_string!(l, report.total).to_string()}</td><td></td>{tally_cells(s.total)}</tr></tfoot>
                    </table>
                }.into_any()
            }}
            {(s.unsettled.entries > 0).then(|| view! {
                <p class="mt-2 text-sm" data-testid="statement-unsettled">{td_string!(l, report.unsettled, entries = s.unsettled.entries, kg = s.unsettled.quantity_kg.to_string(), amount = s.unsettled.gross.format_inr()).to_string()}</p>
            })}
            <h2 class="mt-6 text-lg font-semibold">{td_string!(l, report.settlements).to_string()}</h2>
            <table class=TABLE data-testid="statement-settlements">
                <thead><tr class="text-stone-600"><th>{td_string!(l, settle.col_number).to_string()}</th><th>{td_string!(l, settle.col_period).to_string()}</th><th class="text-right">{td_string!(l, report.col_gross).to_string()}</th><th class="text-right">{td_string!(l, settle.col_net).to_string()}</th><th>{td_string!(l, settle.col_status).to_string()}</th></tr></thead>
                <tbody class="divide-y divide-stone-200">
                    {s.settlements.iter().map(|st| view! {
                        <tr>
                            <td><a class="text-emerald-800 underline" href=format!("/ledger/settlements/{}", st.id)>{st.number.clone()}</a></td>
                            <td>{format!("{} – {}", day(st.period_from), day(st.period_to))}</td>
                            <td class="text-right tabular-nums">{st.gross.format_inr()}</td>
                            <td class="text-right tabular-nums">{st.net_payable.format_inr()}</td>
                            <td>{st.status.clone()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h2 class="mt-6 text-lg font-semibold">{td_string!(l, report.advances).to_string()}</h2>
            <dl class="mt-2 grid max-w-md grid-cols-2 gap-y-1 text-sm">
                <dt>{td_string!(l, report.opening).to_string()}</dt><dd class="text-right tabular-nums" data-testid="opening-advance">{s.opening_advance.format_inr()}</dd>
                <dt class="font-semibold">{td_string!(l, report.closing).to_string()}</dt><dd class="text-right font-semibold tabular-nums" data-testid="closing-advance">{s.closing_advance.format_inr()}</dd>
            </dl>
            {if s.advances.is_empty() {
                view! { <p class="mt-2 text-sm text-stone-600">{td_string!(l, report.no_advances).to_string()}</p> }.into_any()
            } else {
                view! {
                    <table class=TABLE data-testid="statement-advances">
                        <thead><tr class="text-stone-600"><th>{td_string!(l, report.col_date).to_string()}</th><th></th><th class="text-right">{td_string!(l, report.col_gross).to_string()}</th><th class="text-right">{td_string!(l, report.balance).to_string()}</th><th></th></tr></thead>
                        <tbody class="divide-y divide-stone-200">
                            {s.advances.iter().map(|a| view! {
                                <tr>
                                    <td>{day(a.date)}</td>
                                    <td>{match a.change { AdvanceMove::Given => td_string!(l, report.given), AdvanceMove::Recovered => td_string!(l, report.recovered) }.to_string()}</td>
                                    <td class="text-right tabular-nums">{a.amount.format_inr()}</td>
                                    <td class="text-right tabular-nums">{a.balance.format_inr()}</td>
                                    <td class="text-stone-600">{a.detail.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn FlowersPage() -> impl IntoView {
    let l = request_locale();
    let (from, to) = (query("from"), query("to"));
    let report = Resource::new_blocking(move || (from(), to()), move |(a, b)| flower_report(a, b, code(l).to_string()));
    view! {
        <Title text="Flower-wise summary · Ledger"/>
        <div class="mx-auto max-w-5xl px-4 py-6" lang=code(l)>
            <ReportNav l=l current="/ledger/reports/flowers"/>
            <h1 class="mt-2 text-2xl font-bold">{td_string!(l, report.flowers).to_string()}</h1>
            <form method="get" class="mt-4 flex flex-wrap gap-3 print:hidden">
                {period_fields(l, from, to)}
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(FlowerChartReport { summary, chart_svg }) => view! {
                            <p class="mt-4 font-semibold" data-testid="report-period">{format!("{} – {}", day(summary.from), day(summary.to))}</p>
                            {summary.own_only.then(|| view! { <p class="text-sm text-stone-600">{td_string!(l, report.own_only).to_string()}</p> })}
                            {if summary.flowers.is_empty() {
                                view! { <p class="mt-4 text-stone-600" data-testid="report-empty">{td_string!(l, report.nothing).to_string()}</p> }.into_any()
                            } else {
                                view! {
                                    // Drawn by the server from the same figures as the table below it.
                                    <figure class="ledger-chart mt-4 overflow-x-auto" data-testid="flower-chart" aria-label=td_string!(l, report.chart_title).to_string() inner_html=chart_svg.unwrap_or_default()></figure>
                                    {flower_table(l, summary.flowers, summary.total)}
                                }.into_any()
                            }}
                        }.into_any(),
                        Err(e) => load_error(e, "/ledger/reports/flowers"),
                    }
                })}
            </Suspense>
        </div>
    }
}
