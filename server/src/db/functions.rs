//! The PL/pgSQL functions of `migrations/functions/`, one file each, applied after the
//! migrations on every start.
//!
//! A migration that changed a function had to restate it whole, so its current text
//! was in whichever migration came last, and a change read as a new copy rather than
//! as a diff. Applied migrations cannot be edited (sqlx records their checksums), so
//! the migrations keep the versions they created and these files replace them.

use sqlx::{Connection, PgConnection};

/// The advisory lock under which functions are applied (and, at start-up, migrations
/// too): two servers starting at once would otherwise replace the same function
/// together, and PostgreSQL fails one of them ("tuple concurrently updated"). Next to
/// 7305001, live-event numbering's key, so the project's keys are found together.
pub const LOCK_KEY: i64 = 7_305_002;

/// Every file of `migrations/functions/` (a test checks none is missing), by the name
/// of the function it defines, in the order they are applied. PL/pgSQL bodies are
/// checked only when they first run, so a function may come before one it calls; a
/// `LANGUAGE sql` body is checked when it is created, so it must come after.
pub static FUNCTIONS: &[(&str, &str)] = &[
    ("reserve_stock", include_str!("../../../migrations/functions/reserve_stock.sql")),
    ("checkout_cart", include_str!("../../../migrations/functions/checkout_cart.sql")),
    ("place_order", include_str!("../../../migrations/functions/place_order.sql")),
    ("number_live_events", include_str!("../../../migrations/functions/number_live_events.sql")),
    ("ensure_reading_partitions", include_str!("../../../migrations/functions/ensure_reading_partitions.sql")),
];

/// Creates or replaces every function of [`FUNCTIONS`], all or none: they call each
/// other (`place_order` calls `reserve_stock`), so a half-applied set could pair a new
/// caller with an old callee. Replacing a function with the same text is harmless.
pub async fn apply(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    let mut tx = conn.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(LOCK_KEY).execute(&mut *tx).await?;
    for (_, sql) in FUNCTIONS {
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
    }
    tx.commit().await
}
