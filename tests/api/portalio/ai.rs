//! AI Builder: the whole flow from upload to built proposal in milliseconds by
//! advancing the emulator clock (with the webhooks it fires), both path prefixes,
//! the deterministic outline, and each refusal with its exact body.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{
    receiver::{Receiver, dealer, new_proposal, set_status, subscribe},
    signer::{Call, Client, message},
};
use crate::helpers::{TestApp, TestResponse};

const BRIEF: &str = "The Living Room gets a TV and four speakers. The Office needs wifi.";
const OUTLINE: &str = "## Executive Summary\n2 area(s) and 5 line item(s) drawn from the uploaded content.\n\n\
## Living Room\n- 1 x Samsung QN85QN90D: 85in Neo QLED 4K Smart TV\n\
- 4 x Sonance VP66R: Visual Performance 6.5in In-Ceiling Speaker (pair)\n\
- 5 x Brightwire LAB-INSTALL: Installation labor (per hour)\n\n\
## Office\n- 1 x Access Networks A620: Wi-Fi 6 Indoor Access Point\n\
- 1 x Brightwire LAB-INSTALL: Installation labor (per hour)\n";

/// A signed multipart upload with one text file part.
async fn upload(
    app: &TestApp,
    client: &Client,
    path: &str,
    name: Option<&str>,
    file: Option<(&str, &str)>,
) -> TestResponse {
    upload_typed(app, client, path, name, file.map(|(f, t)| (f, "text/plain", t))).await
}

async fn upload_typed(
    app: &TestApp,
    client: &Client,
    path: &str,
    name: Option<&str>,
    file: Option<(&str, &str, &str)>,
) -> TestResponse {
    let boundary = "emulator-boundary-7d93";
    let mut parts = Vec::new();
    if let Some(name) = name {
        parts.push(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"Name\"\r\n\r\n{name}\r\n"));
    }
    if let Some((filename, part_type, text)) = file {
        parts.push(format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{filename}\"\r\nContent-Type: {part_type}\r\n\r\n{text}\r\n"
        ));
    }
    parts.push(format!("--{boundary}--\r\n"));
    let body = parts.concat();
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let mut call = Call::new(Method::POST, path);
    call.content_type = Some(&content_type);
    call.body = body;
    client.send(app, call).await
}

async fn post_json(app: &TestApp, client: &Client, path: &str, body: Value) -> TestResponse {
    client.send(app, Call::new(Method::POST, path).json(body)).await
}

#[tokio::test]
async fn the_ai_builder_runs_from_upload_to_built_proposal_on_the_emulator_clock() {
    let app = TestApp::new();
    let (client, user) = dealer(&app).await;
    let id = new_proposal(&app, &client, user).await;
    let mut receiver = Receiver::answering(&[200]).await;
    subscribe(
        &app,
        &client,
        &receiver.url,
        "ProposalOutlineStatusChanged,ProposalBuildStatusChanged,ProposalStatusChanged",
    )
    .await;
    let base = format!("/public/proposals/{id}/ai");

    let r = upload(&app, &client, &format!("{base}/content"), Some("Discovery call"), Some(("call.txt", BRIEF))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["name"], "Discovery call");
    assert_eq!(r.json["status"], "Uploaded");
    assert_eq!(r.json["sourceType"], "Text");
    assert_eq!(r.json["summary"], "");
    assert_eq!(r.json["userCreated"]["id"], user);
    let content = r.json["id"].as_u64().unwrap();

    let r = post_json(&app, &client, &format!("{base}/outline"), json!({ "proposalId": id })).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.text, message("The proposal has no transcribed project content to generate an outline from."));

    app.advance(2.0).await;
    let r = client.get(&app, &format!("/public/api/proposals/{id}/ai/content")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["items"][0]["id"], content);
    assert_eq!(r.json["items"][0]["status"], "Transcribed");
    assert_eq!(r.json["items"][0]["summary"], "The Living Room gets a TV and four speakers");

    let r = post_json(&app, &client, &format!("{base}/outline"), json!({ "proposalId": id })).await;
    assert_eq!(r.json, json!({ "proposalId": id, "status": "Generating" }), "{}", r.text);
    let r = client.get(&app, &format!("{base}/outline")).await;
    assert_eq!(r.json, json!({ "proposalId": id, "status": "Generating", "outline": null }));
    app.advance(4.0).await;
    assert_eq!(client.get(&app, &format!("{base}/outline")).await.json["status"], "Generating");
    app.advance(1.0).await;
    let r = client.get(&app, &format!("/public/api/proposals/{id}/ai/outline")).await;
    assert_eq!(r.json, json!({ "proposalId": id, "status": "Completed", "outline": OUTLINE }));
    let hit = receiver.next().await.json();
    assert_eq!(hit["type"], "proposal.outline.status_update");
    assert_eq!(hit["data"], json!({ "proposalId": id, "status": "Completed", "outline": OUTLINE }));

    let r = post_json(&app, &client, &format!("{base}/build"), json!({ "proposalId": id })).await;
    assert_eq!(r.json, json!({ "proposalId": id, "status": "Building" }), "{}", r.text);
    let r = post_json(&app, &client, &format!("{base}/build"), json!({ "proposalId": id })).await;
    assert_eq!(r.text, message("A build is already in progress for this proposal."));
    assert!(client.get(&app, &format!("/public/proposals/{id}")).await.json["areas"].as_array().unwrap().is_empty());
    app.advance(10.0).await;

    let proposal = client.get(&app, &format!("/public/proposals/{id}")).await.json;
    let areas: Vec<Value> = proposal["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let items: Vec<Value> = a["options"][0]["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| json!([i["referencedItemId"], i["quantity"], i["sellPrice"]]))
                .collect();
            json!([a["name"], a["options"].as_array().unwrap().len(), items])
        })
        .collect();
    assert_eq!(
        areas,
        [
            json!(["Living Room", 1, [[8850, 1.0, 3299.0], [8840, 4.0, 600.0], [9001, 5.0, 125.0]]]),
            json!(["Office", 1, [[8884, 1.0, 499.0], [9001, 1.0, 125.0]]]),
        ]
    );
    let money = &proposal["financialSummary"];
    assert_eq!((money["partsTotal"].as_f64(), money["laborTotal"].as_f64()), (Some(6198.0), Some(750.0)));
    assert_eq!(money["proposalTotal"], 6948.0);
    assert_eq!(proposal["lastModifiedDate"], "2026-04-06T00:22:36Z");

    let build = receiver.next().await.json();
    assert_eq!(build["type"], "proposal.build.status_update");
    assert_eq!(build["data"], json!({ "proposalId": id, "status": "Completed" }));
    let changed = receiver.next().await.json();
    assert_eq!(changed["type"], "proposal.status_changed");
    assert_eq!(changed["data"]["areas"], proposal["areas"]);
    assert_eq!(changed["data"]["financialSummary"], proposal["financialSummary"]);
}

#[tokio::test]
async fn the_same_text_gives_the_same_outline_and_form_uploads_work_too() {
    let app = TestApp::new();
    let (client, user) = dealer(&app).await;
    let mut outlines = Vec::new();
    for _ in 0..2 {
        let id = new_proposal(&app, &client, user).await;
        let body = serde_urlencoded::to_string([("Name", "Notes"), ("File", BRIEF)]).unwrap();
        let r = client.post_form(&app, &format!("/public/api/proposals/{id}/ai/content"), &body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        app.advance(2.0).await;
        let r =
            client.post_form(&app, &format!("/public/proposals/{id}/ai/outline"), &format!("ProposalId={id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        app.advance(5.0).await;
        outlines.push(client.get(&app, &format!("/public/proposals/{id}/ai/outline")).await.json["outline"].clone());
    }
    assert_eq!(outlines, [json!(OUTLINE), json!(OUTLINE)]);
}

#[tokio::test]
async fn each_ai_builder_refusal_has_its_status_and_body() {
    let app = TestApp::new();
    let (client, user) = dealer(&app).await;
    let id = new_proposal(&app, &client, user).await;
    let content = format!("/public/proposals/{id}/ai/content");

    let r = upload(&app, &client, &content, None, Some(("a.txt", "x"))).await;
    assert_eq!((r.status, r.text), (StatusCode::BAD_REQUEST, message("The Name field is required.")));
    let r = upload(&app, &client, &content, Some("n"), None).await;
    assert_eq!((r.status, r.text), (StatusCode::BAD_REQUEST, message("At least one file must be included.")));
    let r = upload_typed(&app, &client, &content, Some("n"), Some(("plan.exe", "application/x-msdownload", "x"))).await;
    assert_eq!(
        (r.status, r.text),
        (
            StatusCode::BAD_REQUEST,
            message("The file type 'application/x-msdownload' is not supported. Upload text, audio or video content.")
        )
    );
    let r = upload(&app, &client, "/public/proposals/999999/ai/content", Some("n"), Some(("a.txt", "x"))).await;
    assert_eq!((r.status, r.text), (StatusCode::NOT_FOUND, message("Proposal not found.")));

    let r = client.delete(&app, &format!("{content}/424242")).await;
    assert_eq!((r.status, r.text), (StatusCode::NOT_FOUND, message("Content not found.")));
    let r = client.get(&app, &format!("/public/proposals/{id}/ai/outline")).await;
    assert_eq!((r.status, r.text), (StatusCode::NOT_FOUND, message("Outline not found.")));
    let r = post_json(&app, &client, &format!("/public/proposals/{id}/ai/build"), json!({ "proposalId": id })).await;
    assert_eq!(
        (r.status, r.text),
        (StatusCode::BAD_REQUEST, message("A completed outline is required before building the proposal."))
    );
    let r = post_json(&app, &client, &format!("/public/proposals/{id}/ai/outline"), json!({})).await;
    assert_eq!((r.status, r.text), (StatusCode::BAD_REQUEST, message("The ProposalId field is required.")));
    let r = post_json(&app, &client, &format!("/public/proposals/{id}/ai/outline"), json!({ "proposalId": 7 })).await;
    assert_eq!(
        (r.status, r.text),
        (
            StatusCode::BAD_REQUEST,
            message(&format!("The proposalId in the body (7) does not match the proposal in the route ({id})."))
        )
    );

    let r = upload(&app, &client, &content, Some("n"), Some(("a.txt", "A TV in the Den."))).await;
    let kept = r.json["id"].as_u64().unwrap();
    set_status(&app, id, "Submitted").await;
    let locked = message("AI Builder content can only be changed while the proposal is a Draft.");
    let r = upload(&app, &client, &content, Some("n"), Some(("a.txt", "x"))).await;
    assert_eq!((r.status, r.text), (StatusCode::CONFLICT, locked.clone()));
    let r = client.delete(&app, &format!("/public/api/proposals/{id}/ai/content/{kept}")).await;
    assert_eq!((r.status, r.text), (StatusCode::CONFLICT, locked));
    assert_eq!(client.get(&app, &content).await.json["items"].as_array().unwrap().len(), 1, "nothing changed");

    set_status(&app, id, "Draft").await;
    let r = client.delete(&app, &format!("{content}/{kept}")).await;
    assert_eq!(r.json, json!({ "id": kept, "deleted": true }), "{}", r.text);
    assert!(client.get(&app, &content).await.json["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_build_on_a_proposal_accepted_meanwhile_fails_and_says_so() {
    let app = TestApp::new();
    let (client, user) = dealer(&app).await;
    let id = new_proposal(&app, &client, user).await;
    let r =
        upload(&app, &client, &format!("/public/proposals/{id}/ai/content"), Some("n"), Some(("a.txt", BRIEF))).await;
    assert_eq!(r.status, StatusCode::OK);
    app.advance(2.0).await;
    post_json(&app, &client, &format!("/public/proposals/{id}/ai/outline"), json!({ "proposalId": id })).await;
    app.advance(5.0).await;
    let r = post_json(&app, &client, &format!("/public/proposals/{id}/ai/build"), json!({ "proposalId": id })).await;
    assert_eq!(r.status, StatusCode::OK);
    set_status(&app, id, "Accepted").await;
    app.advance(10.0).await;
    assert!(client.get(&app, &format!("/public/proposals/{id}")).await.json["areas"].as_array().unwrap().is_empty());
    let r = post_json(&app, &client, &format!("/public/proposals/{id}/ai/build"), json!({ "proposalId": id })).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
}

#[tokio::test]
async fn uploaded_content_and_a_finished_outline_survive_an_export_and_restore_and_still_build() {
    let app = TestApp::new();
    let (client, user) = dealer(&app).await;
    let id = new_proposal(&app, &client, user).await;
    let base = format!("/public/proposals/{id}/ai");
    let r = upload(&app, &client, &format!("{base}/content"), Some("Discovery call"), Some(("call.txt", BRIEF))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.advance(2.0).await;
    post_json(&app, &client, &format!("{base}/outline"), json!({ "proposalId": id })).await;
    app.advance(5.0).await;
    let content_before = client.get(&app, &format!("{base}/content")).await.json;

    let saved = app.get("/_emulator/state?vendor=portalio").await.json;
    let ai = &saved["vendors"]["portalio"]["ai_builder.json"]["proposals"];
    assert_eq!(ai.as_array().unwrap().len(), 1, "{ai}");
    assert_eq!(ai[0]["proposal_id"], id);
    assert_eq!(ai[0]["contents"][0]["text"], BRIEF);
    assert_eq!(ai[0]["outline"]["markdown"], OUTLINE);

    app.admin(Method::POST, "/_emulator/reset", None).await;
    assert_eq!(
        client.get(&app, &format!("{base}/content")).await.status,
        StatusCode::UNAUTHORIZED,
        "the runtime dealer is gone"
    );
    let r = app.admin(Method::POST, "/_emulator/state", Some(saved.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(client.get(&app, &format!("{base}/content")).await.json, content_before);
    let r = client.get(&app, &format!("{base}/outline")).await;
    assert_eq!(r.json, json!({ "proposalId": id, "status": "Completed", "outline": OUTLINE }));
    assert_eq!(app.get("/_emulator/state?vendor=portalio").await.json, saved, "export → restore → identical export");

    // The restored outline builds; a new upload takes an id after the restored ones.
    let r = post_json(&app, &client, &format!("{base}/build"), json!({ "proposalId": id })).await;
    assert_eq!(r.json, json!({ "proposalId": id, "status": "Building" }), "{}", r.text);
    app.advance(10.0).await;
    let areas = client.get(&app, &format!("/public/proposals/{id}")).await.json["areas"].clone();
    assert_eq!(areas.as_array().unwrap().len(), 2, "{areas}");
    let r = upload(&app, &client, &format!("{base}/content"), Some("More"), Some(("more.txt", "A rack."))).await;
    assert!(r.json["id"].as_u64().unwrap() > ai[0]["contents"][0]["id"].as_u64().unwrap(), "{}", r.text);
}

#[tokio::test]
async fn an_ai_builder_record_of_an_unknown_proposal_is_refused_at_its_path() {
    let app = TestApp::new();
    let mut saved = app.get("/_emulator/state?vendor=portalio").await.json;
    saved["vendors"]["portalio"]["ai_builder.json"] =
        json!({ "proposals": [{ "proposal_id": 424_242, "contents": [] }] });
    let r = app.admin(Method::POST, "/_emulator/state", Some(saved)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json["error"],
        "fixture body at $.vendors.portalio[\"ai_builder.json\"].proposals[0].proposal_id: no proposal 424242 in proposals.json"
    );
}
