//! Server functions behind the report pages. Thin: who is asking, the period they
//! asked for (or the usual one), then `report_service`, as the REST door
//! (`server/src/rest/v1/ledger_reports.rs`) does.

use super::report_model::*;
use crate::domain::permissions::{Access, Action};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const ACCESS: &[(&str, Access)] = &[
    ("/_fn/ledger/reports/day-book", Access::Requires(Action::ReportsView)),
    ("/_fn/ledger/reports/statement", Access::Requires(Action::ReportsView)),
    ("/_fn/ledger/reports/flowers", Access::Requires(Action::ReportsView)),
];

/// The flower-wise summary with its chart, drawn on the server in the reader's language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowerChartReport {
    pub summary: FlowerSummary,
    pub chart_svg: Option<String>,
}

/// A period from the form, or the last `default_days` market days up to today.
#[cfg(feature = "ssr")]
fn period_or(
    from: &str,
    to: &str,
    default_from: impl FnOnce(chrono::NaiveDate) -> chrono::NaiveDate,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate), AppError> {
    let today = crate::domain::market_slot::market_date(chrono::Utc::now());
    match (from.trim().is_empty(), to.trim().is_empty()) {
        (true, true) => Ok((default_from(today), today)),
        (false, true) => super::report_service::parse_period(from, &today.to_string()),
        (true, false) => {
            let to = super::reference_service::parse_day(to, "to")?;
            super::report_service::parse_period(&default_from(to).to_string(), &to.to_string())
        }
        (false, false) => super::report_service::parse_period(from, to),
    }
}

#[server(prefix = "/_fn", endpoint = "ledger/reports/day-book")]
pub async fn day_book_report(date: String) -> Result<DayBook, AppError> {
    let (state, caller, _) = super::api::caller(ACCESS, "/_fn/ledger/reports/day-book").await?;
    let date = if date.trim().is_empty() {
        crate::domain::market_slot::market_date(chrono::Utc::now())
    } else {
        super::reference_service::parse_day(&date, "date")?
    };
    super::report_service::day_book(&state.pool, &caller, date).await
}

/// `farmer` is a grower's number or id; growers may leave it empty for their own.
#[server(prefix = "/_fn", endpoint = "ledger/reports/statement")]
pub async fn statement_report(farmer: String, from: String, to: String) -> Result<FarmerStatement, AppError> {
    use chrono::Datelike;
    let key = super::report_service::GrowerKey::parse(&farmer, "farmer")?;
    let (from, to) = period_or(&from, &to, |d| d.with_day(1).unwrap_or(d))?;
    let (state, caller, _) = super::api::caller(ACCESS, "/_fn/ledger/reports/statement").await?;
    super::report_service::farmer_statement(&state.pool, &caller, key, from, to).await
}

#[server(prefix = "/_fn", endpoint = "ledger/reports/flowers")]
pub async fn flower_report(from: String, to: String, lang: String) -> Result<FlowerChartReport, AppError> {
    let (from, to) = period_or(&from, &to, |d| d - chrono::Days::new(6))?;
    let (state, caller, _) = super::api::caller(ACCESS, "/_fn/ledger/reports/flowers").await?;
    let summary = super::report_service::flower_summary(&state.pool, &caller, from, to).await?;
    let chart_svg = super::report_chart::flower_chart_svg(&summary, crate::language::locale_from(&lang))?;
    Ok(FlowerChartReport { summary, chart_svg })
}
