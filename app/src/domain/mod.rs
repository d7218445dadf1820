//! Business rules as pure functions: no IO, no clocks, no database. Compiled for the
//! server and for the browser (WASM), so a rule computed in an island and on the
//! server cannot disagree.

pub mod money;
pub mod order_state;
pub mod permissions;
pub mod search_query;
pub mod delivery_slot;
pub mod pricing;
pub mod reservation;
pub mod kilograms;
pub mod settlement;
pub mod decimal_text;
pub mod market_slot;
pub mod ledger_entry;
pub mod ledger_reference;
pub mod entry_merge;
pub mod sync_backoff;
pub mod ledger_report;
