//! What every request handler and server function on the server can reach.

use crate::account::tokens::SigningKeys;
use crate::config::Config;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: PgPool,
    /// The tenant whose catalogue the storefront shows, resolved once at start.
    pub store_tenant: Uuid,
    pub keys: Arc<SigningKeys>,
    pub catalog: Arc<crate::store::service::CatalogCache>,
    pub leptos_options: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}

impl AppState {
    /// Whether `claims` are for the store's own tenant (an estate's or a market's people
    /// have nothing to do in the store's back office).
    pub fn in_store(&self, claims: &crate::account::tokens::Claims) -> bool {
        claims.tenant == self.config.store_tenant.as_str()
    }

    pub fn checkout_settings(
        &self,
        store: &crate::orders::settings_model::StoreSettings,
    ) -> crate::orders::checkout_service::CheckoutSettings<'static> {
        crate::orders::checkout_service::CheckoutSettings {
            pricing: store.pricing(),
            reservation: chrono::Duration::minutes(i64::from(self.config.reservation_minutes)),
            gateway: if self.config.payments.sandbox { "sandbox" } else { "razorpay" },
        }
    }
}

/// The state inside a server function (provided as context by the server's router).
pub fn app_state() -> Result<AppState, crate::error::AppError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| crate::error::AppError::internal("state", "AppState missing from context"))
}
