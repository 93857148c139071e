//! Leads: list (with `search` on name, e-mail and company), create, get, patch,
//! delete (docs: Get a lead, Update a lead, the sync-contacts guide).

use axum::{Json, body::Bytes, extract::RawQuery, http::StatusCode};
use utoipa::IntoParams;

use crate::propal::{
    auth::{Caller, Scope},
    docs::{Forbidden, Invalid, NotFound, Refusals},
    error::PropalError,
    input::{Change, Email, MAX_TEXT, PathId, Text, body, query_pairs, query_value},
    model::{Lead, millis},
    pagination::{Page, PageParams, PageRequest, page},
};

/// INFERRED: the status a lead made through the API starts with.
const NEW_LEAD_STATUS: &str = "new";

/// A free-text contact field (docs: Update a lead types them `string`).
type Contact = Change<Text<0, MAX_TEXT>>;

body! {
    /// `POST /v1/leads`: the sync-contacts guide's fields, and the rest of what PATCH
    /// takes (INFERRED). `null` leaves a field empty.
    pub struct NewLead as "PropalNewLead" {
        pub name: Text<1, MAX_TEXT>,
        pub email: Change<Email>,
        pub company: Contact,
        pub phone: Contact,
        pub address: Contact,
        pub city: Contact,
        pub state: Contact,
        pub zip: Contact,
        pub country: Contact,
        pub siret: Contact,
        pub tva: Contact,
    }
}

body! {
    /// `PATCH /v1/leads/{id}`: every field optional, `null` clears one (docs: Update a
    /// lead). `website`, `language` and `status` are not accepted.
    pub struct LeadChange as "PropalLeadChange" {
        pub name: Option<Text<1, MAX_TEXT>>,
        pub email: Change<Email>,
        pub company: Contact,
        pub phone: Contact,
        pub address: Contact,
        pub city: Contact,
        pub state: Contact,
        pub zip: Contact,
        pub country: Contact,
        pub siret: Contact,
        pub tva: Contact,
    }
}

/// `search`: part of the name, e-mail or company, any case (the sync-contacts guide
/// looks a lead up by e-mail with it).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents what `list_leads` reads
pub struct LeadSearch {
    search: Option<String>,
}

/// List leads, newest first.
#[utoipa::path(get, path = "/v1/leads", tag = "propal", params(PageParams, LeadSearch),
    responses((status = 200, description = "A page of leads", body = Page<Lead>), Refusals, Forbidden, Invalid),
    security(("propal_key" = ["leads:read"])))]
pub async fn list_leads(caller: Caller, RawQuery(query): RawQuery) -> Result<Json<Page<Lead>>, PropalError> {
    caller.require(Scope::LeadsRead)?;
    let pairs = query_pairs(query.as_deref())?;
    let request = PageRequest::from_query(&pairs)?;
    let search = query_value(&pairs, "search").map(str::to_lowercase).filter(|s| !s.is_empty());
    let data = caller.org.data();
    let filter = search.as_deref().map(|needle| move |lead: &Lead| matches_search(lead, needle));
    Ok(Json(page(&data.leads, filter, request, |id| data.created_at::<Lead>(id), Lead::clone)?))
}

/// Create a lead.
#[utoipa::path(post, path = "/v1/leads", tag = "propal", request_body = NewLead,
    responses((status = 201, description = "The lead", body = Lead), Refusals, Forbidden, Invalid),
    security(("propal_key" = ["leads:write"])))]
pub async fn create_lead(caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Lead>), PropalError> {
    caller.require(Scope::LeadsWrite)?;
    let input = NewLead::read(&body)?;
    let now = millis(caller.now);
    let mut lead = Lead {
        id: caller.store.ids.uuid(),
        name: input.name.into(),
        email: None,
        company: None,
        phone: None,
        website: None,
        address: None,
        city: None,
        state: None,
        zip: None,
        country: None,
        siret: None,
        tva: None,
        language: None,
        status: NEW_LEAD_STATUS.to_owned(),
        created_at: now,
        updated_at: None,
    };
    LeadChange {
        name: None,
        email: input.email,
        company: input.company,
        phone: input.phone,
        address: input.address,
        city: input.city,
        state: input.state,
        zip: input.zip,
        country: input.country,
        siret: input.siret,
        tva: input.tva,
    }
    .apply(&mut lead);
    let mut data = caller.org.data();
    data.add(lead.clone());
    Ok((StatusCode::CREATED, Json(lead)))
}

/// Get a lead (docs: Get a lead).
#[utoipa::path(get, path = "/v1/leads/{id}", tag = "propal",
    params(("id" = String, Path, description = "Lead UUID")),
    responses((status = 200, description = "The lead, every key present", body = Lead), Refusals, Forbidden, NotFound),
    security(("propal_key" = ["leads:read"])))]
pub async fn get_lead(caller: Caller, PathId(id): PathId) -> Result<Json<Lead>, PropalError> {
    caller.record::<Lead>(Scope::LeadsRead, &id).map(Json)
}

/// Update a lead (docs: Update a lead).
#[utoipa::path(patch, path = "/v1/leads/{id}", tag = "propal",
    params(("id" = String, Path, description = "Lead UUID")), request_body = Option<LeadChange>,
    responses((status = 200, description = "Updated lead", body = Lead), Refusals, Forbidden, NotFound, Invalid),
    security(("propal_key" = ["leads:write"])))]
pub async fn update_lead(caller: Caller, PathId(id): PathId, body: Bytes) -> Result<Json<Lead>, PropalError> {
    let id = caller.record_id::<Lead>(Scope::LeadsWrite, &id)?;
    let change = LeadChange::read(&body)?;
    let mut data = caller.org.data();
    let lead = data.find_mut::<Lead>(id)?;
    change.apply(lead);
    lead.updated_at = Some(millis(caller.now));
    Ok(Json(lead.clone()))
}

/// Delete a lead; its proposals stay, without a lead.
#[utoipa::path(delete, path = "/v1/leads/{id}", tag = "propal",
    params(("id" = String, Path, description = "Lead UUID")),
    responses((status = 204, description = "Deleted"), Refusals, Forbidden, NotFound),
    security(("propal_key" = ["leads:delete"])))]
pub async fn delete_lead(caller: Caller, PathId(id): PathId) -> Result<StatusCode, PropalError> {
    let id = caller.record_id::<Lead>(Scope::LeadsDelete, &id)?;
    let mut data = caller.org.data();
    data.take::<Lead>(id)?;
    // INFERRED: proposals that pointed at the lead keep existing, without a lead.
    for proposal in data.proposals.values_mut().filter(|p| p.lead_id == Some(id)) {
        proposal.lead_id = None;
    }
    Ok(StatusCode::NO_CONTENT)
}

impl LeadChange {
    fn apply(self, lead: &mut Lead) {
        if let Some(name) = self.name {
            lead.name = name.into();
        }
        self.email.apply(&mut lead.email);
        self.company.apply(&mut lead.company);
        self.phone.apply(&mut lead.phone);
        self.address.apply(&mut lead.address);
        self.city.apply(&mut lead.city);
        self.state.apply(&mut lead.state);
        self.zip.apply(&mut lead.zip);
        self.country.apply(&mut lead.country);
        self.siret.apply(&mut lead.siret);
        self.tva.apply(&mut lead.tva);
    }
}

fn matches_search(lead: &Lead, needle: &str) -> bool {
    [Some(&lead.name), lead.email.as_ref(), lead.company.as_ref()]
        .into_iter()
        .flatten()
        .any(|text| text.to_lowercase().contains(needle))
}
