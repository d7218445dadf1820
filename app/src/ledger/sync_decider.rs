//! How one batch of mutations is decided: what it needs is read once (locking the
//! entries it names), then each mutation is checked, priced, merged with what the
//! server holds or refused, in memory, in order. `sync_push` writes the outcome.

use super::context::LedgerCaller;
use super::entry_rows::{ENTRY_COLUMNS, EntryRow, grams};
use super::model::*;
use super::reference_service::{self, Settings};
use crate::domain::entry_merge::{EntryState, EntryStatus, FieldMerge, KeptReason, Merge, merge_edit};
use crate::domain::kilograms::Kg;
use crate::domain::ledger_entry::{self, RateSource, Reject, price_entry};
use crate::domain::market_slot::{self, MarketSlot};
use crate::domain::money::Money;
use crate::error::AppError;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What one push or direct save needs to decide its mutations, loaded once.
pub(super) struct Decider<'a> {
    pub(super) caller: &'a LedgerCaller,
    pub(super) device: Option<Uuid>,
    settings: Settings,
    slots: Vec<MarketSlot>,
    rates: HashMap<(NaiveDate, Uuid, Uuid), Money>,
    farmers: HashSet<Uuid>,
    flowers: HashSet<Uuid>,
    pub(super) now: DateTime<Utc>,
    /// Entries as they stand after the mutations decided so far.
    pub(super) entries: HashMap<Uuid, EntryRow>,
    /// Client ids whose rows existed before this transaction.
    pub(super) existing: HashSet<Uuid>,
    pub(super) changed: Vec<Uuid>,
    pub(super) history: Vec<History>,
    pub(super) conflicts: Vec<ConflictRecord>,
    pub(super) next_seq: i64,
}

pub(super) struct History {
    pub(super) client_id: Uuid,
    pub(super) change: &'static str,
    pub(super) row: EntryRow,
    pub(super) mutation_id: Option<i64>,
}

pub(super) struct ConflictRecord {
    pub(super) view: ConflictView,
    pub(super) market_date: NaiveDate,
    pub(super) before: EntryView,
    pub(super) after: EntryView,
}

/// One mutation, parsed as far as its shape goes; business checks come later.
enum Op {
    Create,
    Update,
    Delete,
}

/// A conflict as an update or a void met it, by name: the base and the device's
/// state are of one type, and swapped they would report the opposite edit.
struct ConflictSeen<'a> {
    mutation_id: i64,
    server: &'a EntryRow,
    base_version: i32,
    resolution: &'a str,
    reason: Option<KeptReason>,
    fields: Vec<FieldMerge>,
    base: &'a EntryState,
    mine: &'a EntryState,
    after: Option<EntryView>,
}

fn reject(mutation_id: i64, r: Reject, entry: Option<EntryView>) -> ItemResult {
    ItemResult {
        mutation_id,
        status: "rejected".into(),
        entry,
        reason: Some(r.code().into()),
        message: Some(r.message().into()),
        expected_mutation_id: None,
        conflict: None,
    }
}

fn malformed(mutation_id: i64, message: String) -> ItemResult {
    ItemResult {
        mutation_id,
        status: "rejected".into(),
        entry: None,
        reason: Some("MALFORMED".into()),
        message: Some(message),
        expected_mutation_id: None,
        conflict: None,
    }
}

fn done(mutation_id: i64, status: &str, entry: EntryView) -> ItemResult {
    ItemResult {
        mutation_id,
        status: status.into(),
        entry: Some(entry),
        reason: None,
        message: None,
        expected_mutation_id: None,
        conflict: None,
    }
}

pub(super) fn parse_uuid(raw: Option<&str>) -> Option<Uuid> {
    raw.and_then(|s| Uuid::parse_str(s.trim()).ok())
}

impl Decider<'_> {
    fn seq(&mut self) -> i64 {
        self.next_seq += 1;
        self.next_seq
    }

    fn record(&mut self, client_id: Uuid, change: &'static str, mutation_id: Option<i64>) {
        if !self.changed.contains(&client_id) {
            self.changed.push(client_id);
        }
        let row = self.entries[&client_id].clone();
        self.history.push(History { client_id, change, row, mutation_id });
    }

    fn override_rate(&self, raw: Option<&str>) -> Result<Option<Money>, Reject> {
        let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
        if !self.caller.edits_any() {
            return Err(Reject::RateOverrideForbidden);
        }
        match Money::parse(raw) {
            Ok(m) if m > Money::ZERO && m.amount() < Decimal::from(10_000_000) => Ok(Some(m)),
            _ => Err(Reject::RateInvalid),
        }
    }

    fn who_and_what(&self, farmer: Option<&str>, flower: Option<&str>) -> Result<(Uuid, Uuid), Reject> {
        let farmer = parse_uuid(farmer).filter(|f| self.farmers.contains(f)).ok_or(Reject::UnknownFarmer)?;
        let flower = parse_uuid(flower).filter(|f| self.flowers.contains(f)).ok_or(Reject::UnknownFlowerType)?;
        Ok((farmer, flower))
    }

    fn price(
        &self,
        date: NaiveDate,
        recorded_at: DateTime<Utc>,
        flower: Uuid,
        q: Kg,
        override_rate: Option<Money>,
    ) -> ledger_entry::Priced {
        price_entry(recorded_at, q, &self.slots, |slot| self.rates.get(&(date, flower, slot)).copied(), override_rate)
    }

    pub(super) fn decide(&mut self, m: &MutationInput) -> ItemResult {
        let id = m.mutation_id;
        let op = match m.op.as_str() {
            "create" => Op::Create,
            "update" => Op::Update,
            "delete" => Op::Delete,
            other => return malformed(id, format!("op {other:?} is not one of create, update, delete")),
        };
        let Some(client_id) = parse_uuid(Some(&m.entry.client_id)) else {
            return malformed(id, "entry.clientId must be a UUID".into());
        };
        match op {
            Op::Create => self.create(id, client_id, &m.entry),
            Op::Update => self.update(id, client_id, m),
            Op::Delete => self.delete(id, client_id, m),
        }
    }

    fn create(&mut self, id: i64, client_id: Uuid, e: &EntryInput) -> ItemResult {
        let parsed = (|| {
            let (farmer, flower) = self.who_and_what(e.farmer_id.as_deref(), e.flower_type_id.as_deref())?;
            let q = ledger_entry::check_quantity(e.quantity_kg.as_deref().unwrap_or(""), &self.settings.limits)?;
            let recorded_at = e
                .recorded_at
                .as_deref()
                .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
                .map(|t| t.with_timezone(&Utc))
                .ok_or(Reject::RecordedAtOutOfRange)?;
            let date = ledger_entry::check_recorded_at(recorded_at, self.now, &self.settings.limits)?;
            let override_rate = self.override_rate(e.rate_override.as_deref())?;
            Ok::<_, Reject>((farmer, flower, q, recorded_at, date, override_rate))
        })();
        let (farmer, flower, q, recorded_at, date, override_rate) = match parsed {
            Ok(p) => p,
            Err(r) => return reject(id, r, None),
        };
        if let Some(row) = self.entries.get(&client_id) {
            // The same entry created again (a tablet that lost its queue's numbering
            // and re-sent under a new device id): already here, nothing to add.
            let same = row.entered_by == self.caller.user
                && row.recorded_at == recorded_at
                && row.farmer_id == farmer
                && row.flower_type_id == flower
                && grams(row.quantity_kg) == q.grams();
            return if same { done(id, "duplicate", row.view()) } else { reject(id, Reject::ClientIdTaken, None) };
        }
        let priced = self.price(date, recorded_at, flower, q, override_rate);
        let seq = self.seq();
        let row = EntryRow {
            market_date: date,
            client_id,
            farmer_id: farmer,
            flower_type_id: flower,
            slot_id: priced.slot_id,
            recorded_at,
            quantity_kg: q.amount(),
            rate: priced.rate.map(Money::amount),
            total: priced.total.map(Money::amount),
            rate_source: priced.source.as_str().into(),
            status: EntryStatus::Recorded.as_str().into(),
            version: 1,
            change_seq: seq,
            entered_by: self.caller.user,
            device_id: self.device,
            settlement_id: None,
            updated_at: self.now,
        };
        self.entries.insert(client_id, row);
        self.record(client_id, "created", Some(id));
        done(id, "applied", self.entries[&client_id].view())
    }

    /// Checks that the caller may change this entry at all.
    fn editable(&self, row: &EntryRow) -> Result<(), Reject> {
        if row.entered_by != self.caller.user && !self.caller.edits_any() {
            return Err(Reject::NotYourEntry);
        }
        if row.settlement_id.is_some() {
            return Err(Reject::Settled);
        }
        Ok(())
    }

    fn update(&mut self, id: i64, client_id: Uuid, m: &MutationInput) -> ItemResult {
        let Some(row) = self.entries.get(&client_id).cloned() else {
            return reject(id, Reject::EntryNotFound, None);
        };
        if let Err(r) = self.editable(&row) {
            return reject(id, r, Some(row.view()));
        }
        let e = &m.entry;
        if let Some(at) = e.recorded_at.as_deref() {
            let same = DateTime::parse_from_rfc3339(at.trim()).is_ok_and(|t| t.with_timezone(&Utc) == row.recorded_at);
            if !same {
                return reject(id, Reject::ImmutableField, Some(row.view()));
            }
        }
        let theirs = row.state();
        let mine = (|| {
            let (farmer, flower) = self.who_and_what(
                Some(e.farmer_id.clone().unwrap_or_else(|| row.farmer_id.to_string()).as_str()),
                Some(e.flower_type_id.clone().unwrap_or_else(|| row.flower_type_id.to_string()).as_str()),
            )?;
            let q = match e.quantity_kg.as_deref() {
                Some(raw) => ledger_entry::check_quantity(raw, &self.settings.limits)?,
                None => theirs.quantity_kg,
            };
            Ok::<_, Reject>(EntryState {
                farmer_id: farmer,
                flower_type_id: flower,
                quantity_kg: q,
                status: EntryStatus::Recorded,
            })
        })();
        let mine = match mine {
            Ok(s) => s,
            Err(r) => return reject(id, r, Some(row.view())),
        };
        let override_rate = match self.override_rate(e.rate_override.as_deref()) {
            Ok(o) => o,
            Err(r) => return reject(id, r, Some(row.view())),
        };
        let base_version = m.base_version.unwrap_or(row.version);
        let concurrent = base_version != row.version;
        let base = if concurrent {
            let Some(b) = &m.base else {
                return malformed(
                    id,
                    "an update made from an older version must carry base (the fields at baseVersion)".into(),
                );
            };
            let (Some(farmer_id), Some(flower_type_id), Ok(quantity_kg)) =
                (parse_uuid(Some(&b.farmer_id)), parse_uuid(Some(&b.flower_type_id)), Kg::parse(&b.quantity_kg))
            else {
                return malformed(
                    id,
                    "base must hold farmerId, flowerTypeId and quantityKg as the device last saw them".into(),
                );
            };
            EntryState { farmer_id, flower_type_id, quantity_kg, status: EntryStatus::Recorded }
        } else {
            theirs
        };
        let outcome = merge_edit(&base, &mine, &theirs, self.settings.limits.max_kg);
        let (result, fields) = match outcome {
            Merge::FastForward(s) => (s, Vec::new()),
            Merge::Merged { result, fields } => (result, fields),
            Merge::ServerKept(reason) => {
                let conflict = self.conflict(ConflictSeen {
                    mutation_id: id,
                    server: &row,
                    base_version,
                    resolution: "server_kept",
                    reason: Some(reason),
                    fields: Vec::new(),
                    base: &base,
                    mine: &mine,
                    after: None,
                });
                return ItemResult {
                    mutation_id: id,
                    status: "conflict".into(),
                    entry: Some(row.view()),
                    reason: None,
                    message: None,
                    expected_mutation_id: None,
                    conflict: Some(conflict),
                };
            }
        };
        let rate_changes = override_rate.is_some();
        if result == theirs && !rate_changes {
            // Nothing to change (the device's edit is already what the server holds).
            return done(id, "applied", row.view());
        }
        let q = result.quantity_kg;
        let keep_override =
            row.rate_source == RateSource::Override.as_str() && result.flower_type_id == row.flower_type_id;
        let override_rate =
            override_rate.or_else(|| keep_override.then(|| row.rate.map(Money::from_decimal)).flatten());
        let priced = self.price(row.market_date, row.recorded_at, result.flower_type_id, q, override_rate);
        let seq = self.seq();
        let updated = EntryRow {
            farmer_id: result.farmer_id,
            flower_type_id: result.flower_type_id,
            quantity_kg: q.amount(),
            slot_id: priced.slot_id,
            rate: priced.rate.map(Money::amount),
            total: priced.total.map(Money::amount),
            rate_source: priced.source.as_str().into(),
            version: row.version + 1,
            change_seq: seq,
            updated_at: self.now,
            ..row.clone()
        };
        self.entries.insert(client_id, updated);
        if concurrent {
            self.record(client_id, "merged", Some(id));
            let after = self.entries[&client_id].view();
            let conflict = self.conflict(ConflictSeen {
                mutation_id: id,
                server: &row,
                base_version,
                resolution: "merged",
                reason: None,
                fields,
                base: &base,
                mine: &mine,
                after: Some(after.clone()),
            });
            ItemResult {
                mutation_id: id,
                status: "conflict".into(),
                entry: Some(after),
                reason: None,
                message: None,
                expected_mutation_id: None,
                conflict: Some(conflict),
            }
        } else {
            self.record(client_id, "edited", Some(id));
            done(id, "applied", self.entries[&client_id].view())
        }
    }

    fn delete(&mut self, id: i64, client_id: Uuid, m: &MutationInput) -> ItemResult {
        let Some(row) = self.entries.get(&client_id).cloned() else {
            return reject(id, Reject::EntryNotFound, None);
        };
        if let Err(r) = self.editable(&row) {
            return reject(id, r, Some(row.view()));
        }
        if row.status == EntryStatus::Void.as_str() {
            return done(id, "applied", row.view());
        }
        let base_version = m.base_version.unwrap_or(row.version);
        if base_version != row.version {
            // Someone changed the entry after this device last saw it: voiding what
            // they wrote unseen would lose it. Kept; the person confirms again.
            let state = row.state();
            let conflict = self.conflict(ConflictSeen {
                mutation_id: id,
                server: &row,
                base_version,
                resolution: "server_kept",
                reason: Some(KeptReason::ChangedSinceRead),
                fields: Vec::new(),
                base: &state,
                mine: &state,
                after: None,
            });
            return ItemResult {
                mutation_id: id,
                status: "conflict".into(),
                entry: Some(row.view()),
                reason: None,
                message: None,
                expected_mutation_id: None,
                conflict: Some(conflict),
            };
        }
        let seq = self.seq();
        let voided = EntryRow {
            status: EntryStatus::Void.as_str().into(),
            version: row.version + 1,
            change_seq: seq,
            updated_at: self.now,
            ..row
        };
        self.entries.insert(client_id, voided);
        self.record(client_id, "voided", Some(id));
        done(id, "applied", self.entries[&client_id].view())
    }

    fn conflict(&mut self, seen: ConflictSeen<'_>) -> ConflictView {
        let ConflictSeen { mutation_id, server, base_version, resolution, reason, fields, base, mine, after } = seen;
        let mut fields: Vec<FieldConflict> = fields
            .into_iter()
            .map(|f| FieldConflict {
                field: f.field.into(),
                base: f.base,
                mine: f.mine,
                theirs: f.theirs,
                result: f.result,
            })
            .collect();
        if fields.is_empty() && resolution == "server_kept" {
            let theirs = server.state();
            fields.push(FieldConflict {
                field: "quantityKg".into(),
                base: base.quantity_kg.to_string(),
                mine: mine.quantity_kg.to_string(),
                theirs: theirs.quantity_kg.to_string(),
                result: theirs.quantity_kg.to_string(),
            });
        }
        let view = ConflictView {
            id: Uuid::now_v7(),
            client_id: server.client_id,
            mutation_id,
            base_version,
            server_version: server.version,
            resolution: resolution.into(),
            reason: reason
                .map(|r| serde_json::to_value(r).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()),
            fields,
            created_at: self.now,
        };
        let before = server.view();
        self.conflicts.push(ConflictRecord {
            view: view.clone(),
            market_date: server.market_date,
            after: after.unwrap_or_else(|| before.clone()),
            before,
        });
        view
    }
}

/// Reads what a batch of mutations needs, locking the entries it names.
pub(super) async fn decider<'a>(
    tx: &mut PgConnection,
    caller: &'a LedgerCaller,
    device: Option<Uuid>,
    mutations: &[&MutationInput],
    next_seq: i64,
    now: DateTime<Utc>,
) -> Result<Decider<'a>, AppError> {
    let settings = reference_service::settings(tx, caller.tenant).await?;
    let slots = reference_service::slots(tx, caller.tenant).await?;
    let client_ids: Vec<Uuid> = mutations.iter().filter_map(|m| parse_uuid(Some(&m.entry.client_id))).collect();
    let rows: Vec<EntryRow> = sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE tenant_id = $1 AND client_id = ANY($2) ORDER BY client_id FOR UPDATE"
    ))
    .bind(caller.tenant)
    .bind(&client_ids)
    .fetch_all(&mut *tx)
    .await?;
    let mut named: Vec<Uuid> = Vec::new();
    for m in mutations {
        named.extend(parse_uuid(m.entry.farmer_id.as_deref()));
        named.extend(parse_uuid(m.entry.flower_type_id.as_deref()));
    }
    named.extend(rows.iter().flat_map(|r| [r.farmer_id, r.flower_type_id]));
    let farmers: HashSet<Uuid> =
        sqlx::query_scalar::<_, Uuid>("SELECT id FROM ledger_farmers WHERE tenant_id = $1 AND active AND id = ANY($2)")
            .bind(caller.tenant)
            .bind(&named)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    let flowers: HashSet<Uuid> = sqlx::query_scalar::<_, Uuid>(
        "SELECT id FROM ledger_flower_types WHERE tenant_id = $1 AND active AND id = ANY($2)",
    )
    .bind(caller.tenant)
    .bind(&named)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    // Rates of every market day the batch can touch: what back-dating allows, to now.
    let today = market_slot::market_date(now);
    let mut days: Vec<NaiveDate> = (0..=settings.limits.backdate_days).map(|d| today - Duration::days(d)).collect();
    days.push(today + Duration::days(1));
    days.extend(rows.iter().map(|r| r.market_date));
    let rates = reference_service::rates(tx, caller.tenant, &days).await?;
    let existing = rows.iter().map(|r| r.client_id).collect();
    Ok(Decider {
        caller,
        device,
        settings,
        slots,
        rates,
        farmers,
        flowers,
        now,
        entries: rows.into_iter().map(|r| (r.client_id, r)).collect(),
        existing,
        changed: Vec::new(),
        history: Vec::new(),
        conflicts: Vec::new(),
        next_seq,
    })
}
