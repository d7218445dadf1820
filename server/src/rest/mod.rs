//! The versioned REST API for mobile and other clients.

pub mod v1;
