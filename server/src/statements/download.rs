//! Statements as PDF downloads, for the API (`/api/v1/me/statements/...`, bearer) and
//! for the owner's browser (`/my/statements/.../pdf`, session cookies). Both lay the
//! statement out with `app::farms::statement_text`, as the printable page does.

use super::pdf::{PdfDocument, PdfTable, render};
use app::account::session::Session;
use app::account::tokens::Claims;
use app::domain::permissions::Access;
use app::domain::permissions::Action::HoldingsView;
use app::error::AppError;
use app::farms::model::parse_financial_year;
use app::farms::owner_service as owners;
use app::farms::statement_text::{StatementDocument, annual_document, statement_document};
use app::state::AppState;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;

fn pdf_document(d: StatementDocument) -> PdfDocument {
    PdfDocument {
        title: d.title,
        subtitle: d.subtitle,
        facts: d.facts,
        table: d.table.map(|(headers, rows)| PdfTable { headers, rows }),
        footer: d.footer,
    }
}

/// Renders off the async workers: a long table is a few milliseconds of CPU.
async fn pdf_response(document: StatementDocument, file_name: String) -> Result<Response, AppError> {
    let doc = pdf_document(document);
    let bytes = tokio::task::spawn_blocking(move || render(&doc))
        .await
        .map_err(|e| AppError::internal("statement pdf task", e))?
        .map_err(|e| AppError::internal("statement pdf", e))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    // Statements are personal: never kept by a shared cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    let disposition = format!("attachment; filename=\"{file_name}\"");
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or_else(|_| HeaderValue::from_static("attachment")),
    );
    Ok(response)
}

pub async fn statement(state: &AppState, claims: &Claims, raw_id: &str) -> Result<Response, AppError> {
    let id = uuid::Uuid::parse_str(raw_id.trim()).map_err(|_| AppError::not_found("Statement"))?;
    let s = owners::my_statement(&state.pool, claims, id).await?;
    let name = format!("statement-{}-{}.pdf", s.period, &s.payout_id.to_string()[..8]);
    pdf_response(statement_document(&s), name).await
}

pub async fn annual(state: &AppState, claims: &Claims, raw_year: &str) -> Result<Response, AppError> {
    let year = parse_financial_year(raw_year)?;
    let a = owners::my_annual_statement(&state.pool, claims, year).await?;
    let name = format!("annual-statement-{}.pdf", a.financial_year);
    pdf_response(annual_document(&a), name).await
}

/// The browser's door: the session from cookies, the same rule as the API's, and a
/// visitor is sent to sign in first.
async fn signed_in(
    state: &AppState,
    session: Option<&Session>,
    ip: Option<SocketAddr>,
    path: &str,
) -> Result<Claims, Response> {
    let ip = ip.map(|a| a.ip().to_string());
    match app::access::enforce(&state.pool, session, Some(Access::Requires(HoldingsView)), path, ip.as_deref()).await {
        Ok(()) => Ok(session.expect("allowed only when signed in").claims.clone()),
        Err(AppError::Unauthenticated) => Err(Redirect::to(&format!("/login?next={path}")).into_response()),
        Err(e) => Err(e.into_response()),
    }
}

pub async fn site_statement(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    Path(id): Path<String>,
) -> Response {
    let path = format!("/my/statements/{}/pdf", app::components::search_href::encode_component(&id));
    let ip = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    match signed_in(&state, extensions.get::<Session>(), ip, &path).await {
        Ok(claims) => statement(&state, &claims, &id).await.into_response(),
        Err(r) => r,
    }
}

pub async fn site_annual(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    Path(year): Path<String>,
) -> Response {
    let path = format!("/my/statements/annual/{}/pdf", app::components::search_href::encode_component(&year));
    let ip = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    match signed_in(&state, extensions.get::<Session>(), ip, &path).await {
        Ok(claims) => annual(&state, &claims, &year).await.into_response(),
        Err(r) => r,
    }
}
