//! Webhook event names (reference §5.7.5): each event has a PascalCase name
//! (docs.portal.io) and a dot-notation name (the mirror and the delivery `type`).
//! Both are accepted, case-insensitively; the three dot names the docs never
//! show are INFERRED.

/// `(PascalCase, dot.notation)` of every event.
pub const EVENTS: [(&str, &str); 6] = [
    ("ProposalBuildStatusChanged", "proposal.build.status_update"),
    ("ProposalOutlineStatusChanged", "proposal.outline.status_update"),
    ("ProposalStatusChanged", "proposal.status_changed"),
    // INFERRED: the dot names of these three were not captured.
    ("PersonModification", "person.modification"),
    ("PaymentStatusChange", "payment.status_changed"),
    ("OrderStatusChange", "order.status_changed"),
];

/// The event's canonical spelling in the form the client used, or `None` when unknown.
pub fn canonical(name: &str) -> Option<&'static str> {
    let name = name.trim();
    EVENTS.iter().find_map(|(pascal, dot)| {
        if pascal.eq_ignore_ascii_case(name) {
            Some(*pascal)
        } else if dot.eq_ignore_ascii_case(name) {
            Some(*dot)
        } else {
            None
        }
    })
}

/// The dot-notation name of an event in either spelling (the delivery `type`).
pub fn dot_name(name: &str) -> Option<&'static str> {
    let name = name.trim();
    EVENTS.iter().find(|(p, d)| p.eq_ignore_ascii_case(name) || d.eq_ignore_ascii_case(name)).map(|(_, d)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_are_known_and_echoed_in_their_form() {
        assert_eq!(canonical("proposalstatuschanged"), Some("ProposalStatusChanged"));
        assert_eq!(canonical("Proposal.Status_Changed"), Some("proposal.status_changed"));
        assert_eq!(dot_name("ProposalBuildStatusChanged"), Some("proposal.build.status_update"));
        assert_eq!(canonical("proposal.deleted"), None);
    }
}
