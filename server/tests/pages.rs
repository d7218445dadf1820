//! Server-rendered pages: what a visitor (or a crawler) gets before any WASM runs.

mod support;

use sqlx::PgPool;
use support::TestApp;

#[sqlx::test(migrations = false)]
async fn home_lists_real_products_and_categories(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("<title>Mandi · Farm-fresh produce with its story</title>"), "{html}");
    let first: String = sqlx::query_scalar(
        "SELECT p.name FROM products p JOIN tenants t ON t.id = p.tenant_id WHERE t.slug = 'greenharvest' ORDER BY p.name, p.id LIMIT 1",
    )
    .fetch_one(&mut *support::operator(&pool).await)
    .await
    .unwrap();
    assert!(html.contains(&first.replace('&', "&amp;")), "home lacks {first}");
    assert_eq!(html.matches("data-testid=\"product-card\"").count(), 12);
    assert!(html.contains("href=\"/search?category=spices\""));
    assert!(html.contains("See all 60 products"));
    assert!(html.contains("/pkg/mandi.css"));
    assert!(html.contains("rel=\"manifest\""));
}

#[sqlx::test(migrations = false)]
async fn search_page_keeps_the_query_in_links(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, html) = app.get_html("/search?q=darjeeling").await;
    assert_eq!(status, 200);
    assert!(html.contains("Results for “darjeeling”"));
    assert!(html.contains("Darjeeling First Flush"));
    assert!(html.contains("href=\"/search?q=darjeeling&amp;category=tea\""), "category links keep q");
    let (_, html) = app.get_html("/search?q=zzzzqqq").await;
    assert!(html.contains("No products found"));
    let (_, html) = app.get_html("/search?page=2").await;
    assert!(html.contains("Page 2 of 3"), "{html}");
    assert!(html.contains("rel=\"prev\"") && html.contains("rel=\"next\""));
    // Bad input is explained, with the right status, not a crash.
    let (status, html) = app.get_html("/search?page=banana").await;
    assert_eq!(status, 400);
    assert!(html.contains("page must be a whole number"), "{html}");
}

#[sqlx::test(migrations = false)]
async fn product_page_shows_variants_price_and_stock(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, html) = app.get_html("/products/darjeeling-first-flush").await;
    assert_eq!(status, 200);
    assert!(html.contains("<title>Darjeeling First Flush · Mandi</title>"));
    assert!(html.contains("data-testid=\"variant-picker\""));
    assert!(html.contains("<leptos-island"), "the picker is an island");
    assert!(html.contains("₹"));
    assert!(html.contains("About the farm"));
}

#[sqlx::test(migrations = false)]
async fn unknown_pages_and_products_are_404(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, html) = app.get_html("/products/no-such-thing").await;
    assert_eq!(status, 404);
    assert!(html.contains("We could not find that product"));
    let (status, html) = app.get_html("/definitely/not/here").await;
    assert_eq!(status, 404);
    assert!(html.contains("This page does not exist"));
    assert!(html.contains("Back to the shop"));
}
