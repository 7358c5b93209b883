//! Columnar snapshots of a workspace's records, the input of the fast evaluator.
//!
//! One [`TypeSnapshot`] per record type, one column per field, one row per record:
//! - text and choice: codes into a dictionary of distinct values, kept both as typed (for
//!   patterns) and folded with [`fold`] in one `\0`-separated arena, so text operators are
//!   evaluated once per distinct value with `memchr::memmem`;
//! - numbers: `f64` (NaN when empty or not a number, so every comparison is false there)
//!   with an empty bitmap;
//! - dates and date-times: the calendar day (in the snapshot's time zone) as a day number,
//!   plus the instant in nanoseconds for date-time values, with an empty bitmap;
//! - yes/no: yes, no and empty bitmaps;
//! - lookups: the row of the target record in the target type's snapshot;
//! - owners: codes into a table of sellers.
//!
//! Codes 0 and 1 of a coded column mean "empty" and "a value of the wrong kind"; both
//! stand for values the reference evaluator treats alike (no positive operator holds, only
//! an empty value is empty).
//!
//! Rows are never reused: an update overwrites its row in place, a removal clears the row
//! (every column empty) and marks it dead, so lookups pointing at it read empty values, as
//! they do in the reference evaluator for a missing record. A lookup to an id the target
//! type does not have gets a dead, empty "placeholder" row that the record fills if it is
//! added later.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use jiff::tz::TimeZone;
use rayon::prelude::*;

use super::EngineError;
use super::bitset::Bitset;
use crate::domain::{Record, RecordId, RecordTypeName, Schema, SellerId, TeamId, Value, ValueView};

mod column;
mod columns;
mod dictionary;
mod ints;
mod persist;
mod segments;
mod table;

pub(crate) use column::*;
pub(crate) use columns::Columns;
pub use columns::SharedBytes;
pub(crate) use dictionary::*;
pub(crate) use ints::{Ints, each_width};
pub use persist::DecodeError;
use table::SortCache;
pub use table::{TypeBuilder, TypeSnapshot};

static NEXT_SNAPSHOT: AtomicU64 = AtomicU64::new(1);

/// Every record type of a workspace as columns, with team membership: what compiled
/// condition trees are evaluated on.
#[derive(Debug)]
pub struct Snapshot {
    uid: u64,
    version: u64,
    schema: Schema,
    time_zone: TimeZone,
    types: Vec<TypeSnapshot>,
    teams: HashMap<TeamId, Vec<SellerId>>,
    /// Results of related-record blocks by their compiled key ([`Snapshot::related_rows`]),
    /// emptied on every change: editing elsewhere in a tree evaluates a block once.
    related_cache: RelatedCache,
    /// Segment definitions and stored memberships, for segment conditions (not persisted).
    segments: segments::SegmentState,
}

/// At most this many related-block results are kept (each a bitset of the tested type).
const RELATED_CACHE_ENTRIES: usize = 64;

type RelatedCache = Mutex<HashMap<String, Arc<Bitset>>>;

/// The same schema, time zone, teams and types ([`TypeSnapshot`]'s equality), whatever
/// their history: which snapshot and version each is, is not compared.
impl PartialEq for Snapshot {
    fn eq(&self, other: &Self) -> bool {
        self.schema == other.schema
            && self.time_zone == other.time_zone
            && self.types == other.types
            && self.teams == other.teams
    }
}

impl Snapshot {
    /// Builds the columns of every type of `schema` from its records (types not in the
    /// schema are ignored; a repeated id keeps its last record). Date-time values get their
    /// calendar day in `time_zone`, which is the zone conditions are then compiled for.
    /// Types are built in parallel.
    pub fn build<'r, R>(
        schema: &Schema,
        time_zone: TimeZone,
        records_by_type: impl IntoIterator<Item = (&'r RecordTypeName, R)>,
        teams: impl IntoIterator<Item = (TeamId, Vec<SellerId>)>,
    ) -> Self
    where
        R: IntoIterator<Item = &'r Record>,
    {
        let mut given: HashMap<&RecordTypeName, Vec<&Record>> = HashMap::new();
        for (name, records) in records_by_type {
            given.entry(name).or_default().extend(records);
        }
        let work: Vec<(TypeBuilder, Vec<&Record>)> = schema
            .types
            .iter()
            .filter_map(|def| TypeBuilder::new(schema, &def.name, time_zone.clone()))
            .map(|builder| {
                let records = given.remove(builder.name()).unwrap_or_default();
                (builder, records)
            })
            .collect();
        let builders: Vec<TypeBuilder> = work
            .into_par_iter()
            .map(|(mut builder, records)| {
                builder.reserve(records.len());
                for record in records {
                    builder.push(record);
                }
                builder
            })
            .collect();
        Self::from_builders(schema, time_zone, builders, teams)
    }

    /// Assembles the types filled by [`TypeBuilder`]s (made for this `schema` and
    /// `time_zone`; a type without a builder is empty, an extra builder is ignored) and
    /// resolves lookups between them.
    pub fn from_builders(
        schema: &Schema,
        time_zone: TimeZone,
        builders: impl IntoIterator<Item = TypeBuilder>,
        teams: impl IntoIterator<Item = (TeamId, Vec<SellerId>)>,
    ) -> Self {
        let mut given: HashMap<RecordTypeName, TypeBuilder> =
            builders.into_iter().map(|builder| (builder.name.clone(), builder)).collect();
        let mut raw_links: Vec<Vec<(usize, Vec<Option<RecordId>>)>> = Vec::new();
        let mut types = Vec::with_capacity(schema.types.len());
        for def in &schema.types {
            let builder = given
                .remove(&def.name)
                .filter(|builder| builder.columns.len() == def.fields.len())
                .or_else(|| TypeBuilder::new(schema, &def.name, time_zone.clone()));
            let Some(mut builder) = builder else {
                continue;
            };
            builder.columns.par_iter_mut().for_each(Column::shrink);
            builder.index.ids.shrink_to_fit();
            let len = builder.index.ids.len();
            raw_links.push(builder.links);
            types.push(TypeSnapshot {
                name: def.name.clone(),
                index: builder.index,
                live: Bitset::full(len),
                columns: Columns::ready(builder.columns),
                sort_cache: SortCache::default(),
            });
        }
        let mut snapshot = Snapshot {
            uid: NEXT_SNAPSHOT.fetch_add(1, Ordering::Relaxed),
            version: 0,
            schema: schema.clone(),
            time_zone,
            types,
            teams: teams.into_iter().collect(),
            related_cache: RelatedCache::default(),
            segments: segments::SegmentState::default(),
        };
        // Lookups become rows once every type has its rows (placeholders for missing ids).
        for (t, links) in raw_links.into_iter().enumerate() {
            for (f, ids) in links {
                for (row, id) in ids.into_iter().enumerate() {
                    if let Some(id) = id {
                        snapshot.store_link(t, f, row, id);
                    }
                }
            }
        }
        snapshot
    }

    /// Adds a record, or replaces the one with its id.
    pub fn upsert(&mut self, ty: &RecordTypeName, record: &Record) -> Result<(), EngineError> {
        let t = self.type_position(ty)?;
        let row = match self.types[t].index.find(record.id) {
            Some(row) => row,
            None => self.types[t].push_row(record.id),
        };
        for f in 0..self.types[t].columns.len() {
            let value = record.values.get(f).map_or(ValueView::Empty, Value::view);
            let Some(column) = self.types[t].columns.get_mut(f) else { continue };
            column.set(row, value, &self.time_zone);
            if let ValueView::Lookup(id) = value
                && matches!(column, Column::Lookup(_))
            {
                self.store_link(t, f, row, id);
            }
        }
        self.types[t].live.insert(row);
        self.changed(t);
        Ok(())
    }

    /// Removes a record: its row no longer matches and reads as empty through lookups.
    /// Returns whether it was there.
    pub fn remove(&mut self, ty: &RecordTypeName, id: RecordId) -> Result<bool, EngineError> {
        let t = self.type_position(ty)?;
        let Some(row) = self.types[t].index.find(id).filter(|&row| self.types[t].live.contains(row)) else {
            return Ok(false);
        };
        let zone = self.time_zone.clone();
        self.types[t].clear_row(row, &zone);
        self.types[t].live.remove(row);
        self.changed(t);
        Ok(true)
    }

    /// The live records, of any type, whose lookups point at one of the records `ids` of
    /// type `ty`: after those were deleted, what SQLite's `ON DELETE SET NULL` may have
    /// changed too.
    pub fn referrers(&self, ty: &RecordTypeName, ids: &[RecordId]) -> Vec<(RecordTypeName, Vec<RecordId>)> {
        let Ok(t) = self.type_position(ty) else { return Vec::new() };
        let mut targets = Bitset::empty(self.types[t].rows());
        for &id in ids {
            if let Some(row) = self.types[t].index.find(id) {
                targets.insert(row);
            }
        }
        let mut found = Vec::new();
        for referrer in &self.types {
            let mut rows = Bitset::empty(referrer.rows());
            for column in referrer.columns.iter() {
                if let Column::Lookup(LookupColumn { target: Some(target), rows: links, .. }) = column
                    && *target == t
                {
                    for (row, &link) in links.iter().enumerate() {
                        if targets.contains(link as usize) && referrer.live.contains(row) {
                            rows.insert(row);
                        }
                    }
                }
            }
            if rows.count() > 0 {
                found.push((referrer.name.clone(), referrer.ids_of(&rows)));
            }
        }
        found
    }

    /// Sets the members of a team (an empty list for a team without members).
    pub fn set_team(&mut self, team: TeamId, members: Vec<SellerId>) {
        self.teams.insert(team, members);
        self.version += 1;
        self.related_cache.get_mut().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// The rows a related block with this compiled `key` gave at this version, if kept.
    pub(crate) fn related_rows(&self, key: &str) -> Option<Arc<Bitset>> {
        self.related_cache.lock().unwrap_or_else(PoisonError::into_inner).get(key).cloned()
    }

    /// Keeps the rows a related block gave (forgetting the others when full).
    pub(crate) fn keep_related_rows(&self, key: String, rows: Arc<Bitset>) {
        let mut cache = self.related_cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= RELATED_CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, rows);
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    pub fn type_snapshot(&self, ty: &RecordTypeName) -> Option<&TypeSnapshot> {
        self.types.iter().find(|t| &t.name == ty)
    }

    /// The members of a team; empty for an unknown team.
    pub fn team_members(&self, team: TeamId) -> &[SellerId] {
        self.teams.get(&team).map_or(&[][..], Vec::as_slice)
    }

    /// Decodes every column still waiting in the column cache's bytes (in parallel), so
    /// no later read waits for one and the cache file is let go.
    pub fn settle(&self) {
        self.types.par_iter().for_each(|ty| ty.columns.settle());
    }

    /// The fields of `ty` whose columns are decoded: all of them, except after a read from
    /// the column cache, where only those read since (or all, after [`Snapshot::settle`]).
    pub fn decoded_fields(&self, ty: &RecordTypeName) -> Vec<usize> {
        let Ok(t) = self.type_position(ty) else { return Vec::new() };
        let columns = &self.types[t].columns;
        (0..columns.len()).filter(|&f| columns.is_decoded(f)).collect()
    }

    /// Total heap memory held by the decoded columns, indexes and cached sort orders, in
    /// bytes.
    pub fn heap_bytes(&self) -> usize {
        self.types.iter().map(TypeSnapshot::heap_bytes).sum::<usize>()
            + self.teams.values().map(|m| m.capacity() * 8 + 32).sum::<usize>()
    }

    /// Identifies this snapshot and its state: changes after every update.
    pub(crate) fn stamp(&self) -> (u64, u64) {
        (self.uid, self.version)
    }

    pub(crate) fn types(&self) -> &[TypeSnapshot] {
        &self.types
    }

    pub(crate) fn type_position(&self, ty: &RecordTypeName) -> Result<usize, EngineError> {
        self.types.iter().position(|t| &t.name == ty).ok_or_else(|| EngineError::UnknownType(ty.clone()))
    }

    /// Points lookup `f` of row `row` of type `t` at record `id` of the lookup's target,
    /// adding a placeholder row there when the target has no such record.
    fn store_link(&mut self, t: usize, f: usize, row: usize, id: RecordId) {
        let Some(Column::Lookup(LookupColumn { target: Some(target), .. })) = self.types[t].columns.get(f) else {
            return;
        };
        let target = *target;
        let target_row = if let Some(target_row) = self.types[target].index.find(id) {
            target_row
        } else {
            let target_row = self.types[target].push_row(id);
            self.changed(target);
            target_row
        };
        if let Some(Column::Lookup(column)) = self.types[t].columns.get_mut(f) {
            column.rows[row] = target_row as u32;
        }
    }

    /// A change of what trees read besides the columns: nothing compiled or cached before
    /// it is used after it.
    fn bump(&mut self) {
        self.version += 1;
        self.related_cache.get_mut().unwrap_or_else(PoisonError::into_inner).clear();
    }

    fn changed(&mut self, t: usize) {
        self.version += 1;
        self.related_cache.get_mut().unwrap_or_else(PoisonError::into_inner).clear();
        self.types[t].sort_cache.get_mut().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::Date;

    #[test]
    fn dictionary_keeps_typed_and_folded_forms() {
        let mut dictionary = Dictionary::default();
        let cases = [("ÉMILE", 0, "émile"), ("émile", 1, "émile"), ("ÉMILE", 0, "émile"), ("a%_\\'", 2, "a%_\\'")];
        for (text, entry, folded) in cases {
            assert_eq!(dictionary.intern(text), entry, "{text}");
            assert_eq!(dictionary.typed(entry as usize), text);
            assert_eq!(dictionary.folded(entry as usize), folded);
        }
        assert_eq!(dictionary.folded_arena(), "\0émile\0émile\0a%_\\'\0".as_bytes());
        assert!(!dictionary.has_nul());
        dictionary.intern("a\0b");
        assert!(dictionary.has_nul());
        for i in 0..1000 {
            assert_eq!(dictionary.intern(&format!("Text {i}")), 4 + i);
        }
        assert_eq!(dictionary.intern("Text 500"), 504);
        // ASCII folds byte by byte; a capital anywhere keeps the typed form.
        for (text, folded) in [("Acme", "acme"), ("acmE", "acme"), ("acme", "acme"), ("A%_\\'Z", "a%_\\'z"), ("", "")] {
            let entry = dictionary.intern(text) as usize;
            assert_eq!((dictionary.typed(entry), dictionary.folded(entry)), (text, folded));
        }
        assert_eq!(dictionary.intern("Acme"), 1004);
    }

    #[test]
    fn codes_widen_as_the_dictionary_grows() {
        let mut codes = Codes::with_len(3);
        codes.set(0, 200);
        assert!(matches!(codes, Codes::U8(_)));
        codes.set(1, 300);
        assert!(matches!(codes, Codes::U16(_)));
        codes.set(2, 70_000);
        assert!(matches!(codes, Codes::U32(_)));
        assert_eq!([codes.get(0), codes.get(1), codes.get(2)], [200, 300, 70_000]);
    }

    #[test]
    fn day_numbers_follow_the_calendar() {
        let day = |y, m, d| day_number(Date::new(y, m, d).unwrap_or(Date::MIN));
        assert_eq!(day(1970, 1, 1), 0);
        assert_eq!(day(2026, 3, 1) - day(2026, 2, 28), 1);
        assert_eq!(day(2024, 3, 1) - day(2024, 2, 28), 2);
        assert_eq!(day(2000, 1, 1), 10_957);
        assert!(day_number(Date::MIN) > DAY_LOWEST);
        assert!(day_number(Date::MIN) < day(-1, 12, 31));
        let mut date = Date::new(1999, 12, 25).unwrap_or(Date::MIN);
        for _ in 0..1000 {
            let next = date.tomorrow().unwrap_or(Date::MAX);
            assert_eq!(day_number(next), day_number(date) + 1, "{date}");
            date = next;
        }
    }
}
