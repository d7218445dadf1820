//! Accounts and sessions: sign-up, sign-in, rotating refresh tokens, sign-out.

pub mod credentials;
#[cfg(feature = "ssr")]
pub mod passwords;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod tokens;
