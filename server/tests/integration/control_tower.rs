//! The control tower (`/control`): each panel's server function and its access rule,
//! the tower's own acts (assign, acknowledge and resolve alerts; retry or discard dead
//! letters; retry failed messages) with their conflicts, and what reaches it live.

use crate::checkout::{add, checkout, customer, pay, shop, stocked};
use crate::support::{self, TestApp, wait_for};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

/// A server function called as an island calls it (URL-encoded), signed in by `token`.
async fn call(app: &TestApp, path: &str, form: &[(&str, &str)], token: Option<&str>) -> (u16, Value) {
    let cookie = token.map(|t| format!("mandi_session={t}"));
    let r = app.call_fn(path, form, cookie.as_deref()).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A token for a new person with `role` in tenant `slug`.
async fn token_in(pool: &PgPool, slug: &str, role: &str) -> (Uuid, String) {
    let id = support::person_with_roles(pool, slug, &[role]).await;
    let keys = support::signing_keys();
    (id, keys.issue(id, Uuid::now_v7(), slug, vec![role.into()], support::now_secs()).unwrap().0)
}

/// The kind of a server function's error (`validation`, `conflict`, …).
fn error_code(body: &Value) -> String {
    body["kind"].as_str().unwrap_or_default().to_string()
}

#[sqlx::test(migrations = false)]
async fn every_panel_answers_ops_and_admins_of_the_tenant_and_nobody_else(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let panels = [
        "/_fn/control/tower",
        "/_fn/control/orders",
        "/_fn/control/inventory",
        "/_fn/control/alerts",
        "/_fn/control/jobs",
        "/_fn/control/notifications",
        "/_fn/control/kpis",
        "/_fn/control/market",
        "/_fn/control/field",
    ];
    for path in panels {
        assert_eq!(call(&app, path, &[], None).await.0, 401, "{path} anonymous");
        for role in ["customer", "staff", "field_agent", "farmer"] {
            let (_, token) = token_in(&pool, "greenharvest", role).await;
            assert_eq!(call(&app, path, &[], Some(&token)).await.0, 403, "{path} as {role}");
        }
        for role in ["ops", "admin"] {
            let (_, token) = token_in(&pool, "greenharvest", role).await;
            let (status, body) = call(&app, path, &[], Some(&token)).await;
            assert_eq!(status, 200, "{path} as {role}: {body}");
        }
    }
    // A store's tower has orders and stock; an estate's does not.
    let (_, store_ops) = token_in(&pool, "greenharvest", "ops").await;
    let (_, tower) = call(&app, "/_fn/control/tower", &[], Some(&store_ops)).await;
    assert_eq!(tower["kind"], "store");
    assert!(tower["orders"]["by_state"].as_array().is_some_and(|s| s.len() == 9), "{tower}");
    assert!(tower["inventory"].is_object());
    let (_, estate_ops) = token_in(&pool, "darjberry", "ops").await;
    let (_, tower) = call(&app, "/_fn/control/tower", &[], Some(&estate_ops)).await;
    assert_eq!(tower["kind"], "estate");
    assert!(tower["orders"].is_null() && tower["inventory"].is_null());
    // The page itself: signed out goes to sign in; ops see the panels; the header links it.
    let r = app.get_html_with_cookies("/control", "").await;
    assert_eq!(r.status().as_u16(), 302);
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/login"));
    let html = app.get_html_with_cookies("/control", &format!("mandi_session={store_ops}")).await.text().await.unwrap();
    for panel in [
        "orders-panel",
        "inventory-panel",
        "alerts-panel",
        "jobs-panel",
        "notifications-panel",
        "kpi-panel",
        "control-link",
    ] {
        assert!(html.contains(panel), "{panel} on the page");
    }
}

#[sqlx::test(migrations = false)]
async fn orders_panel_counts_each_state_and_shows_the_stuck_and_acting_on_a_moved_order_is_a_conflict(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let shop = shop(&pool).await;
    let (_, v) = stocked(&pool, &shop, 30, &[(1, "120.00")]).await;
    let (_, customer) = customer(&pool).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        add(&app, &customer, v[0], json!(1)).await;
        let (_, placed) = checkout(&app, &customer).await;
        let id = placed["data"]["orderId"].as_str().unwrap().to_string();
        pay(&app, &customer, &id, true).await;
        ids.push(id);
    }
    let (_, ops) = token_in(&pool, "greenharvest", "ops").await;
    let (status, panel) = call(&app, "/_fn/control/orders", &[], Some(&ops)).await;
    assert_eq!(status, 200, "{panel}");
    let paid =
        |panel: &Value| panel["by_state"].as_array().unwrap().iter().find(|c| c["state"] == "paid").unwrap().clone();
    let mut tx = support::operator(&pool).await;
    let expected: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM orders o JOIN tenants t ON t.id = o.tenant_id AND t.slug = 'greenharvest' WHERE o.state = 'paid'",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(paid(&panel)["count"], expected);
    assert!(panel["newest"].as_array().unwrap().iter().any(|o| o["id"] == ids[1].as_str()));
    // One order has sat paid for three hours: past the two-hour limit, so it is stuck.
    sqlx::query("UPDATE orders SET updated_at = now() - interval '3 hours' WHERE id = $1::uuid")
        .bind(&ids[0])
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (_, panel) = call(&app, "/_fn/control/orders", &[], Some(&ops)).await;
    assert!(paid(&panel)["stuck"].as_i64().unwrap() >= 1);
    let stuck: Vec<&Value> = panel["stuck"].as_array().unwrap().iter().collect();
    assert!(stuck.iter().any(|o| o["id"] == ids[0].as_str() && o["stuck"] == true), "{panel}");
    assert!(stuck.iter().all(|o| o["id"] != ids[1].as_str()));
    // Packed from the tower; packing it again (someone else was faster) is a clear refusal.
    let act = |id: &str, action: &str| {
        let body = json!({ "id": id, "action": action });
        let (app, ops) = (&app, ops.clone());
        async move {
            let r = app
                .client
                .post(app.url("/_fn/orders/act"))
                .header("cookie", format!("mandi_session={ops}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_eq!(act(&ids[0], "pack").await, (200, json!("packed")));
    let (status, body) = act(&ids[0], "pack").await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("packed"), "{body}");
}

#[sqlx::test(migrations = false)]
async fn alerts_are_acknowledged_assigned_and_resolved_with_who_and_when(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (ops_id, ops) = token_in(&pool, "greenharvest", "ops").await;
    let (agent, _) = token_in(&pool, "greenharvest", "staff").await;
    let (stranger, _) = token_in(&pool, "darjberry", "ops").await;
    let mut tx = support::operator(&pool).await;
    let alert: Uuid = sqlx::query_scalar(
        "INSERT INTO alerts (tenant_id, kind, severity, subject_type, subject_id, title)
         SELECT id, 'cold_chain_excursion', 'critical', 'batch', 'LOT-1', 'Lot LOT-1 at 9 °C' FROM tenants
         WHERE slug = 'greenharvest' RETURNING id",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let theirs: Uuid = sqlx::query_scalar(
        "INSERT INTO alerts (tenant_id, kind, severity, subject_type, subject_id, title)
         SELECT id, 'no_recent_visit', 'warning', 'farm', 'x', '<script>alert(1)</script>' FROM tenants
         WHERE slug = 'darjberry' RETURNING id",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (_, panel) = call(&app, "/_fn/control/alerts", &[], Some(&ops)).await;
    let ids: Vec<&str> = panel["page"].as_array().unwrap().iter().map(|a| a["alert"]["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&alert.to_string().as_str()) && !ids.contains(&theirs.to_string().as_str()), "{panel}");
    assert!(panel["open_by_severity"][0].as_i64().unwrap() >= 1);
    assert!(panel["people"].as_array().unwrap().iter().any(|p| p["id"] == agent.to_string()));
    assert!(panel["people"].as_array().unwrap().iter().all(|p| p["id"] != stranger.to_string()));

    let id = alert.to_string();
    let assign = |to: String| {
        let (app, ops, id) = (&app, ops.clone(), id.clone());
        async move { call(app, "/_fn/control/alert/assign", &[("id", &id), ("assignee", &to)], Some(&ops)).await }
    };
    let (status, body) = assign(agent.to_string()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["assigned_to"]["id"], agent.to_string());
    // Only the tenant's own people; junk is named.
    let (status, body) = assign(stranger.to_string()).await;
    assert_eq!((status, error_code(&body)), (400, "validation".into()), "{body}");
    assert_eq!(assign("junk".into()).await.0, 400);
    // Another tenant's alert, or none, is not found.
    let (status, _) = call(
        &app,
        "/_fn/control/alert/assign",
        &[("id", &theirs.to_string()), ("assignee", &agent.to_string())],
        Some(&ops),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(call(&app, "/_fn/control/alert/acknowledge", &[("id", "nope")], Some(&ops)).await.0, 404);

    assert_eq!(call(&app, "/_fn/control/alert/acknowledge", &[("id", &id)], Some(&ops)).await.0, 200);
    let (status, _) =
        call(&app, "/_fn/control/alert/resolve", &[("id", &id), ("resolution", "moved to the cold room")], Some(&ops))
            .await;
    assert_eq!(status, 200);
    let mut tx = support::operator(&pool).await;
    let row: (Option<Uuid>, Option<Uuid>, Option<Uuid>, Option<String>) =
        sqlx::query_as("SELECT acknowledged_by, resolved_by, assigned_to, resolution FROM alerts WHERE id = $1")
            .bind(alert)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(row, (Some(ops_id), Some(ops_id), Some(agent), Some("moved to the cold room".into())));
    assert_eq!(support::audit_count(&pool, "alert.assigned").await, 1);
    // A resolved alert leaves the queue; assigning it now is a conflict.
    let (_, panel) = call(&app, "/_fn/control/alerts", &[], Some(&ops)).await;
    assert!(panel["page"].as_array().unwrap().iter().all(|a| a["alert"]["id"] != id.as_str()));
    let (status, body) = assign(String::new()).await;
    assert_eq!((status, error_code(&body)), (409, "conflict".into()), "{body}");
    // Staff (no alerts permission) may not act.
    let (_, staff) = token_in(&pool, "greenharvest", "staff").await;
    assert_eq!(call(&app, "/_fn/control/alert/acknowledge", &[("id", &id)], Some(&staff)).await.0, 403);
}

#[sqlx::test(migrations = false)]
async fn the_alert_queue_pages_through_thousands_without_repeating_one(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (_, ops) = token_in(&pool, "greenharvest", "ops").await;
    let mut tx = support::operator(&pool).await;
    sqlx::query(
        "INSERT INTO alerts (tenant_id, kind, severity, subject_type, subject_id, title, opened_at)
         SELECT t.id, 'low_stock', 'warning', 'stock_item', 'item-' || n, 'Low stock ' || n,
                now() - make_interval(secs => n % 7)
         FROM tenants t, generate_series(1, 2000) n WHERE t.slug = 'greenharvest'",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM alerts a JOIN tenants t ON t.id = a.tenant_id AND t.slug = 'greenharvest'
         WHERE a.resolved_at IS NULL",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut cursor = String::new();
    loop {
        let (status, panel) = call(&app, "/_fn/control/alerts", &[("cursor", &cursor)], Some(&ops)).await;
        assert_eq!(status, 200, "{panel}");
        let page = panel["page"].as_array().unwrap();
        assert!(page.len() <= 25);
        for a in page {
            assert!(seen.insert(a["alert"]["id"].as_str().unwrap().to_string()), "repeated across pages");
        }
        match panel["next"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen.len() as i64, open);
    let (status, body) = call(&app, "/_fn/control/alerts", &[("cursor", "yesterday")], Some(&ops)).await;
    assert_eq!(status, 400, "{body}");
}

#[sqlx::test(migrations = false)]
async fn dead_letters_of_the_tenant_are_retried_or_discarded_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (_, ops) = token_in(&pool, "greenharvest", "ops").await;
    let mut tx = support::operator(&pool).await;
    let jobs: Vec<(i64,)> = sqlx::query_as(
        "INSERT INTO jobs (queue, kind, tenant_id, status, attempts, max_attempts, last_error, finished_at)
         SELECT 'reports', 'tower.test', t.id, 'dead', 3, 3, 'the report server said 500', now()
         FROM tenants t, generate_series(1, 2) WHERE t.slug = 'greenharvest'
         UNION ALL
         SELECT 'reports', 'tower.theirs', t.id, 'dead', 3, 3, 'theirs', now() FROM tenants t WHERE t.slug = 'darjberry'
         UNION ALL
         SELECT 'reports', 'tower.platform', NULL, 'dead', 3, 3, 'platform', now()
         RETURNING id",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (retry, discard, theirs, platform) = (jobs[0].0, jobs[1].0, jobs[2].0, jobs[3].0);
    let (_, panel) = call(&app, "/_fn/control/jobs", &[], Some(&ops)).await;
    let dead: Vec<i64> = panel["dead"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect();
    assert!(dead.contains(&retry) && dead.contains(&discard), "{panel}");
    assert!(!dead.contains(&theirs) && !dead.contains(&platform), "only the tenant's own: {panel}");
    let reports = panel["queues"].as_array().unwrap().iter().find(|q| q["queue"] == "reports").unwrap();
    assert_eq!(reports["dead"], 2);
    assert!(panel["dead"][0]["last_error"].as_str().unwrap().contains("500"));

    let act = |id: i64, action: &'static str| {
        let (app, ops) = (&app, ops.clone());
        async move { call(app, "/_fn/control/job", &[("id", &id.to_string()), ("action", action)], Some(&ops)).await }
    };
    assert_eq!(act(retry, "retry").await.0, 200);
    assert_eq!(act(discard, "discard").await.0, 200);
    let (status, body) = act(discard, "retry").await;
    assert_eq!((status, error_code(&body)), (409, "conflict".into()), "{body}");
    assert_eq!(act(theirs, "retry").await.0, 404);
    assert_eq!(act(platform, "discard").await.0, 404);
    assert_eq!(act(retry, "explode").await.0, 400);
    assert_eq!(call(&app, "/_fn/control/job", &[("id", "x"), ("action", "retry")], Some(&ops)).await.0, 404);
    let statuses: Vec<(i64, String)> = sqlx::query_as("SELECT id, status FROM jobs WHERE id = ANY($1) ORDER BY id")
        .bind(vec![retry, discard])
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(statuses[1].1, "discarded");
    assert_ne!(statuses[0].1, "dead");
    assert_eq!(support::audit_count(&pool, "job.discarded").await, 1);
    // Staff may not; ops of the tenant may.
    let (_, staff) = token_in(&pool, "greenharvest", "staff").await;
    assert_eq!(call(&app, "/_fn/control/job", &[("id", "1"), ("action", "retry")], Some(&staff)).await.0, 403);
}

#[sqlx::test(migrations = false)]
async fn failed_messages_show_by_channel_and_are_sent_again(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (_, ops) = token_in(&pool, "greenharvest", "ops").await;
    let mut tx = support::operator(&pool).await;
    let failed: Uuid = sqlx::query_scalar(
        "INSERT INTO notification_outbox (id, tenant_id, channel, recipient, template, body, status, attempts, last_error)
         SELECT gen_random_uuid(), id, 'sms', '+919840010001', 'order_shipped', 'x', 'failed', 8, 'gateway said no'
         FROM tenants WHERE slug = 'greenharvest' RETURNING id",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (_, panel) = call(&app, "/_fn/control/notifications", &[], Some(&ops)).await;
    let sms = panel["channels"].as_array().unwrap().iter().find(|c| c["channel"] == "sms").unwrap();
    assert!(sms["failed"].as_i64().unwrap() >= 1, "{panel}");
    assert!(panel["failures"].as_array().unwrap().iter().any(|m| m["id"] == failed.to_string()));
    let id = failed.to_string();
    assert_eq!(call(&app, "/_fn/control/message/retry", &[("id", &id)], Some(&ops)).await.0, 200);
    let (status, body) = call(&app, "/_fn/control/message/retry", &[("id", &id)], Some(&ops)).await;
    assert_eq!((status, error_code(&body)), (409, "conflict".into()), "{body}");
    assert_eq!(
        call(&app, "/_fn/control/message/retry", &[("id", &Uuid::now_v7().to_string())], Some(&ops)).await.0,
        404
    );
}

#[sqlx::test(migrations = false)]
async fn a_change_of_stock_reaches_the_tower_stream_and_its_panel(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (_, ops) = token_in(&pool, "greenharvest", "ops").await;
    let shop = shop(&pool).await;
    let (item, v) = stocked(&pool, &shop, 3, &[(1, "50.00")]).await;
    let mut tx = support::operator(&pool).await;
    sqlx::query("UPDATE stock_items SET low_stock_threshold = 5 WHERE id = $1")
        .bind(item)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (_, panel) = call(&app, "/_fn/control/inventory", &[], Some(&ops)).await;
    assert!(panel["low"].as_array().unwrap().iter().any(|l| l["stock_item_id"] == item.to_string()), "{panel}");
    let topic = format!("tenant:{}:ops", shop.tenant);
    let before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM live_events WHERE topic = $1 AND kind = 'stock.changed'")
            .bind(&topic)
            .fetch_one(&mut *support::operator(&pool).await)
            .await
            .unwrap();
    // A shopper's checkout holds stock: the tower hears of it, and counts the hold.
    let (_, customer) = customer(&pool).await;
    add(&app, &customer, v[0], json!(1)).await;
    let (status, placed) = checkout(&app, &customer).await;
    assert_eq!(status, 201, "{placed}");
    wait_for("a stock event on the tower's stream", Duration::from_secs(5), async || {
        let now: i64 =
            sqlx::query_scalar("SELECT count(*) FROM live_events WHERE topic = $1 AND kind = 'stock.changed'")
                .bind(&topic)
                .fetch_one(&mut *support::operator(&pool).await)
                .await
                .unwrap();
        now > before
    })
    .await;
    let (_, panel) = call(&app, "/_fn/control/inventory", &[], Some(&ops)).await;
    assert!(panel["holds"].as_i64().unwrap() >= 1, "{panel}");
}

/// Recomputes the marked KPI days now, as the every-minute job would.
async fn rollup(pool: &PgPool) -> usize {
    let mut tx = support::operator(pool).await;
    let days = app::control::kpi_service::rollup(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    days
}

fn decimal(v: &Value) -> rust_decimal::Decimal {
    v.as_str().unwrap_or_else(|| panic!("a decimal string: {v}")).parse().unwrap()
}

#[sqlx::test(migrations = false)]
async fn kpis_come_from_daily_rows_and_a_late_refund_changes_the_day_it_was_ordered(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (_, ops) = token_in(&pool, "greenharvest", "ops").await;
    let shop = shop(&pool).await;
    let (_, v) = stocked(&pool, &shop, 30, &[(1, "120.00")]).await;
    let (_, customer) = customer(&pool).await;
    for _ in 0..2 {
        add(&app, &customer, v[0], json!(1)).await;
        let (_, placed) = checkout(&app, &customer).await;
        pay(&app, &customer, placed["data"]["orderId"].as_str().unwrap(), true).await;
    }
    rollup(&pool).await;
    let (status, panel) = call(&app, "/_fn/control/kpis", &[], Some(&ops)).await;
    assert_eq!(status, 200, "{panel}");
    assert_eq!(panel["kind"], "store");
    // Today's figures are those of today's paid orders, as the orders themselves say.
    let mut tx = support::operator(&pool).await;
    let (count, gmv): (i64, rust_decimal::Decimal) = sqlx::query_as(
        "SELECT count(*), coalesce(sum(total), 0) FROM orders
         WHERE tenant_id = $1 AND paid_at IS NOT NULL AND store_day(created_at) = store_day(now())",
    )
    .bind(shop.tenant)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert!(count >= 2);
    assert_eq!(decimal(&panel["summary"]["today"]["orders"]), count.into(), "{panel}");
    assert_eq!(decimal(&panel["summary"]["today"]["gmv"]), gmv);
    assert!(panel["chart"].as_str().is_some_and(|svg| svg.starts_with("<svg")), "{panel}");
    assert!(panel["computed_at"].is_string());

    // An order delivered three days ago is refunded in full today: its day changes.
    let (order, total, day): (Uuid, rust_decimal::Decimal, chrono::NaiveDate) = sqlx::query_as(
        "SELECT id, total, store_day(created_at) FROM orders
         WHERE tenant_id = $1 AND state = 'delivered' AND refunded_amount = 0 AND created_at < now() - interval '2 days'
         ORDER BY created_at LIMIT 1",
    )
    .bind(shop.tenant)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let refunded_before: rust_decimal::Decimal =
        sqlx::query_scalar("SELECT refunded FROM kpi_days WHERE tenant_id = $1 AND day = $2")
            .bind(shop.tenant)
            .bind(day)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    sqlx::query("UPDATE orders SET state = 'refunded', refunded_amount = total, updated_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(shop.tenant)
        .bind(order)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let before = panel["summary"]["last_7"]["refund_rate"].clone();
    let live_before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM live_events WHERE topic = $1 AND kind = 'kpi.updated'")
            .bind(format!("tenant:{}:ops", shop.tenant))
            .fetch_one(&mut *support::operator(&pool).await)
            .await
            .unwrap();
    assert!(rollup(&pool).await >= 1);
    let mut tx = support::operator(&pool).await;
    let refunded_after: rust_decimal::Decimal =
        sqlx::query_scalar("SELECT refunded FROM kpi_days WHERE tenant_id = $1 AND day = $2")
            .bind(shop.tenant)
            .bind(day)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(refunded_after, refunded_before + total);
    let live_after: i64 =
        sqlx::query_scalar("SELECT count(*) FROM live_events WHERE topic = $1 AND kind = 'kpi.updated'")
            .bind(format!("tenant:{}:ops", shop.tenant))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert!(live_after > live_before, "the tower is told");
    let (_, panel) = call(&app, "/_fn/control/kpis", &[], Some(&ops)).await;
    assert_ne!(panel["summary"]["last_7"]["refund_rate"], before, "{panel}");

    // Over every day the rows add up to the orders themselves.
    let (rows, sums): ((i64, rust_decimal::Decimal, rust_decimal::Decimal), (i64, rust_decimal::Decimal, rust_decimal::Decimal)) = (
        sqlx::query_as("SELECT sum(orders)::int8, sum(gmv), sum(refunded) FROM kpi_days WHERE tenant_id = $1")
            .bind(shop.tenant)
            .fetch_one(&mut *tx)
            .await
            .unwrap(),
        sqlx::query_as(
            "SELECT count(*), sum(total), sum(refunded_amount) FROM orders WHERE tenant_id = $1 AND paid_at IS NOT NULL",
        )
        .bind(shop.tenant)
        .fetch_one(&mut *tx)
        .await
        .unwrap(),
    );
    assert_eq!(rows, sums);
    // Nothing left to do: a run with no marks writes nothing.
    tx.commit().await.unwrap();
    assert_eq!(rollup(&pool).await, 0);

    // An estate's panel is its farm revenue, none of the store's sales.
    let (_, estate_ops) = token_in(&pool, "darjberry", "ops").await;
    let (_, estate) = call(&app, "/_fn/control/kpis", &[], Some(&estate_ops)).await;
    assert_eq!(estate["kind"], "estate");
    assert_eq!(decimal(&estate["summary"]["last_30"]["gmv"]), rust_decimal::Decimal::ZERO, "{estate}");
    assert!(decimal(&estate["summary"]["last_30"]["farm_revenue"]) > rust_decimal::Decimal::ZERO, "{estate}");
}

#[sqlx::test(migrations = false)]
async fn a_markets_tower_shows_todays_flowers_and_settlements_by_stage_live(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (_, ops) = token_in(&pool, "malar", "ops").await;
    let (status, tower) = call(&app, "/_fn/control/tower", &[], Some(&ops)).await;
    assert_eq!(status, 200, "{tower}");
    assert_eq!(tower["kind"], "market");
    assert!(tower["orders"].is_null() && tower["market"].is_object(), "{tower}");
    let (status, panel) = call(&app, "/_fn/control/market", &[], Some(&ops)).await;
    assert_eq!(status, 200, "{panel}");
    let mut tx = support::operator(&pool).await;
    let tenant: Uuid =
        sqlx::query_scalar("SELECT id FROM tenants WHERE slug = 'malar'").fetch_one(&mut *tx).await.unwrap();
    let entries: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ledger_entries WHERE tenant_id = $1 AND market_date = $2::date AND status = 'recorded'",
    )
    .bind(tenant)
    .bind(panel["market_date"].as_str().unwrap())
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(panel["total"]["entries"], entries, "{panel}");
    let flower_entries: i64 =
        panel["flowers"].as_array().unwrap().iter().map(|f| f["tally"]["entries"].as_i64().unwrap()).sum();
    assert_eq!(flower_entries, entries);
    let stage = |panel: &Value, name: &str| panel[name]["count"].as_i64().unwrap();
    assert_eq!(stage(&panel, "generated"), 0);

    // The morning is settled: the tower hears of it and counts the slips to approve.
    let topic = format!("tenant:{tenant}:ops");
    let events = async |kind: &str| -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM live_events WHERE topic = $1 AND kind = $2")
            .bind(&topic)
            .bind(kind)
            .fetch_one(&mut *support::operator(&pool).await)
            .await
            .unwrap()
    };
    let before = events("settlement.changed").await;
    let admin = support::access_token(&app, "admin@malar.demo").await;
    let day = server::demo::market::demo_day(chrono::Utc::now()).to_string();
    let (status, outcome) =
        app.post_json("/api/v1/ledger/settlements", &json!({ "from": day, "to": day }), Some(&admin)).await;
    assert_eq!(status, 201, "{outcome}");
    let made = outcome["data"]["settlements"].as_array().unwrap();
    assert!(events("settlement.changed").await > before, "the tower is told");
    let (_, panel) = call(&app, "/_fn/control/market", &[], Some(&ops)).await;
    assert_eq!(stage(&panel, "generated"), made.len() as i64, "{panel}");
    let net: rust_decimal::Decimal = made.iter().map(|s| decimal(&s["netPayable"])).sum();
    assert_eq!(decimal(&panel["generated"]["net_payable"]), net);

    // The market's KPIs count the settlements generated today.
    rollup(&pool).await;
    let (_, kpis) = call(&app, "/_fn/control/kpis", &[], Some(&ops)).await;
    assert_eq!(kpis["kind"], "market");
    assert_eq!(decimal(&kpis["summary"]["today"]["settlements"]), rust_decimal::Decimal::from(made.len()), "{kpis}");
    assert_eq!(decimal(&kpis["summary"]["today"]["settled"]), net);

    // Another tenant's ops read their own market panel: a store has none to show.
    let (_, store_ops) = token_in(&pool, "greenharvest", "ops").await;
    let (_, theirs) = call(&app, "/_fn/control/market", &[], Some(&store_ops)).await;
    assert_eq!(theirs["total"]["entries"], 0, "{theirs}");
}

#[sqlx::test(migrations = false)]
async fn an_estates_tower_lists_tasks_due_and_overdue_per_agent_and_reassigns_them(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ops = support::access_token(&app, "ops@darjberry.demo").await;
    let cookie_ops = {
        let (_, t) = token_in(&pool, "darjberry", "ops").await;
        t
    };
    let farm: String = sqlx::query_scalar(
        "SELECT f.slug FROM farms f JOIN tenants t ON t.id = f.tenant_id WHERE t.slug = 'darjberry' ORDER BY f.slug LIMIT 1",
    )
    .fetch_one(&mut *support::operator(&pool).await)
    .await
    .unwrap();
    let today = app::domain::distribution::ist_date(chrono::Utc::now());
    let (status, made) = app
        .post_json(
            "/api/v1/field/tasks",
            &json!({ "farm": farm, "kind": "custom", "title": "Mend the <b>fence</b>", "dueOn": today.to_string() }),
            Some(&ops),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let task = made["data"][0]["id"].as_str().unwrap().to_string();
    // Due three days ago and still open: overdue.
    let mut tx = support::operator(&pool).await;
    sqlx::query("UPDATE field_tasks SET due_on = due_on - 3 WHERE id = $1::uuid")
        .bind(&task)
        .execute(&mut *tx)
        .await
        .unwrap();
    let tenant: Uuid =
        sqlx::query_scalar("SELECT id FROM tenants WHERE slug = 'darjberry'").fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();

    let (status, tower) = call(&app, "/_fn/control/tower", &[], Some(&cookie_ops)).await;
    assert_eq!(status, 200, "{tower}");
    assert!(tower["field"]["tasks"].as_array().unwrap().iter().any(|t| t["id"] == task.as_str()), "{tower}");
    let html =
        app.get_html_with_cookies("/control", &format!("mandi_session={cookie_ops}")).await.text().await.unwrap();
    assert!(html.contains("field-panel") && html.contains("Mend the &lt;b&gt;fence"), "the title is shown as text");
    assert!(!html.contains("<b>fence"));
    let (status, panel) = call(&app, "/_fn/control/field", &[], Some(&cookie_ops)).await;
    assert_eq!(status, 200, "{panel}");
    let listed = panel["tasks"].as_array().unwrap();
    assert!(listed.iter().all(|t| t["status"] == "open" && t["dueOn"].as_str().unwrap() <= today.to_string().as_str()));
    let ours = listed.iter().find(|t| t["id"] == task.as_str()).unwrap();
    assert!(ours["assigneeId"].is_null());
    let agent = panel["agents"][0]["id"].as_str().unwrap().to_string();

    // Given to the first agent from the tower (the task board's own act): the stream says so.
    let events = async || -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM live_events WHERE topic = $1 AND kind = 'task.changed'")
            .bind(format!("tenant:{tenant}:ops"))
            .fetch_one(&mut *support::operator(&pool).await)
            .await
            .unwrap()
    };
    let before = events().await;
    let (status, moved) =
        call(&app, "/_fn/field/update_task", &[("id", &task), ("update[assignee]", &agent)], Some(&cookie_ops)).await;
    assert_eq!(status, 200, "{moved}");
    assert!(events().await > before);
    let (_, panel) = call(&app, "/_fn/control/field", &[], Some(&cookie_ops)).await;
    let ours = panel["tasks"].as_array().unwrap().iter().find(|t| t["id"] == task.as_str()).unwrap().clone();
    assert_eq!(ours["assigneeId"], agent.as_str());
    // Someone who is not a field agent of the estate cannot be given it.
    let (status, refused) = call(
        &app,
        "/_fn/field/update_task",
        &[("id", &task), ("update[assignee]", &Uuid::now_v7().to_string())],
        Some(&cookie_ops),
    )
    .await;
    assert_eq!((status, error_code(&refused).as_str()), (400, "validation"), "{refused}");

    // A store's ops see no estate's tasks; staff of the estate do not read the tower.
    let (_, store_ops) = token_in(&pool, "greenharvest", "ops").await;
    let (_, theirs) = call(&app, "/_fn/control/field", &[], Some(&store_ops)).await;
    assert!(theirs["tasks"].as_array().unwrap().iter().all(|t| t["id"] != task.as_str()), "{theirs}");
    let (_, agent_token) = token_in(&pool, "darjberry", "field_agent").await;
    assert_eq!(call(&app, "/_fn/control/field", &[], Some(&agent_token)).await.0, 403);
}

#[sqlx::test(migrations = false)]
async fn rows_of_no_tenant_reach_only_a_platform_operators_tower_and_its_stream(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let mut tx = support::operator(&pool).await;
    let jobs: Vec<(i64,)> = sqlx::query_as(
        "INSERT INTO jobs (queue, kind, tenant_id, status, attempts, max_attempts, last_error, finished_at)
         SELECT 'maintenance', 'platform.test', NULL, 'dead', 3, 3, 'the platform job broke', now()
         UNION ALL
         SELECT 'maintenance', 'tenant.test', t.id, 'dead', 3, 3, 'the tenant job broke', now()
         FROM tenants t WHERE t.slug = 'greenharvest'
         RETURNING id",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let (platform_job, tenant_job) = (jobs[0].0, jobs[1].0);
    let code: Uuid = sqlx::query_scalar(
        "INSERT INTO notification_outbox (id, channel, recipient, template, body, status, attempts, last_error)
         VALUES (gen_random_uuid(), 'sms', '+919840010001', 'sign_in_code', '123456', 'failed', 8, 'gateway said no')
         RETURNING id",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO payment_mismatches (id, kind, reference, detail)
         VALUES (gen_random_uuid(), 'captured_not_recorded', 'pay_nobody', '{\"amountPaise\": 4200, \"note\": \"<b>x</b>\"}')",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // The tenant's ops: their tower leaves these out, and the platform's is closed to them.
    let (ops_id, ops) = token_in(&pool, "greenharvest", "ops").await;
    let (_, tower) = call(&app, "/_fn/control/tower", &[], Some(&ops)).await;
    assert_eq!(tower["platform_operator"], false);
    let dead: Vec<i64> = tower["jobs"]["dead"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect();
    assert!(dead.contains(&tenant_job) && !dead.contains(&platform_job), "{dead:?}");
    assert!(!tower["notifications"]["failures"].as_array().unwrap().iter().any(|m| m["id"] == code.to_string()));
    let platform_fns = [
        ("/_fn/control/platform", vec![]),
        ("/_fn/control/platform/jobs", vec![]),
        ("/_fn/control/platform/notifications", vec![]),
        ("/_fn/control/platform/job", vec![("id", platform_job.to_string()), ("action", "retry".to_string())]),
        ("/_fn/control/platform/message/retry", vec![("id", code.to_string())]),
    ];
    let denied_before = support::audit_count(&pool, "security.permission_denied").await;
    for (path, form) in &platform_fns {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(call(&app, path, &form, None).await.0, 401, "{path} anonymous");
        assert_eq!(call(&app, path, &form, Some(&ops)).await.0, 403, "{path} as the tenant's ops");
    }
    assert_eq!(support::audit_count(&pool, "security.permission_denied").await, denied_before + 5);
    assert_eq!(
        call(&app, "/_fn/control/job", &[("id", &platform_job.to_string()), ("action", "retry")], Some(&ops)).await.0,
        404
    );
    let stream = |token: String| {
        let url = app.url("/api/v1/events?topic=platform");
        async move { crate::support::SseClient::connect(&url, Some(&token), None).await.map(|_| ()).map_err(|e| e.0) }
    };
    assert_eq!(stream(ops.clone()).await, Err(403));

    // A platform operator, who needs no role in any tenant for it.
    let (operator_id, operator) = token_in(&pool, "greenharvest", "customer").await;
    support::grant_platform_operator(&pool, operator_id).await;
    let (status, platform) = call(&app, "/_fn/control/platform", &[], Some(&operator)).await;
    assert_eq!(status, 200, "{platform}");
    let dead: Vec<i64> =
        platform["jobs"]["dead"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect();
    assert!(dead.contains(&platform_job) && !dead.contains(&tenant_job), "the platform's only: {dead:?}");
    let platform_dead: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE tenant_id IS NULL AND queue = 'maintenance' AND status = 'dead'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let maintenance =
        platform["jobs"]["queues"].as_array().unwrap().iter().find(|q| q["queue"] == "maintenance").unwrap();
    assert_eq!(maintenance["dead"], platform_dead);
    assert_eq!(dead.len() as i64, platform_dead);
    assert!(platform["notifications"]["failures"].as_array().unwrap().iter().any(|m| m["id"] == code.to_string()));
    assert_eq!(platform["unmatched"][0]["reference"], "pay_nobody");
    assert!(stream(operator.clone()).await.is_ok());
    let html = app
        .get_html_with_cookies("/control/platform", &format!("mandi_session={operator}"))
        .await
        .text()
        .await
        .unwrap();
    for part in ["jobs-panel", "notifications-panel", "unmatched-panel", "pay_nobody", "&lt;b&gt;x&lt;/b&gt;"] {
        assert!(html.contains(part), "{part} on the platform's page");
    }
    assert!(!html.contains("<b>x</b>"), "what a provider said is escaped");

    // It acts on the platform's rows only; the tenant's are not found from here.
    let act = |id: i64, action: &'static str| {
        let (app, operator) = (&app, operator.clone());
        async move {
            call(app, "/_fn/control/platform/job", &[("id", &id.to_string()), ("action", action)], Some(&operator))
                .await
                .0
        }
    };
    assert_eq!(act(tenant_job, "retry").await, 404);
    assert_eq!(act(platform_job, "retry").await, 200);
    assert_eq!(act(platform_job, "retry").await, 409);
    let retry = call(&app, "/_fn/control/platform/message/retry", &[("id", &code.to_string())], Some(&operator)).await;
    assert_eq!(retry.0, 200, "{}", retry.1);
    let mut tx = support::operator(&pool).await;
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT kind FROM live_events WHERE topic = 'platform:ops' AND tenant_id IS NULL ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE actor_id = $1 AND tenant_id IS NULL AND action IN ('job.retried', 'notification.retried')",
    )
    .bind(operator_id)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    drop(tx);
    assert_eq!(events, ["job.retried", "notification.retried"]);
    assert_eq!(audited, 2);

    // A grant taken away ends at once, with the same token.
    sqlx::query("DELETE FROM platform_admins WHERE user_id = $1").bind(operator_id).execute(&pool).await.unwrap();
    assert_eq!(call(&app, "/_fn/control/platform", &[], Some(&operator)).await.0, 403);
    let _ = ops_id;
}
