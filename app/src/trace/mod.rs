//! Traceability: what a batch (lot) is, where it came from and what it went through,
//! for the product page's provenance panel and the public trace page.

pub mod admin_api;
pub mod admin_pages;
pub mod api;
#[cfg(feature = "ssr")]
pub mod batches_service;
#[cfg(feature = "ssr")]
pub mod chain_service;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod trace_images;
