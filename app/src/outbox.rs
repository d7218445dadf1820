//! The notification outbox: a message to a person is a row written in the same
//! transaction as the change that causes it, so neither exists without the other.
//! Each message row carries its own `notification.send` job, enqueued in the same
//! transaction; the server's notification handler delivers it through the channel's
//! provider and tracks its status (`queued → sent → delivered → read`, or `failed`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Whatsapp,
    Email,
    InApp,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Whatsapp, Channel::Sms, Channel::Email, Channel::InApp];

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

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

/// An in-app message, as its recipient sees it (in `/account` and on their live stream).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InAppMessage {
    pub id: Uuid,
    pub template: String,
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

    use crate::jobs::{self, NewJob, Queue};

    pub struct NewMessage<'a> {
        pub tenant: Option<Uuid>,
        pub user: Option<Uuid>,
        pub channel: Channel,
        pub recipient: &'a str,
        pub template: &'a str,
        pub language: &'a str,
        /// The text as sent by SMS and e-mail, and shown in the app.
        pub body: String,
        /// The template's parameters in order (WhatsApp sends the template and these).
        pub params: Vec<String>,
    }

    pub const SEND_JOB: &str = "notification.send";

    /// Writes the message and its delivery job on `tx`: both or neither.
    pub async fn enqueue(tx: &mut sqlx::PgConnection, m: NewMessage<'_>) -> Result<Uuid, sqlx::Error> {
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO notification_outbox (id, tenant_id, user_id, channel, recipient, template, language, body, params)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(m.tenant)
        .bind(m.user)
        .bind(m.channel.as_str())
        .bind(m.recipient)
        .bind(m.template)
        .bind(m.language)
        .bind(m.body)
        .bind(serde_json::json!(m.params))
        .execute(&mut *tx)
        .await?;
        enqueue_send(tx, id, m.tenant).await?;
        Ok(id)
    }

    /// (Re)queues delivery of message `id` (also how a failed message is retried).
    pub async fn enqueue_send(tx: &mut sqlx::PgConnection, id: Uuid, tenant: Option<Uuid>) -> Result<i64, sqlx::Error> {
        let mut job =
            NewJob::new(Queue::Notifications, SEND_JOB, serde_json::json!({ "messageId": id })).max_attempts(8);
        job.tenant = tenant;
        jobs::enqueue(&mut *tx, job).await
    }

    /// Puts a failed message back in the queue with a fresh delivery job. False when it is
    /// not failed (nothing to retry).
    pub async fn retry_failed(tx: &mut sqlx::PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
        let tenant: Option<Option<Uuid>> = sqlx::query_scalar(
            "UPDATE notification_outbox SET status = 'queued', last_error = NULL, updated_at = now()
             WHERE id = $1 AND status = 'failed' RETURNING tenant_id",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        match tenant {
            Some(tenant) => {
                enqueue_send(tx, id, tenant).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// A message for a person, by the channels they prefer and in their language:
    /// the first preferred channel they can be reached on, plus an in-app copy. `body`
    /// gives the text for a language (`en`, `ta`). Returns the message ids.
    pub async fn notify_person(
        tx: &mut sqlx::PgConnection,
        tenant: Option<Uuid>,
        user: Uuid,
        template: &str,
        params: Vec<String>,
        body: impl Fn(&str) -> String,
    ) -> Result<Vec<Uuid>, sqlx::Error> {
        let (email, phone, locale, channels): (Option<String>, Option<String>, String, Vec<String>) =
            sqlx::query_as("SELECT email, phone, locale, notification_channels FROM users WHERE id = $1")
                .bind(user)
                .fetch_one(&mut *tx)
                .await?;
        let mut ids = Vec::new();
        let reachable = channels.iter().filter_map(|c| Channel::parse(c)).find_map(|c| match c {
            Channel::Whatsapp | Channel::Sms => phone.clone().map(|p| (c, p)),
            Channel::Email => email.clone().map(|e| (c, e)),
            Channel::InApp => None,
        });
        let text = body(&locale);
        let mut targets: Vec<(Channel, String)> = reachable.into_iter().collect();
        targets.push((Channel::InApp, user.to_string()));
        for (channel, recipient) in targets {
            let message = NewMessage {
                tenant,
                user: Some(user),
                channel,
                recipient: &recipient,
                template,
                language: &locale,
                body: text.clone(),
                params: params.clone(),
            };
            ids.push(enqueue(&mut *tx, message).await?);
        }
        Ok(ids)
    }

    /// A person's newest in-app messages, whichever tenant sent them.
    pub async fn inbox(pool: &sqlx::PgPool, user: Uuid, limit: i64) -> Result<Vec<InAppMessage>, sqlx::Error> {
        // A person's own messages across the tenants they belong to.
        let mut tx = crate::db::cross_tenant_tx(pool).await?;
        let rows = sqlx::query_as::<_, (Uuid, String, String, String, chrono::DateTime<chrono::Utc>)>(
            "SELECT id, template, body, status, created_at FROM notification_outbox
             WHERE user_id = $1 AND channel = 'in_app' ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(user)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|(id, template, body, status, created_at)| InAppMessage { id, template, body, status, created_at })
            .collect())
    }

    /// The newest messages, for the development outbox page (never served in production).
    pub async fn recent(
        db: impl PgExecutor<'_>,
        recipient: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, sqlx::Error> {
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
