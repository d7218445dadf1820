//! Alerts: one table and one queue for every area. Rules anywhere open alerts with
//! [`service::open_in`] (at most one open per subject and kind); ops read, acknowledge
//! and resolve them (`/api/v1/alerts`); owners see their farms' open ones.

pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
