//! The per-session rate limit on a frozen clock, scopes, and both limits under
//! real parallel load on a multi-threaded runtime.

use axum::http::{Method, StatusCode};
use futures_like::join_all;

use super::support::*;
use crate::helpers::{TestApp, request, send};

/// `futures::future::join_all` without the dependency: spawn every task, await each.
mod futures_like {
    pub async fn join_all<T: Send + 'static>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
        let mut out = Vec::with_capacity(tasks.len());
        for task in tasks {
            out.push(task.await.expect("task"));
        }
        out
    }
}

#[tokio::test]
async fn the_second_request_within_a_second_is_429_with_the_exact_wait() {
    let app = TestApp::new();
    app.freeze_at("2026-06-01T10:00:00Z").await;
    let token = open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    let first = call(&app, &token, Method::GET, "/v1/me", &[]).await;
    assert_eq!(first.status, StatusCode::OK, "creating the session did not use the budget: {}", first.text);
    for (advance, wait, retry_after) in [(0.0, 1000, "1"), (0.25, 750, "1"), (0.5, 250, "1"), (0.249, 1, "1")] {
        app.advance(advance).await;
        let r = call(&app, &token, Method::GET, "/v1/me", &[]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.text, rate_limited(wait));
        assert_eq!(r.header("retry-after"), Some(retry_after));
        assert_eq!(reason(&r), "rate_limited");
    }
    app.advance(0.001).await;
    assert_eq!(
        call(&app, &token, Method::GET, "/v1/me", &[]).await.status,
        StatusCode::OK,
        "refusals were not counted"
    );
    app.advance(0.3).await;
    assert_eq!(call(&app, &token, Method::GET, "/v1/me", &[]).await.text, rate_limited(700));
}

#[tokio::test]
async fn the_budget_is_per_session_and_refused_requests_do_not_spend_it() {
    let app = TestApp::new();
    app.freeze_at("2026-06-01T10:00:00Z").await;
    let billing = open(&app, NORDSEC_ORG_KEY, BILLING_KEY, &[("x-forwarded-for", "198.51.100.7")]).await;
    let xff = [("x-forwarded-for", "198.51.100.7")];
    let scope = call(&app, &billing, Method::GET, "/v1/customers", &xff).await;
    assert_eq!(scope.status, StatusCode::FORBIDDEN);
    assert_eq!(scope.text, insufficient_scope("customers:read"));
    let mismatch = call(&app, &billing, Method::GET, "/v1/me", &[("x-forwarded-for", "198.51.100.8")]).await;
    assert_eq!(mismatch.status, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&app, &billing, Method::GET, "/v1/me", &xff).await.status, StatusCode::OK);
    let other = open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    assert_eq!(
        call(&app, &other, Method::GET, "/v1/me", &[]).await.status,
        StatusCode::OK,
        "another session, another budget"
    );
    assert_eq!(call(&app, &billing, Method::GET, "/v1/me", &xff).await.text, rate_limited(1000));
}

#[tokio::test]
async fn requests_per_second_is_configurable_and_zero_turns_it_off() {
    let app = TestApp::with_args(&["--holm-requests-per-second", "3"]);
    app.freeze_at("2026-06-01T10:00:00Z").await;
    let token = open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    for _ in 0..3 {
        assert_eq!(call(&app, &token, Method::GET, "/v1/me", &[]).await.status, StatusCode::OK);
    }
    assert_eq!(call(&app, &token, Method::GET, "/v1/me", &[]).await.text, rate_limited(1000));
    let off = TestApp::with_args(&["--holm-requests-per-second", "0"]);
    off.freeze_at("2026-06-01T10:00:00Z").await;
    let token = open(&off, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    for _ in 0..50 {
        assert_eq!(call(&off, &token, Method::GET, "/v1/me", &[]).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn scopes_follow_the_partnership_and_the_customers_toggle() {
    let app = TestApp::with_args(&["--holm-requests-per-second", "0"]);
    let mssp = open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    let reseller = open(&app, NORDSEC_ORG_KEY, RESELL_KEY, &[]).await;
    let cases = [
        (&mssp, "/v1/reseller-report/periods", Some("reseller-report:read")),
        (&mssp, "/v1/reseller-report/usage", Some("reseller-report:read")),
        (&mssp, "/v1/mssp-report/periods", None),
        (&mssp, "/v1/customers", None),
        (&reseller, "/v1/mssp-report/companies", Some("mssp-report:read")),
        (&reseller, "/v1/customers", Some("customers:read")),
        (&reseller, "/v1/customers/cus_nr_01/churn-risk", Some("customers:read")),
        (&reseller, "/v1/reseller-report/periods", None),
        (&reseller, "/v1/me", None),
    ];
    for (token, path, missing) in cases {
        let r = call(&app, token, Method::GET, path, &[]).await;
        match missing {
            Some(scope) => {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
                assert_eq!(r.text, insufficient_scope(scope), "{path}");
                assert_eq!(reason(&r), "insufficient_scope");
            }
            None => assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_30_simultaneous_creations_on_a_fresh_organization_exactly_5_succeed() {
    let app = TestApp::new();
    for round in 0..15 {
        let (org_id, org_key, api_key) = fresh_org(&app, any_origin_key()).await;
        let body = serde_json::json!({ "organizer_key": org_key, "api_key": api_key });
        let tasks = (0..30)
            .map(|_| {
                let (router, body) = (app.router(), body.clone());
                tokio::spawn(async move {
                    send(router, request(Method::POST, "/holm/v1/auth/session", Some(body), &[])).await
                })
            })
            .collect();
        let results = join_all(tasks).await;
        let created = results.iter().filter(|r| r.status == StatusCode::CREATED).count();
        let refused: Vec<_> = results.iter().filter(|r| r.status == StatusCode::CONFLICT).collect();
        assert_eq!((created, refused.len()), (5, 25), "round {round}");
        assert!(refused.iter().all(|r| r.text == session_limit()));
        assert_eq!(sessions_of(&app, &org_id).await.len(), 5, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_20_simultaneous_requests_on_a_fresh_session_exactly_1_passes() {
    let app = TestApp::new();
    app.freeze_at("2026-06-01T10:00:00Z").await;
    let (_, org_key, api_key) = fresh_org(&app, any_origin_key()).await;
    for round in 0..25 {
        let token = open(&app, &org_key, &api_key, &[]).await;
        let tasks = (0..20)
            .map(|_| {
                let (router, token) = (app.router(), token.clone());
                tokio::spawn(async move { call_via(router, &token, Method::GET, "/v1/me", &[]).await })
            })
            .collect();
        let results = join_all(tasks).await;
        let passed = results.iter().filter(|r| r.status == StatusCode::OK).count();
        let limited: Vec<_> = results.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).collect();
        assert_eq!((passed, limited.len()), (1, 19), "round {round}");
        assert!(limited.iter().all(|r| r.text == rate_limited(1000)), "frozen clock: the full second");
        assert_eq!(
            call(&app, &token, Method::DELETE, "/v1/auth/session", &[]).await.status,
            StatusCode::TOO_MANY_REQUESTS
        );
        app.advance(1.0).await;
        assert_eq!(call(&app, &token, Method::DELETE, "/v1/auth/session", &[]).await.status, StatusCode::NO_CONTENT);
    }
}
