//! Accounts and sessions: sign-up, sign-in (password or one-time code), rotating
//! refresh tokens, tenant switching, sign-out; the pages and server functions for them.

pub mod api;
#[cfg(feature = "ssr")]
pub mod cookies;
pub mod credentials;
#[cfg(feature = "ssr")]
pub mod one_time_codes;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod passwords;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod tokens;
