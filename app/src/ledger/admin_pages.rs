//! The market admin's screens (PRODUCT.md §4): `/ledger/admin` and its growers,
//! flower types, time slots, terms and advances. Lists render on the server; the
//! add/edit forms are small islands that post to `admin_api` and show each field's
//! problem beside it (`data-testid="error-<field>"`). Staff see the lists read-only.

use super::admin_api::*;
use super::admin_model::*;
use crate::components::form::field_errors;
use crate::components::island_support::{go, hydrated_flag};
use crate::components::not_found::LoadError;
use crate::error::{AppError, FieldErrors};
use crate::language::{Locale, locale_from, request_locale, td_string};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

const BUTTON: &str = "min-h-12 rounded-xl bg-emerald-700 px-5 font-semibold text-white hover:bg-emerald-800 focus-visible:outline focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-emerald-700 disabled:opacity-50";
const SECONDARY: &str = "inline-flex min-h-12 items-center rounded-xl border border-stone-300 bg-white px-5 font-semibold hover:bg-stone-100";
const FIELD: &str = "mt-1 min-h-12 w-full rounded-lg border border-stone-300 px-3 text-base focus:border-emerald-600 focus:outline-none focus:ring-4 focus:ring-emerald-600/30";
const CARD: &str = "mt-4 grid gap-3 rounded-xl border border-stone-200 bg-white p-4 sm:grid-cols-2";

fn lang_code(l: Locale) -> String {
    crate::language::code(l).to_string()
}

fn other_error(result: Option<Result<impl Sized, AppError>>) -> Option<String> {
    match result {
        Some(Err(e)) if e.fields().is_none_or(|f| f.is_empty()) => Some(e.to_string()),
        _ => None,
    }
}

fn yes_no(l: Locale, v: bool) -> String {
    if v { td_string!(l, admin.yes).to_string() } else { td_string!(l, admin.no).to_string() }
}

fn grower_name(l: Locale, en: &str, ta: &str) -> String {
    // Tamil when asked for and known; otherwise English, unless only Tamil is known.
    let name = if (l == Locale::ta && !ta.is_empty()) || en.is_empty() { ta } else { en };
    name.to_string()
}

/// A labelled text input with its problem beside it.
#[component]
fn Field(
    label: String,
    /// The form field (the server function's argument).
    name: &'static str,
    /// The API's name for it, as errors name it.
    field: &'static str,
    #[prop(optional)] value: String,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<String>,
    #[prop(optional)] inputmode: Option<&'static str>,
    errors: Memo<FieldErrors>,
) -> impl IntoView {
    let id = format!("admin-{name}");
    let error_id = format!("error-{field}");
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium">{label}</label>
            <input id=id name=name type=kind value=value class=FIELD inputmode=inputmode
                   aria-describedby=error_id.clone()
                   aria-invalid=move || errors.with(|e| e.contains_key(field)).then_some("true")/>
            {hint.map(|h| view! { <p class="mt-1 text-xs text-stone-600">{h}</p> })}
            <p id=error_id class="mt-1 text-sm text-red-700" data-testid=format!("error-{field}") role="alert">{move || errors.with(|e| e.get(field).cloned())}</p>
        </div>
    }
}

/// A yes/no choice (`true`/`false`) with its problem beside it.
#[component]
fn YesNo(
    label: String,
    name: &'static str,
    field: &'static str,
    value: bool,
    l: Locale,
    errors: Memo<FieldErrors>,
) -> impl IntoView {
    let id = format!("admin-{name}");
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium">{label}</label>
            <select id=id name=name class=FIELD>
                <option value="true" selected=value>{td_string!(l, admin.yes).to_string()}</option>
                <option value="false" selected=!value>{td_string!(l, admin.no).to_string()}</option>
            </select>
            <p class="mt-1 text-sm text-red-700" data-testid=format!("error-{field}") role="alert">{move || errors.with(|e| e.get(field).cloned())}</p>
        </div>
    }
}

/// The back link and heading every admin screen shares.
#[component]
fn Header(l: Locale, title: String, #[prop(default = true)] back_to_admin: bool) -> impl IntoView {
    view! {
        <nav class="text-sm">
            {if back_to_admin {
                view! { <a href="/ledger/admin" class="text-emerald-800 underline">{td_string!(l, admin.back).to_string()}</a> }.into_any()
            } else {
                view! { <a href="/ledger" class="text-emerald-800 underline">{td_string!(l, ledger.entry_screen).to_string()}</a> }.into_any()
            }}
        </nav>
        <h1 class="mt-2 text-2xl font-bold" lang=crate::language::code(l)>{title}</h1>
    }
}

fn load_failed(e: AppError, back: &'static str) -> AnyView {
    match e {
        AppError::Unauthenticated => view! { <Redirect path=format!("/login?next={back}")/> }.into_any(),
        e => view! { <LoadError error=e/> }.into_any(),
    }
}

// ---------------------------------------------------------------- index

#[component]
pub fn AdminIndexPage() -> impl IntoView {
    let l = request_locale();
    let links = [
        (
            "/ledger/admin/growers",
            td_string!(l, admin.growers).to_string(),
            td_string!(l, admin.growers_help).to_string(),
        ),
        (
            "/ledger/admin/flowers",
            td_string!(l, admin.flowers).to_string(),
            td_string!(l, admin.flowers_help).to_string(),
        ),
        ("/ledger/admin/slots", td_string!(l, admin.slots).to_string(), td_string!(l, admin.slots_help).to_string()),
        ("/ledger/admin/terms", td_string!(l, admin.terms).to_string(), td_string!(l, admin.terms_help).to_string()),
        (
            "/ledger/admin/advances",
            td_string!(l, admin.advances).to_string(),
            td_string!(l, admin.advances_help).to_string(),
        ),
    ];
    view! {
        <Title text="Admin · Ledger"/>
        <div class="mx-auto max-w-3xl px-4 py-6">
            <Header l=l title=td_string!(l, admin.title).to_string() back_to_admin=false/>
            <ul class="mt-4 grid gap-3 sm:grid-cols-2" data-testid="admin-links">
                {links.into_iter().map(|(href, title, help)| view! {
                    <li>
                        <a href=href class="block min-h-16 rounded-xl border border-stone-200 bg-white p-4 hover:border-emerald-600 focus-visible:outline focus-visible:outline-4 focus-visible:outline-emerald-700">
                            <span class="block text-lg font-semibold text-emerald-800">{title}</span>
                            <span class="block text-sm text-stone-600">{help}</span>
                        </a>
                    </li>
                }).collect_view()}
            </ul>
        </div>
    }
}

// ---------------------------------------------------------------- growers

#[component]
pub fn GrowersPage() -> impl IntoView {
    let l = request_locale();
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let edit = move || query.read().get("edit").unwrap_or_default();
    let list = Resource::new_blocking(q, |q| admin_growers((!q.is_empty()).then_some(q)));
    view! {
        <Title text="Growers · Admin · Ledger"/>
        <div class="mx-auto max-w-5xl px-4 py-6">
            <Header l=l title=td_string!(l, admin.growers).to_string()/>
            <form method="get" action="/ledger/admin/growers" class="mt-4 flex flex-wrap items-end gap-3" role="search">
                <label class="block flex-1 text-sm font-medium">{td_string!(l, admin.search_label).to_string()}
                    <input name="q" type="search" value=q() class=FIELD data-testid="grower-search"/>
                </label>
                <button type="submit" class=BUTTON>{td_string!(l, admin.search).to_string()}</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) => {
                            let editing = list.rows.iter().find(|g| g.id.to_string() == edit()).cloned();
                            let (rows, can_edit) = (list.rows, list.can_edit);
                            view! {
                                {if can_edit {
                                    view! { <GrowerForm initial=editing lang=lang_code(l)/> }.into_any()
                                } else {
                                    view! { <p class="mt-4 text-stone-600">{td_string!(l, admin.read_only).to_string()}</p> }.into_any()
                                }}
                                <GrowerTable rows=rows can_edit=can_edit l=l/>
                            }.into_any()
                        }
                        Err(e) => load_failed(e, "/ledger/admin/growers"),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn GrowerTable(rows: Vec<GrowerView>, can_edit: bool, l: Locale) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="mt-6 text-stone-600">{td_string!(l, admin.none).to_string()}</p> }.into_any();
    }
    view! {
        <div class="mt-6 overflow-x-auto">
            <table class="w-full text-left text-sm" data-testid="growers">
                <thead><tr class="text-stone-600">
                    <th class="p-2">{td_string!(l, admin.col_no).to_string()}</th><th class="p-2">{td_string!(l, admin.col_name).to_string()}</th>
                    <th class="p-2">{td_string!(l, admin.village).to_string()}</th><th class="p-2">{td_string!(l, admin.phone).to_string()}</th>
                    <th class="p-2">{td_string!(l, admin.whatsapp).to_string()}</th><th class="p-2">{td_string!(l, admin.language).to_string()}</th>
                    <th class="p-2">{td_string!(l, admin.active).to_string()}</th><th class="p-2"></th>
                </tr></thead>
                <tbody class="divide-y divide-stone-200">
                    {rows.into_iter().map(|g| view! {
                        <tr data-testid="grower-row">
                            <td class="p-2 tabular-nums">{g.farmer_no}</td>
                            <td class="p-2"><span lang="en">{g.name_en.clone()}</span>{(!g.name_ta.is_empty()).then(|| view! { <span class="block" lang="ta">{g.name_ta.clone()}</span> })}</td>
                            <td class="p-2">{g.village.clone()}</td>
                            <td class="p-2 tabular-nums">{g.phone.clone().unwrap_or_default()}</td>
                            <td class="p-2 tabular-nums">{g.whatsapp.clone().unwrap_or_default()}</td>
                            <td class="p-2">{if g.language == "ta" { td_string!(l, admin.lang_ta).to_string() } else { td_string!(l, admin.lang_en).to_string() }}</td>
                            <td class="p-2">{yes_no(l, g.active)}</td>
                            <td class="p-2">{can_edit.then(|| view! { <a class=SECONDARY href=format!("/ledger/admin/growers?edit={}", g.id)>{td_string!(l, admin.edit).to_string()}</a> })}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[island(lazy)]
fn GrowerForm(initial: Option<GrowerView>, lang: String) -> impl IntoView {
    let l = locale_from(&lang);
    let hydrated = hydrated_flag();
    let save = ServerAction::<SaveGrower>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            go("/ledger/admin/growers");
        }
    });
    let g = initial.clone();
    let v = move |f: fn(&GrowerView) -> String| g.as_ref().map(f).unwrap_or_default();
    let language = initial.as_ref().map(|g| g.language.clone()).unwrap_or_else(|| "ta".into());
    view! {
        <ActionForm action=save attr:class=CARD attr:data-testid="grower-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h2 class="text-lg font-semibold sm:col-span-2">{if initial.is_some() { td_string!(l, admin.edit_grower).to_string() } else { td_string!(l, admin.new_grower).to_string() }}</h2>
            <input type="hidden" name="id" value=v(|g| g.id.to_string())/>
            <Field label=td_string!(l, admin.farmer_no).to_string() name="farmer_no" field="farmerNo" value=v(|g| g.farmer_no.to_string()) inputmode="numeric"
                   hint=td_string!(l, admin.farmer_no_hint).to_string() errors=errors/>
            <Field label=td_string!(l, admin.village).to_string() name="village" field="village" value=v(|g| g.village.clone()) errors=errors/>
            <Field label=td_string!(l, admin.name_en).to_string() name="name_en" field="nameEn" value=v(|g| g.name_en.clone()) errors=errors/>
            <Field label=td_string!(l, admin.name_ta).to_string() name="name_ta" field="nameTa" value=v(|g| g.name_ta.clone()) errors=errors/>
            <Field label=td_string!(l, admin.phone).to_string() name="phone" field="phone" kind="tel" value=v(|g| g.phone.clone().unwrap_or_default())
                   hint="+919840012345".to_string() errors=errors/>
            <Field label=td_string!(l, admin.whatsapp).to_string() name="whatsapp" field="whatsapp" kind="tel" value=v(|g| g.whatsapp.clone().unwrap_or_default()) errors=errors/>
            <div>
                <label for="admin-language" class="block text-sm font-medium">{td_string!(l, admin.language).to_string()}</label>
                <select id="admin-language" name="language" class=FIELD>
                    <option value="ta" selected={language == "ta"}>{td_string!(l, admin.lang_ta).to_string()}</option>
                    <option value="en" selected={language == "en"}>{td_string!(l, admin.lang_en).to_string()}</option>
                </select>
                <p class="mt-1 text-sm text-red-700" data-testid="error-language" role="alert">{move || errors.with(|e| e.get("language").cloned())}</p>
            </div>
            <YesNo label=td_string!(l, admin.active).to_string() name="active" field="active" value={initial.as_ref().is_none_or(|g| g.active)} l=l errors=errors/>
            <FormButtons l=l editing={initial.is_some()} cancel="/ledger/admin/growers" pending=save.pending()/>
            <p role="alert" class="text-sm text-red-700 sm:col-span-2" data-testid="form-error">{move || other_error(save.value().get())}</p>
        </ActionForm>
    }
}

#[component]
fn FormButtons(l: Locale, editing: bool, cancel: &'static str, pending: Memo<bool>) -> impl IntoView {
    view! {
        <div class="flex flex-wrap gap-3 sm:col-span-2">
            <button type="submit" class=BUTTON data-testid="save" disabled=move || pending.get()>
                {if editing { td_string!(l, admin.save).to_string() } else { td_string!(l, admin.add).to_string() }}
            </button>
            {editing.then(|| view! { <a class=SECONDARY href=cancel>{td_string!(l, admin.cancel).to_string()}</a> })}
        </div>
    }
}

// ---------------------------------------------------------------- flower types

#[component]
pub fn FlowersPage() -> impl IntoView {
    let l = request_locale();
    let query = use_query_map();
    let edit = move || query.read().get("edit").unwrap_or_default();
    let list = Resource::new_blocking(|| (), |_| admin_flowers());
    view! {
        <Title text="Flower types · Admin · Ledger"/>
        <div class="mx-auto max-w-4xl px-4 py-6">
            <Header l=l title=td_string!(l, admin.flowers).to_string()/>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) => {
                            let editing = list.rows.iter().find(|f| f.id.to_string() == edit()).cloned();
                            let can_edit = list.can_edit;
                            view! {
                                {if can_edit {
                                    view! { <FlowerForm initial=editing lang=lang_code(l)/> }.into_any()
                                } else {
                                    view! { <p class="mt-4 text-stone-600">{td_string!(l, admin.read_only).to_string()}</p> }.into_any()
                                }}
                                {if list.rows.is_empty() {
                                    view! { <p class="mt-6 text-stone-600">{td_string!(l, admin.none).to_string()}</p> }.into_any()
                                } else {
                                    view! {
                                        <table class="mt-6 w-full text-left text-sm" data-testid="flowers">
                                            <thead><tr class="text-stone-600">
                                                <th class="p-2">{td_string!(l, admin.code).to_string()}</th><th class="p-2">{td_string!(l, admin.name_en).to_string()}</th>
                                                <th class="p-2">{td_string!(l, admin.name_ta).to_string()}</th><th class="p-2">{td_string!(l, admin.position).to_string()}</th>
                                                <th class="p-2">{td_string!(l, admin.active).to_string()}</th><th class="p-2"></th>
                                            </tr></thead>
                                            <tbody class="divide-y divide-stone-200">
                                                {list.rows.into_iter().map(|f| view! {
                                                    <tr data-testid="flower-row">
                                                        <td class="p-2 font-mono">{f.code.clone()}</td><td class="p-2" lang="en">{f.name_en.clone()}</td>
                                                        <td class="p-2" lang="ta">{f.name_ta.clone()}</td><td class="p-2 tabular-nums">{f.position}</td>
                                                        <td class="p-2">{yes_no(l, f.active)}</td>
                                                        <td class="p-2">{can_edit.then(|| view! { <a class=SECONDARY href=format!("/ledger/admin/flowers?edit={}", f.id)>{td_string!(l, admin.edit).to_string()}</a> })}</td>
                                                    </tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                            }.into_any()
                        }
                        Err(e) => load_failed(e, "/ledger/admin/flowers"),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[island(lazy)]
fn FlowerForm(initial: Option<FlowerTypeView>, lang: String) -> impl IntoView {
    let l = locale_from(&lang);
    let hydrated = hydrated_flag();
    let save = ServerAction::<SaveFlower>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            go("/ledger/admin/flowers");
        }
    });
    let f = initial.clone();
    let v = move |get: fn(&FlowerTypeView) -> String| f.as_ref().map(get).unwrap_or_default();
    view! {
        <ActionForm action=save attr:class=CARD attr:data-testid="flower-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h2 class="text-lg font-semibold sm:col-span-2">{if initial.is_some() { td_string!(l, admin.edit_flower).to_string() } else { td_string!(l, admin.new_flower).to_string() }}</h2>
            <input type="hidden" name="id" value=v(|f| f.id.to_string())/>
            <Field label=td_string!(l, admin.code).to_string() name="code" field="code" value=v(|f| f.code.clone()) hint=td_string!(l, admin.code_hint).to_string() errors=errors/>
            <Field label=td_string!(l, admin.position).to_string() name="position" field="position" value=v(|f| f.position.to_string()) inputmode="numeric" errors=errors/>
            <Field label=td_string!(l, admin.name_en).to_string() name="name_en" field="nameEn" value=v(|f| f.name_en.clone()) errors=errors/>
            <Field label=td_string!(l, admin.name_ta).to_string() name="name_ta" field="nameTa" value=v(|f| f.name_ta.clone()) errors=errors/>
            <YesNo label=td_string!(l, admin.active).to_string() name="active" field="active" value={initial.as_ref().is_none_or(|f| f.active)} l=l errors=errors/>
            <FormButtons l=l editing={initial.is_some()} cancel="/ledger/admin/flowers" pending=save.pending()/>
            <p role="alert" class="text-sm text-red-700 sm:col-span-2" data-testid="form-error">{move || other_error(save.value().get())}</p>
        </ActionForm>
    }
}

// ---------------------------------------------------------------- time slots

#[component]
pub fn SlotsPage() -> impl IntoView {
    let l = request_locale();
    let query = use_query_map();
    let edit = move || query.read().get("edit").unwrap_or_default();
    let list = Resource::new_blocking(|| (), |_| admin_slots());
    view! {
        <Title text="Time slots · Admin · Ledger"/>
        <div class="mx-auto max-w-3xl px-4 py-6">
            <Header l=l title=td_string!(l, admin.slots).to_string()/>
            <p class="mt-2 text-sm text-stone-600">{td_string!(l, admin.slots_help).to_string()}</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) => {
                            let editing = list.rows.iter().find(|s| s.id.to_string() == edit()).cloned();
                            let can_edit = list.can_edit;
                            view! {
                                {if can_edit {
                                    view! { <SlotForm initial=editing lang=lang_code(l)/> }.into_any()
                                } else {
                                    view! { <p class="mt-4 text-stone-600">{td_string!(l, admin.read_only).to_string()}</p> }.into_any()
                                }}
                                <table class="mt-6 w-full text-left text-sm" data-testid="slots">
                                    <thead><tr class="text-stone-600">
                                        <th class="p-2">{td_string!(l, admin.starts_at).to_string()}</th><th class="p-2">{td_string!(l, admin.ends_at).to_string()}</th>
                                        <th class="p-2">{td_string!(l, admin.active).to_string()}</th><th class="p-2"></th>
                                    </tr></thead>
                                    <tbody class="divide-y divide-stone-200">
                                        {list.rows.into_iter().map(|s| view! {
                                            <tr data-testid="slot-row">
                                                <td class="p-2 tabular-nums">{s.starts_at.clone()}</td><td class="p-2 tabular-nums">{s.ends_at.clone()}</td>
                                                <td class="p-2">{yes_no(l, s.active)}</td>
                                                <td class="p-2">{can_edit.then(|| view! { <a class=SECONDARY href=format!("/ledger/admin/slots?edit={}", s.id)>{td_string!(l, admin.edit).to_string()}</a> })}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }
                        Err(e) => load_failed(e, "/ledger/admin/slots"),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[island(lazy)]
fn SlotForm(initial: Option<SlotView>, lang: String) -> impl IntoView {
    let l = locale_from(&lang);
    let hydrated = hydrated_flag();
    let save = ServerAction::<SaveSlot>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            go("/ledger/admin/slots");
        }
    });
    let s = initial.clone();
    let v = move |get: fn(&SlotView) -> String| s.as_ref().map(get).unwrap_or_default();
    view! {
        <ActionForm action=save attr:class=CARD attr:data-testid="slot-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h2 class="text-lg font-semibold sm:col-span-2">{if initial.is_some() { td_string!(l, admin.edit_slot).to_string() } else { td_string!(l, admin.new_slot).to_string() }}</h2>
            <input type="hidden" name="id" value=v(|s| s.id.to_string())/>
            <Field label=td_string!(l, admin.starts_at).to_string() name="starts_at" field="startsAt" kind="time" value=v(|s| s.starts_at.clone()) errors=errors/>
            <Field label=td_string!(l, admin.ends_at).to_string() name="ends_at" field="endsAt" kind="time" value=v(|s| s.ends_at.clone()) errors=errors/>
            <YesNo label=td_string!(l, admin.active).to_string() name="active" field="active" value={initial.as_ref().is_none_or(|s| s.active)} l=l errors=errors/>
            <FormButtons l=l editing={initial.is_some()} cancel="/ledger/admin/slots" pending=save.pending()/>
            <p role="alert" class="text-sm text-red-700 sm:col-span-2" data-testid="form-error">{move || other_error(save.value().get())}</p>
        </ActionForm>
    }
}

// ---------------------------------------------------------------- terms

#[component]
pub fn TermsPage() -> impl IntoView {
    let l = request_locale();
    let terms = Resource::new_blocking(|| (), |_| admin_terms());
    view! {
        <Title text="Market terms · Admin · Ledger"/>
        <div class="mx-auto max-w-3xl px-4 py-6">
            <Header l=l title=td_string!(l, admin.terms).to_string()/>
            <p class="mt-2 text-sm text-stone-600">{td_string!(l, admin.terms_help).to_string()}</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match terms.await {
                        Ok(t) => view! { <TermsForm terms=t.terms can_edit=t.can_edit lang=lang_code(l)/> }.into_any(),
                        Err(e) => load_failed(e, "/ledger/admin/terms"),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[island(lazy)]
fn TermsForm(terms: TermsView, can_edit: bool, lang: String) -> impl IntoView {
    let l = locale_from(&lang);
    let hydrated = hydrated_flag();
    let save = ServerAction::<SaveMarketTerms>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    let saved = move || matches!(save.value().get(), Some(Ok(_))).then(|| td_string!(l, admin.saved).to_string());
    view! {
        <ActionForm action=save attr:class=CARD attr:data-testid="terms-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <Field label=td_string!(l, admin.commission).to_string() name="commission_percent" field="commissionPercent" value=terms.commission_percent.clone() inputmode="decimal" errors=errors/>
            <Field label=td_string!(l, admin.fee_per_entry).to_string() name="fee_per_entry" field="feePerEntry" value=terms.fee_per_entry.to_api_string() inputmode="decimal" errors=errors/>
            <Field label=td_string!(l, admin.fee_per_kg).to_string() name="fee_per_kg" field="feePerKg" value=terms.fee_per_kg.to_api_string() inputmode="decimal" errors=errors/>
            <Field label=td_string!(l, admin.max_entry_kg).to_string() name="max_entry_kg" field="maxEntryKg" value=terms.max_entry_kg.amount().normalize().to_string() inputmode="decimal" errors=errors/>
            <Field label=td_string!(l, admin.backdate_days).to_string() name="backdate_days" field="backdateDays" value=terms.backdate_days.to_string() inputmode="numeric" errors=errors/>
            {if can_edit {
                view! { <div class="sm:col-span-2"><button type="submit" class=BUTTON data-testid="save" disabled=move || save.pending().get()>{td_string!(l, admin.save).to_string()}</button></div> }.into_any()
            } else {
                view! { <p class="text-stone-600 sm:col-span-2">{td_string!(l, admin.read_only).to_string()}</p> }.into_any()
            }}
            <p role="status" class="text-sm text-emerald-800 sm:col-span-2" data-testid="form-saved">{saved}</p>
            <p role="alert" class="text-sm text-red-700 sm:col-span-2" data-testid="form-error">{move || other_error(save.value().get())}</p>
        </ActionForm>
    }
}

// ---------------------------------------------------------------- advances

#[component]
pub fn AdvancesPage() -> impl IntoView {
    let l = request_locale();
    let data = Resource::new_blocking(
        || (),
        |_| async move {
            let growers = admin_growers(None).await?;
            let advances = admin_advances(None).await?;
            Ok::<_, AppError>((growers.rows, advances.rows))
        },
    );
    view! {
        <Title text="Advances · Admin · Ledger"/>
        <div class="mx-auto max-w-5xl px-4 py-6">
            <Header l=l title=td_string!(l, admin.advances).to_string()/>
            <p class="mt-2 text-sm text-stone-600">{td_string!(l, admin.advances_help).to_string()}</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((growers, advances)) => {
                            let choices: Vec<(String, String)> = growers.iter().filter(|g| g.active)
                                .map(|g| (g.id.to_string(), format!("{} · {}", g.farmer_no, grower_name(l, &g.name_en, &g.name_ta))))
                                .collect();
                            let owed = advances.iter().fold(crate::domain::money::Money::ZERO, |sum, a| sum + a.outstanding);
                            view! {
                                <AdvanceForm growers=choices lang=lang_code(l)/>
                                <p class="mt-6 text-lg font-semibold" data-testid="total-outstanding">{td_string!(l, admin.total_outstanding).to_string()} ": " {owed.format_inr()}</p>
                                {if advances.is_empty() {
                                    view! { <p class="mt-4 text-stone-600">{td_string!(l, admin.none).to_string()}</p> }.into_any()
                                } else {
                                    view! {
                                        <div class="mt-4 overflow-x-auto">
                                            <table class="w-full text-left text-sm" data-testid="advances">
                                                <thead><tr class="text-stone-600">
                                                    <th class="p-2">{td_string!(l, admin.given_on).to_string()}</th><th class="p-2">{td_string!(l, admin.grower).to_string()}</th>
                                                    <th class="p-2 text-right">{td_string!(l, admin.amount).to_string()}</th><th class="p-2 text-right">{td_string!(l, admin.outstanding).to_string()}</th>
                                                    <th class="p-2">{td_string!(l, admin.note).to_string()}</th>
                                                </tr></thead>
                                                <tbody class="divide-y divide-stone-200">
                                                    {advances.into_iter().map(|a| view! {
                                                        <tr data-testid="advance-row">
                                                            <td class="p-2 tabular-nums">{a.given_on.format("%d-%m-%Y").to_string()}</td>
                                                            <td class="p-2">{format!("{} · {}", a.farmer_no, grower_name(l, &a.farmer_name_en, &a.farmer_name_ta))}</td>
                                                            <td class="p-2 text-right tabular-nums">{a.amount.format_inr()}</td>
                                                            <td class="p-2 text-right tabular-nums">{a.outstanding.format_inr()}</td>
                                                            <td class="p-2">{if a.kind == "carry_forward" { td_string!(l, admin.kind_carry).to_string() } else { a.note.clone() }}</td>
                                                        </tr>
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                        </div>
                                    }.into_any()
                                }}
                            }.into_any()
                        }
                        Err(e) => load_failed(e, "/ledger/admin/advances"),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[island(lazy)]
fn AdvanceForm(growers: Vec<(String, String)>, lang: String) -> impl IntoView {
    let l = locale_from(&lang);
    let hydrated = hydrated_flag();
    let give = ServerAction::<GiveGrowerAdvance>::new();
    let errors = Memo::new(move |_| field_errors(give.value().get()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = give.value().get() {
            go("/ledger/admin/advances");
        }
    });
    view! {
        <ActionForm action=give attr:class=CARD attr:data-testid="advance-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h2 class="text-lg font-semibold sm:col-span-2">{td_string!(l, admin.give_advance).to_string()}</h2>
            <div>
                <label for="admin-farmer_id" class="block text-sm font-medium">{td_string!(l, admin.grower).to_string()}</label>
                <select id="admin-farmer_id" name="farmer_id" class=FIELD required>
                    <option value="">{td_string!(l, admin.choose_grower).to_string()}</option>
                    {growers.into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                </select>
                <p class="mt-1 text-sm text-red-700" data-testid="error-farmerId" role="alert">{move || errors.with(|e| e.get("farmerId").cloned())}</p>
            </div>
            <Field label=td_string!(l, admin.given_on).to_string() name="given_on" field="givenOn" kind="date" errors=errors/>
            <Field label=td_string!(l, admin.amount).to_string() name="amount" field="amount" inputmode="decimal" errors=errors/>
            <Field label=td_string!(l, admin.note).to_string() name="note" field="note" errors=errors/>
            <div class="sm:col-span-2"><button type="submit" class=BUTTON data-testid="save" disabled=move || give.pending().get()>{td_string!(l, admin.give_advance).to_string()}</button></div>
            <p role="alert" class="text-sm text-red-700 sm:col-span-2" data-testid="form-error">{move || other_error(give.value().get())}</p>
        </ActionForm>
    }
}
