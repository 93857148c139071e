//! `vendor-emulator sign portalio …`: the canonical string and signature a correct
//! client sends for a described request, for people debugging a signer from a
//! shell (CONTRACT §2). Same rules as the server's verifier and the signing oracle.

use clap::Args;

use super::{
    config::SecretEncoding,
    signature::{Described, imf_fixdate, parse_imf_fixdate, sign_described},
};
use crate::clock::Clock;

/// `sign portalio` arguments.
#[derive(Debug, Clone, Args)]
pub struct SignArgs {
    /// HTTP method, e.g. GET or POST.
    #[arg(long)]
    pub method: String,
    /// The absolute URL the client sends to (its query string is not signed).
    #[arg(long)]
    pub url: String,
    /// The exact Content-Type header (non-GET requests).
    #[arg(long)]
    pub content_type: Option<String>,
    /// X-MSS-CUSTOM-DATE as an IMF-fixdate; defaults to now.
    #[arg(long)]
    pub date: Option<String>,
    /// The Secret Key.
    #[arg(long)]
    pub secret: String,
    /// X-MSS-API-USERKEY (ignored for /authenticate/apikeyexchange).
    #[arg(long)]
    pub user_key: Option<String>,
    /// Which bytes key the HMAC.
    #[arg(long, value_enum, default_value_t = SecretEncoding::Utf8)]
    pub secret_encoding: SecretEncoding,
}

/// The text to print, or what is wrong with the arguments.
pub fn run(args: &SignArgs) -> Result<String, String> {
    let date = args.date.clone().unwrap_or_else(|| imf_fixdate(Clock::default().now()));
    if parse_imf_fixdate(&date).is_none() {
        return Err(format!("--date `{date}` is not an IMF-fixdate such as `Mon, 06 Apr 2026 00:22:19 GMT`"));
    }
    let described = Described {
        method: &args.method,
        url: &args.url,
        content_type: args.content_type.as_deref(),
        date: &date,
        user_key: args.user_key.as_deref(),
    };
    let (canonical, signature) = sign_described(&described, &args.secret, args.secret_encoding)?;
    Ok(format!("canonical string: {canonical}\nX-MSS-CUSTOM-DATE: {date}\nX-MSS-SIGNATURE: {signature}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_the_reference_exchange_vector() {
        let args = SignArgs {
            method: "get".into(),
            url: "https://sandbox.api.portal.io/authenticate/apikeyexchange?UserName=a%40b.c&Password=x".into(),
            content_type: None,
            date: Some("Mon, 06 Apr 2026 00:22:19 GMT".into()),
            secret: "dGVzdC1zZWNyZXQta2V5LTAxMjM0NTY3ODk=".into(),
            user_key: Some("ignored-on-the-exchange".into()),
            secret_encoding: SecretEncoding::Utf8,
        };
        let out = run(&args).unwrap();
        assert!(out.contains("canonical string: GEThttps://sandbox.api.portal.io/authenticate/apikeyexchangeMon, 06 Apr 2026 00:22:19 GMT\n"));
        assert!(out.ends_with("X-MSS-SIGNATURE: K6z6PeUlsYS1X7qjIaD8rRxTkQLK4M7SLWt+UprvoJM=\n"));
        let bad = SignArgs { date: Some("yesterday".into()), ..args };
        assert!(run(&bad).is_err());
    }
}
