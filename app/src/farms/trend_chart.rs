//! A farm's 90-day health trend as a line chart (charts-rs SVG drawn on the server, so
//! the page needs no chart script). The score is a whole number, so the float charts-rs
//! draws with loses nothing; the page prints the exact figures beside it.

use super::model::TrendPoint;
use crate::error::AppError;
use crate::language::{Locale, td_string};
use charts_rs::{LineChart, Series, YAxisConfig};

/// `None` when there are fewer than two days to draw a line between.
pub fn trend_svg(points: &[TrendPoint], l: Locale) -> Result<Option<String>, AppError> {
    if points.len() < 2 {
        return Ok(None);
    }
    let days: Vec<String> = points.iter().map(|p| p.day.format("%d %b").to_string()).collect();
    let scores: Vec<f32> = points.iter().map(|p| f32::from(p.score)).collect();
    let mut series = Series::new(td_string!(l, farms.health).to_string(), scores);
    series.smooth = Some(true);
    series.fill = Some(true);
    let mut chart = LineChart::new(vec![series], days);
    chart.width = 640.0;
    chart.height = 260.0;
    chart.title.text = td_string!(l, farms.trend).to_string();
    chart.legend.show = Some(false);
    chart.y_axis_configs = vec![YAxisConfig {
        min: Some(0.0),
        max: Some(100.0),
        split_number: 4,
        ..chart.y_axis_configs.first().cloned().unwrap_or_default()
    }];
    let svg = chart.svg().map_err(|e| AppError::internal("health trend chart", e))?;
    Ok(Some(svg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_line_once_there_are_two_days() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let one = [TrendPoint { day, score: 80 }];
        assert_eq!(trend_svg(&one, Locale::en).unwrap(), None);
        let two = [one[0], TrendPoint { day: day.succ_opt().unwrap(), score: 82 }];
        let svg = trend_svg(&two, Locale::ta).unwrap().unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("கடந்த 90 நாள்"));
    }
}
