//! Retention purges, run as the app runs them: jobs without a tenant, through the real
//! worker, on the app's ordinary role, so row-level security applies. Each must remove
//! what aged out of every tenant (and of none), and keep what is recent or still needed.

use crate::support;

use app::jobs::{NewJob, Queue, enqueue};
use serde_json::json;
use server::jobs::worker::{Worker, WorkerConfig};
use server::jobs::{Registry, maintenance};
use sqlx::PgPool;
use std::time::Duration;
use support::{operator, wait_for};
use uuid::Uuid;

/// Two tenants (and the migrations); the policies really bind this role.
async fn two_tenants(pool: &PgPool) -> (Uuid, Uuid) {
    server::db::migrate(pool).await.unwrap();
    let bypasses: bool =
        sqlx::query_scalar("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(!bypasses, "tests must connect as an ordinary role, as the app does");
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, slug) in [(a, "tenant-a"), (b, "tenant-b")] {
        sqlx::query("INSERT INTO tenants (id, slug, name, kind) VALUES ($1, $2, $2, 'store')")
            .bind(id)
            .bind(slug)
            .execute(pool)
            .await
            .unwrap();
    }
    (a, b)
}

/// Enqueues `kind` as its schedule does (no tenant) and runs the worker until that job
/// and every continuation it enqueued has finished; how many runs it took.
async fn purge(pool: &PgPool, kind: &str, payload: serde_json::Value) -> i64 {
    let mut config = WorkerConfig::new(1, Duration::from_secs(10));
    config.poll = Duration::from_millis(100);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = Worker::new(pool.clone(), maintenance::register(Registry::new()), config).spawn(stopped);
    enqueue(pool, NewJob::new(Queue::Maintenance, kind, payload)).await.unwrap();
    wait_for("the purge and its continuations", Duration::from_secs(20), async || {
        let open: i64 =
            sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = $1 AND status IN ('queued', 'running')")
                .bind(kind)
                .fetch_one(pool)
                .await
                .unwrap();
        open == 0
    })
    .await;
    stop.send(true).unwrap();
    worker.await.unwrap();
    let (succeeded, failed): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'succeeded' AND last_error IS NULL), count(*) FILTER (WHERE status = 'dead' OR last_error IS NOT NULL)
         FROM jobs WHERE kind = $1",
    )
    .bind(kind)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(failed, 0, "{kind} failed");
    succeeded
}

/// What is left of `column` in `table`, across tenants, sorted.
async fn left(pool: &PgPool, table: &str, column: &str) -> Vec<String> {
    let mut tx = operator(pool).await;
    sqlx::query_scalar(&format!("SELECT {column}::text FROM {table} ORDER BY 1")).fetch_all(&mut *tx).await.unwrap()
}

#[sqlx::test(migrations = false)]
async fn live_events_purge_crosses_tenants(pool: PgPool) {
    let (a, b) = two_tenants(&pool).await;
    let mut tx = operator(&pool).await;
    let rows: [(Option<Uuid>, &str, &str); 8] = [
        (Some(a), "old-a-1", "10 days"),
        (Some(a), "old-a-2", "4 days"),
        (Some(b), "old-b-1", "10 days"),
        (Some(b), "old-b-2", "30 days"),
        (None, "old-person", "10 days"),
        (Some(a), "recent-a", "1 hour"),
        (Some(b), "recent-b", "2 days"),
        (None, "recent-person", "1 minute"),
    ];
    for (tenant, label, age) in rows {
        let topic = match tenant {
            Some(t) => format!("tenant:{t}:ops"),
            None => format!("user:{}", Uuid::now_v7()),
        };
        sqlx::query(
            "INSERT INTO live_events (tenant_id, topic, kind, data, created_at)
             VALUES ($1, $2, 'order.changed', jsonb_build_object('label', $3::text), now() - $4::interval)",
        )
        .bind(tenant)
        .bind(topic)
        .bind(label)
        .bind(age)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    sqlx::query_scalar::<_, i64>("SELECT number_live_events()").fetch_one(&mut *operator(&pool).await).await.unwrap();

    // Batches of two: the five old events take three runs, each its own transaction.
    let runs = purge(&pool, "maintenance.purge_live_events", json!({ "batch": 2 })).await;
    assert_eq!(
        left(&pool, "live_events", "data->>'label'").await,
        ["recent-a", "recent-b", "recent-person"],
        "every tenant's old events are gone, recent ones stay"
    );
    assert_eq!(runs, 3, "a full batch continues in a run of its own");
}

#[sqlx::test(migrations = false)]
async fn outbox_retention_keeps_pending(pool: PgPool) {
    let (a, b) = two_tenants(&pool).await;
    let mut tx = operator(&pool).await;
    let rows: [(Option<Uuid>, &str, &str, &str); 10] = [
        (Some(a), "old-delivered-a", "delivered", "100 days"),
        (Some(b), "old-failed-b", "failed", "100 days"),
        (Some(b), "old-read-b", "read", "200 days"),
        (Some(a), "old-sent-a", "sent", "100 days"),
        (None, "old-code", "delivered", "100 days"),
        (Some(a), "old-queued-a", "queued", "100 days"),
        (Some(b), "old-queued-b", "queued", "400 days"),
        (Some(a), "recent-delivered-a", "delivered", "10 days"),
        (Some(b), "recent-failed-b", "failed", "1 day"),
        (Some(b), "old-slip-b", "delivered", "100 days"),
    ];
    for (tenant, label, status, age) in rows {
        sqlx::query(
            "INSERT INTO notification_outbox (id, tenant_id, channel, recipient, template, body, status, created_at, updated_at)
             VALUES ($1, $2, 'sms', '+919800000001', $3, 'hello', $4, now() - $5::interval, now() - $5::interval)",
        )
        .bind(Uuid::now_v7())
        .bind(tenant)
        .bind(label)
        .bind(status)
        .bind(age)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    // An old message whose status changed lately (a late read receipt) is not old.
    sqlx::query(
        "INSERT INTO notification_outbox (id, tenant_id, channel, recipient, template, body, status, created_at, updated_at)
         VALUES ($1, $2, 'sms', '+919800000001', 'old-but-read-lately-a', 'hello', 'read', now() - interval '100 days', now())",
    )
    .bind(Uuid::now_v7())
    .bind(a)
    .execute(&mut *tx)
    .await
    .unwrap();
    // A settlement slip's message is part of the ledger's books: kept.
    let farmer = Uuid::now_v7();
    sqlx::query("INSERT INTO ledger_farmers (tenant_id, id, farmer_no, name_en) VALUES ($1, $2, 1, 'Grower')")
        .bind(b)
        .bind(farmer)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO ledger_settlements (tenant_id, id, number, farmer_id, period_from, period_to, status, entry_count,
             quantity_kg, gross, commission_percent, commission, fee_per_entry, fee_per_kg, fees, advance_recovered,
             net_payable, language, message_id, generated_by, entries_through_seq)
         SELECT $1, $2, 'S-1', $3, current_date, current_date, 'generated', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'ta', o.id, $2, 0
         FROM notification_outbox o WHERE o.template = 'old-slip-b'",
    )
    .bind(b)
    .bind(Uuid::now_v7())
    .bind(farmer)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    purge(&pool, "maintenance.purge_notification_outbox", json!({})).await;
    assert_eq!(
        left(&pool, "notification_outbox", "template").await,
        [
            "old-but-read-lately-a",
            "old-queued-a",
            "old-queued-b",
            "old-slip-b",
            "recent-delivered-a",
            "recent-failed-b"
        ],
        "finished old messages of every tenant are gone; pending, recent and referenced ones stay"
    );
}

#[sqlx::test(migrations = false)]
async fn webhook_events_retention_keeps_unapplied(pool: PgPool) {
    let (a, b) = two_tenants(&pool).await;
    let mut tx = operator(&pool).await;
    let rows: [(Option<Uuid>, &str, bool, &str); 7] = [
        (Some(a), "old-applied-a", true, "100 days"),
        (Some(b), "old-applied-b", true, "200 days"),
        (None, "old-applied-unknown-order", true, "100 days"),
        (Some(a), "old-unapplied-a", false, "100 days"),
        (None, "old-unapplied", false, "300 days"),
        (Some(a), "recent-applied-a", true, "10 days"),
        (Some(b), "recent-applied-b", true, "1 hour"),
    ];
    for (tenant, id, applied, age) in rows {
        sqlx::query(
            "INSERT INTO payment_webhook_events (event_id, tenant_id, event, payload, received_at, applied_at, outcome)
             VALUES ($1, $2, 'payment.captured', '{}', now() - $4::interval,
                     CASE WHEN $3 THEN now() - $4::interval END, CASE WHEN $3 THEN 'applied' END)",
        )
        .bind(id)
        .bind(tenant)
        .bind(applied)
        .bind(age)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    purge(&pool, "maintenance.purge_payment_webhook_events", json!({})).await;
    assert_eq!(
        left(&pool, "payment_webhook_events", "event_id").await,
        ["old-unapplied", "old-unapplied-a", "recent-applied-a", "recent-applied-b"],
        "applied old events of every tenant are gone; unapplied and recent ones stay"
    );
}

#[sqlx::test(migrations = false)]
async fn guest_cart_retention_keeps_active_and_owned_carts(pool: PgPool) {
    let (a, b) = two_tenants(&pool).await;
    let person = Uuid::now_v7();
    sqlx::query("INSERT INTO users (id, email, display_name) VALUES ($1, 'shopper@example.com', 'Shopper')")
        .bind(person)
        .execute(&pool)
        .await
        .unwrap();
    let mut tx = operator(&pool).await;
    let rows: [(Uuid, &str, Option<Uuid>, &str); 6] = [
        (a, "00000000-0000-0000-0000-00000000000a", None, "40 days"),
        (b, "00000000-0000-0000-0000-00000000000b", None, "90 days"),
        (a, "00000000-0000-0000-0000-0000000000a2", None, "31 days"),
        (a, "00000000-0000-0000-0000-000000000001", Some(person), "200 days"),
        (b, "00000000-0000-0000-0000-000000000002", None, "29 days"),
        (a, "00000000-0000-0000-0000-000000000003", None, "1 hour"),
    ];
    for (tenant, id, user, age) in rows {
        sqlx::query(
            "INSERT INTO carts (tenant_id, id, user_id, created_at, updated_at)
             VALUES ($1, $2::uuid, $3, now() - $4::interval, now() - $4::interval)",
        )
        .bind(tenant)
        .bind(id)
        .bind(user)
        .bind(age)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    purge(&pool, "maintenance.purge_guest_carts", json!({})).await;
    assert_eq!(
        left(&pool, "carts", "id").await,
        [
            "00000000-0000-0000-0000-000000000001",
            "00000000-0000-0000-0000-000000000002",
            "00000000-0000-0000-0000-000000000003"
        ],
        "idle guest carts of every tenant are gone; a person's cart and active ones stay"
    );
}

#[sqlx::test(migrations = false)]
async fn retention_refuses_a_batch_size_out_of_bounds(pool: PgPool) {
    two_tenants(&pool).await;
    let id = enqueue(&pool, NewJob::new(Queue::Maintenance, "maintenance.purge_live_events", json!({ "batch": 0 })))
        .await
        .unwrap();
    let mut config = WorkerConfig::new(1, Duration::from_secs(10));
    config.poll = Duration::from_millis(100);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = Worker::new(pool.clone(), maintenance::register(Registry::new()), config).spawn(stopped);
    wait_for("the job to be refused", Duration::from_secs(20), async || {
        let status: String =
            sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1").bind(id).fetch_one(&pool).await.unwrap();
        status == "dead"
    })
    .await;
    stop.send(true).unwrap();
    worker.await.unwrap();
    let error: String =
        sqlx::query_scalar("SELECT last_error FROM jobs WHERE id = $1").bind(id).fetch_one(&pool).await.unwrap();
    assert!(error.contains("batch"), "{error}");
}
