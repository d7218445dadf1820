//! Server-Sent Events over LISTEN/NOTIFY: numbering after commit, access per topic,
//! delivery of changes, resuming with Last-Event-ID without gaps or repeats, recovery
//! of cut connections, and dropping a subscriber that does not read.

use crate::support;

use app::live::{Topic, publish};
use serde_json::json;
use server::live::hub::Hub;
use sqlx::PgPool;
use std::time::Duration;
use support::{SseClient, TestApp, access_token, operator, user_id};

async fn tenant(pool: &PgPool, slug: &str) -> uuid::Uuid {
    sqlx::query_scalar("SELECT id FROM tenants WHERE slug = $1").bind(slug).fetch_one(pool).await.unwrap()
}

async fn publish_ops(pool: &PgPool, tenant: uuid::Uuid, n: i64) -> i64 {
    let mut tx = app::db::tenant_tx(pool, tenant).await.unwrap();
    publish(&mut tx, &Topic::Operations { tenant }, "order.changed", &json!({ "n": n })).await.unwrap();
    tx.commit().await.unwrap();
    // Numbered now (as a hub would within its tick): the highest number of its topic.
    number(pool).await;
    sqlx::query_scalar("SELECT max(seq) FROM live_events WHERE topic = $1")
        .bind(Topic::Operations { tenant }.to_string())
        .fetch_one(&mut *operator(pool).await)
        .await
        .unwrap()
}

/// Numbers what is committed, as a hub does every tick; how many it numbered.
async fn number(pool: &PgPool) -> i64 {
    let mut tx = operator(pool).await;
    let numbered = sqlx::query_scalar("SELECT number_live_events()").fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    numbered
}

/// Publishers do not wait for each other while their transactions run (a checkout
/// waiting on every other checkout's commit was the bottleneck). Events are numbered
/// only once committed, so a reader that has seen N never later finds a committed
/// event below N: a transaction that wrote its event first but commits last is
/// numbered last, and nothing is numbered, or readable, before it commits.
#[sqlx::test(migrations = false)]
async fn events_are_numbered_once_committed_and_publishers_do_not_queue(pool: PgPool) {
    server::db::migrate(&pool).await.unwrap();
    let topic = Topic::Person { user: uuid::Uuid::now_v7() };
    let mut early = operator(&pool).await;
    publish(&mut early, &topic, "tick", &json!({ "n": "written first" })).await.unwrap();
    let mut late = operator(&pool).await;
    tokio::time::timeout(Duration::from_secs(5), async {
        publish(&mut late, &topic, "tick", &json!({ "n": "committed first" })).await.unwrap();
        late.commit().await.unwrap();
    })
    .await
    .expect("a publisher waited for another transaction that was still running");
    // Committed but not yet numbered: no reader sees it.
    assert!(numbered(&pool, &topic).await.is_empty());
    // Numbering does not wait for the transaction still running, and skips it.
    let numbering =
        tokio::time::timeout(Duration::from_secs(5), number(&pool)).await.expect("numbering waited for a publisher");
    assert_eq!(numbering, 1);
    let seen = numbered(&pool, &topic).await;
    assert_eq!(seen.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(), ["committed first"]);
    early.commit().await.unwrap();
    assert_eq!(number(&pool).await, 1);
    let seen = numbered(&pool, &topic).await;
    assert_eq!(seen.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(), ["committed first", "written first"]);
    assert!(seen[0].0 < seen[1].0);
    assert_eq!(number(&pool).await, 0, "nothing is numbered twice");
    // One transaction's events keep the order they were written in.
    let mut tx = operator(&pool).await;
    let data: Vec<serde_json::Value> = (0..5).map(|n| json!({ "n": n.to_string() })).collect();
    let batch: Vec<(&Topic, &str, &serde_json::Value)> = data.iter().map(|d| (&topic, "tick", d)).collect();
    app::live::publish_all(&mut tx, &batch).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(number(&pool).await, 5);
    let order: Vec<String> = numbered(&pool, &topic).await.into_iter().skip(2).map(|(_, n)| n).collect();
    assert_eq!(order, ["0", "1", "2", "3", "4"]);
}

/// Many publishers and two numberers at once: every event gets exactly one number,
/// numbers have no gaps, and each publisher's events keep their order.
#[sqlx::test(migrations = false)]
async fn concurrent_publishers_and_numberers_give_each_event_one_number_in_order(pool: PgPool) {
    server::db::migrate(&pool).await.unwrap();
    let topic = Topic::Person { user: uuid::Uuid::now_v7() };
    let publishers: Vec<_> = (0..8)
        .map(|p| {
            let (pool, topic) = (pool.clone(), topic.clone());
            tokio::spawn(async move {
                for i in 0..20 {
                    let mut tx = operator(&pool).await;
                    publish(&mut tx, &topic, "tick", &json!({ "n": format!("{p}:{i:02}") })).await.unwrap();
                    tx.commit().await.unwrap();
                }
            })
        })
        .collect();
    let numberers: Vec<_> = (0..2)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for _ in 0..40 {
                    number(&pool).await;
                }
            })
        })
        .collect();
    for t in publishers.into_iter().chain(numberers) {
        t.await.unwrap();
    }
    number(&pool).await;
    let seen = numbered(&pool, &topic).await;
    assert_eq!(seen.len(), 160);
    let first = seen[0].0;
    assert!(seen.iter().enumerate().all(|(i, (seq, _))| *seq == first + i as i64), "numbers without gaps or repeats");
    for p in 0..8 {
        let mine: Vec<&str> =
            seen.iter().map(|(_, n)| n.as_str()).filter(|n| n.starts_with(&format!("{p}:"))).collect();
        let mut sorted = mine.clone();
        sorted.sort();
        assert_eq!(mine, sorted, "publisher {p}'s events in the order it committed them");
    }
}

/// A topic's numbered events as (number, `n`), in number order: what readers see.
async fn numbered(pool: &PgPool, topic: &Topic) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT seq, data->>'n' FROM live_events WHERE topic = $1 AND seq IS NOT NULL ORDER BY seq")
        .bind(topic.to_string())
        .fetch_all(&mut *operator(pool).await)
        .await
        .unwrap()
}

const WAIT: Duration = Duration::from_secs(10);

fn n(e: &support::SseEvent) -> i64 {
    serde_json::from_str::<serde_json::Value>(&e.data).unwrap()["n"].as_i64().unwrap()
}

#[sqlx::test(migrations = false)]
async fn each_topic_is_readable_only_by_whom_it_concerns(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let url = |topic: &str| app.url(&format!("/api/v1/events?topic={topic}"));
    let customer = access_token(&app, "customer@greenharvest.demo").await;
    let ops = access_token(&app, "ops@greenharvest.demo").await;
    let other_customer = user_id(&pool, "customer@darjberry.demo").await;
    let other_tenant = tenant(&pool, "darjberry").await;

    assert_eq!(SseClient::connect(&url("me"), None, None).await.err().unwrap().0, 401);
    assert_eq!(SseClient::connect(&url("ops"), Some(&customer), None).await.err().unwrap().0, 403);
    assert_eq!(
        SseClient::connect(&url(&format!("user:{other_customer}")), Some(&customer), None).await.err().unwrap().0,
        403
    );
    assert_eq!(
        SseClient::connect(&url(&format!("tenant:{other_tenant}:ops")), Some(&ops), None).await.err().unwrap().0,
        403
    );
    let (status, body) = SseClient::connect(&url("orders-of-everyone"), Some(&ops), None).await.err().unwrap();
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("VALIDATION_FAILED")));
    assert_eq!(SseClient::connect(&app.url("/api/v1/events"), Some(&ops), None).await.err().unwrap().0, 400);
    assert_eq!(SseClient::connect(&url("ops"), Some(&ops), Some("yesterday")).await.err().unwrap().0, 400);
    assert!(SseClient::connect(&url("ops"), Some(&ops), None).await.is_ok());
    assert!(SseClient::connect(&url("me"), Some(&customer), None).await.is_ok());
    // Pages use the cookie route; without a session it refuses too.
    assert_eq!(app.get("/live/events?topic=me").await.status(), 401);
}

#[sqlx::test(migrations = false)]
async fn a_role_change_reaches_the_persons_open_stream(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let admin = access_token(&app, "admin@malar.demo").await;
    let mut stream = SseClient::connect(&app.url("/api/v1/events?topic=me"), Some(&staff), None).await.unwrap();
    let staff_id = user_id(&pool, "staff@malar.demo").await;
    let (status, body) = app
        .client
        .put(app.url(&format!("/api/v1/admin/users/{staff_id}/roles")))
        .bearer_auth(&admin)
        .json(&json!({ "roles": ["staff", "farmer"] }))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(status, 200, "{:?}", body.text().await);
    let event = stream.next(WAIT).await.expect("an event");
    assert_eq!(event.event.as_deref(), Some("notification"));
    let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!(data["template"], "roles_changed");
    assert!(data["body"].as_str().unwrap().contains("farmer, staff"), "{data}");
}

#[sqlx::test(migrations = false)]
async fn last_event_id_resumes_without_gaps_or_repeats(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ops = access_token(&app, "ops@greenharvest.demo").await;
    let greenharvest = tenant(&pool, "greenharvest").await;
    let darjberry = tenant(&pool, "darjberry").await;
    let url = app.url("/api/v1/events?topic=ops");

    let mut first = SseClient::connect(&url, Some(&ops), None).await.unwrap();
    let one = publish_ops(&pool, greenharvest, 1).await;
    publish_ops(&pool, darjberry, 99).await; // another tenant's: never seen here
    let event = first.next(WAIT).await.unwrap();
    assert_eq!((event.id.clone(), n(&event)), (Some(one.to_string()), 1));
    drop(first); // the tablet loses its connection...

    for n in 2..=4 {
        publish_ops(&pool, greenharvest, n).await;
    }
    // ...and reconnects with the last id it saw: the missed events, then live ones.
    let mut again = SseClient::connect(&url, Some(&ops), Some(&one.to_string())).await.unwrap();
    publish_ops(&pool, greenharvest, 5).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        let e = again.next(WAIT).await.expect("an event");
        seen.push(n(&e));
    }
    assert_eq!(seen, [2, 3, 4, 5]);
    assert!(again.next(Duration::from_millis(500)).await.is_none(), "nothing repeated, nothing foreign");

    // The same through the query parameter, for clients that cannot set headers.
    let mut by_query = SseClient::connect(&format!("{url}&lastEventId={one}"), Some(&ops), None).await.unwrap();
    let e = by_query.next(WAIT).await.unwrap();
    assert_eq!(n(&e), 2);
}

/// A resume from the start over more events than one read of the table takes: every
/// missed event once, in order, then the live ones (the replay is read page by page,
/// `hub::tests::sse_resume_streams_in_pages`).
#[sqlx::test(migrations = false)]
async fn sse_resume_over_more_than_a_page_delivers_all_in_order(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ops = access_token(&app, "ops@greenharvest.demo").await;
    let (greenharvest, darjberry) = (tenant(&pool, "greenharvest").await, tenant(&pool, "darjberry").await);
    let missed = server::live::hub::RESUME_PAGE * 2 + 201;
    let (mine, theirs) = (Topic::Operations { tenant: greenharvest }, Topic::Operations { tenant: darjberry });
    let data: Vec<serde_json::Value> = (1..=missed).map(|n| json!({ "n": n })).collect();
    // Another tenant's events interleaved: numbers with gaps, never sent here.
    let batch: Vec<(&Topic, &str, &serde_json::Value)> =
        data.iter().flat_map(|d| [(&mine, "order.changed", d), (&theirs, "order.changed", d)]).collect();
    // The demo world's own events come first.
    number(&pool).await;
    let earlier: i64 = sqlx::query_scalar("SELECT count(*) FROM live_events WHERE topic = $1 AND seq IS NOT NULL")
        .bind(mine.to_string())
        .fetch_one(&mut *operator(&pool).await)
        .await
        .unwrap();
    let mut tx = operator(&pool).await;
    app::live::publish_all(&mut tx, &batch).await.unwrap();
    tx.commit().await.unwrap();
    number(&pool).await;
    // The backlog must come from the replay, not from the hub's next pump: a
    // subscriber handed 1,200 live events while it replays falls behind by more than
    // the hub lets it and is dropped (to reconnect), which is not what this tests.
    let last: i64 =
        sqlx::query_scalar("SELECT max(seq) FROM live_events").fetch_one(&mut *operator(&pool).await).await.unwrap();
    let hub = app.runtime.hub.clone();
    support::wait_for("the hub to pass the backlog", WAIT, async || hub.cursor() >= last).await;

    let url = app.url("/api/v1/events?topic=ops");
    let mut client = SseClient::connect(&url, Some(&ops), Some("0")).await.unwrap();
    let mut last_id = 0;
    for _ in 0..earlier {
        let e = client.next(WAIT).await.expect("the demo's events");
        last_id = e.id.as_deref().unwrap().parse().unwrap();
    }
    let mut seen = Vec::new();
    for _ in 0..missed {
        let e = client.next(WAIT).await.expect("every missed event");
        let id: i64 = e.id.as_deref().unwrap().parse().unwrap();
        assert!(id > last_id, "ids increase");
        last_id = id;
        seen.push(n(&e));
    }
    assert_eq!(seen, (1..=missed).collect::<Vec<_>>());
    let live = publish_ops(&pool, greenharvest, missed + 1).await;
    let e = client.next(WAIT).await.expect("the live event after the backlog");
    assert_eq!((e.id.clone(), n(&e)), (Some(live.to_string()), missed + 1));
    assert!(client.next(Duration::from_millis(500)).await.is_none(), "nothing repeated, nothing foreign");
}

#[sqlx::test(migrations = false)]
async fn events_arrive_even_when_the_notification_is_lost_or_the_connections_are_cut(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ops = access_token(&app, "ops@greenharvest.demo").await;
    let greenharvest = tenant(&pool, "greenharvest").await;
    let mut stream = SseClient::connect(&app.url("/api/v1/events?topic=ops"), Some(&ops), None).await.unwrap();

    // Published and committed with no NOTIFY and nobody numbering it but the app's own
    // hub: it numbers it on its tick and delivers it.
    let mut tx = app::db::tenant_tx(&pool, greenharvest).await.unwrap();
    publish(&mut tx, &Topic::Operations { tenant: greenharvest }, "order.changed", &json!({ "n": 1 })).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(n(&stream.next(WAIT).await.unwrap()), 1);

    // Every connection of the app cut (a database restart): the listener comes back.
    let admin = PgPool::connect_with((*pool.connect_options()).clone()).await.unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        .execute(&admin)
        .await
        .unwrap();
    publish_ops(&admin, greenharvest, 2).await;
    assert_eq!(n(&stream.next(WAIT).await.unwrap()), 2);
    publish_ops(&admin, greenharvest, 3).await;
    assert_eq!(n(&stream.next(WAIT).await.unwrap()), 3);
}

#[sqlx::test(migrations = false)]
async fn a_subscriber_that_does_not_read_is_dropped_not_buffered_forever(pool: PgPool) {
    server::db::migrate(&pool).await.unwrap();
    let hub = Hub::start(pool.clone(), 4).await.unwrap();
    let topic = Topic::Person { user: uuid::Uuid::now_v7() };
    let mut stalled = hub.subscribe(&topic.to_string());
    let mut reader = hub.subscribe(&topic.to_string());
    assert_eq!(hub.subscriber_count(), 2);
    let mut tx = operator(&pool).await;
    for n in 0..10 {
        publish(&mut tx, &topic, "tick", &json!({ "n": n })).await.unwrap();
    }
    tx.commit().await.unwrap();
    // The reader keeps up (it is drained as events come); the stalled one is cut off
    // after its four-event buffer and sees its stream end.
    let mut got = Vec::new();
    while got.len() < 4 {
        got.push(tokio::time::timeout(WAIT, reader.events.recv()).await.unwrap().unwrap().seq);
    }
    let mut buffered = 0;
    while let Ok(Some(_)) = tokio::time::timeout(WAIT, stalled.events.recv()).await {
        buffered += 1;
    }
    assert_eq!(buffered, 4, "the stalled subscriber got its buffer, then its stream ended");
    assert!(hub.subscriber_count() <= 1);
}

#[sqlx::test(migrations = false)]
async fn open_streams_end_when_the_app_shuts_down_so_the_drain_finishes(pool: PgPool) {
    let mut app = TestApp::spawn(pool.clone()).await;
    let ops = access_token(&app, "ops@greenharvest.demo").await;
    let mut stream = SseClient::connect(&app.url("/api/v1/events?topic=ops"), Some(&ops), None).await.unwrap();
    app.stop();
    let started = std::time::Instant::now();
    assert!(stream.next(WAIT).await.is_none(), "the stream ended");
    assert!(started.elapsed() < Duration::from_secs(5), "ended at shutdown, not at a timeout");
    // And the server is gone (the drain did not hang on the stream).
    let gone = async || reqwest::get(app.url("/healthz")).await.is_err();
    support::wait_for("the server to stop", WAIT, gone).await;
}

#[sqlx::test(migrations = false)]
async fn a_stream_ends_when_the_token_it_was_opened_with_expires(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let keys = support::signing_keys();
    let claims = keys.verify(&access_token(&app, "ops@greenharvest.demo").await).unwrap();
    let ttl = claims.exp - claims.iat;
    // The same session's token, issued so that it has three seconds left.
    let (short, _) = keys
        .issue(claims.sub, claims.sid, &claims.tenant, claims.roles.clone(), support::now_secs() + 3 - ttl)
        .unwrap();
    let mut stream = SseClient::connect(&app.url("/api/v1/events?topic=ops"), Some(&short), None).await.unwrap();
    let started = std::time::Instant::now();
    assert!(stream.next(WAIT).await.is_none(), "the stream ended");
    assert!(started.elapsed() < Duration::from_secs(6), "at the token's expiry, {:?}", started.elapsed());
}
