//! Portal.io request signing (docs.portal.io › Authentication › Signing requests;
//! reference §3, CONTRACT §5.1) as a pure function of the request as addressed, the
//! presented headers, the app secrets and `now`.
//!
//! Order of checks: the five headers are present and ASCII (`Accept`,
//! `X-MSS-API-APPID`, `X-MSS-API-USERKEY`, `X-MSS-CUSTOM-DATE`, `X-MSS-SIGNATURE`);
//! `Accept` admits `application/json`; the app id is registered; the date is an
//! IMF-fixdate within the skew window of the emulator clock; the signature is
//! `Base64(HMAC-SHA256(secret, canonical message))`, compared in constant time.
//!
//! The canonical message, with no separators:
//! `METHOD` + base URL (scheme://host\[:port\] + path as the client addressed it, no
//! query) + `Content-Type` (non-GET only; the raw header value, "" when absent) +
//! `X-MSS-CUSTOM-DATE` + `X-MSS-API-USERKEY` (left out on the key exchange).
//!
//! On a mismatch, [`diagnose`] recomputes the signature under the client mistakes
//! CONTRACT §5.1 lists and names the one (or the pair) that reproduces it.

use std::fmt::Write as _;

use axum::http::HeaderMap;
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::config::{SecretEncoding, Settings, SignQuery};
use crate::journal::Compared;

/// The headers every signed request carries, in the order the docs list them.
pub const ACCEPT: &str = "Accept";
pub const APP_ID: &str = "X-MSS-API-APPID";
pub const USER_KEY: &str = "X-MSS-API-USERKEY";
pub const DATE: &str = "X-MSS-CUSTOM-DATE";
pub const SIGNATURE: &str = "X-MSS-SIGNATURE";
const REQUIRED: [&str; 5] = [ACCEPT, APP_ID, USER_KEY, DATE, SIGNATURE];

/// The request as the client addressed it: everything the canonical URL is built from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub method: String,
    /// `scheme://host[:port]` + mount prefix (or `--portalio-public-base-url`), no trailing slash.
    pub base: String,
    /// The path after the mount prefix, as sent (percent-encoding kept).
    pub path: String,
    pub query: Option<String>,
    /// `GET /authenticate/apikeyexchange`: the user key is not signed.
    pub exchange: bool,
    /// Other bases a confused client may have signed, with the mistake each means.
    pub alt_bases: Vec<(NearMiss, String)>,
}

impl Target {
    /// The signed URL: base + path, no query.
    pub fn url(&self) -> String {
        format!("{}{}", self.base, self.path)
    }
}

/// The parts of one canonical message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub method: &'a str,
    pub url: &'a str,
    /// `None` on GET (the segment is left out entirely).
    pub content_type: Option<&'a str>,
    pub date: &'a str,
    /// `None` on the key exchange.
    pub user_key: Option<&'a str>,
}

/// How a canonical string written to the explain header, the journal or a log shows
/// the user key it ends with: the key is a credential, so it never appears itself.
pub const USER_KEY_SHOWN: &str = "{X-MSS-API-USERKEY}";

/// `text` (a canonical string) with its trailing user key replaced by [`USER_KEY_SHOWN`].
pub fn shown(text: &str, user_key: Option<&str>) -> String {
    match user_key.filter(|k| !k.is_empty()).and_then(|k| text.strip_suffix(k)) {
        Some(before) => format!("{before}{USER_KEY_SHOWN}"),
        None => text.to_owned(),
    }
}

/// `METHOD + URL + [content type] + date + [user key]`, no separators.
pub fn canonical_message(message: &Message<'_>) -> String {
    let mut text = String::with_capacity(200);
    text.push_str(message.method);
    text.push_str(message.url);
    if let Some(content_type) = message.content_type {
        text.push_str(content_type); // non-GET only; "" when the header is absent (INFERRED, reference §3.5)
    }
    text.push_str(message.date); // the header bytes as sent, never a re-formatted date
    if let Some(user_key) = message.user_key {
        text.push_str(user_key); // left out on /authenticate/apikeyexchange
    }
    text
}

/// The raw HMAC-SHA256 of `message` under `key`.
pub fn hmac(key: &[u8], message: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// `Base64(HMAC-SHA256(key, message))`: the value of `X-MSS-SIGNATURE`.
pub fn sign(key: &[u8], message: &str) -> String {
    STANDARD.encode(hmac(key, message))
}

/// The key bytes a secret stands for under an encoding (`None`: not valid Base64).
pub fn key_bytes(secret: &str, encoding: SecretEncoding) -> Vec<Vec<u8>> {
    let utf8 = secret.as_bytes().to_vec();
    let decoded = STANDARD.decode(secret.trim()).ok();
    match encoding {
        SecretEncoding::Utf8 => vec![utf8],
        SecretEncoding::Base64 => decoded.into_iter().collect(),
        SecretEncoding::Either => std::iter::once(utf8).chain(decoded).collect(),
    }
}

/// A client mistake that reproduces a presented signature (CONTRACT §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NearMiss {
    QueryStringSigned,
    TrailingSlash,
    LowercaseMethod,
    Scheme,
    Host,
    PrefixMissing,
    ContentTypeOmitted,
    ContentTypeCharset,
    UserKeyOmitted,
    SecretBase64Decoded,
    /// Under `--portalio-secret-encoding base64`: the client keyed with the string's UTF-8 bytes.
    SecretUtf8Bytes,
    HexOutput,
}

impl NearMiss {
    /// The name in `near_miss:<name>`.
    pub fn name(self) -> &'static str {
        match self {
            NearMiss::QueryStringSigned => "query_string_signed",
            NearMiss::TrailingSlash => "trailing_slash",
            NearMiss::LowercaseMethod => "lowercase_method",
            NearMiss::Scheme => "scheme",
            NearMiss::Host => "host",
            NearMiss::PrefixMissing => "prefix_missing",
            NearMiss::ContentTypeOmitted => "content_type_omitted",
            NearMiss::ContentTypeCharset => "content_type_charset",
            NearMiss::UserKeyOmitted => "user_key_omitted",
            NearMiss::SecretBase64Decoded => "secret_base64_decoded",
            NearMiss::SecretUtf8Bytes => "secret_utf8_bytes",
            NearMiss::HexOutput => "hex_output",
        }
    }

    /// What the client did and how to fix it, one sentence each.
    pub fn advice(self) -> &'static str {
        match self {
            NearMiss::QueryStringSigned => {
                "you signed the URL with its query string; sign scheme + host + path only, without `?` and what follows"
            }
            NearMiss::TrailingSlash => {
                "the URL you signed and the path you sent differ by a trailing slash; sign the path exactly as sent"
            }
            NearMiss::LowercaseMethod => "you signed the HTTP method in lower case; sign it upper case (GET, POST)",
            NearMiss::Scheme => {
                "you signed the other scheme (http vs https); sign the scheme the request was sent with"
            }
            NearMiss::Host => {
                "you signed another host or port than the one the request was addressed to; sign the Host you send to \
                 (or start the emulator with --portalio-public-base-url set to the base URL you sign)"
            }
            NearMiss::PrefixMissing => {
                "you signed the URL without the emulator's /portalio prefix; sign the full URL you send to, prefix included"
            }
            NearMiss::ContentTypeOmitted => {
                "you left the Content-Type out of the message; on non-GET requests append the exact Content-Type header value after the URL"
            }
            NearMiss::ContentTypeCharset => {
                "the Content-Type you signed differs from the header you sent by its `; charset=` parameter; sign the header value byte for byte"
            }
            NearMiss::UserKeyOmitted => {
                "you left the user key out of the message; append the X-MSS-API-USERKEY value after the date on every request but the key exchange"
            }
            NearMiss::SecretBase64Decoded => {
                "you keyed the HMAC with the Base64-decoded secret; key it with the Secret Key string's UTF-8 bytes"
            }
            NearMiss::SecretUtf8Bytes => {
                "you keyed the HMAC with the secret string's UTF-8 bytes; this emulator runs with --portalio-secret-encoding base64"
            }
            NearMiss::HexOutput => "you sent the HMAC as hex; send it Base64-encoded",
        }
    }
}

/// Why a request was refused, and what to write about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    MissingHeader(&'static str),
    MalformedHeader(&'static str),
    NotAcceptable,
    UnknownAppId,
    BadDate,
    /// The client's date minus the emulator clock, in seconds.
    ClockSkew(i64),
    SignatureMismatch(Option<Vec<NearMiss>>),
}

impl Failure {
    /// The explain reason: `missing_header:X-MSS-SIGNATURE`, `clock_skew:+412s`, …
    pub fn reason(&self) -> String {
        match self {
            Failure::MissingHeader(name) => format!("missing_header:{name}"),
            Failure::MalformedHeader(name) => format!("malformed_header:{name}"),
            Failure::NotAcceptable => "not_acceptable".to_owned(),
            Failure::UnknownAppId => "unknown_app_id".to_owned(),
            Failure::BadDate => "bad_date".to_owned(),
            Failure::ClockSkew(seconds) => format!("clock_skew:{seconds:+}s"),
            Failure::SignatureMismatch(None) => "signature_mismatch".to_owned(),
            Failure::SignatureMismatch(Some(misses)) => {
                let names: Vec<&str> = misses.iter().map(|m| m.name()).collect();
                format!("signature_mismatch near_miss:{}", names.join("+"))
            }
        }
    }
}

/// A refusal: the failure, a one-line detail for the explain header, and the long
/// report for the journal (canonical strings, never the secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub failure: Failure,
    pub detail: String,
    pub report: String,
    /// The checks that passed before this one, as `(step, detail)`.
    pub passed: Vec<(&'static str, String)>,
    /// On a near miss: the canonical string the emulator signed and the one the
    /// client's signature matches, for the journal's side-by-side view.
    pub compared: Option<Box<Compared>>,
}

/// A request whose signature holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub app_id: String,
    /// The presented user key ("" on the exchange).
    pub user_key: String,
    pub canonical: String,
    pub passed: Vec<(&'static str, String)>,
}

/// The presented header values, ASCII-checked.
struct Presented<'a> {
    accept: &'a str,
    app_id: &'a str,
    user_key: &'a str,
    date: &'a str,
    signature: &'a str,
    content_type: Option<&'a str>,
}

fn presented(headers: &HeaderMap) -> Result<Presented<'_>, Failure> {
    let missing: Vec<&'static str> = REQUIRED.into_iter().filter(|name| !headers.contains_key(*name)).collect();
    if let Some(first) = missing.first() {
        return Err(Failure::MissingHeader(first));
    }
    let text =
        |name: &'static str| headers.get(name).and_then(|v| v.to_str().ok()).ok_or(Failure::MalformedHeader(name));
    let content_type = match headers.get("content-type") {
        None => None,
        Some(value) => Some(value.to_str().map_err(|_| Failure::MalformedHeader("Content-Type"))?),
    };
    Ok(Presented {
        accept: text(ACCEPT)?,
        app_id: text(APP_ID)?,
        user_key: text(USER_KEY)?,
        date: text(DATE)?,
        signature: text(SIGNATURE)?,
        content_type,
    })
}

/// `Accept` admits JSON: `application/json`, `application/*`, `*/*`, or a list holding one.
pub fn accepts_json(accept: &str) -> bool {
    accept.split(',').any(|item| {
        let media = item.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        matches!(media.as_str(), "application/json" | "application/*" | "*/*")
    })
}

/// Parses an IMF-fixdate exactly (`Mon, 06 Apr 2026 00:22:19 GMT`): the obsolete
/// RFC 850 and asctime forms, and a wrong weekday, are refused.
pub fn parse_imf_fixdate(text: &str) -> Option<Timestamp> {
    let at = httpdate::parse_http_date(text).ok()?;
    if httpdate::fmt_http_date(at) != text {
        return None;
    }
    let seconds = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Timestamp::from_second(i64::try_from(seconds).ok()?).ok()
}

/// Checks one request. `secret_of` maps an app id to its Secret Key string.
pub fn verify(
    target: &Target,
    headers: &HeaderMap,
    secret_of: impl Fn(&str) -> Option<String>,
    settings: &Settings,
    now: Timestamp,
) -> Result<Verified, Refusal> {
    let mut passed: Vec<(&'static str, String)> = Vec::new();
    let refuse = |failure: Failure, detail: String, report: String, passed: &Vec<(&'static str, String)>| Refusal {
        failure,
        detail,
        report,
        passed: passed.clone(),
        compared: None,
    };
    let headers_seen = match presented(headers) {
        Ok(seen) => seen,
        Err(failure) => {
            let detail = match &failure {
                Failure::MissingHeader(name) => {
                    let missing: Vec<&str> = REQUIRED.into_iter().filter(|n| !headers.contains_key(*n)).collect();
                    format!("the request has no {name} header (missing: {})", missing.join(", "))
                }
                Failure::MalformedHeader(name) => format!("the {name} header is not ASCII text"),
                _ => String::new(),
            };
            let report = format!(
                "{detail}. Every Portal.io request carries Accept, X-MSS-API-APPID, X-MSS-API-USERKEY (empty on the key exchange), X-MSS-CUSTOM-DATE and X-MSS-SIGNATURE."
            );
            return Err(refuse(failure, detail, report, &passed));
        }
    };
    passed.push((
        "headers",
        "Accept, X-MSS-API-APPID, X-MSS-API-USERKEY, X-MSS-CUSTOM-DATE, X-MSS-SIGNATURE present".into(),
    ));
    if !accepts_json(headers_seen.accept) {
        let detail = format!("Accept `{}` does not admit application/json", headers_seen.accept);
        return Err(refuse(Failure::NotAcceptable, detail.clone(), detail, &passed));
    }
    passed.push(("accept", format!("Accept `{}` admits application/json", headers_seen.accept)));
    let Some(secret) = secret_of(headers_seen.app_id) else {
        let detail = format!("no registered app has X-MSS-API-APPID `{}`", headers_seen.app_id);
        return Err(refuse(Failure::UnknownAppId, detail.clone(), detail, &passed));
    };
    passed.push(("app_id", format!("app `{}` is registered", headers_seen.app_id)));
    let Some(date) = parse_imf_fixdate(headers_seen.date) else {
        let detail = format!(
            "X-MSS-CUSTOM-DATE `{}` is not an IMF-fixdate such as `Mon, 06 Apr 2026 00:22:19 GMT`",
            headers_seen.date
        );
        return Err(refuse(Failure::BadDate, detail.clone(), detail, &passed));
    };
    let skew = date.as_second() - now.as_second();
    let max = i64::try_from(settings.portalio_max_skew_seconds).unwrap_or(i64::MAX);
    if skew.abs() > max {
        let detail = format!(
            "X-MSS-CUSTOM-DATE `{}` is {skew:+} s from the emulator clock ({}); at most {max} s either way is accepted",
            headers_seen.date,
            imf_fixdate(now)
        );
        return Err(refuse(Failure::ClockSkew(skew), detail.clone(), detail, &passed));
    }
    passed.push(("date", format!("{} is {skew:+} s from the emulator clock (window ±{max} s)", headers_seen.date)));

    let url = target.url();
    let content_type = (target.method != "GET").then(|| headers_seen.content_type.unwrap_or(""));
    let user_key = (!target.exchange).then_some(headers_seen.user_key);
    let message = Message { method: &target.method, url: &url, content_type, date: headers_seen.date, user_key };
    let expected = canonical_message(&message);
    let mut accepted = vec![expected.clone()];
    let with_query = target.query.as_deref().filter(|q| !q.is_empty()).map(|q| format!("{url}?{q}"));
    if settings.portalio_sign_query == SignQuery::Also
        && let Some(url_q) = &with_query
    {
        accepted.push(canonical_message(&Message { url: url_q, ..message.clone() }));
    }
    let presented_bytes = STANDARD.decode(headers_seen.signature.trim()).ok();
    let keys = key_bytes(&secret, settings.portalio_secret_encoding);
    for key in &keys {
        for text in &accepted {
            let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
            mac.update(text.as_bytes());
            // Constant time: `verify_slice` compares with `subtle`.
            if presented_bytes.as_deref().is_some_and(|bytes| mac.verify_slice(bytes).is_ok()) {
                let shown = shown(text, message.user_key);
                passed.push(("signature", format!("signature matches the canonical string \"{shown}\"")));
                return Ok(Verified {
                    app_id: headers_seen.app_id.to_owned(),
                    user_key: headers_seen.user_key.to_owned(),
                    canonical: text.clone(),
                    passed,
                });
            }
        }
    }
    let near = diagnose(target, &message, headers_seen.signature, &secret, settings);
    // What is written about the mismatch shows the user key as a placeholder: the
    // explain header, the journal and the logs never hold a credential.
    let expected = shown(&expected, message.user_key);
    let near = near.map(|(misses, client)| (misses, shown(&client, message.user_key)));
    passed.push(("canonical_string", format!("the emulator signed \"{expected}\"")));
    let (detail, report) = mismatch_texts(&expected, &message, near.as_ref(), headers_seen.app_id);
    let compared =
        near.as_ref().map(|(_, client)| Box::new(Compared { expected: expected.clone(), received: client.clone() }));
    let mut refusal = refuse(Failure::SignatureMismatch(near.map(|(misses, _)| misses)), detail, report, &passed);
    refusal.compared = compared;
    Err(refusal)
}

fn mismatch_texts(
    expected: &str,
    message: &Message<'_>,
    near: Option<&(Vec<NearMiss>, String)>,
    app_id: &str,
) -> (String, String) {
    let mut report = format!(
        "Signature mismatch (app {app_id}).\nExpected canonical string (what the emulator signed):\n  \"{expected}\"\nbuilt from: method \"{}\" + URL \"{}\"{} + X-MSS-CUSTOM-DATE \"{}\"{}.\n",
        message.method,
        message.url,
        message.content_type.map(|c| format!(" + Content-Type \"{c}\"")).unwrap_or_default(),
        message.date,
        message
            .user_key
            .map(|k| format!(" + X-MSS-API-USERKEY ({} characters, shown as {USER_KEY_SHOWN})", k.len()))
            .unwrap_or_default(),
    );
    let detail = if let Some((misses, client)) = near {
        let names: Vec<&str> = misses.iter().map(|m| m.name()).collect();
        let _ = write!(
            report,
            "Your signature matches this canonical string instead:\n  \"{client}\"\nNear miss {}:",
            names.join(" + ")
        );
        for miss in misses {
            let _ = write!(report, "\n  - {}: {}.", miss.name(), miss.advice());
        }
        let advice: Vec<&str> = misses.iter().map(|m| m.advice()).collect();
        format!("expected canonical string \"{expected}\"; yours was \"{client}\": {}", advice.join("; also "))
    } else {
        report.push_str(
            "No known client mistake reproduces your signature: check the secret key, and that the date and user key \
             you signed are byte-for-byte the header values you sent.",
        );
        format!("expected canonical string \"{expected}\"; no known client mistake reproduces the signature")
    };
    (detail, report)
}

/// The messages a client would build under each single mistake of the message itself.
fn message_variants(target: &Target, message: &Message<'_>) -> Vec<(NearMiss, String)> {
    let url = target.url();
    let mut out = Vec::new();
    if let Some(query) = target.query.as_deref().filter(|q| !q.is_empty()) {
        let url_q = format!("{url}?{query}");
        out.push((NearMiss::QueryStringSigned, canonical_message(&Message { url: &url_q, ..message.clone() })));
    }
    let toggled = match url.strip_suffix('/') {
        Some(without) => without.to_owned(),
        None => format!("{url}/"),
    };
    out.push((NearMiss::TrailingSlash, canonical_message(&Message { url: &toggled, ..message.clone() })));
    let lower = message.method.to_ascii_lowercase();
    if lower != message.method {
        out.push((NearMiss::LowercaseMethod, canonical_message(&Message { method: &lower, ..message.clone() })));
    }
    for (miss, base) in &target.alt_bases {
        let other = format!("{base}{}", target.path);
        out.push((*miss, canonical_message(&Message { url: &other, ..message.clone() })));
    }
    if let Some(content_type) = message.content_type {
        if !content_type.is_empty() {
            out.push((
                NearMiss::ContentTypeOmitted,
                canonical_message(&Message { content_type: None, ..message.clone() }),
            ));
        }
        for other in charset_variants(content_type) {
            out.push((
                NearMiss::ContentTypeCharset,
                canonical_message(&Message { content_type: Some(&other), ..message.clone() }),
            ));
        }
    }
    if message.user_key.is_some_and(|k| !k.is_empty()) {
        out.push((NearMiss::UserKeyOmitted, canonical_message(&Message { user_key: None, ..message.clone() })));
    }
    out
}

/// The content type with its parameters stripped, or with a charset added.
fn charset_variants(content_type: &str) -> Vec<String> {
    if content_type.is_empty() {
        return Vec::new();
    }
    match content_type.split_once(';') {
        Some((media, _)) => vec![media.trim().to_owned()],
        None => vec![
            format!("{content_type}; charset=utf-8"),
            format!("{content_type}; charset=UTF-8"),
            format!("{content_type};charset=utf-8"),
            format!("{content_type};charset=UTF-8"),
        ],
    }
}

/// The mistake (or pair of mistakes) that reproduces `presented`, with the canonical
/// string the client built: single mistakes first, then a message mistake combined
/// with a key or output mistake.
pub fn diagnose(
    target: &Target,
    message: &Message<'_>,
    presented: &str,
    secret: &str,
    settings: &Settings,
) -> Option<(Vec<NearMiss>, String)> {
    let presented = presented.trim();
    let keys = key_bytes(secret, settings.portalio_secret_encoding);
    let alt_key: Option<(NearMiss, Vec<u8>)> = match settings.portalio_secret_encoding {
        SecretEncoding::Utf8 => STANDARD.decode(secret.trim()).ok().map(|k| (NearMiss::SecretBase64Decoded, k)),
        SecretEncoding::Base64 => Some((NearMiss::SecretUtf8Bytes, secret.as_bytes().to_vec())),
        SecretEncoding::Either => None,
    };
    // Constant time, like the check itself: each variant's signature is a valid
    // signature of another message, which a timing oracle must not reveal.
    let presented_lower = presented.to_ascii_lowercase();
    let matches = |key: &[u8], text: &str, hex_out: bool| {
        let mac = hmac(key, text);
        let (given, wanted) =
            if hex_out { (presented_lower.as_str(), hex::encode(&mac)) } else { (presented, STANDARD.encode(&mac)) };
        bool::from(given.as_bytes().ct_eq(wanted.as_bytes()))
    };
    let expected = canonical_message(message);
    let variants = message_variants(target, message);
    // One mistake in the message.
    for (miss, text) in &variants {
        if keys.iter().any(|k| matches(k, text, false)) {
            return Some((vec![*miss], text.clone()));
        }
    }
    // One mistake in the key or the output encoding.
    if let Some((miss, key)) = &alt_key
        && matches(key, &expected, false)
    {
        return Some((vec![*miss], expected));
    }
    if keys.iter().any(|k| matches(k, &expected, true)) {
        return Some((vec![NearMiss::HexOutput], expected));
    }
    // Two mistakes: one in the message, one in the key or the output.
    for (miss, text) in &variants {
        if let Some((key_miss, key)) = &alt_key
            && matches(key, text, false)
        {
            return Some((vec![*miss, *key_miss], text.clone()));
        }
        if keys.iter().any(|k| matches(k, text, true)) {
            return Some((vec![*miss, NearMiss::HexOutput], text.clone()));
        }
    }
    if let Some((key_miss, key)) = &alt_key
        && matches(key, &expected, true)
    {
        return Some((vec![*key_miss, NearMiss::HexOutput], expected));
    }
    None
}

/// The bases a client may have signed by mistake, given how the request reached us.
///
/// `scheme`/`host`/`prefix` are as the client addressed us; `raw_host` is the `Host`
/// header when `X-Forwarded-Host` replaced it; `public_base` is
/// `--portalio-public-base-url` when set (it then is the expected base).
pub fn alternative_bases(
    scheme: &str,
    host: &str,
    prefix: &str,
    raw_host: Option<&str>,
    public_base: Option<&str>,
    real_hosts: &[&str],
) -> Vec<(NearMiss, String)> {
    let mut out: Vec<(NearMiss, String)> = Vec::new();
    let expected =
        public_base.map_or_else(|| format!("{scheme}://{host}{prefix}"), |b| b.trim_end_matches('/').to_owned());
    let mut push = |miss: NearMiss, base: String| {
        if base != expected && !out.iter().any(|(_, b)| *b == base) {
            out.push((miss, base));
        }
    };
    if let Some((exp_scheme, rest)) = expected.split_once("://") {
        let other = if exp_scheme.eq_ignore_ascii_case("https") { "http" } else { "https" };
        push(NearMiss::Scheme, format!("{other}://{rest}"));
        if !prefix.is_empty()
            && public_base.is_none()
            && let Some(without) = expected.strip_suffix(prefix)
        {
            push(NearMiss::PrefixMissing, without.to_owned());
        }
    }
    if public_base.is_some() {
        // The client signed the URL it actually sent to instead of the configured public one.
        push(NearMiss::Host, format!("{scheme}://{host}{prefix}"));
    }
    let (name, port) = split_port(host);
    if port.is_some() {
        push(NearMiss::Host, format!("{scheme}://{name}{prefix}"));
    }
    let swap = match name {
        "localhost" => Some("127.0.0.1"),
        "127.0.0.1" => Some("localhost"),
        _ => None,
    };
    if let Some(other) = swap {
        push(
            NearMiss::Host,
            format!("{scheme}://{other}{}{prefix}", port.map(|p| format!(":{p}")).unwrap_or_default()),
        );
    }
    if let Some(raw) = raw_host.filter(|r| *r != host) {
        push(NearMiss::Host, format!("{scheme}://{raw}{prefix}"));
    }
    for real in real_hosts {
        push(NearMiss::Host, format!("https://{real}"));
        push(NearMiss::Host, format!("https://{real}{prefix}"));
    }
    out
}

/// A request described by its parts, as the signing oracle and `vendor-emulator sign portalio` take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Described<'a> {
    pub method: &'a str,
    /// The full URL the client sends to; its query is not signed.
    pub url: &'a str,
    pub content_type: Option<&'a str>,
    pub date: &'a str,
    /// Ignored on the key exchange.
    pub user_key: Option<&'a str>,
}

/// The canonical string and signature a correct client sends for a described request.
pub fn sign_described(
    request: &Described<'_>,
    secret: &str,
    encoding: SecretEncoding,
) -> Result<(String, String), String> {
    let method = request.method.trim().to_ascii_uppercase();
    if method.is_empty() {
        return Err("`method` must not be empty".into());
    }
    let url = request.url.trim();
    let without_query = url.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = without_query
        .split_once("://")
        .ok_or_else(|| format!("`{url}` is not an absolute URL (scheme://host/path)"))?;
    if scheme.is_empty() || rest.is_empty() {
        return Err(format!("`{url}` is not an absolute URL (scheme://host/path)"));
    }
    let exchange =
        rest.split_once('/').is_some_and(|(_, path)| format!("/{path}").ends_with(super::auth::EXCHANGE_PATH));
    let message = Message {
        method: &method,
        url: without_query,
        content_type: (method != "GET").then(|| request.content_type.unwrap_or("")),
        date: request.date,
        user_key: (!exchange).then(|| request.user_key.unwrap_or("")),
    };
    let canonical = canonical_message(&message);
    let key = key_bytes(secret, encoding)
        .into_iter()
        .next()
        .ok_or_else(|| "the secret is not valid Base64 (--portalio-secret-encoding base64)".to_owned())?;
    let signature = sign(&key, &canonical);
    Ok((canonical, signature))
}

/// `now` as an IMF-fixdate, the form `X-MSS-CUSTOM-DATE` takes.
pub fn imf_fixdate(at: Timestamp) -> String {
    let secs = at.as_second().max(0).unsigned_abs();
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// `host[:port]` → (host, port); IPv6 literals keep their brackets.
fn split_port(host: &str) -> (&str, Option<&str>) {
    match host.rsplit_once(':') {
        Some((name, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!name.contains(':') || name.ends_with(']')) =>
        {
            (name, Some(port))
        }
        _ => (host, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "dGVzdC1zZWNyZXQta2V5LTAxMjM0NTY3ODk=";
    const USER_KEY_VECTOR: &str = "qBOSOYDeZaSzTxqMCL1Kr66JpU2H6wHCLz7xviZUOcA=";
    const DATE_VECTOR: &str = "Mon, 06 Apr 2026 00:22:19 GMT";

    fn settings() -> Settings {
        Settings::default()
    }

    fn target(method: &str, base: &str, path: &str, exchange: bool) -> Target {
        Target {
            method: method.into(),
            base: base.into(),
            path: path.into(),
            query: None,
            exchange,
            alt_bases: alternative_bases(
                base.split("://").next().unwrap(),
                base.split("://").nth(1).unwrap(),
                "",
                None,
                None,
                &[],
            ),
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        map
    }

    fn now() -> Timestamp {
        parse_imf_fixdate(DATE_VECTOR).unwrap()
    }

    /// Reference §3.6, K1 column (UTF-8 bytes of the secret string).
    #[test]
    fn reference_vectors_k1() {
        let cases = [
            (
                "GEThttps://sandbox.api.portal.io/authenticate/apikeyexchangeMon, 06 Apr 2026 00:22:19 GMT",
                "K6z6PeUlsYS1X7qjIaD8rRxTkQLK4M7SLWt+UprvoJM=",
            ),
            (
                "GEThttps://api.portal.io/public/proposalsMon, 06 Apr 2026 00:22:19 GMTqBOSOYDeZaSzTxqMCL1Kr66JpU2H6wHCLz7xviZUOcA=",
                "xalgIEoCIlMrgQLwkRpt0S8dKO13lwIj/dZNHO3bNG8=",
            ),
            (
                "POSThttps://sandbox.api.portal.io/public/proposalsapplication/x-www-form-urlencodedMon, 06 Apr 2026 00:22:19 GMTqBOSOYDeZaSzTxqMCL1Kr66JpU2H6wHCLz7xviZUOcA=",
                "nZ93vyzCbbkLzUHqoj4CLj49hTxeVSr3h1oN9SEv3ZQ=",
            ),
            (
                "GEThttps://api.portal.io/authenticate/apikeyexchange?UserName=user%40example.com&Password=MyP%40ss123Mon, 06 Apr 2026 00:22:19 GMT",
                "4SHWlHONRNmNE1UwPcRpdNS6O+MlS9MxK0Yd/q2lj4M=",
            ),
            (
                "POSThttps://api.portal.io/public/proposals/12345/ai/buildapplication/jsonMon, 06 Apr 2026 00:22:19 GMTqBOSOYDeZaSzTxqMCL1Kr66JpU2H6wHCLz7xviZUOcA=",
                "OsSJuUjXfVTrHMQ+JBekz4ZU8YvyLI3UTZjibS8fK+U=",
            ),
            (
                "GEThttps://sandbox.api.portal.io/authenticate/apikeyexchangeMon, 29 Aug 2022 13:30:55 GMT",
                "jvFFGK7OdLMO4fsIccbzGEdc34pEi/4EfRgG0CE28JM=",
            ),
        ];
        for (message, signature) in cases {
            assert_eq!(sign(SECRET.as_bytes(), message), signature, "{message}");
        }
    }

    #[test]
    fn canonical_message_leaves_content_type_out_on_get_and_user_key_out_on_exchange() {
        let exchange = Message {
            method: "GET",
            url: "https://sandbox.api.portal.io/authenticate/apikeyexchange",
            content_type: None,
            date: DATE_VECTOR,
            user_key: None,
        };
        assert_eq!(
            canonical_message(&exchange),
            "GEThttps://sandbox.api.portal.io/authenticate/apikeyexchangeMon, 06 Apr 2026 00:22:19 GMT"
        );
        let post = Message {
            method: "POST",
            url: "https://sandbox.api.portal.io/public/proposals",
            content_type: Some("application/x-www-form-urlencoded"),
            date: DATE_VECTOR,
            user_key: Some(USER_KEY_VECTOR),
        };
        assert!(
            canonical_message(&post)
                .starts_with("POSThttps://sandbox.api.portal.io/public/proposalsapplication/x-www-form-urlencodedMon,")
        );
    }

    #[test]
    fn verify_accepts_the_exchange_vector_and_refuses_a_changed_signature() {
        let t = target("GET", "https://sandbox.api.portal.io", "/authenticate/apikeyexchange", true);
        let ok = headers(&[
            ("accept", "application/json"),
            (APP_ID, "app"),
            (USER_KEY, ""),
            (DATE, DATE_VECTOR),
            (SIGNATURE, "K6z6PeUlsYS1X7qjIaD8rRxTkQLK4M7SLWt+UprvoJM="),
        ]);
        let secret_of = |id: &str| (id == "app").then(|| SECRET.to_owned());
        let verified = verify(&t, &ok, secret_of, &settings(), now()).unwrap();
        assert_eq!(verified.app_id, "app");
        let mut bad = ok.clone();
        bad.insert(SIGNATURE, "L6z6PeUlsYS1X7qjIaD8rRxTkQLK4M7SLWt+UprvoJM=".parse().unwrap());
        let refusal = verify(&t, &bad, secret_of, &settings(), now()).unwrap_err();
        assert_eq!(refusal.failure.reason(), "signature_mismatch");
        assert!(
            refusal.report.contains("GEThttps://sandbox.api.portal.io/authenticate/apikeyexchangeMon, 06 Apr 2026")
        );
        assert!(!refusal.report.contains(SECRET), "the secret never appears");
    }

    #[test]
    fn refusals_in_check_order() {
        let t = target("GET", "https://api.portal.io", "/public/proposals", false);
        let secret_of = |id: &str| (id == "app").then(|| SECRET.to_owned());
        let base = [
            ("accept", "application/json"),
            (APP_ID, "app"),
            (USER_KEY, USER_KEY_VECTOR),
            (DATE, DATE_VECTOR),
            (SIGNATURE, "xalgIEoCIlMrgQLwkRpt0S8dKO13lwIj/dZNHO3bNG8="),
        ];
        assert!(verify(&t, &headers(&base), secret_of, &settings(), now()).is_ok());
        let without = |name: &str| headers(&base.iter().copied().filter(|(n, _)| *n != name).collect::<Vec<_>>());
        for name in REQUIRED {
            let name_lower = if name == ACCEPT { "accept" } else { name };
            let err = verify(&t, &without(name_lower), secret_of, &settings(), now()).unwrap_err();
            assert_eq!(err.failure.reason(), format!("missing_header:{name}"));
        }
        let with = |name: &str, value: &str| {
            let mut h = headers(&base);
            h.insert(axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
            h
        };
        let reason =
            |h: HeaderMap, at: Timestamp| verify(&t, &h, secret_of, &settings(), at).unwrap_err().failure.reason();
        assert_eq!(reason(with("accept", "text/html"), now()), "not_acceptable");
        assert_eq!(reason(with(APP_ID, "other"), now()), "unknown_app_id");
        assert_eq!(reason(with(DATE, "2026-04-06T00:22:19Z"), now()), "bad_date");
        assert_eq!(reason(with(DATE, "Sun, 06 Apr 2026 00:22:19 GMT"), now()), "bad_date", "wrong weekday");
        assert_eq!(reason(headers(&base), now() - jiff::SignedDuration::from_secs(412)), "clock_skew:+412s");
        assert_eq!(reason(headers(&base), now() + jiff::SignedDuration::from_secs(301)), "clock_skew:-301s");
        assert!(
            verify(&t, &headers(&base), secret_of, &settings(), now() + jiff::SignedDuration::from_secs(300)).is_ok()
        );
    }

    #[test]
    fn diagnose_names_each_single_mistake() {
        let mut t = target("POST", "http://localhost:8080/portalio", "/public/proposals", false);
        t.query = Some("a=1".into());
        t.alt_bases = alternative_bases("http", "localhost:8080", "/portalio", None, None, &["api.portal.io"]);
        let message = Message {
            method: "POST",
            url: "http://localhost:8080/portalio/public/proposals",
            content_type: Some("application/x-www-form-urlencoded"),
            date: DATE_VECTOR,
            user_key: Some("uk"),
        };
        let key = SECRET.as_bytes();
        let decoded = STANDARD.decode(SECRET).unwrap();
        let client = |m: Message<'_>| sign(key, &canonical_message(&m));
        let cases: Vec<(String, &str)> = vec![
            (
                client(Message { url: "http://localhost:8080/portalio/public/proposals?a=1", ..message.clone() }),
                "query_string_signed",
            ),
            (
                client(Message { url: "http://localhost:8080/portalio/public/proposals/", ..message.clone() }),
                "trailing_slash",
            ),
            (client(Message { method: "post", ..message.clone() }), "lowercase_method"),
            (client(Message { url: "https://localhost:8080/portalio/public/proposals", ..message.clone() }), "scheme"),
            (client(Message { url: "http://localhost/portalio/public/proposals", ..message.clone() }), "host"),
            (client(Message { url: "https://api.portal.io/public/proposals", ..message.clone() }), "host"),
            (client(Message { url: "http://localhost:8080/public/proposals", ..message.clone() }), "prefix_missing"),
            (client(Message { content_type: None, ..message.clone() }), "content_type_omitted"),
            (
                client(Message {
                    content_type: Some("application/x-www-form-urlencoded; charset=utf-8"),
                    ..message.clone()
                }),
                "content_type_charset",
            ),
            (client(Message { user_key: None, ..message.clone() }), "user_key_omitted"),
            (sign(&decoded, &canonical_message(&message)), "secret_base64_decoded"),
            (hex::encode(hmac(key, &canonical_message(&message))), "hex_output"),
        ];
        for (presented, name) in cases {
            let (misses, _) =
                diagnose(&t, &message, &presented, SECRET, &settings()).unwrap_or_else(|| panic!("{name}"));
            let names: Vec<&str> = misses.iter().map(|m| m.name()).collect();
            assert_eq!(names, [name]);
        }
        let both = hex::encode(hmac(key, &canonical_message(&Message { method: "post", ..message.clone() })));
        let (misses, _) = diagnose(&t, &message, &both, SECRET, &settings()).unwrap();
        assert_eq!(misses, [NearMiss::LowercaseMethod, NearMiss::HexOutput]);
        assert!(diagnose(&t, &message, "garbage", SECRET, &settings()).is_none());
    }

    #[test]
    fn sign_query_also_accepts_the_query_form() {
        let mut t = target("GET", "https://api.portal.io", "/authenticate/apikeyexchange", true);
        t.query = Some("UserName=user%40example.com&Password=MyP%40ss123".into());
        let h = headers(&[
            ("accept", "*/*"),
            (APP_ID, "app"),
            (USER_KEY, ""),
            (DATE, DATE_VECTOR),
            (SIGNATURE, "4SHWlHONRNmNE1UwPcRpdNS6O+MlS9MxK0Yd/q2lj4M="),
        ]);
        let secret_of = |_: &str| Some(SECRET.to_owned());
        let refusal = verify(&t, &h, secret_of, &settings(), now()).unwrap_err();
        assert_eq!(refusal.failure.reason(), "signature_mismatch near_miss:query_string_signed");
        let lenient = Settings { portalio_sign_query: SignQuery::Also, ..settings() };
        assert!(verify(&t, &h, secret_of, &lenient, now()).is_ok());
    }

    #[test]
    fn base64_secret_encoding_uses_the_k2_column() {
        let t = target("GET", "https://sandbox.api.portal.io", "/authenticate/apikeyexchange", true);
        let h = headers(&[
            ("accept", "application/json"),
            (APP_ID, "app"),
            (USER_KEY, ""),
            (DATE, DATE_VECTOR),
            (SIGNATURE, "0gHchPsyFndR+7nc8W6u+8OzjZeCwU6uWyfDemtEsFc="),
        ]);
        let secret_of = |_: &str| Some(SECRET.to_owned());
        let err = verify(&t, &h, secret_of, &settings(), now()).unwrap_err();
        assert_eq!(err.failure.reason(), "signature_mismatch near_miss:secret_base64_decoded");
        for encoding in [SecretEncoding::Base64, SecretEncoding::Either] {
            let s = Settings { portalio_secret_encoding: encoding, ..settings() };
            assert!(verify(&t, &h, secret_of, &s, now()).is_ok(), "{encoding:?}");
        }
    }

    #[test]
    fn alternative_bases_cover_scheme_prefix_port_loopback_forwarded_and_real_hosts() {
        let bases =
            alternative_bases("http", "localhost:8080", "/portalio", Some("10.0.0.5:80"), None, &["api.portal.io"]);
        let by = |miss: NearMiss| -> Vec<&str> {
            bases.iter().filter(|(m, _)| *m == miss).map(|(_, b)| b.as_str()).collect()
        };
        assert_eq!(by(NearMiss::Scheme), ["https://localhost:8080/portalio"]);
        assert_eq!(by(NearMiss::PrefixMissing), ["http://localhost:8080"]);
        assert_eq!(
            by(NearMiss::Host),
            [
                "http://localhost/portalio",
                "http://127.0.0.1:8080/portalio",
                "http://10.0.0.5:80/portalio",
                "https://api.portal.io",
                "https://api.portal.io/portalio",
            ]
        );
        let public = alternative_bases("http", "localhost:8080", "", None, Some("https://api.portal.io/"), &[]);
        assert!(public.contains(&(NearMiss::Host, "http://localhost:8080".to_owned())));
        assert!(public.contains(&(NearMiss::Scheme, "http://api.portal.io".to_owned())));
        assert_eq!(split_port("[::1]:8080"), ("[::1]", Some("8080")));
        assert_eq!(split_port("::1"), ("::1", None));
    }

    #[test]
    fn written_canonical_strings_show_a_placeholder_for_the_user_key() {
        let text = format!("GEThttps://api.portal.io/public/users{DATE_VECTOR}{USER_KEY_VECTOR}");
        let shown_text = shown(&text, Some(USER_KEY_VECTOR));
        assert_eq!(shown_text, format!("GEThttps://api.portal.io/public/users{DATE_VECTOR}{{X-MSS-API-USERKEY}}"));
        // A client's string without the key (user_key_omitted), or the exchange's, stays as it is.
        let omitted = format!("GEThttps://api.portal.io/public/users{DATE_VECTOR}");
        assert_eq!(shown(&omitted, Some(USER_KEY_VECTOR)), omitted);
        assert_eq!(shown(&omitted, None), omitted);
        let t = target("GET", "https://api.portal.io", "/public/users", false);
        let h = headers(&[
            ("accept", "application/json"),
            (APP_ID, "app"),
            (USER_KEY, USER_KEY_VECTOR),
            (DATE, DATE_VECTOR),
            (SIGNATURE, "xalgIEoCIlMrgQLwkRpt0S8dKO13lwIj/dZNHO3bNG8="),
        ]);
        let refusal = verify(&t, &h, |_| Some(SECRET.to_owned()), &settings(), now()).unwrap_err();
        assert!(!refusal.detail.contains(USER_KEY_VECTOR), "{}", refusal.detail);
        assert!(!refusal.report.contains(USER_KEY_VECTOR), "{}", refusal.report);
        assert!(refusal.report.contains("{X-MSS-API-USERKEY}"), "{}", refusal.report);
    }

    #[test]
    fn accept_rules() {
        for ok in ["application/json", "*/*", "application/*", "text/html, application/json;q=0.9"] {
            assert!(accepts_json(ok), "{ok}");
        }
        for bad in ["text/html", "", "application/xml"] {
            assert!(!accepts_json(bad), "{bad}");
        }
    }
}

/// Property tests: the header and date parsers take anything without panicking, and
/// the verifier accepts exactly what a signer written from the docs signs.
#[cfg(test)]
mod proptests {
    use axum::http::{HeaderName, HeaderValue};
    use base64::{Engine, engine::general_purpose::STANDARD};
    use hmac::{Hmac, Mac};
    use proptest::prelude::*;
    use sha2::Sha256;

    use super::*;

    /// 2026-04-06T00:22:19Z, the docs' example date.
    const NOW: i64 = 1_775_434_939;

    /// The test's own signer, from the docs (docs.portal.io › Signing requests;
    /// reference §3): the message is the upper-case method, the URL without its query,
    /// the Content-Type value on non-GET requests, the X-MSS-CUSTOM-DATE value and the
    /// user key (not on the key exchange), concatenated; the signature is the standard
    /// Base64 of HMAC-SHA256 keyed with the Secret Key string's UTF-8 bytes.
    fn docs_signer(parts: &Parts, secret: &str) -> String {
        let mut message = String::new();
        message += &parts.method;
        message += &parts.base;
        message += &parts.path;
        if parts.method != "GET" {
            message += parts.content_type.as_deref().unwrap_or("");
        }
        message += &parts.date;
        if !parts.exchange {
            message += &parts.user_key;
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(message.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }

    /// One request as the client built it.
    #[derive(Clone, Debug)]
    struct Parts {
        method: String,
        base: String,
        path: String,
        content_type: Option<String>,
        date: String,
        user_key: String,
        app_id: String,
        exchange: bool,
    }

    impl Parts {
        fn target(&self) -> Target {
            Target {
                method: self.method.clone(),
                base: self.base.clone(),
                path: self.path.clone(),
                query: None,
                exchange: self.exchange,
                alt_bases: Vec::new(),
            }
        }

        fn headers(&self, signature: &str) -> HeaderMap {
            let mut headers = HeaderMap::new();
            let mut put = |name: &str, value: &str| {
                headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
            };
            put("accept", "application/json");
            put(APP_ID, &self.app_id);
            put(USER_KEY, &self.user_key);
            put(DATE, &self.date);
            put(SIGNATURE, signature);
            if let Some(content_type) = &self.content_type {
                put("content-type", content_type);
            }
            headers
        }
    }

    /// Printable ASCII: what a header value (or our signed strings) may hold.
    fn printable(range: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
        proptest::collection::vec(0x20u8..0x7f, range).prop_map(|bytes| String::from_utf8(bytes).unwrap())
    }

    fn parts() -> impl Strategy<Value = Parts> {
        let method = prop_oneof![
            Just("GET".to_owned()),
            Just("POST".to_owned()),
            Just("PUT".to_owned()),
            Just("PATCH".to_owned()),
            Just("DELETE".to_owned()),
            "[A-Z]{1,10}",
        ];
        let base =
            ("https?", "[a-z0-9.-]{1,30}", proptest::option::of(1u16..), prop_oneof![Just(""), Just("/portalio")])
                .prop_map(|(scheme, host, port, prefix)| {
                    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                    format!("{scheme}://{host}{port}{prefix}")
                });
        let path = prop_oneof![Just(super::super::auth::EXCHANGE_PATH.to_owned()), "(/[A-Za-z0-9%._~-]{0,12}){1,5}",];
        let content_type = proptest::option::of(prop_oneof![
            Just("application/x-www-form-urlencoded".to_owned()),
            Just("application/json; charset=utf-8".to_owned()),
            printable(0..=40),
        ]);
        let date = (-300i64..=300).prop_map(|skew| imf_fixdate(Timestamp::from_second(NOW + skew).unwrap()));
        (method, base, path, content_type, date, "[A-Za-z0-9+/]{43}=", "[A-Za-z0-9_-]{1,20}").prop_map(
            |(method, base, path, content_type, date, user_key, app_id)| {
                let exchange = path == super::super::auth::EXCHANGE_PATH;
                let user_key = if exchange { String::new() } else { user_key };
                Parts { method, base, path, content_type, date, user_key, app_id, exchange }
            },
        )
    }

    fn check(parts: &Parts, signature: &str, secret: &str) -> Result<Verified, Refusal> {
        let now = Timestamp::from_second(NOW).unwrap();
        let secret_of = |id: &str| (id == parts.app_id).then(|| secret.to_owned());
        verify(&parts.target(), &parts.headers(signature), secret_of, &Settings::default(), now)
    }

    /// `text` with the byte at `at` replaced by another printable byte.
    fn changed(text: &str, at: usize, shift: u8) -> String {
        let mut bytes = text.as_bytes().to_vec();
        let old = bytes[at];
        let mut new = 0x20 + (old.wrapping_sub(0x20).wrapping_add(shift) % 95);
        if new == old {
            new = if old == b'~' { b'!' } else { old + 1 };
        }
        bytes[at] = new;
        String::from_utf8(bytes).unwrap()
    }

    proptest! {
        // Each case changes every byte of every part (a few hundred verifications).
        #![proptest_config(crate::testing::cases(16))]

        #[test]
        fn verify_accepts_what_the_docs_signer_signs_and_refuses_every_one_byte_change(
            parts in parts(),
            secret in printable(1..=64),
            shift in 1u8..95,
        ) {
            let signature = docs_signer(&parts, &secret);
            let verified = check(&parts, &signature, &secret);
            prop_assert!(verified.is_ok(), "{:?}", verified.err().map(|r| r.detail));

            // Every one-byte change of a signed part is refused.
            let refused = |p: &Parts, s: &str, k: &str| check(p, s, k).is_err();
            for at in 0..parts.method.len() {
                let p = Parts { method: changed(&parts.method, at, shift), ..parts.clone() };
                prop_assert!(refused(&p, &signature, &secret), "method {:?}", p.method);
            }
            for at in 0..parts.base.len() {
                let p = Parts { base: changed(&parts.base, at, shift), ..parts.clone() };
                prop_assert!(refused(&p, &signature, &secret), "base {:?}", p.base);
            }
            for at in 0..parts.path.len() {
                let p = Parts { path: changed(&parts.path, at, shift), ..parts.clone() };
                // A changed path is another route: the exchange's user key rule follows it.
                let p = Parts { exchange: p.path == super::super::auth::EXCHANGE_PATH, ..p };
                prop_assert!(refused(&p, &signature, &secret), "path {:?}", p.path);
            }
            for at in 0..parts.date.len() {
                let p = Parts { date: changed(&parts.date, at, shift), ..parts.clone() };
                prop_assert!(refused(&p, &signature, &secret), "date {:?}", p.date);
            }
            for at in 0..signature.len() {
                let s = changed(&signature, at, shift);
                prop_assert!(refused(&parts, &s, &secret), "signature {s:?}");
            }
            for at in 0..secret.len() {
                let k = changed(&secret, at, shift);
                prop_assert!(refused(&parts, &signature, &k), "secret {k:?}");
            }
            for at in 0..parts.app_id.len() {
                let p = Parts { app_id: changed(&parts.app_id, at, shift), ..parts.clone() };
                let secret_of = |id: &str| (id == parts.app_id).then(|| secret.clone());
                let now = Timestamp::from_second(NOW).unwrap();
                let result = verify(&p.target(), &p.headers(&signature), secret_of, &Settings::default(), now);
                prop_assert!(result.is_err(), "app id {:?}", p.app_id);
            }
            // The user key is signed everywhere but on the exchange; the Content-Type
            // everywhere but on GET. An unsigned part may change freely.
            for at in 0..parts.user_key.len() {
                let p = Parts { user_key: changed(&parts.user_key, at, shift), ..parts.clone() };
                prop_assert_eq!(refused(&p, &signature, &secret), !parts.exchange, "user key {:?}", p.user_key);
            }
            if let Some(content_type) = &parts.content_type {
                for at in 0..content_type.len() {
                    let p = Parts { content_type: Some(changed(content_type, at, shift)), ..parts.clone() };
                    prop_assert_eq!(refused(&p, &signature, &secret), parts.method != "GET", "content type {:?}", p.content_type);
                }
            }
        }

        #[test]
        fn verify_never_panics_on_arbitrary_headers(
            present in proptest::collection::vec(any::<bool>(), 6),
            values in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..60), 6),
            method in "[A-Za-z]{0,8}",
            base in ".{0,40}",
            path in ".{0,40}",
            query in proptest::option::of(".{0,40}"),
            skew in any::<i32>(),
        ) {
            let names = ["accept", APP_ID, USER_KEY, DATE, SIGNATURE, "content-type"];
            let mut headers = HeaderMap::new();
            for ((name, on), value) in names.iter().zip(&present).zip(&values) {
                if let (true, Ok(value)) = (*on, HeaderValue::from_bytes(value)) {
                    headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), value);
                }
            }
            let exchange = path == super::super::auth::EXCHANGE_PATH;
            let target = Target {
                method,
                alt_bases: alternative_bases("http", &base, "/portalio", Some(&path), None, &["api.portal.io"]),
                base,
                path,
                query,
                exchange,
            };
            let now = Timestamp::from_second(NOW + i64::from(skew)).unwrap();
            for settings in [
                Settings::default(),
                Settings { portalio_secret_encoding: SecretEncoding::Either, portalio_sign_query: SignQuery::Also, ..Settings::default() },
                Settings { portalio_secret_encoding: SecretEncoding::Base64, ..Settings::default() },
            ] {
                let outcome = verify(&target, &headers, |_| Some("c2VjcmV0".to_owned()), &settings, now);
                if let Err(refusal) = outcome {
                    prop_assert!(!refusal.failure.reason().is_empty());
                }
            }
        }

        #[test]
        fn dates_parse_only_as_imf_fixdate_and_round_trip(text in ".{0,40}", seconds in 0i64..253_402_300_799) {
            if let Some(at) = parse_imf_fixdate(&text) {
                prop_assert_eq!(imf_fixdate(at), text.clone());
            }
            let at = Timestamp::from_second(seconds).unwrap();
            let shown = imf_fixdate(at);
            prop_assert_eq!(parse_imf_fixdate(&shown), Some(at));
            let _ = accepts_json(&text);
        }

        #[test]
        fn sign_described_and_alternative_bases_never_panic(
            method in ".{0,10}",
            url in ".{0,80}",
            content_type in proptest::option::of(".{0,30}"),
            host in ".{0,30}",
            secret in ".{0,40}",
        ) {
            let described = Described { method: &method, url: &url, content_type: content_type.as_deref(), date: "x", user_key: Some("k") };
            for encoding in [SecretEncoding::Utf8, SecretEncoding::Base64, SecretEncoding::Either] {
                if let Ok((canonical, signature)) = sign_described(&described, &secret, encoding) {
                    prop_assert!(canonical.ends_with('x') || canonical.ends_with('k'));
                    prop_assert_eq!(STANDARD.decode(signature).map(|b| b.len()).ok(), Some(32));
                }
            }
            let _ = alternative_bases("https", &host, "/portalio", Some(&url), Some(&url), &["api.portal.io"]);
            let _ = split_port(&host);
        }
    }
}
