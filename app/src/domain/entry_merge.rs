//! Two tablets edited the same ledger entry while offline: the Malar conflict rules.
//! Each side's change is taken relative to the version it started from (a three-way
//! merge). Quantities add up ("sum if the same entry was modified": each side's
//! correction is kept), who and what go to the server if both sides changed them
//! ("server timestamp wins"), and rate and status always stay as the server has them.

use super::kilograms::Kg;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    Recorded,
    Void,
}

impl EntryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Recorded => "recorded",
            EntryStatus::Void => "void",
        }
    }

    pub fn parse(s: &str) -> Option<EntryStatus> {
        match s {
            "recorded" => Some(EntryStatus::Recorded),
            "void" => Some(EntryStatus::Void),
            _ => None,
        }
    }
}

/// The fields of an entry a tablet may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryState {
    pub farmer_id: Uuid,
    pub flower_type_id: Uuid,
    pub quantity_kg: Kg,
    pub status: EntryStatus,
}

/// One field both sides touched, for the conflict record and the sync panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldMerge {
    pub field: &'static str,
    pub base: String,
    pub mine: String,
    pub theirs: String,
    pub result: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KeptReason {
    /// The merged weight would be zero, negative or above the market's limit.
    QuantityOutOfRange,
    /// The server's copy was voided meanwhile; status is the server's.
    VoidedOnServer,
    /// A void of an entry someone changed after this device last saw it.
    ChangedSinceRead,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merge {
    /// Only one side changed anything: its version stands as is.
    FastForward(EntryState),
    /// Both changed it: the merged entry, and the fields that needed the rules.
    Merged { result: EntryState, fields: Vec<FieldMerge> },
    /// The server's copy is kept unchanged; the device's edit is recorded, not applied.
    ServerKept(KeptReason),
}

/// Merges the device's edit (`mine`, made from `base`) into the server's newer copy
/// (`theirs`). A device never changes status through an edit (voiding is its own
/// operation), so `mine.status` is ignored.
pub fn merge_edit(base: &EntryState, mine: &EntryState, theirs: &EntryState, max_kg: Kg) -> Merge {
    let mine = EntryState { status: base.status, ..*mine };
    if mine == *base {
        return Merge::FastForward(*theirs);
    }
    if theirs.status == EntryStatus::Void {
        return Merge::ServerKept(KeptReason::VoidedOnServer);
    }
    if theirs == base {
        return Merge::FastForward(mine);
    }
    let grams = theirs.quantity_kg.grams() + mine.quantity_kg.grams() - base.quantity_kg.grams();
    if grams <= 0 || grams > max_kg.grams() {
        return Merge::ServerKept(KeptReason::QuantityOutOfRange);
    }
    let pick = |b: Uuid, m: Uuid, t: Uuid| if m != b && t == b { m } else { t };
    let result = EntryState {
        farmer_id: pick(base.farmer_id, mine.farmer_id, theirs.farmer_id),
        flower_type_id: pick(base.flower_type_id, mine.flower_type_id, theirs.flower_type_id),
        quantity_kg: Kg::from_grams(grams),
        status: theirs.status,
    };
    let mut fields = Vec::new();
    let mut note = |field: &'static str, b: String, m: String, t: String, r: String| {
        if m != b && t != b {
            fields.push(FieldMerge { field, base: b, mine: m, theirs: t, result: r });
        }
    };
    note(
        "quantityKg",
        base.quantity_kg.to_string(),
        mine.quantity_kg.to_string(),
        theirs.quantity_kg.to_string(),
        result.quantity_kg.to_string(),
    );
    note(
        "farmerId",
        base.farmer_id.to_string(),
        mine.farmer_id.to_string(),
        theirs.farmer_id.to_string(),
        result.farmer_id.to_string(),
    );
    note(
        "flowerTypeId",
        base.flower_type_id.to_string(),
        mine.flower_type_id.to_string(),
        theirs.flower_type_id.to_string(),
        result.flower_type_id.to_string(),
    );
    Merge::Merged { result, fields }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(farmer: u128, flower: u128, grams: i64) -> EntryState {
        EntryState {
            farmer_id: Uuid::from_u128(farmer),
            flower_type_id: Uuid::from_u128(flower),
            quantity_kg: Kg::from_grams(grams),
            status: EntryStatus::Recorded,
        }
    }

    const MAX: i64 = 500_000;

    /// The worked example of the sync protocol: base 10 kg, one tablet says 12, the
    /// other 11; the second to arrive merges to 13.
    #[test]
    fn two_corrections_of_one_weight_both_count() {
        let base = entry(1, 1, 10_000);
        match merge_edit(&base, &entry(1, 1, 11_000), &entry(1, 1, 12_000), Kg::from_grams(MAX)) {
            Merge::Merged { result, fields } => {
                assert_eq!(result.quantity_kg.to_string(), "13.000");
                assert_eq!(fields.len(), 1);
                assert_eq!(
                    (fields[0].base.as_str(), fields[0].mine.as_str(), fields[0].theirs.as_str()),
                    ("10.000", "11.000", "12.000")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_server_wins_who_and_what_when_both_changed_them() {
        let base = entry(1, 1, 10_000);
        let Merge::Merged { result, .. } =
            merge_edit(&base, &entry(2, 3, 10_000), &entry(4, 1, 9_000), Kg::from_grams(MAX))
        else {
            panic!()
        };
        assert_eq!(result, entry(4, 3, 9_000));
    }

    #[test]
    fn an_edit_of_a_voided_entry_or_out_of_range_keeps_the_server_copy() {
        let base = entry(1, 1, 10_000);
        let voided = EntryState { status: EntryStatus::Void, ..base };
        assert_eq!(
            merge_edit(&base, &entry(1, 1, 12_000), &voided, Kg::from_grams(MAX)),
            Merge::ServerKept(KeptReason::VoidedOnServer)
        );
        assert_eq!(
            merge_edit(&base, &entry(1, 1, 1_000), &entry(1, 1, 2_000), Kg::from_grams(MAX)),
            Merge::ServerKept(KeptReason::QuantityOutOfRange)
        );
        assert_eq!(
            merge_edit(&base, &entry(1, 1, 300_000), &entry(1, 1, 300_000), Kg::from_grams(MAX)),
            Merge::ServerKept(KeptReason::QuantityOutOfRange)
        );
    }

    fn state() -> impl Strategy<Value = EntryState> {
        (0u128..3, 0u128..3, 1i64..200_000).prop_map(|(f, t, g)| entry(f, t, g))
    }

    proptest! {
        #[test]
        fn one_sided_changes_fast_forward(base in state(), other in state()) {
            prop_assert_eq!(merge_edit(&base, &base, &other, Kg::from_grams(MAX)), Merge::FastForward(other));
            prop_assert_eq!(merge_edit(&base, &other, &base, Kg::from_grams(MAX)), Merge::FastForward(other));
        }

        /// Each side's change is applied relative to its base, whichever lands first,
        /// and the result is always a weight the market accepts.
        #[test]
        fn quantities_add_relative_to_base_in_either_order(base in state(), a in state(), b in state()) {
            let max = Kg::from_grams(MAX);
            let ab = merge_edit(&base, &a, &b, max);
            let ba = merge_edit(&base, &b, &a, max);
            let expect = a.quantity_kg.grams() + b.quantity_kg.grams() - base.quantity_kg.grams();
            match (&ab, &ba) {
                (Merge::Merged { result: x, .. }, Merge::Merged { result: y, .. }) => {
                    prop_assert_eq!(x.quantity_kg.grams(), expect);
                    prop_assert_eq!(y.quantity_kg.grams(), expect);
                    prop_assert!(expect > 0 && expect <= MAX);
                    prop_assert_eq!(x.status, EntryStatus::Recorded);
                }
                (Merge::ServerKept(_), Merge::ServerKept(_)) => prop_assert!(expect <= 0 || expect > MAX),
                (Merge::FastForward(_), _) | (_, Merge::FastForward(_)) => prop_assert!(a == base || b == base),
                other => prop_assert!(false, "asymmetric outcome {:?}", other),
            }
        }
    }
}
