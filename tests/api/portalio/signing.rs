//! The signature rules (CONTRACT §5.1): every refusal with its exact 401 body and
//! explain reason, the success next to it, the near-miss diagnosis, the skew window
//! on a frozen clock, addressing by prefix, host name, forwarded headers and
//! dedicated port, the flags, and the key exchange.

use axum::http::{Method, StatusCode};
use base64::{Engine, engine::general_purpose::STANDARD};
use vendor_emulator::Vendor;

use super::signer::{ALEX, Call, Client, DATE, FORM, NOW, UNAUTHORIZED, canonical, hmac_b64, message, reason};
use crate::helpers::{TestApp, send};

#[tokio::test]
async fn a_correctly_signed_request_passes_and_the_journal_shows_each_step() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.get(&app, "/public/users").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["usersCount"], 4);
    assert!(r.header("x-emulator-explain").is_none());
    let entry = app.journal_entry(&r).await;
    assert_eq!(entry["account"], "1001");
    let steps: Vec<&str> = entry["decision"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["headers", "accept", "app_id", "date", "signature", "user_key", "subscription"]);
}

#[tokio::test]
async fn the_reference_vector_k1_is_accepted_for_the_exchange_at_the_sandbox_url() {
    // Reference §3.6 row A: the fixture app's secret is the vector's secret.
    let app = TestApp::with_args(&["--portalio-public-base-url", "https://sandbox.api.portal.io"]);
    app.freeze_at(NOW).await;
    let client = Client::fixture(&app, ALEX).await;
    let mut call = Call::new(
        Method::GET,
        "/authenticate/apikeyexchange?UserName=alex%40brightwire.example&Password=Brightwire-Pass-1",
    );
    call.signature = Some("K6z6PeUlsYS1X7qjIaD8rRxTkQLK4M7SLWt+UprvoJM=".to_owned());
    let r = client.send(&app, call).await;
    assert_eq!(r.status, StatusCode::OK, "{} {:?}", r.text, r.header("x-emulator-explain"));
    assert_eq!(r.json["meta"]["apiKey"], client.user_key.as_str());
}

#[tokio::test]
async fn each_missing_header_is_the_401_naming_that_header() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    for header in ["Accept", "X-MSS-API-APPID", "X-MSS-API-USERKEY", "X-MSS-CUSTOM-DATE", "X-MSS-SIGNATURE"] {
        let mut call = Call::new(Method::GET, "/public/users");
        call.skip = vec![header];
        let r = client.send(&app, call).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{header}");
        assert_eq!(r.text, UNAUTHORIZED, "{header}");
        assert_eq!(reason(&r), format!("missing_header:{header}"));
    }
}

#[tokio::test]
async fn each_failure_reason_gets_the_same_401_body_and_its_own_explain() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let mut cases: Vec<(Call<'_>, &str)> = Vec::new();
    let mut c = Call::new(Method::GET, "/public/users");
    c.extra = vec![("accept", "text/html".into())];
    c.skip = vec!["accept"];
    cases.push((c, "not_acceptable"));
    let mut c = Call::new(Method::GET, "/public/users");
    c.date = "2026-04-06T00:22:19Z".into();
    cases.push((c, "bad_date"));
    let mut c = Call::new(Method::GET, "/public/users");
    c.date = "Monday, 06-Apr-26 00:22:19 GMT".into();
    cases.push((c, "bad_date"));
    let mut c = Call::new(Method::GET, "/public/users");
    c.signature = Some(STANDARD.encode([7u8; 32]));
    cases.push((c, "signature_mismatch"));
    let mut c = Call::new(Method::GET, "/public/users");
    c.user_key = Some("not-a-user-key".into());
    cases.push((c, "unknown_user_key"));
    let mut c = Call::new(Method::GET, "/public/users");
    c.user_key = Some(String::new());
    cases.push((c, "unknown_user_key"));
    for (call, expected) in cases {
        let r = client.send(&app, call).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{expected}: {}", r.text);
        assert_eq!(r.text, UNAUTHORIZED, "{expected}");
        assert_eq!(reason(&r), expected);
    }
    let stranger = Client { app_id: "app_unknown".into(), ..client.clone() };
    let r = stranger.get(&app, "/public/users").await;
    assert_eq!(
        (r.status, r.text.as_str(), reason(&r).as_str()),
        (StatusCode::UNAUTHORIZED, UNAUTHORIZED, "unknown_app_id")
    );
}

#[tokio::test]
async fn the_skew_window_holds_just_inside_and_refuses_just_outside_on_a_frozen_clock() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let at = |date: &str| {
        let mut c = Call::new(Method::GET, "/public/users");
        c.date = date.to_owned();
        c
    };
    // 300 s either way passes; 301 s does not.
    let r = client.send(&app, at("Mon, 06 Apr 2026 00:27:19 GMT")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.header("x-emulator-explain"));
    let r = client.send(&app, at("Mon, 06 Apr 2026 00:17:19 GMT")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = client.send(&app, at("Mon, 06 Apr 2026 00:27:20 GMT")).await;
    assert_eq!((r.status, r.text.as_str()), (StatusCode::UNAUTHORIZED, UNAUTHORIZED));
    assert_eq!(reason(&r), "clock_skew:+301s");
    let r = client.send(&app, at("Mon, 06 Apr 2026 00:15:27 GMT")).await;
    assert_eq!(reason(&r), "clock_skew:-412s");
    // Moving the clock moves the window.
    app.advance(600.0).await;
    let r = client.send(&app, at(DATE)).await;
    assert_eq!(reason(&r), "clock_skew:-600s");
    let r = client.send(&app, at("Mon, 06 Apr 2026 00:32:19 GMT")).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn max_skew_flag_narrows_the_window() {
    let app = TestApp::with_args(&["--portalio-max-skew-seconds", "10"]);
    let client = Client::alex(&app).await;
    let mut c = Call::new(Method::GET, "/public/users");
    c.date = "Mon, 06 Apr 2026 00:22:30 GMT".into();
    assert_eq!(reason(&client.send(&app, c).await), "clock_skew:+11s");
    let mut c = Call::new(Method::GET, "/public/users");
    c.date = "Mon, 06 Apr 2026 00:22:29 GMT".into();
    assert_eq!(client.send(&app, c).await.status, StatusCode::OK);
}

/// The request a client with one signing bug sends: (call, near-miss name).
fn near_misses(client: &Client) -> Vec<(Call<'static>, &'static str)> {
    let url = format!("{}/public/proposals", client.base);
    let key = client.user_key.as_str();
    let post = |message: String| {
        let mut c = Call::new(Method::POST, "/public/proposals").form("SalesPersonId=5001");
        c.message = Some(message);
        c
    };
    let mut out = vec![
        (post(canonical("POST", &format!("{url}/"), Some(FORM), DATE, Some(key))), "trailing_slash"),
        (post(canonical("post", &url, Some(FORM), DATE, Some(key))), "lowercase_method"),
        (post(canonical("POST", &url.replace("http://", "https://"), Some(FORM), DATE, Some(key))), "scheme"),
        (post(canonical("POST", &url.replace("localhost:8080", "localhost"), Some(FORM), DATE, Some(key))), "host"),
        (
            post(canonical("POST", "https://sandbox.api.portal.io/public/proposals", Some(FORM), DATE, Some(key))),
            "host",
        ),
        (post(canonical("POST", &url.replace("/portalio", ""), Some(FORM), DATE, Some(key))), "prefix_missing"),
        (post(format!("POST{url}{DATE}{key}")), "content_type_omitted"),
        (
            post(canonical("POST", &url, Some("application/x-www-form-urlencoded; charset=utf-8"), DATE, Some(key))),
            "content_type_charset",
        ),
        (post(canonical("POST", &url, Some(FORM), DATE, None)), "user_key_omitted"),
    ];
    let mut q = Call::new(Method::GET, "/public/proposals?PageNumber=1&PageSize=10");
    q.message = Some(canonical("GET", &format!("{url}?PageNumber=1&PageSize=10"), None, DATE, Some(key)));
    out.push((q, "query_string_signed"));
    let expected = canonical("POST", &url, Some(FORM), DATE, Some(key));
    let mut decoded = post(expected.clone());
    decoded.signature = Some(hmac_b64(&STANDARD.decode(&client.secret).unwrap(), &expected));
    out.push((decoded, "secret_base64_decoded"));
    let mut hex_out = post(expected.clone());
    let raw = STANDARD.decode(hmac_b64(client.secret.as_bytes(), &expected)).unwrap();
    hex_out.signature = Some(hex::encode(raw));
    out.push((hex_out, "hex_output"));
    out
}

#[tokio::test]
async fn each_signer_bug_is_named_as_a_near_miss_and_nothing_is_stored() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let before = client.get(&app, "/public/proposals").await.json["proposalCount"].clone();
    for (call, name) in near_misses(&client) {
        let r = client.send(&app, call).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(r.text, UNAUTHORIZED, "{name}");
        assert_eq!(reason(&r), format!("signature_mismatch near_miss:{name}"), "{:?}", r.header("x-emulator-explain"));
    }
    assert_eq!(client.get(&app, "/public/proposals").await.json["proposalCount"], before);
}

#[tokio::test]
async fn the_journal_entry_of_a_near_miss_holds_both_canonical_strings_and_never_the_secret() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let url = format!("{}/public/users", client.base);
    let mut call = Call::new(Method::GET, "/public/users");
    call.message = Some(canonical("GET", &format!("{url}/"), None, DATE, Some(&client.user_key)));
    let r = client.send(&app, call).await;
    let explain = r.header("x-emulator-explain").unwrap().to_owned();
    // The user key is a credential: the strings show `{X-MSS-API-USERKEY}` in its place.
    let expected = format!("GET{url}{DATE}{{X-MSS-API-USERKEY}}");
    assert!(explain.starts_with("signature_mismatch near_miss:trailing_slash; expected canonical string"), "{explain}");
    assert!(explain.contains(&expected), "{explain}");
    assert!(!explain.contains(&client.user_key), "{explain}");
    let entry = app.journal_entry(&r).await;
    let text = entry.to_string();
    assert!(!text.contains(&client.secret), "the secret never reaches the journal");
    assert!(!text.contains(&client.user_key), "nor the user key: {text}");
    let failed = entry["decision"].as_array().unwrap().iter().find(|s| s["outcome"] == "fail").unwrap();
    assert_eq!(failed["step"], "signature");
    let report = failed["detail"].as_str().unwrap();
    assert!(
        report.contains(&format!("Expected canonical string (what the emulator signed):\n  \"{expected}\"")),
        "{report}"
    );
    assert!(report.contains(&format!("matches this canonical string instead:\n  \"GET{url}/{DATE}")), "{report}");
    assert!(report.contains("trailing_slash: the URL you signed"), "{report}");
    // Both strings, apart, for the monitor page's side-by-side view.
    assert_eq!(failed["compared"]["expected"], expected.as_str());
    assert_eq!(failed["compared"]["received"], format!("GET{url}/{DATE}{{X-MSS-API-USERKEY}}"));
}

#[tokio::test]
async fn an_unexplained_mismatch_says_so_and_shows_the_expected_string() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let wrong = Client { secret: "some-other-secret".into(), ..client.clone() };
    let r = wrong.get(&app, "/public/users").await;
    assert_eq!(reason(&r), "signature_mismatch");
    assert!(r.header("x-emulator-explain").unwrap().contains("no known client mistake"));
    let entry = app.journal_entry(&r).await;
    let failed = entry["decision"].as_array().unwrap().iter().find(|s| s["outcome"] == "fail").unwrap();
    assert!(failed.get("compared").is_none(), "no near miss, nothing to compare: {failed}");
}

#[tokio::test]
async fn the_query_string_is_not_signed_by_default_and_also_accepted_with_the_flag() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.get(&app, "/public/proposals?PageNumber=1&PageSize=2").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.header("x-emulator-explain"));
    assert_eq!(r.json["proposals"].as_array().unwrap().len(), 2);

    let lenient = TestApp::with_args(&["--portalio-sign-query", "also"]);
    let client = Client::alex(&lenient).await;
    let url = format!("{}/public/proposals?PageNumber=1", client.base);
    let mut call = Call::new(Method::GET, "/public/proposals?PageNumber=1");
    call.message = Some(canonical("GET", &url, None, DATE, Some(&client.user_key)));
    assert_eq!(client.send(&lenient, call).await.status, StatusCode::OK);
    assert_eq!(client.get(&lenient, "/public/proposals?PageNumber=1").await.status, StatusCode::OK);
}

#[tokio::test]
async fn secret_encoding_base64_keys_the_hmac_with_the_decoded_bytes() {
    let app = TestApp::with_args(&["--portalio-secret-encoding", "base64"]);
    let client = Client::alex(&app).await;
    let r = client.get(&app, "/public/users").await;
    assert_eq!(reason(&r), "signature_mismatch near_miss:secret_utf8_bytes");
    let decoded = Client { secret: String::from_utf8(STANDARD.decode(&client.secret).unwrap()).unwrap(), ..client };
    assert_eq!(decoded.get(&app, "/public/users").await.status, StatusCode::OK);

    let either = TestApp::with_args(&["--portalio-secret-encoding", "either"]);
    let client = Client::alex(&either).await;
    assert_eq!(client.get(&either, "/public/users").await.status, StatusCode::OK);
}

#[tokio::test]
async fn host_name_addressing_signs_the_host_at_the_root_path() {
    let app = TestApp::new();
    let base = Client::alex(&app).await;
    let client = Client {
        base: "http://sandbox.api.portal.io".into(),
        prefix: String::new(),
        host: "sandbox.api.portal.io".into(),
        ..base.clone()
    };
    let r = client.get(&app, "/public/users").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.header("x-emulator-explain"));
    // Signing https while the emulator is reached over http is the scheme mistake...
    let https = Client { base: "https://sandbox.api.portal.io".into(), ..client.clone() };
    assert_eq!(reason(&https.get(&app, "/public/users").await), "signature_mismatch near_miss:scheme");
    // ...unless a TLS-terminating proxy says so.
    let mut call = Call::new(Method::GET, "/public/users");
    call.extra = vec![("x-forwarded-proto", "https".into())];
    assert_eq!(https.send(&app, call).await.status, StatusCode::OK);
}

#[tokio::test]
async fn forwarded_host_and_proto_are_what_the_client_signed() {
    let app = TestApp::new();
    let base = Client::alex(&app).await;
    let client = Client { base: "https://emulator.example.test/portalio".into(), ..base.clone() };
    let mut call = Call::new(Method::GET, "/public/users");
    call.extra = vec![("x-forwarded-proto", "https".into()), ("x-forwarded-host", "emulator.example.test".into())];
    assert_eq!(client.send(&app, call).await.status, StatusCode::OK);
    // The client signed the inner Host instead of the forwarded one.
    let mut call = Call::new(Method::GET, "/public/users");
    call.extra = vec![("x-forwarded-proto", "https".into()), ("x-forwarded-host", "emulator.example.test".into())];
    let inner = Client { base: "https://localhost:8080/portalio".into(), ..base };
    assert_eq!(reason(&inner.send(&app, call).await), "signature_mismatch near_miss:host");
}

#[tokio::test]
async fn a_dedicated_port_is_signed_with_its_own_host_and_no_prefix() {
    let app = TestApp::new();
    let base = Client::alex(&app).await;
    let client =
        Client { base: "http://127.0.0.1:9001".into(), prefix: String::new(), host: "127.0.0.1:9001".into(), ..base };
    let router = app
        .app
        .dedicated_router(Vendor::Portalio)
        .layer(axum::extract::connect_info::MockConnectInfo(std::net::SocketAddr::from(([127, 0, 0, 1], 40_001))));
    let r = send(router.clone(), client.request(Call::new(Method::GET, "/public/users"))).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.header("x-emulator-explain"));
    let prefixed = Client { base: "http://127.0.0.1:9001/portalio".into(), ..client };
    let r = send(router, prefixed.request(Call::new(Method::GET, "/public/users"))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn public_base_url_replaces_scheme_host_and_prefix() {
    let app = TestApp::with_args(&["--portalio-public-base-url", "https://api.portal.io/"]);
    let base = Client::alex(&app).await;
    let client = Client { base: "https://api.portal.io".into(), ..base.clone() };
    assert_eq!(client.get(&app, "/public/users").await.status, StatusCode::OK);
    // Signing what it sent to instead is a host near miss.
    assert_eq!(reason(&base.get(&app, "/public/users").await), "signature_mismatch near_miss:host");
}

#[tokio::test]
async fn the_exchange_returns_the_documented_fields_and_matches_parameter_names_in_any_case() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    for query in [
        "UserName=alex%40brightwire.example&Password=Brightwire-Pass-1",
        "username=ALEX%40brightwire.example&PASSWORD=Brightwire-Pass-1",
        "Username=alex%40brightwire.example&password=Brightwire-Pass-1",
    ] {
        let path = format!("/authenticate/apikeyexchange?{query}");
        let r = client.get(&app, &path).await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {} {:?}", r.text, r.header("x-emulator-explain"));
        assert_eq!(r.json["meta"]["apiKey"], client.user_key.as_str());
        assert_eq!(r.json["userId"], "5001");
        assert_eq!(r.json["userName"], "alex@brightwire.example");
        assert_eq!(r.json["displayName"], "Alex Johnson");
        for field in ["sessionId", "bearerToken", "refreshToken", "refreshTokenExpiry", "profileUrl"] {
            assert!(r.json[field].is_string(), "{field}");
        }
        assert_eq!(r.json["roles"][0], "Admin");
    }
    // The key it hands out works.
    let r = client.get(&app, "/public/users").await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn the_exchange_refuses_wrong_password_unknown_user_and_unverified_email_with_the_same_401() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    for (query, expected) in [
        ("UserName=alex%40brightwire.example&Password=wrong", "bad_credentials"),
        ("UserName=nobody%40example.com&Password=x", "bad_credentials"),
        ("UserName=sam%40brightwire.example&Password=Brightwire-Pass-2", "email_not_verified"),
    ] {
        let r = client.get(&app, &format!("/authenticate/apikeyexchange?{query}")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{query}");
        assert_eq!(r.text, UNAUTHORIZED);
        assert_eq!(reason(&r), expected);
    }
    let r = client.get(&app, "/authenticate/apikeyexchange?UserName=alex%40brightwire.example").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.text, message("The UserName and Password query parameters are required."));
    // The exchange signs without the user key: signing one in is a near miss.
    let mut call = Call::new(Method::GET, "/authenticate/apikeyexchange?UserName=a&Password=b");
    call.message = Some(format!("GET{}/authenticate/apikeyexchange{DATE}{}", client.base, client.user_key));
    assert_eq!(reason(&client.send(&app, call).await), "signature_mismatch");
}

#[tokio::test]
async fn unverified_users_are_401_and_inactive_subscriptions_402_on_every_public_route() {
    let app = TestApp::new();
    Client::alex(&app).await;
    let sam = Client::fixture(&app, "sam@brightwire.example").await;
    let r = sam.get(&app, "/public/users").await;
    assert_eq!((r.status, r.text.as_str()), (StatusCode::UNAUTHORIZED, UNAUTHORIZED));
    assert_eq!(reason(&r), "email_not_verified");
    let casey = Client::fixture(&app, "casey@brightwire.example").await;
    for path in ["/public/users", "/public/proposals", "/public/catalog"] {
        let r = casey.get(&app, path).await;
        assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED, "{path}");
        assert_eq!(r.text, message("An active Portal.io subscription is required."));
        assert_eq!(reason(&r), "subscription_inactive");
    }
    // The exchange itself still answers for them.
    let r = casey
        .get(&app, "/authenticate/apikeyexchange?UserName=casey%40brightwire.example&Password=Brightwire-Pass-4")
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn a_rotated_user_key_stops_working_and_the_new_one_works() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = app.admin(Method::POST, "/_emulator/portalio/users/5001/rotate-key", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let new_key = r.json["user_key"].as_str().unwrap().to_owned();
    assert_eq!(new_key.len(), 44);
    assert_eq!(reason(&client.get(&app, "/public/users").await), "unknown_user_key");
    let rotated = Client { user_key: new_key.clone(), ..client.clone() };
    assert_eq!(rotated.get(&app, "/public/users").await.status, StatusCode::OK);
    let r = client
        .get(&app, "/authenticate/apikeyexchange?UserName=alex%40brightwire.example&Password=Brightwire-Pass-1")
        .await;
    assert_eq!(r.json["meta"]["apiKey"], new_key.as_str());
}

#[tokio::test]
async fn a_non_ascii_signature_header_is_a_malformed_header_401() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let mut request = client.request(Call::new(Method::GET, "/public/users"));
    request.headers_mut().insert("x-mss-signature", axum::http::HeaderValue::from_bytes(b"\xff\xfe").unwrap());
    let r = app.send(request).await;
    assert_eq!((r.status, r.text.as_str()), (StatusCode::UNAUTHORIZED, UNAUTHORIZED));
    assert_eq!(reason(&r), "malformed_header:X-MSS-SIGNATURE");
}

#[tokio::test]
async fn the_exchange_password_never_reaches_the_journal() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    for query in [
        "UserName=alex%40brightwire.example&Password=Brightwire-Pass-1",
        "UserName=alex%40brightwire.example&password=Wrong%21Pass",
    ] {
        let r = client.get(&app, &format!("/authenticate/apikeyexchange?{query}")).await;
        let entry = app.journal_entry(&r).await;
        let recorded = entry["query"].as_str().unwrap();
        assert!(recorded.ends_with("assword=[redacted]"), "{recorded}");
        assert!(!entry.to_string().contains("Pass-1") && !entry.to_string().contains("Wrong"), "{entry}");
    }
}

#[tokio::test]
async fn a_host_alias_is_signed_like_a_real_host() {
    let app = TestApp::with_args(&["--host-alias", "portal.test=portalio"]);
    let base = Client::alex(&app).await;
    let client = Client {
        base: "http://portal.test:8080".into(),
        prefix: String::new(),
        host: "portal.test:8080".into(),
        ..base
    };
    let r = client.get(&app, "/public/users").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.header("x-emulator-explain"));
    let stale = Client { base: "http://portal.test:8080/portalio".into(), ..client };
    assert_eq!(reason(&stale.get(&app, "/public/users").await), "signature_mismatch");
}

#[tokio::test]
async fn every_kind_of_refusal_leaves_its_failing_step_in_the_journal() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let casey = Client::fixture(&app, "casey@brightwire.example").await;
    let morgan = Client::fixture(&app, "morgan@brightwire.example").await;
    let refusals = [
        (casey.get(&app, "/public/users").await, 402, "subscription", "subscription_inactive"),
        (morgan.get(&app, "/public/catalog").await, 403, "catalog_access", "forbidden"),
        (client.get(&app, "/public/proposals/4242").await, 404, "not_found", "not_found"),
        (client.post_form(&app, "/public/proposals/1044", "Name=x").await, 409, "conflict", "conflict"),
        (client.post_form(&app, "/public/proposals/1042/area", "").await, 400, "validation", "validation"),
    ];
    for (response, status, step, explain) in refusals {
        assert_eq!(response.status.as_u16(), status, "{}", response.text);
        assert_eq!(reason(&response), explain);
        let entry = app.journal_entry(&response).await;
        assert_eq!(entry["status"], status);
        assert_eq!(entry["vendor"], "portalio");
        assert_eq!(entry["account"], "1001");
        let failed: Vec<&str> = entry["decision"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["outcome"] == "fail")
            .map(|s| s["step"].as_str().unwrap())
            .collect();
        assert_eq!(failed, [step], "{entry}");
    }
}
