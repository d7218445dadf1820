//! The product page's pack picker and "Add to cart": one island, and a lean one.
//!
//! Every shopper's first page is a product page, so this island is the only one in the
//! bundle's main module (every other island loads on demand). It therefore takes no
//! props to decode and calls no server function through the client: the server prints
//! each pack's facts on its radio button (`data-*`), the island reads the chosen one
//! back, and "Add to cart" posts the form to the cart's server function with `fetch`.
//! Without WASM the same form still works: the server function answers a plain form
//! post by sending the browser back to the product page.

use super::catalog::{StockTone, VariantView};
use crate::components::island_support::hydrated_flag;
use crate::orders::api::UpdateCart;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// A tone travels to the browser as a word on the pack's radio button.
impl StockTone {
    pub fn as_str(self) -> &'static str {
        match self {
            StockTone::Plenty => "plenty",
            StockTone::Low => "low",
            StockTone::Out => "out",
        }
    }

    pub fn parse(s: &str) -> StockTone {
        match s {
            "low" => StockTone::Low,
            "out" => StockTone::Out,
            _ => StockTone::Plenty,
        }
    }

    fn class(self) -> &'static str {
        match self {
            StockTone::Plenty => "mt-1 text-sm text-emerald-700",
            StockTone::Low => "mt-1 text-sm text-amber-700",
            StockTone::Out => "mt-1 text-sm text-red-700",
        }
    }
}

/// What the buy box shows for one pack, already in words: the island never formats
/// money, so no decimal arithmetic travels to the browser.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackFacts {
    pub price: String,
    /// The printed MRP and the saving, when the MRP is higher.
    pub was: Option<(String, String)>,
    pub stock: String,
    pub tone: StockTone,
    pub sku: String,
}

impl PackFacts {
    pub fn of(v: &VariantView) -> PackFacts {
        PackFacts {
            price: v.price.format_inr(),
            was: v
                .mrp
                .filter(|m| *m > v.price)
                .map(|m| (m.format_inr(), v.saving_percent().map(|p| format!("{p}% off")).unwrap_or_default())),
            stock: v.stock_label(),
            tone: StockTone::of(v.available),
            sku: v.sku.clone(),
        }
    }

    /// The facts the server printed on a pack's radio button.
    #[cfg(feature = "hydrate")]
    fn read(input: &web_sys::Element) -> PackFacts {
        let attr = |name: &str| input.get_attribute(name);
        PackFacts {
            price: attr("data-price").unwrap_or_default(),
            was: attr("data-was").map(|was| (was, attr("data-off").unwrap_or_default())),
            stock: attr("data-stock").unwrap_or_default(),
            tone: StockTone::parse(&attr("data-tone").unwrap_or_default()),
            sku: attr("data-sku").unwrap_or_default(),
        }
    }
}

/// The pack chosen when the page opens: the first that can be sold, else the first.
pub fn first_choice(variants: &[VariantView]) -> usize {
    variants.iter().position(|v| v.available > 0).unwrap_or(0)
}

/// The server's side of the initial choice (the browser reads the checked button).
#[derive(Clone)]
#[cfg_attr(feature = "hydrate", allow(dead_code))]
struct ChosenPack(PackFacts);

/// The buy box for a product with at least one pack.
#[component]
pub fn ProductBuyBox(variants: Vec<VariantView>) -> impl IntoView {
    let initial = first_choice(&variants);
    provide_context(ChosenPack(variants.get(initial).map(PackFacts::of).unwrap_or_default()));
    let options = variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let facts = PackFacts::of(v);
            let id = format!("variant-{}", v.id);
            let label_for = id.clone();
            let (was, off) = facts.was.clone().unzip();
            view! {
                <label
                    for=label_for
                    class="cursor-pointer rounded-xl border-2 px-4 py-2 text-center has-[:checked]:border-emerald-700 has-[:checked]:bg-emerald-50 has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-emerald-600 border-stone-300 bg-white"
                    class:opacity-60=v.available <= 0
                >
                    <input type="radio" id=id name="variant_id" value=v.id.to_string() class="sr-only" checked=i == initial required
                        data-price=facts.price.clone() data-was=was data-off=off data-stock=facts.stock data-tone=facts.tone.as_str() data-sku=facts.sku/>
                    <span class="block font-semibold text-stone-900">{v.label.clone()}</span>
                    <span class="block text-sm text-stone-600">{facts.price}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <BuyBox>
            <fieldset>
                <legend class="mb-2 text-sm font-medium text-stone-700">"Pack size"</legend>
                <div class="flex flex-wrap gap-2">{options}</div>
            </fieldset>
        </BuyBox>
    }
}

/// Choosing a pack updates price, saving and stock in place; "Add to cart" adds one.
#[island]
fn BuyBox(children: Children) -> impl IntoView {
    let hydrated = hydrated_flag();
    #[cfg(feature = "hydrate")]
    let initial = document()
        .query_selector("input[name=variant_id]:checked")
        .ok()
        .flatten()
        .map(|el| PackFacts::read(&el))
        .unwrap_or_default();
    #[cfg(not(feature = "hydrate"))]
    let initial = use_context::<ChosenPack>().map(|c| c.0).unwrap_or_default();
    let chosen = RwSignal::new(initial);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<(bool, String)>);

    // The radio buttons are the server's; their changes bubble up to here.
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        if let Some(input) = ev.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            && input.get_attribute("name").as_deref() == Some("variant_id")
        {
            chosen.set(PackFacts::read(&input));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        if let Some(form) = ev.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlFormElement>(t).ok())
        {
            busy.set(true);
            leptos::task::spawn_local(async move {
                message.set(Some(add_to_cart(&form).await));
                busy.set(false);
            });
        }
    };
    let tone = move || chosen.with(|p| p.tone.class());
    view! {
        <form method="post" action=UpdateCart::url() on:submit=on_submit>
            <div data-testid="variant-picker" data-hydrated=move || hydrated.get().then_some("true") on:change=on_change>
                {children()}
                <div class="mt-4 flex items-baseline gap-3">
                    <span class="text-3xl font-bold text-stone-900" data-testid="price">{move || chosen.with(|p| p.price.clone())}</span>
                    {move || chosen.with(|p| p.was.clone()).map(|(was, off)| view! {
                        <span class="text-stone-500 line-through">{was}</span>
                        <span class="rounded-full bg-amber-100 px-2 py-0.5 text-sm font-medium text-amber-900">{off}</span>
                    })}
                </div>
                <p class=tone data-testid="stock" aria-live="polite">{move || chosen.with(|p| p.stock.clone())}</p>
                <p class="mt-1 text-xs text-stone-500">"Inclusive of all taxes. SKU "{move || chosen.with(|p| p.sku.clone())}</p>
            </div>
            <input type="hidden" name="quantity" value="1"/>
            <input type="hidden" name="add" value="true"/>
            <div class="mt-4 flex flex-wrap items-center gap-3" data-testid="add-to-cart" data-hydrated=move || hydrated.get().then_some("true")>
                <button type="submit" class=crate::orders::pages::BUTTON disabled=move || busy.get()>"Add to cart"</button>
                <a href="/cart" class="font-medium text-emerald-800 hover:underline">"View cart"</a>
                <p role="status" aria-live="polite" data-testid="cart-message"
                   class=move || if message.with(|m| m.as_ref().is_some_and(|m| m.0)) { "text-sm text-emerald-800" } else { "text-sm text-red-700" }>
                    {move || message.with(|m| m.as_ref().map(|m| m.1.clone()))}
                </p>
            </div>
        </form>
    }
}

/// Posts the form as the server function's own client would (URL-encoded, asking for
/// JSON), and says what happened: the cart's new count, or the server's reason.
#[cfg(feature = "hydrate")]
async fn add_to_cart(form: &web_sys::HtmlFormElement) -> (bool, String) {
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    let sent = async {
        let body =
            web_sys::UrlSearchParams::new_with_str_sequence_sequence(&web_sys::FormData::new_with_form(form)?.into())?;
        let headers = js_sys::Object::new();
        js_sys::Reflect::set(&headers, &"Accept".into(), &"application/json".into())?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&body);
        init.set_headers(&headers);
        let response: web_sys::Response =
            JsFuture::from(window().fetch_with_str_and_init(&form.action(), &init)).await?.dyn_into()?;
        let text = JsFuture::from(response.text()?).await?;
        Ok::<_, JsValue>((
            response.ok(),
            js_sys::JSON::parse(&text.as_string().unwrap_or_default()).unwrap_or(JsValue::NULL),
        ))
    };
    let field = |v: &JsValue, name: &str| {
        js_sys::Reflect::get(v, &name.into()).ok().filter(|x| !x.is_undefined() && !x.is_null())
    };
    match sent.await {
        // A count, printed as an integer: formatting the float would bring float
        // printing into the bundle for nothing.
        Ok((true, cart)) => match field(&cart, "itemCount").and_then(|n| n.as_f64()) {
            Some(n) => {
                crate::components::layout::announce_cart_count(n as u32);
                (true, format!("Added · {} in your cart", n as u32))
            }
            None => (true, "Added to your cart".into()),
        },
        // The server's `AppError`: field messages when it names fields, else its message.
        Ok((false, error)) => {
            let fields: Vec<String> = field(&error, "fields")
                .map(|f| {
                    js_sys::Object::values(f.unchecked_ref::<js_sys::Object>())
                        .iter()
                        .filter_map(|m: JsValue| m.as_string())
                        .collect()
                })
                .unwrap_or_default();
            let text = if fields.is_empty() {
                field(&error, "message")
                    .and_then(|m| m.as_string())
                    .unwrap_or_else(|| "Could not add this to your cart. Please try again.".into())
            } else {
                fields.join(" · ")
            };
            (false, text)
        }
        Err(_) => (false, "Could not reach the shop. Check your connection and try again.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Money;
    use uuid::Uuid;

    fn pack(price: &str, mrp: Option<&str>, available: i32) -> VariantView {
        VariantView {
            id: Uuid::nil(),
            sku: "TEA-100".into(),
            label: "100 g".into(),
            price: Money::parse(price).unwrap(),
            mrp: mrp.map(|m| Money::parse(m).unwrap()),
            available,
        }
    }

    #[test]
    fn a_packs_facts_are_in_words_with_the_saving_only_below_mrp() {
        let facts = PackFacts::of(&pack("1250.00", Some("1500.00"), 3));
        assert_eq!(facts.price, "₹1,250.00");
        assert_eq!(facts.was, Some(("₹1,500.00".into(), "16% off".into())));
        assert_eq!((facts.stock.as_str(), facts.tone), ("Only 3 left", StockTone::Low));
        assert_eq!(PackFacts::of(&pack("90.00", Some("90.00"), 40)).was, None);
        assert_eq!(PackFacts::of(&pack("90.00", None, 0)).tone, StockTone::Out);
    }

    #[test]
    fn a_tone_survives_the_trip_through_its_attribute() {
        for tone in [StockTone::Plenty, StockTone::Low, StockTone::Out] {
            assert_eq!(StockTone::parse(tone.as_str()), tone);
        }
    }

    #[test]
    fn the_first_pack_that_can_be_sold_is_chosen() {
        assert_eq!(first_choice(&[pack("1", None, 0), pack("2", None, 4)]), 1);
        assert_eq!(first_choice(&[pack("1", None, 0), pack("2", None, 0)]), 0);
    }
}
