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

/// The EPCIS event of `facts` about `lot`, recorded at `recorded_at`.
pub fn event(lot: &Lot<'_>, facts: &EventFacts, recorded_at: DateTime<Utc>) -> Value {
    let mut e = Map::new();
    let aggregation = facts.kind == EventKind::Packed;
    e.insert("type".into(), json!(if aggregation { "AggregationEvent" } else { "ObjectEvent" }));
    e.insert("eventID".into(), json!(format!("urn:uuid:{}", facts.id)));
    e.insert("eventTime".into(), json!(time(facts.occurred_at)));
    e.insert("eventTimeZoneOffset".into(), json!("+05:30"));
    e.insert("recordTime".into(), json!(time(recorded_at)));
    let (action, biz_step, disposition) = match facts.kind {
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
    };
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

/// The event's own digest (GS1 event hash).
pub fn digest(lot: &Lot<'_>, facts: &EventFacts, prefixes: &Prefixes) -> String {
    // recordTime is not part of the digest (the algorithm ignores it).
    event_hash::event_hash(&event(lot, facts, facts.occurred_at), prefixes)
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
    use crate::domain::batch_event::{ColdChainCheck, LabFacts};

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
