//! The columns of a [`Snapshot`] as bytes and back, for the column cache
//! (`engine::cache`). Little-endian, every vector preceded by its length, and every column
//! by its length in bytes, so the columns of every type are read back in parallel; teams,
//! sort orders and interning tables are not kept (teams are read from the workspace, the
//! others are rebuilt on demand).
//!
//! Reading checks everything a later read indexes with (lengths, codes, lookup rows,
//! dictionary offsets) against the schema it is given, for every column at once, so bytes
//! that pass the cache's checksum but do not fit (a bug, a hand-made file) are refused,
//! never a panic. What it keeps of a column is where its checked parts lie ([`Parts`]);
//! building the column from them ([`build_column`]) cannot fail, so it is left until the
//! column is first read (`columns::Columns`).

use std::collections::HashMap;
use std::ops::Range;

use jiff::tz::TimeZone;
use rayon::prelude::*;

use super::column::{
    CODE_FIRST, Codes, Column, LINK_INVALID, LookupColumn, NumberColumn, OwnerColumn, TemporalColumn, TextColumn,
    YesNoColumn,
};
use super::columns::{Columns, SharedBytes, Waiting};
use super::dictionary::Dictionary;
use super::ints::Ints;
use super::table::{RowIndex, SortCache, TypeSnapshot};
use super::{NEXT_SNAPSHOT, Snapshot};
use crate::domain::{FieldKind, RecordId, Schema, SellerId, TeamId};
use crate::engine::bitset::Bitset;

/// Why bytes could not be read back as columns.
#[derive(Debug, thiserror::Error)]
#[error("the cached columns do not fit the workspace ({0})")]
pub struct DecodeError(String);

fn bad<T>(what: impl Into<String>) -> Result<T, DecodeError> {
    Err(DecodeError(what.into()))
}

impl Snapshot {
    /// Appends the columns of every type to `out`.
    pub fn encode_columns(&self, out: &mut Vec<u8>) {
        put_u64(out, self.types.len() as u64);
        for ty in &self.types {
            put_bytes(out, ty.name.as_str().as_bytes());
            put_i64s(out, ty.index.ids.iter().map(|id| id.0));
            put_u64(out, ty.index.sorted_len as u64);
            put_bitset(out, &ty.live);
            put_u64(out, ty.columns.len() as u64);
            for column in ty.columns.iter() {
                let at = out.len();
                put_u64(out, 0);
                encode_column(out, column);
                let len = (out.len() - at - 8) as u64;
                out[at..at + 8].copy_from_slice(&len.to_le_bytes());
            }
        }
    }

    /// The snapshot [`Snapshot::encode_columns`] wrote into `bytes[range]`, for `schema`
    /// and `time_zone` (the ones it was built for: the caller checks that), with `teams`.
    /// Every column is checked now, in parallel; each is decoded when first read (see
    /// [`Columns`]), from `bytes`, which are kept until then.
    pub fn decode_columns(
        schema: &Schema,
        time_zone: TimeZone,
        bytes: SharedBytes,
        range: Range<usize>,
        teams: impl IntoIterator<Item = (TeamId, Vec<SellerId>)>,
    ) -> Result<Self, DecodeError> {
        let all: &[u8] = (*bytes).as_ref();
        let Some(within) = all.get(..range.end) else { return bad("cut short") };
        let mut input = Input { bytes: within, at: range.start };
        let count = input.len()?;
        if count != schema.types.len() {
            return bad("another number of record types");
        }
        let mut types = Vec::with_capacity(count);
        let mut encoded = Vec::new();
        for (t, def) in schema.types.iter().enumerate() {
            let name = input.bytes()?;
            if name != def.name.as_str().as_bytes() {
                return bad(format!("record type {} expected", def.name));
            }
            let ids: Vec<RecordId> = input.i64s()?.into_iter().map(RecordId).collect();
            let sorted_len = input.number()?;
            let index = row_index(ids, sorted_len)?;
            let rows = index.ids.len();
            let live = input.bitset(rows)?;
            if input.len()? != def.fields.len() {
                return bad(format!("another number of fields in {}", def.name));
            }
            for field in &def.fields {
                let target = field.lookup_target.as_ref().and_then(|t| schema.types.iter().position(|d| &d.name == t));
                encoded.push((t, input.bytes_at()?, field.kind, target));
            }
            let columns = Columns::default();
            types.push(TypeSnapshot { name: def.name.clone(), index, live, columns, sort_cache: SortCache::default() });
        }
        if input.at != within.len() {
            return bad("bytes after the last column");
        }
        // Every column of every type checked at once (the codes and rows of each are read
        // through), without building any.
        let rows: Vec<usize> = types.iter().map(TypeSnapshot::rows).collect();
        let mut parts = encoded
            .into_par_iter()
            .map(|(t, at, kind, target)| {
                let mut input = Input { bytes: &within[..at.end], at: at.start };
                let target_rows = target.and_then(|target| rows.get(target).copied()).unwrap_or(0);
                let parts = parse_column(&mut input, kind, rows[t], (target, target_rows))?;
                if input.at == at.end { Ok(parts) } else { bad("bytes after a column") }
            })
            .collect::<Result<Vec<Parts>, DecodeError>>()?
            .into_iter();
        for (ty, def) in types.iter_mut().zip(&schema.types) {
            let waiting = parts.by_ref().take(def.fields.len()).map(|parts| Waiting { bytes: bytes.clone(), parts });
            ty.columns = Columns::waiting(waiting.collect());
        }
        Ok(Snapshot {
            uid: NEXT_SNAPSHOT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            version: 0,
            schema: schema.clone(),
            time_zone,
            types,
            teams: teams.into_iter().collect(),
            related_cache: super::RelatedCache::default(),
            segments: super::segments::SegmentState::default(),
        })
    }
}

/// The row index of `ids`: the first `sorted_len` ascending, the rest found through a map.
fn row_index(ids: Vec<RecordId>, sorted_len: usize) -> Result<RowIndex, DecodeError> {
    if sorted_len > ids.len() || ids[..sorted_len].windows(2).any(|w| w[0] >= w[1]) {
        return bad("record ids out of order");
    }
    let mut others = HashMap::with_capacity(ids.len() - sorted_len);
    for (row, &id) in ids.iter().enumerate().skip(sorted_len) {
        let row = u32::try_from(row).or_else(|_| bad("too many rows"))?;
        if ids[..sorted_len].binary_search(&id).is_ok() || others.insert(id, row).is_some() {
            return bad("a record id twice");
        }
    }
    Ok(RowIndex { ids, sorted_len, others })
}

const TEXT: u8 = 1;
const NUMBER: u8 = 2;
const TEMPORAL: u8 = 3;
const YES_NO: u8 = 4;
const LOOKUP: u8 = 5;
const OWNER: u8 = 6;

fn encode_column(out: &mut Vec<u8>, column: &Column) {
    match column {
        Column::Text(c) => {
            out.push(TEXT);
            encode_dictionary(out, &c.dictionary);
            encode_codes(out, &c.codes);
        }
        Column::Number(c) => {
            out.push(NUMBER);
            put_u64s(out, c.values.iter().map(|v| v.to_bits()));
            out.push(u8::from(c.exact.is_some()));
            if let Some(exact) = &c.exact {
                out.push(exact.width() as u8);
                put_bytes(out, &exact.to_le_bytes());
            }
            let mut off_cent: Vec<(usize, f64)> = c.off_cent.iter().map(|(&row, &x)| (row, x)).collect();
            off_cent.sort_unstable_by_key(|&(row, _)| row);
            put_u64s(out, off_cent.iter().map(|&(row, _)| row as u64));
            put_u64s(out, off_cent.iter().map(|&(_, x)| x.to_bits()));
            put_bitset(out, &c.none);
            put_bitset(out, &c.empty);
        }
        Column::Temporal(c) => {
            out.push(TEMPORAL);
            put_u32s(out, c.days.iter().map(|&d| d as u32));
            out.push(u8::from(c.instants.is_some()));
            if let Some(instants) = &c.instants {
                put_i64s(out, instants.iter().copied());
            }
            put_bitset(out, &c.empty);
        }
        Column::YesNo(c) => {
            out.push(YES_NO);
            for set in [&c.yes, &c.no, &c.empty] {
                put_bitset(out, set);
            }
        }
        Column::Lookup(c) => {
            out.push(LOOKUP);
            put_u32s(out, c.rows.iter().copied());
            let mut untargeted: Vec<(usize, RecordId)> = c.untargeted.iter().map(|(&row, &id)| (row, id)).collect();
            untargeted.sort_unstable();
            put_u64s(out, untargeted.iter().map(|&(row, _)| row as u64));
            put_i64s(out, untargeted.iter().map(|&(_, id)| id.0));
        }
        Column::Owner(c) => {
            out.push(OWNER);
            put_i64s(out, c.sellers.iter().map(|s| s.0));
            encode_codes(out, &c.codes);
        }
    }
}

/// Where a checked column's parts lie in the cache's bytes: building the column from
/// them ([`build_column`]) cannot fail.
pub(super) enum Parts {
    Text {
        dictionary: DictionaryParts,
        codes: CodeParts,
    },
    Number {
        values: Range<usize>,
        exact: Option<(u8, Range<usize>)>,
        off_cent: (Range<usize>, Range<usize>),
        money: bool,
        none: BitParts,
        empty: BitParts,
    },
    Temporal {
        days: Range<usize>,
        instants: Option<Range<usize>>,
        empty: BitParts,
    },
    YesNo {
        yes: BitParts,
        no: BitParts,
        empty: BitParts,
    },
    Lookup {
        target: Option<usize>,
        rows: Range<usize>,
        untargeted: (Range<usize>, Range<usize>),
    },
    Owner {
        sellers: Range<usize>,
        codes: CodeParts,
    },
}

pub(super) struct DictionaryParts {
    folded: Range<usize>,
    starts: Range<usize>,
    typed: Range<usize>,
    typed_at: Range<usize>,
    has_nul: bool,
}

/// Codes `width` bytes wide.
pub(super) struct CodeParts {
    width: u8,
    raw: Range<usize>,
}

/// A bitset of `len` bits.
pub(super) struct BitParts {
    len: usize,
    words: Range<usize>,
}

/// Checks a column of `kind` with `rows` rows (a lookup's `target` type has `target.1`
/// rows): every length, code and row a read of it indexes with.
fn parse_column(
    input: &mut Input<'_>,
    kind: FieldKind,
    rows: usize,
    (target, target_rows): (Option<usize>, usize),
) -> Result<Parts, DecodeError> {
    let tag = input.u8()?;
    let expected = match kind {
        FieldKind::Text | FieldKind::Choice => TEXT,
        FieldKind::WholeNumber | FieldKind::Decimal | FieldKind::Money => NUMBER,
        FieldKind::Date | FieldKind::DateTime => TEMPORAL,
        FieldKind::YesNo => YES_NO,
        FieldKind::Lookup => LOOKUP,
        FieldKind::Owner => OWNER,
    };
    if tag != expected {
        return bad("a column of another kind");
    }
    let length = |len: usize| if len == rows { Ok(()) } else { bad("a column of another length") };
    let parts = match tag {
        TEXT => {
            let (dictionary, entries) = parse_dictionary(input)?;
            let codes = input.codes(rows, CODE_FIRST as usize + entries)?;
            Parts::Text { dictionary, codes }
        }
        NUMBER => {
            let values = input.words_at(8)?;
            let exact = match input.u8()? {
                1 => {
                    let width = input.u8()?;
                    let raw = input.bytes_at()?;
                    let Some(len) = Ints::len_of(width, raw.len()) else { return bad("a number column's width") };
                    Some((width, raw, len))
                }
                _ => None,
            };
            if exact.is_some() != (kind != FieldKind::Decimal) {
                return bad("a number column of another kind");
            }
            match &exact {
                // Whole numbers and money keep no `f64` of their own.
                Some((_, _, len)) if values.is_empty() => length(*len)?,
                Some(_) => return bad("a number column of another kind"),
                None => length(values.len() / 8)?,
            }
            let off_rows = input.words_at(8)?;
            let off_values = input.words_at(8)?;
            if off_rows.len() != off_values.len() || words(input.bytes, &off_rows).any(|row| row >= rows as u64) {
                return bad("a money column's amounts off the cent");
            }
            Parts::Number {
                values,
                exact: exact.map(|(width, raw, _)| (width, raw)),
                off_cent: (off_rows, off_values),
                money: kind == FieldKind::Money,
                none: input.bits(rows)?,
                empty: input.bits(rows)?,
            }
        }
        TEMPORAL => {
            let days = input.words_at(4)?;
            length(days.len() / 4)?;
            let instants = if input.u8()? == 1 { Some(input.words_at(8)?) } else { None };
            if let Some(instants) = &instants {
                length(instants.len() / 8)?;
            }
            Parts::Temporal { days, instants, empty: input.bits(rows)? }
        }
        YES_NO => Parts::YesNo { yes: input.bits(rows)?, no: input.bits(rows)?, empty: input.bits(rows)? },
        LOOKUP => {
            let links = input.words_at(4)?;
            length(links.len() / 4)?;
            // A link points at a row its target type has.
            if quads(input.bytes, &links).any(|row| row < LINK_INVALID && row as usize >= target_rows) {
                return bad("a lookup's row");
            }
            let untargeted_rows = input.words_at(8)?;
            let untargeted_ids = input.words_at(8)?;
            if untargeted_rows.len() != untargeted_ids.len()
                || words(input.bytes, &untargeted_rows).any(|row| row >= rows as u64)
            {
                return bad("a lookup's ids");
            }
            Parts::Lookup { target, rows: links, untargeted: (untargeted_rows, untargeted_ids) }
        }
        _ => {
            let sellers = input.words_at(8)?;
            let distinct: std::collections::HashSet<u64> = words(input.bytes, &sellers).collect();
            if distinct.len() != sellers.len() / 8 {
                return bad("a seller twice");
            }
            let codes = input.codes(rows, CODE_FIRST as usize + distinct.len())?;
            Parts::Owner { sellers, codes }
        }
    };
    Ok(parts)
}

/// The column `parts` (checked by [`parse_column`] in these `bytes`) describe.
pub(super) fn build_column(bytes: &[u8], parts: &Parts) -> Column {
    let at = |range: &Range<usize>| bytes.get(range.clone()).unwrap_or_default();
    let bits = |parts: &BitParts| {
        Bitset::from_raw(words(bytes, &parts.words).collect(), parts.len).unwrap_or_else(|| Bitset::empty(parts.len))
    };
    let codes = |parts: &CodeParts| match parts.width {
        1 => Codes::U8(at(&parts.raw).to_vec()),
        2 => Codes::U16(pairs(bytes, &parts.raw).collect()),
        _ => Codes::U32(quads(bytes, &parts.raw).collect()),
    };
    match parts {
        Parts::Text { dictionary: d, codes: c } => {
            let dictionary = Dictionary {
                folded: at(&d.folded).to_vec(),
                starts: quads(bytes, &d.starts).collect(),
                typed: at(&d.typed).to_vec(),
                typed_at: quads(bytes, &d.typed_at).collect(),
                has_nul: d.has_nul,
                slots: Vec::new(),
            };
            Column::Text(TextColumn { dictionary, codes: codes(c) })
        }
        Parts::Number { values, exact, off_cent: (off_rows, off_values), money, none, empty } => {
            let off_cent: HashMap<usize, f64> = words(bytes, off_rows)
                .map(|row| row as usize)
                .zip(words(bytes, off_values).map(f64::from_bits))
                .collect();
            let mut off_cent_rows = Bitset::empty(none.len);
            for &row in off_cent.keys() {
                off_cent_rows.insert(row);
            }
            Column::Number(NumberColumn {
                values: words(bytes, values).map(f64::from_bits).collect(),
                exact: exact.as_ref().and_then(|(width, raw)| Ints::from_le_bytes(*width, at(raw))),
                off_cent,
                off_cent_rows,
                money: *money,
                none: bits(none),
                empty: bits(empty),
            })
        }
        Parts::Temporal { days, instants, empty } => Column::Temporal(TemporalColumn {
            days: quads(bytes, days).map(|d| d as i32).collect(),
            instants: instants.as_ref().map(|instants| words(bytes, instants).map(|i| i as i64).collect()),
            empty: bits(empty),
        }),
        Parts::YesNo { yes, no, empty } => {
            Column::YesNo(YesNoColumn { yes: bits(yes), no: bits(no), empty: bits(empty) })
        }
        Parts::Lookup { target, rows, untargeted: (untargeted_rows, untargeted_ids) } => Column::Lookup(LookupColumn {
            target: *target,
            rows: quads(bytes, rows).collect(),
            untargeted: words(bytes, untargeted_rows)
                .map(|row| row as usize)
                .zip(words(bytes, untargeted_ids).map(|id| RecordId(id as i64)))
                .collect(),
        }),
        Parts::Owner { sellers, codes: c } => {
            let sellers: Vec<SellerId> = words(bytes, sellers).map(|s| SellerId(s as i64)).collect();
            let index = sellers.iter().enumerate().map(|(i, &s)| (s, i as u32)).collect();
            Column::Owner(OwnerColumn { sellers, index, codes: codes(c) })
        }
    }
}

/// The little-endian `u64`s at `range` of `bytes`.
fn words<'b>(bytes: &'b [u8], range: &Range<usize>) -> impl Iterator<Item = u64> + 'b {
    let raw = bytes.get(range.clone()).unwrap_or_default();
    raw.chunks_exact(8).map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
}

/// The little-endian `u16`s at `range` of `bytes`.
fn pairs<'b>(bytes: &'b [u8], range: &Range<usize>) -> impl Iterator<Item = u16> + 'b {
    let raw = bytes.get(range.clone()).unwrap_or_default();
    raw.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

/// The little-endian `u32`s at `range` of `bytes`.
fn quads<'b>(bytes: &'b [u8], range: &Range<usize>) -> impl Iterator<Item = u32> + 'b {
    let raw = bytes.get(range.clone()).unwrap_or_default();
    raw.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn encode_dictionary(out: &mut Vec<u8>, dictionary: &Dictionary) {
    put_bytes(out, &dictionary.folded);
    put_u32s(out, dictionary.starts.iter().copied());
    put_bytes(out, &dictionary.typed);
    put_u32s(out, dictionary.typed_at.iter().copied());
    out.push(u8::from(dictionary.has_nul));
}

/// A dictionary's parts and its number of entries.
fn parse_dictionary(input: &mut Input<'_>) -> Result<(DictionaryParts, usize), DecodeError> {
    let folded_at = input.bytes_at()?;
    let starts_at = input.words_at(4)?;
    let typed_bytes_at = input.bytes_at()?;
    let typed_at = input.words_at(4)?;
    let has_nul = input.u8()? == 1;
    let bytes = input.bytes;
    let (folded, typed) = (&bytes[folded_at.clone()], &bytes[typed_bytes_at.clone()]);
    // Entry i is `folded[starts[i]..next - 1]` with a `\0` before it and after it.
    if folded.first() != Some(&0) || folded.last() != Some(&0) || typed_at.len() != starts_at.len() {
        return bad("a dictionary");
    }
    let mut previous = 0usize;
    for start in quads(bytes, &starts_at) {
        let start = start as usize;
        if start <= previous || start > folded.len() || folded[start - 1] != 0 {
            return bad("a dictionary");
        }
        previous = start;
    }
    for at in quads(bytes, &typed_at).filter(|&at| at != u32::MAX) {
        let at = at as usize;
        let len = typed.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        if len.is_none_or(|len| at + 4 + len > typed.len()) {
            return bad("a dictionary");
        }
    }
    let entries = starts_at.len() / 4;
    Ok((DictionaryParts { folded: folded_at, starts: starts_at, typed: typed_bytes_at, typed_at, has_nul }, entries))
}

fn encode_codes(out: &mut Vec<u8>, codes: &Codes) {
    match codes {
        Codes::U8(v) => {
            out.push(1);
            put_bytes(out, v);
        }
        Codes::U16(v) => {
            out.push(2);
            put_u64(out, v.len() as u64);
            out.extend(v.iter().flat_map(|c| c.to_le_bytes()));
        }
        Codes::U32(v) => {
            out.push(4);
            put_u32s(out, v.iter().copied());
        }
    }
}

fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u64(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_u64s(out: &mut Vec<u8>, values: impl ExactSizeIterator<Item = u64>) {
    put_u64(out, values.len() as u64);
    out.reserve(values.len() * 8);
    for value in values {
        out.extend_from_slice(&value.to_le_bytes());
    }
}

fn put_i64s(out: &mut Vec<u8>, values: impl ExactSizeIterator<Item = i64>) {
    put_u64s(out, values.map(|v| v as u64));
}

fn put_u32s(out: &mut Vec<u8>, values: impl ExactSizeIterator<Item = u32>) {
    put_u64(out, values.len() as u64);
    out.reserve(values.len() * 4);
    for value in values {
        out.extend_from_slice(&value.to_le_bytes());
    }
}

fn put_bitset(out: &mut Vec<u8>, set: &Bitset) {
    put_u64(out, set.len() as u64);
    put_u64s(out, set.words().iter().copied());
}

/// A cursor over the bytes being decoded; every read checks it stays inside them.
struct Input<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Input<'b> {
    fn take(&mut self, len: usize) -> Result<&'b [u8], DecodeError> {
        let end = self.at.checked_add(len).filter(|&end| end <= self.bytes.len());
        let Some(end) = end else { return bad("cut short") };
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }

    /// A count of elements that follow, each at least a byte: never more than is left.
    fn len(&mut self) -> Result<usize, DecodeError> {
        let len = self.number()?;
        if len > self.bytes.len() - self.at { bad("a length") } else { Ok(len) }
    }

    /// A number of rows or bits (checked by the caller).
    fn number(&mut self) -> Result<usize, DecodeError> {
        usize::try_from(self.u64()?).or_else(|_| bad("a number"))
    }

    fn bytes(&mut self) -> Result<&'b [u8], DecodeError> {
        let len = self.len()?;
        self.take(len)
    }

    /// Where the bytes preceded by their length lie.
    fn bytes_at(&mut self) -> Result<Range<usize>, DecodeError> {
        let len = self.len()?;
        let start = self.at;
        self.take(len)?;
        Ok(start..self.at)
    }

    /// Where the values, `size` bytes each, preceded by their count lie.
    fn words_at(&mut self, size: usize) -> Result<Range<usize>, DecodeError> {
        let len = self.len()?;
        let start = self.at;
        self.take(len.checked_mul(size).ok_or(DecodeError("a length".into()))?)?;
        Ok(start..self.at)
    }

    fn i64s(&mut self) -> Result<Vec<i64>, DecodeError> {
        let at = self.words_at(8)?;
        Ok(words(self.bytes, &at).map(|v| v as i64).collect())
    }

    /// A bitset of `rows` bits.
    fn bits(&mut self, rows: usize) -> Result<BitParts, DecodeError> {
        let len = self.number()?;
        let words_at = self.words_at(8)?;
        let last = words(self.bytes, &words_at).last();
        if len != rows || !Bitset::fits(words_at.len() / 8, last, len) {
            return bad("a set of another length");
        }
        Ok(BitParts { len, words: words_at })
    }

    fn bitset(&mut self, rows: usize) -> Result<Bitset, DecodeError> {
        let parts = self.bits(rows)?;
        Bitset::from_raw(words(self.bytes, &parts.words).collect(), parts.len).ok_or(DecodeError("a set".into()))
    }

    /// Codes of `rows` rows, each below `limit`.
    fn codes(&mut self, rows: usize, limit: usize) -> Result<CodeParts, DecodeError> {
        let width = self.u8()?;
        let raw = match width {
            1 => self.bytes_at()?,
            2 => self.words_at(2)?,
            4 => self.words_at(4)?,
            _ => return bad("codes"),
        };
        let bytes = &self.bytes[raw.clone()];
        let highest = match width {
            1 => bytes.iter().max().map(|&c| u32::from(c)),
            2 => pairs(self.bytes, &raw).max().map(u32::from),
            _ => quads(self.bytes, &raw).max(),
        };
        if raw.len() / usize::from(width) != rows || highest.is_some_and(|c| c as usize >= limit) {
            return bad("codes");
        }
        Ok(CodeParts { width, raw })
    }
}
