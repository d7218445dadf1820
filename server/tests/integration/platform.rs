//! Health, readiness, metrics, request ids, headers, compression and limits.

use crate::support;

use sqlx::PgPool;
use support::TestApp;

#[sqlx::test(migrations = false)]
async fn health_and_readiness(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (status, body) = app.get_json("/healthz").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["migrations"], "ok");

    // A migration recorded as failed makes the app not ready.
    sqlx::query("UPDATE _sqlx_migrations SET success = false").execute(&pool).await.unwrap();
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 503);
    assert_eq!(body["checks"]["migrations"], "pending");
    sqlx::query("UPDATE _sqlx_migrations SET success = true").execute(&pool).await.unwrap();

    // The database going away makes it not ready, and liveness stays up.
    app.app_pool.close().await;
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"]["database"], "unreachable");
    assert_eq!(app.get_json("/healthz").await.0, 200);
}

#[sqlx::test(migrations = false)]
async fn request_ids_are_echoed_or_generated(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app
        .client
        .get(app.url("/api/v1/products?limit=1"))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-abc-123");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["meta"]["requestId"], "trace-abc-123");

    // Missing or unsafe ids are replaced by a fresh UUID, the same in header and body.
    for incoming in [None, Some("bad id with spaces"), Some(&*"x".repeat(200))] {
        let mut request = app.client.get(app.url("/api/v1/products/nope"));
        if let Some(id) = incoming {
            request = request.header("x-request-id", id);
        }
        let response = request.send().await.unwrap();
        let header = response.headers()["x-request-id"].to_str().unwrap().to_string();
        assert!(uuid::Uuid::parse_str(&header).is_ok(), "{header}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["meta"]["requestId"], header.as_str());
    }
    // Pages carry one too.
    assert!(app.get("/").await.headers().contains_key("x-request-id"));
}

#[sqlx::test(migrations = false)]
async fn metrics_count_requests_per_route(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for _ in 0..3 {
        app.get("/api/v1/products?limit=1").await;
    }
    app.get("/products/ooty-carrots").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    let counter = text
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total")
                && l.contains("route=\"/api/v1/products\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no counter for the products route:\n{text}"));
    let count: f64 = counter.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 3.0, "{counter}");
    assert!(
        text.contains("http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/products\",le=\"0.005\"}"),
        "{text}"
    );
    // Page routes are labelled by their pattern, never the raw path.
    assert!(text.contains("route=\"/products/{slug}\""), "{text}");
    assert!(!text.contains("ooty-carrots"));
}

#[sqlx::test(migrations = false)]
async fn security_headers_on_pages_and_api(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let page = app.get("/").await;
    let h = page.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert_eq!(h["x-frame-options"], "DENY");
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("'wasm-unsafe-eval'") && csp.contains("'nonce-"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    // The nonce in the header is the one on the page's inline scripts.
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_string();
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "hydration script lacks the nonce");
    // Every response gets a fresh nonce.
    let again = app.get("/").await.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert_ne!(again, csp);

    let api = app.get("/api/v1/products").await;
    assert_eq!(api.headers()["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
}

#[sqlx::test(migrations = false)]
async fn responses_are_compressed_when_asked(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for encoding in ["br", "gzip"] {
        let response = app
            .client
            .get(app.url("/api/v1/products?limit=50"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-encoding"], encoding);
        let response = app.client.get(app.url("/")).header("accept-encoding", encoding).send().await.unwrap();
        assert_eq!(response.headers()["content-encoding"], encoding);
    }
    let plain = app.client.get(app.url("/api/v1/products?limit=50")).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.unwrap();

    // Brotli is ours (a page-sized window): it must decode to the same document, say
    // that it varies, and give way to a client that rates gzip higher.
    let br = app
        .client
        .get(app.url("/api/v1/products?limit=50"))
        .header("accept-encoding", "gzip, deflate, br, zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
    assert!(br.headers().get_all("vary").iter().any(|v| v.to_str().unwrap().contains("accept-encoding")));
    assert!(
        br.headers()
            .get("content-length")
            .is_none_or(|len| len.to_str().unwrap().parse::<usize>().unwrap() < plain.len())
    );
    let compressed = br.bytes().await.unwrap();
    assert!(compressed.len() < plain.len() / 3, "{} of {} bytes", compressed.len(), plain.len());
    let mut decoded = Vec::new();
    let mut chunks =
        tokio_util::io::ReaderStream::new(async_compression::tokio::bufread::BrotliDecoder::new(&compressed[..]));
    while let Some(chunk) = futures::StreamExt::next(&mut chunks).await {
        decoded.extend_from_slice(&chunk.unwrap());
    }
    let (decoded, plain): (serde_json::Value, serde_json::Value) =
        (serde_json::from_slice(&decoded).unwrap(), serde_json::from_slice(&plain).unwrap());
    assert_eq!(decoded["data"], plain["data"]);
    let gzip_first =
        app.client.get(app.url("/")).header("accept-encoding", "gzip;q=1.0, br;q=0.4").send().await.unwrap();
    assert_eq!(gzip_first.headers()["content-encoding"], "gzip");
}

#[sqlx::test(migrations = false)]
async fn oversized_bodies_get_413_in_the_envelope(pool: PgPool) {
    let app = TestApp::spawn_with(pool, &[("MANDI_BODY_LIMIT_BYTES", "1024")]).await;
    let response = app.client.post(app.url("/api/v1/products")).body(vec![b'x'; 4096]).send().await.unwrap();
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    assert!(body["meta"]["requestId"].is_string());
    // Server functions are behind the same limit.
    let response = app.client.post(app.url("/_fn/store/search")).body(vec![b'x'; 4096]).send().await.unwrap();
    assert_eq!(response.status(), 413);
}

#[sqlx::test(migrations = false)]
async fn unknown_api_routes_and_methods_answer_in_the_envelope(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, body) = app.get_json("/api/v1/nothing-here").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    let response = app.client.delete(app.url("/api/v1/products")).send().await.unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "VALIDATION_FAILED");
    assert!(body["error"]["fields"]["method"].is_string());
}

#[sqlx::test(migrations = false)]
async fn manifest_makes_the_app_installable(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.get("/manifest.webmanifest").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/manifest+json");
    let m: serde_json::Value = response.json().await.unwrap();
    assert_eq!(m["display"], "standalone");
    assert_eq!(m["start_url"], "/?source=pwa");
    assert!(m["theme_color"].as_str().unwrap().starts_with('#'));
    let sizes: Vec<&str> = m["icons"].as_array().unwrap().iter().map(|i| i["sizes"].as_str().unwrap()).collect();
    assert!(sizes.contains(&"192x192") && sizes.contains(&"512x512"));
    for icon in m["icons"].as_array().unwrap() {
        let path = icon["src"].as_str().unwrap();
        let file =
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../public")).join(path.trim_start_matches('/'));
        assert!(file.is_file(), "icon {path} missing from public/");
    }
}
