//! Change orders (reference §5.3): child proposals of a proposal, listed as a bare
//! array and read one at a time with `Last-Modified`. The public API has no route
//! that creates one; they come from the fixtures (the UI creates them in Portal.io).

use axum::{Json, extract::Path, response::IntoResponse};

use super::{path_id, proposal_mut};
use crate::portalio::{
    auth::Caller,
    error::{ErrorBody, PortalioError, UnauthorizedBody},
    routes::proposals::last_modified,
    wire::{ChangeOrderSummary, ProposalDetail, change_order_summary, proposal_detail},
};

#[utoipa::path(
    get, path = "/public/proposals/{ProposalId}/changeorders", tag = "portalio",
    summary = "List a proposal's change orders (bare array)",
    params(("ProposalId" = i64, Path)),
    responses(
        (status = 200, body = Vec<ChangeOrderSummary>),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn list_change_orders(
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<ChangeOrderSummary>>, PortalioError> {
    let id = path_id(&id, "Proposal")?;
    let mut data = caller.account.data();
    proposal_mut(&caller, &mut data, id)?;
    let orders = data.change_orders_of(id).map(|p| change_order_summary(&caller.store, &data, p)).collect();
    Ok(Json(orders))
}

#[utoipa::path(
    get, path = "/public/proposals/{ProposalId}/changeorders/{ChangeOrderId}", tag = "portalio",
    summary = "Get a change order",
    params(("ProposalId" = i64, Path), ("ChangeOrderId" = i64, Path)),
    responses(
        (status = 200, body = ProposalDetail, headers(("Last-Modified" = String))),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn get_change_order(
    caller: Caller,
    Path((id, order_id)): Path<(String, String)>,
) -> Result<impl IntoResponse, PortalioError> {
    let id = path_id(&id, "Proposal")?;
    let order_id = path_id(&order_id, "Change order")?;
    let mut data = caller.account.data();
    proposal_mut(&caller, &mut data, id)?;
    let order = data.proposals.get(&order_id).filter(|o| o.parent_id == Some(id)).ok_or_else(|| {
        PortalioError::not_found("Change order not found.", format!("proposal {id} has no change order {order_id}"))
    })?;
    let detail = proposal_detail(&caller.store, &data, (caller.account.id, &caller.account.name), order);
    Ok((last_modified(order.last_modified_date), Json(detail)))
}
