//! Transactions scoped for row-level security (see the RLS migration): every query on
//! tenant-owned tables runs in one of these, or sees no rows at all.

use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

/// A transaction that sees and writes only `tenant`'s rows.
pub async fn tenant_tx(pool: &PgPool, tenant: Uuid) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('mandi.tenant_id', $1, true)").bind(tenant.to_string()).execute(&mut *tx).await?;
    Ok(tx)
}

/// A transaction that spans tenants, for work about a person rather than one tenant
/// (sign-in, sessions, the demo loader, maintenance). Say why at each use.
pub async fn cross_tenant_tx(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('mandi.cross_tenant', 'on', true)").execute(&mut *tx).await?;
    Ok(tx)
}

/// A transaction for an owner's own pages: `tenant`'s rows, narrowed further by the
/// ownership policies to the agreements, payouts and farms of `owner`.
pub async fn owner_tx(pool: &PgPool, tenant: Uuid, owner: Uuid) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = tenant_tx(pool, tenant).await?;
    sqlx::query("SELECT set_config('mandi.owner_id', $1, true)").bind(owner.to_string()).execute(&mut *tx).await?;
    Ok(tx)
}
