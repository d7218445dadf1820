//! Tablet sync: Replicache's push protocol and a pull of changes since a cursor.
//!
//! Push: each device numbers its mutations 1, 2, 3, …. In one transaction the server
//! applies the ones after the device's `last_mutation_id`, in order, and stores the new
//! last id with them. A batch retried after a lost answer is all `duplicate`s; a batch
//! cut off before its commit rolled back whole and applies once when sent again; a
//! mutation after a missing one is refused (`MUTATION_GAP`) and not consumed. A
//! mutation that is applied, merged or refused is consumed either way, so one bad
//! entry never blocks the queue behind it, and a refused one's payload is kept in the
//! audit log: nothing typed is lost.
//!
//! Pull: every change takes the next number of the market's `change_seq`, under the
//! counter row's lock, so numbers become visible in order and "after N" misses none.

use super::context::{LedgerCaller, lock_counters};
use super::model::*;
use super::reference_service::{self, Settings};
use crate::audit::{self, Entry};
use crate::domain::entry_merge::{EntryState, EntryStatus, KeptReason, Merge, merge_edit};
use crate::domain::kilograms::Kg;
use crate::domain::ledger_entry::{self, RateSource, Reject, price_entry};
use crate::domain::market_slot::{self, MarketSlot};
use crate::domain::money::Money;
use crate::error::AppError;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{FromRow, PgConnection, PgPool};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// An entry row as stored.
#[derive(Debug, Clone, FromRow)]
pub struct EntryRow {
    pub market_date: NaiveDate,
    pub client_id: Uuid,
    pub farmer_id: Uuid,
    pub flower_type_id: Uuid,
    pub slot_id: Option<Uuid>,
    pub recorded_at: DateTime<Utc>,
    pub quantity_kg: Decimal,
    pub rate: Option<Decimal>,
    pub total: Option<Decimal>,
    pub rate_source: String,
    pub status: String,
    pub version: i32,
    pub change_seq: i64,
    pub entered_by: Uuid,
    pub device_id: Option<Uuid>,
    pub settlement_id: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
}

pub const ENTRY_COLUMNS: &str =
    "market_date, client_id, farmer_id, flower_type_id, slot_id, recorded_at, quantity_kg, rate, total,
    rate_source, status, version, change_seq, entered_by, device_id,
    ledger_entry_settlement(tenant_id, farmer_id, market_date, change_seq, status) AS settlement_id, updated_at";

impl EntryRow {
    pub fn view(&self) -> EntryView {
        EntryView {
            client_id: self.client_id,
            farmer_id: self.farmer_id,
            flower_type_id: self.flower_type_id,
            market_date: self.market_date,
            recorded_at: self.recorded_at,
            slot_id: self.slot_id,
            quantity_kg: Kg::from_grams(grams(self.quantity_kg)),
            rate: self.rate.map(Money::from_decimal),
            total: self.total.map(Money::from_decimal),
            rate_source: self.rate_source.clone(),
            status: self.status.clone(),
            version: self.version,
            entered_by: self.entered_by,
            device_id: self.device_id,
            settlement_id: self.settlement_id,
            updated_at: self.updated_at,
            change_seq: self.change_seq,
        }
    }

    fn state(&self) -> EntryState {
        EntryState {
            farmer_id: self.farmer_id,
            flower_type_id: self.flower_type_id,
            quantity_kg: Kg::from_grams(grams(self.quantity_kg)),
            status: EntryStatus::parse(&self.status).unwrap_or(EntryStatus::Recorded),
        }
    }
}

fn grams(kg: Decimal) -> i64 {
    i64::try_from((kg * Decimal::ONE_THOUSAND).trunc()).unwrap_or(i64::MAX)
}

/// What one push or direct save needs to decide its mutations, loaded once.
struct Decider<'a> {
    caller: &'a LedgerCaller,
    device: Option<Uuid>,
    settings: Settings,
    slots: Vec<MarketSlot>,
    rates: HashMap<(NaiveDate, Uuid, Uuid), Money>,
    farmers: HashSet<Uuid>,
    flowers: HashSet<Uuid>,
    now: DateTime<Utc>,
    /// Entries as they stand after the mutations decided so far.
    entries: HashMap<Uuid, EntryRow>,
    /// Client ids whose rows existed before this transaction.
    existing: HashSet<Uuid>,
    changed: Vec<Uuid>,
    history: Vec<History>,
    conflicts: Vec<ConflictRecord>,
    next_seq: i64,
}

struct History {
    client_id: Uuid,
    change: &'static str,
    row: EntryRow,
    mutation_id: Option<i64>,
}

struct ConflictRecord {
    view: ConflictView,
    market_date: NaiveDate,
    before: EntryView,
    after: EntryView,
}

/// One mutation, parsed as far as its shape goes; business checks come later.
enum Op {
    Create,
    Update,
    Delete,
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

fn parse_uuid(raw: Option<&str>) -> Option<Uuid> {
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

    fn decide(&mut self, m: &MutationInput) -> ItemResult {
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
                let conflict =
                    self.conflict(id, &row, base_version, "server_kept", Some(reason), Vec::new(), &base, &mine, None);
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
            let conflict =
                self.conflict(id, &row, base_version, "merged", None, fields, &base, &mine, Some(after.clone()));
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
            let conflict = self.conflict(
                id,
                &row,
                base_version,
                "server_kept",
                Some(KeptReason::ChangedSinceRead),
                Vec::new(),
                &state,
                &state,
                None,
            );
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

    #[allow(clippy::too_many_arguments)]
    fn conflict(
        &mut self,
        mutation_id: i64,
        server: &EntryRow,
        base_version: i32,
        resolution: &str,
        reason: Option<KeptReason>,
        fields: Vec<crate::domain::entry_merge::FieldMerge>,
        base: &EntryState,
        mine: &EntryState,
        after: Option<EntryView>,
    ) -> ConflictView {
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
async fn decider<'a>(
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

/// Writes what the decider decided: new rows, changed rows, their history, conflicts
/// and audit entries.
async fn write(tx: &mut PgConnection, d: &Decider<'_>, ip: Option<&str>) -> Result<(), AppError> {
    let tenant = d.caller.tenant;
    let (new, old): (Vec<&EntryRow>, Vec<&EntryRow>) =
        d.changed.iter().map(|id| &d.entries[id]).partition(|r| !d.existing.contains(&r.client_id));
    if !new.is_empty() {
        sqlx::query(
            "INSERT INTO ledger_entries (tenant_id, market_date, client_id, farmer_id, flower_type_id, slot_id, recorded_at,
                 quantity_kg, rate, total, rate_source, status, version, change_seq, entered_by, device_id, last_device_id,
                 updated_by, updated_at)
             SELECT $1, u.market_date, u.client_id, u.farmer_id, u.flower_type_id, u.slot_id, u.recorded_at, u.quantity_kg,
                    u.rate, u.total, u.rate_source, u.status, u.version, u.change_seq, $2, $3, $3, $2, $4
             FROM unnest($5::date[], $6::uuid[], $7::uuid[], $8::uuid[], $9::uuid[], $10::timestamptz[], $11::numeric[],
                         $12::numeric[], $13::numeric[], $14::text[], $15::text[], $16::int[], $17::int8[])
                  AS u(market_date, client_id, farmer_id, flower_type_id, slot_id, recorded_at, quantity_kg, rate, total,
                       rate_source, status, version, change_seq)",
        )
        .bind(tenant)
        .bind(d.caller.user)
        .bind(d.device)
        .bind(d.now)
        .bind(new.iter().map(|r| r.market_date).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.client_id).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.farmer_id).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.flower_type_id).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.slot_id).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.recorded_at).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.quantity_kg).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.rate).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.total).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.rate_source.as_str()).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.version).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.change_seq).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    if !old.is_empty() {
        sqlx::query(
            "UPDATE ledger_entries e SET farmer_id = u.farmer_id, flower_type_id = u.flower_type_id, slot_id = u.slot_id,
                    quantity_kg = u.quantity_kg, rate = u.rate, total = u.total, rate_source = u.rate_source, status = u.status,
                    version = u.version, change_seq = u.change_seq, last_device_id = $3, updated_by = $2, updated_at = $4
             FROM unnest($5::date[], $6::uuid[], $7::uuid[], $8::uuid[], $9::uuid[], $10::numeric[], $11::numeric[],
                         $12::numeric[], $13::text[], $14::text[], $15::int[], $16::int8[])
                  AS u(market_date, client_id, farmer_id, flower_type_id, slot_id, quantity_kg, rate, total, rate_source,
                       status, version, change_seq)
             WHERE e.tenant_id = $1 AND e.market_date = u.market_date AND e.client_id = u.client_id",
        )
        .bind(tenant)
        .bind(d.caller.user)
        .bind(d.device)
        .bind(d.now)
        .bind(old.iter().map(|r| r.market_date).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.client_id).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.farmer_id).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.flower_type_id).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.slot_id).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.quantity_kg).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.rate).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.total).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.rate_source.as_str()).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.version).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.change_seq).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    if !d.history.is_empty() {
        let h = &d.history;
        sqlx::query(
            "INSERT INTO ledger_entry_history (tenant_id, market_date, client_id, version, change, farmer_id, flower_type_id,
                 quantity_kg, rate, total, rate_source, status, actor_id, device_id, mutation_id, at)
             SELECT $1, u.market_date, u.client_id, u.version, u.change, u.farmer_id, u.flower_type_id, u.quantity_kg, u.rate,
                    u.total, u.rate_source, u.status, $2, $3, u.mutation_id, $4
             FROM unnest($5::date[], $6::uuid[], $7::int[], $8::text[], $9::uuid[], $10::uuid[], $11::numeric[],
                         $12::numeric[], $13::numeric[], $14::text[], $15::text[], $16::int8[])
                  AS u(market_date, client_id, version, change, farmer_id, flower_type_id, quantity_kg, rate, total,
                       rate_source, status, mutation_id)",
        )
        .bind(tenant)
        .bind(d.caller.user)
        .bind(d.device)
        .bind(d.now)
        .bind(h.iter().map(|x| x.row.market_date).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.client_id).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.version).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.change).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.farmer_id).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.flower_type_id).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.quantity_kg).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.rate).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.total).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.rate_source.as_str()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.status.as_str()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.mutation_id).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    for c in &d.conflicts {
        sqlx::query(
            "INSERT INTO ledger_sync_conflicts (tenant_id, id, market_date, client_id, device_id, mutation_id, actor_id,
                 base_version, server_version, result_version, resolution, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(tenant)
        .bind(c.view.id)
        .bind(c.market_date)
        .bind(c.view.client_id)
        .bind(d.device.unwrap_or(Uuid::nil()))
        .bind(c.view.mutation_id)
        .bind(d.caller.user)
        .bind(c.view.base_version)
        .bind(c.view.server_version)
        .bind((c.view.resolution == "merged").then_some(c.after.version))
        .bind(&c.view.resolution)
        .bind(serde_json::json!({ "reason": c.view.reason, "fields": c.view.fields }))
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            Entry {
                tenant: Some(tenant),
                actor: Some(d.caller.user),
                action: "ledger.entry.conflict",
                target: Some(format!("ledger_entry:{}", c.view.client_id)),
                before: serde_json::to_value(&c.before).ok(),
                after: Some(serde_json::json!({ "entry": c.after, "conflict": c.view })),
                ip,
            },
        )
        .await?;
    }
    Ok(())
}

fn bad_request(field: &str, message: impl Into<String>) -> AppError {
    AppError::validation(field, message)
}

/// Applies a device's batch of mutations (see the module notes).
pub async fn push(
    pool: &PgPool,
    caller: &LedgerCaller,
    req: &SyncRequest,
    now: DateTime<Utc>,
    ip: Option<&str>,
) -> Result<SyncResponse, AppError> {
    if req.protocol_version.is_some_and(|v| v != PROTOCOL_VERSION) {
        return Err(bad_request(
            "protocolVersion",
            "This app is out of date: reload to update (your entries are kept)",
        ));
    }
    let device = Uuid::parse_str(req.device_id.trim()).map_err(|_| bad_request("deviceId", "must be a UUID"))?;
    if req.mutations.len() > MAX_MUTATIONS_PER_PUSH {
        return Err(bad_request("mutations", format!("at most {MAX_MUTATIONS_PER_PUSH} mutations per push")));
    }
    if req.mutations.iter().any(|m| m.mutation_id < 1)
        || req.mutations.windows(2).any(|w| w[1].mutation_id <= w[0].mutation_id)
    {
        return Err(bad_request("mutations", "mutationId must start at 1 and rise strictly within a push"));
    }
    if req.app_version.as_deref().is_some_and(|v| v.len() > 100) {
        return Err(bad_request("appVersion", "at most 100 characters"));
    }
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let counters = lock_counters(&mut tx, caller.tenant).await?;
    sqlx::query(
        "INSERT INTO ledger_devices (tenant_id, device_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(caller.tenant)
    .bind(device)
    .bind(caller.user)
    .execute(&mut *tx)
    .await?;
    let (owner, last): (Uuid, i64) = sqlx::query_as(
        "SELECT user_id, last_mutation_id FROM ledger_devices WHERE tenant_id = $1 AND device_id = $2 FOR UPDATE",
    )
    .bind(caller.tenant)
    .bind(device)
    .fetch_one(&mut *tx)
    .await?;
    if owner != caller.user {
        return Err(AppError::Forbidden);
    }
    // Already applied / the contiguous run to apply now / after a gap (not consumed).
    let duplicates: Vec<&MutationInput> = req.mutations.iter().filter(|m| m.mutation_id <= last).collect();
    let mut run: Vec<&MutationInput> = Vec::new();
    let mut expected = last + 1;
    for m in req.mutations.iter().filter(|m| m.mutation_id > last) {
        if m.mutation_id != expected {
            break;
        }
        run.push(m);
        expected += 1;
    }
    let gapped: Vec<&MutationInput> = req
        .mutations
        .iter()
        .filter(|m| m.mutation_id >= expected && !run.iter().any(|r| r.mutation_id == m.mutation_id))
        .collect();

    let all: Vec<&MutationInput> = duplicates.iter().chain(run.iter()).copied().collect();
    let mut d = decider(&mut tx, caller, Some(device), &all, counters.change_seq, now).await?;
    let mut results: Vec<ItemResult> = duplicates
        .iter()
        .map(|m| {
            let entry = parse_uuid(Some(&m.entry.client_id)).and_then(|id| d.entries.get(&id)).map(EntryRow::view);
            ItemResult {
                mutation_id: m.mutation_id,
                status: "duplicate".into(),
                entry,
                reason: None,
                message: None,
                expected_mutation_id: None,
                conflict: None,
            }
        })
        .collect();
    let mut rejected = Vec::new();
    for m in &run {
        let r = d.decide(m);
        if r.status == "rejected" {
            rejected.push(serde_json::json!({ "mutation": m, "reason": r.reason, "message": r.message }));
        }
        results.push(r);
    }
    results.extend(gapped.iter().map(|m| ItemResult {
        mutation_id: m.mutation_id,
        status: "rejected".into(),
        entry: None,
        reason: Some(Reject::MutationGap.code().into()),
        message: Some(Reject::MutationGap.message().into()),
        expected_mutation_id: Some(expected),
        conflict: None,
    }));
    write(&mut tx, &d, ip).await?;
    let last_now = run.last().map_or(last, |m| m.mutation_id);
    sqlx::query(
        "UPDATE ledger_devices SET last_mutation_id = $3, last_push_at = $4, app_version = coalesce($5, app_version)
         WHERE tenant_id = $1 AND device_id = $2",
    )
    .bind(caller.tenant)
    .bind(device)
    .bind(last_now)
    .bind(now)
    .bind(req.app_version.as_deref())
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE ledger_counters SET change_seq = $2 WHERE tenant_id = $1")
        .bind(caller.tenant)
        .bind(d.next_seq)
        .execute(&mut *tx)
        .await?;
    if !run.is_empty() {
        let count = |s: &str| results.iter().filter(|r| r.status == s).count();
        audit::record(
            &mut *tx,
            Entry {
                tenant: Some(caller.tenant),
                actor: Some(caller.user),
                action: "ledger.sync",
                target: Some(format!("ledger_device:{device}")),
                before: None,
                after: Some(serde_json::json!({
                    "from": run[0].mutation_id, "to": last_now,
                    "applied": count("applied"), "conflict": count("conflict"), "rejected": count("rejected"),
                    "duplicate": duplicates.len(),
                    // What was refused, as typed: never lost, an admin can re-enter it.
                    "refused": rejected,
                })),
                ip,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(SyncResponse {
        device_id: device,
        last_mutation_id: last_now,
        reference_version: counters.reference_version,
        server_time: now,
        results,
    })
}

/// One entry saved directly (a browser online, a REST client): the same rules as a
/// synced create, idempotent on `clientId` (the same entry sent twice is one entry).
pub async fn save_direct(
    pool: &PgPool,
    caller: &LedgerCaller,
    entry: &EntryInput,
    now: DateTime<Utc>,
    ip: Option<&str>,
) -> Result<ItemResult, AppError> {
    let mutation =
        MutationInput { mutation_id: 1, op: "create".into(), base_version: None, base: None, entry: entry.clone() };
    if parse_uuid(Some(&entry.client_id)).is_none() {
        return Err(bad_request("clientId", "must be a UUID"));
    }
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let counters = lock_counters(&mut tx, caller.tenant).await?;
    let mut d = decider(&mut tx, caller, None, &[&mutation], counters.change_seq, now).await?;
    let result = d.decide(&mutation);
    if result.status == "rejected" {
        let code = result.reason.clone().unwrap_or_default();
        let field = match code.as_str() {
            "QUANTITY_INVALID" | "QUANTITY_TOO_LARGE" => "quantityKg",
            "UNKNOWN_FARMER" => "farmerId",
            "UNKNOWN_FLOWER_TYPE" => "flowerTypeId",
            "RECORDED_AT_OUT_OF_RANGE" => "recordedAt",
            "RATE_OVERRIDE_FORBIDDEN" | "RATE_INVALID" => "rateOverride",
            _ => "clientId",
        };
        return Err(bad_request(field, result.message.unwrap_or_default()));
    }
    write(&mut tx, &d, ip).await?;
    sqlx::query("UPDATE ledger_counters SET change_seq = $2 WHERE tenant_id = $1")
        .bind(caller.tenant)
        .bind(d.next_seq)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(result)
}

/// Changes made by others (other devices, admins' repricing) since `since`, oldest
/// first, on market days from `days` ago up to today.
pub async fn changes(
    pool: &PgPool,
    caller: &LedgerCaller,
    device: Option<Uuid>,
    since: i64,
    days: i64,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<ChangesPage, AppError> {
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    // Read first: every change numbered up to it is committed (numbers and counter
    // commit together under the counter lock), so the cursor never skips one.
    let (upto, reference_version): (i64, i64) =
        sqlx::query_as("SELECT change_seq, reference_version FROM ledger_counters WHERE tenant_id = $1")
            .bind(caller.tenant)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or((0, 1));
    let from_day = market_slot::market_date(now) - Duration::days(days.clamp(1, 31) - 1);
    let mut rows: Vec<EntryRow> = sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM ledger_entries
         WHERE tenant_id = $1 AND change_seq > $2 AND change_seq <= $3 AND market_date >= $4
           AND last_device_id IS DISTINCT FROM $5
         ORDER BY change_seq LIMIT $6"
    ))
    .bind(caller.tenant)
    .bind(since)
    .bind(upto)
    .bind(from_day)
    .bind(device)
    .bind(limit + 1)
    .fetch_all(&mut *tx)
    .await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let cursor = if has_more { rows.last().map_or(since, |r| r.change_seq) } else { upto.max(since) };
    let open_conflicts = match device {
        Some(device) => open_conflicts(&mut tx, caller.tenant, device).await?,
        None => Vec::new(),
    };
    tx.commit().await?;
    Ok(ChangesPage {
        entries: rows.iter().map(EntryRow::view).collect(),
        cursor,
        has_more,
        reference_version,
        open_conflicts,
    })
}

async fn open_conflicts(tx: &mut PgConnection, tenant: Uuid, device: Uuid) -> Result<Vec<ConflictView>, AppError> {
    let rows: Vec<(Uuid, Uuid, i64, i32, i32, String, serde_json::Value, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, client_id, mutation_id, base_version, server_version, resolution, detail, created_at
         FROM ledger_sync_conflicts WHERE tenant_id = $1 AND device_id = $2 AND acknowledged_at IS NULL ORDER BY created_at LIMIT 200",
    )
    .bind(tenant)
    .bind(device)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, client_id, mutation_id, base_version, server_version, resolution, detail, created_at)| {
            ConflictView {
                id,
                client_id,
                mutation_id,
                base_version,
                server_version,
                resolution,
                reason: detail.get("reason").and_then(|r| r.as_str()).map(String::from),
                fields: serde_json::from_value(detail.get("fields").cloned().unwrap_or_default()).unwrap_or_default(),
                created_at,
            }
        })
        .collect())
}

/// The person saw a conflict in the sync panel and accepted the outcome.
pub async fn acknowledge_conflict(
    pool: &PgPool,
    caller: &LedgerCaller,
    id: Uuid,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let updated = sqlx::query(
        "UPDATE ledger_sync_conflicts SET acknowledged_at = now(), acknowledged_by = $3
         WHERE tenant_id = $1 AND id = $2 AND acknowledged_at IS NULL AND (actor_id = $3 OR $4)",
    )
    .bind(caller.tenant)
    .bind(id)
    .bind(caller.user)
    .bind(caller.edits_any())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(AppError::not_found("Open conflict"));
    }
    audit::record(
        &mut *tx,
        Entry::event(
            Some(caller.tenant),
            Some(caller.user),
            "ledger.conflict.acknowledged",
            format!("ledger_conflict:{id}"),
            ip,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
