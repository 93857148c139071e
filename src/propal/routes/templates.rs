//! Templates: list and get (the organization's own plus the global ones, whose
//! `organization_id` is null), create from a proposal, delete (docs: Create a
//! template from a proposal; the rest INFERRED, reference §6.4).
//!
//! Global templates belong to no organization: every organization lists and reads
//! them, none can delete them (404, as if they were another organization's).

use std::collections::HashMap;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, RawQuery},
    http::StatusCode,
};
use serde_json::Value;
use uuid::Uuid;

use crate::propal::{
    auth::{Caller, Scope},
    error::PropalError,
    input::{Fields, MAX_TEXT, object, path_id, query_pairs},
    model::{Template, millis},
    pagination::{PageRequest, page},
    state::{OrgData, Record, Store},
};

pub async fn list_templates(caller: Caller, RawQuery(query): RawQuery) -> Result<Json<Value>, PropalError> {
    caller.require(Scope::TemplatesRead)?;
    let pairs = query_pairs(query.as_deref())?;
    let request = PageRequest::from_query(&pairs)?;
    let globals = &caller.store.global_templates;
    let data = caller.org.data();
    // Global templates are in no organization's `created_at_of`; cursors may name them too.
    let mut known: HashMap<Uuid, jiff::Timestamp> = data.created_at_of.clone();
    known.extend(globals.iter().map(|t| (t.id, t.created_at)));
    let rows = data.templates.values().chain(globals).map(|t| (t.id, t.created_at, t)).collect();
    Ok(Json(page(rows, request, &known, |t| serde_json::to_value(t).unwrap_or_default())?))
}

pub async fn get_template(caller: Caller, Path(id): Path<String>) -> Result<Json<Template>, PropalError> {
    caller.require(Scope::TemplatesRead)?;
    let id = path_id(&id, Template::NOT_FOUND)?;
    let data = caller.org.data();
    find(&caller.store, &data, id).cloned().map(Json)
}

/// Documented: body `{proposal_id, name?}`, answer the Template (`name` becomes `title`).
pub async fn create_template(caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Template>), PropalError> {
    caller.require(Scope::TemplatesWrite)?;
    let body = object(&body)?;
    let mut fields = Fields::new(&body);
    let proposal_id = fields.required_uuid("proposal_id");
    // INFERRED: `name` takes 1–255 characters, like the other names.
    let name = fields.string("name", false, 1, MAX_TEXT);
    fields.finish()?;
    let proposal_id = proposal_id.unwrap_or_default();
    let mut data = caller.org.data();
    // INFERRED: a proposal outside the organization is a 404, like a path id.
    let proposal = data.proposals.get(&proposal_id).ok_or_else(|| {
        PropalError::not_found(
            "Proposal not found.",
            format!("proposal_id {proposal_id} is not a proposal of this organization"),
        )
    })?;
    // INFERRED: without `name` the template takes the proposal's title; category, image and colour start empty.
    let template = Template {
        id: caller.store.ids.uuid(),
        title: Some(name.unwrap_or_else(|| proposal.title.clone())),
        category: None,
        image: None,
        color: None,
        organization_id: Some(caller.org.id),
        created_at: millis(caller.now),
    };
    data.add(template.clone());
    Ok((StatusCode::CREATED, Json(template)))
}

pub async fn delete_template(caller: Caller, Path(id): Path<String>) -> Result<StatusCode, PropalError> {
    caller.require(Scope::TemplatesDelete)?;
    let id = path_id(&id, Template::NOT_FOUND)?;
    // INFERRED: only the organization's own templates can go; proposals made from one keep their `template_id`.
    caller.org.data().templates.remove(&id).ok_or_else(|| {
        PropalError::not_found(
            Template::NOT_FOUND,
            format!("no template {id} owned by this organization (global templates cannot be deleted)"),
        )
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization's template or a global one.
fn find<'a>(store: &'a Store, data: &'a OrgData, id: Uuid) -> Result<&'a Template, PropalError> {
    data.templates.get(&id).or_else(|| store.global_templates.iter().find(|t| t.id == id)).ok_or_else(|| {
        PropalError::not_found(Template::NOT_FOUND, format!("template {id} is neither this organization's nor global"))
    })
}
