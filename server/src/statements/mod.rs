//! Documents the server hands to people as files, such as a farm owner's revenue statement.

pub mod download;
pub mod pdf;
