//! One kind of an organization's records (its leads, its proposals…) by id, with
//! their newest-first order kept beside them, so a page of a list (newest first,
//! resumed after a cursor) reads only the rows it shows instead of the whole
//! collection: `bench/run` lists organizations of 100,000 records.

use std::{
    collections::{BTreeMap, BTreeSet},
    ops::Deref,
};

use jiff::Timestamp;
use uuid::Uuid;

/// What a record gives the order: its id and creation instant, which never change.
pub trait Ordered {
    fn id(&self) -> Uuid;
    fn created_at(&self) -> Timestamp;
}

/// Records by id (read through `Deref` as the `BTreeMap` they are) and in order of
/// `(created_at, id)`. Changed only through [`Records::insert`] and [`Records::remove`],
/// so the order always holds exactly the stored records.
#[derive(Debug)]
pub struct Records<R> {
    by_id: BTreeMap<Uuid, R>,
    order: BTreeSet<(Timestamp, Uuid)>,
}

impl<R> Default for Records<R> {
    fn default() -> Self {
        Self { by_id: BTreeMap::new(), order: BTreeSet::new() }
    }
}

impl<R> Deref for Records<R> {
    type Target = BTreeMap<Uuid, R>;

    fn deref(&self) -> &Self::Target {
        &self.by_id
    }
}

impl<R: Ordered> Records<R> {
    /// Stores `record`, replacing the one with its id.
    pub fn insert(&mut self, record: R) {
        let key = (record.created_at(), record.id());
        if let Some(old) = self.by_id.insert(record.id(), record) {
            self.order.remove(&(old.created_at(), old.id()));
        }
        self.order.insert(key);
    }

    /// Removes and returns the record `id`.
    pub fn remove(&mut self, id: &Uuid) -> Option<R> {
        let old = self.by_id.remove(id)?;
        self.order.remove(&(old.created_at(), old.id()));
        Some(old)
    }

    /// The record `id`, to change anything but its id and creation instant.
    pub fn get_mut(&mut self, id: &Uuid) -> Option<&mut R> {
        self.by_id.get_mut(id)
    }

    /// Every record, to change anything but ids and creation instants.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut R> {
        self.by_id.values_mut()
    }

    /// The records newest first (by creation instant, then id), starting after
    /// `after` (a creation instant and id, as a cursor names them) when given.
    pub fn newest_first(&self, after: Option<(Timestamp, Uuid)>) -> impl Iterator<Item = &R> {
        let older = match after {
            Some(bound) => self.order.range(..bound),
            None => self.order.range(..),
        };
        older.rev().filter_map(|(_, id)| self.by_id.get(id))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Row(Uuid, Timestamp, u8);

    impl Ordered for Row {
        fn id(&self) -> Uuid {
            self.0
        }
        fn created_at(&self) -> Timestamp {
            self.1
        }
    }

    proptest! {
        /// Against a plain sort of what is stored, after random inserts, replacements and
        /// removals: the order is newest first and resumes strictly after any bound.
        #[test]
        fn newest_first_is_the_sorted_store_after_any_edits(
            edits in prop::collection::vec((0u8..24, 0i64..6, any::<bool>()), 0..80),
            bound in (0u8..24, 0i64..6),
        ) {
            let id = |n: u8| Uuid::from_u128(u128::from(n));
            let at = |s: i64| Timestamp::from_second(s).unwrap();
            let mut records = Records::default();
            let mut model: BTreeMap<Uuid, Row> = BTreeMap::new();
            for (n, (key, second, remove)) in edits.into_iter().enumerate() {
                if remove {
                    prop_assert_eq!(records.remove(&id(key)), model.remove(&id(key)));
                } else {
                    let row = Row(id(key), at(second), u8::try_from(n % 256).unwrap());
                    records.insert(row.clone());
                    model.insert(row.0, row);
                }
            }
            let mut sorted: Vec<Row> = model.values().cloned().collect();
            sorted.sort_by_key(|r| std::cmp::Reverse((r.1, r.0)));
            let all: Vec<Row> = records.newest_first(None).cloned().collect();
            prop_assert_eq!(&all, &sorted);
            let bound = (at(bound.1), id(bound.0));
            let after: Vec<Row> = records.newest_first(Some(bound)).cloned().collect();
            let want: Vec<Row> = sorted.into_iter().filter(|r| (r.1, r.0) < bound).collect();
            prop_assert_eq!(after, want);
            prop_assert_eq!(records.len(), model.len());
        }
    }
}
