use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// Sets the response status during server rendering.
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = axum::http::StatusCode::from_u16(code)
    {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

#[component]
pub fn NotFound(#[prop(into, default = "This page does not exist".into())] message: String) -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Not found · Mandi"/>
        <section class="mx-auto max-w-xl px-4 py-24 text-center">
            <p class="text-6xl font-bold text-emerald-700">"404"</p>
            <h1 class="mt-4 text-2xl font-semibold text-stone-900">{message}</h1>
            <p class="mt-2 text-stone-600">"It may have sold out for the season, or the link is mistyped."</p>
            <div class="mt-8 flex justify-center gap-3">
                <a href="/" class="rounded-full bg-emerald-700 px-5 py-2 font-medium text-white hover:bg-emerald-800">"Back to the shop"</a>
                <a href="/search" class="rounded-full border border-stone-300 px-5 py-2 font-medium text-stone-800 hover:bg-stone-100">"Browse all products"</a>
            </div>
        </section>
    }
}

/// Any failure while loading a page's data, shown in place of the content.
#[component]
pub fn LoadError(error: crate::error::AppError) -> impl IntoView {
    if matches!(error, crate::error::AppError::NotFound { .. }) {
        return view! { <NotFound message=error.to_string()/> }.into_any();
    }
    set_status(error.status());
    let detail = match error.fields() {
        Some(fields) => fields.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join("; "),
        None => String::new(),
    };
    view! {
        <section class="mx-auto max-w-xl px-4 py-24 text-center" role="alert">
            <h1 class="text-2xl font-semibold text-stone-900">{error.to_string()}</h1>
            <p class="mt-2 text-stone-600">{detail}</p>
            <a href="/" class="mt-8 inline-block rounded-full bg-emerald-700 px-5 py-2 font-medium text-white">"Back to the shop"</a>
        </section>
    }
    .into_any()
}

/// A page's data refused: a sign-in for the signed-out (back to `back_to` after it), the
/// error itself for everyone else.
pub fn refused(error: AppError, back_to: String) -> AnyView {
    match error {
        AppError::Unauthenticated => view! { <Redirect path=format!("/login?next={back_to}")/> }.into_any(),
        error => view! { <LoadError error/> }.into_any(),
    }
}
