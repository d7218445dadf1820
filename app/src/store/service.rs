//! Catalogue use cases: the queries behind the storefront pages and `/api/v1/products`.
//! Every query names its tenant; no catalogue row leaves its tenant.

use super::catalog::*;
use crate::domain::money::Money;
use crate::domain::search_query::prefix_tsquery;
use crate::envelope::{Page, Pagination};
use crate::error::AppError;
use crate::trace::model::FarmSummary;
use rust_decimal::Decimal;
use sqlx::{FromRow, PgPool, Postgres, QueryBuilder};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

#[derive(FromRow)]
struct CardRow {
    id: Uuid,
    slug: String,
    name: String,
    farm_id: Uuid,
    farm_slug: String,
    farm_name: String,
    farm_region: String,
    category_slug: String,
    category_name: String,
    image_path: Option<String>,
    price_from: Decimal,
    pack_from: String,
    in_stock: bool,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// A product's picture, or else its shelf's drawing (`public/images/categories/`); a
/// shelf without one (made by staff or an import) shows the pantry's.
pub fn image_url(path: Option<String>, category_slug: &str) -> String {
    const DRAWN: [&str; 5] = ["fruits", "pantry", "spices", "tea", "vegetables"];
    path.unwrap_or_else(|| {
        let drawing = if DRAWN.contains(&category_slug) { category_slug } else { "pantry" };
        format!("/images/categories/{drawing}.svg")
    })
}

impl From<CardRow> for ProductCard {
    fn from(r: CardRow) -> ProductCard {
        let price = Money::from_decimal(r.price_from);
        ProductCard {
            image_url: image_url(r.image_path, &r.category_slug),
            id: r.id,
            slug: r.slug,
            name: r.name,
            price,
            farm: FarmRef {
                id: r.farm_id,
                slug: r.farm_slug,
                name: r.farm_name.clone(),
                region: r.farm_region.clone(),
            },
            farm_name: r.farm_name,
            farm_region: r.farm_region,
            category_slug: r.category_slug,
            category_name: r.category_name,
            price_from: price,
            pack_from: r.pack_from,
            in_stock: r.in_stock,
            created_at: r.created_at,
        }
    }
}

/// Can a pack of this product be sold now: some pack's stock item has at least one
/// pack's worth available (`stock_levels`, reservations counted).
///
/// `OFFSET 0` keeps this a per-product check: flattened into a join, PostgreSQL
/// computed the availability of every product of the store before sorting and taking
/// one page (1.3 s for a category's page 38 by price, against 23 ms walking the sorted
/// index and checking each product until the page is full).
fn in_stock_sql(product: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM product_variants pv
            JOIN stock_levels sl ON sl.tenant_id = pv.tenant_id AND sl.stock_item_id = pv.stock_item_id
            WHERE pv.tenant_id = {product}.tenant_id AND pv.product_id = {product}.id AND sl.available >= pv.stock_per_unit
            OFFSET 0)"
    )
}

/// Appends `FROM … WHERE …` for `query`, binding only the filters in use, so each
/// combination of filters is its own prepared statement with its own good plan.
/// Text search: full-text with prefixes, or a trigram match on the name for typos.
fn push_filtered<'a>(
    qb: &mut QueryBuilder<'a, Postgres>,
    tenant: Uuid,
    query: &'a ProductQuery,
    tsquery: Option<&'a str>,
    matching: Matching,
    purpose: Purpose,
) {
    qb.push(
        " FROM products p JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id WHERE p.tenant_id = ",
    );
    qb.push_bind(tenant);
    qb.push(" AND p.active");
    if let (Some(ts), Some(text)) = (tsquery, query.text.as_deref()) {
        // The matches come from `product_search`, whose indexes serve under row-level
        // security (on `products` the match could only be tested row by row: migration
        // …35); the products themselves are still read under it.
        qb.push(" AND p.id IN (SELECT ps.product_id FROM product_search ps WHERE ps.tenant_id = ");
        qb.push_bind(tenant);
        qb.push(" AND (ps.search @@ to_tsquery('english', ");
        qb.push_bind(ts);
        qb.push(")");
        if matching == Matching::Typos {
            qb.push(" OR ps.name %> ");
            qb.push_bind(text);
        }
        qb.push("))");
    }
    if let Some(category) = &query.category {
        // As for farms: the id known up front lets the category's sorted indexes serve.
        qb.push(" AND p.category_id = (SELECT cc.id FROM categories cc WHERE cc.tenant_id = ");
        qb.push_bind(tenant);
        qb.push(" AND cc.slug = ");
        qb.push_bind(category.as_str());
        qb.push(")");
    }
    if let Some(farm) = &query.farm {
        // Uncorrelated subqueries (the tenant bound, not `p.tenant_id`) run once per
        // statement, not once per product.
        qb.push(" AND p.farm_id = (SELECT f.id FROM farms f WHERE f.tenant_id = ");
        qb.push_bind(tenant);
        qb.push(" AND f.slug = ");
        qb.push_bind(farm.as_str());
        qb.push(")");
    }
    if let Some(scheme) = &query.certification {
        // Certified today: the farm's certificate, or one of the product's lots'.
        qb.push(" AND (p.farm_id IN (SELECT fc.farm_id FROM certifications fc WHERE fc.tenant_id = ");
        qb.push_bind(tenant);
        qb.push(" AND fc.farm_id IS NOT NULL AND fc.scheme_slug = ");
        qb.push_bind(scheme.as_str());
        qb.push(
            " AND current_date BETWEEN fc.valid_from AND fc.valid_until)
              OR p.id IN (SELECT cv.product_id FROM certifications bc
                  JOIN stock_items cs ON cs.tenant_id = bc.tenant_id AND cs.batch_id = bc.batch_id
                  JOIN product_variants cv ON cv.tenant_id = cs.tenant_id AND cv.stock_item_id = cs.id
                  WHERE bc.tenant_id = ",
        );
        qb.push_bind(tenant);
        qb.push(" AND bc.batch_id IS NOT NULL AND bc.scheme_slug = ");
        qb.push_bind(scheme.as_str());
        qb.push(" AND current_date BETWEEN bc.valid_from AND bc.valid_until))");
    }
    if let Some(min) = query.min_price {
        qb.push(" AND p.price_from >= ");
        qb.push_bind(min.amount());
    }
    if let Some(max) = query.max_price {
        qb.push(" AND p.price_from <= ");
        qb.push_bind(max.amount());
    }
    if query.in_stock {
        match purpose {
            Purpose::Page => {
                qb.push(" AND ");
                qb.push(in_stock_sql("p"));
            }
            // Counting visits every product: one pass over the packs and their lots
            // (a hash join) beats probing each product's packs (~0.3 s against ~3 s
            // at 100,000 products).
            Purpose::Count => {
                qb.push(
                    " AND p.id IN (SELECT pv.product_id FROM product_variants pv
                        JOIN stock_items s ON s.tenant_id = pv.tenant_id AND s.id = pv.stock_item_id
                        LEFT JOIN (SELECT r.stock_item_id, sum(r.quantity) AS held FROM stock_reservations r
                                   WHERE r.tenant_id = ",
                );
                qb.push_bind(tenant);
                qb.push(" AND r.reserved_until > now() GROUP BY r.stock_item_id) r ON r.stock_item_id = s.id WHERE pv.tenant_id = ");
                qb.push_bind(tenant);
                qb.push(" AND s.on_hand - coalesce(r.held, 0) >= pv.stock_per_unit)");
            }
        }
    }
}

/// Whether a text search also lets in names that merely look like the words typed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Matching {
    Exact,
    Typos,
}

/// What a filtered statement is for: a page of cards (stops early) or a count (sees all).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Page,
    Count,
}

/// A text search with fewer full-text hits than this also matches names by trigram
/// similarity (`cardamon` finds cardamom). Only then: a similarity search reads more of
/// its index than a full-text one.
const TYPO_FALLBACK_BELOW: i64 = 3;

/// Category counts change only when the catalogue does; counting 100,000 products on
/// every page view does not pay. Browsing totals come from here, a few seconds stale
/// at most; text searches and narrowing filters still count exactly. The filter form's
/// farms and certification schemes are cached the same way.
///
/// Listings themselves (one page of one query) are kept for `listing_ttl`: the first
/// pages of the shelves are what nearly every visitor asks for, and reading them again
/// for each one made the database the storefront's bottleneck. Concurrent misses of
/// one listing wait for a single read instead of each running it.
pub struct CatalogCache {
    categories: PerTenant<Category>,
    farms: PerTenant<FarmListing>,
    farm_choices: PerTenant<FarmListing>,
    certifications: PerTenant<CertificationOption>,
    listings: Option<moka::future::Cache<(Uuid, ProductQuery), Page<ProductCard>>>,
    /// Totals of narrowed queries (and whether they matched by typo), kept for
    /// `COUNTS_TTL`: counting what is in stock reads every pack of the store (0.3–0.9 s
    /// at 100,000 products), and a total half a minute old misleads no one.
    counts: Option<moka::future::Cache<(Uuid, ProductQuery), Matches>>,
    /// A product page's data but its stock, by (tenant, `id:…` or `slug:…`): what
    /// changes only when the catalogue does, dropped whenever it does (`forget`).
    details: Option<moka::future::Cache<(Uuid, String), Arc<ProductDetail>>>,
    /// Each pack's stock of a product, kept for a second at most (the seeds' freshness
    /// objective is two).
    stock: Option<moka::future::Cache<(Uuid, Uuid), Arc<Vec<(Uuid, i32)>>>>,
}

/// How long a narrowed query's total is kept (when listings are cached at all).
const COUNTS_TTL: Duration = Duration::from_secs(30);

/// Distinct listings kept at most (a page of cards is a few kilobytes).
const LISTINGS_MAX: u64 = 20_000;

type PerTenant<T> = moka::future::Cache<Uuid, Arc<Vec<T>>>;

/// The tenant's entry, loaded once however many ask at once when it is missing or old.
async fn cached<T: Send + Sync + 'static>(
    slot: &PerTenant<T>,
    tenant: Uuid,
    load: impl std::future::Future<Output = Result<Vec<T>, AppError>>,
) -> Result<Arc<Vec<T>>, AppError> {
    slot.try_get_with(tenant, async { load.await.map(Arc::new) }).await.map_err(|shared| (*shared).clone())
}

fn per_tenant<T: Send + Sync + 'static>(ttl: Duration) -> PerTenant<T> {
    moka::future::Cache::builder().max_capacity(1_000).time_to_live(ttl).build()
}

/// Distinct products whose page data is kept at most.
const DETAILS_MAX: u64 = 50_000;

impl CatalogCache {
    /// `listing_ttl` zero reads every listing and every total from the database, and a
    /// product page's stock; `detail_ttl` zero reads a product page's data every time.
    pub fn new(ttl: Duration, listing_ttl: Duration, detail_ttl: Duration) -> CatalogCache {
        CatalogCache {
            categories: per_tenant(ttl),
            farms: per_tenant(ttl),
            farm_choices: per_tenant(ttl),
            certifications: per_tenant(ttl),
            listings: (!listing_ttl.is_zero())
                .then(|| moka::future::Cache::builder().max_capacity(LISTINGS_MAX).time_to_live(listing_ttl).build()),
            counts: (!listing_ttl.is_zero()).then(|| {
                moka::future::Cache::builder()
                    .max_capacity(LISTINGS_MAX)
                    .time_to_live(COUNTS_TTL.max(listing_ttl))
                    .build()
            }),
            details: (!detail_ttl.is_zero())
                .then(|| moka::future::Cache::builder().max_capacity(DETAILS_MAX).time_to_live(detail_ttl).build()),
            stock: (!listing_ttl.is_zero()).then(|| {
                moka::future::Cache::builder()
                    .max_capacity(DETAILS_MAX)
                    .time_to_live((listing_ttl / 2).min(Duration::from_secs(1)))
                    .build()
            }),
        }
    }

    /// Drops everything kept: the catalogue changed (in this process, or in another,
    /// which said so over `NOTIFY mandi_catalog`). Changes are rare; reading the
    /// shelves again after one costs a few queries.
    pub fn forget(&self) {
        self.categories.invalidate_all();
        self.farms.invalidate_all();
        self.farm_choices.invalidate_all();
        self.certifications.invalidate_all();
        for cache in [&self.listings].into_iter().flatten() {
            cache.invalidate_all();
        }
        if let Some(c) = &self.counts {
            c.invalidate_all();
        }
        if let Some(c) = &self.details {
            c.invalidate_all();
        }
        if let Some(c) = &self.stock {
            c.invalidate_all();
        }
    }

    /// A product's page: its data kept until the catalogue changes, its stock at most a
    /// second old.
    pub async fn product(&self, pool: &PgPool, tenant: Uuid, key: ProductKey<'_>) -> Result<ProductDetail, AppError> {
        let name = match key {
            ProductKey::Id(id) => format!("id:{id}"),
            ProductKey::Slug(slug) => format!("slug:{slug}"),
        };
        let detail = match &self.details {
            Some(details) => details
                .try_get_with((tenant, name), async { product_detail(pool, tenant, key).await.map(Arc::new) })
                .await
                .map_err(|shared| (*shared).clone())?,
            None => Arc::new(product_detail(pool, tenant, key).await?),
        };
        let stock = match &self.stock {
            Some(stock) => stock
                .try_get_with((tenant, detail.id), async { variant_stock(pool, tenant, detail.id).await.map(Arc::new) })
                .await
                .map_err(|shared| (*shared).clone())?,
            None => Arc::new(variant_stock(pool, tenant, detail.id).await?),
        };
        let mut detail = (*detail).clone();
        for v in &mut detail.variants {
            v.available = stock.iter().find(|(id, _)| *id == v.id).map(|(_, n)| *n).unwrap_or(0);
        }
        Ok(detail)
    }

    pub async fn categories(&self, pool: &PgPool, tenant: Uuid) -> Result<Arc<Vec<Category>>, AppError> {
        cached(&self.categories, tenant, list_categories(pool, tenant)).await
    }

    pub async fn farms(&self, pool: &PgPool, tenant: Uuid) -> Result<Arc<Vec<FarmListing>>, AppError> {
        cached(&self.farms, tenant, list_farms(pool, tenant)).await
    }

    pub async fn certifications(&self, pool: &PgPool, tenant: Uuid) -> Result<Arc<Vec<CertificationOption>>, AppError> {
        cached(&self.certifications, tenant, list_certification_schemes(pool, tenant)).await
    }

    /// The filter form's choices; a store with many farms offers its biggest ones
    /// (and always `chosen_farm`) and leaves the rest to `/farms`.
    pub async fn filter_options(
        &self,
        pool: &PgPool,
        tenant: Uuid,
        chosen_farm: Option<&str>,
    ) -> Result<FilterOptions, AppError> {
        // Ranking 2,500 farms took a fifth of a search page's time; the usual choices
        // (no farm, or one of the offered ones) are ranked once per refresh.
        let farms = self.farms(pool, tenant).await?;
        let offered =
            cached(&self.farm_choices, tenant, async { Ok(farm_options(&farms, None, FARM_OPTIONS)) }).await?;
        let farms = match chosen_farm {
            Some(slug) if !offered.iter().any(|f| f.slug == slug) => farm_options(&farms, Some(slug), FARM_OPTIONS),
            _ => offered.to_vec(),
        };
        Ok(FilterOptions {
            categories: self.categories(pool, tenant).await?.to_vec(),
            farms,
            certifications: self.certifications(pool, tenant).await?.to_vec(),
        })
    }
}

/// Searches, filters and sorts the catalogue. Text search is full-text with prefix
/// matching plus trigram similarity on the name (typos), best match first; browsing is
/// alphabetical unless another sort is asked for.
pub async fn list_products(
    pool: &PgPool,
    cache: &CatalogCache,
    tenant: Uuid,
    query: &ProductQuery,
) -> Result<Page<ProductCard>, AppError> {
    match &cache.listings {
        Some(listings) => listings
            .try_get_with((tenant, query.clone()), read_products(pool, cache, tenant, query))
            .await
            .map_err(|shared| (*shared).clone()),
        None => read_products(pool, cache, tenant, query).await,
    }
}

/// A little more forgiving than pg_trgm's default 0.6: "tumeric" is 0.55 from
/// "turmeric". Set for the transaction only.
const TYPO_THRESHOLD: &str = "SELECT set_config('pg_trgm.word_similarity_threshold', '0.5', true)";

/// How many products a search or a narrowed query matches.
#[derive(Clone, Copy, Debug)]
struct Matches {
    total: i64,
    /// Names that merely look like the words typed were let in (few full-text hits:
    /// the words may be misspelt).
    typos: bool,
    /// Of a text search on the shelves alone (nothing else narrowing it), how many hold
    /// every word in their name: where a broad search's second group starts.
    in_name: Option<i64>,
}

/// A search with more matches than this is ordered by where its words appear rather
/// than ranked match by match (migration …38): ranking costs about 20 µs a match, and
/// nobody reads through hundreds of equally good ones in rank order.
const RANK_EVERY_MATCH_UP_TO: i64 = 200;

/// Counts a narrowed query's matches. A text search on the shelves alone counts
/// `product_search` through its GIN indexes (a bitmap, without reading the products);
/// anything else narrowing it counts through `products`.
async fn count_products(
    pool: &PgPool,
    tenant: Uuid,
    query: &ProductQuery,
    tsquery: Option<&str>,
) -> Result<Matches, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (total, in_name) = match tsquery {
        Some(ts) if !query.has_narrowing_filters() => {
            let mut qb = QueryBuilder::new("SELECT ");
            for (i, vector) in ["search", "name_search"].into_iter().enumerate() {
                qb.push(if i == 0 { "(" } else { ", (" });
                qb.push(format!("SELECT count(*) FROM product_search ps WHERE ps.{vector} @@ to_tsquery('english', "));
                qb.push_bind(ts);
                qb.push(")");
                push_search_scope(&mut qb, tenant, query);
                qb.push(")");
            }
            let (total, in_name): (i64, i64) = qb.build_query_as().fetch_one(&mut *tx).await?;
            (total, Some(in_name))
        }
        _ => {
            let mut qb = QueryBuilder::new("SELECT count(*)");
            push_filtered(&mut qb, tenant, query, tsquery, Matching::Exact, Purpose::Count);
            (qb.build_query_scalar().fetch_one(&mut *tx).await?, None)
        }
    };
    let typos = tsquery.is_some() && total < TYPO_FALLBACK_BELOW;
    let matches = if typos {
        sqlx::query(TYPO_THRESHOLD).execute(&mut *tx).await?;
        let mut qb = QueryBuilder::new("SELECT count(*)");
        push_filtered(&mut qb, tenant, query, tsquery, Matching::Typos, Purpose::Count);
        Matches { total: qb.build_query_scalar().fetch_one(&mut *tx).await?, typos, in_name: None }
    } else {
        Matches { total, typos, in_name }
    };
    tx.commit().await?;
    Ok(matches)
}

/// ` AND` the tenant and, if asked, the shelf, on `product_search ps`.
fn push_search_scope<'a>(qb: &mut QueryBuilder<'a, Postgres>, tenant: Uuid, query: &'a ProductQuery) {
    qb.push(" AND ps.tenant_id = ");
    qb.push_bind(tenant);
    if let Some(category) = &query.category {
        qb.push(" AND ps.category_id = (SELECT cc.id FROM categories cc WHERE cc.tenant_id = ");
        qb.push_bind(tenant);
        qb.push(" AND cc.slug = ");
        qb.push_bind(category.as_str());
        qb.push(")");
    }
}

/// Where a broad search's matches hold its words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Group {
    /// Every word in the name.
    Name,
    /// Not all in the name, so in the description.
    Description,
}

/// Which rows of each group a page at `offset` of `limit` takes, when `in_name` match
/// by name: (group, rows to skip in it, rows to take at most).
fn group_windows(offset: i64, limit: i64, in_name: i64) -> Vec<(Group, i64, i64)> {
    let mut windows = Vec::with_capacity(2);
    if offset < in_name {
        windows.push((Group::Name, offset, limit.min(in_name - offset)));
    }
    let from_name = windows.first().map_or(0, |w| w.2);
    if from_name < limit {
        windows.push((Group::Description, (offset - in_name).max(0), limit - from_name));
    }
    windows
}

/// One page of a broad search's product ids: the name group, then the description
/// group, each by name. Each group's statement walks the name index and stops once the
/// page is full, or, when a group is small, reads its GIN index and sorts the few.
async fn broad_page_ids(
    tx: &mut sqlx::PgConnection,
    tenant: Uuid,
    query: &ProductQuery,
    ts: &str,
    in_name: i64,
) -> Result<Vec<Uuid>, AppError> {
    // The choice between those plans rests on how many the words match, which a
    // prepared statement's generic plan cannot know.
    sqlx::query("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)").execute(&mut *tx).await?;
    let mut ids = Vec::with_capacity(query.limit as usize);
    for (group, skip, most) in group_windows(query.offset(), i64::from(query.limit), in_name) {
        // The name group may hold fewer than counted (a product renamed meanwhile): the
        // description group then fills the page.
        let wanted = match group {
            Group::Name => most,
            Group::Description => i64::from(query.limit) - ids.len() as i64,
        };
        if wanted <= 0 {
            break;
        }
        let mut qb = QueryBuilder::new("SELECT ps.product_id FROM product_search ps WHERE ");
        match group {
            Group::Name => {
                qb.push("ps.name_search @@ to_tsquery('english', ");
                qb.push_bind(ts);
                qb.push(")");
            }
            Group::Description => {
                qb.push("ps.search @@ to_tsquery('english', ");
                qb.push_bind(ts);
                qb.push(") AND NOT ps.name_search @@ to_tsquery('english', ");
                qb.push_bind(ts);
                qb.push(")");
            }
        }
        push_search_scope(&mut qb, tenant, query);
        qb.push(" ORDER BY ps.name, ps.product_id LIMIT ");
        qb.push_bind(wanted);
        qb.push(" OFFSET ");
        qb.push_bind(skip);
        let found: Vec<Uuid> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
        ids.extend(found);
    }
    Ok(ids)
}

async fn read_products(
    pool: &PgPool,
    cache: &CatalogCache,
    tenant: Uuid,
    query: &ProductQuery,
) -> Result<Page<ProductCard>, AppError> {
    let tsquery = query.text.as_deref().and_then(prefix_tsquery);
    if query.text.is_some() && tsquery.is_none() {
        // Only punctuation was typed: nothing can match.
        return Ok(Page { items: vec![], pagination: Pagination::new(query.page, query.limit, 0) });
    }
    let browsing = tsquery.is_none() && !query.has_narrowing_filters();
    let matches = if browsing {
        let cats = cache.categories(pool, tenant).await?;
        let total = cats
            .iter()
            .filter(|c| query.category.as_ref().is_none_or(|slug| &c.slug == slug))
            .map(|c| c.product_count)
            .sum();
        Matches { total, typos: false, in_name: None }
    } else {
        match &cache.counts {
            Some(counts) => counts
                .try_get_with((tenant, query.count_key()), count_products(pool, tenant, query, tsquery.as_deref()))
                .await
                .map_err(|shared| (*shared).clone())?,
            None => count_products(pool, tenant, query, tsquery.as_deref()).await?,
        }
    };
    let Matches { total, typos, in_name } = matches;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    if typos {
        sqlx::query(TYPO_THRESHOLD).execute(&mut *tx).await?;
    }
    let broad = match (tsquery.as_deref(), in_name) {
        (Some(ts), Some(in_name)) if query.sort == Sort::Relevance && total > RANK_EVERY_MATCH_UP_TO => {
            Some((ts, in_name))
        }
        _ => None,
    };
    // A prepared statement's generic plan cannot fold a rank away, so browsing and
    // searching are distinct statements (as is every sort).
    let ranked = tsquery.is_some() && query.sort == Sort::Relevance;
    let (order_products, order_page) = match query.sort {
        _ if broad.is_some() => ("", "page.rank, page.id"),
        Sort::Relevance if ranked => ("rank DESC, p.name, p.id", "page.rank DESC, page.name, page.id"),
        Sort::Relevance => ("p.name, p.id", "page.name, page.id"),
        Sort::Price => ("p.price_from, p.id", "page.price_from, page.id"),
        Sort::PriceDesc => ("p.price_from DESC, p.id DESC", "page.price_from DESC, page.id DESC"),
        Sort::Newest => ("p.created_at DESC, p.id DESC", "page.created_at DESC, page.id DESC"),
    };
    let rows: Vec<CardRow> = if total == 0 || query.offset() >= total {
        Vec::new()
    } else if let Some((ts, in_name)) = broad {
        let ids = broad_page_ids(&mut tx, tenant, query, ts, in_name).await?;
        // The page's products in the order found (their place as the rank); a product
        // taken off the shelves since it was found drops out.
        let mut qb = QueryBuilder::new(
            "WITH page AS (
                 SELECT p.tenant_id, p.id, p.farm_id, p.slug, p.name, p.image_path, p.price_from, p.created_at,
                        c.slug AS category_slug, c.name AS category_name, found.n AS rank
                 FROM unnest(",
        );
        qb.push_bind(ids);
        qb.push(
            "::uuid[]) WITH ORDINALITY AS found (id, n)
                 JOIN products p ON p.id = found.id
                 JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id
                 WHERE p.tenant_id = ",
        );
        qb.push_bind(tenant);
        qb.push(" AND p.active");
        push_cards(&mut qb, order_page);
        qb.build_query_as().fetch_all(&mut *tx).await?
    } else {
        let mut qb = QueryBuilder::new(
            "WITH page AS (
                 SELECT p.tenant_id, p.id, p.farm_id, p.slug, p.name, p.image_path, p.price_from, p.created_at,
                        c.slug AS category_slug, c.name AS category_name, ",
        );
        match (ranked, tsquery.as_deref(), query.text.as_deref()) {
            (true, Some(ts), Some(text)) => {
                qb.push("ts_rank(p.search, to_tsquery('english', ");
                qb.push_bind(ts);
                qb.push(")) + word_similarity(");
                qb.push_bind(text);
                qb.push(", p.name) AS rank");
            }
            _ => {
                qb.push("0::real AS rank");
            }
        }
        push_filtered(
            &mut qb,
            tenant,
            query,
            tsquery.as_deref(),
            if typos { Matching::Typos } else { Matching::Exact },
            Purpose::Page,
        );
        qb.push(" ORDER BY ");
        qb.push(order_products);
        qb.push(" LIMIT ");
        qb.push_bind(i64::from(query.limit));
        qb.push(" OFFSET ");
        qb.push_bind(query.offset());
        push_cards(&mut qb, order_page);
        qb.build_query_as().fetch_all(&mut *tx).await?
    };
    tx.commit().await?;
    let total = u64::try_from(total).unwrap_or(0);
    Ok(Page {
        items: rows.into_iter().map(ProductCard::from).collect(),
        pagination: Pagination::new(query.page, query.limit, total),
    })
}

/// Closes the `page` CTE (a page of products with their shelf and `rank`) and reads
/// each card's farm, cheapest pack and availability, ordered by `order_page`.
fn push_cards(qb: &mut QueryBuilder<'_, Postgres>, order_page: &str) {
    qb.push(
        ") SELECT page.id, page.slug, page.name, page.farm_id, f.slug AS farm_slug, f.name AS farm_name,
                f.region AS farm_region, page.category_slug, page.category_name, page.image_path,
                v.price AS price_from, v.label AS pack_from, page.created_at, ",
    );
    qb.push(in_stock_sql("page"));
    qb.push(
        " AS in_stock
         FROM page
         -- One index probe per card: a plain join let the planner hash every farm
         -- of the store (2,500 at the large scale) to find a page's two dozen.
         CROSS JOIN LATERAL (
             SELECT f.slug, f.name, f.region FROM farms f
             WHERE f.tenant_id = page.tenant_id AND f.id = page.farm_id LIMIT 1) f
         CROSS JOIN LATERAL (
             SELECT price, label FROM product_variants v
             WHERE v.tenant_id = page.tenant_id AND v.product_id = page.id
             ORDER BY price, id LIMIT 1) v
         ORDER BY ",
    );
    qb.push(order_page.to_owned());
}

/// The store's farms with their product counts and today's certification schemes.
pub async fn list_farms(pool: &PgPool, tenant: Uuid) -> Result<Vec<FarmListing>, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<(Uuid, String, String, String, String, i64, Vec<String>)> = sqlx::query_as(
        "SELECT f.id, f.slug, f.name, f.region, f.state,
                (SELECT count(*) FROM products p WHERE p.tenant_id = f.tenant_id AND p.farm_id = f.id AND p.active),
                coalesce((SELECT array_agg(DISTINCT c.scheme ORDER BY c.scheme) FROM certifications c
                          WHERE c.tenant_id = f.tenant_id AND c.farm_id = f.id
                            AND current_date BETWEEN c.valid_from AND c.valid_until), '{}')
         FROM farms f
         WHERE f.tenant_id = $1
         ORDER BY f.name, f.id",
    )
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, name, region, state, product_count, certifications)| FarmListing {
            id,
            slug,
            name,
            region,
            state,
            product_count,
            certifications,
        })
        .collect())
}

/// Certification schemes that some farm or lot of the store holds today.
pub async fn list_certification_schemes(pool: &PgPool, tenant: Uuid) -> Result<Vec<CertificationOption>, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT scheme_slug, scheme FROM certifications
         WHERE tenant_id = $1 AND current_date BETWEEN valid_from AND valid_until
         ORDER BY scheme",
    )
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|(slug, name)| CertificationOption { slug, name }).collect())
}

/// Which farm a storefront URL names: its slug or its id.
pub async fn farm_profile(
    pool: &PgPool,
    cache: &CatalogCache,
    tenant: Uuid,
    key: &str,
) -> Result<FarmProfile, AppError> {
    let id = Uuid::parse_str(key).ok();
    let slug = is_slug(key).then_some(key);
    if id.is_none() && slug.is_none() {
        return Err(AppError::not_found("Farm"));
    }
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let row: Option<(Uuid, String, String, String, String, String, Option<Decimal>)> = sqlx::query_as(
        "SELECT id, slug, name, region, description, state, area_acres FROM farms
         WHERE tenant_id = $1 AND (id = $2 OR slug = $3)",
    )
    .bind(tenant)
    .bind(id)
    .bind(slug)
    .fetch_optional(&mut *tx)
    .await?;
    let (id, slug, name, region, description, state, acres) = row.ok_or_else(|| AppError::not_found("Farm"))?;
    let certifications = crate::trace::service::farm_certifications(&mut tx, tenant, id).await?;
    tx.commit().await?;
    let query = ProductQuery::parse(&ProductQueryParams {
        farm: Some(slug.clone()),
        limit: Some("24".into()),
        ..Default::default()
    })?;
    let products = list_products(pool, cache, tenant, &query).await?;
    Ok(FarmProfile {
        farm: FarmSummary { id, slug, name, region, description },
        state,
        area_acres: acres.map(|a| a.normalize().to_string()),
        certifications,
        products,
    })
}

#[derive(FromRow)]
struct DetailRow {
    id: Uuid,
    slug: String,
    name: String,
    description: String,
    image_path: Option<String>,
    category_slug: String,
    category_name: String,
    farm_id: Uuid,
    farm_slug: String,
    farm_name: String,
    farm_region: String,
    farm_description: String,
}

#[derive(FromRow)]
struct VariantRow {
    id: Uuid,
    sku: String,
    label: String,
    price: Decimal,
    mrp: Option<Decimal>,
    available: i32,
}

/// Which product a detail lookup names.
#[derive(Clone, Copy)]
pub enum ProductKey<'a> {
    Id(Uuid),
    Slug(&'a str),
}

pub async fn product_detail(pool: &PgPool, tenant: Uuid, key: ProductKey<'_>) -> Result<ProductDetail, AppError> {
    let (id, slug) = match key {
        ProductKey::Id(id) => (Some(id), None),
        ProductKey::Slug(slug) => (None, Some(slug)),
    };
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let row: Option<DetailRow> = sqlx::query_as(
        "SELECT p.id, p.slug, p.name, p.description, p.image_path,
                c.slug AS category_slug, c.name AS category_name,
                f.id AS farm_id, f.slug AS farm_slug, f.name AS farm_name,
                f.region AS farm_region, f.description AS farm_description
         FROM products p
         JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id
         JOIN farms f ON f.tenant_id = p.tenant_id AND f.id = p.farm_id
         WHERE p.tenant_id = $1 AND p.active
           AND (p.id = $2 OR p.slug = $3)",
    )
    .bind(tenant)
    .bind(id)
    .bind(slug)
    .fetch_optional(&mut *tx)
    .await?;
    let row = row.ok_or_else(|| AppError::not_found("Product"))?;
    let variants: Vec<VariantRow> = sqlx::query_as(
        "SELECT v.id, v.sku, v.label, v.price, v.mrp,
                coalesce(least(sl.available / v.stock_per_unit, 2147483647), 0)::int4 AS available
         FROM product_variants v
         LEFT JOIN stock_levels sl ON sl.tenant_id = v.tenant_id AND sl.stock_item_id = v.stock_item_id
         WHERE v.tenant_id = $1 AND v.product_id = $2
         ORDER BY v.position, v.price, v.id",
    )
    .bind(tenant)
    .bind(row.id)
    .fetch_all(&mut *tx)
    .await?;
    let batches = crate::trace::service::product_batches(&mut tx, tenant, row.id).await?;
    tx.commit().await?;
    Ok(ProductDetail {
        batches,
        image_url: image_url(row.image_path, &row.category_slug),
        id: row.id,
        slug: row.slug,
        name: row.name,
        description: row.description,
        category: CategorySummary { slug: row.category_slug, name: row.category_name },
        farm: FarmSummary {
            id: row.farm_id,
            slug: row.farm_slug,
            name: row.farm_name,
            region: row.farm_region,
            description: row.farm_description,
        },
        variants: variants
            .into_iter()
            .map(|v| VariantView {
                id: v.id,
                sku: v.sku,
                label: v.label,
                price: Money::from_decimal(v.price),
                mrp: v.mrp.map(Money::from_decimal),
                available: v.available,
            })
            .collect(),
    })
}

/// What can be sold now of each pack of a product, in packs.
async fn variant_stock(pool: &PgPool, tenant: Uuid, product: Uuid) -> Result<Vec<(Uuid, i32)>, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<(Uuid, i32)> = sqlx::query_as(
        "SELECT v.id, coalesce(least(sl.available / v.stock_per_unit, 2147483647), 0)::int4
         FROM product_variants v
         LEFT JOIN stock_levels sl ON sl.tenant_id = v.tenant_id AND sl.stock_item_id = v.stock_item_id
         WHERE v.tenant_id = $1 AND v.product_id = $2",
    )
    .bind(tenant)
    .bind(product)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Categories that have at least one active product, in shelf order.
pub async fn list_categories(pool: &PgPool, tenant: Uuid) -> Result<Vec<Category>, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT c.slug, c.name, count(p.id)
         FROM categories c
         JOIN products p ON p.tenant_id = c.tenant_id AND p.category_id = c.id AND p.active
         WHERE c.tenant_id = $1
         GROUP BY c.id, c.slug, c.name, c.position
         ORDER BY c.position, c.name",
    )
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|(slug, name, product_count)| Category { slug, name, product_count }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_page_across_the_groups_takes_the_end_of_one_and_the_start_of_the_other() {
        assert_eq!(group_windows(0, 24, 100), vec![(Group::Name, 0, 24)]);
        assert_eq!(group_windows(90, 24, 100), vec![(Group::Name, 90, 10), (Group::Description, 0, 14)]);
        assert_eq!(group_windows(120, 24, 100), vec![(Group::Description, 20, 24)]);
        assert_eq!(group_windows(0, 24, 0), vec![(Group::Description, 0, 24)]);
    }

    proptest! {
        /// Consecutive pages cover the matches once each, in order: every name match,
        /// then every other.
        #[test]
        fn pages_cover_both_groups_exactly_once(in_name in 0i64..300, others in 0i64..300, limit in 1i64..50) {
            let total = in_name + others;
            let mut seen = Vec::new();
            for page in 0..=(total / limit) {
                for (group, skip, most) in group_windows(page * limit, limit, in_name) {
                    let size = if group == Group::Name { in_name } else { others };
                    let base = if group == Group::Name { 0 } else { in_name };
                    seen.extend((skip..(skip + most).min(size)).map(|i| base + i));
                }
            }
            prop_assert_eq!(seen, (0..total).collect::<Vec<_>>());
        }
    }
}
