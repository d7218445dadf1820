//! The Malar flower market's ledger in the demo world: terms, bilingual flower types,
//! hourly slots 04:00–09:00, rates for yesterday, today and tomorrow, growers with
//! Tamil and English names, an advance, and a morning of entries. `large` scale has
//! 2,000 growers and 150,000 entries in one market day, for the settlement bench.

use super::model::World;
use app::config::DemoScale;
use app::domain::kilograms::Kg;
use app::domain::market_slot;
use app::domain::money::Money;
use app::domain::settlement::entry_total;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use uuid::Uuid;

/// (code, English, Tamil, base rate ₹/kg).
pub const FLOWERS: [(&str, &str, &str, i64); 7] = [
    ("JAS", "Jasmine", "மல்லி", 600),
    ("MUL", "Mullai", "முல்லை", 450),
    ("KAN", "Kanakambaram", "கனகாம்பரம்", 700),
    ("SAM", "Chrysanthemum", "சாமந்தி", 120),
    ("ROS", "Rose", "ரோஜா", 180),
    ("ARA", "Arali", "அரளி", 90),
    ("SMP", "Sampangi", "சம்பங்கி", 160),
];

const FIRST_NAMES: [(&str, &str); 16] = [
    ("Murugan", "முருகன்"),
    ("Selvi", "செல்வி"),
    ("Karuppasamy", "கருப்பசாமி"),
    ("Meenakshi", "மீனாட்சி"),
    ("Pandi", "பாண்டி"),
    ("Lakshmi", "லட்சுமி"),
    ("Ayyanar", "அய்யனார்"),
    ("Valli", "வள்ளி"),
    ("Muthu", "முத்து"),
    ("Kannan", "கண்ணன்"),
    ("Ponni", "பொன்னி"),
    ("Raja", "ராஜா"),
    ("Chellammal", "செல்லம்மாள்"),
    ("Velu", "வேலு"),
    ("Anjalai", "அஞ்சலை"),
    ("Sudalai", "சுடலை"),
];

const INITIALS: [(&str, &str); 6] = [("K", "க"), ("S", "ச"), ("M", "ம"), ("P", "ப"), ("R", "ர"), ("V", "வ")];

const VILLAGES: [&str; 6] = ["Thirumangalam", "Melur", "Usilampatti", "Vadipatti", "Peraiyur", "Nilakottai"];

pub struct Farmer {
    pub id: Uuid,
    pub farmer_no: i32,
    pub name_en: String,
    pub name_ta: String,
    pub village: &'static str,
    pub phone: String,
    pub whatsapp: Option<String>,
    pub language: &'static str,
    pub user_id: Option<Uuid>,
}

pub struct Entry {
    pub client_id: Uuid,
    pub farmer_id: Uuid,
    pub flower_type_id: Uuid,
    pub slot_id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub quantity_kg: Decimal,
    pub rate: Decimal,
    pub total: Decimal,
}

pub struct Market {
    pub tenant_id: Uuid,
    pub staff: Uuid,
    pub admin: Uuid,
    pub flowers: Vec<(Uuid, &'static str, &'static str, &'static str, i64)>,
    pub slots: Vec<(Uuid, NaiveTime, NaiveTime)>,
    /// (day, flower, slot, rate)
    pub rates: Vec<(NaiveDate, Uuid, Uuid, Decimal)>,
    pub farmers: Vec<Farmer>,
    pub day: NaiveDate,
    pub entries: Vec<Entry>,
    /// (advance id, farmer, given on, amount)
    pub advances: Vec<(Uuid, Uuid, NaiveDate, Decimal)>,
}

fn new_id(rng: &mut ChaCha8Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

fn counts(scale: DemoScale) -> (usize, usize) {
    match scale {
        // A catalogue sized for a benchmark comes with a small market.
        DemoScale::Small | DemoScale::Products(_) => (40, 300),
        DemoScale::Medium => (200, 5_000),
        DemoScale::Large => (2_000, 150_000),
    }
}

/// The hour the demo market's first slot opens (IST).
const OPENS_AT_HOUR: i64 = 4;
const CLOSES_AT_HOUR: i64 = 9;

/// The demo's market day: the latest morning that has begun by `now`. Before 04:00 IST
/// that is yesterday's, so no demo entry is dated after the moment it was loaded.
pub fn demo_day(now: DateTime<Utc>) -> NaiveDate {
    market_slot::market_date(now - Duration::hours(OPENS_AT_HOUR))
}

/// The market's world around `now`: rates for the demo day and the days either side, and
/// its morning of entries, spread over the part of 04:00–09:00 that has already passed.
pub fn generate(world: &World, scale: DemoScale, seed: u64, now: DateTime<Utc>) -> Option<Market> {
    let tenant = world.tenants.iter().find(|t| t.slug == "malar")?;
    let user = |role: &str| world.users.iter().find(|u| u.tenant_id == tenant.id && u.role == role);
    let (staff, admin, farmer_user) = (user("staff")?, user("admin")?, user("farmer")?);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x006d_616c_6172);
    let flowers: Vec<_> = FLOWERS.iter().map(|&(code, en, ta, base)| (new_id(&mut rng), code, en, ta, base)).collect();
    let slots: Vec<_> = (OPENS_AT_HOUR as u32..CLOSES_AT_HOUR as u32)
        .map(|h| {
            (new_id(&mut rng), NaiveTime::from_hms_opt(h, 0, 0).unwrap(), NaiveTime::from_hms_opt(h + 1, 0, 0).unwrap())
        })
        .collect();
    let (farmer_count, entry_count) = counts(scale);
    let farmers: Vec<Farmer> = (0..farmer_count)
        .map(|i| {
            let (first_en, first_ta) = FIRST_NAMES[i % FIRST_NAMES.len()];
            let (init_en, init_ta) = INITIALS[(i / FIRST_NAMES.len()) % INITIALS.len()];
            let phone = format!("+9194431{:05}", 10_000 + i);
            if i == 0 {
                // The demo grower who signs in (farmer@malar.demo).
                return Farmer {
                    id: new_id(&mut rng),
                    farmer_no: 1,
                    name_en: farmer_user.display_name.clone(),
                    name_ta: "முருகன் பாண்டியன்".into(),
                    village: VILLAGES[0],
                    phone: farmer_user.phone.clone(),
                    whatsapp: Some(farmer_user.phone.clone()),
                    language: "ta",
                    user_id: Some(farmer_user.id),
                };
            }
            Farmer {
                id: new_id(&mut rng),
                farmer_no: i as i32 + 1,
                name_en: format!("{first_en} {init_en}"),
                name_ta: format!("{first_ta} {init_ta}"),
                village: VILLAGES[i % VILLAGES.len()],
                whatsapp: (i % 7 != 3).then(|| phone.clone()),
                phone,
                language: if i % 5 == 4 { "en" } else { "ta" },
                user_id: None,
            }
        })
        .collect();
    let day = demo_day(now);
    let mut rates = Vec::new();
    for d in [day - Duration::days(1), day, day + Duration::days(1)] {
        for (fi, f) in flowers.iter().enumerate() {
            for (si, s) in slots.iter().enumerate() {
                // Early slots fetch more: the freshest flowers go to the temples first.
                let rate = f.4 - (si as i64) * f.4 / 20 + ((d - day).num_days() + fi as i64) % 3 * 5;
                rates.push((d, f.0, s.0, Decimal::from(rate)));
            }
        }
    }
    let ist = FixedOffset::east_opt(5 * 3600 + 30 * 60).unwrap();
    let opens = OPENS_AT_HOUR as u64 * 3600;
    let closes = if market_slot::market_date(now) == day {
        (market_slot::market_time(now).num_seconds_from_midnight() as u64)
            .clamp(opens + 1, CLOSES_AT_HOUR as u64 * 3600)
    } else {
        CLOSES_AT_HOUR as u64 * 3600
    };
    let span = closes - opens;
    let step = (span / entry_count.max(1) as u64).max(1);
    let mut entries = Vec::with_capacity(entry_count);
    for i in 0..entry_count {
        let farmer = &farmers[i % farmers.len()];
        let fi = (i / farmers.len() + farmer.farmer_no as usize) % flowers.len();
        let flower = &flowers[fi];
        let secs = (opens + i as u64 * span / entry_count as u64 + rng.random_range(0..step)).min(closes - 1);
        let si = ((secs - opens) / 3600) as usize;
        let slot = &slots[si];
        let recorded_at = ist
            .from_local_datetime(&day.and_time(NaiveTime::from_num_seconds_from_midnight_opt(secs as u32, 0).unwrap()))
            .unwrap()
            .with_timezone(&Utc);
        let grams: i64 = rng.random_range(500..40_000) / 50 * 50;
        let rate = rates.iter().find(|r| r.0 == day && r.1 == flower.0 && r.2 == slot.0).unwrap().3;
        let total = entry_total(Money::from_decimal(rate), Kg::from_grams(grams)).amount();
        entries.push(Entry {
            client_id: new_id(&mut rng),
            farmer_id: farmer.id,
            flower_type_id: flower.0,
            slot_id: slot.0,
            recorded_at,
            quantity_kg: Decimal::new(grams, 3),
            rate,
            total,
        });
    }
    let advances = vec![(new_id(&mut rng), farmers[0].id, day - Duration::days(10), Decimal::from(2_000))];
    Some(Market {
        tenant_id: tenant.id,
        staff: staff.id,
        admin: admin.id,
        flowers,
        slots,
        rates,
        farmers,
        day,
        entries,
        advances,
    })
}

const CHUNK: usize = 10_000;

pub async fn insert(tx: &mut sqlx::PgConnection, m: &Market) -> Result<(), sqlx::Error> {
    let t = m.tenant_id;
    sqlx::query("INSERT INTO ledger_settings (tenant_id, commission_percent, fee_per_entry, fee_per_kg, updated_by) VALUES ($1, 10, 2, 0.50, $2)")
        .bind(t)
        .bind(m.admin)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO ledger_counters (tenant_id, change_seq) VALUES ($1, $2)")
        .bind(t)
        .bind(m.entries.len() as i64)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO ledger_flower_types (tenant_id, id, code, name_en, name_ta, position)
         SELECT $1, u.* FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::int[]) AS u",
    )
    .bind(t)
    .bind(m.flowers.iter().map(|f| f.0).collect::<Vec<_>>())
    .bind(m.flowers.iter().map(|f| f.1).collect::<Vec<_>>())
    .bind(m.flowers.iter().map(|f| f.2).collect::<Vec<_>>())
    .bind(m.flowers.iter().map(|f| f.3).collect::<Vec<_>>())
    .bind((0..m.flowers.len() as i32).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO ledger_time_slots (tenant_id, id, starts_at, ends_at) SELECT $1, u.* FROM unnest($2::uuid[], $3::time[], $4::time[]) AS u")
        .bind(t)
        .bind(m.slots.iter().map(|s| s.0).collect::<Vec<_>>())
        .bind(m.slots.iter().map(|s| s.1).collect::<Vec<_>>())
        .bind(m.slots.iter().map(|s| s.2).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO ledger_rates (tenant_id, market_date, flower_type_id, slot_id, rate, set_by)
         SELECT $1, u.*, $2 FROM unnest($3::date[], $4::uuid[], $5::uuid[], $6::numeric[]) AS u",
    )
    .bind(t)
    .bind(m.admin)
    .bind(m.rates.iter().map(|r| r.0).collect::<Vec<_>>())
    .bind(m.rates.iter().map(|r| r.1).collect::<Vec<_>>())
    .bind(m.rates.iter().map(|r| r.2).collect::<Vec<_>>())
    .bind(m.rates.iter().map(|r| r.3).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    for farmers in m.farmers.chunks(CHUNK) {
        sqlx::query(
            "INSERT INTO ledger_farmers (tenant_id, id, farmer_no, name_en, name_ta, village, phone, whatsapp, language, user_id)
             SELECT $1, u.* FROM unnest($2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::uuid[]) AS u",
        )
        .bind(t)
        .bind(farmers.iter().map(|f| f.id).collect::<Vec<_>>())
        .bind(farmers.iter().map(|f| f.farmer_no).collect::<Vec<_>>())
        .bind(farmers.iter().map(|f| f.name_en.as_str()).collect::<Vec<_>>())
        .bind(farmers.iter().map(|f| f.name_ta.as_str()).collect::<Vec<_>>())
        .bind(farmers.iter().map(|f| f.village).collect::<Vec<_>>())
        .bind(farmers.iter().map(|f| f.phone.as_str()).collect::<Vec<_>>())
        .bind(farmers.iter().map(|f| f.whatsapp.as_deref()).collect::<Vec<_>>())
        .bind(farmers.iter().map(|f| f.language).collect::<Vec<_>>())
        .bind(farmers.iter().map(|f| f.user_id).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO ledger_advances (tenant_id, id, farmer_id, given_on, amount, note, created_by)
         SELECT $1, u.*, 'Seed money for the season', $2 FROM unnest($3::uuid[], $4::uuid[], $5::date[], $6::numeric[]) AS u",
    )
    .bind(t)
    .bind(m.admin)
    .bind(m.advances.iter().map(|a| a.0).collect::<Vec<_>>())
    .bind(m.advances.iter().map(|a| a.1).collect::<Vec<_>>())
    .bind(m.advances.iter().map(|a| a.2).collect::<Vec<_>>())
    .bind(m.advances.iter().map(|a| a.3).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    for (n, entries) in m.entries.chunks(CHUNK).enumerate() {
        let first_seq = (n * CHUNK) as i64 + 1;
        sqlx::query(
            "WITH ins AS (
                INSERT INTO ledger_entries (tenant_id, market_date, client_id, farmer_id, flower_type_id, slot_id, recorded_at,
                     quantity_kg, rate, total, rate_source, change_seq, entered_by, updated_by, created_at, updated_at)
                SELECT $1, $2, u.client_id, u.farmer_id, u.flower_type_id, u.slot_id, u.recorded_at, u.quantity_kg, u.rate,
                       u.total, 'slot', $3 + u.n - 1, $4, $4, u.recorded_at, u.recorded_at
                FROM unnest($5::uuid[], $6::uuid[], $7::uuid[], $8::uuid[], $9::timestamptz[], $10::numeric[], $11::numeric[], $12::numeric[])
                     WITH ORDINALITY AS u(client_id, farmer_id, flower_type_id, slot_id, recorded_at, quantity_kg, rate, total, n)
                RETURNING *)
             INSERT INTO ledger_entry_history (tenant_id, market_date, client_id, version, change, farmer_id, flower_type_id,
                  quantity_kg, rate, total, rate_source, status, actor_id, at)
             SELECT tenant_id, market_date, client_id, 1, 'created', farmer_id, flower_type_id, quantity_kg, rate, total,
                    rate_source, status, entered_by, recorded_at FROM ins",
        )
        .bind(t)
        .bind(m.day)
        .bind(first_seq)
        .bind(m.staff)
        .bind(entries.iter().map(|e| e.client_id).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.farmer_id).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.flower_type_id).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.slot_id).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.recorded_at).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.quantity_kg).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.rate).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.total).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_market_is_deterministic_and_bilingual() {
        let w = super::super::world::generate(DemoScale::Small, 42);
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 3, 0, 0).unwrap();
        let a = generate(&w, DemoScale::Small, 42, now).unwrap();
        let b = generate(&w, DemoScale::Small, 42, now).unwrap();
        assert_eq!(a.entries.len(), 300);
        assert_eq!(
            a.entries.iter().map(|e| e.client_id).collect::<Vec<_>>(),
            b.entries.iter().map(|e| e.client_id).collect::<Vec<_>>()
        );
        assert!(a.farmers.iter().all(|f| !f.name_en.is_empty() && !f.name_ta.is_empty()));
        assert_eq!(
            a.farmers.iter().map(|f| f.phone.as_str()).collect::<std::collections::HashSet<_>>().len(),
            a.farmers.len()
        );
        assert!(a.farmers[0].user_id.is_some());
        // Every entry is on the market day, inside its slot, priced at that slot's rate.
        for e in &a.entries {
            assert_eq!(market_slot::market_date(e.recorded_at), a.day);
            let slots: Vec<market_slot::MarketSlot> =
                a.slots.iter().map(|s| market_slot::MarketSlot { id: s.0, starts_at: s.1, ends_at: s.2 }).collect();
            assert_eq!(market_slot::slot_at(&slots, e.recorded_at).map(|s| s.id), Some(e.slot_id));
            assert!(e.quantity_kg > Decimal::ZERO && e.total > Decimal::ZERO);
        }
    }

    #[test]
    fn no_entry_is_dated_after_the_moment_the_demo_is_loaded() {
        let w = super::super::world::generate(DemoScale::Small, 42);
        let ist = |d, h, m| {
            FixedOffset::east_opt(19_800).unwrap().with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap().with_timezone(&Utc)
        };
        // Before the market opens: yesterday's whole morning.
        let night = generate(&w, DemoScale::Small, 42, ist(27, 2, 0)).unwrap();
        assert_eq!(night.day, NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        assert!(
            night
                .entries
                .iter()
                .any(|e| market_slot::market_time(e.recorded_at) >= NaiveTime::from_hms_opt(8, 0, 0).unwrap())
        );
        // Mid-morning: today's entries so far, none later than now.
        let now = ist(27, 5, 45);
        let rush = generate(&w, DemoScale::Small, 42, now).unwrap();
        assert_eq!(rush.day, NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        assert!(rush.entries.iter().all(|e| e.recorded_at < now && e.recorded_at >= ist(27, 4, 0)));
        // Just after opening: everything squeezed into the first minute, still in the 04:00 slot.
        let dawn = generate(&w, DemoScale::Small, 42, ist(27, 4, 1)).unwrap();
        assert!(dawn.entries.iter().all(|e| e.recorded_at < ist(27, 4, 1) && e.slot_id == dawn.slots[0].0));
        // Rates cover the day after the demo day, so a tablet can enter today's first delivery.
        assert!(night.rates.iter().any(|r| r.0 == NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()));
    }
}
