//! Portal.io records as the fixtures hold them.

use serde::{Deserialize, Serialize};

/// `fixtures/portalio/apps.json`: registered integrations (application key + secret).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppsFile {
    pub apps: Vec<App>,
}

/// A registered integration; any app may call for any dealer's user (CONTRACT §6.2).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    pub app_id: String,
    /// The HMAC secret as issued (Portal.io shows it to the developer; it is symmetric, so it is kept).
    pub secret_key: String,
    pub name: String,
}

/// `fixtures/portalio/accounts.json`: dealer accounts and their users.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsFile {
    pub accounts: Vec<Account>,
}

/// A dealer account.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub account_id: u64,
    pub name: String,
    pub users: Vec<User>,
}

/// A user of a dealer account, with the flags that decide 401/402/403.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub password: String,
    pub user_key: String,
    pub email_verified: bool,
    pub subscription_active: bool,
    pub catalog_access: bool,
    pub permission_group: String,
}
