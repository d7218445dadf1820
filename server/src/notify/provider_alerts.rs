//! A provider whose circuit is open is an alert on the control tower of each tenant
//! whose messages wait on it (one per tenant and channel, however many messages), and
//! the alert resolves itself when the provider answers again. Breakers live in each
//! process: a process whose breaker has closed resolves the alert, and one whose
//! breaker is still open opens it again with its next waiting message.

use app::alerts::model::{Severity, SubjectType, kinds};
use app::alerts::service::{NewAlert, open_in};
use app::live::{self, Topic};
use app::outbox::Channel;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use std::time::Duration;
use uuid::Uuid;

/// A message of `tenant` waits because `channel`'s circuit is open.
pub async fn waiting(pool: &PgPool, tenant: Uuid, channel: Channel, wait: Duration) -> Result<(), sqlx::Error> {
    let mut tx = app::db::tenant_tx(pool, tenant).await?;
    open_in(
        &mut tx,
        NewAlert {
            tenant,
            kind: kinds::PROVIDER_CIRCUIT_OPEN,
            severity: Severity::Critical,
            subject_type: SubjectType::NotificationProvider,
            subject_id: channel.as_str().to_string(),
            title: format!("The {} provider is failing: messages wait in the queue", channel.as_str()),
            details: json!({ "channel": channel.as_str(), "retryInSecs": wait.as_secs().max(1) }),
        },
    )
    .await?;
    tx.commit().await
}

/// `channel`'s provider answered again: its open alerts, in every tenant, resolve.
pub async fn recovered(pool: &PgPool, channel: Channel) -> Result<usize, sqlx::Error> {
    let mut tx = app::db::cross_tenant_tx(pool).await?;
    let resolved = resolve_in(&mut tx, None, channel).await?;
    tx.commit().await?;
    Ok(resolved)
}

/// Resolves `channel`'s open alert of `tenant` (of every tenant with `None`). A message
/// of the tenant delivered resolves it too: an alert opened by a message deferred just
/// as the circuit closed is not left open after the provider answers.
pub async fn resolve_in(conn: &mut PgConnection, tenant: Option<Uuid>, channel: Channel) -> Result<usize, sqlx::Error> {
    let resolved: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "UPDATE alerts SET resolved_at = now(), resolution = 'The provider answered again'
         WHERE ($4::uuid IS NULL OR tenant_id = $4)
           AND subject_type = $1 AND subject_id = $2 AND kind = $3 AND resolved_at IS NULL
         RETURNING tenant_id, id",
    )
    .bind(SubjectType::NotificationProvider.as_str())
    .bind(channel.as_str())
    .bind(kinds::PROVIDER_CIRCUIT_OPEN)
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    for (tenant, id) in &resolved {
        let event = json!({ "id": id, "status": "resolved" });
        live::publish(&mut *conn, &Topic::Operations { tenant: *tenant }, "alert.resolved", &event).await?;
    }
    Ok(resolved.len())
}
