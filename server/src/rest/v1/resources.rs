//! Every resource's routes, with the access rule of each: all of `/api/v1` but the
//! document that describes them, which reads this list (`openapi`).

use super::routes::Routes;

pub fn routes() -> Routes {
    Routes::new()
        .merge(super::products::routes())
        .merge(super::categories::routes())
        .merge(super::farms::routes())
        .merge(super::trace::routes())
        .merge(super::batches::routes())
        .merge(super::store_settings::routes())
        .merge(super::addresses::routes())
        .merge(super::stock::routes())
        .merge(super::catalog::routes())
        .merge(super::auth::routes())
        .merge(super::admin::routes())
        .merge(super::ops::routes())
        .merge(super::events::routes())
        .merge(super::notifications::routes())
        .merge(super::webhooks::routes())
        .merge(super::cart::routes())
        .merge(super::checkout::routes())
        .merge(super::orders::routes())
        .merge(super::ledger::routes())
        .merge(super::ledger_settlements::routes())
        .merge(super::ledger_reports::routes())
        .merge(super::ledger_admin::routes())
        .merge(super::my_farms::routes())
        .merge(super::farm_admin::routes())
        .merge(super::distributions::routes())
        .merge(super::readings::routes())
        .merge(super::alerts::routes())
        .merge(super::field::routes())
        .merge(super::files::routes())
}
