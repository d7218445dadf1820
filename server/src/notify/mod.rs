//! Delivering the notification outbox: the `notification.send` job handler, one
//! provider and one circuit breaker per channel, and delivery-status webhooks
//! (WhatsApp's, signed with `X-Hub-Signature-256`) applied once each, in order of
//! progress whatever order they arrive in.

pub mod breaker;
pub mod provider_alerts;
pub mod providers;
pub mod sandbox;
pub mod status;

pub use crate::jobs::BoxFuture;

use crate::jobs::{Handler, Job, JobError};
use app::config::NotifyProviders;
use app::outbox::Channel;
use breaker::{Breaker, BreakerState};
use providers::{Gateway, Outgoing, Provider, SendError, WhatsAppCloud};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Failures in a row that open a provider's circuit (how long it stays open is
/// configured: `notify_circuit_cool_down_secs`).
pub const BREAKER_THRESHOLD: u32 = 5;

pub struct Notifier {
    providers: HashMap<Channel, Arc<dyn Provider>>,
    breakers: HashMap<Channel, Mutex<Breaker>>,
    /// Set when a channel's circuit closes again, taken by whoever resolves its alerts.
    recovered: HashMap<Channel, AtomicBool>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderHealth {
    pub channel: &'static str,
    pub provider: &'static str,
    pub circuit: &'static str,
    pub consecutive_failures: u32,
}

impl Notifier {
    /// The configured providers; `app_base` is this process's own URL (the sandbox's).
    pub fn from_config(config: &NotifyProviders, app_base: &str, cool_down: Duration) -> Notifier {
        let client = providers::http_client();
        let (whatsapp, sms, email): (WhatsAppCloud, Gateway, Gateway) = match config {
            NotifyProviders::Sandbox { .. } => (
                WhatsAppCloud {
                    client: client.clone(),
                    api_base: format!("{app_base}/sandbox/whatsapp"),
                    phone_number_id: "100200300".into(),
                    token: sandbox::TOKEN.into(),
                },
                Gateway {
                    name: "sms",
                    client: client.clone(),
                    url: format!("{app_base}/sandbox/sms"),
                    token: sandbox::TOKEN.into(),
                },
                Gateway {
                    name: "email",
                    client,
                    url: format!("{app_base}/sandbox/email"),
                    token: sandbox::TOKEN.into(),
                },
            ),
            NotifyProviders::Cloud {
                whatsapp_api_base,
                whatsapp_phone_number_id,
                whatsapp_token,
                sms_api_url,
                email_api_url,
                messaging_api_token,
                ..
            } => (
                WhatsAppCloud {
                    client: client.clone(),
                    api_base: whatsapp_api_base.clone(),
                    phone_number_id: whatsapp_phone_number_id.clone(),
                    token: whatsapp_token.clone(),
                },
                Gateway {
                    name: "sms",
                    client: client.clone(),
                    url: sms_api_url.clone(),
                    token: messaging_api_token.clone(),
                },
                Gateway { name: "email", client, url: email_api_url.clone(), token: messaging_api_token.clone() },
            ),
        };
        let providers: HashMap<Channel, Arc<dyn Provider>> = HashMap::from([
            (Channel::Whatsapp, Arc::new(whatsapp) as Arc<dyn Provider>),
            (Channel::Sms, Arc::new(sms) as _),
            (Channel::Email, Arc::new(email) as _),
        ]);
        let breakers = providers.keys().map(|c| (*c, Mutex::new(Breaker::new(BREAKER_THRESHOLD, cool_down)))).collect();
        let recovered = providers.keys().map(|c| (*c, AtomicBool::new(false))).collect();
        Notifier { providers, breakers, recovered }
    }

    pub fn health(&self) -> Vec<ProviderHealth> {
        let now = Instant::now();
        let mut all: Vec<ProviderHealth> = self
            .providers
            .iter()
            .map(|(channel, provider)| {
                let b = self.breakers[channel].lock().expect("breaker lock");
                ProviderHealth {
                    channel: channel.as_str(),
                    provider: provider.name(),
                    circuit: b.state(now).as_str(),
                    consecutive_failures: b.consecutive_failures(),
                }
            })
            .collect();
        all.sort_by_key(|h| h.channel);
        all
    }

    fn breaker(&self, channel: Channel, f: impl FnOnce(&mut Breaker) -> Result<(), Duration>) -> Result<(), Duration> {
        let mut b = self.breakers[&channel].lock().expect("breaker lock");
        let before = b.state(Instant::now());
        let result = f(&mut b);
        let after = b.state(Instant::now());
        metrics::gauge!("notification_circuit_state", "provider" => channel.as_str()).set(after.level());
        if before != after && after == BreakerState::Open {
            tracing::warn!(provider = channel.as_str(), "provider circuit opened: its messages wait in the queue");
        } else if before != after {
            tracing::info!(provider = channel.as_str(), circuit = after.as_str(), "provider circuit changed");
        }
        if before != BreakerState::Closed && after == BreakerState::Closed {
            self.recovered[&channel].store(true, Ordering::Relaxed);
        }
        result
    }

    /// Whether `channel`'s circuit is closed now (it may have closed since a call was
    /// deferred).
    fn is_closed(&self, channel: Channel) -> bool {
        self.breakers
            .get(&channel)
            .is_none_or(|b| b.lock().expect("breaker lock").state(Instant::now()) == BreakerState::Closed)
    }

    /// Whether `channel`'s circuit closed again since this was last asked.
    fn take_recovered(&self, channel: Channel) -> bool {
        self.recovered.get(&channel).is_some_and(|r| r.swap(false, Ordering::Relaxed))
    }

    /// Sends through the channel's provider, unless its circuit is open (`Defer`).
    async fn send(&self, message: &Outgoing) -> Result<Result<String, SendError>, Duration> {
        let provider = self.providers.get(&message.channel).expect("a provider per sent channel").clone();
        self.breaker(message.channel, |b| b.allow(Instant::now()))?;
        // If this future is dropped mid-call (shutdown), the half-open probe slot frees.
        struct Abandon<'a>(&'a Notifier, Channel, bool);
        impl Drop for Abandon<'_> {
            fn drop(&mut self) {
                if !self.2 {
                    let _ = self.0.breaker(self.1, |b| {
                        b.on_abandoned();
                        Ok(())
                    });
                }
            }
        }
        let mut guard = Abandon(self, message.channel, false);
        let result = provider.send(message).await;
        guard.2 = true;
        let _ = self.breaker(message.channel, |b| {
            match &result {
                Err(SendError::Transient(_)) => b.on_failure(Instant::now()),
                _ => b.on_success(),
            }
            Ok(())
        });
        Ok(result)
    }
}

/// `notification.send {"messageId"}`: delivers one outbox message.
pub struct SendHandler {
    pub pool: PgPool,
    pub notifier: Arc<Notifier>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendInput {
    message_id: Uuid,
}

type MessageRow = (String, String, String, String, String, serde_json::Value, String, Option<Uuid>);

impl Handler for SendHandler {
    fn run<'a>(&'a self, job: &'a Job, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let SendInput { message_id } = job.payload()?;
            let row: Option<MessageRow> = sqlx::query_as(
                "SELECT channel, recipient, template, language, body, params, status, user_id
                 FROM notification_outbox WHERE id = $1",
            )
            .bind(message_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((channel, recipient, template, language, body, params, status, user)) = row else {
                return Err(JobError::Fatal(format!("message {message_id} does not exist")));
            };
            if status != "queued" {
                // Already delivered by an earlier attempt whose completion was lost.
                return Ok(());
            }
            let channel =
                Channel::parse(&channel).ok_or_else(|| JobError::Fatal(format!("unknown channel {channel}")))?;
            if channel == Channel::InApp {
                return deliver_in_app(tx, message_id, user, &template, &body).await;
            }
            let params: Vec<String> = serde_json::from_value(params).unwrap_or_default();
            // One reference per delivery job, the same on each of its retries: a provider
            // that took the message but whose answer was lost recognises the retry and
            // does not send it twice. An operator's re-send is a new job, so a new message.
            let reference = format!("{message_id}.{}", job.id);
            let outgoing = Outgoing { id: message_id, reference, channel, recipient, template, language, body, params };
            let sent = self.notifier.send(&outgoing).await;
            // Alerts are written beside the job's transaction: a deferred job's rolls back.
            if sent.is_ok()
                && self.notifier.take_recovered(channel)
                && let Err(e) = provider_alerts::recovered(&self.pool, channel).await
            {
                tracing::warn!(provider = channel.as_str(), error = %e, "could not resolve the provider's alerts");
            }
            match sent {
                Err(wait) => {
                    if let Some(tenant) = job.tenant
                        && !self.notifier.is_closed(channel)
                        && let Err(e) = provider_alerts::waiting(&self.pool, tenant, channel, wait).await
                    {
                        tracing::warn!(provider = channel.as_str(), error = %e, "could not open the provider's alert");
                    }
                    Err(JobError::Defer { delay: wait, reason: format!("{} circuit is open", channel.as_str()) })
                }
                Ok(Ok(provider_id)) => {
                    sqlx::query(
                        "UPDATE notification_outbox SET status = 'sent', provider_message_id = $2, sent_at = now(),
                                attempts = attempts + 1, last_error = NULL, updated_at = now()
                         WHERE id = $1",
                    )
                    .bind(message_id)
                    .bind(&provider_id)
                    .execute(&mut *tx)
                    .await?;
                    if let Some(tenant) = job.tenant {
                        provider_alerts::resolve_in(tx, Some(tenant), channel).await?;
                    }
                    // A fast provider's status webhook may have come before this commit.
                    status::apply(tx, &provider_id).await?;
                    Ok(())
                }
                Ok(Err(SendError::Permanent(e))) => {
                    sqlx::query(
                        "UPDATE notification_outbox SET status = 'failed', attempts = attempts + 1, last_error = $2, updated_at = now()
                         WHERE id = $1",
                    )
                    .bind(message_id)
                    .bind(&e)
                    .execute(&mut *tx)
                    .await?;
                    tracing::warn!(message = %message_id, error = %e, "provider refused a message");
                    Ok(())
                }
                Ok(Err(SendError::Transient(e))) => {
                    // Outside the job's transaction, which is about to roll back: the
                    // message's own record of the attempt must survive it.
                    let last = job.attempt >= job.max_attempts;
                    sqlx::query(
                        "UPDATE notification_outbox SET attempts = attempts + 1, last_error = $2, updated_at = now(),
                                status = CASE WHEN $3 THEN 'failed' ELSE status END
                         WHERE id = $1 AND status = 'queued'",
                    )
                    .bind(message_id)
                    .bind(&e)
                    .bind(last)
                    .execute(&self.pool)
                    .await?;
                    Err(JobError::Retry(e))
                }
            }
        })
    }
}

/// In-app messages are stored already; delivering one means telling the person's
/// open pages (their live stream).
async fn deliver_in_app(
    tx: &mut PgConnection,
    id: Uuid,
    user: Option<Uuid>,
    template: &str,
    body: &str,
) -> Result<(), JobError> {
    let created_at: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
        "UPDATE notification_outbox SET status = 'delivered', sent_at = now(), delivered_at = now(),
                attempts = attempts + 1, updated_at = now()
         WHERE id = $1 RETURNING created_at",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if let Some(user) = user {
        let topic = app::live::Topic::Person { user };
        let message = app::outbox::InAppMessage {
            id,
            template: template.to_string(),
            body: body.to_string(),
            status: "delivered".into(),
            created_at,
        };
        let data = serde_json::to_value(&message).expect("a message serializes");
        app::live::publish(tx, &topic, "notification", &data).await?;
    }
    Ok(())
}
