//! The columns of a [`Snapshot`] as bytes and back, for the column cache
//! (`engine::cache`). Little-endian, every vector preceded by its length, and every column
//! by its length in bytes, so the columns of every type are read back in parallel; teams,
//! sort orders and interning tables are not kept (teams are read from the workspace, the
//! others are rebuilt on demand).
//!
//! Decoding checks everything a later read indexes with (lengths, codes, lookup rows,
//! dictionary offsets) against the schema it is given, so bytes that pass the cache's
//! checksum but do not fit (a bug, a hand-made file) are refused, never a panic.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use rayon::prelude::*;

use super::column::{
    CODE_FIRST, Codes, Column, LINK_INVALID, LookupColumn, NumberColumn, OwnerColumn, TemporalColumn, TextColumn,
    YesNoColumn,
};
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
            for column in &ty.columns {
                let at = out.len();
                put_u64(out, 0);
                encode_column(out, column);
                let len = (out.len() - at - 8) as u64;
                out[at..at + 8].copy_from_slice(&len.to_le_bytes());
            }
        }
    }

    /// The snapshot [`Snapshot::encode_columns`] wrote, for `schema` and `time_zone` (the
    /// ones it was built for: the caller checks that), with `teams`.
    pub fn decode_columns(
        schema: &Schema,
        time_zone: TimeZone,
        bytes: &[u8],
        teams: impl IntoIterator<Item = (TeamId, Vec<SellerId>)>,
    ) -> Result<Self, DecodeError> {
        let mut input = Input { bytes, at: 0 };
        let count = input.len()?;
        if count != schema.types.len() {
            return bad("another number of record types");
        }
        let mut types = Vec::with_capacity(count);
        for def in &schema.types {
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
            let mut columns = Vec::with_capacity(def.fields.len());
            for field in &def.fields {
                let target = field.lookup_target.as_ref().and_then(|t| schema.types.iter().position(|d| &d.name == t));
                columns.push((input.bytes()?, field.kind, target, rows));
            }
            types.push((
                TypeSnapshot {
                    name: def.name.clone(),
                    index,
                    live,
                    columns: Vec::new(),
                    sort_cache: SortCache::default(),
                },
                columns,
            ));
        }
        if input.at != bytes.len() {
            return bad("bytes after the last column");
        }
        // Every column of every type at once: the bulk of the work.
        let encoded: Vec<_> = types.iter().flat_map(|(_, columns)| columns.iter().copied()).collect();
        let mut decoded = encoded
            .into_par_iter()
            .map(|(bytes, kind, target, rows)| {
                let mut input = Input { bytes, at: 0 };
                let column = decode_column(&mut input, kind, target, rows)?;
                if input.at == bytes.len() { Ok(column) } else { bad("bytes after a column") }
            })
            .collect::<Result<Vec<Column>, DecodeError>>()?
            .into_iter();
        let types: Vec<TypeSnapshot> = types
            .into_iter()
            .map(|(mut ty, columns)| {
                ty.columns = decoded.by_ref().take(columns.len()).collect();
                ty
            })
            .collect();
        check_lookups(schema, &types)?;
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

/// Lookup columns point at rows their target type has.
fn check_lookups(schema: &Schema, types: &[TypeSnapshot]) -> Result<(), DecodeError> {
    for (def, ty) in schema.types.iter().zip(types) {
        for (field, column) in def.fields.iter().zip(&ty.columns) {
            let Column::Lookup(c) = column else { continue };
            let target_rows = c.target.and_then(|t| types.get(t)).map_or(0, TypeSnapshot::rows);
            if c.rows.iter().any(|&row| row < LINK_INVALID && row as usize >= target_rows) {
                return bad(format!("a row of {}.{}", def.name, field.name));
            }
            if c.untargeted.keys().any(|&row| row >= ty.rows()) {
                return bad(format!("a row of {}.{}", def.name, field.name));
            }
        }
    }
    Ok(())
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

fn decode_column(
    input: &mut Input<'_>,
    kind: FieldKind,
    target: Option<usize>,
    rows: usize,
) -> Result<Column, DecodeError> {
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
    let column = match tag {
        TEXT => {
            let dictionary = decode_dictionary(input)?;
            let codes = decode_codes(input, rows, CODE_FIRST as usize + dictionary.len())?;
            Column::Text(TextColumn { dictionary, codes })
        }
        NUMBER => {
            let values: Vec<f64> = input.u64s()?.into_iter().map(f64::from_bits).collect();
            let exact = match input.u8()? {
                1 => {
                    let width = input.u8()?;
                    Some(
                        Ints::from_le_bytes(width, input.bytes()?)
                            .ok_or(DecodeError("a number column's width".into()))?,
                    )
                }
                _ => None,
            };
            if exact.is_some() != (kind != FieldKind::Decimal) {
                return bad("a number column of another kind");
            }
            match &exact {
                // Whole numbers and money keep no `f64` of their own.
                Some(exact) if values.is_empty() => length(exact.len())?,
                Some(_) => return bad("a number column of another kind"),
                None => length(values.len())?,
            }
            let off_rows = input.u64s()?;
            let off_values = input.u64s()?;
            if off_rows.len() != off_values.len() || off_rows.iter().any(|&row| row >= rows as u64) {
                return bad("a money column's amounts off the cent");
            }
            let off_cent: HashMap<usize, f64> =
                off_rows.into_iter().map(|r| r as usize).zip(off_values.into_iter().map(f64::from_bits)).collect();
            let mut off_cent_rows = Bitset::empty(rows);
            for &row in off_cent.keys() {
                off_cent_rows.insert(row);
            }
            Column::Number(NumberColumn {
                values,
                exact,
                off_cent,
                off_cent_rows,
                money: kind == FieldKind::Money,
                none: input.bitset(rows)?,
                empty: input.bitset(rows)?,
            })
        }
        TEMPORAL => {
            let days: Vec<i32> = input.u32s()?.into_iter().map(|d| d as i32).collect();
            length(days.len())?;
            let instants = if input.u8()? == 1 { Some(input.i64s()?) } else { None };
            if let Some(instants) = &instants {
                length(instants.len())?;
            }
            Column::Temporal(TemporalColumn { days, instants, empty: input.bitset(rows)? })
        }
        YES_NO => {
            Column::YesNo(YesNoColumn { yes: input.bitset(rows)?, no: input.bitset(rows)?, empty: input.bitset(rows)? })
        }
        LOOKUP => {
            let link_rows = input.u32s()?;
            length(link_rows.len())?;
            let untargeted_rows = input.u64s()?;
            let untargeted_ids = input.i64s()?;
            if untargeted_rows.len() != untargeted_ids.len() {
                return bad("a lookup's ids");
            }
            let untargeted =
                untargeted_rows.into_iter().map(|r| r as usize).zip(untargeted_ids.into_iter().map(RecordId));
            Column::Lookup(LookupColumn { target, rows: link_rows, untargeted: untargeted.collect() })
        }
        _ => {
            let sellers: Vec<SellerId> = input.i64s()?.into_iter().map(SellerId).collect();
            let index: HashMap<SellerId, u32> = sellers.iter().enumerate().map(|(i, &s)| (s, i as u32)).collect();
            if index.len() != sellers.len() {
                return bad("a seller twice");
            }
            let codes = decode_codes(input, rows, CODE_FIRST as usize + sellers.len())?;
            Column::Owner(OwnerColumn { sellers, index, codes })
        }
    };
    Ok(column)
}

fn encode_dictionary(out: &mut Vec<u8>, dictionary: &Dictionary) {
    put_bytes(out, &dictionary.folded);
    put_u32s(out, dictionary.starts.iter().copied());
    put_bytes(out, &dictionary.typed);
    put_u32s(out, dictionary.typed_at.iter().copied());
    out.push(u8::from(dictionary.has_nul));
}

fn decode_dictionary(input: &mut Input<'_>) -> Result<Dictionary, DecodeError> {
    let folded = input.bytes()?.to_vec();
    let starts = input.u32s()?;
    let typed = input.bytes()?.to_vec();
    let typed_at = input.u32s()?;
    let has_nul = input.u8()? == 1;
    // Entry i is `folded[starts[i]..next - 1]` with a `\0` before it and after it.
    if folded.first() != Some(&0) || folded.last() != Some(&0) || typed_at.len() != starts.len() {
        return bad("a dictionary");
    }
    let mut previous = 0usize;
    for &start in &starts {
        let start = start as usize;
        if start <= previous || start > folded.len() || folded[start - 1] != 0 {
            return bad("a dictionary");
        }
        previous = start;
    }
    for &at in typed_at.iter().filter(|&&at| at != u32::MAX) {
        let at = at as usize;
        let len = typed.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        if len.is_none_or(|len| at + 4 + len > typed.len()) {
            return bad("a dictionary");
        }
    }
    Ok(Dictionary { folded, starts, typed, typed_at, has_nul, slots: Vec::new() })
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

/// Codes of `rows` rows, each below `limit`.
fn decode_codes(input: &mut Input<'_>, rows: usize, limit: usize) -> Result<Codes, DecodeError> {
    let codes = match input.u8()? {
        1 => Codes::U8(input.bytes()?.to_vec()),
        2 => {
            let len = input.len()?;
            let raw = input.take(len.checked_mul(2).ok_or(DecodeError("a length".into()))?)?;
            Codes::U16(raw.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect())
        }
        4 => Codes::U32(input.u32s()?),
        _ => return bad("codes"),
    };
    let highest = match &codes {
        Codes::U8(v) => v.iter().max().map(|&c| u32::from(c)),
        Codes::U16(v) => v.iter().max().map(|&c| u32::from(c)),
        Codes::U32(v) => v.iter().max().copied(),
    };
    if codes.len() != rows || highest.is_some_and(|c| c as usize >= limit) {
        return bad("codes");
    }
    Ok(codes)
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

    fn u64s(&mut self) -> Result<Vec<u64>, DecodeError> {
        let len = self.len()?;
        let raw = self.take(len.checked_mul(8).ok_or(DecodeError("a length".into()))?)?;
        Ok(raw.chunks_exact(8).map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])).collect())
    }

    fn i64s(&mut self) -> Result<Vec<i64>, DecodeError> {
        Ok(self.u64s()?.into_iter().map(|v| v as i64).collect())
    }

    fn u32s(&mut self) -> Result<Vec<u32>, DecodeError> {
        let len = self.len()?;
        let raw = self.take(len.checked_mul(4).ok_or(DecodeError("a length".into()))?)?;
        Ok(raw.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
    }

    fn bitset(&mut self, rows: usize) -> Result<Bitset, DecodeError> {
        let len = self.number()?;
        let words = self.u64s()?;
        if len != rows {
            return bad("a set of another length");
        }
        Bitset::from_raw(words, len).ok_or(DecodeError("a set".into()))
    }
}
