//! The selected segment's panels: its preview, members, history and the record picker of
//! its conditions.

use std::collections::BTreeMap;

use super::{Loadable, MemberRow, PreviewOutcome};
use crate::domain::{RecordId, RecordTypeDef, RecordTypeName, SegmentId};

/// Members read per page for the Members tab.
pub const MEMBER_PAGE: u64 = 200;

/// The Members tab of the selected segment: pages of members read in the background.
#[derive(Clone, Debug, Default)]
pub struct MembersState {
    pub segment: Option<SegmentId>,
    /// Rows by position in the segment's member list (by record id).
    pub rows: BTreeMap<u64, MemberRow>,
    pub error: Option<String>,
}

/// The History tab of the selected segment.
#[derive(Clone, Debug, Default)]
pub struct HistoryState {
    pub segment: Option<SegmentId>,
    pub entries: Loadable<Vec<crate::domain::SegmentHistoryEntry>>,
}

/// A search for records to put in a condition.
#[derive(Clone, Debug)]
pub struct RecordPicker {
    pub node: crate::domain::NodeId,
    pub record_type: RecordTypeName,
    pub text: String,
    pub results: Loadable<Vec<(RecordId, String)>>,
}

/// The preview of the selected segment.
#[derive(Clone, Debug, Default)]
pub struct PreviewState {
    /// The segment the newest request was for.
    pub segment: Option<SegmentId>,
    pub result: Loadable<PreviewOutcome>,
    /// Why the shown result is not for the conditions on screen (they have problems).
    pub stale_because: Option<String>,
    /// The order of the listed records: a field and whether descending; newest first when
    /// not chosen.
    pub sort: Option<(crate::domain::FieldName, bool)>,
    /// The columns the user chose per record type (the title always shows).
    pub columns: BTreeMap<RecordTypeName, Vec<crate::domain::FieldName>>,
}

impl PreviewState {
    /// The columns shown for `def`: the chosen ones, or the next fields after the title and
    /// the creation date.
    pub fn columns_for(&self, def: &RecordTypeDef) -> Vec<crate::domain::FieldName> {
        if let Some(chosen) = self.columns.get(&def.name) {
            return chosen.clone();
        }
        let mut columns: Vec<_> =
            def.fields.iter().filter(|f| f.name != def.primary_field).take(2).map(|f| f.name.clone()).collect();
        if let Some(created) = def.field_by_str("created_on")
            && !columns.contains(&created.name)
        {
            columns.push(created.name.clone());
        }
        columns
    }
}
