//! Builds the application: pool, migrations, demo data, router and listener. Used by
//! `main.rs` and, on port 0 against a fresh database, by the integration tests.

use crate::notify::{Notifier, SendHandler, sandbox::Sandbox};
use crate::runtime::Runtime;
use crate::{db, demo, health, http, jobs, live, rest};
use app::account::tokens::SigningKeys;
use app::config::Config;
use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::middleware;
use axum::routing::get;
use leptos_axum::{LeptosRoutes, generate_route_list};
use sqlx::PgPool;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot connect to the database: {0}")]
    Database(#[source] sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot load the demo data: {0}")]
    Demo(#[source] sqlx::Error),
    #[error("MANDI_STORE_TENANT={0:?}: no tenant with that slug exists (load the demo data, or create the tenant)")]
    UnknownStoreTenant(String),
    #[error(transparent)]
    SigningKey(#[from] app::account::tokens::KeyError),
    #[error(
        "the database role {0:?} is a superuser or has BYPASSRLS, so row-level security would not isolate tenants; connect as an ordinary role"
    )]
    RoleBypassesRowSecurity(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("MANDI_OBJECT_STORE_URL: {0}")]
    ObjectStore(String),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    pool: PgPool,
    limits: Arc<http::rate_limit::Limits>,
    registry: jobs::Registry,
    worker: Option<jobs::worker::WorkerConfig>,
    pub runtime: Arc<Runtime>,
    closing: tokio::sync::watch::Sender<bool>,
}

impl Application {
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let pool = db::connect(&config.database_url, config.db_max_connections).await.map_err(StartError::Database)?;
        Application::with_pool(config, pool).await
    }

    pub async fn with_pool(mut config: Config, pool: PgPool) -> Result<Application, StartError> {
        db::migrate(&pool).await?;
        let (role, bypasses): (String, bool) = sqlx::query_as(
            "SELECT current_user::text, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
        )
        .fetch_one(&pool)
        .await
        .map_err(StartError::Database)?;
        if bypasses {
            if config.is_production() {
                return Err(StartError::RoleBypassesRowSecurity(role));
            }
            tracing::warn!(%role, "the database role bypasses row-level security: tenant isolation is not enforced by PostgreSQL here");
        }
        if config.demo_autoload {
            demo::load_if_empty(&pool, config.demo_scale, config.demo_seed).await.map_err(StartError::Demo)?;
        }
        seal_legacy_history(&pool).await.map_err(StartError::Database)?;
        let store_tenant: uuid::Uuid = sqlx::query_scalar("SELECT id FROM tenants WHERE slug = $1")
            .bind(config.store_tenant.as_str())
            .fetch_optional(&pool)
            .await
            .map_err(StartError::Database)?
            .ok_or_else(|| StartError::UnknownStoreTenant(config.store_tenant.to_string()))?;
        let files = crate::files::Files::new(
            crate::files::object_storage::open(&config.object_store).map_err(StartError::ObjectStore)?,
            &config.data_dir,
        );
        tracing::info!(store = %crate::files::object_storage::describe(&config.object_store), "files are kept in");
        let keys = SigningKeys::load_or_generate(&config.signing_key_path(), !config.is_production())?;
        let addr = config.leptos.site_addr;
        let listener = TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })?;
        let bound = listener.local_addr().map_err(|source| StartError::Bind { addr, source })?;
        // Two addresses: the listener's, for this process calling itself (the sandboxes'
        // APIs and their webhooks); the public one, for every address a person or an
        // outside provider is given (payment return pages, slip links).
        let app_base = format!("http://{bound}");
        config.public_base_url = public_base(&config.public_base_url, addr, bound);
        let cool_down = std::time::Duration::from_secs(config.notify_circuit_cool_down_secs.into());
        let notifier = Arc::new(Notifier::from_config(&config.notify, &app_base, cool_down));
        let sandbox = match &config.notify {
            app::config::NotifyProviders::Sandbox { app_secret } => Some(Sandbox::new(&app_base, app_secret)),
            app::config::NotifyProviders::Cloud { .. } => None,
        };
        let hub = live::hub::Hub::start(pool.clone(), 256).await.map_err(StartError::Database)?;
        let (closing, closing_rx) = tokio::sync::watch::channel(false);
        let runtime = Arc::new(Runtime { hub, notifier: notifier.clone(), closing: closing_rx });
        let payments =
            crate::payments::Payments::from_config(&config.payments, &app_base).reached_at(&config.public_base_url);
        let payment_sandbox = payments.sandbox.then(|| crate::payments::sandbox::Sandbox::new(pool.clone(), &payments));
        let mut registry = crate::catalog_import::register(
            jobs::kpi_jobs::register(jobs::field_jobs::register(jobs::farm_jobs::register(
                jobs::maintenance::register(jobs::Registry::new()),
            ))),
            &pool,
            &files,
        )
        .register(app::outbox::SEND_JOB, SendHandler { pool: pool.clone(), notifier })
        .register(
            crate::payments::jobs::REFUND_JOB,
            crate::payments::jobs::RefundHandler { payments: payments.clone() },
        )
        .register(crate::payments::jobs::EXPIRE_JOB, crate::payments::jobs::ExpireHandler { pool: pool.clone() })
        .register(
            crate::weather::PULL_JOB,
            crate::weather::Pull {
                base: match &config.weather {
                    app::config::WeatherSource::Off => None,
                    app::config::WeatherSource::Sandbox => Some(format!("{app_base}/sandbox/weather")),
                    app::config::WeatherSource::Provider { base_url } => Some(base_url.clone()),
                },
                client: reqwest::Client::builder()
                    .timeout(std::time::Duration::from_secs(15))
                    .build()
                    .expect("HTTP client builds"),
            },
        )
        .register(crate::files::EXPIRE_UPLOADS_JOB, crate::files::ExpireUploads(files.clone()))
        .register(
            crate::payments::jobs::RECONCILE_JOB,
            crate::payments::jobs::ReconcileHandler { pool: pool.clone(), payments: payments.clone() },
        );
        if payments.sandbox {
            registry = registry.register(
                crate::payments::sandbox::WEBHOOK_JOB,
                crate::payments::sandbox::WebhookDelivery {
                    url: format!("{app_base}/api/v1/webhooks/payments"),
                    secret: payments.webhook_secret.clone(),
                    client: reqwest::Client::builder()
                        .timeout(std::time::Duration::from_secs(15))
                        .build()
                        .expect("HTTP client builds"),
                },
            );
        }
        jobs::schedules::install(&pool, jobs::schedules::PLATFORM).await.map_err(StartError::Database)?;
        jobs::schedules::install(&pool, crate::payments::jobs::SCHEDULES).await.map_err(StartError::Database)?;
        jobs::schedules::install(&pool, jobs::farm_jobs::SCHEDULES).await.map_err(StartError::Database)?;
        jobs::schedules::install(&pool, jobs::field_jobs::SCHEDULES).await.map_err(StartError::Database)?;
        jobs::schedules::install(&pool, jobs::kpi_jobs::SCHEDULES).await.map_err(StartError::Database)?;
        jobs::schedules::install(&pool, crate::weather::SCHEDULES).await.map_err(StartError::Database)?;
        jobs::schedules::install(&pool, crate::files::SCHEDULES).await.map_err(StartError::Database)?;
        let worker = (config.jobs_concurrency > 0).then(|| {
            let mut worker = jobs::worker::WorkerConfig::new(
                config.jobs_concurrency as usize,
                std::time::Duration::from_secs(config.jobs_lease_secs.into()),
            );
            worker.backoff.base = std::time::Duration::from_millis(config.jobs_retry_base_ms.into());
            worker
        });
        let state = AppState {
            leptos_options: config.leptos.clone(),
            store_tenant,
            keys: Arc::new(keys),
            catalog: Arc::new(app::store::service::CatalogCache::new(
                std::time::Duration::from_secs(10),
                std::time::Duration::from_millis(config.catalog_listing_cache_ms.into()),
                std::time::Duration::from_millis(config.catalog_detail_cache_ms.into()),
            )),
            pool: pool.clone(),
            config: Arc::new(config),
        };
        let limits = http::rate_limit::Limits::new(
            state.config.rate_limit_sign_in_per_minute,
            state.config.rate_limit_user_per_minute,
        );
        let router = router(state, limits.clone(), runtime.clone(), sandbox, payments, payment_sandbox, files);
        Ok(Application { listener, router, pool, limits, registry, worker, runtime, closing })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener has an address")
    }

    /// Serves until SIGTERM or Ctrl-C, lets requests in flight finish, then closes the pool.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    pub async fn run_until(self, stop: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        tracing::info!(addr = %self.local_addr(), "listening");
        let (stop_background, stopped) = tokio::sync::watch::channel(false);
        let worker = self.worker.clone().map(|config| {
            jobs::worker::Worker::new(self.pool.clone(), self.registry.clone(), config).spawn(stopped.clone())
        });
        let scheduler = tokio::spawn(jobs::schedules::run(self.pool.clone(), stopped.clone()));
        // In-memory upkeep (durable work is jobs): every minute the rate limiters forget
        // idle callers; every few seconds the queue-depth gauges are refreshed.
        let upkeep = tokio::spawn({
            let pool = self.pool.clone();
            let limits = self.limits.clone();
            async move {
                let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
                for tick in 0u64.. {
                    every.tick().await;
                    if tick % 12 == 0 {
                        limits.shrink();
                    }
                    match jobs::store::depth(&pool, None).await {
                        Ok(queues) => {
                            for q in queues {
                                for (state, n) in [
                                    ("ready", q.ready),
                                    ("scheduled", q.scheduled),
                                    ("running", q.running),
                                    ("dead", q.dead),
                                ] {
                                    metrics::gauge!("jobs_queue_depth", "queue" => q.queue.clone(), "state" => state)
                                        .set(n as f64);
                                }
                                metrics::gauge!("jobs_oldest_ready_seconds", "queue" => q.queue.clone())
                                    .set(q.oldest_ready_secs);
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "reading queue depth failed"),
                    }
                }
            }
        });
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown({
                let closing = self.closing.clone();
                async move {
                    stop.await;
                    let _ = closing.send(true);
                }
            })
            .await?;
        let _ = stop_background.send(true);
        upkeep.abort();
        let _ = scheduler.await;
        if let Some(worker) = worker {
            // The worker finishes its jobs within its grace period, then releases the rest.
            let _ = worker.await;
        }
        self.pool.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Lots recorded before batch histories were chained (handling checkpoints, lab
/// results, lot certificates) get their chain before anyone reads it; afterwards
/// this finds nothing to do.
async fn seal_legacy_history(pool: &PgPool) -> Result<(), sqlx::Error> {
    let mut tx = app::db::cross_tenant_tx(pool).await?;
    let sealed = app::trace::chain_service::seal_legacy(&mut tx).await?;
    tx.commit().await?;
    if sealed > 0 {
        tracing::info!(events = sealed, "sealed the history recorded before the chain");
    }
    Ok(())
}

/// The public address, once the listener is bound: left at its default (the configured
/// site address, which production refuses), it is the address actually bound, as port 0
/// only becomes a port then.
fn public_base(configured: &str, site_addr: SocketAddr, bound: SocketAddr) -> String {
    if configured == format!("http://{site_addr}") { format!("http://{bound}") } else { configured.to_string() }
}

pub fn router(
    state: AppState,
    limits: Arc<http::rate_limit::Limits>,
    runtime: Arc<Runtime>,
    sandbox: Option<Arc<Sandbox>>,
    payments: crate::payments::Payments,
    payment_sandbox: Option<Arc<crate::payments::sandbox::Sandbox>>,
    files: crate::files::Files,
) -> Router {
    http::metrics::handle();
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let body_limit = state.config.body_limit_bytes;
    let page_cache = http::page_cache::PageCache::new(std::time::Duration::from_millis(
        state.config.catalog_listing_cache_ms.into(),
    ));
    {
        // A change to the catalogue, here or in another process, drops what was kept.
        let (catalog, pages) = (state.catalog.clone(), page_cache.clone());
        runtime.hub.on_catalog_change(move || {
            catalog.forget();
            if let Some(pages) = &pages {
                pages.forget();
            }
        });
    }

    let (api, rules) = rest::v1::build();
    let authorize_state =
        http::authorize::AuthorizeState { app: state.clone(), table: http::authorize::AccessTable::new(&rules) };

    let mut router = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(http::metrics::render))
        .route("/manifest.webmanifest", get(health::manifest))
        .route("/sw.js", get(crate::pwa::service_worker))
        .route("/ledger/manifest.webmanifest", get(crate::pwa::manifest))
        .route("/field/manifest.webmanifest", get(crate::pwa::field_manifest))
        .route("/.well-known/jwks.json", get(health::jwks))
        .route("/live/events", get(rest::v1::events::subscribe))
        .route("/orders/{id}/pay", get(crate::payments::pay::start))
        .route("/my/statements/{id}/pdf", get(crate::statements::download::site_statement))
        .route("/my/statements/annual/{year}/pdf", get(crate::statements::download::site_annual))
        .route("/payments/callback", get(crate::payments::pay::callback).post(crate::payments::pay::callback))
        .merge(crate::files::site_routes())
        .merge(crate::trace_images::site_routes())
        .merge(api)
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .fallback_service(http::site_files::service(&state))
        .with_state(state.clone())
        .merge(sandbox.map(Sandbox::router).unwrap_or_default())
        .merge(payment_sandbox.map(crate::payments::sandbox::Sandbox::router).unwrap_or_default())
        .merge(if state.config.weather == app::config::WeatherSource::Sandbox {
            crate::weather::sandbox_router()
        } else {
            Router::new()
        })
        .layer(axum::Extension(runtime))
        .layer(axum::Extension(payments))
        .layer(axum::Extension(files))
        .layer(middleware::from_fn(http::security_headers::page_policy))
        .layer(middleware::from_fn(http::site_files::cache_policy));
    for header in http::security_headers::layers(state.config.is_production()) {
        router = router.layer(header);
    }
    // Layers run outside-in from the last added: request id first, then access log
    // and metrics, compression, the body limit, who is calling (session), rate
    // limits, listing pages kept for anonymous visitors, authorization, idempotency,
    // and server functions' real error statuses nearest the handlers.
    router
        .layer(middleware::from_fn(http::server_fn_status::real_status))
        .layer(middleware::from_fn_with_state(state.clone(), http::idempotency::enforce))
        .layer(middleware::from_fn_with_state(authorize_state, http::authorize::authorize))
        .layer(middleware::from_fn(move |req, next| http::page_cache::serve(page_cache.clone(), req, next)))
        .layer(middleware::from_fn_with_state(limits, http::rate_limit::enforce))
        .layer(middleware::from_fn_with_state(state.clone(), http::session::resolve))
        .layer(middleware::from_fn(move |req, next| http::body_limit::enforce(req, next, body_limit)))
        .layer(middleware::from_fn(http::compression::brotli))
        .layer(http::compression::fallback_layer())
        .layer(middleware::from_fn(http::metrics::track))
        .layer(middleware::from_fn(http::access_log::log))
        .layer(middleware::from_fn(http::request_id::assign))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; draining requests");
}
