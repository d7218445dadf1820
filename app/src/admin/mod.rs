//! Administration of a tenant: its people and their roles, and its audit log.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
