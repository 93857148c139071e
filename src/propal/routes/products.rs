//! Catalog products: list (with `search` on the name), create, get, patch, delete.
//!
//! INFERRED throughout: no product page of the docs was found (reference §6.3), so
//! the paths come from the `products:*` scope names and the fields from the
//! reference's suggestion (`name`, `description`, `price`, `currency`, `tax_rate`,
//! `unit`, `created_at`, `updated_at`).

use axum::{
    Json,
    body::Bytes,
    extract::{Path, RawQuery},
    http::StatusCode,
};
use serde_json::Value;

use crate::propal::{
    auth::{Caller, Scope},
    error::PropalError,
    input::{Change, Fields, MAX_TEXT, object, query_pairs, query_value},
    model::{Product, millis},
    pagination::{PageRequest, page},
};

/// INFERRED: the currency of a product created without one (Propal is French).
const DEFAULT_CURRENCY: &str = "EUR";
/// INFERRED: a description is free text, longer than a name.
const MAX_DESCRIPTION: usize = 5000;
/// INFERRED: `tax_rate` is a percentage.
const MAX_TAX_RATE: f64 = 100.0;

pub async fn list_products(caller: Caller, RawQuery(query): RawQuery) -> Result<Json<Value>, PropalError> {
    caller.require(Scope::ProductsRead)?;
    let pairs = query_pairs(query.as_deref())?;
    let request = PageRequest::from_query(&pairs)?;
    // INFERRED: `search` matches the name, case-insensitively, like the leads search.
    let search = query_value(&pairs, "search").map(str::to_lowercase).filter(|s| !s.is_empty());
    let data = caller.org.data();
    let rows = data
        .products
        .values()
        .filter(|product| search.as_deref().is_none_or(|needle| product.name.to_lowercase().contains(needle)))
        .map(|product| (product.id, product.created_at, product))
        .collect();
    Ok(Json(page(rows, request, &data.created_at_of, |product| serde_json::to_value(product).unwrap_or_default())?))
}

pub async fn create_product(caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Product>), PropalError> {
    caller.require(Scope::ProductsWrite)?;
    let body = object(&body)?;
    let mut fields = Fields::new(&body);
    let name = fields.string("name", true, 1, MAX_TEXT);
    let price = fields.number("price", true, 0.0, f64::MAX);
    let changes = read_changes(&mut fields, &body);
    fields.finish()?;
    let now = millis(caller.now);
    let mut product = Product {
        id: caller.store.ids.uuid(),
        name: name.unwrap_or_default(),
        description: None,
        price: price.unwrap_or_default(),
        currency: DEFAULT_CURRENCY.to_owned(),
        tax_rate: None,
        unit: None,
        created_at: now,
        updated_at: None,
    };
    changes.apply(&mut product);
    let mut data = caller.org.data();
    data.add(product.clone());
    Ok((StatusCode::CREATED, Json(product)))
}

pub async fn get_product(caller: Caller, Path(id): Path<String>) -> Result<Json<Product>, PropalError> {
    caller.record::<Product>(Scope::ProductsRead, &id).map(Json)
}

pub async fn update_product(caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Product>, PropalError> {
    let id = caller.record_id::<Product>(Scope::ProductsWrite, &id)?;
    let body = object(&body)?;
    let mut fields = Fields::new(&body);
    let name = fields.string("name", false, 1, MAX_TEXT);
    let price = fields.number("price", false, 0.0, f64::MAX);
    // `string` already refuses a null name or currency; `number` lets null through as absent.
    if body.get("price").is_some_and(Value::is_null) {
        fields.problem("price", "Expected number, received null");
    }
    let changes = read_changes(&mut fields, &body);
    fields.finish()?;
    let mut data = caller.org.data();
    let product = data.find_mut::<Product>(id)?;
    if let Some(name) = name {
        product.name = name;
    }
    if let Some(price) = price {
        product.price = price;
    }
    changes.apply(product);
    product.updated_at = Some(millis(caller.now));
    Ok(Json(product.clone()))
}

pub async fn delete_product(caller: Caller, Path(id): Path<String>) -> Result<StatusCode, PropalError> {
    let id = caller.record_id::<Product>(Scope::ProductsDelete, &id)?;
    // INFERRED: proposals keep their `products[]` rows (and value) when a catalog product goes.
    caller.org.data().take::<Product>(id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The optional fields of create and PATCH, read and checked.
struct ProductChanges {
    currency: Option<String>,
    tax_rate: Change<f64>,
    description: Change<String>,
    unit: Change<String>,
}

fn read_changes(fields: &mut Fields<'_>, body: &serde_json::Map<String, Value>) -> ProductChanges {
    // INFERRED: an ISO 4217 code, upper case.
    let currency = match fields.string("currency", false, 3, 3) {
        Some(code) if !code.bytes().all(|b| b.is_ascii_uppercase()) => {
            fields.problem("currency", "Must be a 3-letter ISO 4217 code in upper case");
            None
        }
        other => other,
    };
    let tax_rate = if body.get("tax_rate").is_some_and(Value::is_null) {
        Change::Clear
    } else {
        fields.number("tax_rate", false, 0.0, MAX_TAX_RATE).map_or(Change::Keep, Change::Set)
    };
    let description = fields.nullable_string("description", MAX_DESCRIPTION);
    let unit = fields.nullable_string("unit", MAX_TEXT);
    ProductChanges { currency, tax_rate, description, unit }
}

impl ProductChanges {
    fn apply(self, product: &mut Product) {
        if let Some(currency) = self.currency {
            product.currency = currency;
        }
        self.tax_rate.apply(&mut product.tax_rate);
        self.description.apply(&mut product.description);
        self.unit.apply(&mut product.unit);
    }
}
