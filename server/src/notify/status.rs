//! Delivery statuses: verifying WhatsApp's signed webhooks, recording each (message,
//! status) once, and moving a message forward only (queued < sent < failed <
//! delivered < read), so duplicates, replays and out-of-order arrivals change nothing.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use sqlx::PgConnection;

pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// `sha256=<hex HMAC-SHA256 of the raw body under the app secret>`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(7 + 64);
    hex.push_str("sha256=");
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

/// Constant-time check of a signature header against the raw body.
pub fn verify(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else { return false };
    if hex.len() != 64 {
        return false;
    }
    let Some(bytes) =
        (0..32).map(|i| u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()).collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&bytes).is_ok()
}

/// The part of a WhatsApp webhook we use: `entry[].changes[].value.statuses[]`.
#[derive(Debug, Deserialize)]
pub struct Webhook {
    #[serde(default)]
    pub entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
pub struct Entry {
    #[serde(default)]
    pub changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
pub struct Change {
    pub value: ChangeValue,
}

#[derive(Debug, Deserialize)]
pub struct ChangeValue {
    #[serde(default)]
    pub statuses: Vec<StatusUpdate>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatusUpdate {
    /// The provider's message id (`wamid...`).
    pub id: String,
    pub status: String,
    /// Unix seconds, as a string.
    pub timestamp: String,
    #[serde(default)]
    pub errors: Vec<StatusError>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatusError {
    pub code: Option<i64>,
    pub title: Option<String>,
}

impl StatusUpdate {
    /// The status, if it is one we track, and when it happened.
    pub fn parse(&self) -> Result<(&'static str, chrono::DateTime<chrono::Utc>), String> {
        let status = match self.status.as_str() {
            "sent" => "sent",
            "delivered" => "delivered",
            "read" => "read",
            "failed" => "failed",
            other => return Err(format!("unknown status {other:?}")),
        };
        let secs: i64 =
            self.timestamp.parse().map_err(|_| format!("timestamp {:?} is not Unix seconds", self.timestamp))?;
        let at = chrono::DateTime::from_timestamp(secs, 0).ok_or_else(|| "timestamp out of range".to_string())?;
        Ok((status, at))
    }

    fn error_text(&self) -> Option<String> {
        self.errors.first().map(|e| {
            format!(
                "{} ({})",
                e.title.clone().unwrap_or_else(|| "failed".into()),
                e.code.map(|c| c.to_string()).unwrap_or_default()
            )
        })
    }
}

/// Records one status; true if it was new (a replay or duplicate returns false).
pub async fn record(tx: &mut PgConnection, update: &StatusUpdate) -> Result<bool, String> {
    let (status, at) = update.parse()?;
    let inserted = sqlx::query(
        "INSERT INTO notification_status_events (provider_message_id, status, occurred_at, error)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(&update.id)
    .bind(status)
    .bind(at)
    .bind(update.error_text())
    .execute(&mut *tx)
    .await
    .map_err(|e| e.to_string())?
    .rows_affected()
        == 1;
    Ok(inserted)
}

/// Brings the message with this provider id up to the furthest status recorded for it.
/// A no-op when the message is unknown yet (its send has not committed): the send
/// applies the statuses itself when it does.
pub async fn apply(tx: &mut PgConnection, provider_message_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH rank(status, r) AS (VALUES ('queued', 0), ('sent', 1), ('failed', 2), ('delivered', 3), ('read', 4)),
              best AS (
                  SELECT e.status, r.r FROM notification_status_events e JOIN rank r USING (status)
                  WHERE e.provider_message_id = $1 ORDER BY r.r DESC LIMIT 1
              )
         UPDATE notification_outbox o SET
             status = best.status,
             updated_at = now(),
             delivered_at = coalesce(o.delivered_at, (SELECT occurred_at FROM notification_status_events
                                                      WHERE provider_message_id = $1 AND status IN ('delivered', 'read')
                                                      ORDER BY occurred_at LIMIT 1)),
             read_at = coalesce(o.read_at, (SELECT occurred_at FROM notification_status_events
                                            WHERE provider_message_id = $1 AND status = 'read')),
             last_error = CASE WHEN best.status = 'failed'
                               THEN (SELECT error FROM notification_status_events WHERE provider_message_id = $1 AND status = 'failed')
                               ELSE o.last_error END
         FROM best, rank current
         WHERE o.provider_message_id = $1 AND current.status = o.status AND best.r > current.r",
    )
    .bind(provider_message_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_for_the_exact_body_and_secret() {
        let body = br#"{"entry":[]}"#;
        let header = sign("secret", body);
        assert!(header.starts_with("sha256=") && header.len() == 71);
        assert!(verify("secret", body, Some(&header)));
        assert!(!verify("secret", br#"{"entry":[ ]}"#, Some(&header)));
        assert!(!verify("other", body, Some(&header)));
        assert!(!verify("secret", body, None));
        assert!(!verify("secret", body, Some("sha256=zz")));
        assert!(!verify("secret", body, Some(&header.replace("sha256=", "sha1="))));
        assert!(!verify("secret", body, Some(&format!("{}é", &header[..70]))));
    }

    #[test]
    fn statuses_parse_or_say_why_not() {
        let u = |status: &str, ts: &str| StatusUpdate {
            id: "wamid.1".into(),
            status: status.into(),
            timestamp: ts.into(),
            errors: vec![],
        };
        assert_eq!(u("read", "1700000000").parse().unwrap().0, "read");
        assert!(u("deleted", "1700000000").parse().is_err());
        assert!(u("sent", "yesterday").parse().is_err());
    }
}
