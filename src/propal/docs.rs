//! The OpenAPI pieces every Propal operation shares: the `propal_key` security
//! scheme, the error responses by status (each with Propal's body and an example
//! taken from the docs), and the `X-RateLimit-*` headers the key check puts on every
//! authenticated answer.
//!
//! Each handler's `#[utoipa::path]` lists its statuses with these types:
//! `responses((status = 200, body = …), Refusals, Forbidden, NotFound, Invalid)`.
//! [`Refusals`] (401, 413, 429, 500) comes from [`super::auth::authenticate`], which guards
//! every `/v1` route; [`key_check`] documents the headers that same layer adds, and names
//! each operation's scope in its 403.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use utoipa::{
    IntoResponses, Modify, OpenApi,
    openapi::{
        ContentBuilder, Ref, RefOr, ResponseBuilder,
        header::HeaderBuilder,
        response::Response,
        security::{Http, HttpAuthScheme, SecurityScheme},
    },
};

use super::error::ErrorBody;

/// The name of Propal's security scheme in the document.
pub const KEY_SCHEME: &str = "propal_key";

/// Propal's part of the document before any route: the error schema and the key scheme.
#[derive(OpenApi)]
#[openapi(components(schemas(ErrorBody)), modifiers(&KeyScheme))]
pub struct PropalDoc;

struct KeyScheme;

impl Modify for KeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = Http::builder()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "`Authorization: Bearer pp_live_…`: a Propal API key (pp_live_xxxxxxxxxxxxxxxxxxxxxxxx). Each \
                 operation names the scope it needs.",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(KEY_SCHEME, SecurityScheme::Http(scheme));
    }
}

/// A response with Propal's error body and an example.
fn error_response(description: &str, example: Value) -> RefOr<Response> {
    let content =
        ContentBuilder::new().schema(Some(Ref::from_schema_name("PropalErrorBody"))).example(Some(example)).build();
    ResponseBuilder::new().description(description).content("application/json", content).build().into()
}

fn error_example(code: &str, message: &str) -> Value {
    json!({ "error": { "code": code, "message": message } })
}

/// What the key check answers before any handler runs, on every operation it guards:
/// 401, 429 (with `Retry-After`), 413 for a declared body over `--max-body-bytes`
/// (whatever the method), and 500.
pub struct Refusals;

impl IntoResponses for Refusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let unauthorized = error_response(
            "Missing, malformed, unknown, revoked or expired key",
            error_example("unauthorized", "Invalid API key."),
        );
        let RefOr::T(mut limited) = error_response(
            "The organization used its requests of the sliding hour",
            error_example("rate_limit_exceeded", "Rate limit exceeded."),
        ) else {
            unreachable!("error_response builds a response")
        };
        limited.headers.insert(
            "Retry-After".to_owned(),
            HeaderBuilder::new()
                .schema(integer())
                .description(Some("Seconds until the oldest counted request leaves the window"))
                .build(),
        );
        let too_large = error_response(
            "The body exceeds --max-body-bytes (checked after the key)",
            error_example("validation_error", "Request body too large."),
        );
        let internal = error_response("A handler failed", error_example("internal_error", "Internal server error."));
        BTreeMap::from([
            ("401".to_owned(), unauthorized),
            ("413".to_owned(), too_large),
            ("429".to_owned(), limited.into()),
            ("500".to_owned(), internal),
        ])
    }
}

/// 403: the key lacks the operation's scope (named in `security`).
pub struct Forbidden;

impl IntoResponses for Forbidden {
    /// The example names a scope; [`key_check`] puts each operation's own there.
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let example = error_example("forbidden", "API key missing required scope: proposals:write");
        BTreeMap::from([("403".to_owned(), error_response("The key lacks the scope this operation needs", example))])
    }
}

/// 404: no such record in the key's organization (another organization's, deleted, or a malformed UUID).
pub struct NotFound;

impl IntoResponses for NotFound {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let example = error_example("not_found", "Proposal not found.");
        let description = "No such record in this organization (deleted, another organization's, or not a UUID)";
        BTreeMap::from([("404".to_owned(), error_response(description, example))])
    }
}

/// 400: the body or query is invalid; `details` lists every problem.
pub struct Invalid;

impl IntoResponses for Invalid {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let example = json!({ "error": { "code": "validation_error", "message": "The field 'title' is required.",
            "details": [{ "field": "title", "message": "Required" }] } });
        BTreeMap::from([(
            "400".to_owned(),
            error_response("Invalid body or query; `details` lists every problem", example),
        )])
    }
}

fn integer() -> utoipa::openapi::ObjectBuilder {
    utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Integer)
}

/// Documents what [`super::auth::authenticate`] adds to every operation it guards:
/// the `X-RateLimit-*` headers on every response but the 401, and the 403's exact body,
/// which names the operation's scope (taken from its `security`).
pub fn key_check(openapi: &mut utoipa::openapi::OpenApi) {
    let headers = [
        ("X-RateLimit-Limit", "Requests per sliding hour of the organization"),
        ("X-RateLimit-Remaining", "Requests left in the sliding hour"),
        ("X-RateLimit-Reset", "Unix seconds when the oldest counted request leaves the window"),
    ];
    for item in openapi.paths.paths.values_mut() {
        for operation in [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete]
            .into_iter()
            .filter_map(Option::as_mut)
        {
            let scope = serde_json::to_value(&operation.security).ok().and_then(|security| {
                security.pointer(&format!("/0/{KEY_SCHEME}/0")).and_then(Value::as_str).map(str::to_owned)
            });
            for (status, response) in &mut operation.responses.responses {
                let RefOr::T(response) = response else { continue };
                if status == "401" {
                    continue;
                }
                for (name, description) in headers {
                    response.headers.insert(
                        name.to_owned(),
                        HeaderBuilder::new().schema(integer()).description(Some(description)).build(),
                    );
                }
                if let (Some(scope), "403") = (&scope, status.as_str()) {
                    response.description = format!("The key lacks `{scope}`");
                    if let Some(content) = response.content.get_mut("application/json") {
                        let message = format!("API key missing required scope: {scope}");
                        content.example = Some(error_example("forbidden", &message));
                    }
                }
            }
        }
    }
}
