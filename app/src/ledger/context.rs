//! Who is working the ledger: the market (tenant) they act in, from their token, and
//! what their roles let them do there. A tenant that is not a market has no ledger.

use crate::account::tokens::Claims;
use crate::domain::permissions::{Action, Grant, Role, grant_for_roles};
use crate::error::AppError;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct LedgerCaller {
    pub tenant: Uuid,
    pub market_name: String,
    pub user: Uuid,
    pub roles: Vec<Role>,
}

impl LedgerCaller {
    pub async fn from_claims(pool: &PgPool, claims: &Claims) -> Result<LedgerCaller, AppError> {
        let row: Option<(Uuid, String, String)> = sqlx::query_as("SELECT id, name, kind FROM tenants WHERE slug = $1")
            .bind(&claims.tenant)
            .fetch_optional(pool)
            .await?;
        match row {
            Some((tenant, market_name, kind)) if kind == "market" => Ok(LedgerCaller {
                tenant,
                market_name,
                user: claims.sub,
                roles: claims.roles.iter().filter_map(|r| r.parse().ok()).collect(),
            }),
            _ => Err(AppError::not_found("Ledger")),
        }
    }

    pub fn grant(&self, action: Action) -> Option<Grant> {
        grant_for_roles(&self.roles, action)
    }

    /// Admins (and only they) may change anyone's entry and override a slot's rate.
    pub fn edits_any(&self) -> bool {
        self.grant(Action::LedgerEditAnyEntry) == Some(Grant::Any)
    }

    /// Reads limited to the caller's own grower record (farmers), or everything.
    pub fn only_own(&self, action: Action) -> bool {
        self.grant(action) == Some(Grant::Own)
    }

    /// The highest of the caller's ledger roles, as an approval records it.
    pub fn ledger_role(&self) -> &'static str {
        if self.roles.contains(&Role::Admin) {
            "admin"
        } else if self.roles.contains(&Role::Staff) {
            "staff"
        } else {
            "farmer"
        }
    }
}

/// The grower record of a signed-in farmer, if they have one in this market.
pub async fn own_farmer(tx: &mut sqlx::PgConnection, caller: &LedgerCaller) -> Result<Option<Uuid>, AppError> {
    Ok(sqlx::query_scalar("SELECT id FROM ledger_farmers WHERE tenant_id = $1 AND user_id = $2")
        .bind(caller.tenant)
        .bind(caller.user)
        .fetch_optional(&mut *tx)
        .await?)
}

/// Locks the market's ledger for one write transaction and returns its counters:
/// every ledger write takes this lock first, so change numbers are handed out in
/// commit order and a pull after N never misses one.
pub async fn lock_counters(tx: &mut sqlx::PgConnection, tenant: Uuid) -> Result<Counters, AppError> {
    sqlx::query("INSERT INTO ledger_counters (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(tenant)
        .execute(&mut *tx)
        .await?;
    let (change_seq, reference_version, settlement_no): (i64, i64, i64) = sqlx::query_as(
        "SELECT change_seq, reference_version, settlement_no FROM ledger_counters WHERE tenant_id = $1 FOR UPDATE",
    )
    .bind(tenant)
    .fetch_one(&mut *tx)
    .await?;
    Ok(Counters { change_seq, reference_version, settlement_no })
}

#[derive(Debug, Clone, Copy)]
pub struct Counters {
    pub change_seq: i64,
    pub reference_version: i64,
    pub settlement_no: i64,
}
