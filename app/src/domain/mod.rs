//! Business rules as pure functions: no IO, no clocks, no database. Compiled for the
//! server and for the browser (WASM), so a rule computed in an island and on the
//! server cannot disagree.

pub mod batch_event;
pub mod catalog_entry;
pub mod decimal_text;
pub mod delivery_slot;
pub mod distribution;
pub mod entry_merge;
#[cfg(feature = "ssr")]
pub mod epcis;
// The server's alone: it records and verifies events (and `regex` stays out of the WASM).
#[cfg(feature = "ssr")]
pub mod event_hash;
pub mod field_work;
#[cfg(feature = "ssr")]
pub mod hash_chain;
pub mod health_score;
pub mod india;
pub mod kilograms;
pub mod kpi;
pub mod ledger_entry;
pub mod ledger_reference;
pub mod ledger_report;
pub mod market_slot;
pub mod money;
pub mod order_state;
pub mod permissions;
pub mod pricing;
pub mod readings;
pub mod refund;
pub mod reservation;
pub mod search_query;
pub mod settlement;
pub mod shopify_csv;
pub mod stock_adjustment;
pub mod sync_backoff;
pub mod tower;
