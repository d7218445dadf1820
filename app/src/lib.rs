//! Mandi's Leptos application: pages, islands, server functions and the services
//! behind them. Built twice: with `ssr` into the server, with `hydrate` into the
//! browser bundle (only islands and the pure `domain` rules matter there).

pub mod access;
pub mod account;
pub mod admin;
pub mod alerts;
#[cfg(feature = "ssr")]
pub mod audit;
pub mod components;
pub mod control;
pub mod domain;
pub mod envelope;
pub mod error;
pub mod farms;
pub mod field;
#[cfg(feature = "ssr")]
pub mod jobs;
pub mod language;
pub mod ledger;
pub mod live;
pub mod orders;
pub mod outbox;
pub mod server_fn_rules;
pub mod store;
pub mod time_cursor;
pub mod trace;

#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod state;

use components::layout::{Footer, Header};
use components::not_found::NotFound;
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, Link, Meta, MetaTags, Title, provide_meta_context};
use leptos_router::components::{FlatRoutes, Route, Router};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

/// Content-Security-Policy of HTML pages: scripts only from us or carrying this
/// response's nonce (Leptos puts it on its hydration and streaming scripts), and
/// WebAssembly compilation for the islands.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Where a page's render leaves its script nonce for the server's CSP middleware (a
/// request extension), so the page's policy reaches the response even when the header
/// set through `ResponseOptions` does not. It went missing under load while
/// leptos_axum's stock file handler took other requests' headers (see the server's
/// `http::site_files`); this stays as the guarantee that a page never ships without
/// its policy.
#[cfg(feature = "ssr")]
#[derive(Clone, Default)]
pub struct PageNonce(pub std::sync::Arc<std::sync::Mutex<Option<String>>>);

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(nonce) = leptos::nonce::use_nonce() {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.insert_header(
                axum::http::header::CONTENT_SECURITY_POLICY,
                axum::http::HeaderValue::from_str(&content_security_policy(&nonce)).expect("ascii policy"),
            );
        }
        if let Some(slot) =
            use_context::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<PageNonce>().cloned())
        {
            *slot.0.lock().expect("nonce slot") = Some(nonce.to_string());
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // Every island but the product page's buy box is `#[island(lazy)]`: built
                // with `cargo leptos build --split`, its code is in chunks only its pages
                // fetch. The buy box stays in the main module, and lean (no props to
                // decode, no server-function client): a product page is most visitors'
                // first, and made lazy too it fetched 150 small chunks.
                // The stylesheet by its content-hashed name (from hash.txt beside the
                // binary), so browsers may keep it for a year.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body class="min-h-screen bg-stone-50 text-stone-900 antialiased">
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        // Every page's <Title text=…/> goes through this: leptos_meta writes the title
        // into the page unescaped.
        <Title formatter=components::markup::title_text/>
        <Link rel="icon" href="/icons/icon.svg" type_="image/svg+xml"/>
        <Meta name="theme-color" content="#047857"/>
        <Router>
            <a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-20 focus:rounded focus:bg-white focus:px-3 focus:py-2">"Skip to content"</a>
            <OutsideLedger><Link rel="manifest" href="/manifest.webmanifest"/><Header/></OutsideLedger>
            <main id="main">
                <FlatRoutes fallback=|| view! { <NotFound/> }>
                    <Route path=StaticSegment("") view=store::pages::HomePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("search") view=store::pages::SearchPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("products"), ParamSegment("slug")) view=store::pages::ProductPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("cart") view=orders::pages::CartPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("checkout") view=orders::pages::CheckoutPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("orders") view=orders::pages::OrdersPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("orders"), ParamSegment("id")) view=orders::pages::OrderPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("orders")) view=orders::pages::StaffOrdersPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("settings")) view=orders::settings_pages::StoreSettingsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("stock")) view=store::stock_pages::StockPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("catalog")) view=store::catalog_admin_pages::CatalogPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("catalog"), StaticSegment("new")) view=store::catalog_admin_pages::NewProductPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("catalog"), StaticSegment("import")) view=store::catalog_admin_pages::ImportPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("catalog"), StaticSegment("imports"), ParamSegment("id")) view=store::catalog_admin_pages::ImportStatusPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("catalog"), ParamSegment("id")) view=store::catalog_admin_pages::ProductEditPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("account"), StaticSegment("addresses")) view=orders::address_pages::AddressesPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("farms") view=store::pages::FarmsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("farms"), ParamSegment("farm")) view=store::pages::FarmPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("trace"), ParamSegment("code")) view=trace::pages::TracePage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("batches")) view=trace::admin_pages::BatchesPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("batches"), ParamSegment("code")) view=trace::admin_pages::BatchPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("batches"), ParamSegment("code"), StaticSegment("labels")) view=trace::admin_pages::LabelsPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("ledger") view=ledger::entry_page::LedgerPage/>
                    <Route path=(StaticSegment("ledger"), StaticSegment("rates")) view=ledger::rates_page::RatesPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("ledger"), StaticSegment("settlements")) view=ledger::settlement_pages::SettlementsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("ledger"), StaticSegment("settlements"), ParamSegment("id")) view=ledger::settlement_pages::SettlementPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("ledger"), StaticSegment("settlements"), ParamSegment("id"), StaticSegment("print")) view=ledger::settlement_pages::SlipPrintPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("ledger"), StaticSegment("slip"), ParamSegment("token")) view=ledger::settlement_pages::PublicSlipPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("ledger"), StaticSegment("admin")) view=ledger::admin_pages::AdminIndexPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("ledger"), StaticSegment("admin"), StaticSegment("growers")) view=ledger::admin_pages::GrowersPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("ledger"), StaticSegment("admin"), StaticSegment("flowers")) view=ledger::admin_pages::FlowersPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("ledger"), StaticSegment("admin"), StaticSegment("slots")) view=ledger::admin_pages::SlotsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("ledger"), StaticSegment("admin"), StaticSegment("terms")) view=ledger::admin_pages::TermsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("ledger"), StaticSegment("admin"), StaticSegment("advances")) view=ledger::admin_pages::AdvancesPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("ledger"), StaticSegment("reports")) view=ledger::report_pages::ReportsPage/>
                    <Route path=(StaticSegment("ledger"), StaticSegment("reports"), StaticSegment("day-book")) view=ledger::report_pages::DayBookPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("ledger"), StaticSegment("reports"), StaticSegment("statement")) view=ledger::report_pages::StatementPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("ledger"), StaticSegment("reports"), StaticSegment("flowers")) view=ledger::report_pages::FlowersPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("login") view=account::pages::LoginPage/>
                    <Route path=StaticSegment("signup") view=account::pages::SignupPage/>
                    <Route path=StaticSegment("account") view=account::pages::AccountPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("users")) view=admin::pages::UsersPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("audit")) view=admin::pages::AuditPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("my"), StaticSegment("farms")) view=farms::owner_pages::MyFarmsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("my"), StaticSegment("farms"), ParamSegment("slug")) view=farms::owner_pages::MyFarmPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("my"), StaticSegment("statements"), ParamSegment("id")) view=farms::owner_pages::StatementPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("my"), StaticSegment("statements"), StaticSegment("annual"), ParamSegment("year")) view=farms::owner_pages::AnnualStatementPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("farms")) view=farms::admin_pages::AdminFarmsPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("control") view=control::pages::ControlPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("control"), StaticSegment("platform")) view=control::pages::PlatformPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("ops"), StaticSegment("tasks")) view=field::board_pages::TaskBoardPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("field") view=field::field_app_page::FieldPage/>
                    <Route path=(StaticSegment("admin"), StaticSegment("farms"), ParamSegment("slug")) view=farms::admin_pages::AdminFarmPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("distributions")) view=farms::admin_pages::DistributionsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("distributions"), ParamSegment("id")) view=farms::admin_pages::DistributionPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("dev"), StaticSegment("outbox")) view=account::pages::DevOutboxPage ssr=SsrMode::Async/>
                </FlatRoutes>
            </main>
            <OutsideLedger><Footer/></OutsideLedger>
        </Router>
    }
}

/// The site's header, footer and manifest, everywhere but the ledger: the tablet
/// screen is an app of its own (its own manifest, nothing personal in its shell).
#[component]
fn OutsideLedger(children: ChildrenFn) -> impl IntoView {
    let path = leptos_router::hooks::use_location().pathname;
    move || (!path.get().starts_with("/ledger")).then(|| children())
}
