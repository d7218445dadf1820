//! A shopper's address book: add, change, choose the default, remove; and the address a
//! checkout asked to keep. Always the caller's own: an id of someone else's address is
//! "not found".

use super::model::{Address, SavedAddress};
use crate::error::AppError;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// Most addresses one shopper keeps.
pub const MAX_ADDRESSES: i64 = 20;

#[derive(FromRow)]
struct Row {
    id: Uuid,
    name: String,
    phone: String,
    line1: String,
    line2: String,
    city: String,
    pincode: String,
    state: String,
    is_default: bool,
}

impl From<Row> for SavedAddress {
    fn from(r: Row) -> SavedAddress {
        SavedAddress {
            id: r.id,
            address: Address {
                name: r.name,
                phone: r.phone,
                line1: r.line1,
                line2: r.line2,
                city: r.city,
                pincode: r.pincode,
                state: r.state,
            },
            is_default: r.is_default,
        }
    }
}

/// The default first, then the newest.
pub async fn list(pool: &PgPool, tenant: Uuid, user: Uuid) -> Result<Vec<SavedAddress>, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, phone, line1, line2, city, pincode, state, is_default FROM saved_addresses
         WHERE tenant_id = $1 AND user_id = $2 ORDER BY is_default DESC, created_at DESC",
    )
    .bind(tenant)
    .bind(user)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(SavedAddress::from).collect())
}

/// Adds an address (`id` None) or replaces one; `make_default` makes it the default
/// (the first address is the default whatever is asked).
pub async fn save(
    pool: &PgPool,
    tenant: Uuid,
    user: Uuid,
    id: Option<Uuid>,
    address: &Address,
    make_default: bool,
) -> Result<SavedAddress, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    // The shopper's addresses are changed one request at a time (the default moves).
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('addresses:' || $1::text))")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM saved_addresses WHERE tenant_id = $1 AND user_id = $2")
        .bind(tenant)
        .bind(user)
        .fetch_one(&mut *tx)
        .await?;
    let id = match id {
        Some(id) => {
            let mine: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM saved_addresses WHERE tenant_id = $1 AND user_id = $2 AND id = $3)",
            )
            .bind(tenant)
            .bind(user)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if !mine {
                return Err(AppError::not_found("Address"));
            }
            id
        }
        None => {
            if count >= MAX_ADDRESSES {
                return Err(AppError::validation("address", format!("keep at most {MAX_ADDRESSES} addresses")));
            }
            Uuid::now_v7()
        }
    };
    let make_default = make_default || count == 0;
    if make_default {
        clear_default(&mut tx, tenant, user).await?;
    }
    sqlx::query(
        "INSERT INTO saved_addresses (tenant_id, id, user_id, name, phone, line1, line2, city, pincode, state, is_default)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (tenant_id, id) DO UPDATE SET name = excluded.name, phone = excluded.phone, line1 = excluded.line1,
             line2 = excluded.line2, city = excluded.city, pincode = excluded.pincode, state = excluded.state,
             is_default = saved_addresses.is_default OR excluded.is_default, updated_at = now()",
    )
    .bind(tenant)
    .bind(id)
    .bind(user)
    .bind(&address.name)
    .bind(&address.phone)
    .bind(&address.line1)
    .bind(&address.line2)
    .bind(&address.city)
    .bind(&address.pincode)
    .bind(&address.state)
    .bind(make_default)
    .execute(&mut *tx)
    .await?;
    let saved: Row = sqlx::query_as(
        "SELECT id, name, phone, line1, line2, city, pincode, state, is_default FROM saved_addresses WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(saved.into())
}

async fn clear_default(tx: &mut PgConnection, tenant: Uuid, user: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE saved_addresses SET is_default = false WHERE tenant_id = $1 AND user_id = $2 AND is_default")
        .bind(tenant)
        .bind(user)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Removes an address; if it was the default, the newest left becomes the default.
pub async fn remove(pool: &PgPool, tenant: Uuid, user: Uuid, id: Uuid) -> Result<(), AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('addresses:' || $1::text))")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    let was_default: Option<bool> = sqlx::query_scalar(
        "DELETE FROM saved_addresses WHERE tenant_id = $1 AND user_id = $2 AND id = $3 RETURNING is_default",
    )
    .bind(tenant)
    .bind(user)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    match was_default {
        None => return Err(AppError::not_found("Address")),
        Some(true) => {
            sqlx::query(
                "UPDATE saved_addresses SET is_default = true WHERE tenant_id = $1 AND id =
                    (SELECT id FROM saved_addresses WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC LIMIT 1)",
            )
            .bind(tenant)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        }
        Some(false) => {}
    }
    tx.commit().await?;
    Ok(())
}

/// Keeps the address a checkout used, unless the book already has it word for word.
pub async fn remember(pool: &PgPool, tenant: Uuid, user: Uuid, address: &Address) -> Result<(), AppError> {
    let known = list(pool, tenant, user).await?.into_iter().any(|a| a.address == *address);
    if !known {
        save(pool, tenant, user, None, address, false).await?;
    }
    Ok(())
}
