//! Allowed origins (seed: "Allowed origins"; CONTRACT §5.3).
//!
//! A key's rules are IP addresses, CIDR ranges (parsed with `ipnet`) or domain
//! names. The request's origin is its client IP (the left-most `X-Forwarded-For`
//! entry, else the socket peer unless `--holm-ignore-socket-ip`) and the host of
//! `Origin`, or of `Referer` when `Origin` is absent. An IP or CIDR rule matches
//! the client IP; a domain rule matches that host, exactly or, for a `*.` rule,
//! any subdomain. A key's rules admit a request when any rule matches.
//!
//! The four rows of the seed's table, applied at creation and on every use:
//!
//! | rules? | origin available? | creation | use |
//! |---|---|---|---|
//! | no | yes | locked to the client IP | IP checked |
//! | no | no | no IP lock, with a warning | anything goes |
//! | yes | yes | only when a rule matches | IP lock and rules checked |
//! | yes | no | 403 | (never created) |

use std::{fmt, net::IpAddr};

use axum::http::{HeaderMap, header};
use ipnet::IpNet;
use serde::{Serialize, Serializer};

use crate::journal::client_ip;

/// One allowed-origin rule of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginRule {
    Ip(IpAddr),
    Cidr(IpNet),
    /// Lower-case host name; `*.example.com` matches every subdomain of example.com.
    Domain(String),
}

impl OriginRule {
    /// Parses an address (`203.0.113.7`, `2001:db8::1`), a range (`203.0.113.0/24`)
    /// or a host name (`partner.example.com`, `*.example.com`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("an allowed origin is empty".into());
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(OriginRule::Ip(ip));
        }
        if text.contains('/') {
            return text
                .parse::<IpNet>()
                .map(|net| OriginRule::Cidr(net.trunc()))
                .map_err(|_| format!("`{text}` is not an IP address, CIDR range or domain"));
        }
        let domain = text.to_ascii_lowercase();
        let bare = domain.strip_prefix("*.").unwrap_or(&domain);
        if is_host_name(bare) {
            Ok(OriginRule::Domain(domain))
        } else {
            Err(format!("`{text}` is not an IP address, CIDR range or domain"))
        }
    }

    pub fn matches(&self, origin: &ClientOrigin) -> bool {
        match self {
            OriginRule::Ip(ip) => origin.ip.is_some_and(|at| canonical(at) == canonical(*ip)),
            OriginRule::Cidr(net) => origin.ip.is_some_and(|at| net.contains(&canonical(at))),
            OriginRule::Domain(domain) => origin.host.as_deref().is_some_and(|host| match domain.strip_prefix("*.") {
                Some(parent) => host.strip_suffix(parent).is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
                None => host == domain,
            }),
        }
    }
}

impl fmt::Display for OriginRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginRule::Ip(ip) => write!(f, "{ip}"),
            OriginRule::Cidr(net) => write!(f, "{net}"),
            OriginRule::Domain(domain) => f.write_str(domain),
        }
    }
}

impl Serialize for OriginRule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Parses a list of rules, naming the first bad one.
pub fn parse_rules(list: &[String]) -> Result<Vec<OriginRule>, String> {
    list.iter().map(|text| OriginRule::parse(text)).collect()
}

/// IPv4-mapped IPv6 addresses compare as the IPv4 address they carry.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn is_host_name(text: &str) -> bool {
    text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && text.bytes().any(|b| b.is_ascii_alphabetic())
}

/// Where a request comes from, as far as the allowed-origin rules can tell.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientOrigin {
    /// The left-most `X-Forwarded-For` entry, else the socket peer (unless ignored).
    pub ip: Option<IpAddr>,
    /// The host of `Origin`, or of `Referer` when `Origin` is absent.
    pub host: Option<String>,
}

impl ClientOrigin {
    pub fn of_request(headers: &HeaderMap, peer: Option<IpAddr>, ignore_socket_ip: bool) -> Self {
        let ip = client_ip(headers, if ignore_socket_ip { None } else { peer });
        let header_host = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).and_then(url_host);
        let host = if headers.contains_key(header::ORIGIN) {
            header_host(header::ORIGIN)
        } else {
            header_host(header::REFERER)
        };
        Self { ip, host }
    }

    /// Seed: whether "the request origin can be determined".
    pub fn is_available(&self) -> bool {
        self.ip.is_some() || self.host.is_some()
    }

    /// For explanations: `ip 203.0.113.5, host app.example` or `none`.
    pub fn describe(&self) -> String {
        match (&self.ip, &self.host) {
            (Some(ip), Some(host)) => format!("ip {ip}, host {host}"),
            (Some(ip), None) => format!("ip {ip}"),
            (None, Some(host)) => format!("host {host}"),
            (None, None) => "none".to_owned(),
        }
    }
}

/// The host of an absolute URL (`https://a.example:8443/x` → `a.example`); `None`
/// for `null` or anything without a host.
fn url_host(url: &str) -> Option<String> {
    let rest = url.trim().split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host =
        if let Some(v6) = authority.strip_prefix('[') { v6.split(']').next()? } else { authority.split(':').next()? };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// What the rules said about a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The key has no rules.
    NoRules,
    /// This rule matched.
    Matched(String),
    /// The key has rules but the request carries no origin (seed table, last row).
    Unavailable,
    /// The key has rules and none matched.
    NoMatch,
}

/// Applies a key's rules to a request's origin.
pub fn check(rules: &[OriginRule], origin: &ClientOrigin) -> Verdict {
    if rules.is_empty() {
        return Verdict::NoRules;
    }
    if !origin.is_available() {
        return Verdict::Unavailable;
    }
    rules.iter().find(|rule| rule.matches(origin)).map_or(Verdict::NoMatch, |rule| Verdict::Matched(rule.to_string()))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn origin(ip: Option<&str>, host: Option<&str>) -> ClientOrigin {
        ClientOrigin { ip: ip.map(|i| i.parse().unwrap()), host: host.map(str::to_owned) }
    }

    #[test]
    fn rules_parse_addresses_ranges_and_domains() {
        assert_eq!(OriginRule::parse("203.0.113.7").unwrap(), OriginRule::Ip("203.0.113.7".parse().unwrap()));
        assert_eq!(OriginRule::parse("203.0.113.9/24").unwrap().to_string(), "203.0.113.0/24");
        assert_eq!(OriginRule::parse(" Partner.Example.COM ").unwrap().to_string(), "partner.example.com");
        assert_eq!(OriginRule::parse("*.example.com").unwrap().to_string(), "*.example.com");
        assert!(OriginRule::parse("2001:db8::/32").is_ok());
        for bad in ["", "300.1.1.1/8", "10.0.0.0/33", "exa mple.com", "-bad.example", "https://a.example", "1.2.3"] {
            assert!(OriginRule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ip_and_cidr_rules_match_the_client_ip_only() {
        let cidr = OriginRule::parse("203.0.113.0/24").unwrap();
        assert!(cidr.matches(&origin(Some("203.0.113.200"), None)));
        assert!(!cidr.matches(&origin(Some("203.0.114.1"), None)));
        assert!(!cidr.matches(&origin(None, Some("203.0.113.5"))));
        let ip = OriginRule::parse("198.51.100.7").unwrap();
        assert!(ip.matches(&origin(Some("::ffff:198.51.100.7"), None)));
        assert!(!ip.matches(&origin(Some("198.51.100.8"), None)));
    }

    #[test]
    fn domain_rules_match_exactly_or_by_wildcard() {
        let exact = OriginRule::parse("partner.example.com").unwrap();
        assert!(exact.matches(&origin(None, Some("partner.example.com"))));
        assert!(!exact.matches(&origin(None, Some("evil-partner.example.com"))));
        assert!(!exact.matches(&origin(None, Some("a.partner.example.com"))));
        let wild = OriginRule::parse("*.example.com").unwrap();
        assert!(wild.matches(&origin(None, Some("a.example.com"))));
        assert!(!wild.matches(&origin(None, Some("example.com"))));
        assert!(!wild.matches(&origin(None, Some("badexample.com"))));
    }

    #[test]
    fn origin_prefers_origin_over_referer_and_forwarded_for_over_the_socket() {
        let mut headers = HeaderMap::new();
        headers.insert("referer", HeaderValue::from_static("https://ref.example/page?q=1"));
        let peer = Some("10.0.0.1".parse().unwrap());
        assert_eq!(ClientOrigin::of_request(&headers, peer, false), origin(Some("10.0.0.1"), Some("ref.example")));
        headers.insert("origin", HeaderValue::from_static("https://App.Example:8443"));
        headers.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.5, 10.0.0.9"));
        assert_eq!(ClientOrigin::of_request(&headers, peer, true), origin(Some("203.0.113.5"), Some("app.example")));
        let mut null_origin = HeaderMap::new();
        null_origin.insert("origin", HeaderValue::from_static("null"));
        null_origin.insert("referer", HeaderValue::from_static("https://ref.example/"));
        assert_eq!(ClientOrigin::of_request(&null_origin, peer, true), origin(None, None));
    }

    #[test]
    fn the_verdict_follows_the_seed_table() {
        let rules = vec![OriginRule::parse("203.0.113.0/24").unwrap(), OriginRule::parse("app.example").unwrap()];
        assert_eq!(check(&[], &origin(None, None)), Verdict::NoRules);
        assert_eq!(check(&rules, &origin(None, None)), Verdict::Unavailable);
        assert_eq!(check(&rules, &origin(Some("198.51.100.1"), None)), Verdict::NoMatch);
        assert_eq!(
            check(&rules, &origin(Some("198.51.100.1"), Some("app.example"))),
            Verdict::Matched("app.example".into())
        );
        assert_eq!(check(&rules, &origin(Some("203.0.113.4"), None)), Verdict::Matched("203.0.113.0/24".into()));
    }
}

/// Property tests: allowed-origin entries, `X-Forwarded-For`, `Origin` and `Referer`
/// of any bytes parse or are refused without panicking; an IP rule matches its
/// address, a CIDR rule every address it contains, a domain rule its host.
#[cfg(test)]
mod proptests {
    use std::net::{IpAddr, Ipv4Addr};

    use axum::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..60),
            "(https?|null|ftp)?(://)?[a-zA-Z0-9.:@\\[\\]-]{0,30}(/[ -~]{0,10})?".prop_map(String::into_bytes),
            "[0-9a-f.:, ]{0,40}".prop_map(String::into_bytes),
        ]
    }

    proptest! {
        #![proptest_config(crate::testing::cases(256))]

        #[test]
        fn rules_of_any_text_parse_or_are_refused(text in prop_oneof![".{0,40}", "[0-9a-f.:/*]{0,40}", "(\\*\\.)?[a-z0-9-]{1,10}(\\.[a-z0-9-]{1,10}){0,3}"]) {
            if let Ok(rule) = OriginRule::parse(&text) {
                // What a rule shows parses back to the same rule.
                prop_assert_eq!(OriginRule::parse(&rule.to_string()), Ok(rule));
            }
        }

        #[test]
        fn any_origin_headers_give_an_origin(
            forwarded in header_bytes(),
            origin in proptest::option::of(header_bytes()),
            referer in proptest::option::of(header_bytes()),
            peer in proptest::option::of(any::<IpAddr>()),
            ignore in any::<bool>(),
            rules in proptest::collection::vec("[0-9a-z.:/*-]{1,20}", 0..4),
        ) {
            let mut headers = HeaderMap::new();
            for (name, value) in [("x-forwarded-for", Some(forwarded)), ("origin", origin), ("referer", referer)] {
                if let Some(Ok(value)) = value.map(|v| HeaderValue::from_bytes(&v)) {
                    headers.insert(name, value);
                }
            }
            let found = ClientOrigin::of_request(&headers, peer, ignore);
            let _ = found.describe();
            let rules: Vec<OriginRule> = rules.iter().filter_map(|r| OriginRule::parse(r).ok()).collect();
            let verdict = check(&rules, &found);
            if let Verdict::Matched(rule) = verdict {
                prop_assert!(rules.iter().any(|r| r.to_string() == rule && r.matches(&found)));
            }
        }

        #[test]
        fn cidr_rules_match_exactly_the_addresses_they_contain(a in any::<u32>(), b in any::<u32>(), bits in 0u8..=32) {
            let rule = OriginRule::parse(&format!("{}/{bits}", Ipv4Addr::from(a))).unwrap();
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            let inside = a & mask == b & mask;
            let at = |ip: IpAddr| ClientOrigin { ip: Some(ip), host: None };
            prop_assert_eq!(rule.matches(&at(IpAddr::V4(Ipv4Addr::from(b)))), inside);
            // The IPv4-mapped IPv6 form of an address is the same client.
            prop_assert_eq!(rule.matches(&at(IpAddr::V6(Ipv4Addr::from(b).to_ipv6_mapped()))), inside);
            let exact = OriginRule::parse(&Ipv4Addr::from(a).to_string()).unwrap();
            prop_assert!(exact.matches(&at(IpAddr::V6(Ipv4Addr::from(a).to_ipv6_mapped()))));
        }

        #[test]
        fn domain_rules_match_their_host_and_wildcards_only_subdomains(
            labels in proptest::collection::vec("[a-z][a-z0-9-]{0,8}[a-z0-9]", 2..4),
            sub in "[a-z][a-z0-9]{0,8}",
        ) {
            let domain = labels.join(".");
            let at = |host: &str| ClientOrigin { ip: None, host: Some(host.to_owned()) };
            let exact = OriginRule::parse(&domain).unwrap();
            let wild = OriginRule::parse(&format!("*.{domain}")).unwrap();
            let subdomain = format!("{sub}.{domain}");
            prop_assert!(exact.matches(&at(&domain)));
            prop_assert!(!exact.matches(&at(&subdomain)));
            prop_assert!(wild.matches(&at(&subdomain)));
            prop_assert!(!wild.matches(&at(&domain)));
            let glued = format!("{sub}{domain}");
            prop_assert!(!wild.matches(&at(&glued)));
        }
    }
}
