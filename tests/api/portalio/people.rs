//! People and locations: forgiving people paging, strict location paging, type
//! filters, counts, validation with nothing stored, and one primary and one billing
//! location per contact.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::signer::{Call, Client, message};
use crate::helpers::TestApp;

fn last_names(v: &serde_json::Value) -> Vec<String> {
    v["people"].as_array().unwrap().iter().map(|p| p["lastName"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn people_list_sorts_filters_and_falls_back_to_page_one_of_ten() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.get(&app, "/public/people").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["peopleCount"], 7);
    assert_eq!(last_names(&r.json), ["Becker", "Garcia", "Moreno", "Patel", "Quinn", "Smith", "Whitfield"]);
    let fallback = client.get(&app, "/public/people?PageNumber=0&PageSize=-1").await;
    assert_eq!(fallback.status, StatusCode::OK);
    assert_eq!(fallback.json, r.json);
    let page = client.get(&app, "/public/people?PageNumber=2&PageSize=2").await;
    assert_eq!(last_names(&page.json), ["Moreno", "Patel"]);
    assert_eq!(page.json["peopleCount"], 7);
    let companies = client.get(&app, "/public/people?ContactTypes=Company").await;
    assert_eq!(last_names(&companies.json), ["Becker", "Whitfield"]);
    let both = client.get(&app, "/public/people?ContactTypes=Person&ContactTypes=Company").await;
    assert_eq!(both.json["peopleCount"], 7);
    assert_eq!(client.get(&app, "/public/people?ContactTypes=Contractor").await.json["peopleCount"], 1);
    let search = client.get(&app, "/public/people?SearchText=OAKRIDGE").await;
    assert_eq!(last_names(&search.json), ["Whitfield"]);
    let desc = client.get(&app, "/public/people?SortBy=FirstName&SortDirection=Descending&PageSize=1").await;
    assert_eq!(desc.json["people"][0]["firstName"], "Tom");
    let r = client.get(&app, "/public/people?ContactTypes=Vendor").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json["message"].as_str().unwrap().starts_with("The value 'Vendor' is not valid for ContactTypes."));
}

#[tokio::test]
async fn a_contact_has_its_primary_and_billing_locations_and_counts_on_request() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.get(&app, "/public/people/88").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["primaryLocation"]["id"], 201);
    assert_eq!(r.json["billingLocation"]["id"], 202);
    assert_eq!(r.json["contactEmailCC"], "");
    assert!(r.json.get("proposalCount").is_none());
    let r = client.get(&app, "/public/people/88?IncludeCounts=true").await;
    assert_eq!((r.json["proposalCount"].clone(), r.json["paymentCount"].clone()), (json!(2), json!(2)));
    let r = client.get(&app, "/public/people/120").await;
    assert_eq!((r.status, r.text), (StatusCode::NOT_FOUND, message("Contact not found.")));
}

#[tokio::test]
async fn creating_a_contact_validates_every_field_and_stores_nothing_when_refused() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let long = "x".repeat(101);
    for (body, text) in [
        ("ContactType=Client&FirstName=A".to_owned(), "The PartyType field is required."),
        (
            "PartyType=Individual&ContactType=Client&FirstName=A".to_owned(),
            "The value 'Individual' is not valid for PartyType. Valid values: Person, Company.",
        ),
        ("PartyType=Person&FirstName=A".to_owned(), "The ContactType field is required."),
        ("PartyType=Person&ContactType=Client".to_owned(), "The FirstName field is required."),
        (
            format!("PartyType=Person&ContactType=Client&FirstName={long}"),
            "The field FirstName must be a string with a maximum length of 100.",
        ),
        (
            "PartyType=Company&ContactType=Client&FirstName=A".to_owned(),
            "The CompanyName field is required when PartyType is Company.",
        ),
        (
            "PartyType=Person&ContactType=Client&FirstName=A&ContactEmail=not-an-email".to_owned(),
            "The ContactEmail field is not a valid e-mail address.",
        ),
        (
            "PartyType=Person&ContactType=Client&FirstName=A&ContactPhone=0123456789012345678901234567890".to_owned(),
            "The field ContactPhone must be a string with a maximum length of 30.",
        ),
    ] {
        let r = client.post_form(&app, "/public/people", &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.text, message(text), "{body}");
    }
    assert_eq!(client.get(&app, "/public/people").await.json["peopleCount"], 7);
    let r = client
        .post_form(
            &app,
            "/public/people",
            "partytype=Company&contacttype=Client&FirstName=Kim&LastName=Ono&CompanyName=Ono+Design&ContactEmail=kim%40ono.example&ContactEmailCC=office%40ono.example&ContactPhone=555-0101&Notes=VIP",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["partyType"], "Company");
    assert_eq!(r.json["contactEmailCC"], "office@ono.example");
    assert_eq!(r.json["proposalCount"], 0);
    assert!(r.json["primaryLocation"].is_null());
    let id = r.json["id"].as_u64().unwrap();
    let back = client.get(&app, &format!("/public/people/{id}")).await;
    assert_eq!(back.json["companyName"], "Ono Design");
    assert_eq!(client.get(&app, "/public/people").await.json["peopleCount"], 8);
    let json_body = client
        .send(
            &app,
            Call::new(Method::POST, "/public/people")
                .json(json!({"partyType": "Person", "contactType": "Other", "firstName": "Lee"})),
        )
        .await;
    assert_eq!(json_body.status, StatusCode::OK);
}

#[tokio::test]
async fn locations_list_primary_first_billing_second_with_strict_paging() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.get(&app, "/public/people/92/location").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let ids: Vec<u64> =
        r.json["contactLocations"].as_array().unwrap().iter().map(|l| l["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [206, 207]);
    assert_eq!(r.json["locationCount"], 2);
    let r = client.get(&app, "/public/people/92/location?PageNumber=0").await;
    assert_eq!(
        (r.status, r.text),
        (StatusCode::BAD_REQUEST, message("PageNumber must be greater than or equal to 1."))
    );
    let r = client.get(&app, "/public/people/92/location?PageNumber=2&PageSize=1").await;
    assert_eq!(r.json["contactLocations"][0]["id"], 207);
    let r = client.get(&app, "/public/people/121/location").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn adding_a_location_resolves_the_state_and_moves_the_primary_flag() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    for (body, text) in [
        ("City=Austin", "The Street field is required."),
        ("Street=1+A+St&Country=United+States", "The State field is required when Country is given."),
        (
            "Street=1+A+St&City=ThisCityNameIsWayTooLongForTheFiftyCharacterLimitOk",
            "The field City must be a string with a maximum length of 50.",
        ),
        ("Street=1+A+St&IsPrimary=maybe", "The value 'maybe' is not valid for IsPrimary."),
    ] {
        let r = client.post_form(&app, "/public/people/88/location", body).await;
        assert_eq!((r.status, r.text.as_str()), (StatusCode::BAD_REQUEST, message(text).as_str()), "{body}");
    }
    let r = client
        .post_form(
            &app,
            "/public/people/88/location",
            "Street=456+Oak+Ave&City=Austin&PostalCode=78702&State=TX&IsPrimary=true",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["state"], "Texas");
    assert_eq!(r.json["stateAbbrev"], "TX");
    assert_eq!(r.json["country"], "United States");
    assert_eq!(r.json["isPrimary"], true);
    let new_id = r.json["id"].as_u64().unwrap();
    let contact = client.get(&app, "/public/people/88").await;
    assert_eq!(contact.json["primaryLocation"]["id"], new_id);
    let list = client.get(&app, "/public/people/88/location").await;
    let primaries = list.json["contactLocations"].as_array().unwrap().iter().filter(|l| l["isPrimary"] == true).count();
    assert_eq!(primaries, 1);
    // The billing flag moves the same way.
    let r = client.post_form(&app, "/public/people/88/location", "Street=PO+Box+9&IsBilling=true").await;
    assert_eq!(r.json["isBilling"], true);
    let contact = client.get(&app, "/public/people/88").await;
    assert_eq!(contact.json["billingLocation"]["street"], "PO Box 9");
    let r = client.post_form(&app, "/public/people/120/location", "Street=x").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
