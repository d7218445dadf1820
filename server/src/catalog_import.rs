//! Catalogue imports from CSV, run as jobs: the dry run reads the file from the object
//! store and lists every problem with its line (nothing changes); the commit reads it
//! again, checks it again against the catalogue as it now is, and writes all of it in
//! one transaction, or nothing. Both report how far they have come on the import's row,
//! from outside their transaction, so the screen's progress bar moves while they run.

use crate::files::Files;
use crate::jobs::{BoxFuture, Handler, Job, JobError};
use app::domain::catalog_entry::slugify;
use app::domain::shopify_csv::{self, ImportProduct, Problem};
use app::store::catalog_import_service::{ImportJob, PROBLEMS_KEPT};
use object_store::path::Path as ObjectPath;
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use uuid::Uuid;

/// Rows between two reports of progress.
const REPORT_EVERY: usize = 250;

/// Products (and their packs) written per statement: about twenty steps of progress
/// whatever the file's size, within bounds that keep statements cheap to plan.
fn chunk_for(products: usize) -> usize {
    (products / 20).clamp(100, 2_000)
}

/// Who follows an import: the person who sent the file, or who committed it.
#[derive(Clone, Copy)]
struct Watcher {
    tenant: Uuid,
    id: Uuid,
    user: Uuid,
}

/// A file checked against the catalogue: what it will write, or why it cannot.
struct Plan {
    rows: u64,
    products: Vec<ImportProduct>,
    problems: Vec<Problem>,
    farms: HashMap<String, Uuid>,
    categories: HashMap<String, Uuid>,
    /// Types with no category yet: (slug, name), made by the commit.
    new_categories: Vec<(String, String)>,
    existing: usize,
}

impl Plan {
    fn variants(&self) -> usize {
        self.products.iter().map(|p| p.variants.len()).sum()
    }
}

/// The row's progress, written in its own transaction (not the import's), and sent on
/// the watcher's own live stream so their screen's bar moves.
async fn report(pool: &PgPool, w: Watcher, status: &str, done: u64, total: u64) {
    let result = async {
        let mut tx = app::db::tenant_tx(pool, w.tenant).await?;
        sqlx::query("UPDATE catalog_imports SET rows_done = $3, rows_total = $4 WHERE tenant_id = $1 AND id = $2")
            .bind(w.tenant)
            .bind(w.id)
            .bind(done.min(i32::MAX as u64) as i32)
            .bind(total.min(i32::MAX as u64) as i32)
            .execute(&mut *tx)
            .await?;
        announce(&mut tx, w, status, done, total).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, import = %w.id, "could not report an import's progress");
    }
}

async fn announce(tx: &mut PgConnection, w: Watcher, status: &str, done: u64, total: u64) -> Result<(), sqlx::Error> {
    let data = serde_json::json!({ "importId": w.id, "status": status, "rowsDone": done, "rowsTotal": total });
    app::live::publish(tx, &app::live::Topic::Person { user: w.user }, "catalog_import", &data).await
}

fn key(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Reads and checks the file. `progress`: report rows read as they go.
async fn examine(pool: &PgPool, w: Watcher, bytes: &[u8], progress: bool) -> Result<Plan, JobError> {
    let tenant = w.tenant;
    // Lines are counted up front so the bar has its end from the first report.
    let total = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count().saturating_sub(1) as u64;
    let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut records = csv.records();
    let mut problems = Vec::new();
    let header = match records.next() {
        None => {
            problems.push(Problem { line: 1, field: String::new(), message: "the file is empty".into() });
            None
        }
        Some(Err(e)) => {
            problems.push(Problem { line: 1, field: String::new(), message: unreadable(&e) });
            None
        }
        Some(Ok(h)) => match shopify_csv::columns(&h.iter().collect::<Vec<_>>()) {
            Ok(c) => Some(c),
            Err(p) => {
                problems.extend(p);
                None
            }
        },
    };
    let Some(columns) = header else {
        return Ok(Plan {
            rows: 0,
            products: Vec::new(),
            problems,
            farms: HashMap::new(),
            categories: HashMap::new(),
            new_categories: Vec::new(),
            existing: 0,
        });
    };
    let mut reader = shopify_csv::Reader::new(columns);
    let mut read = 0usize;
    for record in records {
        read += 1;
        match record {
            Ok(r) => {
                let line = r.position().map(|p| p.line()).unwrap_or(read as u64 + 1);
                reader.push(line, &r.iter().collect::<Vec<_>>());
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(read as u64 + 1);
                reader.problem(line, "", unreadable(&e));
            }
        }
        if progress && read.is_multiple_of(REPORT_EVERY) {
            report(pool, w, "checking", read as u64, total.max(read as u64)).await;
        }
    }
    let mut file = reader.finish();
    problems.append(&mut file.problems);

    // Against the catalogue: farms and shelves by name or slug, handles that exist,
    // SKUs another product already sells under.
    let mut tx = app::db::tenant_tx(pool, tenant).await?;
    let farm_rows: Vec<(Uuid, String, String)> =
        sqlx::query_as("SELECT id, slug, name FROM farms WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_all(&mut *tx)
            .await?;
    let category_rows: Vec<(Uuid, String, String)> =
        sqlx::query_as("SELECT id, slug, name FROM categories WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_all(&mut *tx)
            .await?;
    let handles: Vec<String> = file.products.iter().map(|p| p.handle.clone()).collect();
    let existing: Vec<String> = sqlx::query_scalar("SELECT slug FROM products WHERE tenant_id = $1 AND slug = ANY($2)")
        .bind(tenant)
        .bind(&handles)
        .fetch_all(&mut *tx)
        .await?;
    let skus: Vec<String> =
        file.products.iter().flat_map(|p| p.variants.iter().map(|v| v.fields.sku.clone())).collect();
    let owners: Vec<(String, String)> = sqlx::query_as(
        "SELECT v.sku, p.slug FROM product_variants v JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id
         WHERE v.tenant_id = $1 AND v.sku = ANY($2)",
    )
    .bind(tenant)
    .bind(&skus)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;

    let mut farms = HashMap::new();
    for (id, slug, name) in farm_rows {
        farms.insert(key(&name), id);
        farms.insert(slug, id);
    }
    let mut categories = HashMap::new();
    for (id, slug, name) in category_rows {
        categories.insert(key(&name), id);
        categories.insert(slug, id);
    }
    let owner_of: HashMap<String, String> = owners.into_iter().collect();
    let mut new_categories: Vec<(String, String)> = Vec::new();
    for p in &file.products {
        if !farms.contains_key(&key(&p.vendor)) {
            problems.push(Problem {
                line: p.line,
                field: "Vendor".into(),
                message: format!("no farm of the store is named \"{}\"; add the farm first", p.vendor),
            });
        }
        if !categories.contains_key(&key(&p.product_type))
            && !new_categories.iter().any(|(_, n)| key(n) == key(&p.product_type))
        {
            let slug = slugify(&p.product_type);
            if slug.is_empty() {
                problems.push(Problem {
                    line: p.line,
                    field: "Type".into(),
                    message: "needs a letter or digit to make the new shelf's web address from".into(),
                });
            } else if categories.contains_key(&slug) || new_categories.iter().any(|(s, _)| *s == slug) {
                problems.push(Problem {
                    line: p.line,
                    field: "Type".into(),
                    message: format!("is too like the shelf \"{slug}\"; use its name"),
                });
            } else {
                new_categories.push((slug, p.product_type.clone()));
            }
        }
        for v in &p.variants {
            if let Some(owner) = owner_of.get(&v.fields.sku)
                && *owner != p.handle
            {
                problems.push(Problem {
                    line: v.line,
                    field: "Variant SKU".into(),
                    message: format!("{} already belongs to the product {owner}", v.fields.sku),
                });
            }
        }
    }
    problems.sort_by_key(|p| p.line);

    Ok(Plan {
        rows: file.rows,
        products: file.products,
        problems,
        farms,
        categories,
        new_categories,
        existing: existing.len(),
    })
}

fn unreadable(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text (save the file as CSV UTF-8)".into(),
        _ => format!("cannot be read as CSV: {e}"),
    }
}

struct Loaded {
    status: String,
    object_key: String,
    watcher: Watcher,
}

async fn load(pool: &PgPool, tenant: Uuid, id: Uuid) -> Result<Option<Loaded>, sqlx::Error> {
    let mut tx = app::db::tenant_tx(pool, tenant).await?;
    let row: Option<(String, String, Uuid)> = sqlx::query_as(
        "SELECT status, object_key, coalesce(committed_by, created_by) FROM catalog_imports
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row.map(|(status, object_key, user)| Loaded { status, object_key, watcher: Watcher { tenant, id, user } }))
}

async fn read_file(files: &Files, key: &str) -> Result<Vec<u8>, JobError> {
    let got = files
        .store
        .get(&ObjectPath::from(key))
        .await
        .map_err(|e| JobError::Retry(format!("the object store could not give the file: {e}")))?;
    let bytes = got.bytes().await.map_err(|e| JobError::Retry(format!("reading the file: {e}")))?;
    Ok(bytes.to_vec())
}

/// Ends a step with its outcome on the import's row.
async fn conclude(
    db: &mut PgConnection,
    w: Watcher,
    status: &str,
    plan: &Plan,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    let (tenant, id) = (w.tenant, w.id);
    let problems: Vec<&Problem> = plan.problems.iter().take(PROBLEMS_KEPT).collect();
    let products_new = plan.products.len().saturating_sub(plan.existing);
    sqlx::query(
        "UPDATE catalog_imports SET status = $3, rows_total = $4, rows_done = $4, products_new = $5,
                products_updated = $6, variants = $7, problems = $8, problem_count = $9, error = $10,
                checked_at = coalesce(checked_at, now()),
                finished_at = CASE WHEN $3 IN ('imported', 'failed', 'invalid') THEN now() END
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(status)
    .bind(plan.rows.min(i32::MAX as u64) as i32)
    .bind(products_new as i32)
    .bind(plan.existing as i32)
    .bind(plan.variants() as i32)
    .bind(serde_json::to_value(&problems).expect("problems serialize"))
    .bind(plan.problems.len() as i32)
    .bind(error)
    .execute(&mut *db)
    .await?;
    announce(db, w, status, plan.rows, plan.rows).await
}

async fn conclude_alone(
    pool: &PgPool,
    w: Watcher,
    status: &str,
    plan: &Plan,
    error: Option<&str>,
) -> Result<(), JobError> {
    let mut tx = app::db::tenant_tx(pool, w.tenant).await?;
    conclude(&mut tx, w, status, plan, error).await?;
    tx.commit().await?;
    Ok(())
}

fn job_import(job: &Job) -> Result<(Uuid, Uuid), JobError> {
    let tenant = job.tenant.ok_or_else(|| JobError::Fatal("an import job names its tenant".into()))?;
    Ok((tenant, job.payload::<ImportJob>()?.import))
}

/// The dry run.
pub struct CheckHandler {
    pub pool: PgPool,
    pub files: Files,
}

impl Handler for CheckHandler {
    fn run<'a>(&'a self, job: &'a Job, _tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let (tenant, id) = job_import(job)?;
            let Some(row) = load(&self.pool, tenant, id).await? else { return Ok(()) };
            if row.status != "checking" {
                return Ok(());
            }
            let bytes = read_file(&self.files, &row.object_key).await?;
            let plan = examine(&self.pool, row.watcher, &bytes, true).await?;
            let status = if plan.problems.is_empty() { "checked" } else { "invalid" };
            conclude_alone(&self.pool, row.watcher, status, &plan, None).await?;
            tracing::info!(import = %id, rows = plan.rows, problems = plan.problems.len(), "catalogue file checked");
            Ok(())
        })
    }
}

/// The import itself: all of the file, or nothing.
pub struct CommitHandler {
    pub pool: PgPool,
    pub files: Files,
}

impl Handler for CommitHandler {
    fn run<'a>(&'a self, job: &'a Job, _tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let (tenant, id) = job_import(job)?;
            let Some(row) = load(&self.pool, tenant, id).await? else { return Ok(()) };
            if row.status != "importing" {
                return Ok(());
            }
            let w = row.watcher;
            let bytes = read_file(&self.files, &row.object_key).await?;
            let plan = examine(&self.pool, w, &bytes, false).await?;
            if !plan.problems.is_empty() {
                // The catalogue changed since the dry run (a SKU taken, a farm gone).
                conclude_alone(&self.pool, w, "invalid", &plan, None).await?;
                return Ok(());
            }
            let started = std::time::Instant::now();
            match write(&self.pool, w, &plan).await {
                Ok(()) => {
                    tracing::info!(import = %id, products = plan.products.len(), variants = plan.variants(),
                                   ms = started.elapsed().as_millis() as u64, "catalogue imported");
                    Ok(())
                }
                Err(e) => {
                    tracing::error!(import = %id, error = %e, "catalogue import failed; nothing was written");
                    let message = "the database refused the import; nothing was written";
                    conclude_alone(&self.pool, w, "failed", &plan, Some(message)).await
                }
            }
        })
    }
}

/// Writes the plan in one transaction, reporting progress as chunks go in.
async fn write(pool: &PgPool, w: Watcher, plan: &Plan) -> Result<(), sqlx::Error> {
    let (tenant, id, by) = (w.tenant, w.id, w.user);
    let mut tx = app::db::tenant_tx(pool, tenant).await?;
    let mut categories = plan.categories.clone();
    for (slug, name) in &plan.new_categories {
        let cid: Uuid = sqlx::query_scalar(
            "INSERT INTO categories (tenant_id, id, slug, name, position) VALUES ($1, $2, $3, $4, 100)
             ON CONFLICT (tenant_id, slug) DO UPDATE SET name = categories.name RETURNING id",
        )
        .bind(tenant)
        .bind(Uuid::now_v7())
        .bind(slug)
        .bind(name)
        .fetch_one(&mut *tx)
        .await?;
        categories.insert(key(name), cid);
    }
    let units = (plan.products.len() + plan.variants()).max(1) as u64;
    let mut done = 0u64;
    let mut changed_items: Vec<Uuid> = Vec::new();
    for chunk in plan.products.chunks(chunk_for(plan.products.len())) {
        let mut ids = Vec::with_capacity(chunk.len());
        let (mut slugs, mut names, mut bodies, mut farms, mut cats, mut statuses) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for p in chunk {
            ids.push(Uuid::now_v7());
            slugs.push(p.handle.clone());
            names.push(p.title.clone());
            bodies.push(app::store::catalog_admin_service::sanitise_description(&p.body));
            farms.push(plan.farms[&key(&p.vendor)]);
            cats.push(categories[&key(&p.product_type)]);
            statuses.push(p.status.as_str());
        }
        let rows: Vec<(Uuid, String)> = sqlx::query_as(
            "INSERT INTO products (tenant_id, id, slug, name, description, farm_id, category_id, status, active)
             SELECT $1, u.id, u.slug, u.name, u.body, u.farm, u.cat, u.status, u.status = 'published'
             FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::uuid[], $8::text[])
                  AS u(id, slug, name, body, farm, cat, status)
             ON CONFLICT (tenant_id, slug) DO UPDATE SET name = excluded.name, description = excluded.description,
                  farm_id = excluded.farm_id, category_id = excluded.category_id, status = excluded.status,
                  active = excluded.active, updated_at = now()
             RETURNING id, slug",
        )
        .bind(tenant)
        .bind(&ids)
        .bind(&slugs)
        .bind(&names)
        .bind(&bodies)
        .bind(&farms)
        .bind(&cats)
        .bind(&statuses)
        .fetch_all(&mut *tx)
        .await?;
        let product_of: HashMap<String, Uuid> = rows.into_iter().map(|(id, slug)| (slug, id)).collect();

        let (mut vids, mut vproducts, mut skus, mut labels, mut grams, mut prices, mut mrps, mut gst, mut positions) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        let (mut qty_skus, mut qtys) = (vec![], vec![]);
        for p in chunk {
            for (i, v) in p.variants.iter().enumerate() {
                vids.push(Uuid::now_v7());
                vproducts.push(product_of[&p.handle]);
                skus.push(v.fields.sku.clone());
                labels.push(v.fields.label.clone());
                grams.push(v.fields.grams);
                prices.push(v.fields.price.amount());
                mrps.push(v.fields.compare_at.map(|m| m.amount()));
                gst.push(v.fields.gst_rate);
                positions.push(i as i32);
                if let Some(q) = v.quantity {
                    qty_skus.push(v.fields.sku.clone());
                    qtys.push(q);
                }
            }
        }
        // A new pack gets its own stock item, counted in packs; a pack that exists keeps its.
        sqlx::query(
            "INSERT INTO stock_items (tenant_id, id, sku, unit, on_hand)
             SELECT $1, gen_random_uuid(), u.sku, 'unit', 0 FROM unnest($2::text[]) AS u(sku)
             WHERE NOT EXISTS (SELECT 1 FROM product_variants v WHERE v.tenant_id = $1 AND v.sku = u.sku)
             ON CONFLICT (tenant_id, sku) DO NOTHING",
        )
        .bind(tenant)
        .bind(&skus)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO product_variants (tenant_id, id, product_id, sku, label, net_grams, price, mrp, gst_rate,
                 stock_item_id, stock_per_unit, position)
             SELECT $1, u.id, u.product, u.sku, u.label, u.grams, u.price, u.mrp, u.gst,
                    (SELECT s.id FROM stock_items s WHERE s.tenant_id = $1 AND s.sku = u.sku), 1, u.position
             FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int4[], $7::numeric[], $8::numeric[],
                         $9::numeric[], $10::int4[]) AS u(id, product, sku, label, grams, price, mrp, gst, position)
             ON CONFLICT (tenant_id, sku) DO UPDATE SET label = excluded.label, net_grams = excluded.net_grams,
                  price = excluded.price, mrp = excluded.mrp, gst_rate = excluded.gst_rate, position = excluded.position",
        )
        .bind(tenant)
        .bind(&vids)
        .bind(&vproducts)
        .bind(&skus)
        .bind(&labels)
        .bind(&grams)
        .bind(&prices)
        .bind(&mrps)
        .bind(&gst)
        .bind(&positions)
        .execute(&mut *tx)
        .await?;
        // Quantities: the count the file gives, reached by a movement (never an UPDATE that
        // loses history): `received` into an empty item, a count correction otherwise.
        let moved: Vec<Uuid> = sqlx::query_scalar(
            "WITH wanted AS (
                 SELECT v.stock_item_id AS item, max(u.qty) AS qty
                 FROM unnest($2::text[], $3::int8[]) AS u(sku, qty)
                 JOIN product_variants v ON v.tenant_id = $1 AND v.sku = u.sku GROUP BY 1),
             now_held AS (
                 SELECT s.id, s.on_hand, w.qty FROM stock_items s JOIN wanted w ON s.tenant_id = $1 AND s.id = w.item
                 WHERE s.on_hand <> w.qty FOR UPDATE OF s),
             changed AS (
                 UPDATE stock_items s SET on_hand = n.qty, updated_at = now() FROM now_held n
                 WHERE s.tenant_id = $1 AND s.id = n.id RETURNING s.id, n.qty - n.on_hand AS delta, n.on_hand AS before)
             INSERT INTO stock_movements (tenant_id, stock_item_id, delta, reason, actor_id, note)
             SELECT $1, c.id, c.delta, CASE WHEN c.before = 0 THEN 'received' ELSE 'count_corrected' END, $4, 'CSV import'
             FROM changed c RETURNING stock_item_id",
        )
        .bind(tenant)
        .bind(&qty_skus)
        .bind(&qtys)
        .bind(by)
        .fetch_all(&mut *tx)
        .await?;
        changed_items.extend(moved);
        done += (chunk.len() + skus.len()) as u64;
        report(pool, w, "importing", plan.rows * done / units, plan.rows).await;
    }
    app::store::stock_service::watch_low(&mut tx, tenant, &changed_items).await?;
    app::audit::record(
        &mut *tx,
        app::audit::Entry {
            tenant: Some(tenant),
            actor: Some(by),
            action: "catalog.imported",
            target: Some(id.to_string()),
            before: None,
            after: Some(serde_json::json!({ "products": plan.products.len(), "existing": plan.existing,
                                            "variants": plan.variants(), "stockChanged": changed_items.len(),
                                            "newCategories": plan.new_categories.len() })),
            ip: None,
        },
    )
    .await?;
    conclude(&mut tx, w, "imported", plan, None).await?;
    tx.commit().await
}

/// Registers both steps.
pub fn register(registry: crate::jobs::Registry, pool: &PgPool, files: &Files) -> crate::jobs::Registry {
    registry
        .register(
            app::store::catalog_import_service::CHECK_JOB,
            CheckHandler { pool: pool.clone(), files: files.clone() },
        )
        .register(
            app::store::catalog_import_service::COMMIT_JOB,
            CommitHandler { pool: pool.clone(), files: files.clone() },
        )
}
