//! `/api/v1/ledger/reports/…`: the day book, a grower's statement and the flower-wise
//! summary, for staff and admins; growers get their own figures only.

use super::extract::{Authenticated, parse_query};
use super::routes::Routes;
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::ReportsView;
use app::envelope::ok;
use app::error::AppError;
use app::ledger::context::LedgerCaller;
use app::ledger::reference_service::parse_day;
use app::ledger::report_service::{self, GrowerKey};
use app::state::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(utoipa::OpenApi)]
#[openapi(paths(day_book, statement, flowers))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/ledger/reports/day-book", Requires(ReportsView), day_book)
        .get("/ledger/reports/farmer-statement", Requires(ReportsView), statement)
        .get("/ledger/reports/flower-summary", Requires(ReportsView), flowers)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DayQuery {
    date: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PeriodQuery {
    farmer_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn required<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, AppError> {
    value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| AppError::validation(field, "is required (YYYY-MM-DD)"))
}

/// One market day: each grower's entries, kilograms and amount, and each flower's.
#[utoipa::path(get, path = "/ledger/reports/day-book", operation_id = "ledgerDayBook",
    params(("date" = Option<String>, Query, description = "The market day, YYYY-MM-DD; today (IST) when omitted")),
    responses((status = 200, description = "The day book", body = super::responses::LedgerDayBookEnvelope)))]
async fn day_book(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: DayQuery = parse_query(raw.as_deref())?;
    let date = match q.date.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => parse_day(d, "date")?,
        None => app::domain::market_slot::market_date(chrono::Utc::now()),
    };
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(report_service::day_book(&state.pool, &caller, date).await?))
}

/// A grower's deliveries, settlements and advances over a period (at most 366 days).
#[utoipa::path(get, path = "/ledger/reports/farmer-statement", operation_id = "ledgerFarmerStatement",
    params(
        ("farmerId" = Option<String>, Query, description = "The grower's id or number; growers may omit it for their own"),
        ("from" = String, Query, description = "First market day, YYYY-MM-DD"),
        ("to" = String, Query, description = "Last market day, YYYY-MM-DD"),
    ),
    responses(
        (status = 200, description = "The statement", body = super::responses::LedgerStatementEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn statement(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: PeriodQuery = parse_query(raw.as_deref())?;
    let key = GrowerKey::parse(q.farmer_id.as_deref().unwrap_or(""), "farmerId")?;
    let (from, to) = report_service::parse_period(required(&q.from, "from")?, required(&q.to, "to")?)?;
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(report_service::farmer_statement(&state.pool, &caller, key, from, to).await?))
}

/// Per flower over a period: entries, kilograms, amount, average rate and share.
#[utoipa::path(get, path = "/ledger/reports/flower-summary", operation_id = "ledgerFlowerSummary",
    params(
        ("from" = String, Query, description = "First market day, YYYY-MM-DD"),
        ("to" = String, Query, description = "Last market day, YYYY-MM-DD"),
    ),
    responses((status = 200, description = "The summary", body = super::responses::LedgerFlowerSummaryEnvelope)))]
async fn flowers(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: PeriodQuery = parse_query(raw.as_deref())?;
    if q.farmer_id.is_some() {
        return Err(AppError::validation("farmerId", "is not a filter of this report"));
    }
    let (from, to) = report_service::parse_period(required(&q.from, "from")?, required(&q.to, "to")?)?;
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(report_service::flower_summary(&state.pool, &caller, from, to).await?))
}
