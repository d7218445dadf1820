//! `/admin/catalog`: the store's products of every status, each editable with its packs,
//! pictures, lots and stock received; and `/admin/catalog/import`, CSV files in the
//! shape of a Shopify export checked in a dry run, then imported all at once.
//!
//! Pictures and CSV files go by resumable upload (`/public/admin/upload.js`, tus as the
//! field app sends photos); every other change is an island posting to its server
//! function, with errors by field.

use super::catalog_admin_api::*;
use super::catalog_admin_model::*;
use crate::components::form::{BUTTON_CLASS, Field, INPUT_CLASS, field_errors, form_error};
use crate::components::island_support::{go, hydrated_flag};
use crate::components::not_found::refused;
use crate::domain::catalog_entry::ProductStatus;
use leptos::prelude::*;
use leptos_meta::Title;

const CARD: &str = "rounded-2xl border border-stone-200 bg-white p-4";
const SMALL_BUTTON: &str =
    "rounded-full bg-emerald-700 px-4 py-2.5 text-sm font-semibold text-white disabled:opacity-60";
const LINK_BUTTON: &str = "rounded-full border border-emerald-700 px-4 py-2 text-sm font-semibold text-emerald-800";

fn status_badge(s: ProductStatus) -> impl IntoView {
    let class = match s {
        ProductStatus::Published => "bg-emerald-100 text-emerald-900",
        ProductStatus::Draft => "bg-amber-100 text-amber-900",
        ProductStatus::Archived => "bg-stone-200 text-stone-700",
    };
    view! { <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {class}") data-testid="product-status">{s.as_str()}</span> }
}

#[component]
pub fn CatalogPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let read = move || {
        let q = query.read();
        (q.get("q"), q.get("status"), q.get("cursor"))
    };
    let list = Resource::new_blocking(read, |(q, status, cursor)| catalog_products(q, status, cursor));
    view! {
        <Title text="Catalogue · Mandi"/>
        <section class="mx-auto max-w-6xl space-y-4 px-4 py-6">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h1 class="text-2xl font-bold text-stone-900">"Catalogue"</h1>
                <div class="flex gap-2">
                    <a href="/admin/catalog/import" class=LINK_BUTTON>"Import CSV"</a>
                    <a href="/admin/catalog/new" class=SMALL_BUTTON data-testid="new-product">"New product"</a>
                </div>
            </div>
            <form method="get" action="/admin/catalog" class="flex flex-wrap items-end gap-3 text-sm">
                <label class="block grow"><span class="font-medium">"Name or SKU"</span>
                    <input type="search" name="q" class=INPUT_CLASS value=move || read().0.unwrap_or_default()/></label>
                <label class="block"><span class="font-medium">"Status"</span>
                    <select name="status" class=INPUT_CLASS>
                        <option value="">"Any"</option>
                        {ProductStatus::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=move || read().1.as_deref() == Some(s.as_str())>{s.as_str()}</option>
                        }).collect_view()}
                    </select></label>
                <button type="submit" class=SMALL_BUTTON>"Show"</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let (q, status, _) = read();
                    match list.await {
                        Ok(page) if page.items.is_empty() => view! { <p class="text-stone-600">"No products match."</p> }.into_any(),
                        Ok(page) => {
                            let older = page.next_cursor.map(|c| {
                                let mut params = vec![("cursor", c)];
                                params.extend(q.map(|q| ("q", q)));
                                params.extend(status.map(|s| ("status", s)));
                                let params: Vec<String> = params.iter()
                                    .map(|(k, v)| format!("{k}={}", crate::components::search_href::encode_component(v)))
                                    .collect();
                                format!("/admin/catalog?{}", params.join("&"))
                            });
                            view! {
                                <ul class="divide-y divide-stone-100 rounded-2xl border border-stone-200 bg-white">
                                    {page.items.into_iter().map(|p| view! {
                                        <li class="flex items-center gap-3 p-3" data-testid="catalog-row" data-slug=p.slug.clone()>
                                            <img src=p.image_url.clone() alt="" class="h-12 w-12 rounded-lg object-cover" width="48" height="48"/>
                                            <div class="min-w-0 grow">
                                                <a href=format!("/admin/catalog/{}", p.id) class="font-medium text-stone-900 hover:underline">{p.name.clone()}</a>
                                                <p class="text-sm text-stone-600">{format!("{} · {} · {} pack(s)", p.category_name, p.farm_name, p.variant_count)}</p>
                                            </div>
                                            <span class="text-sm tabular-nums">{p.price_from.map(|m| format!("from {}", m.format_inr()))}</span>
                                            {status_badge(p.status)}
                                        </li>
                                    }).collect_view()}
                                </ul>
                                {older.map(|href| view! { <a href=href class="text-sm hover:underline" data-testid="older-products">"More →"</a> })}
                            }.into_any()
                        }
                        Err(e) => refused(e, "/admin/catalog".into()),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn NewProductPage() -> impl IntoView {
    let choices = Resource::new_blocking(|| (), |_| load_catalog_choices());
    view! {
        <Title text="New product · Mandi"/>
        <section class="mx-auto max-w-3xl space-y-4 px-4 py-6">
            <p class="text-sm"><a href="/admin/catalog" class="hover:underline">"← Catalogue"</a></p>
            <h1 class="text-2xl font-bold text-stone-900">"New product"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match choices.await {
                        Ok(c) => view! { <ProductForm choices=c product=None/> }.into_any(),
                        Err(e) => refused(e, "/admin/catalog/new".into()),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn ProductEditPage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let page = Resource::new_blocking(id, |id| async move {
        let product = catalog_product(id.clone()).await?;
        let choices = load_catalog_choices().await?;
        let lots = catalog_lots(id).await?;
        Ok::<_, crate::error::AppError>((product, choices, lots))
    });
    view! {
        <section class="mx-auto max-w-4xl space-y-4 px-4 py-6">
            <p class="text-sm"><a href="/admin/catalog" class="hover:underline">"← Catalogue"</a></p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok((product, choices, lots)) => {
                            let here = format!("/admin/catalog/{}", product.id);
                            let shelf = (product.status == ProductStatus::Published).then(|| format!("/products/{}", product.slug));
                            view! {
                                <Title text=format!("{} · Catalogue · Mandi", product.name)/>
                                <div class="flex flex-wrap items-center gap-3">
                                    <h1 class="text-2xl font-bold text-stone-900" data-testid="product-name">{product.name.clone()}</h1>
                                    {status_badge(product.status)}
                                    {shelf.map(|href| view! { <a href=href class="text-sm text-emerald-800 hover:underline">"See it on the shelf →"</a> })}
                                </div>
                                <ProductForm choices=choices product=Some(product.clone())/>
                                <Pictures product=product.clone() here=here.clone()/>
                                <section class="space-y-3" aria-labelledby="packs-h">
                                    <h2 id="packs-h" class="text-lg font-semibold">"Packs"</h2>
                                    {product.variants.iter().cloned().map(|v| view! { <PackCard pack=v lots=lots.clone() here=here.clone()/> }).collect_view()}
                                    <AddPack product=product.id.to_string() here=here.clone()/>
                                </section>
                            }.into_any()
                        }
                        Err(e) => refused(e, "/admin/catalog".into()),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The product's own fields: a new one (then its page) or a change to one.
#[island(lazy)]
fn ProductForm(choices: CatalogChoices, product: Option<ProductEditor>) -> impl IntoView {
    let hydrated = hydrated_flag();
    let create = ServerAction::<CreateProduct>::new();
    let update = ServerAction::<UpdateProduct>::new();
    let editing = product.is_some();
    let result = Signal::derive(move || if editing { update.value().get() } else { create.value().get() });
    let errors = Memo::new(move |_| field_errors(result.get()));
    Effect::new(move |_| {
        if let Some(Ok(p)) = result.get() {
            go(&format!("/admin/catalog/{}", p.id));
        }
    });
    let p = product.clone();
    let (name, slug, description) = match &p {
        Some(p) => (p.name.clone(), p.slug.clone(), p.description.clone()),
        None => Default::default(),
    };
    let category = p.as_ref().map(|p| p.category.clone()).unwrap_or_default();
    let farm = p.as_ref().map(|p| p.farm.clone()).unwrap_or_default();
    let status = p.as_ref().map(|p| p.status).unwrap_or(ProductStatus::Draft);
    let fields = view! {
        <Field label="Name" form="input" field="name" value=name errors=errors/>
        <Field label="Web address" form="input" field="slug" value=slug hint="Blank: made from the name" errors=errors/>
        <div class="sm:col-span-2">
            <label for="input-description" class="block text-sm font-medium text-stone-800">"Description"</label>
            <textarea id="input-description" name="input[description]" rows="5" class=INPUT_CLASS aria-describedby="input-description-hint">{description}</textarea>
            <p id="input-description-hint" class="mt-1 text-xs text-stone-500">"Paragraphs, bold, italics, lists and links are kept; anything else is removed."</p>
            <p class="mt-1 text-sm text-red-700" role="alert" data-field-error="description">{move || errors.with(|e| e.get("description").cloned())}</p>
        </div>
        <Select label="Category" field="category" chosen=category options=choices.categories.clone() errors=errors/>
        <Select label="Farm" field="farm" chosen=farm options=choices.farms.clone() errors=errors/>
        <div>
            <label for="input-status" class="block text-sm font-medium text-stone-800">"Status"</label>
            <select id="input-status" name="input[status]" class=INPUT_CLASS>
                {ProductStatus::ALL.into_iter().map(|s| view! { <option value=s.as_str() selected=s == status>{s.as_str()}</option> }).collect_view()}
            </select>
            <p class="mt-1 text-sm text-red-700" role="alert" data-field-error="status">{move || errors.with(|e| e.get("status").cloned())}</p>
        </div>
    };
    let footer = move |label: &'static str| {
        view! {
            <div class="sm:col-span-2">
                <button type="submit" class=BUTTON_CLASS>{label}</button>
                <p role="alert" class="mt-1 text-sm text-red-700" data-testid="product-error">{move || form_error(result.get())}</p>
            </div>
        }
    };
    let class = format!("grid gap-4 sm:grid-cols-2 {CARD}");
    match product {
        Some(p) => view! {
            <ActionForm action=update attr:class=class attr:data-testid="product-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
                <input type="hidden" name="id" value=p.id.to_string()/>
                {fields}
                {footer("Save product")}
            </ActionForm>
        }
        .into_any(),
        None => view! {
            <ActionForm action=create attr:class=class attr:data-testid="product-form" attr:data-hydrated=move || hydrated.get().then_some("true")>
                {fields}
                {footer("Create product")}
            </ActionForm>
        }
        .into_any(),
    }
}

#[component]
fn Select(
    label: &'static str,
    field: &'static str,
    chosen: String,
    options: Vec<Choice>,
    errors: Memo<crate::error::FieldErrors>,
) -> impl IntoView {
    let id = format!("input-{field}");
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium text-stone-800">{label}</label>
            <select id=id name=format!("input[{field}]") class=INPUT_CLASS
                aria-invalid=move || errors.with(|e| e.contains_key(field)).then_some("true")>
                <option value="">"Choose…"</option>
                {options.into_iter().map(|c| { let selected = c.slug == chosen; view! { <option value=c.slug selected=selected>{c.name}</option> } }).collect_view()}
            </select>
            <p class="mt-1 text-sm text-red-700" role="alert" data-field-error=field>{move || errors.with(|e| e.get(field).cloned())}</p>
        </div>
    }
}

/// The product's pictures, and a form that uploads another (by `upload.js`).
#[component]
fn Pictures(product: ProductEditor, here: String) -> impl IntoView {
    let id = product.id.to_string();
    view! {
        <section class=CARD aria-labelledby="pictures-h">
            <h2 id="pictures-h" class="text-lg font-semibold">"Pictures"</h2>
            {if product.images.is_empty() {
                view! { <p class="mt-1 text-sm text-stone-600">"No pictures yet: the shelves show the category's drawing."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 flex flex-wrap gap-3">
                        {product.images.into_iter().map(|img| view! {
                            <li class="space-y-1" data-testid="product-image">
                                <img src=img.thumbnail_url.clone() alt="" class="h-24 w-24 rounded-lg object-cover" width="96" height="96"/>
                                <RemovePicture product=id.clone() image=img.id.to_string() here=here.clone()/>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <form class="mt-3 flex flex-wrap items-end gap-3 text-sm" data-tus-upload="product_image" data-product=id.clone()
                data-done=here.clone() data-testid="picture-upload">
                <label class="block grow"><span class="font-medium">"Add a picture (JPEG, PNG or WebP, up to 25 MB)"</span>
                    <input type="file" name="file" accept="image/jpeg,image/png,image/webp" required class="mt-1 block w-full"/></label>
                <button type="submit" class=SMALL_BUTTON>"Upload"</button>
                <progress class="w-full" max="100" value="0" hidden data-upload-progress></progress>
                <p role="alert" class="w-full text-red-700" data-upload-error></p>
            </form>
            <script type="module" src="/admin/upload.js"></script>
        </section>
    }
}

#[island(lazy)]
fn RemovePicture(product: String, image: String, here: String) -> impl IntoView {
    let remove = ServerAction::<RemoveImage>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = remove.value().get() {
            go(&here);
        }
    });
    view! {
        <ActionForm action=remove>
            <input type="hidden" name="product" value=product/>
            <input type="hidden" name="image" value=image/>
            <button type="submit" class="text-xs text-red-700 hover:underline">"Remove"</button>
        </ActionForm>
    }
}

/// One pack: its fields, the lot it sells from, and stock received as a new lot.
#[island(lazy)]
fn PackCard(pack: VariantRow, lots: Vec<LotChoice>, here: String) -> impl IntoView {
    let hydrated = hydrated_flag();
    let save = ServerAction::<UpdateVariant>::new();
    let link = ServerAction::<LinkLot>::new();
    let receive = ServerAction::<ReceiveStock>::new();
    let errors = Memo::new(move |_| field_errors(save.value().get()));
    let receive_errors = Memo::new(move |_| field_errors(receive.value().get()));
    let done = move |ok: bool| {
        if ok {
            go(&here);
        }
    };
    let done = std::sync::Arc::new(done);
    let (d1, d2, d3) = (done.clone(), done.clone(), done);
    Effect::new(move |_| d1(matches!(save.value().get(), Some(Ok(_)))));
    Effect::new(move |_| d2(matches!(link.value().get(), Some(Ok(_)))));
    Effect::new(move |_| d3(matches!(receive.value().get(), Some(Ok(_)))));
    let id = pack.id.to_string();
    let key = pack.sku.clone();
    let (id_save, id_link, id_receive) = (id.clone(), id.clone(), id);
    let (k_save, k_receive) = (key.clone(), format!("{key}-r"));
    view! {
        <article class=format!("{CARD} space-y-3") data-testid="pack" data-sku=key.clone() data-hydrated=move || hydrated.get().then_some("true")>
            <p class="text-sm tabular-nums" data-testid="pack-stock">
                {format!("{} {} on hand", pack.on_hand, pack.unit)}
                {pack.lot.clone().map(|l| format!(" · selling lot {l}"))}
            </p>
            <ActionForm action=save attr:class="grid gap-3 sm:grid-cols-3">
                <input type="hidden" name="id" value=id_save/>
                <Field label="Label" form="input" scope=k_save.clone() field="label" value=pack.label.clone() errors=errors/>
                <Field label="SKU" form="input" scope=k_save.clone() field="sku" value=pack.sku.clone() errors=errors/>
                <Field label="Price (₹)" form="input" scope=k_save.clone() field="price" value=pack.price.to_api_string() errors=errors/>
                <Field label="Compare-at price (₹)" form="input" scope=k_save.clone() field="compareAtPrice" value=pack.compare_at_price.map(|m| m.to_api_string()).unwrap_or_default() errors=errors/>
                <Field label="Weight (g)" form="input" scope=k_save.clone() field="grams" value=pack.grams.to_string() errors=errors/>
                <Field label="GST (%)" form="input" scope=k_save.clone() field="gstRate" value=pack.gst_rate.clone() errors=errors/>
                <div class="sm:col-span-3"><button type="submit" class=SMALL_BUTTON>"Save pack"</button>
                    <p role="alert" class="text-sm text-red-700">{move || form_error(save.value().get())}</p></div>
            </ActionForm>
            <ActionForm action=link attr:class="flex flex-wrap items-end gap-2 text-sm">
                <input type="hidden" name="id" value=id_link/>
                <label class="block grow"><span class="font-medium">"Sells from lot"</span>
                    <select name="lot" class=INPUT_CLASS>
                        <option value="">"Choose a lot…"</option>
                        {lots.into_iter().map(|l| { let selected = pack.lot.as_deref() == Some(l.code.as_str()); view! {
                            <option value=l.code.clone() selected=selected>{format!("{} · {} · harvested {}", l.code, l.crop, l.harvested_on)}</option>
                        } }).collect_view()}
                    </select></label>
                <button type="submit" class=LINK_BUTTON>"Link"</button>
                <p role="alert" class="w-full text-red-700">{move || form_error(link.value().get())}</p>
            </ActionForm>
            <ActionForm action=receive attr:class="grid gap-3 text-sm sm:grid-cols-4" attr:data-testid="receive-form">
                <input type="hidden" name="id" value=id_receive/>
                <Field label="Received (packs)" form="input" scope=k_receive.clone() field="quantity" kind="number" errors=receive_errors/>
                <Field label="Harvested on" form="input" scope=k_receive.clone() field="harvestedOn" kind="date" errors=receive_errors/>
                <Field label="From farm (slug)" form="input" scope=k_receive.clone() field="farm" hint="Blank: the product's farm" errors=receive_errors/>
                <div class="self-end"><button type="submit" class=SMALL_BUTTON>"Receive as a new lot"</button></div>
                <p role="alert" class="text-red-700 sm:col-span-4">{move || form_error(receive.value().get())}</p>
            </ActionForm>
        </article>
    }
}

#[island(lazy)]
fn AddPack(product: String, here: String) -> impl IntoView {
    let hydrated = hydrated_flag();
    let add = ServerAction::<AddVariant>::new();
    let errors = Memo::new(move |_| field_errors(add.value().get()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            go(&here);
        }
    });
    view! {
        <ActionForm action=add attr:class=format!("grid gap-3 sm:grid-cols-3 {CARD}") attr:data-testid="add-pack" attr:data-hydrated=move || hydrated.get().then_some("true")>
            <h3 class="font-semibold sm:col-span-3">"Add a pack"</h3>
            <input type="hidden" name="product" value=product/>
            <Field label="Label" form="input" scope="new" field="label" hint="250 g, 1 kg, box of 12" errors=errors/>
            <Field label="SKU" form="input" scope="new" field="sku" errors=errors/>
            <Field label="Price (₹)" form="input" scope="new" field="price" errors=errors/>
            <Field label="Compare-at price (₹)" form="input" scope="new" field="compareAtPrice" hint="Blank: none" errors=errors/>
            <Field label="Weight (g)" form="input" scope="new" field="grams" kind="number" errors=errors/>
            <Field label="GST (%)" form="input" scope="new" field="gstRate" value="0".to_string() errors=errors/>
            <div class="sm:col-span-3"><button type="submit" class=SMALL_BUTTON>"Add pack"</button>
                <p role="alert" class="text-sm text-red-700">{move || form_error(add.value().get())}</p></div>
        </ActionForm>
    }
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let imports = Resource::new_blocking(|| (), |_| catalog_imports());
    view! {
        <Title text="Import products · Mandi"/>
        <section class="mx-auto max-w-4xl space-y-4 px-4 py-6">
            <p class="text-sm"><a href="/admin/catalog" class="hover:underline">"← Catalogue"</a></p>
            <h1 class="text-2xl font-bold text-stone-900">"Import products from CSV"</h1>
            <div class=CARD>
                <p class="text-sm text-stone-700">"A file in the shape of a Shopify product export: Handle, Title, Body (HTML), Vendor (the farm), Type (the shelf), Option1 Value, Variant SKU, Variant Grams, Variant Price, Variant Compare At Price, Variant Inventory Qty, Status. A product's packs are rows repeating its handle. The file is checked first (a dry run that lists every problem with its line); nothing changes until you import it, and then all of it goes in or none."</p>
                <form class="mt-3 flex flex-wrap items-end gap-3 text-sm" data-tus-upload="catalog_import" data-done="/admin/catalog/imports/{id}" data-testid="csv-upload">
                    <label class="block grow"><span class="font-medium">"CSV file"</span>
                        <input type="file" name="file" accept=".csv,text/csv" required class="mt-1 block w-full"/></label>
                    <button type="submit" class=SMALL_BUTTON>"Upload and check"</button>
                    <progress class="w-full" max="100" value="0" hidden data-upload-progress></progress>
                    <p role="alert" class="w-full text-red-700" data-upload-error></p>
                </form>
                <script type="module" src="/admin/upload.js"></script>
            </div>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match imports.await {
                        Ok(list) if list.is_empty() => view! { <p class="text-sm text-stone-600">"No imports yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="divide-y divide-stone-100 rounded-2xl border border-stone-200 bg-white text-sm">
                                {list.into_iter().map(|i| view! {
                                    <li class="flex justify-between gap-3 p-3">
                                        <a href=format!("/admin/catalog/imports/{}", i.id) class="hover:underline">{if i.filename.is_empty() { i.id.to_string() } else { i.filename.clone() }}</a>
                                        <span>{format!("{} · {} rows", i.status, i.rows_total)}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => refused(e, "/admin/catalog/import".into()),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn ImportStatusPage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let import = Resource::new_blocking(id, load_import);
    view! {
        <Title text="Import · Mandi"/>
        <section class="mx-auto max-w-4xl space-y-4 px-4 py-6">
            <p class="text-sm"><a href="/admin/catalog/import" class="hover:underline">"← Imports"</a></p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match import.await {
                        Ok(i) => view! { <ImportProgress initial=i/> }.into_any(),
                        Err(e) => refused(e, "/admin/catalog/import".into()),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The import as it runs: a progress bar that follows the job's reports on the person's
/// live stream (asked for every two seconds while the stream is down), then its
/// problems or its result, and the button that imports a clean file.
#[island(lazy)]
fn ImportProgress(initial: CatalogImport) -> impl IntoView {
    let hydrated = hydrated_flag();
    let import = RwSignal::new(initial);
    let commit = ServerAction::<CommitImport>::new();
    Effect::new(move |_| {
        if let Some(Ok(i)) = commit.value().get() {
            import.set(i);
        }
    });
    let (live, set_live) = signal(false);
    // The whole import again (its problems, its counts), when a step ends or the
    // stream comes back after a gap.
    let refresh = move || {
        let id = import.get_untracked().id.to_string();
        leptos::task::spawn_local(async move {
            if let Ok(i) = load_import(id).await {
                import.set(i);
            }
        });
    };
    #[cfg(feature = "hydrate")]
    {
        crate::components::island_support::listen(
            "me",
            "catalog_import",
            move |value| {
                let mine = import.with_untracked(|i| value["importId"].as_str() == Some(i.id.to_string().as_str()));
                if !mine {
                    return;
                }
                let status = value["status"].as_str().unwrap_or_default().to_string();
                let count = |k: &str| value[k].as_i64().unwrap_or(0).clamp(0, i64::from(i32::MAX)) as i32;
                import.update(|i| {
                    i.status = status.clone();
                    i.rows_done = count("rowsDone");
                    i.rows_total = count("rowsTotal");
                });
                if !import.with_untracked(CatalogImport::running) {
                    refresh();
                }
            },
            refresh,
            set_live,
        );
        // While the stream is down, ask every two seconds.
        if let Ok(h) = leptos::prelude::set_interval_with_handle(
            move || {
                if !live.get_untracked() && import.with_untracked(CatalogImport::running) {
                    refresh();
                }
            },
            std::time::Duration::from_secs(2),
        ) {
            on_cleanup(move || h.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_live, refresh);
    let id = import.get_untracked().id.to_string();
    view! {
        <div class="space-y-4" data-testid="import" data-status=move || import.with(|i| i.status.clone()) data-hydrated=move || hydrated.get().then_some("true") data-live=move || live.get().then_some("true")>
            <h1 class="text-2xl font-bold text-stone-900">{move || import.with(|i| if i.filename.is_empty() { "Import".to_string() } else { i.filename.clone() })}</h1>
            <div class=CARD>
                <p class="font-medium" aria-live="polite" data-testid="import-state">{move || import.with(|i| match i.status.as_str() {
                    "checking" => format!("Checking: {} of {} rows", i.rows_done, i.rows_total),
                    "checked" => format!("Ready: {} rows make {} new and {} changed products with {} packs. Nothing has changed yet.", i.rows_total, i.products_new, i.products_updated, i.variants),
                    "invalid" => format!("{} problem(s) found; nothing was imported. Fix the file and upload it again.", i.problem_count),
                    "importing" => format!("Importing: {} of {} rows", i.rows_done, i.rows_total),
                    "imported" => format!("Imported: {} new and {} changed products, {} packs.", i.products_new, i.products_updated, i.variants),
                    _ => format!("Failed; nothing was imported. {}", i.error.clone().unwrap_or_default()),
                })}</p>
                <progress class="mt-2 w-full" max="100" data-testid="import-progress"
                    value=move || import.with(|i| i.percent().to_string())
                    hidden=move || import.with(|i| !i.running())></progress>
                <ActionForm action=commit attr:class="mt-3">
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class=SMALL_BUTTON data-testid="import-commit"
                        hidden=move || import.with(|i| i.status != "checked") disabled=move || commit.pending().get()>"Import now"</button>
                    <p role="alert" class="text-sm text-red-700">{move || form_error(commit.value().get())}</p>
                </ActionForm>
            </div>
            <Show when=move || import.with(|i| !i.problems.is_empty())>
                <table class="w-full rounded-2xl border border-stone-200 bg-white text-left text-sm" data-testid="import-problems">
                    <thead><tr class="text-stone-600"><th class="p-2">"Line"</th><th>"Column"</th><th>"Problem"</th></tr></thead>
                    <tbody>
                        {move || import.with(|i| i.problems.iter().map(|p| view! {
                            <tr class="border-t border-stone-100" data-testid="import-problem"><td class="p-2 tabular-nums">{p.line}</td><td>{p.field.clone()}</td><td>{p.message.clone()}</td></tr>
                        }).collect_view())}
                    </tbody>
                </table>
            </Show>
        </div>
    }
}
