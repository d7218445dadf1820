//! Server functions of the ledger, for the tablet's sync engine (`public/ledger/
//! store.js`, which posts JSON) and the ledger pages. Thin: who is asking, then the
//! same services the REST door (`server/src/rest/v1/ledger*.rs`) calls.

use super::model::*;
use crate::domain::permissions::{Access, Action};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

pub const ACCESS: &[(&str, Access)] = &[
    ("/_fn/ledger/boot", Access::Requires(Action::LedgerCreateEntry)),
    ("/_fn/ledger/sync", Access::Requires(Action::LedgerCreateEntry)),
    ("/_fn/ledger/changes", Access::Requires(Action::LedgerCreateEntry)),
    ("/_fn/ledger/conflicts/ack", Access::Requires(Action::LedgerCreateEntry)),
];

/// Who is using the tablet, as the ledger screen needs it offline (nothing secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerMe {
    pub user_id: uuid::Uuid,
    pub display_name: String,
    pub tenant: String,
    pub roles: Vec<String>,
    /// `en` or `ta`.
    pub language: String,
    /// Admins may edit anyone's entry and override a rate.
    pub edits_any: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerBoot {
    pub me: LedgerMe,
    pub reference: ReferenceData,
}

#[cfg(feature = "ssr")]
async fn caller(path: &str) -> Result<(crate::state::AppState, super::context::LedgerCaller, crate::account::session::Session), AppError> {
    let session = crate::access::check(path).await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let caller = super::context::LedgerCaller::from_claims(&state.pool, &session.claims).await?;
    Ok((state, caller, session))
}

/// The signed-in person and the market's reference data, cached by the tablet.
#[server(prefix = "/_fn", endpoint = "ledger/boot", input = Json)]
pub async fn open_ledger() -> Result<LedgerBoot, AppError> {
    let (state, caller, session) = caller("/_fn/ledger/boot").await?;
    let (display_name, language): (String, String) = sqlx::query_as("SELECT display_name, locale FROM users WHERE id = $1")
        .bind(caller.user)
        .fetch_one(&state.pool)
        .await?;
    let reference = super::reference_service::reference(&state.pool, &caller, chrono::Utc::now()).await?;
    Ok(LedgerBoot {
        me: LedgerMe {
            user_id: caller.user,
            display_name,
            tenant: session.claims.tenant.clone(),
            roles: session.claims.roles.clone(),
            language,
            edits_any: caller.edits_any(),
        },
        reference,
    })
}

/// Push a device's queued mutations (see `sync_service`).
#[server(prefix = "/_fn", endpoint = "ledger/sync", input = Json)]
pub async fn ledger_sync(req: SyncRequest) -> Result<SyncResponse, AppError> {
    let (state, caller, _) = caller("/_fn/ledger/sync").await?;
    super::sync_service::push(&state.pool, &caller, &req, chrono::Utc::now(), None).await
}

/// Pull entries others changed since `since`.
#[server(prefix = "/_fn", endpoint = "ledger/changes", input = Json)]
pub async fn ledger_changes(device_id: String, since: i64, days: i64) -> Result<ChangesPage, AppError> {
    let device = uuid::Uuid::parse_str(&device_id).map_err(|_| AppError::validation("deviceId", "must be a UUID"))?;
    if since < 0 {
        return Err(AppError::validation("since", "must be 0 or more"));
    }
    let (state, caller, _) = caller("/_fn/ledger/changes").await?;
    super::sync_service::changes(&state.pool, &caller, Some(device), since, days.clamp(1, 31), MAX_CHANGES_PER_PULL, chrono::Utc::now()).await
}

/// The person has seen a conflict in the sync panel.
#[server(prefix = "/_fn", endpoint = "ledger/conflicts/ack", input = Json)]
pub async fn ledger_acknowledge(id: String) -> Result<(), AppError> {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::validation("id", "must be a UUID"))?;
    let (state, caller, _) = caller("/_fn/ledger/conflicts/ack").await?;
    super::sync_service::acknowledge_conflict(&state.pool, &caller, id, None).await
}
