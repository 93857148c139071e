//! Holm's four scopes (seed: "What the API provides access to").
//!
//! `me:read` is on every key; the report scope follows the key's partnership and
//! the two report scopes never meet on one key; `customers:read` is a toggle.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::model::PartnershipType;

/// One scope of an API key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = HolmScope)]
pub enum Scope {
    #[serde(rename = "me:read")]
    MeRead,
    #[serde(rename = "mssp-report:read")]
    MsspReportRead,
    #[serde(rename = "reseller-report:read")]
    ResellerReportRead,
    #[serde(rename = "customers:read")]
    CustomersRead,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::MeRead => "me:read",
            Scope::MsspReportRead => "mssp-report:read",
            Scope::ResellerReportRead => "reseller-report:read",
            Scope::CustomersRead => "customers:read",
        }
    }

    /// The report scope a partnership type gives its keys.
    pub fn report_for(kind: PartnershipType) -> Scope {
        match kind {
            PartnershipType::Mssp => Scope::MsspReportRead,
            PartnershipType::Reseller => Scope::ResellerReportRead,
        }
    }

    /// Every scope of a key: `me:read`, the partnership's report scope, and `customers:read` when toggled on.
    pub fn of_key(kind: PartnershipType, customers_read: bool) -> Vec<Scope> {
        let mut scopes = vec![Scope::MeRead, Scope::report_for(kind)];
        if customers_read {
            scopes.push(Scope::CustomersRead);
        }
        scopes
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_scopes_are_exclusive_and_me_read_is_always_there() {
        let mssp = Scope::of_key(PartnershipType::Mssp, false);
        assert_eq!(mssp, [Scope::MeRead, Scope::MsspReportRead]);
        let reseller = Scope::of_key(PartnershipType::Reseller, true);
        assert_eq!(reseller, [Scope::MeRead, Scope::ResellerReportRead, Scope::CustomersRead]);
        assert!(!reseller.contains(&Scope::MsspReportRead));
    }
}
