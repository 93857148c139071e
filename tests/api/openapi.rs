//! The OpenAPI document against the routers: every documented operation is served
//! at its documented path, no route is added outside the documented builders, and
//! the document carries what a client generator needs (bodies, errors, security).
//! That every response matches its documented status and schema is checked on every
//! request of the suite, in `openapi_check`.

use std::path::Path;

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::{
    helpers::{TestApp, request},
    openapi_check::document,
};

/// Every `(method, path)` of the whole document.
fn operations() -> Vec<(Method, String)> {
    let mut all = Vec::new();
    for (path, item) in document()["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch", "head", "options", "trace"] {
            if item.get(method).is_some() {
                all.push((method.to_ascii_uppercase().parse().unwrap(), path.clone()));
            }
        }
    }
    all
}

/// A concrete path for a template: each `{param}` gets a value of the right shape.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some("vendor") => "propal".to_owned(),
            Some("document") => "propal.json".to_owned(),
            Some(_) => "00000000-0000-4000-8000-000000000000".to_owned(),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_documented_operation_is_served_at_its_documented_path() {
    let app = TestApp::new();
    let operations = operations();
    assert!(operations.len() > 20, "the document lists only {} operations", operations.len());

    for (method, template) in operations {
        if template == "/_emulator/journal/live" {
            // An endless event stream: check the route without reading the body to its end.
            use tower::ServiceExt;
            let response = app.router().oneshot(request(method.clone(), &template, None, &[])).await.unwrap();
            let route = response.extensions().get::<vendor_emulator::routing::MatchedRoute>().map(|m| m.0.clone());
            assert_eq!(route.as_deref(), Some(template.as_str()), "{method} {template} reached no route");
            continue;
        }
        let r = app.send(request(method.clone(), &concrete(&template), None, &[])).await;
        assert_eq!(
            r.documented_path.as_deref(),
            Some(template.as_str()),
            "{method} {template} reached no route: {} {}",
            r.status,
            r.text
        );
    }
}

#[test]
fn routes_are_only_added_through_documented_builders() {
    fn visit(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                visit(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                // Unit tests may build throwaway routers.
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                for (n, line) in code.lines().enumerate() {
                    let line = line.trim_start();
                    if line.starts_with("//") {
                        continue;
                    }
                    for undocumented in
                        [".route(", ".route_service(", ".nest_service(", "routing::get(", "routing::post("]
                    {
                        if line.contains(undocumented) {
                            found.push(format!("{}:{}: {line}", path.display(), n + 1));
                        }
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    visit(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found);
    assert!(
        found.is_empty(),
        "routes added without #[utoipa::path] and routes!, so missing from the OpenAPI document:\n{}",
        found.join("\n")
    );
}

#[tokio::test]
async fn the_whole_document_declares_its_security_schemes_and_guards_the_control_plane() {
    let app = TestApp::new();

    let r = app.get("/_emulator/openapi.json").await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["openapi"], "3.1.0");
    let schemes = r.json["components"]["securitySchemes"].as_object().expect("security schemes");
    assert_eq!(schemes["admin_token"]["scheme"], "bearer", "{schemes:?}");
    assert_eq!(schemes["propal_key"]["scheme"], "bearer", "{schemes:?}");
    for (path, item) in r.json["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            if path.starts_with("/_emulator") {
                let security = operation["security"].as_array().expect("control-plane security");
                let guarded = security.iter().any(|s| s.get("admin_token").is_some());
                let open = ["/_emulator/health", "/_emulator/ui", "/_emulator/tls/ca.pem"].contains(&path.as_str());
                assert_eq!(guarded, !open, "{method} {path}: {security:?}");
            }
        }
    }
}

#[tokio::test]
async fn every_operation_documents_its_error_bodies() {
    for (method, path) in operations() {
        let operation = &document()["paths"][&path][method.as_str().to_ascii_lowercase()];
        let responses = operation["responses"].as_object().expect("responses");
        assert!(!responses.is_empty(), "{method} {path} documents no response");
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                assert!(
                    response.pointer("/content/application~1json/schema").is_some() || response.get("$ref").is_some(),
                    "{method} {path} {status} documents no error body"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_vendor_document_points_its_servers_at_the_vendors_prefix_on_this_emulator() {
    let app = TestApp::new();

    let r = app.send(request(Method::GET, "/_emulator/openapi/propal.json", None, &[("host", "localhost:8080")])).await;
    let unknown = app.get("/_emulator/openapi/acme.json").await;
    let not_json = app.get("/_emulator/openapi/propal").await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["servers"][0]["url"], "http://localhost:8080/propal");
    let paths = r.json["paths"].as_object().unwrap();
    assert!(paths.keys().all(|p| !p.starts_with("/propal") && !p.starts_with("/_emulator")), "{:?}", paths.keys());
    assert!(r.json["components"]["securitySchemes"].get("admin_token").is_none());
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);
    assert_eq!(not_json.status, StatusCode::NOT_FOUND, "{}", not_json.text);
    let whole: &Value = document();
    let prefixed = paths.keys().filter(|p| whole["paths"].get(format!("/propal{p}")).is_some()).count();
    assert_eq!(prefixed, paths.len(), "the vendor document and the whole one list the same Propal paths");
}

/// Every `"$ref"` string in `node`, with the JSON pointer of where it sits.
fn references<'a>(node: &'a Value, at: &str, found: &mut Vec<(String, &'a str)>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(target)) => found.push((at.to_owned(), target)),
                    _ => references(value, &format!("{at}/{key}"), found),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                references(item, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn every_reference_in_every_document_names_a_component_it_carries() {
    let app = TestApp::new();

    for url in [
        "/_emulator/openapi.json",
        "/_emulator/openapi/portalio.json",
        "/_emulator/openapi/propal.json",
        "/_emulator/openapi/holm.json",
    ] {
        let r = app.get(url).await;
        assert_eq!(r.status, StatusCode::OK, "{url}: {}", r.text);
        let mut found = Vec::new();
        references(&r.json, "", &mut found);
        assert!(!found.is_empty(), "{url} has references");
        let dangling: Vec<_> = found
            .iter()
            .filter(|(_, target)| target.strip_prefix('#').is_none_or(|pointer| r.json.pointer(pointer).is_none()))
            .collect();
        assert!(dangling.is_empty(), "{url}: dangling references {dangling:?}");
    }
}
