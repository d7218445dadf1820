//! Builds the demo world in memory, deterministically: the same seed and scale give
//! the same rows, ids included, on every machine.

use super::catalogue::*;
use super::model::*;
use app::config::DemoScale;
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use std::collections::HashSet;
use uuid::Uuid;

struct Gen {
    rng: ChaCha8Rng,
}

impl Gen {
    fn id(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.random()).into_uuid()
    }
}

pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

pub fn pack_label(grams: u32) -> String {
    if grams >= 1000 && grams.is_multiple_of(1000) { format!("{} kg", grams / 1000) } else { format!("{grams} g") }
}

pub fn generate(scale: DemoScale, seed: u64) -> World {
    let mut g = Gen { rng: ChaCha8Rng::seed_from_u64(seed) };
    let mut world = World::default();

    for t in TENANTS {
        let tenant_id = g.id();
        world.tenants.push(Tenant { id: tenant_id, slug: t.slug, name: t.name, kind: t.kind });
        for p in t.people {
            world.users.push(User {
                id: g.id(),
                email: format!("{}@{}.demo", p.role, t.slug),
                phone: p.phone.to_string(),
                display_name: p.name.to_string(),
                locale: p.locale,
                tenant_id,
                role: p.role,
            });
        }
    }
    let store = world.tenants[0].id;
    let darjberry = world.tenants[1].id;

    let product_target = scale.product_count() as usize;
    // Enough farms that each lists a believable number of products.
    let farm_target = FARMS.len().max(product_target / 40);
    add_farms(&mut g, &mut world, store, FARMS);
    let mut extra = 0usize;
    while world.farms.len() < farm_target {
        let (place, district, state, kind) = EXTRA_PLACES[extra % EXTRA_PLACES.len()];
        let suffixes = FARM_SUFFIXES.iter().find(|(k, _)| *k == kind).map(|(_, s)| *s).unwrap_or(&["Farms"]);
        let suffix = suffixes[(extra / EXTRA_PLACES.len()) % suffixes.len()];
        let round = extra / (EXTRA_PLACES.len() * suffixes.len());
        let name = if round == 0 { format!("{place} {suffix}") } else { format!("{place} {suffix} {}", round + 1) };
        let acres = Decimal::from(g.rng.random_range(12..400));
        world.farms.push(Farm {
            tenant_id: store,
            id: g.id(),
            slug: slugify(&name),
            description: format!(
                "An organic {} near {place}, {district}, selling through GreenHarvest.",
                kind_noun(kind)
            ),
            name,
            region: format!("{place}, {district}"),
            state: state.to_string(),
            acres,
            kind,
        });
        extra += 1;
    }

    for (i, c) in CATEGORIES.iter().enumerate() {
        world.categories.push(Category {
            tenant_id: store,
            id: g.id(),
            slug: c.slug,
            name: c.name,
            position: i as i32,
        });
    }

    // Every template once (round 0), then editions × farms until the target is met.
    let templates: Vec<(usize, usize)> =
        CATEGORIES.iter().enumerate().flat_map(|(ci, c)| (0..c.products.len()).map(move |pi| (ci, pi))).collect();
    let mut slugs = HashSet::new();
    let mut n = 0usize;
    while world.products.len() < product_target {
        let (ci, pi) = templates[n % templates.len()];
        let round = n / templates.len();
        n += 1;
        let seed_cat = &CATEGORIES[ci];
        let category_id = world.categories[ci].id;
        let growers: Vec<usize> = (0..world.farms.len())
            .filter(|&f| world.farms[f].tenant_id == store && seed_cat.grown_by.contains(&world.farms[f].kind))
            .collect();
        let farm_index = growers[(pi + round * 7) % growers.len()];
        let (base, blurb) = seed_cat.products[pi];
        let name = if round == 0 {
            base.to_string()
        } else {
            let edition = EDITIONS[(round - 1) % EDITIONS.len()];
            let farm_short = world.farms[farm_index].name.split_whitespace().next().unwrap_or("Farm");
            let lot = if round > EDITIONS.len() { format!(", Lot {}", 100 + round) } else { String::new() };
            format!("{base}, {edition} — {farm_short}{lot}")
        };
        let mut slug = slugify(&name);
        if !slugs.insert(slug.clone()) {
            slug = format!("{slug}-{n}");
            slugs.insert(slug.clone());
        }
        let farm = &world.farms[farm_index];
        let product = Product {
            tenant_id: store,
            id: g.id(),
            farm_id: farm.id,
            category_id,
            slug,
            description: format!("{blurb} Grown by {} in {}.", farm.name, farm.region),
            name,
        };
        let sku_stem = format!("{}-{:06}", seed_cat.slug[..3].to_ascii_uppercase(), n);
        add_stock(&mut g, &mut world, &product, seed_cat, &sku_stem, "GH");
        world.products.push(product);
    }

    // The second tenant's catalogue: isolation must keep it out of the store.
    add_farms(&mut g, &mut world, darjberry, DARJBERRY_FARMS);
    let dj_category = g.id();
    world.categories.push(Category { tenant_id: darjberry, id: dj_category, slug: "tea", name: "Tea", position: 0 });
    for (i, (name, blurb, grown_at)) in DARJBERRY_PRODUCTS.iter().enumerate() {
        let farm_id = world
            .farms
            .iter()
            .find(|f| f.tenant_id == darjberry && f.name == *grown_at)
            .map(|f| f.id)
            .expect("each Darjberry product names one of its estates");
        let product = Product {
            tenant_id: darjberry,
            id: g.id(),
            farm_id,
            category_id: dj_category,
            slug: slugify(name),
            name: name.to_string(),
            description: blurb.to_string(),
        };
        add_stock(&mut g, &mut world, &product, &CATEGORIES[0], &format!("DJB-{i:03}"), "DJ");
        world.products.push(product);
    }
    // Provenance draws on its own stream, so adding it left every id above unchanged.
    super::provenance::add_provenance(&mut world, seed);
    world
}

fn kind_noun(kind: FarmKind) -> &'static str {
    match kind {
        FarmKind::TeaEstate => "tea estate",
        FarmKind::SpiceGarden => "spice garden",
        FarmKind::VegetableFarm => "vegetable farm",
        FarmKind::Orchard => "orchard",
    }
}

fn add_farms(g: &mut Gen, world: &mut World, tenant_id: Uuid, seeds: &[FarmSeed]) {
    for f in seeds {
        world.farms.push(Farm {
            tenant_id,
            id: g.id(),
            slug: slugify(f.name),
            name: f.name.to_string(),
            region: f.region.to_string(),
            state: f.state.to_string(),
            description: f.story.to_string(),
            acres: Decimal::from(f.acres),
            kind: f.kind,
        });
    }
}

/// Harvest dates are counted back from a fixed day so the same seed gives the same world.
const HARVEST_EPOCH: (i32, u32, u32) = (2026, 11, 20);

/// One lot per product, its stock in grams, and the product's pack sizes drawing on it.
/// `sku_stem` is unique per product within its tenant; each pack appends its grams.
fn add_stock(
    g: &mut Gen,
    world: &mut World,
    product: &Product,
    category: &CategorySeed,
    sku_stem: &str,
    code_prefix: &str,
) {
    let epoch = NaiveDate::from_ymd_opt(HARVEST_EPOCH.0, HARVEST_EPOCH.1, HARVEST_EPOCH.2).expect("valid date");
    let smallest = i64::from(category.packs[0]);
    let roll: f64 = g.rng.random();
    let packs_in_stock = if roll < 0.08 {
        0
    } else if roll < 0.18 {
        g.rng.random_range(1..=5)
    } else {
        g.rng.random_range(6..=150)
    };
    let on_hand_grams = packs_in_stock * smallest;
    let batch = Batch {
        tenant_id: product.tenant_id,
        id: g.id(),
        code: format!("{code_prefix}-{}", sku_stem.to_ascii_uppercase()),
        farm_id: product.farm_id,
        crop: product.name.split([',', '(']).next().unwrap_or(&product.name).trim().to_string(),
        harvested_on: epoch - chrono::Days::new(g.rng.random_range(1..=45)),
        // What was harvested: what is left plus what has sold already.
        quantity_kg: Decimal::new(on_hand_grams + smallest * g.rng.random_range(20..=400), 3),
        category: category.slug,
    };
    let stock = StockItem {
        tenant_id: product.tenant_id,
        id: g.id(),
        sku: sku_stem.to_string(),
        batch_id: batch.id,
        on_hand_grams,
    };
    let per_kg = g.rng.random_range(category.per_kg.0..=category.per_kg.1);
    // Some products come in one pack only.
    let pack_count = if g.rng.random_bool(0.2) { 1 } else { category.packs.len() };
    for (i, grams) in category.packs.iter().take(pack_count).enumerate() {
        // Larger packs are a little cheaper per kilo, as shoppers expect.
        let discount = Decimal::new(100 - 4 * i as i64, 2);
        let raw = Decimal::from(per_kg) * Decimal::from(*grams) / Decimal::from(1000) * discount;
        // Shelf prices end in whole rupees; never below ₹10.
        let price = raw.round().max(Decimal::from(10));
        let mrp = (price * Decimal::new(112, 2)).round();
        world.variants.push(Variant {
            tenant_id: product.tenant_id,
            id: g.id(),
            product_id: product.id,
            sku: format!("{sku_stem}-{grams}"),
            label: pack_label(*grams),
            net_grams: *grams as i32,
            price,
            mrp,
            position: i as i32,
            stock_item_id: stock.id,
            stock_per_unit: *grams as i32,
        });
    }
    world.batches.push(batch);
    world.stock_items.push(stock);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_world() {
        let a = generate(DemoScale::Small, 7);
        let b = generate(DemoScale::Small, 7);
        assert_eq!(
            a.products.iter().map(|p| p.id).collect::<Vec<_>>(),
            b.products.iter().map(|p| p.id).collect::<Vec<_>>()
        );
        let c = generate(DemoScale::Small, 8);
        assert_ne!(a.products[0].id, c.products[0].id);
    }

    #[test]
    fn scale_sets_the_store_catalogue_size_and_slugs_stay_unique() {
        for count in [60, 500, 3_000] {
            let w = generate(DemoScale::Products(count), 42);
            let store = w.tenants[0].id;
            let store_products: Vec<_> = w.products.iter().filter(|p| p.tenant_id == store).collect();
            assert_eq!(store_products.len(), count as usize);
            let slugs: HashSet<_> = store_products.iter().map(|p| &p.slug).collect();
            assert_eq!(slugs.len(), store_products.len());
            let farm_slugs: HashSet<_> = w.farms.iter().map(|f| (f.tenant_id, &f.slug)).collect();
            assert_eq!(farm_slugs.len(), w.farms.len());
            assert!(w.variants.iter().all(|v| v.price > Decimal::ZERO && v.mrp >= v.price));
        }
    }

    /// Every key the schema makes unique stays unique at the benchmark scale.
    #[test]
    fn the_large_world_fits_the_unique_keys() {
        let w = generate(DemoScale::Large, 42);
        let skus: HashSet<_> = w.variants.iter().map(|v| (v.tenant_id, &v.sku)).collect();
        assert_eq!(skus.len(), w.variants.len());
        let slugs: HashSet<_> = w.products.iter().map(|p| (p.tenant_id, &p.slug)).collect();
        assert_eq!(slugs.len(), w.products.len());
        let ids: HashSet<_> = w.products.iter().map(|p| p.id).chain(w.variants.iter().map(|v| v.id)).collect();
        assert_eq!(ids.len(), w.products.len() + w.variants.len());
    }

    #[test]
    fn every_demo_sign_in_of_the_conventions_exists() {
        let w = generate(DemoScale::Small, 42);
        for email in [
            "customer@greenharvest.demo",
            "ops@greenharvest.demo",
            "admin@greenharvest.demo",
            "customer@darjberry.demo",
            "field_agent@darjberry.demo",
            "admin@malar.demo",
            "staff@malar.demo",
            "farmer@malar.demo",
        ] {
            assert!(w.users.iter().any(|u| u.email == email), "{email}");
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(slugify("Green Cardamom (8 mm bold)"), "green-cardamom-8-mm-bold");
        assert_eq!(slugify("Palak — Ooty!"), "palak-ooty");
        assert_eq!(pack_label(250), "250 g");
        assert_eq!(pack_label(1000), "1 kg");
    }
}
