//! The flower market's commission ledger (PRODUCT.md §4): reference data and rates,
//! entries synced from offline tablets, settlements sent on WhatsApp.

// A server function's parameters are its form's fields (save_grower has one per field
// of the grower form). server_fn's macro drops an allow written on the function from
// the browser's copy of it, so the allow sits on the module.
#[allow(clippy::too_many_arguments)]
pub mod admin_api;
pub mod admin_model;
pub mod admin_pages;
#[cfg(feature = "ssr")]
pub mod admin_service;
pub mod api;
#[cfg(feature = "hydrate")]
pub mod client;
#[cfg(feature = "ssr")]
pub mod context;
pub mod entry_page;
#[cfg(feature = "ssr")]
mod entry_rows;
mod entry_screen_state;
#[cfg(feature = "ssr")]
pub mod entry_service;
pub mod model;
pub mod rates_page;
#[cfg(feature = "ssr")]
pub mod reference_service;
pub mod report_api;
#[cfg(feature = "ssr")]
pub mod report_chart;
pub mod report_model;
pub mod report_pages;
#[cfg(feature = "ssr")]
pub mod report_service;
pub mod settlement_pages;
#[cfg(feature = "ssr")]
pub mod settlement_service;
#[cfg(feature = "ssr")]
pub mod sync_conflicts;
#[cfg(feature = "ssr")]
mod sync_decider;
#[cfg(feature = "ssr")]
pub mod sync_pull;
#[cfg(feature = "ssr")]
pub mod sync_push;
