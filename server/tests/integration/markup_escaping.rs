//! Text from the address bar or typed in by an admin is shown as text, never as markup:
//! every page that takes a parameter gets hostile values in each of them and must echo
//! them only escaped (in `<title>`, in `<meta>`, in attributes and in the body).

use crate::support;

use app::components::search_href::encode_component;
use sqlx::PgPool;
use support::{TestApp, access_token, operator};

/// Each closes what it lands in (a title, an attribute, a script) and opens an element.
const HOSTILE: &[&str] =
    &["</title><img src=x onerror=alert(1)>", "\"><img src=x onerror=alert(2)>", "</script><script>alert(3)</script>"];

/// The page carries none of the hostile elements, and still one title only.
fn assert_inert(what: &str, html: &str) {
    for element in ["<img src=x", "<script>alert"] {
        assert!(!html.contains(element), "{what}: {element} was injected: …{}…", around(html, element));
    }
    assert_eq!(
        html.matches("</title>").count(),
        1,
        "{what}: the title was closed early: …{}…",
        around(html, "<title>")
    );
}

/// The part of a page around `needle`, for a failure message.
fn around<'a>(html: &'a str, needle: &str) -> &'a str {
    let Some(at) = html.find(needle) else { return html };
    let start = html.floor_char_boundary(at.saturating_sub(300));
    let end = html.ceil_char_boundary((at + 300).min(html.len()));
    &html[start..end]
}

async fn page(app: &TestApp, path: &str, cookies: &str) -> (u16, String) {
    let response = app.get_html_with_cookies(path, cookies).await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[sqlx::test(migrations = false)]
async fn search_query_in_title_is_escaped(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let q = "</title><img src=x onerror=alert(1)>";
    let (status, html) = page(&app, &format!("/search?q={}", encode_component(q)), "").await;
    assert_eq!(status, 200);
    assert_inert("search", &html);
    assert!(
        html.contains("<title>Results for “&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt;” · Mandi</title>"),
        "the query is in the title, as text:\n{html}"
    );
    assert!(html.contains("&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt;”</h1>"), "and in the heading");

    // Kept pages (the listing cache) are the same rendering, served again.
    let app_cached = TestApp::spawn_with(app.pool.clone(), &[("MANDI_CATALOG_LISTING_CACHE_MS", "60000")]).await;
    for _ in 0..2 {
        let (_, html) = page(&app_cached, &format!("/search?q={}", encode_component(q)), "").await;
        assert_inert("search, kept", &html);
    }
}

#[sqlx::test(migrations = false)]
async fn query_parameters_are_escaped_on_every_page(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let store_admin = format!("mandi_session={}", access_token(&app, "admin@greenharvest.demo").await);
    let customer = format!("mandi_session={}", access_token(&app, "customer@greenharvest.demo").await);
    let market_admin = format!("mandi_session={}", access_token(&app, "admin@malar.demo").await);
    let nil = uuid::Uuid::nil();
    // (path with `{h}` for the hostile value, who asks, whether the page shows the value)
    let pages: &[(&str, &str, bool)] = &[
        ("/search?q={h}", "", true),
        ("/search?q=tea&category={h}&farm={h}&certification={h}&sort={h}", "", false),
        ("/search?q={h}&minPrice={h}&maxPrice={h}&inStock={h}&page={h}", "", true),
        ("/?q={h}", "", true),
        ("/farms?q={h}", "", true),
        ("/login?next={h}", "", false),
        ("/signup?next={h}", "", false),
        ("/dev/outbox?to={h}", "", false),
        ("/trace/{h}", "", false),
        ("/products/{h}", "", false),
        ("/farms/{h}", "", false),
        ("/ledger/slip/{h}", "", false),
        ("/orders/{h}", &customer, false),
        ("/cart?q={h}", &customer, true),
        ("/admin/users?q={h}", &store_admin, true),
        ("/admin/users?q={h}&page={h}", &store_admin, true),
        ("/admin/audit?action={h}&actor={h}", &store_admin, true),
        ("/admin/audit?action={h}&actor={h}&from={h}&to={h}&cursor={h}", &store_admin, true),
        ("/ledger/rates?date={h}", &market_admin, false),
        ("/ledger/reports/day-book?date={h}", &market_admin, false),
        ("/ledger/reports/statement?farmer={h}&from={h}&to={h}", &market_admin, false),
        ("/ledger/reports/flowers?from={h}&to={h}", &market_admin, false),
        ("/ledger/settlements/{h}", &market_admin, false),
        ("/ledger/settlements/{nil}/print?format={h}", &market_admin, false),
        ("/ledger/admin/growers?q={h}", &market_admin, true),
        ("/ledger/admin/growers?q={h}&edit={h}", &market_admin, true),
        ("/ledger/admin/flowers?edit={h}", &market_admin, false),
        ("/ledger/admin/slots?edit={h}", &market_admin, false),
    ];
    for (pattern, cookies, echoes) in pages {
        for hostile in HOSTILE {
            let path = pattern.replace("{h}", &encode_component(hostile)).replace("{nil}", &nil.to_string());
            let (status, html) = page(&app, &path, cookies).await;
            assert!(status < 500, "{path}: {status}\n{html}");
            assert_inert(&path, &html);
            if *echoes {
                let escaped = hostile.replace('<', "&lt;").replace('>', "&gt;");
                let escaped_attr = escaped.replace('"', "&quot;");
                assert!(
                    html.contains(&escaped) || html.contains(&escaped_attr),
                    "{path}: the value is shown, escaped: …{}…",
                    around(&html, "<main")
                );
            }
        }
    }
}

#[sqlx::test(migrations = false)]
async fn chart_labels_are_escaped_on_the_report_page(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = format!("mandi_session={}", access_token(&app, "staff@malar.demo").await);
    let mut tx = operator(&pool).await;
    let renamed = sqlx::query(
        "UPDATE ledger_flower_types f SET name_en = '<b>&' FROM tenants t
         WHERE t.id = f.tenant_id AND t.slug = 'malar' AND f.id = (
           SELECT e.flower_type_id FROM ledger_entries e WHERE e.tenant_id = t.id AND e.status = 'recorded' LIMIT 1)",
    )
    .execute(&mut *tx)
    .await
    .unwrap()
    .rows_affected();
    tx.commit().await.unwrap();
    assert_eq!(renamed, 1, "a flower with entries is renamed");
    let day = server::demo::market::demo_day(chrono::Utc::now()).to_string();
    let (status, html) = page(&app, &format!("/ledger/reports/flowers?from={day}&to={day}&lang=en"), &staff).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"data-testid="flower-chart""#) && html.contains("<svg"), "the chart is drawn");
    assert!(html.contains("&lt;b&gt;&amp;"), "the name is shown as text:\n{html}");
    assert!(!html.contains("<b>&"), "and never as markup:\n{html}");
}
