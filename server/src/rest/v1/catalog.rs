//! `/api/v1/catalog`: the store's catalogue as staff run it: products of every status,
//! packs, the lot a pack sells from, stock received as a new lot, pictures, and CSV
//! imports. Pictures and CSV files arrive by resumable upload (`POST /uploads` with
//! `purpose product_image` or `catalog_import`). Staff and admins of the store.

use super::extract::{ApiJson, Authenticated, parse_id, parse_query};
use super::responses::envelope;
use super::routes::Routes;
use super::store_settings::of_the_store;
use app::domain::catalog_entry::{ProductInput, ProductStatus, ReceiptInput, VariantInput};
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::CatalogManage;
use app::envelope::ok;
use app::error::AppError;
use app::state::AppState;
use app::store::catalog_admin_api::changed;
use app::store::catalog_admin_model::{CatalogImport, ProductEditor, ProductList};
use app::store::{catalog_admin_service as catalog, catalog_import_service as imports};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list,
    create,
    show,
    update,
    add_variant,
    update_variant,
    link_lot,
    receive,
    remove_image,
    list_imports,
    show_import,
    commit_import
))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/catalog/products", Requires(CatalogManage), list)
        .post("/catalog/products", Requires(CatalogManage), create)
        .get("/catalog/products/{id}", Requires(CatalogManage), show)
        .put("/catalog/products/{id}", Requires(CatalogManage), update)
        .post("/catalog/products/{id}/variants", Requires(CatalogManage), add_variant)
        .delete("/catalog/products/{id}/images/{image}", Requires(CatalogManage), remove_image)
        .put("/catalog/variants/{id}", Requires(CatalogManage), update_variant)
        .put("/catalog/variants/{id}/lot", Requires(CatalogManage), link_lot)
        .post("/catalog/variants/{id}/receipts", Requires(CatalogManage), receive)
        .get("/catalog/imports", Requires(CatalogManage), list_imports)
        .get("/catalog/imports/{id}", Requires(CatalogManage), show_import)
        .post("/catalog/imports/{id}/commit", Requires(CatalogManage), commit_import)
}

envelope! {
    ProductListEnvelope(ProductList);
    ProductEditorEnvelope(ProductEditor);
    CatalogImportEnvelope(CatalogImport);
    CatalogImportsEnvelope(Vec<CatalogImport>);
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

fn invalid(fields: app::error::FieldErrors) -> AppError {
    AppError::Validation { fields }
}

/// Products of every status, newest change first (`nextCursor` pages on).
#[utoipa::path(get, path = "/catalog/products", operation_id = "listCatalogProducts",
    params(
        ("q" = Option<String>, Query, description = "Part of a name or a pack's SKU"),
        ("status" = Option<String>, Query, description = "`draft`, `published` or `archived`"),
        ("cursor" = Option<String>, Query, description = "`nextCursor` of the page before"),
        ("limit" = Option<u32>, Query, description = "1–100, default 50"),
    ),
    responses(
        (status = 200, description = "A page of products", body = ProductListEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 403, response = super::responses::Forbidden),
    ))]
async fn list(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    let q: ListQuery = parse_query(raw.as_deref())?;
    let status = match q.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(
            ProductStatus::parse(s)
                .ok_or_else(|| AppError::validation("status", "must be draft, published or archived"))?,
        ),
    };
    let limit = match q.limit.as_deref() {
        None | Some("") => 50,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| AppError::validation("limit", "must be from 1 to 100"))?,
    };
    let before = app::time_cursor::parse(q.cursor.as_deref())?;
    Ok(ok(catalog::list(&state.pool, state.store_tenant, q.q.as_deref(), status, before, limit).await?))
}

/// Add a product (a draft until it has a pack). `description` is HTML: what could run
/// or load is removed.
#[utoipa::path(post, path = "/catalog/products", operation_id = "createCatalogProduct",
    request_body = ProductInput,
    responses(
        (status = 201, description = "The product", body = ProductEditorEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 403, response = super::responses::Forbidden),
    ))]
async fn create(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ApiJson(body): ApiJson<ProductInput>,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    let fields = body.parse().map_err(invalid)?;
    if fields.status == ProductStatus::Published {
        return Err(AppError::validation("status", "add a pack before publishing"));
    }
    let product = changed(&state, catalog::create(&state.pool, state.store_tenant, claims.sub, &fields).await)?;
    let mut r = ok(product);
    *r.status_mut() = StatusCode::CREATED;
    Ok(r)
}

/// A product with its packs (stock, lot), pictures and status.
#[utoipa::path(get, path = "/catalog/products/{id}", operation_id = "getCatalogProduct",
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "The product", body = ProductEditorEnvelope),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn show(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    Ok(ok(catalog::editor(&state.pool, state.store_tenant, parse_id(&id, "id")?).await?))
}

/// Change a product: its fields and status (published needs a pack).
#[utoipa::path(put, path = "/catalog/products/{id}", operation_id = "updateCatalogProduct",
    params(("id" = uuid::Uuid, Path)),
    request_body = ProductInput,
    responses(
        (status = 200, description = "The product", body = ProductEditorEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn update(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ProductInput>,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    let fields = body.parse().map_err(invalid)?;
    let id = parse_id(&id, "id")?;
    Ok(ok(changed(&state, catalog::update(&state.pool, state.store_tenant, claims.sub, id, &fields).await)?))
}

/// Add a pack (with its own stock item, empty until stock is received).
#[utoipa::path(post, path = "/catalog/products/{id}/variants", operation_id = "addCatalogVariant",
    params(("id" = uuid::Uuid, Path)),
    request_body = VariantInput,
    responses(
        (status = 201, description = "The product", body = ProductEditorEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn add_variant(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<VariantInput>,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    let fields = body.parse().map_err(invalid)?;
    let id = parse_id(&id, "id")?;
    let product =
        changed(&state, catalog::add_variant(&state.pool, state.store_tenant, claims.sub, id, &fields).await)?;
    let mut r = ok(product);
    *r.status_mut() = StatusCode::CREATED;
    Ok(r)
}

/// Change a pack.
#[utoipa::path(put, path = "/catalog/variants/{id}", operation_id = "updateCatalogVariant",
    params(("id" = uuid::Uuid, Path)),
    request_body = VariantInput,
    responses(
        (status = 200, description = "The product", body = ProductEditorEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn update_variant(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<VariantInput>,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    let fields = body.parse().map_err(invalid)?;
    let id = parse_id(&id, "id")?;
    Ok(ok(changed(&state, catalog::update_variant(&state.pool, state.store_tenant, claims.sub, id, &fields).await)?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LotBody {
    /// A lot's code, of the product's farm.
    lot: String,
}

/// Link a pack to a lot of its product's farm: the lot its provenance shows.
#[utoipa::path(put, path = "/catalog/variants/{id}/lot", operation_id = "linkCatalogVariantLot",
    params(("id" = uuid::Uuid, Path)),
    request_body = LotBody,
    responses(
        (status = 200, description = "The product", body = ProductEditorEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn link_lot(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<LotBody>,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    let id = parse_id(&id, "id")?;
    Ok(ok(changed(&state, catalog::link_lot(&state.pool, state.store_tenant, claims.sub, id, &body.lot).await)?))
}

/// Receive stock: a new lot (quantity, harvest date, farm) added to the pack's stock as
/// a `received` movement; the pack sells from it from now on.
#[utoipa::path(post, path = "/catalog/variants/{id}/receipts", operation_id = "receiveCatalogStock",
    params(("id" = uuid::Uuid, Path)),
    request_body = ReceiptInput,
    responses(
        (status = 201, description = "The product", body = ProductEditorEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn receive(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReceiptInput>,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    let today = app::domain::distribution::ist_date(chrono::Utc::now());
    let receipt = body.parse(today).map_err(invalid)?;
    let id = parse_id(&id, "id")?;
    let product = changed(&state, catalog::receive(&state.pool, state.store_tenant, claims.sub, id, &receipt).await)?;
    let mut r = ok(product);
    *r.status_mut() = StatusCode::CREATED;
    Ok(r)
}

/// Take a picture off a product.
#[utoipa::path(delete, path = "/catalog/products/{id}/images/{image}", operation_id = "removeCatalogImage",
    params(("id" = uuid::Uuid, Path), ("image" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "The product", body = ProductEditorEnvelope),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn remove_image(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path((id, image)): Path<(String, String)>,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    let (id, image) = (parse_id(&id, "id")?, parse_id(&image, "image")?);
    Ok(ok(changed(&state, catalog::remove_image(&state.pool, state.store_tenant, claims.sub, id, image).await)?))
}

/// The latest CSV imports (an upload with `purpose catalog_import` makes one and
/// starts its dry run).
#[utoipa::path(get, path = "/catalog/imports", operation_id = "listCatalogImports",
    responses(
        (status = 200, description = "The latest 20", body = CatalogImportsEnvelope),
        (status = 403, response = super::responses::Forbidden),
    ))]
async fn list_imports(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    Ok(ok(imports::recent(&state.pool, state.store_tenant).await?))
}

/// An import: its status (`checking`, `checked`, `invalid`, `importing`, `imported`,
/// `failed`), progress (`rowsDone` of `rowsTotal`) and problems with their lines.
#[utoipa::path(get, path = "/catalog/imports/{id}", operation_id = "getCatalogImport",
    params(("id" = uuid::Uuid, Path, description = "The upload's id")),
    responses(
        (status = 200, description = "The import", body = CatalogImportEnvelope),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn show_import(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    Ok(ok(imports::find(&state.pool, state.store_tenant, parse_id(&id, "id")?).await?))
}

/// Import a file whose dry run found nothing wrong: all of it in one transaction, or
/// nothing. Answers at once (202); follow the import's status.
#[utoipa::path(post, path = "/catalog/imports/{id}/commit", operation_id = "commitCatalogImport",
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 202, description = "Importing", body = CatalogImportEnvelope),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn commit_import(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    of_the_store(&state, &claims)?;
    let import = imports::commit(&state.pool, state.store_tenant, claims.sub, parse_id(&id, "id")?).await?;
    Ok((StatusCode::ACCEPTED, ok(import)).into_response())
}
