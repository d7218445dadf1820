//! The store's prices and delivery settings as pages, islands and REST clients read
//! and send them.

use crate::domain::delivery_slot::SlotRules;
use crate::domain::money::Money;
use crate::domain::pricing::{Coupon, PricingRules};
use serde::{Deserialize, Serialize};

/// What checkout and the cart need of the store's settings (coupons are read one at a
/// time, when a shopper types one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StoreSettings {
    pub delivery_fee: Money,
    pub free_delivery_from: Money,
    pub slots: SlotRules,
}

impl Default for StoreSettings {
    fn default() -> StoreSettings {
        let p = PricingRules::default();
        StoreSettings {
            delivery_fee: p.delivery_fee,
            free_delivery_from: p.free_delivery_from,
            slots: SlotRules::default(),
        }
    }
}

impl StoreSettings {
    /// The pricing rules without coupons (the cart's view; checkout adds the one typed).
    pub fn pricing(&self) -> PricingRules {
        PricingRules { delivery_fee: self.delivery_fee, free_delivery_from: self.free_delivery_from, coupons: vec![] }
    }
}

/// A coupon with how often it has been used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CouponWithUses {
    #[serde(flatten)]
    pub coupon: Coupon,
    /// Orders (not cancelled) that used it.
    pub uses: i64,
}

/// The delivery settings as typed into `/admin/settings` or sent to
/// `PUT /api/v1/store-settings`: every field text, so each can be refused by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct StoreSettingsInput {
    /// Rupees, e.g. `49.00`.
    pub delivery_fee: String,
    /// Rupees; a basket (after discount) at or above it is delivered free.
    pub free_delivery_from: String,
    /// Each window's start and end, `HH:MM` in store time.
    pub windows: Vec<WindowInput>,
    pub cut_off_hours: String,
    pub days_ahead: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct WindowInput {
    pub starts: String,
    pub ends: String,
}

impl StoreSettingsInput {
    pub fn parse(&self) -> Result<StoreSettings, crate::error::AppError> {
        let delivery = PricingRules::parse_delivery(&self.delivery_fee, &self.free_delivery_from);
        let windows: Vec<(String, String)> = self.windows.iter().map(|w| (w.starts.clone(), w.ends.clone())).collect();
        let slots = SlotRules::parse(&windows, &self.cut_off_hours, &self.days_ahead);
        match (delivery, slots) {
            (Ok((delivery_fee, free_delivery_from)), Ok(slots)) => {
                Ok(StoreSettings { delivery_fee, free_delivery_from, slots })
            }
            (d, s) => {
                let mut fields = d.err().unwrap_or_default();
                fields.extend(s.err().unwrap_or_default());
                Err(crate::error::AppError::Validation { fields })
            }
        }
    }

    /// The form as it shows settings already saved.
    pub fn of(s: &StoreSettings) -> StoreSettingsInput {
        StoreSettingsInput {
            delivery_fee: s.delivery_fee.to_api_string(),
            free_delivery_from: s.free_delivery_from.to_api_string(),
            windows: s
                .slots
                .windows
                .iter()
                .map(|w| WindowInput {
                    starts: w.starts.format("%H:%M").to_string(),
                    ends: w.ends.format("%H:%M").to_string(),
                })
                .collect(),
            cut_off_hours: s.slots.cut_off_hours.to_string(),
            days_ahead: s.slots.days_ahead.to_string(),
        }
    }
}

/// The settings form of `/admin/settings`: the windows on one line
/// (`07:00-10:00, 17:00-20:00`), the rest as [`StoreSettingsInput`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StoreSettingsForm {
    pub delivery_fee: String,
    pub free_delivery_from: String,
    pub windows: String,
    pub cut_off_hours: String,
    pub days_ahead: String,
}

impl StoreSettingsForm {
    pub fn parse(&self) -> Result<StoreSettings, crate::error::AppError> {
        let windows = self
            .windows
            .split([',', '\n', ';'])
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(|w| {
                let (starts, ends) = w.split_once(['-', '–']).unwrap_or((w, ""));
                WindowInput { starts: starts.trim().into(), ends: ends.trim().into() }
            })
            .collect();
        let input = StoreSettingsInput {
            delivery_fee: self.delivery_fee.clone(),
            free_delivery_from: self.free_delivery_from.clone(),
            windows,
            cut_off_hours: self.cut_off_hours.clone(),
            days_ahead: self.days_ahead.clone(),
        };
        input.parse().map_err(|e| match e {
            // One field on the form holds every window: its errors are that field's.
            crate::error::AppError::Validation { fields } => {
                let mut out = crate::error::FieldErrors::new();
                for (k, v) in fields {
                    match k.strip_prefix("windows.").and_then(|n| n.parse::<usize>().ok()) {
                        Some(n) => {
                            let e = out.entry("windows".into()).or_default();
                            if !e.is_empty() {
                                e.push_str("; ");
                            }
                            e.push_str(&format!("window {}: {v}", n + 1));
                        }
                        None => {
                            out.insert(k, v);
                        }
                    }
                }
                crate::error::AppError::Validation { fields: out }
            }
            other => other,
        })
    }

    pub fn of(s: &StoreSettings) -> StoreSettingsForm {
        let i = StoreSettingsInput::of(s);
        StoreSettingsForm {
            delivery_fee: i.delivery_fee,
            free_delivery_from: i.free_delivery_from,
            windows: i.windows.iter().map(|w| format!("{}-{}", w.starts, w.ends)).collect::<Vec<_>>().join(", "),
            cut_off_hours: i.cut_off_hours,
            days_ahead: i.days_ahead,
        }
    }
}

/// What `/admin/settings` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsPage {
    pub settings: StoreSettings,
    pub coupons: Vec<CouponWithUses>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_settings_read_back_into_the_form_unchanged() {
        let s = StoreSettings::default();
        assert_eq!(StoreSettingsInput::of(&s).parse().unwrap(), s);
    }

    #[test]
    fn the_forms_windows_line_reads_both_ways() {
        let f = StoreSettingsForm::of(&StoreSettings::default());
        assert_eq!(f.windows, "07:00-10:00, 10:00-13:00, 17:00-20:00");
        assert_eq!(f.parse().unwrap(), StoreSettings::default());
        let bad = StoreSettingsForm { windows: "07:00-10:00, 9am-11".into(), ..f };
        let e = bad.parse().unwrap_err();
        assert_eq!(e.fields().unwrap()["windows"], "window 2: times must be like 07:00");
    }

    #[test]
    fn every_bad_setting_is_named() {
        let bad = StoreSettingsInput {
            delivery_fee: "-1".into(),
            free_delivery_from: "lots".into(),
            windows: vec![WindowInput { starts: "10:00".into(), ends: "09:00".into() }],
            cut_off_hours: "x".into(),
            days_ahead: "31".into(),
        };
        let e = bad.parse().unwrap_err();
        let keys: Vec<_> = e.fields().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["cutOffHours", "daysAhead", "deliveryFee", "freeDeliveryFrom", "windows.0"]);
    }
}
