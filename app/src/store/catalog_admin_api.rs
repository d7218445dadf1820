//! Server functions of `/admin/catalog`. The REST door (`server/src/rest/v1/catalog.rs`)
//! calls the same service.

use super::catalog_admin_model::*;
use crate::domain::catalog_entry::{ProductInput, ReceiptInput, VariantInput};
use crate::domain::permissions::{Access, Action};
use crate::error::AppError;
use leptos::prelude::*;

const FNS: [&str; 14] = [
    "/_fn/catalog/products",
    "/_fn/catalog/choices",
    "/_fn/catalog/product",
    "/_fn/catalog/lots",
    "/_fn/catalog/create",
    "/_fn/catalog/update",
    "/_fn/catalog/variant/add",
    "/_fn/catalog/variant/update",
    "/_fn/catalog/variant/lot",
    "/_fn/catalog/variant/receive",
    "/_fn/catalog/image/remove",
    "/_fn/catalog/imports",
    "/_fn/catalog/import",
    "/_fn/catalog/import/commit",
];

pub const ACCESS: &[(&str, Access)] = &[
    (FNS[0], Access::Requires(Action::CatalogManage)),
    (FNS[1], Access::Requires(Action::CatalogManage)),
    (FNS[2], Access::Requires(Action::CatalogManage)),
    (FNS[3], Access::Requires(Action::CatalogManage)),
    (FNS[4], Access::Requires(Action::CatalogManage)),
    (FNS[5], Access::Requires(Action::CatalogManage)),
    (FNS[6], Access::Requires(Action::CatalogManage)),
    (FNS[7], Access::Requires(Action::CatalogManage)),
    (FNS[8], Access::Requires(Action::CatalogManage)),
    (FNS[9], Access::Requires(Action::CatalogManage)),
    (FNS[10], Access::Requires(Action::CatalogManage)),
    (FNS[11], Access::Requires(Action::CatalogManage)),
    (FNS[12], Access::Requires(Action::CatalogManage)),
    (FNS[13], Access::Requires(Action::CatalogManage)),
];

/// The caller, if they run this store's catalogue: the state, the tenant and who they are.
#[cfg(feature = "ssr")]
async fn catalog_staff(path: &str) -> Result<(crate::state::AppState, uuid::Uuid, uuid::Uuid), AppError> {
    let session = crate::access::check(ACCESS, path).await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    if !state.in_store(&session.claims) {
        return Err(AppError::Forbidden);
    }
    let tenant = state.store_tenant;
    Ok((state, tenant, session.claims.sub))
}

#[cfg(feature = "ssr")]
fn id_of(raw: &str, what: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::not_found(what))
}

#[cfg(feature = "ssr")]
fn invalid(fields: crate::error::FieldErrors) -> AppError {
    AppError::Validation { fields }
}

/// A change went in: this process forgets its kept catalogue at once (the others on
/// hearing `NOTIFY mandi_catalog`).
#[cfg(feature = "ssr")]
pub fn changed<T>(state: &crate::state::AppState, result: Result<T, AppError>) -> Result<T, AppError> {
    if result.is_ok() {
        state.catalog.forget();
    }
    result
}

/// Products of every status, newest change first, 50 a page.
#[server(prefix = "/_fn", endpoint = "catalog/products")]
pub async fn catalog_products(
    q: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
) -> Result<ProductList, AppError> {
    let (state, tenant, _) = catalog_staff(FNS[0]).await?;
    let status = match status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(
            crate::domain::catalog_entry::ProductStatus::parse(s)
                .ok_or_else(|| AppError::validation("status", "must be draft, published or archived"))?,
        ),
    };
    let before = crate::time_cursor::parse(cursor.as_deref())?;
    super::catalog_admin_service::list(&state.pool, tenant, q.as_deref(), status, before, 50).await
}

#[server(prefix = "/_fn", endpoint = "catalog/choices")]
pub async fn load_catalog_choices() -> Result<CatalogChoices, AppError> {
    let (state, tenant, _) = catalog_staff(FNS[1]).await?;
    super::catalog_admin_service::choices(&state.pool, tenant).await
}

#[server(prefix = "/_fn", endpoint = "catalog/product")]
pub async fn catalog_product(id: String) -> Result<ProductEditor, AppError> {
    let (state, tenant, _) = catalog_staff(FNS[2]).await?;
    super::catalog_admin_service::editor(&state.pool, tenant, id_of(&id, "Product")?).await
}

#[server(prefix = "/_fn", endpoint = "catalog/lots")]
pub async fn catalog_lots(id: String) -> Result<Vec<LotChoice>, AppError> {
    let (state, tenant, _) = catalog_staff(FNS[3]).await?;
    super::catalog_admin_service::lots(&state.pool, tenant, id_of(&id, "Product")?).await
}

#[server(prefix = "/_fn", endpoint = "catalog/create")]
pub async fn create_product(input: ProductInput) -> Result<ProductEditor, AppError> {
    let (state, tenant, by) = catalog_staff(FNS[4]).await?;
    let fields = input.parse().map_err(invalid)?;
    if fields.status == crate::domain::catalog_entry::ProductStatus::Published {
        return Err(AppError::validation("status", "add a pack before publishing"));
    }
    changed(&state, super::catalog_admin_service::create(&state.pool, tenant, by, &fields).await)
}

#[server(prefix = "/_fn", endpoint = "catalog/update")]
pub async fn update_product(id: String, input: ProductInput) -> Result<ProductEditor, AppError> {
    let (state, tenant, by) = catalog_staff(FNS[5]).await?;
    let fields = input.parse().map_err(invalid)?;
    changed(
        &state,
        super::catalog_admin_service::update(&state.pool, tenant, by, id_of(&id, "Product")?, &fields).await,
    )
}

#[server(prefix = "/_fn", endpoint = "catalog/variant/add")]
pub async fn add_variant(product: String, input: VariantInput) -> Result<ProductEditor, AppError> {
    let (state, tenant, by) = catalog_staff(FNS[6]).await?;
    let fields = input.parse().map_err(invalid)?;
    changed(
        &state,
        super::catalog_admin_service::add_variant(&state.pool, tenant, by, id_of(&product, "Product")?, &fields).await,
    )
}

#[server(prefix = "/_fn", endpoint = "catalog/variant/update")]
pub async fn update_variant(id: String, input: VariantInput) -> Result<ProductEditor, AppError> {
    let (state, tenant, by) = catalog_staff(FNS[7]).await?;
    let fields = input.parse().map_err(invalid)?;
    changed(
        &state,
        super::catalog_admin_service::update_variant(&state.pool, tenant, by, id_of(&id, "Pack")?, &fields).await,
    )
}

#[server(prefix = "/_fn", endpoint = "catalog/variant/lot")]
pub async fn link_lot(id: String, lot: String) -> Result<ProductEditor, AppError> {
    let (state, tenant, by) = catalog_staff(FNS[8]).await?;
    if lot.trim().is_empty() {
        return Err(AppError::validation("lot", "choose a lot"));
    }
    changed(&state, super::catalog_admin_service::link_lot(&state.pool, tenant, by, id_of(&id, "Pack")?, &lot).await)
}

#[server(prefix = "/_fn", endpoint = "catalog/variant/receive")]
pub async fn receive_stock(id: String, input: ReceiptInput) -> Result<ProductEditor, AppError> {
    let (state, tenant, by) = catalog_staff(FNS[9]).await?;
    let today = crate::domain::distribution::ist_date(chrono::Utc::now());
    let receipt = input.parse(today).map_err(invalid)?;
    changed(&state, super::catalog_admin_service::receive(&state.pool, tenant, by, id_of(&id, "Pack")?, &receipt).await)
}

#[server(prefix = "/_fn", endpoint = "catalog/image/remove")]
pub async fn remove_image(product: String, image: String) -> Result<ProductEditor, AppError> {
    let (state, tenant, by) = catalog_staff(FNS[10]).await?;
    let (product, image) = (id_of(&product, "Product")?, id_of(&image, "Picture")?);
    changed(&state, super::catalog_admin_service::remove_image(&state.pool, tenant, by, product, image).await)
}

/// The latest imports, newest first.
#[server(prefix = "/_fn", endpoint = "catalog/imports")]
pub async fn catalog_imports() -> Result<Vec<CatalogImport>, AppError> {
    let (state, tenant, _) = catalog_staff(FNS[11]).await?;
    super::catalog_import_service::recent(&state.pool, tenant).await
}

#[server(prefix = "/_fn", endpoint = "catalog/import")]
pub async fn load_import(id: String) -> Result<CatalogImport, AppError> {
    let (state, tenant, _) = catalog_staff(FNS[12]).await?;
    super::catalog_import_service::find(&state.pool, tenant, id_of(&id, "Import")?).await
}

/// Imports a checked file: all of it, or (a problem found on the way) nothing.
#[server(prefix = "/_fn", endpoint = "catalog/import/commit")]
pub async fn commit_import(id: String) -> Result<CatalogImport, AppError> {
    let (state, tenant, by) = catalog_staff(FNS[13]).await?;
    super::catalog_import_service::commit(&state.pool, tenant, by, id_of(&id, "Import")?).await
}
