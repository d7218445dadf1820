//! Server functions of `/admin/settings`: the store's delivery settings and coupons.
//! Only the store's own admins reach them; the REST door
//! (`server/src/rest/v1/store_settings.rs`) calls the same service.

use super::settings_model::*;
use crate::domain::permissions::{Access, Action};
use crate::domain::pricing::{Coupon, CouponInput};
use crate::error::AppError;
use leptos::prelude::*;

pub const ACCESS: &[(&str, Access)] = &[
    ("/_fn/store/settings", Access::Requires(Action::StoreSettingsManage)),
    ("/_fn/store/settings/save", Access::Requires(Action::StoreSettingsManage)),
    ("/_fn/store/coupons/save", Access::Requires(Action::StoreSettingsManage)),
];

/// The store's admin, signed in to the store's own tenant (an admin of an estate or a
/// market has nothing to set here).
#[cfg(feature = "ssr")]
pub async fn store_admin(path: &str) -> Result<(crate::state::AppState, uuid::Uuid), AppError> {
    let session = crate::access::check(ACCESS, path).await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    if !state.in_store(&session.claims) {
        return Err(AppError::Forbidden);
    }
    Ok((state, session.claims.sub))
}

#[server(prefix = "/_fn", endpoint = "store/settings")]
pub async fn load_settings() -> Result<SettingsPage, AppError> {
    let (state, _) = store_admin("/_fn/store/settings").await?;
    let settings = super::settings_service::load(&state.pool, state.store_tenant).await?;
    let coupons = super::settings_service::coupons(&state.pool, state.store_tenant).await?;
    Ok(SettingsPage { settings, coupons })
}

#[server(prefix = "/_fn", endpoint = "store/settings/save")]
pub async fn save_settings(settings: StoreSettingsForm) -> Result<StoreSettings, AppError> {
    let (state, by) = store_admin("/_fn/store/settings/save").await?;
    let settings = settings.parse()?;
    super::settings_service::save(&state.pool, state.store_tenant, by, &settings).await
}

/// `create` (`true`): a new code (refused if it exists); otherwise the coupon with that code is
/// replaced.
#[server(prefix = "/_fn", endpoint = "store/coupons/save")]
pub async fn save_coupon(coupon: CouponInput, create: Option<String>) -> Result<Coupon, AppError> {
    let (state, by) = store_admin("/_fn/store/coupons/save").await?;
    let parsed = Coupon::parse(&coupon).map_err(|fields| AppError::Validation { fields })?;
    let create = create.as_deref() == Some("true");
    super::settings_service::save_coupon(&state.pool, state.store_tenant, by, &parsed, create).await
}
