//! Propal media (signed-URL upload, list, delete) and metrics, through the main
//! listener. Fixture numbers are computed by hand from `fixtures/generate_propal.py`
//! (organization "Atelier Lumen": 6 proposals by Claire Martin and Hugo Bernard).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, raw_request, request};

const MEDIA_SCOPES: &[&str] = &["media:read", "media:write", "media:delete"];
const FULL_ACCESS: &str = "Internal tools (full access)";
const CLAIRE: &str = "8e0b09ec-b80c-44ca-8872-e805fa21f314";
const HUGO: &str = "0430a004-ce7c-40aa-87a5-e90deb8bd0fb";

fn upload_refused() -> Value {
    json!({"error": {"code": "forbidden", "message": "Upload URL is invalid or has expired."}})
}

/// `POST /v1/media/files` as a client addressing `http://emu.test:8080`.
async fn create_media(app: &TestApp, key: &str, body: Value) -> TestResponse {
    let auth = format!("Bearer {key}");
    let headers = [("authorization", auth.as_str()), ("host", "emu.test:8080")];
    app.send(request(Method::POST, "/propal/v1/media/files", Some(body), &headers)).await
}

/// PUTs `bytes` to an upload URL, without any key: only its path goes to the router.
async fn put_upload(app: &TestApp, upload_url: &str, bytes: &[u8]) -> TestResponse {
    let path = upload_url.strip_prefix("http://emu.test:8080").expect("upload URL on the host the client used");
    let headers = [("content-type", "image/png")];
    app.send(raw_request(Method::PUT, path, bytes.to_vec(), &headers)).await
}

fn url_of(created: &TestResponse) -> String {
    created.json["upload_url"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn media_upload_flow_creates_a_pending_file_accepts_the_bytes_and_lists_it_uploaded() {
    let app = TestApp::new();
    app.freeze_at("2026-05-01T00:00:00Z").await;
    let (org, key) = app.propal_org(Some(MEDIA_SCOPES)).await;

    let created = create_media(&app, &key, json!({"file_name": "logo.png", "content_type": "image/png"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_owned();
    let url = url_of(&created);
    let token =
        url.strip_prefix(&format!("http://emu.test:8080/propal/storage/v1/upload/{org}/")).expect("signed URL shape");
    assert_eq!(token.len(), 32, "24 random bytes as unpadded base64url");
    assert_eq!(
        created.json,
        json!({
            "id": id,
            "file_name": "logo.png",
            "content_type": "image/png",
            "folder": null,
            "path": format!("{org}/uploads/{id}-logo.png"),
            "size": null,
            "status": "pending",
            "upload_url": url,
            "upload_expires_at": "2026-05-01T02:00:00.000Z",
            "created_at": "2026-05-01T00:00:00.000Z",
            "uploaded_at": null,
        })
    );

    app.advance(5.0).await;
    let bytes = vec![0x89_u8; 1234];
    let uploaded = put_upload(&app, &url, &bytes).await;
    assert_eq!(uploaded.status, StatusCode::OK, "{}", uploaded.text);
    let expected = json!({
        "id": id,
        "file_name": "logo.png",
        "content_type": "image/png",
        "folder": null,
        "path": format!("{org}/uploads/{id}-logo.png"),
        "size": 1234,
        "status": "uploaded",
        "created_at": "2026-05-01T00:00:00.000Z",
        "uploaded_at": "2026-05-01T00:00:05.000Z",
    });
    assert_eq!(uploaded.json, expected);

    let list = app.propal(Method::GET, &key, "/v1/media/files", None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(
        list.json,
        json!({"data": [expected], "pagination": {"has_more": false, "next_cursor": null, "total_count": 1}})
    );
}

#[tokio::test]
async fn media_upload_url_follows_forwarded_headers() {
    let app = TestApp::new();
    let (org, key) = app.propal_org(Some(MEDIA_SCOPES)).await;
    let auth = format!("Bearer {key}");
    let headers = [
        ("authorization", auth.as_str()),
        ("host", "127.0.0.1:8080"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "emu.example"),
    ];
    let body = json!({"file_name": "a.txt", "content_type": "text/plain"});
    let created = app.send(request(Method::POST, "/propal/v1/media/files", Some(body), &headers)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert!(
        url_of(&created).starts_with(&format!("https://emu.example/propal/storage/v1/upload/{org}/")),
        "{}",
        created.text
    );
}

#[tokio::test]
async fn media_upload_token_is_refused_when_reused_expired_forged_or_sent_to_another_org() {
    let app = TestApp::new();
    app.freeze_at("2026-05-01T00:00:00Z").await;
    let (org, key) = app.propal_org(Some(MEDIA_SCOPES)).await;
    let (other_org, _) = app.propal_org(Some(MEDIA_SCOPES)).await;
    let body = json!({"file_name": "a.pdf", "content_type": "application/pdf"});
    let first = url_of(&create_media(&app, &key, body.clone()).await);
    let second = url_of(&create_media(&app, &key, body.clone()).await);
    let third = url_of(&create_media(&app, &key, body).await);

    // Reused: the first PUT consumes the token.
    assert_eq!(put_upload(&app, &first, b"one").await.status, StatusCode::OK);
    let reused = put_upload(&app, &first, b"two").await;
    assert_eq!(reused.status, StatusCode::FORBIDDEN);
    assert_eq!(reused.json, upload_refused());
    assert!(reused.header("x-emulator-explain").unwrap().starts_with("upload_token; "), "{:?}", reused.headers);

    // Forged: a token never issued.
    let forged = format!("http://emu.test:8080/propal/storage/v1/upload/{org}/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let forged = put_upload(&app, &forged, b"x").await;
    assert_eq!((forged.status, forged.json), (StatusCode::FORBIDDEN, upload_refused()));

    // A valid token under another organization's id, or a malformed organization id.
    let moved = third.replace(&org, &other_org);
    let moved = put_upload(&app, &moved, b"x").await;
    assert_eq!((moved.status, moved.json), (StatusCode::FORBIDDEN, upload_refused()));
    let broken = put_upload(&app, &third.replace(&org, "not-a-uuid"), b"x").await;
    assert_eq!((broken.status, broken.json), (StatusCode::FORBIDDEN, upload_refused()));

    // Expired: two hours and one second later.
    app.advance(7201.0).await;
    let expired = put_upload(&app, &second, b"late").await;
    assert_eq!(expired.status, StatusCode::FORBIDDEN);
    assert_eq!(expired.json, upload_refused());
    assert!(expired.header("x-emulator-explain").unwrap().contains("expired"), "{:?}", expired.headers);

    let list = app.propal(Method::GET, &key, "/v1/media/files", None).await;
    let statuses: Vec<&str> =
        list.json["data"].as_array().unwrap().iter().map(|m| m["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["pending", "pending", "uploaded"], "newest first; only the first file got bytes");
}

#[tokio::test]
async fn media_upload_token_still_works_one_second_before_expiry() {
    let app = TestApp::new();
    app.freeze_at("2026-05-01T00:00:00Z").await;
    let (_, key) = app.propal_org(Some(MEDIA_SCOPES)).await;
    let url = url_of(&create_media(&app, &key, json!({"file_name": "a.pdf", "content_type": "application/pdf"})).await);
    app.advance(7199.0).await;
    let uploaded = put_upload(&app, &url, b"just in time").await;
    assert_eq!(uploaded.status, StatusCode::OK, "{}", uploaded.text);
    assert_eq!(uploaded.json["size"], 12);
}

#[tokio::test]
async fn media_create_reports_every_invalid_field_in_details() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(MEDIA_SCOPES)).await;

    let missing = create_media(&app, &key, json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.json,
        json!({"error": {
            "code": "validation_error",
            "message": "The field 'file_name' is required.",
            "details": [{"field": "file_name", "message": "Required"}, {"field": "content_type", "message": "Required"}],
        }})
    );

    let body = json!({"file_name": "", "content_type": "png", "folder": "x".repeat(101)});
    let invalid = create_media(&app, &key, body).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        invalid.json["error"]["details"],
        json!([
            {"field": "file_name", "message": "String must contain at least 1 character(s)"},
            {"field": "content_type", "message": "Invalid content type, expected type/subtype (e.g. image/png)"},
            {"field": "folder", "message": "String must contain at most 100 character(s)"},
        ])
    );

    let body = json!({"file_name": "a/b.png", "content_type": 5, "folder": ""});
    let invalid = create_media(&app, &key, body).await;
    assert_eq!(
        invalid.json["error"]["details"],
        json!([
            {"field": "file_name", "message": "File name must not contain '/' or '\\'"},
            {"field": "content_type", "message": "Expected string, received number"},
            {"field": "folder", "message": "String must contain at least 1 character(s)"},
        ])
    );
    let long_name = create_media(&app, &key, json!({"file_name": "n".repeat(256), "content_type": "image/png"})).await;
    assert_eq!(long_name.json["error"]["details"][0]["message"], "String must contain at most 255 character(s)");

    let list = app.propal(Method::GET, &key, "/v1/media/files", None).await;
    assert_eq!(list.json["pagination"]["total_count"], 0, "nothing was stored");
}

#[tokio::test]
async fn media_list_filters_by_folder_newest_first_and_paginates() {
    let app = TestApp::new();
    app.freeze_at("2026-05-01T00:00:00Z").await;
    let (org, key) = app.propal_org(Some(MEDIA_SCOPES)).await;
    let mut ids = Vec::new();
    for (name, folder) in [("a.png", Some("logos")), ("b.png", None), ("c.png", Some("logos"))] {
        let mut body = json!({"file_name": name, "content_type": "image/png"});
        if let Some(folder) = folder {
            body["folder"] = json!(folder);
        }
        let created = create_media(&app, &key, body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        ids.push(created.json["id"].as_str().unwrap().to_owned());
        app.advance(1.0).await;
    }
    let logos = app.propal(Method::GET, &key, "/v1/media/files?folder=logos", None).await;
    assert_eq!(logos.status, StatusCode::OK, "{}", logos.text);
    let names: Vec<&str> =
        logos.json["data"].as_array().unwrap().iter().map(|m| m["file_name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["c.png", "a.png"]);
    assert_eq!(logos.json["data"][0]["path"], format!("{org}/logos/{}-c.png", ids[2]));
    assert_eq!(logos.json["data"][0]["folder"], "logos");

    let page = app.propal(Method::GET, &key, "/v1/media/files?limit=2", None).await;
    assert_eq!(page.json["pagination"]["total_count"], 3);
    assert_eq!(page.json["pagination"]["has_more"], true);
    let cursor = page.json["pagination"]["next_cursor"].as_str().unwrap();
    let rest = app.propal(Method::GET, &key, &format!("/v1/media/files?limit=2&after={cursor}"), None).await;
    assert_eq!(rest.json["data"][0]["id"], ids[0].as_str());
    assert_eq!(rest.json["pagination"]["has_more"], false);
}

#[tokio::test]
async fn media_delete_answers_204_then_404_and_voids_the_pending_upload_url() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(MEDIA_SCOPES)).await;
    let (_, other_key) = app.propal_org(Some(MEDIA_SCOPES)).await;
    let created = create_media(&app, &key, json!({"file_name": "a.png", "content_type": "image/png"})).await;
    let id = created.json["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/media/files/{id}");
    let not_found = json!({"error": {"code": "not_found", "message": "Media file not found."}});

    let foreign = app.propal(Method::DELETE, &other_key, &path, None).await;
    assert_eq!((foreign.status, foreign.json), (StatusCode::NOT_FOUND, not_found.clone()));
    let malformed = app.propal(Method::DELETE, &key, "/v1/media/files/not-a-uuid", None).await;
    assert_eq!((malformed.status, malformed.json), (StatusCode::NOT_FOUND, not_found.clone()));

    let deleted = app.propal(Method::DELETE, &key, &path, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.text.is_empty());
    let again = app.propal(Method::DELETE, &key, &path, None).await;
    assert_eq!((again.status, again.json), (StatusCode::NOT_FOUND, not_found));

    let upload = put_upload(&app, &url_of(&created), b"x").await;
    assert_eq!((upload.status, upload.json), (StatusCode::FORBIDDEN, upload_refused()));
    let list = app.propal(Method::GET, &key, "/v1/media/files", None).await;
    assert_eq!(list.json["pagination"]["total_count"], 0);
}

#[tokio::test]
async fn media_routes_require_their_scope_before_reading_the_body() {
    let app = TestApp::new();
    let missing = |scope: &str| json!({"error": {"code": "forbidden", "message": format!("API key missing required scope: {scope}")}});
    let (_, read_only) = app.propal_org(Some(&["media:read"])).await;
    let (_, write_only) = app.propal_org(Some(&["media:write"])).await;

    let post = create_media(&app, &read_only, json!({"file_name": ""})).await;
    assert_eq!((post.status, post.json), (StatusCode::FORBIDDEN, missing("media:write")));
    let delete = app.propal(Method::DELETE, &read_only, "/v1/media/files/not-a-uuid", None).await;
    assert_eq!((delete.status, delete.json), (StatusCode::FORBIDDEN, missing("media:delete")));
    let list = app.propal(Method::GET, &write_only, "/v1/media/files", None).await;
    assert_eq!((list.status, list.json), (StatusCode::FORBIDDEN, missing("media:read")));
}

const METRIC_PATHS: [&str; 7] = [
    "/v1/metrics/overview",
    "/v1/metrics/pipeline",
    "/v1/metrics/conversion",
    "/v1/metrics/sales",
    "/v1/metrics/team-performance",
    "/v1/metrics/proposal-timing",
    "/v1/metrics/rejection-reasons",
];

async fn metric(app: &TestApp, key: &str, path: &str) -> Value {
    let r = app.propal(Method::GET, key, path, None).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    let object = r.json.as_object().expect("an object");
    assert_eq!(object.keys().collect::<Vec<_>>(), vec!["data"], "{path} wraps its payload in data");
    r.json["data"].clone()
}

#[tokio::test]
async fn metrics_overview_pipeline_and_funnel_follow_proposals_created_in_a_fresh_org() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(None).await;
    let empty = metric(&app, &key, "/v1/metrics/overview").await;
    assert_eq!(
        empty,
        json!({"total_proposals": 0, "published_proposals": 0, "pending": 0, "approved": 0, "denied": 0,
               "total_value": 0.0, "approved_value": 0.0, "conversion_rate": 0.0})
    );

    let mut ids = Vec::new();
    for slug in ["one", "two", "three"] {
        let r = app.propal(Method::POST, &key, "/v1/proposals", Some(json!({"title": slug, "slug": slug}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        ids.push(r.json["id"].as_str().unwrap().to_owned());
    }
    let r = app.propal(Method::POST, &key, &format!("/v1/proposals/{}/publish", ids[0]), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.propal(Method::DELETE, &key, &format!("/v1/proposals/{}", ids[2]), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    let overview = metric(&app, &key, "/v1/metrics/overview").await;
    assert_eq!(
        overview,
        json!({"total_proposals": 2, "published_proposals": 1, "pending": 2, "approved": 0, "denied": 0,
               "total_value": 0.0, "approved_value": 0.0, "conversion_rate": 0.0})
    );
    let pipeline = metric(&app, &key, "/v1/metrics/pipeline").await;
    assert_eq!(
        pipeline,
        json!({"stages": [
            {"deal_status": "pending", "count": 2, "value": 0.0},
            {"deal_status": "approved", "count": 0, "value": 0.0},
            {"deal_status": "denied", "count": 0, "value": 0.0},
        ]})
    );
    let funnel = metric(&app, &key, "/v1/metrics/conversion").await;
    assert_eq!(
        funnel,
        json!({"funnel": [
            {"stage": "created", "count": 2}, {"stage": "published", "count": 1},
            {"stage": "viewed", "count": 0}, {"stage": "approved", "count": 0},
        ], "conversion_rate": 0.0})
    );
    // Nothing closed, viewed, denied or attributed yet.
    assert_eq!(metric(&app, &key, "/v1/metrics/sales").await, json!({"period": "monthly", "series": []}));
    assert_eq!(metric(&app, &key, "/v1/metrics/team-performance").await, json!({"members": []}));
    assert_eq!(
        metric(&app, &key, "/v1/metrics/proposal-timing").await,
        json!({"average_hours_to_first_view": null, "average_hours_to_close": null, "samples_viewed": 0, "samples_closed": 0})
    );
    assert_eq!(metric(&app, &key, "/v1/metrics/rejection-reasons").await, json!({"reasons": []}));
}

#[tokio::test]
async fn metrics_overview_pipeline_and_funnel_of_the_fixture_org_match_hand_counts() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;
    // Approved: 8850 (website + maintenance) and 8500; denied: 1200 and 1800;
    // pending: 350 and a draft worth 0. Nordwind's two proposals do not count.
    assert_eq!(
        metric(&app, &key, "/v1/metrics/overview").await,
        json!({"total_proposals": 6, "published_proposals": 5, "pending": 2, "approved": 2, "denied": 2,
               "total_value": 20700.0, "approved_value": 17350.0, "conversion_rate": 0.5})
    );
    assert_eq!(
        metric(&app, &key, "/v1/metrics/pipeline").await,
        json!({"stages": [
            {"deal_status": "pending", "count": 2, "value": 350.0},
            {"deal_status": "approved", "count": 2, "value": 17350.0},
            {"deal_status": "denied", "count": 2, "value": 3000.0},
        ]})
    );
    // Viewed: all published ones but the Initech workshop.
    assert_eq!(
        metric(&app, &key, "/v1/metrics/conversion").await,
        json!({"funnel": [
            {"stage": "created", "count": 6}, {"stage": "published", "count": 5},
            {"stage": "viewed", "count": 4}, {"stage": "approved", "count": 2},
        ], "conversion_rate": 0.5})
    );
}

#[tokio::test]
async fn metrics_sales_buckets_approved_deals_by_closing_period() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;
    // Approved deals closed 2026-02-12 (Thursday, 8850) and 2026-02-20 (Friday, 8500).
    assert_eq!(
        metric(&app, &key, "/v1/metrics/sales").await,
        json!({"period": "monthly", "series": [{"period_start": "2026-02-01", "count": 2, "value": 17350.0}]})
    );
    assert_eq!(
        metric(&app, &key, "/v1/metrics/sales?period=weekly").await,
        json!({"period": "weekly", "series": [
            {"period_start": "2026-02-09", "count": 1, "value": 8850.0},
            {"period_start": "2026-02-16", "count": 1, "value": 8500.0},
        ]})
    );
    assert_eq!(
        metric(&app, &key, "/v1/metrics/sales?period=daily").await,
        json!({"period": "daily", "series": [
            {"period_start": "2026-02-12", "count": 1, "value": 8850.0},
            {"period_start": "2026-02-20", "count": 1, "value": 8500.0},
        ]})
    );
    assert_eq!(
        metric(&app, &key, "/v1/metrics/sales?period=yearly").await,
        json!({"period": "yearly", "series": [{"period_start": "2026-01-01", "count": 2, "value": 17350.0}]})
    );
    // The REST guide lists hourly too (reference §6.7).
    assert_eq!(
        metric(&app, &key, "/v1/metrics/sales?period=hourly").await,
        json!({"period": "hourly", "series": [
            {"period_start": "2026-02-12T11:00:00.000Z", "count": 1, "value": 8850.0},
            {"period_start": "2026-02-20T10:00:00.000Z", "count": 1, "value": 8500.0},
        ]})
    );
}

#[tokio::test]
async fn metrics_sales_rejects_an_unknown_period() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;
    let r = app.propal(Method::GET, &key, "/v1/metrics/sales?period=quarterly", None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let message =
        "Invalid enum value. Expected 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly', received 'quarterly'";
    assert_eq!(
        r.json,
        json!({"error": {
            "code": "validation_error",
            "message": format!("The field 'period' is invalid: {message}"),
            "details": [{"field": "period", "message": message}],
        }})
    );
}

#[tokio::test]
async fn metrics_team_performance_lists_every_member_and_ignores_api_made_proposals() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;
    let expected = json!({"members": [
        {"member_id": CLAIRE, "name": "Claire Martin", "proposals": 3, "approved": 2, "denied": 0,
         "approved_value": 17350.0, "conversion_rate": 1.0},
        {"member_id": HUGO, "name": "Hugo Bernard", "proposals": 3, "approved": 0, "denied": 2,
         "approved_value": 0.0, "conversion_rate": 0.0},
    ]});
    assert_eq!(metric(&app, &key, "/v1/metrics/team-performance").await, expected);

    let r = app.propal(Method::POST, &key, "/v1/proposals", Some(json!({"title": "Via API", "slug": "via-api"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(metric(&app, &key, "/v1/metrics/overview").await["total_proposals"], 7);
    assert_eq!(metric(&app, &key, "/v1/metrics/team-performance").await, expected);
}

#[tokio::test]
async fn metrics_proposal_timing_averages_hours_from_publication() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;
    // To first view: 6.5 h, 26 h, 15 h, 21 h → 17.125 → 17.13.
    // To close: 146 h, 153 h, 337 h, 209 h → 211.25.
    assert_eq!(
        metric(&app, &key, "/v1/metrics/proposal-timing").await,
        json!({"average_hours_to_first_view": 17.13, "average_hours_to_close": 211.25, "samples_viewed": 4, "samples_closed": 4})
    );
}

#[tokio::test]
async fn metrics_rejection_reasons_of_the_fixture_org_tie_in_reason_order() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;
    assert_eq!(
        metric(&app, &key, "/v1/metrics/rejection-reasons").await,
        json!({"reasons": [{"reason": "Budget too high", "count": 1}, {"reason": "Chose a competitor", "count": 1}]})
    );
}

#[tokio::test]
async fn metrics_routes_require_metrics_read_with_exact_403_body() {
    let app = TestApp::new();
    let key = app.propal_key("Pipeline automation").await;
    let forbidden = json!({"error": {"code": "forbidden", "message": "API key missing required scope: metrics:read"}});
    for path in METRIC_PATHS {
        let r = app.propal(Method::GET, &key, path, None).await;
        assert_eq!((r.status, &r.json), (StatusCode::FORBIDDEN, &forbidden), "{path}");
    }
    // The scope check comes before the query check.
    let r = app.propal(Method::GET, &key, "/v1/metrics/sales?period=hourly", None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn media_upload_token_never_reaches_the_journal() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(MEDIA_SCOPES)).await;
    let created = create_media(&app, &key, json!({"file_name": "a.png", "content_type": "image/png"})).await;
    let url = url_of(&created);
    let token = url.rsplit('/').next().unwrap().to_owned();
    let put = put_upload(&app, &url, b"bytes").await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let entry = app.journal_entry(&put).await;
    let path = entry["path"].as_str().unwrap();
    assert!(path.ends_with("/[redacted]"), "{path}");
    let again = put_upload(&app, &url, b"bytes").await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    let journal = app.get("/_emulator/journal").await;
    assert!(!journal.text.contains(&token), "the raw token is in the journal");
}
