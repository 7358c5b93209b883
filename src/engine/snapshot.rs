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

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rayon::prelude::*;

use super::EngineError;
use super::bitset::Bitset;
use crate::domain::eval::fold;
use crate::domain::{
    FieldKind, Record, RecordBatch, RecordId, RecordTypeName, Schema, SellerId, TeamId, Value, ValueView,
};

/// Code of an empty value in a coded column.
pub(crate) const CODE_EMPTY: u32 = 0;
/// Code of a value of the wrong kind for the field (a number in a text field…).
pub(crate) const CODE_INVALID: u32 = 1;
/// Code of the first dictionary entry.
pub(crate) const CODE_FIRST: u32 = 2;

/// Lookup row of an empty lookup.
pub(crate) const LINK_EMPTY: u32 = u32::MAX;
/// Lookup row of a value that is not a lookup.
pub(crate) const LINK_INVALID: u32 = u32::MAX - 1;

/// Day number of an empty (or not a date) value; below every real day.
pub(crate) const DAY_NONE: i32 = i32::MIN;
/// The lowest day number a range may start at (above [`DAY_NONE`]).
pub(crate) const DAY_LOWEST: i32 = i32::MIN + 1;
/// Instant of a value without one (a date, an empty value).
pub(crate) const INSTANT_NONE: i64 = i64::MIN;
/// The lowest stored instant (above [`INSTANT_NONE`]).
pub(crate) const INSTANT_LOWEST: i64 = i64::MIN + 1;

static NEXT_SNAPSHOT: AtomicU64 = AtomicU64::new(1);

/// Days since 1970-01-01 (proleptic Gregorian), ordered like the dates.
pub(crate) fn day_number(date: Date) -> i32 {
    let month = i32::from(date.month());
    let year = i32::from(date.year()) - i32::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + i32::from(date.day()) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Nanoseconds since the Unix epoch, saturated to the stored range (years 1678 to 2262
/// are exact; instants beyond compare equal to the ends of that range).
pub(crate) fn instant_number(instant: Timestamp) -> i64 {
    let ns = instant.as_nanosecond();
    i64::try_from(ns).unwrap_or(if ns < 0 { INSTANT_LOWEST } else { i64::MAX }).max(INSTANT_LOWEST)
}

/// Codes of a coded column, as narrow as the dictionary allows.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Codes {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Codes {
    fn with_len(len: usize) -> Self {
        Codes::U8(vec![0; len])
    }

    pub(crate) fn get(&self, row: usize) -> u32 {
        match self {
            Codes::U8(v) => u32::from(v[row]),
            Codes::U16(v) => u32::from(v[row]),
            Codes::U32(v) => v[row],
        }
    }

    fn set(&mut self, row: usize, code: u32) {
        self.widen_for(code);
        match self {
            Codes::U8(v) => v[row] = code as u8,
            Codes::U16(v) => v[row] = code as u16,
            Codes::U32(v) => v[row] = code,
        }
    }

    fn len(&self) -> usize {
        match self {
            Codes::U8(v) => v.len(),
            Codes::U16(v) => v.len(),
            Codes::U32(v) => v.len(),
        }
    }

    fn push(&mut self, code: u32) {
        self.widen_for(code);
        match self {
            Codes::U8(v) => v.push(code as u8),
            Codes::U16(v) => v.push(code as u16),
            Codes::U32(v) => v.push(code),
        }
    }

    fn push_empty(&mut self) {
        match self {
            Codes::U8(v) => v.push(0),
            Codes::U16(v) => v.push(0),
            Codes::U32(v) => v.push(0),
        }
    }

    fn widen_for(&mut self, code: u32) {
        match self {
            Codes::U8(v) if code > u32::from(u8::MAX) => {
                *self = if code > u32::from(u16::MAX) {
                    Codes::U32(v.iter().map(|&c| u32::from(c)).collect())
                } else {
                    Codes::U16(v.iter().map(|&c| u16::from(c)).collect())
                };
            }
            Codes::U16(v) if code > u32::from(u16::MAX) => {
                *self = Codes::U32(v.iter().map(|&c| u32::from(c)).collect());
            }
            _ => {}
        }
    }

    fn reserve(&mut self, additional: usize) {
        match self {
            Codes::U8(v) => v.reserve(additional),
            Codes::U16(v) => v.reserve(additional),
            Codes::U32(v) => v.reserve(additional),
        }
    }

    fn shrink(&mut self) {
        match self {
            Codes::U8(v) => v.shrink_to_fit(),
            Codes::U16(v) => v.shrink_to_fit(),
            Codes::U32(v) => v.shrink_to_fit(),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Codes::U8(v) => v.capacity(),
            Codes::U16(v) => v.capacity() * 2,
            Codes::U32(v) => v.capacity() * 4,
        }
    }
}

/// The distinct texts of a column: folded in one arena (`\0` before and after every entry)
/// for substring search, typed ones kept where they differ from the folded form.
#[derive(Clone, Debug)]
pub(crate) struct Dictionary {
    /// `\0 e0 \0 e1 \0 … \0`: the folded entries.
    folded: Vec<u8>,
    /// Where entry `i` starts in `folded` (just after its leading `\0`).
    starts: Vec<u32>,
    /// Entries as typed, each preceded by its length (4 bytes, little endian); only the
    /// ones that differ from their folded form.
    typed: Vec<u8>,
    /// Where entry `i`'s length prefix starts in `typed`, or `u32::MAX` when the entry is
    /// its own folded form.
    typed_at: Vec<u32>,
    /// Whether some folded entry contains `\0` (then the arena cannot be searched whole).
    has_nul: bool,
    /// Open addressing over the typed texts: the hash's high 32 bits, then entry index + 1
    /// in the low 32 bits; 0 for a free slot.
    slots: Vec<u64>,
}

/// The same entries in the same order (the interning table is not compared).
impl PartialEq for Dictionary {
    fn eq(&self, other: &Self) -> bool {
        self.folded == other.folded
            && self.starts == other.starts
            && self.typed == other.typed
            && self.typed_at == other.typed_at
            && self.has_nul == other.has_nul
    }
}

impl Default for Dictionary {
    fn default() -> Self {
        Self {
            folded: vec![0],
            starts: Vec::new(),
            typed: Vec::new(),
            typed_at: Vec::new(),
            has_nul: false,
            slots: Vec::new(),
        }
    }
}

fn hash_text(text: &[u8]) -> u64 {
    // FxHash over 8-byte words (the last one zero-padded: the length is hashed first):
    // fast and good enough for interning. Its high bits are the well-mixed ones.
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut hash = (text.len() as u64).wrapping_mul(K);
    let mut chunks = text.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    hash
}

/// The tag of a text in a dictionary's table: its hash's high 32 bits.
fn tag_of(text: &str) -> u64 {
    hash_text(text.as_bytes()) >> 32
}

/// The slot of a hash tag (the hash's high 32 bits) in a table of `1 << bits` slots: from
/// the tag alone, so growing the table needs no entry's text.
fn slot_of(tag: u64, bits: u32) -> usize {
    ((tag << 32) >> (64 - bits)) as usize
}

impl Dictionary {
    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    pub(crate) fn folded_arena(&self) -> &[u8] {
        &self.folded
    }

    pub(crate) fn starts(&self) -> &[u32] {
        &self.starts
    }

    pub(crate) fn has_nul(&self) -> bool {
        self.has_nul
    }

    /// The folded form of entry `i`.
    pub(crate) fn folded(&self, i: usize) -> &str {
        let start = self.starts[i] as usize;
        let end = self.starts.get(i + 1).map_or(self.folded.len(), |&next| next as usize) - 1;
        // Entries are pushed as whole `str`s.
        std::str::from_utf8(&self.folded[start..end]).unwrap_or_default()
    }

    /// Entry `i` as typed.
    pub(crate) fn typed(&self, i: usize) -> &str {
        // Entries are pushed as whole `str`s.
        std::str::from_utf8(self.typed_bytes(i)).unwrap_or_default()
    }

    /// The bytes of entry `i` as typed (no UTF-8 check: interning compares bytes).
    fn typed_bytes(&self, i: usize) -> &[u8] {
        let at = self.typed_at[i];
        if at == u32::MAX {
            let start = self.starts[i] as usize;
            let end = self.starts.get(i + 1).map_or(self.folded.len(), |&next| next as usize) - 1;
            return &self.folded[start..end];
        }
        let at = at as usize;
        let mut len = [0u8; 4];
        len.copy_from_slice(&self.typed[at..at + 4]);
        let len = u32::from_le_bytes(len) as usize;
        &self.typed[at + 4..at + 4 + len]
    }

    /// The entry of `text`, added if new.
    fn intern(&mut self, text: &str) -> u32 {
        self.intern_tagged(text, tag_of(text))
    }

    /// Reads the table slots of these tags ([`tag_of`]) all at once, so the cache misses
    /// of a big dictionary overlap instead of stalling one `intern` after another.
    fn warm(&self, tags: &[u64]) {
        if self.slots.is_empty() {
            return;
        }
        let bits = self.slots.len().trailing_zeros();
        let touched = tags.iter().fold(0u64, |acc, &tag| acc ^ self.slots[slot_of(tag, bits)]);
        std::hint::black_box(touched);
    }

    /// [`Dictionary::intern`] with the text's tag already computed.
    fn intern_tagged(&mut self, text: &str, tag: u64) -> u32 {
        // At most half full.
        if self.slots.len() < (self.len() + 1) * 2 {
            self.rehash((self.len() + 1) * 4);
        }
        let bits = self.slots.len().trailing_zeros();
        let mask = self.slots.len() - 1;
        // The tag (the hash's high half) is kept in the slot: entries are only compared (a
        // likely cache miss in the arena) when it agrees.
        let mut slot = slot_of(tag, bits);
        loop {
            match self.slots[slot] {
                0 => break,
                packed if packed >> 32 == tag && self.typed_bytes((packed as u32) as usize - 1) == text.as_bytes() => {
                    return packed as u32 - 1;
                }
                _ => slot = (slot + 1) & mask,
            }
        }
        let entry = self.len() as u32;
        self.slots[slot] = (tag << 32) | u64::from(entry + 1);
        self.starts.push(self.folded.len() as u32);
        let same = if text.is_ascii() {
            // ASCII folds byte by byte (what `fold` does to it), without a new string.
            self.has_nul |= memchr::memchr(0, text.as_bytes()).is_some();
            self.folded.extend(text.bytes().map(|b| b.to_ascii_lowercase()));
            !text.bytes().any(|b| b.is_ascii_uppercase())
        } else {
            let folded = fold(text);
            self.has_nul |= folded.contains('\0');
            self.folded.extend_from_slice(folded.as_bytes());
            folded == text
        };
        self.folded.push(0);
        if same {
            self.typed_at.push(u32::MAX);
        } else {
            self.typed_at.push(self.typed.len() as u32);
            self.typed.extend_from_slice(&(text.len() as u32).to_le_bytes());
            self.typed.extend_from_slice(text.as_bytes());
        }
        entry
    }

    fn rehash(&mut self, capacity: usize) {
        let capacity = capacity.next_power_of_two();
        let bits = capacity.trailing_zeros();
        let mask = capacity - 1;
        let mut slots = vec![0u64; capacity];
        for &packed in self.slots.iter().filter(|&&packed| packed != 0) {
            let mut slot = slot_of(packed >> 32, bits);
            while slots[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            slots[slot] = packed;
        }
        if self.slots.is_empty() {
            // After `shrink` the table is rebuilt from the entries' texts.
            for entry in 0..self.len() {
                let tag = hash_text(self.typed_bytes(entry)) >> 32;
                let mut slot = slot_of(tag, bits);
                while slots[slot] != 0 {
                    slot = (slot + 1) & mask;
                }
                slots[slot] = (tag << 32) | (entry as u64 + 1);
            }
        }
        self.slots = slots;
    }

    /// Releases spare capacity and the interning table (rebuilt on the next new text):
    /// a built snapshot is mostly read.
    fn shrink(&mut self) {
        self.folded.shrink_to_fit();
        self.starts.shrink_to_fit();
        self.typed.shrink_to_fit();
        self.typed_at.shrink_to_fit();
        self.slots = Vec::new();
    }

    fn heap_bytes(&self) -> usize {
        self.folded.capacity()
            + self.starts.capacity() * 4
            + self.typed.capacity()
            + self.typed_at.capacity() * 4
            + self.slots.capacity() * 8
    }
}

/// A text or choice column.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct TextColumn {
    pub(crate) dictionary: Dictionary,
    pub(crate) codes: Codes,
}

impl Default for Codes {
    fn default() -> Self {
        Codes::U8(Vec::new())
    }
}

/// An owner column: codes into the sellers seen.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct OwnerColumn {
    pub(crate) sellers: Vec<SellerId>,
    index: HashMap<SellerId, u32>,
    pub(crate) codes: Codes,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct NumberColumn {
    /// NaN where empty or not a number.
    pub(crate) values: Vec<f64>,
    pub(crate) empty: Bitset,
}

/// The same values (any NaN equal to any NaN) and the same empty rows.
impl PartialEq for NumberColumn {
    fn eq(&self, other: &Self) -> bool {
        self.empty == other.empty
            && self.values.len() == other.values.len()
            && self.values.iter().zip(&other.values).all(|(a, b)| a == b || (a.is_nan() && b.is_nan()))
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct TemporalColumn {
    /// Calendar day numbers ([`day_number`]); [`DAY_NONE`] where empty or not a date.
    pub(crate) days: Vec<i32>,
    /// Instants ([`instant_number`]) of date-time values, [`INSTANT_NONE`] for others;
    /// absent while the column holds no date-time value.
    pub(crate) instants: Option<Vec<i64>>,
    pub(crate) empty: Bitset,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct YesNoColumn {
    pub(crate) yes: Bitset,
    pub(crate) no: Bitset,
    pub(crate) empty: Bitset,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LookupColumn {
    /// The type the lookup points at (its index in the snapshot), if the schema knows it.
    pub(crate) target: Option<usize>,
    /// Row in the target type, or [`LINK_EMPTY`] / [`LINK_INVALID`].
    pub(crate) rows: Vec<u32>,
    /// The ids held when the target type is unknown (rows are then [`LINK_INVALID`]): "is"
    /// still compares them.
    pub(crate) untargeted: HashMap<usize, RecordId>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Column {
    Text(TextColumn),
    Number(NumberColumn),
    Temporal(TemporalColumn),
    YesNo(YesNoColumn),
    Lookup(LookupColumn),
    Owner(OwnerColumn),
}

impl Column {
    fn new(kind: FieldKind, target: Option<usize>, len: usize) -> Self {
        match kind {
            FieldKind::Text | FieldKind::Choice => {
                Column::Text(TextColumn { dictionary: Dictionary::default(), codes: Codes::with_len(len) })
            }
            FieldKind::WholeNumber | FieldKind::Decimal | FieldKind::Money => {
                Column::Number(NumberColumn { values: vec![f64::NAN; len], empty: Bitset::full(len) })
            }
            FieldKind::Date | FieldKind::DateTime => {
                Column::Temporal(TemporalColumn { days: vec![DAY_NONE; len], instants: None, empty: Bitset::full(len) })
            }
            FieldKind::YesNo => {
                Column::YesNo(YesNoColumn { yes: Bitset::empty(len), no: Bitset::empty(len), empty: Bitset::full(len) })
            }
            FieldKind::Lookup => {
                Column::Lookup(LookupColumn { target, rows: vec![LINK_EMPTY; len], untargeted: HashMap::new() })
            }
            FieldKind::Owner => Column::Owner(OwnerColumn { codes: Codes::with_len(len), ..OwnerColumn::default() }),
        }
    }

    fn push_empty(&mut self) {
        match self {
            Column::Text(c) => c.codes.push_empty(),
            Column::Owner(c) => c.codes.push_empty(),
            Column::Number(c) => {
                c.values.push(f64::NAN);
                c.empty.resize(c.values.len());
                c.empty.insert(c.values.len() - 1);
            }
            Column::Temporal(c) => {
                c.days.push(DAY_NONE);
                if let Some(instants) = &mut c.instants {
                    instants.push(INSTANT_NONE);
                }
                c.empty.resize(c.days.len());
                c.empty.insert(c.days.len() - 1);
            }
            Column::YesNo(c) => {
                let len = c.empty.len() + 1;
                c.yes.resize(len);
                c.no.resize(len);
                c.empty.resize(len);
                c.empty.insert(len - 1);
            }
            Column::Lookup(c) => c.rows.push(LINK_EMPTY),
        }
    }

    /// Appends a row holding `value`: what [`Column::push_empty`] then [`Column::set`]
    /// store, in one step for the kinds a load fills most.
    fn push(&mut self, value: ValueView<'_>, zone: &TimeZone) {
        match self {
            Column::Text(c) => {
                let code = c.code_of(value);
                c.codes.push(code);
            }
            Column::Owner(c) => {
                let code = c.code_of(value);
                c.codes.push(code);
            }
            Column::Number(c) => {
                c.values.push(value.as_f64().unwrap_or(f64::NAN));
                push_bit(&mut c.empty, value.is_empty());
            }
            Column::Temporal(c) => {
                let (day, instant) = temporal_of(value, zone);
                c.days.push(day);
                if instant != INSTANT_NONE || c.instants.is_some() {
                    let len = c.days.len();
                    c.instants.get_or_insert_with(|| vec![INSTANT_NONE; len - 1]).push(instant);
                }
                push_bit(&mut c.empty, value.is_empty());
            }
            Column::YesNo(_) | Column::Lookup(_) => {
                self.push_empty();
                let row = self.len() - 1;
                self.set(row, value, zone);
            }
        }
    }

    /// Rows in the column.
    fn len(&self) -> usize {
        match self {
            Column::Text(c) => c.codes.len(),
            Column::Owner(c) => c.codes.len(),
            Column::Number(c) => c.values.len(),
            Column::Temporal(c) => c.days.len(),
            Column::YesNo(c) => c.empty.len(),
            Column::Lookup(c) => c.rows.len(),
        }
    }

    /// Stores `value` at `row`. Lookups are stored by [`Snapshot`], which resolves rows.
    fn set(&mut self, row: usize, value: ValueView<'_>, zone: &TimeZone) {
        match self {
            Column::Text(c) => {
                let code = c.code_of(value);
                c.codes.set(row, code);
            }
            Column::Owner(c) => {
                let code = c.code_of(value);
                c.codes.set(row, code);
            }
            Column::Number(c) => {
                c.values[row] = value.as_f64().unwrap_or(f64::NAN);
                set_bit(&mut c.empty, row, value.is_empty());
            }
            Column::Temporal(c) => {
                let (day, instant) = temporal_of(value, zone);
                c.days[row] = day;
                if instant != INSTANT_NONE || c.instants.is_some() {
                    let len = c.days.len();
                    c.instants.get_or_insert_with(|| vec![INSTANT_NONE; len])[row] = instant;
                }
                set_bit(&mut c.empty, row, value.is_empty());
            }
            Column::YesNo(c) => {
                set_bit(&mut c.yes, row, value == ValueView::YesNo(true));
                set_bit(&mut c.no, row, value == ValueView::YesNo(false));
                set_bit(&mut c.empty, row, value.is_empty());
            }
            Column::Lookup(c) => {
                // A lookup's row is stored by `Snapshot::store_link` once targets have rows.
                c.rows[row] = if value.is_empty() { LINK_EMPTY } else { LINK_INVALID };
                if c.target.is_none() {
                    match value {
                        ValueView::Lookup(id) => c.untargeted.insert(row, id),
                        _ => c.untargeted.remove(&row),
                    };
                }
            }
        }
    }

    fn shrink(&mut self) {
        match self {
            Column::Text(c) => {
                c.dictionary.shrink();
                c.codes.shrink();
            }
            Column::Owner(c) => {
                c.sellers.shrink_to_fit();
                c.codes.shrink();
            }
            Column::Number(c) => {
                c.values.shrink_to_fit();
                c.empty.shrink_to_fit();
            }
            Column::Temporal(c) => {
                c.days.shrink_to_fit();
                if let Some(instants) = &mut c.instants {
                    instants.shrink_to_fit();
                }
                c.empty.shrink_to_fit();
            }
            Column::YesNo(c) => {
                c.yes.shrink_to_fit();
                c.no.shrink_to_fit();
                c.empty.shrink_to_fit();
            }
            Column::Lookup(c) => c.rows.shrink_to_fit(),
        }
    }

    /// Room for `additional` more rows.
    fn reserve(&mut self, additional: usize) {
        match self {
            Column::Text(c) => c.codes.reserve(additional),
            Column::Owner(c) => c.codes.reserve(additional),
            Column::Number(c) => {
                c.values.reserve(additional);
                c.empty.reserve(additional);
            }
            Column::Temporal(c) => {
                c.days.reserve(additional);
                if let Some(instants) = &mut c.instants {
                    instants.reserve(additional);
                }
                c.empty.reserve(additional);
            }
            Column::YesNo(c) => {
                c.yes.reserve(additional);
                c.no.reserve(additional);
                c.empty.reserve(additional);
            }
            Column::Lookup(c) => c.rows.reserve(additional),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Column::Text(c) => c.dictionary.heap_bytes() + c.codes.heap_bytes(),
            Column::Owner(c) => c.codes.heap_bytes() + c.sellers.capacity() * 8 + c.index.capacity() * (8 + 4 + 1),
            Column::Number(c) => c.values.capacity() * 8 + c.empty.heap_bytes(),
            Column::Temporal(c) => {
                c.days.capacity() * 4 + c.instants.as_ref().map_or(0, |i| i.capacity() * 8) + c.empty.heap_bytes()
            }
            Column::YesNo(c) => c.yes.heap_bytes() + c.no.heap_bytes() + c.empty.heap_bytes(),
            Column::Lookup(c) => c.rows.capacity() * 4 + c.untargeted.capacity() * 17,
        }
    }
}

fn set_bit(set: &mut Bitset, row: usize, on: bool) {
    if on { set.insert(row) } else { set.remove(row) }
}

/// Appends a row to `set`, in the set when `on`.
fn push_bit(set: &mut Bitset, on: bool) {
    let row = set.len();
    set.resize(row + 1);
    if on {
        set.insert(row);
    }
}

/// The day number and instant stored for a date or date-time value; none for others.
fn temporal_of(value: ValueView<'_>, zone: &TimeZone) -> (i32, i64) {
    match value {
        ValueView::Date(day) => (day_number(day), INSTANT_NONE),
        ValueView::DateTime(instant) => (day_number(zone.to_datetime(instant).date()), instant_number(instant)),
        _ => (DAY_NONE, INSTANT_NONE),
    }
}

impl TextColumn {
    /// The code of `value`, interned if new.
    fn code_of(&mut self, value: ValueView<'_>) -> u32 {
        match value {
            ValueView::Empty => CODE_EMPTY,
            ValueView::Text(text) | ValueView::Choice(text) => self.dictionary.intern(text) + CODE_FIRST,
            _ => CODE_INVALID,
        }
    }

    /// [`TextColumn::code_of`] of a value whose tag ([`tag_of`], 0 for a value that is not
    /// text) is already computed.
    fn code_of_tagged(&mut self, value: ValueView<'_>, tag: u64) -> u32 {
        match value {
            ValueView::Empty => CODE_EMPTY,
            ValueView::Text(text) | ValueView::Choice(text) => self.dictionary.intern_tagged(text, tag) + CODE_FIRST,
            _ => CODE_INVALID,
        }
    }
}

impl OwnerColumn {
    /// The code of `value`, the seller added if new.
    fn code_of(&mut self, value: ValueView<'_>) -> u32 {
        match value {
            ValueView::Empty => CODE_EMPTY,
            ValueView::Owner(seller) => {
                let next = self.sellers.len() as u32;
                let entry = *self.index.entry(seller).or_insert(next);
                if entry == next {
                    self.sellers.push(seller);
                }
                entry + CODE_FIRST
            }
            _ => CODE_INVALID,
        }
    }
}

/// Finds the row of a record id: binary search over the ids appended in ascending order,
/// a map for the rest.
#[derive(Clone, Debug, Default, PartialEq)]
struct RowIndex {
    ids: Vec<RecordId>,
    sorted_len: usize,
    others: HashMap<RecordId, u32>,
}

impl RowIndex {
    fn find(&self, id: RecordId) -> Option<usize> {
        match self.ids[..self.sorted_len].binary_search(&id) {
            Ok(row) => Some(row),
            Err(_) => self.others.get(&id).map(|&row| row as usize),
        }
    }

    /// Appends a row for an id not in the index.
    fn add(&mut self, id: RecordId) -> usize {
        let row = self.ids.len();
        if self.sorted_len == row && self.ids.last().is_none_or(|last| *last < id) {
            self.sorted_len += 1;
        } else {
            self.others.insert(id, row as u32);
        }
        self.ids.push(id);
        row
    }

    fn heap_bytes(&self) -> usize {
        self.ids.capacity() * 8 + self.others.capacity() * (8 + 4 + 1)
    }
}

/// Sort orders computed on demand: (field index, descending) → rows in that order.
type SortCache = Mutex<HashMap<(Option<usize>, bool), Arc<Vec<u32>>>>;

/// The records of one type, by column.
#[derive(Debug)]
pub struct TypeSnapshot {
    name: RecordTypeName,
    index: RowIndex,
    live: Bitset,
    pub(crate) columns: Vec<Column>,
    sort_cache: SortCache,
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
        self.index.heap_bytes()
            + self.live.heap_bytes()
            + self.columns.iter().map(Column::heap_bytes).sum::<usize>()
            + sorts
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

    fn compute_order(&self, field: Option<usize>, descending: bool) -> Vec<u32> {
        let rows = self.rows();
        let Some(column) = field.and_then(|f| self.columns.get(f)) else {
            let mut order: Vec<u32> = (0..rows as u32).collect();
            if descending {
                order.reverse();
            }
            return order;
        };
        // Sort keys: `None` for an empty value, else an order-preserving u64.
        let flip_i64 = |x: i64| (x as u64) ^ (1 << 63);
        let keys: Vec<Option<u64>> = match column {
            Column::Text(c) => {
                let mut entries: Vec<u32> = (0..c.dictionary.len() as u32).collect();
                entries.par_sort_by(|&a, &b| {
                    let (a, b) = (a as usize, b as usize);
                    c.dictionary
                        .folded(a)
                        .cmp(c.dictionary.folded(b))
                        .then(c.dictionary.typed(a).cmp(c.dictionary.typed(b)))
                });
                let mut rank = vec![0u64; entries.len()];
                for (position, &entry) in entries.iter().enumerate() {
                    rank[entry as usize] = position as u64;
                }
                (0..rows)
                    .map(|row| {
                        let code = c.codes.get(row);
                        (code >= CODE_FIRST).then(|| rank[(code - CODE_FIRST) as usize])
                    })
                    .collect()
            }
            Column::Owner(c) => (0..rows)
                .map(|row| {
                    let code = c.codes.get(row);
                    (code >= CODE_FIRST).then(|| flip_i64(c.sellers[(code - CODE_FIRST) as usize].0))
                })
                .collect(),
            Column::Number(c) => c
                .values
                .iter()
                .map(|&x| {
                    (!x.is_nan()).then(|| {
                        let bits = x.to_bits();
                        if bits >> 63 == 1 { !bits } else { bits | (1 << 63) }
                    })
                })
                .collect(),
            Column::Temporal(c) => (0..rows)
                .map(|row| {
                    let instant = c.instants.as_ref().map_or(INSTANT_NONE, |i| i[row]);
                    if instant != INSTANT_NONE {
                        Some(flip_i64(instant))
                    } else if c.days[row] != DAY_NONE {
                        Some(flip_i64(i64::from(c.days[row]).saturating_mul(86_400_000_000_000)))
                    } else {
                        None
                    }
                })
                .collect(),
            Column::YesNo(c) => (0..rows)
                .map(|row| {
                    if c.yes.contains(row) {
                        Some(1)
                    } else if c.no.contains(row) {
                        Some(0)
                    } else {
                        None
                    }
                })
                .collect(),
            Column::Lookup(c) => {
                let ids = |row: u32| (row < LINK_INVALID).then_some(row);
                c.rows.iter().map(|&row| ids(row).map(u64::from)).collect()
            }
        };
        let mut order: Vec<u32> = (0..rows as u32).collect();
        order.par_sort_unstable_by_key(|&row| {
            let key = keys[row as usize];
            let value = key.map_or(0, |k| if descending { !k } else { k });
            (key.is_none(), value, row)
        });
        order
    }

    fn push_row(&mut self, id: RecordId) -> usize {
        let row = self.index.add(id);
        self.live.resize(row + 1);
        for column in &mut self.columns {
            column.push_empty();
        }
        row
    }

    fn clear_row(&mut self, row: usize, zone: &TimeZone) {
        for column in &mut self.columns {
            column.set(row, ValueView::Empty, zone);
        }
    }
}

/// The columns of one record type, filled record by record (from a stream of rows, so
/// no list of every record is ever held); [`Snapshot::from_builders`] assembles them.
/// Independent of other types' builders, so types can be filled on separate threads.
pub struct TypeBuilder {
    name: RecordTypeName,
    time_zone: TimeZone,
    index: RowIndex,
    columns: Vec<Column>,
    /// Per lookup field: the id each row points at (rows are resolved once every type
    /// has its rows).
    links: Vec<(usize, Vec<Option<RecordId>>)>,
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
            match (!ascending).then(|| index.find(id)).flatten() {
                Some(row) => targets.push((record, Some(row))),
                None => {
                    index.add(id);
                    targets.push((record, None));
                }
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
    fn push_values<'v>(&mut self, id: RecordId, value: impl Fn(usize) -> ValueView<'v>) {
        let index = &mut self.index;
        let ascending = index.sorted_len == index.ids.len() && index.ids.last().is_none_or(|last| *last < id);
        let link = |f: usize| match value(f) {
            ValueView::Lookup(id) => Some(id),
            _ => None,
        };
        match (!ascending).then(|| index.find(id)).flatten() {
            Some(row) => {
                for (f, column) in self.columns.iter_mut().enumerate() {
                    column.set(row, value(f), &self.time_zone);
                }
                for (f, ids) in &mut self.links {
                    ids[row] = link(*f);
                }
            }
            None => {
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
}

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
}

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
                columns: builder.columns,
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
            self.types[t].columns[f].set(row, value, &self.time_zone);
            if let ValueView::Lookup(id) = value
                && matches!(self.types[t].columns[f], Column::Lookup(_))
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

    /// Sets the members of a team (an empty list for a team without members).
    pub fn set_team(&mut self, team: TeamId, members: Vec<SellerId>) {
        self.teams.insert(team, members);
        self.version += 1;
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
        self.teams.get(&team).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Total heap memory held by the columns, indexes and cached sort orders, in bytes.
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
        let target_row = match self.types[target].index.find(id) {
            Some(target_row) => target_row,
            None => {
                let target_row = self.types[target].push_row(id);
                self.changed(target);
                target_row
            }
        };
        if let Some(Column::Lookup(column)) = self.types[t].columns.get_mut(f) {
            column.rows[row] = target_row as u32;
        }
    }

    fn changed(&mut self, t: usize) {
        self.version += 1;
        self.types[t].sort_cache.get_mut().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
