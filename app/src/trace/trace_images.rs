//! The trace page's pictures, drawn on the server as SVG: the QR code a label prints
//! (pointing at the lot's public page) and the lot's temperatures against its cold chain
//! (charts-rs, so the page needs no chart script).

use super::model::{BatchEventView, ColdChainView};
use crate::error::AppError;
use charts_rs::{LineChart, Series};
use qrcode::QrCode;
use qrcode::render::svg;

/// A QR code of `url`, black on white with its quiet zone, scaled by the page.
pub fn qr_svg(url: &str) -> Result<String, AppError> {
    // Level M survives a scuffed label (15 % of the code) and keeps the code small.
    let code = QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| AppError::internal("qr code", e))?;
    Ok(code.render::<svg::Color<'_>>().min_dimensions(160, 160).quiet_zone(true).build())
}

/// The temperatures recorded for a lot, oldest first, with its cold chain's limits
/// as lines; `None` with fewer than two to draw a line between. The figures are
/// printed exactly beside the chart (charts-rs draws floats).
pub fn temperature_svg(events: &[BatchEventView], limits: Option<&ColdChainView>) -> Result<Option<String>, AppError> {
    let mut points: Vec<(&BatchEventView, f32)> =
        events.iter().filter_map(|e| Some((e, e.temperature_c.as_deref()?.parse::<f32>().ok()?))).collect();
    if points.len() < 2 {
        return Ok(None);
    }
    points.sort_by_key(|(e, _)| e.occurred_at);
    let labels: Vec<String> = points
        .iter()
        .map(|(e, _)| (e.occurred_at + chrono::Duration::minutes(330)).format("%d %b %H:%M").to_string())
        .collect();
    let mut series = vec![Series::new("°C".to_string(), points.iter().map(|(_, t)| *t).collect())];
    if let Some(l) = limits {
        for (name, value) in [("Lowest allowed", &l.min_c), ("Highest allowed", &l.max_c)] {
            if let Ok(v) = value.parse::<f32>() {
                series.push(Series::new(name.to_string(), vec![v; points.len()]));
            }
        }
    }
    let mut chart = LineChart::new(series, labels);
    chart.width = 640.0;
    chart.height = 280.0;
    chart.title.text = "Temperature (°C)".to_string();
    chart.legend.show = Some(limits.is_some());
    let svg = chart.svg().map_err(|e| AppError::internal("temperature chart", e))?;
    Ok(Some(svg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn reading(at: &str, t: &str) -> BatchEventView {
        BatchEventView {
            seq: 1,
            event_id: uuid::Uuid::nil(),
            kind: "temperature_reading".into(),
            occurred_at: DateTime::parse_from_rfc3339(at).unwrap().with_timezone(&Utc),
            recorded_at: Utc::now(),
            place: String::new(),
            temperature_c: Some(t.into()),
            actor: "Cold store".into(),
            quantity_kg: None,
            note: String::new(),
            lab_result: None,
            certificate: None,
            excursion: None,
            event_hash: String::new(),
            chain_hash: String::new(),
        }
    }

    #[test]
    fn a_qr_code_is_an_svg_of_the_address() {
        let svg = qr_svg("https://mandi.example/trace/GH-VEG-000001").unwrap();
        assert!(svg.contains("<svg") && svg.contains("<path"), "{}", &svg[..200.min(svg.len())]);
    }

    #[test]
    fn temperatures_are_drawn_from_two_readings_with_the_limits() {
        let one = [reading("2026-12-01T00:00:00Z", "4.0")];
        assert_eq!(temperature_svg(&one, None).unwrap(), None);
        let two = [reading("2026-12-01T06:00:00Z", "11.2"), reading("2026-12-01T00:00:00Z", "4.0")];
        let limits = ColdChainView { crop: "Carrot".into(), min_c: "2".into(), max_c: "8".into() };
        let svg = temperature_svg(&two, Some(&limits)).unwrap().unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("Highest allowed"));
        assert!(svg.find("01 Dec 05:30").unwrap() < svg.find("01 Dec 11:30").unwrap(), "oldest first, in IST");
    }
}
