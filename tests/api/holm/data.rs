//! The partner data routes: me, MSSP and reseller reports, customers, with their
//! query validation and Stockholm periods around a DST change.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::support::*;
use crate::helpers::TestApp;

async fn app_with_session(key: &str) -> (TestApp, String) {
    let app = TestApp::with_args(&["--holm-requests-per-second", "0"]);
    app.freeze_at("2026-06-10T10:00:00Z").await;
    let token = open(&app, NORDSEC_ORG_KEY, key, &[]).await;
    (app, token)
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let r = call(app, token, Method::GET, path, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.json
}

#[tokio::test]
async fn me_names_the_partner_the_key_and_its_scopes() {
    let (app, token) = app_with_session(DEV_KEY).await;
    let me = get(&app, &token, "/v1/me").await;
    assert_eq!(
        me,
        json!({
            "partner": {"id": "org_nordsec", "name": "Nordsec Partners AB"},
            "partnership": {"id": "ps_nordsec_mssp", "type": "mssp"},
            "api_key": {"name": "Local development", "prefix": "hsp_NsDe"},
            "scopes": ["me:read", "mssp-report:read", "customers:read"],
        })
    );
}

#[tokio::test]
async fn mssp_periods_run_26th_to_25th_up_to_the_current_one() {
    let (app, token) = app_with_session(DEV_KEY).await;
    let periods = get(&app, &token, "/v1/mssp-report/periods").await["periods"].as_array().unwrap().clone();
    assert_eq!(periods.first().unwrap()["id"], "2025-01");
    assert_eq!(periods.len(), 18, "2025-01 … 2026-06");
    let current = periods.last().unwrap();
    assert_eq!(
        current,
        &json!({"id": "2026-06", "start_date": "2026-05-26", "end_date": "2026-06-25",
            "starts_at": "2026-05-26T00:00:00+02:00", "ends_at": "2026-06-26T00:00:00+02:00", "status": "open"})
    );
    assert_eq!(periods[11]["start_date"], "2025-11-26");
    assert_eq!(periods[11]["end_date"], "2025-12-25");
    assert_eq!(periods[11]["status"], "closed");
}

#[tokio::test]
async fn the_current_period_turns_at_stockholm_midnight_around_the_dst_change() {
    let app = TestApp::with_args(&["--holm-requests-per-second", "0"]);
    app.freeze_at("2026-03-25T22:59:59Z").await;
    let mssp = open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    let last = |v: Value| v["periods"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last(get(&app, &mssp, "/v1/mssp-report/periods").await)["id"],
        "2026-03",
        "23:59:59 on the 25th in Stockholm"
    );
    app.advance(1.0).await;
    let april = last(get(&app, &mssp, "/v1/mssp-report/periods").await);
    assert_eq!(april["id"], "2026-04", "00:00 on the 26th in Stockholm (+01:00)");
    assert_eq!(april["starts_at"], "2026-03-26T00:00:00+01:00");
    assert_eq!(april["ends_at"], "2026-04-26T00:00:00+02:00", "Sweden is on summer time by the period's end");
    // The reseller month turns at local midnight too: 2026-03-31T22:00Z is April 1st in Stockholm (+02:00).
    app.freeze_at("2026-03-31T21:59:59Z").await;
    let reseller = open(&app, NORDSEC_ORG_KEY, RESELL_KEY, &[]).await;
    assert_eq!(last(get(&app, &reseller, "/v1/reseller-report/periods").await)["id"], "2026-03");
    app.advance(1.0).await;
    let month = last(get(&app, &reseller, "/v1/reseller-report/periods").await);
    assert_eq!(month["id"], "2026-04");
    assert_eq!((month["start_date"].clone(), month["end_date"].clone()), (json!("2026-04-01"), json!("2026-04-30")));
    assert_eq!(month["starts_at"], "2026-04-01T00:00:00+02:00");
}

#[tokio::test]
async fn usage_is_peak_per_company_and_product_with_totals_and_filters() {
    let (app, token) = app_with_session(DEV_KEY).await;
    let usage = get(&app, &token, "/v1/mssp-report/usage?period=2026-01").await;
    assert_eq!(usage["period"]["start_date"], "2025-12-26");
    let companies = usage["companies"].as_array().unwrap();
    assert_eq!(companies.len(), 5, "{usage}");
    for product in ["SNS", "DA", "WAS", "CS", "PAT"] {
        let sum: u64 = companies.iter().filter_map(|c| c["usage"][product].as_u64()).sum();
        assert_eq!(usage["totals"][product].as_u64(), Some(sum), "{product}");
    }
    // Fjordline (cus_ns_02) has no CS subscription, so no CS usage.
    let fjordline = companies.iter().find(|c| c["id"] == "cus_ns_02").unwrap();
    assert!(fjordline["usage"].get("CS").is_none(), "{fjordline}");
    let one = get(&app, &token, "/v1/mssp-report/usage?period=2026-01&company_id=cus_ns_01&product=SNS").await;
    assert_eq!(one["companies"].as_array().unwrap().len(), 1);
    assert_eq!(one["totals"], json!({ "SNS": one["companies"][0]["usage"]["SNS"] }));
    let companies = get(&app, &token, "/v1/mssp-report/companies?period=2026-01").await;
    assert_eq!(companies["companies"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn bad_query_values_are_400_and_unknown_ones_404() {
    let (app, token) = app_with_session(DEV_KEY).await;
    let bad_period = error_body("invalid_request", "Query parameter 'period' must be a period id in YYYY-MM format.");
    let cases = [
        ("/v1/mssp-report/usage?period=2026-1", StatusCode::BAD_REQUEST, bad_period.clone()),
        ("/v1/mssp-report/companies?period=January", StatusCode::BAD_REQUEST, bad_period.clone()),
        ("/v1/mssp-report/usage?period=2026-13", StatusCode::BAD_REQUEST, bad_period),
        (
            "/v1/mssp-report/usage?product=XYZ",
            StatusCode::BAD_REQUEST,
            error_body("invalid_request", "Query parameter 'product' must be one of SNS, DA, WAS, CS, PAT."),
        ),
        ("/v1/mssp-report/usage?period=2024-01", StatusCode::NOT_FOUND, error_body("not_found", "Period not found.")),
        ("/v1/mssp-report/usage?period=2026-07", StatusCode::NOT_FOUND, error_body("not_found", "Period not found.")),
        (
            "/v1/mssp-report/usage?company_id=cus_nr_01",
            StatusCode::NOT_FOUND,
            error_body("not_found", "Company not found."),
        ),
        ("/v1/customers/cus_bt_01", StatusCode::NOT_FOUND, error_body("not_found", "Customer not found.")),
        ("/v1/customers/nope/engagement", StatusCode::NOT_FOUND, error_body("not_found", "Customer not found.")),
        (
            "/v1/customers/cus_ns_01/engagement?from=2026-13-01",
            StatusCode::BAD_REQUEST,
            error_body("invalid_request", "Query parameter 'from' must be a date in YYYY-MM-DD format."),
        ),
        (
            "/v1/customers/cus_ns_01/engagement?from=2026-05-01&to=2026-04-01",
            StatusCode::BAD_REQUEST,
            error_body("invalid_request", "Query parameter 'from' must not be after 'to'."),
        ),
    ];
    for (path, status, body) in cases {
        let r = call(&app, &token, Method::GET, path, &[]).await;
        assert_eq!(r.status, status, "{path}: {}", r.text);
        assert_eq!(r.text, body, "{path}");
    }
}

#[tokio::test]
async fn customers_engagement_and_churn_risk_are_the_partnerships_own() {
    let (app, token) = app_with_session(DEV_KEY).await;
    let customers = get(&app, &token, "/v1/customers").await;
    let ids: Vec<&str> = customers["customers"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["cus_ns_01", "cus_ns_02", "cus_ns_03", "cus_ns_04", "cus_ns_05"]);
    let one = get(&app, &token, "/v1/customers/cus_ns_02").await;
    assert_eq!(one["products"], json!(["SNS", "DA", "WAS"]));
    assert_eq!(one["partnership_type"], "mssp");
    let engagement = get(&app, &token, "/v1/customers/cus_ns_02/engagement?from=2026-05-01&to=2026-05-31").await;
    let points = engagement["points"].as_array().unwrap();
    assert_eq!(points.len(), 4, "weekly samples in May 2026: {engagement}");
    assert!(points.iter().all(|p| p["cs_scans"].is_null() && p["pat_assessments"].is_null()), "not subscribed: null");
    assert!(points.iter().all(|p| p["sns_scans"].is_u64()));
    let future = get(&app, &token, "/v1/customers/cus_ns_02/engagement?from=2026-06-01&to=2026-12-31").await;
    assert!(
        future["points"].as_array().unwrap().iter().all(|p| p["date"].as_str().unwrap() <= "2026-06-10"),
        "no future samples"
    );
    let churn = get(&app, &token, "/v1/customers/cus_ns_02/churn-risk").await;
    assert_eq!(churn["as_of"], "2026-06-10");
    let inactive =
        churn["indicators"].as_array().unwrap().iter().find(|i| i["type"] == "inactive_product_usage").unwrap();
    assert_eq!((inactive["product"].clone(), inactive["severity"].clone()), (json!("DA"), json!("low")));
}

#[tokio::test]
async fn the_reseller_report_uses_calendar_months_and_reseller_customers_carry_their_contract() {
    let app = TestApp::with_args(&["--holm-requests-per-second", "0"]);
    app.freeze_at("2026-06-10T10:00:00Z").await;
    let origin = [("origin", "https://dashboard.nordsec.example")];
    let token = open(&app, NORDSEC_ORG_KEY, DASH_KEY, &origin).await;
    let get = |path: &'static str| {
        let (app, token) = (&app, token.clone());
        async move {
            let r = call(app, &token, Method::GET, path, &origin).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
            r.json
        }
    };
    let usage = get("/v1/reseller-report/usage?period=2026-02").await;
    assert_eq!(
        (usage["period"]["start_date"].clone(), usage["period"]["end_date"].clone()),
        (json!("2026-02-01"), json!("2026-02-28"))
    );
    let ids: Vec<&str> = usage["companies"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["cus_nr_01", "cus_nr_02", "cus_nr_03", "cus_nr_04"]);
    let companies = get("/v1/reseller-report/companies").await;
    assert_eq!(companies["period"]["id"], "2026-06");
    let customer = get("/v1/customers/cus_nr_02").await;
    assert_eq!(customer["partnership_type"], "reseller");
    assert_eq!(customer["contract"], json!({"acv": 27865, "currency": "EUR", "renewal_date": "2026-07-28"}));
    assert_eq!(customer["licenses"], json!({"SNS": 94, "WAS": 12, "CS": 114}));
    let churn = get("/v1/customers/cus_nr_02/churn-risk").await;
    let renewal =
        churn["indicators"].as_array().unwrap().iter().find(|i| i["type"] == "contract_renewal").unwrap().clone();
    assert_eq!(renewal["severity"], "medium", "renews within 3 months, not within 1: {churn}");
    let mssp_customer = call(&app, &token, Method::GET, "/v1/customers/cus_ns_01", &origin).await;
    assert_eq!(mssp_customer.status, StatusCode::NOT_FOUND, "another partnership's customer");
}
