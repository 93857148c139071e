//! Portal.io for [`crate::harness`]: the fixture apps, accounts and users of
//! `/_emulator/credentials` as a typed value, and a fresh dealer account with its own
//! app and one verified, subscribed user (`POST /_emulator/portalio/accounts`) as the
//! typed tenant.

use axum::http::Method;
use serde::{Deserialize, Serialize};

pub use super::admin::{CreatedAccount as PortalioTenant, CreatedUser as PortalioTenantUser};
use crate::{
    Vendor,
    harness::{Emulator, FixtureCredentials, Tenant},
};

/// Portal.io's part of `/_emulator/credentials`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalioCredentials {
    /// `/portalio`.
    pub base_path: String,
    /// Registered integrations: any of them may act for any dealer's user.
    pub apps: Vec<PortalioApp>,
    pub accounts: Vec<PortalioAccount>,
}

/// An integration's application key and secret (`X-MSS-API-APPID`, the HMAC key).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalioApp {
    pub app_id: String,
    pub secret_key: String,
}

/// A dealer account and its users.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalioAccount {
    pub account_id: u64,
    pub name: String,
    pub users: Vec<PortalioUser>,
}

/// A user: the exchange takes `username` and `password`; `user_key` is what it answers.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalioUser {
    pub id: u64,
    pub username: String,
    pub password: String,
    pub user_key: String,
    pub email_verified: bool,
    pub subscription_active: bool,
    pub catalog_access: bool,
}

impl PortalioCredentials {
    /// The first registered app (the fixtures' `app_7f3c9a1e2b4d`).
    ///
    /// # Panics
    /// When no app is registered.
    pub fn app(&self) -> &PortalioApp {
        self.apps.first().expect("a registered Portal.io app")
    }

    /// The user with that username, in any account.
    ///
    /// # Panics
    /// When no fixture user has that name.
    pub fn user(&self, username: &str) -> &PortalioUser {
        self.accounts
            .iter()
            .flat_map(|a| &a.users)
            .find(|u| u.username.eq_ignore_ascii_case(username))
            .unwrap_or_else(|| panic!("no Portal.io fixture user {username:?}"))
    }
}

impl FixtureCredentials for PortalioCredentials {
    const VENDOR: Vendor = Vendor::Portalio;
}

impl PortalioTenant {
    /// The account's first user (the only one unless more were asked for).
    ///
    /// # Panics
    /// When the account was made without users.
    pub fn user(&self) -> &PortalioTenantUser {
        self.users.first().expect("the tenant has a user")
    }
}

impl Tenant for PortalioTenant {
    const VENDOR: Vendor = Vendor::Portalio;

    async fn create(emulator: &Emulator) -> anyhow::Result<Self> {
        emulator.control(Method::POST, "/_emulator/portalio/accounts", None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_typed_credentials_hold_every_field_of_the_endpoint() {
        let emulator = Emulator::start().await;
        let raw = emulator.state().vendor(Vendor::Portalio).credentials();
        let typed: PortalioCredentials = emulator.credentials();
        assert_eq!(serde_json::to_value(&typed).unwrap(), raw);
        assert_eq!(typed.user("alex@brightwire.example").password, "Brightwire-Pass-1");
    }

    #[tokio::test]
    async fn a_tenant_is_a_new_account_with_its_own_app_and_user() {
        let emulator = Emulator::start().await;
        let fixtures: PortalioCredentials = emulator.credentials();
        let tenant: PortalioTenant = emulator.tenant().await.unwrap();
        assert!(fixtures.accounts.iter().all(|a| a.account_id != tenant.account_id));
        let now: PortalioCredentials = emulator.credentials();
        assert_eq!(now.user(&tenant.user().username).user_key, tenant.user().user_key, "credentials are live");
        assert_eq!(tenant.users.len(), 1);
        assert_eq!(tenant.user().user_key.len(), 44, "{tenant:?}");
    }
}
