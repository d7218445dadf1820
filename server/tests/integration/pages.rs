//! Server-rendered pages: what a visitor (or a crawler) gets before any WASM runs.

use crate::support;

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
    assert!(html.contains("The page number must be a whole number"), "{html}");
    assert!(html.contains("data-testid=\"filters\""), "the form stays, to correct the search: {html}");
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

/// A file and a page served at once must not trade headers: a page's redirect (its
/// status, `Location` and policy) stays on the page, and a file never carries them.
/// leptos_axum's stock file handler served files inside a child of whatever reactive
/// owner the thread last ran, and took that render's headers for the file: the
/// redirect from `/account` to sign-in went out without its `Location`.
#[sqlx::test(migrations = false)]
async fn files_and_pages_served_together_keep_their_own_headers(pool: PgPool) {
    let site = std::env::temp_dir().join(format!("mandi-site-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    let script = "export const answer = 42;\n".repeat(64);
    std::fs::write(site.join("pkg/app.js"), &script).unwrap();
    let root = site.to_str().unwrap().to_string();
    let app = TestApp::spawn_with(pool, &[("LEPTOS_SITE_ROOT", &root)]).await;

    let pages = (0..8).map(|_| {
        let (client, url) = (app.client.clone(), app.url("/account"));
        tokio::spawn(async move {
            for _ in 0..60 {
                let response = client.get(&url).header("accept", "text/html").send().await.unwrap();
                let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_string());
                assert_eq!((response.status().as_u16(), location.as_deref()), (302, Some("/login?next=/account")));
            }
        })
    });
    let files = (0..8).map(|_| {
        let (client, url, script) = (app.client.clone(), app.url("/pkg/app.js"), script.clone());
        tokio::spawn(async move {
            for _ in 0..60 {
                let response = client.get(&url).header("accept", "text/html,*/*").send().await.unwrap();
                assert_eq!(response.status().as_u16(), 200);
                assert!(response.headers().get("location").is_none(), "a file carried a page's redirect");
                assert_eq!(response.text().await.unwrap(), script);
            }
        })
    });
    for task in pages.chain(files).collect::<Vec<_>>() {
        task.await.unwrap();
    }
    // A missing file is still the app's own 404 page.
    let (status, html) = app.get_html("/pkg/missing.js").await;
    assert_eq!(status, 404);
    assert!(html.contains("This page does not exist"));
    let _ = std::fs::remove_dir_all(site);
}

async fn batch_code_of(pool: &PgPool, product_slug: &str) -> String {
    sqlx::query_scalar(
        "SELECT b.code FROM products p
         JOIN product_variants v ON v.tenant_id = p.tenant_id AND v.product_id = p.id
         JOIN stock_items s ON s.tenant_id = v.tenant_id AND s.id = v.stock_item_id
         JOIN batches b ON b.tenant_id = s.tenant_id AND b.id = s.batch_id
         WHERE p.slug = $1 LIMIT 1",
    )
    .bind(product_slug)
    .fetch_one(&mut *support::operator(pool).await)
    .await
    .unwrap()
}

#[sqlx::test(migrations = false)]
async fn product_page_has_a_provenance_panel_and_trace_link(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let code = batch_code_of(&pool, "heirloom-tomatoes").await;
    let (status, html) = app.get_html("/products/heirloom-tomatoes").await;
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"provenance\""), "{html}");
    assert!(html.contains(">Provenance</h2>"));
    assert!(html.contains(&code), "lot code {code} shown");
    assert!(html.contains(&format!("href=\"/trace/{code}\"")), "trace link");
    for part in [
        "Harvested",
        "Certifications",
        "India Organic (NPOP)",
        "Lab results",
        "data-testid=\"lab-results\"",
        "Handling checkpoints",
        "Cold store",
        "°C",
        " IST",
    ] {
        assert!(html.contains(part), "provenance shows {part}");
    }
    assert!(html.contains("<th scope=\"col\""), "lab results are a real table");
    assert!(html.contains("Pass"));
    // Images keep their explicit size (no layout shift).
    assert!(html.contains("width=\"600\" height=\"600\""));
    assert!(html.contains("href=\"/farms/"));
}

#[sqlx::test(migrations = false)]
async fn trace_page_is_public_and_404s_clearly(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let code = batch_code_of(&pool, "darjeeling-first-flush").await;
    let (status, html) = app.get_html(&format!("/trace/{code}")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Batch trace"));
    assert!(html.contains(&code));
    assert!(html.contains("Darjeeling First Flush"));
    assert!(html.contains("href=\"/products/darjeeling-first-flush\""));
    for part in ["Certifications", "Lab results", "History (", "Harvested", "Valid ", "Verified: all"] {
        assert!(html.contains(part), "trace shows {part}");
    }
    assert!(!html.contains("data-testid=\"trace-link\""), "no link to itself");
    // A lowercase code from a hand-typed label works; unknown and malformed codes are 404s.
    let (status, _) = app.get_html(&format!("/trace/{}", code.to_lowercase())).await;
    assert_eq!(status, 200);
    for bad in ["/trace/GH-NOPE-999999", "/trace/x", "/trace/%27%3B--"] {
        let (status, html) = app.get_html(bad).await;
        assert_eq!(status, 404, "{bad}");
        assert!(html.contains("We could not find that batch"), "{bad}");
    }
    // Another tenant's lot has its own public page, linking to no store product.
    let dj: String = sqlx::query_scalar(
        "SELECT b.code FROM batches b JOIN tenants t ON t.id = b.tenant_id WHERE t.slug = 'darjberry' LIMIT 1",
    )
    .fetch_one(&mut *support::operator(&pool).await)
    .await
    .unwrap();
    let (status, html) = app.get_html(&format!("/trace/{dj}")).await;
    assert_eq!(status, 200);
    assert!(!html.contains("href=\"/products/"));
}

#[sqlx::test(migrations = false)]
async fn search_page_has_a_labelled_filter_form_that_keeps_the_query(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, html) = app
        .get_html("/search?q=tea&minPrice=100&maxPrice=2000&inStock=true&sort=price&certification=india-organic-npop")
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<form method=\"get\" action=\"/search\""));
    for (id, name) in [
        ("filter-q", "q"),
        ("filter-category", "category"),
        ("filter-farm", "farm"),
        ("filter-certification", "certification"),
        ("filter-min-price", "minPrice"),
        ("filter-max-price", "maxPrice"),
        ("filter-in-stock", "inStock"),
        ("filter-sort", "sort"),
    ] {
        assert!(html.contains(&format!("for=\"{id}\"")), "label for {id}");
        assert!(html.contains(&format!("id=\"{id}\"")), "control {id}");
        assert!(html.contains(&format!("name=\"{name}\"")), "{name} in the form");
    }
    assert!(html.contains("<legend") && html.contains("Price (₹)"));
    assert!(html.contains("focus-visible:outline"));
    // The form shows the current query back (and, autocomplete off, the browser does not
    // restore stale values over it on back/forward).
    assert!(html.contains("autocomplete=\"off\""));
    assert!(html.contains("value=\"100\"") && html.contains("value=\"2000\""));
    assert!(html.contains("value=\"price\" selected"), "sort option selected");
    assert!(html.contains("value=\"india-organic-npop\" selected"));
    assert!(html.contains("checked"));
    assert!(html.contains("Coonoor Spice Garden"), "farm options");
    // Category chips keep the other filters.
    assert!(html.contains("href=\"/search?q=tea&amp;category=tea&amp;certification=india-organic-npop&amp;minPrice=100&amp;maxPrice=2000&amp;inStock=true&amp;sort=price\""), "{html}");
    // Pagination keeps every filter.
    let (_, html) = app.get_html("/search?inStock=true&sort=-price").await;
    assert!(html.contains("href=\"/search?inStock=true&amp;sort=-price&amp;page=2\""), "{html}");
    // A bad filter value is explained with a 400.
    let (status, html) = app.get_html("/search?minPrice=500&maxPrice=100").await;
    assert_eq!(status, 400);
    assert!(html.contains("data-testid=\"filter-errors\""), "{html}");
    // The error sits beside its field, tied to it for screen readers, and the
    // shopper's values come back to be corrected.
    assert!(html.contains("<p id=\"filter-min-price-error\" data-field-error=\"minPrice\" class=\"mt-1 text-sm text-red-700\">must not be more than maxPrice</p>"), "{html}");
    assert!(html.contains("name=\"minPrice\" min=\"0\" step=\"0.01\" inputmode=\"decimal\" value=\"500\" aria-invalid=\"true\" aria-describedby=\"filter-min-price-error\""), "{html}");
    assert!(!html.contains("data-field-error=\"maxPrice\""), "only the wrong field is marked: {html}");
    for (query, field) in [
        ("minPrice=abc", "minPrice"),
        ("maxPrice=-5", "maxPrice"),
        ("sort=cheapest", "sort"),
        ("category=Not%20A%20Slug", "category"),
        ("inStock=perhaps", "inStock"),
    ] {
        let (status, html) = app.get_html(&format!("/search?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert!(html.contains(&format!("data-field-error=\"{field}\"")), "{query}: {html}");
    }
}

#[sqlx::test(migrations = false)]
async fn farm_storefronts(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, html) = app.get_html("/farms").await;
    assert_eq!(status, 200);
    assert!(html.contains("<title>Our farms · Mandi</title>"));
    assert!(html.matches("data-testid=\"farm-card\"").count() >= 12);
    assert!(html.contains("href=\"/farms/coonoor-spice-garden\""));
    assert!(!html.contains("Glenmora"), "another tenant's farm");
    let (status, html) = app.get_html("/farms/coonoor-spice-garden").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1") && html.contains("Coonoor Spice Garden"));
    assert!(html.contains("Certificates") && html.contains("India Organic (NPOP)"));
    assert!(html.contains("data-testid=\"product-card\""));
    let (status, html) = app.get_html("/farms/glenmora-tea-estate").await;
    assert_eq!(status, 404);
    assert!(html.contains("We could not find that farm"));
}

/// The nonce of a page's policy, and every nonce its scripts carry.
fn nonces(response_policy: &str, html: &str) -> (String, Vec<String>) {
    let start = response_policy.find("'nonce-").expect("policy has a nonce") + "'nonce-".len();
    let policy = response_policy[start..].split('\'').next().unwrap().to_owned();
    let scripts = html.split("nonce=\"").skip(1).map(|rest| rest.split('"').next().unwrap().to_owned()).collect();
    (policy, scripts)
}

#[sqlx::test(migrations = false)]
async fn listing_pages_are_kept_for_anonymous_visitors_with_a_fresh_nonce_each(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), &[("MANDI_CATALOG_LISTING_CACHE_MS", "1500")]).await;
    let fetch = async |path: &str, cookies: &str| {
        let response = app.get_html_with_cookies(path, cookies).await;
        let status = response.status().as_u16();
        let age = response.headers().get("age").map(|v| v.to_str().unwrap().to_owned());
        let policy = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
        let frame = response.headers().get("x-frame-options").map(|v| v.to_str().unwrap().to_owned());
        (status, age, policy, frame, response.text().await.unwrap())
    };

    let (status, age, policy, _, first) = fetch("/search?q=darjeeling", "").await;
    assert_eq!((status, age), (200, None), "the first visitor's page is rendered");
    let (status, age, second_policy, frame, second) = fetch("/search?q=darjeeling", "").await;
    assert_eq!((status, age.as_deref()), (200, Some("0")), "the next one is the kept page");
    assert_eq!(frame.as_deref(), Some("DENY"), "a kept page keeps the security headers");

    // Each answer has its own nonce, on every script and in its policy; nothing else differs.
    let (one, one_scripts) = nonces(&policy, &first);
    let (two, two_scripts) = nonces(&second_policy, &second);
    assert_ne!(one, two);
    assert!(!one_scripts.is_empty() && one_scripts.iter().all(|n| *n == one), "{one_scripts:?}");
    assert!(two_scripts.len() == one_scripts.len() && two_scripts.iter().all(|n| *n == two));
    assert_eq!(first.replace(&one, "N"), second.replace(&two, "N"));
    assert!(!second.contains(&one), "the first visitor's nonce is not handed to the second");

    // A change to the catalogue shows once the kept page has lapsed (a page still kept
    // is the one rendered before the change).
    let mut tx = support::operator(&pool).await;
    sqlx::query("UPDATE products SET name = 'Darjeeling Renamed Flush' WHERE name ILIKE 'darjeeling first flush%'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (_, age, _, _, page) = fetch("/search?q=darjeeling", "").await;
    assert!(age.is_none() || !page.contains("Darjeeling Renamed Flush"), "a kept page changed");
    support::wait_for("the renamed product on the listing", std::time::Duration::from_secs(10), async || {
        fetch("/search?q=darjeeling", "").await.4.contains("Darjeeling Renamed Flush")
    })
    .await;

    // A query is its own page; a signed-in visitor neither gets nor leaves a kept page.
    let (status, age, _, _, other) = fetch("/search?q=nilgiri", "").await;
    assert!(status == 200 && age.is_none() && other.contains("“nilgiri”"));
    let token = support::access_token(&app, "customer@greenharvest.demo").await;
    let (_, age, _, _, mine) = fetch("/search?q=darjeeling", &format!("mandi_session={token}")).await;
    assert!(age.is_none() && mine.contains("data-testid=\"account-link\""), "{mine}");
    let (_, age, _, _, home) = fetch("/", &format!("mandi_session={token}")).await;
    assert!(age.is_none() && home.contains("data-testid=\"account-link\""));
    let (_, age, _, _, home) = fetch("/", "").await;
    assert!(age.is_none() && home.contains("data-testid=\"sign-in-link\""), "the signed-in home page was not kept");

    // Refused filters (400) and pages outside the listings are rendered every time.
    for path in ["/search?page=banana", "/search?page=banana", "/farms", "/farms"] {
        let (_, age, _, _, _) = fetch(path, "").await;
        assert!(age.is_none(), "{path} was served from memory");
    }
}
