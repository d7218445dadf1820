//! Provenance views: the panel on a product page and the public trace page of a batch.
//! Server-rendered only; nothing here needs to hydrate.

use super::api::trace_batch;
use super::model::*;
use crate::components::not_found::{LoadError, NotFound};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;

#[component]
pub fn CertificateList(certs: Vec<CertificationView>) -> impl IntoView {
    if certs.is_empty() {
        return view! { <p class="text-sm text-stone-600">"No certificates on record."</p> }.into_any();
    }
    view! {
        <ul class="space-y-2" data-testid="certifications">
            {certs.into_iter().map(|c| {
                let validity = format!("Valid {} – {}", format_date(c.valid_from), format_date(c.valid_until));
                let scope = if c.scope == "batch" { "This lot" } else { "Farm" };
                view! {
                    <li class="rounded-xl border border-stone-200 bg-white p-3 text-sm" class:opacity-75=c.expired data-expired=c.expired.then_some("true")>
                        <p class="flex flex-wrap items-center gap-2">
                            <span class="font-semibold text-stone-900">{c.scheme}</span>
                            <span class="rounded-full bg-stone-100 px-2 py-0.5 text-xs text-stone-700">{scope}</span>
                            {if c.expired {
                                view! { <span class="rounded-full bg-red-100 px-2 py-0.5 text-xs font-semibold text-red-800">"Expired"</span> }.into_any()
                            } else {
                                view! { <span class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-800">"Valid"</span> }.into_any()
                            }}
                        </p>
                        <p class="mt-1 text-stone-700">{c.issuer}" · No. "<span class="font-mono">{c.number}</span></p>
                        <p class="text-stone-600">{validity}</p>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn LabResults(results: Vec<LabResultView>) -> impl IntoView {
    if results.is_empty() {
        return view! { <p class="text-sm text-stone-600">"No lab results on record."</p> }.into_any();
    }
    let lab = results
        .first()
        .map(|r| format!("Tested by {} on {} · report {}", r.lab, format_date(r.tested_on), r.report_number));
    view! {
        <div class="overflow-x-auto">
            <table class="w-full text-left text-sm" data-testid="lab-results">
                <caption class="sr-only">"Laboratory results for this lot"</caption>
                <thead class="border-b border-stone-300 text-stone-600">
                    <tr>
                        <th scope="col" class="py-2 pr-3 font-medium">"Test"</th>
                        <th scope="col" class="py-2 pr-3 font-medium">"Result"</th>
                        <th scope="col" class="py-2 pr-3 font-medium">"Limit"</th>
                        <th scope="col" class="py-2 font-medium">"Verdict"</th>
                    </tr>
                </thead>
                <tbody>
                    {results.into_iter().map(|r| {
                        let limit = limit_label(&r);
                        let value = format!("{} {}", r.value, r.unit);
                        view! {
                            <tr class="border-b border-stone-100">
                                <th scope="row" class="py-2 pr-3 font-medium text-stone-900">{r.test}</th>
                                <td class="py-2 pr-3 tabular-nums">{value}</td>
                                <td class="py-2 pr-3 tabular-nums text-stone-600">{limit}</td>
                                <td class="py-2">
                                    {if r.passed {
                                        view! { <span class="font-semibold text-emerald-800">"✓ Pass"</span> }.into_any()
                                    } else {
                                        view! { <span class="font-semibold text-red-800">"✗ Fail"</span> }.into_any()
                                    }}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <p class="mt-2 text-xs text-stone-600">{lab}</p>
        </div>
    }
    .into_any()
}

#[component]
fn Checkpoints(stops: Vec<CheckpointView>) -> impl IntoView {
    if stops.is_empty() {
        return view! { <p class="text-sm text-stone-600">"No handling records yet."</p> }.into_any();
    }
    view! {
        <ol class="relative ml-2 border-l-2 border-emerald-200" data-testid="checkpoints">
            {stops.into_iter().map(|c| {
                let when = format_ist(c.occurred_at);
                let datetime = c.occurred_at.to_rfc3339();
                let temperature = c.temperature_c.map(|t| format!("{t} °C"));
                view! {
                    <li class="mb-4 ml-4">
                        <span class="absolute -left-[7px] mt-1.5 h-3 w-3 rounded-full border-2 border-white bg-emerald-600" aria-hidden="true"></span>
                        <p class="font-semibold text-stone-900">{stage_label(&c.stage)}</p>
                        <p class="text-sm text-stone-700"><time datetime=datetime>{when}</time>" · "{c.place}</p>
                        <p class="text-sm text-stone-600">
                            {temperature.map(|t| view! { <span class="font-medium tabular-nums">{t}</span>" · " })}
                            {c.recorded_by}
                        </p>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}

/// One lot: its farm, harvest, certificates, lab results and handling checkpoints.
#[component]
pub fn BatchDetails(
    batch: BatchTrace,
    #[prop(optional)] show_trace_link: bool,
    /// The whole recorded history, shown instead of the handling checkpoints.
    #[prop(optional)]
    history: Option<Vec<BatchEventView>>,
) -> impl IntoView {
    let href = batch.trace_href();
    let code = batch.code.clone();
    let harvest = format_date(batch.harvested_on);
    let quantity = format!("{} {}", batch.quantity, batch.unit);
    let farm_href = format!("/farms/{}", batch.farm.slug);
    view! {
        <div class="space-y-5" data-testid="batch" data-batch-code=code.clone()>
            <dl class="grid grid-cols-2 gap-x-4 gap-y-2 text-sm sm:grid-cols-4">
                <div><dt class="text-stone-600">"Lot"</dt><dd class="font-mono font-semibold text-stone-900" data-testid="batch-code">{code.clone()}</dd></div>
                <div><dt class="text-stone-600">"Harvested"</dt><dd class="font-medium text-stone-900"><time datetime=batch.harvested_on.to_string()>{harvest}</time></dd></div>
                <div><dt class="text-stone-600">"Farm"</dt><dd class="font-medium"><a href=farm_href class="text-emerald-800 underline-offset-2 hover:underline focus-visible:outline focus-visible:outline-2 focus-visible:outline-emerald-700">{batch.farm.name.clone()}</a><span class="block text-stone-600">{batch.farm.region.clone()}</span></dd></div>
                <div><dt class="text-stone-600">"Crop · lot size"</dt><dd class="font-medium text-stone-900">{batch.crop.clone()}<span class="block text-stone-600">{quantity}</span></dd></div>
            </dl>
            <section>
                <h3 class="mb-2 font-semibold text-stone-900">"Certifications"</h3>
                <CertificateList certs=batch.certifications/>
            </section>
            <section>
                <h3 class="mb-2 font-semibold text-stone-900">"Lab results"</h3>
                <LabResults results=batch.lab_results/>
            </section>
            {match history {
                Some(events) => view! {
                    <section>
                        <h3 class="mb-2 font-semibold text-stone-900">{format!("History ({} events)", events.len())}</h3>
                        <History events/>
                    </section>
                }.into_any(),
                None => view! {
                    <section>
                        <h3 class="mb-2 font-semibold text-stone-900">"Handling checkpoints"</h3>
                        <Checkpoints stops=batch.checkpoints/>
                    </section>
                }.into_any(),
            }}
            {show_trace_link.then(|| view! {
                <a href=href data-testid="trace-link" class="inline-block rounded-full border border-emerald-700 px-4 py-2 text-sm font-semibold text-emerald-800 hover:bg-emerald-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700">
                    {format!("Trace lot {code} →")}
                </a>
            })}
        </div>
    }
}

/// The product page's panel: every lot the packs are sold from.
#[component]
pub fn ProvenancePanel(batches: Vec<BatchTrace>) -> impl IntoView {
    view! {
        <section class="mt-10 rounded-2xl border border-stone-200 bg-stone-50 p-4 sm:p-6" aria-labelledby="provenance-heading" data-testid="provenance">
            <h2 id="provenance-heading" class="text-xl font-semibold text-stone-900">"Provenance"</h2>
            <p class="mt-1 text-sm text-stone-600">"Where this lot was grown, what the lab found, and how it travelled to us."</p>
            {if batches.is_empty() {
                view! { <p class="mt-4 text-sm text-stone-600">"Lot records for this product are being added."</p> }.into_any()
            } else {
                batches.into_iter().map(|b| view! {
                    <div class="mt-6 border-t border-stone-200 pt-6 first-of-type:border-0"><BatchDetails batch=b show_trace_link=true/></div>
                }).collect_view().into_any()
            }}
        </section>
    }
}

/// `/trace/{batchCode}`: public, no sign-in; what a printed label's QR code opens.
#[component]
pub fn TracePage() -> impl IntoView {
    let params = use_params_map();
    let report = Resource::new_blocking(move || params.read().get("code").unwrap_or_default(), trace_batch);
    view! {
        <Suspense fallback=|| view! { <p class="mx-auto max-w-4xl px-4 py-8 text-stone-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(r) => view! { <TraceView report=r/> }.into_any(),
                    Err(crate::error::AppError::NotFound { .. }) => view! { <NotFound message="We could not find that batch"/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Every event of a lot in the order it was recorded, each with its digests.
#[component]
pub fn History(events: Vec<BatchEventView>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="text-sm text-stone-600">"Nothing recorded yet."</p> }.into_any();
    }
    view! {
        <ol class="relative ml-2 border-l-2 border-emerald-200" data-testid="history">
            {events.into_iter().map(|e| {
                let when = format_ist(e.occurred_at);
                let datetime = e.occurred_at.to_rfc3339();
                let warm = e.excursion == Some(true);
                let temperature = e.temperature_c.clone().map(|t| format!("{t} °C"));
                let detail = match (&e.lab_result, &e.certificate, &e.quantity_kg) {
                    (Some(l), _, _) => Some(format!("{}: {} {} ({}) {}", l.test, l.value, l.unit, limit_label(l), if l.passed { "✓ pass" } else { "✗ fail" })),
                    (_, Some(c), _) => Some(format!("{} · {} · No. {}", c.scheme, c.issuer, c.number)),
                    (_, _, Some(q)) => Some(format!("{q} kg")),
                    _ => None,
                };
                let short = e.chain_hash.chars().take(12).collect::<String>();
                view! {
                    <li class="mb-4 ml-4" data-kind=e.kind.clone() data-seq=e.seq>
                        <span class="absolute -left-[7px] mt-1.5 h-3 w-3 rounded-full border-2 border-white" class:bg-emerald-600=!warm class:bg-red-600=warm aria-hidden="true"></span>
                        <p class="font-semibold text-stone-900">{format!("#{} · {}", e.seq, stage_label(&e.kind))}</p>
                        <p class="text-sm text-stone-700">
                            <time datetime=datetime>{when}</time>
                            {(!e.place.is_empty()).then(|| format!(" · {}", e.place))}
                        </p>
                        <p class="text-sm text-stone-600">
                            {temperature.map(|t| view! {
                                <span class="font-medium tabular-nums" class:text-red-800=warm>{t}</span>
                                {warm.then(|| view! { <span class="ml-1 rounded bg-red-100 px-1.5 text-xs font-semibold text-red-800">"outside the cold chain"</span> })}
                                " · "
                            })}
                            {e.actor.clone()}
                        </p>
                        {detail.map(|d| view! { <p class="text-sm text-stone-700">{d}</p> })}
                        {(!e.note.is_empty()).then(|| view! { <p class="text-sm italic text-stone-600">{e.note.clone()}</p> })}
                        <p class="mt-0.5 font-mono text-xs text-stone-500" title=e.event_hash.clone()>{format!("chain {short}…")}</p>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}

/// The chain's verdict, said plainly.
#[component]
pub fn ChainVerdict(chain: ChainState) -> impl IntoView {
    let intact = chain.intact();
    let head = chain.head.clone().unwrap_or_default();
    view! {
        <div class="mt-4 rounded-xl border p-3 text-sm" class:border-emerald-300=intact class:bg-emerald-50=intact
            class:border-red-300=!intact class:bg-red-50=!intact role="status" data-testid="chain-state" data-status=chain.status.clone()>
            <p class="font-semibold" class:text-emerald-900=intact class:text-red-900=!intact>
                {if intact { "✓ " } else { "✗ " }}{chain.message.clone()}
            </p>
            {(!head.is_empty()).then(|| view! {
                <details class="mt-1 text-stone-700">
                    <summary class="cursor-pointer">"How we know"</summary>
                    <p class="mt-1">"Each event carries a GS1 event hash of what it says, chained to every event recorded before it. Changing, removing or inserting an event changes every link after it. The fingerprint of this history:"</p>
                    <p class="mt-1 break-all font-mono text-xs">{head}</p>
                </details>
            })}
        </div>
    }
}

#[component]
fn TraceView(report: TraceReport) -> impl IntoView {
    let excursions = report.excursions();
    let TraceReport { batch, seller, products, events, chain, cold_chain, farm_location } = report;
    let code = batch.code.clone();
    let title = format!("Lot {} · {} · Mandi", batch.code, batch.crop);
    let heading = format!("{} from {}", batch.crop, batch.farm.name);
    let summary = format!(
        "Lot {} of {}, harvested {} at {}. Sold by {}.",
        batch.code,
        batch.crop,
        format_date(batch.harvested_on),
        batch.farm.name,
        seller
    );
    let verdict = if batch.all_tests_passed() {
        "All lab tests passed"
    } else {
        "A lab test failed: this lot is withdrawn from sale"
    };
    let passed = batch.all_tests_passed();
    let temperatures: Vec<BatchEventView> = events.iter().filter(|e| e.temperature_c.is_some()).cloned().collect();
    let worst = events
        .iter()
        .filter(|e| e.excursion == Some(true))
        .filter_map(|e| e.temperature_c.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let chart_alt = format!(
        "Temperatures of lot {code}: {}",
        temperatures
            .iter()
            .filter_map(|e| e.temperature_c.clone())
            .map(|t| format!("{t} °C"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let qr_src = format!("/trace/{code}/qr.svg");
    let chart_src = format!("/trace/{code}/temperatures.svg");
    view! {
        <Title text=title/>
        <Meta name="description" content=summary.clone()/>
        <article class="mx-auto max-w-4xl px-4 py-8">
            <div class="flex items-start justify-between gap-4">
                <div>
                    <p class="text-sm font-medium uppercase tracking-wide text-emerald-700">"Batch trace"</p>
                    <h1 class="mt-1 text-3xl font-bold text-stone-900">{heading}</h1>
                    <p class="mt-2 text-stone-700">{summary}</p>
                    {farm_location.map(|l| view! {
                        <p class="mt-1 text-sm text-stone-700">"Farm location: "
                            <a href=l.map_href() class="text-emerald-800 underline" rel="noopener" data-testid="farm-map">{format!("{}, {}", l.latitude, l.longitude)}</a>
                        </p>
                    })}
                </div>
                <img src=qr_src alt=format!("QR code of this page (lot {code})") width="96" height="96" class="shrink-0 rounded border border-stone-200 bg-white" data-testid="trace-qr"/>
            </div>
            <ChainVerdict chain/>
            <p class="mt-2 text-sm font-semibold" class:text-emerald-800=passed class:text-red-800=!passed role="status">{verdict}</p>
            {(excursions > 0).then(|| view! {
                <p class="mt-2 rounded-xl border border-red-300 bg-red-50 p-3 text-sm font-semibold text-red-900" data-testid="excursion">
                    {format!("This lot left its cold chain {excursions} time(s) ({worst} °C recorded).")}
                </p>
            })}
            <div class="mt-6 rounded-2xl border border-stone-200 bg-white p-4 sm:p-6">
                <BatchDetails batch history=events/>
            </div>
            {(temperatures.len() >= 2).then(|| view! {
                <section class="mt-8" aria-labelledby="temperatures">
                    <h2 id="temperatures" class="text-lg font-semibold text-stone-900">"Temperatures"</h2>
                    {cold_chain.clone().map(|c| view! { <p class="text-sm text-stone-700">{format!("Cold chain for {}: {}–{} °C.", c.crop, c.min_c, c.max_c)}</p> })}
                    <img src=chart_src alt=chart_alt width="640" height="280" loading="lazy" class="mt-2 h-auto w-full max-w-2xl" data-testid="temperature-chart"/>
                </section>
            })}
            {(!products.is_empty()).then(|| view! {
                <section class="mt-8" aria-labelledby="sold-as">
                    <h2 id="sold-as" class="text-lg font-semibold text-stone-900">"Sold as"</h2>
                    <ul class="mt-2 list-disc pl-5 text-stone-800">
                        {products.into_iter().map(|p| match p.href {
                            Some(href) => view! { <li><a href=href class="text-emerald-800 hover:underline">{p.name}</a></li> }.into_any(),
                            None => view! { <li>{p.name}</li> }.into_any(),
                        }).collect_view()}
                    </ul>
                </section>
            })}
        </article>
    }
}
