//! Catalog products: list (with `search` on the name), create, get, patch, delete.
//!
//! INFERRED throughout: no product page of the docs was found (reference §6.3), so
//! the paths come from the `products:*` scope names and the fields from the
//! reference's suggestion (`name`, `description`, `price`, `currency`, `tax_rate`,
//! `unit`, `created_at`, `updated_at`).

use axum::{Json, body::Bytes, extract::RawQuery, http::StatusCode};
use serde_json::Value;
use utoipa::{IntoParams, openapi::RefOr};

use crate::propal::{
    auth::{Caller, Scope},
    docs::{Forbidden, Invalid, NotFound, Refusals},
    error::PropalError,
    input::{BodyField, Change, Fields, MAX_TEXT, Number, PathId, Text, body, query_pairs, query_value, string_schema},
    model::{Product, millis},
    pagination::{Page, PageParams, PageRequest, page},
};

/// INFERRED: the currency of a product created without one (Propal is French).
const DEFAULT_CURRENCY: &str = "EUR";
/// INFERRED: a description is free text, longer than a name.
const MAX_DESCRIPTION: usize = 5000;
/// INFERRED: the largest price, so that sums of prices (proposal values, metrics
/// totals) stay exact to the cent in a JSON number; `1e308` would overflow them.
pub const MAX_PRICE: i64 = 1_000_000_000;

/// A catalog price: 0 to [`MAX_PRICE`].
type Price = Number<0, MAX_PRICE>;
/// INFERRED: `tax_rate` is a percentage.
type TaxRate = Number<0, 100>;

body! {
    /// `POST /v1/products` (INFERRED shape, reference §6.3).
    pub struct NewProduct as "PropalNewProduct" {
        pub name: Text<1, MAX_TEXT>,
        pub price: Price,
        /// Default `EUR`.
        pub currency: Option<Currency>,
        /// A percentage.
        pub tax_rate: Change<TaxRate>,
        pub description: Change<Text<0, MAX_DESCRIPTION>>,
        pub unit: Change<Text<0, MAX_TEXT>>,
    }
}

body! {
    /// `PATCH /v1/products/{id}`: every field optional; `null` clears the nullable ones.
    pub struct ProductChange as "PropalProductChange" {
        pub name: Option<Text<1, MAX_TEXT>>,
        pub price: Option<Price>,
        pub currency: Option<Currency>,
        /// A percentage.
        pub tax_rate: Change<TaxRate>,
        pub description: Change<Text<0, MAX_DESCRIPTION>>,
        pub unit: Change<Text<0, MAX_TEXT>>,
    }
}

/// INFERRED: an ISO 4217 code, upper case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Currency(pub String);

impl BodyField for Currency {
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        let upper = |code: &str| code.bytes().all(|b| b.is_ascii_uppercase());
        fields.text_where(path, raw, (3, 3), upper, "Must be a 3-letter ISO 4217 code in upper case").map(Self)
    }

    fn schema() -> RefOr<utoipa::openapi::Schema> {
        string_schema(3, 3).pattern(Some("^[A-Z]{3}$")).into()
    }
}

/// `search`: part of the name, any case (INFERRED, like the leads search).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents what `list_products` reads
pub struct ProductSearch {
    search: Option<String>,
}

/// List catalog products, newest first.
#[utoipa::path(get, path = "/v1/products", tag = "propal", params(PageParams, ProductSearch),
    responses((status = 200, description = "A page of products", body = Page<Product>), Refusals, Forbidden, Invalid),
    security(("propal_key" = ["products:read"])))]
pub async fn list_products(caller: Caller, RawQuery(query): RawQuery) -> Result<Json<Page<Product>>, PropalError> {
    caller.require(Scope::ProductsRead)?;
    let pairs = query_pairs(query.as_deref())?;
    let request = PageRequest::from_query(&pairs)?;
    let search = query_value(&pairs, "search").map(str::to_lowercase).filter(|s| !s.is_empty());
    let data = caller.org.data();
    let filter = search.as_deref().map(|needle| move |product: &Product| product.name.to_lowercase().contains(needle));
    Ok(Json(page(&data.products, filter, request, |id| data.created_at::<Product>(id), Product::clone)?))
}

/// Create a catalog product.
#[utoipa::path(post, path = "/v1/products", tag = "propal", request_body = NewProduct,
    responses((status = 201, description = "The product", body = Product), Refusals, Forbidden, Invalid),
    security(("propal_key" = ["products:write"])))]
pub async fn create_product(caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Product>), PropalError> {
    caller.require(Scope::ProductsWrite)?;
    let input = NewProduct::read(&body)?;
    let now = millis(caller.now);
    let mut product = Product {
        id: caller.store.ids.uuid(),
        name: input.name.into(),
        description: None,
        price: input.price.into(),
        currency: DEFAULT_CURRENCY.to_owned(),
        tax_rate: None,
        unit: None,
        created_at: now,
        updated_at: None,
    };
    let change = ProductChange {
        name: None,
        price: None,
        currency: input.currency,
        tax_rate: input.tax_rate,
        description: input.description,
        unit: input.unit,
    };
    change.apply(&mut product);
    let mut data = caller.org.data();
    data.add(product.clone());
    Ok((StatusCode::CREATED, Json(product)))
}

/// Get a catalog product.
#[utoipa::path(get, path = "/v1/products/{id}", tag = "propal",
    params(("id" = String, Path, description = "Product UUID")),
    responses((status = 200, description = "The product", body = Product), Refusals, Forbidden, NotFound),
    security(("propal_key" = ["products:read"])))]
pub async fn get_product(caller: Caller, PathId(id): PathId) -> Result<Json<Product>, PropalError> {
    caller.record::<Product>(Scope::ProductsRead, &id).map(Json)
}

/// Update a catalog product.
#[utoipa::path(patch, path = "/v1/products/{id}", tag = "propal",
    params(("id" = String, Path, description = "Product UUID")), request_body = Option<ProductChange>,
    responses((status = 200, description = "The product", body = Product), Refusals, Forbidden, NotFound, Invalid),
    security(("propal_key" = ["products:write"])))]
pub async fn update_product(caller: Caller, PathId(id): PathId, body: Bytes) -> Result<Json<Product>, PropalError> {
    let id = caller.record_id::<Product>(Scope::ProductsWrite, &id)?;
    let change = ProductChange::read(&body)?;
    let mut data = caller.org.data();
    let product = data.find_mut::<Product>(id)?;
    change.apply(product);
    product.updated_at = Some(millis(caller.now));
    Ok(Json(product.clone()))
}

/// Delete a catalog product; proposals keep their rows and value.
#[utoipa::path(delete, path = "/v1/products/{id}", tag = "propal",
    params(("id" = String, Path, description = "Product UUID")),
    responses((status = 204, description = "Deleted"), Refusals, Forbidden, NotFound),
    security(("propal_key" = ["products:delete"])))]
pub async fn delete_product(caller: Caller, PathId(id): PathId) -> Result<StatusCode, PropalError> {
    let id = caller.record_id::<Product>(Scope::ProductsDelete, &id)?;
    // INFERRED: proposals keep their `products[]` rows (and value) when a catalog product goes.
    caller.org.data().take::<Product>(id)?;
    Ok(StatusCode::NO_CONTENT)
}

impl ProductChange {
    fn apply(self, product: &mut Product) {
        if let Some(name) = self.name {
            product.name = name.into();
        }
        if let Some(price) = self.price {
            product.price = price.into();
        }
        if let Some(currency) = self.currency {
            product.currency = currency.0;
        }
        self.tax_rate.apply(&mut product.tax_rate);
        self.description.apply(&mut product.description);
        self.unit.apply(&mut product.unit);
    }
}
