//! Proposals and change orders: shapes, paging, totals and tax, and each model
//! rule of reference §8 with its success and its refusal.

use axum::http::{Method, StatusCode};
use futures_like::join_all;
use serde_json::json;

use super::signer::{Call, Client, message, reason};
use crate::helpers::TestApp;

/// A tiny `join_all` so the test needs no extra crate.
mod futures_like {
    pub async fn join_all<T: Send + 'static>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
        let mut out = Vec::new();
        for handle in handles {
            out.push(handle.await.unwrap());
        }
        out
    }
}

#[tokio::test]
async fn list_pages_filters_and_counts_across_pages() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.get(&app, "/public/proposals").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Seven proposals, one archived, change orders never listed.
    assert_eq!(r.json["proposalCount"], 6);
    let first = &r.json["proposals"][0];
    for key in ["id", "number", "name", "status", "total", "createdDate", "lastModifiedDate", "customer"] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert_eq!(first["total"]["currency"], json!({"code": "USD", "symbol": "$"}));
    let page = client.get(&app, "/public/proposals?PageNumber=2&PageSize=4&SortBy=Number&SortDirection=Asc").await;
    assert_eq!(page.json["proposalCount"], 6);
    let numbers: Vec<u64> =
        page.json["proposals"].as_array().unwrap().iter().map(|p| p["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [1005, 1007]);
    let archived = client.get(&app, "/public/proposals?IsArchive=true").await;
    assert_eq!(archived.json["proposalCount"], 1);
    let both = client.get(&app, "/public/proposals?Statuses=Draft&Statuses=Accepted").await;
    let comma = client.get(&app, "/public/proposals?Statuses=Draft,Accepted").await;
    assert_eq!(both.json["proposalCount"], 2);
    assert_eq!(both.json, comma.json);
    let search = client.get(&app, "/public/proposals?SearchText=oakridge").await;
    assert_eq!(search.json["proposals"][0]["id"], 1044);
    let by_contact = client.get(&app, "/public/proposals?ContactId=88").await;
    assert_eq!(by_contact.json["proposalCount"], 2);
}

#[tokio::test]
async fn list_refuses_bad_paging_and_unknown_filters_with_400() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    for (query, text) in [
        ("PageNumber=0", "PageNumber must be greater than or equal to 1."),
        ("PageNumber=-3", "PageNumber must be greater than or equal to 1."),
        ("PageNumber=x", "The value 'x' is not valid for PageNumber."),
        ("PageSize=0", "PageSize must be between 1 and 100."),
        (
            "Statuses=Sent",
            "The value 'Sent' is not valid for Statuses. Valid values: Draft, Submitted, ViewedByClient, Accepted, Declined, Delayed, Completed, EmailFailed, Expired.",
        ),
        ("SortBy=Color", "The value 'Color' is not valid for SortBy."),
    ] {
        let r = client.get(&app, &format!("/public/proposals?{query}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(r.text, message(text), "{query}");
        assert_eq!(reason(&r), "validation");
    }
}

#[tokio::test]
async fn get_answers_the_detail_with_totals_tax_and_last_modified() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.get(&app, "/public/proposals/1042").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("last-modified"), Some("Wed, 01 Apr 2026 09:30:00 GMT"));
    let money = &r.json["financialSummary"];
    // First option of each area: parts 4747 + 1899, labor 750 + 600; Texas 8.25 %.
    assert_eq!(money["partsSubtotal"], 6646.0);
    assert_eq!(money["laborTotal"], 1350.0);
    assert_eq!(money["proposalSubtotal"], 7996.0);
    assert_eq!(money["salesTax"], json!({"taxStatus": "Ok", "total": 659.67}));
    assert_eq!(money["proposalTotal"], 8655.67);
    assert_eq!(r.json["customer"]["id"], 88);
    assert_eq!(r.json["location"]["stateAbbrev"], "TX");
    assert_eq!(r.json["dealer"], json!({"id": 1001, "name": "Brightwire Audio Video"}));
    assert_eq!(r.json["areas"][0]["options"][0]["items"][0]["referencedItemId"], 8850);
    assert_eq!(r.json["changeOrders"][0]["id"], 1103);
    let r = client.get(&app, "/public/proposals/999999").await;
    assert_eq!((r.status, r.text), (StatusCode::NOT_FOUND, message("Proposal not found.")));
    let r = client.get(&app, "/public/proposals/abc").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_accounts_proposal_is_404_and_the_explain_says_whose() {
    let app = TestApp::new();
    Client::alex(&app).await;
    let riley = Client::fixture(&app, "riley@lakeside.example").await;
    let r = riley.get(&app, "/public/proposals/1042").await;
    assert_eq!((r.status, r.text.as_str()), (StatusCode::NOT_FOUND, message("Proposal not found.").as_str()));
    assert!(r.header("x-emulator-explain").unwrap().contains("belongs to another account (1001)"));
    let r = riley.post_form(&app, "/public/proposals/1042/area", "Name=Sneaky").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let own = riley.get(&app, "/public/proposals/2001").await;
    assert_eq!(own.status, StatusCode::OK);
}

#[tokio::test]
async fn create_needs_a_salesperson_of_the_account_and_starts_in_draft() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.post_form(&app, "/public/proposals", "Name=New+Deal").await;
    assert_eq!((r.status, r.text), (StatusCode::BAD_REQUEST, message("The SalesPersonId field is required.")));
    let r = client.post_form(&app, "/public/proposals", "SalesPersonId=5005").await;
    assert_eq!((r.status, r.text), (StatusCode::NOT_FOUND, message("Sales person not found.")));
    let r = client.post_form(&app, "/public/proposals", "SalesPersonId=abc").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = client.post_form(&app, "/public/proposals", "SalesPersonId=5004&Name=Corner+Store+AV").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["status"], "Draft");
    assert_eq!(r.json["name"], "Corner Store AV");
    assert_eq!(r.json["number"], 1008);
    assert_eq!(r.json["salesPerson"]["id"], 5004);
    assert_eq!(r.json["financialSummary"]["proposalTotal"], 0.0);
    assert_eq!(r.json["createdDate"], "2026-04-06T00:22:19Z");
    let id = r.json["id"].as_u64().unwrap();
    let back = client.get(&app, &format!("/public/proposals/{id}")).await;
    assert_eq!(back.json, r.json);
    let unnamed =
        client.send(&app, Call::new(Method::POST, "/public/proposals").json(json!({"salesPersonId": 5001}))).await;
    assert_eq!(unnamed.json["name"], "Proposal 1009");
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_400_and_change_nothing() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let before = client.get(&app, "/public/proposals/1042").await.json;
    let long = "x".repeat(256);
    let cases: Vec<(Call<'_>, &str)> = vec![
        (
            Call::new(Method::POST, "/public/proposals/1042").json(json!({"Name": long})),
            "The field Name must be a string with a maximum length of 255.",
        ),
        (Call::new(Method::POST, "/public/proposals/1042/area").json(json!({"Name": ["a", "b"]})), ""),
        (
            Call::new(Method::POST, "/public/proposals/1042/area").json(json!({"Name": {"x": 1}})),
            "The field 'Name' must be a string, number or boolean.",
        ),
        (
            Call::new(Method::POST, "/public/proposals/1042/area").form("Name=A&Name=B"),
            "The field 'Name' was given more than once.",
        ),
        (Call::new(Method::POST, "/public/proposals/1042/area").form(""), "The Name field is required."),
        (Call::new(Method::POST, "/public/proposals/1042/area").form("Name=+++"), "The Name field is required."),
    ];
    for (call, text) in cases {
        let r = client.send(&app, call).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        assert!(r.json["message"].is_string(), "{}", r.text);
        if !text.is_empty() {
            assert_eq!(r.text, message(text));
        }
    }
    let mut broken = Call::new(Method::POST, "/public/proposals/1042/area");
    broken.content_type = Some("application/json");
    broken.body = "{\"Name\":".into();
    let r = client.send(&app, broken).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json["message"].as_str().unwrap().starts_with("The JSON body is invalid"));
    let mut xml = Call::new(Method::POST, "/public/proposals/1042/area");
    xml.content_type = Some("text/xml");
    xml.body = "<Name>x</Name>".into();
    assert_eq!(client.send(&app, xml).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(client.get(&app, "/public/proposals/1042").await.json, before);
}

#[tokio::test]
async fn update_changes_name_and_salesperson_and_refuses_terminal_proposals_with_409() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    app.advance(60.0).await;
    let mut call =
        Call::new(Method::POST, "/public/proposals/1042").form("Name=Smith+Residence+Phase+2&SalesPersonId=5004");
    call.date = "Mon, 06 Apr 2026 00:23:19 GMT".into();
    let r = client.send(&app, call).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["name"], "Smith Residence Phase 2");
    assert_eq!(r.json["salesPerson"]["id"], 5004);
    assert_eq!(r.json["lastModifiedDate"], "2026-04-06T00:23:19Z");
    assert_eq!(r.json["lastModifiedUser"]["id"], 5001);
    app.freeze_at(super::signer::NOW).await;
    for id in [1044, 1045, 1046] {
        let r = client.post_form(&app, &format!("/public/proposals/{id}"), "Name=Nope").await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{id}");
        assert!(r.json["message"].as_str().unwrap().contains("Use a change order instead."), "{}", r.text);
        assert_eq!(reason(&r), "conflict");
    }
    let r = client.post_form(&app, "/public/proposals/1044/description", "Description=x").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Internal notes stay editable (the page lists no 409).
    let r = client.post_form(&app, "/public/proposals/1044/internalnotes", "InternalNotes=Rack+moved").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["internalNotes"], "Rack moved");
}

#[tokio::test]
async fn description_and_internal_notes_are_set_and_cleared() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.post_form(&app, "/public/proposals/1043/description", "Description=Dedicated+theater").await;
    assert_eq!(r.json["projectDescription"], "Dedicated theater");
    let r = client.post_form(&app, "/public/proposals/1043/description", "Description=").await;
    assert!(r.json["projectDescription"].is_null());
    let r = client.post_form(&app, "/public/proposals/1043/internalnotes", "InternalNotes=Confirm+rack").await;
    assert_eq!(r.json["internalNotes"], "Confirm rack");
}

#[tokio::test]
async fn an_area_name_is_unique_and_a_new_area_gets_one_draft_option() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.post_form(&app, "/public/proposals/1042/area", "Name=Master+Bedroom").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let area = r.json["areas"].as_array().unwrap().iter().find(|a| a["name"] == "Master Bedroom").unwrap().clone();
    assert_eq!(area["options"].as_array().unwrap().len(), 1);
    assert_eq!(area["options"][0]["status"], "Draft");
    assert_eq!(area["options"][0]["items"], json!([]));
    for name in ["Master+Bedroom", "living+room"] {
        let r = client.post_form(&app, "/public/proposals/1042/area", &format!("Name={name}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(r.json["message"].as_str().unwrap().ends_with("already exists on this proposal."));
    }
    let after = client.get(&app, "/public/proposals/1042").await;
    assert_eq!(after.json["areas"].as_array().unwrap().len(), 3);
    let r = client.post_form(&app, "/public/proposals/1044/area", "Name=Lobby").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn an_area_takes_at_most_three_options() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    // Living Room (55) has two options: one more fits, the fourth does not.
    let r = client
        .post_form(&app, "/public/proposals/1042/area/55/option", "ClientDescription=Budget&InternalNotes=Reuse+wiring")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let options = r.json["areas"][0]["options"].as_array().unwrap().clone();
    assert_eq!(options.len(), 3);
    assert_eq!(options[2]["clientDescription"], "Budget");
    assert_eq!(options[2]["installerDescription"], "Reuse wiring");
    let r = client.post_form(&app, "/public/proposals/1042/area/55/option", "").await;
    assert_eq!((r.status, r.text), (StatusCode::BAD_REQUEST, message("An area can have at most 3 options.")));
    let r = client.post_form(&app, "/public/proposals/1042/area/62/option", "").await;
    assert_eq!((r.status, r.text), (StatusCode::NOT_FOUND, message("Area not found.")));
}

#[tokio::test]
async fn two_parallel_add_option_calls_on_an_area_with_two_options_let_exactly_one_through() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let mut handles = Vec::new();
    for _ in 0..2 {
        let router = app.router();
        let request = client.request(Call::new(Method::POST, "/public/proposals/1042/area/55/option").form(""));
        handles.push(tokio::spawn(async move { crate::helpers::send(router, request).await.status }));
    }
    let mut statuses = join_all(handles).await;
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST]);
    let r = client.get(&app, "/public/proposals/1042").await;
    assert_eq!(r.json["areas"][0]["options"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn thirty_parallel_add_option_calls_never_exceed_the_cap() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.post_form(&app, "/public/proposals/1042/area", "Name=Garage").await;
    let area =
        r.json["areas"].as_array().unwrap().iter().find(|a| a["name"] == "Garage").unwrap()["id"].as_u64().unwrap();
    let path = format!("/public/proposals/1042/area/{area}/option");
    let mut handles = Vec::new();
    for _ in 0..30 {
        let router = app.router();
        let request = client.request(Call::new(Method::POST, &path).form(""));
        handles.push(tokio::spawn(async move { crate::helpers::send(router, request).await.status }));
    }
    let statuses = join_all(handles).await;
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 2);
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::BAD_REQUEST).count(), 28);
}

#[tokio::test]
async fn option_descriptions_are_set_cleared_and_checked_against_the_proposal() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client
        .post_form(&app, "/public/proposals/1042/area-options/302/clientdescription", "ClientDescription=Premium")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["areas"][0]["options"][1]["clientDescription"], "Premium");
    let r = client
        .post_form(&app, "/public/proposals/1042/area-options/302/installernotes", "InstallerNotes=Use+18-gauge+wire")
        .await;
    assert_eq!(r.json["areas"][0]["options"][1]["installerDescription"], "Use 18-gauge wire");
    let r =
        client.post_form(&app, "/public/proposals/1042/area-options/302/clientdescription", "ClientDescription=").await;
    assert!(r.json["areas"][0]["options"][1]["clientDescription"].is_null());
    // Option 304 belongs to proposal 1043.
    let r = client.post_form(&app, "/public/proposals/1042/area-options/304/installernotes", "InstallerNotes=x").await;
    assert_eq!((r.status, r.text), (StatusCode::NOT_FOUND, message("Area option not found.")));
    let r = client.post_form(&app, "/public/proposals/1044/area-options/305/installernotes", "InstallerNotes=x").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn tax_is_zero_until_a_location_is_assigned_then_the_states_rate() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.get(&app, "/public/proposals/1043").await;
    assert_eq!(r.json["financialSummary"]["proposalSubtotal"], 8498.0);
    assert_eq!(r.json["financialSummary"]["salesTax"]["total"], 0.0);
    // Location 204 of contact 89 is in Colorado (2.9 %).
    let r = client.post_form(&app, "/public/proposals/1043/location/204", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["location"]["id"], 204);
    assert_eq!(r.json["financialSummary"]["salesTax"]["total"], 246.44);
    assert_eq!(r.json["financialSummary"]["proposalTotal"], 8744.44);
    // A JSON body naming the same ids is fine; different ids are a 400.
    let r = client
        .send(
            &app,
            Call::new(Method::POST, "/public/proposals/1043/location/205")
                .json(json!({"proposalId": 1043, "locationId": 205})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = client
        .send(
            &app,
            Call::new(Method::POST, "/public/proposals/1043/location/204")
                .json(json!({"proposalId": 1, "locationId": 204})),
        )
        .await;
    assert_eq!(
        (r.status, r.text),
        (StatusCode::BAD_REQUEST, message("The proposalId in the body must match the one in the URL."))
    );
    // Another contact's location.
    let r = client.post_form(&app, "/public/proposals/1043/location/201", "").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = client.post_form(&app, "/public/proposals/1043/location/220", "").await;
    assert_eq!((r.status, r.text), (StatusCode::NOT_FOUND, message("Location not found.")));
}

#[tokio::test]
async fn a_location_needs_a_contact_first() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let id = client.post_form(&app, "/public/proposals", "SalesPersonId=5001").await.json["id"].as_u64().unwrap();
    let r = client.post_form(&app, &format!("/public/proposals/{id}/location/204"), "").await;
    assert_eq!(
        (r.status, r.text),
        (StatusCode::CONFLICT, message("A contact must be assigned to the proposal before a location."))
    );
    let r = client.post_form(&app, &format!("/public/proposals/{id}/contact/89"), "").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.text, "");
    let r = client.post_form(&app, &format!("/public/proposals/{id}/location/204"), "").await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn assigning_a_contact_takes_form_json_or_no_body_and_auto_assigns_its_only_primary_location() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let id = client.post_form(&app, "/public/proposals", "SalesPersonId=5001").await.json["id"].as_u64().unwrap();
    let path = format!("/public/proposals/{id}/contact/90");
    let r = client.send(&app, Call::new(Method::POST, &path).json(json!({"proposalId": id, "contactId": 90}))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let detail = client.get(&app, &format!("/public/proposals/{id}")).await;
    assert_eq!(detail.json["customer"]["companyName"], "Oakridge Partners LLC");
    assert_eq!(detail.json["location"]["id"], 203);
    let r = client.send(&app, Call::new(Method::POST, &format!("/public/proposals/{id}/contact/91"))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let detail = client.get(&app, &format!("/public/proposals/{id}")).await;
    assert!(detail.json["location"].is_null(), "contact 91 has no location");
    let r = client.post_form(&app, &format!("/public/proposals/{id}/contact/120"), "").await;
    assert_eq!((r.status, r.text), (StatusCode::NOT_FOUND, message("Contact not found.")));
    let r = client.send(&app, Call::new(Method::POST, &path).json(json!({"contactId": 91}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn change_orders_list_as_a_bare_array_and_read_with_last_modified() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.get(&app, "/public/proposals/1044/changeorders").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = r.json.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["number"], 1);
    assert_eq!(list[0]["customer"]["companyName"], "Oakridge Partners LLC");
    // 8885 449 + labor 2 × 150; the parent's Texas location taxes it.
    assert_eq!(list[0]["total"]["changeOrderTotal"], 810.79);
    let r = client.get(&app, "/public/proposals/1044/changeorders/1101").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("last-modified"), Some("Thu, 05 Mar 2026 14:30:00 GMT"));
    assert_eq!(r.json["financialSummary"]["changeOrderSubtotal"], 749.0);
    assert!(r.json["financialSummary"].get("proposalSubtotal").is_none());
    assert_eq!(r.json["parentProposalId"], 1044);
    let r = client.get(&app, "/public/proposals/1042/changeorders/1101").await;
    assert_eq!((r.status, r.text), (StatusCode::NOT_FOUND, message("Change order not found.")));
    let r = client.get(&app, "/public/proposals/1043/changeorders").await;
    assert_eq!(r.json, json!([]));
    // A change order is not a proposal id.
    assert_eq!(client.get(&app, "/public/proposals/1101").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_body_over_the_limit_without_a_length_is_413_in_portalios_shape_and_changes_nothing() {
    let app = TestApp::with_args(&["--max-body-bytes", "64"]);
    let client = Client::alex(&app).await;
    let body = format!("Name={}", "x".repeat(100));
    let r = client.post_form(&app, "/public/proposals/1042/area", &body).await;
    assert_eq!((r.status, r.text), (StatusCode::PAYLOAD_TOO_LARGE, message("The request body is too large.")));
    assert_eq!(client.get(&app, "/public/proposals/1042").await.json["areas"].as_array().unwrap().len(), 2);
}
