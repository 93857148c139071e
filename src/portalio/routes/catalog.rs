//! The catalog (reference §5.6): search with filters, facets and paging, one item
//! (with extended details on request), and the category tree. Every route needs
//! the user's catalog access (403 otherwise, reference §2; CONTRACT §5.1).
//!
//! The catalog is shared by every dealer (the distributor catalog); `isFavorite`
//! comes from the fixtures. Labor and custom items (the dealer's private library,
//! INFERRED) are answered in `labors` / `customItems` when `ItemType` asks for them.

use std::{collections::BTreeMap, time::Instant};

use axum::{Json, extract::Path};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{page_bounds, path_id};
use crate::portalio::{
    auth::Caller,
    error::{ErrorBody, PortalioError, UnauthorizedBody},
    input::{Query, boolean, integer, one_or_many},
    model::{CatalogItem, Category, Industry, ItemType},
    wire::{Currency, USD},
};

/// Documented: catalog page size default.
const DEFAULT_PAGE_SIZE: i64 = 10;
/// INFERRED: the largest page.
const MAX_PAGE_SIZE: i64 = 100;

/// `GET /public/catalog` query (reference §5.6.1).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "PascalCase")]
#[into_params(parameter_in = Query)]
pub struct SearchCatalogQuery {
    /// Matched against brand, model and short description.
    pub search_text: Option<String>,
    #[param(value_type = Option<i64>)]
    pub category_id: Option<String>,
    /// Comma-separated or repeated; exclusive with CategoryId.
    #[serde(default, deserialize_with = "one_or_many")]
    #[param(value_type = Option<Vec<i64>>)]
    pub category_ids: Vec<String>,
    #[param(value_type = Option<i64>)]
    pub parent_category_id: Option<String>,
    /// Comma-separated or repeated; exclusive with ParentCategoryId.
    #[serde(default, deserialize_with = "one_or_many")]
    #[param(value_type = Option<Vec<i64>>)]
    pub parent_category_ids: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    #[param(value_type = Option<Vec<String>>)]
    pub brands: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    #[param(value_type = Option<Vec<String>>)]
    pub suppliers: Vec<String>,
    /// Part (default), Labor or CustomItem.
    pub item_type: Option<String>,
    #[param(value_type = Option<bool>)]
    pub is_favorite: Option<String>,
    #[param(value_type = Option<bool>)]
    pub is_in_stock: Option<String>,
    /// INFERRED name: include discontinued items (excluded by default).
    #[param(value_type = Option<bool>)]
    pub include_discontinued: Option<String>,
    /// Default 1; must be 0 or greater (0 reads as the first page).
    #[param(value_type = Option<i64>)]
    pub page_number: Option<String>,
    /// Default 10.
    #[param(value_type = Option<i64>)]
    pub page_size: Option<String>,
}

/// `msrp`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioMsrp)]
pub struct Msrp {
    pub msrp_usd: f64,
    pub value: f64,
    pub regular_value: f64,
    pub is_custom: bool,
    pub currency: Currency,
}

/// `defaultCost`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioDefaultCost)]
pub struct DefaultCost {
    pub supplier_name: String,
    pub supplier_sku: String,
    pub value: f64,
    pub is_in_stock: bool,
    pub is_promo: bool,
    pub currency: Currency,
}

/// A catalog item in search results.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioCatalogItem)]
pub struct CatalogItemOut {
    pub id: u64,
    pub item_type: ItemType,
    pub brand: String,
    pub model: String,
    pub short_description: String,
    pub primary_image_url: String,
    pub parent_category_id: u64,
    pub category_id: u64,
    pub categories: Vec<String>,
    pub is_favorite: bool,
    pub is_discontinued: bool,
    pub msrp: Msrp,
    pub default_cost: DefaultCost,
}

/// `{value, count}` of a facet.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PortalioFacet)]
pub struct Facet {
    pub value: String,
    pub count: usize,
}

/// The search answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioCatalogSearch)]
pub struct CatalogSearch {
    pub items: Vec<CatalogItemOut>,
    pub total_item_count: usize,
    #[serde(rename = "processingTimeMS")]
    pub processing_time_ms: u64,
    pub favorite_item_count: usize,
    pub favorite_items: Vec<CatalogItemOut>,
    pub category_facets: Vec<Facet>,
    pub brand_facets: Vec<Facet>,
    pub supplier_facets: Vec<Facet>,
    pub labors: Vec<CatalogItemOut>,
    pub custom_items: Vec<CatalogItemOut>,
}

fn ids(field: &str, single: Option<&str>, many: &[String]) -> Result<Vec<i64>, PortalioError> {
    let single = integer(field, single)?;
    if single.is_some() && !many.is_empty() {
        return Err(PortalioError::bad_request(format!("{field} and {field}s cannot be used together.")));
    }
    let mut out: Vec<i64> = single.into_iter().collect();
    for value in many {
        out.push(integer(&format!("{field}s"), Some(value))?.unwrap_or_default());
    }
    Ok(out)
}

fn item_type(raw: Option<&str>) -> Result<ItemType, PortalioError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(ItemType::Part),
        Some(text) => ItemType::parse(text).ok_or_else(|| {
            PortalioError::bad_request(format!(
                "The value '{text}' is not valid for ItemType. Valid values: Part, Labor, CustomItem."
            ))
        }),
    }
}

/// The names from the industry down to the item's category.
fn category_path(industries: &[Industry], parent: u64, category: u64) -> Vec<String> {
    fn find(categories: &[Category], id: u64, path: &mut Vec<String>) -> bool {
        for c in categories {
            path.push(c.name.clone());
            if c.id == id || find(&c.sub_categories, id, path) {
                return true;
            }
            path.pop();
        }
        false
    }
    let Some(industry) = industries.iter().find(|i| i.id == parent) else { return Vec::new() };
    let mut path = vec![industry.name.clone()];
    find(&industry.categories, category, &mut path);
    path
}

fn item_out(industries: &[Industry], item: &CatalogItem) -> CatalogItemOut {
    CatalogItemOut {
        id: item.id,
        item_type: item.item_type,
        brand: item.brand.clone(),
        model: item.model.clone(),
        short_description: item.short_description.clone(),
        primary_image_url: format!("https://images.portal.io/catalog/{}/primary.jpg", item.id),
        parent_category_id: item.parent_category_id,
        category_id: item.category_id,
        categories: category_path(industries, item.parent_category_id, item.category_id),
        is_favorite: item.is_favorite,
        is_discontinued: item.is_discontinued,
        msrp: Msrp { msrp_usd: item.msrp, value: item.msrp, regular_value: item.msrp, is_custom: false, currency: USD },
        default_cost: DefaultCost {
            supplier_name: item.supplier.clone(),
            supplier_sku: item.model.clone(),
            value: item.cost,
            is_in_stock: item.in_stock,
            is_promo: false,
            currency: USD,
        },
    }
}

/// Every category id at or below `id` in the tree.
fn subtree(industries: &[Industry], id: i64) -> Vec<u64> {
    fn collect(categories: &[Category], out: &mut Vec<u64>) {
        for c in categories {
            out.push(c.id);
            collect(&c.sub_categories, out);
        }
    }
    fn walk(categories: &[Category], id: i64, out: &mut Vec<u64>) {
        for c in categories {
            if i64::try_from(c.id) == Ok(id) {
                out.push(c.id);
                collect(&c.sub_categories, out);
            } else {
                walk(&c.sub_categories, id, out);
            }
        }
    }
    let mut out = Vec::new();
    for industry in industries {
        walk(&industry.categories, id, &mut out);
    }
    out
}

#[utoipa::path(
    get, path = "/public/catalog", tag = "portalio", summary = "Search the catalog",
    params(SearchCatalogQuery),
    responses(
        (status = 200, body = CatalogSearch),
        (status = 400, body = ErrorBody), (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "No catalog access"),
    ),
    security(("portalio_signature" = []))
)]
pub async fn search_catalog(
    caller: Caller,
    Query(query): Query<SearchCatalogQuery>,
) -> Result<Json<CatalogSearch>, PortalioError> {
    let started = Instant::now();
    caller.require_catalog()?;
    let page = integer("PageNumber", query.page_number.as_deref())?.unwrap_or(1);
    if page < 0 {
        return Err(PortalioError::bad_request("PageNumber must be 0 or greater."));
    }
    let size = integer("PageSize", query.page_size.as_deref())?.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&size) {
        return Err(PortalioError::bad_request(format!("PageSize must be between 1 and {MAX_PAGE_SIZE}.")));
    }
    let categories = ids("CategoryId", query.category_id.as_deref(), &query.category_ids)?;
    let parents = ids("ParentCategoryId", query.parent_category_id.as_deref(), &query.parent_category_ids)?;
    let kind = item_type(query.item_type.as_deref())?;
    let favorite = boolean("IsFavorite", query.is_favorite.as_deref())?;
    let in_stock = boolean("IsInStock", query.is_in_stock.as_deref())?;
    let discontinued = boolean("IncludeDiscontinued", query.include_discontinued.as_deref())?.unwrap_or(false);
    let catalog = &caller.store.catalog;
    let allowed: Vec<u64> = categories.iter().flat_map(|id| subtree(&catalog.industries, *id)).collect();
    let search = query.search_text.unwrap_or_default().trim().to_lowercase();
    let hits: Vec<&CatalogItem> = catalog
        .items
        .iter()
        .filter(|i| i.item_type == kind)
        .filter(|i| discontinued || !i.is_discontinued)
        .filter(|i| categories.is_empty() || allowed.contains(&i.category_id))
        .filter(|i| parents.is_empty() || parents.iter().any(|p| i64::try_from(i.parent_category_id) == Ok(*p)))
        .filter(|i| query.brands.is_empty() || query.brands.iter().any(|b| b.eq_ignore_ascii_case(&i.brand)))
        .filter(|i| query.suppliers.is_empty() || query.suppliers.iter().any(|s| s.eq_ignore_ascii_case(&i.supplier)))
        .filter(|i| favorite.is_none_or(|f| i.is_favorite == f))
        .filter(|i| in_stock.is_none_or(|s| i.in_stock == s))
        .filter(|i| {
            search.is_empty()
                || format!("{} {} {}", i.brand, i.model, i.short_description).to_lowercase().contains(&search)
        })
        .collect();
    let facet = |key: &dyn Fn(&CatalogItem) -> String| -> Vec<Facet> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for item in &hits {
            *counts.entry(key(item)).or_default() += 1;
        }
        counts.into_iter().map(|(value, count)| Facet { value, count }).collect()
    };
    let industries = &catalog.industries;
    let category_facets =
        facet(&|i| category_path(industries, i.parent_category_id, i.category_id).last().cloned().unwrap_or_default());
    let brand_facets = facet(&|i| i.brand.clone());
    let supplier_facets = facet(&|i| i.supplier.clone());
    let favorites: Vec<CatalogItemOut> =
        hits.iter().filter(|i| i.is_favorite).map(|i| item_out(industries, i)).collect();
    let (skip, take) = page_bounds(page.max(1), size);
    let total_item_count = hits.len();
    let page_items: Vec<CatalogItemOut> =
        hits.into_iter().skip(skip).take(take).map(|i| item_out(industries, i)).collect();
    let (items, labors, custom_items) = match kind {
        ItemType::Part => (page_items, Vec::new(), Vec::new()),
        ItemType::Labor => (Vec::new(), page_items, Vec::new()),
        ItemType::CustomItem => (Vec::new(), Vec::new(), page_items),
    };
    Ok(Json(CatalogSearch {
        items,
        total_item_count,
        processing_time_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        favorite_item_count: favorites.len(),
        favorite_items: favorites,
        category_facets,
        brand_facets,
        supplier_facets,
        labors,
        custom_items,
    }))
}

/// `GET /public/catalog/{ItemId}` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "PascalCase")]
#[into_params(parameter_in = Query)]
pub struct GetItemQuery {
    /// Adds description, specs, resource links, images and suppliers.
    #[param(value_type = Option<bool>)]
    pub extended_details: Option<String>,
    /// Part (default), Labor or CustomItem.
    pub item_type: Option<String>,
}

/// `{name, value}` of a spec; `{name, url}` of a resource link.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PortalioNamedValue)]
pub struct NamedValue {
    pub name: String,
    pub value: String,
}

/// A supplier's cost.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioSupplierCost)]
pub struct SupplierCost {
    pub value: f64,
    pub is_promo: bool,
    pub is_in_stock: bool,
    pub unit_of_measure: &'static str,
    pub discount_percentage: f64,
    pub currency: Currency,
}

/// A supplier of an item.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PortalioSupplier)]
pub struct Supplier {
    pub id: u64,
    pub name: String,
    pub cost: SupplierCost,
}

/// One item; the extended fields only with `ExtendedDetails=true`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioCatalogItemDetail)]
pub struct CatalogItemDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_image_urls: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub pdf_resource_links: Option<Vec<serde_json::Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub video_resource_links: Option<Vec<serde_json::Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specs: Option<Vec<NamedValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppliers: Option<Vec<Supplier>>,
    pub rank: u64,
    #[serde(flatten)]
    pub item: CatalogItemOut,
}

#[utoipa::path(
    get, path = "/public/catalog/{ItemId}", tag = "portalio", summary = "Get a catalog item",
    params(("ItemId" = i64, Path), GetItemQuery),
    responses(
        (status = 200, body = CatalogItemDetail),
        (status = 400, body = ErrorBody), (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn get_catalog_item(
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<GetItemQuery>,
) -> Result<Json<CatalogItemDetail>, PortalioError> {
    caller.require_catalog()?;
    let id = path_id(&id, "Catalog item")?;
    let extended = boolean("ExtendedDetails", query.extended_details.as_deref())?.unwrap_or(false);
    let kind = item_type(query.item_type.as_deref())?;
    let catalog = &caller.store.catalog;
    let item = catalog.items.iter().find(|i| i.id == id && i.item_type == kind).ok_or_else(|| {
        PortalioError::not_found("Catalog item not found.", format!("no {kind:?} item {id} in the catalog"))
    })?;
    let rank = catalog.items.iter().position(|i| i.id == id).map_or(0, |p| p as u64 + 1);
    Ok(Json(CatalogItemDetail {
        description: extended.then(|| item.description.clone()),
        product_url: extended.then(|| format!("https://portal.io/catalog/{}", item.id)),
        additional_image_urls: extended
            .then(|| vec![format!("https://images.portal.io/catalog/{}/angle.jpg", item.id)]),
        pdf_resource_links: extended.then(Vec::new),
        video_resource_links: extended.then(Vec::new),
        specs: extended.then(|| {
            item.specs.iter().map(|(name, value)| NamedValue { name: name.clone(), value: value.clone() }).collect()
        }),
        suppliers: extended.then(|| {
            vec![Supplier {
                id: 1,
                name: item.supplier.clone(),
                cost: SupplierCost {
                    value: item.cost,
                    is_promo: false,
                    is_in_stock: item.in_stock,
                    unit_of_measure: "Each",
                    discount_percentage: 0.0,
                    currency: USD,
                },
            }]
        }),
        rank,
        item: item_out(&catalog.industries, item),
    }))
}

#[utoipa::path(
    get, path = "/public/catalog/categories", tag = "portalio", summary = "The category tree (bare array of industries)",
    responses(
        (status = 200, body = Vec<Industry>),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn list_categories(caller: Caller) -> Result<Json<Vec<Industry>>, PortalioError> {
    caller.require_catalog()?;
    Ok(Json(caller.store.catalog.industries.clone()))
}
