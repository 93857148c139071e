//! Firing webhook events (reference §5.7.5, issue 9 item 2): which subscriptions get
//! an event (enabled ones that list it in either spelling), and the payload of each
//! event, in the same shapes as the REST answers.
//!
//! | event | fired by | `data` |
//! |---|---|---|
//! | `ProposalStatusChanged` | the control plane's status change; an AI build finishing | the full proposal |
//! | `ProposalOutlineStatusChanged` | an AI outline finishing | the get-outline answer |
//! | `ProposalBuildStatusChanged` | an AI build finishing | `{proposalId, status}` |
//! | `PersonModification` | a contact created, or a location added to it | the contact with its primary location |
//! | `PaymentStatusChange` | `POST /_emulator/portalio/payments/{id}/status` | the payment (Zapier shape) |
//! | `OrderStatusChange` | `POST /_emulator/portalio/orders/{id}/status` | the order (Zapier shape) |

use serde_json::Value;

use super::{
    delivery::Target,
    events,
    state::{AccountData, PortalioState},
};

/// Queues `event` (either spelling) with `data` to every enabled subscription of the
/// account that lists it. Never waits for a receiver.
pub fn fire(state: &PortalioState, data: &AccountData, event: &str, payload: Value) {
    let Some(kind) = events::dot_name(event) else { return };
    let targets: Vec<Target> = data
        .subscriptions
        .values()
        .filter(|s| s.enabled && s.events.iter().any(|e| events::dot_name(e) == Some(kind)))
        .map(|s| Target { subscription_id: s.subscription_id, url: s.url.clone(), secret: s.secret_key.clone() })
        .collect();
    if targets.is_empty() {
        return;
    }
    let event_id = format!("evt_{}", state.store().ids.hex(12));
    state.webhooks.emit(event_id, kind, payload, targets);
}
