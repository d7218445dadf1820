//! The real `server` binary: configuration errors at start, and a clean stop on SIGTERM.

use crate::support;

use sqlx::PgPool;
use std::process::Command;
use std::time::{Duration, Instant};

fn server() -> Command {
    support::server_command()
}

#[test]
fn a_bad_setting_stops_the_start_naming_it() {
    let out = server()
        .env("DATABASE_URL", "postgres://x@127.0.0.1:1/x")
        .env("MANDI_DB_MAX_CONNECTIONS", "lots")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MANDI_DB_MAX_CONNECTIONS=\"lots\""), "{stderr}");

    let out = server().env_remove("DATABASE_URL").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL is not set"));
}

#[test]
fn an_unreachable_database_is_a_clear_start_failure() {
    let out = server()
        .env("DATABASE_URL", "postgres://mandi@127.0.0.1:1/mandi")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect to the database"));
}

#[sqlx::test(migrations = false)]
async fn serves_then_drains_and_exits_cleanly_on_sigterm(pool: PgPool) {
    let url = support::database_url(&pool).await;
    let port = support::free_port();

    let mut child = server()
        .env("DATABASE_URL", url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("MANDI_ENV", "test")
        .env("MANDI_DEMO_AUTOLOAD", "true")
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("http://127.0.0.1:{port}/readyz")).send().await
            && r.status() == 200
        {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "server never became ready");
        assert!(child.try_wait().unwrap().is_none(), "server exited early");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let products = client.get(format!("http://127.0.0.1:{port}/api/v1/products")).send().await.unwrap();
    assert_eq!(products.status(), 200);

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
    assert!(out.status.success(), "exit status {:?}", out.status);
    let logs = String::from_utf8_lossy(&out.stdout);
    // JSON logs: each line an object, the stop recorded.
    assert!(
        logs.lines().filter(|l| !l.is_empty()).all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "{logs}"
    );
    assert!(logs.contains("\"message\":\"stopped\""), "{logs}");
    assert!(logs.contains("\"request_id\""), "request logs carry the request id: {logs}");
}
