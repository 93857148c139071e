//! `GET` and `POST /_emulator/clock`: read, freeze, set, advance or resume the
//! emulator clock. Setting or advancing runs every job that became due, in order.

use axum::{Json, extract::State};
use jiff::{SignedDuration, Timestamp};

use super::{
    dto::{ClockCommand, ClockView},
    error::{AdminJson, EmulatorError, EmulatorErrorBody},
};
use crate::{app::AppState, clock::Clock};

/// The emulator clock.
#[utoipa::path(get, path = "/_emulator/clock", tag = "control plane",
    responses((status = 200, description = "Now, and whether the clock is frozen", body = ClockView)))]
pub async fn get_clock(State(state): State<AppState>) -> Json<ClockView> {
    Json(view(&state.clock))
}

/// Freeze, set, advance or resume the clock; moving it runs every job that became due, in order.
#[utoipa::path(post, path = "/_emulator/clock", tag = "control plane",
    request_body(content = ClockCommand, description = "Exactly one of the four fields"),
    responses(
        (status = 200, description = "The clock after the change", body = ClockView),
        (status = 400, description = "Not exactly one field, or a bad value", body = EmulatorErrorBody),
        (status = 415, description = "A declared Content-Type that is not JSON", body = EmulatorErrorBody),
    ))]
pub async fn move_clock(
    State(state): State<AppState>,
    AdminJson(command): AdminJson<ClockCommand>,
) -> Result<Json<ClockView>, EmulatorError> {
    let given =
        [command.freeze.is_some(), command.set.is_some(), command.advance_seconds.is_some(), command.resume.is_some()];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(EmulatorError::BadRequest(
            "send exactly one of {\"freeze\":true}, {\"set\":\"<RFC 3339>\"}, {\"advance_seconds\":N}, {\"resume\":true}".into(),
        ));
    }
    let clock = &state.clock;
    if let Some(freeze) = command.freeze {
        if freeze { clock.freeze() } else { clock.resume() }
    } else if let Some(resume) = command.resume {
        if resume { clock.resume() } else { clock.freeze() }
    } else if let Some(set) = command.set {
        let at: Timestamp =
            set.parse().map_err(|e| EmulatorError::BadRequest(format!("`set` is not an RFC 3339 instant: {e}")))?;
        state.scheduler.move_to(at).await;
    } else if let Some(seconds) = command.advance_seconds {
        if !(0.0..=1e10).contains(&seconds) {
            return Err(EmulatorError::BadRequest("`advance_seconds` must be a number from 0 to 1e10".into()));
        }
        let target = clock.now() + SignedDuration::from_secs_f64(seconds);
        state.scheduler.move_to(target).await;
    }
    Ok(Json(view(clock)))
}

fn view(clock: &Clock) -> ClockView {
    ClockView { now: rfc3339_millis(clock.now()), frozen: clock.is_frozen() }
}

/// `2026-04-01T10:30:00.000Z`.
pub fn rfc3339_millis(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
