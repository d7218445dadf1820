//! `/ops/tasks`: the estate's task board. Ops filter it (a plain GET form, so a link
//! keeps the view), create tasks (one, or a recurring series), reassign, complete and
//! cancel them; a field agent sees and completes their own. Native controls with
//! labels throughout, so the board works by keyboard alone.

use super::api::*;
use super::model::*;
use crate::components::form::{BUTTON_CLASS, INPUT_CLASS, field_errors, non_field_error};
use crate::components::island_support::hydrated_flag;
use crate::components::not_found::LoadError;
use crate::domain::field_work::{TaskKind, TaskStatus};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

const CARD: &str = "rounded-2xl border border-stone-200 bg-white p-4 shadow-sm";
const SELECT: &str = "mt-1 block w-full rounded-lg border border-stone-300 bg-white px-3 py-2";
const SMALL: &str = "rounded-full border border-stone-300 px-3 py-1 text-sm hover:bg-stone-100 disabled:opacity-60";

/// Shows the board again with what changed.
fn reload() {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().reload();
    }
}

fn status_label(s: TaskStatus) -> &'static str {
    match s {
        TaskStatus::Open => "Open",
        TaskStatus::Done => "Done",
        TaskStatus::Cancelled => "Cancelled",
    }
}

fn today() -> Option<chrono::NaiveDate> {
    #[cfg(feature = "ssr")]
    {
        Some(crate::domain::distribution::ist_date(chrono::Utc::now()))
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

#[component]
pub fn TaskBoardPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.with(|q| q.get(k).unwrap_or_default());
    let board = Resource::new_blocking(
        move || (param("farm"), param("assignee"), param("status")),
        |(farm, assignee, status)| task_board(farm, assignee, status),
    );
    view! {
        <Title text="Field tasks · Mandi"/>
        <section class="mx-auto max-w-6xl px-4 py-8">
            <h1 class="text-2xl font-bold">"Field tasks"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match board.await {
                        Ok(b) => view! { <BoardView board=b farm=param("farm") assignee=param("assignee") status=param("status")/> }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login?next=/ops/tasks"/> }.into_any(),
                        Err(error) => view! { <LoadError error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn BoardView(board: Board, farm: String, assignee: String, status: String) -> impl IntoView {
    let Board { tasks, farms, agents, manages } = board;
    let today = today();
    let status = if status.is_empty() { "open".to_string() } else { status };
    let names: std::collections::HashMap<uuid::Uuid, String> = agents.iter().map(|a| (a.id, a.name.clone())).collect();
    view! {
        <form method="get" action="/ops/tasks" class=format!("mt-6 grid gap-3 sm:grid-cols-4 sm:items-end {CARD}") data-testid="task-filters">
            <div>
                <label for="filter-farm" class="block text-sm font-medium">"Farm"</label>
                <select id="filter-farm" name="farm" class=SELECT>
                    <option value="">"Every farm"</option>
                    {farms.iter().map(|f| view! { <option value=f.key.clone() selected=f.key == farm>{f.name.clone()}</option> }).collect_view()}
                </select>
            </div>
            {manages.then(|| view! {
                <div>
                    <label for="filter-assignee" class="block text-sm font-medium">"Assignee"</label>
                    <select id="filter-assignee" name="assignee" class=SELECT>
                        <option value="">"Anyone"</option>
                        {agents.iter().map(|a| view! { <option value=a.id.to_string() selected=a.id.to_string() == assignee>{a.name.clone()}</option> }).collect_view()}
                    </select>
                </div>
            })}
            <div>
                <label for="filter-status" class="block text-sm font-medium">"Status"</label>
                <select id="filter-status" name="status" class=SELECT>
                    {[("open", "Open"), ("done", "Done"), ("cancelled", "Cancelled"), ("all", "All")].into_iter().map(|(v, l)| view! {
                        <option value=v selected=v == status>{l}</option>
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class=BUTTON_CLASS>"Show"</button>
        </form>
        {manages.then(|| view! { <NewTaskForm farms=farms.clone() agents=agents.clone()/> })}
        <div class="mt-6 overflow-x-auto">
            <table class="w-full min-w-[44rem] text-left text-sm" data-testid="tasks">
                <thead class="text-stone-600"><tr>
                    <th class="py-2">"Due"</th><th>"Farm"</th><th>"Task"</th><th>"Assignee"</th><th>"Status"</th><th><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody class="divide-y divide-stone-200">
                    {tasks.is_empty().then(|| view! { <tr><td colspan="6" class="py-4 text-stone-600" data-testid="tasks-none">"No tasks match."</td></tr> })}
                    {tasks.into_iter().map(|t| {
                        let overdue = t.status == TaskStatus::Open && today.is_some_and(|d| t.due_on < d);
                        let who = t.assignee_id.and_then(|a| names.get(&a).cloned()).or(t.assignee_name.clone()).unwrap_or_else(|| "—".into());
                        view! {
                            <tr data-testid="task" data-task-id=t.id.to_string() data-status=t.status.as_str()>
                                <td class=if overdue { "py-2 font-semibold text-red-700" } else { "py-2" }>
                                    {t.due_on.format("%d %b %Y").to_string()}{overdue.then_some(" · overdue")}
                                </td>
                                <td>{t.farm_name.clone()}</td>
                                <td>{t.title.clone()}</td>
                                <td data-testid="task-assignee">{who}</td>
                                <td>{status_label(t.status)}</td>
                                <td><TaskActions id=t.id.to_string() open=t.status == TaskStatus::Open manages=manages
                                        agents=if manages { agents.clone() } else { vec![] } assignee=t.assignee_id.map(|a| a.to_string()).unwrap_or_default()/></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[island(lazy)]
fn NewTaskForm(farms: Vec<Choice>, agents: Vec<Choice>) -> impl IntoView {
    let hydrated = hydrated_flag();
    let save = ServerAction::<CreateTask>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            reload();
        }
    });
    let error = move |field: &'static str| {
        view! { <p id=format!("task-{field}-error") class="mt-1 text-sm text-red-700" role="alert" data-field-error=field>{move || errors.with(|e| e.get(field).cloned())}</p> }
    };
    let invalid = move |field: &'static str| move || errors.with(|e| e.contains_key(field)).then_some("true");
    view! {
        <ActionForm action=save attr:class=format!("mt-6 grid gap-4 sm:grid-cols-3 {CARD}") attr:data-testid="new-task-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h2 class="font-semibold sm:col-span-3">"New task"</h2>
            <div>
                <label for="task-farm" class="block text-sm font-medium">"Farm"</label>
                <select id="task-farm" name="task[farm]" class=SELECT aria-invalid=invalid("farm") aria-describedby="task-farm-error">
                    {farms.into_iter().map(|f| view! { <option value=f.key>{f.name}</option> }).collect_view()}
                </select>
                {error("farm")}
            </div>
            <div>
                <label for="task-kind" class="block text-sm font-medium">"Kind"</label>
                <select id="task-kind" name="task[kind]" class=SELECT aria-invalid=invalid("kind") aria-describedby="task-kind-error">
                    {TaskKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.default_title()}</option> }).collect_view()}
                </select>
                {error("kind")}
            </div>
            <div>
                <label for="task-title" class="block text-sm font-medium">"Title (needed for a custom task)"</label>
                <input id="task-title" name="task[title]" class=INPUT_CLASS aria-invalid=invalid("title") aria-describedby="task-title-error"/>
                {error("title")}
            </div>
            <div>
                <label for="task-due" class="block text-sm font-medium">"Due on"</label>
                <input id="task-due" name="task[dueOn]" type="date" class=INPUT_CLASS aria-invalid=invalid("dueOn") aria-describedby="task-dueOn-error"/>
                {error("dueOn")}
            </div>
            <div>
                <label for="task-assignee" class="block text-sm font-medium">"Assignee"</label>
                <select id="task-assignee" name="task[assignee]" class=SELECT aria-invalid=invalid("assignee") aria-describedby="task-assignee-error">
                    <option value="">"Nobody yet"</option>
                    {agents.into_iter().map(|a| view! { <option value=a.id.to_string()>{a.name}</option> }).collect_view()}
                </select>
                {error("assignee")}
            </div>
            <div>
                <label for="task-rrule" class="block text-sm font-medium">"Repeat (optional)"</label>
                <input id="task-rrule" name="task[rrule]" class=INPUT_CLASS placeholder="FREQ=WEEKLY;COUNT=8" aria-invalid=invalid("rrule") aria-describedby="task-rrule-error task-rrule-hint"/>
                <p id="task-rrule-hint" class="mt-1 text-xs text-stone-500">"DAILY, WEEKLY or MONTHLY, ending with COUNT (up to 366) or UNTIL=YYYYMMDD."</p>
                {error("rrule")}
            </div>
            <div class="sm:col-span-3 flex items-center gap-3">
                <button type="submit" class=BUTTON_CLASS disabled=move || save.pending().get()>"Create"</button>
                <p class="text-sm text-red-700" role="alert" data-testid="form-error">{move || non_field_error(save.value().get())}</p>
            </div>
        </ActionForm>
    }
}

#[island(lazy)]
fn TaskActions(id: String, open: bool, manages: bool, agents: Vec<Choice>, assignee: String) -> impl IntoView {
    let hydrated = hydrated_flag();
    let act = ServerAction::<UpdateTask>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = act.value().get() {
            reload();
        }
    });
    let select_id = format!("assign-{id}");
    let reassign = manages.then(|| {
        let id = id.clone();
        view! {
            <ActionForm action=act attr:class="flex items-center gap-1">
                <input type="hidden" name="id" value=id/>
                <label for=select_id.clone() class="sr-only">"Assign to"</label>
                <select id=select_id name="update[assignee]" class="rounded border border-stone-300 px-2 py-1 text-sm">
                    <option value="none">"Nobody"</option>
                    {agents.into_iter().map(|a| {
                        let value = a.id.to_string();
                        let chosen = value == assignee;
                        view! { <option value=value selected=chosen>{a.name}</option> }
                    }).collect_view()}
                </select>
                <button type="submit" class=SMALL>"Assign"</button>
            </ActionForm>
        }
    });
    let set = move |status: &'static str, label: &'static str, id: String| {
        view! {
            <ActionForm action=act attr:class="inline">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="update[status]" value=status/>
                <button type="submit" class=SMALL data-testid=format!("task-{status}")>{label}</button>
            </ActionForm>
        }
    };
    view! {
        <div class="flex flex-wrap items-center gap-2" data-testid="task-actions" data-hydrated=move || hydrated.get().then_some("true")>
            {open.then_some(reassign)}
            {open.then(|| set("done", "Done", id.clone()))}
            {(open && manages).then(|| set("cancelled", "Cancel", id.clone()))}
            {(!open && manages).then(|| set("open", "Reopen", id.clone()))}
            <span class="text-xs text-red-700" role="alert">{move || non_field_error(act.value().get()).or_else(|| field_errors(act.value().get()).into_values().next())}</span>
        </div>
    }
}
