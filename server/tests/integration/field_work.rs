//! The task board and field visits end to end: bounded recurring series, assignment
//! only to the tenant's field agents, agents completing only their own tasks; visits
//! stored once under the phone's id, writing plant counts, completing tasks and
//! showing on the owner's page; and the daily rules opening and closing their alerts.

use crate::support;
use chrono::{Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, access_token, send, signing_keys, user_id};
use uuid::Uuid;

/// A token for a person made in the test (they have no password).
fn token_for(id: Uuid, roles: &[&str]) -> String {
    let roles = roles.iter().map(|r| r.to_string()).collect();
    signing_keys().issue(id, Uuid::now_v7(), "darjberry", roles, support::now_secs()).unwrap().0
}

/// The demo customer's first farm (id, slug).
async fn owned_farm(app: &TestApp) -> (Uuid, String) {
    let owner = access_token(app, "customer@darjberry.demo").await;
    let (_, farms) = send(app, "GET", "/api/v1/me/farms", None, &owner).await;
    (farms["data"][0]["farmId"].as_str().unwrap().parse().unwrap(), farms["data"][0]["slug"].as_str().unwrap().into())
}

fn today() -> NaiveDate {
    app::domain::distribution::ist_date(Utc::now())
}

#[sqlx::test(migrations = false)]
async fn ops_plan_bounded_series_for_the_tenants_agents_and_agents_complete_their_own(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (_, slug) = owned_farm(&app).await;
    let ops = access_token(&app, "ops@darjberry.demo").await;
    let agent = access_token(&app, "field_agent@darjberry.demo").await;
    let agent_id = user_id(&pool, "field_agent@darjberry.demo").await;
    let first = today() + Duration::days(1);
    let (status, body) = send(
        &app,
        "POST",
        "/api/v1/field/tasks",
        Some(json!({ "farm": slug, "kind": "pest_check", "dueOn": first.to_string(), "assignee": agent_id,
                     "rrule": "FREQ=WEEKLY;COUNT=4" })),
        &ops,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let made = body["data"].as_array().unwrap();
    let days: Vec<&str> = made.iter().map(|t| t["dueOn"].as_str().unwrap()).collect();
    let expected: Vec<String> = (0..4).map(|w| (first + Duration::days(7 * w)).to_string()).collect();
    assert_eq!(days, expected);
    assert!(made.iter().all(|t| t["seriesId"] == made[0]["seriesId"] && t["title"] == "Pest check"));

    let customer = user_id(&pool, "customer@darjberry.demo").await;
    let malar_staff = user_id(&pool, "staff@malar.demo").await;
    let task = |extra: Value| {
        let mut body = json!({ "farm": slug, "kind": "visit", "dueOn": first.to_string() });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    for (extra, field) in [
        (json!({ "rrule": "FREQ=SECONDLY;COUNT=5" }), "rrule"),
        (json!({ "rrule": "FREQ=DAILY" }), "rrule"),
        (json!({ "rrule": "FREQ=DAILY;UNTIL=20991231" }), "rrule"),
        (json!({ "rrule": "FREQ=MONTHLY;COUNT=36" }), "rrule"),
        (json!({ "assignee": customer }), "assignee"),
        (json!({ "assignee": malar_staff }), "assignee"),
        (json!({ "assignee": Uuid::now_v7() }), "assignee"),
        (json!({ "kind": "custom" }), "title"),
        (json!({ "kind": "dance" }), "kind"),
        (json!({ "dueOn": "31/12/2026" }), "dueOn"),
        (json!({ "farm": "no-such-farm" }), "farm"),
    ] {
        let (status, body) = send(&app, "POST", "/api/v1/field/tasks", Some(task(extra.clone())), &ops).await;
        assert_eq!(status, 400, "{extra}: {body}");
        assert!(body["error"]["fields"][field].is_string(), "{field} in {body}");
    }
    assert_eq!(send(&app, "POST", "/api/v1/field/tasks", Some(task(json!({}))), &agent).await.0, 403);

    // The agent's board holds only their own tasks; they complete one, and nothing else.
    let (_, board) = send(&app, "GET", "/api/v1/field/tasks?status=open", None, &agent).await;
    let mine = board["data"].as_array().unwrap();
    assert!(!mine.is_empty() && mine.iter().all(|t| t["assigneeId"] == json!(agent_id)), "{board}");
    let id = made[0]["id"].as_str().unwrap();
    let (status, done) =
        send(&app, "PATCH", &format!("/api/v1/field/tasks/{id}"), Some(json!({ "status": "done" })), &agent).await;
    assert_eq!((status, done["data"]["status"].as_str()), (200, Some("done")), "{done}");
    assert!(done["data"]["completedAt"].is_string());
    let other = made[1]["id"].as_str().unwrap();
    let (status, _) =
        send(&app, "PATCH", &format!("/api/v1/field/tasks/{other}"), Some(json!({ "assignee": "none" })), &agent).await;
    assert_eq!(status, 403);
    let (_, unassigned) = send(&app, "POST", "/api/v1/field/tasks", Some(task(json!({}))), &ops).await;
    let theirs = unassigned["data"][0]["id"].as_str().unwrap();
    let (status, _) =
        send(&app, "PATCH", &format!("/api/v1/field/tasks/{theirs}"), Some(json!({ "status": "done" })), &agent).await;
    assert_eq!(status, 404);

    // Ops reassign to another agent of the estate, never to someone else.
    let second = support::person_with_roles(&pool, "darjberry", &["field_agent"]).await;
    let (status, moved) =
        send(&app, "PATCH", &format!("/api/v1/field/tasks/{other}"), Some(json!({ "assignee": second })), &ops).await;
    assert_eq!((status, moved["data"]["assigneeId"].clone()), (200, json!(second)), "{moved}");
    let (status, _) =
        send(&app, "PATCH", &format!("/api/v1/field/tasks/{other}"), Some(json!({ "assignee": customer })), &ops).await;
    assert_eq!(status, 400);
    let (_, theirs_now) = send(&app, "GET", "/api/v1/field/tasks", None, &token_for(second, &["field_agent"])).await;
    assert_eq!(theirs_now["data"].as_array().unwrap().len(), 1);
    assert!(support::audit_count(&pool, "field_task.updated").await >= 2);
    // Another estate sees none of it.
    let malar = access_token(&app, "admin@malar.demo").await;
    let (_, none) = send(&app, "GET", "/api/v1/field/tasks", None, &malar).await;
    assert_eq!(none["data"], json!([]));
}

fn visit(id: Uuid, farm: &str, notes: &str, at: chrono::DateTime<Utc>) -> Value {
    json!({
        "id": id, "farm": farm, "visitedAt": at.to_rfc3339(), "notes": notes,
        "position": { "latitude": "27.0412", "longitude": "88.2663", "accuracyM": "12.5" },
        "plantCounts": [{ "crop": "tea", "planted": 1200, "alive": 1150, "lost": 50 }],
    })
}

#[sqlx::test(migrations = false)]
async fn a_visit_sent_twice_is_stored_once_writes_counts_completes_tasks_and_reaches_the_owner(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (farm, slug) = owned_farm(&app).await;
    let agent = access_token(&app, "field_agent@darjberry.demo").await;
    let (_, board) = send(&app, "GET", &format!("/api/v1/field/tasks?farm={slug}&status=open"), None, &agent).await;
    let task = board["data"][0]["id"].as_str().unwrap().to_string();
    let id = Uuid::now_v7();
    let visited_at = Utc::now() - Duration::hours(3);
    let mut body = visit(id, &slug, "Two rows replanted near the gate.", visited_at);
    body["completesTasks"] = json!([task, Uuid::now_v7()]);
    let (status, first) = send(&app, "POST", "/api/v1/field/visits", Some(body.clone()), &agent).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["data"]["tasksCompleted"], json!([task]));
    assert_eq!(first["data"]["visit"]["plantCounts"][0]["alive"], 1150);
    // The phone never saw the answer and sends it again: the same visit, stored once.
    let (status, again) = send(&app, "POST", "/api/v1/field/visits", Some(body.clone()), &agent).await;
    assert_eq!((status, again["data"]["created"].clone()), (200, json!(false)), "{again}");
    assert_eq!(again["data"]["visit"]["receivedAt"], first["data"]["visit"]["receivedAt"]);
    let mut changed = body.clone();
    changed["notes"] = json!("Something else");
    let (status, clash) = send(&app, "POST", "/api/v1/field/visits", Some(changed), &agent).await;
    assert_eq!(status, 409, "{clash}");
    let second = support::person_with_roles(&pool, "darjberry", &["field_agent"]).await;
    let other_agent = token_for(second, &["field_agent"]);
    assert_eq!(send(&app, "POST", "/api/v1/field/visits", Some(body.clone()), &other_agent).await.0, 403);
    let (status, _) =
        send(&app, "PATCH", &format!("/api/v1/field/visits/{id}"), Some(json!({ "notes": "mine now" })), &other_agent)
            .await;
    assert_eq!(status, 403);
    let (status, edited) = send(
        &app,
        "PATCH",
        &format!("/api/v1/field/visits/{id}"),
        Some(json!({ "notes": "Three rows replanted." })),
        &agent,
    )
    .await;
    assert_eq!((status, edited["data"]["notes"].as_str()), (200, Some("Three rows replanted.")));
    let mut tx = support::operator(&pool).await;
    let counts: Vec<(i32, Option<Uuid>, NaiveDate)> = sqlx::query_as(
        "SELECT alive, visit_id, counted_on FROM plant_counts WHERE farm_id = $1 AND crop = 'tea' AND visit_id IS NOT NULL",
    )
    .bind(farm)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    // Counted on the day of the visit (in India), which three hours ago may be yesterday.
    assert_eq!(counts, vec![(1150, Some(id), app::domain::distribution::ist_date(visited_at))]);

    // The owner sees it on the farm's page; ops see it in the estate's list.
    let owner = access_token(&app, "customer@darjberry.demo").await;
    let (_, page) = send(&app, "GET", &format!("/api/v1/me/farms/{slug}"), None, &owner).await;
    assert_eq!(page["data"]["visits"][0]["notes"], "Three rows replanted.", "{page}");
    let ops = access_token(&app, "ops@darjberry.demo").await;
    let (_, listed) = send(&app, "GET", &format!("/api/v1/field/visits?farm={slug}&limit=1"), None, &ops).await;
    assert_eq!(listed["data"][0]["id"], json!(id));
    let (_, own) = send(&app, "GET", "/api/v1/field/visits", None, &other_agent).await;
    assert_eq!(own["data"], json!([]));

    // A phone whose clock runs days ahead still has its visit kept, counted today.
    let ahead = Uuid::now_v7();
    let (status, kept) = send(
        &app,
        "POST",
        "/api/v1/field/visits",
        Some(visit(ahead, &slug, "clock ahead", Utc::now() + Duration::days(3))),
        &agent,
    )
    .await;
    assert_eq!(status, 201, "{kept}");
    let received: chrono::DateTime<Utc> = kept["data"]["visit"]["receivedAt"].as_str().unwrap().parse().unwrap();
    assert!((Utc::now() - received).num_seconds().abs() < 60);

    // Hostile visits: refused by field, nothing stored.
    for (patch, field) in [
        (json!({ "visitedAt": "yesterday" }), "visitedAt"),
        (json!({ "plantCounts": [{ "crop": "tea", "planted": 10, "alive": 9, "lost": 5 }] }), "plantCounts[0]"),
        (
            json!({ "plantCounts": [{ "crop": "tea", "planted": 1, "alive": 1, "lost": 0 },
                                 { "crop": "Tea", "planted": 1, "alive": 1, "lost": 0 }] }),
            "plantCounts[1].crop",
        ),
        (json!({ "position": { "latitude": "95", "longitude": "88" } }), "position.latitude"),
        (json!({ "notes": "x".repeat(4001) }), "notes"),
        (json!({ "farm": "no-such-farm" }), "farm"),
    ] {
        let mut bad = visit(Uuid::now_v7(), &slug, "bad", Utc::now());
        bad.as_object_mut().unwrap().extend(patch.as_object().unwrap().clone());
        let (status, answer) = send(&app, "POST", "/api/v1/field/visits", Some(bad), &agent).await;
        assert_eq!(status, 400, "{patch}: {answer}");
        assert!(answer["error"]["fields"][field].is_string(), "{field} in {answer}");
    }
    let mut tx = support::operator(&pool).await;
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM field_visits WHERE notes = 'bad'").fetch_one(&mut *tx).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(stored, 0);
    let customer = access_token(&app, "customer@darjberry.demo").await;
    assert_eq!(
        send(&app, "POST", "/api/v1/field/visits", Some(visit(Uuid::now_v7(), &slug, "x", Utc::now())), &customer)
            .await
            .0,
        403
    );
}

#[sqlx::test(migrations = false)]
async fn the_daily_rules_open_and_close_their_own_alerts(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (farm, slug) = owned_farm(&app).await;
    let ops = access_token(&app, "ops@darjberry.demo").await;
    let agent = access_token(&app, "field_agent@darjberry.demo").await;
    let agent_id = user_id(&pool, "field_agent@darjberry.demo").await;
    let run = async || {
        let mut tx = support::operator(&pool).await;
        let r = app::field::rules_service::run(&mut tx, today()).await.unwrap();
        tx.commit().await.unwrap();
        r
    };
    // The demo's farms were all visited this week and have nothing past due.
    assert_eq!(run().await.opened, 0);
    let (_, late) = send(
        &app,
        "POST",
        "/api/v1/field/tasks",
        Some(json!({ "farm": slug, "kind": "pruning", "dueOn": (today() - Duration::days(3)).to_string(), "assignee": agent_id })),
        &ops,
    )
    .await;
    let late = late["data"][0]["id"].as_str().unwrap().to_string();
    // A farm of a month ago that nobody has visited.
    let mut tx = support::operator(&pool).await;
    let forgotten = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO farms (tenant_id, id, slug, name, region, state, created_at)
         SELECT id, $1, 'forgotten-garden', 'Forgotten Garden', 'Test', 'WB', now() - interval '30 days'
         FROM tenants WHERE slug = 'darjberry'",
    )
    .bind(forgotten)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(run().await.opened, 2);
    assert_eq!(run().await.opened, 0, "one open alert per farm and kind");
    let (_, open) = send(&app, "GET", "/api/v1/alerts?status=open", None, &ops).await;
    let kinds: Vec<(String, String)> = open["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["kind"].as_str().unwrap().to_string(), a["subjectId"].as_str().unwrap().to_string()))
        .collect();
    assert!(kinds.contains(&("tasks_overdue".into(), farm.to_string())), "{kinds:?}");
    assert!(kinds.contains(&("no_recent_visit".into(), forgotten.to_string())), "{kinds:?}");

    // A visit answers the first; the late task done, the next run closes the second.
    let (status, _) = send(
        &app,
        "POST",
        "/api/v1/field/visits",
        Some(json!({ "id": Uuid::now_v7(), "farm": "forgotten-garden", "visitedAt": Utc::now().to_rfc3339() })),
        &agent,
    )
    .await;
    assert_eq!(status, 201);
    send(&app, "PATCH", &format!("/api/v1/field/tasks/{late}"), Some(json!({ "status": "done" })), &agent).await;
    assert_eq!(run().await.resolved, 1);
    let (_, open) = send(&app, "GET", "/api/v1/alerts?status=open", None, &ops).await;
    assert_eq!(open["data"], json!([]), "{open}");
}

#[sqlx::test(migrations = false)]
async fn the_board_shows_ops_everything_and_an_agent_their_own(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let page = async |email: &str, path: &str| {
        let cookies = format!("mandi_session={}", access_token(&app, email).await);
        let r = app.get_html_with_cookies(path, &cookies).await;
        (r.status().as_u16(), r.text().await.unwrap())
    };
    let (status, ops) = page("ops@darjberry.demo", "/ops/tasks").await;
    assert_eq!(status, 200);
    assert!(
        ops.contains("data-testid=\"new-task-form\"") && ops.contains("data-testid=\"task\""),
        "ops plan and see tasks"
    );
    // A second agent with a task of their own: the first agent never sees it.
    let second = support::person_with_roles(&pool, "darjberry", &["field_agent"]).await;
    let ops_token = access_token(&app, "ops@darjberry.demo").await;
    let (_, farm) = owned_farm(&app).await;
    let (_, made) = send(
        &app,
        "POST",
        "/api/v1/field/tasks",
        Some(json!({ "farm": farm, "kind": "custom", "title": "Mend the <fence>", "dueOn": today().to_string(), "assignee": second.to_string() })),
        &ops_token,
    )
    .await;
    let theirs = made["data"][0]["id"].as_str().unwrap().to_string();
    let (_, agent) = page("field_agent@darjberry.demo", "/ops/tasks?status=all").await;
    assert!(agent.contains("data-testid=\"task\"") && !agent.contains(&theirs), "only their own");
    assert!(!agent.contains("new-task-form"), "agents do not plan");
    let (_, ops_all) = page("ops@darjberry.demo", "/ops/tasks").await;
    assert!(ops_all.contains("Mend the &lt;fence&gt;") && !ops_all.contains("Mend the <fence>"), "titles are escaped");
    let (status, customer) = page("customer@darjberry.demo", "/ops/tasks").await;
    assert!(status == 403 || customer.contains("do not have access"), "{status}");
    // Someone not signed in is sent to sign in first.
    let anonymous = app.get("/ops/tasks").await;
    let location = anonymous.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_string();
    assert!(
        anonymous.url().path() == "/login" || location.starts_with("/login"),
        "{} at {} (location {location:?})",
        anonymous.status(),
        anonymous.url()
    );
}
