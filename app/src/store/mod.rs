//! The storefront: catalogue browsing, search and product pages.

pub mod api;
pub mod buy_box;
pub mod catalog;
pub mod catalog_admin_api;
pub mod catalog_admin_model;
pub mod catalog_admin_pages;
#[cfg(feature = "ssr")]
pub mod catalog_admin_service;
#[cfg(feature = "ssr")]
pub mod catalog_import_service;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
pub mod stock_api;
pub mod stock_pages;
#[cfg(feature = "ssr")]
pub mod stock_service;
