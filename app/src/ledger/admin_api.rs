//! Server functions of the ledger's admin screens (`admin_pages`). Thin: who is asking,
//! then `admin_service`, the same one `/api/v1/ledger/{farmers,…}` calls. Arguments are
//! form fields (text), so the pages' `ActionForm`s post them as they are.

use super::admin_model::*;
use crate::domain::permissions::{Access, Action};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const ACCESS: &[(&str, Access)] = &[
    ("/_fn/ledger/admin/growers", Access::Requires(Action::LedgerCreateEntry)),
    ("/_fn/ledger/admin/growers/save", Access::Requires(Action::UsersManage)),
    ("/_fn/ledger/admin/flowers", Access::Requires(Action::LedgerCreateEntry)),
    ("/_fn/ledger/admin/flowers/save", Access::Requires(Action::RatesConfigure)),
    ("/_fn/ledger/admin/slots", Access::Requires(Action::LedgerCreateEntry)),
    ("/_fn/ledger/admin/slots/save", Access::Requires(Action::RatesConfigure)),
    ("/_fn/ledger/admin/terms", Access::Requires(Action::LedgerCreateEntry)),
    ("/_fn/ledger/admin/terms/save", Access::Requires(Action::UsersManage)),
    ("/_fn/ledger/admin/advances", Access::Requires(Action::UsersManage)),
    ("/_fn/ledger/admin/advances/give", Access::Requires(Action::UsersManage)),
];

/// A list for an admin screen, and whether the reader may change it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminRows<T> {
    pub rows: Vec<T>,
    pub can_edit: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TermsScreen {
    pub terms: TermsView,
    pub can_edit: bool,
}

#[cfg(feature = "ssr")]
async fn caller(
    rules: &[(&str, Access)],
    path: &str,
) -> Result<(crate::state::AppState, super::context::LedgerCaller), AppError> {
    let session = crate::access::check(rules, path).await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let caller = super::context::LedgerCaller::from_claims(&state.pool, &session.claims).await?;
    Ok((state, caller))
}

/// A form's optional id: empty is "a new one".
#[cfg(feature = "ssr")]
fn form_id(raw: Option<&str>) -> Result<Option<uuid::Uuid>, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => uuid::Uuid::parse_str(s).map(Some).map_err(|_| AppError::validation("id", "must be a UUID")),
    }
}

/// A form's yes/no select (`true`/`false`); absent leaves it as it is.
#[cfg(feature = "ssr")]
fn form_bool(raw: Option<&str>) -> Result<Option<bool>, AppError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some("true") | Some("on") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(AppError::validation("active", "must be true or false")),
    }
}

#[server(prefix = "/_fn", endpoint = "ledger/admin/growers")]
pub async fn admin_growers(q: Option<String>) -> Result<AdminRows<GrowerView>, AppError> {
    let (state, caller) = caller(ACCESS, "/_fn/ledger/admin/growers").await?;
    let rows = super::admin_service::list_growers(&state.pool, &caller, q.as_deref()).await?;
    Ok(AdminRows { rows, can_edit: caller.grant(Action::UsersManage).is_some() })
}

#[server(prefix = "/_fn", endpoint = "ledger/admin/growers/save")]
pub async fn save_grower(
    id: Option<String>,
    farmer_no: Option<String>,
    name_en: Option<String>,
    name_ta: Option<String>,
    village: Option<String>,
    phone: Option<String>,
    whatsapp: Option<String>,
    language: Option<String>,
    active: Option<String>,
) -> Result<GrowerView, AppError> {
    let id = form_id(id.as_deref())?;
    let input = GrowerInput {
        farmer_no,
        name_en,
        name_ta,
        village,
        phone,
        whatsapp,
        language,
        active: form_bool(active.as_deref())?,
    };
    let (state, caller) = caller(ACCESS, "/_fn/ledger/admin/growers/save").await?;
    match id {
        Some(id) => super::admin_service::update_grower(&state.pool, &caller, id, &input, None).await,
        None => super::admin_service::create_grower(&state.pool, &caller, &input, None).await,
    }
}

#[server(prefix = "/_fn", endpoint = "ledger/admin/flowers")]
pub async fn admin_flowers() -> Result<AdminRows<FlowerTypeView>, AppError> {
    let (state, caller) = caller(ACCESS, "/_fn/ledger/admin/flowers").await?;
    let rows = super::admin_service::list_flower_types(&state.pool, &caller).await?;
    Ok(AdminRows { rows, can_edit: caller.grant(Action::RatesConfigure).is_some() })
}

#[server(prefix = "/_fn", endpoint = "ledger/admin/flowers/save")]
pub async fn save_flower(
    id: Option<String>,
    code: Option<String>,
    name_en: Option<String>,
    name_ta: Option<String>,
    position: Option<String>,
    active: Option<String>,
) -> Result<FlowerTypeView, AppError> {
    let id = form_id(id.as_deref())?;
    let input = FlowerTypeInput { code, name_en, name_ta, position, active: form_bool(active.as_deref())? };
    let (state, caller) = caller(ACCESS, "/_fn/ledger/admin/flowers/save").await?;
    match id {
        Some(id) => super::admin_service::update_flower_type(&state.pool, &caller, id, &input, None).await,
        None => super::admin_service::create_flower_type(&state.pool, &caller, &input, None).await,
    }
}

#[server(prefix = "/_fn", endpoint = "ledger/admin/slots")]
pub async fn admin_slots() -> Result<AdminRows<SlotView>, AppError> {
    let (state, caller) = caller(ACCESS, "/_fn/ledger/admin/slots").await?;
    let rows = super::admin_service::list_slots(&state.pool, &caller).await?;
    Ok(AdminRows { rows, can_edit: caller.grant(Action::RatesConfigure).is_some() })
}

#[server(prefix = "/_fn", endpoint = "ledger/admin/slots/save")]
pub async fn save_slot(
    id: Option<String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    active: Option<String>,
) -> Result<SlotView, AppError> {
    let id = form_id(id.as_deref())?;
    let input = SlotInput { starts_at, ends_at, active: form_bool(active.as_deref())? };
    let (state, caller) = caller(ACCESS, "/_fn/ledger/admin/slots/save").await?;
    match id {
        Some(id) => super::admin_service::update_slot(&state.pool, &caller, id, &input, None).await,
        None => super::admin_service::create_slot(&state.pool, &caller, &input, None).await,
    }
}

#[server(prefix = "/_fn", endpoint = "ledger/admin/terms")]
pub async fn admin_terms() -> Result<TermsScreen, AppError> {
    let (state, caller) = caller(ACCESS, "/_fn/ledger/admin/terms").await?;
    let terms = super::admin_service::terms(&state.pool, &caller).await?;
    Ok(TermsScreen { terms, can_edit: caller.grant(Action::UsersManage).is_some() })
}

#[server(prefix = "/_fn", endpoint = "ledger/admin/terms/save")]
pub async fn save_market_terms(
    commission_percent: Option<String>,
    fee_per_entry: Option<String>,
    fee_per_kg: Option<String>,
    max_entry_kg: Option<String>,
    backdate_days: Option<String>,
) -> Result<TermsView, AppError> {
    let input = TermsInput { commission_percent, fee_per_entry, fee_per_kg, max_entry_kg, backdate_days };
    let (state, caller) = caller(ACCESS, "/_fn/ledger/admin/terms/save").await?;
    super::admin_service::save_terms(&state.pool, &caller, &input, None).await
}

#[server(prefix = "/_fn", endpoint = "ledger/admin/advances")]
pub async fn admin_advances(farmer_id: Option<String>) -> Result<AdminRows<AdvanceView>, AppError> {
    let farmer =
        form_id(farmer_id.as_deref()).map_err(|_| AppError::validation("farmerId", "must be a grower's id"))?;
    let (state, caller) = caller(ACCESS, "/_fn/ledger/admin/advances").await?;
    let rows = super::admin_service::list_advances(&state.pool, &caller, farmer, false).await?;
    Ok(AdminRows { rows, can_edit: true })
}

#[server(prefix = "/_fn", endpoint = "ledger/admin/advances/give")]
pub async fn give_grower_advance(
    farmer_id: Option<String>,
    given_on: Option<String>,
    amount: Option<String>,
    note: Option<String>,
) -> Result<AdvanceView, AppError> {
    let input = AdvanceInput { farmer_id, given_on, amount, note };
    let (state, caller) = caller(ACCESS, "/_fn/ledger/admin/advances/give").await?;
    super::admin_service::give_advance(&state.pool, &caller, &input, chrono::Utc::now(), None).await
}
