//! Media files: the two-step signed-URL upload of the quickstart (`POST
//! /v1/media/files` asks for an upload URL, the client `PUT`s the bytes there),
//! plus list and delete (reference §6.6; everything past step 1 is INFERRED).
//!
//! The upload URL points back at the emulator: `<public base>/storage/v1/upload/
//! <org id>/<token>`, Supabase Storage style. Only the token's SHA-256 is kept,
//! with the media id and an expiry two hours later on the emulator clock. The
//! `PUT` target is outside the key check (the URL is the credential); a token
//! works once, and an unknown, used or expired one is a 403.

use std::sync::Arc;

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{
        Path, RawQuery, State,
        rejection::{BytesRejection, PathRejection},
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema, openapi::RefOr};
use uuid::Uuid;

use crate::{
    journal::{Denial, Redact, Trail},
    propal::{
        auth::{Caller, Scope},
        docs::{Forbidden, Invalid, NotFound, Refusals},
        error::{ErrorBody, ErrorCode, ErrorObject, PropalError},
        input::{BodyField, Change, Fields, MAX_TEXT, PathId, body, query_pairs, query_value, string_schema},
        model::{MediaFile, MediaStatus, millis, ms},
        pagination::{Page, PageParams, PageRequest, page},
        state::PropalState,
    },
    routing::Mount,
};

/// INFERRED: how long a signed upload URL works (Supabase's default is two hours).
const UPLOAD_TTL: SignedDuration = SignedDuration::from_hours(2);
/// Random bytes in an upload token (32 base64url characters).
const TOKEN_BYTES: usize = 24;
/// INFERRED: the folder segment of `path` when the client names none.
const DEFAULT_FOLDER: &str = "uploads";
const MAX_FOLDER: usize = 100;
/// The client text of every refused upload, whatever the reason.
const UPLOAD_REFUSED: &str = "Upload URL is invalid or has expired.";

body! {
    /// `POST /v1/media/files`: step 1 of the signed-URL upload (INFERRED fields, reference §6.6).
    pub struct NewMediaFile as "PropalNewMediaFile" {
        /// The last segment of `path`: no `/` or `\`.
        pub file_name: FileName,
        /// `type/subtype`, e.g. `image/png`.
        pub content_type: MediaType,
        /// Where the file goes: names separated by `/`, none empty, `.` or `..`
        /// (default `uploads`; `null` is the same as leaving it out).
        pub folder: Change<Folder>,
    }
}

/// INFERRED: a file name becomes the last segment of `path`, so it holds no separator.
#[derive(Clone, Debug)]
pub struct FileName(pub String);

impl BodyField for FileName {
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        let plain = |name: &str| !name.contains(['/', '\\']);
        fields.text_where(path, raw, (1, MAX_TEXT), plain, "File name must not contain '/' or '\\'").map(Self)
    }

    fn schema() -> RefOr<utoipa::openapi::Schema> {
        string_schema(1, MAX_TEXT).pattern(Some("^[^/\\\\]+$")).into()
    }
}

/// A media type, `type/subtype` made of RFC 6838 name characters.
#[derive(Clone, Debug)]
pub struct MediaType(pub String);

impl BodyField for MediaType {
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        // INFERRED: wording of the format check.
        let message = "Invalid content type, expected type/subtype (e.g. image/png)";
        fields.text_where(path, raw, (1, MAX_TEXT), is_media_type, message).map(Self)
    }

    fn schema() -> RefOr<utoipa::openapi::Schema> {
        string_schema(1, MAX_TEXT)
            .pattern(Some("^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$"))
            .into()
    }
}

/// A folder: names separated by `/`, each a file name that is not `.` or `..`, so the
/// stored `path` cannot leave the organization's space (`../x` and `/abs/` are refused).
#[derive(Clone, Debug)]
pub struct Folder(pub String);

impl From<Folder> for String {
    fn from(folder: Folder) -> Self {
        folder.0
    }
}

impl BodyField for Folder {
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        let relative = |folder: &str| {
            !folder.contains('\\') && folder.split('/').all(|name| !name.is_empty() && name != "." && name != "..")
        };
        let message = "Folder must be names separated by '/', none empty, '.' or '..', without '\\'";
        fields.text_where(path, raw, (1, MAX_FOLDER), relative, message).map(Self)
    }

    fn schema() -> RefOr<utoipa::openapi::Schema> {
        string_schema(1, MAX_FOLDER).pattern(Some("^[^/\\\\]+(/[^/\\\\]+)*$")).into()
    }
}

/// A media file with its signed upload URL: the answer to step 1.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalMediaUpload)]
pub struct MediaUpload {
    pub id: Uuid,
    pub file_name: String,
    pub content_type: String,
    #[schema(required)]
    pub folder: Option<String>,
    pub path: String,
    #[schema(required)]
    pub size: Option<u64>,
    pub status: MediaStatus,
    /// `PUT` the bytes here, once, before `upload_expires_at`; no API key needed.
    pub upload_url: String,
    #[serde(with = "ms")]
    #[schema(value_type = String, format = DateTime)]
    pub upload_expires_at: Timestamp,
    #[serde(with = "ms")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[serde(with = "ms::option")]
    #[schema(required, value_type = Option<String>, format = DateTime)]
    pub uploaded_at: Option<Timestamp>,
}

/// The raw bytes of an upload, for the document.
pub struct UploadBytes;

impl utoipa::PartialSchema for UploadBytes {
    fn schema() -> RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for UploadBytes {
    fn name() -> std::borrow::Cow<'static, str> {
        "PropalUploadBytes".into()
    }
}

/// `folder`: only files created in this folder (exact match).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents what `list_media_files` reads
pub struct FolderFilter {
    folder: Option<String>,
}

/// Ask for a signed upload URL (step 1 of the quickstart's upload).
#[utoipa::path(post, path = "/v1/media/files", tag = "propal", request_body = NewMediaFile,
    responses((status = 201, description = "The pending file and its upload URL", body = MediaUpload),
        Refusals, Forbidden, Invalid),
    security(("propal_key" = ["media:write"])))]
pub async fn create_media_file(
    caller: Caller,
    Extension(mount): Extension<Mount>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<MediaUpload>), PropalError> {
    caller.require(Scope::MediaWrite)?;
    let input = NewMediaFile::read(&body)?;
    let now = millis(caller.now);
    let id = caller.store.ids.uuid();
    let (file_name, content_type, folder) = (input.file_name.0, input.content_type.0, input.folder.set::<String>());
    let path = format!("{}/{}/{id}-{file_name}", caller.org.id, folder.as_deref().unwrap_or(DEFAULT_FOLDER));
    let media = MediaFile {
        id,
        file_name,
        content_type,
        folder,
        path,
        size: None,
        status: MediaStatus::Pending,
        created_at: now,
        uploaded_at: None,
    };
    let token = caller.store.ids.base64url(TOKEN_BYTES);
    let expires_at = now + UPLOAD_TTL;
    let upload_url = format!("{}/storage/v1/upload/{}/{token}", mount.public_base(&headers), caller.org.id);
    let mut data = caller.org.data();
    data.uploads.insert(token_hash(&token), (id, expires_at));
    data.add(media.clone());
    let body = MediaUpload {
        id: media.id,
        file_name: media.file_name,
        content_type: media.content_type,
        folder: media.folder,
        path: media.path,
        size: media.size,
        status: media.status,
        upload_url,
        upload_expires_at: expires_at,
        created_at: media.created_at,
        uploaded_at: media.uploaded_at,
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// List media files, newest first.
#[utoipa::path(get, path = "/v1/media/files", tag = "propal", params(PageParams, FolderFilter),
    responses((status = 200, description = "A page of media files", body = Page<MediaFile>), Refusals, Forbidden, Invalid),
    security(("propal_key" = ["media:read"])))]
pub async fn list_media_files(caller: Caller, RawQuery(query): RawQuery) -> Result<Json<Page<MediaFile>>, PropalError> {
    caller.require(Scope::MediaRead)?;
    let pairs = query_pairs(query.as_deref())?;
    let request = PageRequest::from_query(&pairs)?;
    let folder = query_value(&pairs, "folder").filter(|f| !f.is_empty());
    let data = caller.org.data();
    let filter = folder.map(|folder| move |media: &MediaFile| media.folder.as_deref() == Some(folder));
    Ok(Json(page(&data.media, filter, request, |id| data.created_at::<MediaFile>(id), MediaFile::clone)?))
}

/// Delete a media file; a pending upload URL of it stops working too.
#[utoipa::path(delete, path = "/v1/media/files/{id}", tag = "propal",
    params(("id" = String, Path, description = "Media file UUID")),
    responses((status = 204, description = "Deleted"), Refusals, Forbidden, NotFound),
    security(("propal_key" = ["media:delete"])))]
pub async fn delete_media_file(caller: Caller, PathId(id): PathId) -> Result<StatusCode, PropalError> {
    let id = caller.record_id::<MediaFile>(Scope::MediaDelete, &id)?;
    let mut data = caller.org.data();
    data.take::<MediaFile>(id)?;
    data.uploads.retain(|_, (media, _)| *media != id);
    Ok(StatusCode::NO_CONTENT)
}

/// The signed upload target (step 2): no API key, no rate budget; the URL is the
/// credential and works once. INFERRED: 200 with the media file; the request's
/// `Content-Type` is not checked.
#[utoipa::path(put, path = "/storage/v1/upload/{org_id}/{token}", tag = "propal",
    params(
        ("org_id" = String, Path, description = "The organization's UUID, from `upload_url`"),
        ("token" = String, Path, description = "The one-time token, from `upload_url`"),
    ),
    request_body(content = UploadBytes, content_type = "application/octet-stream", description = "The file's bytes"),
    responses(
        (status = 200, description = "Stored; the file is `uploaded`", body = MediaFile),
        (status = 403, description = "Unknown, used, expired or deleted upload URL", body = ErrorBody,
            example = json!({"error": {"code": "forbidden", "message": "Upload URL is invalid or has expired."}})),
        (status = 413, description = "The body exceeds --propal-max-upload-bytes (the URL stays usable)", body = ErrorBody,
            example = json!({"error": {"code": "validation_error", "message": "Request body too large."}})),
    ))]
pub async fn upload_media_bytes(
    State(state): State<Arc<PropalState>>,
    trail: Trail,
    segments: Result<Path<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Ok(Path((org_id, token))) = segments else {
        return upload_refused("the upload URL's path does not decode".to_owned());
    };
    let limit = state.settings.propal_max_upload_bytes;
    let mut response = upload(&state, &trail, &org_id, &token, body.map_err(|_| limit));
    // The token is a credential: the journal keeps the path without it.
    response.extensions_mut().insert(Redact(token));
    response
}

/// The token's checks, then the body's size (a refused body leaves the token usable), then the store.
fn upload(state: &PropalState, trail: &Trail, org_id: &str, token: &str, body: Result<Bytes, usize>) -> Response {
    let Some(org) = Uuid::parse_str(org_id).ok().and_then(|id| state.store().org(id)) else {
        return upload_refused(format!("no organization `{org_id}`"));
    };
    trail.set_account(org.id.to_string());
    let now = state.clock.now();
    let hash = token_hash(token);
    let mut data = org.data();
    let Some(&(id, expires_at)) = data.uploads.get(&hash) else {
        return upload_refused(format!(
            "no pending upload token with SHA-256 {}... (never issued, used or deleted)",
            &hash[..12]
        ));
    };
    if expires_at <= now {
        data.uploads.remove(&hash);
        return upload_refused(format!("the upload token of media {id} expired at {}", ms::format(expires_at)));
    }
    let Ok(body) = body else {
        let limit = body.err().unwrap_or_default();
        trail.fail("body_size", format!("the upload is larger than --propal-max-upload-bytes {limit}"));
        let mut response = PropalError::PayloadTooLarge.into_response();
        let detail = format!("upload body exceeds --propal-max-upload-bytes {limit}");
        response.extensions_mut().insert(Denial::new("payload_too_large", detail));
        return response;
    };
    // One use: the token is gone from here on.
    data.uploads.remove(&hash);
    let Some(media) = data.media.get_mut(&id) else {
        return upload_refused(format!("media {id} is gone"));
    };
    media.size = Some(body.len() as u64);
    media.status = MediaStatus::Uploaded;
    media.uploaded_at = Some(millis(now));
    trail.pass("upload_token", format!("token of media {id}, valid until {}, consumed", ms::format(expires_at)));
    Json(media.clone()).into_response()
}

/// 403 `forbidden` in Propal's envelope; why goes to the explain header.
fn upload_refused(detail: String) -> Response {
    let body = ErrorBody {
        error: ErrorObject { code: ErrorCode::Forbidden, message: UPLOAD_REFUSED.to_owned(), details: None },
    };
    let mut response = (StatusCode::FORBIDDEN, Json(body)).into_response();
    response.extensions_mut().insert(Denial::new("upload_token", detail));
    response
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// `type/subtype` made of RFC 6838 name characters, e.g. `image/png`, `application/vnd.ms-excel`.
fn is_media_type(text: &str) -> bool {
    let name = |part: &str| {
        part.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && part.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    text.split_once('/').is_some_and(|(kind, subtype)| name(kind) && name(subtype))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_need_a_type_and_a_subtype() {
        for good in ["image/png", "application/vnd.ms-excel", "image/svg+xml", "text/plain"] {
            assert!(is_media_type(good), "{good}");
        }
        for bad in ["png", "image/", "/png", "image/png/x", "image png", "image/p ng", ""] {
            assert!(!is_media_type(bad), "{bad}");
        }
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        // printf abc | sha256sum
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
