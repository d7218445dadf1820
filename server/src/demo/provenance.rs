//! Provenance for every demo lot: organic certificates of its farm (some lapsed), a
//! transaction certificate for some lots, two to four lab results with a few values
//! close to their limits (a failing one only on lots with no stock left: a lot that
//! failed is off sale), and three to six handling checkpoints with temperatures (a
//! 2–8 °C cold chain for vegetables and fruit). Drawn from its own random stream, so
//! the rest of the world is the same with or without it; deterministic per seed.

use super::catalogue::FarmKind;
use super::model::{Certification, Checkpoint, LabResult, World};
use chrono::{DateTime, Days, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use std::collections::HashMap;
use uuid::Uuid;

/// The day the demo world is "today" for certificate validity (as harvests are).
const EPOCH: (i32, u32, u32) = (2026, 11, 20);

const NPOP: (&str, &str) = ("India Organic (NPOP)", "india-organic-npop");
const PGS: (&str, &str) = ("PGS-India Organic", "pgs-india-organic");
const RAINFOREST: (&str, &str) = ("Rainforest Alliance", "rainforest-alliance");
const FAIRTRADE: (&str, &str) = ("Fairtrade", "fairtrade");
const TRANSACTION: (&str, &str) = ("NPOP Transaction Certificate", "npop-transaction-certificate");

/// NPOP-accredited certification bodies, with the prefix of their certificate numbers.
const BODIES: &[(&str, &str)] = &[
    ("Control Union Certifications", "CUC"),
    ("OneCert International", "OCI"),
    ("Indocert", "IND"),
    ("Ecocert India", "ECO"),
    ("Lacon Quality Certification", "LQC"),
    ("SGS India", "SGS"),
];

const LABS: &[(&str, &str)] = &[
    ("Vimta Labs, Hyderabad", "VIM"),
    ("Eurofins Analytical Services India, Bengaluru", "EAS"),
    ("TÜV SÜD South Asia, Chennai", "TUV"),
    ("SGS India Food Laboratory, Chennai", "SGL"),
];
const TEA_LAB: (&str, &str) = ("Tea Research Association Laboratory, Tocklai", "TRA");
const SPICE_LAB: (&str, &str) = ("Spices Board Quality Evaluation Laboratory, Kochi", "SBQ");

/// (test, analyte group, unit, limit in ten-thousandths, "max" or "min").
type TestSpec = (&'static str, &'static str, &'static str, i64, &'static str);

const TEA_TESTS: &[TestSpec] = &[
    ("Moisture", "moisture", "%", 80_000, "max"),
    ("Quinalphos residue", "pesticide_residue", "mg/kg", 100, "max"),
    ("Lead (Pb)", "heavy_metal", "mg/kg", 100_000, "max"),
    ("Hexaconazole residue", "pesticide_residue", "mg/kg", 500, "max"),
    ("Total ash", "quality", "%", 80_000, "max"),
];
const SPICE_TESTS: &[TestSpec] = &[
    ("Moisture", "moisture", "%", 120_000, "max"),
    ("Aflatoxin B1", "mycotoxin", "µg/kg", 50_000, "max"),
    ("Chlorpyrifos residue", "pesticide_residue", "mg/kg", 500, "max"),
    ("Lead (Pb)", "heavy_metal", "mg/kg", 25_000, "max"),
];
const VEGETABLE_TESTS: &[TestSpec] = &[
    ("Chlorpyrifos residue", "pesticide_residue", "mg/kg", 100, "max"),
    ("Cadmium (Cd)", "heavy_metal", "mg/kg", 1_000, "max"),
    ("Lead (Pb)", "heavy_metal", "mg/kg", 1_000, "max"),
    ("E. coli", "microbiological", "cfu/g", 1_000_000, "max"),
    ("Nitrate", "quality", "mg/kg", 35_000_000, "max"),
];
const FRUIT_TESTS: &[TestSpec] = &[
    ("Carbendazim residue", "pesticide_residue", "mg/kg", 1_000, "max"),
    ("Lead (Pb)", "heavy_metal", "mg/kg", 1_000, "max"),
    ("Total soluble solids", "quality", "°Brix", 100_000, "min"),
];
const PANTRY_TESTS: &[TestSpec] = &[
    ("Moisture", "moisture", "%", 200_000, "max"),
    ("Lead (Pb)", "heavy_metal", "mg/kg", 2_000, "max"),
    ("Aflatoxin B1", "mycotoxin", "µg/kg", 50_000, "max"),
];

struct Rand(ChaCha8Rng);

impl Rand {
    fn id(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.0.random()).into_uuid()
    }
    fn celsius(&mut self, lo: f64, hi: f64) -> Option<Decimal> {
        let tenths = (self.0.random_range(lo..=hi) * 10.0).round() as i64;
        Some(Decimal::new(tenths, 1))
    }
}

/// IST wall-clock time on `day` (minutes after midnight), as UTC.
fn ist(day: NaiveDate, minutes: i64) -> DateTime<Utc> {
    let local = day.and_hms_opt(0, 0, 0).expect("midnight") + chrono::Duration::minutes(minutes);
    (local - chrono::Duration::minutes(330)).and_utc()
}

pub fn add_provenance(world: &mut World, seed: u64) {
    let mut r = Rand(ChaCha8Rng::seed_from_u64(seed ^ 0x7072_6f76_656e_616e));
    let epoch = NaiveDate::from_ymd_opt(EPOCH.0, EPOCH.1, EPOCH.2).expect("valid date");
    let mut serial = 0u32;
    fn next(n: &mut u32) -> u32 {
        *n += 1;
        *n
    }

    // Farm certificates; each farm's certification body also signs its lots' papers.
    let mut body_of: HashMap<Uuid, usize> = HashMap::new();
    for farm in &world.farms {
        let body = r.0.random_range(0..BODIES.len());
        body_of.insert(farm.id, body);
        let (issuer, prefix) = BODIES[body];
        // NPOP scope certificates run a year and are renewed after inspection.
        let from = epoch - Days::new(r.0.random_range(15..330));
        let until = from + Days::new(364);
        world.certifications.push(Certification {
            tenant_id: farm.tenant_id,
            id: r.id(),
            scheme: NPOP.0,
            scheme_slug: NPOP.1,
            issuer,
            number: format!("{prefix}/NPOP/{}/{:06}", from.format("%Y"), next(&mut serial)),
            farm_id: Some(farm.id),
            batch_id: None,
            valid_from: from,
            valid_until: until,
        });
        // A third of farms still show last year's certificate, now expired.
        if r.0.random_bool(0.33) {
            let old_from = from - Days::new(365);
            world.certifications.push(Certification {
                tenant_id: farm.tenant_id,
                id: r.id(),
                scheme: NPOP.0,
                scheme_slug: NPOP.1,
                issuer,
                number: format!("{prefix}/NPOP/{}/{:06}", old_from.format("%Y"), next(&mut serial)),
                farm_id: Some(farm.id),
                batch_id: None,
                valid_from: old_from,
                valid_until: from - Days::new(1),
            });
        }
        let extra = match farm.kind {
            FarmKind::TeaEstate if r.0.random_bool(0.6) => Some((RAINFOREST, "Rainforest Alliance", "RA-C", 3 * 365)),
            FarmKind::SpiceGarden if r.0.random_bool(0.4) => Some((FAIRTRADE, "FLOCERT", "FLO", 3 * 365)),
            FarmKind::VegetableFarm | FarmKind::Orchard if r.0.random_bool(0.5) => {
                Some((PGS, "PGS-India Regional Council, Nilgiris", "PGS-TN", 365))
            }
            _ => None,
        };
        if let Some(((scheme, slug), issuer, prefix, days)) = extra {
            // One in four of these has lapsed.
            let lapsed = r.0.random_bool(0.25);
            let from = if lapsed {
                epoch - Days::new(days + r.0.random_range(10..200))
            } else {
                epoch - Days::new(r.0.random_range(10..days - 30))
            };
            world.certifications.push(Certification {
                tenant_id: farm.tenant_id,
                id: r.id(),
                scheme,
                scheme_slug: slug,
                issuer,
                number: format!("{prefix}-{}-{:06}", from.format("%Y"), next(&mut serial)),
                farm_id: Some(farm.id),
                batch_id: None,
                valid_from: from,
                valid_until: from + Days::new(days),
            });
        }
    }

    let farms: HashMap<Uuid, (FarmKind, String, String, String)> =
        world.farms.iter().map(|f| (f.id, (f.kind, f.name.clone(), f.region.clone(), f.state.clone()))).collect();
    let stock_of: HashMap<Uuid, i64> = world.stock_items.iter().map(|s| (s.batch_id, s.on_hand_grams)).collect();

    for batch in &world.batches {
        let (kind, farm_name, region, state) = &farms[&batch.farm_id];
        let sold_out = stock_of.get(&batch.id).copied().unwrap_or(0) == 0;
        let harvest = batch.harvested_on;

        // A transaction certificate for half the lots, under the farm's certifier.
        if r.0.random_bool(0.5) {
            let (issuer, prefix) = BODIES[body_of[&batch.farm_id]];
            let from = harvest + Days::new(r.0.random_range(2..6));
            world.certifications.push(Certification {
                tenant_id: batch.tenant_id,
                id: r.id(),
                scheme: TRANSACTION.0,
                scheme_slug: TRANSACTION.1,
                issuer,
                number: format!("{prefix}/TC/{}/{:06}", from.format("%Y"), next(&mut serial)),
                farm_id: None,
                batch_id: Some(batch.id),
                valid_from: from,
                valid_until: from + Days::new(180),
            });
        }

        // Lab results.
        let (tests, specialist) = match batch.category {
            "tea" => (TEA_TESTS, Some(TEA_LAB)),
            "spices" => (SPICE_TESTS, Some(SPICE_LAB)),
            "vegetables" => (VEGETABLE_TESTS, None),
            "fruits" => (FRUIT_TESTS, None),
            _ => (PANTRY_TESTS, None),
        };
        let (lab_name, lab_prefix) = match specialist {
            Some(lab) if r.0.random_bool(0.5) => lab,
            _ => LABS[r.0.random_range(0..LABS.len())],
        };
        let count = r.0.random_range(2..=4usize).min(tests.len());
        let start = r.0.random_range(0..tests.len());
        let failing = if sold_out && r.0.random_bool(0.6) { Some(r.0.random_range(0..count)) } else { None };
        let tested_on = harvest + Days::new(r.0.random_range(1..4));
        let report_number = format!("{lab_prefix}-{}-{:06}", tested_on.format("%y%m"), next(&mut serial));
        for k in 0..count {
            let (test, group, unit, limit, kind) = tests[(start + k) % tests.len()];
            // As a fraction of the limit: usually comfortable, sometimes close, and
            // over (or, for a minimum, under) only on the failing test.
            let fraction = if failing == Some(k) {
                if kind == "max" { r.0.random_range(1.1..1.8) } else { r.0.random_range(0.75..0.95) }
            } else if r.0.random_bool(0.15) {
                if kind == "max" { r.0.random_range(0.85..0.99) } else { r.0.random_range(1.0..1.04) }
            } else if kind == "max" {
                r.0.random_range(0.05..0.65)
            } else {
                r.0.random_range(1.08..1.4)
            };
            // Counts and large values are whole numbers; others keep two or four places.
            let step = if unit == "cfu/g" || limit >= 10_000_000 {
                10_000
            } else if limit >= 10_000 {
                100
            } else {
                1
            };
            let mut value = ((limit as f64 * fraction) / step as f64).round() as i64 * step;
            // Keep the verdict the fraction intended after rounding.
            value = match (failing == Some(k), kind) {
                (false, "max") => value.min(limit),
                (false, _) => value.max(limit),
                (true, "max") => value.max(limit + step),
                (true, _) => value.min(limit - step),
            };
            world.lab_results.push(LabResult {
                tenant_id: batch.tenant_id,
                id: r.id(),
                batch_id: batch.id,
                test,
                analyte_group: group,
                value: Decimal::new(value, 4).normalize(),
                unit,
                limit_value: Decimal::new(limit, 4).normalize(),
                limit_kind: kind,
                lab_name,
                tested_on,
                report_number: report_number.clone(),
            });
        }

        // Handling checkpoints.
        let hills = state == "West Bengal";
        let hub = if hills { "GreenHarvest cold store, Siliguri" } else { "GreenHarvest cold store, Mettupalayam" };
        let destination =
            if hills { "GreenHarvest fulfilment centre, Kolkata" } else { "GreenHarvest fulfilment centre, Bengaluru" };
        let farm_place = format!("{farm_name}, {region}");
        let mut stops: Vec<(&'static str, DateTime<Utc>, String, Option<Decimal>, &'static str)> = Vec::new();
        let cold_chain = matches!(kind, FarmKind::VegetableFarm | FarmKind::Orchard)
            && matches!(batch.category, "vegetables" | "fruits");
        let picked = r.0.random_range(330..420); // 05:30–07:00
        stops.push(("harvested", ist(harvest, picked), farm_place.clone(), r.celsius(12.0, 24.0), "Field supervisor"));
        if cold_chain {
            if r.0.random_bool(0.6) {
                stops.push((
                    "graded",
                    ist(harvest, picked + 150),
                    format!("Packhouse, {farm_name}"),
                    r.celsius(10.0, 16.0),
                    "Packhouse lead",
                ));
            }
            // 2–8 °C from the cold store on; now and then close to the top of the band.
            let near_top = r.0.random_bool(0.15);
            let cold = |r: &mut Rand| if near_top { r.celsius(7.2, 7.9) } else { r.celsius(2.5, 6.5) };
            stops.push((
                "cold_store",
                ist(harvest, picked + 360),
                hub.to_string(),
                cold(&mut r),
                "Cold store operator",
            ));
            stops.push((
                "packed",
                ist(harvest + Days::new(1), 420),
                hub.to_string(),
                cold(&mut r),
                "Packing line supervisor",
            ));
            stops.push((
                "dispatched",
                ist(harvest + Days::new(1), 1_080),
                format!("Reefer truck from {hub}"),
                cold(&mut r),
                "Dispatch desk",
            ));
            if r.0.random_bool(0.6) {
                stops.push((
                    "received",
                    ist(harvest + Days::new(2), 300),
                    destination.to_string(),
                    cold(&mut r),
                    "Receiving bay",
                ));
            }
        } else {
            let processed = r.0.random_range(1..3u64);
            stops.push((
                "graded",
                ist(harvest + Days::new(processed), 600),
                format!("Factory, {farm_name}"),
                r.celsius(20.0, 28.0),
                "Factory sorting room",
            ));
            if r.0.random_bool(0.7) {
                stops.push((
                    "packed",
                    ist(harvest + Days::new(processed + 2), 660),
                    format!("Factory, {farm_name}"),
                    r.celsius(20.0, 27.0),
                    "Packing line supervisor",
                ));
            }
            stops.push((
                "dispatched",
                ist(harvest + Days::new(processed + 4), 900),
                format!("{farm_name} dispatch yard"),
                r.celsius(16.0, 30.0),
                "Dispatch desk",
            ));
            if r.0.random_bool(0.5) {
                stops.push((
                    "received",
                    ist(harvest + Days::new(processed + 6), 720),
                    destination.to_string(),
                    r.celsius(22.0, 29.0),
                    "Receiving bay",
                ));
            }
        }
        for (stage, occurred_at, place, temperature_c, recorded_by) in stops {
            world.checkpoints.push(Checkpoint {
                tenant_id: batch.tenant_id,
                id: r.id(),
                batch_id: batch.id,
                stage,
                occurred_at,
                place,
                temperature_c,
                recorded_by,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::world::generate;
    use app::config::DemoScale;
    use rust_decimal::Decimal;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn every_lot_has_believable_provenance() {
        let w = generate(DemoScale::Small, 42);
        let stock: HashMap<_, _> = w.stock_items.iter().map(|s| (s.batch_id, s.on_hand_grams)).collect();
        for b in &w.batches {
            let labs: Vec<_> = w.lab_results.iter().filter(|l| l.batch_id == b.id).collect();
            assert!((2..=4).contains(&labs.len()), "{} has {} lab results", b.code, labs.len());
            let failed = labs
                .iter()
                .any(|l| if l.limit_kind == "max" { l.value > l.limit_value } else { l.value < l.limit_value });
            assert!(!failed || stock[&b.id] == 0, "{} failed a test but is on sale", b.code);
            let stops: Vec<_> = w.checkpoints.iter().filter(|c| c.batch_id == b.id).collect();
            assert!((3..=6).contains(&stops.len()), "{} has {} checkpoints", b.code, stops.len());
            assert!(stops.windows(2).all(|p| p[0].occurred_at < p[1].occurred_at), "{} in time order", b.code);
            if b.category == "vegetables" {
                for c in stops.iter().filter(|c| c.stage == "cold_store" || c.stage == "dispatched") {
                    let t = c.temperature_c.unwrap();
                    assert!(t >= Decimal::from(2) && t <= Decimal::from(8), "{} at {t} °C", b.code);
                }
            }
        }
        // Every farm is certified organic; some certificates have lapsed.
        let epoch = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        for f in &w.farms {
            assert!(
                w.certifications.iter().any(|c| c.farm_id == Some(f.id)
                    && c.scheme_slug == "india-organic-npop"
                    && c.valid_until >= epoch)
            );
        }
        assert!(w.certifications.iter().any(|c| c.valid_until < epoch));
        let numbers: HashSet<_> = w.certifications.iter().map(|c| (c.tenant_id, c.issuer, &c.number)).collect();
        assert_eq!(numbers.len(), w.certifications.len(), "certificate numbers are unique per issuer");
        assert!(
            w.lab_results.iter().any(|l| l.value > l.limit_value * Decimal::new(85, 2) && l.value <= l.limit_value)
        );
        // Same seed, same provenance.
        let again = generate(DemoScale::Small, 42);
        assert_eq!(
            w.checkpoints.iter().map(|c| c.id).collect::<Vec<_>>(),
            again.checkpoints.iter().map(|c| c.id).collect::<Vec<_>>()
        );
    }
}
