//! `GET /_emulator/openapi.json`: an OpenAPI 3.1 document listing the control
//! plane and every emulated route (under its path prefix), built with utoipa from
//! the same route tables the vendors declare next to their routers.

use axum::Json;
use utoipa::openapi::{
    HttpMethod, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, PathsBuilder,
    path::{OperationBuilder, ParameterBuilder, ParameterIn},
    response::ResponseBuilder,
};

use crate::{
    Vendor,
    vendor::{RouteDoc, routes},
};

pub async fn get_openapi() -> Json<OpenApi> {
    Json(document())
}

/// The whole document.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for route in super::ROUTES.iter().chain(super::propal::ROUTES) {
        paths = paths.path(route.path, path_item(route, "", "emulator"));
    }
    let mut all: Vec<(String, PathItem)> = Vec::new();
    for vendor in Vendor::ALL {
        for route in routes(vendor) {
            all.push((
                format!("{}{}", vendor.prefix(), route.path),
                path_item(route, vendor.prefix(), vendor.as_str()),
            ));
        }
    }
    for (path, item) in all {
        paths = paths.path(path, item);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("vendor-emulator")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Control plane (/_emulator) and the emulated Portal.io, Propal and Holm routes"))
                .build(),
        )
        .paths(paths.build())
        .build()
}

fn path_item(route: &RouteDoc, prefix: &str, tag: &str) -> PathItem {
    let method = match route.method {
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        _ => HttpMethod::Get,
    };
    let mut operation = OperationBuilder::new()
        .summary(Some(route.summary))
        .tag(tag)
        .operation_id(Some(format!("{} {prefix}{}", route.method, route.path)))
        .response("default", ResponseBuilder::new().description("See the vendor reference").build());
    if let Some(scope) = route.scope {
        operation = operation.description(Some(format!("Requires scope `{scope}`.")));
    }
    for name in route.path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))) {
        operation = operation.parameter(
            ParameterBuilder::new()
                .name(name.trim_start_matches('*'))
                .parameter_in(ParameterIn::Path)
                .required(utoipa::openapi::Required::True),
        );
    }
    PathItem::new(method, operation.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_lists_the_control_plane_and_vendor_routes_under_their_prefix() {
        let doc = serde_json::to_value(document()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.contains_key("/_emulator/health"));
        assert!(paths["/_emulator/propal/organizations/{organization_id}/keys"].get("post").is_some());
        assert!(paths["/_emulator/propal/organizations/{organization_id}/keys"].get("get").is_some());
        for route in routes(Vendor::Propal) {
            let key = format!("/propal{}", route.path);
            let method = route.method.to_ascii_lowercase();
            assert!(paths.get(&key).and_then(|p| p.get(&method)).is_some(), "{method} {key} missing");
        }
    }
}
