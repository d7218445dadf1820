//! What the admin screens and API exchange, and the parsing of their input.

use crate::domain::permissions::Role;
use crate::error::{AppError, FieldErrors};
use crate::store::catalog::parse_bounded;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A person in the tenant with their roles there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub user_id: Uuid,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub roles: Vec<String>,
    pub joined_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct MemberQueryParams {
    /// Part of a name, e-mail or phone.
    pub q: Option<String>,
    #[cfg_attr(feature = "ssr", param(value_type = Option<u32>, minimum = 1, maximum = 1000))]
    pub page: Option<String>,
    #[cfg_attr(feature = "ssr", param(value_type = Option<u32>, minimum = 1, maximum = 100))]
    pub limit: Option<String>,
}

#[derive(Debug)]
pub struct MemberQuery {
    pub q: Option<String>,
    pub page: u32,
    pub limit: u32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SetRolesRequest {
    pub roles: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct AuditQueryParams {
    /// An action, or a prefix ending in `.` (`login.` matches `login.ok` and `login.failed`).
    pub action: Option<String>,
    /// The actor's e-mail or phone.
    pub actor: Option<String>,
    /// First day, `YYYY-MM-DD`.
    #[cfg_attr(feature = "ssr", param(value_type = Option<chrono::NaiveDate>))]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    #[cfg_attr(feature = "ssr", param(value_type = Option<chrono::NaiveDate>))]
    pub to: Option<String>,
    /// `pagination.nextCursor` of the previous page.
    pub cursor: Option<String>,
    #[cfg_attr(feature = "ssr", param(value_type = Option<u32>, minimum = 1, maximum = 200))]
    pub limit: Option<String>,
}

#[derive(Debug)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Entries older than this id (the previous page's last).
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// One page of an unbounded list, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub items: Vec<AuditRecord>,
    pub next_cursor: Option<String>,
}

fn trimmed(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl MemberQueryParams {
    pub fn parse(&self) -> Result<MemberQuery, AppError> {
        let mut fields = FieldErrors::new();
        let q = trimmed(&self.q);
        if q.as_ref().is_some_and(|q| q.chars().count() > 100) {
            fields.insert("q".into(), "must be at most 100 characters".into());
        }
        let page = parse_bounded(self.page.as_deref(), 1, 1, 1000, "page", &mut fields);
        let limit = parse_bounded(self.limit.as_deref(), 20, 1, 100, "limit", &mut fields);
        if fields.is_empty() { Ok(MemberQuery { q, page, limit }) } else { Err(AppError::Validation { fields }) }
    }
}

impl SetRolesRequest {
    /// At least one known role, no repeats. Removing someone from a tenant is not
    /// done by taking every role away.
    pub fn parse(&self) -> Result<Vec<Role>, AppError> {
        let names = self.roles.as_ref().ok_or_else(|| AppError::validation("roles", "is required"))?;
        let mut roles = Vec::new();
        for name in names {
            let role: Role = name.parse().map_err(|_| {
                AppError::validation(
                    "roles",
                    format!("{name:?} is not a role (customer, farmer, staff, field_agent, ops, admin)"),
                )
            })?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        if roles.is_empty() {
            return Err(AppError::validation("roles", "choose at least one role"));
        }
        roles.sort();
        Ok(roles)
    }
}

impl AuditQueryParams {
    pub fn parse(&self) -> Result<AuditQuery, AppError> {
        let mut fields = FieldErrors::new();
        let action = trimmed(&self.action);
        if action
            .as_ref()
            .is_some_and(|a| a.len() > 64 || !a.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_'))
        {
            fields.insert("action".into(), "must be an action name like login.failed, or a prefix like login.".into());
        }
        let actor = trimmed(&self.actor).map(|a| a.to_lowercase());
        if actor.as_ref().is_some_and(|a| a.chars().count() > 254) {
            fields.insert("actor".into(), "must be at most 254 characters".into());
        }
        let mut date = |raw: &Option<String>, name: &str| {
            trimmed(raw).and_then(|s| {
                NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                    .map_err(|_| fields.insert(name.into(), "must be a date YYYY-MM-DD".into()))
                    .ok()
            })
        };
        let from = date(&self.from, "from");
        let to = date(&self.to, "to");
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            fields.insert("to".into(), "must not be before from".into());
        }
        let before_id = trimmed(&self.cursor).and_then(|c| {
            c.parse::<i64>().ok().filter(|n| *n > 0).or_else(|| {
                fields.insert("cursor".into(), "is not a cursor this list gave".into());
                None
            })
        });
        let limit = parse_bounded(self.limit.as_deref(), 50, 1, 200, "limit", &mut fields);
        if fields.is_empty() {
            Ok(AuditQuery { action, actor, from, to, before_id, limit })
        } else {
            Err(AppError::Validation { fields })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_sorted_without_repeats() {
        let r = SetRolesRequest { roles: Some(vec!["staff".into(), "admin".into(), "staff".into()]) };
        assert_eq!(r.parse().unwrap(), vec![Role::Staff, Role::Admin]);
        for bad in [None, Some(vec![]), Some(vec!["root".to_string()]), Some(vec!["Admin".to_string()])] {
            assert!(SetRolesRequest { roles: bad.clone() }.parse().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn audit_filters_are_checked() {
        let p = AuditQueryParams {
            action: Some("login.".into()),
            from: Some("2026-11-01".into()),
            cursor: Some("42".into()),
            ..Default::default()
        };
        let q = p.parse().unwrap();
        assert_eq!((q.action.as_deref(), q.before_id, q.limit), (Some("login."), Some(42), 50));
        let bad = AuditQueryParams {
            action: Some("DROP TABLE".into()),
            from: Some("2026-13-01".into()),
            to: Some("yesterday".into()),
            cursor: Some("-3".into()),
            limit: Some("1000".into()),
            ..Default::default()
        };
        let e = bad.parse().unwrap_err();
        assert_eq!(e.fields().unwrap().keys().collect::<Vec<_>>(), ["action", "cursor", "from", "limit", "to"]);
        let reversed =
            AuditQueryParams { from: Some("2026-11-02".into()), to: Some("2026-11-01".into()), ..Default::default() };
        assert!(reversed.parse().unwrap_err().fields().unwrap().contains_key("to"));
    }
}
