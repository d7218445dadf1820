//! The flower-wise summary as a horizontal bar chart (charts-rs, SVG drawn on the
//! server so the page needs no chart script). Bar lengths are the only place a report
//! figure becomes a float: they are pixels, while every number printed stays the
//! exact decimal from the table beside the chart.

use super::report_model::FlowerSummary;
use crate::error::AppError;
use crate::language::{Locale, td_string};
use charts_rs::{HorizontalBarChart, Series};

/// Kilograms per flower, named in the reader's language. `None` when there is
/// nothing to draw.
pub fn flower_chart_svg(summary: &FlowerSummary, l: Locale) -> Result<Option<String>, AppError> {
    if summary.flowers.is_empty() {
        return Ok(None);
    }
    // Top to bottom in the table's order (the chart draws its first category lowest).
    let flowers: Vec<_> = summary.flowers.iter().rev().collect();
    let names: Vec<String> =
        flowers.iter().map(|f| if l == Locale::ta { f.name_ta.clone() } else { f.name_en.clone() }).collect();
    let kg: Vec<f32> =
        flowers.iter().map(|f| f.tally.quantity_kg.amount().to_string().parse::<f32>().unwrap_or(0.0)).collect();
    let mut series = Series::new(td_string!(l, report.chart_series).to_string(), kg);
    series.label_show = true;
    let mut chart = HorizontalBarChart::new(vec![series], names);
    chart.width = 640.0;
    chart.height = 80.0 + 44.0 * flowers.len() as f32;
    chart.title.text = td_string!(l, report.chart_title).to_string();
    chart.legend.show = Some(false);
    let svg = chart.svg().map_err(|e| AppError::internal("flower chart", e))?;
    Ok(Some(svg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kilograms::Kg;
    use crate::domain::ledger_report::Tally;
    use crate::domain::money::Money;
    use crate::ledger::report_model::FlowerTally;

    fn flower(en: &str, ta: &str, grams: i64) -> FlowerTally {
        FlowerTally {
            flower_type_id: uuid::Uuid::nil(),
            code: "X".into(),
            name_en: en.into(),
            name_ta: ta.into(),
            tally: Tally { entries: 1, quantity_kg: Kg::from_grams(grams), gross: Money::from_rupees(1), pending: 0 },
            average_rate: None,
            share_percent: "0.0".into(),
        }
    }

    #[test]
    fn draws_each_flower_in_the_readers_language() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let summary = FlowerSummary {
            from: day,
            to: day,
            flowers: vec![flower("Jasmine", "மல்லி", 125_500), flower("Rose", "ரோஜா", 40_000)],
            total: Tally::ZERO,
            own_only: false,
        };
        let en = flower_chart_svg(&summary, Locale::en).unwrap().unwrap();
        assert!(en.starts_with("<svg") && en.contains("Jasmine") && en.contains("Rose"), "{en}");
        assert!(en.contains("125.5"), "the bar is labelled with its kilograms");
        let ta = flower_chart_svg(&summary, Locale::ta).unwrap().unwrap();
        assert!(ta.contains("மல்லி") && ta.contains("ரோஜா") && !ta.contains("Jasmine"));
        let empty = FlowerSummary { flowers: vec![], ..summary };
        assert_eq!(flower_chart_svg(&empty, Locale::en).unwrap(), None);
    }

    #[test]
    fn chart_labels_are_escaped() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let summary = FlowerSummary {
            from: day,
            to: day,
            flowers: vec![
                flower("<b>&", "<i>", 1_000),
                flower("</svg><script>x</script>", "a", 2_000),
                flower("x\" onmouseover=\"y", "b", 3_000),
            ],
            total: Tally::ZERO,
            own_only: false,
        };
        let en = flower_chart_svg(&summary, Locale::en).unwrap().unwrap();
        assert!(en.contains("&lt;b&gt;&amp;"), "the name is shown as text: {en}");
        assert!(!en.contains("<b>") && !en.contains("<script") && en.matches("</svg>").count() == 1, "{en}");
        assert!(
            en.contains("data-category=\"x&quot; onmouseover=&quot;y\""),
            "a quote does not end an attribute: {en}"
        );
        let ta = flower_chart_svg(&summary, Locale::ta).unwrap().unwrap();
        assert!(ta.contains("&lt;i&gt;") && !ta.contains("<i>"), "{ta}");
    }
}
