//! `/ledger`, the tablet's entry screen: an island that works
//! from the tablet's own store, so it opens and takes entries with no network; the
//! page around it holds nothing personal, so the service worker can keep it.

use super::entry_screen_state::*;
use crate::components::island_support::hydrated_flag;
use crate::domain::kilograms::Kg;
use crate::domain::ledger_entry::{self, FarmerKey, RateSource, farmer_match, price_entry};
use crate::domain::market_slot;
use crate::domain::money::Money;
use crate::language::{Locale, td_string};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};
use std::collections::BTreeMap;
use uuid::Uuid;

#[component]
pub fn LedgerPage() -> impl IntoView {
    view! {
        <Title text="Ledger · Mandi"/>
        <Link rel="manifest" href="/ledger/manifest.webmanifest"/>
        <Meta name="mobile-web-app-capable" content="yes"/>
        <LedgerApp/>
    }
}

/// The User Timing name of one entry's save.
#[cfg(feature = "hydrate")]
const SAVE_MEASURE: &str = "mandi-ledger-save";

const BIG_BUTTON: &str = "min-h-14 rounded-xl bg-emerald-700 px-6 text-lg font-semibold text-white hover:bg-emerald-800 focus-visible:outline focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-emerald-700 disabled:opacity-50";
const FIELD: &str = "mt-1 min-h-14 w-full rounded-xl border border-stone-300 px-4 text-lg focus:border-emerald-600 focus:outline-none focus:ring-4 focus:ring-emerald-600/30";
const SMALL_BUTTON: &str =
    "min-h-11 rounded-lg border border-stone-300 bg-white px-3 text-sm font-medium hover:bg-stone-100";

fn status_badge(l: Locale, status: &str) -> (String, &'static str) {
    match status {
        "synced" => (td_string!(l, ledger.status_synced).to_string(), "bg-emerald-100 text-emerald-900"),
        "rejected" => (td_string!(l, ledger.status_rejected).to_string(), "bg-red-100 text-red-900"),
        "conflict" => (td_string!(l, ledger.status_conflict).to_string(), "bg-amber-100 text-amber-900"),
        _ => (td_string!(l, ledger.status_pending).to_string(), "bg-stone-200 text-stone-800"),
    }
}

/// A refusal of the weight typed, in the screen's language.
fn quantity_message(l: Locale, r: ledger_entry::Reject) -> String {
    match r {
        ledger_entry::Reject::QuantityTooLarge => td_string!(l, reject.quantity_too_large).to_string(),
        ledger_entry::Reject::QuantityInvalid => td_string!(l, reject.quantity_invalid).to_string(),
        _ => td_string!(l, reject.other).to_string(),
    }
}

/// The entry screen: choose grower, flower, weight; the rate comes from the slot of
/// the current time; saved to the tablet first, sent when there is a connection.
#[island(lazy)]
pub fn LedgerApp() -> impl IntoView {
    let hydrated = hydrated_flag();
    let market = RwSignal::new(None::<Market>);
    let failure = RwSignal::new(None::<String>);
    let snap = RwSignal::new(Snapshot::default());
    let now = RwSignal::new(None::<DateTime<Utc>>);
    let query = RwSignal::new(String::new());
    let farmer = RwSignal::new(None::<Uuid>);
    let flower = RwSignal::new(None::<Uuid>);
    let quantity = RwSignal::new(String::new());
    let errors = RwSignal::new(BTreeMap::<&'static str, String>::new());
    let saved = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<(Uuid, String)>);
    let panel_open = RwSignal::new(false);
    let farmer_input = NodeRef::<leptos::html::Input>::new();
    let lang = RwSignal::new(Locale::en);
    // Saves merged into the screen so far, to tell a read that raced one.
    let saves = StoredValue::new(0_u64);

    #[cfg(feature = "hydrate")]
    {
        use super::client;
        // One read of the store at a time: a change during a read asks for one more
        // read after it, so a burst of changes (a long outage's sync) costs two reads,
        // not one per change.
        let reading = StoredValue::new(Reads::default());
        let refresh = move || {
            if reading.get_value().busy {
                reading.update_value(|r| r.again = true);
                return;
            }
            reading.set_value(Reads { busy: true, ..Reads::default() });
            leptos::task::spawn_local(async move {
                loop {
                    let saves_before = saves.get_value();
                    let full = reading.get_value().full;
                    reading.update_value(|r| r.full = false);
                    if let Ok(text) = client::read_changes(full).await
                        && let Ok(mut c) = serde_json::from_str::<StoreChanges>(&text)
                    {
                        if let Some(reference) = c.reference.take() {
                            market.update(|m| {
                                if let Some(current) = m.take() {
                                    *m = Some(Market::new(Boot { me: current.me, reference }));
                                }
                            });
                        }
                        if saves.get_value() == saves_before {
                            snap.update(|s| s.apply(c));
                        } else {
                            // A save finished during the read, which may not hold it.
                            // The store asks for another read only if the save committed
                            // while the read was still under way, so ask here too; and if
                            // this read took the entries the store had marked changed,
                            // the next one must carry them.
                            let had_entries = c.entries.is_some();
                            reading.update_value(|r| r.dropped(had_entries));
                        }
                    }
                    let again = reading.get_value().again;
                    reading.update_value(|r| {
                        r.busy = again;
                        r.again = false;
                    });
                    if !again {
                        break;
                    }
                }
            })
        };
        Effect::new(move |_| {
            client::configure(&serde_json::to_string(&crate::domain::sync_backoff::DELAYS_SECS).unwrap_or_default());
            client::register_worker();
            now.set(Some(client::now()));
            leptos::task::spawn_local(async move {
                match client::open().await {
                    Ok(text) => {
                        if let Ok(e) = serde_json::from_str::<BootError>(&text) {
                            failure.set(Some(e.error));
                        } else {
                            match serde_json::from_str::<Boot>(&text) {
                                Ok(boot) => {
                                    lang.set(crate::language::locale_from(
                                        &client::stored_language().unwrap_or_else(|| boot.me.language.clone()),
                                    ));
                                    market.set(Some(Market::new(boot)));
                                    if let Ok(s) = serde_json::from_str::<Snapshot>(&text) {
                                        snap.set(s);
                                    }
                                }
                                Err(e) => failure.set(Some(format!("broken: {e}"))),
                            }
                        }
                    }
                    Err(e) => failure.set(Some(format!("storage: {e}"))),
                }
            });
        });
        let handle =
            window_event_listener(leptos::ev::Custom::<leptos::ev::Event>::new("mandi-ledger"), move |_| refresh());
        on_cleanup(move || handle.remove());
        let tick = set_interval_with_handle(move || now.set(Some(client::now())), std::time::Duration::from_secs(20));
        on_cleanup(move || {
            if let Ok(t) = tick {
                t.clear();
            }
        });
    }

    // The grower list, best matches first.
    let matches = Memo::new(move |_| {
        let q = query.get();
        market.with(|m| {
            let Some(m) = m else { return Vec::new() };
            let mut hits: Vec<(u8, i32, Uuid, String)> = m
                .reference
                .farmers
                .iter()
                .filter_map(|f| {
                    let key = FarmerKey {
                        farmer_no: f.farmer_no,
                        name_en: f.name_en.clone(),
                        name_ta: f.name_ta.clone(),
                        phone: f.phone.clone(),
                    };
                    farmer_match(&q, &key).map(|rank| {
                        (rank, f.farmer_no, f.id, format!("{} · {} · {}", f.farmer_no, f.name_en, f.name_ta))
                    })
                })
                .collect();
            hits.sort();
            hits.truncate(6);
            hits
        })
    });

    // The price of what is being typed, by the same rules the server applies.
    let preview = Memo::new(move |_| {
        let at = now.get()?;
        market.with(|m| {
            let m = m.as_ref()?;
            let flower = flower.get()?;
            let slot = market_slot::slot_at(&m.slots, at);
            let day = market_slot::market_date(at);
            let q = Kg::parse(&quantity.get()).ok();
            let priced = q.map(|q| price_entry(at, q, &m.slots, |s| m.rates.get(&(day, flower, s)).copied(), None));
            let rate = slot.and_then(|s| m.rates.get(&(day, flower, s.id)).copied());
            Some((
                slot.map(|s| format!("{}–{}", s.starts_at.format("%H:%M"), s.ends_at.format("%H:%M"))),
                rate,
                priced.and_then(|p| p.total),
            ))
        })
    });

    let today_entries = Memo::new(move |_| {
        let Some(at) = now.get() else { return Vec::new() };
        let day = market_slot::market_date(at);
        let mut list: Vec<LocalEntry> =
            snap.with(|s| s.entries.iter().filter(|e| e.market_date == day).cloned().collect());
        list.sort_by_key(|e| std::cmp::Reverse(e.recorded_at));
        list
    });

    // Running totals per grower for today (kg and ₹ of priced, unvoided entries).
    let totals = Memo::new(move |_| {
        let mut by: BTreeMap<Uuid, (i64, Money, u32)> = BTreeMap::new();
        for e in today_entries.get().iter().filter(|e| e.status != "void") {
            let row = by.entry(e.farmer_id).or_insert((0, Money::ZERO, 0));
            row.0 += Kg::parse(&e.quantity_kg).map(Kg::grams).unwrap_or(0);
            row.1 = row.1 + e.total.as_deref().and_then(|t| Money::parse(t).ok()).unwrap_or(Money::ZERO);
            row.2 += 1;
        }
        by.into_iter().collect::<Vec<_>>()
    });

    // The stored entry goes straight onto the screen: no read of the whole store, which
    // the next save would have to wait behind.
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let merge_saved = move |stored: &str| match serde_json::from_str::<LocalEntry>(stored) {
        Ok(entry) => {
            saves.update_value(|n| *n += 1);
            snap.update(|s| s.saved(entry));
        }
        Err(e) => leptos::logging::warn!("a saved entry the screen cannot read: {e}"),
    };

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        if let Some(p) = window().performance() {
            let _ = p.mark(SAVE_MEASURE);
        }
        let Some(m) = market.get_untracked() else { return };
        let mut errs = BTreeMap::new();
        if farmer.get_untracked().is_none() {
            errs.insert("farmer", td_string!(lang.get_untracked(), ledger.choose_grower).to_string());
        }
        if flower.get_untracked().is_none() {
            errs.insert("flower", td_string!(lang.get_untracked(), ledger.choose_flower).to_string());
        }
        let q = match ledger_entry::check_quantity(&quantity.get_untracked(), &m.limits()) {
            Ok(q) => Some(q),
            Err(r) => {
                errs.insert("quantity", quantity_message(lang.get_untracked(), r));
                None
            }
        };
        // Only when they changed: a save is timed to the frame, and a set re-runs every
        // view that reads the errors.
        if errors.with_untracked(|e| *e != errs) {
            errors.set(errs.clone());
        }
        let (Some(farmer_id), Some(flower_id), Some(q)) = (farmer.get_untracked(), flower.get_untracked(), q) else {
            return;
        };
        #[cfg(feature = "hydrate")]
        {
            let at = super::client::now();
            let day = market_slot::market_date(at);
            let priced = price_entry(at, q, &m.slots, |s| m.rates.get(&(day, flower_id, s)).copied(), None);
            let client_id = Uuid::now_v7();
            let change = serde_json::json!({
                "op": "create",
                "clientId": client_id,
                "local": {
                    "farmerId": farmer_id, "flowerTypeId": flower_id, "quantityKg": q.to_string(),
                    "recordedAt": at, "marketDate": day, "slotId": priced.slot_id,
                    "rate": priced.rate, "total": priced.total, "rateSource": priced.source.as_str(),
                    "status": "recorded", "enteredBy": m.me.user_id,
                },
                "entry": {
                    "clientId": client_id, "farmerId": farmer_id, "flowerTypeId": flower_id,
                    "quantityKg": q.to_string(), "recordedAt": at,
                },
            });
            let l = lang.get_untracked();
            let who = m.farmer_name(l, farmer_id);
            leptos::task::spawn_local(async move {
                match super::client::save(&change.to_string()).await {
                    Ok(stored) => {
                        merge_saved(&stored);
                        saved.set(Some(td_string!(l, ledger.saved, name = who, kg = q).to_string()));
                        // From the press of Save to the entry durably stored: the one-frame
                        // budget the browser bench (bench/ledger_browser.mjs) reads back.
                        if let Some(p) = window().performance() {
                            let _ = p.measure_with_start_mark(SAVE_MEASURE, SAVE_MEASURE);
                        }
                        quantity.set(String::new());
                        farmer.set(None);
                        query.set(String::new());
                        if let Some(input) = farmer_input.get_untracked() {
                            let _ = input.focus();
                        }
                    }
                    Err(e) => errors.update(|x| {
                        x.insert("form", td_string!(l, ledger.not_saved, error = e).to_string());
                    }),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (farmer_id, flower_id, q);
    };

    let save_edit = move |entry: LocalEntry, raw: String, void: bool| {
        let Some(m) = market.get_untracked() else { return };
        let q = if void {
            Kg::parse(&entry.quantity_kg).ok()
        } else {
            match ledger_entry::check_quantity(&raw, &m.limits()) {
                Ok(q) => Some(q),
                Err(r) => {
                    errors.update(|x| {
                        x.insert("edit", quantity_message(lang.get_untracked(), r));
                    });
                    None
                }
            }
        };
        let Some(q) = q else { return };
        let rate = entry.rate.as_deref().and_then(|r| Money::parse(r).ok());
        let change = serde_json::json!({
            "op": if void { "delete" } else { "update" },
            "clientId": entry.client_id,
            "local": {
                "quantityKg": q.to_string(),
                "total": rate.map(|r| crate::domain::settlement::entry_total(r, q)),
                "status": if void { "void" } else { "recorded" },
            },
            "entry": { "clientId": entry.client_id, "farmerId": entry.farmer_id, "flowerTypeId": entry.flower_type_id, "quantityKg": q.to_string() },
        });
        editing.set(None);
        errors.update(|x| {
            x.remove("edit");
        });
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match super::client::save(&change.to_string()).await {
                Ok(stored) => merge_saved(&stored),
                Err(e) => errors.update(|x| {
                    x.insert("form", td_string!(lang.get_untracked(), ledger.not_saved, error = e).to_string());
                }),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = change;
    };

    let pick_first = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
            if let Some(first) = matches.with_untracked(|m| m.first().map(|h| h.2)) {
                farmer.set(Some(first));
                errors.update(|x| {
                    x.remove("farmer");
                });
            }
        }
    };

    let error = move |key: &'static str| move || errors.with(|e| e.get(key).cloned());
    let badge = move || {
        let s = snap.get();
        let online = s.sync.online;
        let l = lang.get();
        (
            if online { td_string!(l, ledger.online).to_string() } else { td_string!(l, ledger.offline).to_string() },
            if online { "bg-emerald-100 text-emerald-900" } else { "bg-red-100 text-red-900" },
        )
    };

    view! {
        <div class="mx-auto max-w-6xl px-3 py-3" lang=move || crate::language::code(lang.get()) data-lang=move || crate::language::code(lang.get()) data-testid="ledger" data-hydrated=move || hydrated.get().then_some("true")
             data-ready=move || market.with(|m| m.is_some()).then_some("true")>
            <header class="flex flex-wrap items-center gap-3 border-b border-stone-200 pb-3">
                <h1 class="text-xl font-bold">{move || market.with(|m| m.as_ref().map(|m| m.reference.market_name.clone()).unwrap_or_else(|| td_string!(lang.get(), ledger.title).to_string()))}</h1>
                <span data-testid="online-badge" class=move || format!("rounded-full px-3 py-1 text-sm font-semibold {}", badge().1)>{move || badge().0}</span>
                <button type="button" class=SMALL_BUTTON data-testid="sync-button" aria-expanded=move || panel_open.get().to_string()
                        aria-controls="sync-panel" on:click=move |_| panel_open.update(|o| *o = !*o)>
                    {move || {
                        let s = snap.get();
                        let waiting = s.pending;
                        let conflicts = s.conflicts.len();
                        if conflicts > 0 {
                            td_string!(lang.get(), ledger.sync_button_conflicts, waiting = waiting, conflicts = conflicts).to_string()
                        } else {
                            td_string!(lang.get(), ledger.sync_button, waiting = waiting).to_string()
                        }
                    }}
                </button>
                <nav aria-label="Ledger" class="flex gap-3 text-sm font-medium">
                    <a href="/ledger/rates" class="text-emerald-800 underline">{move || td_string!(lang.get(), ledger.rates).to_string()}</a>
                    <a href="/ledger/settlements" class="text-emerald-800 underline">{move || td_string!(lang.get(), ledger.settlements).to_string()}</a>
                    <a href="/ledger/reports" class="text-emerald-800 underline">{move || td_string!(lang.get(), ledger.reports).to_string()}</a>
                    <a href="/ledger/admin" class="text-emerald-800 underline">{move || td_string!(lang.get(), ledger.admin).to_string()}</a>
                    <button type="button" class=SMALL_BUTTON data-testid="switch-language" lang=move || if lang.get() == Locale::ta { "en" } else { "ta" }
                            on:click=move |_| {
                                let next = if lang.get_untracked() == Locale::ta { Locale::en } else { Locale::ta };
                                lang.set(next);
                                #[cfg(feature = "hydrate")]
                                super::client::choose_language(crate::language::code(next));
                            }>{move || td_string!(lang.get(), ledger.switch_language).to_string()}</button>
                </nav>
                <span class="ml-auto text-sm text-stone-600">{move || market.with(|m| m.as_ref().map(|m| m.me.display_name.clone()))}</span>
            </header>

            {move || failure.get().map(|f| {
                let l = lang.get();
                let (title, body) = match f.as_str() {
                    "signin" => (td_string!(l, ledger.fail_signin_title), td_string!(l, ledger.fail_signin)),
                    "forbidden" => (td_string!(l, ledger.fail_forbidden_title), td_string!(l, ledger.fail_forbidden)),
                    "offline-first-run" => (td_string!(l, ledger.fail_first_title), td_string!(l, ledger.fail_first)),
                    _ => (td_string!(l, ledger.fail_other_title), td_string!(l, ledger.fail_other)),
                };
                let (title, body) = (title.to_string(), body.to_string());
                view! {
                    <div role="alert" class="mt-6 rounded-xl border border-amber-300 bg-amber-50 p-6" data-testid="ledger-failure">
                        <p class="text-lg font-semibold">{title}</p>
                        <p class="mt-1">{body}</p>
                        <a href="/login?next=/ledger" class="mt-3 inline-block font-semibold text-emerald-800 underline">{td_string!(l, ledger.sign_in).to_string()}</a>
                    </div>
                }
            })}

            // A new version took over, or the server refused this one: every entry is
            // safe in the tablet's store, so reloading loses nothing.
            {move || { let s = snap.get().sync; s.update_ready || s.outdated }.then(|| view! {
                <div role="status" class="mt-3 flex flex-wrap items-center gap-3 rounded-xl border border-sky-300 bg-sky-50 p-4" data-testid="update-ready">
                    <p class="font-semibold">{move || td_string!(lang.get(), ledger.update_ready).to_string()}</p>
                    <button type="button" class=SMALL_BUTTON on:click=move |_| {
                        #[cfg(feature = "hydrate")]
                        {
                            let _ = window().location().reload();
                        }
                    }>{move || td_string!(lang.get(), ledger.reload).to_string()}</button>
                </div>
            })}

            <section id="sync-panel" class="mt-3 rounded-xl border border-stone-200 bg-white p-4" data-testid="sync-panel" hidden=move || !panel_open.get()>
                <h2 class="text-lg font-semibold">{move || td_string!(lang.get(), ledger.sync).to_string()}</h2>
                <p class="text-sm" data-testid="sync-state">{move || {
                    let s = snap.get().sync;
                    let l = lang.get();
                    match s.state.as_str() {
                        "syncing" => td_string!(l, ledger.state_syncing),
                        "waiting" => td_string!(l, ledger.state_waiting),
                        "failed" => td_string!(l, ledger.state_failed),
                        "signin" => td_string!(l, ledger.state_signin),
                        "outdated" => td_string!(l, ledger.state_outdated),
                        "synced" => td_string!(l, ledger.state_synced),
                        "offline" => td_string!(l, ledger.offline),
                        _ => td_string!(l, ledger.state_idle),
                    }.to_string()
                }}</p>
                <dl class="mt-2 grid grid-cols-4 gap-2 text-center">
                    <div><dt class="text-xs text-stone-600">{move || td_string!(lang.get(), ledger.count_waiting).to_string()}</dt><dd class="text-xl font-bold" data-testid="count-pending">{move || snap.get().pending}</dd></div>
                    <div><dt class="text-xs text-stone-600">{move || td_string!(lang.get(), ledger.count_synced).to_string()}</dt><dd class="text-xl font-bold" data-testid="count-synced">{move || today_entries.get().iter().filter(|e| e.sync_status == "synced").count()}</dd></div>
                    <div><dt class="text-xs text-stone-600">{move || td_string!(lang.get(), ledger.count_refused).to_string()}</dt><dd class="text-xl font-bold" data-testid="count-failed">{move || snap.get().entries.iter().filter(|e| e.sync_status == "rejected").count()}</dd></div>
                    <div><dt class="text-xs text-stone-600">{move || td_string!(lang.get(), ledger.count_conflicts).to_string()}</dt><dd class="text-xl font-bold" data-testid="count-conflicts">{move || snap.get().conflicts.len()}</dd></div>
                </dl>
                <button type="button" class=format!("{SMALL_BUTTON} mt-3") data-testid="sync-now" on:click=move |_| {
                    #[cfg(feature = "hydrate")]
                    super::client::sync_now();
                }>{move || td_string!(lang.get(), ledger.send_now).to_string()}</button>
                <ul class="mt-3 space-y-2">
                    <For each=move || { rejected(&snap.get()) } key=|e| e.client_id let:e>
                        <li class="rounded-lg bg-red-50 p-3 text-sm" data-testid="rejected-entry">
                            <span class="font-semibold">{e.quantity_kg.clone()}" kg · "</span>
                            <span>{e.message.clone().unwrap_or_default()}</span>
                            <button type="button" class=format!("{SMALL_BUTTON} ml-2") on:click={
                                let id = e.client_id;
                                move |_| {
                                    #[cfg(feature = "hydrate")]
                                    leptos::task::spawn_local(async move { let _ = super::client::drop_rejected(&id.to_string()).await; });
                                    #[cfg(not(feature = "hydrate"))]
                                    let _ = id;
                                }
                            }>{move || td_string!(lang.get(), ledger.discard).to_string()}</button>
                        </li>
                    </For>
                    <For each=move || snap.get().conflicts key=|c| c.id let:c>
                        <li class="rounded-lg bg-amber-50 p-3 text-sm" data-testid="conflict">
                            <p class="font-semibold">{
                                let merged = c.resolution == "merged";
                                move || if merged { td_string!(lang.get(), ledger.conflict_merged).to_string() } else { td_string!(lang.get(), ledger.conflict_kept).to_string() }
                            }</p>
                            <ul>
                                {c.fields.iter().map(|f| {
                                    let f = f.clone();
                                    view! {
                                        <li data-testid="conflict-field">{move || if f.field == "quantityKg" {
                                            td_string!(lang.get(), ledger.conflict_weight, base = f.base.clone(), mine = f.mine.clone(), theirs = f.theirs.clone(), result = f.result.clone()).to_string()
                                        } else {
                                            td_string!(lang.get(), ledger.conflict_field, field = f.field.clone(), base = f.base.clone(), mine = f.mine.clone(), theirs = f.theirs.clone(), result = f.result.clone()).to_string()
                                        }}</li>
                                    }
                                }).collect_view()}
                            </ul>
                            <button type="button" class=format!("{SMALL_BUTTON} mt-2") data-testid="keep-merged" on:click={
                                let id = c.id;
                                move |_| {
                                    #[cfg(feature = "hydrate")]
                                    leptos::task::spawn_local(async move { let _ = super::client::accept_conflict(&id.to_string()).await; });
                                    #[cfg(not(feature = "hydrate"))]
                                    let _ = id;
                                }
                            }>{move || td_string!(lang.get(), ledger.keep).to_string()}</button>
                        </li>
                    </For>
                </ul>
            </section>

            <div class="mt-4 grid gap-6 lg:grid-cols-2" hidden=move || market.with(|m| m.is_none())>
                <form class="space-y-4" on:submit=save data-testid="entry-form" novalidate>
                    <div>
                        <label for="farmer-search" class="block text-base font-semibold">{move || td_string!(lang.get(), ledger.grower).to_string()}</label>
                        <input id="farmer-search" node_ref=farmer_input class=FIELD autocomplete="off" data-testid="farmer-search"
                               prop:value=move || query.get() on:input=move |ev| { query.set(event_target_value(&ev)); farmer.set(None); }
                               on:keydown=pick_first aria-invalid=move || error("farmer")().is_some().then_some("true") aria-describedby="farmer-error"/>
                        <p id="farmer-error" class="text-sm text-red-700" data-field-error="farmer">{error("farmer")}</p>
                        <p class="mt-1 text-base" data-testid="chosen-farmer">{move || farmer.get().and_then(|f| market.with(|m| m.as_ref().map(|m| format!("✓ {}", m.farmer_name(lang.get(), f)))))}</p>
                        <ul class="mt-2 grid gap-2 sm:grid-cols-2" hidden=move || farmer.get().is_some() || query.with(String::is_empty)>
                            <For each=move || matches.get() key=|h| h.2 let:h>
                                <li><button type="button" class="min-h-12 w-full rounded-lg border border-stone-300 bg-white px-3 text-left" data-testid="farmer-option"
                                            on:click=move |_| farmer.set(Some(h.2))>{h.3.clone()}</button></li>
                            </For>
                        </ul>
                    </div>
                    <fieldset>
                        <legend class="text-base font-semibold">{move || td_string!(lang.get(), ledger.flower).to_string()}</legend>
                        <div class="mt-1 grid grid-cols-2 gap-2 sm:grid-cols-4">
                            {move || market.with(|m| m.as_ref().map(|m| m.reference.flower_types.iter().enumerate().map(|(i, f)| {
                                let id = f.id;
                                view! {
                                    <label class="flex min-h-14 cursor-pointer items-center gap-2 rounded-xl border border-stone-300 bg-white px-3 has-[:checked]:border-emerald-700 has-[:checked]:bg-emerald-50">
                                        <input type="radio" name="flower" value=id.to_string() class="h-5 w-5" data-testid="flower-option"
                                               prop:checked=move || flower.get() == Some(id) on:change=move |_| flower.set(Some(id))/>
                                        <span><span class="text-xs text-stone-500">{i + 1}" "</span><span lang="en">{f.name_en.clone()}</span><span class="block text-sm" lang="ta">{f.name_ta.clone()}</span></span>
                                    </label>
                                }
                            }).collect_view()))}
                        </div>
                        <p class="text-sm text-red-700" data-field-error="flower">{error("flower")}</p>
                    </fieldset>
                    <div>
                        <label for="quantity" class="block text-base font-semibold">{move || td_string!(lang.get(), ledger.weight).to_string()}</label>
                        <input id="quantity" class=FIELD inputmode="decimal" autocomplete="off" data-testid="quantity"
                               prop:value=move || quantity.get() on:input=move |ev| quantity.set(event_target_value(&ev))
                               aria-invalid=move || error("quantity")().is_some().then_some("true") aria-describedby="quantity-error"/>
                        <p id="quantity-error" class="text-sm text-red-700" data-field-error="quantity">{error("quantity")}</p>
                    </div>
                    <div class="rounded-xl bg-stone-100 p-3 text-base" data-testid="price-preview" aria-live="polite">
                        {move || {
                            let l = lang.get();
                            match preview.get() {
                                None => td_string!(l, ledger.preview_choose).to_string(),
                                Some((None, _, _)) => td_string!(l, ledger.preview_no_slot).to_string(),
                                Some((Some(slot), None, _)) => td_string!(l, ledger.preview_no_rate, slot = slot).to_string(),
                                Some((Some(slot), Some(rate), None)) => td_string!(l, ledger.preview, slot = slot, rate = rate.format_inr()).to_string(),
                                Some((Some(slot), Some(rate), Some(total))) => td_string!(l, ledger.preview_total, slot = slot, rate = rate.format_inr(), total = total.format_inr()).to_string(),
                            }
                        }}
                    </div>
                    <p role="alert" class="text-sm text-red-700">{error("form")}</p>
                    <button type="submit" class=format!("{BIG_BUTTON} w-full") data-testid="save-entry">{move || td_string!(lang.get(), ledger.save).to_string()}</button>
                    <p role="status" aria-live="polite" class="text-sm text-emerald-800" data-testid="saved-message">{move || saved.get()}</p>
                </form>

                <section aria-labelledby="today-heading">
                    <h2 id="today-heading" class="text-lg font-semibold">{move || td_string!(lang.get(), ledger.today).to_string()}</h2>
                    <table class="mt-2 w-full text-sm" data-testid="totals">
                        <caption class="sr-only">{move || td_string!(lang.get(), ledger.totals_caption).to_string()}</caption>
                        <thead><tr class="text-left text-stone-600"><th>{move || td_string!(lang.get(), ledger.col_grower).to_string()}</th><th>{move || td_string!(lang.get(), ledger.col_entries).to_string()}</th><th>{move || td_string!(lang.get(), ledger.col_kg).to_string()}</th><th>"₹"</th></tr></thead>
                        <tbody>
                            <For each=move || totals.get() key=|t| (t.0, t.1.0, t.1.2) let:t>
                                <tr><td>{move || market.with(|m| m.as_ref().map(|m| m.farmer_name(lang.get(), t.0)))}</td><td>{t.1.2}</td><td>{Kg::from_grams(t.1.0).to_string()}</td><td>{t.1.1.format_inr()}</td></tr>
                            </For>
                        </tbody>
                    </table>
                    <p class="mt-1 text-sm text-red-700">{error("edit")}</p>
                    <ul class="mt-3 divide-y divide-stone-200 rounded-xl border border-stone-200 bg-white" data-testid="entries">
                        <For each=move || today_entries.with(|all| newest(all)) key=|e| (e.client_id, e.quantity_kg.clone(), e.sync_status.clone(), e.status.clone()) let:e>
                            {
                                let sync_status = e.sync_status.clone();
                                let entry = e.clone();
                                let id = e.client_id;
                                let mine = market.with_untracked(|m| m.as_ref().is_some_and(|m| m.me.edits_any || m.me.user_id == e.entered_by));
                                view! {
                                    <li class="flex flex-wrap items-center gap-2 p-3" data-testid="entry" data-client-id=id.to_string() data-sync=e.sync_status.clone()>
                                        <span class="font-medium">{move || market.with(|m| m.as_ref().map(|m| m.farmer_name(lang.get(), e.farmer_id)))}</span>
                                        <span>{move || market.with(|m| m.as_ref().map(|m| m.flower_name(lang.get(), e.flower_type_id)))}</span>
                                        <span class="tabular-nums" data-testid="entry-kg">{e.quantity_kg.clone()}" kg"</span>
                                        <span class="tabular-nums">{
                                            let total = e.total.clone();
                                            move || total.clone().map(|t| format!("₹{t}")).unwrap_or_else(|| td_string!(lang.get(), ledger.rate_pending).to_string())
                                        }</span>
                                        {(e.status == "void").then(|| view! { <span class="text-stone-500 line-through">{move || td_string!(lang.get(), ledger.voided).to_string()}</span> })}
                                        <span class=move || format!("ml-auto rounded-full px-2 py-0.5 text-xs font-semibold {}", status_badge(lang.get(), &sync_status).1)>{
                                            let s = e.sync_status.clone();
                                            move || status_badge(lang.get(), &s).0
                                        }</span>
                                        {(mine && e.status != "void").then(|| {
                                            let entry_for_void = entry.clone();
                                            view! {
                                                <button type="button" class=SMALL_BUTTON data-testid="edit-entry" on:click=move |_| editing.set(Some((id, String::new())))>{move || td_string!(lang.get(), ledger.edit).to_string()}</button>
                                                <button type="button" class=SMALL_BUTTON data-testid="void-entry" on:click=move |_| save_edit(entry_for_void.clone(), String::new(), true)>{move || td_string!(lang.get(), ledger.void).to_string()}</button>
                                            }
                                        })}
                                        {move || (editing.get().map(|x| x.0) == Some(id)).then(|| {
                                            let entry = entry.clone();
                                            let value = RwSignal::new(entry.quantity_kg.clone());
                                            view! {
                                                <form class="flex w-full gap-2" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); save_edit(entry.clone(), value.get_untracked(), false); }>
                                                    <label class="sr-only" for=format!("edit-{id}")>{move || td_string!(lang.get(), ledger.new_weight).to_string()}</label>
                                                    <input id=format!("edit-{id}") class=FIELD inputmode="decimal" data-testid="edit-quantity" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
                                                    <button type="submit" class=BIG_BUTTON data-testid="save-edit">{move || td_string!(lang.get(), ledger.save_edit).to_string()}</button>
                                                    <button type="button" class=SMALL_BUTTON on:click=move |_| editing.set(None)>{move || td_string!(lang.get(), ledger.cancel).to_string()}</button>
                                                </form>
                                            }
                                        })}
                                    </li>
                                }
                            }
                        </For>
                    </ul>
                    <p class="mt-2 text-xs text-stone-500">{move || td_string!(lang.get(), ledger.entries_today, count = today_entries.get().len()).to_string()}</p>
                    {move || (today_entries.get().iter().any(|e| e.rate_source == RateSource::Pending.as_str())).then(|| view! {
                        <p class="mt-1 text-sm text-amber-800">{move || td_string!(lang.get(), ledger.pending_note).to_string()}</p>
                    })}
                </section>
            </div>
        </div>
    }
}
