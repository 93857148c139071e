//! `POST /_emulator/reset` and `POST /_emulator/reset/{vendor}`: back to the
//! fixtures. Each vendor swaps in a freshly built store in one step, so no request
//! sees half a reset; the clock and the journal are left as they are.

use axum::{Json, extract::Path, extract::State};
use serde_json::{Value, json};

use super::error::EmulatorError;
use crate::{Vendor, app::AppState};

pub async fn reset_all(State(state): State<AppState>) -> Json<Value> {
    for vendor in Vendor::ALL {
        state.reset(vendor);
    }
    Json(json!({ "reset": Vendor::ALL }))
}

pub async fn reset_vendor(
    State(state): State<AppState>,
    Path(vendor): Path<String>,
) -> Result<Json<Value>, EmulatorError> {
    let vendor: Vendor = vendor.parse().map_err(EmulatorError::NotFound)?;
    state.reset(vendor);
    Ok(Json(json!({ "reset": [vendor] })))
}
