//! Verifying a lot's history without the database: 10,000 stored events (a reefer's
//! log of temperatures), every GS1 digest recomputed from the row and the chain
//! walked, as `GET /api/v1/batches/{code}/verify` does uncached (target < 50 ms; the
//! server bench `trace` adds reading the rows). Plain timing loops, no harness.

use app::domain::batch_event::{ColdChainCheck, EventFacts, EventKind};
use app::domain::epcis::{self, Lot};
use app::domain::hash_chain;
use app::trace::chain_service::{ChainSubject, EventRow, verify_uncached};
use chrono::{Duration, Utc};
use rust_decimal::Decimal;
use std::time::Instant;
use uuid::Uuid;

fn main() {
    let lot = Lot { code: "BENCH-LONG-000001", farm_id: Uuid::now_v7(), crop: "Carrot" };
    let prefixes = epcis::prefixes();
    let start = Utc::now() - Duration::days(30);
    let kinds = [EventKind::ColdStored, EventKind::InTransit, EventKind::Received, EventKind::TemperatureReading];
    let mut rows = Vec::new();
    let mut head: Option<String> = None;
    for i in 0..10_000i64 {
        let facts = EventFacts {
            id: Uuid::now_v7(),
            kind: kinds[i as usize % 4],
            occurred_at: start + Duration::minutes(10 * i),
            place: format!("Reefer {}", i % 7),
            temperature_c: Some(Decimal::new(20 + i % 60, 1)),
            actor: "Cold chain desk".into(),
            quantity_kg: None,
            note: String::new(),
            lab: None,
            certificate: None,
            cold_chain: Some(ColdChainCheck { min_c: Decimal::from(2), max_c: Decimal::from(8), excursion: false }),
        };
        let digest = epcis::digest(&lot, &facts, &prefixes);
        let chain = hash_chain::link(&digest, head.as_deref());
        rows.push(EventRow {
            seq: i as i32 + 1,
            event_id: facts.id,
            kind: facts.kind.as_str().into(),
            occurred_at: facts.occurred_at,
            recorded_at: facts.occurred_at,
            place: facts.place.clone(),
            temperature_c: facts.temperature_c,
            actor: facts.actor.clone(),
            quantity_kg: None,
            note: String::new(),
            details: serde_json::to_value(facts.details()).unwrap(),
            event_hash: digest,
            chain_hash: chain.clone(),
        });
        head = Some(chain);
    }
    let subject = ChainSubject { id: Uuid::now_v7(), lot, chain_length: 10_000, chain_head: head.as_deref() };
    let mut times = Vec::new();
    for _ in 0..15 {
        let started = Instant::now();
        let verdict = verify_uncached(&subject, &rows);
        times.push(started.elapsed());
        assert!(verdict.intact());
    }
    times.sort();
    println!(
        "verify 10,000 events from their rows (digests and links, uncached): p50 {:.1} ms, max {:.1} ms (target < 50 ms)",
        times[7].as_secs_f64() * 1e3,
        times[14].as_secs_f64() * 1e3
    );
}
