//! Account use cases: register, sign in, refresh (rotating, with theft detection),
//! sign out, and who-am-I. Each runs in one transaction with its audit entries.

use super::credentials::*;
use super::passwords;
use super::tokens::{self, Claims, SigningKeys};
use crate::audit::{self, Entry};
use crate::error::{AppError, FieldErrors};
use chrono::{Duration, Utc};
use sqlx::{FromRow, PgPool, Postgres, Transaction};
use uuid::Uuid;

/// What every account use case needs from the server.
pub struct AuthContext<'a> {
    pub pool: &'a PgPool,
    pub keys: &'a SigningKeys,
    pub production: bool,
    /// Where sign-ups land (as `customer`), and the preferred tenant at sign-in.
    pub store_tenant: Uuid,
    pub ip: Option<String>,
}

#[derive(FromRow)]
struct UserRow {
    id: Uuid,
    display_name: String,
    email: Option<String>,
    phone: Option<String>,
    password_hash: Option<String>,
}

#[derive(FromRow)]
struct MembershipRow {
    tenant_id: Uuid,
    slug: String,
    roles: Vec<String>,
}

pub async fn register(ctx: &AuthContext<'_>, form: ParsedRegistration) -> Result<TokenResponse, AppError> {
    let hash = passwords::hash(form.password.expose().to_string()).await?;
    let mut tx = ctx.pool.begin().await?;
    let user_id = Uuid::now_v7();
    let inserted = sqlx::query(
        "INSERT INTO users (id, email, phone, display_name, password_hash) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(form.email.as_ref().map(Email::as_str))
    .bind(form.phone.as_ref().map(Phone::as_str))
    .bind(&form.display_name)
    .bind(&hash)
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        return Err(match e.as_database_error().and_then(|d| d.constraint()) {
            Some("users_email_key") => taken("email", "an account with this e-mail address already exists"),
            Some("users_phone_key") => taken("phone", "an account with this phone number already exists"),
            _ => e.into(),
        });
    }
    sqlx::query("INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'customer')")
        .bind(ctx.store_tenant)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let user = UserRow {
        id: user_id,
        display_name: form.display_name,
        email: form.email.map(|e| e.as_str().to_string()),
        phone: form.phone.map(|p| p.as_str().to_string()),
        password_hash: None,
    };
    let membership = MembershipRow { tenant_id: ctx.store_tenant, slug: tenant_slug(&mut tx, ctx.store_tenant).await?, roles: vec!["customer".into()] };
    audit::record(&mut *tx, Entry {
        tenant: Some(ctx.store_tenant),
        actor: Some(user_id),
        action: "account.registered",
        target: Some(format!("user:{user_id}")),
        before: None,
        after: Some(serde_json::json!({ "email": user.email, "phone": user.phone, "role": "customer" })),
        ip: ctx.ip.as_deref(),
    })
    .await?;
    let response = start_session(ctx, &mut tx, &user, &membership, Uuid::now_v7()).await?;
    tx.commit().await?;
    Ok(response)
}

fn taken(field: &str, message: &str) -> AppError {
    let mut fields = FieldErrors::new();
    fields.insert(field.into(), message.into());
    AppError::Validation { fields }
}

async fn tenant_slug(tx: &mut Transaction<'_, Postgres>, tenant: Uuid) -> Result<String, AppError> {
    Ok(sqlx::query_scalar("SELECT slug FROM tenants WHERE id = $1").bind(tenant).fetch_one(&mut **tx).await?)
}

pub async fn login(ctx: &AuthContext<'_>, form: ParsedLogin) -> Result<TokenResponse, AppError> {
    let (column, identifier) = match &form.login {
        Login::Email(e) => ("email", e.as_str().to_string()),
        Login::Phone(p) => ("phone", p.as_str().to_string()),
    };
    let user: Option<UserRow> = sqlx::query_as(&format!(
        "SELECT id, display_name, email, phone, password_hash FROM users WHERE {column} = $1"
    ))
    .bind(&identifier)
    .fetch_optional(ctx.pool)
    .await?;
    let demo_in_production = ctx.production && identifier.ends_with(".demo");
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let password_ok = passwords::verify(form.password.expose().to_string(), stored).await?;
    let Some(user) = user.filter(|_| password_ok && !demo_in_production) else {
        let target = format!("{column}:{identifier}");
        audit::record(ctx.pool, Entry::event(None, None, "login.failed", target, ctx.ip.as_deref())).await?;
        return Err(AppError::BadCredentials);
    };
    let memberships = memberships_of(ctx.pool, user.id, None, ctx.store_tenant).await?;
    let membership = match &form.tenant {
        Some(slug) => memberships.into_iter().find(|m| &m.slug == slug).ok_or_else(|| {
            AppError::validation("tenant", "you are not a member of this tenant")
        })?,
        None => memberships.into_iter().next().ok_or(AppError::Forbidden)?,
    };
    let mut tx = ctx.pool.begin().await?;
    let entry = Entry::event(Some(membership.tenant_id), Some(user.id), "login.ok", format!("user:{}", user.id), ctx.ip.as_deref());
    audit::record(&mut *tx, entry).await?;
    let response = start_session(ctx, &mut tx, &user, &membership, Uuid::now_v7()).await?;
    tx.commit().await?;
    Ok(response)
}

/// Issues an access token and a refresh token of `family`.
async fn start_session(
    ctx: &AuthContext<'_>,
    tx: &mut Transaction<'_, Postgres>,
    user: &UserRow,
    membership: &MembershipRow,
    family: Uuid,
) -> Result<TokenResponse, AppError> {
    let refresh = tokens::new_refresh_token();
    sqlx::query(
        "INSERT INTO refresh_tokens (id, family_id, user_id, tenant_id, token_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::now_v7())
    .bind(family)
    .bind(user.id)
    .bind(membership.tenant_id)
    .bind(tokens::refresh_token_hash(&refresh))
    .bind(Utc::now() + Duration::days(tokens::REFRESH_TTL_DAYS))
    .execute(&mut **tx)
    .await?;
    let now = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
    let (access, _) = ctx.keys.issue(user.id, &membership.slug, membership.roles.clone(), now)?;
    Ok(TokenResponse {
        access_token: access,
        refresh_token: refresh,
        expires_in: tokens::ACCESS_TTL_SECS,
        user: UserView {
            id: user.id,
            display_name: user.display_name.clone(),
            email: user.email.clone(),
            phone: user.phone.clone(),
            tenant: membership.slug.clone(),
            roles: membership.roles.clone(),
        },
    })
}

#[derive(FromRow)]
struct RefreshRow {
    family_id: Uuid,
    user_id: Uuid,
    tenant_id: Uuid,
    expired: bool,
    used: bool,
    revoked: bool,
}

/// Trades a refresh token for a new pair. The old token is spent; presenting a spent
/// token again means it was stolen (or replayed), so its whole family is revoked.
pub async fn refresh(ctx: &AuthContext<'_>, token: &str) -> Result<TokenResponse, AppError> {
    let mut tx = ctx.pool.begin().await?;
    let row: Option<RefreshRow> = sqlx::query_as(
        "SELECT family_id, user_id, tenant_id, expires_at < now() AS expired,
                used_at IS NOT NULL AS used, revoked_at IS NOT NULL AS revoked
         FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
    )
    .bind(tokens::refresh_token_hash(token))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Err(AppError::Unauthenticated) };
    if row.used && !row.revoked {
        sqlx::query("UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL")
            .bind(row.family_id)
            .execute(&mut *tx)
            .await?;
        audit::record(&mut *tx, Entry {
            tenant: Some(row.tenant_id),
            actor: Some(row.user_id),
            action: "security.refresh_token_reuse",
            target: Some(format!("session:{}", row.family_id)),
            before: None,
            after: Some(serde_json::json!({ "familyRevoked": true })),
            ip: ctx.ip.as_deref(),
        })
        .await?;
        tx.commit().await?;
        tracing::warn!(family = %row.family_id, user = %row.user_id, "refresh token reused; session family revoked");
        return Err(AppError::Unauthenticated);
    }
    if row.used || row.revoked || row.expired {
        return Err(AppError::Unauthenticated);
    }
    sqlx::query("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1")
        .bind(tokens::refresh_token_hash(token))
        .execute(&mut *tx)
        .await?;
    let user: UserRow = sqlx::query_as("SELECT id, display_name, email, phone, NULL::text AS password_hash FROM users WHERE id = $1")
        .bind(row.user_id)
        .fetch_one(&mut *tx)
        .await?;
    let membership = memberships_of(&mut *tx, row.user_id, Some(row.tenant_id), row.tenant_id)
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::Unauthenticated)?;
    let response = start_session(ctx, &mut tx, &user, &membership, row.family_id).await?;
    tx.commit().await?;
    Ok(response)
}

/// A person's tenants with their roles in each: only `only` when given, otherwise all,
/// `preferred` first.
async fn memberships_of(
    db: impl sqlx::PgExecutor<'_>,
    user: Uuid,
    only: Option<Uuid>,
    preferred: Uuid,
) -> Result<Vec<MembershipRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT m.tenant_id, t.slug, array_agg(m.role ORDER BY m.role) AS roles
         FROM memberships m JOIN tenants t ON t.id = m.tenant_id
         WHERE m.user_id = $1 AND ($2::uuid IS NULL OR m.tenant_id = $2)
         GROUP BY m.tenant_id, t.slug
         ORDER BY (m.tenant_id = $3) DESC, t.slug",
    )
    .bind(user)
    .bind(only)
    .bind(preferred)
    .fetch_all(db)
    .await?)
}

/// Verifies a bearer token and refuses revoked ones.
pub async fn authenticate(pool: &PgPool, keys: &SigningKeys, token: &str) -> Result<Claims, AppError> {
    let claims = keys.verify(token)?;
    let revoked: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = $1)")
        .bind(claims.jti)
        .fetch_one(pool)
        .await?;
    if revoked { Err(AppError::Unauthenticated) } else { Ok(claims) }
}

/// Signs out: the access token is refused from now on, and the refresh token's whole
/// family (this sign-in on this device) is revoked.
pub async fn logout(ctx: &AuthContext<'_>, claims: &Claims, refresh_token: Option<&str>) -> Result<(), AppError> {
    let mut tx = ctx.pool.begin().await?;
    let expires = chrono::DateTime::from_timestamp(i64::try_from(claims.exp).unwrap_or(i64::MAX), 0).unwrap_or_else(Utc::now);
    sqlx::query("INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(claims.jti)
        .bind(expires)
        .execute(&mut *tx)
        .await?;
    if let Some(token) = refresh_token {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = now()
             WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND user_id = $2)
               AND revoked_at IS NULL",
        )
        .bind(tokens::refresh_token_hash(token))
        .bind(claims.sub)
        .execute(&mut *tx)
        .await?;
    }
    let entry = Entry::event(None, Some(claims.sub), "logout", format!("user:{}", claims.sub), ctx.ip.as_deref());
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn me(pool: &PgPool, claims: &Claims) -> Result<UserView, AppError> {
    let user: UserRow = sqlx::query_as("SELECT id, display_name, email, phone, NULL::text AS password_hash FROM users WHERE id = $1")
        .bind(claims.sub)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(UserView {
        id: user.id,
        display_name: user.display_name,
        email: user.email,
        phone: user.phone,
        tenant: claims.tenant.clone(),
        roles: claims.roles.clone(),
    })
}

/// Forgets what can no longer matter: revoked access tokens past their expiry (they
/// would fail verification anyway) and refresh tokens a day past theirs (kept that
/// long so a late replay is still recognised and audited). Returns rows removed.
pub async fn purge_expired_tokens(pool: &PgPool) -> Result<u64, AppError> {
    let revoked = sqlx::query("DELETE FROM revoked_access_tokens WHERE expires_at < now()")
        .execute(pool)
        .await?
        .rows_affected();
    let refresh = sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < now() - interval '1 day'")
        .execute(pool)
        .await?
        .rows_affected();
    Ok(revoked + refresh)
}
