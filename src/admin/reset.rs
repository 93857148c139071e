//! `POST /_emulator/reset` and `POST /_emulator/reset/{vendor}`: back to the
//! fixtures. Each vendor swaps in a freshly built store in one step, so no request
//! sees half a reset; fault rules go (the vendor's, or all of them); the clock and
//! the journal are left as they are.

use axum::{Json, extract::Path, extract::State};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{EmulatorError, EmulatorErrorBody};
use crate::{Vendor, app::AppState};

/// Which vendors were reset.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetDone {
    pub reset: Vec<Vendor>,
}

/// Every vendor back to its fixtures.
#[utoipa::path(post, path = "/_emulator/reset", tag = "control plane",
    responses((status = 200, description = "Every vendor reset", body = ResetDone)))]
pub async fn reset_all(State(state): State<AppState>) -> Json<ResetDone> {
    let reset: Vec<Vendor> = state.vendors.iter().map(|v| v.vendor()).collect();
    state.faults.clear();
    for vendor in &reset {
        state.reset(*vendor);
    }
    Json(ResetDone { reset })
}

/// One vendor back to its fixtures.
#[utoipa::path(post, path = "/_emulator/reset/{vendor}", tag = "control plane",
    params(("vendor" = Vendor, Path, description = "portalio, propal or holm")),
    responses(
        (status = 200, description = "The vendor was reset", body = ResetDone),
        (status = 404, description = "No such vendor", body = EmulatorErrorBody),
    ))]
pub async fn reset_vendor(
    State(state): State<AppState>,
    Path(vendor): Path<String>,
) -> Result<Json<ResetDone>, EmulatorError> {
    let vendor: Vendor = vendor.parse().map_err(EmulatorError::NotFound)?;
    state.reset(vendor);
    Ok(Json(ResetDone { reset: vec![vendor] }))
}
