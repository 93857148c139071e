//! Reading request bodies and query strings (reference §4): PascalCase form fields
//! (`application/x-www-form-urlencoded`), or the same fields in a JSON object, or
//! no body; names matched case-insensitively (INFERRED: the backend is ASP.NET,
//! whose binder does so; reference §3.5). Every problem is a 400 in Portal.io's
//! `{"message"}` shape and nothing is stored.
//!
//! The request types are plain serde structs that also document the body in the
//! OpenAPI document; [`field_names`] reads their field names from serde itself, so
//! a client's `username` finds the struct's `UserName`.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{header, request::Parts},
};
use serde::{
    Deserialize, Deserializer,
    de::{self, DeserializeOwned, Visitor},
};
use serde_json::{Map, Value};

use super::error::PortalioError;

/// A form or JSON body read into `T`.
pub struct Form<T>(pub T);

/// A query string read into `T`.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = PortalioError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                PortalioError::PayloadTooLarge
            } else {
                PortalioError::bad_request("The request body could not be read.")
            }
        })?;
        let map = body_map(&content_type, &bytes)?;
        Ok(Form(from_map::<T>(map, "request body")?))
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = PortalioError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
            .map_err(|e| PortalioError::bad_request(format!("The query string is invalid: {e}.")))?;
        Ok(Query(from_map::<T>(pairs_to_map(pairs), "query string")?))
    }
}

/// The fields of a body: form pairs, a JSON object's members, or nothing.
pub fn body_map(content_type: &str, bytes: &[u8]) -> Result<Map<String, Value>, PortalioError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes)
            .map_err(|e| PortalioError::bad_request(format!("The form body is invalid: {e}.")))?;
        return Ok(pairs_to_map(pairs));
    }
    if content_type.starts_with("application/json") || content_type.contains("+json") {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| PortalioError::bad_request(format!("The JSON body is invalid: {e}.")))?;
        let Value::Object(object) = value else {
            return Err(PortalioError::bad_request("The JSON body must be an object."));
        };
        let mut map = Map::new();
        for (key, value) in object {
            let value = match value {
                Value::Null => continue,
                Value::Array(items) => {
                    Value::Array(items.into_iter().map(|v| scalar(&key, v)).collect::<Result<_, _>>()?)
                }
                other => scalar(&key, other)?,
            };
            map.insert(key, value);
        }
        return Ok(map);
    }
    Err(PortalioError::bad_request(
        "Unsupported Content-Type: send application/x-www-form-urlencoded (or application/json).",
    ))
}

/// A JSON scalar as the string a form would carry.
fn scalar(key: &str, value: Value) -> Result<Value, PortalioError> {
    match value {
        Value::String(text) => Ok(Value::String(text)),
        Value::Number(n) => Ok(Value::String(n.to_string())),
        Value::Bool(b) => Ok(Value::String(b.to_string())),
        _ => Err(PortalioError::bad_request(format!("The field '{key}' must be a string, number or boolean."))),
    }
}

/// Repeated names become arrays.
fn pairs_to_map(pairs: Vec<(String, String)>) -> Map<String, Value> {
    let mut map: Map<String, Value> = Map::new();
    for (key, value) in pairs {
        let existing = map.keys().find(|k| k.eq_ignore_ascii_case(&key)).cloned();
        match existing.and_then(|k| map.get_mut(&k)) {
            Some(Value::Array(items)) => items.push(Value::String(value)),
            Some(slot) => {
                let first = slot.take();
                *slot = Value::Array(vec![first, Value::String(value)]);
            }
            None => {
                map.insert(key, Value::String(value));
            }
        }
    }
    map
}

/// Renames fields to `T`'s spelling (case-insensitively), drops unknown ones, and deserializes.
fn from_map<T: DeserializeOwned>(map: Map<String, Value>, what: &str) -> Result<T, PortalioError> {
    let names = field_names::<T>();
    let mut renamed = Map::new();
    for (key, value) in map {
        if let Some(name) = names.iter().find(|n| n.eq_ignore_ascii_case(&key)) {
            if renamed.contains_key(*name) {
                return Err(PortalioError::bad_request(format!("The field '{name}' was given more than once.")));
            }
            renamed.insert((*name).to_owned(), value);
        }
    }
    let repeated: Option<String> = renamed.iter().find(|(_, v)| v.is_array()).map(|(k, _)| k.clone());
    serde_json::from_value(Value::Object(renamed)).map_err(|e| {
        let text = e.to_string();
        if text.contains("invalid type: sequence") {
            let name = repeated.unwrap_or_default();
            PortalioError::bad_request(format!("The field '{name}' was given more than once."))
        } else {
            PortalioError::bad_request(format!("The {what} is invalid: {text}."))
        }
    })
}

/// The field names serde's derive gave `T` (the `serde-aux` introspection trick).
pub fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Probe<'a>(&'a mut &'static [&'static str]);
    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("probe"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut names: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut names));
    names
}

/// For list fields: one value, a repeated field, or comma-separated values (both documented).
pub fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    let raw = match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    };
    Ok(raw.iter().flat_map(|v| v.split(',')).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect())
}

/// A required text field: present, not blank, at most `max` characters.
pub fn required(field: &str, value: Option<String>, max: usize) -> Result<String, PortalioError> {
    match value {
        Some(text) if !text.trim().is_empty() => {
            check_len(field, &text, max)?;
            Ok(text.trim().to_owned())
        }
        _ => Err(PortalioError::bad_request(format!("The {field} field is required."))),
    }
}

/// An optional text field of at most `max` characters.
pub fn optional(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, PortalioError> {
    match value {
        Some(text) => {
            check_len(field, &text, max)?;
            Ok(Some(text))
        }
        None => Ok(None),
    }
}

/// ASP.NET's `[MaxLength]` wording.
pub fn check_len(field: &str, text: &str, max: usize) -> Result<(), PortalioError> {
    if text.chars().count() > max {
        return Err(PortalioError::bad_request(format!(
            "The field {field} must be a string with a maximum length of {max}."
        )));
    }
    Ok(())
}

/// An integer field (ids, page numbers).
pub fn integer(field: &str, value: Option<&str>) -> Result<Option<i64>, PortalioError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse::<i64>()
            .map(Some)
            .map_err(|_| PortalioError::bad_request(format!("The value '{text}' is not valid for {field}."))),
    }
}

/// A boolean field (`true`/`false`, any case).
pub fn boolean(field: &str, value: Option<&str>) -> Result<Option<bool>, PortalioError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(text) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(text) => Err(PortalioError::bad_request(format!("The value '{text}' is not valid for {field}."))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Sample {
        user_name: Option<String>,
        #[serde(default, deserialize_with = "one_or_many")]
        events: Vec<String>,
    }

    #[test]
    fn names_match_case_insensitively_and_lists_take_both_spellings() {
        let map = body_map("application/x-www-form-urlencoded", b"username=a%40b.c&Events=A,B&events=C&x=1").unwrap();
        let sample: Sample = from_map(map, "body").unwrap();
        assert_eq!(sample.user_name.as_deref(), Some("a@b.c"));
        assert_eq!(sample.events, ["A", "B", "C"]);
        assert_eq!(field_names::<Sample>(), ["UserName", "Events"]);
    }

    #[test]
    fn json_bodies_and_broken_bodies() {
        let map = body_map("application/json", br#"{"userName":"x","events":["A"]}"#).unwrap();
        let sample: Sample = from_map(map, "body").unwrap();
        assert_eq!(sample.user_name.as_deref(), Some("x"));
        assert!(body_map("application/json", b"{").is_err());
        assert!(body_map("application/json", b"[1]").is_err());
        assert!(body_map("text/plain", b"x").is_err());
        let twice = body_map("application/x-www-form-urlencoded", b"UserName=a&UserName=b").unwrap();
        assert!(from_map::<Sample>(twice, "body").is_err());
    }
}

/// Property tests: a body or query string of any bytes reads as fields or answers a
/// 400 in Portal.io's shape; no input panics.
#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;
    use crate::portalio::routes::{
        exchange::ExchangeQuery,
        people::CreateContactForm,
        proposals::{CreateProposalForm, ListProposalsQuery},
        webhooks::SubscribeForm,
    };

    /// Reads `map` as each request type, checking every refusal is a 400.
    fn read_all(map: &Map<String, Value>) -> Result<(), TestCaseError> {
        fn one<T: DeserializeOwned>(map: &Map<String, Value>) -> Result<(), TestCaseError> {
            if let Err(error) = from_map::<T>(map.clone(), "request body") {
                prop_assert_eq!(error.status(), axum::http::StatusCode::BAD_REQUEST, "{:?}", error);
            }
            Ok(())
        }
        one::<CreateProposalForm>(map)?;
        one::<CreateContactForm>(map)?;
        one::<SubscribeForm>(map)?;
        one::<ListProposalsQuery>(map)?;
        one::<ExchangeQuery>(map)
    }

    /// Form bodies built from the request types' own field names (any case), so the
    /// typed readers see plausible and implausible values, not only unknown keys.
    fn form() -> impl Strategy<Value = Vec<u8>> {
        let names: Vec<&'static str> = [
            field_names::<CreateProposalForm>(),
            field_names::<CreateContactForm>(),
            field_names::<SubscribeForm>(),
            field_names::<ListProposalsQuery>(),
        ]
        .concat();
        let name = prop_oneof![proptest::sample::select(names).prop_map(str::to_owned), "[A-Za-z%]{0,8}"];
        let value = prop_oneof!["[ -~]{0,12}", "-?[0-9]{1,20}", Just("true".to_owned()), "%[0-9A-Fa-f]{2}"];
        proptest::collection::vec((name, any::<bool>(), value), 0..8).prop_map(|pairs| {
            let text: Vec<String> = pairs
                .into_iter()
                .map(|(name, lower, value)| {
                    let name = if lower { name.to_ascii_lowercase() } else { name };
                    format!("{name}={value}")
                })
                .collect();
            text.join("&").into_bytes()
        })
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "[ -~]{0,10}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[A-Za-z]{1,12}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(crate::testing::cases(128))]

        #[test]
        fn any_bytes_under_any_content_type_read_or_answer_400(
            content_type in prop_oneof![
                Just("application/x-www-form-urlencoded".to_owned()),
                Just("application/json".to_owned()),
                Just("application/vnd.x+json".to_owned()),
                ".{0,30}",
            ],
            bytes in prop_oneof![proptest::collection::vec(any::<u8>(), 0..200), form()],
        ) {
            match body_map(&content_type, &bytes) {
                Ok(map) => read_all(&map)?,
                Err(error) => prop_assert_eq!(error.status(), axum::http::StatusCode::BAD_REQUEST),
            }
        }

        #[test]
        fn form_bodies_and_query_strings_read_or_answer_400(bytes in form()) {
            let map = body_map("application/x-www-form-urlencoded", &bytes);
            prop_assert!(map.is_ok(), "{:?}", map.err());
            read_all(&map.unwrap())?;
        }

        #[test]
        fn json_bodies_read_or_answer_400(value in json_value()) {
            match body_map("application/json", value.to_string().as_bytes()) {
                Ok(map) => read_all(&map)?,
                Err(error) => prop_assert_eq!(error.status(), axum::http::StatusCode::BAD_REQUEST),
            }
        }

        #[test]
        fn scalar_readers_never_panic(text in ".{0,30}") {
            let _ = integer("Page", Some(&text));
            let _ = boolean("Enabled", Some(&text));
            let _ = required("Name", Some(text.clone()), 5);
            let _ = optional("Name", Some(text), 5);
        }
    }
}
