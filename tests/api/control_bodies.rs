//! Property test: every control-plane operation that reads a body (`AdminJson` and
//! each vendor's admin bodies), fed random bodies built from its documented field
//! names, random bytes and random content types, answers a documented status, never
//! a 5xx, and refuses with the control plane's `{"error": "..."}` and nothing more.
//! (The helpers' response check already holds every answer to the OpenAPI document.)

use axum::http::{Method, StatusCode};
use proptest::{
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};
use serde_json::Value;
use vendor_emulator::Vendor;

use crate::{
    helpers::{TestApp, raw_request},
    refusals::collect_ids,
};

/// One documented operation with a body: method, path template, field names.
struct Operation {
    method: Method,
    path: String,
    fields: Vec<String>,
}

/// The property names of a request body schema, following `$ref`s into the components.
fn fields_of(schema: &Value, document: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 4 {
        return;
    }
    if let Some(reference) = schema["$ref"].as_str() {
        let pointer = reference.trim_start_matches('#');
        if let Some(target) = document.pointer(pointer) {
            fields_of(target, document, out, depth + 1);
        }
        return;
    }
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            out.push(name.clone());
            fields_of(property, document, out, depth + 1);
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for item in schema[key].as_array().into_iter().flatten() {
            fields_of(item, document, out, depth + 1);
        }
    }
    if schema["items"].is_object() {
        fields_of(&schema["items"], document, out, depth + 1);
    }
}

fn operations(document: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        if !path.starts_with("/_emulator") {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            let Some(body) = operation.get("requestBody") else { continue };
            let mut fields = Vec::new();
            for content in body["content"].as_object().into_iter().flat_map(|c| c.values()) {
                fields_of(&content["schema"], document, &mut fields, 0);
            }
            fields.sort();
            fields.dedup();
            out.push(Operation { method: method.to_ascii_uppercase().parse().unwrap(), path: path.clone(), fields });
        }
    }
    out
}

fn json_value(fields: Vec<String>) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        prop_oneof![
            "[ -~]{0,12}",
            Just("2026-04-06T00:22:19Z".to_owned()),
            Just("leads:read".to_owned()),
            Just("mssp".to_owned()),
            Just("propal".to_owned()),
            Just("accepted".to_owned()),
        ]
        .prop_map(Value::String),
    ];
    let names = if fields.is_empty() { vec!["x".to_owned()] } else { fields };
    leaf.prop_recursive(2, 16, 4, move |inner| {
        let key = prop_oneof![3 => proptest::sample::select(names.clone()), 1 => "[a-z_]{1,8}"];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map(key, inner, 0..5).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn control_plane_bodies_are_read_or_refused_in_the_control_plane_shape() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let app = TestApp::new();
    let (document, ids) = runtime.block_on(async {
        let document = app.get("/_emulator/openapi.json").await.json;
        let mut ids = vec!["0".to_owned(), "nope".to_owned(), "%ff".to_owned()];
        for vendor in Vendor::ALL {
            collect_ids(&Value::Object(app.app.state.vendor(vendor).snapshot().into_iter().collect()), &mut ids);
        }
        (document, ids)
    });
    let operations = operations(&document);
    assert!(operations.len() >= 10, "{} control-plane operations with a body", operations.len());
    let all_fields: Vec<String> = operations.iter().flat_map(|o| o.fields.clone()).collect();
    let body = prop_oneof![
        6 => json_value(all_fields).prop_map(|v| v.to_string().into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..60),
        1 => Just(Vec::new()),
    ];
    let content_type = proptest::sample::select(vec![
        Some("application/json"),
        None,
        Some("application/x-www-form-urlencoded"),
        Some("application/merge-patch+json"),
        Some("text/plain"),
    ]);
    let strategy = (any::<usize>(), proptest::collection::vec(any::<usize>(), 2), body, content_type);
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() { Config::default().cases } else { 128 };
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&strategy, |(operation, params, body, content_type)| {
            let operation = &operations[operation % operations.len()];
            let mut path = String::new();
            let mut params = params.iter();
            for (i, piece) in operation.path.split('{').enumerate() {
                if i == 0 {
                    path.push_str(piece);
                    continue;
                }
                let (_, rest) = piece.split_once('}').unwrap_or(("", piece));
                path.push_str(params.next().map_or("1", |&n| ids[n % ids.len()].as_str()));
                path.push_str(rest);
            }
            let headers: Vec<(&str, &str)> = content_type.iter().map(|c| ("content-type", *c)).collect();
            let text = String::from_utf8_lossy(&body).into_owned();
            let response = runtime.block_on(app.send(raw_request(operation.method.clone(), &path, body, &headers)));
            let what = format!("{} {path} {content_type:?} {text}", operation.method);
            prop_assert!(response.status.as_u16() < 500, "{what}: {} {}", response.status, response.text);
            if response.status.is_client_error() && response.status != StatusCode::NOT_FOUND
                || response.json.get("error").is_some()
            {
                let object = response.json.as_object();
                prop_assert!(
                    object.is_some_and(|o| o.len() == 1 && o["error"].as_str().is_some_and(|e| !e.is_empty())),
                    "{what}: {} {}",
                    response.status,
                    response.text
                );
            }
            Ok::<(), TestCaseError>(())
        })
        .unwrap();
}

/// Regression (found by the property above): axum's plain-text refusal of a path
/// segment whose escapes are not UTF-8 is answered in the control plane's shape.
#[tokio::test]
async fn an_undecodable_path_segment_is_a_400_in_the_control_plane_shape() {
    let app = TestApp::new();
    for (method, path) in [
        (Method::POST, "/_emulator/portalio/proposals/%ff/status"),
        (Method::DELETE, "/_emulator/propal/organizations/%ff"),
        (Method::POST, "/_emulator/holm/keys/%ff/rotate"),
    ] {
        let r = app.send(raw_request(method.clone(), path, "{}", &[("content-type", "application/json")])).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{method} {path}: {}", r.text);
        let error = r.json["error"].as_str().unwrap_or_else(|| panic!("{method} {path}: {}", r.text));
        assert!(error.contains("UTF-8"), "{error}");
        assert_eq!(r.json.as_object().unwrap().len(), 1, "{}", r.text);
    }
}
