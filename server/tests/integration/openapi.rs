//! `GET /api/v1/openapi.json`: a document a client generator can consume, that lists
//! every `/api/v1` route of the router, and that describes what the server really sends.

use crate::support;

use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet};
use support::TestApp;

/// Routes of `rest::v1::build()` that the document leaves out on purpose, and why.
const UNDOCUMENTED: &[(&str, &str, &str)] = &[
    ("GET", "/api/v1/openapi.json", "the document does not describe itself"),
    ("OPTIONS", "/api/v1/uploads", "tus 1.0.0 discovery, described by the protocol"),
    ("HEAD", "/api/v1/uploads/{id}", "tus 1.0.0 offset query, described in createUpload"),
];

/// Properties that may be JSON numbers with a fraction. Money and quantities are decimal
/// strings: a new number here is a decision, not an accident.
const FRACTIONAL_NUMBERS: &[&str] = &["QueueDepth.oldestReadySecs"];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(app: &TestApp) -> Value {
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let text = response.text().await.unwrap();
    // A typed OpenAPI 3.1 parser must accept it as it is.
    let spec = oas3::from_json(&text).unwrap_or_else(|e| panic!("not a valid OpenAPI 3.1 document: {e}"));
    assert!(spec.openapi.starts_with("3.1"), "{}", spec.openapi);
    assert!(spec.paths.as_ref().is_some_and(|p| !p.is_empty()));
    // Left where a person (or a client generator) can look at it after a run.
    let _ = std::fs::write(concat!(env!("CARGO_TARGET_TMPDIR"), "/openapi.json"), &text);
    serde_json::from_str(&text).unwrap()
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                all.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    all
}

fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("external $ref {reference}"));
    doc.pointer(pointer).unwrap_or_else(|| panic!("$ref {reference} does not resolve"))
}

fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r);
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[sqlx::test(migrations = false)]
async fn the_document_parses_and_every_reference_resolves(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 20, "expected shared schemas to be referenced, found {}", all.len());
    for r in all {
        resolve(&doc, r);
    }
    // Generators name methods after operation ids: each must be there, and unique.
    let mut ids = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(ids.insert(id.to_string()), "operationId {id} is used twice");
        assert!(
            op["responses"].as_object().is_some_and(|r| r.keys().any(|s| s.starts_with('2'))),
            "{method} {path} has no success answer"
        );
    }
}

#[sqlx::test(migrations = false)]
async fn every_api_route_is_documented_with_its_method(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    let (_, rules) = server::rest::v1::build();
    let routes: BTreeSet<(String, String)> = rules.iter().map(|r| (r.method.to_string(), r.path.clone())).collect();
    let exempt: BTreeSet<(String, String)> =
        UNDOCUMENTED.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    for e in &exempt {
        assert!(routes.contains(e), "{e:?} is exempted but is not a route any more: drop it from UNDOCUMENTED");
    }
    let documented: BTreeSet<(String, String)> = operations(&doc).into_iter().map(|(m, p, _)| (m, p)).collect();
    let missing: Vec<_> = routes.difference(&documented).filter(|r| !exempt.contains(*r)).collect();
    assert!(
        missing.is_empty(),
        "routes without a #[utoipa::path] in the document (add one next to the handler and list it in its module's `Api`): {missing:?}"
    );
    let stale: Vec<_> = documented.difference(&routes).collect();
    assert!(stale.is_empty(), "documented but not routed: {stale:?}");
}

#[sqlx::test(migrations = false)]
async fn security_idempotency_and_failures_follow_the_routing_table(pool: PgPool) {
    use app::domain::permissions::Access;
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    let scheme = &doc["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(
        (scheme["type"].as_str(), scheme["scheme"].as_str(), scheme["bearerFormat"].as_str()),
        (Some("http"), Some("bearer"), Some("JWT"))
    );
    let (_, rules) = server::rest::v1::build();
    for rule in &rules {
        let op = &doc["paths"][&rule.path][rule.method.as_str().to_lowercase()];
        if op.is_null() {
            continue; // exempted; the test above keeps that list honest
        }
        let route = format!("{} {}", rule.method, rule.path);
        let responses = op["responses"].as_object().unwrap();
        let security = op.get("security");
        match rule.access {
            Access::Public => assert!(security.is_none(), "{route} is public but asks for a token"),
            Access::SignedIn | Access::Requires(_) | Access::PlatformOperator => {
                assert_eq!(security, Some(&json!([{ "bearerAuth": [] }])), "{route}");
                assert!(responses.contains_key("401"), "{route} needs a token: 401");
                assert!(responses.contains_key("429"), "{route} is rate limited per person: 429");
            }
        }
        if matches!(rule.access, Access::Requires(_) | Access::PlatformOperator) {
            assert!(responses.contains_key("403"), "{route} needs a role: 403");
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let has_key =
            params.iter().any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header" && p["required"] == false);
        let mutating = ["POST", "PUT", "PATCH", "DELETE"].contains(&rule.method.as_str());
        assert_eq!(has_key, mutating, "{route}: Idempotency-Key is documented on exactly the mutating methods");
        if mutating {
            for status in ["409", "422"] {
                assert!(responses.contains_key(status), "{route}: {status}");
            }
        }
        if !params.is_empty() || op.get("requestBody").is_some() {
            assert!(responses.contains_key("400"), "{route} takes input: 400 VALIDATION_FAILED");
        }
        for (status, response) in responses {
            if status.starts_with('4') {
                let response = response.get("$ref").map_or(response, |r| resolve(&doc, r.as_str().unwrap()));
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorEnvelope",
                    "{route} {status}"
                );
            }
        }
    }
    // Every path parameter of every path is declared.
    for (method, path, op) in operations(&doc) {
        let declared: BTreeSet<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let in_path: BTreeSet<&str> = path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).collect();
        assert_eq!(declared, in_path, "{method} {path}");
    }
    // The products list documents its query.
    let names: BTreeSet<&str> = doc["paths"]["/api/v1/products"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    let expected =
        ["q", "category", "farm", "certification", "minPrice", "maxPrice", "inStock", "sort", "page", "limit"];
    assert!(expected.iter().all(|n| names.contains(n)), "{names:?}");
    let sort = doc["paths"]["/api/v1/products"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "sort")
        .unwrap();
    assert_eq!(sort["schema"]["enum"], json!(["relevance", "price", "-price", "newest"]));
    // Checkout names its own 409, with the `items.<variantId>` fields, and answers 201.
    let checkout = &doc["paths"]["/api/v1/checkout"]["post"]["responses"];
    assert_eq!(checkout["409"]["$ref"], "#/components/responses/CartChanged");
    assert!(
        doc["components"]["responses"]["CartChanged"]["description"].as_str().unwrap().contains("items.<variantId>")
    );
    assert!(checkout.get("201").is_some() && checkout.get("200").is_none(), "{checkout}");
    let webhook = &doc["paths"]["/api/v1/webhooks/payments"]["post"];
    assert_eq!(webhook["responses"]["401"]["$ref"], "#/components/responses/InvalidSignature");
    let headers: BTreeSet<&str> = webhook["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["in"] == "header" && p["required"] == true)
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(headers, BTreeSet::from(["X-Razorpay-Event-Id", "X-Razorpay-Signature"]));
}

/// Every property that can hold a fraction, as `Schema.property`.
fn fractional_numbers(doc: &Value) -> Vec<String> {
    let mut found = Vec::new();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        for (property, value) in schema["properties"].as_object().into_iter().flatten() {
            let mut types = Vec::new();
            collect_types(value, &mut types);
            if types.iter().any(|t| t == "number") {
                found.push(format!("{name}.{property}"));
            }
        }
    }
    found
}

fn collect_types(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            match map.get("type") {
                Some(Value::String(t)) => out.push(t.clone()),
                Some(Value::Array(ts)) => out.extend(ts.iter().filter_map(|t| t.as_str().map(String::from))),
                _ => {}
            }
            map.values().for_each(|v| collect_types(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_types(v, out)),
        _ => {}
    }
}

#[sqlx::test(migrations = false)]
async fn money_is_a_decimal_string(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    let money = &doc["components"]["schemas"]["Money"];
    assert_eq!(money["type"], "string", "{money}");
    assert_eq!(money["examples"], json!(["120.50"]));
    let pattern = regex::Regex::new(money["pattern"].as_str().expect("a pattern")).unwrap();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["ProductCard"]["properties"]["priceFrom"]["$ref"], "#/components/schemas/Money");
    assert_eq!(schemas["VariantView"]["properties"]["price"]["$ref"], "#/components/schemas/Money");
    let mrp = schemas["VariantView"]["properties"]["mrp"].to_string();
    assert!(mrp.contains("#/components/schemas/Money") && mrp.contains("null"), "{mrp}");
    // Every money-like property anywhere is a string.
    for (name, schema) in schemas.as_object().unwrap() {
        for (property, value) in schema["properties"].as_object().into_iter().flatten() {
            let lower = property.to_lowercase();
            if lower.ends_with("paise") {
                // The gateway's unit (`amountPaise`): a whole number of paise, never a fraction.
                assert_eq!(value["type"], "integer", "{name}.{property}");
                continue;
            }
            if ["price", "mrp", "amount", "subtotal", "fee", "discount", "tax"].iter().any(|w| lower.contains(w)) {
                let mut types = Vec::new();
                collect_types(
                    &value.get("$ref").map_or(value.clone(), |r| resolve(&doc, r.as_str().unwrap()).clone()),
                    &mut types,
                );
                for r in value.to_string().split("\"$ref\":\"").skip(1) {
                    collect_types(resolve(&doc, r.split('"').next().unwrap()), &mut types);
                }
                assert!(
                    types.iter().any(|t| t == "string") && !types.iter().any(|t| t == "number" || t == "integer"),
                    "{name}.{property}: {types:?}"
                );
            }
        }
    }
    let numbers = fractional_numbers(&doc);
    assert_eq!(numbers, FRACTIONAL_NUMBERS, "a JSON number with a fraction: money and quantities are decimal strings");
    // And the server's real amounts match the published pattern.
    let (_, body) = app.get_json("/api/v1/products?limit=5").await;
    for product in body["data"].as_array().unwrap() {
        let price = product["priceFrom"].as_str().unwrap();
        assert!(pattern.is_match(price), "{price}");
    }
}

/// Whether `value` fits `schema` (the subset of JSON Schema the document uses).
fn conforms(doc: &Value, value: &Value, schema: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref") {
        return conforms(doc, value, resolve(doc, r.as_str().unwrap()), at, problems);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let fits = options.iter().any(|o| {
                let mut p = Vec::new();
                conforms(doc, value, o, at, &mut p);
                p.is_empty()
            });
            if !fits {
                problems.push(format!("{at}: {value} fits none of {key}"));
            }
            return;
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        // `#[serde(flatten)]`: one object whose properties are spread over the parts.
        let mut merged = json!({ "type": "object", "properties": {}, "required": [] });
        for part in all {
            let part = part.get("$ref").map_or(part, |r| resolve(doc, r.as_str().unwrap()));
            for (k, v) in part["properties"].as_object().into_iter().flatten() {
                merged["properties"][k] = v.clone();
            }
            for r in part["required"].as_array().into_iter().flatten() {
                merged["required"].as_array_mut().unwrap().push(r.clone());
            }
        }
        return conforms(doc, value, &merged, at, problems);
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if !(types.is_empty() || types.contains(&kind) || kind == "integer" && types.contains(&"number")) {
        problems.push(format!("{at}: {kind} where the document says {types:?}"));
        return;
    }
    if let (Value::Object(map), Some(properties)) = (value, schema.get("properties").and_then(Value::as_object)) {
        for required in schema["required"].as_array().into_iter().flatten() {
            if !map.contains_key(required.as_str().unwrap()) {
                problems.push(format!("{at}: required {required} is missing"));
            }
        }
        for (key, v) in map {
            match properties.get(key) {
                Some(s) => conforms(doc, v, s, &format!("{at}.{key}"), problems),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    problems.push(format!("{at}.{key} is not documented"))
                }
                None if schema.get("additionalProperties").is_none() => {
                    problems.push(format!("{at}.{key} is not documented"))
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            conforms(doc, item, item_schema, &format!("{at}[{i}]"), problems);
        }
    }
}

fn answer_fits(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not documented");
    let response = op["responses"]
        .get(status.to_string())
        .unwrap_or_else(|| panic!("{method} {path}: {status} is not documented"));
    let response = response.get("$ref").map_or(response, |r| resolve(doc, r.as_str().unwrap()));
    let schema = &response["content"]["application/json"]["schema"];
    let mut problems = Vec::new();
    conforms(doc, body, schema, "$", &mut problems);
    assert!(problems.is_empty(), "{method} {path} {status} does not match the document:\n{}", problems.join("\n"));
}

#[sqlx::test(migrations = false)]
async fn real_answers_match_the_document(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let doc = document(&app).await;

    let (status, list) = app.get_json("/api/v1/products?limit=3").await;
    answer_fits(&doc, "get", "/api/v1/products", status, &list);
    let id = list["data"][0]["id"].as_str().unwrap();
    let (status, body) = app.get_json(&format!("/api/v1/products/{id}")).await;
    answer_fits(&doc, "get", "/api/v1/products/{id}", status, &body);
    let (status, body) = app.get_json(&format!("/api/v1/products/{}", uuid::Uuid::nil())).await;
    assert_eq!(status, 404);
    answer_fits(&doc, "get", "/api/v1/products/{id}", status, &body);
    let (status, body) = app.get_json("/api/v1/products?limit=0&page=x").await;
    assert_eq!(status, 400);
    answer_fits(&doc, "get", "/api/v1/products", status, &body);
    let (status, body) = app.get_json("/api/v1/categories").await;
    answer_fits(&doc, "get", "/api/v1/categories", status, &body);

    let (status, tokens) = app
        .post_json("/api/v1/auth/login", &json!({ "email": "admin@greenharvest.demo", "password": "mandi-demo" }), None)
        .await;
    answer_fits(&doc, "post", "/api/v1/auth/login", status, &tokens);
    let token = tokens["data"]["accessToken"].as_str().unwrap();
    let signed_in: BTreeMap<&str, &str> = BTreeMap::from([
        ("/api/v1/auth/me", "/api/v1/auth/me"),
        ("/api/v1/admin/users", "/api/v1/admin/users?limit=2"),
        ("/api/v1/admin/audit", "/api/v1/admin/audit?limit=2"),
        ("/api/v1/ops/jobs", "/api/v1/ops/jobs"),
        ("/api/v1/ops/jobs/dead", "/api/v1/ops/jobs/dead"),
        ("/api/v1/ops/notifications", "/api/v1/ops/notifications?limit=2"),
        ("/api/v1/me/notifications", "/api/v1/me/notifications"),
        ("/api/v1/me/notification-preferences", "/api/v1/me/notification-preferences"),
    ]);
    for (documented, url) in signed_in {
        let (status, body) = app.get_json_as(url, token).await;
        assert_eq!(status, 200, "{url}: {body}");
        answer_fits(&doc, "get", documented, status, &body);
    }
    let (status, body) = app.get_json("/api/v1/auth/me").await;
    answer_fits(&doc, "get", "/api/v1/auth/me", status, &body);

    storefront_answers_match(&app, &doc).await;
    shopping_answers_match(&app, &doc, &pool, token).await;
}

/// Farms, provenance, and the catalogue with every filter.
async fn storefront_answers_match(app: &TestApp, doc: &Value) {
    let (status, farms) = app.get_json("/api/v1/farms").await;
    answer_fits(doc, "get", "/api/v1/farms", status, &farms);
    let farm = farms["data"][0]["slug"].as_str().expect("demo farms").to_string();
    let (status, body) = app.get_json(&format!("/api/v1/farms/{farm}")).await;
    answer_fits(doc, "get", "/api/v1/farms/{id}", status, &body);
    let (status, body) = app.get_json("/api/v1/farms/no-such-farm").await;
    assert_eq!(status, 404);
    answer_fits(doc, "get", "/api/v1/farms/{id}", status, &body);

    let (status, list) = app
        .get_json(&format!("/api/v1/products?farm={farm}&inStock=true&minPrice=1&maxPrice=100000&sort=-price&limit=5"))
        .await;
    assert_eq!(status, 200, "{list}");
    assert!(!list["data"].as_array().unwrap().is_empty(), "the demo farm {farm} sells something in stock");
    answer_fits(doc, "get", "/api/v1/products", status, &list);
    let (status, body) = app.get_json("/api/v1/products?certification=india-organic-npop&sort=newest&limit=5").await;
    answer_fits(doc, "get", "/api/v1/products", status, &body);
    let (status, body) = app.get_json("/api/v1/products?sort=cheapest&inStock=maybe&minPrice=-1").await;
    assert_eq!(status, 400);
    answer_fits(doc, "get", "/api/v1/products", status, &body);

    let id = list["data"][0]["id"].as_str().unwrap();
    let (_, product) = app.get_json(&format!("/api/v1/products/{id}")).await;
    let code = product["data"]["batches"][0]["code"].as_str().expect("demo products are sold from traced lots");
    let (status, body) = app.get_json(&format!("/api/v1/trace/{code}")).await;
    answer_fits(doc, "get", "/api/v1/trace/{code}", status, &body);
    let (status, body) = app.get_json("/api/v1/trace/NO-SUCH-LOT").await;
    assert_eq!(status, 404);
    answer_fits(doc, "get", "/api/v1/trace/{code}", status, &body);
}

async fn send(app: &TestApp, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Cart, checkout (placed, and refused because a price changed), the order and its
/// payment, and the payment webhook refusing a forged body.
async fn shopping_answers_match(app: &TestApp, doc: &Value, pool: &PgPool, token: &str) {
    use reqwest::Method;
    let (_, list) = app.get_json("/api/v1/products?inStock=true&limit=20").await;
    let mut variants = Vec::new();
    for product in list["data"].as_array().unwrap() {
        let (_, detail) = app.get_json(&format!("/api/v1/products/{}", product["id"].as_str().unwrap())).await;
        for v in detail["data"]["variants"].as_array().unwrap() {
            if v["available"].as_i64().unwrap() >= 5 {
                variants.push(v["id"].as_str().unwrap().to_string());
            }
        }
    }
    assert!(variants.len() >= 2, "two pack sizes in stock in the demo data");

    let (status, body) = send(app, Method::GET, "/api/v1/cart", token, None).await;
    assert_eq!(status, 200, "{body}");
    answer_fits(doc, "get", "/api/v1/cart", status, &body);
    let (status, body) =
        send(app, Method::POST, "/api/v1/cart/items", token, Some(json!({ "variantId": variants[0], "quantity": 1 })))
            .await;
    assert_eq!(status, 200, "{body}");
    answer_fits(doc, "post", "/api/v1/cart/items", status, &body);
    let (status, body) = send(
        app,
        Method::POST,
        "/api/v1/cart/items",
        token,
        Some(json!({ "variantId": variants[1], "quantity": "2" })),
    )
    .await;
    answer_fits(doc, "post", "/api/v1/cart/items", status, &body);
    let (status, body) =
        send(app, Method::PUT, &format!("/api/v1/cart/items/{}", variants[1]), token, Some(json!({ "quantity": 3 })))
            .await;
    answer_fits(doc, "put", "/api/v1/cart/items/{variantId}", status, &body);
    let (status, body) = send(app, Method::GET, "/api/v1/cart", token, None).await;
    assert_eq!(body["data"]["lines"].as_array().unwrap().len(), 2, "{body}");
    assert!(body["data"]["quote"].is_object(), "{body}");
    answer_fits(doc, "get", "/api/v1/cart", status, &body);
    let (status, body) =
        send(app, Method::POST, "/api/v1/cart/items", token, Some(json!({ "variantId": variants[0], "quantity": 0 })))
            .await;
    assert_eq!(status, 400);
    answer_fits(doc, "post", "/api/v1/cart/items", status, &body);

    let (status, slots) = app.get_json("/api/v1/checkout/slots").await;
    answer_fits(doc, "get", "/api/v1/checkout/slots", status, &slots);
    let slot = slots["data"][0]["key"].as_str().expect("an open delivery slot").to_string();
    let address = json!({ "name": "Ananya Iyer", "phone": "9840010001", "line1": "12 Lake View Road", "city": "Chennai",
                          "pincode": "600028", "state": "Tamil Nadu", "slot": slot });

    // A price changed since the line was added: 409 CART_CHANGED, by line.
    let mut tx = support::operator(pool).await;
    sqlx::query("UPDATE product_variants SET price = price + 1 WHERE id = $1::uuid")
        .bind(&variants[1])
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (status, body) = send(app, Method::POST, "/api/v1/checkout", token, Some(address.clone())).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("CART_CHANGED")), "{body}");
    assert!(body["error"]["fields"].get(format!("items.{}", variants[1])).is_some(), "{body}");
    answer_fits(doc, "post", "/api/v1/checkout", status, &body);

    let (status, placed) = send(app, Method::POST, "/api/v1/checkout", token, Some(address)).await;
    assert_eq!(status, 201, "{placed}");
    answer_fits(doc, "post", "/api/v1/checkout", status, &placed);
    let order = placed["data"]["orderId"].as_str().unwrap().to_string();
    let (status, body) = send(app, Method::DELETE, &format!("/api/v1/cart/items/{}", variants[0]), token, None).await;
    assert!(body["data"]["quote"].is_null(), "{body}");
    answer_fits(doc, "delete", "/api/v1/cart/items/{variantId}", status, &body);

    let (status, body) = send(app, Method::GET, "/api/v1/orders?limit=5", token, None).await;
    assert_eq!(body["data"][0]["id"], order.as_str(), "{body}");
    answer_fits(doc, "get", "/api/v1/orders", status, &body);
    let (status, body) = send(app, Method::GET, &format!("/api/v1/orders/{order}"), token, None).await;
    assert_eq!(body["data"]["paymentUrl"], format!("/orders/{order}/pay"), "{body}");
    answer_fits(doc, "get", "/api/v1/orders/{id}", status, &body);
    let (status, body) = send(app, Method::GET, &format!("/api/v1/orders/{order}/events"), token, None).await;
    answer_fits(doc, "get", "/api/v1/orders/{id}/events", status, &body);
    let (status, body) =
        send(app, Method::POST, &format!("/api/v1/orders/{order}/payment"), token, Some(json!({}))).await;
    assert_eq!(status, 200, "{body}");
    answer_fits(doc, "post", "/api/v1/orders/{id}/payment", status, &body);
    let (status, body) = send(
        app,
        Method::POST,
        &format!("/api/v1/orders/{order}/actions"),
        token,
        Some(json!({ "action": "cancel", "reason": "changed my mind" })),
    )
    .await;
    assert_eq!((status, body["data"]["state"].as_str()), (200, Some("cancelled")), "{body}");
    answer_fits(doc, "post", "/api/v1/orders/{id}/actions", status, &body);
    let (status, body) = send(app, Method::GET, &format!("/api/v1/orders/{order}"), token, None).await;
    assert!(body["data"]["paymentUrl"].is_null(), "{body}");
    answer_fits(doc, "get", "/api/v1/orders/{id}", status, &body);
    let (status, body) =
        send(app, Method::POST, &format!("/api/v1/orders/{order}/payment"), token, Some(json!({}))).await;
    assert_eq!(status, 409, "{body}");
    answer_fits(doc, "post", "/api/v1/orders/{id}/payment", status, &body);
    let (status, body) = send(app, Method::GET, &format!("/api/v1/orders/{}", uuid::Uuid::nil()), token, None).await;
    assert_eq!(status, 404);
    answer_fits(doc, "get", "/api/v1/orders/{id}", status, &body);

    let response = app
        .client
        .post(app.url("/api/v1/webhooks/payments"))
        .header("content-type", "application/json")
        .header("x-razorpay-event-id", "evt_forged")
        .header("x-razorpay-signature", "0".repeat(64))
        .body(json!({ "event": "payment.captured" }).to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("INVALID_SIGNATURE")), "{body}");
    answer_fits(doc, "post", "/api/v1/webhooks/payments", status, &body);
    let body = json!({ "event": "payment.authorized", "payload": {} }).to_string();
    let signature = server::payments::signature::sign("sandbox-webhook-secret", body.as_bytes());
    let response = app
        .client
        .post(app.url("/api/v1/webhooks/payments"))
        .header("content-type", "application/json")
        .header("x-razorpay-event-id", "evt_openapi")
        .header("x-razorpay-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    answer_fits(doc, "post", "/api/v1/webhooks/payments", status, &body);
}
