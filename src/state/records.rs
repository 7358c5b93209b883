//! The Records screen: the query, the ids and rows fetched for it, and the record form.

use std::collections::HashMap;

use super::Loadable;
use crate::domain::query::RecordQuery;
use crate::domain::{Record, RecordId, RecordTypeName};

/// The Records screen.
#[derive(Clone, Debug, Default)]
pub struct RecordsState {
    pub query: RecordQuery,
    /// The ids passing the filter, in the chosen order.
    pub ids: Loadable<Vec<RecordId>>,
    /// Rows fetched so far for the current query.
    pub rows: HashMap<RecordId, Record>,
    /// Titles of records that lookups point at, by type and id.
    pub titles: HashMap<(RecordTypeName, RecordId), String>,
    pub selected: Option<RecordId>,
    pub editor: Option<RecordEditor>,
}

/// The add / edit record form: one text input per field, parsed on every change.
#[derive(Clone, Debug)]
pub struct RecordEditor {
    pub record_type: RecordTypeName,
    /// `None` while adding a new record.
    pub id: Option<RecordId>,
    pub inputs: Vec<String>,
    /// A parse problem per field, shown under its input.
    pub problems: Vec<Option<String>>,
    /// Why the last save failed, if it did.
    pub save_error: Option<String>,
}

impl RecordEditor {
    pub fn has_problems(&self) -> bool {
        self.problems.iter().any(Option::is_some)
    }
}
