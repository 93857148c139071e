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
//! `METHOD` + base URL (scheme://host[:port] + path as the client addressed it, no
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
                passed.push(("signature", format!("signature matches the canonical string \"{text}\"")));
                return Ok(Verified {
                    app_id: headers_seen.app_id.to_owned(),
                    user_key: headers_seen.user_key.to_owned(),
                    canonical: text.clone(),
                    passed,
                });
            }
        }
    }
    passed.push(("canonical_string", format!("the emulator signed \"{expected}\"")));
    let near = diagnose(target, &message, headers_seen.signature, &secret, settings);
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
        message.user_key.map(|k| format!(" + X-MSS-API-USERKEY \"{k}\"")).unwrap_or_default(),
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
    let matches = |key: &[u8], text: &str, hex_out: bool| {
        let mac = hmac(key, text);
        if hex_out { presented.eq_ignore_ascii_case(&hex::encode(&mac)) } else { presented == STANDARD.encode(&mac) }
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
    fn accept_rules() {
        for ok in ["application/json", "*/*", "application/*", "text/html, application/json;q=0.9"] {
            assert!(accepts_json(ok), "{ok}");
        }
        for bad in ["text/html", "", "application/xml"] {
            assert!(!accepts_json(bad), "{bad}");
        }
    }
}
