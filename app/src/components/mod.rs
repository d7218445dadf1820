//! UI pieces shared by several areas.

pub mod form;
pub mod island_support;
pub mod layout;
pub mod markup;
pub mod not_found;
pub mod product_card;
pub mod search_href;
