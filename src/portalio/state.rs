//! Portal.io state: apps, dealer accounts with everything they own, the shared
//! catalog and tax table. Reset swaps in a store rebuilt from the fixtures.
//!
//! Locks: each account's data sits behind one `std::sync::Mutex`, so every
//! check-then-act (unique area names, the three-option cap, one primary location)
//! is one critical section that never awaits. Apps and the user-key index are
//! `DashMap`s read by the signature check on every request.

use std::{
    collections::{BTreeMap, HashSet},
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
};

use dashmap::DashMap;
use serde_json::{Value, json};

use super::{
    ai::{AiBuilderFile, ProposalAi},
    config::Settings,
    delivery::Webhooks,
    model::{
        AccountFixture, AccountsFile, App, AppsFile, CatalogFile, Contact, Location, Order, Payment, PaymentsFile,
        PeopleFile, Proposal, ProposalsFile, Subscription, TaxFile, TaxRate, User, WebhooksFile,
    },
};
use crate::{
    Vendor,
    clock::Clock,
    fixtures::{FixtureError, FixtureSet},
    ids::{IdGen, Stream},
    scheduler::Scheduler,
    store::Swappable,
    vendor::VendorContext,
};

/// Portal.io's shared state.
pub struct PortalioState {
    pub clock: Clock,
    /// Jobs due at a clock instant: AI Builder progress and webhook retries.
    pub scheduler: Scheduler,
    /// Webhook delivery: queues, workers and the delivery log.
    pub webhooks: Webhooks,
    pub settings: Settings,
    fixtures: Arc<Fixtures>,
    pub(super) seed: Option<u64>,
    pub(super) store: Swappable<Store>,
}

impl std::fmt::Debug for PortalioState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalioState").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// The parsed fixture set, kept to rebuild the store on reset.
#[derive(Debug)]
pub(super) struct Fixtures {
    apps: Vec<App>,
    accounts: Vec<AccountFixture>,
    proposals: Vec<Proposal>,
    people: PeopleFile,
    subscriptions: Vec<Subscription>,
    payments: PaymentsFile,
    catalog: Arc<CatalogFile>,
    tax: Arc<Vec<TaxRate>>,
    ai: AiBuilderFile,
}

/// One generation of Portal.io data.
#[derive(Debug)]
pub struct Store {
    /// Registered integrations by app id.
    pub apps: DashMap<String, App>,
    pub accounts: DashMap<u64, Arc<Account>>,
    /// SHA-256 (hex) of a user key → (account id, user id): see [`Store::user_of_key`].
    user_keys: DashMap<String, (u64, u64)>,
    pub catalog: Arc<CatalogFile>,
    pub tax: Arc<Vec<TaxRate>>,
    /// Integer ids, sequential per store (CONTRACT §4), shared by every kind of record.
    next_id: AtomicU64,
    pub ids: IdGen,
}

/// A dealer account: the tenant that owns users, proposals, contacts and subscriptions.
#[derive(Debug)]
pub struct Account {
    pub id: u64,
    pub name: String,
    data: Mutex<AccountData>,
}

/// Everything an account owns.
#[derive(Debug, Default)]
pub struct AccountData {
    pub users: BTreeMap<u64, User>,
    /// Proposals and change orders (a change order has `parent_id`).
    pub proposals: BTreeMap<u64, Proposal>,
    pub contacts: BTreeMap<u64, Contact>,
    pub locations: BTreeMap<u64, Location>,
    pub subscriptions: BTreeMap<u64, Subscription>,
    pub payments: BTreeMap<u64, Payment>,
    pub orders: BTreeMap<u64, Order>,
    /// AI Builder content, outline and build, by proposal id.
    pub ai: BTreeMap<u64, ProposalAi>,
    /// Change order ids by parent proposal id, so a proposal's answer does not scan the
    /// account. Change orders come only from the fixtures (no route creates or deletes
    /// one), so this is built once with the store.
    pub change_orders: BTreeMap<u64, Vec<u64>>,
    /// The highest top-level proposal number, so a new proposal's number does not scan.
    pub max_number: u64,
}

impl AccountData {
    /// The change orders of a proposal, in id order.
    pub fn change_orders_of(&self, parent: u64) -> impl Iterator<Item = &Proposal> {
        self.change_orders.get(&parent).into_iter().flatten().filter_map(|id| self.proposals.get(id))
    }
}

impl Account {
    pub fn new(id: u64, name: String, data: AccountData) -> Self {
        Self { id, name, data: Mutex::new(data) }
    }

    /// The account's data, locked for one check-then-act.
    pub fn data(&self) -> MutexGuard<'_, AccountData> {
        self.data.lock().unwrap()
    }

    /// The data if nobody holds it right now (for explain details only).
    pub fn try_data(&self) -> Option<MutexGuard<'_, AccountData>> {
        self.data.try_lock().ok()
    }
}

impl PortalioState {
    pub fn new(context: &VendorContext<'_>, settings: &Settings) -> Result<Self, FixtureError> {
        let (clock, settings, seed) = (context.clock.clone(), settings.clone(), context.seed);
        let fixtures = Arc::new(Fixtures::load(context.fixtures)?);
        let store = Swappable::new(Store::from_fixtures(&fixtures, seed));
        let scheduler = context.scheduler.clone();
        let webhooks = Webhooks::new(clock.clone(), scheduler.clone(), &settings);
        Ok(Self { clock, scheduler, webhooks, settings, fixtures, seed, store })
    }
}

impl Fixtures {
    /// Parses every Portal.io file and checks the references between them.
    pub(super) fn load(fixtures: &FixtureSet) -> Result<Self, FixtureError> {
        let AppsFile { apps } = fixtures.parse(Vendor::Portalio, "apps.json")?;
        let AccountsFile { accounts } = fixtures.parse(Vendor::Portalio, "accounts.json")?;
        let ProposalsFile { proposals } = fixtures.parse(Vendor::Portalio, "proposals.json")?;
        let people: PeopleFile = fixtures.parse(Vendor::Portalio, "people.json")?;
        let WebhooksFile { subscriptions } = fixtures.parse(Vendor::Portalio, "webhooks.json")?;
        let payments: PaymentsFile = fixtures.parse(Vendor::Portalio, "payments.json")?;
        let catalog: CatalogFile = fixtures.parse(Vendor::Portalio, "catalog.json")?;
        let TaxFile { tax_rates } = fixtures.parse(Vendor::Portalio, "tax_rates.json")?;
        let ai: AiBuilderFile = fixtures.parse_optional(Vendor::Portalio, "ai_builder.json")?.unwrap_or_default();
        check_references(fixtures, &accounts, &proposals, &people)?;
        for (index, saved) in ai.proposals.iter().enumerate() {
            if !proposals.iter().any(|p| p.id == saved.proposal_id) {
                return Err(FixtureError::new(
                    fixtures.display_name(Vendor::Portalio, "ai_builder.json"),
                    format!("$.proposals[{index}].proposal_id"),
                    format!("no proposal {} in proposals.json", saved.proposal_id),
                ));
            }
        }
        Ok(Fixtures {
            apps,
            accounts,
            proposals,
            people,
            subscriptions,
            payments,
            catalog: Arc::new(catalog),
            tax: Arc::new(tax_rates),
            ai,
        })
    }
}

impl PortalioState {
    /// Back to the fixtures; queued deliveries and the delivery log are forgotten (the
    /// frame cancels the scheduled jobs).
    pub fn reset(&self) {
        self.store.replace(Store::from_fixtures(&self.fixtures, self.seed));
        self.webhooks.reset();
    }

    pub fn store(&self) -> Arc<Store> {
        self.store.current()
    }

    /// The raw test credentials (CONTRACT §6.2).
    pub fn credentials(&self) -> Value {
        let store = self.store();
        let accounts: Vec<Value> = store
            .all_accounts()
            .iter()
            .map(|account| {
                let data = account.data();
                let users: Vec<Value> = data
                    .users
                    .values()
                    .map(|u| {
                        json!({
                            "id": u.id, "username": u.username, "password": u.password, "user_key": u.user_key,
                            "email_verified": u.email_verified, "subscription_active": u.subscription_active,
                            "catalog_access": u.catalog_access,
                        })
                    })
                    .collect();
                json!({ "account_id": account.id, "name": account.name, "users": users })
            })
            .collect();
        let mut apps: Vec<App> = store.apps.iter().map(|a| a.value().clone()).collect();
        apps.sort_by(|a, b| a.app_id.cmp(&b.app_id));
        let apps: Vec<Value> = apps.iter().map(|a| json!({ "app_id": a.app_id, "secret_key": a.secret_key })).collect();
        json!({ "base_path": "/portalio", "apps": apps, "accounts": accounts })
    }

    pub fn counts(&self) -> Value {
        let store = self.store();
        let (mut users, mut proposals, mut people) = (0, 0, 0);
        for account in store.all_accounts() {
            let data = account.data();
            users += data.users.len();
            proposals += data.proposals.len();
            people += data.contacts.len();
        }
        json!({
            "apps": store.apps.len(), "accounts": store.accounts.len(), "users": users,
            "proposals": proposals, "people": people, "catalog_items": store.catalog.items.len(),
        })
    }
}

impl Store {
    pub(super) fn from_fixtures(fixtures: &Fixtures, seed: Option<u64>) -> Self {
        let mut max_id = 0;
        let accounts = DashMap::new();
        let user_keys = DashMap::new();
        for account in &fixtures.accounts {
            max_id = max_id.max(account.account_id);
            let mut data = AccountData::default();
            for user in &account.users {
                max_id = max_id.max(user.id);
                user_keys.insert(user_key_digest(&user.user_key), (account.account_id, user.id));
                data.users.insert(user.id, user.clone());
            }
            for proposal in fixtures.proposals.iter().filter(|p| p.account_id == account.account_id) {
                max_id = max_id.max(proposal.id);
                for area in &proposal.areas {
                    max_id = max_id.max(area.id);
                    for option in &area.options {
                        max_id = max_id.max(option.id);
                        max_id = option.items.iter().map(|i| i.id).fold(max_id, u64::max);
                    }
                }
                match proposal.parent_id {
                    Some(parent) => data.change_orders.entry(parent).or_default().push(proposal.id),
                    None => data.max_number = data.max_number.max(proposal.number),
                }
                data.proposals.insert(proposal.id, proposal.clone());
                for saved in fixtures.ai.proposals.iter().filter(|a| a.proposal_id == proposal.id) {
                    max_id = saved.contents.iter().map(|c| c.id).fold(max_id, u64::max);
                    data.ai.insert(proposal.id, saved.restore());
                }
            }
            for person in fixtures.people.people.iter().filter(|p| p.contact.account_id == account.account_id) {
                max_id = max_id.max(person.contact.id);
                data.contacts.insert(person.contact.id, person.contact.clone());
                for location in &person.locations {
                    max_id = max_id.max(location.id);
                    let mut location = location.clone();
                    location.contact_id = person.contact.id;
                    data.locations.insert(location.id, location);
                }
            }
            for subscription in fixtures.subscriptions.iter().filter(|s| s.account_id == account.account_id) {
                max_id = max_id.max(subscription.subscription_id);
                data.subscriptions.insert(subscription.subscription_id, subscription.clone());
            }
            for payment in fixtures.payments.payments.iter().filter(|p| p.account_id == account.account_id) {
                max_id = max_id.max(payment.id);
                data.payments.insert(payment.id, payment.clone());
            }
            for order in fixtures.payments.orders.iter().filter(|o| o.account_id == account.account_id) {
                max_id = order.order_suppliers.iter().map(|s| s.id).fold(max_id.max(order.id), u64::max);
                data.orders.insert(order.id, order.clone());
            }
            accounts.insert(account.account_id, Arc::new(Account::new(account.account_id, account.name.clone(), data)));
        }
        let apps = fixtures.apps.iter().map(|a| (a.app_id.clone(), a.clone())).collect();
        Self {
            apps,
            accounts,
            user_keys,
            catalog: Arc::clone(&fixtures.catalog),
            tax: Arc::clone(&fixtures.tax),
            next_id: AtomicU64::new(max_id + 1),
            ids: IdGen::new(seed, Stream::Portalio),
        }
    }

    /// The next integer id.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Every account, by id. Taken out of the map first, so no map lock is held while
    /// an account is locked (a handler holding its own account's lock may read the map).
    pub fn all_accounts(&self) -> Vec<Arc<Account>> {
        let mut all: Vec<Arc<Account>> = self.accounts.iter().map(|a| Arc::clone(a.value())).collect();
        all.sort_by_key(|a| a.id);
        all
    }

    pub fn account(&self, id: u64) -> Option<Arc<Account>> {
        self.accounts.get(&id).map(|a| Arc::clone(a.value()))
    }

    /// The secret of a registered app.
    pub fn secret_of(&self, app_id: &str) -> Option<String> {
        self.apps.get(app_id).map(|a| a.secret_key.clone())
    }

    /// The (account id, user id) a presented user key names. The index holds the keys'
    /// SHA-256 digests, so a lookup compares digests, never the key: its timing can tell
    /// at most how many leading digits of the digest of a guess match a stored digest,
    /// which says nothing of the key (a guess cannot be steered toward a digest). The
    /// caller then compares the user's key with the presented one in constant time.
    pub fn user_of_key(&self, user_key: &str) -> Option<(u64, u64)> {
        self.user_keys.get(&user_key_digest(user_key)).map(|e| *e.value())
    }

    /// Indexes a user's key.
    pub fn index_user_key(&self, user_key: &str, account_id: u64, user_id: u64) {
        self.user_keys.insert(user_key_digest(user_key), (account_id, user_id));
    }

    /// Drops a user key from the index (rotated, or its user or account deleted).
    pub fn unindex_user_key(&self, user_key: &str) {
        self.user_keys.remove(&user_key_digest(user_key));
    }

    /// A fresh user key: 32 random bytes, Base64 (the documented 44-character form).
    pub fn new_user_key(&self) -> String {
        use base64::{Engine, engine::general_purpose::STANDARD};
        STANDARD.encode(self.ids.bytes(32))
    }

    /// The tax rate of a state, by name or abbreviation (0 when unknown).
    pub fn tax_rate(&self, state: &str) -> Option<&TaxRate> {
        let state = state.trim();
        self.tax.iter().find(|t| t.state_abbrev.eq_ignore_ascii_case(state) || t.state.eq_ignore_ascii_case(state))
    }
}

/// Cross-checks the fixture files: every record's account exists, user ids are unique.
fn check_references(
    set: &FixtureSet,
    accounts: &[AccountFixture],
    proposals: &[Proposal],
    people: &PeopleFile,
) -> Result<(), FixtureError> {
    let file = set.display_name(Vendor::Portalio, "accounts.json");
    let mut user_ids = HashSet::new();
    for (a, account) in accounts.iter().enumerate() {
        for (u, user) in account.users.iter().enumerate() {
            if !user_ids.insert(user.id) {
                return Err(FixtureError::new(&file, format!("$.accounts[{a}].users[{u}].id"), "duplicate user id"));
            }
        }
    }
    let known: HashSet<u64> = accounts.iter().map(|a| a.account_id).collect();
    let file = set.display_name(Vendor::Portalio, "proposals.json");
    for (i, proposal) in proposals.iter().enumerate() {
        if !known.contains(&proposal.account_id) {
            return Err(FixtureError::new(&file, format!("$.proposals[{i}].accountId"), "unknown account"));
        }
        if !user_ids.contains(&proposal.sales_person_id) {
            return Err(FixtureError::new(&file, format!("$.proposals[{i}].salesPersonId"), "unknown user"));
        }
    }
    let file = set.display_name(Vendor::Portalio, "people.json");
    for (i, person) in people.people.iter().enumerate() {
        if !known.contains(&person.contact.account_id) {
            return Err(FixtureError::new(&file, format!("$.people[{i}].accountId"), "unknown account"));
        }
    }
    Ok(())
}

/// The index key of a user key: its SHA-256, lowercase hex.
fn user_key_digest(user_key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(user_key.as_bytes()))
}
