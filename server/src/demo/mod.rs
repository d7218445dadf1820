//! The demo world of CONVENTIONS.md, generated deterministically and loaded into an
//! empty database.

pub mod catalogue;
pub mod field_history;
pub mod market;
pub mod model;
pub mod order_history;
pub mod orders;
pub mod ownership;
pub mod ownership_history;
pub mod provenance;
pub mod world;

use app::config::DemoScale;
use model::World;
use sqlx::PgPool;
use std::time::Instant;

/// Password of every demo account (CONVENTIONS.md).
pub const DEMO_PASSWORD: &str = "mandi-demo";
/// The demo account that is also a platform operator.
pub const DEMO_PLATFORM_OPERATOR: &str = "admin@greenharvest.demo";

/// Rows per INSERT … UNNEST statement: large enough to be quick, small enough to keep
/// each bind message modest.
const CHUNK: usize = 5_000;

/// Loads the demo world unless the database already has tenants. Several processes
/// starting at once are serialised by an advisory lock, so the world loads once.
/// Returns whether it loaded.
pub async fn load_if_empty(pool: &PgPool, scale: DemoScale, seed: u64) -> Result<bool, sqlx::Error> {
    // The demo world spans every tenant by design.
    let mut tx = app::db::cross_tenant_tx(pool).await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('mandi-demo-load'))").execute(&mut *tx).await?;
    let has_tenants: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM tenants)").fetch_one(&mut *tx).await?;
    if has_tenants {
        return Ok(false);
    }
    let started = Instant::now();
    let world = world::generate(scale, seed);
    insert(&mut tx, &world).await?;
    let now = chrono::Utc::now();
    if let Some(market) = market::generate(&world, scale, seed, now) {
        market::insert(&mut tx, &market).await?;
    }
    let ownership = ownership::generate(&world, scale, seed, app::domain::market_slot::market_date(now));
    ownership::insert(&mut tx, &ownership).await?;
    field_history::record(&mut tx, ownership.tenant_id, ownership.today).await?;
    ownership_history::settle(&mut tx, ownership.tenant_id, ownership.admin, ownership.today).await?;
    let orders = orders::insert(&mut tx, now).await?;
    let past_orders = order_history::insert(&mut tx, scale, now).await?;
    // The tower opens on the world's figures rather than waiting for the first rollup.
    app::control::kpi_service::rollup(&mut tx).await?;
    tx.commit().await?;
    // Fresh statistics, so the first queries are planned for the data just loaded
    // rather than for empty tables (autovacuum would take a minute to get there).
    sqlx::query("ANALYZE").execute(pool).await?;
    tracing::info!(
        products = world.products.len(),
        variants = world.variants.len(),
        farms = world.farms.len(),
        owners = ownership.owners.len() + 1,
        orders,
        past_orders,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "demo world loaded"
    );
    Ok(true)
}

async fn insert(tx: &mut sqlx::PgConnection, w: &World) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO tenants (id, slug, name, kind) SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[])")
        .bind(w.tenants.iter().map(|t| t.id).collect::<Vec<_>>())
        .bind(w.tenants.iter().map(|t| t.slug).collect::<Vec<_>>())
        .bind(w.tenants.iter().map(|t| t.name).collect::<Vec<_>>())
        .bind(w.tenants.iter().map(|t| t.kind).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    // One hash serves every demo account (they share the password by design); the
    // sign-in service refuses `.demo` accounts in production.
    let demo_hash = tokio::task::spawn_blocking(|| app::account::passwords::hash_blocking(DEMO_PASSWORD))
        .await
        .expect("argon2 hashing does not panic");
    sqlx::query(
        "INSERT INTO users (id, email, phone, display_name, locale, password_hash)
         SELECT u.*, $6 FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u",
    )
    .bind(w.users.iter().map(|u| u.id).collect::<Vec<_>>())
    .bind(w.users.iter().map(|u| u.email.as_str()).collect::<Vec<_>>())
    .bind(w.users.iter().map(|u| u.phone.as_str()).collect::<Vec<_>>())
    .bind(w.users.iter().map(|u| u.display_name.as_str()).collect::<Vec<_>>())
    .bind(w.users.iter().map(|u| u.locale).collect::<Vec<_>>())
    .bind(&demo_hash)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO memberships (tenant_id, user_id, role) SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[])",
    )
    .bind(w.users.iter().map(|u| u.tenant_id).collect::<Vec<_>>())
    .bind(w.users.iter().map(|u| u.id).collect::<Vec<_>>())
    .bind(w.users.iter().map(|u| u.role).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    // The store's admin also runs the platform in the demo, so its tower
    // (`/control/platform`) can be tried; production grants it by hand.
    sqlx::query("INSERT INTO platform_admins (user_id) SELECT id FROM users WHERE email = $1")
        .bind(DEMO_PLATFORM_OPERATOR)
        .execute(&mut *tx)
        .await?;
    for farms in w.farms.chunks(CHUNK) {
        sqlx::query(
            "INSERT INTO farms (tenant_id, id, slug, name, region, state, description, area_acres)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::numeric[])",
        )
        .bind(farms.iter().map(|f| f.tenant_id).collect::<Vec<_>>())
        .bind(farms.iter().map(|f| f.id).collect::<Vec<_>>())
        .bind(farms.iter().map(|f| f.slug.as_str()).collect::<Vec<_>>())
        .bind(farms.iter().map(|f| f.name.as_str()).collect::<Vec<_>>())
        .bind(farms.iter().map(|f| f.region.as_str()).collect::<Vec<_>>())
        .bind(farms.iter().map(|f| f.state.as_str()).collect::<Vec<_>>())
        .bind(farms.iter().map(|f| f.description.as_str()).collect::<Vec<_>>())
        .bind(farms.iter().map(|f| f.acres).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO categories (tenant_id, id, slug, name, position)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[])",
    )
    .bind(w.categories.iter().map(|c| c.tenant_id).collect::<Vec<_>>())
    .bind(w.categories.iter().map(|c| c.id).collect::<Vec<_>>())
    .bind(w.categories.iter().map(|c| c.slug).collect::<Vec<_>>())
    .bind(w.categories.iter().map(|c| c.name).collect::<Vec<_>>())
    .bind(w.categories.iter().map(|c| c.position).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    // Packaged tea, spices and pantry goods carry 5% GST; fresh produce none.
    sqlx::query("UPDATE categories SET gst_percent = 5 WHERE slug IN ('tea', 'spices', 'pantry')")
        .execute(&mut *tx)
        .await?;
    // Listing dates spread over the year before the harvest epoch, in an order unlike
    // the alphabet's, so "newest first" is a real ordering (deterministic per world).
    let listed =
        chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date").and_hms_opt(6, 30, 0).expect("time").and_utc();
    let created: Vec<chrono::DateTime<chrono::Utc>> =
        (0..w.products.len()).map(|i| listed - chrono::Duration::minutes(((i as i64) * 7919) % 525_600)).collect();
    for (products, created) in w.products.chunks(CHUNK).zip(created.chunks(CHUNK)) {
        sqlx::query(
            "INSERT INTO products (tenant_id, id, farm_id, category_id, slug, name, description, created_at)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])",
        )
        .bind(products.iter().map(|p| p.tenant_id).collect::<Vec<_>>())
        .bind(products.iter().map(|p| p.id).collect::<Vec<_>>())
        .bind(products.iter().map(|p| p.farm_id).collect::<Vec<_>>())
        .bind(products.iter().map(|p| p.category_id).collect::<Vec<_>>())
        .bind(products.iter().map(|p| p.slug.as_str()).collect::<Vec<_>>())
        .bind(products.iter().map(|p| p.name.as_str()).collect::<Vec<_>>())
        .bind(products.iter().map(|p| p.description.as_str()).collect::<Vec<_>>())
        .bind(created)
        .execute(&mut *tx)
        .await?;
    }
    for batches in w.batches.chunks(CHUNK) {
        sqlx::query(
            "INSERT INTO batches (tenant_id, id, code, farm_id, crop, harvested_on, quantity, unit)
             SELECT b.*, 'kg' FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::date[], $7::numeric[]) AS b",
        )
        .bind(batches.iter().map(|b| b.tenant_id).collect::<Vec<_>>())
        .bind(batches.iter().map(|b| b.id).collect::<Vec<_>>())
        .bind(batches.iter().map(|b| b.code.as_str()).collect::<Vec<_>>())
        .bind(batches.iter().map(|b| b.farm_id).collect::<Vec<_>>())
        .bind(batches.iter().map(|b| b.crop.as_str()).collect::<Vec<_>>())
        .bind(batches.iter().map(|b| b.harvested_on).collect::<Vec<_>>())
        .bind(batches.iter().map(|b| b.quantity_kg).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    for items in w.stock_items.chunks(CHUNK) {
        sqlx::query(
            "INSERT INTO stock_items (tenant_id, id, sku, batch_id, unit, on_hand, low_stock_threshold)
             SELECT s.tenant_id, s.id, s.sku, s.batch_id, 'g', s.on_hand, s.on_hand / 10 FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::int8[]) AS s (tenant_id, id, sku, batch_id, on_hand)",
        )
        .bind(items.iter().map(|s| s.tenant_id).collect::<Vec<_>>())
        .bind(items.iter().map(|s| s.id).collect::<Vec<_>>())
        .bind(items.iter().map(|s| s.sku.as_str()).collect::<Vec<_>>())
        .bind(items.iter().map(|s| s.batch_id).collect::<Vec<_>>())
        .bind(items.iter().map(|s| s.on_hand_grams).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    for variants in w.variants.chunks(CHUNK) {
        sqlx::query(
            "INSERT INTO product_variants (tenant_id, id, product_id, sku, label, net_grams, price, mrp, position, stock_item_id, stock_per_unit)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::numeric[], $8::numeric[], $9::int[], $10::uuid[], $11::int[])",
        )
        .bind(variants.iter().map(|v| v.tenant_id).collect::<Vec<_>>())
        .bind(variants.iter().map(|v| v.id).collect::<Vec<_>>())
        .bind(variants.iter().map(|v| v.product_id).collect::<Vec<_>>())
        .bind(variants.iter().map(|v| v.sku.as_str()).collect::<Vec<_>>())
        .bind(variants.iter().map(|v| v.label.as_str()).collect::<Vec<_>>())
        .bind(variants.iter().map(|v| v.net_grams).collect::<Vec<_>>())
        .bind(variants.iter().map(|v| v.price).collect::<Vec<_>>())
        .bind(variants.iter().map(|v| v.mrp).collect::<Vec<_>>())
        .bind(variants.iter().map(|v| v.position).collect::<Vec<_>>())
        .bind(variants.iter().map(|v| v.stock_item_id).collect::<Vec<_>>())
        .bind(variants.iter().map(|v| v.stock_per_unit).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    insert_provenance(tx, w).await
}

async fn insert_provenance(tx: &mut sqlx::PgConnection, w: &World) -> Result<(), sqlx::Error> {
    for certs in w.certifications.chunks(CHUNK) {
        sqlx::query(
            "INSERT INTO certifications (tenant_id, id, scheme, scheme_slug, issuer, number, farm_id, batch_id, valid_from, valid_until)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::uuid[], $9::date[], $10::date[])",
        )
        .bind(certs.iter().map(|c| c.tenant_id).collect::<Vec<_>>())
        .bind(certs.iter().map(|c| c.id).collect::<Vec<_>>())
        .bind(certs.iter().map(|c| c.scheme).collect::<Vec<_>>())
        .bind(certs.iter().map(|c| c.scheme_slug).collect::<Vec<_>>())
        .bind(certs.iter().map(|c| c.issuer).collect::<Vec<_>>())
        .bind(certs.iter().map(|c| c.number.as_str()).collect::<Vec<_>>())
        .bind(certs.iter().map(|c| c.farm_id).collect::<Vec<_>>())
        .bind(certs.iter().map(|c| c.batch_id).collect::<Vec<_>>())
        .bind(certs.iter().map(|c| c.valid_from).collect::<Vec<_>>())
        .bind(certs.iter().map(|c| c.valid_until).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    for labs in w.lab_results.chunks(CHUNK) {
        sqlx::query(
            "INSERT INTO lab_results (tenant_id, id, batch_id, test, analyte_group, value, unit, limit_value, limit_kind, lab_name, tested_on, report_number)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::numeric[], $7::text[], $8::numeric[], $9::text[], $10::text[], $11::date[], $12::text[])",
        )
        .bind(labs.iter().map(|l| l.tenant_id).collect::<Vec<_>>())
        .bind(labs.iter().map(|l| l.id).collect::<Vec<_>>())
        .bind(labs.iter().map(|l| l.batch_id).collect::<Vec<_>>())
        .bind(labs.iter().map(|l| l.test).collect::<Vec<_>>())
        .bind(labs.iter().map(|l| l.analyte_group).collect::<Vec<_>>())
        .bind(labs.iter().map(|l| l.value).collect::<Vec<_>>())
        .bind(labs.iter().map(|l| l.unit).collect::<Vec<_>>())
        .bind(labs.iter().map(|l| l.limit_value).collect::<Vec<_>>())
        .bind(labs.iter().map(|l| l.limit_kind).collect::<Vec<_>>())
        .bind(labs.iter().map(|l| l.lab_name).collect::<Vec<_>>())
        .bind(labs.iter().map(|l| l.tested_on).collect::<Vec<_>>())
        .bind(labs.iter().map(|l| l.report_number.as_str()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    for stops in w.checkpoints.chunks(CHUNK) {
        sqlx::query(
            "INSERT INTO handling_checkpoints (tenant_id, id, batch_id, stage, occurred_at, place, temperature_c, recorded_by)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[], $6::text[], $7::numeric[], $8::text[])",
        )
        .bind(stops.iter().map(|c| c.tenant_id).collect::<Vec<_>>())
        .bind(stops.iter().map(|c| c.id).collect::<Vec<_>>())
        .bind(stops.iter().map(|c| c.batch_id).collect::<Vec<_>>())
        .bind(stops.iter().map(|c| c.stage).collect::<Vec<_>>())
        .bind(stops.iter().map(|c| c.occurred_at).collect::<Vec<_>>())
        .bind(stops.iter().map(|c| c.place.as_str()).collect::<Vec<_>>())
        .bind(stops.iter().map(|c| c.temperature_c).collect::<Vec<_>>())
        .bind(stops.iter().map(|c| c.recorded_by).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    // Fresh vegetables keep a 2–8 °C cold chain; the rest of the demo's crops have none.
    let mut cold: Vec<(uuid::Uuid, &str)> =
        w.batches.iter().filter(|b| b.category == "vegetables").map(|b| (b.tenant_id, b.crop.as_str())).collect();
    cold.sort();
    cold.dedup();
    sqlx::query(
        "INSERT INTO cold_chain_limits (tenant_id, crop, min_c, max_c)
         SELECT t, c, 2, 8 FROM UNNEST($1::uuid[], $2::text[]) AS l (t, c)",
    )
    .bind(cold.iter().map(|c| c.0).collect::<Vec<_>>())
    .bind(cold.iter().map(|c| c.1).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    // The records above are the lots' history before the chain: sealed into it as
    // any database upgraded to the chain has them sealed.
    app::trace::chain_service::seal_legacy(tx).await?;
    Ok(())
}
