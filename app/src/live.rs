//! Live events: what changed, for Server-Sent Events subscribers on any app process.
//! An event is a row in `live_events` written in the publisher's transaction (so it
//! exists only if the change does) and numbered as that transaction commits; a trigger
//! NOTIFYs the listeners, which read rows by number, so a lost notification delays an
//! event but never drops it.

use crate::domain::permissions::Role;
use std::fmt;
use uuid::Uuid;

/// A stream one can subscribe to. Its text form is what `live_events.topic` holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// A tenant's operations stream (the control tower): orders, stock, jobs, alerts.
    Operations { tenant: Uuid },
    /// A tenant's order queue: every order's changes, for the staff who pack and ship
    /// (who do not read the rest of operations).
    Orders { tenant: Uuid },
    /// One person's own stream: their in-app messages and the state of their things.
    Person { user: Uuid },
    /// What belongs to no tenant (platform jobs, one-time-code messages, payments that
    /// matched no order): for platform operators only, decided by the caller
    /// (`control::platform`), never by a role in a tenant.
    Platform,
}

impl Topic {
    /// Parses the canonical form (`tenant:{id}:ops`, `user:{id}`) or a caller-relative
    /// shorthand (`ops` for the caller's tenant, `me` for the caller).
    pub fn parse(text: &str, caller_tenant: Uuid, caller: Uuid) -> Result<Topic, String> {
        let bad = || {
            format!(
                "unknown topic {text:?}; expected ops, orders, me, platform, tenant:<id>:ops, tenant:<id>:orders or user:<id>"
            )
        };
        match text {
            "ops" => return Ok(Topic::Operations { tenant: caller_tenant }),
            "orders" => return Ok(Topic::Orders { tenant: caller_tenant }),
            "me" => return Ok(Topic::Person { user: caller }),
            "platform" => return Ok(Topic::Platform),
            _ => {}
        }
        let parts: Vec<&str> = text.split(':').collect();
        match parts.as_slice() {
            ["tenant", id, "ops"] => Uuid::parse_str(id).map(|tenant| Topic::Operations { tenant }).map_err(|_| bad()),
            ["tenant", id, "orders"] => Uuid::parse_str(id).map(|tenant| Topic::Orders { tenant }).map_err(|_| bad()),
            ["user", id] => Uuid::parse_str(id).map(|user| Topic::Person { user }).map_err(|_| bad()),
            ["platform", "ops"] => Ok(Topic::Platform),
            _ => Err(bad()),
        }
    }

    /// The tenant an event on this topic belongs to (for row-level security).
    pub fn tenant(&self) -> Option<Uuid> {
        match self {
            Topic::Operations { tenant } | Topic::Orders { tenant } => Some(*tenant),
            Topic::Person { .. } | Topic::Platform => None,
        }
    }

    /// Whether a caller (signed in to `tenant` with `roles`) may read this stream.
    pub fn readable_by(&self, user: Uuid, tenant: Uuid, roles: &[Role]) -> bool {
        match self {
            Topic::Operations { tenant: t } => {
                *t == tenant && roles.iter().any(|r| matches!(r, Role::Ops | Role::Admin))
            }
            Topic::Orders { tenant: t } => {
                *t == tenant && roles.iter().any(|r| matches!(r, Role::Staff | Role::Ops | Role::Admin))
            }
            Topic::Person { user: u } => *u == user,
            // No tenant role opens it; the platform operators are asked for by name.
            Topic::Platform => false,
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Operations { tenant } => write!(f, "tenant:{tenant}:ops"),
            Topic::Orders { tenant } => write!(f, "tenant:{tenant}:orders"),
            Topic::Person { user } => write!(f, "user:{user}"),
            Topic::Platform => write!(f, "platform:ops"),
        }
    }
}

#[cfg(feature = "ssr")]
/// Records an event in the caller's transaction (see [`publish_all`]).
pub async fn publish(
    tx: &mut sqlx::PgConnection,
    topic: &Topic,
    kind: &str,
    data: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    publish_all(tx, &[(topic, kind, data)]).await
}

#[cfg(feature = "ssr")]
/// Records events, in this order, in the caller's transaction. They are numbered after
/// it commits, by the hubs (`number_live_events`, migration …18), in batches that
/// become visible in order: a reader that has seen N never later finds a committed
/// event below N. Publishers never wait for each other.
pub async fn publish_all(
    tx: &mut sqlx::PgConnection,
    events: &[(&Topic, &str, &serde_json::Value)],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO live_events (tenant_id, topic, kind, data)
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::jsonb[])",
    )
    .bind(events.iter().map(|(t, _, _)| t.tenant()).collect::<Vec<_>>())
    .bind(events.iter().map(|(t, _, _)| t.to_string()).collect::<Vec<_>>())
    .bind(events.iter().map(|(_, k, _)| *k).collect::<Vec<_>>())
    .bind(events.iter().map(|(_, _, d)| *d).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_round_trip_and_shorthands_resolve_to_the_caller() {
        let (t, u) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(Topic::parse("ops", t, u).unwrap(), Topic::Operations { tenant: t });
        assert_eq!(Topic::parse("me", t, u).unwrap(), Topic::Person { user: u });
        assert_eq!(Topic::parse("orders", t, u).unwrap(), Topic::Orders { tenant: t });
        assert_eq!(Topic::parse("platform", t, u).unwrap(), Topic::Platform);
        for topic in
            [Topic::Operations { tenant: t }, Topic::Orders { tenant: t }, Topic::Person { user: u }, Topic::Platform]
        {
            assert_eq!(Topic::parse(&topic.to_string(), Uuid::nil(), Uuid::nil()).unwrap(), topic);
        }
        for bad in [
            "",
            "tenant:x:ops",
            "user:",
            "order:1",
            "tenant:x:orders",
            "tenant:00000000-0000-0000-0000-000000000000:jobs",
        ] {
            assert!(Topic::parse(bad, t, u).is_err(), "{bad}");
        }
    }

    #[test]
    fn nobody_reads_another_tenants_or_another_persons_stream() {
        let (t, other_t, u, other_u) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let ops = Topic::Operations { tenant: t };
        assert!(ops.readable_by(u, t, &[Role::Ops]));
        assert!(ops.readable_by(u, t, &[Role::Admin]));
        assert!(!ops.readable_by(u, t, &[Role::Customer, Role::Staff]));
        assert!(!ops.readable_by(u, other_t, &[Role::Admin]));
        let queue = Topic::Orders { tenant: t };
        assert!(queue.readable_by(u, t, &[Role::Staff]));
        assert!(!queue.readable_by(u, t, &[Role::Customer, Role::Farmer, Role::FieldAgent]));
        assert!(!queue.readable_by(u, other_t, &[Role::Staff]));
        let me = Topic::Person { user: u };
        assert!(me.readable_by(u, t, &[]));
        assert!(!me.readable_by(other_u, t, &[Role::Admin]));
        assert!(!Topic::Platform.readable_by(u, t, &Role::ALL), "no tenant role opens the platform's stream");
    }
}
