//! `/api/v1/ledger`: what a market's tablets sync with (reference data, push, pull),
//! its entries and rates. Rules by the Malar permission matrix; growers (farmers) read
//! only their own entries.

use super::extract::{ApiJson, Authenticated, ClientIp, parse_id, parse_query};
use super::responses::keyset_page;
use super::routes::Routes;
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::{LedgerCreateEntry, RatesConfigure, ReportsView};
use app::envelope::ok;
use app::error::AppError;
use app::ledger::context::LedgerCaller;
use app::ledger::model::*;
use app::ledger::{entry_service, reference_service, sync_conflicts, sync_pull, sync_push};
use app::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(utoipa::OpenApi)]
#[openapi(paths(reference, sync, changes, entries, create_entry, save_rates, acknowledge))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/ledger/reference", Requires(LedgerCreateEntry), reference)
        .post("/ledger/sync", Requires(LedgerCreateEntry), sync)
        .get("/ledger/changes", Requires(LedgerCreateEntry), changes)
        .get("/ledger/entries", Requires(ReportsView), entries)
        .post("/ledger/entries", Requires(LedgerCreateEntry), create_entry)
        .put("/ledger/rates", Requires(RatesConfigure), save_rates)
        .post("/ledger/conflicts/{id}/ack", Requires(LedgerCreateEntry), acknowledge)
}

/// The market's lists a tablet caches to work offline: terms, growers, flower types
/// (English and Tamil names), time slots, and the rates of yesterday, today and
/// tomorrow. Fetch again when `referenceVersion` moves (`GET changes` reports it).
#[utoipa::path(get, path = "/ledger/reference", operation_id = "ledgerReference",
    responses(
        (status = 200, description = "The reference data", body = super::responses::LedgerReferenceEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn reference(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(reference_service::reference(&state.pool, &caller, chrono::Utc::now()).await?))
}

/// Push a device's queued mutations (Replicache's protocol). `mutationId`s are the
/// device's own sequence, 1, 2, 3, … with no gaps. Ids already applied answer
/// `duplicate`; the run after the device's last applied id is applied in order, each
/// answering `applied`, `conflict` (merged by the Malar rules, or the server's copy
/// kept) or `rejected` with a `reason`; ids after a missing one answer `rejected`
/// `MUTATION_GAP` with `expectedMutationId` and are not consumed. The device's last id
/// and the changes commit together, so a retried or half-delivered batch never applies
/// twice. A device id belongs to the person who first pushed from it (else 403). An
/// unsupported `protocolVersion` is a 400 with `fields.protocolVersion`.
#[utoipa::path(post, path = "/ledger/sync", operation_id = "ledgerSync",
    request_body = app::ledger::model::SyncRequest,
    responses(
        (status = 200, description = "What became of each mutation", body = super::responses::LedgerSyncEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn sync(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<SyncRequest>,
) -> Result<Response, AppError> {
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(sync_push::push(&state.pool, &caller, &req, chrono::Utc::now(), ip.as_deref()).await?))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ChangesQuery {
    device_id: Option<String>,
    since: Option<String>,
    days: Option<String>,
    limit: Option<String>,
}

fn number(raw: Option<&str>, field: &str, default: i64, range: std::ops::RangeInclusive<i64>) -> Result<i64, AppError> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s.parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
            AppError::validation(field, format!("must be a whole number from {} to {}", range.start(), range.end()))
        }),
    }
}

/// Entries changed since `since` (the `cursor` of the last answer; 0 the first time)
/// by anyone but `deviceId`, oldest change first, on market days from `days` − 1 days
/// ago to today; plus the device's conflicts not yet acknowledged.
#[utoipa::path(get, path = "/ledger/changes", operation_id = "ledgerChanges",
    params(
        ("deviceId" = Option<uuid::Uuid>, Query, description = "The pulling device: its own changes came back in its push answers"),
        ("since" = Option<i64>, Query, description = "`cursor` of the previous answer; default 0"),
        ("days" = Option<u32>, Query, minimum = 1, maximum = 31, description = "Market days back, today included; default 1"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Default 500"),
    ),
    responses((status = 200, description = "A page of changes", body = super::responses::LedgerChangesEnvelope)))]
async fn changes(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: ChangesQuery = parse_query(raw.as_deref())?;
    let device = q.device_id.as_deref().filter(|s| !s.is_empty()).map(|d| parse_id(d, "deviceId")).transpose()?;
    let since = number(q.since.as_deref(), "since", 0, 0..=i64::MAX)?;
    let days = number(q.days.as_deref(), "days", 1, 1..=31)?;
    let limit = number(q.limit.as_deref(), "limit", 500, 1..=MAX_CHANGES_PER_PULL)?;
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(sync_pull::changes(&state.pool, &caller, device, since, days, limit, chrono::Utc::now()).await?))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EntriesParams {
    date: Option<String>,
    farmer_id: Option<String>,
    client_id: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// A market day's entries (today by default), oldest first; or one entry by
/// `clientId` on any day. Farmers get only their own.
#[utoipa::path(get, path = "/ledger/entries", operation_id = "ledgerEntries",
    params(
        ("date" = Option<chrono::NaiveDate>, Query, description = "Market day, YYYY-MM-DD; default today (IST)"),
        ("farmerId" = Option<uuid::Uuid>, Query, description = "One grower's entries"),
        ("clientId" = Option<uuid::Uuid>, Query, description = "One entry, whatever its day"),
        ("cursor" = Option<String>, Query, description = "`pagination.nextCursor` of the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Default 200"),
    ),
    responses((status = 200, description = "A page of entries", body = super::responses::LedgerEntryPage)))]
async fn entries(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let p: EntriesParams = parse_query(raw.as_deref())?;
    let limit = number(p.limit.as_deref(), "limit", 200, 1..=entry_service::MAX_PAGE)?;
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    let q = EntriesQuery { date: p.date, farmer_id: p.farmer_id, client_id: p.client_id };
    let rows = entry_service::list(&state.pool, &caller, &q, p.cursor.as_deref(), limit, chrono::Utc::now()).await?;
    Ok(keyset_page(rows, limit, entry_service::cursor_of))
}

/// Record one entry now (online clients). The same rules as a synced create, and
/// idempotent on `clientId`: the same entry sent again answers 200 `duplicate`.
#[utoipa::path(post, path = "/ledger/entries", operation_id = "ledgerCreateEntry",
    request_body = app::ledger::model::EntryInput,
    responses(
        (status = 201, description = "Recorded", body = super::responses::LedgerItemEnvelope),
        (status = 200, description = "Already recorded (same clientId, same entry)", body = super::responses::LedgerItemEnvelope),
    ))]
async fn create_entry(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    ApiJson(entry): ApiJson<EntryInput>,
) -> Result<Response, AppError> {
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    let result = sync_push::save_direct(&state.pool, &caller, &entry, chrono::Utc::now(), ip.as_deref()).await?;
    let created = result.status == "applied";
    let mut response = ok(result).into_response();
    if created {
        *response.status_mut() = StatusCode::CREATED;
    }
    Ok(response)
}

/// Set rates (₹ per kg) for flower types × slots of one market day (admins). Entries
/// of that day that were waiting for one of these rates are priced now.
#[utoipa::path(put, path = "/ledger/rates", operation_id = "ledgerSaveRates",
    request_body = app::ledger::model::RatesInput,
    responses((status = 200, description = "Saved", body = super::responses::LedgerRatesSavedEnvelope)))]
async fn save_rates(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<RatesInput>,
) -> Result<Response, AppError> {
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(reference_service::save_rates(&state.pool, &caller, &input, ip.as_deref()).await?))
}

/// The person has seen a sync conflict (its own, or any for an admin) and accepts it.
#[utoipa::path(post, path = "/ledger/conflicts/{id}/ack", operation_id = "ledgerAcknowledgeConflict",
    params(("id" = uuid::Uuid, Path, description = "The conflict's id")),
    responses(
        (status = 200, description = "Acknowledged", body = LedgerAcknowledgedEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn acknowledge(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    sync_conflicts::acknowledge_conflict(&state.pool, &caller, id, ip.as_deref()).await?;
    Ok(ok(Acknowledged { id, acknowledged: true }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Acknowledged {
    pub id: uuid::Uuid,
    pub acknowledged: bool,
}

super::responses::envelope! {
    LedgerAcknowledgedEnvelope(Acknowledged);
}
