//! Cursor pagination (docs: pagination): `limit` 1–100 (default 25), `after` a
//! cursor, and `{data, pagination:{has_more, next_cursor, total_count}}`.
//!
//! Lists run newest first (creation instant, then id, both descending). The cursor
//! is the unpadded base64url of the last item's id, as the docs' example
//! (`ZGVmLTQ1Ng` = `def-456`) shows. An organization remembers the creation
//! instant of every id it ever listed, with its kind, so a cursor naming a deleted
//! item still resumes where it was; one naming nothing of this list (another
//! organization's id, or another resource's) is a 400 `Invalid cursor`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jiff::Timestamp;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    error::{Detail, PropalError},
    input::query_value,
    records::{Ordered, Records},
};

/// Documented: default page size.
pub const DEFAULT_LIMIT: usize = 25;
/// Documented: largest page size.
pub const MAX_LIMIT: usize = 100;

/// The query parameters of every list (documented: pagination).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameters [`PageRequest::from_query`] reads
pub struct PageParams {
    /// Items per page, 1–100 (default 25). Read as zod's `z.coerce.number().int()` does.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page of the same list.
    after: Option<String>,
}

/// `limit` and `after`, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<Uuid>,
}

impl PageRequest {
    /// Where the page starts: after the creation instant and id of the cursor's item
    /// (`known` gives the creation instant of any id this list ever held, deleted ones
    /// too, so a cursor resumes in place); an id it does not know is `Invalid cursor`.
    pub fn start(&self, known: impl Fn(Uuid) -> Option<Timestamp>) -> Result<Option<(Timestamp, Uuid)>, PropalError> {
        let Some(after) = self.after else { return Ok(None) };
        let at = known(after).ok_or_else(|| PropalError::validation(vec![Detail::new("after", "Invalid cursor")]))?;
        Ok(Some((at, after)))
    }

    pub fn from_query(pairs: &[(String, String)]) -> Result<Self, PropalError> {
        let mut details = Vec::new();
        let limit = match query_value(pairs, "limit") {
            None => DEFAULT_LIMIT,
            Some(text) => {
                let problems = limit_problems(text);
                if problems.is_empty() {
                    // A whole number in 1..=100.
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let limit = js_number(text) as usize;
                    limit
                } else {
                    details.extend(problems.into_iter().map(|message| Detail::new("limit", message)));
                    DEFAULT_LIMIT
                }
            }
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

/// What zod's `z.coerce.number().int().min(1).max(100)` says of a `limit`: the text
/// becomes a number as JavaScript's `Number(text)` would, then each check runs.
#[allow(clippy::cast_precision_loss)]
fn limit_problems(text: &str) -> Vec<String> {
    let n = js_number(text);
    if n.is_nan() {
        return vec!["Expected number, received nan".to_owned()];
    }
    let mut problems = Vec::new();
    if n.fract() != 0.0 || n.is_infinite() {
        problems.push("Expected integer, received float".to_owned());
    }
    if n < 1.0 {
        problems.push("Number must be greater than or equal to 1".to_owned());
    }
    if n > MAX_LIMIT as f64 {
        problems.push(format!("Number must be less than or equal to {MAX_LIMIT}"));
    }
    problems
}

/// JavaScript's `Number(text)`: surrounding white space ignored, empty is 0, decimal
/// literals with an optional sign and exponent, `0x`/`0o`/`0b` integers without a
/// sign, `Infinity` with an optional sign; anything else is NaN.
pub fn js_number(text: &str) -> f64 {
    let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if text.is_empty() {
        return 0.0;
    }
    let radix = match text.get(..2).map(str::to_ascii_lowercase).as_deref() {
        Some("0x") => Some(16),
        Some("0o") => Some(8),
        Some("0b") => Some(2),
        _ => None,
    };
    if let Some(radix) = radix {
        let digits = &text[2..];
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return f64::NAN;
        }
        return digits.chars().fold(0.0, |n, c| n * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0)));
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if unsigned == "Infinity" {
        return if text.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY };
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    if mantissa_ok && exponent_ok { text.parse().unwrap_or(f64::NAN) } else { f64::NAN }
}

/// The cursor of an id.
pub fn cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.to_string())
}

/// One page of a list (documented: pagination).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalPage)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub pagination: Pagination,
}

/// Where a page sits in its list.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalPagination)]
pub struct Pagination {
    /// Whether items remain after this page.
    pub has_more: bool,
    /// Pass it as `after` for the next page; `null` on the last page.
    #[schema(required, example = "ZGVmLTQ1Ng")]
    pub next_cursor: Option<String>,
    /// Items matching the query across all pages.
    pub total_count: usize,
}

/// One page of `records`: those `filter` keeps (all without one), newest first,
/// after the cursor, rendered by `render`.
///
/// Reads only the rows the page shows (and the one after it, which says whether more
/// follow) when there is no filter; a filter is applied to the whole list once, for
/// `total_count` (`bench/run` measures lists of 100,000).
pub fn page<R: Ordered, W>(
    records: &Records<R>,
    filter: Option<impl Fn(&R) -> bool>,
    request: PageRequest,
    known: impl Fn(Uuid) -> Option<Timestamp>,
    render: impl Fn(&R) -> W,
) -> Result<Page<W>, PropalError> {
    let start = request.start(known)?;
    let rows = records.newest_first(start);
    Ok(match filter {
        None => page_of(rows, records.len(), request.limit, render),
        Some(keep) => {
            page_of(rows.filter(|r| keep(r)), records.values().filter(|r| keep(r)).count(), request.limit, render)
        }
    })
}

/// The page of `rows` (already newest first, after the cursor) of a list of
/// `total_count` items.
pub fn page_of<'a, R: Ordered + 'a, W>(
    rows: impl Iterator<Item = &'a R>,
    total_count: usize,
    limit: usize,
    render: impl Fn(&R) -> W,
) -> Page<W> {
    let mut rows = rows.take(limit.saturating_add(1)).collect::<Vec<_>>();
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    let data = rows.iter().map(|row| render(row)).collect();
    let next_cursor = if has_more { rows.last().map(|row| cursor(row.id())) } else { None };
    Page { data, pagination: Pagination { has_more, next_cursor, total_count } }
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
    fn limits_are_coerced_like_javascripts_number_then_checked_like_zod() {
        for (text, want) in [("+1", 1), ("01", 1), (" 7 ", 7), ("1e2", 100), ("0x10", 16), ("5.0", 5)] {
            assert!(limit_problems(text).is_empty(), "{text}");
            assert_eq!(
                PageRequest::from_query(&pairs(&format!("limit={}", text.replace('+', "%2B")))).unwrap().limit,
                want
            );
        }
        assert_eq!(limit_problems("1.5"), ["Expected integer, received float"]);
        assert_eq!(limit_problems("99999999999999999999999"), ["Number must be less than or equal to 100"]);
        assert_eq!(limit_problems("abc"), ["Expected number, received nan"]);
        assert_eq!(limit_problems(""), ["Number must be greater than or equal to 1"]);
        assert_eq!(
            limit_problems("-Infinity"),
            ["Expected integer, received float", "Number must be greater than or equal to 1"]
        );
        for nan in ["1_0", "inf", "NaN", "0x", "-0x1", "1e", ".", "1..2", "--1"] {
            assert!(js_number(nan).is_nan(), "{nan}");
        }
        assert!((js_number(".5") - 0.5).abs() < f64::EPSILON);
        assert!((js_number("5.") - 5.0).abs() < f64::EPSILON);
    }

    /// A stored row for the tests: id, creation instant, and a payload to render.
    #[derive(Clone, Copy, Debug)]
    struct Row(Uuid, Timestamp, u128);

    impl Ordered for Row {
        fn id(&self) -> Uuid {
            self.0
        }
        fn created_at(&self) -> Timestamp {
            self.1
        }
    }

    /// Every page of `records` (`limit` a page, through the cursors), payloads in order.
    fn walk(records: &Records<Row>, filter: Option<fn(&Row) -> bool>, limit: usize, total: usize) -> Vec<u128> {
        let (mut seen, mut after) = (Vec::new(), None);
        loop {
            let known = |id| records.get(&id).map(|r: &Row| r.1);
            let page = page(records, filter, PageRequest { limit, after }, known, |r| r.2).unwrap();
            assert_eq!(page.pagination.total_count, total);
            assert!(page.data.len() <= limit);
            seen.extend(page.data);
            let Some(next) = page.pagination.next_cursor else { break };
            after = PageRequest::from_query(&pairs(&format!("after={next}"))).unwrap().after;
        }
        seen
    }

    #[test]
    fn pages_walk_every_row_once_in_the_order_of_a_full_sort() {
        let base = Timestamp::from_second(1_700_000_000).unwrap();
        // Shuffled instants with ties (broken by id), walked 7 at a time.
        let rows: Vec<Row> = (0..100u128)
            .map(|i| {
                let at = base + jiff::SignedDuration::from_secs(i64::try_from((i * 37) % 41).unwrap());
                Row(Uuid::from_u128(i + 1), at, i)
            })
            .collect();
        let mut records = Records::default();
        for row in &rows {
            records.insert(*row);
        }
        let mut expected = rows.clone();
        expected.sort_by_key(|row| std::cmp::Reverse((row.1, row.0)));

        assert_eq!(walk(&records, None, 7, 100), expected.iter().map(|r| r.2).collect::<Vec<_>>());
        let even: fn(&Row) -> bool = |r| r.2 % 2 == 0;
        let evens: Vec<u128> = expected.iter().filter(|r| even(r)).map(|r| r.2).collect();
        assert_eq!(walk(&records, Some(even), 7, 50), evens);
        assert_eq!(walk(&records, None, 100, 100).len(), 100, "one full page, no cursor");
    }

    #[test]
    fn a_cursor_naming_no_row_this_list_held_is_invalid() {
        let mut records = Records::default();
        records.insert(Row(Uuid::from_u128(1), Timestamp::UNIX_EPOCH, 1));
        let request = PageRequest { limit: 3, after: Some(Uuid::from_u128(9)) };
        let refused = page(&records, None::<fn(&Row) -> bool>, request, |_| None, |r| r.2).unwrap_err();
        assert_eq!(refused.status(), axum::http::StatusCode::BAD_REQUEST);
        assert_eq!(refused.message(), "The field 'after' is invalid: Invalid cursor");
    }
}

/// Property tests: any `limit` and `after` read as a page request or a 400 naming
/// them; a cursor always leads back to its id; JavaScript's `Number` never panics.
#[cfg(test)]
mod proptests {
    use axum::http::StatusCode;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(crate::testing::cases(256))]

        #[test]
        fn any_limit_and_after_read_or_answer_400(
            limit in proptest::option::of(prop_oneof![".{0,12}", "[+-]?(0x|0o|0b)?[0-9a-fA-F.eE+-]{0,10}", "Infinity"]),
            after in proptest::option::of(prop_oneof![".{0,40}", "[A-Za-z0-9_=-]{0,60}"]),
        ) {
            let mut pairs = Vec::new();
            if let Some(limit) = &limit {
                pairs.push(("limit".to_owned(), limit.clone()));
            }
            if let Some(after) = &after {
                pairs.push(("after".to_owned(), after.clone()));
            }
            match PageRequest::from_query(&pairs) {
                Ok(request) => prop_assert!((1..=MAX_LIMIT).contains(&request.limit)),
                Err(error) => prop_assert_eq!(error.status(), StatusCode::BAD_REQUEST),
            }
            let _ = js_number(limit.as_deref().unwrap_or_default());
        }

        #[test]
        fn a_cursor_leads_back_to_its_id(bytes in any::<[u8; 16]>()) {
            let id = Uuid::from_bytes(bytes);
            let pairs = vec![("after".to_owned(), cursor(id))];
            prop_assert_eq!(PageRequest::from_query(&pairs).unwrap().after, Some(id));
        }

        #[test]
        fn whole_numbers_in_range_are_limits(n in 1usize..=MAX_LIMIT) {
            let pairs = vec![("limit".to_owned(), n.to_string())];
            prop_assert_eq!(PageRequest::from_query(&pairs).unwrap().limit, n);
        }
    }
}
