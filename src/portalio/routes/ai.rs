//! AI Builder (reference §5.8): upload content, list it, delete it, generate the
//! outline, read it, build the proposal. Every route is served under both
//! documented prefixes, `/public/proposals/…` and `/public/api/proposals/…`
//! (reference §11.4); each pair of handlers shares one implementation.
//!
//! Order of checks: body (400) → proposal (404; another account's is 404) → the
//! Draft lock of upload and delete (409) and the edit lock of build (409) → the
//! flow's rules (400: no transcribed content, no completed outline). Progress runs on
//! the emulator clock ([`crate::portalio::ai`]); the outline and build finish in
//! scheduler jobs that fire `ProposalOutlineStatusChanged`, then
//! `ProposalBuildStatusChanged` and `ProposalStatusChanged`.

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, Multipart, Path, Request},
    http::header,
};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{editable, path_id, proposal_mut};
use crate::{
    Vendor,
    portalio::{
        ai::{
            BUILD_SECONDS, Build, BuildStatus, Content, ContentStatus, OUTLINE_SECONDS, Outline, OutlineStatus,
            SourceType, plan, render,
        },
        auth::Caller,
        error::{ErrorBody, PortalioError, UnauthorizedBody},
        input::{Form, boolean, required},
        model::{Area, AreaOption, LineItem, Status},
        notify,
        state::{AccountData, PortalioState},
        wire::{proposal_detail, seconds},
    },
};

/// INFERRED: the largest file accepted (the frame's `--max-body-bytes` usually refuses first, with 413).
pub const MAX_FILE_BYTES: usize = 25 * 1024 * 1024;
const MAX_NAME: usize = 255;

/// `userCreated`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioAiUser)]
pub struct AiUser {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

/// `PublicAiProposalContentPostResponse` / `PublicAiProposalContentItemModel`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioAiContent)]
pub struct ContentItem {
    pub id: u64,
    pub name: String,
    /// Empty until transcribed.
    pub summary: String,
    pub status: ContentStatus,
    pub source_type: SourceType,
    #[schema(value_type = String, format = DateTime)]
    pub created_date: Timestamp,
    pub user_created: AiUser,
}

/// `{"items":[…]}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PortalioAiContentList)]
pub struct ContentList {
    pub items: Vec<ContentItem>,
}

/// `PublicAiProposalContentDeleteResponse`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PortalioAiContentDeleted)]
pub struct ContentDeleted {
    pub id: u64,
    pub deleted: bool,
}

/// The upload form (urlencoded, JSON or multipart). In multipart, every part with a
/// file name is a file; in a urlencoded or JSON body the text goes in `File` (INFERRED).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = PortalioAiUploadForm)]
pub struct UploadForm {
    /// Required.
    pub name: Option<String>,
    /// Accepted; the emulator takes the uploaded part as the whole file.
    #[schema(value_type = Option<bool>)]
    pub is_multi_chunk_upload: Option<String>,
    /// The file: a multipart file part, or its text.
    #[schema(value_type = Option<String>, format = Binary)]
    pub file: Option<String>,
}

/// `{"proposalId": n}`, the same id as the path.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioAiProposalRef)]
pub struct ProposalRef {
    #[schema(value_type = i64)]
    pub proposal_id: Option<String>,
}

/// `{"proposalId","status":"Generating"}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioAiOutlineQueued)]
pub struct OutlineQueued {
    pub proposal_id: u64,
    pub status: OutlineStatus,
}

/// `PublicAiProposalOutlineGetResponse`: `outline` only when Completed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioAiOutline)]
pub struct OutlineOut {
    pub proposal_id: u64,
    pub status: OutlineStatus,
    pub outline: Option<String>,
}

/// `{"proposalId","status":"Building"}`; also the `ProposalBuildStatusChanged` data (`Completed`, `Failed`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioAiBuildStatusBody)]
pub struct BuildOut {
    pub proposal_id: u64,
    pub status: BuildStatus,
}

/// A file as uploaded.
struct File {
    name: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

fn source_type(file: &File) -> Option<SourceType> {
    let ct = file.content_type.as_deref().unwrap_or("").to_ascii_lowercase();
    if ct.starts_with("text/") || ct.starts_with("application/json") {
        return Some(SourceType::Text);
    }
    if ct.starts_with("audio/") {
        return Some(SourceType::Audio);
    }
    if ct.starts_with("video/") {
        return Some(SourceType::Video);
    }
    let known = ct.is_empty() || ct == "application/octet-stream";
    let ext = file.name.as_deref().and_then(|n| n.rsplit_once('.')).map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("txt" | "md" | "csv" | "json" | "rtf" | "doc" | "docx" | "pdf") => Some(SourceType::Text),
        Some("mp3" | "wav" | "m4a" | "ogg" | "flac" | "aac") => Some(SourceType::Audio),
        Some("mp4" | "mov" | "webm" | "mkv" | "avi") => Some(SourceType::Video),
        None if known => Some(SourceType::Text),
        _ => None,
    }
}

/// Reads the upload: multipart, or a urlencoded/JSON form.
async fn read_upload(request: Request) -> Result<(String, Vec<File>), PortalioError> {
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let (mut name, mut chunked, mut files) = (None, None, Vec::new());
    if content_type.starts_with("multipart/form-data") {
        let unreadable = |e: axum::extract::multipart::MultipartError| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                PortalioError::PayloadTooLarge
            } else {
                PortalioError::bad_request("The multipart body could not be read.")
                    .with_detail(format!("multipart: {e}"))
            }
        };
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|_| PortalioError::bad_request("The multipart body could not be read."))?;
        while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
            let field_name = field.name().unwrap_or("").to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let part_type = field.content_type().map(str::to_owned);
            let bytes: Bytes = field.bytes().await.map_err(unreadable)?;
            if file_name.is_some() || field_name.eq_ignore_ascii_case("file") {
                files.push(File { name: file_name, content_type: part_type, bytes: bytes.to_vec() });
            } else if field_name.eq_ignore_ascii_case("name") {
                name = Some(String::from_utf8_lossy(&bytes).into_owned());
            } else if field_name.eq_ignore_ascii_case("ismultichunkupload") {
                chunked = Some(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    } else {
        let Form(form) = Form::<UploadForm>::from_request(request, &()).await?;
        name = form.name;
        chunked = form.is_multi_chunk_upload;
        if let Some(text) = form.file.filter(|t| !t.is_empty()) {
            files.push(File { name: None, content_type: Some("text/plain".into()), bytes: text.into_bytes() });
        }
    }
    let name = required("Name", name, MAX_NAME)?;
    boolean("IsMultiChunkUpload", chunked.as_deref())?;
    if files.is_empty() {
        return Err(PortalioError::bad_request("At least one file must be included."));
    }
    Ok((name, files))
}

fn content_item(caller: &Caller, data: &AccountData, content: &Content) -> ContentItem {
    let user = data.users.get(&content.user_id);
    ContentItem {
        id: content.id,
        name: content.name.clone(),
        summary: content.summary(caller.now),
        status: content.status(caller.now),
        source_type: content.source_type,
        created_date: content.created_date,
        user_created: AiUser {
            id: content.user_id,
            first_name: user.map(|u| u.first_name.clone()).unwrap_or_default(),
            last_name: user.map(|u| u.last_name.clone()).unwrap_or_default(),
            email: user.map(|u| u.username.clone()).unwrap_or_default(),
        },
    }
}

/// 409 unless the proposal is a Draft (documented for upload and delete).
fn draft_only(status: Status, id: u64) -> Result<(), PortalioError> {
    if status == Status::Draft {
        return Ok(());
    }
    Err(PortalioError::conflict(
        "AI Builder content can only be changed while the proposal is a Draft.",
        format!("proposal {id} is {}", status.as_str()),
    ))
}

async fn upload(caller: Caller, id: String, request: Request) -> Result<Json<ContentItem>, PortalioError> {
    let id = path_id(&id, "Proposal")?;
    let (name, files) = read_upload(request).await?;
    let mut kinds = Vec::new();
    for file in &files {
        if file.bytes.len() > MAX_FILE_BYTES {
            return Err(PortalioError::bad_request("The file is too large."));
        }
        kinds.push(source_type(file).ok_or_else(|| {
            PortalioError::bad_request(format!(
                "The file type '{}' is not supported. Upload text, audio or video content.",
                file.content_type.as_deref().or(file.name.as_deref()).unwrap_or("unknown")
            ))
        })?);
    }
    let text = files.iter().map(|f| String::from_utf8_lossy(&f.bytes).into_owned()).collect::<Vec<_>>().join("\n");
    let mut data = caller.account.data();
    let proposal = proposal_mut(&caller, &mut data, id)?;
    draft_only(proposal.status, id)?;
    let content = Content {
        id: caller.store.next_id(),
        name,
        source_type: kinds[0],
        text,
        created_date: seconds(caller.now),
        user_id: caller.user.id,
    };
    caller.trail.pass("ai_upload", format!("content {} on proposal {id}", content.id));
    let item = content_item(&caller, &data, &content);
    data.ai.entry(id).or_default().contents.insert(content.id, content);
    Ok(Json(item))
}

fn list(caller: &Caller, id: &str) -> Result<Json<ContentList>, PortalioError> {
    let id = path_id(id, "Proposal")?;
    let mut data = caller.account.data();
    proposal_mut(caller, &mut data, id)?;
    let items = data
        .ai
        .get(&id)
        .map(|ai| ai.contents.values().map(|c| content_item(caller, &data, c)).collect())
        .unwrap_or_default();
    Ok(Json(ContentList { items }))
}

fn delete(caller: &Caller, id: &str, content_id: &str) -> Result<Json<ContentDeleted>, PortalioError> {
    let id = path_id(id, "Proposal")?;
    let content_id = path_id(content_id, "Content")?;
    let mut data = caller.account.data();
    let status = proposal_mut(caller, &mut data, id)?.status;
    let known = data.ai.get(&id).is_some_and(|ai| ai.contents.contains_key(&content_id));
    if !known {
        return Err(PortalioError::not_found(
            "Content not found.",
            format!("proposal {id} has no AI content {content_id}"),
        ));
    }
    draft_only(status, id)?;
    if let Some(ai) = data.ai.get_mut(&id) {
        ai.contents.remove(&content_id);
    }
    Ok(Json(ContentDeleted { id: content_id, deleted: true }))
}

/// The body's `proposalId` must be given and equal the path's.
fn check_ref(body: &ProposalRef, id: u64) -> Result<(), PortalioError> {
    match body.proposal_id.as_deref().map(str::trim) {
        None | Some("") => Err(PortalioError::bad_request("The ProposalId field is required.")),
        Some(given) if given.parse::<u64>() == Ok(id) => Ok(()),
        Some(given) => Err(PortalioError::bad_request(format!(
            "The proposalId in the body ({given}) does not match the proposal in the route ({id})."
        ))),
    }
}

fn start_outline(caller: &Caller, id: &str, body: &ProposalRef) -> Result<Json<OutlineQueued>, PortalioError> {
    let id = path_id(id, "Proposal")?;
    let mut data = caller.account.data();
    proposal_mut(caller, &mut data, id)?;
    check_ref(body, id)?;
    let texts: Vec<String> = data
        .ai
        .get(&id)
        .map(|ai| {
            ai.contents
                .values()
                .filter(|c| c.status(caller.now) == ContentStatus::Transcribed)
                .map(|c| c.text.clone())
                .collect()
        })
        .unwrap_or_default();
    if texts.is_empty() {
        let uploaded = data.ai.get(&id).map_or(0, |ai| ai.contents.len());
        return Err(PortalioError::bad_request(
            "The proposal has no transcribed project content to generate an outline from.",
        )
        .with_detail(format!("{uploaded} content item(s), none transcribed yet (transcription takes 2 s)")));
    }
    let plan = plan(&texts.join("\n"), &caller.store.catalog.items);
    let markdown = render(&plan, &caller.store.catalog.items);
    let seq = caller.store.next_id();
    data.ai.entry(id).or_default().outline = Some(Outline { status: OutlineStatus::Generating, seq, plan, markdown });
    drop(data);
    let due = seconds(caller.now) + SignedDuration::from_secs(OUTLINE_SECONDS);
    let (state, account) = (Arc::clone(&caller.state), caller.account.id);
    caller.state.scheduler.schedule(
        Vendor::Portalio,
        due,
        Box::new(move |_| Box::pin(async move { finish_outline(&state, account, id, seq) })),
    );
    caller.trail.pass("ai_outline", format!("outline of proposal {id} completes at {due}"));
    Ok(Json(OutlineQueued { proposal_id: id, status: OutlineStatus::Generating }))
}

fn outline_out(id: u64, outline: &Outline) -> OutlineOut {
    OutlineOut {
        proposal_id: id,
        status: outline.status,
        outline: (outline.status == OutlineStatus::Completed).then(|| outline.markdown.clone()),
    }
}

fn finish_outline(state: &PortalioState, account: u64, id: u64, seq: u64) {
    let Some(account) = state.store().account(account) else { return };
    let mut data = account.data();
    let Some(outline) = data.ai.get_mut(&id).and_then(|ai| ai.outline.as_mut()) else { return };
    if outline.seq != seq || outline.status != OutlineStatus::Generating {
        return;
    }
    outline.status = OutlineStatus::Completed;
    let payload = json!(outline_out(id, outline));
    notify::fire(state, &data, "ProposalOutlineStatusChanged", payload);
}

fn read_outline(caller: &Caller, id: &str) -> Result<Json<OutlineOut>, PortalioError> {
    let id = path_id(id, "Proposal")?;
    let mut data = caller.account.data();
    proposal_mut(caller, &mut data, id)?;
    let outline = data.ai.get(&id).and_then(|ai| ai.outline.as_ref()).ok_or_else(|| {
        PortalioError::not_found("Outline not found.", format!("no outline was requested for proposal {id}"))
    })?;
    Ok(Json(outline_out(id, outline)))
}

fn build(caller: &Caller, id: &str, body: &ProposalRef) -> Result<Json<BuildOut>, PortalioError> {
    let id = path_id(id, "Proposal")?;
    let mut data = caller.account.data();
    let proposal = proposal_mut(caller, &mut data, id)?;
    check_ref(body, id)?;
    editable(proposal)?;
    let ai = data.ai.entry(id).or_default();
    if !ai.outline.as_ref().is_some_and(|o| o.status == OutlineStatus::Completed) {
        return Err(PortalioError::bad_request("A completed outline is required before building the proposal."));
    }
    if ai.build.as_ref().is_some_and(|b| b.status == BuildStatus::Building) {
        return Err(PortalioError::bad_request("A build is already in progress for this proposal."));
    }
    let seq = caller.store.next_id();
    ai.build = Some(Build { status: BuildStatus::Building, seq });
    drop(data);
    let due = seconds(caller.now) + SignedDuration::from_secs(BUILD_SECONDS);
    let (state, account, user) = (Arc::clone(&caller.state), caller.account.id, caller.user.id);
    caller.state.scheduler.schedule(
        Vendor::Portalio,
        due,
        Box::new(move |due| Box::pin(async move { finish_build(&state, account, user, id, seq, due) })),
    );
    caller.trail.pass("ai_build", format!("build of proposal {id} completes at {due}"));
    Ok(Json(BuildOut { proposal_id: id, status: BuildStatus::Building }))
}

/// Adds the outline's areas (one Draft option each, with the catalog items) to the
/// proposal and fires the build and proposal events; fails if the proposal has since
/// reached a terminal state.
fn finish_build(state: &PortalioState, account_id: u64, user: u64, id: u64, seq: u64, due: Timestamp) {
    let store = state.store();
    let Some(account) = store.account(account_id) else { return };
    let mut data = account.data();
    let Some(ai) = data.ai.get(&id) else { return };
    if !ai.build.as_ref().is_some_and(|b| b.seq == seq && b.status == BuildStatus::Building) {
        return;
    }
    let plan = ai.outline.as_ref().map(|o| o.plan.clone()).unwrap_or_default();
    let now = seconds(due);
    let status = match data.proposals.get_mut(&id) {
        Some(proposal) if !proposal.status.is_terminal() => {
            for area in &plan.areas {
                let mut name = area.name.clone();
                let mut n = 1;
                while proposal.areas.iter().any(|a| a.name.eq_ignore_ascii_case(&name)) {
                    n += 1;
                    name = format!("{} ({n})", area.name);
                }
                let items = area
                    .items
                    .iter()
                    .filter_map(|(item_id, qty)| {
                        let item = store.catalog.items.iter().find(|c| c.id == *item_id)?;
                        Some(LineItem {
                            id: store.next_id(),
                            parent_id: None,
                            item_type: item.item_type,
                            referenced_item_id: Some(item.id),
                            brand: Some(item.brand.clone()),
                            model: Some(item.model.clone()),
                            description: Some(item.description.clone()),
                            name: Some(item.model.clone()),
                            short_description: Some(item.short_description.clone()),
                            quantity: *qty,
                            sell_price: item.msrp,
                            cost: item.cost,
                        })
                    })
                    .collect();
                let option = AreaOption {
                    id: store.next_id(),
                    status: "Draft".to_owned(),
                    last_modified_date: now,
                    client_description: Some(format!("{} as outlined by the AI Builder.", area.name)),
                    installer_description: None,
                    items,
                };
                proposal.areas.push(Area { id: store.next_id(), name, options: vec![option] });
            }
            proposal.last_modified_date = now;
            proposal.last_modified_by_user_date = now;
            proposal.last_modified_user_id = Some(user);
            BuildStatus::Completed
        }
        _ => BuildStatus::Failed,
    };
    if let Some(build) = data.ai.get_mut(&id).and_then(|ai| ai.build.as_mut()) {
        build.status = status;
    }
    notify::fire(state, &data, "ProposalBuildStatusChanged", json!(BuildOut { proposal_id: id, status }));
    if status == BuildStatus::Completed {
        if let Some(proposal) = data.proposals.get(&id) {
            let detail = proposal_detail(&store, &data, (account.id, &account.name), proposal);
            notify::fire(state, &data, "ProposalStatusChanged", json!(detail));
        }
    }
}

// The routes, under both prefixes.

#[utoipa::path(
    post, path = "/public/proposals/{ProposalId}/ai/content", tag = "portalio", summary = "Upload AI Builder content (Draft proposals only)",
    params(("ProposalId" = i64, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "Multipart with a file part, or application/x-www-form-urlencoded / JSON with the text in File"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = ContentItem),
        (status = 400, body = ErrorBody, description = "Missing name or file, unsupported type, file too large"),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "The proposal is not a Draft"),
    ),
    security(("portalio_signature" = []))
)]
pub async fn upload_content(
    caller: Caller,
    Path(id): Path<String>,
    request: Request,
) -> Result<Json<ContentItem>, PortalioError> {
    upload(caller, id, request).await
}

#[utoipa::path(
    post, path = "/public/api/proposals/{ProposalId}/ai/content", tag = "portalio", summary = "Upload AI Builder content (Draft proposals only)",
    params(("ProposalId" = i64, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "Multipart with a file part, or application/x-www-form-urlencoded / JSON with the text in File"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = ContentItem),
        (status = 400, body = ErrorBody, description = "Missing name or file, unsupported type, file too large"),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "The proposal is not a Draft"),
    ),
    security(("portalio_signature" = []))
)]
pub async fn api_upload_content(
    caller: Caller,
    Path(id): Path<String>,
    request: Request,
) -> Result<Json<ContentItem>, PortalioError> {
    upload(caller, id, request).await
}

#[utoipa::path(
    get, path = "/public/proposals/{ProposalId}/ai/content", tag = "portalio", summary = "List AI Builder content",
    params(("ProposalId" = i64, Path)),

    responses(
        (status = 200, body = ContentList),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn list_content(caller: Caller, Path(id): Path<String>) -> Result<Json<ContentList>, PortalioError> {
    list(&caller, &id)
}

#[utoipa::path(
    get, path = "/public/api/proposals/{ProposalId}/ai/content", tag = "portalio", summary = "List AI Builder content",
    params(("ProposalId" = i64, Path)),

    responses(
        (status = 200, body = ContentList),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn api_list_content(caller: Caller, Path(id): Path<String>) -> Result<Json<ContentList>, PortalioError> {
    list(&caller, &id)
}

#[utoipa::path(
    delete, path = "/public/proposals/{ProposalId}/ai/content/{ContentId}", tag = "portalio", summary = "Delete AI Builder content (Draft proposals only)",
    params(("ProposalId" = i64, Path), ("ContentId" = i64, Path)),

    responses(
        (status = 200, body = ContentDeleted),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown content, or another proposal's"),
        (status = 409, body = ErrorBody, description = "The proposal is not a Draft"),
    ),
    security(("portalio_signature" = []))
)]
pub async fn delete_content(
    caller: Caller,
    Path((id, content_id)): Path<(String, String)>,
) -> Result<Json<ContentDeleted>, PortalioError> {
    delete(&caller, &id, &content_id)
}

#[utoipa::path(
    delete, path = "/public/api/proposals/{ProposalId}/ai/content/{ContentId}", tag = "portalio", summary = "Delete AI Builder content (Draft proposals only)",
    params(("ProposalId" = i64, Path), ("ContentId" = i64, Path)),

    responses(
        (status = 200, body = ContentDeleted),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown content, or another proposal's"),
        (status = 409, body = ErrorBody, description = "The proposal is not a Draft"),
    ),
    security(("portalio_signature" = []))
)]
pub async fn api_delete_content(
    caller: Caller,
    Path((id, content_id)): Path<(String, String)>,
) -> Result<Json<ContentDeleted>, PortalioError> {
    delete(&caller, &id, &content_id)
}

#[utoipa::path(
    post, path = "/public/proposals/{ProposalId}/ai/outline", tag = "portalio", summary = "Generate the outline (completes after 5 s of emulator time)",
    params(("ProposalId" = i64, Path)),
    request_body(content = ProposalRef, content_type = "application/json"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = OutlineQueued),
        (status = 400, body = ErrorBody, description = "No transcribed content, or a missing or different proposalId"),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn generate_outline(
    caller: Caller,
    Path(id): Path<String>,
    Form(body): Form<ProposalRef>,
) -> Result<Json<OutlineQueued>, PortalioError> {
    start_outline(&caller, &id, &body)
}

#[utoipa::path(
    post, path = "/public/api/proposals/{ProposalId}/ai/outline", tag = "portalio", summary = "Generate the outline (completes after 5 s of emulator time)",
    params(("ProposalId" = i64, Path)),
    request_body(content = ProposalRef, content_type = "application/json"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = OutlineQueued),
        (status = 400, body = ErrorBody, description = "No transcribed content, or a missing or different proposalId"),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn api_generate_outline(
    caller: Caller,
    Path(id): Path<String>,
    Form(body): Form<ProposalRef>,
) -> Result<Json<OutlineQueued>, PortalioError> {
    start_outline(&caller, &id, &body)
}

#[utoipa::path(
    get, path = "/public/proposals/{ProposalId}/ai/outline", tag = "portalio", summary = "Get the outline",
    params(("ProposalId" = i64, Path)),

    responses(
        (status = 200, body = OutlineOut),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown proposal, or no outline requested"),
    ),
    security(("portalio_signature" = []))
)]
pub async fn get_outline(caller: Caller, Path(id): Path<String>) -> Result<Json<OutlineOut>, PortalioError> {
    read_outline(&caller, &id)
}

#[utoipa::path(
    get, path = "/public/api/proposals/{ProposalId}/ai/outline", tag = "portalio", summary = "Get the outline",
    params(("ProposalId" = i64, Path)),

    responses(
        (status = 200, body = OutlineOut),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown proposal, or no outline requested"),
    ),
    security(("portalio_signature" = []))
)]
pub async fn api_get_outline(caller: Caller, Path(id): Path<String>) -> Result<Json<OutlineOut>, PortalioError> {
    read_outline(&caller, &id)
}

#[utoipa::path(
    post, path = "/public/proposals/{ProposalId}/ai/build", tag = "portalio", summary = "Build the proposal from the outline (completes after 10 s of emulator time)",
    params(("ProposalId" = i64, Path)),
    request_body(content = ProposalRef, content_type = "application/json"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = BuildOut),
        (status = 400, body = ErrorBody, description = "No completed outline, a build in progress, or a missing or different proposalId"),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The proposal is Accepted, Completed or Declined"),
    ),
    security(("portalio_signature" = []))
)]
pub async fn build_proposal(
    caller: Caller,
    Path(id): Path<String>,
    Form(body): Form<ProposalRef>,
) -> Result<Json<BuildOut>, PortalioError> {
    build(&caller, &id, &body)
}

#[utoipa::path(
    post, path = "/public/api/proposals/{ProposalId}/ai/build", tag = "portalio", summary = "Build the proposal from the outline (completes after 10 s of emulator time)",
    params(("ProposalId" = i64, Path)),
    request_body(content = ProposalRef, content_type = "application/json"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = BuildOut),
        (status = 400, body = ErrorBody, description = "No completed outline, a build in progress, or a missing or different proposalId"),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The proposal is Accepted, Completed or Declined"),
    ),
    security(("portalio_signature" = []))
)]
pub async fn api_build_proposal(
    caller: Caller,
    Path(id): Path<String>,
    Form(body): Form<ProposalRef>,
) -> Result<Json<BuildOut>, PortalioError> {
    build(&caller, &id, &body)
}
