//! The OpenAPI 3.1 documents, assembled from the routers themselves: every route is
//! declared once, with its `#[utoipa::path]`, and collected by `routes!` (utoipa-axum's,
//! through [`crate::documented`]) as the router is built again for them, so the
//! documents cannot drift from what is served.
//!
//! - `GET /_emulator/openapi.json`: the control plane, then every vendor's API under
//!   its path prefix (`/propal/v1/leads`).
//! - `GET /_emulator/openapi/{vendor}.json`: one vendor's API at its root path, with
//!   `servers` pointing at that vendor's prefix on this emulator, for client generators.
//!
//! Operation ids are made unique per vendor (`propal.list_leads`), and two vendors
//! declaring different schemas under one name panics the assembly (the OpenAPI tests
//! assemble the documents, so it fails them).

use std::collections::{BTreeMap, HashMap};

use axum::{
    Extension, Json,
    extract::{Path, State},
    http::{HeaderMap, header},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, PathItem, Ref, ResponseBuilder,
    path::Operation,
    security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme},
    server::Server,
};

use super::error::{EmulatorError, EmulatorErrorBody};
use crate::{Vendor, app::AppState, tls::OverTls};

/// The name of the admin token's security scheme.
pub const ADMIN_TOKEN: &str = "admin_token";

/// The documents, built once per app and kept as compact JSON text: a few hundred KiB,
/// where the `utoipa` trees they come from take megabytes of the idle process. Written
/// whole by `vendor-emulator openapi --bundle`, the bundle a `prebuilt-openapi` build embeds.
#[derive(Serialize, Deserialize)]
pub struct ApiDocs {
    /// Control plane and every vendor under its prefix.
    all: String,
    /// Each vendor's API alone, at its root path (servers added per request).
    vendors: HashMap<Vendor, String>,
}

impl ApiDocs {
    /// Joins the control plane's document with each vendor's.
    ///
    /// # Panics
    /// When two documents declare different schemas under one name (a build bug:
    /// merging would silently keep one of them).
    pub fn assemble(admin: OpenApi, vendor_docs: Vec<(Vendor, OpenApi)>) -> Self {
        let mut all = admin;
        for (path, item) in &mut all.paths.paths {
            let owner = path.strip_prefix("/_emulator/").and_then(|rest| rest.split('/').next());
            let namespace = match owner.and_then(|segment| segment.parse::<Vendor>().ok()) {
                Some(vendor) => format!("{vendor}_admin"),
                None => "emulator".to_owned(),
            };
            let open = super::OPEN_PATHS.contains(&path.as_str());
            for operation in operations(item) {
                qualify(operation, &namespace);
                document_input_refusals(operation);
                // Empty: no token needed; the token: only when --admin-token is set.
                let mut security = vec![SecurityRequirement::default()];
                if !open {
                    security.push(SecurityRequirement::new(ADMIN_TOKEN, [""; 0]));
                }
                operation.security = Some(security);
            }
        }
        let admin_scheme = SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("Only when the emulator runs with --admin-token: `Authorization: Bearer <token>`"))
                .build(),
        );
        all.components
            .get_or_insert_with(|| ComponentsBuilder::new().build())
            .add_security_scheme(ADMIN_TOKEN, admin_scheme);
        let mut vendors = HashMap::new();
        for (vendor, mut doc) in vendor_docs {
            for item in doc.paths.paths.values_mut() {
                for operation in operations(item) {
                    qualify(operation, vendor.as_str());
                    if operation.tags.is_none() {
                        operation.tags = Some(vec![vendor.as_str().to_owned()]);
                    }
                }
            }
            check_no_schema_clash(&all, &doc, vendor);
            doc.info = InfoBuilder::new()
                .title(format!("{} (vendor-emulator)", vendor.title()))
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(format!(
                    "The emulated {} API. Bodies, statuses and error shapes are the vendor's; \
                     refusals are explained in the X-Emulator-Explain header.",
                    vendor.title()
                )))
                .build();
            // `nest` drops extensions: carry each vendor's top-level ones (OpenAPI 3.1 `webhooks`).
            let extensions = doc.extensions.clone();
            let text = serde_json::to_string(&doc).expect("an OpenAPI document serializes");
            all = all.nest(vendor.prefix(), doc);
            if let Some(extensions) = extensions {
                all.extensions.get_or_insert_with(Default::default).merge(extensions);
            }
            vendors.insert(vendor, text);
        }
        all.info = InfoBuilder::new()
            .title("vendor-emulator")
            .version(env!("CARGO_PKG_VERSION"))
            .description(Some(
                "Control plane (/_emulator) and the emulated Portal.io, Propal and Holm APIs under their prefixes",
            ))
            .build();
        let all = serde_json::to_string(&all).expect("an OpenAPI document serializes");
        Self { all, vendors }
    }
}

impl ApiDocs {
    /// The documents a full build assembled, embedded deflated by `build.rs` (the
    /// `prebuilt-openapi` feature).
    ///
    /// # Panics
    /// When the embedded bundle does not inflate or parse (a build bug).
    #[cfg(feature = "prebuilt-openapi")]
    pub fn prebuilt() -> Self {
        const BUNDLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/openapi-bundle.json.deflate"));
        let json = miniz_oxide::inflate::decompress_to_vec(BUNDLE).expect("the embedded OpenAPI bundle inflates");
        serde_json::from_slice(&json).expect("the embedded OpenAPI bundle is what `openapi --bundle` writes")
    }

    /// The whole document, or one vendor's with `servers` set to `base` + its prefix
    /// (`base` empty: a relative server URL, resolved against wherever the document was fetched).
    pub fn document(&self, vendor: Option<Vendor>) -> Value {
        self.document_at(vendor, "")
    }

    fn document_at(&self, vendor: Option<Vendor>, base: &str) -> Value {
        let Some(vendor) = vendor else { return serde_json::from_str(&self.all).expect("our own JSON parses") };
        let mut doc: Value = serde_json::from_str(&self.vendors[&vendor]).expect("our own JSON parses");
        let server = Server::new(format!("{base}{}", vendor.prefix()));
        doc["servers"] = serde_json::to_value(vec![server]).expect("a server serializes");
        doc
    }
}

/// Every operation of a path item.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// `list_leads` → `propal.list_leads`, so ids stay unique in the merged document.
/// Every control-plane body is read by [`super::error::AdminJson`], which answers 400
/// (a body that does not parse), 413 (over the size limit) and 415 (a declared type
/// that is not JSON) in the `{"error"}` shape; a path parameter that does not decode
/// is a 400 in that shape too (see `rejections_as_json`): documented here, once for
/// all of them.
fn document_input_refusals(operation: &mut Operation) {
    let has_path_parameter =
        operation.parameters.iter().flatten().any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Path);
    let mut refusals = Vec::new();
    if operation.request_body.is_some() {
        refusals.extend([
            ("400", "A body that is not the documented JSON"),
            ("413", "A body over the size limit"),
            ("415", "A declared Content-Type that is not JSON"),
        ]);
    } else if has_path_parameter {
        refusals.push(("400", "A path parameter whose percent-escapes are not UTF-8"));
    }
    for (status, description) in refusals {
        operation.responses.responses.entry(status.to_owned()).or_insert_with(|| {
            let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("EmulatorErrorBody"))).build();
            ResponseBuilder::new().description(description).content("application/json", content).build().into()
        });
    }
}

fn qualify(operation: &mut Operation, namespace: &str) {
    if let Some(id) = &operation.operation_id {
        operation.operation_id = Some(format!("{namespace}.{id}"));
    }
}

fn check_no_schema_clash(all: &OpenApi, doc: &OpenApi, vendor: Vendor) {
    let (Some(have), Some(new)) = (&all.components, &doc.components) else { return };
    let have: BTreeMap<_, _> = have.schemas.iter().collect();
    for (name, schema) in &new.schemas {
        if let Some(existing) = have.get(name) {
            assert!(
                serde_json::to_value(existing).ok() == serde_json::to_value(schema).ok(),
                "{vendor} declares a schema `{name}` that another document declares differently: rename one"
            );
        }
    }
}

/// This document: the control plane and every emulated route under its prefix.
#[utoipa::path(get, path = "/_emulator/openapi.json", tag = "control plane",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)))]
pub async fn get_openapi(State(state): State<AppState>) -> Json<Value> {
    Json(state.docs().document(None))
}

/// One vendor's API at its root path, with `servers` pointing at its prefix on this emulator.
///
/// The path's last segment is `<vendor>.json` (axum captures a whole segment, so the
/// parameter is the file name).
#[utoipa::path(get, path = "/_emulator/openapi/{document}", tag = "control plane",
    params(("document" = String, Path, description = "`portalio.json`, `propal.json` or `holm.json`")),
    responses(
        (status = 200, description = "The vendor's OpenAPI 3.1 document", body = Object),
        (status = 404, description = "No such vendor", body = EmulatorErrorBody),
    ))]
pub async fn get_vendor_openapi(
    State(state): State<AppState>,
    Path(document): Path<String>,
    over_tls: Option<Extension<OverTls>>,
    headers: HeaderMap,
) -> Result<Json<Value>, EmulatorError> {
    let vendor: Vendor = document
        .strip_suffix(".json")
        .ok_or_else(|| EmulatorError::NotFound(format!("no document {document}: ask for <vendor>.json")))?
        .parse()
        .map_err(EmulatorError::NotFound)?;
    let scheme = OverTls::scheme(over_tls.as_deref());
    let base = headers.get(header::HOST).and_then(|v| v.to_str().ok()).map(|host| format!("{scheme}://{host}"));
    Ok(Json(state.docs().document_at(Some(vendor), base.as_deref().unwrap_or_default())))
}
