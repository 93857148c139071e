//! Proposals (reference §5.2, model rules §8): list, get, create, update,
//! description, internal notes, add area (with its automatic Draft option), add
//! option (at most 3 per area), option descriptions, assign contact (auto-assigns
//! its only primary location) and assign location (needs a contact; recomputes tax).
//!
//! Order of checks in every mutator: body (400 for malformed input) → proposal (404)
//! → edit lock (409) → model rules (400) → change; one account lock around the last
//! four, so concurrent calls see each other's effects.

use axum::{
    Json,
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::IntoResponse,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{editable, elsewhere, page_bounds, path_id, proposal_mut, touch};
use crate::portalio::{
    auth::Caller,
    error::{ErrorBody, PortalioError, UnauthorizedBody},
    input::{Form, Query, boolean, integer, one_or_many, optional, required},
    model::{Area, AreaOption, Proposal, Status},
    state::AccountData,
    wire::{ProposalDetail, ProposalSummary, proposal_detail, proposal_summary, seconds},
};

/// INFERRED: the longest proposal and area name.
pub const MAX_NAME: usize = 255;
/// INFERRED: the longest description or note.
pub const MAX_TEXT: usize = 10_000;
/// Documented: an area holds at most three options, the automatic one included.
pub const MAX_OPTIONS_PER_AREA: usize = 3;
/// INFERRED: page size when `PageSize` is absent, and the largest accepted.
pub const DEFAULT_PAGE_SIZE: i64 = 10;
pub const MAX_PAGE_SIZE: i64 = 100;

/// `GET /public/proposals` query (reference §5.2.1).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "PascalCase")]
#[into_params(parameter_in = Query)]
pub struct ListProposalsQuery {
    /// Matched against name, number and customer name, company and e-mail.
    pub search_text: Option<String>,
    /// Repeat the parameter or separate with commas.
    #[serde(default, deserialize_with = "one_or_many")]
    #[param(value_type = Option<Vec<String>>)]
    pub statuses: Vec<String>,
    #[param(value_type = Option<i64>)]
    pub contact_id: Option<String>,
    #[param(value_type = Option<i64>)]
    pub sales_person_id: Option<String>,
    #[param(value_type = Option<String>, format = DateTime)]
    pub modified_after: Option<String>,
    #[param(value_type = Option<bool>)]
    pub is_archive: Option<String>,
    /// CreatedDate, ModifiedDate (or LastModifiedDate), Number, Name, ClientName, Status, LastModifiedByMe.
    pub sort_by: Option<String>,
    /// Asc or Desc.
    pub sort_direction: Option<String>,
    /// 1-based; below 1 is a 400.
    #[param(value_type = Option<i64>)]
    pub page_number: Option<String>,
    #[param(value_type = Option<i64>)]
    pub page_size: Option<String>,
}

/// `{"proposals":[…],"proposalCount":n}`; the count is across all pages.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioProposalList)]
pub struct ProposalList {
    pub proposals: Vec<ProposalSummary>,
    pub proposal_count: usize,
}

#[utoipa::path(
    get, path = "/public/proposals", tag = "portalio", summary = "List proposals",
    params(ListProposalsQuery),
    responses(
        (status = 200, body = ProposalList),
        (status = 400, body = ErrorBody), (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn list_proposals(
    caller: Caller,
    Query(query): Query<ListProposalsQuery>,
) -> Result<Json<ProposalList>, PortalioError> {
    let page = integer("PageNumber", query.page_number.as_deref())?.unwrap_or(1);
    if page < 1 {
        return Err(PortalioError::bad_request("PageNumber must be greater than or equal to 1."));
    }
    let size = integer("PageSize", query.page_size.as_deref())?.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&size) {
        return Err(PortalioError::bad_request(format!("PageSize must be between 1 and {MAX_PAGE_SIZE}.")));
    }
    let statuses = query
        .statuses
        .iter()
        .map(|s| {
            Status::parse(s).filter(|s| *s != Status::Undefined).ok_or_else(|| {
                PortalioError::bad_request(format!(
                    "The value '{s}' is not valid for Statuses. Valid values: Draft, Submitted, ViewedByClient, Accepted, Declined, Delayed, Completed, EmailFailed, Expired."
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let contact = integer("ContactId", query.contact_id.as_deref())?;
    let sales_person = integer("SalesPersonId", query.sales_person_id.as_deref())?;
    let archived = boolean("IsArchive", query.is_archive.as_deref())?.unwrap_or(false);
    let modified_after = match query.modified_after.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(parse_instant(text).ok_or_else(|| {
            PortalioError::bad_request(format!("The value '{text}' is not valid for ModifiedAfter."))
        })?),
    };
    let sort = query.sort_by.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("CreatedDate");
    let sort = SORTS
        .iter()
        .find(|s| s.eq_ignore_ascii_case(sort))
        .ok_or_else(|| PortalioError::bad_request(format!("The value '{sort}' is not valid for SortBy.")))?;
    let descending = match query.sort_direction.as_deref().map(str::trim) {
        None | Some("") => true,
        Some(d) if d.eq_ignore_ascii_case("desc") || d.eq_ignore_ascii_case("descending") => true,
        Some(d) if d.eq_ignore_ascii_case("asc") || d.eq_ignore_ascii_case("ascending") => false,
        Some(d) => return Err(PortalioError::bad_request(format!("The value '{d}' is not valid for SortDirection."))),
    };
    let search = query.search_text.unwrap_or_default().trim().to_lowercase();
    let data = caller.account.data();
    let mut rows: Vec<&Proposal> = data
        .proposals
        .values()
        .filter(|p| p.parent_id.is_none())
        .filter(|p| p.is_archived == archived)
        .filter(|p| statuses.is_empty() || statuses.contains(&p.status))
        .filter(|p| contact.is_none_or(|c| p.contact_id.map(i64::try_from) == Some(Ok(c))))
        .filter(|p| sales_person.is_none_or(|s| i64::try_from(p.sales_person_id) == Ok(s)))
        .filter(|p| modified_after.is_none_or(|at| p.last_modified_date > at))
        .filter(|p| search.is_empty() || haystack(&data, p).contains(&search))
        .collect();
    let (skip, take) = page_bounds(page, size);
    let proposal_count = rows.len();
    // Only the rows up to the end of the page are ordered (linear in the account).
    crate::paging::sort_first(&mut rows, skip.saturating_add(take), |a, b| {
        let order = match *sort {
            "ModifiedDate" | "LastModifiedDate" | "LastModifiedByMe" => a.last_modified_date.cmp(&b.last_modified_date),
            "Number" => a.number.cmp(&b.number),
            "Name" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            "ClientName" => client_name(&data, a).cmp(&client_name(&data, b)),
            "Status" => a.status.as_str().cmp(b.status.as_str()),
            _ => a.created_date.cmp(&b.created_date),
        };
        let order = order.then(a.id.cmp(&b.id));
        if descending { order.reverse() } else { order }
    });
    let proposals = rows.into_iter().skip(skip).take(take).map(|p| proposal_summary(&caller.store, &data, p)).collect();
    Ok(Json(ProposalList { proposals, proposal_count }))
}

const SORTS: [&str; 8] =
    ["CreatedDate", "ModifiedDate", "LastModifiedDate", "Number", "Name", "ClientName", "Status", "LastModifiedByMe"];

fn parse_instant(text: &str) -> Option<jiff::Timestamp> {
    text.parse::<jiff::Timestamp>()
        .ok()
        .or_else(|| {
            text.parse::<jiff::civil::DateTime>()
                .ok()
                .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
                .map(|z| z.timestamp())
        })
        .or_else(|| {
            text.parse::<jiff::civil::Date>()
                .ok()
                .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
                .map(|z| z.timestamp())
        })
}

fn haystack(data: &AccountData, proposal: &Proposal) -> String {
    let customer = proposal
        .contact_id
        .and_then(|id| data.contacts.get(&id))
        .map(|c| format!("{} {} {} {}", c.first_name, c.last_name, c.company_name, c.contact_email));
    format!("{} {} {}", proposal.name, proposal.number, customer.unwrap_or_default()).to_lowercase()
}

fn client_name(data: &AccountData, proposal: &Proposal) -> String {
    proposal
        .contact_id
        .and_then(|id| data.contacts.get(&id))
        .map(|c| format!("{} {} {}", c.last_name, c.first_name, c.company_name).to_lowercase())
        .unwrap_or_default()
}

/// The detail answer of every mutator.
fn answer(caller: &Caller, data: &AccountData, id: u64) -> Json<ProposalDetail> {
    let proposal = &data.proposals[&id];
    Json(proposal_detail(&caller.store, data, (caller.account.id, &caller.account.name), proposal))
}

/// `Last-Modified` from `lastModifiedDate` (documented on GET proposal and change order).
pub fn last_modified(at: jiff::Timestamp) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let secs = u64::try_from(at.as_second()).unwrap_or(0);
    let text = httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs));
    if let Ok(value) = HeaderValue::from_str(&text) {
        headers.insert(header::LAST_MODIFIED, value);
    }
    headers
}

#[utoipa::path(
    get, path = "/public/proposals/{ProposalId}", tag = "portalio", summary = "Get a proposal",
    params(("ProposalId" = i64, Path, description = "The internal id, not the number")),
    responses(
        (status = 200, body = ProposalDetail, headers(("Last-Modified" = String))),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn get_proposal(caller: Caller, Path(id): Path<String>) -> Result<impl IntoResponse, PortalioError> {
    let id = path_id(&id, "Proposal")?;
    let mut data = caller.account.data();
    let at = proposal_mut(&caller, &mut data, id)?.last_modified_date;
    Ok((last_modified(at), answer(&caller, &data, id)))
}

/// `POST /public/proposals` form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = PortalioCreateProposalForm)]
pub struct CreateProposalForm {
    /// Required: a user of the account (`GET /public/users`).
    #[schema(value_type = i64)]
    pub sales_person_id: Option<String>,
    /// Optional; defaults to "Proposal {number}".
    pub name: Option<String>,
}

#[utoipa::path(
    post, path = "/public/proposals", tag = "portalio", summary = "Create a proposal (Draft)",
    request_body(content = CreateProposalForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = ProposalDetail),
        (status = 400, body = ErrorBody), (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "SalesPersonId is not a user of the account"),
    ),
    security(("portalio_signature" = []))
)]
pub async fn create_proposal(
    caller: Caller,
    Form(form): Form<CreateProposalForm>,
) -> Result<Json<ProposalDetail>, PortalioError> {
    let sales_person = sales_person(form.sales_person_id.as_deref(), true)?.unwrap_or_default();
    let name = optional("Name", form.name, MAX_NAME)?.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let mut data = caller.account.data();
    check_user(&data, sales_person)?;
    let number = data.max_number.max(1000) + 1;
    data.max_number = number;
    let now = seconds(caller.now);
    let id = caller.store.next_id();
    data.proposals.insert(
        id,
        Proposal {
            account_id: caller.account.id,
            id,
            number,
            name: name.unwrap_or_else(|| format!("Proposal {number}")),
            status: Status::Draft,
            parent_id: None,
            sales_person_id: sales_person,
            contact_id: None,
            location_id: None,
            created_date: now,
            last_modified_date: now,
            last_modified_by_user_date: now,
            last_submitted_date: None,
            client_last_opened_date: None,
            client_last_decision_date: None,
            last_completed_date: None,
            project_description: None,
            internal_notes: None,
            is_archived: false,
            last_modified_user_id: Some(caller.user.id),
            areas: Vec::new(),
        },
    );
    caller.trail.pass("create", format!("proposal {id} number {number}"));
    Ok(answer(&caller, &data, id))
}

fn sales_person(raw: Option<&str>, required: bool) -> Result<Option<u64>, PortalioError> {
    match integer("SalesPersonId", raw)? {
        None if required => Err(PortalioError::bad_request("The SalesPersonId field is required.")),
        None => Ok(None),
        Some(id) => Ok(Some(u64::try_from(id).map_err(|_| {
            PortalioError::not_found("Sales person not found.", format!("SalesPersonId {id} is negative"))
        })?)),
    }
}

fn check_user(data: &AccountData, id: u64) -> Result<(), PortalioError> {
    if data.users.contains_key(&id) {
        Ok(())
    } else {
        Err(PortalioError::not_found(
            "Sales person not found.",
            format!("SalesPersonId {id} is not a user of this account"),
        ))
    }
}

/// `POST /public/proposals/{ProposalId}` form: a field left out keeps its value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = PortalioUpdateProposalForm)]
pub struct UpdateProposalForm {
    pub name: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub sales_person_id: Option<String>,
}

#[utoipa::path(
    post, path = "/public/proposals/{ProposalId}", tag = "portalio", summary = "Update a proposal's name or salesperson",
    params(("ProposalId" = i64, Path)),
    request_body(content = UpdateProposalForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = ProposalDetail),
        (status = 400, body = ErrorBody), (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Terminal state"),
    ),
    security(("portalio_signature" = []))
)]
pub async fn update_proposal(
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<UpdateProposalForm>,
) -> Result<Json<ProposalDetail>, PortalioError> {
    let id = path_id(&id, "Proposal")?;
    let name = optional("Name", form.name, MAX_NAME)?.map(|n| n.trim().to_owned());
    if name.as_deref() == Some("") {
        return Err(PortalioError::bad_request("The Name field must not be empty."));
    }
    let sales_person = sales_person(form.sales_person_id.as_deref(), false)?;
    let mut data = caller.account.data();
    editable(proposal_mut(&caller, &mut data, id)?)?;
    if let Some(user) = sales_person {
        check_user(&data, user)?;
    }
    let proposal = proposal_mut(&caller, &mut data, id)?;
    if let Some(name) = name {
        proposal.name = name;
    }
    if let Some(user) = sales_person {
        proposal.sales_person_id = user;
    }
    touch(proposal, &caller);
    Ok(answer(&caller, &data, id))
}

/// `…/description` form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = PortalioDescriptionForm)]
pub struct DescriptionForm {
    /// The client-facing project description; empty clears it.
    pub description: Option<String>,
}

#[utoipa::path(
    post, path = "/public/proposals/{ProposalId}/description", tag = "portalio",
    summary = "Update the client-facing project description",
    params(("ProposalId" = i64, Path)),
    request_body(content = DescriptionForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = ProposalDetail),
        (status = 400, body = ErrorBody), (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn update_description(
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<DescriptionForm>,
) -> Result<Json<ProposalDetail>, PortalioError> {
    let id = path_id(&id, "Proposal")?;
    let text = optional("Description", form.description, MAX_TEXT)?;
    let mut data = caller.account.data();
    let proposal = proposal_mut(&caller, &mut data, id)?;
    editable(proposal)?;
    proposal.project_description = text.filter(|t| !t.is_empty());
    touch(proposal, &caller);
    Ok(answer(&caller, &data, id))
}

/// `…/internalnotes` form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = PortalioInternalNotesForm)]
pub struct InternalNotesForm {
    /// Dealer-only installer project description; empty clears it.
    pub internal_notes: Option<String>,
}

/// INFERRED: internal notes stay editable in a terminal state (the page lists no 409; they never reach the client).
#[utoipa::path(
    post, path = "/public/proposals/{ProposalId}/internalnotes", tag = "portalio",
    summary = "Update the internal (installer) notes",
    params(("ProposalId" = i64, Path)),
    request_body(content = InternalNotesForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = ProposalDetail),
        (status = 400, body = ErrorBody), (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn update_internal_notes(
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<InternalNotesForm>,
) -> Result<Json<ProposalDetail>, PortalioError> {
    let id = path_id(&id, "Proposal")?;
    let text = optional("InternalNotes", form.internal_notes, MAX_TEXT)?;
    let mut data = caller.account.data();
    let proposal = proposal_mut(&caller, &mut data, id)?;
    proposal.internal_notes = text.filter(|t| !t.is_empty());
    touch(proposal, &caller);
    Ok(answer(&caller, &data, id))
}

/// `…/area` form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = PortalioAddAreaForm)]
pub struct AddAreaForm {
    /// Required; unique within the proposal.
    pub name: Option<String>,
}

#[utoipa::path(
    post, path = "/public/proposals/{ProposalId}/area", tag = "portalio",
    summary = "Add an area (creates its default Draft option)",
    params(("ProposalId" = i64, Path)),
    request_body(content = AddAreaForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = ProposalDetail),
        (status = 400, body = ErrorBody, description = "Missing or duplicate name"),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn add_area(
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<AddAreaForm>,
) -> Result<Json<ProposalDetail>, PortalioError> {
    let id = path_id(&id, "Proposal")?;
    let name = required("Name", form.name, MAX_NAME)?;
    let mut data = caller.account.data();
    let proposal = proposal_mut(&caller, &mut data, id)?;
    editable(proposal)?;
    // INFERRED: names compare case-insensitively, as SQL Server's default collation does.
    if proposal.areas.iter().any(|a| a.name.eq_ignore_ascii_case(&name)) {
        return Err(PortalioError::bad_request(format!("An area named '{name}' already exists on this proposal.")));
    }
    let now = seconds(caller.now);
    let (area_id, option_id) = (caller.store.next_id(), caller.store.next_id());
    proposal.areas.push(Area { id: area_id, name, options: vec![new_option(option_id, now, None, None)] });
    touch(proposal, &caller);
    caller.trail.pass("add_area", format!("area {area_id} with default option {option_id}"));
    Ok(answer(&caller, &data, id))
}

fn new_option(id: u64, now: jiff::Timestamp, client: Option<String>, installer: Option<String>) -> AreaOption {
    AreaOption {
        id,
        status: "Draft".to_owned(),
        last_modified_date: now,
        client_description: client,
        installer_description: installer,
        items: Vec::new(),
    }
}

/// `…/area/{AreaId}/option` form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = PortalioAddOptionForm)]
pub struct AddOptionForm {
    pub client_description: Option<String>,
    pub internal_notes: Option<String>,
}

#[utoipa::path(
    post, path = "/public/proposals/{ProposalId}/area/{AreaId}/option", tag = "portalio",
    summary = "Add an option to an area (at most 3)",
    params(("ProposalId" = i64, Path), ("AreaId" = i64, Path)),
    request_body(content = AddOptionForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = ProposalDetail),
        (status = 400, body = ErrorBody, description = "The area already has 3 options"),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn add_area_option(
    caller: Caller,
    Path((id, area_id)): Path<(String, String)>,
    Form(form): Form<AddOptionForm>,
) -> Result<Json<ProposalDetail>, PortalioError> {
    let id = path_id(&id, "Proposal")?;
    let area_id = path_id(&area_id, "Area")?;
    let client = optional("ClientDescription", form.client_description, MAX_TEXT)?;
    let installer = optional("InternalNotes", form.internal_notes, MAX_TEXT)?;
    let mut data = caller.account.data();
    let proposal = proposal_mut(&caller, &mut data, id)?;
    let area =
        proposal.areas.iter().position(|a| a.id == area_id).ok_or_else(|| {
            PortalioError::not_found("Area not found.", format!("proposal {id} has no area {area_id}"))
        })?;
    editable(proposal)?;
    if proposal.areas[area].options.len() >= MAX_OPTIONS_PER_AREA {
        return Err(PortalioError::bad_request(format!("An area can have at most {MAX_OPTIONS_PER_AREA} options.")));
    }
    let option_id = caller.store.next_id();
    let now = seconds(caller.now);
    proposal.areas[area].options.push(new_option(
        option_id,
        now,
        client.filter(|c| !c.is_empty()),
        installer.filter(|c| !c.is_empty()),
    ));
    touch(proposal, &caller);
    caller.trail.pass("add_option", format!("option {option_id} on area {area_id}"));
    Ok(answer(&caller, &data, id))
}

/// `…/clientdescription` form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = PortalioClientDescriptionForm)]
pub struct ClientDescriptionForm {
    /// Shown on client documents; empty (or absent) clears it.
    pub client_description: Option<String>,
}

/// `…/installernotes` form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = PortalioInstallerNotesForm)]
pub struct InstallerNotesForm {
    /// Comes back as the option's `installerDescription`; empty (or absent) clears it.
    pub installer_notes: Option<String>,
}

#[utoipa::path(
    post, path = "/public/proposals/{ProposalId}/area-options/{AreaOptionId}/clientdescription", tag = "portalio",
    summary = "Set an option's client description",
    params(("ProposalId" = i64, Path), ("AreaOptionId" = i64, Path)),
    request_body(content = ClientDescriptionForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = ProposalDetail),
        (status = 400, body = ErrorBody), (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn update_option_client_description(
    caller: Caller,
    Path((id, option_id)): Path<(String, String)>,
    Form(form): Form<ClientDescriptionForm>,
) -> Result<Json<ProposalDetail>, PortalioError> {
    let text = optional("ClientDescription", form.client_description, MAX_TEXT)?;
    update_option(&caller, &id, &option_id, |option| option.client_description = text.filter(|t| !t.is_empty()))
}

#[utoipa::path(
    post, path = "/public/proposals/{ProposalId}/area-options/{AreaOptionId}/installernotes", tag = "portalio",
    summary = "Set an option's installer notes",
    params(("ProposalId" = i64, Path), ("AreaOptionId" = i64, Path)),
    request_body(content = InstallerNotesForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = ProposalDetail),
        (status = 400, body = ErrorBody), (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn update_option_installer_notes(
    caller: Caller,
    Path((id, option_id)): Path<(String, String)>,
    Form(form): Form<InstallerNotesForm>,
) -> Result<Json<ProposalDetail>, PortalioError> {
    let text = optional("InstallerNotes", form.installer_notes, MAX_TEXT)?;
    update_option(&caller, &id, &option_id, |option| option.installer_description = text.filter(|t| !t.is_empty()))
}

fn update_option(
    caller: &Caller,
    id: &str,
    option_id: &str,
    change: impl FnOnce(&mut AreaOption),
) -> Result<Json<ProposalDetail>, PortalioError> {
    let id = path_id(id, "Proposal")?;
    let option_id = path_id(option_id, "Area option")?;
    let mut data = caller.account.data();
    let proposal = proposal_mut(caller, &mut data, id)?;
    if !proposal.areas.iter().flat_map(|a| &a.options).any(|o| o.id == option_id) {
        return Err(PortalioError::not_found(
            "Area option not found.",
            format!("proposal {id} has no area option {option_id}"),
        ));
    }
    editable(proposal)?;
    let option = proposal.areas.iter_mut().flat_map(|a| a.options.iter_mut()).find(|o| o.id == option_id);
    if let Some(option) = option {
        change(option);
        option.last_modified_date = seconds(caller.now);
    }
    touch(proposal, caller);
    Ok(answer(caller, &data, id))
}

/// The optional body of assign-contact: form, JSON (`{"proposalId","contactId"}`) or none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioAssignContactBody)]
pub struct AssignContactBody {
    /// When given, must equal the path's ProposalId.
    #[schema(value_type = Option<i64>)]
    pub proposal_id: Option<String>,
    /// When given, must equal the path's ContactId.
    #[schema(value_type = Option<i64>)]
    pub contact_id: Option<String>,
}

/// The optional body of assign-location: form, JSON (`{"proposalId","locationId"}`) or none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioAssignLocationBody)]
pub struct AssignLocationBody {
    #[schema(value_type = Option<i64>)]
    pub proposal_id: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub location_id: Option<String>,
}

fn must_match(field: &str, given: Option<&str>, path: u64) -> Result<(), PortalioError> {
    match integer(field, given)? {
        Some(value) if u64::try_from(value) != Ok(path) => {
            Err(PortalioError::bad_request(format!("The {field} in the body must match the one in the URL.")))
        }
        _ => Ok(()),
    }
}

#[utoipa::path(
    post, path = "/public/proposals/{ProposalId}/contact/{ContactId}", tag = "portalio",
    summary = "Assign a contact (auto-assigns its only primary location)",
    params(("ProposalId" = i64, Path), ("ContactId" = i64, Path)),
    request_body(content = AssignContactBody, description = "Optional: form, JSON or no body"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 204, description = "Assigned"),
        (status = 400, body = ErrorBody), (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn assign_contact(
    caller: Caller,
    Path((id, contact_id)): Path<(String, String)>,
    Form(body): Form<AssignContactBody>,
) -> Result<StatusCode, PortalioError> {
    let id = path_id(&id, "Proposal")?;
    let contact_id = path_id(&contact_id, "Contact")?;
    must_match("proposalId", body.proposal_id.as_deref(), id)?;
    must_match("contactId", body.contact_id.as_deref(), contact_id)?;
    let mut data = caller.account.data();
    // INFERRED: a terminal proposal's contact is locked too (the page lists no 409).
    editable(proposal_mut(&caller, &mut data, id)?)?;
    if !data.contacts.contains_key(&contact_id) {
        return Err(PortalioError::not_found("Contact not found.", elsewhere(&caller, "contact", contact_id)));
    }
    let primaries: Vec<u64> =
        data.locations.values().filter(|l| l.contact_id == contact_id && l.is_primary).map(|l| l.id).collect();
    let proposal = proposal_mut(&caller, &mut data, id)?;
    let previous = proposal.contact_id.replace(contact_id);
    if previous != Some(contact_id) {
        proposal.location_id = None;
    }
    if let [only] = primaries[..] {
        proposal.location_id = Some(only);
        caller.trail.pass(
            "assign_contact",
            format!("contact {contact_id}; its primary location {only} assigned, tax recalculated"),
        );
    } else {
        caller.trail.pass("assign_contact", format!("contact {contact_id}; no single primary location to assign"));
    }
    touch(proposal, &caller);
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/public/proposals/{ProposalId}/location/{LocationId}", tag = "portalio",
    summary = "Assign one of the contact's locations (recomputes tax)",
    params(("ProposalId" = i64, Path), ("LocationId" = i64, Path)),
    request_body(content = AssignLocationBody, description = "Optional: form, JSON or no body"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = ProposalDetail),
        (status = 400, body = ErrorBody, description = "The location is not the assigned contact's"),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "No contact assigned, or terminal state"),
    ),
    security(("portalio_signature" = []))
)]
pub async fn assign_location(
    caller: Caller,
    Path((id, location_id)): Path<(String, String)>,
    Form(body): Form<AssignLocationBody>,
) -> Result<Json<ProposalDetail>, PortalioError> {
    let id = path_id(&id, "Proposal")?;
    let location_id = path_id(&location_id, "Location")?;
    must_match("proposalId", body.proposal_id.as_deref(), id)?;
    must_match("locationId", body.location_id.as_deref(), location_id)?;
    let mut data = caller.account.data();
    let proposal = proposal_mut(&caller, &mut data, id)?;
    editable(proposal)?;
    let Some(contact_id) = proposal.contact_id else {
        return Err(PortalioError::conflict(
            "A contact must be assigned to the proposal before a location.",
            format!("proposal {id} has no contact"),
        ));
    };
    let Some(location) = data.locations.get(&location_id) else {
        return Err(PortalioError::not_found("Location not found.", elsewhere(&caller, "location", location_id)));
    };
    // INFERRED: another contact's location is a 400 (the page says only that it must be the contact's).
    if location.contact_id != contact_id {
        return Err(PortalioError::bad_request(
            "The location does not belong to the contact assigned to the proposal.",
        ));
    }
    let proposal = proposal_mut(&caller, &mut data, id)?;
    proposal.location_id = Some(location_id);
    touch(proposal, &caller);
    caller.trail.pass("assign_location", format!("location {location_id}; tax recalculated"));
    Ok(answer(&caller, &data, id))
}
