//! The store's recent orders, so its queue opens on real work: one or more in every
//! state of the lifecycle, with the payments, refund requests and refunds each state
//! implies, written as their history would have been.
//!
//! The money went through the sandbox gateway: its books (`sandbox_gateway_*`) hold the
//! same orders, payments and refunds, so reconciliation finds nothing amiss and a
//! refund an admin approves on a demo order is paid back like any other.

use app::domain::money::Money;
use app::domain::order_state::OrderState;
use app::domain::pricing::{self, Coupon, CouponInput, PriceLine, PricingRules};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Refund {
    None,
    /// The shopper asked for one pack back; no decision yet.
    Requested,
    /// One pack refunded, the order delivered still.
    Part,
    /// Everything paid went back.
    Full,
}

struct Plan {
    state: OrderState,
    age: Duration,
    lines: usize,
    refund: Refund,
}

fn plans() -> Vec<Plan> {
    use OrderState::*;
    let p = |state, age: Duration, lines, refund| Plan { state, age, lines, refund };
    vec![
        p(PendingPayment, Duration::minutes(3), 2, Refund::None),
        p(Cancelled, Duration::hours(3), 1, Refund::None),
        p(Paid, Duration::minutes(20), 2, Refund::None),
        p(Paid, Duration::minutes(45), 1, Refund::None),
        p(Paid, Duration::hours(2), 3, Refund::None),
        p(Packed, Duration::hours(5), 2, Refund::None),
        p(Packed, Duration::hours(7), 1, Refund::None),
        p(Shipped, Duration::hours(26), 2, Refund::None),
        p(OutForDelivery, Duration::hours(28), 1, Refund::None),
        p(Delivered, Duration::days(2), 2, Refund::None),
        p(Delivered, Duration::days(3), 1, Refund::None),
        p(Delivered, Duration::days(4), 2, Refund::Part),
        p(RefundRequested, Duration::days(5), 2, Refund::Requested),
        p(Refunded, Duration::days(6), 1, Refund::Full),
    ]
}

/// The fulfilment steps an order in `state` went through after it was placed, with the
/// actor and action of each.
fn path_to(state: OrderState) -> Vec<(OrderState, &'static str, &'static str)> {
    use OrderState::*;
    let forward = [
        (Paid, "confirm_payment", "system"),
        (Packed, "pack", "staff"),
        (Shipped, "ship", "staff"),
        (OutForDelivery, "send_out_for_delivery", "staff"),
        (Delivered, "deliver", "staff"),
    ];
    match state {
        PendingPayment => vec![],
        Cancelled => vec![(Cancelled, "cancel", "system")],
        RefundRequested | Refunded => forward.to_vec(),
        s => {
            let end = forward.iter().position(|(to, _, _)| *to == s).expect("a state on the fulfilment path");
            forward[..=end].to_vec()
        }
    }
}

struct Variant {
    id: Uuid,
    product_name: String,
    product_slug: String,
    label: String,
    sku: String,
    price: Decimal,
    gst: Decimal,
    stock_item: Uuid,
    per_unit: i32,
}

/// Writes the orders, in the caller's (cross-tenant) transaction. Does nothing if the
/// store or its demo customer is missing (a trimmed world).
pub async fn insert(tx: &mut PgConnection, now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let people: Vec<(Uuid, Uuid, String, Option<String>, String)> = sqlx::query_as(
        "SELECT t.id, u.id, u.display_name, u.phone, m.role FROM tenants t
         JOIN memberships m ON m.tenant_id = t.id JOIN users u ON u.id = m.user_id
         WHERE t.slug = 'greenharvest' AND u.email IN ('customer@greenharvest.demo', 'staff@greenharvest.demo', 'admin@greenharvest.demo')",
    )
    .fetch_all(&mut *tx)
    .await?;
    let find = |role: &str| people.iter().find(|p| p.4 == role);
    let (Some(customer), Some(staff), Some(admin)) = (find("customer"), find("staff"), find("admin")) else {
        return Ok(0);
    };
    let tenant = customer.0;
    let variants: Vec<Variant> =
        sqlx::query_as::<_, (Uuid, String, String, String, String, Decimal, Decimal, Uuid, i32)>(
            "SELECT v.id, p.name, p.slug, v.label, v.sku, v.price, c.gst_percent, v.stock_item_id, v.stock_per_unit
         FROM product_variants v JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id
         JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id
         WHERE v.tenant_id = $1 ORDER BY v.sku LIMIT 40",
        )
        .bind(tenant)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|(id, product_name, product_slug, label, sku, price, gst, stock_item, per_unit)| Variant {
            id,
            product_name,
            product_slug,
            label,
            sku,
            price,
            gst,
            stock_item,
            per_unit,
        })
        .collect();
    if variants.is_empty() {
        return Ok(0);
    }
    let address = serde_json::json!({
        "name": customer.2, "phone": customer.3.clone().unwrap_or_else(|| "+919840010001".into()),
        "line1": "14 Kamaraj Salai", "line2": "Flat 3B", "city": "Chennai", "pincode": "600004", "state": "Tamil Nadu",
    });
    // FRESH10 as the store always had it, and a monsoon offer two uses from its limit.
    sqlx::query(
        "INSERT INTO coupons (tenant_id, code, kind, value, max_off, min_subtotal, total_limit)
         VALUES ($1, 'FRESH10', 'percent', 10, 100, 300, NULL), ($1, 'MONSOON50', 'fixed', 50, NULL, 0, 3)
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .execute(&mut *tx)
    .await?;
    let monsoon = Coupon::parse(&CouponInput {
        code: "MONSOON50".into(),
        kind: "fixed".into(),
        value: "50".into(),
        total_limit: "3".into(),
        ..Default::default()
    })
    .expect("a valid coupon");
    let rules = PricingRules { coupons: vec![monsoon], ..PricingRules::default() };
    let plans = plans();
    for (n, plan) in plans.iter().enumerate() {
        let chosen: Vec<(&Variant, i32)> =
            (0..plan.lines).map(|k| (&variants[(n * 3 + k * 7) % variants.len()], 1 + ((n + k) % 3) as i32)).collect();
        let lines: Vec<PriceLine> = chosen
            .iter()
            .map(|(v, q)| PriceLine {
                unit_price: Money::from_decimal(v.price),
                quantity: *q as u32,
                gst_percent: v.gst,
            })
            .collect();
        let coupon = matches!(n, 3 | 9).then_some("MONSOON50");
        let Ok(quote) = pricing::quote(&lines, &rules, coupon) else { continue };
        let placed = now - plan.age;
        let order = Uuid::now_v7();
        let gateway_order = format!("order_demo{}", order.simple());
        let slot_start = (placed + Duration::hours(20)).date_naive().and_hms_opt(1, 30, 0).expect("time").and_utc();
        let steps = path_to(plan.state);
        let step_at = |i: usize| placed + plan.age * (i as i32 + 1) / (steps.len() as i32 + 2);
        let paid = !matches!(plan.state, OrderState::PendingPayment | OrderState::Cancelled);
        let payment = format!("pay_demo{}", order.simple());
        let total_paise = quote.total.paise();
        sqlx::query(
            "INSERT INTO sandbox_gateway_orders (id, amount, currency, receipt, status, attempts, created_at)
             VALUES ($1, $2, 'INR', $3, $4, 1, $5)",
        )
        .bind(&gateway_order)
        .bind(total_paise)
        .bind(order.to_string())
        .bind(if paid { "paid" } else { "attempted" })
        .bind(placed)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO orders (tenant_id, id, customer_id, state, subtotal, discount, delivery_fee, tax_included, total,
                                 address, slot_starts_at, slot_ends_at, reserved_until, gateway, gateway_order_id,
                                 paid_payment_id, paid_at, created_at, updated_at, coupon_code)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'sandbox', $14, $15, $16, $17, $18, $19)",
        )
        .bind(tenant)
        .bind(order)
        .bind(customer.1)
        .bind(plan.state.as_str())
        .bind(quote.subtotal.amount())
        .bind(quote.discount.amount())
        .bind(quote.delivery_fee.amount())
        .bind(quote.tax_included.amount())
        .bind(quote.total.amount())
        .bind(&address)
        .bind(slot_start)
        .bind(slot_start + Duration::hours(3))
        .bind(placed + Duration::minutes(15))
        .bind(&gateway_order)
        .bind(paid.then_some(payment.as_str()))
        .bind(paid.then(|| step_at(0)))
        .bind(placed)
        .bind(steps.last().map(|_| step_at(steps.len() - 1)).unwrap_or(placed))
        .bind(&quote.coupon)
        .execute(&mut *tx)
        .await?;
        for (i, ((v, q), total)) in chosen.iter().zip(&quote.line_totals).enumerate() {
            sqlx::query(
                "INSERT INTO order_lines (tenant_id, order_id, line_no, variant_id, product_name, product_slug, variant_label,
                                          sku, unit_price, quantity, line_total, stock_item_id, stock_quantity)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(tenant)
            .bind(order)
            .bind(i as i32 + 1)
            .bind(v.id)
            .bind(&v.product_name)
            .bind(&v.product_slug)
            .bind(&v.label)
            .bind(&v.sku)
            .bind(v.price)
            .bind(q)
            .bind(total.amount())
            .bind(v.stock_item)
            .bind(i64::from(*q) * i64::from(v.per_unit))
            .execute(&mut *tx)
            .await?;
            if plan.state == OrderState::PendingPayment {
                sqlx::query(
                    "INSERT INTO stock_reservations (tenant_id, stock_item_id, order_id, quantity, reserved_until, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (tenant_id, order_id, stock_item_id) DO UPDATE SET quantity = stock_reservations.quantity + excluded.quantity",
                )
                .bind(tenant)
                .bind(v.stock_item)
                .bind(order)
                .bind(i64::from(*q) * i64::from(v.per_unit))
                .bind(placed + Duration::minutes(15))
                .bind(placed)
                .execute(&mut *tx)
                .await?;
            }
        }
        let mut history = vec![(None, OrderState::PendingPayment, "place", "customer", Some(customer.1), None, placed)];
        let mut from = OrderState::PendingPayment;
        for (i, (to, action, actor)) in steps.iter().enumerate() {
            let by = match *actor {
                "staff" => Some(staff.1),
                _ => None,
            };
            let reason = (*to == OrderState::Cancelled).then(|| "payment not completed in time".to_string());
            history.push((Some(from), *to, action, actor, by, reason, step_at(i)));
            from = *to;
        }
        if paid {
            sqlx::query(
                "INSERT INTO sandbox_gateway_payments (id, order_id, amount, currency, status, method, created_at)
                 VALUES ($1, $2, $3, 'INR', 'captured', 'upi', $4)",
            )
            .bind(&payment)
            .bind(&gateway_order)
            .bind(total_paise)
            .bind(step_at(0))
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO payments (tenant_id, id, order_id, gateway, gateway_payment_id, gateway_order_id, amount, method,
                                       disposition, source, captured_at)
                 VALUES ($1, $2, $3, 'sandbox', $4, $5, $6, 'upi', 'captured', 'callback', $7)",
            )
            .bind(tenant)
            .bind(Uuid::now_v7())
            .bind(order)
            .bind(&payment)
            .bind(&gateway_order)
            .bind(quote.total.amount())
            .bind(step_at(0))
            .execute(&mut *tx)
            .await?;
        }
        if plan.refund != Refund::None {
            let asked_at = now - plan.age / 6;
            let (asked, reason): (Vec<(i32, i32)>, &str) = match plan.refund {
                Refund::Full => (
                    (1..=chosen.len() as i32).map(|l| (l, chosen[l as usize - 1].1)).collect(),
                    "Everything arrived wilted",
                ),
                _ => (vec![(1, 1)], "One pack arrived crushed"),
            };
            let value: Decimal = asked.iter().map(|(l, q)| chosen[*l as usize - 1].0.price * Decimal::from(*q)).sum();
            let request = Uuid::now_v7();
            let decided = plan.refund != Refund::Requested;
            sqlx::query(
                "INSERT INTO refund_requests (tenant_id, id, order_id, requested_by, reason, amount, status, decided_by,
                                              decided_at, decision_note, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(tenant)
            .bind(request)
            .bind(order)
            .bind(customer.1)
            .bind(reason)
            .bind(value)
            .bind(if decided { "approved" } else { "requested" })
            .bind(decided.then_some(admin.1))
            .bind(decided.then(|| asked_at + Duration::hours(2)))
            .bind(decided.then_some("Sorry about that: refunded to your UPI account"))
            .bind(asked_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO refund_request_lines (tenant_id, request_id, order_id, line_no, quantity)
                 SELECT $1, $2, $3, * FROM UNNEST($4::int[], $5::int[])",
            )
            .bind(tenant)
            .bind(request)
            .bind(order)
            .bind(asked.iter().map(|a| a.0).collect::<Vec<_>>())
            .bind(asked.iter().map(|a| a.1).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
            history.push((
                Some(OrderState::Delivered),
                OrderState::RefundRequested,
                "request_refund",
                "customer",
                Some(customer.1),
                Some(reason.to_string()),
                asked_at,
            ));
            if decided {
                let amount = if plan.refund == Refund::Full { quote.total.amount() } else { value };
                let refund = Uuid::now_v7();
                let at = asked_at + Duration::hours(2);
                let gateway_refund = format!("rfnd_demo{}", refund.simple());
                let paise = Money::from_decimal(amount).paise();
                sqlx::query(
                    "INSERT INTO sandbox_gateway_refunds (id, payment_id, amount, receipt, idempotency_key, created_at)
                     VALUES ($1, $2, $3, $4, $4, $5)",
                )
                .bind(&gateway_refund)
                .bind(&payment)
                .bind(paise)
                .bind(refund.to_string())
                .bind(at)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE sandbox_gateway_payments SET amount_refunded = $2,
                            status = CASE WHEN $2 = amount THEN 'refunded' ELSE status END WHERE id = $1",
                )
                .bind(&payment)
                .bind(paise)
                .execute(&mut *tx)
                .await?;
                let payment_row: Uuid = sqlx::query_scalar(
                    "UPDATE payments SET refunded_amount = $3 WHERE tenant_id = $1 AND order_id = $2 RETURNING id",
                )
                .bind(tenant)
                .bind(order)
                .bind(amount)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO refunds (tenant_id, id, order_id, payment_id, amount, reason, status, gateway_refund_id,
                                          requested_by, request_id, created_at, processed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 'processed', $7, $8, $9, $10, $10)",
                )
                .bind(tenant)
                .bind(refund)
                .bind(order)
                .bind(payment_row)
                .bind(amount)
                .bind(reason)
                .bind(&gateway_refund)
                .bind(admin.1)
                .bind(request)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE orders SET refunded_amount = $3 WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(order)
                    .bind(amount)
                    .execute(&mut *tx)
                    .await?;
                let to = if plan.refund == Refund::Full { OrderState::Refunded } else { OrderState::Delivered };
                history.push((
                    Some(OrderState::RefundRequested),
                    to,
                    "approve_refund",
                    "admin",
                    Some(admin.1),
                    Some("Sorry about that: refunded to your UPI account".into()),
                    at,
                ));
            }
        }
        for (from, to, action, actor, by, reason, at) in history {
            sqlx::query(
                "INSERT INTO order_events (tenant_id, order_id, from_state, to_state, action, actor, actor_id, reason, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(tenant)
            .bind(order)
            .bind(from.map(OrderState::as_str))
            .bind(to.as_str())
            .bind(action)
            .bind(actor)
            .bind(by)
            .bind(reason)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
    }
    // Three items ran low this morning, so the stock screen and the alerts open on
    // something to do. Written as history: nobody is told again at every load.
    sqlx::query(
        "WITH low AS (
             UPDATE stock_items SET low_stock_threshold = on_hand + 1
             WHERE tenant_id = $1 AND id IN (SELECT id FROM stock_items WHERE tenant_id = $1 AND on_hand > 0 ORDER BY sku LIMIT 3)
             RETURNING id, sku, on_hand, low_stock_threshold)
         INSERT INTO alerts (tenant_id, kind, severity, subject_type, subject_id, title, details, opened_at)
         SELECT $1, 'low_stock', 'warning', 'stock_item', low.id::text, 'Low stock: ' || sku || ' (' || on_hand || ' g left)',
                jsonb_build_object('sku', sku, 'products', coalesce(p.names, ''), 'available', on_hand,
                                   'threshold', low_stock_threshold, 'unit', 'g'),
                $2
         FROM low LEFT JOIN LATERAL (
             SELECT string_agg(DISTINCT pr.name, ', ') AS names FROM product_variants v
             JOIN products pr ON pr.tenant_id = v.tenant_id AND pr.id = v.product_id
             WHERE v.tenant_id = $1 AND v.stock_item_id = low.id) p ON true",
    )
    .bind(tenant)
    .bind(now - Duration::hours(2))
    .execute(&mut *tx)
    .await?;
    // A WhatsApp message the provider refused through the night, its delivery job out of
    // attempts: the control tower's jobs and notifications panels open on one to retry.
    let failed_at = now - Duration::hours(6);
    sqlx::query(
        "WITH message AS (
             INSERT INTO notification_outbox
                 (id, tenant_id, user_id, channel, recipient, template, language, body, status, attempts, last_error,
                  created_at, updated_at)
             SELECT $4, $1, u.id, 'whatsapp', u.phone, 'order_shipped', 'en',
                    'Your GreenHarvest order is on its way.', 'failed', 8,
                    'WhatsApp Cloud API 131026: message undeliverable', $2, $2
             FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.tenant_id = $1 AND m.role = 'customer' AND u.phone IS NOT NULL
             ORDER BY u.id LIMIT 1
             RETURNING id)
         INSERT INTO jobs (queue, kind, payload, tenant_id, status, attempts, max_attempts, last_error, created_at, run_at, finished_at)
         SELECT 'notifications', $3, jsonb_build_object('messageId', message.id), $1, 'dead', 8, 8,
                'WhatsApp Cloud API 131026: message undeliverable', $2, $2, $2 + interval '40 minutes'
         FROM message",
    )
    .bind(tenant)
    .bind(failed_at)
    .bind(app::outbox::SEND_JOB)
    // Messages are listed newest first by id, so the id tells its time (UUIDv7).
    .bind(Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        failed_at.timestamp() as u64,
        failed_at.timestamp_subsec_nanos(),
    )))
    .execute(&mut *tx)
    .await?;
    // The platform's tower (`/control/platform`) opens on rows of no tenant: a nightly
    // purge that ran out of attempts, and a payment the provider reported for an order
    // nobody has.
    sqlx::query(
        "INSERT INTO jobs (queue, kind, payload, status, attempts, max_attempts, last_error, created_at, run_at, finished_at)
         VALUES ('maintenance', 'maintenance.purge_expired_tokens', '{}', 'dead', 5, 5,
                 'canceling statement due to statement timeout', $1, $1, $1 + interval '20 minutes')",
    )
    .bind(now - Duration::hours(5))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO payment_mismatches (id, kind, reference, detail, found_at)
         VALUES ($1, 'captured_not_recorded', 'pay_DemoUnclaimed01', $2, $3)",
    )
    .bind(Uuid::now_v7())
    .bind(serde_json::json!({ "gatewayOrderId": "order_DemoNobody01", "amountPaise": 45000, "source": "webhook" }))
    .bind(now - Duration::hours(3))
    .execute(&mut *tx)
    .await?;
    Ok(plans.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_of_the_lifecycle_has_an_order() {
        let states: std::collections::HashSet<_> = plans().iter().map(|p| p.state).collect();
        for s in OrderState::ALL {
            assert!(states.contains(&s), "{s}");
        }
    }

    #[test]
    fn each_history_ends_in_its_orders_state_one_legal_step_at_a_time() {
        use app::domain::order_state::{Actor, transition};
        for plan in plans() {
            let mut state = OrderState::PendingPayment;
            for (to, action, actor) in path_to(plan.state) {
                let action = app::orders::action_service::parse_action(action).expect("known action");
                let actor = match actor {
                    "staff" => Actor::Staff,
                    _ => Actor::System,
                };
                assert_eq!(transition(state, action, actor), Ok(to), "{} → {to}", plan.state);
                state = to;
            }
            let end = if matches!(plan.state, OrderState::RefundRequested | OrderState::Refunded) {
                OrderState::Delivered
            } else {
                plan.state
            };
            assert_eq!(state, end);
        }
    }
}
