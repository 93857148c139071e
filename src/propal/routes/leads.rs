//! Leads: list (with `search` on name, e-mail and company), create, get, patch,
//! delete (docs: Get a lead, Update a lead, the sync-contacts guide).

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
    model::{Lead, millis},
    pagination::{PageRequest, page},
};

/// INFERRED: the status a lead made through the API starts with.
const NEW_LEAD_STATUS: &str = "new";
/// The text fields PATCH accepts besides `name` and `email` (docs: Update a lead).
const TEXT_FIELDS: [&str; 9] = ["company", "phone", "address", "city", "state", "zip", "country", "siret", "tva"];

pub async fn list_leads(caller: Caller, RawQuery(query): RawQuery) -> Result<Json<Value>, PropalError> {
    caller.require(Scope::LeadsRead)?;
    let pairs = query_pairs(query.as_deref())?;
    let request = PageRequest::from_query(&pairs)?;
    let search = query_value(&pairs, "search").map(str::to_lowercase).filter(|s| !s.is_empty());
    let data = caller.org.data();
    let rows = data
        .leads
        .values()
        .filter(|lead| search.as_deref().is_none_or(|needle| matches_search(lead, needle)))
        .map(|lead| (lead.id, lead.created_at, lead))
        .collect();
    Ok(Json(page(rows, request, &data.created_at_of, |lead| serde_json::to_value(lead).unwrap_or_default())?))
}

pub async fn create_lead(caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Lead>), PropalError> {
    caller.require(Scope::LeadsWrite)?;
    let body = object(&body)?;
    let mut fields = Fields::new(&body);
    let name = fields.string("name", true, 1, MAX_TEXT);
    let changes = read_changes(&mut fields);
    fields.finish()?;
    let now = millis(caller.now);
    let mut lead = Lead {
        id: caller.store.ids.uuid(),
        name: name.unwrap_or_default(),
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
    changes.apply(&mut lead);
    let mut data = caller.org.data();
    data.add(lead.clone());
    Ok((StatusCode::CREATED, Json(lead)))
}

pub async fn get_lead(caller: Caller, Path(id): Path<String>) -> Result<Json<Lead>, PropalError> {
    caller.record::<Lead>(Scope::LeadsRead, &id).map(Json)
}

pub async fn update_lead(caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Lead>, PropalError> {
    let id = caller.record_id::<Lead>(Scope::LeadsWrite, &id)?;
    let body = object(&body)?;
    let mut fields = Fields::new(&body);
    let name = fields.string("name", false, 1, MAX_TEXT);
    let changes = read_changes(&mut fields);
    fields.finish()?;
    let mut data = caller.org.data();
    let lead = data.find_mut::<Lead>(id)?;
    if let Some(name) = name {
        lead.name = name;
    }
    changes.apply(lead);
    lead.updated_at = Some(millis(caller.now));
    Ok(Json(lead.clone()))
}

pub async fn delete_lead(caller: Caller, Path(id): Path<String>) -> Result<StatusCode, PropalError> {
    let id = caller.record_id::<Lead>(Scope::LeadsDelete, &id)?;
    let mut data = caller.org.data();
    data.take::<Lead>(id)?;
    // INFERRED: proposals that pointed at the lead keep existing, without a lead.
    for proposal in data.proposals.values_mut().filter(|p| p.lead_id == Some(id)) {
        proposal.lead_id = None;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The optional fields of create and PATCH, read and checked.
struct LeadChanges {
    email: Change<String>,
    text: Vec<(&'static str, Change<String>)>,
}

fn read_changes(fields: &mut Fields<'_>) -> LeadChanges {
    let email = fields.email("email");
    let text = TEXT_FIELDS.iter().map(|&name| (name, fields.nullable_string(name, MAX_TEXT))).collect();
    LeadChanges { email, text }
}

impl LeadChanges {
    fn apply(self, lead: &mut Lead) {
        self.email.apply(&mut lead.email);
        for (name, change) in self.text {
            let slot = match name {
                "company" => &mut lead.company,
                "phone" => &mut lead.phone,
                "address" => &mut lead.address,
                "city" => &mut lead.city,
                "state" => &mut lead.state,
                "zip" => &mut lead.zip,
                "country" => &mut lead.country,
                "siret" => &mut lead.siret,
                _ => &mut lead.tva,
            };
            change.apply(slot);
        }
    }
}

fn matches_search(lead: &Lead, needle: &str) -> bool {
    [Some(&lead.name), lead.email.as_ref(), lead.company.as_ref()]
        .into_iter()
        .flatten()
        .any(|text| text.to_lowercase().contains(needle))
}
