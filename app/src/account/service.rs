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

/// Accounts are about people, who may belong to several tenants: their use cases
/// read memberships across tenants, so they run in an explicitly cross-tenant
/// transaction (row-level security otherwise confines every query to one tenant).
async fn people_tx(pool: &PgPool) -> Result<Transaction<'static, Postgres>, AppError> {
    Ok(crate::db::cross_tenant_tx(pool).await?)
}

/// What every account use case needs from the server.
pub struct AuthContext<'a> {
    pub pool: &'a PgPool,
    pub keys: &'a SigningKeys,
    pub production: bool,
    /// Where sign-ups land (as `customer`), and the preferred tenant at sign-in.
    pub store_tenant: Uuid,
    pub ip: Option<String>,
}

impl<'a> AuthContext<'a> {
    pub fn new(state: &'a crate::state::AppState, ip: Option<String>) -> AuthContext<'a> {
        AuthContext {
            pool: &state.pool,
            keys: &state.keys,
            production: state.config.is_production(),
            store_tenant: state.store_tenant,
            ip,
        }
    }
}

#[derive(FromRow)]
pub(super) struct UserRow {
    pub id: Uuid,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password_hash: Option<String>,
    pub locale: String,
}

impl UserRow {
    /// A demo account (`<role>@<tenant>.demo`, CONVENTIONS.md), known by its e-mail
    /// whichever identifier it signs in with: production refuses it at every door.
    pub(super) fn is_demo(&self) -> bool {
        self.email.as_deref().is_some_and(|e| e.ends_with(".demo"))
    }
}

#[derive(FromRow)]
pub(super) struct MembershipRow {
    pub tenant_id: Uuid,
    pub slug: String,
    pub roles: Vec<String>,
}

const USER_COLUMNS: &str = "id, display_name, email, phone, password_hash, locale";

/// The person whose `column` (`id`, `email` or `phone`) equals `value`.
pub(super) async fn user_by(
    db: impl sqlx::PgExecutor<'_>,
    column: &str,
    value: &str,
) -> Result<Option<UserRow>, AppError> {
    let (column, cast) = match column {
        "id" => ("id", "::uuid"),
        "email" => ("email", ""),
        "phone" => ("phone", ""),
        other => return Err(AppError::internal("user_by", format!("unexpected column {other}"))),
    };
    Ok(sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = $1{cast}"))
        .bind(value)
        .fetch_optional(db)
        .await?)
}

/// The membership a sign-in lands in: the tenant asked for (which the person must
/// belong to), else the storefront's tenant when they belong to it, else their first.
pub(super) async fn choose_membership(
    db: impl sqlx::PgExecutor<'_>,
    user: Uuid,
    tenant: Option<&str>,
    preferred: Uuid,
) -> Result<MembershipRow, AppError> {
    let memberships = memberships_of(db, user, None, preferred).await?;
    match tenant {
        Some(slug) => memberships
            .into_iter()
            .find(|m| m.slug == slug)
            .ok_or_else(|| AppError::validation("tenant", "you are not a member of this tenant")),
        None => memberships.into_iter().next().ok_or(AppError::Forbidden),
    }
}

pub async fn register(ctx: &AuthContext<'_>, form: ParsedRegistration) -> Result<TokenResponse, AppError> {
    let hash = passwords::hash(form.password.expose().to_string()).await?;
    let mut tx = people_tx(ctx.pool).await?;
    let user_id = Uuid::now_v7();
    let inserted =
        sqlx::query("INSERT INTO users (id, email, phone, display_name, password_hash) VALUES ($1, $2, $3, $4, $5)")
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
        locale: "en".into(),
    };
    let membership = MembershipRow {
        tenant_id: ctx.store_tenant,
        slug: tenant_slug(&mut tx, ctx.store_tenant).await?,
        roles: vec!["customer".into()],
    };
    audit::record(
        &mut *tx,
        Entry {
            tenant: Some(ctx.store_tenant),
            actor: Some(user_id),
            action: "account.registered",
            target: Some(format!("user:{user_id}")),
            before: None,
            after: Some(serde_json::json!({ "email": user.email, "phone": user.phone, "role": "customer" })),
            ip: ctx.ip.as_deref(),
        },
    )
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
    let mut tx = people_tx(ctx.pool).await?;
    let user = user_by(&mut *tx, column, &identifier).await?;
    let demo_in_production = ctx.production && user.as_ref().is_some_and(UserRow::is_demo);
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let password_ok = passwords::verify(form.password.expose().to_string(), stored).await?;
    let Some(user) = user.filter(|_| password_ok && !demo_in_production) else {
        let target = format!("{column}:{identifier}");
        audit::record(&mut *tx, Entry::event(None, None, "login.failed", target, ctx.ip.as_deref())).await?;
        tx.commit().await?;
        return Err(AppError::BadCredentials);
    };
    let membership = choose_membership(&mut *tx, user.id, form.tenant.as_deref(), ctx.store_tenant).await?;
    let entry = Entry::event(
        Some(membership.tenant_id),
        Some(user.id),
        "login.ok",
        format!("user:{}", user.id),
        ctx.ip.as_deref(),
    );
    audit::record(&mut *tx, entry).await?;
    let response = start_session(ctx, &mut tx, &user, &membership, Uuid::now_v7()).await?;
    tx.commit().await?;
    Ok(response)
}

/// Issues an access token and a refresh token of `family`.
pub(super) async fn start_session(
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
    let (access, _) = ctx.keys.issue(user.id, family, &membership.slug, membership.roles.clone(), now)?;
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
    /// Spent within the browser grace window (see [`REUSE_GRACE_SECS`]).
    recently_used: bool,
    revoked: bool,
}

/// A browser tab may fire several requests at once just as its access token lapses;
/// all carry the same refresh cookie. The first rotates it; the others, arriving within
/// this many seconds, get an access token without a new refresh token instead of being
/// taken for a thief. API clients get no grace.
pub const REUSE_GRACE_SECS: i64 = 20;

/// What a refresh gave.
pub enum Renewal {
    /// A new pair; the presented refresh token is spent.
    Rotated(TokenResponse),
    /// A concurrent browser request inside the grace window: an access token only.
    AccessOnly { access_token: String },
}

/// Trades a refresh token for a new pair. The old token is spent; presenting a spent
/// token again means it was stolen (or replayed), so its whole family is revoked.
pub async fn refresh(ctx: &AuthContext<'_>, token: &str) -> Result<TokenResponse, AppError> {
    match renew(ctx, token, false).await? {
        Renewal::Rotated(tokens) => Ok(tokens),
        Renewal::AccessOnly { .. } => Err(AppError::Unauthenticated),
    }
}

/// [`refresh`] for the browser's cookie session, with the concurrent-request grace.
pub async fn renew(ctx: &AuthContext<'_>, token: &str, browser_grace: bool) -> Result<Renewal, AppError> {
    let mut tx = people_tx(ctx.pool).await?;
    let row: Option<RefreshRow> = sqlx::query_as(
        "SELECT r.family_id, r.user_id, r.tenant_id, r.expires_at < now() AS expired,
                r.used_at IS NOT NULL AS used,
                coalesce(r.used_at > now() - make_interval(secs => $2), false) AS recently_used,
                r.revoked_at IS NOT NULL AS revoked
         FROM refresh_tokens r
         WHERE r.token_hash = $1 FOR UPDATE",
    )
    .bind(tokens::refresh_token_hash(token))
    .bind(REUSE_GRACE_SECS as f64)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Err(AppError::Unauthenticated) };
    if row.used && !row.revoked && browser_grace && row.recently_used && !row.expired {
        let (user, membership) = session_subject(&mut tx, row.user_id, row.tenant_id).await?;
        let now = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
        let (access_token, _) = ctx.keys.issue(user.id, row.family_id, &membership.slug, membership.roles, now)?;
        tx.commit().await?;
        return Ok(Renewal::AccessOnly { access_token });
    }
    if row.used && !row.revoked {
        sqlx::query("UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL")
            .bind(row.family_id)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut *tx,
            Entry {
                tenant: Some(row.tenant_id),
                actor: Some(row.user_id),
                action: "security.refresh_token_reuse",
                target: Some(format!("session:{}", row.family_id)),
                before: None,
                after: Some(serde_json::json!({ "familyRevoked": true })),
                ip: ctx.ip.as_deref(),
            },
        )
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
    let (user, membership) = session_subject(&mut tx, row.user_id, row.tenant_id).await?;
    let response = start_session(ctx, &mut tx, &user, &membership, row.family_id).await?;
    tx.commit().await?;
    Ok(Renewal::Rotated(response))
}

/// The person and their current roles in `tenant` (roles may have changed since the
/// last token, so they are read again on every refresh). No membership left: signed out.
async fn session_subject(
    tx: &mut Transaction<'_, Postgres>,
    user: Uuid,
    tenant: Uuid,
) -> Result<(UserRow, MembershipRow), AppError> {
    let user = user_by(&mut **tx, "id", &user.to_string()).await?.ok_or(AppError::Unauthenticated)?;
    let membership = memberships_of(&mut **tx, user.id, Some(tenant), tenant)
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::Unauthenticated)?;
    Ok((user, membership))
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

/// Verifies a bearer token and refuses revoked ones: its own `jti` signed out, or its
/// session (refresh family) ended. One query over two primary/indexed lookups.
pub async fn authenticate(pool: &PgPool, keys: &SigningKeys, token: &str) -> Result<Claims, AppError> {
    let claims = keys.verify(token)?;
    let revoked: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = $1)
             OR EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = $2 AND revoked_at IS NOT NULL)",
    )
    .bind(claims.jti)
    .bind(claims.sid)
    .fetch_one(pool)
    .await?;
    if revoked { Err(AppError::Unauthenticated) } else { Ok(claims) }
}

async fn revoke_access_token(tx: &mut Transaction<'_, Postgres>, claims: &Claims) -> Result<(), AppError> {
    let expires =
        chrono::DateTime::from_timestamp(i64::try_from(claims.exp).unwrap_or(i64::MAX), 0).unwrap_or_else(Utc::now);
    sqlx::query("INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(claims.jti)
        .bind(expires)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn revoke_family_of(tx: &mut Transaction<'_, Postgres>, user: Uuid, refresh_token: &str) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = now()
         WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND user_id = $2)
           AND revoked_at IS NULL",
    )
    .bind(tokens::refresh_token_hash(refresh_token))
    .bind(user)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Signs out: the access token is refused from now on, and the refresh token's whole
/// family (this sign-in on this device) is revoked.
pub async fn logout(ctx: &AuthContext<'_>, claims: &Claims, refresh_token: Option<&str>) -> Result<(), AppError> {
    let mut tx = people_tx(ctx.pool).await?;
    revoke_access_token(&mut tx, claims).await?;
    if let Some(token) = refresh_token {
        revoke_family_of(&mut tx, claims.sub, token).await?;
    }
    let entry = Entry::event(None, Some(claims.sub), "logout", format!("user:{}", claims.sub), ctx.ip.as_deref());
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Signs out on every device: every session (refresh family) of the person ends, and
/// with it every access token they were given ([`authenticate`] checks the session).
pub async fn logout_everywhere(ctx: &AuthContext<'_>, claims: &Claims) -> Result<(), AppError> {
    let mut tx = people_tx(ctx.pool).await?;
    revoke_access_token(&mut tx, claims).await?;
    sqlx::query("UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL")
        .bind(claims.sub)
        .execute(&mut *tx)
        .await?;
    let entry =
        Entry::event(None, Some(claims.sub), "logout.everywhere", format!("user:{}", claims.sub), ctx.ip.as_deref());
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves a signed-in person to another of their tenants: a new session there; the
/// current one (its refresh family, when given, and its access token) ends.
pub async fn switch_tenant(
    ctx: &AuthContext<'_>,
    claims: &Claims,
    tenant: &str,
    refresh_token: Option<&str>,
) -> Result<TokenResponse, AppError> {
    let mut tx = people_tx(ctx.pool).await?;
    let user = user_by(&mut *tx, "id", &claims.sub.to_string()).await?.ok_or(AppError::Unauthenticated)?;
    let membership = choose_membership(&mut *tx, user.id, Some(tenant), ctx.store_tenant).await?;
    revoke_access_token(&mut tx, claims).await?;
    if let Some(token) = refresh_token {
        revoke_family_of(&mut tx, claims.sub, token).await?;
    }
    let entry = Entry {
        before: Some(serde_json::json!({ "tenant": claims.tenant })),
        after: Some(serde_json::json!({ "tenant": membership.slug })),
        ..Entry::event(
            Some(membership.tenant_id),
            Some(user.id),
            "session.tenant_switched",
            format!("user:{}", user.id),
            ctx.ip.as_deref(),
        )
    };
    audit::record(&mut *tx, entry).await?;
    let response = start_session(ctx, &mut tx, &user, &membership, Uuid::now_v7()).await?;
    tx.commit().await?;
    Ok(response)
}

pub async fn me(pool: &PgPool, claims: &Claims) -> Result<Account, AppError> {
    let mut tx = people_tx(pool).await?;
    let user = user_by(&mut *tx, "id", &claims.sub.to_string()).await?.ok_or(AppError::Unauthenticated)?;
    let tenants = sqlx::query_as::<_, (String, String, Vec<String>)>(
        "SELECT t.slug, t.name, array_agg(m.role ORDER BY m.role)
         FROM memberships m JOIN tenants t ON t.id = m.tenant_id
         WHERE m.user_id = $1 GROUP BY t.slug, t.name ORDER BY t.slug",
    )
    .bind(user.id)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(slug, name, roles)| TenantMembership { slug, name, roles })
    .collect();
    tx.commit().await?;
    Ok(Account {
        user: UserView {
            id: user.id,
            display_name: user.display_name,
            email: user.email,
            phone: user.phone,
            tenant: claims.tenant.clone(),
            roles: claims.roles.clone(),
        },
        tenants,
    })
}

/// Forgets what can no longer matter: revoked access tokens past their expiry (they
/// would fail verification anyway), refresh tokens a day past theirs (kept that long
/// so a late replay is still recognised and audited), and one-time codes a day old.
/// Returns rows removed.
pub async fn purge_expired_tokens(db: &mut sqlx::PgConnection) -> Result<u64, AppError> {
    let mut removed = 0;
    for statement in [
        "DELETE FROM revoked_access_tokens WHERE expires_at < now()",
        "DELETE FROM refresh_tokens WHERE expires_at < now() - interval '1 day'",
        "DELETE FROM one_time_codes WHERE created_at < now() - interval '1 day'",
    ] {
        removed += sqlx::query(statement).execute(&mut *db).await?.rows_affected();
    }
    Ok(removed)
}
