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
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use jiff::SignedDuration;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    journal::{Denial, Redact, Trail},
    propal::{
        auth::{Caller, Scope},
        error::PropalError,
        input::{Fields, MAX_TEXT, object, query_pairs, query_value},
        model::{MediaFile, MediaStatus, millis, ms},
        pagination::{PageRequest, page},
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

pub async fn create_media_file(
    caller: Caller,
    Extension(mount): Extension<Mount>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), PropalError> {
    caller.require(Scope::MediaWrite)?;
    let body = object(&body)?;
    let mut fields = Fields::new(&body);
    let file_name = fields.string("file_name", true, 1, MAX_TEXT);
    // INFERRED: the name becomes the last segment of `path`, so it may not hold a separator.
    if file_name.as_deref().is_some_and(|name| name.contains(['/', '\\'])) {
        fields.problem("file_name", "File name must not contain '/' or '\\'");
    }
    let content_type = fields.string("content_type", true, 1, MAX_TEXT);
    if content_type.as_deref().is_some_and(|text| !is_media_type(text)) {
        // INFERRED: wording of the format check.
        fields.problem("content_type", "Invalid content type, expected type/subtype (e.g. image/png)");
    }
    // INFERRED: `folder: null` is the same as leaving it out.
    let folder = if body.get("folder").is_some_and(Value::is_null) {
        None
    } else {
        fields.string("folder", false, 1, MAX_FOLDER)
    };
    fields.finish()?;

    let now = millis(caller.now);
    let id = caller.store.ids.uuid();
    let (file_name, content_type) = (file_name.unwrap_or_default(), content_type.unwrap_or_default());
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
    let body = json!({
        "id": media.id,
        "file_name": media.file_name,
        "content_type": media.content_type,
        "folder": media.folder,
        "path": media.path,
        "size": media.size,
        "status": media.status,
        "upload_url": upload_url,
        "upload_expires_at": ms::format(expires_at),
        "created_at": ms::format(media.created_at),
        "uploaded_at": media.uploaded_at.map(ms::format),
    });
    Ok((StatusCode::CREATED, Json(body)))
}

/// Newest first; INFERRED: `folder` filters on the folder given at creation (exact match).
pub async fn list_media_files(caller: Caller, RawQuery(query): RawQuery) -> Result<Json<Value>, PropalError> {
    caller.require(Scope::MediaRead)?;
    let pairs = query_pairs(query.as_deref())?;
    let request = PageRequest::from_query(&pairs)?;
    let folder = query_value(&pairs, "folder").filter(|f| !f.is_empty());
    let data = caller.org.data();
    let rows = data
        .media
        .values()
        .filter(|media| folder.is_none_or(|folder| media.folder.as_deref() == Some(folder)))
        .map(|media| (media.id, media.created_at, media))
        .collect();
    Ok(Json(page(rows, request, &data.created_at_of, |media| wire(media))?))
}

/// 204; a pending upload URL of the file stops working too.
pub async fn delete_media_file(caller: Caller, Path(id): Path<String>) -> Result<StatusCode, PropalError> {
    let id = caller.record_id::<MediaFile>(Scope::MediaDelete, &id)?;
    let mut data = caller.org.data();
    data.take::<MediaFile>(id)?;
    data.uploads.retain(|_, (media, _)| *media != id);
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /storage/v1/upload/{org_id}/{token}`: the signed upload target, no API key.
/// INFERRED: 200 with the media object; the request's `Content-Type` is not checked.
pub async fn upload_media_bytes(
    State(state): State<Arc<PropalState>>,
    trail: Trail,
    Path((org_id, token)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let mut response = upload(&state, &trail, &org_id, &token, &body);
    // The token is a credential: the journal keeps the path without it.
    response.extensions_mut().insert(Redact(token));
    response
}

fn upload(state: &PropalState, trail: &Trail, org_id: &str, token: &str, body: &Bytes) -> Response {
    let Some(org) = Uuid::parse_str(org_id).ok().and_then(|id| state.store().org(id)) else {
        return upload_refused(format!("no organization `{org_id}`"));
    };
    trail.set_account(org.id.to_string());
    let now = state.clock.now();
    let hash = token_hash(token);
    let mut data = org.data();
    // One use: the token is gone whatever follows.
    let Some((id, expires_at)) = data.uploads.remove(&hash) else {
        return upload_refused(format!(
            "no pending upload token with SHA-256 {}... (never issued, used or deleted)",
            &hash[..12]
        ));
    };
    if expires_at <= now {
        return upload_refused(format!("the upload token of media {id} expired at {}", ms::format(expires_at)));
    }
    let Some(media) = data.media.get_mut(&id) else {
        return upload_refused(format!("media {id} is gone"));
    };
    media.size = Some(body.len() as u64);
    media.status = MediaStatus::Uploaded;
    media.uploaded_at = Some(millis(now));
    trail.pass("upload_token", format!("token of media {id}, valid until {}, consumed", ms::format(expires_at)));
    Json(wire(media)).into_response()
}

/// A stored file as list and upload answer it (no upload URL: only its hash is kept).
fn wire(media: &MediaFile) -> Value {
    serde_json::to_value(media).unwrap_or_default()
}

/// 403 `forbidden` in Propal's envelope; why goes to the explain header.
fn upload_refused(detail: String) -> Response {
    let body = json!({ "error": { "code": "forbidden", "message": UPLOAD_REFUSED } });
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
