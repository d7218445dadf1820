//! Cart → checkout → payment → order, against the real app, the real database and the
//! sandbox gateway (webhooks delivered over HTTP by the job worker).

use crate::support;

use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;
use support::{TestApp, now_secs, signing_keys, wait_for};
use uuid::Uuid;

pub(crate) struct Shop {
    pub(crate) tenant: Uuid,
}

pub(crate) async fn shop(pool: &PgPool) -> Shop {
    let mut tx = support::operator(pool).await;
    let tenant =
        sqlx::query_scalar("SELECT id FROM tenants WHERE slug = 'greenharvest'").fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    Shop { tenant }
}

/// A lot of `on_hand` units and variants drawing `per_unit` each; returns (stock item, variant ids).
pub(crate) async fn stocked(pool: &PgPool, shop: &Shop, on_hand: i64, per_units: &[(i32, &str)]) -> (Uuid, Vec<Uuid>) {
    let mut tx = support::operator(pool).await;
    let product: Uuid =
        sqlx::query_scalar("SELECT id FROM products WHERE tenant_id = $1 AND active ORDER BY name LIMIT 1")
            .bind(shop.tenant)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    let item = Uuid::now_v7();
    sqlx::query("INSERT INTO stock_items (tenant_id, id, sku, unit, on_hand) VALUES ($1, $2, $3, 'g', $4)")
        .bind(shop.tenant)
        .bind(item)
        .bind(format!("T-{}", item.simple()))
        .bind(on_hand)
        .execute(&mut *tx)
        .await
        .unwrap();
    let mut variants = Vec::new();
    for (per_unit, price) in per_units {
        let v = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO product_variants (tenant_id, id, product_id, sku, label, net_grams, price, stock_item_id, stock_per_unit)
             VALUES ($1, $2, $3, $4, $5, $6, $7::numeric, $8, $6)",
        )
        .bind(shop.tenant)
        .bind(v)
        .bind(product)
        .bind(format!("T-{}", v.simple()))
        .bind(format!("{per_unit} g"))
        .bind(per_unit)
        .bind(price)
        .bind(item)
        .execute(&mut *tx)
        .await
        .unwrap();
        variants.push(v);
    }
    tx.commit().await.unwrap();
    (item, variants)
}

/// A new customer of the store and a bearer token for them.
pub(crate) async fn customer(pool: &PgPool) -> (Uuid, String) {
    let id = support::person_with_roles(pool, "greenharvest", &["customer"]).await;
    let (token, _) =
        signing_keys().issue(id, Uuid::now_v7(), "greenharvest", vec!["customer".into()], now_secs()).unwrap();
    (id, token)
}

pub(crate) async fn staff_token(pool: &PgPool, role: &str) -> String {
    let id = support::person_with_roles(pool, "greenharvest", &[role]).await;
    signing_keys().issue(id, Uuid::now_v7(), "greenharvest", vec![role.into()], now_secs()).unwrap().0
}

fn checkout_body() -> Value {
    let slot = app::domain::delivery_slot::open_slots(chrono::Utc::now(), &Default::default())[0].key();
    json!({ "name": "Ananya Iyer", "phone": "9840010001", "line1": "12 Lake View Road", "city": "Chennai",
            "pincode": "600028", "state": "Tamil Nadu", "slot": slot })
}

pub(crate) async fn add(app: &TestApp, token: &str, variant: Uuid, quantity: Value) -> (u16, Value) {
    app.post_json("/api/v1/cart/items", &json!({ "variantId": variant, "quantity": quantity }), Some(token)).await
}

pub(crate) async fn checkout(app: &TestApp, token: &str) -> (u16, Value) {
    app.post_json("/api/v1/checkout", &checkout_body(), Some(token)).await
}

/// Pays an order in the sandbox the way a browser does: the payment call, the
/// sandbox's pay button, and the return to the callback (unless told to skip it).
pub(crate) async fn pay(app: &TestApp, token: &str, order: &str, follow_callback: bool) -> String {
    let (status, body) = app.post_json(&format!("/api/v1/orders/{order}/payment"), &json!({}), Some(token)).await;
    assert_eq!(status, 200, "{body}");
    let gateway_order = body["data"]["gatewayOrderId"].as_str().unwrap().to_string();
    let response = app
        .client
        .post(app.url(&format!("/sandbox/razorpay/checkout/{gateway_order}/pay")))
        .form(&[("callback_url", "/payments/callback"), ("cancel_url", "/orders")])
        .send()
        .await
        .unwrap();
    if follow_callback {
        assert_eq!(response.status(), 303);
        let location = response.headers()["location"].to_str().unwrap().to_string();
        let back = app.client.get(app.url(&location)).bearer_auth(token).send().await.unwrap();
        assert_eq!(back.status(), 303);
        assert_eq!(back.headers()["location"].to_str().unwrap(), format!("/orders/{order}"));
    }
    gateway_order
}

pub(crate) async fn order_state(app: &TestApp, token: &str, order: &str) -> String {
    let (_, body) = app.get_json_as(&format!("/api/v1/orders/{order}"), token).await;
    body["data"]["state"].as_str().unwrap_or_default().to_string()
}

async fn on_hand(pool: &PgPool, item: Uuid) -> i64 {
    let mut tx = support::operator(pool).await;
    let n = sqlx::query_scalar("SELECT on_hand FROM stock_items WHERE id = $1")
        .bind(item)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    n
}

async fn behave(app: &TestApp, behaviour: Value) {
    let r = app.client.put(app.url("/sandbox/razorpay/behaviour")).json(&behaviour).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[sqlx::test(migrations = false)]
async fn two_hundred_buyers_for_fifty_packs(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool.clone(),
        &[("MANDI_RATE_LIMIT_USER_PER_MINUTE", "100000"), ("MANDI_DB_MAX_CONNECTIONS", "30")],
    )
    .await;
    let shop = shop(&pool).await;
    let (item, variants) = stocked(&pool, &shop, 50, &[(1, "120.00")]).await;
    let mut buyers = Vec::new();
    for _ in 0..200 {
        let (_, token) = customer(&pool).await;
        let (status, body) = add(&app, &token, variants[0], json!(1)).await;
        assert_eq!(status, 200, "{body}");
        buyers.push(token);
    }
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for token in buyers.clone() {
        let app = app.clone();
        tasks.push(tokio::spawn(async move { (token.clone(), checkout(&app, &token).await) }));
    }
    let mut placed = Vec::new();
    let mut refused = 0;
    for t in tasks {
        let (token, (status, body)) = t.await.unwrap();
        match status {
            201 => placed.push((token, body["data"]["orderId"].as_str().unwrap().to_string())),
            409 => {
                assert_eq!(body["error"]["code"], "CART_CHANGED", "{body}");
                let msg =
                    body["error"]["fields"].as_object().unwrap().values().next().unwrap().as_str().unwrap().to_string();
                assert!(msg.contains("out of stock"), "{msg}");
                refused += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((placed.len(), refused), (50, 150));
    // Stock is held last, after the order, its events and the emptied cart were
    // written: a refusal must take all of them back and leave the buyer's cart as it was.
    let mut tx = support::operator(&pool).await;
    let (orders, placings, announced, kept): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM orders WHERE coalesce(gateway_order_id, '') NOT LIKE 'order_demo%'), (SELECT count(*) FROM order_events e JOIN orders o ON o.id = e.order_id WHERE action = 'place' AND coalesce(o.gateway_order_id, '') NOT LIKE 'order_demo%'),
                (SELECT count(*) FROM live_events WHERE kind = 'order'),
                (SELECT count(*) FROM cart_items)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Each placed order is announced to its buyer, to operations and to the order queue.
    assert_eq!((orders, placings, announced, kept), (50, 50, 150, 150));
    for (token, order) in &placed {
        pay(&app, token, order, true).await;
    }
    let mut tx = support::operator(&pool).await;
    let paid: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM orders WHERE state = 'paid' AND coalesce(gateway_order_id, '') NOT LIKE 'order_demo%'",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(paid, 50);
    assert_eq!(on_hand(&pool, item).await, 0);
}

#[sqlx::test(migrations = false)]
async fn two_pack_sizes_of_one_lot_cannot_oversell_it(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let shop = shop(&pool).await;
    // 1,000 g: 2 × 250 g + 1 × 500 g is exactly all of it; 600 g more is not there.
    let (item, v) = stocked(&pool, &shop, 1000, &[(250, "100.00"), (500, "190.00")]).await;
    let (_, a) = customer(&pool).await;
    let (_, b) = customer(&pool).await;
    add(&app, &a, v[0], json!(2)).await;
    add(&app, &a, v[1], json!(1)).await;
    add(&app, &b, v[0], json!(2)).await;
    add(&app, &b, v[1], json!("1")).await;
    let (ra, rb) = tokio::join!(checkout(&app, &a), checkout(&app, &b));
    let mut statuses = [ra.0, rb.0];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{ra:?} {rb:?}");
    let mut tx = support::operator(&pool).await;
    let held: i64 =
        sqlx::query_scalar("SELECT coalesce(sum(quantity), 0)::int8 FROM stock_reservations WHERE stock_item_id = $1")
            .bind(item)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(held, 1000);
    let (_, view) = app.get_json(&format!("/api/v1/products/{}", product_of(&pool, v[0]).await)).await;
    let available: Vec<i64> = view["data"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| v.iter().any(|id| x["id"] == id.to_string()))
        .map(|x| x["available"].as_i64().unwrap())
        .collect();
    assert_eq!(available, [0, 0]);
}

async fn product_of(pool: &PgPool, variant: Uuid) -> Uuid {
    let mut tx = support::operator(pool).await;
    let p = sqlx::query_scalar("SELECT product_id FROM product_variants WHERE id = $1")
        .bind(variant)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    p
}

#[sqlx::test(migrations = false)]
async fn bad_cart_input_is_refused_by_field(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let shop = shop(&pool).await;
    let (_, v) = stocked(&pool, &shop, 10, &[(1, "50.00")]).await;
    let (_, token) = customer(&pool).await;
    for q in [json!(0), json!(-2), json!(1.5), json!("abc"), json!(100), json!(null)] {
        let (status, body) = add(&app, &token, v[0], q.clone()).await;
        assert_eq!((status, body["error"]["fields"]["quantity"].is_string()), (400, true), "{q}: {body}");
    }
    let (status, body) = add(&app, &token, Uuid::now_v7(), json!(1)).await;
    assert_eq!((status, body["error"]["fields"]["variantId"].is_string()), (400, true), "{body}");
    // Another tenant's variant is not in this store.
    let mut tx = support::operator(&pool).await;
    let foreign: Uuid = sqlx::query_scalar(
        "SELECT v.id FROM product_variants v JOIN tenants t ON t.id = v.tenant_id WHERE t.slug = 'darjberry' LIMIT 1",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (status, _) = add(&app, &token, foreign, json!(1)).await;
    assert_eq!(status, 400);
    // Nothing to check out.
    let (status, body) = checkout(&app, &token).await;
    assert_eq!((status, body["error"]["fields"]["cart"].as_str()), (400, Some("is empty")));
    // A bad address names its fields and reserves nothing.
    add(&app, &token, v[0], json!(1)).await;
    let (status, body) = app
        .post_json(
            "/api/v1/checkout",
            &json!({ "name": "", "phone": "123", "pincode": "x", "slot": "yesterday" }),
            Some(&token),
        )
        .await;
    assert_eq!(status, 400);
    for f in ["name", "phone", "pincode", "slot", "line1", "city", "state"] {
        assert!(body["error"]["fields"][f].is_string(), "{f}: {body}");
    }
    // Without signing in: 401.
    let (status, _) = app.post_json("/api/v1/checkout", &checkout_body(), None).await;
    assert_eq!(status, 401);
}

#[sqlx::test(migrations = false)]
async fn a_cart_that_changes_while_it_is_placed_is_priced_again(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let shop = shop(&pool).await;
    let (item, v) = stocked(&pool, &shop, 10, &[(1, "50.00")]).await;
    let (buyer, token) = customer(&pool).await;
    add(&app, &token, v[0], json!(2)).await;
    // `place_order` is handed the cart as it was priced. A cart that no longer matches
    // (here one pack where the cart holds two) is refused with nothing written.
    let mut tx = support::operator(&pool).await;
    let stale = sqlx::query_scalar::<_, i64>(
        "SELECT place_order($1, $2, $3, ARRAY[$4::uuid], ARRAY['Tomato'], ARRAY['tomato'], ARRAY['1 g'], ARRAY['T'],
                            ARRAY[50.00], ARRAY[1], ARRAY[50.00], ARRAY[$5::uuid], ARRAY[1::int8], 50, 0, 49, 0, 99, NULL,
                            '{}'::jsonb, now(), now() + interval '3 hours', now() + interval '15 minutes', 'sandbox', now(),
                            'pending_payment', 'place', 'customer', NULL, ARRAY[]::uuid[], ARRAY[]::text[], ARRAY[]::text[],
                            ARRAY[]::jsonb[], ARRAY[$5::uuid], ARRAY[1::int8])",
    )
    .bind(shop.tenant)
    .bind(buyer)
    .bind(Uuid::now_v7())
    .bind(v[0])
    .bind(item)
    .fetch_one(&mut *tx)
    .await
    .unwrap_err();
    assert_eq!(stale.as_database_error().and_then(|e| e.code()).as_deref(), Some("MDCRT"), "{stale}");
    tx.rollback().await.unwrap();

    // A double-clicked "Place order": one order; the other click finds the cart empty.
    let app = std::sync::Arc::new(app);
    let clicks: Vec<_> = (0..2)
        .map(|_| {
            let (app, token) = (app.clone(), token.clone());
            tokio::spawn(async move { checkout(&app, &token).await })
        })
        .collect();
    let mut answers = Vec::new();
    for c in clicks {
        answers.push(c.await.unwrap());
    }
    answers.sort_by_key(|(status, _)| *status);
    assert_eq!(answers[0].0, 201, "{:?}", answers);
    assert_eq!(answers[1].1["error"]["fields"]["cart"], "is empty", "{:?}", answers);
    let order = answers[0].1["data"]["orderId"].as_str().unwrap().to_string();

    // The placing event's live announcements carry the event's own number and time,
    // and get a live number once a hub has numbered them (done here rather than waiting).
    let mut tx = support::operator(&pool).await;
    sqlx::query("SELECT number_live_events()").execute(&mut *tx).await.unwrap();
    let (orders, seq, at, announced): (i64, i64, chrono::DateTime<chrono::Utc>, Vec<Value>) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM orders WHERE coalesce(gateway_order_id, '') NOT LIKE 'order_demo%'), e.seq, e.created_at,
                (SELECT array_agg(l.data || jsonb_build_object('liveSeq', l.seq) ORDER BY l.id) FROM live_events l WHERE l.data->>'orderId' = $1)
         FROM order_events e WHERE e.order_id = $1::uuid",
    )
    .bind(&order)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(orders, 1);
    assert_eq!(announced.len(), 3, "to the buyer, to operations and to the order queue");
    for data in &announced {
        assert_eq!(data["event"]["seq"], seq, "{data}");
        assert!(data["liveSeq"].as_i64().is_some_and(|n| n > 0), "numbered as a live event: {data}");
        assert_eq!(
            data["event"]["at"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap(),
            at,
            "{data}"
        );
        assert_eq!(
            (data["state"].as_str(), data["event"]["toState"].as_str()),
            (Some("pending_payment"), Some("pending_payment"))
        );
    }
}

#[sqlx::test(migrations = false)]
async fn a_price_change_is_shown_before_anyone_pays(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let shop = shop(&pool).await;
    let (_, v) = stocked(&pool, &shop, 10, &[(1, "50.00")]).await;
    let (_, token) = customer(&pool).await;
    add(&app, &token, v[0], json!(2)).await;
    let mut tx = support::operator(&pool).await;
    sqlx::query("UPDATE product_variants SET price = 55 WHERE id = $1").bind(v[0]).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let (status, body) = checkout(&app, &token).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("CART_CHANGED")), "{body}");
    let msg = body["error"]["fields"][format!("items.{}", v[0])].as_str().unwrap();
    assert!(msg.contains("₹50.00") && msg.contains("₹55.00"), "{msg}");
    // The cart now shows the new price; confirming again places the order at it.
    let (status, body) = checkout(&app, &token).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["total"], "159.00", "2 × 55 + 49 delivery");
}

#[sqlx::test(migrations = false)]
async fn webhooks_callbacks_and_replays_complete_an_order_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let shop = shop(&pool).await;
    let (item, v) = stocked(&pool, &shop, 10, &[(1, "300.00")]).await;
    let (_, token) = customer(&pool).await;
    add(&app, &token, v[0], json!(2)).await;
    let (_, placed) = checkout(&app, &token).await;
    let order = placed["data"]["orderId"].as_str().unwrap().to_string();
    // Duplicated, delayed and reordered webhooks, and the callback racing them.
    behave(&app, json!({ "duplicates": 2, "delayMs": 100, "outOfOrder": true })).await;
    pay(&app, &token, &order, true).await;
    assert_eq!(order_state(&app, &token, &order).await, "paid");
    let mut tx = support::operator(&pool).await;
    wait_for("every webhook applied", Duration::from_secs(20), async || {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE kind = 'sandbox.razorpay_webhook' AND status <> 'succeeded'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        n == 0
    })
    .await;
    let payments: i64 =
        sqlx::query_scalar("SELECT count(*) FROM payments WHERE gateway_payment_id NOT LIKE 'pay_demo%'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM payment_webhook_events").fetch_one(&mut *tx).await.unwrap();
    let confirmations: i64 = sqlx::query_scalar("SELECT count(*) FROM order_events e JOIN orders o ON o.id = e.order_id WHERE action = 'confirm_payment' AND coalesce(o.gateway_order_id, '') NOT LIKE 'order_demo%'")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((payments, events, confirmations), (1, 3, 1));
    assert_eq!(on_hand(&pool, item).await, 8);

    // A forged webhook: 401, nothing stored.
    let body = json!({ "event": "payment.captured", "payload": { "payment": { "entity": { "id": "pay_forged", "order_id": "order_x", "amount": 100, "status": "captured" } } } }).to_string();
    let r = app
        .client
        .post(app.url("/api/v1/webhooks/payments"))
        .header("content-type", "application/json")
        .header("x-razorpay-event-id", "evt_forged")
        .header("x-razorpay-signature", "0".repeat(64))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .post(app.url("/api/v1/webhooks/payments"))
        .header("x-razorpay-event-id", "evt_forged")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Properly signed but for an order we never made: accepted, flagged, no order touched.
    let sig = server::payments::signature::sign("sandbox-webhook-secret", body.as_bytes());
    let r = app
        .client
        .post(app.url("/api/v1/webhooks/payments"))
        .header("content-type", "application/json")
        .header("x-razorpay-event-id", "evt_unknown")
        .header("x-razorpay-signature", &sig)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut tx = support::operator(&pool).await;
    let (stored, flagged): (i64, i64) = sqlx::query_as("SELECT (SELECT count(*) FROM payment_webhook_events WHERE event_id = 'evt_forged'), (SELECT count(*) FROM payment_mismatches WHERE reference = 'pay_forged')")
        .fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((stored, flagged), (0, 1));
    // A callback with a forged signature changes nothing.
    let back = app
        .client
        .get(app.url("/payments/callback?razorpay_payment_id=pay_x&razorpay_order_id=order_y&razorpay_signature=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303);
}

#[sqlx::test(migrations = false)]
async fn paying_twice_refunds_the_second_payment(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let shop = shop(&pool).await;
    let (_, v) = stocked(&pool, &shop, 10, &[(1, "300.00")]).await;
    let (_, token) = customer(&pool).await;
    add(&app, &token, v[0], json!(2)).await;
    let (_, placed) = checkout(&app, &token).await;
    let order = placed["data"]["orderId"].as_str().unwrap().to_string();
    let gateway_order = pay(&app, &token, &order, true).await;
    // A second tab pays the same gateway order again.
    let again = app
        .client
        .post(app.url(&format!("/sandbox/razorpay/checkout/{gateway_order}/pay")))
        .form(&[("callback_url", "/payments/callback")])
        .send()
        .await
        .unwrap();
    let location = again.headers()["location"].to_str().unwrap().to_string();
    app.client.get(app.url(&location)).send().await.unwrap();
    wait_for("the surplus payment refunded", Duration::from_secs(20), async || {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sandbox_gateway_payments WHERE amount_refunded = amount AND id NOT LIKE 'pay_demo%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        n == 1
    })
    .await;
    assert_eq!(order_state(&app, &token, &order).await, "paid");
    let mut tx = support::operator(&pool).await;
    let (captured, surplus): (i64, i64) = sqlx::query_as("SELECT count(*) FILTER (WHERE disposition = 'captured'), count(*) FILTER (WHERE disposition = 'surplus') FROM payments WHERE gateway_payment_id NOT LIKE 'pay_demo%'")
        .fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((captured, surplus), (1, 1));
}

#[sqlx::test(migrations = false)]
async fn a_hold_that_expired_mid_payment(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let shop = shop(&pool).await;
    let (item, v) = stocked(&pool, &shop, 2, &[(1, "300.00")]).await;
    let (_, slow) = customer(&pool).await;
    add(&app, &slow, v[0], json!(2)).await;
    let (_, placed) = checkout(&app, &slow).await;
    let order = placed["data"]["orderId"].as_str().unwrap().to_string();
    // The hold runs out; someone else buys the stock meanwhile.
    let mut tx = support::operator(&pool).await;
    sqlx::query("UPDATE stock_reservations r SET reserved_until = now() - interval '1 second' FROM orders o WHERE o.id = r.order_id AND coalesce(o.gateway_order_id, '') NOT LIKE 'order_demo%'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (_, quick) = customer(&pool).await;
    add(&app, &quick, v[0], json!(2)).await;
    let (status, quick_order) = checkout(&app, &quick).await;
    assert_eq!(status, 201);
    pay(&app, &quick, quick_order["data"]["orderId"].as_str().unwrap(), true).await;
    // The slow payment arrives: no stock for it, so the order is cancelled and refunded.
    pay(&app, &slow, &order, true).await;
    assert_eq!(order_state(&app, &slow, &order).await, "cancelled");
    wait_for("the late payment refunded", Duration::from_secs(20), async || {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sandbox_gateway_payments WHERE amount_refunded = amount AND amount > 0 AND id NOT LIKE 'pay_demo%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        n == 1
    })
    .await;
    assert_eq!(on_hand(&pool, item).await, 0, "never negative, never sold twice");

    // An expired hold whose stock nobody took still completes.
    let mut tx = support::operator(&pool).await;
    sqlx::query("UPDATE stock_items SET on_hand = 5 WHERE id = $1").bind(item).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    add(&app, &slow, v[0], json!(1)).await;
    let (_, placed) = checkout(&app, &slow).await;
    let order = placed["data"]["orderId"].as_str().unwrap().to_string();
    let mut tx = support::operator(&pool).await;
    sqlx::query("UPDATE stock_reservations r SET reserved_until = now() - interval '1 second' FROM orders o WHERE o.id = r.order_id AND coalesce(o.gateway_order_id, '') NOT LIKE 'order_demo%'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    pay(&app, &slow, &order, true).await;
    assert_eq!(order_state(&app, &slow, &order).await, "paid");
    assert_eq!(on_hand(&pool, item).await, 4);
}

#[sqlx::test(migrations = false)]
async fn unpaid_orders_expire_and_give_their_stock_back(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let shop = shop(&pool).await;
    let (_, v) = stocked(&pool, &shop, 3, &[(1, "300.00")]).await;
    let (_, token) = customer(&pool).await;
    add(&app, &token, v[0], json!(3)).await;
    let (_, placed) = checkout(&app, &token).await;
    let order = placed["data"]["orderId"].as_str().unwrap().to_string();
    let (_, other) = customer(&pool).await;
    add(&app, &other, v[0], json!(1)).await;
    assert_eq!(checkout(&app, &other).await.0, 409, "all three are held");
    let mut tx = support::operator(&pool).await;
    sqlx::query("UPDATE orders SET reserved_until = now() - interval '10 minutes' WHERE coalesce(gateway_order_id, '') NOT LIKE 'order_demo%'").execute(&mut *tx).await.unwrap();
    sqlx::query("UPDATE stock_reservations r SET reserved_until = now() - interval '10 minutes' FROM orders o WHERE o.id = r.order_id AND coalesce(o.gateway_order_id, '') NOT LIKE 'order_demo%'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let n = app::orders::expiry_service::expire_unpaid(&pool, chrono::Duration::minutes(2), 100).await.unwrap();
    assert_eq!(n, 1);
    assert_eq!(order_state(&app, &token, &order).await, "cancelled");
    assert_eq!(checkout(&app, &other).await.0, 201);
    // Paying the cancelled order is refused.
    let (status, _) = app.post_json(&format!("/api/v1/orders/{order}/payment"), &json!({}), Some(&token)).await;
    assert_eq!(status, 409);
}

#[sqlx::test(migrations = false)]
async fn a_lost_confirmation_is_recovered_by_reconciliation(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let shop = shop(&pool).await;
    let (_, v) = stocked(&pool, &shop, 5, &[(1, "300.00")]).await;
    let (_, token) = customer(&pool).await;
    add(&app, &token, v[0], json!(1)).await;
    let (_, placed) = checkout(&app, &token).await;
    let order = placed["data"]["orderId"].as_str().unwrap().to_string();
    // Paid at the gateway, but the browser never came back and every webhook was lost.
    behave(&app, json!({ "dropWebhooks": true, "skipCallback": true })).await;
    pay(&app, &token, &order, false).await;
    assert_eq!(order_state(&app, &token, &order).await, "pending_payment");
    let config = support::config_with(&[]);
    let payments = server::payments::Payments::from_config(&config.payments, &format!("http://{}", app.addr));
    let report = server::payments::jobs::reconcile(&pool, &payments, chrono::Duration::days(1)).await.unwrap();
    assert_eq!(report.completed, 1);
    assert_eq!(order_state(&app, &token, &order).await, "paid");
    let again = server::payments::jobs::reconcile(&pool, &payments, chrono::Duration::days(1)).await.unwrap();
    assert_eq!((again.completed, again.mismatches), (0, 0));
}

#[sqlx::test(migrations = false)]
async fn payment_urls_use_the_public_base_url(pool: PgPool) {
    // The listener is 127.0.0.1:<random>; shoppers reach the shop at https://shop.example.
    let public = ("MANDI_PUBLIC_BASE_URL", "https://shop.example");
    let app = TestApp::spawn_with(pool.clone(), &[public]).await;
    let shop = shop(&pool).await;
    let (_, v) = stocked(&pool, &shop, 5, &[(1, "300.00")]).await;
    let (_, token) = customer(&pool).await;
    add(&app, &token, v[0], json!(1)).await;
    let (_, placed) = checkout(&app, &token).await;
    let order = placed["data"]["orderId"].as_str().unwrap().to_string();

    let (status, body) = app.post_json(&format!("/api/v1/orders/{order}/payment"), &json!({}), Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["callbackUrl"], "https://shop.example/payments/callback", "{body}");
    let gateway_order = body["data"]["gatewayOrderId"].as_str().unwrap().to_string();
    assert_eq!(
        body["data"]["checkoutUrl"].as_str().unwrap(),
        format!("https://shop.example/sandbox/razorpay/checkout/{gateway_order}")
    );

    // The browser is sent to the checkout with the public callback.
    let cookie = format!("mandi_session={token}");
    let to_checkout = app
        .client
        .get(app.url(&format!("/orders/{order}/pay")))
        .header(reqwest::header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    let location = to_checkout.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("https://shop.example/sandbox/razorpay/checkout/"), "{location}");
    assert!(location.contains("callback_url=https%3A%2F%2Fshop.example%2Fpayments%2Fcallback"), "{location}");
    // The sandbox takes its own public address as its own, and still sends nobody elsewhere.
    let page = app.get(&location["https://shop.example".len()..]).await.text().await.unwrap();
    assert!(page.contains("value=\"/payments/callback\""), "{page}");
    let page = app
        .get(&format!("/sandbox/razorpay/checkout/{gateway_order}?callback_url=https%3A%2F%2Fevil.example%2Fx"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("evil.example"), "{page}");

    // Razorpay's hosted checkout is given the public callback and cancel addresses.
    let razorpay = TestApp::spawn_with(
        pool.clone(),
        &[
            public,
            ("MANDI_PAYMENT_GATEWAY", "razorpay"),
            ("MANDI_RAZORPAY_API_BASE", "http://127.0.0.1:9"),
            ("MANDI_RAZORPAY_KEY_ID", "rzp_test_x"),
            ("MANDI_RAZORPAY_KEY_SECRET", "k"),
            ("MANDI_RAZORPAY_WEBHOOK_SECRET", "w"),
            ("MANDI_JOBS_CONCURRENCY", "0"),
        ],
    )
    .await;
    let form = razorpay
        .client
        .get(razorpay.url(&format!("/orders/{order}/pay")))
        .header(reqwest::header::COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("name=callback_url value=\"https://shop.example/payments/callback\""), "{form}");
    assert!(
        form.contains(&format!("name=cancel_url value=\"https://shop.example/orders/{order}?payment=cancelled\"")),
        "{form}"
    );
    assert!(!form.contains(&razorpay.addr.to_string()), "the listener's address is no one's: {form}");

    // Unset outside production, the address is the listener's own (never port 0).
    let local = TestApp::spawn_with(pool.clone(), &[("MANDI_JOBS_CONCURRENCY", "0")]).await;
    let (status, body) = local.post_json(&format!("/api/v1/orders/{order}/payment"), &json!({}), Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["callbackUrl"], local.url("/payments/callback"), "{body}");
}

/// One 300.00 pack of a lot of 5, ordered and paid at the sandbox gateway while the shop
/// heard nothing (no webhook, no callback): the gateway's client holds the payment.
struct PaidUnheard {
    item: Uuid,
    token: String,
    order: String,
    gateway_order: String,
    payments: server::payments::Payments,
    paid: Vec<server::payments::razorpay::GatewayPayment>,
}

async fn paid_unheard(app: &TestApp, pool: &PgPool) -> PaidUnheard {
    let shop = shop(pool).await;
    let (item, v) = stocked(pool, &shop, 5, &[(1, "300.00")]).await;
    let (_, token) = customer(pool).await;
    add(app, &token, v[0], json!(1)).await;
    let (_, placed) = checkout(app, &token).await;
    let order = placed["data"]["orderId"].as_str().unwrap().to_string();
    behave(app, json!({ "dropWebhooks": true, "skipCallback": true })).await;
    let gateway_order = pay(app, &token, &order, false).await;
    let config = support::config_with(&[]);
    let payments = server::payments::Payments::from_config(&config.payments, &format!("http://{}", app.addr));
    let paid = payments.gateway.order_payments(&gateway_order).await.unwrap();
    PaidUnheard { item, token, order, gateway_order, payments, paid }
}

#[sqlx::test(migrations = false)]
async fn reconciliation_does_not_sell_a_refunded_payment(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    // Paid at the gateway, unheard of by the shop, then refunded in full from the
    // gateway's dashboard: the money went back, so no stock may go.
    let PaidUnheard { item, token, order, gateway_order, payments, paid } = paid_unheard(&app, &pool).await;
    payments.gateway.refund(&paid[0].id, paid[0].amount, "dashboard-refund").await.unwrap();
    let at_gateway = payments.gateway.order_payments(&gateway_order).await.unwrap();
    assert_eq!((at_gateway.len(), at_gateway[0].status.as_str()), (1, "refunded"));

    let report = server::payments::jobs::reconcile(&pool, &payments, chrono::Duration::days(1)).await.unwrap();
    assert_eq!((report.completed, report.mismatches), (0, 0));
    assert_eq!(order_state(&app, &token, &order).await, "pending_payment");
    assert_eq!(on_hand(&pool, item).await, 5, "nothing sold");
    let mut tx = support::operator(&pool).await;
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM payments WHERE gateway_order_id = $1")
        .bind(&gateway_order)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(recorded, 0);
    // As after a failed payment, the hold then runs out and the order is cancelled.
    sqlx::query("UPDATE orders SET reserved_until = now() - interval '10 minutes' WHERE coalesce(gateway_order_id, '') NOT LIKE 'order_demo%'").execute(&mut *tx).await.unwrap();
    sqlx::query("UPDATE stock_reservations r SET reserved_until = now() - interval '10 minutes' FROM orders o WHERE o.id = r.order_id AND coalesce(o.gateway_order_id, '') NOT LIKE 'order_demo%'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let n = app::orders::expiry_service::expire_unpaid(&pool, chrono::Duration::minutes(2), 100).await.unwrap();
    assert_eq!(n, 1);
    assert_eq!(order_state(&app, &token, &order).await, "cancelled");
    assert_eq!(on_hand(&pool, item).await, 5);
}

#[sqlx::test(migrations = false)]
async fn the_lifecycle_with_its_permissions_and_refunds(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let shop = shop(&pool).await;
    let (item, v) = stocked(&pool, &shop, 10, &[(1, "300.00")]).await;
    let (_, token) = customer(&pool).await;
    let (_, stranger) = customer(&pool).await;
    let staff = staff_token(&pool, "staff").await;
    let admin = staff_token(&pool, "admin").await;
    add(&app, &token, v[0], json!(2)).await;
    let (_, placed) = checkout(&app, &token).await;
    let order = placed["data"]["orderId"].as_str().unwrap().to_string();
    pay(&app, &token, &order, true).await;
    let act = |who: String, action: &'static str, extra: Value| {
        let app = &app;
        let order = order.clone();
        async move {
            let mut body = json!({ "action": action });
            if let Some(o) = extra.as_object() {
                for (k, v) in o {
                    body[k] = v.clone();
                }
            }
            app.post_json(&format!("/api/v1/orders/{order}/actions"), &body, Some(&who)).await
        }
    };
    // Someone else's order does not exist for them.
    assert_eq!(app.get_json_as(&format!("/api/v1/orders/{order}"), &stranger).await.0, 404);
    assert_eq!(act(stranger.clone(), "cancel", json!({})).await.0, 404);
    // Customers do not pack.
    assert_eq!(act(token.clone(), "pack", json!({})).await.0, 403);
    assert_eq!(act(token.clone(), "fly", json!({})).await.0, 400);
    for step in ["pack", "ship", "send_out_for_delivery", "deliver"] {
        let (status, body) = act(staff.clone(), step, json!({})).await;
        assert_eq!(status, 200, "{step}: {body}");
    }
    assert_eq!(act(token.clone(), "cancel", json!({})).await.0, 409, "too late to cancel");
    assert_eq!(act(token.clone(), "request_refund", json!({})).await.0, 400, "a reason is needed");
    assert_eq!(act(token.clone(), "request_refund", json!({ "reason": "Two packs arrived crushed" })).await.0, 200);
    assert_eq!(act(staff.clone(), "approve_refund", json!({})).await.0, 403, "only admins approve refunds");
    assert_eq!(act(admin.clone(), "approve_refund", json!({ "amount": "10000.00" })).await.0, 400);
    let (status, body) =
        act(admin.clone(), "approve_refund", json!({ "amount": "150.00", "reason": "one pack" })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["state"], "delivered", "a part refund leaves the order delivered");
    wait_for("the partial refund processed at the gateway", Duration::from_secs(20), async || {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sandbox_gateway_payments WHERE amount_refunded = 15000 AND id NOT LIKE 'pay_demo%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        n == 1
    })
    .await;
    let (_, events) = app.get_json_as(&format!("/api/v1/orders/{order}/events"), &token).await;
    let actions: Vec<&str> = events["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        &actions[..8],
        [
            "place",
            "confirm_payment",
            "pack",
            "ship",
            "send_out_for_delivery",
            "deliver",
            "request_refund",
            "approve_refund"
        ]
    );
    // History cannot be rewritten, even by the app's own role.
    let mut tx = support::operator(&pool).await;
    assert!(sqlx::query("UPDATE order_events SET reason = 'x'").execute(&mut *tx).await.is_err());
    tx.rollback().await.unwrap();
    assert_eq!(on_hand(&pool, item).await, 8);

    // A paid order cancelled before packing: stock back, money back.
    add(&app, &token, v[0], json!(1)).await;
    let (_, placed) = checkout(&app, &token).await;
    let second = placed["data"]["orderId"].as_str().unwrap().to_string();
    pay(&app, &token, &second, true).await;
    assert_eq!(on_hand(&pool, item).await, 7);
    let (status, _) =
        app.post_json(&format!("/api/v1/orders/{second}/actions"), &json!({ "action": "cancel" }), Some(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(on_hand(&pool, item).await, 8);
    let (_, mine) = app.get_json_as("/api/v1/orders?limit=1", &token).await;
    assert_eq!(mine["data"].as_array().unwrap().len(), 1);
    assert_eq!(mine["pagination"]["hasMore"], true);
    let (status, _) = app.get_json_as("/api/v1/orders?scope=all", &token).await;
    assert_eq!(status, 403);
    let (status, all) = app.get_json_as("/api/v1/orders?scope=all&state=paid", &staff).await;
    assert_eq!(status, 200, "{all}");
}

#[sqlx::test(migrations = false)]
async fn a_guest_cookie_never_opens_someone_elses_cart(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let shop = shop(&pool).await;
    let (_, v) = stocked(&pool, &shop, 10, &[(1, "80.00")]).await;
    let (owner, token) = customer(&pool).await;
    add(&app, &token, v[0], json!(3)).await;
    let mut tx = support::operator(&pool).await;
    let their_cart: Uuid =
        sqlx::query_scalar("SELECT id FROM carts WHERE user_id = $1").bind(owner).fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    // A guest presenting that cart's id sees an empty cart, and adding makes a new one.
    let cookie = format!("mandi_cart={their_cart}");
    let r = app.call_fn("/_fn/cart/view", &[], Some(&cookie)).await;
    assert_eq!(r.status(), 200);
    let view: Value = r.json().await.unwrap();
    assert_eq!(view["lines"].as_array().unwrap().len(), 0, "{view}");
    let variant = v[0].to_string();
    let r = app
        .call_fn(
            "/_fn/cart/change",
            &[("variant_id", variant.as_str()), ("quantity", "1"), ("add", "true")],
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status(), 200);
    let new_cookie = support::set_cookie(&r, "mandi_cart").expect("a new guest cart");
    assert_ne!(support::cookie_value(&new_cookie), their_cart.to_string());
    let (_, theirs) = app.get_json_as("/api/v1/cart", &token).await;
    assert_eq!(theirs["data"]["lines"][0]["quantity"], 3, "the owner's cart is untouched");
    // A guest's own cart works with the cookie it was given.
    let mine = format!("mandi_cart={}", support::cookie_value(&new_cookie));
    let view: Value = app.call_fn("/_fn/cart/view", &[], Some(&mine)).await.json().await.unwrap();
    assert_eq!(view["itemCount"], 1);
}

/// Rows read so far in this transaction from each table, as PostgreSQL counts them:
/// by sequential and bitmap scans of the table, plus the entries any of its indexes
/// returned (an index scan on too short a prefix reads many).
async fn rows_read(conn: &mut sqlx::PgConnection, tables: &[&str]) -> Vec<i64> {
    let mut read = Vec::new();
    for t in tables {
        let n: i64 = sqlx::query_scalar(
            "SELECT pg_stat_get_xact_tuples_returned(t) + pg_stat_get_xact_tuples_fetched(t)
                    + coalesce((SELECT sum(pg_stat_get_xact_tuples_returned(i.indexrelid)) FROM pg_index i WHERE i.indrelid = t), 0)::int8
             FROM (SELECT $1::regclass::oid AS t) r",
        )
        .bind(*t)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        read.push(n);
    }
    read
}

/// A connection keeps its functions' plans for as long as it lives, so plans made
/// while the tables were small (a new shop, a new process) must still find rows by
/// key once the tables are large: reading a lot's holds, a cart's lines, the lots
/// being locked and the unnumbered live events, not every hold, lot or event.
#[sqlx::test(migrations = false)]
async fn plans_made_on_small_tables_read_by_key_once_they_are_large(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let shop = shop(&pool).await;
    let (lot, variants) = stocked(&pool, &shop, 1_000_000, &[(1, "10.00")]).await;
    let (busy_lot, _) = stocked(&pool, &shop, 1_000_000, &[(1, "10.00")]).await;
    let (customer, token) = customer(&pool).await;
    assert_eq!(add(&app, &token, variants[0], json!(1)).await.0, 200);

    let mut conn =
        <sqlx::PgConnection as sqlx::Connection>::connect(&support::database_url(&pool).await).await.unwrap();
    sqlx::query("SELECT set_config('mandi.tenant_id', $1, false)")
        .bind(shop.tenant.to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    let tables = ["stock_reservations", "stock_items", "live_events"];
    // Each call does what checkout and the hubs do; its writes are rolled back.
    async fn call(conn: &mut sqlx::PgConnection, tenant: Uuid, customer: Uuid, lot: Uuid, tables: &[&str]) -> Vec<i64> {
        sqlx::query("BEGIN").execute(&mut *conn).await.unwrap();
        let lines: Vec<(Uuid,)> = sqlx::query_as("SELECT variant_id FROM checkout_cart($1, $2)")
            .bind(tenant)
            .bind(customer)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        assert_eq!(lines.len(), 1);
        let short: Vec<(Uuid, i64)> =
            sqlx::query_as("SELECT * FROM reserve_stock($1, $2, $3, $4, now() + interval '15 minutes')")
                .bind(tenant)
                .bind(Uuid::now_v7())
                .bind(vec![lot])
                .bind(vec![1_i64])
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert!(short.is_empty(), "{short:?}");
        sqlx::query("SELECT number_live_events()").execute(&mut *conn).await.unwrap();
        let read = rows_read(conn, tables).await;
        sqlx::query("ROLLBACK").execute(&mut *conn).await.unwrap();
        read
    }
    // Past PostgreSQL's first five custom plans: from here on the plans are kept.
    for _ in 0..8 {
        call(&mut conn, shop.tenant, customer, lot, &tables).await;
    }
    // The tables grow: thousands of holds on another lot, hundreds more lots, and
    // thousands of live events already numbered.
    let mut tx = support::operator(&pool).await;
    sqlx::query(
        "INSERT INTO stock_reservations (tenant_id, stock_item_id, order_id, quantity, reserved_until)
         SELECT $1, $2, gen_random_uuid(), 1, now() + interval '15 minutes' FROM generate_series(1, 5000)",
    )
    .bind(shop.tenant)
    .bind(busy_lot)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("INSERT INTO stock_items (tenant_id, id, sku, unit, on_hand) SELECT $1, gen_random_uuid(), 'G-' || i, 'g', 1 FROM generate_series(1, 500) i")
        .bind(shop.tenant)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO live_events (tenant_id, topic, kind, data, seq)
         SELECT $1, 'tenant:' || $1 || ':orders', 'order', '{}', nextval('live_events_seq_numbers') FROM generate_series(1, 5000)",
    )
    .bind(shop.tenant)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let read = call(&mut conn, shop.tenant, customer, lot, &tables).await;
    // Tens at most: the lot and its holds (with the earlier calls' rolled-back ones),
    // the events no hub has numbered yet. A whole table, or every hold or lot of the
    // tenant, would be thousands.
    assert!(read.iter().all(|&n| n < 200), "rows read from {tables:?}: {read:?}");
}

#[sqlx::test(migrations = false)]
async fn refund_calls_carry_the_gateway_idempotency_key(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let PaidUnheard { payments, paid, .. } = paid_unheard(&app, &pool).await;
    // The answer to the first call is lost; the refund job asks again with the same id.
    let refund_id = Uuid::now_v7().to_string();
    let first = payments.gateway.refund(&paid[0].id, paid[0].amount, &refund_id).await.unwrap();
    let again = payments.gateway.refund(&paid[0].id, paid[0].amount, &refund_id).await.unwrap();
    assert_eq!(first.id, again.id, "the gateway recognised the retry by its idempotency key");
    let stored: Vec<(i64, Option<String>)> =
        sqlx::query_as("SELECT amount, idempotency_key FROM sandbox_gateway_refunds WHERE payment_id = $1")
            .bind(&paid[0].id)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(stored, vec![(paid[0].amount, Some(refund_id.clone()))], "one refund, paid out once");
}
