//! Portal.io's handlers, one file per resource group of reference §5, and what
//! they share: path ids, record lookups and the edit lock.

pub mod ai;
pub mod catalog;
pub mod change_orders;
pub mod exchange;
pub mod people;
pub mod proposals;
pub mod users;
pub mod webhooks;
pub mod zapier;

use super::{auth::Caller, error::PortalioError, model::Proposal, state::AccountData};

/// A path id: not an integer is the same 404 as an unknown id (INFERRED: ASP.NET's `{id:int}` route constraint).
pub fn path_id(raw: &str, what: &str) -> Result<u64, PortalioError> {
    raw.trim()
        .parse::<u64>()
        .map_err(|_| PortalioError::not_found(format!("{what} not found."), format!("`{raw}` is not an integer id")))
}

/// The caller's proposal `id` (not a change order), or 404 naming whose it is.
pub fn proposal_mut<'a>(
    caller: &Caller,
    data: &'a mut AccountData,
    id: u64,
) -> Result<&'a mut Proposal, PortalioError> {
    match data.proposals.get_mut(&id) {
        Some(p) if p.parent_id.is_none() => Ok(p),
        Some(_) => Err(PortalioError::not_found(
            "Proposal not found.",
            format!("{id} is a change order; use /public/proposals/{{ProposalId}}/changeorders/{id}"),
        )),
        None => Err(PortalioError::not_found("Proposal not found.", elsewhere(caller, "proposal", id))),
    }
}

/// The 404 detail: the id is unknown, or another account's (reported as 404, reference §8).
pub fn elsewhere(caller: &Caller, noun: &str, id: u64) -> String {
    // The caller's own account is locked by the handler: other accounts are only tried
    // (`try_lock`), so two handlers explaining 404s to each other never wait on each other.
    let owner = caller.store.all_accounts().into_iter().find(|a| {
        if a.id == caller.account.id {
            return false;
        }
        let Some(data) = a.try_data() else { return false };
        match noun {
            "proposal" => data.proposals.contains_key(&id),
            "contact" => data.contacts.contains_key(&id),
            "location" => data.locations.contains_key(&id),
            _ => false,
        }
    });
    match owner {
        Some(account) => format!("{noun} {id} belongs to another account ({}), reported as not found", account.id),
        None => format!("no {noun} {id} in account {}", caller.account.id),
    }
}

/// 409 when the proposal is Accepted, Completed or Declined (documented: "use a change order instead").
pub fn editable(proposal: &Proposal) -> Result<(), PortalioError> {
    if proposal.status.is_terminal() {
        return Err(PortalioError::conflict(
            format!(
                "The proposal is {} and can no longer be edited. Use a change order instead.",
                proposal.status.as_str()
            ),
            format!("proposal {} is in the terminal state {}", proposal.id, proposal.status.as_str()),
        ));
    }
    Ok(())
}

/// Records an edit by the caller.
pub fn touch(proposal: &mut Proposal, caller: &Caller) {
    let now = super::wire::seconds(caller.now);
    proposal.last_modified_date = now;
    proposal.last_modified_by_user_date = now;
    proposal.last_modified_user_id = Some(caller.user.id);
}

/// Page bounds: `(skip, take)`.
pub fn page_bounds(number: i64, size: i64) -> (usize, usize) {
    let size = usize::try_from(size).unwrap_or(0);
    let skip = usize::try_from(number - 1).unwrap_or(0).saturating_mul(size);
    (skip, size)
}
