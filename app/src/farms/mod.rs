//! Farm ownership (Darjberry): owners see the farms they hold shares in, their health,
//! plants, money and statements; the estate's admin runs farms, agreements, revenue,
//! costs and distributions.

pub mod admin_pages;
#[cfg(feature = "ssr")]
pub mod admin_service;
pub mod api;
#[cfg(feature = "ssr")]
pub mod distribution_service;
#[cfg(feature = "ssr")]
pub mod health_service;
pub mod model;
pub mod owner_pages;
#[cfg(feature = "ssr")]
pub mod owner_service;
pub mod statement_text;
#[cfg(feature = "ssr")]
pub mod trend_chart;
