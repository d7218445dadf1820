//! What the ledger's entry screen knows, all of it from the tablet's own store: the
//! snapshot the screen draws, how a read or a save changes it, and the market's rules
//! loaded when the store opens.

use super::api::LedgerMe;
use super::model::{ConflictView, ReferenceData};
use crate::domain::ledger_entry;
use crate::domain::market_slot::MarketSlot;
use crate::domain::money::Money;
use crate::language::Locale;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The newest entries listed on screen; totals cover all of them. A tablet that
/// queued thousands during an outage stays quick to redraw.
pub(super) const VISIBLE_ENTRIES: usize = 500;

pub(super) fn newest(all: &[LocalEntry]) -> Vec<LocalEntry> {
    all.iter().take(VISIBLE_ENTRIES).cloned().collect()
}

/// Everything the screen shows comes from the tablet's store.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Snapshot {
    #[serde(default)]
    pub(super) entries: Vec<LocalEntry>,
    #[serde(default)]
    pub(super) pending: u32,
    #[serde(default)]
    pub(super) conflicts: Vec<ConflictView>,
    #[serde(default)]
    pub(super) sync: SyncState,
    /// Growers, flowers or rates changed on the server since the screen opened.
    #[serde(default)]
    pub(super) reference: Option<ReferenceData>,
}

/// A read of what changed: entries and conflicts only when something other than this
/// screen's saves wrote them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(super) struct StoreChanges {
    pub(super) entries: Option<Vec<LocalEntry>>,
    #[serde(default)]
    pub(super) pending: u32,
    pub(super) conflicts: Option<Vec<ConflictView>>,
    #[serde(default)]
    pub(super) sync: SyncState,
    pub(super) reference: Option<ReferenceData>,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Snapshot {
    pub(super) fn apply(&mut self, c: StoreChanges) {
        if let Some(entries) = c.entries {
            self.entries = entries;
        }
        if let Some(conflicts) = c.conflicts {
            self.conflicts = conflicts;
        }
        self.pending = c.pending;
        self.sync = c.sync;
    }

    /// A save stored on this tablet: the entry as it now stands and one more change waiting.
    pub(super) fn saved(&mut self, entry: LocalEntry) {
        match self.entries.iter_mut().find(|e| e.client_id == entry.client_id) {
            Some(e) => *e = entry,
            None => self.entries.push(entry),
        }
        self.pending += 1;
    }
}

/// The screen's reads of the store: one at a time, with at most one more asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(super) struct Reads {
    pub(super) busy: bool,
    pub(super) again: bool,
    /// The next read must carry entries and conflicts whatever the store thinks changed.
    pub(super) full: bool,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Reads {
    /// A read was thrown away because a save finished during it.
    pub(super) fn dropped(&mut self, had_entries: bool) {
        self.again = true;
        self.full |= had_entries;
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SyncState {
    #[serde(default)]
    pub(super) state: String,
    #[serde(default)]
    pub(super) failures: u32,
    pub(super) message: Option<String>,
    pub(super) retry_at: Option<String>,
    #[serde(default)]
    pub(super) sign_in: bool,
    #[serde(default)]
    pub(super) outdated: bool,
    /// A new version of the app took over; this page still runs the old one.
    #[serde(default)]
    pub(super) update_ready: bool,
    pub(super) last_sync_at: Option<String>,
    #[serde(default)]
    pub(super) online: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LocalEntry {
    pub(super) client_id: Uuid,
    pub(super) farmer_id: Uuid,
    pub(super) flower_type_id: Uuid,
    pub(super) quantity_kg: String,
    pub(super) recorded_at: DateTime<Utc>,
    pub(super) market_date: NaiveDate,
    pub(super) rate: Option<String>,
    pub(super) total: Option<String>,
    pub(super) rate_source: String,
    pub(super) status: String,
    pub(super) entered_by: Uuid,
    #[serde(default)]
    pub(super) sync_status: String,
    pub(super) reason: Option<String>,
    pub(super) message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(super) struct Boot {
    pub(super) me: LedgerMe,
    pub(super) reference: ReferenceData,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(super) struct BootError {
    pub(super) error: String,
}

/// What the screen knows after opening the store, for the rules.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Market {
    pub(super) me: LedgerMe,
    pub(super) reference: ReferenceData,
    pub(super) slots: Vec<MarketSlot>,
    pub(super) rates: BTreeMap<(NaiveDate, Uuid, Uuid), Money>,
}

impl Market {
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub(super) fn new(boot: Boot) -> Market {
        let slots = boot
            .reference
            .slots
            .iter()
            .filter_map(|s| {
                Some(MarketSlot {
                    id: s.id,
                    starts_at: NaiveTime::parse_from_str(&s.starts_at, "%H:%M").ok()?,
                    ends_at: NaiveTime::parse_from_str(&s.ends_at, "%H:%M").ok()?,
                })
            })
            .collect();
        let rates = boot.reference.rates.iter().map(|r| ((r.date, r.flower_type_id, r.slot_id), r.rate)).collect();
        Market { me: boot.me, reference: boot.reference, slots, rates }
    }

    pub(super) fn farmer_name(&self, l: Locale, id: Uuid) -> String {
        self.reference
            .farmers
            .iter()
            .find(|f| f.id == id)
            .map(|f| {
                let (first, second) = if l == Locale::ta { (&f.name_ta, &f.name_en) } else { (&f.name_en, &f.name_ta) };
                format!("{} · {}", f.farmer_no, if first.is_empty() { second } else { first })
            })
            .unwrap_or_else(|| "?".into())
    }

    pub(super) fn flower_name(&self, l: Locale, id: Uuid) -> String {
        self.reference
            .flower_types
            .iter()
            .find(|f| f.id == id)
            .map(|f| if l == Locale::ta { f.name_ta.clone() } else { f.name_en.clone() })
            .unwrap_or_else(|| "?".into())
    }

    pub(super) fn limits(&self) -> ledger_entry::EntryLimits {
        ledger_entry::EntryLimits {
            max_kg: self.reference.settings.max_entry_kg,
            backdate_days: i64::from(self.reference.settings.backdate_days),
            future_skew: chrono::Duration::minutes(10),
        }
    }
}

pub(super) fn rejected(s: &Snapshot) -> Vec<LocalEntry> {
    s.entries.iter().filter(|e| e.sync_status == "rejected").cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u128, kg: &str) -> LocalEntry {
        serde_json::from_value(serde_json::json!({
            "clientId": Uuid::from_u128(id), "farmerId": Uuid::from_u128(100), "flowerTypeId": Uuid::from_u128(200),
            "quantityKg": kg, "recordedAt": "2026-11-27T04:10:00Z", "marketDate": "2026-11-27",
            "rate": "80.00", "total": null, "rateSource": "slot", "status": "recorded",
            "enteredBy": Uuid::from_u128(300), "syncStatus": "pending",
        }))
        .unwrap()
    }

    #[test]
    fn a_save_replaces_its_entry_or_adds_it_and_counts_one_more_change_waiting() {
        let mut s = Snapshot { entries: vec![entry(1, "5"), entry(2, "6")], pending: 3, ..Snapshot::default() };
        s.saved(entry(2, "7.5"));
        assert_eq!(s.entries.iter().map(|e| e.quantity_kg.as_str()).collect::<Vec<_>>(), ["5", "7.5"]);
        assert_eq!(s.pending, 4);
        s.saved(entry(3, "1"));
        assert_eq!(s.entries.len(), 3);
        assert_eq!(s.pending, 5);
    }

    #[test]
    fn a_read_without_entries_keeps_the_merged_ones_and_takes_the_queue_and_engine() {
        let mut s = Snapshot { entries: vec![entry(1, "5")], pending: 9, ..Snapshot::default() };
        let status: StoreChanges =
            serde_json::from_str(r#"{"pending":2,"sync":{"state":"waiting","failures":1,"online":false}}"#).unwrap();
        s.apply(status);
        assert_eq!(s.entries, vec![entry(1, "5")]);
        assert_eq!((s.pending, s.sync.state.as_str(), s.sync.failures), (2, "waiting", 1));

        let full =
            StoreChanges { entries: Some(vec![entry(4, "2")]), conflicts: Some(Vec::new()), ..StoreChanges::default() };
        s.apply(full);
        assert_eq!(s.entries, vec![entry(4, "2")]);
        assert_eq!(s.pending, 0);
    }

    #[test]
    fn a_dropped_read_asks_for_another_and_keeps_asking_for_the_entries_it_took() {
        let mut r = Reads { busy: true, ..Reads::default() };
        r.dropped(false);
        assert_eq!(r, Reads { busy: true, again: true, full: false });
        r.dropped(true);
        r.dropped(false);
        assert_eq!(r, Reads { busy: true, again: true, full: true });
    }
}
