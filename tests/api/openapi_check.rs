//! Holds responses to the OpenAPI document the emulator serves: the operation a
//! response came from (found by the route template that answered it, never by
//! guessing from the URL) must list the response's status, and a JSON body must
//! match the schema documented for that status (JSON Schema 2020-12, the dialect
//! of OpenAPI 3.1). Validators are compiled once per operation and status.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use axum::http::Method;
use serde_json::{Value, json};
use vendor_emulator::{Config, build_app};

use crate::helpers::TestResponse;

/// The whole document, as `GET /_emulator/openapi.json` serves it.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| build_app(Config::for_tests()).expect("app builds").state.docs().document(None))
}

type Validators = Mutex<HashMap<(String, String, String), Arc<jsonschema::Validator>>>;

fn validators() -> &'static Validators {
    static VALIDATORS: OnceLock<Validators> = OnceLock::new();
    VALIDATORS.get_or_init(Validators::default)
}

/// Follows a local `$ref` (`#/components/responses/X`) to what it names.
fn resolve<'a>(document: &'a Value, item: &'a Value) -> &'a Value {
    match item.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => document.pointer(pointer).unwrap_or_else(|| panic!("dangling $ref {pointer}")),
        None => item,
    }
}

/// Panics when `response` to `method path` (a documented path template) breaks the document.
pub fn check_response(method: &Method, path: &str, response: &TestResponse) {
    let document = document();
    let method_key = method.as_str().to_ascii_lowercase();
    let Some(operation) = document["paths"].get(path).and_then(|item| item.get(&method_key)) else {
        assert!(
            !response.status.is_success(),
            "{method} {path} answered {} but is not in the OpenAPI document: {}",
            response.status,
            response.text
        );
        return;
    };
    let status = response.status.as_str().to_owned();
    let documented =
        operation["responses"].get(&status).or_else(|| operation["responses"].get("default")).unwrap_or_else(|| {
            panic!("{method} {path} answered {status}, a status its OpenAPI operation does not list: {}", response.text)
        });
    let documented = resolve(document, documented);
    let is_json = response.header("content-type").is_some_and(|t| t.starts_with("application/json"));
    if !is_json || response.text.is_empty() {
        return;
    }
    let schema = documented.pointer("/content/application~1json/schema").unwrap_or_else(|| {
        panic!("{method} {path} {status} answers JSON but documents no JSON body: {}", response.text)
    });
    let key = (method_key, path.to_owned(), status.clone());
    let validator = {
        let mut cache = validators().lock().unwrap();
        Arc::clone(cache.entry(key).or_insert_with(|| {
            let mut root = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "components": document["components"].clone(),
            });
            root["allOf"] = json!([schema]);
            Arc::new(jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{path} {status}: bad schema: {e}")))
        }))
    };
    let problems: Vec<String> =
        validator.iter_errors(&response.json).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(
        problems.is_empty(),
        "{method} {path} {status}: the body does not match its documented schema:\n  {}\nbody: {}",
        problems.join("\n  "),
        response.text
    );
}
