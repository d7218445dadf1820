//! The ledger and the field app as installable apps that work offline: their web
//! manifests, and the service worker (one for both) with the list of files to keep. The list is made from the built
//! site the server is serving (every file of the `pkg` folder, the store module, the
//! fonts and icons), and the worker's version is a hash of their contents, so a new
//! build always installs a new worker with the files that build serves.

use app::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::OnceLock;

const WORKER: &str = include_str!("pwa/sw.js");

/// Files outside `pkg` the ledger and the field app need offline (served from `public/`).
const FIXED: &[&str] = &[
    "/ledger",
    "/ledger/store.js",
    "/ledger/manifest.webmanifest",
    "/field",
    "/field/app.js",
    "/field/outbox.js",
    "/field/manifest.webmanifest",
    "/icons/icon.svg",
    "/icons/icon-192.png",
    "/icons/icon-512.png",
];

pub struct Precache {
    pub version: String,
    pub urls: Vec<String>,
}

impl Precache {
    /// Reads the built site under `site_root`.
    pub fn build(site_root: &Path, pkg_dir: &str) -> Precache {
        let mut urls: Vec<String> = FIXED.iter().map(|s| s.to_string()).collect();
        let mut files = Vec::new();
        collect(&site_root.join(pkg_dir), &mut files);
        collect(&site_root.join("fonts"), &mut files);
        files.sort();
        for file in &files {
            let rel = file.strip_prefix(site_root).unwrap_or(file).to_string_lossy().replace('\\', "/");
            let compressed = [".br", ".gz", ".d.ts"].iter().any(|e| rel.ends_with(e));
            if !compressed {
                urls.push(format!("/{rel}"));
            }
        }
        let mut hash = Sha256::new();
        hash.update(WORKER.as_bytes());
        for url in &urls {
            hash.update(url.as_bytes());
            if let Ok(bytes) = std::fs::read(site_root.join(url.trim_start_matches('/'))) {
                hash.update(&bytes);
            }
        }
        let version = hash.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
        Precache { version, urls }
    }

    pub fn script(&self) -> String {
        let urls = serde_json::to_string(&self.urls).expect("strings serialise");
        format!("const VERSION = {:?};\nconst PRECACHE = {urls};\n{WORKER}", self.version)
    }
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// `GET /sw.js`. Read once per process: the site does not change under a running server.
pub async fn service_worker(State(state): State<AppState>) -> Response {
    static SCRIPT: OnceLock<String> = OnceLock::new();
    let script = SCRIPT.get_or_init(|| {
        let options = &state.leptos_options;
        Precache::build(Path::new(options.site_root.as_ref()), options.site_pkg_dir.as_ref()).script()
    });
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            // A worker runs under its script's policy: it fetches and imports our own
            // files (the strict default for files would stop it from caching anything).
            (header::CONTENT_SECURITY_POLICY, "default-src 'self'; frame-ancestors 'none'"),
        ],
        script.clone(),
    )
        .into_response()
}

/// `GET /ledger/manifest.webmanifest`: the ledger installs as its own app, scoped to
/// `/ledger`, so a market tablet opens straight into the entry screen.
pub async fn manifest() -> Response {
    manifest_response(serde_json::json!({
        "name": "Mandi Ledger",
        "short_name": "Ledger",
        "description": "The flower market's commission ledger: entries, rates, settlements. Works offline.",
        "start_url": "/ledger?source=pwa",
        "scope": "/ledger",
        "display": "standalone",
        "orientation": "any",
        "background_color": "#fafaf9",
        "theme_color": "#047857",
        "lang": "ta",
        "icons": [
            { "src": "/icons/icon-192.png", "sizes": "192x192", "type": "image/png" },
            { "src": "/icons/icon-512.png", "sizes": "512x512", "type": "image/png" },
            { "src": "/icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable" },
            { "src": "/icons/icon.svg", "sizes": "any", "type": "image/svg+xml" }
        ]
    }))
}

/// `GET /field/manifest.webmanifest`: the field agents' phone app, scoped to `/field`.
pub async fn field_manifest() -> Response {
    manifest_response(serde_json::json!({
        "name": "Mandi Field",
        "short_name": "Field",
        "description": "Farm visits, plant counts and photos from the field. Works offline.",
        "start_url": "/field?source=pwa",
        "scope": "/field",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#fafaf9",
        "theme_color": "#047857",
        "icons": [
            { "src": "/icons/icon-192.png", "sizes": "192x192", "type": "image/png" },
            { "src": "/icons/icon-512.png", "sizes": "512x512", "type": "image/png" },
            { "src": "/icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable" },
            { "src": "/icons/icon.svg", "sizes": "any", "type": "image/svg+xml" }
        ]
    }))
}

fn manifest_response(body: serde_json::Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/manifest+json"), (header::CACHE_CONTROL, "public, max-age=3600")],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_follows_the_built_files_and_the_version_their_contents() {
        let dir = std::env::temp_dir().join(format!("mandi-pwa-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(dir.join("pkg/snippets/x")).unwrap();
        std::fs::write(dir.join("pkg/mandi.js"), "a").unwrap();
        std::fs::write(dir.join("pkg/mandi.js.br"), "b").unwrap();
        std::fs::write(dir.join("pkg/mandi.wasm"), "c").unwrap();
        std::fs::write(dir.join("pkg/snippets/x/inline0.js"), "d").unwrap();
        let first = Precache::build(&dir, "pkg");
        assert!(first.urls.contains(&"/pkg/mandi.js".to_string()));
        assert!(first.urls.contains(&"/pkg/snippets/x/inline0.js".to_string()));
        assert!(!first.urls.iter().any(|u| u.ends_with(".br")));
        assert!(first.urls.contains(&"/ledger".to_string()));
        assert_eq!(Precache::build(&dir, "pkg").version, first.version, "same files, same version");
        std::fs::write(dir.join("pkg/mandi.wasm"), "changed").unwrap();
        assert_ne!(Precache::build(&dir, "pkg").version, first.version, "a rebuilt file installs a new worker");
        let script = first.script();
        assert!(script.starts_with("const VERSION = ") && script.contains("addEventListener('fetch'"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
