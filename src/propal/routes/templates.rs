//! Templates: list and get (the organization's own plus the global ones, whose
//! `organization_id` is null), create from a proposal, delete (docs: Create a
//! template from a proposal; the rest INFERRED, reference §6.4).
//!
//! Global templates belong to no organization: every organization lists and reads
//! them, none can delete them (404, as if they were another organization's).

use axum::{Json, body::Bytes, extract::RawQuery, http::StatusCode};
use uuid::Uuid;

use crate::propal::{
    auth::{Caller, Scope},
    docs::{Forbidden, Invalid, NotFound, Refusals},
    error::{ErrorBody, PropalError},
    input::{MAX_TEXT, PathId, Text, body, path_id, query_pairs},
    model::{Template, millis},
    pagination::{Page, PageParams, PageRequest, page_of},
    state::{OrgData, Record, Store},
};

body! {
    /// `POST /v1/templates`, "Create a template from a proposal" (docs).
    pub struct NewTemplate as "PropalNewTemplate" {
        /// The proposal to make a template of.
        pub proposal_id: Uuid,
        /// The template's title; the proposal's title when absent.
        pub name: Option<Text<1, MAX_TEXT>>,
    }
}

/// List the organization's templates and the global ones, newest first.
#[utoipa::path(get, path = "/v1/templates", tag = "propal", params(PageParams),
    responses((status = 200, description = "A page of templates", body = Page<Template>), Refusals, Forbidden, Invalid),
    security(("propal_key" = ["templates:read"])))]
pub async fn list_templates(caller: Caller, RawQuery(query): RawQuery) -> Result<Json<Page<Template>>, PropalError> {
    caller.require(Scope::TemplatesRead)?;
    let pairs = query_pairs(query.as_deref())?;
    let request = PageRequest::from_query(&pairs)?;
    let globals = &caller.store.global_templates;
    let data = caller.org.data();
    // Global templates are in no organization's data; cursors may name them too.
    let known =
        |id| data.created_at::<Template>(id).or_else(|| globals.iter().find(|t| t.id == id).map(|t| t.created_at));
    // The page is among the first `limit + 1` of each part, after the cursor.
    let start = request.start(known)?;
    let after_start = |t: &&Template| start.is_none_or(|bound| (t.created_at, t.id) < bound);
    let first = request.limit.saturating_add(1);
    let mut rows: Vec<&Template> = data.templates.newest_first(start).take(first).collect();
    rows.extend(globals.iter().filter(after_start));
    rows.sort_unstable_by_key(|t| std::cmp::Reverse((t.created_at, t.id)));
    let total_count = data.templates.len() + globals.len();
    Ok(Json(page_of(rows.into_iter(), total_count, request.limit, Template::clone)))
}

/// Get a template of the organization, or a global one.
#[utoipa::path(get, path = "/v1/templates/{id}", tag = "propal",
    params(("id" = String, Path, description = "Template UUID")),
    responses((status = 200, description = "The template", body = Template), Refusals, Forbidden, NotFound),
    security(("propal_key" = ["templates:read"])))]
pub async fn get_template(caller: Caller, PathId(id): PathId) -> Result<Json<Template>, PropalError> {
    caller.require(Scope::TemplatesRead)?;
    let id = path_id(&id, Template::NOT_FOUND)?;
    let data = caller.org.data();
    find(&caller.store, &data, id).cloned().map(Json)
}

/// Create a template from a proposal (docs): `name` becomes `title`.
#[utoipa::path(post, path = "/v1/templates", tag = "propal", request_body = NewTemplate,
    responses(
        (status = 201, description = "Created template", body = Template),
        Refusals, Forbidden,
        (status = 404, description = "The proposal is not the organization's", body = ErrorBody),
        Invalid,
    ),
    security(("propal_key" = ["templates:write"])))]
pub async fn create_template(caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Template>), PropalError> {
    caller.require(Scope::TemplatesWrite)?;
    let NewTemplate { proposal_id, name } = NewTemplate::read(&body)?;
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
        title: Some(name.map_or_else(|| proposal.title.clone(), String::from)),
        category: None,
        image: None,
        color: None,
        organization_id: Some(caller.org.id),
        created_at: millis(caller.now),
    };
    data.add(template.clone());
    Ok((StatusCode::CREATED, Json(template)))
}

/// Delete one of the organization's templates (global ones cannot be deleted: 404).
#[utoipa::path(delete, path = "/v1/templates/{id}", tag = "propal",
    params(("id" = String, Path, description = "Template UUID")),
    responses((status = 204, description = "Deleted"), Refusals, Forbidden, NotFound),
    security(("propal_key" = ["templates:delete"])))]
pub async fn delete_template(caller: Caller, PathId(id): PathId) -> Result<StatusCode, PropalError> {
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
