//! Reading request bodies and query strings into checked values, collecting every
//! problem as a `details` entry (docs: errors, `validation_error`).
//!
//! Handlers read the body only after the scope check, so the documented order
//! 401 → 429 → 403 → 404 → 400 holds. Messages follow the wording of the zod
//! schemas Propal's OpenAPI pages were generated from ("Required", "Expected
//! string, received number", "Invalid uuid"). Unknown fields are ignored, as a
//! zod object schema strips them.

use axum::body::Bytes;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::error::{Detail, PropalError};

/// Most characters a free-text field takes (documented for lead `name`).
pub const MAX_TEXT: usize = 255;

/// A field that PATCH may leave out, set to a value, or clear with `null`.
#[derive(Clone, Debug, PartialEq)]
pub enum Change<T> {
    Keep,
    Clear,
    Set(T),
}

impl<T> Change<T> {
    /// Applies the change to an optional stored value.
    pub fn apply(self, slot: &mut Option<T>) {
        match self {
            Change::Keep => {}
            Change::Clear => *slot = None,
            Change::Set(value) => *slot = Some(value),
        }
    }
}

/// Parses a JSON object body; an empty body counts as `{}`.
pub fn object(body: &Bytes) -> Result<Map<String, Value>, PropalError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(PropalError::validation(vec![Detail::new(
            "body",
            format!("Expected object, received {}", kind(&other)),
        )])),
        Err(error) => Err(PropalError::validation(vec![Detail::new("body", format!("Invalid JSON: {error}"))])),
    }
}

/// The JSON type name zod reports.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Reads fields of one object, collecting problems.
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    details: Vec<Detail>,
}

impl<'a> Fields<'a> {
    pub fn new(object: &'a Map<String, Value>) -> Self {
        Self { object, details: Vec::new() }
    }

    pub fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.details.push(Detail::new(field, message));
    }

    /// Ok when nothing was wrong, else the `validation_error`.
    pub fn finish(self) -> Result<(), PropalError> {
        if self.details.is_empty() { Ok(()) } else { Err(PropalError::validation(self.details)) }
    }

    pub fn has(&self, field: &str) -> bool {
        self.object.contains_key(field)
    }

    fn raw(&self, field: &str) -> Option<&'a Value> {
        self.object.get(field)
    }

    /// A string of `min..=max` characters; `None` when absent (and a problem when `required`).
    pub fn string(&mut self, field: &str, required: bool, min: usize, max: usize) -> Option<String> {
        match self.raw(field) {
            None | Some(Value::Null) if required => {
                self.problem(field, "Required");
                None
            }
            None => None,
            Some(value) => self.check_string(field, value, min, max),
        }
    }

    /// A string that PATCH may clear with `null`.
    pub fn nullable_string(&mut self, field: &str, max: usize) -> Change<String> {
        match self.raw(field) {
            None => Change::Keep,
            Some(Value::Null) => Change::Clear,
            Some(value) => self.check_string(field, value, 0, max).map_or(Change::Keep, Change::Set),
        }
    }

    fn check_string(&mut self, field: &str, value: &Value, min: usize, max: usize) -> Option<String> {
        let Value::String(text) = value else {
            self.problem(field, format!("Expected string, received {}", kind(value)));
            return None;
        };
        let length = text.chars().count();
        if length < min {
            self.problem(field, format!("String must contain at least {min} character(s)"));
            None
        } else if length > max {
            self.problem(field, format!("String must contain at most {max} character(s)"));
            None
        } else {
            Some(text.clone())
        }
    }

    /// An e-mail address (a light check: one `@`, something on each side, a dot in the domain).
    pub fn email(&mut self, field: &str) -> Change<String> {
        match self.nullable_string(field, MAX_TEXT) {
            Change::Set(email) if !looks_like_email(&email) => {
                self.problem(field, "Invalid email");
                Change::Keep
            }
            other => other,
        }
    }

    /// One of `allowed`.
    pub fn one_of(&mut self, field: &str, allowed: &[&str]) -> Change<String> {
        match self.nullable_string(field, MAX_TEXT) {
            Change::Set(value) if !allowed.contains(&value.as_str()) => {
                let expected: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
                self.problem(
                    field,
                    format!("Invalid enum value. Expected {}, received '{value}'", expected.join(" | ")),
                );
                Change::Keep
            }
            other => other,
        }
    }

    /// A UUID, `null` clearing it.
    pub fn uuid(&mut self, field: &str) -> Change<Uuid> {
        match self.raw(field) {
            None => Change::Keep,
            Some(Value::Null) => Change::Clear,
            Some(Value::String(text)) => {
                if let Ok(id) = Uuid::parse_str(text) {
                    Change::Set(id)
                } else {
                    self.problem(field, "Invalid uuid");
                    Change::Keep
                }
            }
            Some(other) => {
                self.problem(field, format!("Expected string, received {}", kind(other)));
                Change::Keep
            }
        }
    }

    /// A required UUID.
    pub fn required_uuid(&mut self, field: &str) -> Option<Uuid> {
        if matches!(self.raw(field), None | Some(Value::Null)) {
            self.problem(field, "Required");
            return None;
        }
        match self.uuid(field) {
            Change::Set(id) => Some(id),
            _ => None,
        }
    }

    pub fn boolean(&mut self, field: &str) -> Option<bool> {
        match self.raw(field)? {
            Value::Bool(b) => Some(*b),
            other => {
                self.problem(field, format!("Expected boolean, received {}", kind(other)));
                None
            }
        }
    }

    /// A number in `min..=max`.
    pub fn number(&mut self, field: &str, required: bool, min: f64, max: f64) -> Option<f64> {
        match self.raw(field) {
            None | Some(Value::Null) if required => {
                self.problem(field, "Required");
                None
            }
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => {
                let n = n.as_f64().unwrap_or(f64::NAN);
                if n < min {
                    self.problem(field, format!("Number must be greater than or equal to {min}"));
                    None
                } else if n > max {
                    self.problem(field, format!("Number must be less than or equal to {max}"));
                    None
                } else {
                    Some(n)
                }
            }
            Some(other) => {
                self.problem(field, format!("Expected number, received {}", kind(other)));
                None
            }
        }
    }

    /// The raw value, for nested shapes a handler checks itself.
    pub fn value(&self, field: &str) -> Option<&'a Value> {
        self.raw(field)
    }
}

fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
        && !domain.contains('@')
}

/// Parses a query string into pairs; a broken one is a `validation_error`.
pub fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, PropalError> {
    serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|e| PropalError::validation(vec![Detail::new("query", format!("Invalid query string: {e}"))]))
}

/// The last value of a query parameter.
pub fn query_value<'q>(pairs: &'q [(String, String)], name: &str) -> Option<&'q str> {
    pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A path id: a malformed UUID is `404 not_found` (docs: errors list "Invalid UUID in the URL").
pub fn path_id(raw: &str, what: &'static str) -> Result<Uuid, PropalError> {
    Uuid::parse_str(raw).map_err(|_| PropalError::not_found(what, format!("`{raw}` is not a UUID")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        let Value::Object(map) = value else { panic!("not an object") };
        map
    }

    #[test]
    fn collects_every_problem_with_zod_wording() {
        let body = map(json!({"title": 5, "slug": "", "lead_id": "nope", "email": "x"}));
        let mut fields = Fields::new(&body);
        fields.string("title", true, 1, MAX_TEXT);
        fields.string("slug", true, 1, MAX_TEXT);
        fields.string("name", true, 1, MAX_TEXT);
        fields.uuid("lead_id");
        fields.email("email");
        let PropalError::Validation { details, message } = fields.finish().unwrap_err() else { panic!() };
        let got: Vec<(&str, &str)> = details.iter().map(|d| (d.field.as_str(), d.message.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("title", "Expected string, received number"),
                ("slug", "String must contain at least 1 character(s)"),
                ("name", "Required"),
                ("lead_id", "Invalid uuid"),
                ("email", "Invalid email"),
            ]
        );
        assert_eq!(message, "The field 'title' is invalid: Expected string, received number");
    }

    #[test]
    fn null_clears_and_absent_keeps() {
        let body = map(json!({"lead_id": null}));
        let mut fields = Fields::new(&body);
        assert_eq!(fields.uuid("lead_id"), Change::Clear);
        assert_eq!(fields.uuid("theme_id"), Change::Keep);
        assert!(fields.finish().is_ok());
    }

    #[test]
    fn non_object_and_broken_json_bodies_are_validation_errors() {
        assert!(matches!(object(&Bytes::from_static(b"[1]")), Err(PropalError::Validation { .. })));
        assert!(matches!(object(&Bytes::from_static(b"{\"a\":")), Err(PropalError::Validation { .. })));
        assert!(object(&Bytes::from_static(b"  ")).unwrap().is_empty());
    }
}
