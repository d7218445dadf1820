//! Mandi's typed configuration: `Leptos.toml` (its `[mandi]` table and the leptos
//! section), overridden by environment variables (`MANDI_<SETTING>`, `DATABASE_URL`,
//! `LEPTOS_*`). Every value is parsed once at start; a bad one stops the app with a
//! message naming the setting and where it came from.

use leptos::config::LeptosOptions;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Test,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// How much demo data the generator writes. `Products(n)` sets the catalogue size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoScale {
    Small,
    Medium,
    Large,
    Products(u32),
}

/// A tenant's URL-safe handle (`greenharvest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSlug(String);

#[derive(Debug, Clone)]
pub struct Config {
    pub env: Environment,
    pub database_url: String,
    pub db_max_connections: u32,
    /// The tenant whose catalogue the public storefront shows.
    pub store_tenant: TenantSlug,
    pub body_limit_bytes: usize,
    pub log_format: LogFormat,
    /// Load the demo world on start when the database holds no tenant yet.
    pub demo_autoload: bool,
    pub demo_scale: DemoScale,
    pub demo_seed: u64,
    /// Folder for generated development files (the signing key).
    pub data_dir: PathBuf,
    /// PEM file of the RSA key that signs access tokens. Unset: `<data_dir>/keys/jwt-private.pem`,
    /// generated on first start outside production.
    pub jwt_private_key_file: Option<PathBuf>,
    /// Sign-up and sign-in attempts allowed per client IP per minute.
    pub rate_limit_sign_in_per_minute: u32,
    /// Requests allowed per signed-in person per minute.
    pub rate_limit_user_per_minute: u32,
    /// Jobs this process runs at once; 0 makes it a web-only process.
    pub jobs_concurrency: u32,
    /// How long a claimed job stays a worker's before another may take it over
    /// (renewed while the job runs, so it bounds recovery after a crash, not job length).
    pub jobs_lease_secs: u32,
    /// First retry delay of a failed job; each later one doubles (with jitter).
    pub jobs_retry_base_ms: u32,
    /// How long a request's claim on its `Idempotency-Key` holds while it has not
    /// answered; after that the claim counts as abandoned (its process died) and a
    /// retry may take it over. Longer than any request should take.
    pub idempotency_lease_secs: u32,
    pub notify: NotifyProviders,
    /// How long a provider's circuit stays open before a probe is let through.
    pub notify_circuit_cool_down_secs: u32,
    /// What Meta sends when the delivery webhook is registered (`hub.verify_token`);
    /// unset, registration is refused.
    pub whatsapp_verify_token: Option<String>,
    pub payments: PaymentGatewayConfig,
    /// How long a checkout holds its stock while the shopper pays.
    pub reservation_minutes: u32,
    /// How long a catalogue listing (one page of one query) is served from memory
    /// before it is read again; 0 reads every time. The listing pages (`/`, `/search`)
    /// rendered for visitors who are not signed in are kept for the same time, and
    /// served for up to that long again while being rendered anew (the server's
    /// `http::page_cache`).
    /// Stock shown on a listing may be that stale; checkout always reads it fresh, and
    /// a product page's stock is kept for at most half this, a second at most.
    pub catalog_listing_cache_ms: u32,
    /// How long a product's page data but its stock (the product, its packs, farm and
    /// lots' provenance) is kept in memory; 0 reads it every time. Every change to the
    /// catalogue is announced over `NOTIFY mandi_catalog`, and every process drops what
    /// it kept on hearing it, so this bounds only what a lost notification could leave.
    pub catalog_detail_cache_ms: u32,
    /// Where people and outside providers reach this app: the payment gateway's return
    /// and cancel addresses, links sent in messages (a settlement slip on WhatsApp).
    /// Required in production, where the listener's address (`0.0.0.0:8080` behind a
    /// proxy) reaches nobody; unset elsewhere, the listener's own address.
    pub public_base_url: String,
    /// Where the farms' hourly weather comes from.
    pub weather: WeatherSource,
    /// Where uploaded files (visit photos) are kept.
    pub object_store: ObjectStoreUrl,
    pub leptos: LeptosOptions,
}

/// `MANDI_OBJECT_STORE_URL`: a folder on this machine (`file:///srv/mandi/objects`;
/// unset, `<data_dir>/objects`), or an S3-compatible bucket and key prefix
/// (`s3://bucket/prefix`, credentials and endpoint from the standard `AWS_*` variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectStoreUrl {
    Local(PathBuf),
    S3 { bucket: String, prefix: String, options: S3Options },
}

/// The `AWS_*` settings an S3 client reads (credentials, region, endpoint of an
/// S3-compatible store), kept out of `Debug` output since they hold secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct S3Options(pub Vec<(String, String)>);

impl std::fmt::Debug for S3Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter().map(|(k, _)| k)).finish()
    }
}

/// The variables passed to the S3 client (the names `object_store` reads from the environment).
pub const S3_VARIABLES: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT",
    "AWS_ENDPOINT_URL",
    "AWS_ALLOW_HTTP",
    "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
];

impl ObjectStoreUrl {
    fn parse(s: &str) -> Result<ObjectStoreUrl, String> {
        if let Some(path) = s.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err("a file:// URL needs an absolute path, e.g. file:///srv/mandi/objects".into());
            }
            return Ok(ObjectStoreUrl::Local(PathBuf::from(path)));
        }
        if let Some(rest) = s.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let valid_bucket = (3..=63).contains(&bucket.len())
                && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
            if !valid_bucket {
                return Err("the bucket name must be 3 to 63 lowercase letters, digits, dots or hyphens".into());
            }
            let prefix = prefix.trim_matches('/');
            if prefix.split('/').any(|part| part == "." || part == "..") {
                return Err("the prefix may not contain . or .. segments".into());
            }
            return Ok(ObjectStoreUrl::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.to_string(),
                options: S3Options::default(),
            });
        }
        Err("expected s3://bucket/prefix or file:///absolute/path".into())
    }
}

/// The weather provider: an Open-Meteo-shaped forecast API (`{base}/v1/forecast`),
/// the app's own sandbox imitation of one (development and tests; refused in
/// production), or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeatherSource {
    Off,
    Sandbox,
    Provider { base_url: String },
}

/// Where notifications go. `Sandbox` (development and tests; refused in production)
/// is the app's own imitation of the providers, with delivery webhooks and faults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyProviders {
    Sandbox {
        /// Signs the sandbox's delivery webhooks, as Meta's app secret does.
        app_secret: String,
    },
    Cloud {
        /// WhatsApp Business Cloud API base, e.g. `https://graph.facebook.com/v21.0`.
        whatsapp_api_base: String,
        whatsapp_phone_number_id: String,
        whatsapp_token: String,
        /// Meta's app secret: verifies `X-Hub-Signature-256` on delivery webhooks.
        whatsapp_app_secret: String,
        /// SMS and e-mail gateways taking `{"to", "body", "reference"}` JSON with a bearer token.
        sms_api_url: String,
        email_api_url: String,
        messaging_api_token: String,
    },
}

/// The payment gateway: Razorpay's API, or the app's own sandbox imitation of it
/// (development and tests; refused in production). One client speaks to both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentGatewayConfig {
    pub sandbox: bool,
    /// `https://api.razorpay.com` in production; the sandbox's base is the app's own.
    pub api_base: Option<String>,
    pub key_id: String,
    pub key_secret: String,
    /// Verifies `X-Razorpay-Signature` on webhooks.
    pub webhook_secret: String,
}

impl NotifyProviders {
    pub fn webhook_secret(&self) -> &str {
        match self {
            NotifyProviders::Sandbox { app_secret } => app_secret,
            NotifyProviders::Cloud { whatsapp_app_secret, .. } => whatsapp_app_secret,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration error: {}", self.0)
    }
}
impl std::error::Error for ConfigError {}

impl FromStr for Environment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "development" => Ok(Environment::Development),
            "test" => Ok(Environment::Test),
            "production" => Ok(Environment::Production),
            _ => Err("expected one of development, test, production".into()),
        }
    }
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "json" => Ok(LogFormat::Json),
            "pretty" => Ok(LogFormat::Pretty),
            _ => Err("expected json or pretty".into()),
        }
    }
}

impl FromStr for DemoScale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "small" => Ok(DemoScale::Small),
            "medium" => Ok(DemoScale::Medium),
            "large" => Ok(DemoScale::Large),
            n => match n.parse::<u32>() {
                Ok(n) if (1..=1_000_000).contains(&n) => Ok(DemoScale::Products(n)),
                _ => Err("expected small, medium, large or a product count from 1 to 1000000".into()),
            },
        }
    }
}

impl DemoScale {
    pub fn product_count(self) -> u32 {
        match self {
            DemoScale::Small => 60,
            DemoScale::Medium => 2_000,
            DemoScale::Large => 100_000,
            DemoScale::Products(n) => n,
        }
    }
}

impl TenantSlug {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for TenantSlug {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let ok = (2..=40).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-');
        if ok {
            Ok(TenantSlug(s.to_string()))
        } else {
            Err("expected 2–40 lowercase letters, digits or dashes".into())
        }
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn positive<T: FromStr + PartialOrd + Default>(s: &str) -> Result<T, String> {
    match s.parse::<T>() {
        Ok(v) if v > T::default() => Ok(v),
        _ => Err("expected a whole number greater than zero".into()),
    }
}

fn boolean(s: &str) -> Result<bool, String> {
    match s {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

/// Settings from the `[mandi]` table, overlaid by `MANDI_*` variables.
struct Layers<'a> {
    file: BTreeMap<String, String>,
    file_name: &'a str,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Layers<'_> {
    fn get<T>(&self, key: &str, default: T, parse: impl Fn(&str) -> Result<T, String>) -> Result<T, ConfigError> {
        let var = format!("MANDI_{}", key.to_ascii_uppercase());
        if let Some(raw) = (self.env)(&var) {
            return parse(raw.trim()).map_err(|why| ConfigError(format!("{var}={raw:?}: {why}")));
        }
        match self.file.get(key) {
            Some(raw) => {
                parse(raw).map_err(|why| ConfigError(format!("{} [mandi] {key} = {raw:?}: {why}", self.file_name)))
            }
            None => Ok(default),
        }
    }
}

const KNOWN_KEYS: &[&str] = &[
    "env",
    "db_max_connections",
    "store_tenant",
    "body_limit_bytes",
    "log_format",
    "demo_autoload",
    "demo_scale",
    "demo_seed",
    "data_dir",
    "jwt_private_key_file",
    "rate_limit_sign_in_per_minute",
    "rate_limit_user_per_minute",
    "jobs_concurrency",
    "jobs_lease_secs",
    "jobs_retry_base_ms",
    "idempotency_lease_secs",
    "notify_circuit_cool_down_secs",
    "whatsapp_verify_token",
    "notify_provider",
    "payment_gateway",
    "razorpay_api_base",
    "razorpay_key_id",
    "razorpay_key_secret",
    "razorpay_webhook_secret",
    "reservation_minutes",
    "catalog_listing_cache_ms",
    "catalog_detail_cache_ms",
    "public_base_url",
    "whatsapp_api_base",
    "whatsapp_phone_number_id",
    "whatsapp_token",
    "whatsapp_app_secret",
    "sms_api_url",
    "email_api_url",
    "messaging_api_token",
    "weather_provider",
    "object_store_url",
];

impl Config {
    /// Reads `path` (normally `Leptos.toml`) and the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
        let leptos = leptos::config::get_config_from_str(&text)
            .map_err(|e| ConfigError(format!("{} leptos section: {e}", path.display())))?;
        Config::from_parts(&text, &path.display().to_string(), leptos, &|k| std::env::var(k).ok())
    }

    /// The pure part of loading, so tests can feed text and an environment.
    pub fn from_parts(
        toml_text: &str,
        file_name: &str,
        leptos: LeptosOptions,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let file = mandi_table(toml_text, file_name)?;
        let layers = Layers { file, file_name, env };

        let database_url = env("DATABASE_URL").ok_or_else(|| {
            ConfigError(
                "DATABASE_URL is not set: point it at PostgreSQL, or start Mandi with scripts/run, \
                 which runs a project-managed local database"
                    .into(),
            )
        })?;
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(ConfigError("DATABASE_URL: expected a postgres:// or postgresql:// URL".into()));
        }

        let env = layers.get("env", Environment::Development, str::parse)?;
        let data_dir = layers.get("data_dir", PathBuf::from(".data"), |s| Ok(PathBuf::from(s)))?;
        let public_base_url = layers.get("public_base_url", None, |s| {
            let s = s.trim_end_matches('/');
            let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
            match rest {
                Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(Some(s.to_string())),
                _ => Err("must be an http:// or https:// address such as https://ledger.example.in".into()),
            }
        })?;
        let mut config = Config {
            env,
            database_url,
            db_max_connections: layers.get("db_max_connections", 10, |s| {
                positive::<u32>(s).and_then(|n| if n <= 1000 { Ok(n) } else { Err("at most 1000".into()) })
            })?,
            store_tenant: layers.get("store_tenant", TenantSlug("greenharvest".into()), str::parse)?,
            body_limit_bytes: layers.get("body_limit_bytes", 1 << 20, positive::<usize>)?,
            log_format: layers.get("log_format", LogFormat::Json, str::parse)?,
            demo_autoload: layers.get("demo_autoload", false, boolean)?,
            demo_scale: layers.get("demo_scale", DemoScale::Small, str::parse)?,
            demo_seed: layers
                .get("demo_seed", 42, |s| s.parse::<u64>().map_err(|_| "expected a whole number".into()))?,
            data_dir: data_dir.clone(),
            jwt_private_key_file: layers.get("jwt_private_key_file", None, |s| Ok(Some(PathBuf::from(s))))?,
            rate_limit_sign_in_per_minute: layers.get("rate_limit_sign_in_per_minute", 10, positive::<u32>)?,
            rate_limit_user_per_minute: layers.get("rate_limit_user_per_minute", 100, positive::<u32>)?,
            jobs_concurrency: layers.get("jobs_concurrency", 4, |s| {
                s.parse::<u32>()
                    .ok()
                    .filter(|n| *n <= 256)
                    .ok_or_else(|| "expected a whole number from 0 to 256".to_string())
            })?,
            jobs_lease_secs: layers.get("jobs_lease_secs", 30, |s| {
                positive::<u32>(s).and_then(|n| if n <= 3600 { Ok(n) } else { Err("at most 3600".into()) })
            })?,
            idempotency_lease_secs: layers.get("idempotency_lease_secs", 60, |s| {
                positive::<u32>(s).and_then(|n| if n <= 3600 { Ok(n) } else { Err("at most 3600".into()) })
            })?,
            jobs_retry_base_ms: layers.get("jobs_retry_base_ms", 2000, |s| {
                positive::<u32>(s)
                    .and_then(|n| if n <= 3_600_000 { Ok(n) } else { Err("at most 3600000 (an hour)".into()) })
            })?,
            notify: notify_providers(&layers)?,
            notify_circuit_cool_down_secs: layers.get("notify_circuit_cool_down_secs", 30, |s| {
                positive::<u32>(s).and_then(|n| if n <= 3600 { Ok(n) } else { Err("at most 3600".into()) })
            })?,
            whatsapp_verify_token: layers.get("whatsapp_verify_token", None, |s| {
                if s.len() >= 16 { Ok(Some(s.to_string())) } else { Err("use at least 16 characters".into()) }
            })?,
            payments: payment_gateway(&layers)?,
            reservation_minutes: layers.get("reservation_minutes", 15, |s| {
                positive::<u32>(s).and_then(|n| if n <= 120 { Ok(n) } else { Err("at most 120".into()) })
            })?,
            // Tests see each change at once; the storefront everywhere else trades a
            // moment of staleness for not re-reading the same page per visitor.
            catalog_listing_cache_ms: layers.get(
                "catalog_listing_cache_ms",
                if env == Environment::Test { 0 } else { 2000 },
                |s| {
                    s.parse::<u32>()
                        .map_err(|e| e.to_string())
                        .and_then(|n| if n <= 60_000 { Ok(n) } else { Err("at most 60000 (a minute)".into()) })
                },
            )?,
            catalog_detail_cache_ms: layers.get(
                "catalog_detail_cache_ms",
                if env == Environment::Test { 0 } else { 600_000 },
                |s| {
                    s.parse::<u32>()
                        .map_err(|e| e.to_string())
                        .and_then(|n| if n <= 3_600_000 { Ok(n) } else { Err("at most 3600000 (an hour)".into()) })
                },
            )?,
            public_base_url: public_base_url.clone().unwrap_or_else(|| format!("http://{}", leptos.site_addr)),
            weather: layers.get(
                "weather_provider",
                if env == Environment::Production { WeatherSource::Off } else { WeatherSource::Sandbox },
                |s| match s {
                    "off" => Ok(WeatherSource::Off),
                    "sandbox" => Ok(WeatherSource::Sandbox),
                    url if url.starts_with("https://") || url.starts_with("http://") => {
                        Ok(WeatherSource::Provider { base_url: url.trim_end_matches('/').to_string() })
                    }
                    _ => Err("expected off, sandbox or the provider's base URL (https://…)".into()),
                },
            )?,
            object_store: match layers.get("object_store_url", None, |s| ObjectStoreUrl::parse(s).map(Some))? {
                None => ObjectStoreUrl::Local(data_dir.join("objects")),
                Some(ObjectStoreUrl::S3 { bucket, prefix, .. }) => ObjectStoreUrl::S3 {
                    bucket,
                    prefix,
                    options: S3Options(
                        S3_VARIABLES.iter().filter_map(|k| (layers.env)(k).map(|v| (k.to_string(), v))).collect(),
                    ),
                },
                Some(local) => local,
            },
            leptos,
        };
        config.leptos.hash_files = hashed_site_names(&config.leptos, config.env)?;
        if config.env == Environment::Production && config.demo_autoload {
            return Err(ConfigError(
                "MANDI_DEMO_AUTOLOAD must be false when MANDI_ENV=production (demo data and demo sign-ins never reach production)".into(),
            ));
        }
        if config.env == Environment::Production && matches!(config.notify, NotifyProviders::Sandbox { .. }) {
            return Err(ConfigError(
                "MANDI_NOTIFY_PROVIDER must be cloud when MANDI_ENV=production (the sandbox provider delivers nothing)"
                    .into(),
            ));
        }
        if config.env == Environment::Production && config.payments.sandbox {
            return Err(ConfigError(
                "MANDI_PAYMENT_GATEWAY must be razorpay when MANDI_ENV=production (the sandbox gateway takes no real money)".into(),
            ));
        }
        if config.env == Environment::Production && config.weather == WeatherSource::Sandbox {
            return Err(ConfigError(
                "MANDI_WEATHER_PROVIDER must be off or a provider's URL when MANDI_ENV=production (the sandbox invents the weather)".into(),
            ));
        }
        if config.env == Environment::Production && public_base_url.is_none() {
            return Err(ConfigError(
                "MANDI_PUBLIC_BASE_URL is required when MANDI_ENV=production: the address shoppers reach the shop at, \
                 such as https://shop.example.in (the payment gateway sends them back there)"
                    .into(),
            ));
        }
        Ok(config)
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }

    pub fn signing_key_path(&self) -> PathBuf {
        self.jwt_private_key_file.clone().unwrap_or_else(|| self.data_dir.join("keys").join("jwt-private.pem"))
    }
}

/// Whether pages link the site's files by their hashed names. Leptos reads those names
/// from the hash file cargo-leptos writes beside the server binary, and panics on the
/// first page if it is missing; so a build without one serves the plain names (a test
/// binary, a server built by plain `cargo`), except in production, where a missing
/// file means a broken deployment and start-up stops.
fn hashed_site_names(leptos: &LeptosOptions, env: Environment) -> Result<bool, ConfigError> {
    if !leptos.hash_files {
        return Ok(false);
    }
    let beside_binary =
        std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join(&*leptos.hash_file)));
    match beside_binary {
        Some(path) if path.is_file() => Ok(true),
        _ if env == Environment::Production => Err(ConfigError(format!(
            "hash-files is on but {} is not beside the server binary: deploy the {} cargo-leptos wrote with the binary, or set LEPTOS_HASH_FILES=false",
            leptos.hash_file, leptos.hash_file
        ))),
        _ => Ok(false),
    }
}

fn payment_gateway(layers: &Layers<'_>) -> Result<PaymentGatewayConfig, ConfigError> {
    let sandbox = layers.get("payment_gateway", true, |s| match s {
        "sandbox" => Ok(true),
        "razorpay" => Ok(false),
        _ => Err("expected sandbox or razorpay".into()),
    })?;
    let text = |s: &str| Ok::<_, String>(Some(s.to_string()));
    let secret = |key: &str, sandbox_default: &str| -> Result<String, ConfigError> {
        match layers.get(key, None, text)?.filter(|v| !v.is_empty()) {
            Some(v) => Ok(v),
            None if sandbox => Ok(sandbox_default.to_string()),
            None => Err(ConfigError(format!(
                "MANDI_{} is required when MANDI_PAYMENT_GATEWAY=razorpay",
                key.to_ascii_uppercase()
            ))),
        }
    };
    Ok(PaymentGatewayConfig {
        sandbox,
        api_base: match layers.get("razorpay_api_base", None, text)? {
            Some(base) => Some(base),
            None if sandbox => None,
            None => Some("https://api.razorpay.com".into()),
        },
        key_id: secret("razorpay_key_id", "rzp_test_sandbox")?,
        key_secret: secret("razorpay_key_secret", "sandbox-key-secret")?,
        webhook_secret: secret("razorpay_webhook_secret", "sandbox-webhook-secret")?,
    })
}

fn notify_providers(layers: &Layers<'_>) -> Result<NotifyProviders, ConfigError> {
    let kind = layers.get("notify_provider", "sandbox".to_string(), |s| match s {
        "sandbox" | "cloud" => Ok(s.to_string()),
        _ => Err("expected sandbox or cloud".into()),
    })?;
    let text = |s: &str| Ok::<_, String>(Some(s.to_string()));
    let required = |key: &str| -> Result<String, ConfigError> {
        layers.get(key, None, text)?.filter(|v| !v.is_empty()).ok_or_else(|| {
            ConfigError(format!("MANDI_{} is required when MANDI_NOTIFY_PROVIDER=cloud", key.to_ascii_uppercase()))
        })
    };
    if kind == "sandbox" {
        let app_secret = layers.get("whatsapp_app_secret", None, text)?.unwrap_or_else(|| "sandbox-app-secret".into());
        return Ok(NotifyProviders::Sandbox { app_secret });
    }
    Ok(NotifyProviders::Cloud {
        whatsapp_api_base: layers
            .get("whatsapp_api_base", None, text)?
            .unwrap_or_else(|| "https://graph.facebook.com/v21.0".into()),
        whatsapp_phone_number_id: required("whatsapp_phone_number_id")?,
        whatsapp_token: required("whatsapp_token")?,
        whatsapp_app_secret: required("whatsapp_app_secret")?,
        sms_api_url: required("sms_api_url")?,
        email_api_url: required("email_api_url")?,
        messaging_api_token: required("messaging_api_token")?,
    })
}

/// The `[mandi]` table as plain strings, refusing keys we do not know (typos).
fn mandi_table(text: &str, file_name: &str) -> Result<BTreeMap<String, String>, ConfigError> {
    let doc: toml::Table = text.parse().map_err(|e| ConfigError(format!("{file_name}: {e}")))?;
    let Some(table) = doc.get("mandi") else { return Ok(BTreeMap::new()) };
    let table = table.as_table().ok_or_else(|| ConfigError(format!("{file_name}: [mandi] must be a table")))?;
    table
        .iter()
        .map(|(k, v)| {
            if !KNOWN_KEYS.contains(&k.as_str()) {
                return Err(ConfigError(format!(
                    "{file_name} [mandi] has an unknown setting {k:?} (known: {})",
                    KNOWN_KEYS.join(", ")
                )));
            }
            let s = match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => return Err(ConfigError(format!("{file_name} [mandi] {k}: unsupported value {other:?}"))),
            };
            Ok((k.clone(), s))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[mandi]
env = "development"
db_max_connections = 5
demo_autoload = true
"#;

    fn load(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: BTreeMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_parts(text, "Leptos.toml", LeptosOptions::builder().output_name("mandi").build(), &move |k| {
            vars.get(k).cloned()
        })
    }

    const DB: (&str, &str) = ("DATABASE_URL", "postgres://mandi@127.0.0.1/mandi");

    #[test]
    fn hashed_names_need_the_hash_file_beside_the_binary() {
        let hashed = |name: &str| {
            LeptosOptions::builder().output_name("mandi").hash_files(true).hash_file(std::sync::Arc::from(name)).build()
        };
        // A test binary has no hash file beside it: plain names, except in production.
        let missing = hashed("no-such-hash-file.txt");
        assert_eq!(hashed_site_names(&missing, Environment::Development), Ok(false));
        let refused = hashed_site_names(&missing, Environment::Production).unwrap_err();
        assert!(refused.0.contains("no-such-hash-file.txt"), "{refused:?}");
        let exe = std::env::current_exe().unwrap();
        let beside = format!("mandi-test-hash-{}.txt", std::process::id());
        let path = exe.parent().unwrap().join(&beside);
        std::fs::write(&path, "js: a\nwasm: b\ncss: c\n").unwrap();
        let found = hashed_site_names(&hashed(&beside), Environment::Production);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(found, Ok(true));
        let plain = LeptosOptions::builder().output_name("mandi").build();
        assert_eq!(hashed_site_names(&plain, Environment::Production), Ok(false));
    }

    #[test]
    fn file_then_environment() {
        let c = load(FILE, &[DB]).unwrap();
        assert_eq!(c.db_max_connections, 5);
        assert!(c.demo_autoload);
        assert_eq!(c.store_tenant.as_str(), "greenharvest");
        let c = load(FILE, &[DB, ("MANDI_DB_MAX_CONNECTIONS", "7"), ("MANDI_DEMO_SCALE", "large")]).unwrap();
        assert_eq!(c.db_max_connections, 7);
        assert_eq!(c.demo_scale.product_count(), 100_000);
    }

    #[test]
    fn bad_values_name_the_setting() {
        let e = load(FILE, &[DB, ("MANDI_DB_MAX_CONNECTIONS", "lots")]).unwrap_err();
        assert!(e.0.starts_with("MANDI_DB_MAX_CONNECTIONS=\"lots\""), "{e}");
        let e = load("[mandi]\nlog_format = \"xml\"\n", &[DB]).unwrap_err();
        assert!(e.0.contains("Leptos.toml [mandi] log_format"), "{e}");
        let e = load("[mandi]\ndemo_autolaod = true\n", &[DB]).unwrap_err();
        assert!(e.0.contains("unknown setting \"demo_autolaod\""), "{e}");
        let e = load(FILE, &[DB, ("MANDI_STORE_TENANT", "Green Harvest")]).unwrap_err();
        assert!(e.0.starts_with("MANDI_STORE_TENANT"), "{e}");
    }

    #[test]
    fn files_go_to_the_data_folder_unless_a_store_is_named() {
        let c = load(FILE, &[DB, ("MANDI_DATA_DIR", "/var/mandi")]).unwrap();
        assert_eq!(c.object_store, ObjectStoreUrl::Local(PathBuf::from("/var/mandi/objects")));
        let s3 = |v: &str| load(FILE, &[DB, ("MANDI_OBJECT_STORE_URL", v)]).map(|c| c.object_store);
        assert_eq!(
            s3("s3://mandi-files/prod/photos/").unwrap(),
            ObjectStoreUrl::S3 {
                bucket: "mandi-files".into(),
                prefix: "prod/photos".into(),
                options: S3Options::default()
            }
        );
        let with_key =
            load(FILE, &[DB, ("MANDI_OBJECT_STORE_URL", "s3://mandi-files"), ("AWS_SECRET_ACCESS_KEY", "hush")])
                .unwrap()
                .object_store;
        let ObjectStoreUrl::S3 { prefix, options, .. } = &with_key else { panic!("{with_key:?}") };
        assert_eq!((prefix.as_str(), options.0.len()), ("", 1));
        assert!(!format!("{with_key:?}").contains("hush"), "secrets stay out of logs");
        assert_eq!(s3("file:///srv/objects").unwrap(), ObjectStoreUrl::Local(PathBuf::from("/srv/objects")));
        for bad in ["s3://A_B/x", "s3://ok-bucket/../x", "file://relative", "gs://bucket", "/srv/objects"] {
            let e = s3(bad).unwrap_err();
            assert!(e.0.starts_with("MANDI_OBJECT_STORE_URL"), "{bad}: {e}");
        }
    }

    #[test]
    fn listings_are_cached_for_a_moment_except_in_tests() {
        assert_eq!(load(FILE, &[DB]).unwrap().catalog_listing_cache_ms, 2000);
        assert_eq!(load(FILE, &[DB, ("MANDI_ENV", "test")]).unwrap().catalog_listing_cache_ms, 0);
        assert_eq!(load(FILE, &[DB, ("MANDI_CATALOG_LISTING_CACHE_MS", "0")]).unwrap().catalog_listing_cache_ms, 0);
        assert_eq!(load(FILE, &[DB]).unwrap().catalog_detail_cache_ms, 600_000);
        assert_eq!(load(FILE, &[DB, ("MANDI_ENV", "test")]).unwrap().catalog_detail_cache_ms, 0);
        assert!(load(FILE, &[DB, ("MANDI_CATALOG_DETAIL_CACHE_MS", "soon")]).is_err());
        assert!(load(FILE, &[DB]).unwrap().public_base_url.starts_with("http://"));
        assert_eq!(
            load(FILE, &[DB, ("MANDI_PUBLIC_BASE_URL", "https://malar.example.in/")]).unwrap().public_base_url,
            "https://malar.example.in"
        );
        assert!(
            load(FILE, &[DB, ("MANDI_PUBLIC_BASE_URL", "malar.example.in")])
                .unwrap_err()
                .0
                .starts_with("MANDI_PUBLIC_BASE_URL")
        );
        let e = load(FILE, &[DB, ("MANDI_CATALOG_LISTING_CACHE_MS", "600000")]).unwrap_err();
        assert!(e.0.starts_with("MANDI_CATALOG_LISTING_CACHE_MS"), "{e}");
    }

    #[test]
    fn database_url_is_required_and_checked() {
        assert!(load(FILE, &[]).unwrap_err().0.starts_with("DATABASE_URL is not set"));
        assert!(load(FILE, &[("DATABASE_URL", "mysql://x")]).unwrap_err().0.starts_with("DATABASE_URL:"));
    }

    #[test]
    fn production_refuses_demo_data() {
        let e = load(FILE, &[DB, ("MANDI_ENV", "production")]).unwrap_err();
        assert!(e.0.contains("MANDI_DEMO_AUTOLOAD"), "{e}");
        let e = load(FILE, &[DB, ("MANDI_ENV", "production"), ("MANDI_DEMO_AUTOLOAD", "false")]).unwrap_err();
        assert!(e.0.contains("MANDI_NOTIFY_PROVIDER must be cloud"), "{e}");
        let mut vars = vec![DB, ("MANDI_ENV", "production"), ("MANDI_DEMO_AUTOLOAD", "false")];
        vars.extend(CLOUD);
        let e = load(FILE, &vars).unwrap_err();
        assert!(e.0.contains("MANDI_PAYMENT_GATEWAY must be razorpay"), "{e}");
        vars.push(("MANDI_PAYMENT_GATEWAY", "razorpay"));
        let e = load(FILE, &vars).unwrap_err();
        assert!(e.0.contains("MANDI_RAZORPAY_KEY_ID is required"), "{e}");
        vars.extend([
            ("MANDI_RAZORPAY_KEY_ID", "rzp_live_x"),
            ("MANDI_RAZORPAY_KEY_SECRET", "k"),
            ("MANDI_RAZORPAY_WEBHOOK_SECRET", "w"),
        ]);
        let e = load(FILE, &vars).unwrap_err();
        assert!(e.0.starts_with("MANDI_PUBLIC_BASE_URL is required"), "{e}");
        vars.push(("MANDI_PUBLIC_BASE_URL", "https://shop.example.in"));
        let c = load(FILE, &vars).unwrap();
        assert_eq!(c.payments.api_base.as_deref(), Some("https://api.razorpay.com"));
        assert!(!c.payments.sandbox);
        assert_eq!(c.weather, WeatherSource::Off, "no invented weather in production");
        vars.push(("MANDI_WEATHER_PROVIDER", "sandbox"));
        let e = load(FILE, &vars).unwrap_err();
        assert!(e.0.starts_with("MANDI_WEATHER_PROVIDER must be off"), "{e}");
        vars.pop();
        vars.push(("MANDI_WEATHER_PROVIDER", "https://api.open-meteo.com/"));
        let c = load(FILE, &vars).unwrap();
        assert_eq!(c.weather, WeatherSource::Provider { base_url: "https://api.open-meteo.com".into() });
        assert_eq!(load(FILE, &[DB]).unwrap().weather, WeatherSource::Sandbox);
        assert!(load(FILE, &[DB, ("MANDI_WEATHER_PROVIDER", "ftp://x")]).is_err());
    }

    #[test]
    fn production_requires_the_public_base_url() {
        let mut vars = vec![
            DB,
            ("MANDI_ENV", "production"),
            ("MANDI_DEMO_AUTOLOAD", "false"),
            ("MANDI_PAYMENT_GATEWAY", "razorpay"),
            ("MANDI_RAZORPAY_KEY_ID", "rzp_live_x"),
            ("MANDI_RAZORPAY_KEY_SECRET", "k"),
            ("MANDI_RAZORPAY_WEBHOOK_SECRET", "w"),
        ];
        vars.extend(CLOUD);
        let e = load(FILE, &vars).unwrap_err();
        assert!(e.0.starts_with("MANDI_PUBLIC_BASE_URL is required when MANDI_ENV=production"), "{e}");
        vars.push(("MANDI_PUBLIC_BASE_URL", "https://shop.example/"));
        assert_eq!(load(FILE, &vars).unwrap().public_base_url, "https://shop.example");
        // Elsewhere it may be left out: the listener's address stands in.
        let c = load(FILE, &[DB, ("MANDI_ENV", "test")]).unwrap();
        assert_eq!(c.public_base_url, format!("http://{}", c.leptos.site_addr));
    }

    const CLOUD: [(&str, &str); 7] = [
        ("MANDI_NOTIFY_PROVIDER", "cloud"),
        ("MANDI_WHATSAPP_PHONE_NUMBER_ID", "1234"),
        ("MANDI_WHATSAPP_TOKEN", "t"),
        ("MANDI_WHATSAPP_APP_SECRET", "s"),
        ("MANDI_SMS_API_URL", "https://sms.example/send"),
        ("MANDI_EMAIL_API_URL", "https://mail.example/send"),
        ("MANDI_MESSAGING_API_TOKEN", "m"),
    ];

    #[test]
    fn cloud_notifications_need_every_credential_and_jobs_settings_are_bounded() {
        let c = load(FILE, &[DB]).unwrap();
        assert_eq!(c.notify, NotifyProviders::Sandbox { app_secret: "sandbox-app-secret".into() });
        assert_eq!((c.jobs_concurrency, c.jobs_lease_secs), (4, 30));
        let mut vars = vec![DB];
        vars.extend(&CLOUD[..6]);
        let e = load(FILE, &vars).unwrap_err();
        assert!(e.0.contains("MANDI_MESSAGING_API_TOKEN is required"), "{e}");
        let e = load(FILE, &[DB, ("MANDI_NOTIFY_PROVIDER", "twilio")]).unwrap_err();
        assert!(e.0.starts_with("MANDI_NOTIFY_PROVIDER"), "{e}");
        assert!(load(FILE, &[DB, ("MANDI_JOBS_CONCURRENCY", "0")]).is_ok());
        assert!(load(FILE, &[DB, ("MANDI_JOBS_CONCURRENCY", "-1")]).is_err());
        assert!(load(FILE, &[DB, ("MANDI_JOBS_LEASE_SECS", "0")]).is_err());
        assert_eq!(c.idempotency_lease_secs, 60);
        assert_eq!(load(FILE, &[DB, ("MANDI_IDEMPOTENCY_LEASE_SECS", "15")]).unwrap().idempotency_lease_secs, 15);
        assert!(load(FILE, &[DB, ("MANDI_IDEMPOTENCY_LEASE_SECS", "0")]).is_err());
    }
}
