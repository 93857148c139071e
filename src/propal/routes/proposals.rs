//! Proposals: list (with a `status` filter on `deal_status`), create from a
//! template, get, update metadata, delete, publish (docs: Create a proposal from
//! a template, Update proposal metadata, the quickstart).
//!
//! Create answers 201 `{"id"}` (documented); get, PATCH and publish answer the
//! full proposal (CONTRACT §5.2). Slugs are unique per organization.

use axum::{Json, body::Bytes, extract::RawQuery, http::StatusCode};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::propal::{
    auth::{Caller, Scope},
    docs::{Forbidden, Invalid, NotFound, Refusals},
    error::{Detail, ErrorBody, PropalError},
    input::{
        Change, Choices, JsonObject, List, MAX_TEXT, OneOf, PathId, Text, body, invalid_enum, query_pairs, query_value,
    },
    model::{DealStatus, PageStatus, Proposal, ProposalProduct, ProposalSettings, ProposalView, millis},
    pagination::{Page, PageParams, PageRequest, page},
    state::{OrgData, Store},
};

/// INFERRED: the currency of a proposal with no catalog products.
const DEFAULT_CURRENCY: &str = "EUR";
/// INFERRED: the client-page switches of a proposal created without `settings`.
const DEFAULT_SETTINGS: ProposalSettings = ProposalSettings {
    allow_client_to_sign: true,
    allow_client_to_deny: true,
    allow_payment: false,
    allow_client_to_download_pdf: true,
};

/// `products[]`: any number of rows (the body limit bounds them).
type ProductRows = List<ProductRow, { usize::MAX }>;

/// The documented proposal languages.
#[derive(Debug)]
pub struct Language;

impl Choices for Language {
    const VALUES: &'static [&'static str] = &["fr", "en"];
}

body! {
    /// `POST /v1/proposals`, "Create a proposal from a template" (docs). The four client-page
    /// switches may come nested in `settings` (documented) or flat, as PATCH takes them.
    pub struct NewProposal as "PropalNewProposal" {
        pub title: Text<1, MAX_TEXT>,
        /// Unique in the organization.
        pub slug: Text<1, MAX_TEXT>,
        pub template_id: Change<Uuid>,
        pub lead_id: Change<Uuid>,
        pub language: Change<OneOf<Language>>,
        pub theme_id: Change<Uuid>,
        pub password: Change<Text<0, MAX_TEXT>>,
        pub proposal_product_id: Change<Uuid>,
        pub settings: Change<SettingsChange>,
        /// Catalog products (as bundles) with their payment terms.
        pub products: Change<ProductRows>,
        pub allow_client_to_sign: Option<bool>,
        pub allow_client_to_deny: Option<bool>,
        pub allow_payment: Option<bool>,
        pub allow_client_to_download_pdf: Option<bool>,
    }
}

body! {
    /// `PATCH /v1/proposals/{id}`, "Update proposal metadata" (docs): every field optional;
    /// the switches flat (documented) or nested in `settings`.
    pub struct ProposalChange as "PropalProposalChange" {
        pub title: Option<Text<1, MAX_TEXT>>,
        pub slug: Option<Text<1, MAX_TEXT>>,
        pub language: Option<OneOf<Language>>,
        pub lead_id: Change<Uuid>,
        pub theme_id: Change<Uuid>,
        pub password: Change<Text<0, MAX_TEXT>>,
        pub proposal_product_id: Change<Uuid>,
        pub settings: Change<SettingsChange>,
        pub allow_client_to_sign: Option<bool>,
        pub allow_client_to_deny: Option<bool>,
        pub allow_payment: Option<bool>,
        pub allow_client_to_download_pdf: Option<bool>,
    }
}

body! {
    /// The client-page switches, each optional.
    pub struct SettingsChange as "PropalProposalSettings" {
        pub allow_client_to_sign: Option<bool>,
        pub allow_client_to_deny: Option<bool>,
        pub allow_payment: Option<bool>,
        pub allow_client_to_download_pdf: Option<bool>,
    }
}

body! {
    /// A `products[]` row of a new proposal.
    pub struct ProductRow as "PropalNewProposalProduct" {
        /// A catalog product of the organization.
        pub bundle_id: Uuid,
        /// Payment terms, kept as sent (default `{}`).
        pub payment: Option<JsonObject>,
    }
}

/// The answer to a creation: the new proposal's id (documented).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalCreatedProposal)]
pub struct Created {
    pub id: Uuid,
}

/// `status`: only proposals with this `deal_status` (INFERRED from the pagination example).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents what `list_proposals` reads
pub struct StatusFilter {
    status: Option<DealStatus>,
}

/// List proposals, newest first.
#[utoipa::path(get, path = "/v1/proposals", tag = "propal", params(PageParams, StatusFilter),
    responses((status = 200, description = "A page of proposals", body = Page<ProposalView>), Refusals, Forbidden, Invalid),
    security(("propal_key" = ["proposals:read"])))]
pub async fn list_proposals(
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<ProposalView>>, PropalError> {
    caller.require(Scope::ProposalsRead)?;
    let pairs = query_pairs(query.as_deref())?;
    let request = PageRequest::from_query(&pairs)?;
    let status = match query_value(&pairs, "status").filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(DealStatus::ALL.into_iter().find(|s| s.as_str() == text).ok_or_else(|| {
            let allowed = DealStatus::ALL.map(DealStatus::as_str);
            PropalError::validation(vec![Detail::new("status", invalid_enum(&allowed, text))])
        })?),
    };
    let data = caller.org.data();
    let filter = status.map(|s| move |p: &Proposal| p.deal_status == s);
    Ok(Json(page(&data.proposals, filter, request, |id| data.created_at::<Proposal>(id), |p| view(&data, p))?))
}

/// Create a proposal from a template (docs).
#[utoipa::path(post, path = "/v1/proposals", tag = "propal", request_body = NewProposal,
    responses(
        (status = 201, description = "Created", body = Created),
        Refusals, Forbidden,
        (status = 404, description = "A referenced template, lead, theme, product or proposal product is not the organization's", body = ErrorBody),
        Invalid,
    ),
    security(("propal_key" = ["proposals:write"])))]
pub async fn create_proposal(caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Created>), PropalError> {
    caller.require(Scope::ProposalsWrite)?;
    let input = NewProposal::read(&body)?;
    let flat = [
        input.allow_client_to_sign,
        input.allow_client_to_deny,
        input.allow_payment,
        input.allow_client_to_download_pdf,
    ];
    let settings = switches(DEFAULT_SETTINGS, input.settings, flat)?;

    let mut data = caller.org.data();
    let (title, slug): (String, String) = (input.title.into(), input.slug.into());
    check_slug_free(&data, &slug, None)?;
    let template_id = input.template_id.set();
    if let Some(id) = template_id {
        check_template(&caller.store, &data, id)?;
    }
    let (lead_id, theme_id) = (input.lead_id.set(), input.theme_id.set());
    check_references(&data, lead_id, theme_id)?;
    let proposal_product_id = input.proposal_product_id.set();
    if let Some(id) = proposal_product_id {
        check_proposal_product(&data, id)?;
    }
    let rows = input.products.set().map(|rows: ProductRows| rows.0).unwrap_or_default();
    let (value, currency) = price(&data, &rows)?;
    let now = millis(caller.now);
    let products = rows
        .into_iter()
        .map(|row| ProposalProduct {
            id: caller.store.ids.uuid(),
            bundle_id: row.bundle_id,
            payment: serde_json::Value::Object(row.payment.map(|p| p.0).unwrap_or_default()),
        })
        .collect();
    let proposal = Proposal {
        id: caller.store.ids.uuid(),
        title,
        slug,
        template_id,
        lead_id,
        language: input.language.set(),
        theme_id,
        password: input.password.set(),
        proposal_product_id,
        settings,
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
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Get a proposal.
#[utoipa::path(get, path = "/v1/proposals/{id}", tag = "propal",
    params(("id" = String, Path, description = "Proposal UUID")),
    responses((status = 200, description = "The proposal", body = ProposalView), Refusals, Forbidden, NotFound),
    security(("propal_key" = ["proposals:read"])))]
pub async fn get_proposal(caller: Caller, PathId(id): PathId) -> Result<Json<ProposalView>, PropalError> {
    let id = caller.record_id::<Proposal>(Scope::ProposalsRead, &id)?;
    let data = caller.org.data();
    let proposal = data.find::<Proposal>(id)?;
    Ok(Json(view(&data, proposal)))
}

/// Update proposal metadata (docs).
#[utoipa::path(patch, path = "/v1/proposals/{id}", tag = "propal",
    params(("id" = String, Path, description = "Proposal UUID")), request_body = Option<ProposalChange>,
    responses(
        (status = 200, description = "Proposal updated", body = ProposalView),
        Refusals, Forbidden,
        (status = 404, description = "No such proposal, or a referenced lead, theme or proposal product is not the organization's", body = ErrorBody),
        Invalid,
    ),
    security(("propal_key" = ["proposals:write"])))]
pub async fn update_proposal(
    caller: Caller,
    PathId(id): PathId,
    body: Bytes,
) -> Result<Json<ProposalView>, PropalError> {
    let id = caller.record_id::<Proposal>(Scope::ProposalsWrite, &id)?;
    let change = ProposalChange::read(&body)?;
    let flat = [
        change.allow_client_to_sign,
        change.allow_client_to_deny,
        change.allow_payment,
        change.allow_client_to_download_pdf,
    ];

    let mut data = caller.org.data();
    let settings = switches(data.find::<Proposal>(id)?.settings, change.settings, flat)?;
    if let Some(slug) = &change.slug {
        check_slug_free(&data, &slug.0, Some(id))?;
    }
    let new_lead = if let Change::Set(lead) = change.lead_id { Some(lead) } else { None };
    let new_theme = if let Change::Set(theme) = change.theme_id { Some(theme) } else { None };
    check_references(&data, new_lead, new_theme)?;
    if let Change::Set(row) = change.proposal_product_id {
        check_proposal_product(&data, row)?;
    }
    let proposal = data.find_mut::<Proposal>(id)?;
    if let Some(title) = change.title {
        proposal.title = title.into();
    }
    if let Some(slug) = change.slug {
        proposal.slug = slug.into();
    }
    if let Some(language) = change.language {
        proposal.language = Some(language.into());
    }
    change.lead_id.apply(&mut proposal.lead_id);
    change.theme_id.apply(&mut proposal.theme_id);
    change.password.apply(&mut proposal.password);
    change.proposal_product_id.apply(&mut proposal.proposal_product_id);
    proposal.settings = settings;
    proposal.updated_at = millis(caller.now);
    let proposal = proposal.clone();
    Ok(Json(view(&data, &proposal)))
}

/// Delete a proposal.
#[utoipa::path(delete, path = "/v1/proposals/{id}", tag = "propal",
    params(("id" = String, Path, description = "Proposal UUID")),
    responses((status = 204, description = "Deleted"), Refusals, Forbidden, NotFound),
    security(("propal_key" = ["proposals:delete"])))]
pub async fn delete_proposal(caller: Caller, PathId(id): PathId) -> Result<StatusCode, PropalError> {
    let id = caller.record_id::<Proposal>(Scope::ProposalsDelete, &id)?;
    caller.org.data().take::<Proposal>(id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publish a proposal (the quickstart). INFERRED: publishing sets `page_status` to
/// `published`; publishing again keeps the first `published_at`.
#[utoipa::path(post, path = "/v1/proposals/{id}/publish", tag = "propal",
    params(("id" = String, Path, description = "Proposal UUID")),
    responses((status = 200, description = "The published proposal", body = ProposalView), Refusals, Forbidden, NotFound),
    security(("propal_key" = ["proposals:write"])))]
pub async fn publish_proposal(caller: Caller, PathId(id): PathId) -> Result<Json<ProposalView>, PropalError> {
    let id = caller.record_id::<Proposal>(Scope::ProposalsWrite, &id)?;
    let mut data = caller.org.data();
    let now = millis(caller.now);
    let proposal = data.find_mut::<Proposal>(id)?;
    proposal.page_status = PageStatus::Published;
    proposal.published_at.get_or_insert(now);
    proposal.updated_at = now;
    let proposal = proposal.clone();
    Ok(Json(view(&data, &proposal)))
}

/// The wire shape with the lead's name looked up.
fn view(data: &OrgData, proposal: &Proposal) -> ProposalView {
    let lead_name = proposal.lead_id.and_then(|id| data.leads.get(&id)).map(|lead| lead.name.as_str());
    proposal.view(lead_name)
}

/// The four switches after a request: `base`, then the nested `settings`, then the flat
/// flags (`null` settings change nothing). A switch given both ways with different
/// values is refused rather than one of them dropped.
fn switches(
    base: ProposalSettings,
    nested: Change<SettingsChange>,
    flat: [Option<bool>; 4],
) -> Result<ProposalSettings, PropalError> {
    const NAMES: [&str; 4] =
        ["allow_client_to_sign", "allow_client_to_deny", "allow_payment", "allow_client_to_download_pdf"];
    let nested = match nested {
        Change::Set(s) => {
            [s.allow_client_to_sign, s.allow_client_to_deny, s.allow_payment, s.allow_client_to_download_pdf]
        }
        Change::Keep | Change::Clear => [None; 4],
    };
    let mut details = Vec::new();
    let mut values =
        [base.allow_client_to_sign, base.allow_client_to_deny, base.allow_payment, base.allow_client_to_download_pdf];
    for (i, name) in NAMES.into_iter().enumerate() {
        match (nested[i], flat[i]) {
            (Some(a), Some(b)) if a != b => {
                details.push(Detail::new(name, format!("Conflicts with settings.{name}")));
            }
            (Some(value), _) | (None, Some(value)) => values[i] = value,
            (None, None) => {}
        }
    }
    if !details.is_empty() {
        return Err(PropalError::validation(details));
    }
    let [allow_client_to_sign, allow_client_to_deny, allow_payment, allow_client_to_download_pdf] = values;
    Ok(ProposalSettings { allow_client_to_sign, allow_client_to_deny, allow_payment, allow_client_to_download_pdf })
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
fn price(data: &OrgData, rows: &[ProductRow]) -> Result<(f64, String), PropalError> {
    let mut value = 0.0;
    let mut currency = None;
    for ProductRow { bundle_id: bundle, .. } in rows {
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
