//! The records of one type as columns ([`TypeSnapshot`]), and how they are built in bulk
//! ([`TypeBuilder`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::tz::TimeZone;
use rayon::prelude::*;

use super::column::{CODE_FIRST, Column, DAY_NONE, INSTANT_NONE, LINK_INVALID, TextColumn};
use super::columns::Columns;
use super::dictionary::tag_of;
use crate::domain::{FieldKind, Record, RecordBatch, RecordId, RecordTypeName, Schema, Value, ValueView};
use crate::engine::bitset::Bitset;
use crate::engine::radix::order_by_keys;

/// Finds the row of a record id: binary search over the ids appended in ascending order,
/// a map for the rest.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct RowIndex {
    pub(super) ids: Vec<RecordId>,
    pub(super) sorted_len: usize,
    pub(super) others: HashMap<RecordId, u32>,
}

impl RowIndex {
    pub(super) fn find(&self, id: RecordId) -> Option<usize> {
        match self.ids[..self.sorted_len].binary_search(&id) {
            Ok(row) => Some(row),
            Err(_) => self.others.get(&id).map(|&row| row as usize),
        }
    }

    /// Appends a row for an id not in the index.
    pub(super) fn add(&mut self, id: RecordId) -> usize {
        let row = self.ids.len();
        if self.sorted_len == row && self.ids.last().is_none_or(|last| *last < id) {
            self.sorted_len += 1;
        } else {
            self.others.insert(id, row as u32);
        }
        self.ids.push(id);
        row
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.ids.capacity() * 8 + self.others.capacity() * (8 + 4 + 1)
    }
}

/// Sort orders computed on demand: (field index, descending) → rows in that order.
pub(super) type SortCache = Mutex<HashMap<(Option<usize>, bool), Arc<Vec<u32>>>>;

/// The records of one type, by column.
#[derive(Debug)]
pub struct TypeSnapshot {
    pub(super) name: RecordTypeName,
    pub(super) index: RowIndex,
    pub(super) live: Bitset,
    pub(crate) columns: Columns,
    pub(super) sort_cache: SortCache,
}

/// The same rows (ids, live or not) holding the same column contents: dictionaries with
/// the same entries in the same order, codes of the same width. Cached sort orders are
/// not compared.
impl PartialEq for TypeSnapshot {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.index == other.index && self.live == other.live && self.columns == other.columns
    }
}

impl TypeSnapshot {
    pub fn name(&self) -> &RecordTypeName {
        &self.name
    }

    /// Rows, live or not (a bitset over this type has this length).
    pub fn rows(&self) -> usize {
        self.index.ids.len()
    }

    /// The rows of records that exist (not removed, not placeholders).
    pub fn live(&self) -> &Bitset {
        &self.live
    }

    pub fn live_count(&self) -> usize {
        self.live.count()
    }

    pub fn id_of(&self, row: usize) -> Option<RecordId> {
        self.index.ids.get(row).copied()
    }

    /// The row of a record id (live or not).
    pub fn row_of(&self, id: RecordId) -> Option<usize> {
        self.index.find(id)
    }

    /// Whether every row's id is greater than the ids of the rows before it: then ties
    /// broken by row are broken by id.
    pub fn rows_in_id_order(&self) -> bool {
        self.index.sorted_len == self.index.ids.len()
    }

    /// The record ids of the set rows of `rows`, in row order.
    pub fn ids_of(&self, rows: &Bitset) -> Vec<RecordId> {
        rows.ones().filter_map(|row| self.id_of(row)).collect()
    }

    pub fn heap_bytes(&self) -> usize {
        let sorts: usize = self
            .sort_cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|order| order.capacity() * 4)
            .sum();
        self.index.heap_bytes() + self.live.heap_bytes() + self.columns.heap_bytes() + sorts
    }

    /// The rows ordered by column `field` (`None`: by row), empty values last in either
    /// direction, ties by row. Computed once per (field, direction) and kept until the
    /// snapshot changes.
    pub(crate) fn sorted_rows(&self, field: Option<usize>, descending: bool) -> Arc<Vec<u32>> {
        let key = (field, descending);
        if let Some(order) = self.sort_cache.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return order.clone();
        }
        let order = Arc::new(self.compute_order(field, descending));
        self.sort_cache.lock().unwrap_or_else(PoisonError::into_inner).insert(key, order.clone());
        order
    }

    pub(super) fn compute_order(&self, field: Option<usize>, descending: bool) -> Vec<u32> {
        let rows = self.rows() as u32;
        match self.sort_keys(field, descending) {
            Some(keys) => keys.order_all(rows),
            None if descending => (0..rows).rev().collect(),
            None => (0..rows).collect(),
        }
    }

    /// The sort keys of column `field` (`None`: no column, rows keep their order). Text ranks
    /// by its dictionary's order: the folded form, then the typed one.
    fn sort_keys(&self, field: Option<usize>, descending: bool) -> Option<SortKeys<'_>> {
        let column = field.and_then(|f| self.columns.get(f))?;
        let Column::Text(c) = column else { return Some(SortKeys::Plain { column, descending }) };
        let mut entries: Vec<u32> = (0..c.dictionary.len() as u32).collect();
        entries.par_sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            c.dictionary.folded(a).cmp(c.dictionary.folded(b)).then(c.dictionary.typed(a).cmp(c.dictionary.typed(b)))
        });
        let mut rank = vec![0u64; entries.len()];
        for (position, &entry) in entries.iter().enumerate() {
            rank[entry as usize] = position as u64;
        }
        Some(SortKeys::Text { column: c, rank, descending })
    }

    /// The sort keys to order the set rows of `rows` by alone: when no order is kept, few
    /// rows are set, and the keys need no ordering of their own (not text, which ranks its
    /// whole dictionary first, as costly as ordering every row when most values differ).
    fn keys_alone(&self, rows: &Bitset, field: Option<usize>, descending: bool) -> Option<SortKeys<'_>> {
        let column = field.and_then(|f| self.columns.get(f))?;
        let few = rows.count().saturating_mul(FEW_ROWS_PER) <= self.rows();
        (few && !matches!(column, Column::Text(_)) && !self.has_order(field, descending))
            .then_some(SortKeys::Plain { column, descending })
    }

    /// Whether the order of column `field` in this direction is kept: then
    /// [`TypeSnapshot::sorted_rows`] answers at once.
    pub(crate) fn has_order(&self, field: Option<usize>, descending: bool) -> bool {
        self.sort_cache.lock().unwrap_or_else(PoisonError::into_inner).contains_key(&(field, descending))
    }

    /// The set rows of `rows` in the order [`TypeSnapshot::sorted_rows`] gives. Without a
    /// kept order, few set rows are sorted alone (the first preview at ten million records
    /// would otherwise wait for every row's order); the whole order is then left to
    /// [`TypeSnapshot::sorted_rows`] when there is time (see `has_order`).
    pub(crate) fn ordered_rows(&self, rows: &Bitset, field: Option<usize>, descending: bool) -> Vec<u32> {
        if let Some(keys) = self.keys_alone(rows, field, descending) {
            return keys.order(rows.ones().map(|row| row as u32));
        }
        let order = self.sorted_rows(field, descending);
        let mut out = Vec::with_capacity(rows.count());
        out.extend(order.iter().copied().filter(|&row| rows.contains(row as usize)));
        out
    }

    /// Whether rows `a` and `b` sort alike by column `field` in [`TypeSnapshot::sorted_rows`]
    /// (text: the same folded form; empty values all alike).
    pub(crate) fn same_key(&self, field: usize, a: usize, b: usize) -> bool {
        match self.columns.get(field) {
            Some(Column::Text(c)) => {
                let folded = |row: usize| {
                    let code = c.codes.get(row);
                    (code >= CODE_FIRST).then(|| c.dictionary.folded((code - CODE_FIRST) as usize))
                };
                folded(a) == folded(b)
            }
            Some(column) => plain_key(column, a) == plain_key(column, b),
            None => true,
        }
    }

    /// The first `n` of the set rows of `rows` in the order [`TypeSnapshot::sorted_rows`]
    /// gives, without ordering every row: from the kept order when there is one, else,
    /// when few rows are set and the column's keys need no ordering of their own (not
    /// text), by selecting among the set rows alone (a one-shot preview at a million
    /// records would otherwise sort them all for twenty).
    pub(crate) fn first_rows(&self, rows: &Bitset, field: Option<usize>, descending: bool, n: usize) -> Vec<u32> {
        if let Some(keys) = self.keys_alone(rows, field, descending) {
            let mut packed: Vec<u128> = rows.ones().map(|row| keys.packed(row as u32)).collect();
            if packed.len() > n {
                packed.select_nth_unstable(n);
                packed.truncate(n);
            }
            packed.sort_unstable();
            return packed.into_iter().map(|key| key as u32).collect();
        }
        let order = self.sorted_rows(field, descending);
        order.iter().copied().filter(|&row| rows.contains(row as usize)).take(n).collect()
    }

    pub(super) fn push_row(&mut self, id: RecordId) -> usize {
        let row = self.index.add(id);
        self.live.resize(row + 1);
        for column in self.columns.iter_mut() {
            column.push_empty();
        }
        row
    }

    pub(super) fn clear_row(&mut self, row: usize, zone: &TimeZone) {
        for column in self.columns.iter_mut() {
            column.set(row, ValueView::Empty, zone);
        }
    }
}

/// The columns of one record type, filled record by record (from a stream of rows, so
/// no list of every record is ever held); [`Snapshot::from_builders`] assembles them.
/// Independent of other types' builders, so types can be filled on separate threads.
pub struct TypeBuilder {
    pub(super) name: RecordTypeName,
    pub(super) time_zone: TimeZone,
    pub(super) index: RowIndex,
    pub(super) columns: Vec<Column>,
    /// Per lookup field: the id each row points at (rows are resolved once every type
    /// has its rows).
    pub(super) links: Vec<(usize, Vec<Option<RecordId>>)>,
}

impl TypeBuilder {
    /// An empty builder for type `ty` of `schema`; `None` if the schema has no such type.
    pub fn new(schema: &Schema, ty: &RecordTypeName, time_zone: TimeZone) -> Option<Self> {
        let def = schema.types.iter().find(|t| &t.name == ty)?;
        let type_index = |name: &RecordTypeName| schema.types.iter().position(|t| &t.name == name);
        let columns = def
            .fields
            .iter()
            .map(|field| Column::new(field.kind, field.lookup_target.as_ref().and_then(type_index), 0))
            .collect();
        let links = def
            .fields
            .iter()
            .enumerate()
            .filter(|(_, field)| field.kind == FieldKind::Lookup)
            .map(|(f, _)| (f, Vec::new()))
            .collect();
        Some(Self { name: ty.clone(), time_zone, index: RowIndex::default(), columns, links })
    }

    pub fn name(&self) -> &RecordTypeName {
        &self.name
    }

    /// Room for `additional` more records.
    pub fn reserve(&mut self, additional: usize) {
        self.index.ids.reserve(additional);
        for column in &mut self.columns {
            column.reserve(additional);
        }
        for (_, ids) in &mut self.links {
            ids.reserve(additional);
        }
    }

    /// Adds a record (one value per field; missing ones are empty); a repeated id replaces
    /// the earlier record.
    pub fn push(&mut self, record: &Record) {
        self.push_values(record.id, |f| record.values.get(f).map_or(ValueView::Empty, Value::view));
    }

    /// Adds the records of a batch read from the store, as [`TypeBuilder::push`] would them
    /// one by one; column by column, so each column's dictionary stays in cache and its
    /// table lookups overlap.
    pub fn push_batch(&mut self, batch: &RecordBatch) {
        // Where each record goes: `None` for a new row, appended in record order.
        let mut targets = Vec::with_capacity(batch.len());
        for record in 0..batch.len() {
            let Some(id) = batch.id(record) else { continue };
            let index = &mut self.index;
            let ascending = index.sorted_len == index.ids.len() && index.ids.last().is_none_or(|last| *last < id);
            if let Some(row) = (!ascending).then(|| index.find(id)).flatten() {
                targets.push((record, Some(row)));
            } else {
                index.add(id);
                targets.push((record, None));
            }
        }
        let mut values = Vec::with_capacity(targets.len());
        let mut tags = Vec::with_capacity(targets.len());
        for (f, column) in self.columns.iter_mut().enumerate() {
            values.clear();
            values.extend(targets.iter().map(|&(record, _)| batch.value(record, f)));
            if let Column::Text(c) = column {
                tags.clear();
                tags.extend(values.iter().map(|value| match value {
                    ValueView::Text(text) | ValueView::Choice(text) => tag_of(text),
                    _ => 0,
                }));
                c.dictionary.warm(&tags);
                for ((&(_, row), &value), &tag) in targets.iter().zip(&values).zip(&tags) {
                    let code = c.code_of_tagged(value, tag);
                    match row {
                        Some(row) => c.codes.set(row, code),
                        None => c.codes.push(code),
                    }
                }
                continue;
            }
            for (&(_, row), &value) in targets.iter().zip(&values) {
                match row {
                    Some(row) => column.set(row, value, &self.time_zone),
                    None => column.push(value, &self.time_zone),
                }
            }
        }
        for (f, ids) in &mut self.links {
            for &(record, row) in &targets {
                let id = match batch.value(record, *f) {
                    ValueView::Lookup(id) => Some(id),
                    _ => None,
                };
                match row {
                    Some(row) => ids[row] = id,
                    None => ids.push(id),
                }
            }
        }
    }

    /// Adds record `id` whose field `f` holds `value(f)`.
    pub(super) fn push_values<'v>(&mut self, id: RecordId, value: impl Fn(usize) -> ValueView<'v>) {
        let index = &mut self.index;
        let ascending = index.sorted_len == index.ids.len() && index.ids.last().is_none_or(|last| *last < id);
        let link = |f: usize| match value(f) {
            ValueView::Lookup(id) => Some(id),
            _ => None,
        };
        if let Some(row) = (!ascending).then(|| index.find(id)).flatten() {
            for (f, column) in self.columns.iter_mut().enumerate() {
                column.set(row, value(f), &self.time_zone);
            }
            for (f, ids) in &mut self.links {
                ids[row] = link(*f);
            }
        } else {
            index.add(id);
            for (f, column) in self.columns.iter_mut().enumerate() {
                column.push(value(f), &self.time_zone);
            }
            for (f, ids) in &mut self.links {
                ids.push(link(*f));
            }
        }
    }
}

/// [`TypeSnapshot::first_rows`] selects among the set rows when at most one row in this
/// many is set; more set rows are served from the whole order, kept for the next time.
const FEW_ROWS_PER: usize = 8;

/// How the rows of one column sort (see [`TypeSnapshot::sorted_rows`]): empty values last
/// in either direction, then by value (flipped when descending), ties by row.
enum SortKeys<'a> {
    Text { column: &'a TextColumn, rank: Vec<u64>, descending: bool },
    Plain { column: &'a Column, descending: bool },
}

impl SortKeys<'_> {
    /// The key of `row`, flipped when descending; `None` when its value is empty.
    fn key(&self, row: u32) -> Option<u64> {
        let (key, descending) = match self {
            SortKeys::Text { column, rank, descending } => {
                let code = column.codes.get(row as usize);
                ((code >= CODE_FIRST).then(|| rank[(code - CODE_FIRST) as usize]), *descending)
            }
            SortKeys::Plain { column, descending } => (plain_key(column, row as usize), *descending),
        };
        key.map(|k| if descending { !k } else { k })
    }

    /// `rows` (ascending) in this order: by key, empty values last, ties by row.
    fn order(&self, rows: impl Iterator<Item = u32>) -> Vec<u32> {
        let (keys, keyed, empty) = self.keyed(rows);
        let mut order = order_by_keys(keys, keyed);
        order.extend(empty);
        order
    }

    /// Every row of `0..rows` in this order; the keys are read across cores. An empty
    /// value's key is `u64::MAX`, which sorts it last (ties by row) unless some value's key
    /// is `u64::MAX` too: then the empty rows are set apart first.
    fn order_all(&self, rows: u32) -> Vec<u32> {
        let keys: Vec<u64> = (0..rows).into_par_iter().map(|row| self.key(row).unwrap_or(u64::MAX)).collect();
        let clash = keys.par_iter().enumerate().any(|(row, &key)| key == u64::MAX && self.key(row as u32).is_some());
        if clash {
            return self.order(0..rows);
        }
        order_by_keys(keys, (0..rows).collect())
    }

    /// The keys of `rows` with their rows, and apart the rows whose value is empty.
    fn keyed(&self, rows: impl Iterator<Item = u32>) -> (Vec<u64>, Vec<u32>, Vec<u32>) {
        let (mut keys, mut keyed, mut empty) = (Vec::new(), Vec::new(), Vec::new());
        keys.reserve(rows.size_hint().0);
        keyed.reserve(rows.size_hint().0);
        for row in rows {
            match self.key(row) {
                Some(key) => {
                    keys.push(key);
                    keyed.push(row);
                }
                None => empty.push(row),
            }
        }
        (keys, keyed, empty)
    }

    /// The same order packed into one integer: empty last, the key, the row.
    fn packed(&self, row: u32) -> u128 {
        let key = self.key(row);
        (u128::from(key.is_none()) << 96) | (u128::from(key.unwrap_or(0)) << 32) | u128::from(row)
    }
}

/// The sort key of `row` in a column that is not text (text ranks by its dictionary's
/// order, see `compute_order`): `None` for an empty value, else an order-preserving u64.
fn plain_key(column: &Column, row: usize) -> Option<u64> {
    let flip_i64 = |x: i64| (x as u64) ^ (1 << 63);
    match column {
        Column::Text(_) => None,
        Column::Owner(c) => {
            let code = c.codes.get(row);
            (code >= CODE_FIRST).then(|| flip_i64(c.sellers[(code - CODE_FIRST) as usize].0))
        }
        Column::Number(c) => {
            let x = c.float(row);
            (!x.is_nan()).then(|| {
                let bits = x.to_bits();
                if bits >> 63 == 1 { !bits } else { bits | (1 << 63) }
            })
        }
        Column::Temporal(c) => {
            let instant = c.instants.as_ref().map_or(INSTANT_NONE, |i| i[row]);
            if instant != INSTANT_NONE {
                Some(flip_i64(instant))
            } else if c.days[row] != DAY_NONE {
                Some(flip_i64(i64::from(c.days[row]).saturating_mul(86_400_000_000_000)))
            } else {
                None
            }
        }
        Column::YesNo(c) => {
            if c.yes.contains(row) {
                Some(1)
            } else if c.no.contains(row) {
                Some(0)
            } else {
                None
            }
        }
        Column::Lookup(c) => {
            let linked = c.rows[row];
            (linked < LINK_INVALID).then_some(u64::from(linked))
        }
    }
}
