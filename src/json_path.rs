//! The JSON path (`$.keys[2].scopes[0]`) of the value where serde_json stopped reading
//! a document that did not deserialize: fixture errors and control-plane body errors
//! name it, so a user knows which value to fix.
//!
//! serde_json reports the line and column it stopped at; [`at`] reads the text up to
//! there and keeps the stack of keys and indexes it is inside. This replaces tracking
//! the path while deserializing (serde_path_to_error), which compiled a second copy of
//! every fixture and body type's `Deserialize` for the rare error (a quarter of a MB of
//! the binary); the tests hold it to that crate's answers.

use std::{fmt, marker::PhantomData, str::FromStr};

use serde::{
    Deserialize, Deserializer,
    de::{self, Visitor},
};

/// Deserializes a string through `FromStr`, refusing inside the string's own
/// deserialization: serde_json then places the error at that string, so [`at`] names
/// it. (An error made after `String::deserialize` has returned is placed at the end of
/// the enclosing object or array, and named as that.)
pub fn parse_str<'de, D: Deserializer<'de>, T: FromStr>(deserializer: D) -> Result<T, D::Error>
where
    T::Err: fmt::Display,
{
    deserializer.deserialize_str(Parse(PhantomData))
}

/// [`parse_str`] for an optional string (`null` is `None`).
pub fn parse_optional_str<'de, D: Deserializer<'de>, T: FromStr>(deserializer: D) -> Result<Option<T>, D::Error>
where
    T::Err: fmt::Display,
{
    /// One parsed string, for `Option`'s own `null` handling.
    struct Parsed<T>(T);
    impl<'de, T: FromStr> Deserialize<'de> for Parsed<T>
    where
        T::Err: fmt::Display,
    {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            parse_str(deserializer).map(Parsed)
        }
    }
    Ok(Option::<Parsed<T>>::deserialize(deserializer)?.map(|parsed| parsed.0))
}

/// The visitor of [`parse_str`].
struct Parse<T>(PhantomData<T>);

impl<T: FromStr> Visitor<'_> for Parse<T>
where
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        text.parse().map_err(E::custom)
    }
}

/// One level of nesting: the key or index being read inside an object or array.
enum Frame {
    /// Inside an object: the key of the member being read, once its key string is read.
    Object { key: Option<String>, expecting_key: bool },
    /// Inside an array: the index of the element being read, once one has started.
    Array { index: usize, started: bool },
}

/// The JSON path of the value being read when serde_json stopped at `line` and
/// `column` of `text` (as `serde_json::Error::line` and `column` count: the 1-based
/// line, and the bytes of it read); `$` for the document itself.
pub fn at(text: &str, line: usize, column: usize) -> String {
    let end = offset(text, line, column);
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut position = 0;
    while position < bytes.len() && position < end {
        let byte = bytes[position];
        match byte {
            b'{' | b'[' => {
                start_value(&mut stack);
                stack.push(if byte == b'{' {
                    Frame::Object { key: None, expecting_key: true }
                } else {
                    Frame::Array { index: 0, started: false }
                });
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, expecting_key }) => {
                    *key = None;
                    *expecting_key = true;
                }
                Some(Frame::Array { index, .. }) => *index += 1,
                None => {}
            },
            b'"' => {
                let end = string_end(bytes, position);
                match stack.last_mut() {
                    Some(Frame::Object { key, expecting_key }) if *expecting_key => {
                        *key = Some(serde_json::from_str(&text[position..end]).unwrap_or_else(|_| {
                            String::from_utf8_lossy(&bytes[position + 1..end]).trim_end_matches('"').to_owned()
                        }));
                        *expecting_key = false;
                    }
                    _ => start_value(&mut stack),
                }
                position = end;
                continue;
            }
            b' ' | b'\t' | b'\n' | b'\r' | b':' => {}
            _ => start_value(&mut stack),
        }
        position += 1;
    }
    // serde_json stops at the byte before a value it peeked and refused: an array's
    // first element is then the value at fault, though it has not started.
    let next = bytes.get(position..).unwrap_or_default().iter().find(|b| !b.is_ascii_whitespace());
    if next.is_some_and(|b| *b != b']') {
        start_value(&mut stack);
    }
    render(&stack)
}

/// A value starts inside the innermost container: an array's element is now being read.
fn start_value(stack: &mut [Frame]) {
    if let Some(Frame::Array { started, .. }) = stack.last_mut() {
        *started = true;
    }
}

/// The byte offset just past what serde_json had read at a 1-based line and a column
/// (the bytes of that line it had read: 0 for none).
fn offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    line_start + column
}

/// The offset just past the string starting at `start` (its opening quote), or the end
/// of the text if it never closes.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut position = start + 1;
    while position < bytes.len() {
        match bytes[position] {
            b'\\' => position += 2,
            b'"' => return position + 1,
            _ => position += 1,
        }
    }
    bytes.len()
}

/// `$`, then `.key` per object member and `[i]` per array element.
fn render(stack: &[Frame]) -> String {
    let mut path = String::from("$");
    for frame in stack {
        match frame {
            Frame::Object { key: Some(key), .. } => {
                path.push('.');
                path.push_str(key);
            }
            Frame::Array { index, started: true } => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
            Frame::Object { key: None, .. } | Frame::Array { started: false, .. } => break,
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::{Deserialize, de::DeserializeOwned};

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        keys: Vec<Key>,
        owner: Owner,
        #[serde(default)]
        note: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Key {
        id: String,
        scopes: Vec<u8>,
        #[serde(default)]
        limits: std::collections::BTreeMap<String, u32>,
        active: bool,
        #[serde(default, deserialize_with = "parse_optional_str")]
        since: Option<jiff::Timestamp>,
        #[serde(default, deserialize_with = "parse_str")]
        port: u16,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Owner {
        name: String,
        #[serde(rename = "e-mail")]
        email: String,
    }

    /// The path serde_path_to_error tracks while deserializing, written as ours is.
    fn tracked<T: DeserializeOwned>(text: &str) -> Option<(String, String)> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let error = serde_path_to_error::deserialize::<_, T>(&mut deserializer).err()?;
        let path = error.path().to_string();
        let path = if path == "." { "$".to_owned() } else { format!("$.{path}").replace(".[", "[") };
        Some((path, error.into_inner().to_string()))
    }

    /// Our path for the error plain serde_json gives.
    fn located<T: DeserializeOwned>(text: &str) -> Option<(String, String)> {
        let error = serde_json::from_str::<T>(text).err()?;
        Some((at(text, error.line(), error.column()), error.to_string()))
    }

    const VALID: &str = r#"{
  "keys": [
    {"id": "a", "scopes": [1, 2], "limits": {"per hour": 10}, "active": true, "since": "2026-12-01T10:00:00Z", "port": "8080"},
    {"id": "b\"q", "scopes": [], "active": false}
  ],
  "owner": {"name": "Ingrid", "e-mail": "ingrid@nordwind.example"},
  "note": null
}"#;

    #[test]
    fn the_document_itself_is_the_root() {
        assert_eq!(at("{}", 1, 2), "$");
        assert_eq!(at("", 1, 0), "$");
        assert_eq!(at("[1]", 1, 0), "$");
        assert_eq!(at("[1, 2", 1, 5), "$[1]");
    }

    #[test]
    fn known_errors_have_the_path_of_the_value_to_fix() {
        let cases = [
            (VALID.replace("[1, 2]", "[1, \"x\"]"), "$.keys[0].scopes[1]"),
            (VALID.replace("\"active\": false", "\"active\": \"no\""), "$.keys[1].active"),
            (VALID.replace(", \"active\": false", ""), "$.keys[1]"),
            (VALID.replace("\"per hour\": 10", "\"per hour\": -1"), "$.keys[0].limits.per hour"),
            (VALID.replace("\"e-mail\"", "\"mail\""), "$.owner.mail"),
            (VALID.replace("\"note\": null", "\"note\": 5"), "$.note"),
            (VALID.replace("\"note\": null", "\"extra\": 1"), "$.extra"),
            (VALID.replace("2026-12-01T10", "yesterday"), "$.keys[0].since"),
            (VALID.replace("\"8080\"", "\"80a\""), "$.keys[0].port"),
            ("{\"keys\": [".to_owned(), "$.keys"),
        ];
        for (text, path) in cases {
            let (ours, reason) = located::<Doc>(&text).expect("the case is an error");
            assert_eq!(ours, path, "{reason}\n{text}");
            assert_eq!(Some(ours), tracked::<Doc>(&text).map(|(p, _)| p), "{reason}");
        }
    }

    /// A JSON value whose leaves are replaced by generated ones.
    fn mutate(value: &mut serde_json::Value, choice: &mut impl Iterator<Item = u8>, replacement: &serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                let keys: Vec<String> = map.keys().cloned().collect();
                for key in keys {
                    mutate(map.get_mut(&key).expect("listed"), choice, replacement);
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    mutate(item, choice, replacement);
                }
            }
            leaf => {
                if choice.next().unwrap_or(0) % 7 == 0 {
                    *leaf = replacement.clone();
                }
            }
        }
    }

    fn leaf() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            "[a-z \"\\\\é]{0,6}".prop_map(serde_json::Value::from),
            Just(serde_json::json!([1, "x"])),
            Just(serde_json::json!({"k": [true]})),
        ]
    }

    proptest! {
        /// The fixture-shaped document with random leaves swapped for random values,
        /// printed compact or pretty: both ways of finding the path agree.
        #[test]
        fn the_path_is_the_one_tracked_while_deserializing(
            choices in proptest::collection::vec(any::<u8>(), 16),
            replacement in leaf(),
            pretty in any::<bool>(),
        ) {
            let mut value: serde_json::Value = serde_json::from_str(VALID).expect("valid JSON");
            mutate(&mut value, &mut choices.into_iter(), &replacement);
            let text = if pretty { serde_json::to_string_pretty(&value) } else { serde_json::to_string(&value) }
                .expect("serializes");
            prop_assert_eq!(located::<Doc>(&text), tracked::<Doc>(&text), "{}", text);
        }

        /// Any text: never a panic, always a path.
        #[test]
        fn any_text_and_position_give_a_path(text in ".{0,64}", line in 0usize..4, column in 0usize..80) {
            prop_assert!(at(&text, line, column).starts_with('$'));
        }
    }
}
