//! A catalogue import of 100,000 rows (a Shopify-shaped export: 50,000 products of two
//! packs each, with HTML bodies, from the store's farms), sent over HTTP by tus in 4 MB
//! chunks, checked in a dry run, then committed, all as a staff member's screen does it.
//! Target: the whole import under 60 s.
//!
//! Run by `bench/run catalog`; plain timing, no harness.

use std::time::{Duration, Instant};

mod support;
use support::{app_config, scratch_database, token};

const PRODUCTS: usize = 50_000;
const PACKS: usize = 2;

fn csv(farms: &[String]) -> Vec<u8> {
    let mut out = String::from(
        "Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,Variant SKU,Variant Grams,Variant Inventory Qty,Variant Price,Variant Compare At Price,Image Src,Status\n",
    );
    for p in 0..PRODUCTS {
        for v in 0..PACKS {
            let grams = 250 * (v + 1);
            let (title, body, vendor, kind) = if v == 0 {
                (
                    format!("Bench pickle {p}"),
                    format!("\"<p>Small batch <b>{p}</b>, sun dried, hand packed.</p><p>Keeps, sealed, a year.</p>\""),
                    format!("\"{}\"", farms[p % farms.len()]),
                    format!("Bench shelf {}", p % 20),
                )
            } else {
                Default::default()
            };
            out.push_str(&format!(
                "bench-{p},{title},{body},{vendor},{kind},,TRUE,Size,{grams} g,BENCH-{p}-{v},{grams},{},{}.00,,,{}\n",
                (p + v) % 40,
                60 + (p % 90) * (v + 1),
                if v == 0 { "active" } else { "" },
            ));
        }
    }
    out.into_bytes()
}

async fn wait_for(client: &reqwest::Client, url: &str, staff: &str, states: &[&str]) -> serde_json::Value {
    loop {
        let r: serde_json::Value = client.get(url).bearer_auth(staff).send().await.unwrap().json().await.unwrap();
        let status = r["data"]["status"].as_str().unwrap_or_default().to_string();
        if states.contains(&status.as_str()) {
            return r["data"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (pool, url) = scratch_database("mandi_bench_catalog").await;
        let config = app_config(&url, "catalog", &[("MANDI_WEATHER_PROVIDER", "off")]);
        let app = server::startup::Application::with_pool(config, pool.clone()).await.expect("app starts");
        let base = format!("http://{}", app.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::new();
        let staff = token(&client, &base, "staff@greenharvest.demo").await;
        let farms: Vec<String> = {
            let mut tx = app::db::cross_tenant_tx(&pool).await.unwrap();
            let names = sqlx::query_scalar(
                "SELECT f.name FROM farms f JOIN tenants t ON t.id = f.tenant_id WHERE t.slug = 'greenharvest' ORDER BY f.name",
            )
            .fetch_all(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
            names
        };
        let file = csv(&farms);
        println!("the file: {} rows, {:.1} MB, {} products of {PACKS} packs", PRODUCTS * PACKS, file.len() as f64 / 1e6, PRODUCTS);

        use base64::Engine;
        let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
        let id = uuid::Uuid::now_v7();
        let started = Instant::now();
        let created = client
            .post(format!("{base}/api/v1/uploads"))
            .bearer_auth(&staff)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", file.len().to_string())
            .header(
                "Upload-Metadata",
                format!("id {},purpose {},filename {}", b64(id.to_string()), b64("catalog_import".into()), b64("bench.csv".into())),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
        let location = created.headers()["location"].to_str().unwrap().to_string();
        let mut offset = 0;
        for chunk in file.chunks(4 * 1024 * 1024) {
            let r = client
                .patch(format!("{base}{location}"))
                .bearer_auth(&staff)
                .header("Tus-Resumable", "1.0.0")
                .header("Upload-Offset", offset.to_string())
                .header("Content-Type", "application/offset+octet-stream")
                .body(chunk.to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
            offset += chunk.len();
        }
        let uploaded = started.elapsed();
        let status_url = format!("{base}/api/v1/catalog/imports/{id}");
        let checked = wait_for(&client, &status_url, &staff, &["checked", "invalid"]).await;
        assert_eq!(checked["status"], "checked", "{checked}");
        let dry_run = started.elapsed() - uploaded;
        let commit_started = Instant::now();
        let r = client.post(format!("{status_url}/commit")).bearer_auth(&staff).send().await.unwrap();
        assert_eq!(r.status(), 202);
        let done = wait_for(&client, &status_url, &staff, &["imported", "failed", "invalid"]).await;
        assert_eq!(done["status"], "imported", "{done}");
        let commit = commit_started.elapsed();
        let total = started.elapsed();
        let (products, packs): (i64, i64) = {
            let mut tx = app::db::cross_tenant_tx(&pool).await.unwrap();
            let row = sqlx::query_as(
                "SELECT (SELECT count(*) FROM products WHERE slug LIKE 'bench-%'),
                        (SELECT count(*) FROM product_variants WHERE sku LIKE 'BENCH-%')",
            )
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
            row
        };
        assert_eq!((products, packs), ((PRODUCTS) as i64, (PRODUCTS * PACKS) as i64));
        println!(
            "100,000-row import: {:.1} s in all (target < 60 s): upload {:.1} s, dry run {:.1} s, commit {:.1} s; {products} products and {packs} packs written",
            total.as_secs_f64(),
            uploaded.as_secs_f64(),
            dry_run.as_secs_f64(),
            commit.as_secs_f64()
        );
        let _ = stop.send(());
        let _ = serving.await;
    });
}
