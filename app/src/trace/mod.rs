//! Traceability: what a batch (lot) is, where it came from and what it went through,
//! for the product page's provenance panel and the public trace page.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
