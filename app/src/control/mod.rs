//! The control tower (`/control`): live orders, stock, alerts, jobs and deliveries of
//! one tenant on one screen, for its operations people and admins.

pub mod api;
#[cfg(feature = "ssr")]
pub mod kpi_chart;
#[cfg(feature = "ssr")]
pub mod kpi_service;
#[cfg(feature = "ssr")]
pub mod market_panel;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
