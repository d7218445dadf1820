//! Storefront pages. They render on the server; only the buy box (`buy_box.rs`) hydrates.

use super::api::{categories, farm_storefront, farms, load_filter_options, product_by_slug, search_products};
use super::catalog::{Category, FarmListing, FarmProfile, FilterOptions, ProductDetail, ProductQueryParams, Sort};
use crate::components::not_found::{LoadError, NotFound};
use crate::components::product_card::ProductGrid;
use crate::components::search_href::{query_href, search_href};
use crate::envelope::Page;
use crate::error::{AppError, FieldErrors};
use crate::store::catalog::ProductCard;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn HomePage() -> impl IntoView {
    let data = Resource::new_blocking(
        || (),
        |_| async {
            let params = ProductQueryParams { limit: Some("12".into()), ..Default::default() };
            let (products, cats) = futures::future::join(search_products(params), categories()).await;
            Ok::<_, crate::error::AppError>((products?, cats?))
        },
    );
    view! {
        <Title text="Mandi · Farm-fresh produce with its story"/>
        <Meta name="description" content="Tea, spices and vegetables from named farms in Darjeeling, the Nilgiris and the South, with provenance for every batch."/>
        <section class="bg-gradient-to-br from-emerald-800 to-emerald-600 text-white">
            <div class="mx-auto max-w-6xl px-4 py-12 sm:py-16">
                <h1 class="max-w-2xl text-3xl font-bold leading-tight sm:text-5xl">"From the farm, with its story."</h1>
                <p class="mt-4 max-w-xl text-emerald-50 sm:text-lg">"Every product names the estate that grew it. First-flush Darjeeling, Nilgiri cardamom and this week's vegetables, straight from the people who farm them."</p>
                <a href="/search" class="mt-6 inline-block rounded-full bg-white px-6 py-3 font-semibold text-emerald-800 hover:bg-emerald-50">"Shop all products"</a>
            </div>
        </section>
        <Suspense fallback=|| view! { <p class="mx-auto max-w-6xl px-4 py-8 text-stone-500">"Loading the shelves…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((products, cats)) => view! {
                        <div class="mx-auto max-w-6xl px-4">
                            <CategoryChips categories=cats current=None q=None/>
                            <h2 class="mb-4 mt-8 text-xl font-semibold text-stone-900">"Fresh from our farms"</h2>
                            <ProductGrid products=products.items/>
                            <p class="mt-8 text-center">
                                <a href="/search" class="font-medium text-emerald-700 hover:underline">
                                    {format!("See all {} products →", products.pagination.total)}
                                </a>
                            </p>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CategoryChips(
    categories: Vec<Category>,
    current: Option<String>,
    q: Option<String>,
    #[prop(optional)] params: Option<ProductQueryParams>,
) -> impl IntoView {
    let chip = "rounded-full border px-4 py-1.5 text-sm font-medium whitespace-nowrap focus-visible:outline focus-visible:outline-2 focus-visible:outline-emerald-700";
    let active = "border-emerald-700 bg-emerald-700 text-white";
    let idle = "border-stone-300 bg-white text-stone-700 hover:border-emerald-600 hover:text-emerald-800";
    let all_class = format!("{chip} {}", if current.is_none() { active } else { idle });
    // A chip changes the category and keeps every other filter of the current URL.
    let base = params.unwrap_or(ProductQueryParams { q: q.clone(), ..Default::default() });
    let href_for = move |category: Option<&str>| {
        query_href(&ProductQueryParams { category: category.map(str::to_string), page: None, ..base.clone() }, 1)
    };
    view! {
        <nav aria-label="Categories" class="-mx-4 mt-6 overflow-x-auto px-4 py-1">
            <ul class="flex gap-2">
                <li><a href=href_for(None) class=all_class aria-current=current.is_none().then_some("page")>"All"</a></li>
                {categories.into_iter().map(|c| {
                    let is_current = current.as_deref() == Some(c.slug.as_str());
                    let class = format!("{chip} {}", if is_current { active } else { idle });
                    view! {
                        <li>
                            <a href=href_for(Some(&c.slug)) class=class aria-current=is_current.then_some("page")>
                                {c.name}<span class="ml-1 opacity-70">{c.product_count}</span>
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </nav>
    }
}

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let q = query.read();
        ProductQueryParams {
            q: q.get("q"),
            category: q.get("category"),
            farm: q.get("farm"),
            certification: q.get("certification"),
            min_price: q.get("minPrice"),
            max_price: q.get("maxPrice"),
            in_stock: q.get("inStock"),
            sort: q.get("sort"),
            page: q.get("page"),
            limit: None,
        }
    };
    let data = Resource::new_blocking(params, |params| async move {
        let (results, options) =
            futures::future::join(search_products(params.clone()), load_filter_options(params.farm.clone())).await;
        Ok::<_, crate::error::AppError>((params, results, options?))
    });
    view! {
        <Suspense fallback=|| view! { <p class="mx-auto max-w-6xl px-4 py-8 text-stone-500">"Searching…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((params, Ok(results), options)) => view! { <SearchResults params results options/> }.into_any(),
                    Ok((params, Err(AppError::Validation { fields }), options)) => view! { <InvalidFilters params fields options/> }.into_any(),
                    Ok((_, Err(e), _)) => view! { <LoadError error=e/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

const FIELD: &str = "mt-1 block w-full rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm text-stone-900 focus:border-emerald-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-emerald-700";
const LABEL: &str = "block text-sm font-medium text-stone-800";

/// The filter form: a plain GET to `/search`, so the URL holds the whole query, the
/// back button restores it, and it works without JavaScript.
/// The filter form with what was wrong with each filter beside it (400): a hand-edited
/// or stale link gets the shopper's own values back to correct, not an error page.
#[component]
fn InvalidFilters(params: ProductQueryParams, fields: FieldErrors, options: FilterOptions) -> impl IntoView {
    crate::components::not_found::set_status(400);
    let page_problem = fields.get("page").cloned();
    view! {
        <Title text="Check the filters · Mandi"/>
        <div class="mx-auto max-w-6xl px-4">
            <div class="mt-6 grid gap-6 lg:grid-cols-[16rem_1fr]">
                <aside>
                    <FilterForm params options errors=fields/>
                </aside>
                <div role="alert" data-testid="filter-errors" class="rounded-2xl border border-red-200 bg-red-50 p-6">
                    <h1 class="text-xl font-semibold text-red-900">"Some filters are not valid"</h1>
                    <p class="mt-1 text-red-900">"Correct the fields marked in the form, or "<a href="/search" class="font-medium underline">"start a new search"</a>"."</p>
                    {page_problem.map(|why| view! { <p class="mt-1 text-red-900">{format!("The page number {why}.")}</p> })}
                </div>
            </div>
        </div>
    }
}

/// A field's error line and the attributes that tie it to its input, when it has one.
fn field_error(errors: &FieldErrors, field: &'static str) -> (Option<&'static str>, Option<AnyView>) {
    match errors.get(field) {
        Some(why) => {
            let id: &'static str = match field {
                "q" => "filter-q-error",
                "category" => "filter-category-error",
                "farm" => "filter-farm-error",
                "certification" => "filter-certification-error",
                "minPrice" => "filter-min-price-error",
                "maxPrice" => "filter-max-price-error",
                "inStock" => "filter-in-stock-error",
                _ => "filter-sort-error",
            };
            (
                Some(id),
                Some(
                    view! { <p id=id class="mt-1 text-sm text-red-700" data-field-error=field>{why.clone()}</p> }
                        .into_any(),
                ),
            )
        }
        None => (None, None),
    }
}

#[component]
fn FilterForm(
    params: ProductQueryParams,
    options: FilterOptions,
    #[prop(optional)] errors: FieldErrors,
) -> impl IntoView {
    let (q_err, q_msg) = field_error(&errors, "q");
    let (category_err, category_msg) = field_error(&errors, "category");
    let (farm_err, farm_msg) = field_error(&errors, "farm");
    let (cert_err, cert_msg) = field_error(&errors, "certification");
    let (min_err, min_msg) = field_error(&errors, "minPrice");
    let (max_err, max_msg) = field_error(&errors, "maxPrice");
    let (stock_err, stock_msg) = field_error(&errors, "inStock");
    let (sort_err, sort_msg) = field_error(&errors, "sort");
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let category = value(&params.category);
    let farm = value(&params.farm);
    let certification = value(&params.certification);
    let sort = value(&params.sort);
    let in_stock = matches!(params.in_stock.as_deref().map(str::trim), Some("true" | "1" | "on" | "yes"));
    let farm_list = options.farms;
    view! {
        <form method="get" action="/search" autocomplete="off" class="space-y-4 rounded-2xl border border-stone-200 bg-white p-4" aria-label="Filter products" data-testid="filters">
            <div>
                <label for="filter-q" class=LABEL>"Keywords"</label>
                <input id="filter-q" type="text" name="q" value=value(&params.q) maxlength="200" autocomplete="off" class=FIELD aria-invalid=q_err.map(|_| "true") aria-describedby=q_err/>
                {q_msg}
            </div>
            <div>
                <label for="filter-category" class=LABEL>"Category"</label>
                <select id="filter-category" name="category" class=FIELD aria-invalid=category_err.map(|_| "true") aria-describedby=category_err>
                    <option value="" selected=category.is_empty()>"All categories"</option>
                    {options.categories.into_iter().map(|c| {
                        let selected = c.slug == category;
                        view! { <option value=c.slug selected=selected>{c.name}</option> }
                    }).collect_view()}
                </select>
                {category_msg}
            </div>
            <div>
                <label for="filter-farm" class=LABEL>"Farm"</label>
                <select id="filter-farm" name="farm" class=FIELD aria-invalid=farm_err.map(|_| "true") aria-describedby=farm_err>
                    <option value="" selected=farm.is_empty()>"All farms"</option>
                    {farm_list.into_iter().map(|f| {
                        let selected = f.slug == farm;
                        view! { <option value=f.slug selected=selected>{f.name}</option> }
                    }).collect_view()}
                </select>
                <a href="/farms" class="mt-1 inline-block text-xs font-medium text-emerald-800 underline-offset-2 hover:underline">"Browse all farms"</a>
                {farm_msg}
            </div>
            <div>
                <label for="filter-certification" class=LABEL>"Certification"</label>
                <select id="filter-certification" name="certification" class=FIELD aria-invalid=cert_err.map(|_| "true") aria-describedby=cert_err>
                    <option value="" selected=certification.is_empty()>"Any certification"</option>
                    {options.certifications.into_iter().map(|c| {
                        let selected = c.slug == certification;
                        view! { <option value=c.slug selected=selected>{c.name}</option> }
                    }).collect_view()}
                </select>
                {cert_msg}
            </div>
            <fieldset>
                <legend class=LABEL>"Price (₹)"</legend>
                <div class="mt-1 grid grid-cols-2 gap-2">
                    <div>
                        <label for="filter-min-price" class="block text-xs text-stone-700">"Minimum"</label>
                        <input id="filter-min-price" type="number" name="minPrice" min="0" step="0.01" inputmode="decimal" value=value(&params.min_price) class=FIELD aria-invalid=min_err.map(|_| "true") aria-describedby=min_err/>
                        {min_msg}
                    </div>
                    <div>
                        <label for="filter-max-price" class="block text-xs text-stone-700">"Maximum"</label>
                        <input id="filter-max-price" type="number" name="maxPrice" min="0" step="0.01" inputmode="decimal" value=value(&params.max_price) class=FIELD aria-invalid=max_err.map(|_| "true") aria-describedby=max_err/>
                        {max_msg}
                    </div>
                </div>
            </fieldset>
            <fieldset>
                <legend class="sr-only">"Availability"</legend>
                <div class="flex items-center gap-2">
                    <input id="filter-in-stock" type="checkbox" name="inStock" value="true" checked=in_stock aria-invalid=stock_err.map(|_| "true") aria-describedby=stock_err class="h-4 w-4 rounded border-stone-400 text-emerald-700 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700"/>
                    <label for="filter-in-stock" class="text-sm text-stone-800">"In stock only"</label>
                </div>
                {stock_msg}
            </fieldset>
            <div>
                <label for="filter-sort" class=LABEL>"Sort by"</label>
                <select id="filter-sort" name="sort" class=FIELD aria-invalid=sort_err.map(|_| "true") aria-describedby=sort_err>
                    {Sort::ALL.into_iter().map(|s| {
                        let selected = s.as_param() == sort || (sort.is_empty() && s == Sort::Relevance);
                        view! { <option value=s.as_param() selected=selected>{s.label()}</option> }
                    }).collect_view()}
                </select>
                {sort_msg}
            </div>
            <div class="flex flex-wrap items-center gap-3">
                <button type="submit" class="rounded-full bg-emerald-700 px-5 py-2 text-sm font-semibold text-white hover:bg-emerald-800 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700">"Apply filters"</button>
                <a href="/search" class="text-sm font-medium text-emerald-800 underline-offset-2 hover:underline focus-visible:outline focus-visible:outline-2 focus-visible:outline-emerald-700">"Clear all"</a>
            </div>
        </form>
    }
}

#[component]
fn SearchResults(params: ProductQueryParams, results: Page<ProductCard>, options: FilterOptions) -> impl IntoView {
    let q = params.q.clone().filter(|q| !q.trim().is_empty());
    let category = params.category.clone().filter(|c| !c.is_empty());
    let cats = options.categories.clone();
    let category_name =
        category.as_ref().and_then(|slug| cats.iter().find(|c| &c.slug == slug).map(|c| c.name.clone()));
    let farm_name =
        params.farm.as_ref().and_then(|slug| options.farms.iter().find(|f| &f.slug == slug).map(|f| f.name.clone()));
    let heading = match (&q, &category_name, &farm_name) {
        (Some(q), _, _) => format!("Results for “{q}”"),
        (None, Some(name), _) => name.clone(),
        (None, None, Some(farm)) => format!("From {farm}"),
        (None, None, None) => "All products".to_string(),
    };
    let p = results.pagination.clone();
    let summary = match p.total {
        0 => "No products found".to_string(),
        1 => "1 product".to_string(),
        n => format!("{n} products"),
    };
    let prev = (p.page > 1).then(|| query_href(&params, p.page - 1));
    let next = p.has_more.then(|| query_href(&params, p.page + 1));
    let pages = p.total.div_ceil(u64::from(p.limit)).max(1);
    let empty = results.items.is_empty();
    view! {
        <Title text=format!("{heading} · Mandi")/>
        <div class="mx-auto max-w-6xl px-4">
            <CategoryChips categories=cats current=category.clone() q=q.clone() params=params.clone()/>
            <div class="mt-6 grid gap-6 lg:grid-cols-[16rem_1fr]">
                <aside>
                    <FilterForm params=params.clone() options=options/>
                </aside>
                <div>
                    <div class="mb-4 flex flex-wrap items-baseline justify-between gap-2">
                        <h1 class="text-2xl font-semibold text-stone-900">{heading}</h1>
                        <p class="text-sm text-stone-600" data-testid="result-count" aria-live="polite">{summary}</p>
                    </div>
                    {if empty {
                        view! {
                            <div class="rounded-2xl border border-dashed border-stone-300 bg-white p-10 text-center">
                                <p class="font-medium text-stone-800">"Nothing matches that yet."</p>
                                <p class="mt-1 text-stone-600">"Try a shorter word — “tea”, “pepper”, “tomato” — widen the price range, or browse a category."</p>
                            </div>
                        }.into_any()
                    } else {
                        view! { <ProductGrid products=results.items/> }.into_any()
                    }}
                    <nav aria-label="Pagination" class="mt-8 flex items-center justify-between text-sm">
                        {match prev {
                            Some(href) => view! { <a href=href rel="prev" class="rounded-full border border-stone-300 px-4 py-2 font-medium hover:bg-stone-100">"← Previous"</a> }.into_any(),
                            None => view! { <span></span> }.into_any(),
                        }}
                        <span class="text-stone-600">{format!("Page {} of {}", p.page, pages)}</span>
                        {match next {
                            Some(href) => view! { <a href=href rel="next" class="rounded-full border border-stone-300 px-4 py-2 font-medium hover:bg-stone-100">"Next →"</a> }.into_any(),
                            None => view! { <span></span> }.into_any(),
                        }}
                    </nav>
                </div>
            </div>
        </div>
    }
}

#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let product = Resource::new_blocking(move || params.read().get("slug").unwrap_or_default(), product_by_slug);
    view! {
        <Suspense fallback=|| view! { <p class="mx-auto max-w-6xl px-4 py-8 text-stone-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match product.await {
                    Ok(p) => view! { <ProductView product=p/> }.into_any(),
                    Err(crate::error::AppError::NotFound { .. }) => view! { <NotFound message="We could not find that product"/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProductView(product: ProductDetail) -> impl IntoView {
    let ProductDetail { name, description, image_url, category, farm, variants, batches, .. } = product;
    let farm_href = format!("/farms/{}", farm.slug);
    view! {
        <Title text=format!("{name} · Mandi")/>
        <Meta name="description" content=crate::components::markup::plain_text(&description)/>
        <div class="mx-auto max-w-6xl px-4 py-6">
            <nav aria-label="Breadcrumb" class="text-sm text-stone-600">
                <a href="/" class="hover:text-emerald-700">"Shop"</a>
                " / "
                <a href=search_href(None, Some(&category.slug), 1) class="hover:text-emerald-700">{category.name.clone()}</a>
            </nav>
            <div class="mt-4 grid gap-8 md:grid-cols-2">
                <img src=image_url alt=name.clone() width="600" height="600" class="aspect-square w-full rounded-2xl bg-stone-100 object-cover"/>
                <div>
                    <p class="text-sm font-medium uppercase tracking-wide text-emerald-700">{category.name}</p>
                    <h1 class="mt-1 text-3xl font-bold text-stone-900">{name}</h1>
                    <p class="mt-2 text-stone-700">"From "<a href=farm_href.clone() class="font-medium text-emerald-800 hover:underline">{farm.name.clone()}</a>", "{farm.region.clone()}</p>
                    <div class="mt-6">
                        {(!variants.is_empty()).then(|| view! { <super::buy_box::ProductBuyBox variants/> })}
                    </div>
                    // Sanitised when it was saved (every path that writes it runs ammonia).
                    <div class="product-description mt-6 space-y-2 leading-relaxed text-stone-700" inner_html=description></div>
                    <section class="mt-6 rounded-2xl border border-emerald-200 bg-emerald-50 p-4" aria-labelledby="farm-heading">
                        <h2 id="farm-heading" class="font-semibold text-emerald-900">"About the farm"</h2>
                        <p class="mt-1 text-sm text-emerald-900">{farm.name}" · "{farm.region}</p>
                        <p class="mt-2 text-sm text-stone-700">{farm.description}</p>
                        <a href=farm_href class="mt-2 inline-block text-sm font-medium text-emerald-800 hover:underline">"Visit the farm's storefront →"</a>
                    </section>
                </div>
            </div>
            <crate::trace::pages::ProvenancePanel batches/>
        </div>
    }
}

/// `/farms`: every farm that sells through the store.
#[component]
pub fn FarmsPage() -> impl IntoView {
    let data = Resource::new_blocking(|| (), |_| farms());
    view! {
        <Title text="Our farms · Mandi"/>
        <div class="mx-auto max-w-6xl px-4 py-6">
            <h1 class="text-2xl font-semibold text-stone-900">"Our farms"</h1>
            <p class="mt-1 text-stone-600">"Every product names the farm that grew it. Visit a farm to see what it sells and the certificates it holds."</p>
            <Suspense fallback=|| view! { <p class="py-8 text-stone-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(list) => view! { <FarmList farms=list/> }.into_any(),
                        Err(e) => view! { <LoadError error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn FarmList(farms: Vec<FarmListing>) -> impl IntoView {
    view! {
        <ul class="mt-6 grid gap-4 sm:grid-cols-2 lg:grid-cols-3" data-testid="farm-list">
            {farms.into_iter().filter(|f| f.product_count > 0).map(|f| {
                let href = format!("/farms/{}", f.slug);
                let count = if f.product_count == 1 { "1 product".to_string() } else { format!("{} products", f.product_count) };
                view! {
                    <li>
                        <a href=href class="block h-full rounded-2xl border border-stone-200 bg-white p-4 shadow-sm hover:shadow-md focus-visible:outline focus-visible:outline-2 focus-visible:outline-emerald-700" data-testid="farm-card">
                            <h2 class="font-semibold text-stone-900">{f.name}</h2>
                            <p class="text-sm text-stone-600">{f.region}", "{f.state}</p>
                            <p class="mt-2 text-sm text-stone-800">{count}</p>
                            <p class="mt-2 flex flex-wrap gap-1">
                                {f.certifications.into_iter().map(|c| view! {
                                    <span class="rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-800">{c}</span>
                                }).collect_view()}
                            </p>
                        </a>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// `/farms/{slug-or-id}`: a farm's storefront.
#[component]
pub fn FarmPage() -> impl IntoView {
    let params = use_params_map();
    let data = Resource::new_blocking(move || params.read().get("farm").unwrap_or_default(), farm_storefront);
    view! {
        <Suspense fallback=|| view! { <p class="mx-auto max-w-6xl px-4 py-8 text-stone-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(profile) => view! { <FarmView profile/> }.into_any(),
                    Err(crate::error::AppError::NotFound { .. }) => view! { <NotFound message="We could not find that farm"/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn FarmView(profile: FarmProfile) -> impl IntoView {
    let FarmProfile { farm, state, area_acres, certifications, products } = profile;
    let all_href = query_href(&ProductQueryParams { farm: Some(farm.slug.clone()), ..Default::default() }, 1);
    let total = products.pagination.total;
    let more = products.pagination.has_more;
    let acres = area_acres.map(|a| format!(" · {a} acres"));
    view! {
        <Title text=format!("{} · Mandi", farm.name)/>
        <Meta name="description" content=farm.description.clone()/>
        <div class="mx-auto max-w-6xl px-4 py-6">
            <nav aria-label="Breadcrumb" class="text-sm text-stone-600">
                <a href="/farms" class="hover:text-emerald-700">"Farms"</a>
            </nav>
            <h1 class="mt-2 text-3xl font-bold text-stone-900">{farm.name.clone()}</h1>
            <p class="mt-1 text-stone-700">{farm.region.clone()}", "{state}{acres}</p>
            <p class="mt-4 max-w-3xl leading-relaxed text-stone-700">{farm.description.clone()}</p>
            <section class="mt-8" aria-labelledby="farm-certs">
                <h2 id="farm-certs" class="mb-3 text-xl font-semibold text-stone-900">"Certificates"</h2>
                <crate::trace::pages::CertificateList certs=certifications/>
            </section>
            <section class="mt-8" aria-labelledby="farm-products">
                <div class="mb-4 flex flex-wrap items-baseline justify-between gap-2">
                    <h2 id="farm-products" class="text-xl font-semibold text-stone-900">"Products"</h2>
                    <p class="text-sm text-stone-600">{format!("{total} products")}</p>
                </div>
                <ProductGrid products=products.items/>
                {more.then(|| view! {
                    <p class="mt-6 text-center"><a href=all_href class="font-medium text-emerald-700 hover:underline">{format!("See all {total} products from this farm →")}</a></p>
                })}
            </section>
        </div>
    }
}
