//! The OpenAPI 3.1 document of `/api/v1`, generated from the code and served at
//! `GET /api/v1/openapi.json` (the one answer here that is not in the envelope: it is
//! the document itself, for client generators).
//!
//! Where it comes from:
//! - each handler carries its own `#[utoipa::path(...)]` (what it answers when it
//!   succeeds, its parameters, and the errors only it gives, such as a 404);
//! - each resource module lists its handlers in its `Api` (`paths(...)`), nested below;
//! - `document()` then adds what the routing table (`Routes`, with the access rule of
//!   each route) says about every operation, so it cannot disagree with the server:
//!   bearer security and 401/403 from the access rule, `Idempotency-Key` with its
//!   409/422 on every mutating method, 429 where the rate limits apply, 400 wherever
//!   there is input.
//!
//! `server/tests/openapi.rs` fails when a route of `rest::v1::build()` is not here. The
//! answers handlers name (`body = ThingEnvelope`, `response = NotFound`) are declared in
//! `responses` and beside their payloads, below the handlers, so that nothing a handler
//! uses depends on this list of every handler.

use super::routes::Routes;
use crate::http::authorize::Rule;
use app::domain::permissions::Access;
use axum::http::{Method, header};
use axum::response::IntoResponse;
use std::sync::LazyLock;
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Components, ObjectBuilder, Ref, RefOr, Required, Type};

/// To document a new resource module: give it an `Api` (see `products.rs`) and add
/// one line here.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Mandi API",
        version = "1",
        description = "The REST API of Mandi. Every answer is a JSON envelope: \
            `{\"success\": true, \"data\": ..., \"meta\": {...}}` (lists add `pagination`), or \
            `{\"success\": false, \"error\": {\"code\", \"message\", \"retryable\", \"retryAfter\", \"fields\"?}, \"meta\": {...}}`. \
            Amounts of money are decimal strings (`\"120.50\"`), ids are UUID strings, times RFC 3339."
    ),
    nest(
        (path = "/api/v1", api = super::products::Api, tags = ["products"]),
        (path = "/api/v1", api = super::categories::Api, tags = ["categories"]),
        (path = "/api/v1", api = super::farms::Api, tags = ["farms"]),
        (path = "/api/v1", api = super::trace::Api, tags = ["trace"]),
        (path = "/api/v1", api = super::batches::Api, tags = ["trace"]),
        (path = "/api/v1", api = super::cart::Api, tags = ["cart"]),
        (path = "/api/v1", api = super::checkout::Api, tags = ["checkout"]),
        (path = "/api/v1", api = super::orders::Api, tags = ["orders"]),
        (path = "/api/v1", api = super::store_settings::Api, tags = ["store settings"]),
        (path = "/api/v1", api = super::addresses::Api, tags = ["addresses"]),
        (path = "/api/v1", api = super::stock::Api, tags = ["stock"]),
        (path = "/api/v1", api = super::catalog::Api, tags = ["catalogue"]),
        (path = "/api/v1", api = super::auth::Api, tags = ["auth"]),
        (path = "/api/v1", api = super::admin::Api, tags = ["admin"]),
        (path = "/api/v1", api = super::ops::Api, tags = ["ops"]),
        (path = "/api/v1", api = super::events::Api, tags = ["events"]),
        (path = "/api/v1", api = super::notifications::Api, tags = ["notifications"]),
        (path = "/api/v1", api = super::webhooks::Api, tags = ["webhooks"]),
        (path = "/api/v1", api = super::ledger::Api, tags = ["ledger"]),
        (path = "/api/v1", api = super::ledger_settlements::Api, tags = ["ledger"]),
        (path = "/api/v1", api = super::ledger_reports::Api, tags = ["ledger"]),
        (path = "/api/v1", api = super::ledger_admin::Api, tags = ["ledger"]),
        (path = "/api/v1", api = super::my_farms::Api, tags = ["farm owners"]),
        (path = "/api/v1", api = super::farm_admin::Api, tags = ["farm admin"]),
        (path = "/api/v1", api = super::distributions::Api, tags = ["distributions"]),
        (path = "/api/v1", api = super::readings::Api, tags = ["field operations"]),
        (path = "/api/v1", api = super::alerts::Api, tags = ["alerts"]),
        (path = "/api/v1", api = super::field::Api, tags = ["field operations"]),
        (path = "/api/v1", api = super::files::Api, tags = ["files"]),
    ),
    components(schemas(app::envelope::ErrorEnvelope))
)]
struct ApiDoc;

pub fn routes() -> Routes {
    Routes::new().get("/openapi.json", Access::Public, serve)
}

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    document(&super::resources::routes().for_prefix("/api/v1").1).to_json().expect("the OpenAPI document serialises")
});

async fn serve() -> axum::response::Response {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT.as_str()).into_response()
}

fn failure(name: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::Ref(Ref::from_response_name(name))
}

/// The whole document: the handlers' own descriptions, completed from the routing table.
pub fn document(rules: &[Rule]) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let components = doc.components.get_or_insert_with(Components::new);
    components.add_security_scheme(
        "bearerAuth",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some("The `accessToken` of `/auth/login` (or register, otp/verify, refresh) as `Authorization: Bearer <token>`."))
                .build(),
        ),
    );
    for (name, response) in super::responses::failures() {
        components.responses.insert(name.to_string(), response);
    }
    for rule in rules {
        let Some(path) = doc.paths.paths.get_mut(&rule.path) else { continue };
        let operation = match rule.method {
            Method::GET => path.get.as_mut(),
            Method::POST => path.post.as_mut(),
            Method::PUT => path.put.as_mut(),
            Method::PATCH => path.patch.as_mut(),
            Method::DELETE => path.delete.as_mut(),
            _ => None,
        };
        if let Some(operation) = operation {
            complete(operation, rule);
        }
    }
    doc
}

/// What every operation gets from its route: security, the idempotency header, and the
/// failures the middleware in front of every handler can answer.
fn complete(operation: &mut Operation, rule: &Rule) {
    let mutating = matches!(rule.method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
    let has_body = operation.request_body.is_some();
    let has_input = mutating || has_body || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let signed_in = !matches!(rule.access, Access::Public);
    let mut failures = Vec::new();
    if has_input {
        failures.push(("400", "ValidationFailed"));
    }
    if signed_in {
        failures.push(("401", "Unauthenticated"));
    }
    if matches!(rule.access, Access::Requires(_) | Access::PlatformOperator) {
        failures.push(("403", "Forbidden"));
    }
    if mutating {
        failures.push(("409", "Conflict"));
        failures.push(("422", "IdempotencyKeyReused"));
    }
    if has_body {
        failures.push(("413", "PayloadTooLarge"));
    }
    if signed_in || crate::http::rate_limit::is_sign_in(&rule.method, &rule.path) {
        failures.push(("429", "RateLimited"));
    }
    for (status, name) in failures {
        operation.responses.responses.entry(status.to_string()).or_insert_with(|| failure(name));
    }
    if mutating {
        operation.parameters.get_or_insert_with(Vec::new).push(idempotency_key());
    }
    if signed_in {
        operation.security = Some(vec![SecurityRequirement::new("bearerAuth", Vec::<String>::new())]);
    }
    let note = match rule.access {
        Access::Requires(action) => {
            Some(format!("Needs a role that grants `{action:?}` in the tenant the token acts in."))
        }
        Access::PlatformOperator => Some("Needs a platform operator (no tenant role grants it).".to_string()),
        Access::Public | Access::SignedIn => None,
    };
    if let Some(note) = note {
        operation.description = Some(match operation.description.take() {
            Some(d) => format!("{d}\n\n{note}"),
            None => note,
        });
    }
}

fn idempotency_key() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes a retry safe: the first answer is stored for 24 hours and replayed (with `Idempotent-Replayed: true`) \
             for the same key and request. 1–255 visible ASCII characters; a UUID is ideal. `X-Idempotency-Key` is also read.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(255))))
        .build()
}
