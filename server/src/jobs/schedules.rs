//! Recurring jobs. Schedules are declared in code and written to `job_schedules` at
//! start; every process ticks, and whichever locks a due schedule first enqueues its
//! run (deduplicated on the schedule and the run time) and moves it on, in one
//! transaction, so each run is enqueued exactly once however many processes there are.

use app::jobs::{NewJob, Queue};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct Schedule {
    pub name: &'static str,
    /// Seconds-first cron expression, UTC (`0 */5 * * * *`: every five minutes).
    pub cron: &'static str,
    pub queue: Queue,
    pub kind: &'static str,
}

/// The platform's own recurring work. Features add theirs (reservation expiry every
/// minute, daily snapshots) next to their handlers.
pub const PLATFORM: &[Schedule] = &[
    Schedule {
        name: "purge-idempotency-keys",
        cron: "0 7 * * * *",
        queue: Queue::Maintenance,
        kind: "maintenance.purge_idempotency_keys",
    },
    Schedule {
        name: "purge-expired-tokens",
        cron: "0 17 * * * *",
        queue: Queue::Maintenance,
        kind: "maintenance.purge_expired_tokens",
    },
    Schedule {
        name: "purge-finished-jobs",
        cron: "0 30 3 * * *",
        queue: Queue::Maintenance,
        kind: "maintenance.purge_finished_jobs",
    },
    Schedule {
        name: "purge-live-events",
        cron: "0 40 3 * * *",
        queue: Queue::Maintenance,
        kind: "maintenance.purge_live_events",
    },
    Schedule {
        name: "purge-notification-outbox",
        cron: "0 50 3 * * *",
        queue: Queue::Maintenance,
        kind: "maintenance.purge_notification_outbox",
    },
    Schedule {
        name: "purge-payment-webhook-events",
        cron: "0 0 4 * * *",
        queue: Queue::Maintenance,
        kind: "maintenance.purge_payment_webhook_events",
    },
    Schedule {
        name: "purge-guest-carts",
        cron: "0 10 4 * * *",
        queue: Queue::Maintenance,
        kind: "maintenance.purge_guest_carts",
    },
    Schedule {
        name: "ledger-partitions",
        cron: "0 15 2 * * *",
        queue: Queue::Maintenance,
        kind: "maintenance.ledger_partitions",
    },
];

pub fn next_after(cron: &str, after: chrono::DateTime<chrono::Utc>) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let schedule = cron::Schedule::from_str(cron).map_err(|e| format!("bad cron expression {cron:?}: {e}"))?;
    schedule.after(&after).next().ok_or_else(|| format!("cron expression {cron:?} never fires again"))
}

/// Writes the declared schedules; a changed expression takes effect from now.
pub async fn install(pool: &PgPool, schedules: &[Schedule]) -> Result<(), sqlx::Error> {
    let now = chrono::Utc::now();
    for s in schedules {
        let next = next_after(s.cron, now).expect("declared schedules are valid (unit-tested)");
        sqlx::query(
            "INSERT INTO job_schedules (name, cron, queue, kind, next_run_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (name) DO UPDATE SET
                 queue = EXCLUDED.queue, kind = EXCLUDED.kind, cron = EXCLUDED.cron,
                 next_run_at = CASE WHEN job_schedules.cron = EXCLUDED.cron THEN job_schedules.next_run_at
                                    ELSE EXCLUDED.next_run_at END",
        )
        .bind(s.name)
        .bind(s.cron)
        .bind(s.queue.as_str())
        .bind(s.kind)
        .bind(next)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Enqueues every due run once; returns how many.
pub async fn tick(pool: &PgPool) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let due: Vec<(String, String, String, String, serde_json::Value, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT name, cron, queue, kind, payload, next_run_at FROM job_schedules
         WHERE enabled AND next_run_at <= now() FOR UPDATE SKIP LOCKED",
    )
    .fetch_all(&mut *tx)
    .await?;
    let now = chrono::Utc::now();
    let mut enqueued = 0;
    for (name, cron, queue, kind, payload, due_at) in due {
        let (Some(queue), Ok(next)) = (Queue::parse(&queue), next_after(&cron, now.max(due_at))) else {
            tracing::error!(schedule = %name, "schedule has an unknown queue or a bad cron expression; disabled");
            sqlx::query("UPDATE job_schedules SET enabled = false WHERE name = $1")
                .bind(&name)
                .execute(&mut *tx)
                .await?;
            continue;
        };
        let mut job = NewJob::new(queue, kind, payload).dedupe_key(format!("schedule:{name}:{}", due_at.timestamp()));
        job.max_attempts = 3;
        app::jobs::enqueue(&mut *tx, job).await?;
        sqlx::query("UPDATE job_schedules SET last_run_at = $2, next_run_at = $3 WHERE name = $1")
            .bind(&name)
            .bind(due_at)
            .bind(next)
            .execute(&mut *tx)
            .await?;
        enqueued += 1;
    }
    tx.commit().await?;
    Ok(enqueued)
}

/// Ticks every second until `stop`.
pub async fn run(pool: PgPool, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !*stop.borrow() {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.changed() => break,
        }
        if let Err(e) = tick(&pool).await {
            tracing::warn!(error = %e, "schedule tick failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_declared_schedule_parses_and_fires() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 26, 3, 35, 0).unwrap();
        let features = [
            super::super::field_jobs::SCHEDULES,
            super::super::farm_jobs::SCHEDULES,
            super::super::kpi_jobs::SCHEDULES,
        ];
        for s in PLATFORM.iter().chain(features.into_iter().flatten()) {
            let next = next_after(s.cron, now).unwrap();
            assert!(next > now && next - now <= chrono::Duration::days(1), "{}", s.name);
        }
        assert_eq!(
            next_after("0 30 3 * * *", now).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 11, 27, 3, 30, 0).unwrap()
        );
        assert_eq!(
            next_after("0 * * * * *", now).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 11, 26, 3, 36, 0).unwrap()
        );
        assert!(next_after("every minute", now).is_err());
    }
}
