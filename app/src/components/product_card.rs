use crate::store::catalog::ProductCard;
use leptos::prelude::*;

#[component]
pub fn ProductGrid(products: Vec<ProductCard>) -> impl IntoView {
    view! {
        <ul class="grid grid-cols-2 gap-4 sm:grid-cols-3 lg:grid-cols-4" data-testid="product-grid">
            {products.into_iter().map(|p| view! { <li><ProductTile product=p/></li> }).collect_view()}
        </ul>
    }
}

#[component]
pub fn ProductTile(product: ProductCard) -> impl IntoView {
    let href = format!("/products/{}", product.slug);
    view! {
        <a href=href class="group flex h-full flex-col overflow-hidden rounded-2xl border border-stone-200 bg-white shadow-sm transition hover:shadow-md focus-visible:outline focus-visible:outline-2 focus-visible:outline-emerald-700" data-testid="product-card">
            <div class="relative aspect-square bg-stone-100">
                <img src=product.image_url alt="" width="400" height="400" loading="lazy" class="h-full w-full object-cover"/>
                {(!product.in_stock).then(|| view! {
                    <span class="absolute left-2 top-2 rounded-full bg-stone-900/80 px-2 py-0.5 text-xs font-medium text-white">"Out of stock"</span>
                })}
            </div>
            <div class="flex flex-1 flex-col gap-1 p-3">
                <span class="text-xs font-medium uppercase tracking-wide text-emerald-700">{product.category_name}</span>
                <h3 class="font-semibold leading-snug text-stone-900 group-hover:text-emerald-800">{product.name}</h3>
                <p class="text-sm text-stone-600">{product.farm_name}" · "{product.farm_region}</p>
                <p class="mt-auto pt-2 text-stone-900">
                    <span class="font-semibold">{product.price_from.format_inr()}</span>
                    <span class="text-sm text-stone-500">" / "{product.pack_from}</span>
                </p>
            </div>
        </a>
    }
}
