//! Portal.io's whole state as its fixture files, and back: apps, accounts with
//! their users, proposals and change orders, people with their locations, webhook
//! subscriptions, payments and orders, the catalog and the tax table, and the AI
//! Builder's uploaded content and finished outlines (`ai_builder.json`; the webhook
//! delivery log is a log, like the journal, and is not saved). Portal.io's own model keeps its
//! credentials readable (the exchange hands a user key back, HMAC needs the app
//! secret), so they are written as the fixtures hold them. Integer ids continue
//! after the highest restored one.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{
    PortalioState,
    ai::SavedProposalAi,
    model::{AccountFixture, App, ContactFixture, Proposal, Subscription},
    state::{Fixtures, Store},
};
use crate::{
    Vendor,
    fixtures::{FixtureError, FixtureSet},
    vendor::Restore,
};

pub fn snapshot(state: &PortalioState) -> BTreeMap<String, Value> {
    let store = state.store();
    let mut apps: Vec<App> = store.apps.iter().map(|a| a.value().clone()).collect();
    apps.sort_by(|a, b| a.app_id.cmp(&b.app_id));
    let (mut accounts, mut proposals, mut people, mut subscriptions) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut payments, mut orders, mut ai) = (Vec::new(), Vec::new(), Vec::new());
    for account in store.all_accounts() {
        let data = account.data();
        accounts.push(AccountFixture {
            account_id: account.id,
            name: account.name.clone(),
            users: data.users.values().cloned().collect(),
        });
        proposals.extend(data.proposals.values().cloned());
        for contact in data.contacts.values() {
            let locations = data.locations.values().filter(|l| l.contact_id == contact.id).cloned().collect();
            people.push(ContactFixture { contact: contact.clone(), locations });
        }
        subscriptions.extend(data.subscriptions.values().cloned());
        payments.extend(data.payments.values().cloned());
        orders.extend(data.orders.values().cloned());
        ai.extend(data.ai.iter().filter_map(|(id, state)| SavedProposalAi::of(*id, state)));
    }
    ai.sort_by_key(|saved| saved.proposal_id);
    let proposals: Vec<Proposal> = proposals;
    let (payments, orders): (Vec<super::model::Payment>, Vec<super::model::Order>) = (payments, orders);
    let subscriptions: Vec<Subscription> = subscriptions;
    BTreeMap::from([
        ("apps.json".to_owned(), json!({ "apps": apps })),
        ("accounts.json".to_owned(), json!({ "accounts": accounts })),
        ("proposals.json".to_owned(), json!({ "proposals": proposals })),
        ("people.json".to_owned(), json!({ "people": people })),
        ("webhooks.json".to_owned(), json!({ "subscriptions": subscriptions })),
        ("payments.json".to_owned(), json!({ "payments": payments, "orders": orders })),
        ("catalog.json".to_owned(), serde_json::to_value(&*store.catalog).expect("the catalog serializes")),
        ("tax_rates.json".to_owned(), json!({ "tax_rates": *store.tax })),
        ("ai_builder.json".to_owned(), json!({ "proposals": ai })),
    ])
}

/// Builds a store from the files (the same checks as start-up); the commit swaps it in.
pub fn restore<'a>(state: &'a PortalioState, files: &FixtureSet) -> Result<Restore<'a>, FixtureError> {
    let fixtures = Fixtures::load(files)?;
    // Keys and secrets generated after a restore must not repeat under --seed.
    let seed =
        state.seed.map(|seed| seed ^ crate::ids::salt(files.files(Vendor::Portalio).map(|(_, f)| f.text.as_str())));
    let store = Store::from_fixtures(&fixtures, seed);
    Ok(Restore::new(move || state.store.replace(store)))
}
