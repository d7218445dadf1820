//! `/login`, `/signup`, `/account` and the development outbox. Pages render on the
//! server; the forms are islands that call the account server functions and show
//! field-level errors in place.

use super::api::{
    RequestCode, SignIn, SignInWithCode, SignOut, SignOutEverywhere, SignUp, SwitchTenant, dev_outbox, inbox, me,
};
use super::credentials::Account;
use crate::components::form::{BUTTON_CLASS, FormError, TextField, field_error, form_error};
use crate::components::not_found::LoadError;
use crate::components::search_href::encode_component;
use crate::outbox::InAppMessage;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

/// Where to go after signing in: a path on this site only (never `//evil.example`).
pub fn safe_next(raw: Option<String>) -> String {
    raw.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && n.len() <= 512)
        .unwrap_or_else(|| "/account".into())
}

use crate::components::island_support::{go, hydrated_flag};

#[component]
fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="mx-auto max-w-md px-4 py-10">
            <h1 class="text-2xl font-bold text-stone-900">{title}</h1>
            <div class="mt-6 rounded-2xl border border-stone-200 bg-white p-6 shadow-sm">{children()}</div>
        </section>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = safe_next(query.read_untracked().get("next"));
    let signup_href = format!("/signup?next={}", encode_component(&next));
    view! {
        <Title text="Sign in · Mandi"/>
        <AuthCard title="Sign in">
            <SignInForm next=next.clone()/>
            <div class="my-6 flex items-center gap-3 text-xs uppercase tracking-wide text-stone-500">
                <span class="h-px flex-1 bg-stone-200"></span>"or with a code by SMS"<span class="h-px flex-1 bg-stone-200"></span>
            </div>
            <CodeSignInForm next=next/>
            <p class="mt-6 text-center text-sm text-stone-600">
                "New to Mandi? "<a href=signup_href class="font-medium text-emerald-700 hover:underline">"Create an account"</a>
            </p>
        </AuthCard>
    }
}

#[island(lazy)]
pub fn SignInForm(next: String) -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let hydrated = hydrated_flag();
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            go(&next);
        }
    });
    let result = move || action.value().get();
    view! {
        <ActionForm action=action attr:data-testid="sign-in-form" attr:data-hydrated=move || hydrated.get().then_some("true") attr:class="space-y-4" attr:novalidate=true>
            <FormError error=Signal::derive(move || form_error(result()))/>
            <TextField name="login" label="E-mail or phone" autocomplete="username" required=true error=Signal::derive(move || field_error(result(), "login"))/>
            <TextField name="password" label="Password" kind="password" autocomplete="current-password" required=true error=Signal::derive(move || field_error(result(), "password"))/>
            <button type="submit" class=BUTTON_CLASS disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
            </button>
        </ActionForm>
    }
}

#[island(lazy)]
pub fn CodeSignInForm(next: String) -> impl IntoView {
    let request = ServerAction::<RequestCode>::new();
    let verify = ServerAction::<SignInWithCode>::new();
    let hydrated = hydrated_flag();
    let (phone, set_phone) = signal(String::new());
    Effect::new(move |_| {
        if let Some(Ok(())) = verify.value().get() {
            go(&next);
        }
    });
    let sent = move || matches!(request.value().get(), Some(Ok(_)));
    let request_result = move || request.value().get();
    let verify_result = move || verify.value().get();
    view! {
        <div data-testid="code-sign-in" data-hydrated=move || hydrated.get().then_some("true")>
            <ActionForm action=request attr:class="space-y-4" attr:novalidate=true>
                <FormError error=Signal::derive(move || form_error(request_result()))/>
                <div on:input=move |ev| set_phone.set(event_target_value(&ev))>
                    <TextField name="phone" label="Phone number" kind="tel" autocomplete="tel" hint="We send a 6-digit code, valid for 5 minutes." error=Signal::derive(move || field_error(request_result(), "phone"))/>
                </div>
                <button type="submit" class="w-full rounded-full border border-emerald-700 px-5 py-3 font-semibold text-emerald-800 hover:bg-emerald-50 disabled:opacity-60" disabled=move || request.pending().get()>
                    {move || if sent() { "Send a new code" } else { "Send me a code" }}
                </button>
            </ActionForm>
            <Show when=sent>
                <ActionForm action=verify attr:class="mt-4 space-y-4" attr:novalidate=true>
                    <p class="text-sm text-emerald-800" role="status">"Code sent. It is valid for 5 minutes."</p>
                    <FormError error=Signal::derive(move || match verify_result() {
                        Some(Err(crate::error::AppError::InvalidCode)) => None,
                        other => form_error(other),
                    })/>
                    <input type="hidden" name="phone" prop:value=move || phone.get()/>
                    <TextField name="code" label="6-digit code" kind="text" autocomplete="one-time-code" required=true
                        error=Signal::derive(move || match verify_result() {
                            Some(Err(e @ crate::error::AppError::InvalidCode)) => Some(e.to_string()),
                            other => field_error(other, "code"),
                        })/>
                    <button type="submit" class=BUTTON_CLASS disabled=move || verify.pending().get()>"Sign in with code"</button>
                </ActionForm>
            </Show>
        </div>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let query = use_query_map();
    let next = safe_next(query.read_untracked().get("next"));
    view! {
        <Title text="Create an account · Mandi"/>
        <AuthCard title="Create an account">
            <SignUpForm next=next/>
            <p class="mt-6 text-center text-sm text-stone-600">
                "Already have an account? "<a href="/login" class="font-medium text-emerald-700 hover:underline">"Sign in"</a>
            </p>
        </AuthCard>
    }
}

#[island(lazy)]
pub fn SignUpForm(next: String) -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let hydrated = hydrated_flag();
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            go(&next);
        }
    });
    let result = move || action.value().get();
    let error = move |f: &'static str| Signal::derive(move || field_error(result(), f));
    view! {
        <ActionForm action=action attr:data-testid="sign-up-form" attr:data-hydrated=move || hydrated.get().then_some("true") attr:class="space-y-4" attr:novalidate=true>
            <FormError error=Signal::derive(move || form_error(result()))/>
            <TextField name="display_name" label="Your name" autocomplete="name" required=true error=Signal::derive(move || field_error(result(), "displayName"))/>
            <TextField name="email" label="E-mail" kind="email" autocomplete="email" hint="E-mail or phone (or both)." error=error("email")/>
            <TextField name="phone" label="Phone" kind="tel" autocomplete="tel" error=error("phone")/>
            <TextField name="password" label="Password" kind="password" autocomplete="new-password" hint="At least 8 characters." required=true error=error("password")/>
            <button type="submit" class=BUTTON_CLASS disabled=move || action.pending().get()>"Create account"</button>
        </ActionForm>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let account = Resource::new_blocking(|| (), |_| me());
    let messages = Resource::new_blocking(|| (), |_| inbox());
    view! {
        <Title text="Your account · Mandi"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let (account, messages) = (account.await, messages.await);
                match account {
                    Ok(Some(account)) => view! { <AccountView account messages=messages.unwrap_or_default()/> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login?next=/account"/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AccountView(account: Account, messages: Vec<InAppMessage>) -> impl IntoView {
    let user = account.user;
    let is = |role: &str| user.roles.iter().any(|r| r == role);
    let admin_links = (is("admin") || is("ops")).then(|| {
        view! {
            <section class="mt-6 rounded-2xl border border-stone-200 bg-white p-6">
                <h2 class="text-lg font-semibold">"Administration"</h2>
                <ul class="mt-3 space-y-2 text-emerald-800">
                    {is("admin").then(|| view! { <li><a class="hover:underline" href="/admin/users">"People and roles"</a></li> })}
                    {is("admin").then(|| view! { <li><a class="hover:underline" href="/admin/farms">"Farms, owners and distributions"</a></li> })}
                    {is("admin").then(|| view! { <li><a class="hover:underline" href="/admin/settings">"Prices, delivery and coupons"</a></li> })}
                    {is("admin").then(|| view! { <li><a class="hover:underline" href="/admin/stock">"Stock"</a></li> })}
                    <li><a class="hover:underline" href="/admin/audit">"Audit log"</a></li>
                </ul>
            </section>
        }
    });
    let owner_link = is("customer").then(|| {
        view! {
            <p class="mt-4"><a class="font-medium text-emerald-700 hover:underline" href="/my/farms" data-testid="my-farms-link">"My farms: shares, health and statements →"</a></p>
            <p class="mt-2"><a class="font-medium text-emerald-700 hover:underline" href="/account/addresses" data-testid="addresses-link">"Your addresses →"</a></p>
        }
    });
    view! {
        <section class="mx-auto max-w-2xl px-4 py-10">
            <h1 class="text-2xl font-bold text-stone-900" data-testid="account-name">{user.display_name.clone()}</h1>
            {owner_link}
            <dl class="mt-4 grid grid-cols-[8rem_1fr] gap-y-2 text-sm">
                <dt class="text-stone-500">"E-mail"</dt><dd>{user.email.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt class="text-stone-500">"Phone"</dt><dd>{user.phone.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt class="text-stone-500">"Acting in"</dt><dd data-testid="current-tenant">{user.tenant.clone()}</dd>
                <dt class="text-stone-500">"Roles"</dt><dd data-testid="current-roles">{user.roles.join(", ")}</dd>
            </dl>
            {(account.tenants.len() > 1).then(|| view! {
                <section class="mt-6 rounded-2xl border border-stone-200 bg-white p-6">
                    <h2 class="text-lg font-semibold">"Your organisations"</h2>
                    <TenantSwitcher tenants=account.tenants.iter().map(|t| (t.slug.clone(), t.name.clone(), t.roles.join(", "))).collect() current=user.tenant.clone()/>
                </section>
            })}
            <LiveInbox initial=messages/>
            {admin_links}
            <SessionButtons/>
        </section>
    }
}

#[island(lazy)]
fn TenantSwitcher(tenants: Vec<(String, String, String)>, current: String) -> impl IntoView {
    let action = ServerAction::<SwitchTenant>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            go("/account");
        }
    });
    view! {
        <ul class="mt-3 divide-y divide-stone-100">
            {tenants.into_iter().map(|(slug, name, roles)| {
                let here = slug == current;
                view! {
                    <li class="flex items-center justify-between gap-4 py-3">
                        <div><p class="font-medium">{name}</p><p class="text-sm text-stone-500">{roles}</p></div>
                        {if here {
                            view! { <span class="text-sm font-medium text-emerald-700">"Current"</span> }.into_any()
                        } else {
                            view! {
                                <ActionForm action=action>
                                    <input type="hidden" name="tenant" value=slug.clone()/>
                                    <button type="submit" class="rounded-full border border-stone-300 px-4 py-1.5 text-sm font-medium hover:bg-stone-100" data-testid=format!("switch-{slug}")>"Switch"</button>
                                </ActionForm>
                            }.into_any()
                        }}
                    </li>
                }
            }).collect_view()}
        </ul>
        <FormError error=Signal::derive(move || form_error(action.value().get()))/>
    }
}

/// The person's in-app messages; new ones arrive live over Server-Sent Events
/// (`/live/events?topic=me`, the browser reconnecting and resuming by itself).
#[island(lazy)]
fn LiveInbox(initial: Vec<InAppMessage>) -> impl IntoView {
    let messages = RwSignal::new(initial);
    let (live, set_live) = signal(false);
    #[cfg(feature = "hydrate")]
    crate::components::island_support::listen(
        "me",
        "notification",
        move |value| {
            if let Ok(message) = serde_json::from_value::<InAppMessage>(value) {
                messages.update(|list| {
                    if !list.iter().any(|m| m.id == message.id) {
                        list.insert(0, message);
                    }
                });
            }
        },
        || (),
        set_live,
    );
    #[cfg(not(feature = "hydrate"))]
    let _ = set_live;
    view! {
        <section class="mt-6 rounded-2xl border border-stone-200 bg-white p-6" data-testid="inbox" data-live=move || live.get().then_some("true")>
            <h2 class="text-lg font-semibold">"Messages"</h2>
            {move || if messages.with(Vec::is_empty) {
                view! { <p class="mt-2 text-sm text-stone-500">"No messages yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-3 divide-y divide-stone-100" aria-live="polite">
                        <For each=move || messages.get() key=|m| m.id let:m>
                            <li class="py-3" data-testid="inbox-message">
                                <p class="text-stone-900">{m.body.clone()}</p>
                                <p class="text-xs text-stone-500">{m.created_at.format("%d %b %Y, %H:%M UTC").to_string()}</p>
                            </li>
                        </For>
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[island(lazy)]
fn SessionButtons() -> impl IntoView {
    let out = ServerAction::<SignOut>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let hydrated = hydrated_flag();
    Effect::new(move |_| {
        if matches!(out.value().get(), Some(Ok(()))) || matches!(everywhere.value().get(), Some(Ok(()))) {
            go("/");
        }
    });
    view! {
        <div class="mt-8 flex flex-wrap gap-3" data-testid="session-buttons" data-hydrated=move || hydrated.get().then_some("true")>
            <ActionForm action=out>
                <button type="submit" class="rounded-full bg-stone-800 px-5 py-2 font-medium text-white hover:bg-stone-900">"Sign out"</button>
            </ActionForm>
            <ActionForm action=everywhere>
                <button type="submit" class="rounded-full border border-stone-300 px-5 py-2 font-medium text-stone-800 hover:bg-stone-100">"Sign out on all devices"</button>
            </ActionForm>
        </div>
    }
}

/// `/dev/outbox`: what the app would have sent (codes included), for development.
#[component]
pub fn DevOutboxPage() -> impl IntoView {
    let query = use_query_map();
    let to = move || query.read().get("to");
    let messages = Resource::new_blocking(to, dev_outbox);
    view! {
        <Title text="Outbox (development) · Mandi"/>
        <section class="mx-auto max-w-5xl px-4 py-10">
            <h1 class="text-2xl font-bold">"Outbox"</h1>
            <p class="mt-1 text-sm text-stone-600">"Development only: every message the app has queued, newest first. Filter with "<code>"?to=+91…"</code>"."</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match messages.await {
                        Ok(list) if list.is_empty() => view! { <p class="mt-6 text-stone-500">"Nothing sent yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="mt-6 w-full text-left text-sm" data-testid="outbox">
                                <thead class="border-b border-stone-300 text-stone-500">
                                    <tr><th class="py-2 pr-3">"When"</th><th class="pr-3">"Channel"</th><th class="pr-3">"To"</th><th class="pr-3">"Message"</th><th>"Status"</th></tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|m| view! {
                                        <tr class="border-b border-stone-100 align-top">
                                            <td class="py-2 pr-3 whitespace-nowrap">{m.created_at.format("%H:%M:%S").to_string()}</td>
                                            <td class="pr-3">{m.channel}</td>
                                            <td class="pr-3 whitespace-nowrap" data-testid="outbox-recipient">{m.recipient}</td>
                                            <td class="pr-3" data-testid="outbox-body">{m.body}</td>
                                            <td>{m.status}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(error) => view! { <LoadError error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/orders/1".into())), "/orders/1");
        for bad in ["//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)", ""] {
            assert_eq!(safe_next(Some(bad.into())), "/account", "{bad}");
        }
        assert_eq!(safe_next(None), "/account");
    }
}
