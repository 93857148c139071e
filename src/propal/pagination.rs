//! Cursor pagination (docs: pagination): `limit` 1–100 (default 25), `after` a
//! cursor, and `{data, pagination:{has_more, next_cursor, total_count}}`.
//!
//! Lists run newest first (creation instant, then id, both descending). The cursor
//! is the unpadded base64url of the last item's id, as the docs' example
//! (`ZGVmLTQ1Ng` = `def-456`) shows. An organization remembers the creation
//! instant of every id it ever listed, so a cursor naming a deleted item still
//! resumes where it was; one naming nothing this organization knows is a 400.

use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jiff::Timestamp;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    error::{Detail, PropalError},
    input::query_value,
};

/// Documented: default page size.
pub const DEFAULT_LIMIT: usize = 25;
/// Documented: largest page size.
pub const MAX_LIMIT: usize = 100;

/// `limit` and `after`, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<Uuid>,
}

impl PageRequest {
    pub fn from_query(pairs: &[(String, String)]) -> Result<Self, PropalError> {
        let mut details = Vec::new();
        let limit = match query_value(pairs, "limit") {
            None => DEFAULT_LIMIT,
            Some(text) => match text.trim().parse::<i64>() {
                Ok(n) if n < 1 => {
                    details.push(Detail::new("limit", "Number must be greater than or equal to 1"));
                    DEFAULT_LIMIT
                }
                Ok(n) if n > 100 => {
                    details.push(Detail::new("limit", "Number must be less than or equal to 100"));
                    DEFAULT_LIMIT
                }
                Ok(n) => usize::try_from(n).unwrap_or(DEFAULT_LIMIT),
                Err(_) => {
                    details.push(Detail::new("limit", "Expected number, received string"));
                    DEFAULT_LIMIT
                }
            },
        };
        let after = match query_value(pairs, "after").filter(|a| !a.is_empty()) {
            None => None,
            Some(cursor) => {
                let id = URL_SAFE_NO_PAD
                    .decode(cursor.trim_end_matches('='))
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .and_then(|text| Uuid::parse_str(&text).ok());
                if id.is_none() {
                    details.push(Detail::new("after", "Invalid cursor"));
                }
                id
            }
        };
        if details.is_empty() { Ok(Self { limit, after }) } else { Err(PropalError::validation(details)) }
    }
}

/// The cursor of an id.
pub fn cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.to_string())
}

/// One page of `rows` (each with its id and creation instant), rendered by `render`.
pub fn page<T, S: std::hash::BuildHasher>(
    mut rows: Vec<(Uuid, Timestamp, T)>,
    request: PageRequest,
    created_at_of: &HashMap<Uuid, Timestamp, S>,
    render: impl Fn(&T) -> Value,
) -> Result<Value, PropalError> {
    rows.sort_by_key(|row| std::cmp::Reverse((row.1, row.0)));
    let total_count = rows.len();
    let start = match request.after {
        None => 0,
        Some(after) => {
            let Some(&at) = created_at_of.get(&after) else {
                return Err(PropalError::validation(vec![Detail::new("after", "Invalid cursor")]));
            };
            rows.iter().position(|(id, created, _)| (*created, *id) < (at, after)).unwrap_or(rows.len())
        }
    };
    let end = (start + request.limit).min(rows.len());
    let has_more = end < rows.len();
    let data: Vec<Value> = rows[start..end].iter().map(|(_, _, row)| render(row)).collect();
    let next_cursor = if has_more { rows.get(end - 1).map(|(id, _, _)| cursor(*id)) } else { None };
    Ok(json!({
        "data": data,
        "pagination": { "has_more": has_more, "next_cursor": next_cursor, "total_count": total_count },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(q).unwrap()
    }

    #[test]
    fn cursor_is_unpadded_base64url_of_the_id_like_the_docs_example() {
        assert_eq!(URL_SAFE_NO_PAD.encode("def-456"), "ZGVmLTQ1Ng");
        let id = Uuid::nil();
        assert_eq!(PageRequest::from_query(&pairs(&format!("after={}", cursor(id)))).unwrap().after, Some(id));
    }

    #[test]
    fn limit_bounds_are_enforced() {
        assert_eq!(PageRequest::from_query(&[]).unwrap().limit, 25);
        assert_eq!(PageRequest::from_query(&pairs("limit=100")).unwrap().limit, 100);
        for bad in ["limit=0", "limit=101", "limit=abc", "after=%%%"] {
            assert!(PageRequest::from_query(&pairs(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn pages_walk_every_row_once_newest_first() {
        let base = Timestamp::from_second(1_700_000_000).unwrap();
        let mut known = HashMap::new();
        let rows: Vec<(Uuid, Timestamp, u32)> = (0..7u32)
            .map(|i| {
                let id = Uuid::from_u128(u128::from(i) + 1);
                let at = base + jiff::SignedDuration::from_secs(i64::from(i / 2));
                known.insert(id, at);
                (id, at, i)
            })
            .collect();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = page(rows.clone(), PageRequest { limit: 3, after }, &known, |r| json!(r)).unwrap();
            assert_eq!(page["pagination"]["total_count"], 7);
            seen.extend(page["data"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()));
            match page["pagination"]["next_cursor"].as_str() {
                Some(c) => after = PageRequest::from_query(&pairs(&format!("after={c}"))).unwrap().after,
                None => break,
            }
        }
        assert_eq!(seen, vec![6, 5, 4, 3, 2, 1, 0]);
    }
}
