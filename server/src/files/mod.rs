//! Files people upload (visit photos first): received by resumable upload (`tus`),
//! checked and cleaned (`photo`), kept in an object store (`object_storage`), recorded
//! in the database (`records`) and served only to those who may see their farm
//! (`serve`).

pub mod object_storage;
pub mod photo;
pub mod records;
pub mod serve;
pub mod test_images;
pub mod tus;

use app::error::AppError;
use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// The object store and the staging folder of unfinished uploads, shared by handlers.
#[derive(Clone)]
pub struct Files {
    pub store: Arc<dyn ObjectStore>,
    staging: PathBuf,
    busy: Arc<Mutex<HashSet<Uuid>>>,
}

/// Held while one request writes an upload; a second request for it at the same time
/// is told to wait rather than interleave bytes.
pub struct Claim {
    id: Uuid,
    busy: Arc<Mutex<HashSet<Uuid>>>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.busy.lock().expect("not poisoned").remove(&self.id);
    }
}

impl Files {
    pub fn new(store: Arc<dyn ObjectStore>, data_dir: &std::path::Path) -> Files {
        Files { store, staging: data_dir.join("uploads"), busy: Arc::default() }
    }

    pub fn staging_path(&self, tenant: Uuid, id: Uuid) -> PathBuf {
        self.staging.join(tenant.to_string()).join(format!("{id}.part"))
    }

    pub fn claim(&self, id: Uuid) -> Result<Claim, AppError> {
        if !self.busy.lock().expect("not poisoned").insert(id) {
            return Err(AppError::RequestInProgress);
        }
        Ok(Claim { id, busy: self.busy.clone() })
    }

    /// Where a picture and its thumbnail are kept (`folder`: `photos` of visits,
    /// `products`).
    pub fn keys(&self, tenant: Uuid, folder: &str, id: Uuid, content_type: &str) -> (String, String) {
        let ext = if content_type == "image/png" { "png" } else { "jpg" };
        (format!("{tenant}/{folder}/{id}.{ext}"), format!("{tenant}/{folder}/{id}.thumbnail.jpg"))
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), object_store::Error> {
        self.store.put(&ObjectPath::from(key), bytes.into()).await.map(|_| ())
    }
}

/// The largest catalogue CSV: 100,000 products in a Shopify export take about 40 MB.
pub const CSV_MAX_BYTES: u64 = 64 * 1024 * 1024;

pub const EXPIRE_UPLOADS_JOB: &str = "uploads.expire";

/// Unfinished uploads are forgotten a week after they began, at 08:40 IST.
pub const SCHEDULES: &[crate::jobs::schedules::Schedule] = &[crate::jobs::schedules::Schedule {
    name: "uploads-expire",
    cron: "0 10 3 * * *",
    queue: app::jobs::Queue::Maintenance,
    kind: EXPIRE_UPLOADS_JOB,
}];

/// The clean-up job: the rows go in the job's transaction, their staged bytes after.
pub struct ExpireUploads(pub Files);

impl crate::jobs::Handler for ExpireUploads {
    fn run<'a>(
        &'a self,
        _job: &'a crate::jobs::Job,
        tx: &'a mut sqlx::PgConnection,
    ) -> crate::jobs::BoxFuture<'a, Result<(), crate::jobs::JobError>> {
        Box::pin(async move {
            let gone = records::expire(tx).await?;
            for (tenant, id) in &gone {
                let _ = tokio::fs::remove_file(self.0.staging_path(*tenant, *id)).await;
            }
            tracing::info!(expired = gone.len(), "unfinished uploads forgotten");
            Ok(())
        })
    }
}

/// The upload and file routes for the browser's session (the field app, the owners'
/// farm pages). Their handlers check who is calling themselves, as the same handlers
/// serve `/api/v1` (`rest::v1::files`) under the API's declared rules.
pub fn site_routes() -> axum::Router<app::state::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/uploads", post(tus::create).options(tus::options))
        .route("/uploads/{id}", axum::routing::head(tus::head).patch(tus::append).delete(tus::terminate))
        .route("/files/{id}", get(serve::photo))
        .route("/files/{id}/thumbnail", get(serve::thumbnail))
        .route("/catalog/images/{id}", get(serve::product_image))
        .route("/catalog/images/{id}/thumbnail", get(serve::product_thumbnail))
}
