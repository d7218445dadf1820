//! `/control`: the operations screen kept open all day. The page is drawn on the
//! server with every panel's figures; each panel is an island that follows the
//! tenant's operations stream (one connection for the page) and reads its panel again
//! when something it shows changes, and acts from there. `/control/platform` is the
//! same jobs and messages panels over what belongs to no tenant, for platform operators.

use super::api::*;
use super::model::*;
use crate::components::island_support::hydrated_flag;
use crate::components::not_found::refused;
use crate::domain::kpi::Figures;
use crate::domain::money::Money;
use crate::domain::order_state::{Actor, OrderAction, OrderState, transition};
use crate::domain::tower::{next_step, step_label};
use crate::error::AppError;
use crate::field::api::UpdateTask;
use crate::field::model::{Choice, TaskUpdateRequest, TaskView};
use crate::orders::api::ActOnOrder;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use rust_decimal::Decimal;

const PANEL: &str = "rounded-2xl border border-stone-200 bg-white p-4 shadow-sm";
const SMALL_BUTTON: &str = "min-h-11 rounded-full border border-emerald-700 px-3 py-1.5 text-sm font-semibold text-emerald-800 hover:bg-emerald-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700 disabled:opacity-50";
const QUIET_BUTTON: &str = "min-h-11 rounded-full border border-stone-300 px-3 py-1.5 text-sm font-medium text-stone-700 hover:bg-stone-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700 disabled:opacity-50";

#[component]
pub fn ControlPage() -> impl IntoView {
    let tower = Resource::new_blocking(|| (), |_| load_tower());
    view! {
        <Title text="Control tower · Mandi"/>
        <div class="mx-auto max-w-7xl px-4 py-6">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match tower.await {
                        Ok(tower) => view! { <TowerView tower/> }.into_any(),
                        Err(e) => refused(e, "/control".into()),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn TowerView(tower: Tower) -> impl IntoView {
    let Tower {
        tenant_name,
        kind,
        orders,
        inventory,
        market,
        field,
        alerts,
        jobs,
        notifications,
        kpis,
        platform_operator,
        ..
    } = tower;
    view! {
        <header class="flex flex-wrap items-baseline gap-x-4 gap-y-1">
            <h1 class="text-2xl font-bold text-stone-900">"Control tower"</h1>
            <p class="text-stone-600">{tenant_name}</p>
            <nav aria-label="Operations" class="ml-auto flex flex-wrap gap-4 text-sm font-medium text-emerald-800">
                {kind.sells().then(|| view! { <a href="/admin/orders" class="hover:underline">"Order queue"</a> })}
                {(kind == TenantKind::Estate).then(|| view! { <a href="/ops/tasks" class="hover:underline">"Field tasks"</a> })}
                {(kind == TenantKind::Market).then(|| view! { <a href="/ledger/settlements" class="hover:underline">"Settlements"</a> })}
                <a href="/admin/audit" class="hover:underline" data-testid="audit-link">"Audit log"</a>
                {platform_operator.then(|| view! { <a href="/control/platform" class="hover:underline" data-testid="platform-link">"Platform"</a> })}
            </nav>
        </header>
        <LiveStatus platform=false/>
        <div class="mt-4 grid gap-4 lg:grid-cols-2">
            <KpisSection initial=kpis/>
            {orders.map(|initial| view! { <OrdersSection initial/> })}
            {inventory.map(|initial| view! { <InventorySection initial/> })}
            {market.map(|initial| view! { <MarketSection initial/> })}
            {field.map(|initial| view! { <FieldSection initial/> })}
            <AlertsSection initial=alerts/>
            <JobsSection initial=jobs platform=false/>
            <NotificationsSection initial=notifications platform=false/>
        </div>
    }
}

#[component]
pub fn PlatformPage() -> impl IntoView {
    let tower = Resource::new_blocking(|| (), |_| load_platform_tower());
    view! {
        <Title text="Platform tower · Mandi"/>
        <div class="mx-auto max-w-7xl px-4 py-6">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match tower.await {
                        Ok(tower) => view! { <PlatformView tower/> }.into_any(),
                        Err(e) => refused(e, "/control/platform".into()),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn PlatformView(tower: PlatformTower) -> impl IntoView {
    let PlatformTower { jobs, notifications, unmatched, .. } = tower;
    view! {
        <header class="flex flex-wrap items-baseline gap-x-4 gap-y-1">
            <h1 class="text-2xl font-bold text-stone-900">"Platform tower"</h1>
            <p class="text-stone-600">"What belongs to no tenant: platform jobs, sign-in messages, payments no order claims."</p>
            <nav aria-label="Operations" class="ml-auto text-sm font-medium text-emerald-800">
                <a href="/control" class="hover:underline">"Your tenant's tower"</a>
            </nav>
        </header>
        <LiveStatus platform=true/>
        <div class="mt-4 grid gap-4 lg:grid-cols-2">
            <JobsSection initial=jobs platform=true/>
            <NotificationsSection initial=notifications platform=true/>
            <section class=format!("{PANEL} lg:col-span-2") aria-labelledby="unmatched-heading" data-testid="unmatched-panel">
                <h2 id="unmatched-heading" class="text-lg font-semibold text-stone-900">"Payments no order claims"</h2>
                {if unmatched.is_empty() {
                    view! { <p class="mt-2 text-sm text-stone-600">"None: every payment the provider reported belongs to an order."</p> }.into_any()
                } else {
                    view! {
                        <ul class="mt-2">{unmatched.into_iter().map(|u| view! {
                            <li class="border-t border-stone-100 py-2 text-sm" data-testid="unmatched-payment">
                                <span class="font-mono">{u.reference}</span>" · "{u.kind.replace('_', " ")}" · "
                                <span class="text-stone-600">{clock(u.found_at)}</span>
                                <p class="mt-1 break-words font-mono text-xs text-stone-600">{u.detail}</p>
                            </li>
                        }).collect_view()}</ul>
                    }.into_any()
                }}
            </section>
        </div>
    }
}

/// Reads a panel again when asked, at most one read at a time: asks that arrive during
/// a read make one more read after it, so a burst of events costs two reads, not one
/// per event. A failed read keeps the figures and says why.
fn refresher<T, Fut>(
    target: RwSignal<T>,
    failure: RwSignal<Option<String>>,
    read: impl Fn() -> Fut + Clone + Send + Sync + 'static,
) -> impl Fn() + Clone + Send + Sync + 'static
where
    T: Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, AppError>> + 'static,
{
    let busy = StoredValue::new(false);
    let again = StoredValue::new(false);
    move || {
        if busy.get_value() {
            again.set_value(true);
            return;
        }
        busy.set_value(true);
        let read = read.clone();
        leptos::task::spawn_local(async move {
            loop {
                again.set_value(false);
                match read().await {
                    Ok(value) => {
                        target.set(value);
                        failure.set(None);
                    }
                    Err(e) => failure.set(Some(format!("Could not refresh: {e}"))),
                }
                if !again.get_value() {
                    break;
                }
            }
            busy.set_value(false);
        });
    }
}

/// Follows `kinds` on the tenant's operations stream, and reads everything again on
/// every (re)connection: events missed while away are caught up by the stream itself,
/// and the read covers what changed before it resumed.
fn follow(kinds: &'static [&'static str], refresh: impl Fn() + Clone + 'static, live: WriteSignal<bool>) {
    follow_on(false, kinds, refresh, live)
}

/// [`follow`] on the tenant's stream, or on the platform's.
#[allow(unused_variables)]
fn follow_on(
    platform: bool,
    kinds: &'static [&'static str],
    refresh: impl Fn() + Clone + 'static,
    live: WriteSignal<bool>,
) {
    #[cfg(feature = "hydrate")]
    {
        let on_open = refresh.clone();
        let topic = if platform { "platform" } else { "ops" };
        crate::components::island_support::listen_kinds(topic, kinds, move |_, _| refresh(), on_open, live);
    }
}

/// Reads again every `seconds` too, for figures no event announces (queue depths).
#[allow(unused_variables)]
fn every(seconds: u64, refresh: impl Fn() + Clone + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let _ = set_interval_with_handle(refresh, std::time::Duration::from_secs(seconds));
    }
}

fn clock(at: DateTime<Utc>) -> String {
    let ist = chrono::FixedOffset::east_opt(5 * 3600 + 1800).expect("IST");
    at.with_timezone(&ist).format("%H:%M:%S").to_string()
}

/// A panel of the tower: its heading, when its figures were read and whether they are
/// current, a refresh that failed, then what it shows.
#[allow(clippy::too_many_arguments)]
#[component]
fn Panel(
    /// The section's test id, and its heading's id.
    id: &'static str,
    title: &'static str,
    /// Across both columns.
    #[prop(optional)]
    wide: bool,
    hydrated: ReadSignal<bool>,
    live: ReadSignal<bool>,
    read_at: Signal<Option<DateTime<Utc>>>,
    failure: RwSignal<Option<String>>,
    children: Children,
) -> impl IntoView {
    let heading = format!("{id}-heading");
    let labelled_by = heading.clone();
    view! {
        <section class=if wide { format!("{PANEL} lg:col-span-2") } else { PANEL.to_string() }
            aria-labelledby=labelled_by data-testid=id
            data-hydrated=move || hydrated.get().then_some("true") data-live=move || live.get().then_some("true")>
            <div class="flex flex-wrap items-baseline gap-2">
                <h2 id=heading class="text-lg font-semibold text-stone-900">{title}</h2>
                <span class="ml-auto text-xs text-stone-500" data-testid="panel-freshness">
                    {move || match (live.get(), read_at.get()) {
                        (true, Some(at)) => format!("Live · as of {}", clock(at)),
                        (true, None) => "Live".to_string(),
                        (false, Some(at)) => format!("Not live: figures from {}", clock(at)),
                        (false, None) => "Not live".to_string(),
                    }}
                </span>
            </div>
            {move || failure.get().map(|f| view! { <p role="alert" class="mt-1 text-sm text-red-700">{f}</p> })}
            {children()}
        </section>
    }
}

/// The connection of the whole screen: says so plainly when the stream is down and
/// the figures may be behind.
#[island]
fn LiveStatus(platform: bool) -> impl IntoView {
    let hydrated = hydrated_flag();
    let (live, set_live) = signal(false);
    follow_on(platform, &[], || (), set_live);
    view! {
        <p role="status" aria-live="polite" class="mt-1 text-sm" data-testid="tower-live"
            data-hydrated=move || hydrated.get().then_some("true") data-live=move || live.get().then_some("true")>
            {move || if live.get() {
                view! { <span class="text-emerald-800">"● Live: changes appear as they happen."</span> }.into_any()
            } else if hydrated.get() {
                view! { <span class="font-semibold text-amber-800">"○ Reconnecting: the figures below may be behind."</span> }.into_any()
            } else {
                view! { <span class="text-stone-500">"Connecting…"</span> }.into_any()
            }}
        </p>
    }
}

fn state_label(state: OrderState) -> String {
    state.to_string()
}

#[island]
fn OrdersSection(initial: OrdersPanel) -> impl IntoView {
    let hydrated = hydrated_flag();
    let panel = RwSignal::new(initial);
    let failure = RwSignal::new(None);
    let (live, set_live) = signal(false);
    let refresh = refresher(panel, failure, tower_orders);
    follow(&["order"], refresh.clone(), set_live);
    let act = ServerAction::<ActOnOrder>::new();
    let report = RwSignal::new(None::<String>);
    let last = StoredValue::new(0i64);
    Effect::new({
        let refresh = refresh.clone();
        move |_| {
            match act.value().get() {
                Some(Ok(state)) => report.set(Some(format!("#{} is now {}", last.get_value(), state))),
                Some(Err(e)) => report.set(Some(format!("#{}: {}", last.get_value(), e))),
                None => return,
            }
            refresh();
        }
    });
    let order_row = move |o: TowerOrder, now: DateTime<Utc>| {
        let step = next_step(o.state);
        let cancellable = transition(o.state, OrderAction::Cancel, Actor::Staff).is_ok();
        let (id, number) = (o.id.to_string(), o.number);
        let send = move |action: OrderAction| {
            last.set_value(number);
            act.dispatch(ActOnOrder {
                id: id.clone(),
                action: action.as_str().to_string(),
                reason: (action == OrderAction::Cancel).then(|| "Cancelled from the control tower".to_string()),
                amount: None,
                lines: vec![],
            });
        };
        let send_cancel = send.clone();
        view! {
            <li class="flex flex-wrap items-center gap-2 border-t border-stone-100 py-2" data-testid="tower-order"
                data-number=o.number data-state=o.state.as_str() data-stuck=o.stuck.then_some("true")>
                <a href=format!("/orders/{}", o.id) class="font-semibold text-emerald-800 hover:underline">{format!("#{}", o.number)}</a>
                <span class="text-sm text-stone-700">{o.customer_name.clone()}</span>
                <span class="text-sm">{o.total.format_inr()}</span>
                <span class={if o.stuck { "rounded-full bg-red-100 px-2 text-xs font-semibold text-red-800" } else { "rounded-full bg-stone-100 px-2 text-xs text-stone-700" }}>
                    {format!("{} · {}", state_label(o.state), age(o.state_since, now))}
                    {o.stuck.then_some(" · stuck")}
                </span>
                <span class="ml-auto flex gap-2">
                    {step.map(|action| view! {
                        <button type="button" class=SMALL_BUTTON disabled=move || act.pending().get()
                            data-action=action.as_str()
                            on:click=move |_| send(action)>{step_label(action)}</button>
                    })}
                    {cancellable.then(|| view! {
                        <button type="button" class=QUIET_BUTTON disabled=move || act.pending().get()
                            data-action="cancel" on:click=move |_| send_cancel(OrderAction::Cancel)>"Cancel"</button>
                    })}
                </span>
            </li>
        }
    };
    view! {
        <Panel id="orders-panel" title="Orders" hydrated live read_at=Signal::derive(move || Some(panel.with(|p| p.read_at))) failure>
            <dl class="mt-3 grid grid-cols-3 gap-2 sm:grid-cols-5">
                {move || panel.with(|p| p.by_state.iter().filter(|c| c.count > 0 || next_step(c.state).is_some()).map(|c| view! {
                    <div class={if c.stuck > 0 { "rounded-xl bg-red-50 p-2" } else { "rounded-xl bg-stone-50 p-2" }}
                        data-testid="state-count" data-state=c.state.as_str() data-count=c.count data-stuck=c.stuck>
                        <dt class="text-xs text-stone-600">{state_label(c.state)}</dt>
                        <dd class="text-xl font-bold text-stone-900">{c.count}</dd>
                        {(c.stuck > 0).then(|| view! { <dd class="text-xs font-semibold text-red-800">{format!("{} stuck", c.stuck)}</dd> })}
                    </div>
                }).collect_view())}
            </dl>
            <p role="status" aria-live="polite" class="mt-2 text-sm text-stone-700" data-testid="order-act-report">{move || report.get()}</p>
            {move || {
                let (stuck, now) = panel.with(|p| (p.stuck.clone(), p.read_at));
                (!stuck.is_empty()).then(|| view! {
                    <h3 class="mt-3 text-sm font-semibold text-red-800">"Needs attention"</h3>
                    <ul data-testid="stuck-orders">{stuck.into_iter().map(|o| order_row(o, now)).collect_view()}</ul>
                })
            }}
            <h3 class="mt-3 text-sm font-semibold text-stone-800">"Newest"</h3>
            {move || {
                let (newest, now) = panel.with(|p| (p.newest.clone(), p.read_at));
                if newest.is_empty() {
                    view! { <p class="text-sm text-stone-600">"No orders yet."</p> }.into_any()
                } else {
                    view! { <ul data-testid="newest-orders">{newest.into_iter().map(|o| order_row(o, now)).collect_view()}</ul> }.into_any()
                }
            }}
        </Panel>
    }
}

/// The rows the KPI panel shows for what the tenant runs: a name, a key for tests, and
/// today's figure, then the daily averages of the last 7 and 30 days.
fn kpi_rows(p: &KpiPanel) -> Vec<(&'static str, &'static str, [String; 3])> {
    let s = &p.summary;
    let windows = [&s.today, &s.last_7, &s.last_30];
    let each = |f: &dyn Fn(&Figures) -> String| windows.map(f);
    let money = |m: Option<Money>| m.map_or_else(|| "–".to_string(), |m| m.format_inr());
    let rate = |r: Option<Decimal>| r.map_or_else(|| "–".to_string(), |r| format!("{r} %"));
    match p.kind {
        TenantKind::Store => vec![
            ("GMV", "gmv", each(&|f| f.gmv.format_inr())),
            ("Orders", "orders", each(&|f| f.orders.to_string())),
            ("Average order", "average-order", each(&|f| money(f.average_order))),
            ("Fill rate", "fill-rate", each(&|f| rate(f.fill_rate))),
            ("Refund rate", "refund-rate", each(&|f| rate(f.refund_rate))),
        ],
        TenantKind::Market => vec![
            ("Settlements", "settlements", each(&|f| f.settlements.to_string())),
            ("Settled (net payable)", "settled", each(&|f| f.settled.format_inr())),
        ],
        TenantKind::Estate => vec![("Farm revenue", "farm-revenue", each(&|f| f.farm_revenue.format_inr()))],
    }
}

/// KPIs from the daily rows the rollup job keeps; redrawn when it announces new figures.
#[island]
fn KpisSection(initial: KpiPanel) -> impl IntoView {
    let hydrated = hydrated_flag();
    let panel = RwSignal::new(initial);
    let failure = RwSignal::new(None);
    let (live, set_live) = signal(false);
    let refresh = refresher(panel, failure, tower_kpis);
    follow(&["kpi.updated"], refresh, set_live);
    view! {
        <Panel id="kpi-panel" title="KPIs" wide=true hydrated live read_at=Signal::derive(move || panel.with(|p| p.computed_at)) failure>
            <div class="mt-3 overflow-x-auto">
                <table class="w-full text-sm" data-testid="kpi-table">
                    <thead class="text-left text-xs text-stone-600">
                        <tr><th class="py-1"><span class="sr-only">"Figure"</span></th><th>"Today"</th>
                            <th>"Last 7 days, a day"</th><th>"Last 30 days, a day"</th></tr>
                    </thead>
                    <tbody>
                        {move || panel.with(|p| kpi_rows(p).into_iter().map(|(name, key, [today, week, month])| view! {
                            <tr class="border-t border-stone-100" data-testid="kpi" data-kpi=key>
                                <th scope="row" class="py-1 text-left font-medium text-stone-800">{name}</th>
                                <td class="font-semibold" data-window="today">{today}</td>
                                <td data-window="7">{week}</td>
                                <td data-window="30">{month}</td>
                            </tr>
                        }).collect_view())}
                    </tbody>
                </table>
            </div>
            {move || panel.with(|p| p.chart.clone()).map(|svg| view! {
                <figure class="mt-3 overflow-x-auto" data-testid="kpi-chart" aria-label="The last 30 days, a bar a day" inner_html=svg></figure>
            })}
        </Panel>
    }
}

/// A settlement stage as a figure: how many, and what they pay.
fn stage_box(name: &'static str, key: &'static str, stage: SettlementStage) -> impl IntoView {
    view! {
        <div class="rounded-xl bg-stone-50 p-2" data-testid="settlement-stage" data-stage=key data-count=stage.count>
            <dt class="text-xs text-stone-600">{name}</dt>
            <dd class="text-xl font-bold text-stone-900">{stage.count}</dd>
            <dd class="text-xs text-stone-700">{stage.net_payable.format_inr()}</dd>
        </div>
    }
}

/// A market's day: entries, kilograms and value per flower, and settlements by stage.
#[island]
fn MarketSection(initial: MarketPanel) -> impl IntoView {
    let hydrated = hydrated_flag();
    let panel = RwSignal::new(initial);
    let failure = RwSignal::new(None);
    let (live, set_live) = signal(false);
    let refresh = refresher(panel, failure, tower_market);
    follow(&["ledger.changed", "settlement.changed"], refresh.clone(), set_live);
    // A slip's message reaching the grower announces nothing on this stream.
    every(60, refresh);
    view! {
        <Panel id="market-panel" title="Market today" hydrated live read_at=Signal::derive(move || Some(panel.with(|p| p.read_at))) failure>
            {move || panel.with(|p| {
                let total = p.total;
                view! {
                    <p class="mt-1 text-sm text-stone-700" data-testid="market-total" data-entries=total.entries>
                        {format!("{} · {} entries · {} kg · {}", p.market_date.format("%d %b %Y"), total.entries, total.quantity_kg, total.gross.format_inr())}
                        {(total.pending > 0).then(|| format!(" · {} waiting for a rate", total.pending))}
                    </p>
                    <dl class="mt-3 grid grid-cols-2 gap-2 sm:grid-cols-4">
                        {stage_box("To approve", "generated", p.generated.clone())}
                        {stage_box("Approved, slip not sent", "approved", p.approved.clone())}
                        {stage_box("Sent, not paid", "sent", p.sent.clone())}
                        {stage_box("Paid today", "paid", p.paid_today.clone())}
                    </dl>
                }
            })}
            {move || {
                let flowers = panel.with(|p| p.flowers.clone());
                if flowers.is_empty() {
                    view! { <p class="mt-3 text-sm text-stone-600">"No entries yet today."</p> }.into_any()
                } else {
                    view! {
                        <table class="mt-3 w-full text-sm" data-testid="market-flowers">
                            <thead class="text-left text-xs text-stone-600"><tr><th class="py-1">"Flower"</th><th>"Entries"</th><th>"Kilograms"</th><th>"Value"</th></tr></thead>
                            <tbody>{flowers.into_iter().map(|f| view! {
                                <tr class="border-t border-stone-100" data-testid="market-flower" data-code=f.code.clone() data-entries=f.tally.entries>
                                    <td class="py-1">{f.name_en.clone()}</td>
                                    <td>{f.tally.entries}</td>
                                    <td>{f.tally.quantity_kg.to_string()}</td>
                                    <td>{f.tally.gross.format_inr()}{(f.tally.pending > 0).then(|| format!(" (+{} unpriced)", f.tally.pending))}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any()
                }
            }}
        </Panel>
    }
}

/// The order the field panel lists tasks in: by agent as the estate lists them, the
/// unassigned last; within each, soonest due first.
fn by_agent(panel: &FieldPanel) -> Vec<(Option<Choice>, Vec<TaskView>)> {
    let mut groups: Vec<(Option<Choice>, Vec<TaskView>)> = panel
        .agents
        .iter()
        .map(|a| (Some(a.clone()), panel.tasks.iter().filter(|t| t.assignee_id == Some(a.id)).cloned().collect()))
        .collect();
    let known = |t: &&TaskView| t.assignee_id.is_some_and(|id| panel.agents.iter().any(|a| a.id == id));
    groups.push((None, panel.tasks.iter().filter(|t| !known(t)).cloned().collect()));
    groups.retain(|(_, tasks)| !tasks.is_empty());
    groups
}

/// Moves keyboard focus to the element with `id`, once the list has been drawn again.
#[allow(unused_variables)]
fn focus_later(id: String) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        if let Some(el) = document().get_element_by_id(&id).and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
        }
    });
}

/// An estate's tasks due today and overdue, per field agent. From the keyboard: ↑ and ↓
/// move between tasks, 1–9 give the task to that agent, 0 to nobody.
#[island]
fn FieldSection(initial: FieldPanel) -> impl IntoView {
    let hydrated = hydrated_flag();
    let panel = RwSignal::new(initial);
    let failure = RwSignal::new(None);
    let (live, set_live) = signal(false);
    let refresh = refresher(panel, failure, tower_field);
    follow(&["task.changed"], refresh.clone(), set_live);
    let act = ServerAction::<UpdateTask>::new();
    let report = RwSignal::new(None::<String>);
    // The task whose row keeps the focus once the list is drawn again.
    let focused = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        match act.value().get() {
            Some(Ok(task)) => report.set(Some(format!(
                "{} ({}) is now {}",
                task.title,
                task.farm_name,
                task.assignee_name.map_or_else(|| "unassigned".to_string(), |n| format!("with {n}"))
            ))),
            Some(Err(e)) => report.set(Some(format!("Not reassigned: {e}"))),
            None => return,
        }
        refresh();
    });
    Effect::new(move |_| {
        panel.track();
        if let Some(id) = focused.get_value() {
            focus_later(format!("task-row-{id}"));
        }
    });
    let assign = move |task: uuid::Uuid, to: Option<uuid::Uuid>| {
        focused.set_value(Some(task.to_string()));
        act.dispatch(UpdateTask {
            id: task.to_string(),
            update: TaskUpdateRequest {
                assignee: Some(to.map_or_else(|| "none".to_string(), |a| a.to_string())),
                ..Default::default()
            },
        });
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent, task: uuid::Uuid, position: usize| {
        let key = ev.key();
        let order: Vec<uuid::Uuid> =
            panel.with(|p| by_agent(p).into_iter().flat_map(|(_, ts)| ts).map(|t| t.id).collect());
        match key.as_str() {
            "ArrowDown" | "ArrowUp" => {
                let next = if key == "ArrowDown" { position + 1 } else { position.wrapping_sub(1) };
                if let Some(id) = order.get(next) {
                    ev.prevent_default();
                    focused.set_value(Some(id.to_string()));
                    focus_later(format!("task-row-{id}"));
                }
            }
            "0" => {
                ev.prevent_default();
                assign(task, None);
            }
            digit if digit.len() == 1 && digit.as_bytes()[0].is_ascii_digit() => {
                let n = usize::from(digit.as_bytes()[0] - b'0');
                if let Some(agent) = panel.with(|p| p.agents.get(n - 1).map(|a| a.id)) {
                    ev.prevent_default();
                    assign(task, Some(agent));
                }
            }
            _ => {}
        }
    };
    view! {
        <Panel id="field-panel" title="Field tasks" hydrated live read_at=Signal::derive(move || Some(panel.with(|p| p.read_at))) failure>
            <p class="mt-1 text-xs text-stone-600" id="field-keys">
                "Keys on a task: ↑ ↓ move · 1–9 give it to the numbered agent · 0 to nobody"
            </p>
            <p role="status" aria-live="polite" class="mt-1 text-sm text-stone-700" data-testid="task-act-report">{move || report.get()}</p>
            {move || {
                let (groups, agents, today) = panel.with(|p| (by_agent(p), p.agents.clone(), p.today));
                if groups.is_empty() {
                    return view! { <p class="mt-3 text-sm text-stone-600">"No open task is due today."</p> }.into_any();
                }
                let mut position = 0usize;
                view! {
                    <div class="mt-2 space-y-3">
                        {groups.into_iter().map(|(agent, tasks)| {
                            let heading = match &agent {
                                Some(a) => {
                                    let n = agents.iter().position(|x| x.id == a.id).map(|i| i + 1);
                                    match n { Some(n) if n <= 9 => format!("{n} · {}", a.name), _ => a.name.clone() }
                                }
                                None => "Unassigned".to_string(),
                            };
                            let rows = tasks.into_iter().map(|t| {
                                let here = position;
                                position += 1;
                                let overdue = t.due_on < today;
                                let (task, chosen) = (t.id, t.assignee_id);
                                let select_id = format!("tower-assign-{}", t.id);
                                view! {
                                    <li id=format!("task-row-{}", t.id) tabindex="0" aria-describedby="field-keys"
                                        class="flex flex-wrap items-center gap-2 rounded border-t border-stone-100 py-2 focus-visible:outline focus-visible:outline-2 focus-visible:outline-emerald-700"
                                        data-testid="tower-task" data-task=t.id.to_string() data-overdue=overdue.then_some("true")
                                        on:keydown=move |ev| on_key(ev, task, here)>
                                        <span class="font-medium text-stone-900">{t.title.clone()}</span>
                                        <span class="text-sm text-stone-600">{t.farm_name.clone()}</span>
                                        <span class={if overdue { "rounded-full bg-red-100 px-2 text-xs font-semibold text-red-800" } else { "rounded-full bg-stone-100 px-2 text-xs text-stone-700" }}>
                                            {if overdue { format!("overdue since {}", t.due_on.format("%d %b")) } else { "today".to_string() }}
                                        </span>
                                        <label for=select_id.clone() class="sr-only">{format!("Give {} to", t.title)}</label>
                                        <select id=select_id class="ml-auto rounded border border-stone-300 px-2 py-1 text-sm" disabled=move || act.pending().get()
                                            // Keys typed in the select are the select's, not the row's.
                                            on:keydown=|ev| ev.stop_propagation()
                                            on:change=move |ev| {
                                                let value = event_target_value(&ev);
                                                assign(task, uuid::Uuid::parse_str(&value).ok());
                                            }>
                                            <option value="none" selected=chosen.is_none()>"Nobody"</option>
                                            {agents.iter().map(|a| view! {
                                                <option value=a.id.to_string() selected=chosen == Some(a.id)>{a.name.clone()}</option>
                                            }).collect_view()}
                                        </select>
                                    </li>
                                }
                            }).collect_view();
                            view! {
                                <div data-testid="agent-tasks">
                                    <h3 class="text-sm font-semibold text-stone-800">{heading}</h3>
                                    <ul>{rows}</ul>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
            <a href="/ops/tasks" class="mt-2 inline-block text-sm font-medium text-emerald-800 hover:underline">"Task board →"</a>
        </Panel>
    }
}

#[island]
fn InventorySection(initial: InventoryPanel) -> impl IntoView {
    let hydrated = hydrated_flag();
    let panel = RwSignal::new(initial);
    let failure = RwSignal::new(None);
    let (live, set_live) = signal(false);
    let refresh = refresher(panel, failure, tower_inventory);
    follow(&["stock.changed", "order"], refresh, set_live);
    view! {
        <Panel id="inventory-panel" title="Inventory" hydrated live read_at=Signal::derive(move || Some(panel.with(|p| p.read_at))) failure>
            <dl class="mt-3 grid grid-cols-2 gap-2 sm:grid-cols-4">
                <div class="rounded-xl bg-stone-50 p-2"><dt class="text-xs text-stone-600">"Low stock"</dt>
                    <dd class="text-xl font-bold" data-testid="low-count">{move || panel.with(|p| p.low_count)}</dd></div>
                <div class="rounded-xl bg-stone-50 p-2"><dt class="text-xs text-stone-600">"Held for unpaid orders"</dt>
                    <dd class="text-xl font-bold" data-testid="holds">{move || panel.with(|p| format!("{} ({} units)", p.holds, p.held_units))}</dd></div>
                <div class="rounded-xl bg-stone-50 p-2"><dt class="text-xs text-stone-600">"Sold today"</dt>
                    <dd class="text-xl font-bold" data-testid="sold-today">{move || panel.with(|p| p.sold_today)}</dd></div>
                <div class="rounded-xl bg-stone-50 p-2"><dt class="text-xs text-stone-600">"Sell-through"</dt>
                    <dd class="text-xl font-bold" data-testid="sell-through">{move || panel.with(|p| p.sell_through.map(|s| format!("{s} %")).unwrap_or_else(|| "–".into()))}</dd></div>
            </dl>
            {move || {
                let low = panel.with(|p| p.low.clone());
                if low.is_empty() {
                    view! { <p class="mt-3 text-sm text-stone-600">"Nothing is under its threshold."</p> }.into_any()
                } else {
                    view! {
                        <table class="mt-3 w-full text-sm" data-testid="low-stock">
                            <thead class="text-left text-xs text-stone-600"><tr><th class="py-1">"SKU"</th><th>"Products"</th><th>"On hand"</th><th>"Threshold"</th></tr></thead>
                            <tbody>{low.into_iter().map(|l| view! {
                                <tr class="border-t border-stone-100" data-testid="low-line" data-sku=l.sku.clone()>
                                    <td class="py-1 font-mono text-xs">{l.sku.clone()}</td><td>{l.products.clone()}</td>
                                    <td class={if l.on_hand <= 0 { "font-semibold text-red-800" } else { "" }}>{format!("{} {}", l.on_hand, l.unit)}</td>
                                    <td>{l.threshold}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                        <a href="/admin/stock?low=true" class="mt-2 inline-block text-sm font-medium text-emerald-800 hover:underline">"All stock →"</a>
                    }.into_any()
                }
            }}
        </Panel>
    }
}

#[island]
fn AlertsSection(initial: AlertsPanel) -> impl IntoView {
    let hydrated = hydrated_flag();
    let panel = RwSignal::new(initial);
    let failure = RwSignal::new(None);
    let (live, set_live) = signal(false);
    // The page shown: `None` the newest; otherwise the cursor it was opened with.
    let cursor = RwSignal::new(None::<String>);
    let refresh = refresher(panel, failure, move || tower_alerts(cursor.get_untracked()));
    follow(&["alert.opened", "alert.acknowledged", "alert.resolved", "alert.assigned"], refresh.clone(), set_live);
    let report = RwSignal::new(None::<String>);
    let acting = RwSignal::new(false);
    let run = {
        let refresh = refresh.clone();
        move |done: &'static str, call: std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>>>>| {
            let refresh = refresh.clone();
            acting.set(true);
            leptos::task::spawn_local(async move {
                match call.await {
                    Ok(()) => report.set(Some(done.to_string())),
                    Err(e) => report.set(Some(e.to_string())),
                }
                acting.set(false);
                refresh();
            });
        }
    };
    let older = {
        let refresh = refresh.clone();
        move |next: Option<String>| {
            cursor.set(next);
            refresh();
        }
    };
    let older_next = older.clone();
    view! {
        <Panel id="alerts-panel" title="Alerts" hydrated live read_at=Signal::derive(|| None) failure>
            <p class="mt-1 text-sm text-stone-700" data-testid="alert-counts">
                {move || panel.with(|p| {
                    let [critical, warning, info] = p.open_by_severity;
                    format!("{critical} critical · {warning} warning · {info} info, not yet resolved")
                })}
            </p>
            <p role="status" aria-live="polite" class="mt-1 text-sm text-stone-700" data-testid="alert-report">{move || report.get()}</p>
            {move || {
                let (page, people) = panel.with(|p| (p.page.clone(), p.people.clone()));
                if page.is_empty() {
                    return view! { <p class="mt-3 text-sm text-stone-600" data-testid="no-alerts">"No open alerts."</p> }.into_any();
                }
                view! {
                    <ul class="mt-2">
                        {page.into_iter().map(|a| {
                            let id = a.alert.id.to_string();
                            let run = run.clone();
                            let (ack_id, assign_id, resolve_id) = (id.clone(), id.clone(), id.clone());
                            let (run_ack, run_assign, run_resolve) = (run.clone(), run.clone(), run);
                            let note = RwSignal::new(String::new());
                            let assigned = a.assigned_to.as_ref().map(|p| p.id.to_string()).unwrap_or_default();
                            let severity_class = match a.alert.severity {
                                crate::alerts::model::Severity::Critical => "rounded-full bg-red-100 px-2 text-xs font-semibold text-red-800",
                                crate::alerts::model::Severity::Warning => "rounded-full bg-amber-100 px-2 text-xs font-semibold text-amber-900",
                                crate::alerts::model::Severity::Info => "rounded-full bg-sky-100 px-2 text-xs font-semibold text-sky-900",
                            };
                            let open = a.alert.status == crate::alerts::model::AlertStatus::Open;
                            view! {
                                <li class="border-t border-stone-100 py-2" data-testid="tower-alert" data-kind=a.alert.kind.clone()
                                    data-status=format!("{:?}", a.alert.status).to_lowercase()>
                                    <div class="flex flex-wrap items-baseline gap-2">
                                        <span class=severity_class>{a.alert.severity.as_str()}</span>
                                        <span class="font-medium text-stone-900">{a.alert.title.clone()}</span>
                                        <span class="ml-auto text-xs text-stone-500">{clock(a.alert.opened_at)}</span>
                                    </div>
                                    <p class="text-xs text-stone-600">
                                        {match (&a.acknowledged_by, a.alert.acknowledged_at) {
                                            (Some(by), Some(at)) => format!("Acknowledged by {by} at {}", clock(at)),
                                            _ => "Not yet acknowledged".to_string(),
                                        }}
                                        {a.assigned_to.as_ref().map(|p| format!(" · with {}", p.name))}
                                    </p>
                                    <div class="mt-1 flex flex-wrap items-center gap-2">
                                        {open.then(|| view! {
                                            <button type="button" class=SMALL_BUTTON data-action="acknowledge" disabled=move || acting.get()
                                                on:click=move |_| run_ack("Acknowledged.", Box::pin(acknowledge_alert(ack_id.clone())))>"Acknowledge"</button>
                                        })}
                                        <label class="text-sm">
                                            <span class="sr-only">"Assign to"</span>
                                            <select class="min-h-11 rounded-lg border border-stone-300 px-2 text-sm" data-testid="assign"
                                                on:change=move |e| {
                                                    let to = event_target_value(&e);
                                                    let call = assign_alert(assign_id.clone(), to);
                                                    run_assign("Assigned.", Box::pin(async move { call.await.map(|_| ()) }));
                                                }>
                                                <option value="" selected=assigned.is_empty()>"Nobody"</option>
                                                {people.iter().map(|p| view! {
                                                    <option value=p.id.to_string() selected=assigned == p.id.to_string()>{p.name.clone()}</option>
                                                }).collect_view()}
                                            </select>
                                        </label>
                                        <label class="grow text-sm">
                                            <span class="sr-only">"What was done"</span>
                                            <input type="text" maxlength="1000" placeholder="What was done" data-testid="resolution"
                                                class="min-h-11 w-full rounded-lg border border-stone-300 px-2 text-sm"
                                                prop:value=move || note.get() on:input=move |e| note.set(event_target_value(&e))/>
                                        </label>
                                        <button type="button" class=QUIET_BUTTON data-action="resolve" disabled=move || acting.get()
                                            on:click=move |_| run_resolve("Resolved.", Box::pin(resolve_alert(resolve_id.clone(), note.get_untracked())))>"Resolve"</button>
                                    </div>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <nav aria-label="Alert pages" class="mt-2 flex gap-4 text-sm font-medium text-emerald-800">
                {
                    let older = older.clone();
                    move || cursor.get().is_some().then(|| {
                        let older = older.clone();
                        view! { <button type="button" class="min-h-11 hover:underline" on:click=move |_| older(None)>"← Newest"</button> }
                    })
                }
                {move || panel.with(|p| p.next.clone()).map(|next| {
                    let older = older_next.clone();
                    view! { <button type="button" class="min-h-11 hover:underline" data-testid="older-alerts" on:click=move |_| older(Some(next.clone()))>"Older alerts →"</button> }
                })}
            </nav>
        </Panel>
    }
}

/// The tenant's jobs, or (`platform`) those of no tenant.
#[island]
fn JobsSection(initial: JobsPanel, platform: bool) -> impl IntoView {
    let hydrated = hydrated_flag();
    let panel = RwSignal::new(initial);
    let failure = RwSignal::new(None);
    let (live, set_live) = signal(false);
    let read = move || async move { if platform { platform_jobs().await } else { tower_jobs().await } };
    let refresh = refresher(panel, failure, read);
    follow_on(platform, &["job.dead", "job.retried", "job.discarded"], refresh.clone(), set_live);
    every(10, refresh.clone());
    let act = Action::new_unsync(move |(id, action): &(String, &'static str)| {
        let (id, action) = (id.clone(), action.to_string());
        async move { if platform { act_on_platform_job(id, action).await } else { act_on_job(id, action).await } }
    });
    Effect::new(move |_| {
        if act.value().get().is_some() {
            refresh();
        }
    });
    let report = move || match act.value().get() {
        Some(Ok(())) => Some("Done.".to_string()),
        Some(Err(e)) => Some(e.to_string()),
        None => None,
    };
    view! {
        <Panel id="jobs-panel" title="Jobs" hydrated live read_at=Signal::derive(move || Some(panel.with(|p| p.read_at))) failure>
            <table class="mt-3 w-full text-sm">
                <thead class="text-left text-xs text-stone-600"><tr>
                    <th class="py-1">"Queue"</th><th>"Ready"</th><th>"Later"</th><th>"Running"</th><th>"Retrying"</th><th>"Dead"</th><th>"Done, last hour"</th>
                </tr></thead>
                <tbody>
                    {move || panel.with(|p| p.queues.iter().map(|q| view! {
                        <tr class="border-t border-stone-100" data-testid="queue-line" data-queue=q.queue.clone() data-dead=q.dead>
                            <td class="py-1 font-medium">{q.queue.clone()}</td><td>{q.ready}</td><td>{q.scheduled}</td><td>{q.running}</td>
                            <td>{q.retrying}</td><td class={if q.dead > 0 { "font-semibold text-red-800" } else { "" }}>{q.dead}</td><td>{q.done_last_hour}</td>
                        </tr>
                    }).collect_view())}
                </tbody>
            </table>
            <p role="status" aria-live="polite" class="mt-2 text-sm text-stone-700" data-testid="job-report">{report}</p>
            {move || {
                let dead = panel.with(|p| p.dead.clone());
                (!dead.is_empty()).then(|| view! {
                    <h3 class="mt-3 text-sm font-semibold text-red-800">"Dead letters"</h3>
                    <ul>{dead.into_iter().map(|d| {
                        let (retry_id, discard_id) = (d.id.to_string(), d.id.to_string());
                        view! {
                            <li class="border-t border-stone-100 py-2" data-testid="dead-letter" data-kind=d.kind.clone()>
                                <div class="flex flex-wrap items-center gap-2">
                                    <span class="font-mono text-xs">{format!("{} · {}", d.queue, d.kind)}</span>
                                    <span class="text-xs text-stone-500">{format!("{} attempts", d.attempts)}</span>
                                    <span class="ml-auto flex gap-2">
                                        <button type="button" class=SMALL_BUTTON data-action="retry" disabled=move || act.pending().get()
                                            on:click=move |_| { act.dispatch((retry_id.clone(), "retry")); }>"Retry"</button>
                                        <button type="button" class=QUIET_BUTTON data-action="discard" disabled=move || act.pending().get()
                                            on:click=move |_| { act.dispatch((discard_id.clone(), "discard")); }>"Discard"</button>
                                    </span>
                                </div>
                                <p class="mt-1 break-words text-xs text-red-800">{d.last_error.clone().unwrap_or_default()}</p>
                            </li>
                        }
                    }).collect_view()}</ul>
                })
            }}
        </Panel>
    }
}

/// The tenant's messages, or (`platform`) those of no tenant (sign-in codes).
#[island]
fn NotificationsSection(initial: NotificationsPanel, platform: bool) -> impl IntoView {
    let hydrated = hydrated_flag();
    let panel = RwSignal::new(initial);
    let failure = RwSignal::new(None);
    let (live, set_live) = signal(false);
    let read =
        move || async move { if platform { platform_notifications().await } else { tower_notifications().await } };
    let refresh = refresher(panel, failure, read);
    follow_on(platform, &["notification.retried"], refresh.clone(), set_live);
    every(15, refresh.clone());
    let retry = Action::new_unsync(move |id: &String| {
        let id = id.clone();
        async move { if platform { retry_platform_message(id).await } else { retry_message(id).await } }
    });
    Effect::new(move |_| {
        if retry.value().get().is_some() {
            refresh();
        }
    });
    view! {
        <Panel id="notifications-panel" title="Notifications, last 24 hours" hydrated live read_at=Signal::derive(move || Some(panel.with(|p| p.read_at))) failure>
            <table class="mt-3 w-full text-sm">
                <thead class="text-left text-xs text-stone-600"><tr>
                    <th class="py-1">"Channel"</th><th>"Sent"</th><th>"Delivered"</th><th>"Failed"</th><th>"Waiting"</th><th>"Delivery rate"</th>
                </tr></thead>
                <tbody>
                    {move || panel.with(|p| p.channels.iter().map(|c| view! {
                        <tr class="border-t border-stone-100" data-testid="channel-line" data-channel=c.channel.clone()>
                            <td class="py-1 font-medium">{c.channel.clone()}</td><td>{c.total}</td><td>{c.delivered}</td>
                            <td class={if c.failed > 0 { "font-semibold text-red-800" } else { "" }}>{c.failed}</td><td>{c.pending}</td>
                            <td>{delivery_rate(c).map(|r| format!("{r} %")).unwrap_or_else(|| "–".into())}</td>
                        </tr>
                    }).collect_view())}
                </tbody>
            </table>
            <p role="status" aria-live="polite" class="mt-2 text-sm text-stone-700">
                {move || retry.value().get().map(|r| match r { Ok(()) => "Queued again.".to_string(), Err(e) => e.to_string() })}
            </p>
            {move || {
                let failures = panel.with(|p| p.failures.clone());
                (!failures.is_empty()).then(|| view! {
                    <h3 class="mt-3 text-sm font-semibold text-red-800">"Recent failures"</h3>
                    <ul>{failures.into_iter().map(|m| {
                        let id = m.id.to_string();
                        view! {
                            <li class="flex flex-wrap items-center gap-2 border-t border-stone-100 py-2" data-testid="failed-message">
                                <span class="text-sm">{format!("{} · {}", m.channel, m.template)}</span>
                                <span class="text-xs text-red-800">{m.last_error.clone().unwrap_or_default()}</span>
                                <button type="button" class=concat!("ml-auto ", "min-h-11 rounded-full border border-emerald-700 px-3 py-1.5 text-sm font-semibold text-emerald-800 hover:bg-emerald-50 disabled:opacity-50")
                                    disabled=move || retry.pending().get()
                                    on:click=move |_| { retry.dispatch(id.clone()); }>"Retry"</button>
                            </li>
                        }
                    }).collect_view()}</ul>
                })
            }}
        </Panel>
    }
}
