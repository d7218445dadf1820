//! What can happen to a batch (lot) and what a record of it must hold: the event kinds,
//! the facts an event carries (what its digest covers), parsing a request into them, and
//! the cold-chain rule that judges a temperature against its crop's limits.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Timelike, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use uuid::Uuid;

/// How far ahead of our clock an event may be dated (a phone's clock runs fast).
pub const FUTURE_SLACK: Duration = Duration::minutes(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Harvested,
    Graded,
    Packed,
    ColdStored,
    LabTested,
    Certified,
    Shipped,
    InTransit,
    Received,
    TemperatureReading,
    Sold,
}

impl EventKind {
    pub const ALL: [EventKind; 11] = [
        EventKind::Harvested,
        EventKind::Graded,
        EventKind::Packed,
        EventKind::ColdStored,
        EventKind::LabTested,
        EventKind::Certified,
        EventKind::Shipped,
        EventKind::InTransit,
        EventKind::Received,
        EventKind::TemperatureReading,
        EventKind::Sold,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Harvested => "harvested",
            EventKind::Graded => "graded",
            EventKind::Packed => "packed",
            EventKind::ColdStored => "cold_stored",
            EventKind::LabTested => "lab_tested",
            EventKind::Certified => "certified",
            EventKind::Shipped => "shipped",
            EventKind::InTransit => "in_transit",
            EventKind::Received => "received",
            EventKind::TemperatureReading => "temperature_reading",
            EventKind::Sold => "sold",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EventKind::Harvested => "Harvested",
            EventKind::Graded => "Graded",
            EventKind::Packed => "Packed",
            EventKind::ColdStored => "Cold store",
            EventKind::LabTested => "Lab tested",
            EventKind::Certified => "Certified",
            EventKind::Shipped => "Shipped",
            EventKind::InTransit => "In transit",
            EventKind::Received => "Received",
            EventKind::TemperatureReading => "Temperature reading",
            EventKind::Sold => "Sold",
        }
    }

    /// The stage of today's handling checkpoints this kind continues (`cold_store` and
    /// `dispatched` were renamed), for history recorded before the chain.
    pub fn from_checkpoint_stage(stage: &str) -> Option<EventKind> {
        match stage {
            "cold_store" => Some(EventKind::ColdStored),
            "dispatched" => Some(EventKind::Shipped),
            other => other.parse().ok().filter(|k: &EventKind| k.is_handling()),
        }
    }

    /// A step taken inside the cold chain, where a crop's limits hold. A harvest or a
    /// grading is at field temperature: the chain starts at the cold store.
    pub fn in_cold_chain(self) -> bool {
        matches!(
            self,
            EventKind::ColdStored
                | EventKind::Packed
                | EventKind::Shipped
                | EventKind::InTransit
                | EventKind::Received
                | EventKind::TemperatureReading
        )
    }

    /// A step the lot itself takes on its way (the timeline's stops).
    pub fn is_handling(self) -> bool {
        !matches!(self, EventKind::LabTested | EventKind::Certified | EventKind::TemperatureReading)
    }
}

impl FromStr for EventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<EventKind, String> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
            format!("must be one of {}", known.join(", "))
        })
    }
}

/// One laboratory measurement. The verdict follows from value and limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabFacts {
    pub test: String,
    pub analyte_group: String,
    pub value: Decimal,
    pub unit: String,
    pub limit: Decimal,
    /// `max` (residues, contaminants) or `min` (quality specs such as °Brix).
    pub limit_kind: String,
    pub lab: String,
    pub report_number: String,
}

impl LabFacts {
    pub fn passed(&self) -> bool {
        if self.limit_kind == "min" { self.value >= self.limit } else { self.value <= self.limit }
    }
}

/// A certificate that covers this lot (a transaction certificate, say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateFacts {
    pub scheme: String,
    pub issuer: String,
    pub number: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
}

/// A crop's cold chain, in °C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColdChainLimits {
    pub min_c: Decimal,
    pub max_c: Decimal,
}

/// A temperature judged when it was recorded, with the limits then in force: the
/// record of an excursion cannot change when an admin later moves the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColdChainCheck {
    pub min_c: Decimal,
    pub max_c: Decimal,
    pub excursion: bool,
}

pub fn judge(temperature_c: Decimal, limits: ColdChainLimits) -> ColdChainCheck {
    ColdChainCheck {
        min_c: limits.min_c,
        max_c: limits.max_c,
        excursion: temperature_c < limits.min_c || temperature_c > limits.max_c,
    }
}

/// Everything an event says: what its digest covers, and all a reader is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFacts {
    pub id: Uuid,
    pub kind: EventKind,
    pub occurred_at: DateTime<Utc>,
    pub place: String,
    pub temperature_c: Option<Decimal>,
    /// Who recorded it as the public may read it: a team, a company, a laboratory;
    /// never a person's name.
    pub actor: String,
    pub quantity_kg: Option<Decimal>,
    pub note: String,
    pub lab: Option<LabFacts>,
    pub certificate: Option<CertificateFacts>,
    pub cold_chain: Option<ColdChainCheck>,
}

/// The kind-specific facts as stored beside the event's columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab: Option<LabFacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateFacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_chain: Option<ColdChainCheck>,
}

impl EventFacts {
    pub fn details(&self) -> EventDetails {
        EventDetails { lab: self.lab.clone(), certificate: self.certificate.clone(), cold_chain: self.cold_chain }
    }
}

/// An event as a person or a client sends it: text, as typed into a form or a JSON
/// body, parsed by [`parse_event`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct NewBatchEvent {
    /// The client's id for this event. Sent again (a retry after a lost answer), the
    /// same id with the same facts is the same event; with other facts, 409.
    pub event_id: Option<Uuid>,
    /// harvested, graded, packed, cold_stored, lab_tested, certified, shipped,
    /// in_transit, received, temperature_reading or sold.
    pub kind: String,
    /// When it happened: RFC 3339 (`2026-12-06T05:30:00+05:30`), or a form's local
    /// time (`2026-12-06T05:30`), read as India Standard Time.
    pub occurred_at: String,
    pub place: String,
    /// °C (a value only Fahrenheit explains is refused).
    pub temperature_c: Option<String>,
    /// The team, company or laboratory that did it (shown publicly).
    pub actor: String,
    pub quantity_kg: Option<String>,
    pub note: String,
    // lab_tested
    pub test: Option<String>,
    pub analyte_group: Option<String>,
    pub value: Option<String>,
    pub unit: Option<String>,
    pub limit: Option<String>,
    pub limit_kind: Option<String>,
    pub lab: Option<String>,
    pub report_number: Option<String>,
    // certified
    pub scheme: Option<String>,
    pub issuer: Option<String>,
    pub number: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
}

pub const ANALYTE_GROUPS: [&str; 6] =
    ["pesticide_residue", "heavy_metal", "moisture", "mycotoxin", "microbiological", "quality"];

/// A refused field, named as the request names it.
pub type FieldErrors = Vec<(String, String)>;

fn ist() -> FixedOffset {
    FixedOffset::east_opt(330 * 60).expect("IST")
}

/// RFC 3339, or a form's `datetime-local` value read as IST.
pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(raw, format) {
            return local.and_local_timezone(ist()).single().map(|t| t.with_timezone(&Utc));
        }
    }
    None
}

/// A °C reading that a cold chain could show. Outside it, a Fahrenheit value typed
/// into a Celsius field is the likely cause, and the message says so.
pub fn parse_celsius(raw: &str) -> Result<Decimal, String> {
    let t = Decimal::from_str(raw.trim()).map_err(|_| "must be a number of °C, e.g. 4.5".to_string())?;
    if t.scale() > 2 {
        return Err("may have at most 2 decimals".into());
    }
    let (lo, hi) = (Decimal::from(-40), Decimal::from(60));
    if t < lo || t > hi {
        if (Decimal::from(14)..=Decimal::from(212)).contains(&t) {
            let c = ((t - Decimal::from(32)) * Decimal::from(5) / Decimal::from(9)).round_dp(1);
            return Err(format!("{t} °C cannot be real; if that was °F, it is {c:.1} °C"));
        }
        return Err(format!("{t} °C cannot be real: −40 to 60 °C is"));
    }
    Ok(t)
}

fn text(errors: &mut FieldErrors, field: &str, raw: &str, max: usize, required: bool) -> String {
    let t = raw.trim();
    if required && t.is_empty() {
        errors.push((field.into(), "is required".into()));
    } else if t.chars().count() > max {
        errors.push((field.into(), format!("must be at most {max} characters")));
    } else if t.chars().any(|c| c.is_control() && c != '\n') {
        errors.push((field.into(), "must not hold control characters".into()));
    }
    t.to_string()
}

fn required(errors: &mut FieldErrors, field: &str, raw: &Option<String>, max: usize) -> String {
    text(errors, field, raw.as_deref().unwrap_or(""), max, true)
}

fn non_negative(errors: &mut FieldErrors, field: &str, raw: &Option<String>) -> Option<Decimal> {
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            errors.push((field.into(), "is required".into()));
            None
        }
        Some(s) => match Decimal::from_str(s) {
            Ok(v) if v >= Decimal::ZERO && v.scale() <= 4 && v < Decimal::from(10_000_000_000i64) => Some(v),
            Ok(_) => {
                errors.push((field.into(), "must be zero or more, with at most 4 decimals".into()));
                None
            }
            Err(_) => {
                errors.push((field.into(), "must be a number".into()));
                None
            }
        },
    }
}

fn date(errors: &mut FieldErrors, field: &str, raw: &Option<String>) -> Option<NaiveDate> {
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            errors.push((field.into(), "is required".into()));
            None
        }
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| errors.push((field.into(), "must be a date, e.g. 2026-12-06".into())))
            .ok(),
    }
}

/// Parses an event for a lot harvested on `harvested_on`, recorded at `now`, judging
/// a temperature against `limits` (the crop's cold chain, when it has one).
/// `default_actor` names who recorded it when the request does not.
pub fn parse_event(
    raw: &NewBatchEvent,
    harvested_on: NaiveDate,
    now: DateTime<Utc>,
    limits: Option<ColdChainLimits>,
    default_actor: &str,
) -> Result<EventFacts, FieldErrors> {
    let mut errors: FieldErrors = Vec::new();
    let kind = raw.kind.trim().parse::<EventKind>().map_err(|e| errors.push(("kind".into(), e))).ok();
    let occurred_at = match parse_time(&raw.occurred_at) {
        None => {
            errors.push(("occurredAt".into(), "must be a time, e.g. 2026-12-06T05:30:00+05:30".into()));
            None
        }
        Some(t) if t > now + FUTURE_SLACK => {
            errors.push(("occurredAt".into(), "is in the future: an event is recorded after it happens".into()));
            None
        }
        // A day's slack: a harvest date is the IST calendar day.
        Some(t) if t.with_timezone(&ist()).date_naive() < harvested_on - Duration::days(1) => {
            errors.push(("occurredAt".into(), format!("is before the lot was harvested ({harvested_on})")));
            None
        }
        // Digests read times to the millisecond and the database keeps microseconds:
        // what is stored must be what was digested.
        Some(t) => t.with_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000),
    };
    let place = text(&mut errors, "place", &raw.place, 200, false);
    let actor = match text(&mut errors, "actor", &raw.actor, 200, false) {
        a if a.is_empty() => default_actor.to_string(),
        a => a,
    };
    let note = text(&mut errors, "note", &raw.note, 1000, false);
    let temperature_c = match raw.temperature_c.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => parse_celsius(t).map_err(|e| errors.push(("temperatureC".into(), e))).ok(),
        None => {
            if kind == Some(EventKind::TemperatureReading) {
                errors.push(("temperatureC".into(), "is required for a temperature reading".into()));
            }
            None
        }
    };
    let quantity_kg = match raw.quantity_kg.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(q) => match Decimal::from_str(q) {
            Ok(v) if v > Decimal::ZERO && v.scale() <= 3 && v <= Decimal::from(1_000_000) => Some(v),
            _ => {
                errors.push(("quantityKg".into(), "must be more than 0 and at most 1,000,000 kg, to the gram".into()));
                None
            }
        },
        None => None,
    };
    let lab = (kind == Some(EventKind::LabTested)).then(|| {
        let test = required(&mut errors, "test", &raw.test, 120);
        let analyte_group = raw.analyte_group.as_deref().unwrap_or("").trim().to_string();
        if !ANALYTE_GROUPS.contains(&analyte_group.as_str()) {
            errors.push(("analyteGroup".into(), format!("must be one of {}", ANALYTE_GROUPS.join(", "))));
        }
        let value = non_negative(&mut errors, "value", &raw.value);
        let unit = required(&mut errors, "unit", &raw.unit, 20);
        let limit = non_negative(&mut errors, "limit", &raw.limit);
        let limit_kind = raw.limit_kind.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("max");
        if !matches!(limit_kind, "max" | "min") {
            errors.push(("limitKind".into(), "must be max or min".into()));
        }
        let lab = required(&mut errors, "lab", &raw.lab, 200);
        let report_number = required(&mut errors, "reportNumber", &raw.report_number, 80);
        LabFacts {
            test,
            analyte_group,
            value: value.unwrap_or_default(),
            unit,
            limit: limit.unwrap_or_default(),
            limit_kind: limit_kind.to_string(),
            lab,
            report_number,
        }
    });
    let certificate = (kind == Some(EventKind::Certified)).then(|| {
        let scheme = required(&mut errors, "scheme", &raw.scheme, 120);
        let issuer = required(&mut errors, "issuer", &raw.issuer, 200);
        let number = required(&mut errors, "number", &raw.number, 80);
        let from = date(&mut errors, "validFrom", &raw.valid_from);
        let until = date(&mut errors, "validUntil", &raw.valid_until);
        if let (Some(f), Some(u)) = (from, until)
            && u < f
        {
            errors.push(("validUntil".into(), "must not be before validFrom".into()));
        }
        CertificateFacts {
            scheme,
            issuer,
            number,
            valid_from: from.unwrap_or_default(),
            valid_until: until.unwrap_or_default(),
        }
    });
    match (kind, occurred_at) {
        (Some(kind), Some(occurred_at)) if errors.is_empty() => Ok(EventFacts {
            id: raw.event_id.unwrap_or_else(Uuid::now_v7),
            kind,
            occurred_at: occurred_at.with_timezone(&Utc),
            place,
            cold_chain: temperature_c.zip(limits.filter(|_| kind.in_cold_chain())).map(|(t, l)| judge(t, l)),
            temperature_c,
            actor,
            quantity_kg,
            note,
            lab,
            certificate,
        }),
        _ => Err(errors),
    }
}

/// Parses an admin's cold-chain limits for a crop.
pub fn parse_limits(min: &str, max: &str) -> Result<ColdChainLimits, FieldErrors> {
    let mut errors = Vec::new();
    let lo = parse_celsius(min).map_err(|e| errors.push(("minC".to_string(), e))).ok();
    let hi = parse_celsius(max).map_err(|e| errors.push(("maxC".to_string(), e))).ok();
    match (lo, hi) {
        (Some(lo), Some(hi)) if lo < hi => Ok(ColdChainLimits { min_c: lo, max_c: hi }),
        (Some(_), Some(_)) => Err(vec![("maxC".into(), "must be above minC".into())]),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-06T06:00:00+05:30").unwrap().with_timezone(&Utc)
    }
    fn harvest() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }
    fn limits() -> Option<ColdChainLimits> {
        Some(ColdChainLimits { min_c: Decimal::from(2), max_c: Decimal::from(8) })
    }
    fn reading(t: &str) -> NewBatchEvent {
        NewBatchEvent {
            kind: "temperature_reading".into(),
            occurred_at: "2026-12-06T05:30".into(),
            temperature_c: Some(t.into()),
            ..Default::default()
        }
    }
    fn fields(e: FieldErrors) -> Vec<String> {
        e.into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn a_reading_is_judged_against_its_crop() {
        let ok = parse_event(&reading("4.5"), harvest(), now(), limits(), "Cold store").unwrap();
        assert_eq!(ok.kind, EventKind::TemperatureReading);
        assert_eq!(ok.actor, "Cold store");
        assert_eq!(ok.occurred_at.to_rfc3339(), "2026-12-06T00:00:00+00:00", "a form's time is IST");
        assert!(!ok.cold_chain.unwrap().excursion);
        let warm = parse_event(&reading("11.2"), harvest(), now(), limits(), "x").unwrap();
        assert!(warm.cold_chain.unwrap().excursion);
        let none = parse_event(&reading("11.2"), harvest(), now(), None, "x").unwrap();
        assert_eq!(none.cold_chain, None, "a crop with no cold chain judges nothing");
        let mut field = reading("24.0");
        field.kind = "harvested".into();
        let harvested = parse_event(&field, harvest(), now(), limits(), "x").unwrap();
        assert_eq!(harvested.cold_chain, None, "a harvest is at field temperature, before the cold chain");
    }

    #[test]
    fn fahrenheit_by_mistake_is_named() {
        let e = parse_event(&reading("39.2"), harvest(), now(), limits(), "x");
        assert!(e.is_ok(), "39.2 °C is hot but real");
        let e = parse_event(&reading("104"), harvest(), now(), limits(), "x").unwrap_err();
        assert_eq!(e[0].0, "temperatureC");
        assert!(e[0].1.contains("40.0 °C"), "{}", e[0].1);
        let e = parse_event(&reading("-460"), harvest(), now(), limits(), "x").unwrap_err();
        assert!(e[0].1.contains("cannot be real"));
        assert_eq!(
            fields(parse_event(&reading("warm"), harvest(), now(), limits(), "x").unwrap_err()),
            ["temperatureC"]
        );
    }

    #[test]
    fn times_in_the_future_or_before_the_harvest_are_refused() {
        let mut e = reading("4");
        e.occurred_at = "2026-12-06T06:20:00+05:30".into();
        assert_eq!(fields(parse_event(&e, harvest(), now(), None, "x").unwrap_err()), ["occurredAt"]);
        e.occurred_at = "2026-12-06T06:04:00+05:30".into();
        assert!(parse_event(&e, harvest(), now(), None, "x").is_ok(), "a fast clock's minutes are forgiven");
        e.occurred_at = "2026-11-20T10:00:00Z".into();
        assert_eq!(fields(parse_event(&e, harvest(), now(), None, "x").unwrap_err()), ["occurredAt"]);
        e.occurred_at = "2026-12-06T05:00:00.123456789+05:30".into();
        let f = parse_event(&e, harvest(), now(), None, "x").unwrap();
        assert_eq!(f.occurred_at.nanosecond(), 123_000_000, "kept to the millisecond");
        e.occurred_at = "yesterday".into();
        assert_eq!(fields(parse_event(&e, harvest(), now(), None, "x").unwrap_err()), ["occurredAt"]);
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let raw = NewBatchEvent {
            kind: "lab_tested".into(),
            occurred_at: "2026-12-05T10:00:00Z".into(),
            value: Some("-1".into()),
            limit: Some("0.01".into()),
            limit_kind: Some("about".into()),
            analyte_group: Some("vibes".into()),
            quantity_kg: Some("0".into()),
            note: "a\u{7}b".into(),
            ..Default::default()
        };
        let mut got = fields(parse_event(&raw, harvest(), now(), None, "x").unwrap_err());
        got.sort();
        assert_eq!(
            got,
            ["analyteGroup", "lab", "limitKind", "note", "quantityKg", "reportNumber", "test", "unit", "value"]
        );
        let unknown = NewBatchEvent {
            kind: "teleported".into(),
            occurred_at: "2026-12-05T10:00:00Z".into(),
            ..Default::default()
        };
        assert_eq!(fields(parse_event(&unknown, harvest(), now(), None, "x").unwrap_err()), ["kind"]);
    }

    #[test]
    fn a_lab_result_and_a_certificate_parse() {
        let lab = NewBatchEvent {
            kind: "lab_tested".into(),
            occurred_at: "2026-12-05T10:00:00Z".into(),
            test: Some("Chlorpyrifos residue".into()),
            analyte_group: Some("pesticide_residue".into()),
            value: Some("0.004".into()),
            unit: Some("mg/kg".into()),
            limit: Some("0.01".into()),
            lab: Some("Vimta Labs".into()),
            report_number: Some("VIM-1".into()),
            ..Default::default()
        };
        let f = parse_event(&lab, harvest(), now(), None, "x").unwrap();
        assert!(f.lab.as_ref().unwrap().passed());
        assert_eq!(f.lab.unwrap().limit_kind, "max");
        let cert = NewBatchEvent {
            kind: "certified".into(),
            occurred_at: "2026-12-05T10:00:00Z".into(),
            scheme: Some("NPOP Transaction Certificate".into()),
            issuer: Some("Indocert".into()),
            number: Some("IND/TC/1".into()),
            valid_from: Some("2026-12-05".into()),
            valid_until: Some("2026-12-01".into()),
            ..Default::default()
        };
        assert_eq!(fields(parse_event(&cert, harvest(), now(), None, "x").unwrap_err()), ["validUntil"]);
    }

    #[test]
    fn old_checkpoint_stages_map_to_events() {
        assert_eq!(EventKind::from_checkpoint_stage("cold_store"), Some(EventKind::ColdStored));
        assert_eq!(EventKind::from_checkpoint_stage("dispatched"), Some(EventKind::Shipped));
        assert_eq!(EventKind::from_checkpoint_stage("received"), Some(EventKind::Received));
        assert_eq!(EventKind::from_checkpoint_stage("lab_tested"), None);
    }

    #[test]
    fn limits_must_make_a_range() {
        assert!(parse_limits("2", "8").is_ok());
        assert_eq!(parse_limits("8", "2").unwrap_err()[0].0, "maxC");
        assert_eq!(parse_limits("x", "200").unwrap_err().len(), 2);
    }

    proptest! {
        #[test]
        fn an_excursion_is_exactly_outside_the_limits(t in -400i64..600, lo in -400i64..300, span in 1i64..300) {
            let limits = ColdChainLimits { min_c: Decimal::new(lo, 1), max_c: Decimal::new(lo + span, 1) };
            let temp = Decimal::new(t, 1);
            let check = judge(temp, limits);
            prop_assert_eq!(check.excursion, !(limits.min_c..=limits.max_c).contains(&temp));
        }

        #[test]
        fn every_celsius_value_in_range_parses(t in -400i64..=600) {
            let v = Decimal::new(t, 1);
            prop_assert_eq!(parse_celsius(&v.to_string()), Ok(v));
        }
    }
}
