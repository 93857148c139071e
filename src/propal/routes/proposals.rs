//! Proposals: list (with a `status` filter on `deal_status`), create from a
//! template, get, update metadata, delete, publish (docs: Create a proposal from
//! a template, Update proposal metadata, the quickstart).
//!
//! Create answers 201 `{"id"}` (documented); get, PATCH and publish answer the
//! full proposal (CONTRACT §5.2). Slugs are unique per organization.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, RawQuery},
    http::StatusCode,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::propal::{
    auth::{Caller, Scope},
    error::{Detail, PropalError},
    input::{Change, Fields, MAX_TEXT, kind, object, query_pairs, query_value},
    model::{DealStatus, PageStatus, Proposal, ProposalProduct, ProposalSettings, millis},
    pagination::{PageRequest, page},
    state::{OrgData, Store},
};

const LANGUAGES: [&str; 2] = ["fr", "en"];
const FLAGS: [&str; 4] =
    ["allow_client_to_sign", "allow_client_to_deny", "allow_payment", "allow_client_to_download_pdf"];
/// INFERRED: the currency of a proposal with no catalog products.
const DEFAULT_CURRENCY: &str = "EUR";
/// INFERRED: the client-page switches of a proposal created without `settings`.
const DEFAULT_SETTINGS: ProposalSettings = ProposalSettings {
    allow_client_to_sign: true,
    allow_client_to_deny: true,
    allow_payment: false,
    allow_client_to_download_pdf: true,
};

pub async fn list_proposals(caller: Caller, RawQuery(query): RawQuery) -> Result<Json<Value>, PropalError> {
    caller.require(Scope::ProposalsRead)?;
    let pairs = query_pairs(query.as_deref())?;
    let request = PageRequest::from_query(&pairs)?;
    let status = match query_value(&pairs, "status").filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(DealStatus::ALL.into_iter().find(|s| s.as_str() == text).ok_or_else(|| {
            PropalError::validation(vec![Detail::new(
                "status",
                format!("Invalid enum value. Expected 'pending' | 'approved' | 'denied', received '{text}'"),
            )])
        })?),
    };
    let data = caller.org.data();
    let rows = data
        .proposals
        .values()
        .filter(|p| status.is_none_or(|s| p.deal_status == s))
        .map(|p| (p.id, p.created_at, p))
        .collect();
    Ok(Json(page(rows, request, &data.created_at_of, |p| wire(&data, p))?))
}

pub async fn create_proposal(caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Value>), PropalError> {
    caller.require(Scope::ProposalsWrite)?;
    let body = object(&body)?;
    let mut fields = Fields::new(&body);
    let title = fields.string("title", true, 1, MAX_TEXT);
    let slug = fields.string("slug", true, 1, MAX_TEXT);
    let template_id = fields.uuid("template_id");
    let lead_id = fields.uuid("lead_id");
    let language = fields.one_of("language", &LANGUAGES);
    let theme_id = fields.uuid("theme_id");
    let password = fields.nullable_string("password", MAX_TEXT);
    let proposal_product_id = fields.uuid("proposal_product_id");
    let settings = read_settings(&mut fields, body.get("settings"));
    let bundles = read_products(&mut fields, body.get("products"));
    fields.finish()?;

    let mut data = caller.org.data();
    let (title, slug) = (title.unwrap_or_default(), slug.unwrap_or_default());
    check_slug_free(&data, &slug, None)?;
    let template_id = set_or_none(template_id);
    if let Some(id) = template_id {
        check_template(&caller.store, &data, id)?;
    }
    let (lead_id, theme_id) = (set_or_none(lead_id), set_or_none(theme_id));
    check_references(&data, lead_id, theme_id)?;
    let proposal_product_id = set_or_none(proposal_product_id);
    if let Some(id) = proposal_product_id {
        check_proposal_product(&data, id)?;
    }
    let (value, currency) = price(&data, &bundles)?;
    let now = millis(caller.now);
    let products = bundles
        .into_iter()
        .map(|(bundle_id, payment)| ProposalProduct { id: caller.store.ids.uuid(), bundle_id, payment })
        .collect();
    let proposal = Proposal {
        id: caller.store.ids.uuid(),
        title,
        slug,
        template_id,
        lead_id,
        language: set_or_none(language),
        theme_id,
        password: set_or_none(password),
        proposal_product_id,
        settings: settings.unwrap_or(DEFAULT_SETTINGS),
        products,
        value,
        currency,
        deal_status: DealStatus::Pending,
        page_status: PageStatus::Draft,
        created_by: None,
        rejection_reason: None,
        created_at: now,
        updated_at: now,
        published_at: None,
        first_viewed_at: None,
        closed_at: None,
    };
    let id = proposal.id;
    data.add(proposal);
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

pub async fn get_proposal(caller: Caller, Path(id): Path<String>) -> Result<Json<Value>, PropalError> {
    let id = caller.record_id::<Proposal>(Scope::ProposalsRead, &id)?;
    let data = caller.org.data();
    let proposal = data.find::<Proposal>(id)?;
    Ok(Json(wire(&data, proposal)))
}

pub async fn update_proposal(caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>, PropalError> {
    let id = caller.record_id::<Proposal>(Scope::ProposalsWrite, &id)?;
    let body = object(&body)?;
    let mut fields = Fields::new(&body);
    let title = fields.string("title", false, 1, MAX_TEXT);
    let slug = fields.string("slug", false, 1, MAX_TEXT);
    if body.get("language").is_some_and(Value::is_null) {
        fields.problem("language", "Expected string, received null");
    }
    let lead_id = fields.uuid("lead_id");
    let language = fields.one_of("language", &LANGUAGES);
    let theme_id = fields.uuid("theme_id");
    let password = fields.nullable_string("password", MAX_TEXT);
    let proposal_product_id = fields.uuid("proposal_product_id");
    let flags: Vec<(&str, Option<bool>)> = FLAGS.iter().map(|&f| (f, fields.boolean(f))).collect();
    fields.finish()?;

    let mut data = caller.org.data();
    if let Some(slug) = &slug {
        check_slug_free(&data, slug, Some(id))?;
    }
    let new_lead = if let Change::Set(lead) = lead_id { Some(lead) } else { None };
    let new_theme = if let Change::Set(theme) = theme_id { Some(theme) } else { None };
    check_references(&data, new_lead, new_theme)?;
    if let Change::Set(row) = proposal_product_id {
        check_proposal_product(&data, row)?;
    }
    let proposal = data.find_mut::<Proposal>(id)?;
    if let Some(title) = title {
        proposal.title = title;
    }
    if let Some(slug) = slug {
        proposal.slug = slug;
    }
    lead_id.apply(&mut proposal.lead_id);
    language.apply(&mut proposal.language);
    theme_id.apply(&mut proposal.theme_id);
    password.apply(&mut proposal.password);
    proposal_product_id.apply(&mut proposal.proposal_product_id);
    for (flag, value) in flags {
        if let Some(value) = value {
            let settings = &mut proposal.settings;
            match flag {
                "allow_client_to_sign" => settings.allow_client_to_sign = value,
                "allow_client_to_deny" => settings.allow_client_to_deny = value,
                "allow_payment" => settings.allow_payment = value,
                _ => settings.allow_client_to_download_pdf = value,
            }
        }
    }
    proposal.updated_at = millis(caller.now);
    let proposal = proposal.clone();
    Ok(Json(wire(&data, &proposal)))
}

pub async fn delete_proposal(caller: Caller, Path(id): Path<String>) -> Result<StatusCode, PropalError> {
    let id = caller.record_id::<Proposal>(Scope::ProposalsDelete, &id)?;
    caller.org.data().take::<Proposal>(id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// INFERRED: publishing sets `page_status` to `published`; publishing again keeps the first `published_at`.
pub async fn publish_proposal(caller: Caller, Path(id): Path<String>) -> Result<Json<Value>, PropalError> {
    let id = caller.record_id::<Proposal>(Scope::ProposalsWrite, &id)?;
    let mut data = caller.org.data();
    let now = millis(caller.now);
    let proposal = data.find_mut::<Proposal>(id)?;
    proposal.page_status = PageStatus::Published;
    proposal.published_at.get_or_insert(now);
    proposal.updated_at = now;
    let proposal = proposal.clone();
    Ok(Json(wire(&data, &proposal)))
}

/// The wire shape with the lead's name looked up.
fn wire(data: &OrgData, proposal: &Proposal) -> Value {
    let lead_name = proposal.lead_id.and_then(|id| data.leads.get(&id)).map(|lead| lead.name.as_str());
    proposal.to_wire(lead_name)
}

fn read_settings(fields: &mut Fields<'_>, raw: Option<&Value>) -> Option<ProposalSettings> {
    let map = match raw {
        None | Some(Value::Null) => return None,
        Some(Value::Object(map)) => map,
        Some(other) => {
            fields.problem("settings", format!("Expected object, received {}", kind(other)));
            return None;
        }
    };
    let mut settings = DEFAULT_SETTINGS;
    for flag in FLAGS {
        match map.get(flag) {
            None => {}
            Some(Value::Bool(value)) => match flag {
                "allow_client_to_sign" => settings.allow_client_to_sign = *value,
                "allow_client_to_deny" => settings.allow_client_to_deny = *value,
                "allow_payment" => settings.allow_payment = *value,
                _ => settings.allow_client_to_download_pdf = *value,
            },
            Some(other) => {
                fields.problem(&format!("settings.{flag}"), format!("Expected boolean, received {}", kind(other)));
            }
        }
    }
    Some(settings)
}

/// `products[]`: `{bundle_id, payment?}` rows.
fn read_products(fields: &mut Fields<'_>, raw: Option<&Value>) -> Vec<(Uuid, Value)> {
    let items = match raw {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            fields.problem("products", format!("Expected array, received {}", kind(other)));
            return Vec::new();
        }
    };
    let mut rows = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Object(item) = item else {
            fields.problem(&format!("products.{i}"), format!("Expected object, received {}", kind(item)));
            continue;
        };
        let bundle = item.get("bundle_id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok());
        let payment = item.get("payment").cloned().unwrap_or_else(|| Value::Object(Map::new()));
        if !payment.is_object() {
            fields.problem(&format!("products.{i}.payment"), format!("Expected object, received {}", kind(&payment)));
        }
        match bundle {
            Some(bundle) => rows.push((bundle, payment)),
            None if item.contains_key("bundle_id") => {
                fields.problem(&format!("products.{i}.bundle_id"), "Invalid uuid");
            }
            None => fields.problem(&format!("products.{i}.bundle_id"), "Required"),
        }
    }
    rows
}

fn check_slug_free(data: &OrgData, slug: &str, except: Option<Uuid>) -> Result<(), PropalError> {
    if data.proposals.values().any(|p| p.slug == slug && Some(p.id) != except) {
        return Err(PropalError::validation(vec![Detail::new("slug", "Slug already exists")]));
    }
    Ok(())
}

/// INFERRED: a referenced lead, theme or template outside the organization is a 404, like a path id.
fn check_references(data: &OrgData, lead: Option<Uuid>, theme: Option<Uuid>) -> Result<(), PropalError> {
    if let Some(lead) = lead.filter(|id| !data.leads.contains_key(id)) {
        return Err(PropalError::not_found(
            "Lead not found.",
            format!("lead_id {lead} is not a lead of this organization"),
        ));
    }
    if let Some(theme) = theme.filter(|id| !data.themes.contains_key(id)) {
        return Err(PropalError::not_found(
            "Theme not found.",
            format!("theme_id {theme} is not a theme of this organization"),
        ));
    }
    Ok(())
}

fn check_template(store: &Store, data: &OrgData, id: Uuid) -> Result<(), PropalError> {
    if data.templates.contains_key(&id) || store.global_templates.iter().any(|t| t.id == id) {
        Ok(())
    } else {
        Err(PropalError::not_found(
            "Template not found.",
            format!("template_id {id} is neither this organization's nor global"),
        ))
    }
}

fn check_proposal_product(data: &OrgData, id: Uuid) -> Result<(), PropalError> {
    if data.proposals.values().flat_map(|p| &p.products).any(|row| row.id == id) {
        Ok(())
    } else {
        Err(PropalError::not_found(
            "Proposal product not found.",
            format!("proposal_product_id {id} is no proposal_products row of this organization"),
        ))
    }
}

/// INFERRED: a `bundle_id` names a catalog product; the proposal's value is the sum of their prices.
fn price(data: &OrgData, bundles: &[(Uuid, Value)]) -> Result<(f64, String), PropalError> {
    let mut value = 0.0;
    let mut currency = None;
    for (bundle, _) in bundles {
        let product = data.products.get(bundle).ok_or_else(|| {
            PropalError::not_found(
                "Product not found.",
                format!("bundle_id {bundle} is not a product of this organization"),
            )
        })?;
        value += product.price;
        currency.get_or_insert_with(|| product.currency.clone());
    }
    Ok(((value * 100.0).round() / 100.0, currency.unwrap_or_else(|| DEFAULT_CURRENCY.to_owned())))
}

fn set_or_none<T>(change: Change<T>) -> Option<T> {
    match change {
        Change::Set(value) => Some(value),
        Change::Keep | Change::Clear => None,
    }
}
