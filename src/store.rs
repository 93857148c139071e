//! The swappable snapshot behind every vendor state, which makes a reset atomic.
//!
//! A request takes the current `Arc<T>` once and works on it to the end; a reset
//! builds a fresh `T` from the fixtures and swaps the pointer. So no request ever
//! sees half of a reset: it sees the old store whole or the new one whole.

use std::sync::{Arc, RwLock};

/// A `T` that can be replaced whole while readers keep the one they took.
#[derive(Debug)]
pub struct Swappable<T> {
    current: RwLock<Arc<T>>,
}

impl<T> Swappable<T> {
    pub fn new(value: T) -> Self {
        Self { current: RwLock::new(Arc::new(value)) }
    }

    /// The current snapshot; cheap (one `Arc` clone under a read lock held for no longer than that).
    pub fn current(&self) -> Arc<T> {
        Arc::clone(&self.current.read().unwrap())
    }

    /// Replaces the snapshot; requests that already took the old one finish on it.
    pub fn replace(&self, value: T) {
        *self.current.write().unwrap() = Arc::new(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_snapshot_survives_a_replace() {
        let cell = Swappable::new(vec![1, 2]);
        let before = cell.current();
        cell.replace(vec![3]);
        assert_eq!(*before, vec![1, 2]);
        assert_eq!(*cell.current(), vec![3]);
    }
}
