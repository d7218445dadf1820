//! Connection pool and migrations.

pub mod functions;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};
use std::str::FromStr;
use std::time::Duration;

/// The migrations of `migrations/`, embedded in the binary at compile time.
/// Only the top-level files are migrations: sqlx skips the `functions/` folder.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Brings the database up to this binary: the migrations, then the functions of
/// `migrations/functions/` ([`functions`]). Both under one lock, so a server starting
/// alongside another applies its functions after the other's migrations, never between.
pub async fn migrate(pool: &PgPool) -> Result<(), MigrateError> {
    // A connection of its own, closed at the end, even on an error (dropped): a
    // session-level lock must not go back to the pool still held.
    let mut conn = pool.acquire().await?.detach();
    sqlx::query("SELECT pg_advisory_lock($1)").bind(functions::LOCK_KEY).execute(&mut conn).await?;
    MIGRATOR.run(&mut conn).await?;
    functions::apply(&mut conn).await?;
    // Readings are partitioned by month: the months ahead exist before a reading needs
    // them, even after a long stop (the daily job keeps them ahead while running).
    sqlx::query("SELECT ensure_reading_partitions($1)")
        .bind(crate::jobs::field_jobs::PARTITION_MONTHS_AHEAD)
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

pub async fn connect(database_url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(database_url)?
        .application_name("mandi")
        // Every query here is short. Compiling one (10–30 ms) only pays off for long
        // analytic scans, and a row count guessed high made it happen on page reads
        // that then ran in under a millisecond.
        .options([("jit", "off")])
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        // No ping before handing out a connection: it costs a round trip on every
        // request and every job. A connection a database restart broke fails its next
        // query once and is discarded; jobs retry, and requests are retried by clients.
        .test_before_acquire(false)
        .connect_with(options)
        .await
}

/// True when every migration this binary knows has been applied successfully.
pub async fn migrations_applied(pool: &PgPool) -> Result<bool, sqlx::Error> {
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(pool)
        .await?;
    Ok(MIGRATOR.iter().filter(|m| m.migration_type.is_up_migration()).all(|m| applied.contains(&m.version)))
}
