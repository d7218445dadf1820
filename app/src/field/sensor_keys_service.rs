//! Keys a farm's sensors send readings with. A key is `msk_<id>_<secret>`: the id finds
//! it, the secret proves it (only the secret's SHA-256 is stored, compared in constant
//! time), and it is good for exactly one thing, its farm's readings, until revoked.

use super::model::{NewSensorKey, SensorKeyView};
use crate::account::tokens::Claims;
use crate::admin::service::tenant_id;
use crate::audit::{self, Entry};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use subtle::ConstantTimeEq;
use uuid::Uuid;

pub const PREFIX: &str = "msk_";

/// A verified sensor key: the farm whose readings it may record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensorKey {
    pub id: Uuid,
    pub tenant: Uuid,
    pub farm: Uuid,
}

fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Splits `msk_<32 hex id>_<secret>`; anything else is not a sensor key.
fn parse(key: &str) -> Option<(Uuid, &str)> {
    let rest = key.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    if id.len() != 32 || secret.len() < 32 {
        return None;
    }
    Some((Uuid::parse_str(id).ok()?, secret))
}

/// The key's farm, if the key is one we issued and it is not revoked.
pub async fn verify(pool: &PgPool, key: &str) -> Result<Option<SensorKey>, AppError> {
    let Some((id, secret)) = parse(key) else { return Ok(None) };
    // A sensor belongs to no tenant until its key says which: looked up across tenants.
    let mut tx = crate::db::cross_tenant_tx(pool).await?;
    let row: Option<(Uuid, Uuid, String)> = sqlx::query_as(
        "UPDATE sensor_keys SET last_used_at = now()
         WHERE id = $1 AND revoked_at IS NULL
         RETURNING tenant_id, farm_id, secret_sha256",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((tenant, farm, stored)) = row else { return Ok(None) };
    if !bool::from(digest(secret).as_bytes().ct_eq(stored.as_bytes())) {
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(SensorKey { id, tenant, farm }))
}

type Row = (Uuid, Uuid, String, DateTime<Utc>, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

fn view((id, farm_id, name, created_at, last_used_at, revoked_at): Row) -> SensorKeyView {
    SensorKeyView { id, farm_id, name, created_at, last_used_at, revoked_at, key: None }
}

async fn farm_in(conn: &mut sqlx::PgConnection, farm: &str) -> Result<Uuid, AppError> {
    super::tasks_service::farm_id(conn, farm).await.map_err(|e| match e {
        AppError::Validation { .. } => AppError::not_found("Farm"),
        e => e,
    })
}

/// A new key for the farm; the answer holds the key, which is never shown again.
pub async fn create(
    pool: &PgPool,
    claims: &Claims,
    farm: &str,
    req: &NewSensorKey,
    ip: Option<&str>,
) -> Result<SensorKeyView, AppError> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AppError::validation("name", "must be 1 to 80 characters"));
    }
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let farm = farm_in(&mut tx, farm).await?;
    let id = Uuid::new_v4();
    // 244 random bits from the system's generator (two v4 UUIDs).
    let secret = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let row: Row = sqlx::query_as(
        "INSERT INTO sensor_keys (tenant_id, id, farm_id, name, secret_sha256, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, farm_id, name, created_at, last_used_at, revoked_at",
    )
    .bind(tenant)
    .bind(id)
    .bind(farm)
    .bind(name)
    .bind(digest(&secret))
    .bind(claims.sub)
    .fetch_one(&mut *tx)
    .await?;
    let mut shown = view(row);
    audit::record(
        &mut *tx,
        Entry {
            after: Some(json!({ "farmId": farm, "name": name })),
            ..Entry::event(Some(tenant), Some(claims.sub), "sensor_key.create", format!("sensor_key:{id}"), ip)
        },
    )
    .await?;
    tx.commit().await?;
    shown.key = Some(format!("{PREFIX}{}_{secret}", id.simple()));
    Ok(shown)
}

pub async fn list(pool: &PgPool, claims: &Claims, farm: &str) -> Result<Vec<SensorKeyView>, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let farm = farm_in(&mut tx, farm).await?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, farm_id, name, created_at, last_used_at, revoked_at FROM sensor_keys
         WHERE farm_id = $1 ORDER BY created_at DESC",
    )
    .bind(farm)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().map(view).collect())
}

/// Revokes the key at once; revoking one already revoked is a no-op.
pub async fn revoke(pool: &PgPool, claims: &Claims, farm: &str, id: Uuid, ip: Option<&str>) -> Result<(), AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let farm = farm_in(&mut tx, farm).await?;
    let found: Option<Option<DateTime<Utc>>> =
        sqlx::query_scalar("SELECT revoked_at FROM sensor_keys WHERE id = $1 AND farm_id = $2 FOR UPDATE")
            .bind(id)
            .bind(farm)
            .fetch_optional(&mut *tx)
            .await?;
    match found {
        None => return Err(AppError::not_found("Sensor key")),
        Some(Some(_)) => return Ok(()),
        Some(None) => {}
    }
    sqlx::query("UPDATE sensor_keys SET revoked_at = now(), revoked_by = $2 WHERE id = $1")
        .bind(id)
        .bind(claims.sub)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        Entry::event(Some(tenant), Some(claims.sub), "sensor_key.revoke", format!("sensor_key:{id}"), ip),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_keys_are_looked_up() {
        let id = Uuid::new_v4();
        let secret = "a".repeat(64);
        assert_eq!(parse(&format!("msk_{}_{secret}", id.simple())), Some((id, secret.as_str())));
        for bad in [
            "",
            "msk_",
            "Bearer x",
            "msk_nothex_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            &format!("msk_{}_short", id.simple()),
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
