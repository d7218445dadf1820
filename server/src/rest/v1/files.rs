//! `/api/v1/uploads` (resumable uploads, tus 1.0.0: visit photos, product pictures,
//! catalogue CSV files) and `/api/v1/files` (stored photos): the handlers of `crate::files`, under the API's bearer tokens and rules.
//! The field app's pages reach the same handlers at `/uploads` and `/files`.

use super::routes::Routes;
use crate::files::{serve, tus};
use app::domain::permissions::Access::{Public, SignedIn};

#[derive(utoipa::OpenApi)]
#[openapi(paths(tus::create, tus::append, tus::terminate, serve::photo, serve::thumbnail))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .options("/uploads", Public, tus::options)
        // What may be uploaded depends on what it is for (a visit's photo needs the
        // right to record visits; a product's picture or a CSV, to run the catalogue):
        // the handlers decide, and refuse anyone with neither.
        .post("/uploads", SignedIn, tus::create)
        .head("/uploads/{id}", SignedIn, tus::head)
        .patch("/uploads/{id}", SignedIn, tus::append)
        .delete("/uploads/{id}", SignedIn, tus::terminate)
        // Who may see a file depends on its farm: the handler decides.
        .get("/files/{id}", SignedIn, serve::photo)
        .get("/files/{id}/thumbnail", SignedIn, serve::thumbnail)
}
