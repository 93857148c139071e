//! People (contacts) and their locations (reference §5.4, §8): list with search,
//! type filter, sort and forgiving paging; get (with counts on request); create
//! (a company needs a company name); list a contact's locations (primary first,
//! billing second, then most recently modified; strict paging); add a location
//! (at most one primary and one billing per contact: setting a flag moves it).

use axum::{Json, extract::Path};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{elsewhere, page_bounds, path_id};
use crate::portalio::{
    auth::Caller,
    error::{ErrorBody, PortalioError, UnauthorizedBody},
    input::{Form, Query, boolean, check_len, integer, one_or_many, optional, required},
    model::{Contact, ContactType, Location, PartyType},
    state::AccountData,
    wire::{ContactDetail, LocationOut, contact_detail, location_out, seconds},
};

/// Documented: people paging falls back to page 1 of 10 for missing or non-positive values.
const DEFAULT_PAGE_SIZE: i64 = 10;
/// INFERRED: the largest page.
const MAX_PAGE_SIZE: i64 = 100;
/// INFERRED: the longest note.
const MAX_NOTES: usize = 10_000;

/// `GET /public/people` query (reference §5.4.1).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "PascalCase")]
#[into_params(parameter_in = Query)]
pub struct ListPeopleQuery {
    /// Matched against names, company names and e-mails.
    pub search_text: Option<String>,
    /// Person, Company (party types) or Client, Employee, Contractor, Other; repeated or comma-separated.
    #[serde(default, deserialize_with = "one_or_many")]
    #[param(value_type = Option<Vec<String>>)]
    pub contact_types: Vec<String>,
    /// ModifiedDate, CreatedDate, FirstName, LastName (default), CompanyName, LastActive, LastActiveByMe.
    pub sort_by: Option<String>,
    /// Asc (default) / Desc, or Ascending / Descending.
    pub sort_direction: Option<String>,
    #[param(value_type = Option<i64>)]
    pub page_number: Option<String>,
    #[param(value_type = Option<i64>)]
    pub page_size: Option<String>,
}

/// `{"people":[…],"peopleCount":n}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioPeopleList)]
pub struct PeopleList {
    pub people: Vec<ContactDetail>,
    pub people_count: usize,
}

#[utoipa::path(
    get, path = "/public/people", tag = "portalio", summary = "List contacts",
    params(ListPeopleQuery),
    responses(
        (status = 200, body = PeopleList),
        (status = 400, body = ErrorBody), (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn list_people(
    caller: Caller,
    Query(query): Query<ListPeopleQuery>,
) -> Result<Json<PeopleList>, PortalioError> {
    let page = integer("PageNumber", query.page_number.as_deref())?.filter(|n| *n > 0).unwrap_or(1);
    let size = integer("PageSize", query.page_size.as_deref())?.filter(|n| *n > 0).unwrap_or(DEFAULT_PAGE_SIZE);
    let size = size.min(MAX_PAGE_SIZE);
    let mut parties = Vec::new();
    let mut kinds = Vec::new();
    for value in &query.contact_types {
        if let Some(party) = party_type(value) {
            parties.push(party);
        } else if let Some(kind) = contact_type(value) {
            kinds.push(kind);
        } else {
            return Err(PortalioError::bad_request(format!(
                "The value '{value}' is not valid for ContactTypes. Valid values: Person, Company, Client, Employee, Contractor, Other."
            )));
        }
    }
    let sort = query.sort_by.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("LastName");
    let sort = PEOPLE_SORTS
        .iter()
        .find(|s| s.eq_ignore_ascii_case(sort))
        .ok_or_else(|| PortalioError::bad_request(format!("The value '{sort}' is not valid for SortBy.")))?;
    let descending = match query.sort_direction.as_deref().map(str::trim) {
        None | Some("") => false,
        Some(d) if d.eq_ignore_ascii_case("desc") || d.eq_ignore_ascii_case("descending") => true,
        Some(d) if d.eq_ignore_ascii_case("asc") || d.eq_ignore_ascii_case("ascending") => false,
        Some(d) => return Err(PortalioError::bad_request(format!("The value '{d}' is not valid for SortDirection."))),
    };
    let search = query.search_text.unwrap_or_default().trim().to_lowercase();
    let data = caller.account.data();
    let mut rows: Vec<&Contact> = data
        .contacts
        .values()
        .filter(|c| parties.is_empty() || parties.contains(&c.party_type))
        .filter(|c| kinds.is_empty() || kinds.contains(&c.contact_type))
        .filter(|c| {
            search.is_empty()
                || format!("{} {} {} {}", c.first_name, c.last_name, c.company_name, c.contact_email)
                    .to_lowercase()
                    .contains(&search)
        })
        .collect();
    rows.sort_by(|a, b| {
        let order = match *sort {
            "ModifiedDate" | "LastActive" | "LastActiveByMe" => a.last_modified_date.cmp(&b.last_modified_date),
            "CreatedDate" => a.created_date.cmp(&b.created_date),
            "FirstName" => a.first_name.to_lowercase().cmp(&b.first_name.to_lowercase()),
            "CompanyName" => a.company_name.to_lowercase().cmp(&b.company_name.to_lowercase()),
            _ => (a.last_name.to_lowercase(), a.first_name.to_lowercase())
                .cmp(&(b.last_name.to_lowercase(), b.first_name.to_lowercase())),
        };
        let order = order.then(a.id.cmp(&b.id));
        if descending { order.reverse() } else { order }
    });
    let (skip, take) = page_bounds(page, size);
    let people_count = rows.len();
    let people = rows.into_iter().skip(skip).take(take).map(|c| contact_detail(&data, c, false)).collect();
    Ok(Json(PeopleList { people, people_count }))
}

const PEOPLE_SORTS: [&str; 7] =
    ["ModifiedDate", "CreatedDate", "FirstName", "LastName", "CompanyName", "LastActive", "LastActiveByMe"];

fn party_type(text: &str) -> Option<PartyType> {
    [PartyType::Person, PartyType::Company].into_iter().find(|p| format!("{p:?}").eq_ignore_ascii_case(text.trim()))
}

fn contact_type(text: &str) -> Option<ContactType> {
    [ContactType::Client, ContactType::Employee, ContactType::Contractor, ContactType::Other]
        .into_iter()
        .find(|c| format!("{c:?}").eq_ignore_ascii_case(text.trim()))
}

/// `GET /public/people/{PersonId}` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "PascalCase")]
#[into_params(parameter_in = Query)]
pub struct GetPersonQuery {
    /// Adds `proposalCount` and `paymentCount`.
    #[param(value_type = Option<bool>)]
    pub include_counts: Option<String>,
}

fn contact_of<'a>(caller: &Caller, data: &'a AccountData, id: u64) -> Result<&'a Contact, PortalioError> {
    data.contacts
        .get(&id)
        .ok_or_else(|| PortalioError::not_found("Contact not found.", elsewhere(caller, "contact", id)))
}

#[utoipa::path(
    get, path = "/public/people/{PersonId}", tag = "portalio", summary = "Get a contact",
    params(("PersonId" = i64, Path), GetPersonQuery),
    responses(
        (status = 200, body = ContactDetail),
        (status = 400, body = ErrorBody), (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn get_person(
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<GetPersonQuery>,
) -> Result<Json<ContactDetail>, PortalioError> {
    let id = path_id(&id, "Contact")?;
    let counts = boolean("IncludeCounts", query.include_counts.as_deref())?.unwrap_or(false);
    let data = caller.account.data();
    let contact = contact_of(&caller, &data, id)?;
    Ok(Json(contact_detail(&data, contact, counts)))
}

/// `POST /public/people` form (reference §5.4.3; max lengths from the OpenAPI rendering).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = PortalioCreateContactForm)]
pub struct CreateContactForm {
    /// Required: Person or Company.
    pub party_type: Option<String>,
    /// Required: Client, Employee, Contractor or Other.
    pub contact_type: Option<String>,
    /// Required, max 100.
    pub first_name: Option<String>,
    /// Max 50.
    pub last_name: Option<String>,
    /// Required for a Company, max 100.
    pub company_name: Option<String>,
    /// Max 256.
    pub contact_email: Option<String>,
    /// Copied when a proposal is submitted; max 256.
    #[serde(rename = "ContactEmailCC")]
    pub contact_email_cc: Option<String>,
    /// Max 30.
    pub contact_phone: Option<String>,
    pub notes: Option<String>,
}

#[utoipa::path(
    post, path = "/public/people", tag = "portalio", summary = "Create a contact",
    request_body(content = CreateContactForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = ContactDetail),
        (status = 400, body = ErrorBody), (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn create_person(
    caller: Caller,
    Form(form): Form<CreateContactForm>,
) -> Result<Json<ContactDetail>, PortalioError> {
    let party = form.party_type.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let party = match party {
        None => return Err(PortalioError::bad_request("The PartyType field is required.")),
        Some(text) => party_type(text).ok_or_else(|| {
            PortalioError::bad_request(format!(
                "The value '{text}' is not valid for PartyType. Valid values: Person, Company."
            ))
        })?,
    };
    let kind = form.contact_type.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let kind = match kind {
        None => return Err(PortalioError::bad_request("The ContactType field is required.")),
        Some(text) => contact_type(text).ok_or_else(|| {
            PortalioError::bad_request(format!(
                "The value '{text}' is not valid for ContactType. Valid values: Client, Employee, Contractor, Other."
            ))
        })?,
    };
    let first_name = required("FirstName", form.first_name, 100)?;
    let last_name = optional("LastName", form.last_name, 50)?.unwrap_or_default();
    let company_name = optional("CompanyName", form.company_name, 100)?.unwrap_or_default();
    if party == PartyType::Company && company_name.trim().is_empty() {
        return Err(PortalioError::bad_request("The CompanyName field is required when PartyType is Company."));
    }
    let email = optional("ContactEmail", form.contact_email, 256)?.unwrap_or_default();
    if !email.is_empty() && !looks_like_email(&email) {
        return Err(PortalioError::bad_request("The ContactEmail field is not a valid e-mail address."));
    }
    let email_cc = optional("ContactEmailCC", form.contact_email_cc, 256)?.unwrap_or_default();
    let phone = optional("ContactPhone", form.contact_phone, 30)?.unwrap_or_default();
    let notes = optional("Notes", form.notes, MAX_NOTES)?.unwrap_or_default();
    let now = seconds(caller.now);
    let id = caller.store.next_id();
    let contact = Contact {
        account_id: caller.account.id,
        id,
        party_type: party,
        contact_type: kind,
        first_name,
        last_name,
        company_name: company_name.trim().to_owned(),
        contact_email: email.trim().to_owned(),
        contact_email_cc: email_cc.trim().to_owned(),
        contact_phone: phone.trim().to_owned(),
        notes,
        created_date: now,
        last_modified_date: now,
        payment_count: 0,
    };
    let mut data = caller.account.data();
    data.contacts.insert(id, contact);
    caller.trail.pass("create", format!("contact {id}"));
    crate::portalio::notify::fire(
        &caller.state,
        &data,
        "PersonModification",
        serde_json::json!(contact_detail(&data, &data.contacts[&id], false)),
    );
    Ok(Json(contact_detail(&data, &data.contacts[&id], true)))
}

fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.trim().split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
}

/// `GET /public/people/{ContactId}/location` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "PascalCase")]
#[into_params(parameter_in = Query)]
pub struct ListLocationsQuery {
    /// 1-based, default 1; below 1 is a 400.
    #[param(value_type = Option<i64>)]
    pub page_number: Option<String>,
    /// Default 10.
    #[param(value_type = Option<i64>)]
    pub page_size: Option<String>,
}

/// `{"contactLocations":[…],"locationCount":n}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioLocationList)]
pub struct LocationList {
    pub contact_locations: Vec<LocationOut>,
    pub location_count: usize,
}

#[utoipa::path(
    get, path = "/public/people/{ContactId}/location", tag = "portalio", summary = "List a contact's locations",
    params(("ContactId" = i64, Path), ListLocationsQuery),
    responses(
        (status = 200, body = LocationList),
        (status = 400, body = ErrorBody), (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn list_locations(
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<ListLocationsQuery>,
) -> Result<Json<LocationList>, PortalioError> {
    let id = path_id(&id, "Contact")?;
    let page = integer("PageNumber", query.page_number.as_deref())?.unwrap_or(1);
    if page < 1 {
        return Err(PortalioError::bad_request("PageNumber must be greater than or equal to 1."));
    }
    let size = integer("PageSize", query.page_size.as_deref())?.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&size) {
        return Err(PortalioError::bad_request(format!("PageSize must be between 1 and {MAX_PAGE_SIZE}.")));
    }
    let data = caller.account.data();
    contact_of(&caller, &data, id)?;
    let mut rows: Vec<&Location> = data.locations.values().filter(|l| l.contact_id == id).collect();
    rows.sort_by(|a, b| {
        (!a.is_primary, !a.is_billing, std::cmp::Reverse(a.last_modified_date), a.id).cmp(&(
            !b.is_primary,
            !b.is_billing,
            std::cmp::Reverse(b.last_modified_date),
            b.id,
        ))
    });
    let (skip, take) = page_bounds(page, size);
    let location_count = rows.len();
    let contact_locations = rows.into_iter().skip(skip).take(take).map(location_out).collect();
    Ok(Json(LocationList { contact_locations, location_count }))
}

/// `POST /public/people/{ContactId}/location` form (reference §5.4.5).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = PortalioCreateLocationForm)]
pub struct CreateLocationForm {
    /// The only required field; max 100.
    pub street: Option<String>,
    pub suite: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    /// Name or abbreviation; required when Country is given.
    pub state: Option<String>,
    pub country: Option<String>,
    pub contact_first_name: Option<String>,
    pub contact_last_name: Option<String>,
    pub contact_phone_number: Option<String>,
    pub contact_email: Option<String>,
    #[schema(value_type = Option<bool>)]
    pub is_primary: Option<String>,
    #[schema(value_type = Option<bool>)]
    pub is_billing: Option<String>,
}

#[utoipa::path(
    post, path = "/public/people/{ContactId}/location", tag = "portalio", summary = "Add a location to a contact",
    params(("ContactId" = i64, Path)),
    request_body(content = CreateLocationForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = LocationOut),
        (status = 400, body = ErrorBody), (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn create_location(
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<CreateLocationForm>,
) -> Result<Json<LocationOut>, PortalioError> {
    let id = path_id(&id, "Contact")?;
    // INFERRED: Street's limit is the OpenAPI rendering's 100 (the narrative says 255).
    let street = required("Street", form.street, 100)?;
    let text = |field: &str, value: Option<String>, max: usize| -> Result<String, PortalioError> {
        Ok(optional(field, value, max)?.unwrap_or_default().trim().to_owned())
    };
    let suite = text("Suite", form.suite, 100)?;
    let city = text("City", form.city, 50)?;
    let postal_code = text("PostalCode", form.postal_code, 20)?;
    let state_in = text("State", form.state, 256)?;
    let country_in = text("Country", form.country, 256)?;
    if !country_in.is_empty() && state_in.is_empty() {
        return Err(PortalioError::bad_request("The State field is required when Country is given."));
    }
    let contact_first_name = text("ContactFirstName", form.contact_first_name, 50)?;
    let contact_last_name = text("ContactLastName", form.contact_last_name, 50)?;
    let contact_phone_number = text("ContactPhoneNumber", form.contact_phone_number, 50)?;
    let contact_email = text("ContactEmail", form.contact_email, 100)?;
    check_len("ContactEmail", &contact_email, 100)?;
    let is_primary = boolean("IsPrimary", form.is_primary.as_deref())?.unwrap_or(false);
    let is_billing = boolean("IsBilling", form.is_billing.as_deref())?.unwrap_or(false);
    let (state, state_abbrev, country) = match caller.store.tax_rate(&state_in) {
        Some(rate) => (
            rate.state.clone(),
            rate.state_abbrev.clone(),
            if country_in.is_empty() { rate.country.clone() } else { country_in },
        ),
        None if state_in.len() == 2 => (state_in.to_ascii_uppercase(), state_in.to_ascii_uppercase(), country_in),
        None => (state_in, String::new(), country_in),
    };
    let now = seconds(caller.now);
    let mut data = caller.account.data();
    contact_of(&caller, &data, id)?;
    let location_id = caller.store.next_id();
    for other in data.locations.values_mut().filter(|l| l.contact_id == id) {
        if is_primary && other.is_primary {
            other.is_primary = false;
            other.last_modified_date = now;
        }
        if is_billing && other.is_billing {
            other.is_billing = false;
            other.last_modified_date = now;
        }
    }
    let location = Location {
        id: location_id,
        contact_id: id,
        street,
        suite,
        city,
        postal_code,
        state,
        state_abbrev,
        country,
        phone: String::new(),
        contact_first_name,
        contact_last_name,
        contact_phone_number,
        contact_email,
        is_primary,
        is_billing,
        last_modified_date: now,
    };
    let out = location_out(&location);
    data.locations.insert(location_id, location);
    if let Some(contact) = data.contacts.get_mut(&id) {
        contact.last_modified_date = now;
    }
    caller.trail.pass("create", format!("location {location_id} of contact {id}"));
    if let Some(contact) = data.contacts.get(&id) {
        let payload = serde_json::json!(contact_detail(&data, contact, false));
        crate::portalio::notify::fire(&caller.state, &data, "PersonModification", payload);
    }
    Ok(Json(out))
}
