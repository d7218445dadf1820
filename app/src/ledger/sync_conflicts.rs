//! Conflicts a push met, as the device's sync panel lists them until the person
//! acknowledges each.

use super::context::LedgerCaller;
use super::model::*;
use crate::audit::{self, Entry};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub(super) async fn open_conflicts(
    tx: &mut PgConnection,
    tenant: Uuid,
    device: Uuid,
) -> Result<Vec<ConflictView>, AppError> {
    let rows: Vec<(Uuid, Uuid, i64, i32, i32, String, serde_json::Value, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, client_id, mutation_id, base_version, server_version, resolution, detail, created_at
         FROM ledger_sync_conflicts WHERE tenant_id = $1 AND device_id = $2 AND acknowledged_at IS NULL ORDER BY created_at LIMIT 200",
    )
    .bind(tenant)
    .bind(device)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, client_id, mutation_id, base_version, server_version, resolution, detail, created_at)| {
            ConflictView {
                id,
                client_id,
                mutation_id,
                base_version,
                server_version,
                resolution,
                reason: detail.get("reason").and_then(|r| r.as_str()).map(String::from),
                fields: serde_json::from_value(detail.get("fields").cloned().unwrap_or_default()).unwrap_or_default(),
                created_at,
            }
        })
        .collect())
}

/// The person saw a conflict in the sync panel and accepted the outcome.
pub async fn acknowledge_conflict(
    pool: &PgPool,
    caller: &LedgerCaller,
    id: Uuid,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let updated = sqlx::query(
        "UPDATE ledger_sync_conflicts SET acknowledged_at = now(), acknowledged_by = $3
         WHERE tenant_id = $1 AND id = $2 AND acknowledged_at IS NULL AND (actor_id = $3 OR $4)",
    )
    .bind(caller.tenant)
    .bind(id)
    .bind(caller.user)
    .bind(caller.edits_any())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(AppError::not_found("Open conflict"));
    }
    audit::record(
        &mut *tx,
        Entry::event(
            Some(caller.tenant),
            Some(caller.user),
            "ledger.conflict.acknowledged",
            format!("ledger_conflict:{id}"),
            ip,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
