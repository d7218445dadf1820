//! The notification outbox: a message to a person is a row written in the same
//! transaction as the change that causes it, so neither exists without the other.
//! Delivery (WhatsApp, SMS, e-mail, in-app) and status tracking read from here.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Whatsapp,
    Email,
    InApp,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
            Channel::Email => "email",
            Channel::InApp => "in_app",
        }
    }
}

/// A message as the outbox holds it (what the development outbox page lists).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxMessage {
    pub id: Uuid,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub language: String,
    pub body: String,
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[cfg(feature = "ssr")]
pub use queries::*;

#[cfg(feature = "ssr")]
mod queries {
    use super::*;
    use sqlx::PgExecutor;

    pub struct NewMessage<'a> {
        pub tenant: Option<Uuid>,
        pub user: Option<Uuid>,
        pub channel: Channel,
        pub recipient: &'a str,
        pub template: &'a str,
        pub language: &'a str,
        pub body: String,
    }

    pub async fn enqueue(db: impl PgExecutor<'_>, m: NewMessage<'_>) -> Result<Uuid, sqlx::Error> {
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO notification_outbox (id, tenant_id, user_id, channel, recipient, template, language, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(m.tenant)
        .bind(m.user)
        .bind(m.channel.as_str())
        .bind(m.recipient)
        .bind(m.template)
        .bind(m.language)
        .bind(m.body)
        .execute(db)
        .await?;
        Ok(id)
    }

    /// The newest messages, for the development outbox page (never served in production).
    pub async fn recent(db: impl PgExecutor<'_>, recipient: Option<&str>, limit: i64) -> Result<Vec<OutboxMessage>, sqlx::Error> {
        sqlx::query_as::<_, (Uuid, String, String, String, String, String, String, chrono::DateTime<chrono::Utc>)>(
            "SELECT id, channel, recipient, template, language, body, status, created_at
             FROM notification_outbox
             WHERE $1::text IS NULL OR recipient = $1
             ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(recipient)
        .bind(limit)
        .fetch_all(db)
        .await
        .map(|rows| {
            rows.into_iter()
                .map(|(id, channel, recipient, template, language, body, status, created_at)| OutboxMessage {
                    id,
                    channel,
                    recipient,
                    template,
                    language,
                    body,
                    status,
                    created_at,
                })
                .collect()
        })
    }
}
