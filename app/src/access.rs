//! The one enforcement step of server functions' access rules, that both doors use:
//! the server's middleware for calls over HTTP, and each protected server function
//! itself for calls made directly while a page renders on the server. A path with no
//! rule is refused (deny by default). The rules themselves are declared beside the
//! functions (each `api` module's `ACCESS`) and gathered in `server_fn_rules`; REST
//! routes declare theirs where they are routed (`server/src/rest/v1`).

use crate::domain::permissions::Access;

/// The rule of `path` in one table of rules.
pub fn rule_in(rules: &[(&str, Access)], path: &str) -> Option<Access> {
    rules.iter().find(|(p, _)| *p == path).map(|(_, a)| *a)
}

#[cfg(feature = "ssr")]
pub use enforcement::*;

#[cfg(feature = "ssr")]
mod enforcement {
    use super::*;
    use crate::account::session::{self, Session};
    use crate::audit::{self, Entry};
    use crate::domain::permissions::{Decision, decide};
    use crate::error::AppError;
    use sqlx::PgPool;

    /// Allows or refuses `session` on `route` under `rule` (`None`: no rule, refused).
    /// A signed-in person refused is a security event in the audit log.
    pub async fn enforce(
        pool: &PgPool,
        session: Option<&Session>,
        rule: Option<Access>,
        route: &str,
        ip: Option<&str>,
    ) -> Result<(), AppError> {
        let Some(access) = rule else {
            tracing::error!(route, "no access rule for this route; refused (add one)");
            return Err(AppError::Forbidden);
        };
        let decision = match (access, session) {
            (Access::PlatformOperator, Some(s))
                if crate::control::platform::is_operator(&mut *pool.acquire().await?, s.claims.sub).await? =>
            {
                Decision::Allow
            }
            _ => decide(access, session.map(|s| s.claims.roles.as_slice())),
        };
        match decision {
            Decision::Allow => Ok(()),
            Decision::Unauthenticated => Err(AppError::Unauthenticated),
            Decision::Forbidden => {
                let claims = session.map(|s| &s.claims);
                let tenant: Option<uuid::Uuid> = match claims {
                    Some(c) => {
                        sqlx::query_scalar("SELECT id FROM tenants WHERE slug = $1")
                            .bind(&c.tenant)
                            .fetch_optional(pool)
                            .await?
                    }
                    None => None,
                };
                let entry = Entry {
                    after: Some(
                        serde_json::json!({ "rule": format!("{access:?}"), "roles": claims.map(|c| c.roles.clone()) }),
                    ),
                    ..Entry::event(tenant, claims.map(|c| c.sub), "security.permission_denied", route.to_string(), ip)
                };
                match tenant {
                    Some(t) => {
                        let mut tx = crate::db::tenant_tx(pool, t).await?;
                        audit::record(&mut *tx, entry).await?;
                        tx.commit().await?;
                    }
                    None => audit::record(pool, entry).await?,
                }
                Err(AppError::Forbidden)
            }
        }
    }

    /// For a server function called in-process during a page render (no middleware
    /// ran): the same rule, the same decision. Returns the session when there is one.
    /// `rules` is the calling module's own `ACCESS`, where `path` is declared: this
    /// module stays below the `api` modules that call it.
    pub async fn check(rules: &[(&str, Access)], path: &str) -> Result<Option<Session>, AppError> {
        let state = crate::state::app_state()?;
        let current = session::current();
        enforce(&state.pool, current.as_ref(), rule_in(rules, path), path, None).await?;
        Ok(current)
    }
}
