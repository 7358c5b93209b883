//! Demo data: a workspace that looks lived-in on first start, and big data sets for trying
//! the engine at scale.
//!
//! The generator is PURE, like `domain`: no IO, no SQLite, no threads; only [`write`]
//! (`create_demo_workspace`) feeds it into a new workspace file through the store. Everything is deterministic from
//! [`DemoSpec::seed`] and [`DemoSpec::now`]; the same spec gives the same rows, sellers,
//! segments and sequences, byte for byte.
//!
//! # Feeding it into a workspace
//!
//! Insert in this order, each type's rows in iteration order, into an empty workspace:
//!
//! 1. [`sellers`] (`insert_seller`), keeping the returned ids in order; then
//!    [`teams`]`(&ids)` (`insert_team`).
//! 2. [`accounts`], [`contacts`], [`leads`], [`opportunities`] (`insert_records`), each
//!    given the seller ids for owners.
//! 3. [`sequences`] (`insert_sequence`), then [`segments`] with `sequence` set from
//!    [`sequence_for_segment`] and the ids of step 3 (`insert_segment`).
//!
//! **Id assumption.** Lookups are generated as record ids, assuming the store gives the
//! rows of each type the ids `1..=n` in insertion order (a fresh table with
//! `INTEGER PRIMARY KEY`): contacts and leads point at accounts `1..=spec.accounts`,
//! opportunities at accounts and contacts `1..=spec.contacts`, and an account's parent is
//! always an account with a smaller id. Seller and team ids are never assumed: they are
//! passed in.
//!
//! Dates that are calendar days (an opportunity's close date) are computed in UTC.

mod people;
mod records;
mod rng;
mod segments;
mod tables;
mod write;

use jiff::Timestamp;

use crate::domain::{RecordTypeDef, SellerId, Value};

pub use people::{attribute_definitions, sellers, teams};
pub use segments::{segments, sequence_for_segment, sequences};
pub use write::{Life, create_demo_workspace, create_demo_workspace_living};

/// How much demo data to make, from which seed, relative to which instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoSpec {
    pub seed: u64,
    pub leads: u64,
    pub accounts: u64,
    pub contacts: u64,
    pub opportunities: u64,
    /// Created-on and activity dates fall in the two (accounts: four) years before this,
    /// close dates around it.
    pub now: Timestamp,
}

impl DemoSpec {
    /// The seed of the standard demo workspace.
    pub const STANDARD_SEED: u64 = 42;
    /// The most accounts [`DemoSpec::with_leads`] makes, however many leads.
    pub const MAX_ACCOUNTS: u64 = 200_000;

    /// The demo workspace of the first start: 10,000 leads, 2,000 accounts, 3,000 contacts
    /// and 1,500 opportunities.
    pub fn standard(now: Timestamp) -> Self {
        Self::with_leads(10_000, Self::STANDARD_SEED, now)
    }

    /// `leads` leads with the other types scaled to match: one account per five leads, at
    /// least 2,000 and at most [`DemoSpec::MAX_ACCOUNTS`]; 1.5 contacts and 0.75
    /// opportunities per account. A million leads give 200,000 accounts, 300,000 contacts
    /// and 150,000 opportunities.
    pub fn with_leads(leads: u64, seed: u64, now: Timestamp) -> Self {
        let accounts = (leads / 5).clamp(2_000, Self::MAX_ACCOUNTS);
        Self { seed, leads, accounts, contacts: accounts * 3 / 2, opportunities: accounts * 3 / 4, now }
    }
}

/// The rows of `spec.accounts` accounts, in `def`'s field order (ids `1..=n` assumed).
/// `sellers` are the possible owners; with none, accounts have no owner.
pub fn accounts(
    spec: &DemoSpec,
    def: &RecordTypeDef,
    sellers: &[SellerId],
) -> impl ExactSizeIterator<Item = Vec<Value>> + Send + use<> {
    records::accounts(spec, def, sellers)
}

/// The rows of `spec.contacts` contacts; 88 % point at one of the accounts.
pub fn contacts(
    spec: &DemoSpec,
    def: &RecordTypeDef,
    sellers: &[SellerId],
) -> impl ExactSizeIterator<Item = Vec<Value>> + Send + use<> {
    records::contacts(spec, def, sellers)
}

/// The rows of `spec.leads` leads; a quarter point at an account (and then share its name,
/// mostly its country, its industry and size), a little over half have an owner.
pub fn leads(
    spec: &DemoSpec,
    def: &RecordTypeDef,
    sellers: &[SellerId],
) -> impl ExactSizeIterator<Item = Vec<Value>> + Send + use<> {
    records::leads(spec, def, sellers)
}

/// The rows of `spec.opportunities` opportunities; most have a contact and then that
/// contact's account.
pub fn opportunities(
    spec: &DemoSpec,
    def: &RecordTypeDef,
    sellers: &[SellerId],
) -> impl ExactSizeIterator<Item = Vec<Value>> + Send + use<> {
    records::opportunities(spec, def, sellers)
}
