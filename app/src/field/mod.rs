//! Field operations: the task board, farm visits recorded from the field, and sensor
//! and weather readings against each crop's ranges, which open alerts
//! ([`crate::alerts`]) when several in a row fall outside them.

pub mod api;
pub mod board_pages;
pub mod field_app_page;
pub mod model;
#[cfg(feature = "ssr")]
pub mod readings_service;
#[cfg(feature = "ssr")]
pub mod rules_service;
#[cfg(feature = "ssr")]
pub mod sensor_keys_service;
#[cfg(feature = "ssr")]
pub mod tasks_service;
#[cfg(feature = "ssr")]
pub mod thresholds_service;
#[cfg(feature = "ssr")]
pub mod visits_service;
