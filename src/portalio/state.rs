//! Portal.io state: the fixture apps and accounts, swapped whole on reset.

use std::{collections::HashSet, sync::Arc};

use serde_json::{Value, json};

use super::model::{Account, AccountsFile, App, AppsFile};
use crate::{Vendor, fixtures::FixtureError, store::Swappable, vendor::VendorContext};

/// Portal.io's data: cheap to share, reset by swapping the store.
#[derive(Debug)]
pub struct PortalioState {
    fixtures: Arc<Fixtures>,
    store: Swappable<Store>,
}

#[derive(Debug)]
struct Fixtures {
    apps: Vec<App>,
    accounts: Vec<Account>,
}

/// One generation of Portal.io data.
#[derive(Debug)]
pub struct Store {
    pub apps: Vec<App>,
    pub accounts: Vec<Account>,
}

impl PortalioState {
    pub fn new(context: &VendorContext<'_>, _settings: &super::config::Settings) -> Result<Self, FixtureError> {
        let set = context.fixtures;
        let AppsFile { apps } = set.parse(Vendor::Portalio, "apps.json")?;
        let AccountsFile { accounts } = set.parse(Vendor::Portalio, "accounts.json")?;
        let file = set.display_name(Vendor::Portalio, "accounts.json");
        let mut user_ids = HashSet::new();
        for (a, account) in accounts.iter().enumerate() {
            for (u, user) in account.users.iter().enumerate() {
                if !user_ids.insert(user.id) {
                    return Err(FixtureError::new(
                        &file,
                        format!("$.accounts[{a}].users[{u}].id"),
                        "duplicate user id",
                    ));
                }
            }
        }
        let fixtures = Arc::new(Fixtures { apps, accounts });
        let store = Swappable::new(Store::from_fixtures(&fixtures));
        Ok(Self { fixtures, store })
    }

    pub fn reset(&self) {
        self.store.replace(Store::from_fixtures(&self.fixtures));
    }

    pub fn store(&self) -> Arc<Store> {
        self.store.current()
    }

    pub fn credentials(&self) -> Value {
        let store = self.store();
        let accounts: Vec<Value> = store
            .accounts
            .iter()
            .map(|account| {
                let users: Vec<Value> = account
                    .users
                    .iter()
                    .map(|u| {
                        json!({
                            "id": u.id, "username": u.username, "password": u.password, "user_key": u.user_key,
                            "email_verified": u.email_verified, "subscription_active": u.subscription_active,
                            "catalog_access": u.catalog_access,
                        })
                    })
                    .collect();
                json!({ "account_id": account.account_id, "name": account.name, "users": users })
            })
            .collect();
        let apps: Vec<Value> =
            store.apps.iter().map(|a| json!({ "app_id": a.app_id, "secret_key": a.secret_key })).collect();
        json!({ "base_path": "/portalio", "apps": apps, "accounts": accounts })
    }

    pub fn counts(&self) -> Value {
        let store = self.store();
        let users: usize = store.accounts.iter().map(|a| a.users.len()).sum();
        json!({ "apps": store.apps.len(), "accounts": store.accounts.len(), "users": users })
    }
}

impl Store {
    fn from_fixtures(fixtures: &Fixtures) -> Self {
        Self { apps: fixtures.apps.clone(), accounts: fixtures.accounts.clone() }
    }
}
