//! A batch's hash-chained history: appending an event (one at a time per batch, under
//! the lock of its `batches` row), reading it back, verifying it, and sealing the
//! history recorded before the chain (handling checkpoints, lab results and lot
//! certificates) into it.

use super::model::*;
use crate::alerts::model::{Severity, SubjectType, kinds};
use crate::alerts::service::{NewAlert, open_in};
use crate::domain::batch_event::{
    CertificateFacts, ColdChainLimits, EventDetails, EventFacts, EventKind, LabFacts, judge,
};
use crate::domain::epcis::{self, Lot};
use crate::domain::event_hash::Prefixes;
use crate::domain::hash_chain::{self, Break, StoredLink, Verdict};
use crate::error::AppError;
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{FromRow, PgConnection};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use uuid::Uuid;

static PREFIXES: LazyLock<Prefixes> = LazyLock::new(epcis::prefixes);

/// A batch whose row this transaction has locked: appends to it wait for us.
#[derive(Debug, Clone, FromRow)]
pub struct LockedBatch {
    pub id: Uuid,
    pub code: String,
    pub farm_id: Uuid,
    pub crop: String,
    pub harvested_on: NaiveDate,
    pub chain_length: i32,
    pub chain_head: Option<String>,
}

impl LockedBatch {
    fn lot(&self) -> Lot<'_> {
        Lot { code: &self.code, farm_id: self.farm_id, crop: &self.crop }
    }
}

const LOCKED_COLUMNS: &str = "id, code, farm_id, crop, harvested_on, chain_length, chain_head";

/// Locks the tenant's batch `code` for an append; another tenant's is as unknown.
pub async fn lock_batch(conn: &mut PgConnection, tenant: Uuid, code: &str) -> Result<LockedBatch, AppError> {
    let code = normalize_code(code).ok_or_else(|| AppError::not_found("Batch"))?;
    sqlx::query_as(&format!("SELECT {LOCKED_COLUMNS} FROM batches WHERE tenant_id = $1 AND code = $2 FOR UPDATE"))
        .bind(tenant)
        .bind(&code)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::not_found("Batch"))
}

/// The crop's cold chain, if its admins set one.
pub async fn limits_for(
    conn: &mut PgConnection,
    tenant: Uuid,
    crop: &str,
) -> Result<Option<ColdChainLimits>, sqlx::Error> {
    let row: Option<(Decimal, Decimal)> =
        sqlx::query_as("SELECT min_c, max_c FROM cold_chain_limits WHERE tenant_id = $1 AND crop = $2")
            .bind(tenant)
            .bind(crop)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|(min_c, max_c)| ColdChainLimits { min_c, max_c }))
}

/// What an append did.
#[derive(Debug, Clone)]
pub struct Appended {
    pub view: BatchEventView,
    pub created: bool,
    pub alert: Option<Uuid>,
}

/// Appends `facts` to the locked batch's chain, in the caller's transaction. The same
/// event id again with the same facts answers the event already recorded; with other
/// facts (or on another batch) it is a conflict. A temperature outside the cold chain
/// opens one alert for the lot.
pub async fn append(
    conn: &mut PgConnection,
    tenant: Uuid,
    batch: &mut LockedBatch,
    facts: &EventFacts,
    recorded_by: Option<Uuid>,
) -> Result<Appended, AppError> {
    let digest = epcis::digest(&batch.lot(), facts, &PREFIXES);
    let earlier: Option<(Uuid, String)> =
        sqlx::query_as("SELECT batch_id, event_hash FROM batch_events WHERE tenant_id = $1 AND event_id = $2")
            .bind(tenant)
            .bind(facts.id)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((batch_id, event_hash)) = earlier {
        if batch_id != batch.id || event_hash != digest {
            return Err(AppError::conflict_on(
                &["eventId"],
                "an event with this id was recorded with other facts; use a new id for a new event",
            ));
        }
        let row: EventRow =
            sqlx::query_as(&format!("SELECT {EVENT_COLUMNS} FROM batch_events WHERE tenant_id = $1 AND event_id = $2"))
                .bind(tenant)
                .bind(facts.id)
                .fetch_one(&mut *conn)
                .await?;
        return Ok(Appended { view: row.view(), created: false, alert: None });
    }
    let seq = batch.chain_length + 1;
    let chain = hash_chain::link(&digest, batch.chain_head.as_deref());
    let details = serde_json::to_value(facts.details()).map_err(|e| AppError::internal("event details", e))?;
    let row: EventRow = sqlx::query_as(&format!(
        "INSERT INTO batch_events (tenant_id, batch_id, seq, event_id, kind, occurred_at, place, temperature_c,
                                   actor, quantity_kg, note, details, recorded_by, event_hash, chain_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         RETURNING {EVENT_COLUMNS}"
    ))
    .bind(tenant)
    .bind(batch.id)
    .bind(seq)
    .bind(facts.id)
    .bind(facts.kind.as_str())
    .bind(facts.occurred_at)
    .bind(&facts.place)
    .bind(facts.temperature_c)
    .bind(&facts.actor)
    .bind(facts.quantity_kg)
    .bind(&facts.note)
    .bind(&details)
    .bind(recorded_by)
    .bind(&digest)
    .bind(&chain)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("UPDATE batches SET chain_length = $3, chain_head = $4 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(batch.id)
        .bind(seq)
        .bind(&chain)
        .execute(&mut *conn)
        .await?;
    batch.chain_length = seq;
    batch.chain_head = Some(chain);
    let alert = match (facts.cold_chain, facts.temperature_c) {
        (Some(check), Some(t)) if check.excursion => {
            open_in(
                &mut *conn,
                NewAlert {
                    tenant,
                    kind: kinds::COLD_CHAIN_EXCURSION,
                    severity: Severity::Critical,
                    subject_type: SubjectType::Batch,
                    subject_id: batch.code.clone(),
                    title: format!(
                        "Lot {}: {} °C outside its cold chain ({}–{} °C)",
                        batch.code,
                        t.normalize(),
                        check.min_c.normalize(),
                        check.max_c.normalize()
                    ),
                    details: json!({
                        "code": batch.code, "crop": batch.crop, "temperatureC": t.normalize().to_string(),
                        "minC": check.min_c.normalize().to_string(), "maxC": check.max_c.normalize().to_string(),
                        "place": facts.place, "occurredAt": facts.occurred_at, "seq": seq,
                    }),
                },
            )
            .await?
        }
        _ => None,
    };
    Ok(Appended { view: row.view(), created: true, alert })
}

/// A delivered order's `sold` events: one per lot its lines came from, with the
/// quantity in kg (for goods sold by weight), in the order's transaction. Lots are
/// locked in code order, so two deliveries sharing lots cannot deadlock. The event id
/// follows from the order and the lot, so recording it twice records it once.
pub async fn record_sales(conn: &mut PgConnection, tenant: Uuid, order: Uuid) -> Result<usize, AppError> {
    let lots: Vec<(String, Decimal, String)> = sqlx::query_as(
        "SELECT b.code, sum(l.stock_quantity)::numeric, s.unit FROM order_lines l
         JOIN stock_items s ON s.tenant_id = l.tenant_id AND s.id = l.stock_item_id
         JOIN batches b ON b.tenant_id = s.tenant_id AND b.id = s.batch_id
         WHERE l.tenant_id = $1 AND l.order_id = $2
         GROUP BY b.code, s.unit ORDER BY b.code",
    )
    .bind(tenant)
    .bind(order)
    .fetch_all(&mut *conn)
    .await?;
    let seller: String =
        sqlx::query_scalar("SELECT name FROM tenants WHERE id = $1").bind(tenant).fetch_one(&mut *conn).await?;
    let now = Utc::now();
    for (code, quantity, unit) in &lots {
        let mut batch = lock_batch(conn, tenant, code).await?;
        let digest: [u8; 32] = Sha256::digest(format!("sold:{order}:{}", batch.id)).into();
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        let facts = EventFacts {
            id: uuid::Builder::from_random_bytes(id).into_uuid(),
            kind: EventKind::Sold,
            occurred_at: now.with_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000).unwrap_or(now),
            place: String::new(),
            temperature_c: None,
            actor: seller.clone(),
            quantity_kg: (unit == "g").then(|| (*quantity / Decimal::from(1000)).round_dp(3)).filter(|q| !q.is_zero()),
            note: String::new(),
            lab: None,
            certificate: None,
            cold_chain: None,
        };
        append(conn, tenant, &mut batch, &facts, None).await?;
    }
    Ok(lots.len())
}

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub seq: i32,
    pub event_id: Uuid,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub place: String,
    pub temperature_c: Option<Decimal>,
    pub actor: String,
    pub quantity_kg: Option<Decimal>,
    pub note: String,
    pub details: serde_json::Value,
    pub event_hash: String,
    pub chain_hash: String,
}

pub const EVENT_COLUMNS: &str = "seq, event_id, kind, occurred_at, recorded_at, place, temperature_c, actor, \
     quantity_kg, note, details, event_hash, chain_hash";

fn decimal(d: Decimal) -> String {
    d.normalize().to_string()
}

impl EventRow {
    /// The facts as stored; `None` when they no longer make an event (a row altered
    /// outside the app), which verification reports as altered.
    pub fn facts(&self) -> Option<EventFacts> {
        let details = EventDetails::deserialize(&self.details).ok()?;
        Some(EventFacts {
            id: self.event_id,
            kind: self.kind.parse().ok()?,
            occurred_at: self.occurred_at,
            place: self.place.clone(),
            temperature_c: self.temperature_c,
            actor: self.actor.clone(),
            quantity_kg: self.quantity_kg,
            note: self.note.clone(),
            lab: details.lab,
            certificate: details.certificate,
            cold_chain: details.cold_chain,
        })
    }

    pub fn view(&self) -> BatchEventView {
        let details: EventDetails = serde_json::from_value(self.details.clone()).unwrap_or_default();
        let on = self.occurred_at.with_timezone(&chrono::FixedOffset::east_opt(330 * 60).expect("IST")).date_naive();
        BatchEventView {
            seq: self.seq as i64,
            event_id: self.event_id,
            kind: self.kind.clone(),
            occurred_at: self.occurred_at,
            recorded_at: self.recorded_at,
            place: self.place.clone(),
            temperature_c: self.temperature_c.map(|t| format!("{t:.1}")),
            actor: self.actor.clone(),
            quantity_kg: self.quantity_kg.map(decimal),
            note: self.note.clone(),
            lab_result: details.lab.as_ref().map(|l| lab_view(l, on)),
            certificate: details.certificate.as_ref().map(|c| certificate_view(c, Utc::now().date_naive())),
            excursion: details.cold_chain.map(|c| c.excursion),
            event_hash: self.event_hash.clone(),
            chain_hash: self.chain_hash.clone(),
        }
    }
}

pub fn lab_view(l: &LabFacts, tested_on: NaiveDate) -> LabResultView {
    LabResultView {
        test: l.test.clone(),
        analyte_group: l.analyte_group.clone(),
        value: decimal(l.value),
        unit: l.unit.clone(),
        limit: decimal(l.limit),
        limit_kind: l.limit_kind.clone(),
        passed: l.passed(),
        lab: l.lab.clone(),
        tested_on,
        report_number: l.report_number.clone(),
    }
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(64).collect()
}

pub fn certificate_view(c: &CertificateFacts, today: NaiveDate) -> CertificationView {
    CertificationView {
        scheme: c.scheme.clone(),
        scheme_slug: slug(&c.scheme),
        issuer: c.issuer.clone(),
        number: c.number.clone(),
        valid_from: c.valid_from,
        valid_until: c.valid_until,
        expired: c.valid_until < today,
        scope: "batch".into(),
    }
}

/// A batch's events in recording order.
pub async fn events(conn: &mut PgConnection, tenant: Uuid, batch: Uuid) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {EVENT_COLUMNS} FROM batch_events WHERE tenant_id = $1 AND batch_id = $2 ORDER BY seq"
    ))
    .bind(tenant)
    .bind(batch)
    .fetch_all(&mut *conn)
    .await
}

/// What a verification is about: the lot, and the head its row recorded.
pub struct ChainSubject<'a> {
    pub id: Uuid,
    pub lot: Lot<'a>,
    pub chain_length: i64,
    pub chain_head: Option<&'a str>,
}

/// Verdicts already computed, by batch, with the fingerprint of the rows they were
/// computed from: the same rows give the same verdict, so a page that shows a long
/// history does not recompute every digest on every view. Any change to the rows (an
/// append, or an edit behind the app's back) changes the fingerprint.
static VERDICTS: LazyLock<Mutex<HashMap<Uuid, ([u8; 32], Verdict)>>> = LazyLock::new(Default::default);
const VERDICTS_KEPT: usize = 20_000;

fn fingerprint(subject: &ChainSubject<'_>, rows: &[EventRow]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(subject.lot.code.as_bytes());
    h.update(subject.lot.farm_id.as_bytes());
    h.update(subject.lot.crop.as_bytes());
    h.update(subject.chain_length.to_le_bytes());
    h.update(subject.chain_head.unwrap_or("-").as_bytes());
    for r in rows {
        for part in [
            &r.seq.to_string(),
            &r.event_id.to_string(),
            &r.kind,
            &r.occurred_at.to_rfc3339(),
            &r.place,
            &r.temperature_c.map(|t| t.to_string()).unwrap_or_default(),
            &r.actor,
            &r.quantity_kg.map(|t| t.to_string()).unwrap_or_default(),
            &r.note,
            &r.details.to_string(),
            &r.event_hash,
            &r.chain_hash,
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
    }
    h.finalize().into()
}

/// Recomputes every digest of `rows` (the batch's whole history, in order) and checks
/// the chain against the head its row recorded.
pub fn verify_rows(subject: &ChainSubject<'_>, rows: &[EventRow]) -> Verdict {
    let key = fingerprint(subject, rows);
    if let Some((k, verdict)) = VERDICTS.lock().expect("verdicts").get(&subject.id)
        && *k == key
    {
        return verdict.clone();
    }
    let verdict = verify_uncached(subject, rows);
    let mut cache = VERDICTS.lock().expect("verdicts");
    if cache.len() >= VERDICTS_KEPT {
        cache.clear();
    }
    cache.insert(subject.id, (key, verdict.clone()));
    verdict
}

/// [`verify_rows`] without the cache (what a benchmark of verification measures).
pub fn verify_uncached(subject: &ChainSubject<'_>, rows: &[EventRow]) -> Verdict {
    let recompute = |r: &EventRow| match r.facts() {
        Some(f) => epcis::digest(&subject.lot, &f, &PREFIXES),
        None => "unreadable".to_string(),
    };
    // Long histories are recomputed on two threads: the digests are independent.
    let recomputed: Vec<String> = if rows.len() >= 512 {
        let (a, b) = rows.split_at(rows.len() / 2);
        std::thread::scope(|s| {
            let second = s.spawn(|| b.iter().map(recompute).collect::<Vec<_>>());
            let mut first: Vec<String> = a.iter().map(recompute).collect();
            first.extend(second.join().expect("digest thread"));
            first
        })
    } else {
        rows.iter().map(recompute).collect()
    };
    let links: Vec<StoredLink> = rows
        .iter()
        .zip(recomputed)
        .map(|(r, recomputed_event_hash)| StoredLink {
            seq: r.seq as i64,
            stored_event_hash: r.event_hash.clone(),
            recomputed_event_hash,
            stored_chain_hash: r.chain_hash.clone(),
        })
        .collect();
    hash_chain::verify_to_head(&links, subject.chain_length, subject.chain_head)
}

/// The verdict in the words the trace page and the API give.
pub fn chain_state(verdict: &Verdict) -> ChainState {
    let (status, broken_at, problem, message) = match &verdict.first_break {
        None if verdict.events == 0 => ("empty", None, None, "Nothing has been recorded for this lot yet.".to_string()),
        None => (
            "intact",
            None,
            None,
            format!(
                "Verified: all {} events are exactly as they were recorded; none was changed, removed or slipped in.",
                verdict.events
            ),
        ),
        Some(Break::EventAltered { seq }) => (
            "broken",
            Some(*seq),
            Some("event_altered"),
            format!("Not verified: event #{seq} was changed after it was recorded."),
        ),
        Some(Break::ChainAltered { seq }) => (
            "broken",
            Some(*seq),
            Some("chain_altered"),
            format!(
                "Not verified: the history does not add up at event #{seq}; an event before it was removed or inserted."
            ),
        ),
        Some(Break::SequenceGap { expected, .. }) => (
            "broken",
            Some(*expected),
            Some("sequence_gap"),
            format!("Not verified: event #{expected} is missing from the history."),
        ),
        Some(Break::Truncated { seq, recorded }) => (
            "broken",
            Some(seq + 1),
            Some("truncated"),
            format!("Not verified: {recorded} events were recorded but only {seq} remain."),
        ),
    };
    ChainState {
        status: status.into(),
        events: verdict.events as i64,
        head: verdict.head.clone(),
        broken_at,
        problem: problem.map(str::to_string),
        message,
        verified_at: Utc::now(),
    }
}

/// Seals history recorded before the chain: every batch with handling checkpoints, lab
/// results or lot certificates and no chain yet gets them as events, in the order they
/// happened (checkpoints at their time, a lab result at noon IST of its test day, a
/// certificate at the start of its validity), with the ids they had. Runs across
/// tenants in the caller's transaction, which must span tenants; a batch already
/// chained is left alone, so running it again does nothing. Returns the events sealed.
pub async fn seal_legacy(conn: &mut PgConnection) -> Result<usize, sqlx::Error> {
    // One sealer at a time (two app servers starting together).
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('mandi.seal_legacy_history'))").execute(&mut *conn).await?;
    let mut sealed = 0;
    loop {
        let batches: Vec<(Uuid, Uuid, String, Uuid, String)> = sqlx::query_as(
            "SELECT b.tenant_id, b.id, b.code, b.farm_id, b.crop FROM batches b
             WHERE b.chain_length = 0 AND (
                 EXISTS (SELECT 1 FROM handling_checkpoints c WHERE c.tenant_id = b.tenant_id AND c.batch_id = b.id)
                 OR EXISTS (SELECT 1 FROM lab_results l WHERE l.tenant_id = b.tenant_id AND l.batch_id = b.id)
                 OR EXISTS (SELECT 1 FROM certifications c WHERE c.tenant_id = b.tenant_id AND c.batch_id = b.id))
             ORDER BY b.tenant_id, b.id LIMIT 2000 FOR UPDATE OF b",
        )
        .fetch_all(&mut *conn)
        .await?;
        if batches.is_empty() {
            return Ok(sealed);
        }
        sealed += seal_some(conn, &batches).await?;
    }
}

type LegacyStop = (Uuid, Uuid, String, DateTime<Utc>, String, Option<Decimal>, String);
type LegacyLab = (Uuid, Uuid, String, String, Decimal, String, Decimal, String, String, NaiveDate, String);
type LegacyCert = (Uuid, Uuid, String, String, String, NaiveDate, NaiveDate);

async fn seal_some(
    conn: &mut PgConnection,
    batches: &[(Uuid, Uuid, String, Uuid, String)],
) -> Result<usize, sqlx::Error> {
    let ids: Vec<Uuid> = batches.iter().map(|b| b.1).collect();
    let stops: Vec<LegacyStop> = sqlx::query_as(
        "SELECT batch_id, id, stage, occurred_at, place, temperature_c, recorded_by
         FROM handling_checkpoints WHERE batch_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let labs: Vec<LegacyLab> = sqlx::query_as(
        "SELECT batch_id, id, test, analyte_group, value, unit, limit_value, limit_kind, lab_name, tested_on, report_number
         FROM lab_results WHERE batch_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let certs: Vec<LegacyCert> = sqlx::query_as(
        "SELECT batch_id, id, scheme, issuer, number, valid_from, valid_until
         FROM certifications WHERE batch_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let limits: Vec<(Uuid, String, Decimal, Decimal)> =
        sqlx::query_as("SELECT tenant_id, crop, min_c, max_c FROM cold_chain_limits").fetch_all(&mut *conn).await?;
    let limits: HashMap<(Uuid, &str), ColdChainLimits> =
        limits.iter().map(|(t, c, lo, hi)| ((*t, c.as_str()), ColdChainLimits { min_c: *lo, max_c: *hi })).collect();
    let noon = |d: NaiveDate| (d.and_hms_opt(12, 0, 0).expect("noon") - chrono::Duration::minutes(330)).and_utc();
    let morning = |d: NaiveDate| (d.and_hms_opt(9, 0, 0).expect("nine") - chrono::Duration::minutes(330)).and_utc();
    let mut per_batch: HashMap<Uuid, Vec<EventFacts>> = HashMap::new();
    let crop_of: HashMap<Uuid, (Uuid, &str)> = batches.iter().map(|b| (b.1, (b.0, b.4.as_str()))).collect();
    for (batch, id, stage, at, place, temperature_c, actor) in stops {
        let Some(kind) = EventKind::from_checkpoint_stage(&stage) else { continue };
        let limit = crop_of
            .get(&batch)
            .and_then(|(t, crop)| limits.get(&(*t, *crop)))
            .copied()
            .filter(|_| kind.in_cold_chain());
        per_batch.entry(batch).or_default().push(EventFacts {
            id,
            kind,
            occurred_at: at,
            place,
            cold_chain: temperature_c.zip(limit).map(|(t, l)| judge(t, l)),
            temperature_c,
            actor,
            quantity_kg: None,
            note: String::new(),
            lab: None,
            certificate: None,
        });
    }
    for (batch, id, test, analyte_group, value, unit, limit, limit_kind, lab, tested_on, report_number) in labs {
        per_batch.entry(batch).or_default().push(EventFacts {
            id,
            kind: EventKind::LabTested,
            occurred_at: noon(tested_on),
            place: String::new(),
            temperature_c: None,
            actor: lab.clone(),
            quantity_kg: None,
            note: String::new(),
            lab: Some(LabFacts { test, analyte_group, value, unit, limit, limit_kind, lab, report_number }),
            certificate: None,
            cold_chain: None,
        });
    }
    for (batch, id, scheme, issuer, number, valid_from, valid_until) in certs {
        per_batch.entry(batch).or_default().push(EventFacts {
            id,
            kind: EventKind::Certified,
            occurred_at: morning(valid_from),
            place: String::new(),
            temperature_c: None,
            actor: issuer.clone(),
            quantity_kg: None,
            note: String::new(),
            lab: None,
            certificate: Some(CertificateFacts { scheme, issuer, number, valid_from, valid_until }),
            cold_chain: None,
        });
    }
    let mut rows = SealRows::default();
    for (tenant, batch, code, farm, crop) in batches {
        let Some(mut facts) = per_batch.remove(batch) else { continue };
        facts.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then(a.id.cmp(&b.id)));
        let lot = Lot { code, farm_id: *farm, crop };
        let mut head: Option<String> = None;
        for (i, f) in facts.iter().enumerate() {
            let digest = epcis::digest(&lot, f, &PREFIXES);
            let chain = hash_chain::link(&digest, head.as_deref());
            rows.push(*tenant, *batch, i as i32 + 1, f, digest, chain.clone());
            head = Some(chain);
        }
        rows.heads.push((*tenant, *batch, facts.len() as i32, head.expect("at least one event")));
    }
    let sealed = rows.tenant.len();
    for chunk in (0..sealed).collect::<Vec<_>>().chunks(5_000) {
        let (lo, hi) = (chunk[0], chunk[chunk.len() - 1] + 1);
        sqlx::query(
            "INSERT INTO batch_events (tenant_id, batch_id, seq, event_id, kind, occurred_at, place, temperature_c,
                                       actor, quantity_kg, note, details, event_hash, chain_hash)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::int[], $4::uuid[], $5::text[], $6::timestamptz[],
                                  $7::text[], $8::numeric[], $9::text[], $10::numeric[], $11::text[], $12::jsonb[],
                                  $13::text[], $14::text[])",
        )
        .bind(&rows.tenant[lo..hi])
        .bind(&rows.batch[lo..hi])
        .bind(&rows.seq[lo..hi])
        .bind(&rows.event_id[lo..hi])
        .bind(&rows.kind[lo..hi])
        .bind(&rows.occurred_at[lo..hi])
        .bind(&rows.place[lo..hi])
        .bind(&rows.temperature_c[lo..hi])
        .bind(&rows.actor[lo..hi])
        .bind(&rows.quantity_kg[lo..hi])
        .bind(&rows.note[lo..hi])
        .bind(&rows.details[lo..hi])
        .bind(&rows.event_hash[lo..hi])
        .bind(&rows.chain_hash[lo..hi])
        .execute(&mut *conn)
        .await?;
    }
    let (tenants, ids, lengths, heads): (Vec<Uuid>, Vec<Uuid>, Vec<i32>, Vec<String>) =
        rows.heads.into_iter().fold(Default::default(), |mut acc, (t, b, n, h)| {
            acc.0.push(t);
            acc.1.push(b);
            acc.2.push(n);
            acc.3.push(h);
            acc
        });
    sqlx::query(
        "UPDATE batches b SET chain_length = h.n, chain_head = h.head
         FROM UNNEST($1::uuid[], $2::uuid[], $3::int[], $4::text[]) AS h (tenant_id, id, n, head)
         WHERE b.tenant_id = h.tenant_id AND b.id = h.id",
    )
    .bind(&tenants)
    .bind(&ids)
    .bind(&lengths)
    .bind(&heads)
    .execute(&mut *conn)
    .await?;
    Ok(sealed)
}

#[derive(Default)]
struct SealRows {
    tenant: Vec<Uuid>,
    batch: Vec<Uuid>,
    seq: Vec<i32>,
    event_id: Vec<Uuid>,
    kind: Vec<&'static str>,
    occurred_at: Vec<DateTime<Utc>>,
    place: Vec<String>,
    temperature_c: Vec<Option<Decimal>>,
    actor: Vec<String>,
    quantity_kg: Vec<Option<Decimal>>,
    note: Vec<String>,
    details: Vec<serde_json::Value>,
    event_hash: Vec<String>,
    chain_hash: Vec<String>,
    heads: Vec<(Uuid, Uuid, i32, String)>,
}

impl SealRows {
    fn push(&mut self, tenant: Uuid, batch: Uuid, seq: i32, f: &EventFacts, digest: String, chain: String) {
        self.tenant.push(tenant);
        self.batch.push(batch);
        self.seq.push(seq);
        self.event_id.push(f.id);
        self.kind.push(f.kind.as_str());
        self.occurred_at.push(f.occurred_at);
        self.place.push(f.place.clone());
        self.temperature_c.push(f.temperature_c);
        self.actor.push(f.actor.clone());
        self.quantity_kg.push(f.quantity_kg);
        self.note.push(f.note.clone());
        self.details.push(serde_json::to_value(f.details()).expect("details serialise"));
        self.event_hash.push(digest);
        self.chain_hash.push(chain);
    }
}
