//! The storefront: catalogue browsing, search and product pages.

pub mod api;
pub mod buy_box;
pub mod catalog;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
pub mod stock_api;
pub mod stock_pages;
#[cfg(feature = "ssr")]
pub mod stock_service;
