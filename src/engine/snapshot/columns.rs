//! The columns of one record type, each decoded on first read when it comes from the
//! column cache ([`Columns`]).
//!
//! A one-shot command reads a few columns of a type: a preview at a million leads reads
//! the two or three its conditions name, yet decoding every column of the cache took half
//! its time, most of it the kernel handing out fresh pages for columns never read. So a
//! cached column stays bytes in the cache file until something reads it. Its bytes were
//! checked when the snapshot was read (`persist`), so decoding it later cannot fail; the
//! file's bytes stay mapped for as long as a column waits for them.

use std::sync::{Arc, LazyLock};

use rayon::prelude::*;

use super::column::Column;
use super::persist::{Parts, build_column};

/// The bytes cached columns are decoded from, shared by every column waiting for them.
pub type SharedBytes = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// A column still in the cache's bytes: where (checked), and how to read it.
pub(super) struct Waiting {
    pub(super) bytes: SharedBytes,
    pub(super) parts: Parts,
}

/// A column, decoded at the latest when first read; decoding lets go of its bytes.
type Slot = LazyLock<Column, Box<dyn FnOnce() -> Column + Send>>;

fn ready(column: Column) -> Slot {
    let slot: Slot = LazyLock::new(Box::new(move || column));
    LazyLock::force(&slot);
    slot
}

fn waiting(waiting: Waiting) -> Slot {
    LazyLock::new(Box::new(move || build_column((*waiting.bytes).as_ref(), &waiting.parts)))
}

/// The columns of one record type, one per field, in the schema's order.
#[derive(Default)]
pub(crate) struct Columns {
    slots: Vec<Slot>,
}

impl Columns {
    /// Columns already decoded (built from SQL rows, or new).
    pub fn ready(columns: Vec<Column>) -> Self {
        Self { slots: columns.into_iter().map(ready).collect() }
    }

    /// Columns waiting in checked cache bytes, decoded on first read.
    pub(super) fn waiting(columns: Vec<Waiting>) -> Self {
        Self { slots: columns.into_iter().map(waiting).collect() }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Column `f`, decoded now if it was waiting.
    pub fn get(&self, f: usize) -> Option<&Column> {
        self.slots.get(f).map(LazyLock::force)
    }

    pub fn get_mut(&mut self, f: usize) -> Option<&mut Column> {
        self.slots.get_mut(f).map(LazyLock::force_mut)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Column> {
        self.slots.iter().map(LazyLock::force)
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Column> {
        self.slots.iter_mut().map(LazyLock::force_mut)
    }

    /// Decodes every waiting column (in parallel), so none holds the cache's bytes.
    pub fn settle(&self) {
        self.slots.par_iter().for_each(|slot| {
            LazyLock::force(slot);
        });
    }

    /// Whether column `f` is decoded (a column read once is, until the snapshot goes).
    pub fn is_decoded(&self, f: usize) -> bool {
        self.slots.get(f).is_some_and(|slot| LazyLock::get(slot).is_some())
    }

    /// The heap the decoded columns take (waiting ones take none: their bytes are the
    /// cache file's).
    pub fn heap_bytes(&self) -> usize {
        self.slots.iter().filter_map(|slot| LazyLock::get(slot)).map(Column::heap_bytes).sum()
    }
}

impl PartialEq for Columns {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl std::fmt::Debug for Columns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let decoded = (0..self.len()).filter(|&i| self.is_decoded(i)).count();
        write!(f, "Columns({} of {} decoded)", decoded, self.len())
    }
}
