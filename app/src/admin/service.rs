//! Admin use cases, each scoped to the tenant the admin acts in (from their token).

use super::model::*;
use crate::account::tokens::Claims;
use crate::audit::{self, Entry};
use crate::domain::permissions::Role;
use crate::envelope::{Page, Pagination};
use crate::error::AppError;
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

pub async fn tenant_id(db: impl sqlx::PgExecutor<'_>, claims: &Claims) -> Result<Uuid, AppError> {
    sqlx::query_scalar("SELECT id FROM tenants WHERE slug = $1")
        .bind(&claims.tenant)
        .fetch_optional(db)
        .await?
        .ok_or(AppError::Unauthenticated)
}

#[derive(FromRow)]
struct MemberRow {
    user_id: Uuid,
    display_name: String,
    email: Option<String>,
    phone: Option<String>,
    roles: Vec<String>,
    joined_at: chrono::DateTime<chrono::Utc>,
    total: i64,
}

impl From<MemberRow> for Member {
    fn from(r: MemberRow) -> Member {
        Member {
            user_id: r.user_id,
            display_name: r.display_name,
            email: r.email,
            phone: r.phone,
            roles: r.roles,
            joined_at: r.joined_at,
        }
    }
}

const MEMBERS: &str = "
    SELECT u.id AS user_id, u.display_name, u.email, u.phone,
           array_agg(m.role ORDER BY m.role) AS roles, min(m.created_at) AS joined_at,
           count(*) OVER () AS total
    FROM memberships m JOIN users u ON u.id = m.user_id
    WHERE m.tenant_id = $1
      AND ($2::uuid IS NULL OR u.id = $2)
      AND ($3::text IS NULL OR u.display_name ILIKE '%' || $3 || '%' OR u.email ILIKE '%' || $3 || '%' OR u.phone LIKE '%' || $3 || '%')
    GROUP BY u.id
    ORDER BY u.display_name, u.id
    LIMIT $4 OFFSET $5";

/// `%` and `_` typed in a search box are searched for, not wildcards.
fn like_escaped(q: &str) -> String {
    q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub async fn list_members(pool: &PgPool, claims: &Claims, query: &MemberQuery) -> Result<Page<Member>, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<MemberRow> = sqlx::query_as(MEMBERS)
        .bind(tenant)
        .bind(None::<Uuid>)
        .bind(query.q.as_deref().map(like_escaped))
        .bind(i64::from(query.limit))
        .bind(i64::from(query.page - 1) * i64::from(query.limit))
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    let total = rows.first().map_or(0, |r| r.total as u64);
    Ok(Page {
        items: rows.into_iter().map(Member::from).collect(),
        pagination: Pagination::new(query.page, query.limit, total),
    })
}

/// Replaces a member's roles in the admin's tenant. An admin cannot take their own
/// admin role away (someone must always be able to manage the tenant). The change is
/// audited with before and after; the member's next token refresh carries the new roles.
pub async fn set_roles(
    pool: &PgPool,
    claims: &Claims,
    user: Uuid,
    roles: Vec<Role>,
    ip: Option<&str>,
) -> Result<Member, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let before: Vec<String> = sqlx::query_scalar(
        "SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2 ORDER BY role FOR UPDATE",
    )
    .bind(tenant)
    .bind(user)
    .fetch_all(&mut *tx)
    .await?;
    if before.is_empty() {
        return Err(AppError::not_found("person in this organisation"));
    }
    if user == claims.sub && !roles.contains(&Role::Admin) {
        return Err(AppError::conflict("You cannot remove your own admin role; ask another admin."));
    }
    let after: Vec<String> = roles.iter().map(|r| r.as_str().to_string()).collect();
    sqlx::query("DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2 AND NOT (role = ANY($3))")
        .bind(tenant)
        .bind(user)
        .bind(&after)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO memberships (tenant_id, user_id, role) SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(user)
    .bind(&after)
    .execute(&mut *tx)
    .await?;
    let mut sorted_after = after.clone();
    sorted_after.sort();
    if sorted_after != before {
        audit::record(
            &mut *tx,
            Entry {
                tenant: Some(tenant),
                actor: Some(claims.sub),
                action: "role.changed",
                target: Some(format!("user:{user}")),
                before: Some(serde_json::json!({ "roles": before })),
                after: Some(serde_json::json!({ "roles": sorted_after })),
                ip,
            },
        )
        .await?;
        // The person hears about it (preferred channel and language, plus in-app).
        let organisation: String =
            sqlx::query_scalar("SELECT name FROM tenants WHERE id = $1").bind(tenant).fetch_one(&mut *tx).await?;
        let listed = if sorted_after.is_empty() { "none".to_string() } else { sorted_after.join(", ") };
        let params = vec![organisation.clone(), listed.clone()];
        crate::outbox::notify_person(&mut tx, Some(tenant), user, "roles_changed", params, |language| match language {
            "ta" => format!("{organisation} இல் உங்கள் பொறுப்புகள் இப்போது: {listed}."),
            _ => format!("Your roles in {organisation} are now: {listed}."),
        })
        .await?;
    }
    let member: MemberRow = sqlx::query_as(MEMBERS)
        .bind(tenant)
        .bind(Some(user))
        .bind(None::<String>)
        .bind(1i64)
        .bind(0i64)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(member.into())
}

#[derive(FromRow)]
struct AuditRow {
    id: i64,
    at: chrono::DateTime<chrono::Utc>,
    actor_id: Option<Uuid>,
    actor: Option<String>,
    action: String,
    target: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    request_id: Option<String>,
    ip: Option<String>,
}

/// The tenant's audit log, newest first, by keyset (`cursor` = the last id seen).
/// Events outside any tenant (a sign-in, a sign-out) show when their actor belongs here.
pub async fn audit_log(pool: &PgPool, claims: &Claims, q: &AuditQuery) -> Result<AuditPage, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (exact, prefix) = match &q.action {
        Some(a) if a.ends_with('.') => (None, Some(format!("{}%", like_escaped(a)))),
        Some(a) => (Some(a.clone()), None),
        None => (None, None),
    };
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT a.id, a.at, a.actor_id, coalesce(u.email, u.phone) AS actor, a.action, a.target,
                a.before, a.after, a.request_id, a.ip
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
         WHERE (a.tenant_id = $1
                OR (a.tenant_id IS NULL AND a.actor_id IN (SELECT user_id FROM memberships WHERE tenant_id = $1)))
           AND ($2::text IS NULL OR a.action = $2)
           AND ($3::text IS NULL OR a.action LIKE $3)
           AND ($4::text IS NULL OR u.email = $4 OR u.phone = $4)
           AND ($5::date IS NULL OR a.at >= ($5::date::timestamp AT TIME ZONE 'Asia/Kolkata'))
           AND ($6::date IS NULL OR a.at < (($6::date + 1)::timestamp AT TIME ZONE 'Asia/Kolkata'))
           AND ($7::bigint IS NULL OR a.id < $7)
         ORDER BY a.id DESC
         LIMIT $8",
    )
    .bind(tenant)
    .bind(exact)
    .bind(prefix)
    .bind(&q.actor)
    .bind(q.from)
    .bind(q.to)
    .bind(q.before_id)
    .bind(i64::from(q.limit) + 1)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let more = rows.len() > q.limit as usize;
    let items: Vec<AuditRecord> = rows
        .into_iter()
        .take(q.limit as usize)
        .map(|r| AuditRecord {
            id: r.id,
            at: r.at,
            actor_id: r.actor_id,
            actor: r.actor,
            action: r.action,
            target: r.target,
            before: r.before,
            after: r.after,
            request_id: r.request_id,
            ip: r.ip,
        })
        .collect();
    let next_cursor = if more { items.last().map(|r| r.id.to_string()) } else { None };
    Ok(AuditPage { items, next_cursor })
}
