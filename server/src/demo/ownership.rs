//! Share ownership of Darjberry's estates in the demo world: where each estate is, its
//! share units, infrastructure and crops; the estate's fee and tax settings; owners (two
//! dozen at the default scale, a few Tamil-speaking) whose agreements began up to
//! eighteen months ago, some within the last 120 days, some already ended; and 120
//! days of weekly plant counts, auction and direct sales, and costs. One estate has a
//! month whose costs exceed its revenue (a landslip cut its road), so a distribution
//! with nothing to pay can be shown. Distribution runs, payouts and health snapshots
//! are left to the real services, which compute them from these rows.
//!
//! Drawn from its own random stream and dated back from `today`: the same seed, scale
//! and day give the same rows. Money is counted in paise (integers) and handed over as
//! `Decimal` with two places.

use super::catalogue::{CropSeed, DARJBERRY_ESTATES, EstateSeed};
use super::model::World;
use app::config::DemoScale;
use chrono::{Datelike, Days, NaiveDate, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use uuid::Uuid;

/// Days of plant counts, sales and costs, today included. The counts are weekly, so
/// one falls on the first day and one on today (119 is 17 weeks).
pub const DAYS: u64 = 120;

/// The oldest agreement began this many days ago (eighteen months).
const HISTORY: u64 = 540;

/// Darjberry's cut of each estate's revenue before distribution, in percent.
const PLATFORM_FEE_PERCENT: i64 = 5;
/// Tax deducted at source from each payout, in percent (the 10% rate on income paid to
/// residents above the threshold).
const TDS_PERCENT: i64 = 10;

/// Its road is cut by a landslip on `SLIP_DAY` of last month: few lots get out after
/// that, and the repair bill makes the month's costs exceed its revenue.
pub const LANDSLIP_ESTATE: &str = "Devala Pepper and Coffee Estate";
const SLIP_DAY: u32 = 10;

/// customer@darjberry.demo holds exactly these: (estate, units, days ago it began).
/// A long-held share and one bought within the last 120 days. 75 days back always falls
/// two or three months before today's, so the demo customer's pages show a part month's
/// payout as well as full ones, in months the demo settles (paid or awaiting payment).
pub const CUSTOMER_HOLDINGS: [(&str, i32, u64); 2] =
    [("Glenmora Tea Estate", 120, 420), ("Badamtam Slope Garden", 60, 75)];

#[derive(Debug, Clone, PartialEq)]
pub struct Estate {
    pub farm_id: Uuid,
    pub name: &'static str,
    pub latitude: Decimal,
    pub longitude: Decimal,
    pub total_units: i32,
    pub infrastructure: &'static str,
    pub crops: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Owner {
    pub id: Uuid,
    pub email: String,
    pub phone: String,
    pub display_name: String,
    pub locale: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    pub id: Uuid,
    pub farm_id: Uuid,
    pub owner_id: Uuid,
    pub units: i32,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub price_paid: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlantCount {
    pub id: Uuid,
    pub farm_id: Uuid,
    pub crop: &'static str,
    pub counted_on: NaiveDate,
    pub planted: i32,
    pub alive: i32,
    pub lost: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Revenue {
    pub id: Uuid,
    pub farm_id: Uuid,
    pub earned_on: NaiveDate,
    /// `auction` or `direct`.
    pub source: &'static str,
    pub amount: Decimal,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    pub id: Uuid,
    pub farm_id: Uuid,
    pub incurred_on: NaiveDate,
    pub category: &'static str,
    pub amount: Decimal,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ownership {
    pub tenant_id: Uuid,
    /// Creates the agreements.
    pub admin: Uuid,
    /// Enters revenue and costs.
    pub ops: Uuid,
    /// Counts the plants.
    pub field_agent: Uuid,
    /// customer@darjberry.demo, an owner too; the new owners share its (demo) password.
    pub customer: Uuid,
    pub today: NaiveDate,
    pub platform_fee_percent: Decimal,
    pub tds_percent: Decimal,
    pub estates: Vec<Estate>,
    /// The new accounts only (customer@darjberry.demo exists already).
    pub owners: Vec<Owner>,
    pub agreements: Vec<Agreement>,
    pub plant_counts: Vec<PlantCount>,
    pub revenue: Vec<Revenue>,
    pub costs: Vec<Cost>,
}

fn new_id(rng: &mut ChaCha8Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

fn owner_count(scale: DemoScale) -> usize {
    match scale {
        DemoScale::Small | DemoScale::Products(_) => 24,
        DemoScale::Medium => 60,
        DemoScale::Large => 150,
    }
}

const FIRST_NAMES: [&str; 16] = [
    "Rohan",
    "Priya",
    "Aditya",
    "Nandini",
    "Farhan",
    "Ishita",
    "Karan",
    "Dawa",
    "Anjali",
    "Siddharth",
    "Pooja",
    "Vivek",
    "Rhea",
    "Arnav",
    "Tenzin",
    "Maya",
];
const SURNAMES: [&str; 12] = [
    "Malhotra",
    "Chatterjee",
    "Rai",
    "Bose",
    "Qureshi",
    "Mehta",
    "Tamang",
    "Sen",
    "Thapa",
    "Banerjee",
    "D'Souza",
    "Agarwal",
];
/// Karthikeyan, Meena, Senthil, Tamilselvi, Balaji, Kavitha, Arun, Vasanthi.
const TAMIL_FIRST_NAMES: [&str; 8] = ["கார்த்திகேயன்", "மீனா", "செந்தில்", "தமிழ்செல்வி", "பாலாஜி", "கவிதா", "அருண்", "வசந்தி"];
/// Subramaniam, Ramasamy, Natarajan, Krishnan, Velusamy, Annamalai.
const TAMIL_SURNAMES: [&str; 6] = ["சுப்பிரமணியம்", "ராமசாமி", "நடராஜன்", "கிருஷ்ணன்", "வேலுசாமி", "அண்ணாமலை"];

const DIRECT_SALES: [&str; 5] = [
    "Direct sale: owners' reserve packs at the estate shop",
    "Direct sale to a hotel group",
    "Direct sale to a speciality café",
    "Direct sale to an exporter's sample buyer",
    "Direct sale at a weekend farmers' market",
];

/// How an agreement sits in time: held for months and still open, begun within the
/// 120 days (so its first month is paid in part), or over.
#[derive(Clone, Copy)]
enum Term {
    Standing,
    Joined,
    Ended,
}

/// Six in ten standing, two joined, two ended, in an order that mixes them per estate.
const TERMS: [Term; 10] = [
    Term::Standing,
    Term::Standing,
    Term::Joined,
    Term::Standing,
    Term::Ended,
    Term::Standing,
    Term::Joined,
    Term::Standing,
    Term::Ended,
    Term::Standing,
];

/// (starts on, ends on) of an agreement begun before today.
type Span = (NaiveDate, Option<NaiveDate>);

fn term_dates(rng: &mut ChaCha8Rng, today: NaiveDate, kind: Term) -> Span {
    match kind {
        Term::Standing => (today - Days::new(rng.random_range(183..=HISTORY)), None),
        Term::Joined => (today - Days::new(rng.random_range(1..DAYS)), None),
        // Begun at least 300 days ago and over at most 200 days ago: a hundred days or more.
        Term::Ended => {
            (today - Days::new(rng.random_range(300..=HISTORY)), Some(today - Days::new(rng.random_range(8..=200))))
        }
    }
}

/// Units held per estate per day, from `HISTORY` days ago to today. No agreement starts
/// after today, so what is held today is held on every later day too.
struct Book {
    first: NaiveDate,
    today: NaiveDate,
    capacity: Vec<i32>,
    held: Vec<Vec<i32>>,
}

impl Book {
    fn new(today: NaiveDate, capacity: Vec<i32>) -> Book {
        let days = HISTORY as usize + 1;
        Book { first: today - Days::new(HISTORY), today, held: vec![vec![0; days]; capacity.len()], capacity }
    }

    fn span(&self, from: NaiveDate, to: Option<NaiveDate>) -> std::ops::RangeInclusive<usize> {
        let index = |d: NaiveDate| (d - self.first).num_days() as usize;
        index(from)..=index(to.unwrap_or(self.today).min(self.today))
    }

    fn free(&self, estate: usize, from: NaiveDate, to: Option<NaiveDate>) -> i32 {
        let busiest = self.held[estate][self.span(from, to)].iter().copied().max().unwrap_or(0);
        self.capacity[estate] - busiest
    }

    fn take(&mut self, estate: usize, from: NaiveDate, to: Option<NaiveDate>, units: i32) {
        let span = self.span(from, to);
        for held in &mut self.held[estate][span] {
            *held += units;
        }
    }
}

/// Share units are sold in fives.
fn fives(units: i64) -> i32 {
    (units / 5 * 5) as i32
}

/// What `units` cost when bought `days_ago`: the unit price has risen about 2% a
/// hundred days, and each sale was haggled a little.
fn price_paid(rng: &mut ChaCha8Rng, seed: &EstateSeed, units: i32, days_ago: i64) -> Decimal {
    let per_unit = seed.unit_price * (10_000 - 2 * days_ago) / 10_000 * rng.random_range(97..=103) / 100;
    Decimal::from(i64::from(units) * per_unit)
}

fn paise(amount: i64) -> Decimal {
    Decimal::new(amount, 2)
}

fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a first day")
}

fn next_month(month: NaiveDate) -> NaiveDate {
    month.checked_add_months(chrono::Months::new(1)).expect("a date far from the calendar's end")
}

pub fn generate(world: &World, scale: DemoScale, seed: u64, today: NaiveDate) -> Ownership {
    let tenant = world.tenants.iter().find(|t| t.slug == "darjberry").expect("the demo world has darjberry");
    let person = |role: &str| {
        world.users.iter().find(|u| u.tenant_id == tenant.id && u.role == role).expect("a demo account per role").id
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6f77_6e65_7273_6869);
    // The estates' books draw on a stream of their own, so they are the same at every scale.
    let mut books = ChaCha8Rng::seed_from_u64(seed ^ 0x626f_6f6b_7300);

    let farms: Vec<_> = world.farms.iter().filter(|f| f.tenant_id == tenant.id).collect();
    let seeds: Vec<&EstateSeed> = farms
        .iter()
        .map(|f| DARJBERRY_ESTATES.iter().find(|e| e.farm == f.name).expect("each Darjberry farm has an EstateSeed"))
        .collect();
    let estates: Vec<Estate> = farms
        .iter()
        .zip(&seeds)
        .map(|(f, s)| Estate {
            farm_id: f.id,
            name: s.farm,
            latitude: Decimal::new(s.latitude_e6, 6),
            longitude: Decimal::new(s.longitude_e6, 6),
            total_units: s.total_units,
            infrastructure: s.infrastructure,
            crops: s.crops.iter().map(|c| c.name).collect(),
        })
        .collect();

    let owners: Vec<Owner> = (0..owner_count(scale))
        .map(|i| {
            let tamil = i % 4 == 2;
            let display_name = if tamil {
                let t = i / 4;
                format!(
                    "{} {}",
                    TAMIL_FIRST_NAMES[t % TAMIL_FIRST_NAMES.len()],
                    TAMIL_SURNAMES[(t * 5) % TAMIL_SURNAMES.len()]
                )
            } else {
                format!("{} {}", FIRST_NAMES[i % FIRST_NAMES.len()], SURNAMES[(i * 7 + i / 16) % SURNAMES.len()])
            };
            Owner {
                id: new_id(&mut rng),
                email: format!("owner{:02}@darjberry.demo", i + 1),
                phone: format!("+91983004{:04}", i + 1),
                display_name,
                locale: if tamil { "ta" } else { "en" },
            }
        })
        .collect();

    let customer = person("customer");
    let admin = person("admin");
    let agreements = agreements(&mut rng, today, &estates, &seeds, customer, &owners);
    let plant_counts = plant_counts(&mut books, today, &estates, &seeds);
    let revenue = revenue(&mut books, today, &estates, &seeds);
    let costs = costs(&mut books, today, &estates, &seeds, &revenue);
    Ownership {
        tenant_id: tenant.id,
        admin,
        ops: person("ops"),
        field_agent: person("field_agent"),
        customer,
        today,
        platform_fee_percent: Decimal::new(PLATFORM_FEE_PERCENT * 100, 2),
        tds_percent: Decimal::new(TDS_PERCENT * 100, 2),
        estates,
        owners,
        agreements,
        plant_counts,
        revenue,
        costs,
    }
}

/// Agreements that fit by construction: each takes at most what its estate has free on
/// every day of its term, so the database's check never refuses one. The demo
/// customer's come first, then every owner's first choice (falling back to another
/// estate when that one is full), then second and third choices.
fn agreements(
    rng: &mut ChaCha8Rng,
    today: NaiveDate,
    estates: &[Estate],
    seeds: &[&EstateSeed],
    customer: Uuid,
    owners: &[Owner],
) -> Vec<Agreement> {
    let mut book = Book::new(today, estates.iter().map(|e| e.total_units).collect());
    let mut out = Vec::new();
    let mut push =
        |rng: &mut ChaCha8Rng, book: &mut Book, e: usize, owner: Uuid, units: i32, (starts_on, ends_on): Span| {
            book.take(e, starts_on, ends_on, units);
            out.push(Agreement {
                id: new_id(rng),
                farm_id: estates[e].farm_id,
                owner_id: owner,
                units,
                starts_on,
                ends_on,
                price_paid: price_paid(rng, seeds[e], units, (today - starts_on).num_days()),
            });
        };

    for (name, units, days_ago) in CUSTOMER_HOLDINGS {
        let e = estates.iter().position(|x| x.name == name).expect("the customer's estates exist");
        let starts_on = today - Days::new(days_ago);
        assert!(book.free(e, starts_on, None) >= units, "the customer's shares come first and fit");
        push(rng, &mut book, e, customer, units, (starts_on, None));
    }

    // One to three estates per owner, the larger ones likelier.
    let choices: Vec<Vec<usize>> = owners
        .iter()
        .map(|_| {
            let k = match rng.random_range(0..20) {
                0..10 => 1,
                10..17 => 2,
                _ => 3,
            };
            let mut left: Vec<usize> = (0..estates.len()).collect();
            let mut picked = Vec::new();
            while picked.len() < k.min(estates.len()) {
                let total: i32 = left.iter().map(|&e| estates[e].total_units).sum();
                let mut r = rng.random_range(0..total);
                let at = left
                    .iter()
                    .position(|&e| {
                        r -= estates[e].total_units;
                        r < 0
                    })
                    .expect("r is below the total");
                picked.push(left.remove(at));
            }
            picked
        })
        .collect();
    // What an owner asks for: the estate's demand shared among those asking, give or take half.
    let asking: Vec<i64> = (0..estates.len())
        .map(|e| {
            let held_by_customer = CUSTOMER_HOLDINGS.iter().filter(|h| h.0 == estates[e].name).count();
            (choices.iter().filter(|c| c.contains(&e)).count() + held_by_customer).max(1) as i64
        })
        .collect();
    let mean = |e: usize| i64::from(estates[e].total_units) * seeds[e].demand_per_mille / 1000 / asking[e];

    let mut made = 0usize;
    for round in 0..3 {
        for (o, owner) in owners.iter().enumerate() {
            let Some(&wanted) = choices[o].get(round) else { continue };
            let term = term_dates(rng, today, TERMS[made % TERMS.len()]);
            made += 1;
            let mut candidates = vec![wanted];
            if round == 0 {
                // Nobody is left without a share: when their estate is full, another with room.
                let mut others: Vec<usize> = (0..estates.len()).filter(|&e| e != wanted).collect();
                others.sort_by_key(|&e| std::cmp::Reverse(book.free(e, term.0, term.1)));
                candidates.extend(others);
            }
            let desired = fives(mean(wanted) * rng.random_range(50..=150) / 100).max(5);
            for e in candidates {
                let units = desired.min(fives(i64::from(book.free(e, term.0, term.1))));
                if units >= 5 {
                    push(rng, &mut book, e, owner.id, units, term);
                    break;
                }
            }
        }
    }
    out
}

/// A count per estate and crop every seventh day: what was planted (now and then a
/// little infill), what is alive (slipping slowly, counted with a little noise), and
/// one bad week for a crop that has a storm loss.
fn plant_counts(rng: &mut ChaCha8Rng, today: NaiveDate, estates: &[Estate], seeds: &[&EstateSeed]) -> Vec<PlantCount> {
    let first = today - Days::new(DAYS - 1);
    let weeks = (DAYS - 1) / 7 + 1;
    let mut out = Vec::new();
    for (estate, seed) in estates.iter().zip(seeds) {
        for crop in seed.crops {
            let mut planted = i64::from(crop.plants);
            let mut alive = planted - planted * rng.random_range(140..=300) / 10_000;
            let infill = rng.random_range(2..weeks - 2);
            let storm = rng.random_range(3..weeks - 1);
            for week in 0..weeks {
                if week == infill {
                    let added = planted * rng.random_range(20..=50) / 10_000;
                    planted += added;
                    alive += added;
                }
                if week > 0 {
                    alive -= planted * rng.random_range(2..=8) / 10_000;
                }
                if week == storm {
                    alive -= planted * i64::from(crop.storm_loss_per_mille) / 1000;
                }
                let counted = (alive + planted * rng.random_range(-5..=5) / 100_000).clamp(0, planted);
                out.push(PlantCount {
                    id: new_id(rng),
                    farm_id: estate.farm_id,
                    crop: crop.name,
                    counted_on: first + Days::new(week * 7),
                    planted: planted as i32,
                    alive: counted as i32,
                    lost: (planted - counted) as i32,
                });
            }
        }
    }
    out
}

/// The month the landslip estate's costs exceed its revenue: the last whole month.
pub fn landslip_month(today: NaiveDate) -> NaiveDate {
    month_of(month_of(today) - Days::new(1))
}

/// Auction lots on each estate's sale days (four in five of them) and an occasional
/// direct sale, each lot a weight at a price per kilogram.
fn revenue(rng: &mut ChaCha8Rng, today: NaiveDate, estates: &[Estate], seeds: &[&EstateSeed]) -> Vec<Revenue> {
    let first = today - Days::new(DAYS - 1);
    let slip_month = landslip_month(today);
    let mut out = Vec::new();
    for (estate, seed) in estates.iter().zip(seeds) {
        let monthly = seed.monthly_revenue * 100;
        // About ten lots a month bring in nine tenths of it; direct sales the rest.
        let lot_mean = monthly * 9 / 100;
        let landslip = estate.name == LANDSLIP_ESTATE;
        for day in first.iter_days().take(DAYS as usize) {
            let slip = landslip && month_of(day) == slip_month;
            let road_cut = slip && day.day() >= SLIP_DAY;
            if seed.sale_days.contains(&day.weekday()) {
                // Before the slip every lot of that month sells, so it has revenue to set costs against.
                let sells = match (slip, road_cut) {
                    (true, true) => rng.random_ratio(1, 5),
                    (true, false) => true,
                    _ => rng.random_ratio(4, 5),
                };
                if sells {
                    let crop = pick_crop(rng, seed.crops);
                    // Bids are in whole rupees a kilogram.
                    let per_kg = rng.random_range(crop.per_kg.0..=crop.per_kg.1) * 100;
                    let kg = (lot_mean * rng.random_range(70..=130) / 100 / per_kg).max(5);
                    let lot = rng.random_range(1_000..10_000);
                    out.push(Revenue {
                        id: new_id(rng),
                        farm_id: estate.farm_id,
                        earned_on: day,
                        source: "auction",
                        amount: paise(kg * per_kg),
                        note: format!(
                            "{}, sale {}: lot {lot}, {kg} kg {} at ₹{}/kg",
                            crop.market,
                            day.iso_week().week(),
                            crop.name,
                            per_kg / 100
                        ),
                    });
                }
            }
            if !road_cut && rng.random_ratio(1, 9) {
                let note = DIRECT_SALES[rng.random_range(0..DIRECT_SALES.len())];
                out.push(Revenue {
                    id: new_id(rng),
                    farm_id: estate.farm_id,
                    earned_on: day,
                    source: "direct",
                    amount: paise(monthly * rng.random_range(15..=45) / 1000),
                    note: note.to_string(),
                });
            }
        }
    }
    out
}

fn pick_crop<'a>(rng: &mut ChaCha8Rng, crops: &'a [CropSeed]) -> &'a CropSeed {
    let mut r = rng.random_range(0..crops.iter().map(|c| c.share).sum::<u32>());
    for crop in crops {
        if r < crop.share {
            return crop;
        }
        r -= crop.share;
    }
    &crops[0]
}

/// Each month's costs: 56–72% of what the estate took that month (of the days of it
/// that fall within the 120), as weekly wages on Saturdays, manure on the 12th, power on
/// the 5th, upkeep on the 20th and transport on the month's last day (or today). So
/// every month but one earns more than it costs: the landslip month adds the road's
/// repair, at least 60% of that month's revenue on top of the rest.
fn costs(
    rng: &mut ChaCha8Rng,
    today: NaiveDate,
    estates: &[Estate],
    seeds: &[&EstateSeed],
    revenue: &[Revenue],
) -> Vec<Cost> {
    let first = today - Days::new(DAYS - 1);
    let slip_month = landslip_month(today);
    let mut out = Vec::new();
    for (estate, seed) in estates.iter().zip(seeds) {
        let tea = estate.crops.contains(&"tea");
        let mut month = month_of(first);
        while month <= today {
            let from = month.max(first);
            let to = (next_month(month) - Days::new(1)).min(today);
            let took: i64 = revenue
                .iter()
                .filter(|r| r.farm_id == estate.farm_id && r.earned_on >= from && r.earned_on <= to)
                .map(|r| i64::try_from(r.amount * Decimal::ONE_HUNDRED).expect("a demo amount fits in paise"))
                .sum();
            let on = |day: u32| month.with_day(day).unwrap_or(to).clamp(from, to);
            let mut items: Vec<(NaiveDate, &'static str, i64, String)> = Vec::new();
            if took > 0 {
                let budget = took * rng.random_range(560..=720) / 1000;
                let saturdays: Vec<NaiveDate> =
                    from.iter_days().take_while(|d| *d <= to).filter(|d| d.weekday() == Weekday::Sat).collect();
                let paydays = if saturdays.is_empty() { vec![to] } else { saturdays };
                let wages = budget * 58 / 100 / paydays.len() as i64;
                let who = if tea { "pluckers" } else { "pickers" };
                for day in paydays {
                    let amount = wages * rng.random_range(96..=104) / 100;
                    items.push((day, "labour", amount, format!("Weekly wages: {who} and field staff")));
                }
                items.push((on(5), "power", budget * 9 / 100, "Factory power and firewood".into()));
                items.push((
                    on(12),
                    "fertiliser",
                    budget * 14 / 100,
                    "Organic manure: vermicompost and neem cake".into(),
                ));
                items.push((
                    on(20),
                    "maintenance",
                    budget * 7 / 100,
                    "Pruning, shade-tree lopping and tool repairs".into(),
                ));
                let market = seed.crops[0].market;
                items.push((to, "transport", budget * 12 / 100, format!("Lorry hire to the {market}")));
            }
            if estate.name == LANDSLIP_ESTATE && month == slip_month {
                let repair = (seed.monthly_revenue * 100 * 45 / 100).max(took * 60 / 100);
                items.push((
                    on(SLIP_DAY + 1),
                    "repairs",
                    repair,
                    "Landslip on the estate road: retaining wall, drains and clearing".into(),
                ));
            }
            items.sort_by_key(|i| i.0);
            for (day, category, amount, note) in items {
                if amount > 0 {
                    out.push(Cost {
                        id: new_id(rng),
                        farm_id: estate.farm_id,
                        incurred_on: day,
                        category,
                        amount: paise(amount),
                        note,
                    });
                }
            }
            month = next_month(month);
        }
    }
    out
}

pub async fn insert(tx: &mut sqlx::PgConnection, o: &Ownership) -> Result<(), sqlx::Error> {
    let t = o.tenant_id;
    sqlx::query(
        "UPDATE farms f SET latitude = u.latitude, longitude = u.longitude, total_units = u.total_units,
                infrastructure = u.infrastructure, crops = string_to_array(u.crops, ',')
         FROM unnest($2::uuid[], $3::numeric[], $4::numeric[], $5::int[], $6::text[], $7::text[])
              AS u (id, latitude, longitude, total_units, infrastructure, crops)
         WHERE f.tenant_id = $1 AND f.id = u.id",
    )
    .bind(t)
    .bind(o.estates.iter().map(|e| e.farm_id).collect::<Vec<_>>())
    .bind(o.estates.iter().map(|e| e.latitude).collect::<Vec<_>>())
    .bind(o.estates.iter().map(|e| e.longitude).collect::<Vec<_>>())
    .bind(o.estates.iter().map(|e| e.total_units).collect::<Vec<_>>())
    .bind(o.estates.iter().map(|e| e.infrastructure).collect::<Vec<_>>())
    .bind(o.estates.iter().map(|e| e.crops.join(",")).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO users (id, email, phone, display_name, locale, password_hash)
         SELECT u.*, (SELECT password_hash FROM users WHERE id = $1)
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u",
    )
    .bind(o.customer)
    .bind(o.owners.iter().map(|u| u.id).collect::<Vec<_>>())
    .bind(o.owners.iter().map(|u| u.email.as_str()).collect::<Vec<_>>())
    .bind(o.owners.iter().map(|u| u.phone.as_str()).collect::<Vec<_>>())
    .bind(o.owners.iter().map(|u| u.display_name.as_str()).collect::<Vec<_>>())
    .bind(o.owners.iter().map(|u| u.locale).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO memberships (tenant_id, user_id, role) SELECT $1, u, 'customer' FROM unnest($2::uuid[]) AS u",
    )
    .bind(t)
    .bind(o.owners.iter().map(|u| u.id).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO ownership_settings (tenant_id, platform_fee_percent, tds_percent) VALUES ($1, $2, $3)")
        .bind(t)
        .bind(o.platform_fee_percent)
        .bind(o.tds_percent)
        .execute(&mut *tx)
        .await?;
    // Dated as the estate's office would have entered them: agreements at 10:00 IST on the
    // day they began, counts at 11:00 and money at 17:00 on their day (never after now).
    sqlx::query(
        "INSERT INTO ownership_agreements
             (tenant_id, id, farm_id, owner_id, units, starts_on, ends_on, price_paid, created_by, created_at, updated_at)
         SELECT $1, u.id, u.farm_id, u.owner_id, u.units, u.starts_on, u.ends_on, u.price_paid, $2,
                (u.starts_on + time '10:00') AT TIME ZONE 'Asia/Kolkata',
                (coalesce(u.ends_on, u.starts_on) + time '10:00') AT TIME ZONE 'Asia/Kolkata'
         FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::int[], $7::date[], $8::date[], $9::numeric[])
              AS u (id, farm_id, owner_id, units, starts_on, ends_on, price_paid)",
    )
    .bind(t)
    .bind(o.admin)
    .bind(o.agreements.iter().map(|a| a.id).collect::<Vec<_>>())
    .bind(o.agreements.iter().map(|a| a.farm_id).collect::<Vec<_>>())
    .bind(o.agreements.iter().map(|a| a.owner_id).collect::<Vec<_>>())
    .bind(o.agreements.iter().map(|a| a.units).collect::<Vec<_>>())
    .bind(o.agreements.iter().map(|a| a.starts_on).collect::<Vec<_>>())
    .bind(o.agreements.iter().map(|a| a.ends_on).collect::<Vec<_>>())
    .bind(o.agreements.iter().map(|a| a.price_paid).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO plant_counts (tenant_id, id, farm_id, crop, counted_on, planted, alive, lost, source, recorded_by, recorded_at)
         SELECT $1, u.id, u.farm_id, u.crop, u.counted_on, u.planted, u.alive, u.lost, 'demo', $2,
                least((u.counted_on + time '11:00') AT TIME ZONE 'Asia/Kolkata', now())
         FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::date[], $7::int[], $8::int[], $9::int[])
              AS u (id, farm_id, crop, counted_on, planted, alive, lost)",
    )
    .bind(t)
    .bind(o.field_agent)
    .bind(o.plant_counts.iter().map(|c| c.id).collect::<Vec<_>>())
    .bind(o.plant_counts.iter().map(|c| c.farm_id).collect::<Vec<_>>())
    .bind(o.plant_counts.iter().map(|c| c.crop).collect::<Vec<_>>())
    .bind(o.plant_counts.iter().map(|c| c.counted_on).collect::<Vec<_>>())
    .bind(o.plant_counts.iter().map(|c| c.planted).collect::<Vec<_>>())
    .bind(o.plant_counts.iter().map(|c| c.alive).collect::<Vec<_>>())
    .bind(o.plant_counts.iter().map(|c| c.lost).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO farm_revenue (tenant_id, id, farm_id, earned_on, source, amount, note, created_by, created_at)
         SELECT $1, u.id, u.farm_id, u.earned_on, u.source, u.amount, u.note, $2,
                least((u.earned_on + time '17:00') AT TIME ZONE 'Asia/Kolkata', now())
         FROM unnest($3::uuid[], $4::uuid[], $5::date[], $6::text[], $7::numeric[], $8::text[])
              AS u (id, farm_id, earned_on, source, amount, note)",
    )
    .bind(t)
    .bind(o.ops)
    .bind(o.revenue.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(o.revenue.iter().map(|r| r.farm_id).collect::<Vec<_>>())
    .bind(o.revenue.iter().map(|r| r.earned_on).collect::<Vec<_>>())
    .bind(o.revenue.iter().map(|r| r.source).collect::<Vec<_>>())
    .bind(o.revenue.iter().map(|r| r.amount).collect::<Vec<_>>())
    .bind(o.revenue.iter().map(|r| r.note.as_str()).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO farm_costs (tenant_id, id, farm_id, incurred_on, category, amount, note, created_by, created_at)
         SELECT $1, u.id, u.farm_id, u.incurred_on, u.category, u.amount, u.note, $2,
                least((u.incurred_on + time '17:00') AT TIME ZONE 'Asia/Kolkata', now())
         FROM unnest($3::uuid[], $4::uuid[], $5::date[], $6::text[], $7::numeric[], $8::text[])
              AS u (id, farm_id, incurred_on, category, amount, note)",
    )
    .bind(t)
    .bind(o.ops)
    .bind(o.costs.iter().map(|c| c.id).collect::<Vec<_>>())
    .bind(o.costs.iter().map(|c| c.farm_id).collect::<Vec<_>>())
    .bind(o.costs.iter().map(|c| c.incurred_on).collect::<Vec<_>>())
    .bind(o.costs.iter().map(|c| c.category).collect::<Vec<_>>())
    .bind(o.costs.iter().map(|c| c.amount).collect::<Vec<_>>())
    .bind(o.costs.iter().map(|c| c.note.as_str()).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap, HashSet};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn world() -> World {
        super::super::world::generate(DemoScale::Small, 42)
    }

    #[test]
    fn same_seed_same_day_same_ownership() {
        let w = world();
        let a = generate(&w, DemoScale::Small, 42, day(2026, 12, 7));
        let b = generate(&w, DemoScale::Small, 42, day(2026, 12, 7));
        assert_eq!(a, b);
        let c = generate(&w, DemoScale::Small, 43, day(2026, 12, 7));
        assert_ne!(a.agreements, c.agreements);
    }

    #[test]
    fn every_darjberry_farm_is_an_estate_with_a_place_and_units() {
        let w = world();
        let o = generate(&w, DemoScale::Small, 42, day(2026, 12, 7));
        let darjberry = w.farms.iter().filter(|f| f.tenant_id == o.tenant_id).count();
        assert!(o.estates.len() >= 3 && o.estates.len() == darjberry);
        for e in &o.estates {
            assert!((1_000..=5_000).contains(&e.total_units), "{}", e.name);
            assert!(!e.crops.is_empty() && !e.infrastructure.is_empty() && e.infrastructure.len() <= 2000);
            // India, and inside numeric(9, 6).
            assert!(e.latitude > Decimal::from(8) && e.latitude < Decimal::from(37) && e.latitude.scale() == 6);
            assert!(e.longitude > Decimal::from(68) && e.longitude < Decimal::from(98));
        }
        assert!(o.estates.iter().any(|e| e.name == LANDSLIP_ESTATE));
    }

    /// What the owners' pages and the distribution need, for several seeds, every day
    /// of a few months (month ends, February, a year's turn) and each scale.
    #[test]
    fn the_ownership_demo_holds_its_promises() {
        let w = world();
        let mut cases: Vec<(DemoScale, u64, NaiveDate)> = Vec::new();
        for seed in [1, 42, 4242] {
            cases.extend(day(2026, 12, 1).iter_days().take(100).map(|d| (DemoScale::Small, seed, d)));
        }
        cases.push((DemoScale::Medium, 42, day(2027, 3, 31)));
        cases.push((DemoScale::Large, 42, day(2027, 3, 1)));
        for (scale, seed, today) in cases {
            check(&generate(&w, scale, seed, today), scale, today);
        }
    }

    fn check(o: &Ownership, scale: DemoScale, today: NaiveDate) {
        let case = format!("{scale:?} on {today}");
        let first = today - Days::new(DAYS - 1);
        let units: HashMap<Uuid, i32> = o.estates.iter().map(|e| (e.farm_id, e.total_units)).collect();

        // Owners: everyone has a share, the customer in exactly two estates.
        let owners: HashSet<Uuid> = o.agreements.iter().map(|a| a.owner_id).collect();
        assert_eq!(owners.len(), o.owners.len() + 1, "{case}");
        assert!(owners.len() >= 21, "{case}");
        let customer: HashSet<Uuid> =
            o.agreements.iter().filter(|a| a.owner_id == o.customer).map(|a| a.farm_id).collect();
        assert_eq!(customer.len(), 2, "{case}");
        assert!(o.owners.iter().filter(|u| u.locale == "ta").count() >= 3);
        assert_eq!(o.owners.iter().map(|u| &u.email).collect::<HashSet<_>>().len(), o.owners.len());
        assert_eq!(o.owners.iter().map(|u| &u.phone).collect::<HashSet<_>>().len(), o.owners.len());

        // Agreements: never more units held than an estate has, on any day.
        let mut sold_out = false;
        for d in (today - Days::new(HISTORY)).iter_days().take(HISTORY as usize + 2) {
            let mut held: HashMap<Uuid, i32> = HashMap::new();
            for a in o.agreements.iter().filter(|a| a.starts_on <= d && a.ends_on.is_none_or(|e| e >= d)) {
                *held.entry(a.farm_id).or_default() += a.units;
            }
            for (farm, held) in held {
                assert!(held <= units[&farm], "{case}: {held} units held on {d}");
                sold_out |= held == units[&farm];
            }
        }
        // Badamtam's demand exceeds its units: it sells out, and later buyers are turned away.
        assert!(sold_out || !matches!(scale, DemoScale::Small), "{case}: no estate ever sold out");
        assert!(o.agreements.iter().any(|a| a.ends_on.is_some()), "{case}: some ended");
        assert!(o.agreements.iter().any(|a| a.starts_on > first && a.ends_on.is_none()), "{case}: some joined lately");
        assert!(o.agreements.iter().any(|a| (today - a.starts_on).num_days() >= 180), "{case}: some long held");
        for a in &o.agreements {
            assert!(a.units > 0 && a.starts_on < today && a.ends_on.is_none_or(|e| e >= a.starts_on && e < today));
            let per_unit = a.price_paid / Decimal::from(a.units);
            assert!(per_unit >= Decimal::from(1_500) && per_unit <= Decimal::from(4_000), "{case}: ₹{per_unit}");
        }

        // Plant counts: weekly over the 120 days, for every estate's every crop.
        for e in &o.estates {
            for crop in &e.crops {
                let counts: Vec<_> =
                    o.plant_counts.iter().filter(|c| c.farm_id == e.farm_id && c.crop == *crop).collect();
                assert_eq!(counts.len(), 18, "{case}: {} {crop}", e.name);
                assert_eq!((counts[0].counted_on, counts[17].counted_on), (first, today));
                for c in counts {
                    assert!(c.alive <= c.planted && c.lost == c.planted - c.alive && c.alive > c.planted * 9 / 10);
                }
            }
        }

        // Money: positive, in paise, within the 120 days; one estate-month in the red.
        let mut months: BTreeMap<(Uuid, NaiveDate), (Decimal, Decimal)> = BTreeMap::new();
        for r in &o.revenue {
            assert!(r.amount > Decimal::ZERO && r.amount.scale() == 2 && r.earned_on >= first && r.earned_on <= today);
            months.entry((r.farm_id, month_of(r.earned_on))).or_default().0 += r.amount;
        }
        for c in &o.costs {
            assert!(c.amount > Decimal::ZERO && c.amount.scale() == 2, "{case}");
            assert!(c.incurred_on >= first && c.incurred_on <= today, "{case}");
            months.entry((c.farm_id, month_of(c.incurred_on))).or_default().1 += c.amount;
        }
        let slip = o.estates.iter().find(|e| e.name == LANDSLIP_ESTATE).unwrap().farm_id;
        let red: Vec<_> = months.iter().filter(|(_, (r, c))| c > r).map(|(k, _)| *k).collect();
        assert_eq!(red, vec![(slip, landslip_month(today))], "{case}");
        for e in &o.estates {
            let good = months.iter().filter(|((farm, _), (r, c))| *farm == e.farm_id && r > c).count();
            assert!(good >= 3, "{case}: {} has {good} months in the black", e.name);
        }
        assert!(o.revenue.iter().any(|r| r.source == "direct") && o.revenue.iter().any(|r| r.source == "auction"));
    }

    #[test]
    fn scale_brings_more_owners() {
        let w = world();
        let today = day(2026, 12, 7);
        let small = generate(&w, DemoScale::Small, 42, today);
        let large = generate(&w, DemoScale::Large, 42, today);
        assert_eq!(small.owners.len(), 24);
        assert!(large.owners.len() > small.owners.len());
        assert_eq!(small.revenue, large.revenue, "scale changes the owners, not the estates' books");
        assert_eq!(small.plant_counts, large.plant_counts);
    }
}
