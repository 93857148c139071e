//! Propal (`reference/propal.md`, CONTRACT §5.2): `Bearer pp_live_…` keys looked
//! up by SHA-256, 20 scopes, a sliding hourly budget per organization, cursor
//! pagination and the REST API of reference §6.0 (36 operations on 21 paths; MCP is
//! out of scope).
//!
//! Every route under `/v1` (and any unknown path) passes [`auth::authenticate`] (401,
//! then 429, then a declared body over the limit, 413, and the `X-RateLimit-*` headers
//! on whatever follows); each handler's first line is its scope check (403), then the
//! resource (404), then the body (400). The media upload target is a signed URL, so it
//! is outside the key check, with its own body limit.
//!
//! Each handler carries its `#[utoipa::path]` and is registered with `routes!`, so the
//! OpenAPI document is generated from this router; [`docs`] holds the shared pieces.

pub mod admin;
pub mod auth;
pub mod config;
pub mod docs;
pub mod error;
pub mod faults;
pub mod harness;
pub mod input;
pub mod limits;
pub mod model;
mod monitor;
pub mod pagination;
pub mod records;
mod routes;
pub mod snapshot;
pub mod state;

use std::sync::Arc;

use axum::{
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, Method, StatusCode, Uri},
    middleware,
    response::Response,
};
use serde_json::Value;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::documented::routes;

pub use state::PropalState;

use crate::{
    Vendor,
    fixtures::{FixtureError, FixtureSet},
    routing::route_not_found,
    vendor::{EmulatedVendor, FrameError, Restore},
};
use routes::{leads, media, metrics, organization, products, proposals, templates, themes};

impl EmulatedVendor for PropalState {
    fn vendor(&self) -> Vendor {
        Vendor::Propal
    }

    /// Every `/v1` route and every unknown path behind [`auth::authenticate`], so
    /// authentication comes first for any path (401 → 429 → 403 → 404 → 400); the
    /// signed upload URL is its own credential: no API key, no rate budget.
    fn api(self: Arc<Self>) -> OpenApiRouter {
        let mut authenticated = OpenApiRouter::with_openapi(crate::documented::base(docs::PropalDoc::openapi))
            .routes(routes!(proposals::list_proposals, proposals::create_proposal))
            .routes(routes!(proposals::get_proposal, proposals::update_proposal, proposals::delete_proposal))
            .routes(routes!(proposals::publish_proposal))
            .routes(routes!(leads::list_leads, leads::create_lead))
            .routes(routes!(leads::get_lead, leads::update_lead, leads::delete_lead))
            .routes(routes!(organization::get_organization))
            .routes(routes!(products::list_products, products::create_product))
            .routes(routes!(products::get_product, products::update_product, products::delete_product))
            .routes(routes!(templates::list_templates, templates::create_template))
            .routes(routes!(templates::get_template, templates::delete_template))
            .routes(routes!(themes::list_themes, themes::create_theme))
            .routes(routes!(themes::get_theme, themes::update_theme, themes::delete_theme))
            .routes(routes!(media::list_media_files, media::create_media_file))
            .routes(routes!(media::delete_media_file))
            .routes(routes!(metrics::overview))
            .routes(routes!(metrics::pipeline))
            .routes(routes!(metrics::conversion))
            .routes(routes!(metrics::sales))
            .routes(routes!(metrics::team_performance))
            .routes(routes!(metrics::proposal_timing))
            .routes(routes!(metrics::rejection_reasons))
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(Arc::clone(&self), auth::authenticate));
        docs::key_check(authenticated.get_openapi_mut());
        // Its own body limit, inside the frame's: the upload does not go through the API in production.
        let signed_upload = OpenApiRouter::new()
            .routes(routes!(media::upload_media_bytes))
            .layer(DefaultBodyLimit::max(self.settings.propal_max_upload_bytes));
        authenticated.merge(signed_upload).with_state(self)
    }

    fn admin(self: Arc<Self>) -> OpenApiRouter {
        admin::routes(self)
    }

    fn reset(&self) {
        PropalState::reset(self);
    }

    fn credentials(&self) -> Value {
        PropalState::credentials(self)
    }

    fn counts(&self) -> Value {
        PropalState::counts(self)
    }

    fn frame_error(&self, error: FrameError) -> Response {
        error::frame_error(error)
    }

    /// The key check answers before the size check (401 → 429 → 413), and the signed
    /// upload URL takes `--propal-max-upload-bytes`.
    fn checks_body_size_itself(&self) -> bool {
        true
    }

    fn panels(&self, base_url: &str) -> crate::admin::ui::Panels {
        monitor::panels(self, base_url)
    }

    fn fault_error(&self, status: StatusCode, _retry_after_seconds: Option<u64>) -> Response {
        faults::fault_error(status)
    }

    fn tenant(&self, headers: &HeaderMap) -> Option<String> {
        faults::tenant(self, headers)
    }

    fn snapshot(&self) -> std::collections::BTreeMap<String, Value> {
        snapshot::snapshot(self)
    }

    fn restore(&self, files: &FixtureSet) -> Result<Restore<'_>, FixtureError> {
        snapshot::restore(self, files)
    }
}

async fn not_found(State(state): State<Arc<PropalState>>, method: Method, uri: Uri) -> Response {
    route_not_found(state.as_ref(), &method, &uri)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::{clock::Clock, fixtures::FixtureSet, scheduler::Scheduler, vendor::VendorContext};

    fn document() -> Value {
        let fixtures = FixtureSet::embedded();
        let clock = Clock::default();
        let context =
            VendorContext { clock: clock.clone(), scheduler: Scheduler::new(clock), fixtures: &fixtures, seed: None };
        let state = Arc::new(PropalState::new(&context, &crate::Config::for_tests().vendors.propal).unwrap());
        serde_json::to_value(crate::documented::documenting(|| state.api().into_openapi())).unwrap()
    }

    /// Every API operation names one scope, lists the key check's refusals (413 included:
    /// any method may declare a body) and its scope's 403, a 404 where a path id is read, a
    /// 400 where a body is; every
    /// authenticated answer but the 401 documents the rate headers.
    #[test]
    fn every_operation_documents_its_scope_refusals_and_rate_headers() {
        let doc = document();
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                operations += 1;
                let responses = op["responses"].as_object().unwrap();
                let has = |status: &str| responses.contains_key(status);
                let what = format!("{method} {path}");
                if path.starts_with("/storage/") {
                    assert!(op.get("security").is_none(), "{what}: the signed URL is its own credential");
                    continue;
                }
                let scopes = op["security"][0][docs::KEY_SCHEME].as_array().unwrap_or_else(|| panic!("{what}"));
                assert_eq!(scopes.len(), 1, "{what}");
                for status in ["401", "403", "413", "429", "500"] {
                    assert!(has(status), "{what} lacks {status}");
                }
                if path.contains("{id}") {
                    assert!(has("404"), "{what} lacks 404");
                }
                if op.get("requestBody").is_some() {
                    assert!(has("400"), "{what} lacks 400");
                }
                for (status, response) in responses {
                    let limited = response["headers"].get("X-RateLimit-Remaining").is_some();
                    assert_eq!(limited, status != "401", "{what} {status}");
                }
                assert!(responses["429"]["headers"].get("Retry-After").is_some(), "{what}");
                let forbidden = format!("API key missing required scope: {}", scopes[0].as_str().unwrap());
                let example = &responses["403"]["content"]["application/json"]["example"]["error"]["message"];
                assert_eq!(example.as_str(), Some(forbidden.as_str()), "{what}");
            }
        }
        assert_eq!(operations, 37, "36 API operations and the signed upload");
    }

    /// Every example the document shows (schemas and responses) is a valid instance.
    #[test]
    fn every_example_matches_its_schema() {
        let doc = document();
        let check = |schema: &Value, example: &Value, what: &str| {
            let root = serde_json::json!({"components": doc["components"].clone(), "allOf": [schema]});
            let validator = jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{what}: {e}"));
            let problems: Vec<String> = validator.iter_errors(example).map(|e| e.to_string()).collect();
            assert!(problems.is_empty(), "{what}: {problems:?}");
        };
        let mut examples = 0;
        for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
            if let Some(example) = schema.get("example") {
                check(schema, example, name);
                examples += 1;
            }
        }
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for (status, response) in op["responses"].as_object().unwrap() {
                    let content = &response["content"]["application/json"];
                    if let Some(example) = content.get("example") {
                        check(&content["schema"], example, &format!("{method} {path} {status}"));
                        examples += 1;
                    }
                }
            }
        }
        assert!(examples > 100, "{examples}");
    }
}
