//! Every integration test of the server in one binary: one link instead of one per
//! file, and `support` compiled once. nextest still runs each test in its own process.

mod support;

mod access_walk;
mod addresses;
mod admin;
mod api_auth;
mod api_otp;
mod api_products;
mod batch_chains;
mod catalog;
mod checkout;
mod control_tower;
mod demo_ownership;
mod farm_ownership;
mod field_work;
mod idempotency;
mod jobs;
mod ledger_admin;
mod ledger_faults;
mod ledger_reports;
mod ledger_settlements;
mod ledger_sync;
mod live_events;
mod markup_escaping;
mod multi_process;
mod notifications;
mod openapi;
mod order_queue;
mod pages;
mod photo_uploads;
mod platform;
mod process;
mod rate_limits;
mod readings_and_alerts;
mod refunds;
mod retention;
mod sql_functions;
mod stock;
mod store_settings;
mod tenant_isolation;
mod weather;
mod web_sessions;
