//! Every server function's access rule, by path: the table the server's middleware
//! looks a called path up in. Each `api` module declares its own rules (`ACCESS`).

use crate::domain::permissions::Access;

/// Every server function's rule, by path.
pub fn server_fn_rules() -> impl Iterator<Item = (&'static str, Access)> {
    crate::store::api::ACCESS
        .iter()
        .chain(crate::account::api::ACCESS)
        .chain(crate::admin::api::ACCESS)
        .chain(crate::orders::api::ACCESS)
        .chain(crate::orders::settings_api::ACCESS)
        .chain(crate::store::stock_api::ACCESS)
        .chain(crate::store::catalog_admin_api::ACCESS)
        .chain(crate::trace::api::ACCESS)
        .chain(crate::trace::admin_api::ACCESS)
        .chain(crate::ledger::api::ACCESS)
        .chain(crate::ledger::report_api::ACCESS)
        .chain(crate::ledger::admin_api::ACCESS)
        .chain(crate::farms::api::ACCESS)
        .chain(crate::field::api::ACCESS)
        .chain(crate::control::api::ACCESS)
        .copied()
}

pub fn server_fn_rule(path: &str) -> Option<Access> {
    server_fn_rules().find(|(p, _)| *p == path).map(|(_, a)| a)
}
