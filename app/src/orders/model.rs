//! What carts, checkouts and orders look like to their readers (pages, islands, REST
//! clients), and the parsing of checkout input from untrusted strings.

use crate::domain::delivery_slot::{self, Slot};
use crate::domain::money::Money;
use crate::domain::order_state::OrderState;
use crate::domain::pricing::Quote;
use crate::error::{AppError, FieldErrors};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most packs of one variant a cart line may hold.
pub const MAX_LINE_QUANTITY: u32 = 99;
/// Most distinct lines in one cart.
pub const MAX_CART_LINES: usize = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CartLine {
    pub variant_id: Uuid,
    pub product_name: String,
    pub product_slug: String,
    pub variant_label: String,
    pub sku: String,
    pub image_url: String,
    /// Today's price.
    pub unit_price: Money,
    /// The price when the line was added (differs when the price changed since).
    pub added_price: Money,
    pub quantity: u32,
    pub line_total: Money,
    /// Packs that can be sold right now.
    pub available: i64,
    /// What changed since the line was added, in words; `None` when all is well.
    pub issue: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CartView {
    pub lines: Vec<CartLine>,
    pub item_count: u32,
    /// `None` for an empty cart.
    pub quote: Option<Quote>,
}

/// A change to one cart line: `quantity` 0 removes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CartLineInput {
    pub variant_id: String,
    pub quantity: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CartChange {
    pub variant_id: Uuid,
    pub quantity: u32,
}

impl CartChange {
    /// `allow_zero`: setting a line to 0 removes it; adding 0 is an error.
    pub fn parse(input: &CartLineInput, allow_zero: bool) -> Result<CartChange, AppError> {
        let mut fields = FieldErrors::new();
        let variant_id = Uuid::parse_str(input.variant_id.trim()).ok();
        if variant_id.is_none() {
            fields.insert("variantId".into(), "must be a variant id (UUID)".into());
        }
        let min = if allow_zero { 0 } else { 1 };
        let quantity = match input.quantity.trim().parse::<i64>() {
            Ok(q) if q >= min && q <= i64::from(MAX_LINE_QUANTITY) => q as u32,
            Ok(q) if q < min => {
                fields.insert(
                    "quantity".into(),
                    if min == 0 { "cannot be negative".into() } else { "must be at least 1".into() },
                );
                0
            }
            Ok(_) => {
                fields.insert("quantity".into(), format!("at most {MAX_LINE_QUANTITY} packs per item"));
                0
            }
            Err(_) => {
                fields.insert("quantity".into(), "must be a whole number".into());
                0
            }
        };
        match variant_id {
            Some(variant_id) if fields.is_empty() => Ok(CartChange { variant_id, quantity }),
            _ => Err(AppError::Validation { fields }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub name: String,
    pub phone: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub pincode: String,
    pub state: String,
}

/// An address as typed (at checkout, or into the shopper's address book).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct AddressInput {
    pub name: String,
    pub phone: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub pincode: String,
    /// One of India's states or union territories (any case).
    pub state: String,
}

impl Address {
    /// Parses every field, naming each bad one in `fields` (the address is only
    /// meaningful when `fields` stays empty).
    pub fn parse_into(input: &AddressInput, fields: &mut FieldErrors) -> Address {
        let mut text = |name: &str, value: &str, min: usize, max: usize| -> String {
            let v = value.trim();
            let n = v.chars().count();
            if n < min {
                fields.insert(name.into(), "is required".into());
            } else if n > max {
                fields.insert(name.into(), format!("must be at most {max} characters"));
            } else if v.chars().any(char::is_control) {
                fields.insert(name.into(), "must not contain control characters".into());
            }
            v.to_string()
        };
        let name = text("name", &input.name, 1, 100);
        let line1 = text("line1", &input.line1, 1, 200);
        let line2 = text("line2", &input.line2, 0, 200);
        let city = text("city", &input.city, 1, 100);
        let state = match crate::domain::india::state_named(&input.state) {
            Some(s) => s.to_string(),
            None => {
                fields.insert("state".into(), "choose a state or union territory".into());
                String::new()
            }
        };
        let digits: String = input.phone.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let national = digits.strip_prefix("+91").or_else(|| digits.strip_prefix("0")).unwrap_or(&digits);
        let phone_ok = national.len() == 10
            && national.bytes().all(|b| b.is_ascii_digit())
            && matches!(national.as_bytes()[0], b'6'..=b'9');
        if !phone_ok {
            fields.insert("phone".into(), "must be a 10-digit Indian mobile number".into());
        }
        let pincode = input.pincode.trim().to_string();
        if !(pincode.len() == 6 && pincode.bytes().all(|b| b.is_ascii_digit()) && !pincode.starts_with('0')) {
            fields.insert("pincode".into(), "must be a 6-digit PIN code".into());
        } else if !state.is_empty() && !crate::domain::india::pin_fits_state(&pincode, &state) {
            fields.insert("pincode".into(), format!("is not a PIN code of {state}"));
        }
        Address { name, phone: format!("+91{national}"), line1, line2, city, pincode, state }
    }

    pub fn parse(input: &AddressInput) -> Result<Address, AppError> {
        let mut fields = FieldErrors::new();
        let address = Address::parse_into(input, &mut fields);
        if fields.is_empty() { Ok(address) } else { Err(AppError::Validation { fields }) }
    }
}

impl CheckoutInput {
    pub fn address_input(&self) -> AddressInput {
        AddressInput {
            name: self.name.clone(),
            phone: self.phone.clone(),
            line1: self.line1.clone(),
            line2: self.line2.clone(),
            city: self.city.clone(),
            pincode: self.pincode.clone(),
            state: self.state.clone(),
        }
    }
}

/// An address in the shopper's address book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SavedAddress {
    pub id: Uuid,
    #[serde(flatten)]
    pub address: Address,
    pub is_default: bool,
}

/// The checkout form exactly as it arrives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct CheckoutInput {
    /// Who receives the delivery (up to 100 characters).
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub name: String,
    /// A 10-digit Indian mobile number; `+91` or `0` in front, spaces and hyphens are accepted.
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub phone: String,
    /// Up to 200 characters.
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub line1: String,
    /// Optional, up to 200 characters.
    pub line2: String,
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub city: String,
    /// A 6-digit PIN code.
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub pincode: String,
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub state: String,
    /// A delivery slot's key (its start, RFC 3339), from `GET /checkout/slots`.
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub slot: String,
    /// A coupon code (`FRESH10`), in any case; optional.
    pub coupon: String,
    /// `true`: keep this address in the shopper's address book (the first becomes their
    /// default).
    pub save_address: String,
}

/// A checked checkout request: only valid values exist here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    pub address: Address,
    pub slot: Slot,
    pub coupon: Option<String>,
}

impl CheckoutRequest {
    pub fn parse(
        input: &CheckoutInput,
        now: DateTime<Utc>,
        slots: &delivery_slot::SlotRules,
    ) -> Result<CheckoutRequest, AppError> {
        let mut fields = FieldErrors::new();
        let address = Address::parse_into(&input.address_input(), &mut fields);
        let slot = delivery_slot::find_slot(now, slots, &input.slot);
        if slot.is_none() {
            let msg = if input.slot.trim().is_empty() {
                "choose a delivery slot"
            } else {
                "is not an open delivery slot; choose another"
            };
            fields.insert("slot".into(), msg.into());
        }
        let coupon = input.coupon.trim();
        if coupon.len() > 32 {
            fields.insert("coupon".into(), "is not a coupon we know".into());
        }
        match slot {
            Some(slot) if fields.is_empty() => {
                Ok(CheckoutRequest { address, slot, coupon: (!coupon.is_empty()).then(|| coupon.to_ascii_uppercase()) })
            }
            _ => Err(AppError::Validation { fields }),
        }
    }
}

/// What checkout answers: the order waiting for payment and where to pay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlacedOrder {
    pub order_id: Uuid,
    pub number: i64,
    pub total: Money,
    pub reserved_until: DateTime<Utc>,
    /// The page that starts payment in a browser.
    pub payment_url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderSummary {
    pub id: Uuid,
    pub number: i64,
    pub state: OrderState,
    pub total: Money,
    pub item_count: i64,
    pub created_at: DateTime<Utc>,
    /// Who it goes to (the delivery address's name).
    pub customer_name: String,
    /// The delivery window, in store time.
    pub slot_label: String,
}

/// Which orders a list shows, as typed into the staff queue's form or the API's query:
/// every field may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderFilterInput {
    pub state: String,
    /// First day placed (`YYYY-MM-DD`, store time).
    pub from: String,
    /// Last day placed.
    pub to: String,
    /// An order number (`1042` or `#1042`) or the delivery phone number.
    pub q: String,
}

/// An order number or a phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderSearch {
    Number(i64),
    Phone(String),
}

/// Which orders a list shows, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// One person's orders only.
    pub customer: Option<Uuid>,
    pub state: Option<OrderState>,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    pub search: Option<OrderSearch>,
}

impl OrderFilter {
    pub fn parse(input: &OrderFilterInput) -> Result<OrderFilter, AppError> {
        let mut fields = FieldErrors::new();
        let state = match input.state.trim() {
            "" => None,
            s => s.parse::<OrderState>().map_err(|e| fields.insert("state".into(), e)).ok(),
        };
        let mut day = |name: &str, raw: &str| match raw.trim() {
            "" => None,
            d => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| fields.insert(name.into(), "must be a date like 2026-12-07".into()))
                .ok(),
        };
        let (from, to) = (day("from", &input.from), day("to", &input.to));
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            fields.insert("to".into(), "must not be before the first day".into());
        }
        let q = input.q.trim();
        let search = if q.is_empty() {
            None
        } else if let Some(n) = q.strip_prefix('#').unwrap_or(q).parse::<i64>().ok().filter(|n| *n > 0 && q.len() <= 9)
        {
            Some(OrderSearch::Number(n))
        } else {
            match crate::account::credentials::Phone::parse(q) {
                Ok(p) => Some(OrderSearch::Phone(p.as_str().to_string())),
                Err(_) => {
                    fields.insert("q".into(), "type an order number (like 1042) or a phone number".into());
                    None
                }
            }
        };
        if !fields.is_empty() {
            return Err(AppError::Validation { fields });
        }
        Ok(OrderFilter { customer: None, state, from, to, search })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderLineView {
    /// The line's number within the order (from 1), as refund requests name it.
    pub line_no: i32,
    pub variant_id: Uuid,
    pub product_name: String,
    pub product_slug: String,
    pub variant_label: String,
    pub sku: String,
    pub unit_price: Money,
    pub quantity: i32,
    pub line_total: Money,
    /// How many of it refund requests claim (waiting or approved).
    pub returned: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderEventView {
    pub seq: i64,
    pub from_state: Option<OrderState>,
    pub to_state: OrderState,
    pub action: String,
    pub actor: String,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RefundView {
    pub id: Uuid,
    pub amount: Money,
    pub reason: String,
    /// `pending` (queued for the gateway), `processed` or `failed`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// The shopper's request it answers, if any.
    pub request_id: Option<Uuid>,
}

/// A shopper's request to return some lines, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RefundRequestView {
    pub id: Uuid,
    /// `requested`, `approved` or `rejected`.
    pub status: String,
    pub reason: String,
    /// What the lines are worth, less their share of the order's discount.
    pub amount: Money,
    pub lines: Vec<crate::domain::refund::AskedLine>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderDetail {
    pub id: Uuid,
    pub number: i64,
    pub customer_id: Uuid,
    pub state: OrderState,
    pub lines: Vec<OrderLineView>,
    pub subtotal: Money,
    pub discount: Money,
    pub delivery_fee: Money,
    pub tax_included: Money,
    pub total: Money,
    pub refunded_amount: Money,
    pub coupon: Option<String>,
    pub address: Address,
    pub slot_starts_at: DateTime<Utc>,
    pub slot_ends_at: DateTime<Utc>,
    pub slot_label: String,
    pub reserved_until: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub events: Vec<OrderEventView>,
    pub refunds: Vec<RefundView>,
    pub refund_requests: Vec<RefundRequestView>,
}

impl OrderDetail {
    /// What remains of what was paid, for the next refund.
    pub fn refundable(&self) -> Money {
        if self.paid_at.is_none() { Money::ZERO } else { self.total - self.refunded_amount }
    }

    pub fn payment_url(&self) -> Option<String> {
        (self.state == OrderState::PendingPayment).then(|| format!("/orders/{}/pay", self.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CheckoutInput {
        let now: DateTime<Utc> = "2026-11-26T02:30:00Z".parse().unwrap();
        CheckoutInput {
            name: "Ananya Iyer".into(),
            phone: "98400 10001".into(),
            line1: "12 Lake View Road".into(),
            line2: String::new(),
            city: "Chennai".into(),
            pincode: "600028".into(),
            state: "Tamil Nadu".into(),
            slot: delivery_slot::open_slots(now, &Default::default())[0].key(),
            coupon: " fresh10 ".into(),
            save_address: String::new(),
        }
    }

    #[test]
    fn a_good_checkout_parses() {
        let now: DateTime<Utc> = "2026-11-26T02:30:00Z".parse().unwrap();
        let r = CheckoutRequest::parse(&input(), now, &Default::default()).unwrap();
        assert_eq!(r.address.phone, "+919840010001");
        assert_eq!(r.coupon.as_deref(), Some("FRESH10"));
    }

    #[test]
    fn every_bad_field_is_named() {
        let now: DateTime<Utc> = "2026-11-26T02:30:00Z".parse().unwrap();
        let bad = CheckoutInput {
            name: " ".into(),
            phone: "12345".into(),
            line1: "x".repeat(201),
            city: "Chennai\u{0}".into(),
            pincode: "060028".into(),
            state: "TN".into(),
            slot: "2020-01-01T07:00:00Z".into(),
            ..input()
        };
        let e = CheckoutRequest::parse(&bad, now, &Default::default()).unwrap_err();
        let keys: Vec<_> = e.fields().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["city", "line1", "name", "phone", "pincode", "slot", "state"]);
    }

    #[test]
    fn the_state_is_one_of_indias_and_the_pin_code_is_one_of_its() {
        let now: DateTime<Utc> = "2026-11-26T02:30:00Z".parse().unwrap();
        let rules = Default::default();
        let r = CheckoutRequest::parse(&CheckoutInput { state: "tamil nadu".into(), ..input() }, now, &rules).unwrap();
        assert_eq!(r.address.state, "Tamil Nadu");
        let e = CheckoutRequest::parse(&CheckoutInput { state: "Kerala".into(), ..input() }, now, &rules).unwrap_err();
        assert_eq!(e.fields().unwrap()["pincode"], "is not a PIN code of Kerala");
        let e = CheckoutRequest::parse(&CheckoutInput { state: "Madras".into(), ..input() }, now, &rules).unwrap_err();
        assert_eq!(e.fields().unwrap()["state"], "choose a state or union territory");
    }

    #[test]
    fn order_filters_parse_or_name_the_bad_field() {
        let input = |state: &str, from: &str, to: &str, q: &str| OrderFilterInput {
            state: state.into(),
            from: from.into(),
            to: to.into(),
            q: q.into(),
        };
        let f = OrderFilter::parse(&input("paid", "2026-12-01", "2026-12-07", "#1042")).unwrap();
        assert_eq!((f.state, f.search), (Some(OrderState::Paid), Some(OrderSearch::Number(1042))));
        let f = OrderFilter::parse(&input("", "", "", "98400 10001")).unwrap();
        assert_eq!(f.search, Some(OrderSearch::Phone("+919840010001".into())));
        assert_eq!(OrderFilter::parse(&OrderFilterInput::default()).unwrap(), OrderFilter::default());
        let e = OrderFilter::parse(&input("shipping", "7 Dec", "2026-12-01", "tea")).unwrap_err();
        let keys: Vec<_> = e.fields().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["from", "q", "state"]);
        let e = OrderFilter::parse(&input("", "2026-12-07", "2026-12-01", "")).unwrap_err();
        assert!(e.fields().unwrap().contains_key("to"));
    }

    #[test]
    fn cart_quantities_are_bounded() {
        let change = |v: &str, q: &str, zero| {
            CartChange::parse(&CartLineInput { variant_id: v.into(), quantity: q.into() }, zero)
        };
        let id = Uuid::now_v7().to_string();
        assert_eq!(change(&id, "3", false).unwrap().quantity, 3);
        assert_eq!(change(&id, "0", true).unwrap().quantity, 0);
        for (q, zero) in [
            ("0", false),
            ("-1", true),
            ("-1", false),
            ("100", false),
            ("1.5", false),
            ("", false),
            ("9999999999999", true),
        ] {
            assert!(change(&id, q, zero).unwrap_err().fields().unwrap().contains_key("quantity"), "{q}");
        }
        assert!(change("not-a-uuid", "1", false).unwrap_err().fields().unwrap().contains_key("variantId"));
    }
}
