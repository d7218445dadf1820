//! Cart, checkout, payment completion and the order lifecycle.

#[cfg(feature = "ssr")]
pub mod action_service;
pub mod address_pages;
#[cfg(feature = "ssr")]
pub mod address_service;
pub mod api;
#[cfg(feature = "ssr")]
pub mod cart_service;
#[cfg(feature = "ssr")]
pub mod checkout_service;
#[cfg(feature = "ssr")]
pub mod expiry_service;
pub mod model;
#[cfg(feature = "ssr")]
pub mod order_events;
#[cfg(feature = "ssr")]
pub mod order_queries;
#[cfg(feature = "ssr")]
mod order_rows;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod payment_service;
#[cfg(feature = "ssr")]
mod refunds;
pub mod settings_api;
pub mod settings_model;
pub mod settings_pages;
#[cfg(feature = "ssr")]
pub mod settings_service;
#[cfg(feature = "ssr")]
mod stock_holds;
