//! Cart, checkout, payment completion and the order lifecycle.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod cart_service;
#[cfg(feature = "ssr")]
pub mod checkout_service;
#[cfg(feature = "ssr")]
pub mod order_service;
