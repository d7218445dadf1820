//! A ledger entry row as stored, as the sync and the entry list read it.

use super::model::*;
use crate::domain::entry_merge::{EntryState, EntryStatus};
use crate::domain::kilograms::Kg;
use crate::domain::money::Money;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::FromRow;
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

    pub(super) fn state(&self) -> EntryState {
        EntryState {
            farmer_id: self.farmer_id,
            flower_type_id: self.flower_type_id,
            quantity_kg: Kg::from_grams(grams(self.quantity_kg)),
            status: EntryStatus::parse(&self.status).unwrap_or(EntryStatus::Recorded),
        }
    }
}

pub(super) fn grams(kg: Decimal) -> i64 {
    i64::try_from((kg * Decimal::ONE_THOUSAND).trunc()).unwrap_or(i64::MAX)
}
