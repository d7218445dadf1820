//! Server functions of the storefront: the typed door from pages and islands to the
//! catalogue service. They parse, call the service, and return its result.

use super::catalog::{
    Category, FarmListing, FarmProfile, FilterOptions, ProductCard, ProductDetail, ProductQueryParams,
};
use crate::envelope::Page;
use crate::error::AppError;
use leptos::prelude::*;

pub const ACCESS: &[(&str, crate::domain::permissions::Access)] = &[
    ("/_fn/store/search", crate::domain::permissions::Access::Public),
    ("/_fn/store/product", crate::domain::permissions::Access::Public),
    ("/_fn/store/categories", crate::domain::permissions::Access::Public),
    ("/_fn/store/filters", crate::domain::permissions::Access::Public),
    ("/_fn/store/farms", crate::domain::permissions::Access::Public),
    ("/_fn/store/farm", crate::domain::permissions::Access::Public),
];

#[server(prefix = "/_fn", endpoint = "store/search")]
pub async fn search_products(params: ProductQueryParams) -> Result<Page<ProductCard>, AppError> {
    let query = super::catalog::ProductQuery::parse(&params)?;
    let state = crate::state::app_state()?;
    super::service::list_products(&state.pool, &state.catalog, state.store_tenant, &query).await
}

#[server(prefix = "/_fn", endpoint = "store/product")]
pub async fn product_by_slug(slug: String) -> Result<ProductDetail, AppError> {
    let state = crate::state::app_state()?;
    state.catalog.product(&state.pool, state.store_tenant, super::service::ProductKey::Slug(&slug)).await
}

#[server(prefix = "/_fn", endpoint = "store/categories")]
pub async fn categories() -> Result<Vec<Category>, AppError> {
    let state = crate::state::app_state()?;
    Ok(state.catalog.categories(&state.pool, state.store_tenant).await?.to_vec())
}

/// What the search page's filters offer: categories, farms (the biggest, and `farm`
/// when one is chosen), certification schemes.
#[server(prefix = "/_fn", endpoint = "store/filters")]
pub async fn load_filter_options(farm: Option<String>) -> Result<FilterOptions, AppError> {
    let state = crate::state::app_state()?;
    state.catalog.filter_options(&state.pool, state.store_tenant, farm.as_deref()).await
}

#[server(prefix = "/_fn", endpoint = "store/farms")]
pub async fn farms() -> Result<Vec<FarmListing>, AppError> {
    let state = crate::state::app_state()?;
    Ok(state.catalog.farms(&state.pool, state.store_tenant).await?.to_vec())
}

/// A farm's storefront by slug or id.
#[server(prefix = "/_fn", endpoint = "store/farm")]
pub async fn farm_storefront(farm: String) -> Result<FarmProfile, AppError> {
    let state = crate::state::app_state()?;
    super::service::farm_profile(&state.pool, &state.catalog, state.store_tenant, &farm).await
}
