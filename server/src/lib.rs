#![recursion_limit = "256"]
//! The Mandi server: axum router, middleware, REST API, demo data. `main.rs` boots it;
//! integration tests build the same `Application` on a random port.

pub mod catalog_import;
pub mod db;
pub mod demo;
pub mod files;
pub mod health;
pub mod http;
pub mod jobs;
pub mod live;
pub mod notify;
pub mod payments;
pub mod pwa;
pub mod rest;
pub mod runtime;
pub mod startup;
pub mod statements;
pub mod telemetry;
pub mod trace_images;
pub mod weather;
