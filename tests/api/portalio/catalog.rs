//! The catalog: access (403), search filters, facets and paging, item details and
//! the category tree.

use axum::http::StatusCode;
use serde_json::json;

use super::signer::{Client, message, reason};
use crate::helpers::TestApp;

fn ids(v: &serde_json::Value, key: &str) -> Vec<u64> {
    v[key].as_array().unwrap().iter().map(|i| i["id"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn users_without_catalog_access_get_403_on_every_catalog_route() {
    let app = TestApp::new();
    Client::alex(&app).await;
    let morgan = Client::fixture(&app, "morgan@brightwire.example").await;
    for path in ["/public/catalog", "/public/catalog/8821", "/public/catalog/categories"] {
        let r = morgan.get(&app, path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(
            r.text,
            message("Catalog access is not enabled for this account. Contact your Portal.io representative.")
        );
        assert_eq!(reason(&r), "forbidden");
    }
    // The rest of the API works for them.
    assert_eq!(morgan.get(&app, "/public/proposals").await.status, StatusCode::OK);
}

#[tokio::test]
async fn search_filters_facets_and_pages() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.get(&app, "/public/catalog").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["totalItemCount"], 27, "parts that are not discontinued");
    assert_eq!(r.json["items"].as_array().unwrap().len(), 10);
    let first = &r.json["items"][0];
    assert_eq!(first["categories"], json!(["Audio", "AV Receivers"]));
    assert_eq!(first["msrp"]["currency"], json!({"code": "USD", "symbol": "$"}));
    let denon = client.get(&app, "/public/catalog?SearchText=denon").await;
    assert_eq!(ids(&denon.json, "items"), [8821, 8822]);
    assert_eq!(denon.json["brandFacets"], json!([{"value": "Denon", "count": 2}]));
    assert_eq!(denon.json["favoriteItemCount"], 1);
    let speakers = client.get(&app, "/public/catalog?CategoryId=49&PageSize=50").await;
    assert_eq!(speakers.json["totalItemCount"], 5, "a category includes its sub-categories");
    let parents = client.get(&app, "/public/catalog?ParentCategoryIds=12,13&PageSize=50").await;
    let repeated = client.get(&app, "/public/catalog?ParentCategoryIds=12&ParentCategoryIds=13&PageSize=50").await;
    assert_eq!(parents.json["totalItemCount"], 18);
    assert_eq!(ids(&parents.json, "items"), ids(&repeated.json, "items"));
    let with_discontinued = client.get(&app, "/public/catalog?IncludeDiscontinued=true").await;
    assert_eq!(with_discontinued.json["totalItemCount"], 30);
    let page_zero = client.get(&app, "/public/catalog?PageNumber=0").await;
    assert_eq!(page_zero.status, StatusCode::OK);
    let labor = client.get(&app, "/public/catalog?ItemType=Labor").await;
    assert_eq!(ids(&labor.json, "labors"), [9001, 9002, 9003]);
    assert_eq!(labor.json["items"], json!([]));
    let stocked = client.get(&app, "/public/catalog?IsInStock=false&Brands=Sony").await;
    assert_eq!(ids(&stocked.json, "items"), [8861]);
    for (query, text) in [
        ("PageNumber=-1", "PageNumber must be 0 or greater."),
        ("CategoryId=47&CategoryIds=48", "CategoryId and CategoryIds cannot be used together."),
        ("ItemType=Service", "The value 'Service' is not valid for ItemType. Valid values: Part, Labor, CustomItem."),
    ] {
        let r = client.get(&app, &format!("/public/catalog?{query}")).await;
        assert_eq!((r.status, r.text), (StatusCode::BAD_REQUEST, message(text)), "{query}");
    }
}

#[tokio::test]
async fn an_item_has_extended_details_on_request_and_its_type_must_match() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.get(&app, "/public/catalog/8821").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["model"], "AVR-X3800H");
    assert!(r.json.get("description").is_none());
    let r = client.get(&app, "/public/catalog/8821?ExtendedDetails=true").await;
    assert!(r.json["description"].as_str().unwrap().contains("AVR-X3800H"));
    assert_eq!(r.json["specs"][0], json!({"name": "Brand", "value": "Denon"}));
    assert_eq!(r.json["suppliers"][0]["name"], "D&H Distributing");
    let r = client.get(&app, "/public/catalog/9001").await;
    assert_eq!((r.status, r.text), (StatusCode::NOT_FOUND, message("Catalog item not found.")));
    assert_eq!(client.get(&app, "/public/catalog/9001?ItemType=Labor").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_category_tree_is_a_bare_array_of_industries() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.get(&app, "/public/catalog/categories").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let industries = r.json.as_array().unwrap();
    assert_eq!(industries.len(), 5);
    assert_eq!(industries[0]["name"], "Audio");
    assert_eq!(industries[0]["categories"][2]["subCategories"][0]["name"], "In-Ceiling Speakers");
}
