//! Applies a fired rule to its request, in the dispatcher: the vendor's router runs
//! only where the fault lets it (a delay, or a broken connection after the work).

use std::time::Duration;

use axum::{
    Router,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    response::Response,
};
use tower::ServiceExt;

use super::{
    FaultAction, Fired,
    connection::{ConnectionFault, Sabotage},
};
use crate::{
    journal::{Denial, Trail},
    vendor::EmulatedVendor,
};

/// The answer to a request a rule fired for, marked `fault:<rule id>`.
pub async fn inject(fired: Fired, vendor: &dyn EmulatedVendor, request: Request, router: Router) -> Response {
    let reason = format!("fault:{}", fired.rule);
    let trail = request.extensions().get::<Trail>().cloned().unwrap_or_default();
    match fired.action {
        FaultAction::Status { status, retry_after_seconds } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = vendor.fault_error(status, retry_after_seconds);
            *response.status_mut() = status;
            let mut detail = format!("injected {} by fault rule {}", status.as_u16(), fired.rule);
            if let Some(seconds) = retry_after_seconds {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                detail = format!("{detail} with Retry-After: {seconds}");
            }
            trail.fail(&reason, detail.clone());
            response.extensions_mut().insert(Denial::new(reason, detail));
            response
        }
        FaultAction::Delay { delay_ms } => {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            let detail =
                format!("answer delayed {delay_ms} ms by fault rule {}; the answer is the real one", fired.rule);
            trail.pass(&reason, detail.clone());
            let mut response = router.oneshot(request).await.unwrap_or_else(|e| match e {});
            if response.extensions().get::<Denial>().is_none() {
                response.extensions_mut().insert(Denial::new(reason, detail));
            }
            response
        }
        FaultAction::Reset { processed } => {
            break_connection(fired, Sabotage::Reset, processed, vendor, request, router).await
        }
        FaultAction::PartialHeaders { processed } => {
            break_connection(fired, Sabotage::PartialHeaders, processed, vendor, request, router).await
        }
    }
}

/// Arms the connection to break on this answer; the answer itself is the real one
/// when `processed`, else the vendor's 500 (what a client without a connection to
/// break, an in-process test, reads).
async fn break_connection(
    fired: Fired,
    sabotage: Sabotage,
    processed: bool,
    vendor: &dyn EmulatedVendor,
    request: Request,
    router: Router,
) -> Response {
    let reason = format!("fault:{}", fired.rule);
    let trail = request.extensions().get::<Trail>().cloned().unwrap_or_default();
    let connection = request.extensions().get::<ConnectionFault>().cloned();
    let what = match sabotage {
        Sabotage::Reset => "connection reset (TCP RST)",
        Sabotage::PartialHeaders => "connection closed after part of the response head",
    };
    let mut response = if processed {
        router.oneshot(request).await.unwrap_or_else(|e| match e {})
    } else {
        vendor.fault_error(StatusCode::INTERNAL_SERVER_ERROR, None)
    };
    let handled = if processed { "after the vendor handled the request" } else { "before the vendor saw the request" };
    let detail = match &connection {
        Some(connection) => {
            connection.arm(sabotage);
            format!("{what} by fault rule {}, {handled}; the client got no answer", fired.rule)
        }
        None => format!("{what} by fault rule {}: this request has no connection to break (in-process)", fired.rule),
    };
    trail.fail(&reason, detail.clone());
    response.extensions_mut().insert(Denial::new(reason, detail));
    response
}
