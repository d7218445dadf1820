//! What the benches share.

use sqlx::PgPool;

/// A fresh, migrated database `name` next to `DATABASE_URL`, and its URL.
pub async fn scratch_database(name: &str) -> (PgPool, String) {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL (bench/run sets it)");
    let admin = PgPool::connect(&url).await.expect("database");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.unwrap();
    let (server_part, query) = url.split_once('?').map_or((url.as_str(), ""), |(a, b)| (a, b));
    let query = if query.is_empty() { String::new() } else { format!("?{query}") };
    let url = format!("{}/{name}{query}", server_part.rsplit_once('/').unwrap().0);
    let pool = server::db::connect(&url, 40).await.unwrap();
    server::db::migrate(&pool).await.unwrap();
    (pool, url)
}

/// The app's configuration for a bench on `url`: the test environment with the demo
/// world, rate limits lifted, and `extra` settings on top (`MANDI_…` names).
#[allow(dead_code)] // each bench uses the parts it needs
pub fn app_config(url: &str, name: &str, extra: &[(&str, &str)]) -> app::config::Config {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let text = std::fs::read_to_string(format!("{root}/Leptos.toml")).expect("Leptos.toml");
    let mut leptos = leptos::config::get_config_from_str(&text).expect("leptos section");
    leptos.site_addr = "127.0.0.1:0".parse().unwrap();
    let data_dir = std::env::temp_dir().join(format!("mandi-bench-{name}"));
    let mut env: std::collections::BTreeMap<String, String> = [
        ("DATABASE_URL", url.to_string()),
        ("MANDI_ENV", "test".into()),
        ("MANDI_DEMO_AUTOLOAD", "true".into()),
        ("MANDI_DATA_DIR", data_dir.display().to_string()),
        ("MANDI_DB_MAX_CONNECTIONS", "20".into()),
        ("MANDI_RATE_LIMIT_USER_PER_MINUTE", "100000000".into()),
        ("MANDI_LOG_FORMAT", "json".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    app::config::Config::from_parts(&text, "Leptos.toml", leptos, &move |k| env.get(k).cloned()).expect("config")
}

/// Signs a demo person in; their access token.
#[allow(dead_code)]
pub async fn token(client: &reqwest::Client, base: &str, email: &str) -> String {
    let r: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": email, "password": "mandi-demo" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["data"]["accessToken"].as_str().unwrap().to_string()
}

/// What a page answered under load: every success's latency (sorted) and the failures.
#[allow(dead_code)]
pub struct Load {
    pub latencies: Vec<std::time::Duration>,
    pub failures: u32,
    pub seconds: u64,
}

#[allow(dead_code)]
impl Load {
    pub fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.seconds as f64
    }

    /// The `p` quantile in milliseconds.
    pub fn ms(&self, p: f64) -> f64 {
        let i = ((self.latencies.len() as f64 * p) as usize).min(self.latencies.len().saturating_sub(1));
        self.latencies.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    }
}

/// `GET url` (brotli accepted, `cookie` sent when given) from 64 connections at once
/// for `seconds`, each asking again as soon as it has the whole answer.
#[allow(dead_code)]
pub async fn load(client: &reqwest::Client, url: &str, cookie: Option<&str>, seconds: u64) -> Load {
    let (url, cookie) = (url.to_string(), cookie.map(str::to_string));
    load_with(client, seconds, move |client| {
        let request = client.get(&url).header("accept-encoding", "br");
        match &cookie {
            Some(c) => request.header("cookie", c),
            None => request,
        }
    })
    .await
}

/// The request `make` builds, from 64 connections at once for `seconds`, each asking
/// again as soon as it has the whole answer.
#[allow(dead_code)]
pub async fn load_with(
    client: &reqwest::Client,
    seconds: u64,
    make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder + Clone + Send + 'static,
) -> Load {
    use std::time::{Duration, Instant};
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (client, make) = (client.clone(), make.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failures = 0u32;
                while Instant::now() < deadline {
                    let started = Instant::now();
                    match make(&client).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            latencies.push(started.elapsed());
                        }
                        _ => failures += 1,
                    }
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut out = Load { latencies: Vec::new(), failures: 0, seconds };
    for t in tasks {
        let (l, f) = t.await.unwrap();
        out.latencies.extend(l);
        out.failures += f;
    }
    out.latencies.sort();
    out
}

/// The `p` quantile of sorted milliseconds.
#[allow(dead_code)]
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}
