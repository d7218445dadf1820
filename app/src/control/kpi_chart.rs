//! The KPI panel's chart: the tenant's main money figure for each of the last 30 days,
//! as bars (charts-rs SVG drawn on the server, so the tower needs no chart script).
//! Bar heights are the only place the figure becomes a float: they are pixels, while
//! every number printed beside the chart stays the exact decimal.

use super::model::TenantKind;
use crate::domain::kpi::{KpiDay, daily_series};
use crate::domain::money::Money;
use crate::error::AppError;
use charts_rs::{BarChart, Series};
use chrono::NaiveDate;

/// What the chart of a tenant of this kind draws, and its title.
pub fn charted(kind: TenantKind) -> (fn(&KpiDay) -> Money, &'static str) {
    match kind {
        TenantKind::Store => (|d| d.gmv, "GMV per day, last 30 days (₹)"),
        TenantKind::Market => (|d| d.settled, "Settled per day, last 30 days (₹)"),
        TenantKind::Estate => (|d| d.farm_revenue, "Farm revenue per day, last 30 days (₹)"),
    }
}

/// `None` when every day of the window is zero: an empty chart says nothing.
pub fn daily_chart_svg(kind: TenantKind, days: &[KpiDay], today: NaiveDate) -> Result<Option<String>, AppError> {
    let (figure, title) = charted(kind);
    let series = daily_series(days, today, super::kpi_service::CHART_DAYS, figure);
    if series.iter().all(|(_, m)| m.amount().is_zero()) {
        return Ok(None);
    }
    let labels: Vec<String> = series.iter().map(|(d, _)| d.format("%d %b").to_string()).collect();
    let values: Vec<f32> = series.iter().map(|(_, m)| m.amount().to_string().parse::<f32>().unwrap_or(0.0)).collect();
    let mut chart = BarChart::new(vec![Series::new(title.to_string(), values)], labels);
    chart.width = 720.0;
    chart.height = 280.0;
    chart.title.text = title.to_string();
    chart.legend.show = Some(false);
    let svg = chart.svg().map_err(|e| AppError::internal("KPI chart", e))?;
    Ok(Some(svg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn draws_the_tenants_figure_for_thirty_days() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let sold = KpiDay { gmv: Money::from_rupees(1_250), ..KpiDay::empty(today - Duration::days(1)) };
        let svg = daily_chart_svg(TenantKind::Store, std::slice::from_ref(&sold), today).unwrap().unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("GMV per day") && svg.contains("06 Dec") && svg.contains("07 Dec")
        );
        assert!(svg.contains("08 Nov") && !svg.contains("07 Nov"), "thirty days, today the last");
        assert_eq!(
            daily_chart_svg(TenantKind::Market, &[sold], today).unwrap(),
            None,
            "a store's sales are no market's"
        );
    }
}
