//! `/admin/users` (people and roles) and `/admin/audit` (the audit log, filtered).

use super::api::{SetRoles, audit, members};
use super::model::{AuditQueryParams, Member, MemberQueryParams};
use crate::components::form::{FormError, INPUT_CLASS, form_error};
use crate::components::not_found::LoadError;
use crate::components::search_href::encode_component;
use crate::domain::permissions::Role;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

/// Visitors are sent to sign in; the signed-in without the role see the 403 page.
fn refused(error: AppError, back_to: &'static str) -> AnyView {
    match error {
        AppError::Unauthenticated => view! { <Redirect path=format!("/login?next={back_to}")/> }.into_any(),
        error => view! { <LoadError error/> }.into_any(),
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let q = query.read();
        MemberQueryParams { q: q.get("q"), page: q.get("page"), limit: None }
    };
    let data = Resource::new_blocking(params, members);
    view! {
        <Title text="People and roles · Mandi"/>
        <section class="mx-auto max-w-5xl px-4 py-10">
            <h1 class="text-2xl font-bold">"People and roles"</h1>
            <form method="get" action="/admin/users" class="mt-4 flex gap-2" role="search">
                <label for="member-q" class="sr-only">"Search people"</label>
                <input id="member-q" name="q" type="search" placeholder="Name, e-mail or phone" class=INPUT_CLASS value=move || query.read().get("q")/>
                <button class="rounded-full bg-emerald-700 px-5 font-medium text-white">"Search"</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) => view! {
                            <p class="mt-4 text-sm text-stone-600">{format!("{} people", page.pagination.total)}</p>
                            <ul class="mt-2 divide-y divide-stone-200 rounded-2xl border border-stone-200 bg-white" data-testid="members">
                                {page.items.into_iter().map(|m| view! { <MemberRow member=m/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => refused(e, "/admin/users"),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn MemberRow(member: Member) -> impl IntoView {
    let contact = [member.email.clone(), member.phone.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
    view! {
        <li class="flex flex-col gap-3 p-4 sm:flex-row sm:items-center sm:justify-between" data-testid="member">
            <div>
                <p class="font-medium">{member.display_name.clone()}</p>
                <p class="text-sm text-stone-500">{contact}</p>
            </div>
            <RoleEditor user_id=member.user_id.to_string() roles=member.roles.clone()/>
        </li>
    }
}

/// Checkboxes per role and a save button; saving sends the full new set.
#[island(lazy)]
fn RoleEditor(user_id: String, roles: Vec<String>) -> impl IntoView {
    let action = ServerAction::<SetRoles>::new();
    let chosen = RwSignal::new(roles);
    let user_id = StoredValue::new(user_id);
    let saved = move || matches!(action.value().get(), Some(Ok(_)));
    view! {
        <div class="flex flex-col gap-2">
            <fieldset class="flex flex-wrap gap-x-4 gap-y-1">
                <legend class="sr-only">"Roles"</legend>
                {Role::ALL.into_iter().map(|role| {
                    let name = role.as_str();
                    let id = format!("role-{}-{name}", user_id.get_value());
                    let label_for = id.clone();
                    view! {
                        <label for=label_for class="flex items-center gap-1.5 text-sm">
                            <input type="checkbox" id=id value=name
                                prop:checked=move || chosen.read().iter().any(|r| r == name)
                                checked=chosen.read_untracked().iter().any(|r| r == name)
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen.update(|rs| {
                                        rs.retain(|r| r != name);
                                        if on { rs.push(name.to_string()); }
                                    });
                                }/>
                            {name.replace('_', " ")}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <div class="flex items-center gap-3">
                <button type="button" class="rounded-full border border-stone-300 px-4 py-1 text-sm font-medium hover:bg-stone-100"
                    disabled=move || action.pending().get()
                    on:click=move |_| { action.dispatch(SetRoles { user_id: user_id.get_value(), roles: Some(chosen.get()) }); }>
                    "Save roles"
                </button>
                <span class="text-sm text-emerald-700" role="status">{move || saved().then_some("Saved")}</span>
            </div>
            <FormError error=Signal::derive(move || form_error(action.value().get()))/>
        </div>
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let q = query.read();
        AuditQueryParams {
            action: q.get("action"),
            actor: q.get("actor"),
            from: q.get("from"),
            to: q.get("to"),
            cursor: q.get("cursor"),
            limit: None,
        }
    };
    let data = Resource::new_blocking(params, audit);
    let value = move |k: &'static str| move || query.read().get(k).unwrap_or_default();
    let older_href = move |cursor: String| {
        let q = query.read();
        let mut pairs: Vec<(String, String)> = ["action", "actor", "from", "to"]
            .into_iter()
            .filter_map(|k| q.get(k).filter(|v| !v.is_empty()).map(|v| (k.to_string(), v)))
            .collect();
        pairs.push(("cursor".into(), cursor));
        format!(
            "/admin/audit?{}",
            pairs.iter().map(|(k, v)| format!("{k}={}", encode_component(v))).collect::<Vec<_>>().join("&")
        )
    };
    view! {
        <Title text="Audit log · Mandi"/>
        <section class="mx-auto max-w-6xl px-4 py-10">
            <h1 class="text-2xl font-bold">"Audit log"</h1>
            <form method="get" action="/admin/audit" class="mt-4 grid gap-3 sm:grid-cols-5 sm:items-end" data-testid="audit-filters">
                <label class="text-sm font-medium">"Action"<input name="action" class=INPUT_CLASS placeholder="login. or role.changed" value=value("action")/></label>
                <label class="text-sm font-medium">"Who (e-mail or phone)"<input name="actor" class=INPUT_CLASS value=value("actor")/></label>
                <label class="text-sm font-medium">"From"<input name="from" type="date" class=INPUT_CLASS value=value("from")/></label>
                <label class="text-sm font-medium">"To"<input name="to" type="date" class=INPUT_CLASS value=value("to")/></label>
                <button class="rounded-full bg-emerald-700 px-5 py-2.5 font-medium text-white">"Filter"</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) => view! {
                            <div class="mt-6 overflow-x-auto">
                                <table class="w-full text-left text-sm" data-testid="audit">
                                    <thead class="border-b border-stone-300 text-stone-500">
                                        <tr><th class="py-2 pr-3">"When (IST)"</th><th class="pr-3">"Who"</th><th class="pr-3">"Action"</th><th class="pr-3">"Target"</th><th class="pr-3">"Change"</th><th>"IP · request"</th></tr>
                                    </thead>
                                    <tbody>
                                        {page.items.into_iter().map(|r| {
                                            let ist = r.at + chrono::Duration::minutes(330);
                                            let change = match (&r.before, &r.after) {
                                                (Some(b), Some(a)) => format!("{b} → {a}"),
                                                (None, Some(a)) => a.to_string(),
                                                (Some(b), None) => format!("{b} → ∅"),
                                                (None, None) => String::new(),
                                            };
                                            view! {
                                                <tr class="border-b border-stone-100 align-top" data-testid="audit-row">
                                                    <td class="py-2 pr-3 whitespace-nowrap">{ist.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                                    <td class="pr-3">{r.actor.unwrap_or_else(|| "—".into())}</td>
                                                    <td class="pr-3 font-mono" data-testid="audit-action">{r.action}</td>
                                                    <td class="pr-3 font-mono text-xs">{r.target.unwrap_or_default()}</td>
                                                    <td class="pr-3 font-mono text-xs break-all">{change}</td>
                                                    <td class="font-mono text-xs text-stone-500">{r.ip.unwrap_or_default()}" · "{r.request_id.unwrap_or_default()}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {page.next_cursor.map(|c| view! { <a class="mt-4 inline-block font-medium text-emerald-700 hover:underline" href=older_href(c)>"Older entries →"</a> })}
                        }.into_any(),
                        Err(AppError::Validation { fields }) => view! {
                            <p role="alert" class="mt-4 rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
                                {fields.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ")}
                            </p>
                        }.into_any(),
                        Err(e) => refused(e, "/admin/audit"),
                    }
                })}
            </Suspense>
        </section>
    }
}
