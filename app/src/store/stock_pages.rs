//! `/admin/stock`: the store's stock, low items first, changed by hand with a reason.

use super::stock_api::*;
use crate::components::form::INPUT_CLASS;
use crate::components::island_support::hydrated_flag;
use crate::components::not_found::refused;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn StockPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let read = move || {
        let q = query.read();
        (q.get("q"), q.get("low"))
    };
    let levels = Resource::new_blocking(read, |(q, low)| stock_levels(q, low));
    view! {
        <Title text="Stock · Mandi"/>
        <section class="mx-auto max-w-6xl space-y-4 px-4 py-6">
            <h1 class="text-2xl font-bold text-stone-900">"Stock"</h1>
            <form method="get" action="/admin/stock" class="flex flex-wrap items-end gap-3 text-sm">
                <label class="block grow"><span class="font-medium">"SKU or product"</span>
                    <input type="search" name="q" class=INPUT_CLASS value=move || read().0.unwrap_or_default()/></label>
                <label class="flex items-center gap-2"><input type="checkbox" name="low" value="true" class="h-5 w-5" checked=move || read().1.as_deref() == Some("true")/>"Only low"</label>
                <button type="submit" class="rounded-full bg-emerald-700 px-5 py-2.5 font-semibold text-white">"Show"</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match levels.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="text-stone-600">"No stock items match."</p> }.into_any(),
                        Ok(rows) => view! {
                            <ul class="space-y-3">
                                {rows.into_iter().map(|r| view! { <StockItem row=r/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => refused(e, "/admin/stock".into()),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// One item: its figures, a change by hand and its threshold, each answered in place.
#[island(lazy)]
fn StockItem(row: StockRow) -> impl IntoView {
    let hydrated = hydrated_flag();
    let item = RwSignal::new(row);
    let adjust = ServerAction::<AdjustStock>::new();
    let threshold = ServerAction::<SetStockThreshold>::new();
    Effect::new(move |_| {
        if let Some(Ok(r)) = adjust.value().get() {
            item.set(r);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(r)) = threshold.value().get() {
            item.set(r);
        }
    });
    let error = move |v: Option<Result<StockRow, crate::error::AppError>>| match v {
        Some(Err(e)) => Some(match e.fields() {
            Some(f) => f.values().cloned().collect::<Vec<_>>().join(" · "),
            None => e.to_string(),
        }),
        _ => None,
    };
    let (id_adjust, id_threshold) = (item.get_untracked().id.clone(), item.get_untracked().id.clone());
    view! {
        <li class="rounded-2xl border border-stone-200 bg-white p-4" data-testid="stock-item" data-sku=move || item.with(|r| r.sku.clone())
            data-low=move || item.with(|r| r.low).then_some("true") data-hydrated=move || hydrated.get().then_some("true")>
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <p><span class="font-mono font-medium">{move || item.with(|r| r.sku.clone())}</span>" · "<span class="text-stone-600">{move || item.with(|r| r.products.clone())}</span></p>
                <p class="text-sm tabular-nums">
                    {move || item.with(|r| format!("{} {} on hand · {} held · {} available · low at {}", r.on_hand, r.unit, r.held, r.available, r.threshold))}
                    {move || item.with(|r| r.low).then(|| view! { <span class="ml-2 rounded-full bg-amber-100 px-2 py-0.5 text-amber-900">"low"</span> })}
                </p>
            </div>
            <div class="mt-3 grid gap-3 md:grid-cols-2">
                <ActionForm action=adjust attr:class="flex flex-wrap items-end gap-2 text-sm">
                    <input type="hidden" name="id" value=id_adjust.clone()/>
                    <label class="block"><span class="font-medium">"Why"</span>
                        <select name="reason" class="mt-1 block rounded-lg border border-stone-300 px-2 py-2">
                            <option value="damage">"Damage"</option>
                            <option value="count_correction">"Count correction"</option>
                            <option value="return">"Return"</option>
                        </select></label>
                    <label class="block w-28"><span class="font-medium">"Change"</span><input name="delta" inputmode="numeric" class=INPUT_CLASS placeholder="-250"/></label>
                    <label class="block grow"><span class="font-medium">"Note"</span><input name="note" class=INPUT_CLASS/></label>
                    <button type="submit" class="rounded-full bg-emerald-700 px-4 py-2.5 font-semibold text-white" disabled=move || adjust.pending().get()>"Apply"</button>
                    <p role="alert" class="w-full text-red-700">{move || error(adjust.value().get())}</p>
                </ActionForm>
                <ActionForm action=threshold attr:class="flex flex-wrap items-end gap-2 text-sm">
                    <input type="hidden" name="id" value=id_threshold.clone()/>
                    <label class="block w-40"><span class="font-medium">"Low at"</span><input name="threshold" inputmode="numeric" class=INPUT_CLASS value=move || item.with(|r| r.threshold.to_string())/></label>
                    <button type="submit" class="rounded-full border border-emerald-700 px-4 py-2.5 font-semibold text-emerald-800" disabled=move || threshold.pending().get()>"Set"</button>
                    <p role="alert" class="w-full text-red-700">{move || error(threshold.value().get())}</p>
                </ActionForm>
            </div>
        </li>
    }
}
