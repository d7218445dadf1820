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
    ("/_fn/ledger/rates/day", Access::Requires(Action::LedgerCreateEntry)),
    ("/_fn/ledger/rates/save", Access::Requires(Action::RatesConfigure)),
    ("/_fn/ledger/rates/copy", Access::Requires(Action::RatesConfigure)),
    ("/_fn/ledger/settlements/list", Access::Requires(Action::ReportsView)),
    ("/_fn/ledger/settlements/generate", Access::Requires(Action::SettlementGenerate)),
    ("/_fn/ledger/settlements/slip", Access::Requires(Action::ReportsView)),
    ("/_fn/ledger/settlements/approve", Access::Requires(Action::SettlementApprove)),
    ("/_fn/ledger/settlements/paid", Access::Requires(Action::SettlementGenerate)),
    ("/_fn/ledger/settlements/resend", Access::Requires(Action::SettlementApprove)),
    ("/_fn/ledger/slip/public", Access::Public),
    ("/_fn/ledger/language", Access::SignedIn),
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
pub(super) async fn caller(
    rules: &[(&str, Access)],
    path: &str,
) -> Result<(crate::state::AppState, super::context::LedgerCaller, crate::account::session::Session), AppError> {
    let session = crate::access::check(rules, path).await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let caller = super::context::LedgerCaller::from_claims(&state.pool, &session.claims).await?;
    Ok((state, caller, session))
}

/// The signed-in person and the market's reference data, cached by the tablet.
#[server(prefix = "/_fn", endpoint = "ledger/boot", input = Json)]
pub async fn open_ledger() -> Result<LedgerBoot, AppError> {
    let (state, caller, session) = caller(ACCESS, "/_fn/ledger/boot").await?;
    let (display_name, language): (String, String) =
        sqlx::query_as("SELECT display_name, locale FROM users WHERE id = $1")
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

/// Push a device's queued mutations (see `sync_push`).
#[server(prefix = "/_fn", endpoint = "ledger/sync", input = Json)]
pub async fn ledger_sync(req: SyncRequest) -> Result<SyncResponse, AppError> {
    let (state, caller, _) = caller(ACCESS, "/_fn/ledger/sync").await?;
    super::sync_push::push(&state.pool, &caller, &req, chrono::Utc::now(), None).await
}

/// Pull entries others changed since `since`.
#[server(prefix = "/_fn", endpoint = "ledger/changes", input = Json)]
pub async fn ledger_changes(device_id: String, since: i64, days: i64) -> Result<ChangesPage, AppError> {
    let device = uuid::Uuid::parse_str(&device_id).map_err(|_| AppError::validation("deviceId", "must be a UUID"))?;
    if since < 0 {
        return Err(AppError::validation("since", "must be 0 or more"));
    }
    let (state, caller, _) = caller(ACCESS, "/_fn/ledger/changes").await?;
    super::sync_pull::changes(
        &state.pool,
        &caller,
        Some(device),
        since,
        days.clamp(1, 31),
        MAX_CHANGES_PER_PULL,
        chrono::Utc::now(),
    )
    .await
}

/// The person has seen a conflict in the sync panel.
#[server(prefix = "/_fn", endpoint = "ledger/conflicts/ack", input = Json)]
pub async fn ledger_acknowledge(id: String) -> Result<(), AppError> {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::validation("id", "must be a UUID"))?;
    let (state, caller, _) = caller(ACCESS, "/_fn/ledger/conflicts/ack").await?;
    super::sync_conflicts::acknowledge_conflict(&state.pool, &caller, id, None).await
}

/// The grid of one market day's rates, with the market's flower types and slots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DayRates {
    pub date: chrono::NaiveDate,
    pub flower_types: Vec<FlowerTypeRef>,
    pub slots: Vec<SlotRef>,
    pub rates: Vec<RateRef>,
    pub can_edit: bool,
}

#[server(prefix = "/_fn", endpoint = "ledger/rates/day")]
pub async fn rates_day(date: String) -> Result<DayRates, AppError> {
    let (state, caller, _) = caller(ACCESS, "/_fn/ledger/rates/day").await?;
    let now = chrono::Utc::now();
    let date = if date.trim().is_empty() {
        crate::domain::market_slot::market_date(now)
    } else {
        super::reference_service::parse_day(&date, "date")?
    };
    let reference = super::reference_service::reference(&state.pool, &caller, now).await?;
    let rates = super::reference_service::rates_for_day(&state.pool, &caller, date).await?;
    Ok(DayRates {
        date,
        flower_types: reference.flower_types,
        slots: reference.slots,
        rates,
        can_edit: caller.grant(Action::RatesConfigure).is_some(),
    })
}

#[server(prefix = "/_fn", endpoint = "ledger/rates/save", input = Json)]
pub async fn save_rates(input: RatesInput) -> Result<RatesSaved, AppError> {
    let (state, caller, _) = caller(ACCESS, "/_fn/ledger/rates/save").await?;
    super::reference_service::save_rates(&state.pool, &caller, &input, None).await
}

#[server(prefix = "/_fn", endpoint = "ledger/rates/copy")]
pub async fn copy_rates(from: String, to: String) -> Result<RatesSaved, AppError> {
    let from = super::reference_service::parse_day(&from, "from")?;
    let to = super::reference_service::parse_day(&to, "to")?;
    let (state, caller, _) = caller(ACCESS, "/_fn/ledger/rates/copy").await?;
    super::reference_service::copy_rates(&state.pool, &caller, from, to, None).await
}

#[server(prefix = "/_fn", endpoint = "ledger/settlements/list")]
pub async fn list_settlements(status: Option<String>) -> Result<Vec<SettlementView>, AppError> {
    let (state, caller, _) = caller(ACCESS, "/_fn/ledger/settlements/list").await?;
    super::settlement_service::list(&state.pool, &caller, status.as_deref().filter(|s| !s.is_empty()), 200).await
}

#[server(prefix = "/_fn", endpoint = "ledger/settlements/generate")]
pub async fn generate_settlements(
    farmer_id: Option<String>,
    from: String,
    to: String,
) -> Result<GenerateOutcome, AppError> {
    let (state, caller, _) = caller(ACCESS, "/_fn/ledger/settlements/generate").await?;
    super::settlement_service::generate(
        &state.pool,
        &caller,
        &GenerateInput { farmer_id, from, to },
        chrono::Utc::now(),
        None,
    )
    .await
}

#[cfg(feature = "ssr")]
fn parse_id(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::validation("id", "must be a UUID"))
}

#[server(prefix = "/_fn", endpoint = "ledger/settlements/slip")]
pub async fn settlement_slip(id: String) -> Result<SlipView, AppError> {
    let id = parse_id(&id)?;
    let (state, caller, _) = caller(ACCESS, "/_fn/ledger/settlements/slip").await?;
    super::settlement_service::slip(&state.pool, &caller, id).await
}

#[server(prefix = "/_fn", endpoint = "ledger/settlements/approve")]
pub async fn approve_settlement(id: String) -> Result<SlipView, AppError> {
    let id = parse_id(&id)?;
    let (state, caller, _) = caller(ACCESS, "/_fn/ledger/settlements/approve").await?;
    super::settlement_service::approve(&state.pool, &caller, id, &state.config.public_base_url, None).await
}

#[server(prefix = "/_fn", endpoint = "ledger/settlements/paid")]
pub async fn mark_settlement_paid(
    id: String,
    method: String,
    reference: Option<String>,
) -> Result<SettlementView, AppError> {
    let id = parse_id(&id)?;
    let (state, caller, _) = caller(ACCESS, "/_fn/ledger/settlements/paid").await?;
    super::settlement_service::mark_paid(&state.pool, &caller, id, &PaidInput { method, reference }, None).await
}

#[server(prefix = "/_fn", endpoint = "ledger/settlements/resend")]
pub async fn resend_slip(id: String) -> Result<SettlementView, AppError> {
    let id = parse_id(&id)?;
    let (state, caller, _) = caller(ACCESS, "/_fn/ledger/settlements/resend").await?;
    super::settlement_service::resend(&state.pool, &caller, id, None).await
}

/// The slip behind a WhatsApp link: no sign-in.
#[server(prefix = "/_fn", endpoint = "ledger/slip/public")]
pub async fn public_slip(token: String) -> Result<SlipView, AppError> {
    let state = crate::state::app_state()?;
    super::settlement_service::slip_by_token(&state.pool, &token, chrono::Utc::now()).await
}

/// Remembers a person's language (`en` or `ta`) for every device and page, and for
/// this browser's pages at once (the `mandi_lang` cookie).
#[server(prefix = "/_fn", endpoint = "ledger/language", input = Json)]
pub async fn set_language(lang: String) -> Result<(), AppError> {
    if lang != "en" && lang != "ta" {
        return Err(AppError::validation("lang", "must be en or ta"));
    }
    let session = crate::access::check(ACCESS, "/_fn/ledger/language").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    sqlx::query("UPDATE users SET locale = $2 WHERE id = $1")
        .bind(session.claims.sub)
        .bind(&lang)
        .execute(&state.pool)
        .await?;
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        let cookie = format!(
            "{}={lang}; Path=/; Max-Age=31536000; SameSite=Lax{}",
            crate::language::LANGUAGE_COOKIE,
            if state.config.is_production() { "; Secure" } else { "" }
        );
        if let Ok(value) = axum::http::HeaderValue::from_str(&cookie) {
            response.append_header(axum::http::header::SET_COOKIE, value);
        }
    }
    Ok(())
}
