//! Phone sign-in with a one-time code: 6 digits, valid 5 minutes, 5 guesses, stored
//! only as a salted hash, sent through the notification outbox. Requests are
//! throttled per phone in the database (so the limit holds across app servers):
//! one code a minute, five an hour. Whether a phone has an account is never revealed.

use super::credentials::{CodeSent, ParsedCodeSignIn, Phone, TokenResponse};
use super::service::{AuthContext, choose_membership, start_session, user_by};
use crate::audit::{self, Entry};
use crate::error::AppError;
use crate::outbox::{self, Channel, NewMessage};
use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::{Postgres, Transaction};
use subtle::ConstantTimeEq;
use uuid::Uuid;

pub const CODE_TTL_SECS: i64 = 5 * 60;
pub const MAX_ATTEMPTS: i16 = 5;
pub const RESEND_AFTER_SECS: i64 = 60;
pub const MAX_CODES_PER_HOUR: i64 = 5;

fn code_hash(id: Uuid, code: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(id.as_bytes());
    h.update(code.as_bytes());
    h.finalize().to_vec()
}

fn new_code() -> String {
    // 122 random bits reduced to 6 digits; the modulo bias is below 1e-30.
    format!("{:06}", Uuid::new_v4().as_u128() % 1_000_000)
}

/// Serialises everything about one phone's codes, across app servers.
async fn lock_phone(tx: &mut Transaction<'_, Postgres>, phone: &Phone) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 8675309))")
        .bind(phone.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn request_code(ctx: &AuthContext<'_>, phone: Phone) -> Result<CodeSent, AppError> {
    // Cross-tenant: the person's memberships are read to start the session.
    let mut tx = crate::db::cross_tenant_tx(ctx.pool).await?;
    lock_phone(&mut tx, &phone).await?;
    let (since_last, oldest_in_hour, in_hour): (Option<i64>, Option<i64>, i64) = sqlx::query_as(
        "SELECT EXTRACT(EPOCH FROM now() - max(created_at))::bigint,
                EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE created_at > now() - interval '1 hour'))::bigint,
                count(*) FILTER (WHERE created_at > now() - interval '1 hour')
         FROM one_time_codes WHERE phone = $1",
    )
    .bind(phone.as_str())
    .fetch_one(&mut *tx)
    .await?;
    if let Some(age) = since_last.filter(|age| *age < RESEND_AFTER_SECS) {
        return Err(AppError::RateLimited { retry_after_secs: (RESEND_AFTER_SECS - age).max(1) as u64 });
    }
    if in_hour >= MAX_CODES_PER_HOUR {
        let wait = 3600 - oldest_in_hour.unwrap_or(0);
        audit::record(
            &mut *tx,
            Entry::event(None, None, "otp.throttled", format!("phone:{}", phone.as_str()), ctx.ip.as_deref()),
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::RateLimited { retry_after_secs: wait.max(1) as u64 });
    }
    // A demo account's phone in production is treated as nobody's: no code is sent.
    let user = user_by(&mut *tx, "phone", phone.as_str()).await?.filter(|u| !(ctx.production && u.is_demo()));
    // A new code replaces any earlier one still outstanding.
    sqlx::query("UPDATE one_time_codes SET consumed_at = now() WHERE phone = $1 AND consumed_at IS NULL")
        .bind(phone.as_str())
        .execute(&mut *tx)
        .await?;
    let id = Uuid::now_v7();
    let code = new_code();
    sqlx::query("INSERT INTO one_time_codes (id, phone, user_id, code_hash, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(phone.as_str())
        .bind(user.as_ref().map(|u| u.id))
        .bind(code_hash(id, &code))
        .bind(Utc::now() + Duration::seconds(CODE_TTL_SECS))
        .execute(&mut *tx)
        .await?;
    if let Some(user) = &user {
        let body = match user.locale.as_str() {
            "ta" => format!("உங்கள் மண்டி உள்நுழைவு குறியீடு {code}. இது 5 நிமிடங்களில் காலாவதியாகும். யாரிடமும் பகிர வேண்டாம்."),
            _ => format!("Your Mandi sign-in code is {code}. It expires in 5 minutes. Do not share it with anyone."),
        };
        outbox::enqueue(
            &mut tx,
            NewMessage {
                tenant: None,
                user: Some(user.id),
                channel: Channel::Sms,
                recipient: phone.as_str(),
                template: "sign_in_code",
                language: &user.locale,
                body,
                params: vec![code.to_string()],
            },
        )
        .await?;
        if !ctx.production {
            tracing::info!(phone = phone.as_str(), code = %code, "development: one-time code (also on /dev/outbox)");
        }
    }
    let entry = Entry::event(
        None,
        user.as_ref().map(|u| u.id),
        "otp.requested",
        format!("phone:{}", phone.as_str()),
        ctx.ip.as_deref(),
    );
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    Ok(CodeSent { expires_in: CODE_TTL_SECS as u64, resend_after: RESEND_AFTER_SECS as u64 })
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    id: Uuid,
    user_id: Option<Uuid>,
    code_hash: Vec<u8>,
    attempts: i16,
    expired: bool,
}

/// Trades a correct code for a session. Every wrong guess counts; the fifth spends
/// the code. Failures are audited and all answer the same `InvalidCode`.
pub async fn sign_in_with_code(ctx: &AuthContext<'_>, form: ParsedCodeSignIn) -> Result<TokenResponse, AppError> {
    // Cross-tenant: the person's memberships are read to start the session.
    let mut tx = crate::db::cross_tenant_tx(ctx.pool).await?;
    lock_phone(&mut tx, &form.phone).await?;
    let row: Option<CodeRow> = sqlx::query_as(
        "SELECT id, user_id, code_hash, attempts, expires_at < now() AS expired
         FROM one_time_codes WHERE phone = $1 AND consumed_at IS NULL
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(form.phone.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let target = format!("phone:{}", form.phone.as_str());
    let usable = row.filter(|r| !r.expired && r.attempts < MAX_ATTEMPTS);
    let matched = usable.as_ref().is_some_and(|r| bool::from(code_hash(r.id, form.code.expose()).ct_eq(&r.code_hash)));
    let (Some(row), true) = (usable.as_ref(), matched) else {
        if let Some(r) = &usable {
            sqlx::query(
                "UPDATE one_time_codes SET attempts = attempts + 1,
                        consumed_at = CASE WHEN attempts + 1 >= $2 THEN now() END
                 WHERE id = $1",
            )
            .bind(r.id)
            .bind(MAX_ATTEMPTS)
            .execute(&mut *tx)
            .await?;
        }
        let actor = usable.as_ref().and_then(|r| r.user_id);
        audit::record(&mut *tx, Entry::event(None, actor, "otp.failed", target, ctx.ip.as_deref())).await?;
        tx.commit().await?;
        return Err(AppError::InvalidCode);
    };
    sqlx::query("UPDATE one_time_codes SET consumed_at = now() WHERE id = $1").bind(row.id).execute(&mut *tx).await?;
    let Some(user_id) = row.user_id else {
        tx.commit().await?;
        return Err(AppError::InvalidCode);
    };
    let user = user_by(&mut *tx, "id", &user_id.to_string()).await?.ok_or(AppError::InvalidCode)?;
    if ctx.production && user.is_demo() {
        // A code sent before the switch to production still opens no demo account.
        audit::record(&mut *tx, Entry::event(None, Some(user.id), "otp.failed", target, ctx.ip.as_deref())).await?;
        tx.commit().await?;
        return Err(AppError::InvalidCode);
    }
    let membership = choose_membership(&mut *tx, user.id, form.tenant.as_deref(), ctx.store_tenant).await?;
    let entry = Entry {
        after: Some(serde_json::json!({ "method": "one_time_code" })),
        ..Entry::event(
            Some(membership.tenant_id),
            Some(user.id),
            "login.ok",
            format!("user:{}", user.id),
            ctx.ip.as_deref(),
        )
    };
    audit::record(&mut *tx, entry).await?;
    let response = start_session(ctx, &mut tx, &user, &membership, Uuid::now_v7()).await?;
    tx.commit().await?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::credentials::OneTimeCode;

    #[test]
    fn codes_are_six_digits_and_hashes_are_salted() {
        for _ in 0..200 {
            let c = new_code();
            assert!(OneTimeCode::parse(&c).is_ok(), "{c}");
        }
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_ne!(code_hash(a, "123456"), code_hash(b, "123456"));
        assert_eq!(code_hash(a, "123456"), code_hash(a, "123456"));
    }
}
