//! Middleware, one concern per file, and the site's static files.

pub mod access_log;
pub mod authorize;
pub mod body_limit;
pub mod compression;
pub mod idempotency;
pub mod metrics;
pub mod page_cache;
pub mod rate_limit;
pub mod request_id;
pub mod security_headers;
pub mod server_fn_status;
pub mod session;
pub mod site_files;
