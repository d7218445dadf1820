//! Form pieces shared by every form: a labelled input with its field-level error,
//! and the banner for an error that belongs to no one field.

use crate::error::{AppError, FieldErrors};
use leptos::prelude::*;

/// Every field's message in a failed submission (empty when it did not fail by field).
pub fn field_errors(result: Option<Result<impl Sized, AppError>>) -> FieldErrors {
    match result {
        Some(Err(e)) => e.fields().cloned().unwrap_or_default(),
        _ => FieldErrors::new(),
    }
}

/// The failure that belongs to no one field (a 409, a 404), or `None`.
pub fn non_field_error(result: Option<Result<impl Sized, AppError>>) -> Option<String> {
    match result {
        Some(Err(AppError::Validation { .. })) => None,
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    }
}

/// The message for `field` in a failed submission, if there is one.
pub fn field_error(result: Option<Result<impl Sized, AppError>>, field: &str) -> Option<String> {
    match result {
        Some(Err(AppError::Validation { fields })) => fields.get(field).cloned(),
        _ => None,
    }
}

/// The failure to show above the form: anything but a field-level validation error.
pub fn form_error(result: Option<Result<impl Sized, AppError>>) -> Option<String> {
    match result {
        Some(Err(AppError::Validation { fields })) if fields.keys().all(|k| k != "request" && k != "body") => None,
        Some(Err(e)) => Some(match e.fields() {
            Some(fields) => fields.values().cloned().collect::<Vec<_>>().join("; "),
            None => e.to_string(),
        }),
        _ => None,
    }
}

pub const INPUT_CLASS: &str = "mt-1 block w-full rounded-lg border border-stone-300 bg-white px-3 py-2.5 text-base focus:border-emerald-600 focus:outline-none focus:ring-2 focus:ring-emerald-600/30 aria-[invalid=true]:border-red-600";
pub const BUTTON_CLASS: &str = "w-full rounded-full bg-emerald-700 px-5 py-3 font-semibold text-white hover:bg-emerald-800 disabled:opacity-60 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700";

#[component]
pub fn TextField(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] required: bool,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if !hint.is_empty() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium text-stone-800">{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=(!autocomplete.is_empty()).then_some(autocomplete)
                required=required
                class=INPUT_CLASS
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described
            />
            {(!hint.is_empty()).then(|| view! { <p id=hint_id class="mt-1 text-xs text-stone-500">{hint}</p> })}
            <p id=error_id class="mt-1 text-sm text-red-700" data-field-error=name role="alert">
                {move || error.get()}
            </p>
        </div>
    }
}

#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <div role="alert" data-testid="form-error">
            {move || error.get().map(|e| view! {
                <p class="rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">{e}</p>
            })}
        </div>
    }
}

/// A labelled input named `form[field]` whose error is the server's for `field`.
#[component]
pub fn Field(
    label: &'static str,
    form: &'static str,
    field: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(optional)] hint: &'static str,
    /// Tells apart the ids of several forms of one kind on a page.
    #[prop(optional, into)]
    scope: String,
    errors: Memo<FieldErrors>,
) -> impl IntoView {
    let id = if scope.is_empty() { format!("{form}-{field}") } else { format!("{form}-{scope}-{field}") };
    let error_id = format!("{id}-error");
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium text-stone-800">{label}</label>
            <input id=id name=format!("{form}[{field}]") type=kind value=value class=INPUT_CLASS
                step=(kind == "number").then_some("any")
                aria-invalid=move || errors.with(|e| e.contains_key(field)).then_some("true")
                aria-describedby=error_id.clone()/>
            {(!hint.is_empty()).then(|| view! { <p class="mt-1 text-xs text-stone-500">{hint}</p> })}
            <p id=error_id class="mt-1 text-sm text-red-700" role="alert" data-field-error=field>{move || errors.with(|e| e.get(field).cloned())}</p>
        </div>
    }
}
