//! The control tower (`/control`): live orders, stock, alerts, jobs and deliveries of
//! one tenant on one screen, for its operations people and admins; and the platform's
//! own (`/control/platform`), for the people who run Mandi itself.

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
pub mod platform;
#[cfg(feature = "ssr")]
pub mod service;
