//! The audit log: who did what, where, to what, in which request. Written in the same
//! transaction as the change it records, so the log and the data never disagree.

use crate::envelope::current_request_id;
use sqlx::PgExecutor;
use uuid::Uuid;

pub struct Entry<'a> {
    pub tenant: Option<Uuid>,
    pub actor: Option<Uuid>,
    pub action: &'a str,
    pub target: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub ip: Option<&'a str>,
}

impl<'a> Entry<'a> {
    /// An event that changes no record's fields (sign-in, sign-out, a security alarm).
    pub fn event(
        tenant: Option<Uuid>,
        actor: Option<Uuid>,
        action: &'a str,
        target: String,
        ip: Option<&'a str>,
    ) -> Entry<'a> {
        Entry { tenant, actor, action, target: Some(target), before: None, after: None, ip }
    }
}

pub async fn record(db: impl PgExecutor<'_>, e: Entry<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, actor_id, action, target, before, after, request_id, ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(e.tenant)
    .bind(e.actor)
    .bind(e.action)
    .bind(e.target)
    .bind(e.before)
    .bind(e.after)
    .bind(Some(current_request_id()).filter(|s| !s.is_empty()))
    .bind(e.ip)
    .execute(db)
    .await?;
    Ok(())
}
