//! Test helpers: the real application on a random port, against a fresh database
//! that `#[sqlx::test]` creates for each test (and drops when it passes).

#![allow(dead_code)]

use app::config::Config;
use server::startup::Application;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::net::SocketAddr;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub pool: PgPool,
    /// The app's own pool (closing it is the database going away, for the app).
    pub app_pool: PgPool,
    /// The app's live-event hub and providers, for tests that wait on them.
    pub runtime: std::sync::Arc<server::runtime::Runtime>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

pub fn leptos_toml() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml")).expect("Leptos.toml")
}

/// The configuration the app would read, with `vars` standing in for the environment.
pub fn config_with(vars: &[(&str, &str)]) -> Config {
    let text = leptos_toml();
    let mut leptos = leptos::config::get_config_from_str(&text).expect("leptos section");
    leptos.site_addr = "127.0.0.1:0".parse().unwrap();
    // No built site beside a test binary: pages link the plain file names.
    leptos.hash_files = false;
    if let Some((_, root)) = vars.iter().find(|(k, _)| *k == "LEPTOS_SITE_ROOT") {
        leptos.site_root = (*root).into();
    }
    let mut env: BTreeMap<String, String> = BTreeMap::from([
        ("DATABASE_URL".into(), "postgres://unused@127.0.0.1/unused".into()),
        ("MANDI_ENV".into(), "test".into()),
        ("MANDI_DEMO_AUTOLOAD".into(), "true".into()),
        // One development signing key for the whole test run, generated once.
        ("MANDI_DATA_DIR".into(), env!("CARGO_TARGET_TMPDIR").into()),
    ]);
    for (k, v) in vars {
        env.insert(k.to_string(), v.to_string());
    }
    Config::from_parts(&text, "Leptos.toml", leptos, &move |k| env.get(k).cloned()).expect("test config")
}

/// Notification, payment and address settings production requires (pointing nowhere reachable).
pub const CLOUD_NOTIFY: &[(&str, &str)] = &[
    ("MANDI_NOTIFY_PROVIDER", "cloud"),
    ("MANDI_WHATSAPP_API_BASE", "http://127.0.0.1:9/v21.0"),
    ("MANDI_WHATSAPP_PHONE_NUMBER_ID", "1"),
    ("MANDI_WHATSAPP_TOKEN", "t"),
    ("MANDI_WHATSAPP_APP_SECRET", "s"),
    ("MANDI_SMS_API_URL", "http://127.0.0.1:9/sms"),
    ("MANDI_EMAIL_API_URL", "http://127.0.0.1:9/email"),
    ("MANDI_MESSAGING_API_TOKEN", "m"),
    ("MANDI_PAYMENT_GATEWAY", "razorpay"),
    ("MANDI_RAZORPAY_API_BASE", "http://127.0.0.1:9"),
    ("MANDI_RAZORPAY_KEY_ID", "rzp_live_test"),
    ("MANDI_RAZORPAY_KEY_SECRET", "k"),
    ("MANDI_RAZORPAY_WEBHOOK_SECRET", "w"),
    ("MANDI_PUBLIC_BASE_URL", "https://shop.test.example"),
];

impl TestApp {
    /// Migrates the database, loads the small demo world, and serves on port 0.
    pub async fn spawn(pool: PgPool) -> TestApp {
        TestApp::spawn_with(pool, &[]).await
    }

    pub async fn spawn_with(pool: PgPool, vars: &[(&str, &str)]) -> TestApp {
        // The app gets a pool of its configured size, as in production: the test's own
        // pool (five connections) is too small for the listeners, the job worker and
        // concurrent requests together.
        let config = config_with(vars);
        let app_pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(config.db_max_connections)
            .connect_with((*pool.connect_options()).clone())
            .await
            .expect("app pool");
        let app = Application::with_pool(config, app_pool.clone()).await.expect("app builds");
        let addr = app.local_addr();
        let runtime = app.runtime.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestApp { addr, client, pool, app_pool, runtime, stop: Some(stop) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Starts the graceful shutdown (as SIGTERM does in the binary).
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        let body = response.json().await.expect("JSON body");
        (status, body)
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        bearer: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            if text.is_empty() { serde_json::Value::Null } else { serde_json::from_str(&text).expect("JSON body") },
        )
    }

    pub async fn get_json_as(&self, path: &str, bearer: &str) -> (u16, serde_json::Value) {
        let response = self.client.get(self.url(path)).bearer_auth(bearer).send().await.expect("request sent");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// Calls a server function the way a browser form does (URL-encoded), with cookies.
    pub async fn call_fn(&self, path: &str, form: &[(&str, &str)], cookies: Option<&str>) -> reqwest::Response {
        let mut request = self.client.post(self.url(path)).header("accept", "application/json").form(form);
        if let Some(c) = cookies {
            request = request.header(reqwest::header::COOKIE, c);
        }
        request.send().await.expect("request sent")
    }

    /// A page as a browser asks for it (`Accept: text/html`, so redirects are real 302s).
    pub async fn get_html_with_cookies(&self, path: &str, cookies: &str) -> reqwest::Response {
        let mut request = self.client.get(self.url(path)).header(reqwest::header::ACCEPT, "text/html");
        if !cookies.is_empty() {
            request = request.header(reqwest::header::COOKIE, cookies);
        }
        request.send().await.expect("request sent")
    }

    pub async fn get_html(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

/// A transaction that sees every tenant's rows: tests inspect the database as an
/// operator would (row-level security hides rows from a plain connection).
pub async fn operator(pool: &PgPool) -> sqlx::Transaction<'static, sqlx::Postgres> {
    app::db::cross_tenant_tx(pool).await.expect("cross-tenant transaction")
}

/// Makes `user` a platform operator (`platform_admins`), as the database owner would.
pub async fn grant_platform_operator(pool: &PgPool, user: uuid::Uuid) {
    sqlx::query("INSERT INTO platform_admins (user_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(user)
        .execute(pool)
        .await
        .unwrap();
}

/// `SELECT count(*) FROM audit_log WHERE action = $1`, across tenants.
pub async fn audit_count(pool: &PgPool, action: &str) -> i64 {
    let mut tx = operator(pool).await;
    sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(&mut *tx)
        .await
        .unwrap()
}

/// The signing key the test app uses (generated once per test run in the data folder).
pub fn signing_keys() -> app::account::tokens::SigningKeys {
    let config = config_with(&[]);
    app::account::tokens::SigningKeys::load_or_generate(&config.signing_key_path(), true).expect("signing key")
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A new person with `roles` in tenant `slug`; returns their id.
pub async fn person_with_roles(pool: &PgPool, slug: &str, roles: &[&str]) -> uuid::Uuid {
    let id = uuid::Uuid::now_v7();
    let mut tx = operator(pool).await;
    sqlx::query("INSERT INTO users (id, email, display_name) VALUES ($1, $2, 'Test person')")
        .bind(id)
        .bind(format!("{}@test.example", id.simple()))
        .execute(&mut *tx)
        .await
        .unwrap();
    for role in roles {
        sqlx::query(
            "INSERT INTO memberships (tenant_id, user_id, role) SELECT id, $2, $3 FROM tenants WHERE slug = $1",
        )
        .bind(slug)
        .bind(id)
        .bind(role)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    id
}

/// The value of `name` in a response's `Set-Cookie` headers, if it set one.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// The cookie's value from a `Set-Cookie` line.
pub fn cookie_value(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_string()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Sends `method path` with a bearer token and an optional JSON body; answers the
/// status and the body (JSON, or the text as a JSON string).
pub async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
    token: &str,
) -> (u16, serde_json::Value) {
    let method = <reqwest::Method as std::str::FromStr>::from_str(method).unwrap();
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        request = request.json(&b);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

/// The demo world's shared password.
pub const DEMO_PASSWORD: &str = "mandi-demo";

/// Signs a demo person in over the API; returns their access token.
pub async fn access_token(app: &TestApp, email: &str) -> String {
    let (status, body) = app
        .post_json("/api/v1/auth/login", &serde_json::json!({ "email": email, "password": DEMO_PASSWORD }), None)
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["accessToken"].as_str().expect("access token").to_string()
}

/// The id of a person by e-mail.
pub async fn user_id(pool: &PgPool, email: &str) -> uuid::Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_one(pool).await.unwrap()
}

/// Polls `check` every 25 ms until it holds; fails the test naming `what` after `within`.
pub async fn wait_for<F: AsyncFnMut() -> bool>(what: &str, within: std::time::Duration, mut check: F) {
    let started = std::time::Instant::now();
    while !check().await {
        assert!(started.elapsed() < within, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// One Server-Sent Event as a client sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

/// A minimal SSE client over reqwest's byte stream.
pub struct SseClient {
    stream: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
}

impl SseClient {
    /// Connects to `url` (with a bearer token and an optional `Last-Event-ID`) and waits
    /// until the server confirms the subscription. Err: the refusal's status and body.
    pub async fn connect(
        url: &str,
        bearer: Option<&str>,
        last_event_id: Option<&str>,
    ) -> Result<SseClient, (u16, serde_json::Value)> {
        let mut request = reqwest::Client::new().get(url).header("accept", "text/event-stream");
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.expect("request sent");
        if response.status() != 200 {
            let status = response.status().as_u16();
            return Err((status, response.json().await.unwrap_or(serde_json::Value::Null)));
        }
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let mut client = SseClient { stream: Box::pin(response.bytes_stream()), buffer: String::new() };
        let first = client.next_frame(std::time::Duration::from_secs(10)).await.expect("the subscription is confirmed");
        assert!(first.contains(": subscribed"), "{first}");
        Ok(client)
    }

    async fn next_frame(&mut self, within: std::time::Duration) -> Option<String> {
        use futures::StreamExt;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame = self.buffer[..end].to_string();
                self.buffer.drain(..end + 2);
                return Some(frame);
            }
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Ok(Some(Ok(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// The next event (keep-alive comments skipped), or None if none comes in `within`
    /// or the server ended the stream.
    pub async fn next(&mut self, within: std::time::Duration) -> Option<SseEvent> {
        loop {
            let frame = self.next_frame(within).await?;
            let mut event = SseEvent { id: None, event: None, data: String::new() };
            let mut any = false;
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    event.id = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("event:") {
                    event.event = Some(v.trim().to_string());
                    any = true;
                } else if let Some(v) = line.strip_prefix("data:") {
                    if !event.data.is_empty() {
                        event.data.push('\n');
                    }
                    event.data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    any = true;
                }
            }
            if any {
                return Some(event);
            }
        }
    }
}

/// The real `server` binary, configured like a deployment of this checkout, its output piped.
pub fn server_command() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.env("MANDI_CONFIG", concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml"))
        .env("LEPTOS_SITE_ROOT", concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site"))
        .env("MANDI_DATA_DIR", env!("CARGO_TARGET_TMPDIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd
}

/// A URL for the test's own database (the one `#[sqlx::test]` created).
pub async fn database_url(pool: &PgPool) -> String {
    let database: String = sqlx::query_scalar("SELECT current_database()").fetch_one(pool).await.unwrap();
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let (server_part, query) = base.split_once('?').map_or((base.as_str(), ""), |(a, b)| (a, b));
    let query = if query.is_empty() { String::new() } else { format!("?{query}") };
    format!("{}/{database}{query}", server_part.rsplit_once('/').unwrap().0)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `server` process on its own port, killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub port: u16,
}

impl ServerProcess {
    /// Starts one against `database_url` (loading the demo world if it is empty) and
    /// waits until it is ready.
    pub async fn start(database_url: &str, vars: &[(&str, &str)]) -> ServerProcess {
        let port = free_port();
        let mut cmd = server_command();
        cmd.env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("MANDI_ENV", "test")
            .env("MANDI_DEMO_AUTOLOAD", "true")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let mut process = ServerProcess { child: cmd.spawn().unwrap(), port };
        let client = reqwest::Client::new();
        let started = std::time::Instant::now();
        loop {
            if let Ok(r) = client.get(process.url("/readyz")).send().await
                && r.status() == 200
            {
                return process;
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(60), "server never became ready");
            assert!(process.child.try_wait().unwrap().is_none(), "server exited early");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `kill -9`: no shutdown, no release of anything it holds.
    pub fn kill_hard(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
