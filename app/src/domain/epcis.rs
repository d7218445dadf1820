//! A batch event as an EPCIS 2.0 event (JSON-LD): the form its digest is computed on
//! (GS1's event hash) and the form the export answers. Harvests are ObjectEvents that
//! commission the lot with its lot data, packing an AggregationEvent, shipping and
//! receiving ObjectEvents that observe it, temperatures sensor elements. What EPCIS has
//! no field for (the place as people name it, who did it, a lab result, the cold-chain
//! judgement) travels as user extensions in Mandi's namespace, so the digest covers it.

use super::batch_event::{EventFacts, EventKind};
use super::event_hash::{self, Prefixes};
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// Mandi's namespace for user extensions. A name, not a place: nothing fetches it.
pub const NAMESPACE: &str = "https://mandi.example/ns/epcis#";
pub const CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// The lot an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot<'a> {
    pub code: &'a str,
    pub farm_id: Uuid,
    pub crop: &'a str,
}

/// The class identifier of a lot. Lots carry no GTIN, so it is a URN of Mandi's,
/// stable across deployments (a site's address may change; a digest must not).
pub fn lot_uri(code: &str) -> String {
    format!("urn:mandi:lot:{code}")
}

fn farm_uri(farm: Uuid) -> String {
    format!("urn:mandi:farm:{farm}")
}

fn number(d: Decimal) -> Value {
    // A JSON number as written: digests read numbers as text, so no float rounding.
    serde_json::from_str::<Value>(&d.normalize().to_string()).unwrap_or(Value::Null)
}

fn ist() -> FixedOffset {
    FixedOffset::east_opt(330 * 60).expect("IST")
}

fn time(t: DateTime<Utc>) -> String {
    t.with_timezone(&ist()).to_rfc3339_opts(SecondsFormat::Millis, false)
}

fn quantity(code: &str, kg: Option<Decimal>) -> Vec<Value> {
    let mut q = Map::new();
    q.insert("epcClass".into(), json!(lot_uri(code)));
    if let Some(kg) = kg {
        q.insert("quantity".into(), number(kg));
        q.insert("uom".into(), json!("KGM"));
    }
    vec![Value::Object(q)]
}

/// Each kind's EPCIS action, business step and disposition (CBV terms).
fn vocabulary(kind: EventKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        EventKind::Harvested => ("ADD", "commissioning", "active"),
        EventKind::Graded => ("OBSERVE", "inspecting", "active"),
        EventKind::Packed => ("ADD", "packing", "active"),
        EventKind::ColdStored => ("OBSERVE", "storing", "in_progress"),
        EventKind::LabTested => ("OBSERVE", "inspecting", "active"),
        EventKind::Certified => ("OBSERVE", "inspecting", "active"),
        EventKind::Shipped => ("OBSERVE", "shipping", "in_transit"),
        EventKind::InTransit => ("OBSERVE", "transporting", "in_transit"),
        EventKind::Received => ("OBSERVE", "receiving", "in_progress"),
        EventKind::TemperatureReading => ("OBSERVE", "sensor_reporting", "active"),
        EventKind::Sold => ("OBSERVE", "retail_selling", "retail_sold"),
    }
}

fn certificate_uri(number: &str) -> String {
    format!("urn:mandi:certificate:{}", number.replace(' ', "%20"))
}

/// A decimal as the text of the JSON number the event carries.
fn d_text(d: Decimal) -> String {
    d.normalize().to_string()
}

/// The EPCIS event of `facts` about `lot`, recorded at `recorded_at`.
pub fn event(lot: &Lot<'_>, facts: &EventFacts, recorded_at: DateTime<Utc>) -> Value {
    let mut e = Map::new();
    let aggregation = facts.kind == EventKind::Packed;
    e.insert("type".into(), json!(if aggregation { "AggregationEvent" } else { "ObjectEvent" }));
    e.insert("eventID".into(), json!(format!("urn:uuid:{}", facts.id)));
    e.insert("eventTime".into(), json!(time(facts.occurred_at)));
    e.insert("eventTimeZoneOffset".into(), json!("+05:30"));
    e.insert("recordTime".into(), json!(time(recorded_at)));
    let (action, biz_step, disposition) = vocabulary(facts.kind);
    if aggregation {
        // The packs made from the lot: one parent per packing event.
        e.insert("parentID".into(), json!(format!("urn:mandi:pack:{}", facts.id)));
        e.insert("childEPCs".into(), json!([]));
        e.insert("childQuantityList".into(), Value::Array(quantity(lot.code, facts.quantity_kg)));
    } else {
        e.insert("epcList".into(), json!([]));
        e.insert("quantityList".into(), Value::Array(quantity(lot.code, facts.quantity_kg)));
    }
    e.insert("action".into(), json!(action));
    e.insert("bizStep".into(), json!(biz_step));
    e.insert("disposition".into(), json!(disposition));
    if facts.kind == EventKind::Harvested {
        e.insert("bizLocation".into(), json!({ "id": farm_uri(lot.farm_id) }));
        e.insert("ilmd".into(), json!({ "cbvmda:lotNumber": lot.code, "mandi:crop": lot.crop }));
    }
    if let Some(cert) = &facts.certificate {
        e.insert(
            "certificationInfo".into(),
            json!(format!("urn:mandi:certificate:{}", cert.number.replace(' ', "%20"))),
        );
        e.insert(
            "mandi:certificate".into(),
            json!({
                "mandi:scheme": cert.scheme, "mandi:issuer": cert.issuer, "mandi:number": cert.number,
                "mandi:validFrom": cert.valid_from.to_string(), "mandi:validUntil": cert.valid_until.to_string(),
            }),
        );
    }
    if let Some(t) = facts.temperature_c {
        e.insert(
            "sensorElementList".into(),
            json!([{
                "sensorMetadata": { "time": time(facts.occurred_at) },
                "sensorReport": [{ "type": "Temperature", "value": number(t), "uom": "CEL" }],
            }]),
        );
    }
    if let Some(lab) = &facts.lab {
        e.insert(
            "mandi:labResult".into(),
            json!({
                "mandi:test": lab.test, "mandi:analyteGroup": lab.analyte_group,
                "mandi:value": number(lab.value), "mandi:unit": lab.unit,
                "mandi:limit": number(lab.limit), "mandi:limitKind": lab.limit_kind,
                "mandi:lab": lab.lab, "mandi:reportNumber": lab.report_number,
            }),
        );
    }
    if let Some(c) = facts.cold_chain {
        e.insert(
            "mandi:coldChain".into(),
            json!({ "mandi:minC": number(c.min_c), "mandi:maxC": number(c.max_c), "mandi:excursion": c.excursion }),
        );
    }
    e.insert("mandi:kind".into(), json!(facts.kind.as_str()));
    for (key, value) in [("mandi:place", &facts.place), ("mandi:actor", &facts.actor), ("mandi:note", &facts.note)] {
        if !value.is_empty() {
            e.insert(key.into(), json!(value));
        }
    }
    Value::Object(e)
}

/// The prefixes every event of ours is read with.
pub fn prefixes() -> Prefixes {
    event_hash::prefixes(&json!({ "@context": [CONTEXT, { "mandi": NAMESPACE }] }))
}

/// The event's own digest (GS1 event hash), from its pre-hash string as
/// [`prehash`] writes it.
pub fn digest(lot: &Lot<'_>, facts: &EventFacts, prefixes: &Prefixes) -> String {
    event_hash::digest(&prehash(lot, facts, prefixes))
}

/// The bizStep, disposition and sensor type of each kind as the canonical form writes
/// them, worked out once by the general algorithm's own functions.
struct Steps {
    biz_step: String,
    disposition: String,
}

fn steps(kind: EventKind) -> &'static Steps {
    static STEPS: std::sync::LazyLock<Vec<Steps>> = std::sync::LazyLock::new(|| {
        EventKind::ALL
            .iter()
            .map(|k| {
                let (_, biz_step, disposition) = vocabulary(*k);
                Steps {
                    biz_step: event_hash::canon(&event_hash::expand_bare("bizStep", biz_step)),
                    disposition: event_hash::canon(&event_hash::expand_bare("disposition", disposition)),
                }
            })
            .collect()
    });
    &STEPS[EventKind::ALL.iter().position(|k| *k == kind).expect("every kind is listed")]
}

fn temperature_type() -> &'static str {
    static TYPE: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| event_hash::canon(&event_hash::expand_bare("sensorReport.type", "Temperature")));
    &TYPE
}

/// GS1's canonical pre-hash string of [`event`]`(lot, facts, _)`, written straight from
/// the facts: the same string the general algorithm (`event_hash::prehash`) makes of the
/// JSON-LD event, which a property test checks on every kind of event and on hostile
/// text, at a fraction of the cost (no JSON to build, copy and walk). Verifying a long
/// history is this, once per event.
pub fn prehash(lot: &Lot<'_>, facts: &EventFacts, ns: &Prefixes) -> String {
    use event_hash::{canon, canon_time, expand_key, expand_value};
    // A scalar of the ordered part (`key=value`, nothing when empty).
    let ordered = |out: &mut String, key: &str, text: &str| {
        let text = canon(&expand_value(text, ns));
        if !text.is_empty() {
            out.push_str(key);
            out.push('=');
            out.push_str(&text);
        }
    };
    // A scalar of the tail or of an object in it (`key` alone when empty).
    let tail_scalar = |key: &str, text: &str| -> String {
        let text = expand_value(text, ns);
        let text = text.trim();
        if text.is_empty() { key.to_string() } else { format!("{key}={}", canon(text)) }
    };
    let tail_number = |key: &str, d: Decimal| -> String { format!("{key}={}", canon(&d.normalize().to_string())) };
    let object = |key: &str, mut kids: Vec<String>| -> String {
        kids.sort();
        format!("{key}{}", kids.concat())
    };
    let m = |local: &str| expand_key(&format!("mandi:{local}"), ns);

    let mut out = String::with_capacity(640);
    let aggregation = facts.kind == EventKind::Packed;
    out.push_str(if aggregation { "eventType=AggregationEvent" } else { "eventType=ObjectEvent" });
    let at = time(facts.occurred_at);
    out.push_str("eventTime=");
    out.push_str(&canon_time(&at));
    ordered(&mut out, "eventTimeZoneOffset", "+05:30");
    if let Some(cert) = &facts.certificate {
        ordered(&mut out, "certificationInfo", &certificate_uri(&cert.number));
    }
    if aggregation {
        ordered(&mut out, "parentID", &format!("urn:mandi:pack:{}", facts.id));
    }
    let mut quantity = String::from("quantityElement");
    ordered(&mut quantity, "epcClass", &lot_uri(lot.code));
    if let Some(kg) = facts.quantity_kg {
        ordered(&mut quantity, "quantity", &d_text(kg));
        ordered(&mut quantity, "uom", "KGM");
    }
    out.push_str(if aggregation { "childQuantityList" } else { "quantityList" });
    out.push_str(&quantity);
    let (action, _, _) = vocabulary(facts.kind);
    ordered(&mut out, "action", action);
    let steps = steps(facts.kind);
    out.push_str("bizStep=");
    out.push_str(&steps.biz_step);
    out.push_str("disposition=");
    out.push_str(&steps.disposition);
    if facts.kind == EventKind::Harvested {
        out.push_str("bizLocation");
        ordered(&mut out, "id", &farm_uri(lot.farm_id));
    }
    if let Some(t) = facts.temperature_c {
        out.push_str("sensorElementListsensorElementsensorMetadata");
        out.push_str("time=");
        out.push_str(&canon_time(&at));
        out.push_str("sensorReport");
        out.push_str("type=");
        out.push_str(temperature_type());
        ordered(&mut out, "value", &d_text(t));
        ordered(&mut out, "uom", "CEL");
    }
    let mut tail: Vec<String> = Vec::with_capacity(8);
    if facts.kind == EventKind::Harvested {
        tail.push(object(
            "ilmd",
            vec![tail_scalar(&expand_key("cbvmda:lotNumber", ns), lot.code), tail_scalar(&m("crop"), lot.crop)],
        ));
    }
    if let Some(cert) = &facts.certificate {
        tail.push(object(
            &m("certificate"),
            vec![
                tail_scalar(&m("scheme"), &cert.scheme),
                tail_scalar(&m("issuer"), &cert.issuer),
                tail_scalar(&m("number"), &cert.number),
                tail_scalar(&m("validFrom"), &cert.valid_from.to_string()),
                tail_scalar(&m("validUntil"), &cert.valid_until.to_string()),
            ],
        ));
    }
    if let Some(lab) = &facts.lab {
        tail.push(object(
            &m("labResult"),
            vec![
                tail_scalar(&m("test"), &lab.test),
                tail_scalar(&m("analyteGroup"), &lab.analyte_group),
                tail_number(&m("value"), lab.value),
                tail_scalar(&m("unit"), &lab.unit),
                tail_number(&m("limit"), lab.limit),
                tail_scalar(&m("limitKind"), &lab.limit_kind),
                tail_scalar(&m("lab"), &lab.lab),
                tail_scalar(&m("reportNumber"), &lab.report_number),
            ],
        ));
    }
    if let Some(c) = facts.cold_chain {
        tail.push(object(
            &m("coldChain"),
            vec![
                tail_number(&m("minC"), c.min_c),
                tail_number(&m("maxC"), c.max_c),
                format!("{}={}", m("excursion"), canon(if c.excursion { "true" } else { "false" })),
            ],
        ));
    }
    tail.push(tail_scalar(&m("kind"), facts.kind.as_str()));
    for (key, value) in [("place", &facts.place), ("actor", &facts.actor), ("note", &facts.note)] {
        if !value.is_empty() {
            tail.push(tail_scalar(&m(key), value));
        }
    }
    tail.sort();
    out.push_str(&tail.concat());
    out
}

/// An EPCIS document of a lot's events, created at `now`.
pub fn document(events: Vec<Value>, now: DateTime<Utc>) -> Value {
    json!({
        "@context": [CONTEXT, { "mandi": NAMESPACE, "cbvmda": "urn:epcglobal:cbv:mda:" }],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": time(now),
        "epcisBody": { "eventList": events },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::batch_event::{CertificateFacts, ColdChainCheck, LabFacts};
    use proptest::prelude::*;

    /// Text as people type it, and as an attacker would: colons that look like
    /// prefixes, CBV URNs, numbers, Digital Links, blanks, other scripts.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -~]{0,24}",
            Just(String::new()),
            Just("  ".to_string()),
            Just("gs1:Temperature".to_string()),
            Just("urn:epcglobal:cbv:bizstep:shipping".to_string()),
            Just("https://id.gs1.org/01/09506000134352/10/LOT7".to_string()),
            Just("urn:epc:id:sgtin:0614141.107346.2017".to_string()),
            Just("1e3".to_string()),
            Just("007".to_string()),
            Just("0.50".to_string()),
            Just("true".to_string()),
            Just("குளிர் அறை 2".to_string()),
            Just("mandi:place".to_string()),
        ]
    }

    fn decimal() -> impl Strategy<Value = Decimal> {
        (-9_999_999i64..9_999_999, 0u32..5).prop_map(|(n, scale)| Decimal::new(n, scale))
    }

    fn any_facts() -> impl Strategy<Value = EventFacts> {
        (
            (0usize..EventKind::ALL.len(), 0i64..4_000_000_000, 0u32..1000, text(), text(), text()),
            (proptest::option::of(decimal()), proptest::option::of(decimal().prop_map(|d| d.abs() + Decimal::ONE))),
            proptest::option::of((
                text(),
                text(),
                decimal().prop_map(|d| d.abs()),
                text(),
                decimal().prop_map(|d| d.abs()),
                any::<bool>(),
                text(),
                text(),
            )),
            proptest::option::of((text(), text(), text(), 0u32..20_000, 0u32..400)),
            proptest::option::of((decimal(), decimal(), any::<bool>())),
        )
            .prop_map(
                |((kind, secs, millis, place, actor, note), (temperature_c, quantity_kg), lab, cert, cold)| {
                    EventFacts {
                        id: Uuid::from_u128(secs as u128 * 7919),
                        kind: EventKind::ALL[kind],
                        occurred_at: DateTime::from_timestamp(secs, millis * 1_000_000).unwrap(),
                        place,
                        temperature_c,
                        actor,
                        quantity_kg,
                        note,
                        lab: lab.map(|(test, analyte_group, value, unit, limit, min, lab, report_number)| LabFacts {
                            test,
                            analyte_group,
                            value,
                            unit,
                            limit,
                            limit_kind: if min { "min" } else { "max" }.into(),
                            lab,
                            report_number,
                        }),
                        certificate: cert.map(|(scheme, issuer, number, from, days)| {
                            let valid_from =
                                chrono::NaiveDate::from_num_days_from_ce_opt(730_000 + from as i32).unwrap();
                            CertificateFacts {
                                scheme,
                                issuer,
                                number,
                                valid_from,
                                valid_until: valid_from + chrono::Days::new(days.into()),
                            }
                        }),
                        cold_chain: cold.map(|(min_c, max_c, excursion)| ColdChainCheck { min_c, max_c, excursion }),
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]
        #[test]
        fn the_written_pre_hash_is_the_general_algorithms(f in any_facts(), code in "[A-Z0-9][A-Z0-9-]{2,39}", crop in text()) {
            let ns = prefixes();
            let lot = Lot { code: &code, farm_id: Uuid::from_u128(42), crop: &crop };
            let general = event_hash::prehash(&event(&lot, &f, Utc::now()), &ns);
            prop_assert_eq!(prehash(&lot, &f, &ns), general);
        }
    }

    fn facts(kind: EventKind) -> EventFacts {
        EventFacts {
            id: Uuid::nil(),
            kind,
            occurred_at: DateTime::parse_from_rfc3339("2026-12-06T05:30:00+05:30").unwrap().with_timezone(&Utc),
            place: "Packhouse, Coonoor".into(),
            temperature_c: Some(Decimal::new(45, 1)),
            actor: "Packhouse team".into(),
            quantity_kg: Some(Decimal::new(12500, 3)),
            note: String::new(),
            lab: None,
            certificate: None,
            cold_chain: Some(ColdChainCheck { min_c: Decimal::from(2), max_c: Decimal::from(8), excursion: false }),
        }
    }
    fn lot() -> Lot<'static> {
        Lot { code: "GH-VEG-000001", farm_id: Uuid::nil(), crop: "Carrot" }
    }

    #[test]
    fn kinds_map_to_event_types_and_steps() {
        let packed = event(&lot(), &facts(EventKind::Packed), Utc::now());
        assert_eq!(packed["type"], "AggregationEvent");
        assert_eq!(packed["childQuantityList"][0]["quantity"], json!(12.5));
        let harvest = event(&lot(), &facts(EventKind::Harvested), Utc::now());
        assert_eq!(
            (harvest["type"].as_str(), harvest["bizStep"].as_str()),
            (Some("ObjectEvent"), Some("commissioning"))
        );
        assert_eq!(harvest["ilmd"]["cbvmda:lotNumber"], "GH-VEG-000001");
        let shipped = event(&lot(), &facts(EventKind::Shipped), Utc::now());
        assert_eq!((shipped["action"].as_str(), shipped["bizStep"].as_str()), (Some("OBSERVE"), Some("shipping")));
        assert_eq!(shipped["sensorElementList"][0]["sensorReport"][0]["value"], json!(4.5));
        assert_eq!(shipped["eventTime"], "2026-12-06T05:30:00.000+05:30");
    }

    #[test]
    fn the_digest_covers_every_fact_but_not_the_recording_time() {
        let ns = prefixes();
        let base = facts(EventKind::LabTested);
        let d = digest(&lot(), &base, &ns);
        assert!(d.starts_with("ni:///sha-256;") && d.ends_with("?ver=CBV2.0"));
        let mut changes: Vec<EventFacts> = Vec::new();
        let mut f = base.clone();
        f.place = "Cold room 2".into();
        changes.push(f);
        let mut f = base.clone();
        f.actor = "Someone else".into();
        changes.push(f);
        let mut f = base.clone();
        f.temperature_c = Some(Decimal::new(46, 1));
        changes.push(f);
        let mut f = base.clone();
        f.cold_chain = Some(ColdChainCheck { min_c: Decimal::from(2), max_c: Decimal::from(8), excursion: true });
        changes.push(f);
        let mut f = base.clone();
        f.lab = Some(LabFacts {
            test: "Lead".into(),
            analyte_group: "heavy_metal".into(),
            value: Decimal::new(1, 2),
            unit: "mg/kg".into(),
            limit: Decimal::new(1, 1),
            limit_kind: "max".into(),
            lab: "Vimta".into(),
            report_number: "V-1".into(),
        });
        changes.push(f);
        let mut f = base.clone();
        f.occurred_at += chrono::Duration::seconds(1);
        changes.push(f);
        let mut f = base.clone();
        f.quantity_kg = None;
        changes.push(f);
        for changed in &changes {
            assert_ne!(digest(&lot(), changed, &ns), d, "{changed:?}");
        }
        assert_ne!(digest(&Lot { code: "GH-VEG-000002", ..lot() }, &base, &ns), d);
        let a = event_hash::event_hash(&event(&lot(), &base, Utc::now()), &ns);
        assert_eq!(a, d, "when it was recorded is not part of what happened");
    }
}
