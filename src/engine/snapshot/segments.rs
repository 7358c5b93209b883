//! What segment conditions read besides the records: the definitions of the segments a
//! tree may name, and every segment's stored members as rows of its type. Neither is part
//! of the column cache: the engine worker sets both from the store after loading and keeps
//! them in step with every membership it writes; each change bumps the snapshot's version,
//! so nothing compiled or cached before it is used after it.

use std::collections::HashMap;

use super::Snapshot;
use crate::domain::{Definitions, RecordId, RecordTypeName, SegmentId};
use crate::engine::EngineError;
use crate::engine::bitset::Bitset;

#[derive(Debug, Default)]
pub(super) struct SegmentState {
    definitions: Definitions,
    /// Per type position, the rows of each segment's stored members.
    members: HashMap<usize, HashMap<SegmentId, Bitset>>,
}

impl Snapshot {
    /// The segments trees may name.
    pub fn definitions(&self) -> &Definitions {
        &self.segments.definitions
    }

    /// Sets the segments trees may name (a change bumps the version).
    pub fn set_definitions(&mut self, definitions: Definitions) {
        if self.segments.definitions != definitions {
            self.segments.definitions = definitions;
            self.bump();
        }
    }

    /// Sets the stored memberships of the records of `ty` (records the snapshot does not
    /// have are skipped): every member of a segment of the type, given as (record, segment).
    pub fn set_memberships(
        &mut self,
        ty: &RecordTypeName,
        pairs: impl IntoIterator<Item = (RecordId, SegmentId)>,
    ) -> Result<(), EngineError> {
        let t = self.type_position(ty)?;
        let records = &self.types[t];
        let rows = records.rows();
        let mut by_segment: HashMap<SegmentId, Bitset> = HashMap::new();
        for (record, segment) in pairs {
            if let Some(row) = records.row_of(record) {
                by_segment.entry(segment).or_insert_with(|| Bitset::empty(rows)).insert(row);
            }
        }
        self.set_member_rows(t, by_segment);
        Ok(())
    }

    /// Sets the members of the segments of type position `t` as rows (a change bumps the
    /// version).
    pub(crate) fn set_member_rows(&mut self, t: usize, by_segment: HashMap<SegmentId, Bitset>) {
        let before = self.segments.members.get(&t);
        let same = before.is_some_and(|before| {
            before.len() == by_segment.len()
                && by_segment.iter().all(|(id, rows)| before.get(id).is_some_and(|b| same_rows(b, rows)))
        }) || (before.is_none() && by_segment.is_empty());
        if !same {
            self.segments.members.insert(t, by_segment);
            self.bump();
        }
    }

    /// The rows of type position `t` whose record is stored as a member of `segment`,
    /// `rows` long.
    pub(crate) fn member_rows(&self, t: usize, segment: SegmentId, rows: usize) -> Bitset {
        match self.segments.members.get(&t).and_then(|m| m.get(&segment)) {
            Some(set) if set.len() == rows => set.clone(),
            Some(set) => Bitset::from_fn(rows, |row| row < set.len() && set.contains(row)),
            None => Bitset::empty(rows),
        }
    }
}

fn same_rows(a: &Bitset, b: &Bitset) -> bool {
    a.len() == b.len() && a.words() == b.words()
}
