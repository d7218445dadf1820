#![recursion_limit = "256"]
//! Boot: configuration, logs, database, demo data, router, serve until SIGTERM.

use app::config::Config;
use std::path::Path;
use std::process::ExitCode;

// A rendered page is thousands of short-lived strings; glibc's malloc (with its
// consolidation passes) took about a third of a search page's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config_path = std::env::var("MANDI_CONFIG").unwrap_or_else(|_| "Leptos.toml".into());
    let config = match Config::load(Path::new(&config_path)) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("mandi: {e}");
            return ExitCode::from(2);
        }
    };
    server::telemetry::init(config.log_format);
    match server::startup::Application::build(config).await {
        Ok(application) => match application.run_until_stopped().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "server stopped with an error");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            tracing::error!(error = %e, "could not start");
            eprintln!("mandi: could not start: {e}");
            ExitCode::FAILURE
        }
    }
}
