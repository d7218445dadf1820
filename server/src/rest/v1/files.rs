//! `/api/v1/uploads` (resumable photo uploads, tus 1.0.0) and `/api/v1/files` (stored
//! photos): the handlers of `crate::files`, under the API's bearer tokens and rules.
//! The field app's pages reach the same handlers at `/uploads` and `/files`.

use super::routes::Routes;
use crate::files::{serve, tus};
use app::domain::permissions::Access::{Public, Requires, SignedIn};
use app::domain::permissions::Action::VisitsRecord;

#[derive(utoipa::OpenApi)]
#[openapi(paths(tus::create, tus::append, tus::terminate, serve::photo, serve::thumbnail))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .options("/uploads", Public, tus::options)
        .post("/uploads", Requires(VisitsRecord), tus::create)
        .head("/uploads/{id}", Requires(VisitsRecord), tus::head)
        .patch("/uploads/{id}", Requires(VisitsRecord), tus::append)
        .delete("/uploads/{id}", Requires(VisitsRecord), tus::terminate)
        // Who may see a file depends on its farm: the handler decides.
        .get("/files/{id}", SignedIn, serve::photo)
        .get("/files/{id}/thumbnail", SignedIn, serve::thumbnail)
}
