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
