//! The platform's own tower (`/control/platform`): jobs, messages and payments that
//! belong to no tenant, for the platform operators (`platform_admins`) and nobody else.
//! Being one is read from the table on each call, not carried in a token, so a grant
//! taken away takes effect at once.

use super::model::*;
use super::service::{Scope, jobs_in, notifications_in};
use crate::account::session::Session;
use crate::account::tokens::Claims;
use crate::domain::permissions::Access;
use crate::error::AppError;
use crate::live::Topic;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub async fn is_operator(conn: &mut PgConnection, user: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM platform_admins WHERE user_id = $1)")
        .bind(user)
        .fetch_one(conn)
        .await
}

/// The platform's scope for `claims`, or 403 (recorded as the access rules record
/// theirs): for doors whose own rule is a tenant's (the REST `ops` endpoints'
/// `?scope=platform`).
pub async fn require(pool: &PgPool, claims: &Claims, route: &str, ip: Option<&str>) -> Result<Scope, AppError> {
    let session = Session { claims: claims.clone(), refresh_token: None };
    crate::access::enforce(pool, Some(&session), Some(Access::PlatformOperator), route, ip).await?;
    Ok(Scope::Platform)
}

/// Everything the platform's tower first draws, read in one transaction.
pub async fn tower(pool: &PgPool) -> Result<PlatformTower, AppError> {
    let mut tx = Scope::Platform.begin(pool).await?;
    let live_from: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM live_events WHERE topic = $1")
        .bind(Topic::Platform.to_string())
        .fetch_one(&mut *tx)
        .await?;
    let tower = PlatformTower {
        jobs: jobs_in(&mut tx, Scope::Platform).await?,
        notifications: notifications_in(&mut tx, Scope::Platform).await?,
        unmatched: unmatched_in(&mut tx).await?,
        live_from,
    };
    tx.commit().await?;
    Ok(tower)
}

/// Payments no order claims, newest first, not yet resolved.
pub async fn unmatched_in(conn: &mut PgConnection) -> Result<Vec<UnmatchedPayment>, sqlx::Error> {
    let rows: Vec<(Uuid, String, String, serde_json::Value, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT id, kind, reference, detail, found_at FROM payment_mismatches
         WHERE tenant_id IS NULL AND resolved_at IS NULL ORDER BY found_at DESC LIMIT 50",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, reference, detail, found_at)| UnmatchedPayment {
            id,
            kind,
            reference,
            detail: detail.to_string(),
            found_at,
        })
        .collect())
}
