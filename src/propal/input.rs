//! Reading request bodies and query strings into checked values, collecting every
//! problem as a `details` entry (docs: errors, `validation_error`).
//!
//! A body is declared once with `body!`: the struct, its OpenAPI schema and its
//! reader come from the same field list, so what the document says a body holds is
//! what the handler reads. Each field's type is a small [`BodyField`] that knows its
//! checks, its messages and its schema: [`Text`], [`Email`], [`Number`], [`OneOf`],
//! `uuid::Uuid`, `bool`, [`List`], [`JsonObject`] or another body; `Option<T>` makes
//! it optional and [`Change<T>`] optional and nullable (`null` clears it).
//!
//! Handlers read the body only after the scope and record checks, so the documented
//! order 401 → 429 → 403 → 404 → 400 holds. Messages follow the wording of the zod
//! schemas Propal's OpenAPI pages were generated from ("Required" for an absent
//! field, "Expected string, received null" for a null one, "Invalid uuid"). Unknown
//! keys are refused ("Unrecognized key(s) in object"), as a strict zod object does:
//! a 2xx never means a field was silently dropped.

use std::{convert::Infallible, marker::PhantomData};

use axum::{
    body::Bytes,
    extract::{FromRequestParts, Path},
    http::request::Parts,
};
use serde_json::{Map, Value};
use utoipa::openapi::{
    KnownFormat, ObjectBuilder, OneOfBuilder, RefOr, Schema, SchemaFormat, Type,
    schema::{AdditionalProperties, ArrayBuilder},
};
use uuid::Uuid;

use super::error::{Detail, PropalError};

/// Most characters a free-text field takes (documented for lead `name`).
pub const MAX_TEXT: usize = 255;

/// Components a body schema refers to, collected for the OpenAPI document.
pub type Schemas = Vec<(String, RefOr<Schema>)>;

/// A field that PATCH may leave out, set to a value, or clear with `null`.
#[derive(Clone, Debug, PartialEq)]
pub enum Change<T> {
    Keep,
    Clear,
    Set(T),
}

impl<T> Change<T> {
    /// Applies the change to an optional stored value.
    pub fn apply<S: From<T>>(self, slot: &mut Option<S>) {
        match self {
            Change::Keep => {}
            Change::Clear => *slot = None,
            Change::Set(value) => *slot = Some(value.into()),
        }
    }

    /// The value when one is set; `Keep` and `Clear` both give `None` (what create means by them).
    pub fn set<S: From<T>>(self) -> Option<S> {
        match self {
            Change::Set(value) => Some(value.into()),
            Change::Keep | Change::Clear => None,
        }
    }
}

/// Collects the problems of one body or query.
#[derive(Debug, Default)]
pub struct Fields {
    details: Vec<Detail>,
}

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.details.push(Detail::new(field, message));
    }

    /// How many problems so far.
    pub fn len(&self) -> usize {
        self.details.len()
    }

    pub fn is_empty(&self) -> bool {
        self.details.is_empty()
    }

    /// Whether a problem at `field` was recorded since the first `since` ones.
    pub fn has_problem_since(&self, since: usize, field: &str) -> bool {
        self.details.iter().skip(since).any(|d| d.field == field)
    }

    /// Records a problem at a position, to keep `details` in field order.
    pub fn insert_problem(&mut self, at: usize, detail: Detail) {
        self.details.insert(at.min(self.details.len()), detail);
    }

    /// Ok when nothing was wrong, else the `validation_error`.
    pub fn finish(self) -> Result<(), PropalError> {
        if self.details.is_empty() { Ok(()) } else { Err(PropalError::validation(self.details)) }
    }

    /// The value of a field that must be present: absent is "Required".
    pub fn present<'v>(&mut self, path: &str, raw: Option<&'v Value>) -> Option<&'v Value> {
        if raw.is_none() {
            self.problem(path, "Required");
        }
        raw
    }

    /// The string in a present value, or "Expected string, received …".
    pub fn string<'v>(&mut self, path: &str, raw: Option<&'v Value>) -> Option<&'v str> {
        match self.present(path, raw)? {
            Value::String(text) => Some(text),
            other => {
                self.problem(path, format!("Expected string, received {}", kind(other)));
                None
            }
        }
    }

    /// A string of `min..=max` characters.
    pub fn text(&mut self, path: &str, raw: Option<&Value>, min: usize, max: usize) -> Option<String> {
        let text = self.string(path, raw)?;
        let length = text.chars().count();
        if length < min {
            self.problem(path, format!("String must contain at least {min} character(s)"));
            None
        } else if length > max {
            self.problem(path, format!("String must contain at most {max} character(s)"));
            None
        } else {
            Some(text.to_owned())
        }
    }

    /// A `text` that must also pass `valid`, else `message`.
    pub fn text_where(
        &mut self,
        path: &str,
        raw: Option<&Value>,
        (min, max): (usize, usize),
        valid: impl Fn(&str) -> bool,
        message: &str,
    ) -> Option<String> {
        let text = self.text(path, raw, min, max)?;
        if valid(&text) {
            Some(text)
        } else {
            self.problem(path, message);
            None
        }
    }

    /// The object in a present value, or "Expected object, received …".
    pub fn object<'v>(&mut self, path: &str, raw: Option<&'v Value>) -> Option<&'v Map<String, Value>> {
        match self.present(path, raw)? {
            Value::Object(map) => Some(map),
            other => {
                self.problem(path, format!("Expected object, received {}", kind(other)));
                None
            }
        }
    }

    /// Refuses the keys of `object` that are not in `known`.
    pub fn unknown_keys(&mut self, path: &str, object: &Map<String, Value>, known: &[&str]) {
        for key in object.keys().filter(|key| !known.contains(&key.as_str())) {
            self.problem(&join(path, key), format!("Unrecognized key(s) in object: '{key}'"));
        }
    }
}

/// `settings` + `allow_payment` → `settings.allow_payment`; the top level has no prefix.
pub fn join(path: &str, field: &str) -> String {
    if path.is_empty() { field.to_owned() } else { format!("{path}.{field}") }
}

/// One field of a body: how it is read and checked, and how the document shows it.
pub trait BodyField: Sized {
    /// Whether the body's schema lists it in `required`.
    const REQUIRED: bool = true;

    /// Reads the field at `path` from its raw value (`None`: absent). `None` back
    /// means a problem was recorded in `fields`.
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self>;

    /// The field's schema.
    fn schema() -> RefOr<Schema>;

    /// Named schemas the field's schema refers to (nested bodies).
    fn schemas(_: &mut Schemas) {}
}

/// Optional: absent is `None`; present (`null` included) must be a `T`.
impl<T: BodyField> BodyField for Option<T> {
    const REQUIRED: bool = false;

    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        match raw {
            None => Some(None),
            Some(_) => T::read(fields, path, raw).map(Some),
        }
    }

    fn schema() -> RefOr<Schema> {
        T::schema()
    }

    fn schemas(out: &mut Schemas) {
        T::schemas(out);
    }
}

/// Optional and nullable: absent keeps, `null` clears, a `T` sets.
impl<T: BodyField> BodyField for Change<T> {
    const REQUIRED: bool = false;

    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        match raw {
            None => Some(Change::Keep),
            Some(Value::Null) => Some(Change::Clear),
            Some(_) => T::read(fields, path, raw).map(Change::Set),
        }
    }

    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new().item(T::schema()).item(ObjectBuilder::new().schema_type(Type::Null)).into()
    }

    fn schemas(out: &mut Schemas) {
        T::schemas(out);
    }
}

/// A string of `MIN..=MAX` characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text<const MIN: usize, const MAX: usize>(pub String);

impl<const MIN: usize, const MAX: usize> From<Text<MIN, MAX>> for String {
    fn from(text: Text<MIN, MAX>) -> Self {
        text.0
    }
}

impl<const MIN: usize, const MAX: usize> BodyField for Text<MIN, MAX> {
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        fields.text(path, raw, MIN, MAX).map(Self)
    }

    fn schema() -> RefOr<Schema> {
        string_schema(MIN, MAX).into()
    }
}

/// A string schema with its length bounds.
pub fn string_schema(min: usize, max: usize) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).min_length((min > 0).then_some(min)).max_length(Some(max))
}

/// An e-mail address of at most 255 characters (a light check: one `@`, something
/// on each side, a dot in the domain).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(pub String);

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

impl BodyField for Email {
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        fields.text_where(path, raw, (0, MAX_TEXT), looks_like_email, "Invalid email").map(Self)
    }

    fn schema() -> RefOr<Schema> {
        string_schema(0, MAX_TEXT).format(Some(SchemaFormat::KnownFormat(KnownFormat::Email))).into()
    }
}

impl BodyField for Uuid {
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        let text = fields.string(path, raw)?;
        let id = Uuid::parse_str(text).ok();
        if id.is_none() {
            fields.problem(path, "Invalid uuid");
        }
        id
    }

    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))).into()
    }
}

impl BodyField for bool {
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        match fields.present(path, raw)? {
            Value::Bool(value) => Some(*value),
            other => {
                fields.problem(path, format!("Expected boolean, received {}", kind(other)));
                None
            }
        }
    }

    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::Boolean).into()
    }
}

/// A JSON number in `MIN..=MAX`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Number<const MIN: i64, const MAX: i64>(pub f64);

impl<const MIN: i64, const MAX: i64> From<Number<MIN, MAX>> for f64 {
    fn from(number: Number<MIN, MAX>) -> Self {
        number.0
    }
}

impl<const MIN: i64, const MAX: i64> BodyField for Number<MIN, MAX> {
    #[allow(clippy::cast_precision_loss)] // the bounds are small integers
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        let n = match fields.present(path, raw)? {
            Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
            other => {
                fields.problem(path, format!("Expected number, received {}", kind(other)));
                return None;
            }
        };
        if n < MIN as f64 {
            fields.problem(path, format!("Number must be greater than or equal to {MIN}"));
            None
        } else if n > MAX as f64 {
            fields.problem(path, format!("Number must be less than or equal to {MAX}"));
            None
        } else {
            Some(Self(n))
        }
    }

    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::Number).minimum(Some(MIN)).maximum(Some(MAX)).into()
    }
}

/// The values a [`OneOf`] allows.
pub trait Choices {
    const VALUES: &'static [&'static str];
}

/// One of `C::VALUES`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneOf<C>(pub String, PhantomData<C>);

impl<C> From<OneOf<C>> for String {
    fn from(choice: OneOf<C>) -> Self {
        choice.0
    }
}

impl<C: Choices> BodyField for OneOf<C> {
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        let value = fields.text(path, raw, 0, MAX_TEXT)?;
        if C::VALUES.contains(&value.as_str()) {
            return Some(Self(value, PhantomData));
        }
        fields.problem(path, invalid_enum(C::VALUES, &value));
        None
    }

    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(C::VALUES.iter().copied())).into()
    }
}

/// zod's enum message: `Invalid enum value. Expected 'fr' | 'en', received 'de'`.
pub fn invalid_enum(allowed: &[&str], received: &str) -> String {
    let expected: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
    format!("Invalid enum value. Expected {}, received '{received}'", expected.join(" | "))
}

/// An array of at most `MAX` `T`s (`usize::MAX`: no bound), each read at `path.<index>`.
#[derive(Clone, Debug, PartialEq)]
pub struct List<T, const MAX: usize>(pub Vec<T>);

impl<T: BodyField, const MAX: usize> BodyField for List<T, MAX> {
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        let items = match fields.present(path, raw)? {
            Value::Array(items) => items,
            other => {
                fields.problem(path, format!("Expected array, received {}", kind(other)));
                return None;
            }
        };
        if items.len() > MAX {
            fields.problem(path, format!("Array must contain at most {MAX} element(s)"));
            return None;
        }
        let read: Vec<Option<T>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| T::read(fields, &join(path, &i.to_string()), Some(item)))
            .collect();
        read.into_iter().collect::<Option<Vec<T>>>().map(Self)
    }

    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new().items(T::schema()).max_items((MAX < usize::MAX).then_some(MAX)).into()
    }

    fn schemas(out: &mut Schemas) {
        T::schemas(out);
    }
}

/// Any JSON object, kept as sent.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonObject(pub Map<String, Value>);

impl BodyField for JsonObject {
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        fields.object(path, raw).cloned().map(Self)
    }

    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .additional_properties(Some(AdditionalProperties::FreeForm(true)))
            .into()
    }
}

/// Declares a request body once: the struct, its schema (named `Propal<Name>`, strict:
/// `additionalProperties: false`, `required` following each field's type) and
/// `read(&Bytes)`, which checks every field and collects every problem. A body can be
/// the type of another body's field (a nested object, `path.field` in `details`).
macro_rules! body {
    (
        $(#[doc = $doc:expr])*
        $vis:vis struct $name:ident as $schema:literal {
            $($(#[doc = $fdoc:expr])* $fvis:vis $field:ident: $ty:ty),* $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug)]
        #[allow(clippy::struct_field_names)] // the vendor's wire names (`allow_payment`, …)
        $vis struct $name {
            $($(#[doc = $fdoc])* $fvis $field: $ty,)*
        }

        impl $name {
            /// The keys this body knows; any other is refused.
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// Reads a request body (empty counts as `{}`), or every problem as `details`.
            #[allow(dead_code)] // nested bodies are read through `BodyField`
            pub fn read(body: &::axum::body::Bytes) -> Result<Self, $crate::propal::error::PropalError> {
                let object = $crate::propal::input::object(body)?;
                let mut fields = $crate::propal::input::Fields::new();
                let read = Self::read_object(&mut fields, "", &object);
                fields.finish()?;
                read.ok_or_else(|| $crate::propal::error::PropalError::Internal(
                    concat!(stringify!($name), ": a field failed without a detail").into()))
            }

            fn read_object(
                fields: &mut $crate::propal::input::Fields,
                path: &str,
                object: &::serde_json::Map<String, ::serde_json::Value>,
            ) -> Option<Self> {
                $(let $field = <$ty as $crate::propal::input::BodyField>::read(
                    fields,
                    &$crate::propal::input::join(path, stringify!($field)),
                    object.get(stringify!($field)),
                );)*
                fields.unknown_keys(path, object, Self::FIELDS);
                Some(Self { $($field: $field?,)* })
            }
        }

        impl $crate::propal::input::BodyField for $name {
            fn read(
                fields: &mut $crate::propal::input::Fields,
                path: &str,
                raw: Option<&::serde_json::Value>,
            ) -> Option<Self> {
                let object = fields.object(path, raw)?;
                Self::read_object(fields, path, object)
            }

            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::Schema> {
                ::utoipa::openapi::Ref::from_schema_name($schema).into()
            }

            fn schemas(out: &mut $crate::propal::input::Schemas) {
                out.push(($schema.to_owned(), <Self as ::utoipa::PartialSchema>::schema()));
                <Self as ::utoipa::ToSchema>::schemas(out);
            }
        }

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::Schema> {
                let mut object = ::utoipa::openapi::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::Type::Object)
                    .additional_properties(Some(::utoipa::openapi::schema::AdditionalProperties::FreeForm(false)))
                    .description(Some($crate::propal::input::doc_text(&[$($doc),*])));
                $(
                    object = object.property(
                        stringify!($field),
                        $crate::propal::input::describe(
                            <$ty as $crate::propal::input::BodyField>::schema(),
                            &[$($fdoc),*],
                        ),
                    );
                    if <$ty as $crate::propal::input::BodyField>::REQUIRED {
                        object = object.required(stringify!($field));
                    }
                )*
                object.into()
            }
        }

        impl ::utoipa::ToSchema for $name {
            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed($schema)
            }

            fn schemas(out: &mut $crate::propal::input::Schemas) {
                $(<$ty as $crate::propal::input::BodyField>::schemas(out);)*
            }
        }
    };
}
pub(crate) use body;

/// Doc-comment lines as one description.
pub fn doc_text(lines: &[&str]) -> String {
    lines.iter().map(|line| line.trim()).collect::<Vec<_>>().join("\n").trim().to_owned()
}

/// A field's schema with its doc comment as description (a reference is wrapped, since
/// OpenAPI 3.1 lets `$ref` siblings be ignored).
pub fn describe(schema: RefOr<Schema>, doc: &[&str]) -> RefOr<Schema> {
    let text = doc_text(doc);
    if text.is_empty() {
        return schema;
    }
    match schema {
        RefOr::T(Schema::Object(mut object)) => {
            object.description = Some(text);
            RefOr::T(Schema::Object(object))
        }
        RefOr::T(Schema::Array(mut array)) => {
            array.description = Some(text);
            RefOr::T(Schema::Array(array))
        }
        RefOr::T(Schema::OneOf(mut one_of)) => {
            one_of.description = Some(text);
            RefOr::T(Schema::OneOf(one_of))
        }
        other => OneOfBuilder::new().item(other).description(Some(text)).into(),
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

/// A path segment as sent. One whose percent-escapes do not decode to UTF-8 (`%ff`)
/// is kept as its raw text, which is no UUID either, so the route answers its own 404
/// after the scope check, like for any malformed id (axum's `Path` would answer a
/// plain-text 400 before the handler runs).
#[derive(Clone, Debug)]
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let id = match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) => id,
            Err(_) => format!("undecodable segment in {}", parts.uri.path()),
        };
        Ok(Self(id))
    }
}

/// A path id: a malformed UUID is `404 not_found` (docs: errors list "Invalid UUID in the URL").
pub fn path_id(raw: &str, what: &'static str) -> Result<Uuid, PropalError> {
    Uuid::parse_str(raw).map_err(|_| PropalError::not_found(what, format!("`{raw}` is not a UUID")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug)]
    struct Lang;
    impl Choices for Lang {
        const VALUES: &'static [&'static str] = &["fr", "en"];
    }

    body! {
        /// A test body.
        struct Sample as "PropalTestSample" {
            title: Text<1, MAX_TEXT>,
            slug: Text<1, MAX_TEXT>,
            name: Text<1, MAX_TEXT>,
            lead_id: Change<Uuid>,
            email: Change<Email>,
            language: Option<OneOf<Lang>>,
            nested: Option<Inner>,
        }
    }

    body! {
        /// Nested.
        struct Inner as "PropalTestInner" {
            flag: Option<bool>,
        }
    }

    fn read(value: &Value) -> Result<Sample, Vec<(String, String)>> {
        Sample::read(&Bytes::from(value.to_string())).map_err(|error| match error {
            PropalError::Validation { details, .. } => details.into_iter().map(|d| (d.field, d.message)).collect(),
            other => panic!("{other}"),
        })
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(f, m)| ((*f).to_owned(), (*m).to_owned())).collect()
    }

    #[test]
    fn collects_every_problem_with_zod_wording() {
        let body = json!({"title": 5, "slug": "", "lead_id": "nope", "email": "x", "language": "de",
                          "nested": {"flag": 1, "other": true}, "extra": null});
        assert_eq!(
            read(&body).unwrap_err(),
            pairs(&[
                ("title", "Expected string, received number"),
                ("slug", "String must contain at least 1 character(s)"),
                ("name", "Required"),
                ("lead_id", "Invalid uuid"),
                ("email", "Invalid email"),
                ("language", "Invalid enum value. Expected 'fr' | 'en', received 'de'"),
                ("nested.flag", "Expected boolean, received number"),
                ("nested.other", "Unrecognized key(s) in object: 'other'"),
                ("extra", "Unrecognized key(s) in object: 'extra'"),
            ])
        );
    }

    #[test]
    fn null_is_not_absent_for_a_required_field_and_clears_a_nullable_one() {
        let body = json!({"title": null, "slug": "s", "name": "n", "lead_id": null, "language": null});
        assert_eq!(
            read(&body).unwrap_err(),
            pairs(&[("title", "Expected string, received null"), ("language", "Expected string, received null")])
        );
        let ok = read(&json!({"title": "t", "slug": "s", "name": "n", "lead_id": null})).unwrap();
        assert_eq!((ok.title.0.as_str(), ok.slug.0.as_str(), ok.name.0.as_str()), ("t", "s", "n"));
        assert!(ok.language.is_none());
        assert_eq!(ok.lead_id, Change::Clear);
        assert_eq!(ok.email, Change::Keep);
        assert!(ok.nested.is_none());
        let full = json!({"title": "t", "slug": "s", "name": "n", "language": "fr", "nested": {"flag": true}});
        let full = read(&full).unwrap();
        assert_eq!(full.language.map(|l| l.0).as_deref(), Some("fr"));
        assert_eq!(full.nested.and_then(|n| n.flag), Some(true));
    }

    #[test]
    fn the_schema_follows_the_field_types() {
        let schema = serde_json::to_value(<Sample as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(schema["required"], json!(["title", "slug", "name"]));
        assert_eq!(schema["additionalProperties"], json!(false));
        assert_eq!(schema["properties"]["title"], json!({"type": "string", "minLength": 1, "maxLength": 255}));
        assert_eq!(schema["properties"]["nested"], json!({"$ref": "#/components/schemas/PropalTestInner"}));
        let mut nested = Vec::new();
        <Sample as utoipa::ToSchema>::schemas(&mut nested);
        assert_eq!(nested.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(), ["PropalTestInner"]);
    }

    #[test]
    fn non_object_and_broken_json_bodies_are_validation_errors() {
        assert!(matches!(object(&Bytes::from_static(b"[1]")), Err(PropalError::Validation { .. })));
        assert!(matches!(object(&Bytes::from_static(b"{\"a\":")), Err(PropalError::Validation { .. })));
        assert!(object(&Bytes::from_static(b"  ")).unwrap().is_empty());
    }
}

/// Property tests: every request body of the API, fed any bytes or any JSON object
/// built from its own field names, reads or answers a 400 `validation_error` (never
/// the internal error the body reader falls back on, never a panic).
#[cfg(test)]
mod proptests {
    use axum::http::StatusCode;
    use proptest::prelude::*;

    use super::*;
    use crate::propal::routes::{
        leads::{LeadChange, NewLead},
        media::NewMediaFile,
        products::{NewProduct, ProductChange},
        proposals::{NewProposal, ProposalChange},
        templates::NewTemplate,
        themes::{NewTheme, ThemeChange},
    };

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            prop_oneof![".{0,12}", "[0-9a-f-]{36}", "[a-z]+@[a-z]+\\.[a-z]{2,3}", "#[0-9a-fA-F]{6}"]
                .prop_map(Value::String),
            Just(Value::String(uuid::Uuid::nil().to_string())),
        ];
        leaf.prop_recursive(3, 32, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z_]{1,14}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A JSON object whose keys are mostly `fields`, with values of any type.
    fn body_of(fields: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
        let key = prop_oneof![4 => proptest::sample::select(fields).prop_map(str::to_owned), 1 => "[a-z_]{1,10}"];
        prop_oneof![
            8 => proptest::collection::btree_map(key, json_value(), 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect()).to_string().into_bytes()),
            1 => json_value().prop_map(|v| v.to_string().into_bytes()),
            1 => proptest::collection::vec(any::<u8>(), 0..80),
        ]
    }

    fn refused_as_validation<T>(read: Result<T, PropalError>) -> Result<(), TestCaseError> {
        if let Err(error) = read {
            prop_assert_eq!(error.status(), StatusCode::BAD_REQUEST, "{:?}", error);
        }
        Ok(())
    }

    macro_rules! bodies_read_or_refuse {
        ($($test:ident: $body:ty),+ $(,)?) => {
            proptest! {
                #![proptest_config(crate::testing::cases(32))]
                $(
                    #[test]
                    fn $test(bytes in body_of(<$body>::FIELDS)) {
                        refused_as_validation(<$body>::read(&Bytes::from(bytes)))?;
                    }
                )+
            }
        };
    }

    bodies_read_or_refuse! {
        new_lead: NewLead,
        lead_change: LeadChange,
        new_media_file: NewMediaFile,
        new_product: NewProduct,
        product_change: ProductChange,
        new_proposal: NewProposal,
        proposal_change: ProposalChange,
        new_template: NewTemplate,
        new_theme: NewTheme,
        theme_change: ThemeChange,
    }

    proptest! {
        #![proptest_config(crate::testing::cases(256))]

        #[test]
        fn query_strings_and_path_ids_read_or_refuse(text in ".{0,60}") {
            if let Err(error) = query_pairs(Some(&text)) {
                prop_assert_eq!(error.status(), StatusCode::BAD_REQUEST);
            }
            if let Err(error) = path_id(&text, "Lead not found") {
                prop_assert_eq!(error.status(), StatusCode::NOT_FOUND);
            }
        }
    }
}
