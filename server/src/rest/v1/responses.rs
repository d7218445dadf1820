//! What handlers answer: the keyset page, and the OpenAPI schemas of success envelopes
//! and shared failures that their `#[utoipa::path]` names. An envelope of a type
//! declared beside its handler is declared there too, with these macros.

use utoipa::openapi::{ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, ResponseBuilder, Type};

/// A keyset page from `limit + 1` rows fetched newest first: the extra row only says
/// there is more, and the last row shown gives the next cursor (CONVENTIONS.md).
pub fn keyset_page<T: serde::Serialize>(
    mut rows: Vec<T>,
    limit: i64,
    cursor_of: impl Fn(&T) -> String,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(cursor_of) } else { None };
    axum::Json(serde_json::json!({
        "success": true,
        "data": rows,
        "meta": app::envelope::meta(),
        "pagination": { "limit": limit, "hasMore": more, "nextCursor": next },
    }))
    .into_response()
}

/// Success envelopes, one per kind of `data`. A handler answers `body = ThingEnvelope`.
macro_rules! envelope {
    ($($(#[$doc:meta])* $name:ident($data:ty);)*) => {$(
        $(#[$doc])*
        #[derive(utoipa::ToSchema)]
        #[allow(dead_code)]
        pub struct $name {
            /// Always `true` on success.
            success: bool,
            data: $data,
            meta: app::envelope::Meta,
        }
    )*};
}

pub(crate) use envelope;

/// Pages of a list that can be counted: `pagination` has `page`, `limit`, `total`, `hasMore`.
macro_rules! paged {
    ($($(#[$doc:meta])* $name:ident($item:ty);)*) => {$(
        $(#[$doc])*
        #[derive(utoipa::ToSchema)]
        #[allow(dead_code)]
        pub struct $name {
            /// Always `true` on success.
            success: bool,
            data: Vec<$item>,
            meta: app::envelope::Meta,
            pagination: app::envelope::Pagination,
        }
    )*};
}

/// Pages of an unbounded list, newest first: `pagination.nextCursor` asks for the next.
macro_rules! keyset {
    ($($(#[$doc:meta])* $name:ident($item:ty);)*) => {$(
        $(#[$doc])*
        #[derive(utoipa::ToSchema)]
        #[allow(dead_code)]
        pub struct $name {
            /// Always `true` on success.
            success: bool,
            data: Vec<$item>,
            meta: app::envelope::Meta,
            pagination: $crate::rest::v1::responses::Cursor,
        }
    )*};
}

pub(crate) use keyset;

/// The `pagination` of a keyset page (`keyset_page`, the audit log).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct Cursor {
    pub limit: i64,
    pub has_more: bool,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

envelope! {
    ProductDetailEnvelope(app::store::catalog::ProductDetail);
    CategoriesEnvelope(Vec<app::store::catalog::Category>);
    TokenEnvelope(app::account::credentials::TokenResponse);
    CodeSentEnvelope(app::account::credentials::CodeSent);
    AccountEnvelope(app::account::credentials::Account);
    MemberEnvelope(app::admin::model::Member);
    InboxEnvelope(Vec<app::outbox::InAppMessage>);
    FarmsEnvelope(Vec<app::store::catalog::FarmListing>);
    FarmProfileEnvelope(app::store::catalog::FarmProfile);
    TraceReportEnvelope(app::trace::model::TraceReport);
    CartEnvelope(app::orders::model::CartView);
    PlacedOrderEnvelope(app::orders::model::PlacedOrder);
    OrderEventsEnvelope(Vec<app::orders::model::OrderEventView>);
    LedgerReferenceEnvelope(app::ledger::model::ReferenceData);
    LedgerSyncEnvelope(app::ledger::model::SyncResponse);
    LedgerChangesEnvelope(app::ledger::model::ChangesPage);
    LedgerItemEnvelope(app::ledger::model::ItemResult);
    LedgerRatesSavedEnvelope(app::ledger::model::RatesSaved);
    LedgerGenerateEnvelope(app::ledger::model::GenerateOutcome);
    LedgerSettlementsEnvelope(Vec<app::ledger::model::SettlementView>);
    LedgerSettlementEnvelope(app::ledger::model::SettlementView);
    LedgerSlipEnvelope(app::ledger::model::SlipView);
    LedgerDayBookEnvelope(app::ledger::report_model::DayBook);
    LedgerStatementEnvelope(app::ledger::report_model::FarmerStatement);
    LedgerFlowerSummaryEnvelope(app::ledger::report_model::FlowerSummary);
    LedgerGrowersEnvelope(Vec<app::ledger::admin_model::GrowerView>);
    LedgerGrowerEnvelope(app::ledger::admin_model::GrowerView);
    LedgerFlowerTypesEnvelope(Vec<app::ledger::admin_model::FlowerTypeView>);
    LedgerFlowerTypeEnvelope(app::ledger::admin_model::FlowerTypeView);
    LedgerSlotsEnvelope(Vec<app::ledger::admin_model::SlotView>);
    LedgerSlotEnvelope(app::ledger::admin_model::SlotView);
    LedgerTermsEnvelope(app::ledger::admin_model::TermsView);
    LedgerAdvancesEnvelope(Vec<app::ledger::admin_model::AdvanceView>);
    LedgerAdvanceEnvelope(app::ledger::admin_model::AdvanceView);
    OwnedFarmsEnvelope(Vec<app::farms::model::OwnedFarm>);
    OwnedFarmEnvelope(app::farms::model::OwnedFarmDetail);
    StatementEnvelope(app::farms::model::Statement);
    AnnualStatementEnvelope(app::farms::model::AnnualStatement);
    AdminFarmsEnvelope(Vec<app::farms::model::AdminFarm>);
    AdminFarmEnvelope(app::farms::model::AdminFarm);
    AgreementsEnvelope(Vec<app::farms::model::Agreement>);
    AgreementEnvelope(app::farms::model::Agreement);
    MoneyLinesEnvelope(Vec<app::farms::model::MoneyLine>);
    MoneyLineEnvelope(app::farms::model::MoneyLine);
    ImportResultEnvelope(app::farms::model::ImportResult);
    OwnershipSettingsEnvelope(app::farms::model::OwnershipSettings);
    DistributionRunsEnvelope(Vec<app::farms::model::DistributionRun>);
    DistributionRunEnvelope(app::farms::model::DistributionRun);
    PayoutLineEnvelope(app::farms::model::PayoutLine);
    IngestOutcomeEnvelope(app::field::model::IngestOutcome);
    ThresholdsEnvelope(Vec<app::field::model::ThresholdView>);
    SensorKeyEnvelope(app::field::model::SensorKeyView);
    SensorKeysEnvelope(Vec<app::field::model::SensorKeyView>);
    ThresholdEnvelope(app::field::model::ThresholdView);
    AlertEnvelope(app::alerts::model::Alert);
    TasksEnvelope(Vec<app::field::model::TaskView>);
    TaskEnvelope(app::field::model::TaskView);
    VisitRecordedEnvelope(app::field::model::VisitRecorded);
    VisitsEnvelope(Vec<app::field::model::VisitView>);
    VisitEnvelope(app::field::model::VisitView);
}

paged! {
    ProductCardPage(app::store::catalog::ProductCard);
    MemberPage(app::admin::model::Member);
}

keyset! {
    AuditRecordPage(app::admin::model::AuditRecord);
    JobRecordPage(crate::jobs::store::JobRecord);
    OrderSummaryPage(app::orders::model::OrderSummary);
    LedgerEntryPage(app::ledger::model::EntryView);
    AlertPage(app::alerts::model::Alert);
}

/// The shared failure answers, `#/components/responses/NAME`. A handler names the ones
/// only it gives: `(status = 404, response = openapi::NotFound)`.
macro_rules! failures {
    ($($name:ident $status:literal $description:literal;)*) => {
        $(
            pub struct $name;
            impl<'s> utoipa::ToResponse<'s> for $name {
                fn response() -> (&'s str, RefOr<utoipa::openapi::Response>) {
                    (stringify!($name), failure_response($status, $description))
                }
            }
        )*
        pub(super) fn failures() -> Vec<(&'static str, RefOr<utoipa::openapi::Response>)> {
            vec![$((stringify!($name), failure_response($status, $description))),*]
        }
    };
}

failures! {
    ValidationFailed 400 "`VALIDATION_FAILED`: `error.fields` names each bad field (query, path, body or header).";
    Unauthenticated 401 "`UNAUTHENTICATED`: no valid bearer token (or wrong credentials or code).";
    InvalidSignature 401 "`INVALID_SIGNATURE`: the webhook's signature header is missing or does not match its body; nothing was stored.";
    Forbidden 403 "`FORBIDDEN`: signed in, but no role here grants this.";
    NotFound 404 "`NOT_FOUND`.";
    Conflict 409 "`CONFLICT`, or `REQUEST_IN_PROGRESS` (retryable, with `Retry-After`) while a request with the same `Idempotency-Key` is still running, or `RESPONSE_NOT_REPLAYABLE` when it succeeded with credentials in its answer, which are never kept for a replay.";
    CartChanged 409 "`CART_CHANGED`: the cart no longer matches the shelf. `error.fields` has one entry per affected line, keyed `items.<variantId>`, saying what changed (a new price, which the cart now shows, or only N left). Review the cart and check out again. Also `REQUEST_IN_PROGRESS` (retryable, with `Retry-After`) while a request with the same `Idempotency-Key` is still running.";
    PayloadTooLarge 413 "`PAYLOAD_TOO_LARGE`: the body is over the server's limit.";
    TusVersionMismatch 412 "`VALIDATION_FAILED` on `Tus-Resumable`: send `Tus-Resumable: 1.0.0` (the supported version is in `Tus-Version`).";
    IdempotencyKeyReused 422 "`IDEMPOTENCY_KEY_REUSED`: this `Idempotency-Key` was already used with a different request.";
    RateLimited 429 "`RATE_LIMITED` (retryable): wait `Retry-After` seconds.";
    Unavailable 503 "`UNAVAILABLE` (retryable): a service behind this one (the payment gateway) did not answer; try again after `Retry-After` seconds.";
}

fn failure_response(status: u16, description: &str) -> RefOr<utoipa::openapi::Response> {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorEnvelope"))).build(),
    );
    if matches!(status, 409 | 429 | 503) {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)))
                .description(Some("Seconds to wait before sending it again."))
                .build(),
        );
    }
    RefOr::T(response.build())
}
