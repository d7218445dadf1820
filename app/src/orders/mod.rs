//! Cart, checkout, payment completion and the order lifecycle.

pub mod api;
#[cfg(feature = "ssr")]
pub mod cart_service;
#[cfg(feature = "ssr")]
pub mod checkout_service;
pub mod model;
#[cfg(feature = "ssr")]
pub mod order_service;
pub mod pages;
