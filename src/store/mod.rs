//! THE ONLY module that touches SQLite: opening, refusing and migrating workspace files,
//! the schema of record types, records, sellers and teams, segments and sequences.
//!
//! API CONTRACT (signatures fixed; bodies are being written — see ARCHITECTURE.md).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::domain::{
    FieldDef, Record, RecordId, RecordTypeDef, RecordTypeName, Schema, Segment, SegmentId, Seller, SellerId, Sequence,
    SequenceId, Team, TeamId, Value,
};

/// `PRAGMA application_id` of every workspace: "SGB1".
pub const APPLICATION_ID: i32 = 0x5347_4231;
/// `PRAGMA user_version` this build writes and the newest it can open.
pub const SCHEMA_VERSION: i32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}: no such file")]
    NotFound(PathBuf),
    #[error("{0}: a file already exists there")]
    AlreadyExists(PathBuf),
    #[error("{0}: not an SQLite database, so not a Segment Builder workspace")]
    NotSqlite(PathBuf),
    #[error(
        "{path}: an SQLite database of another application (application id {application_id:#x}), not a Segment Builder workspace"
    )]
    Foreign { path: PathBuf, application_id: i32 },
    #[error(
        "{path}: written by a newer version of Segment Builder (workspace version {found}, this version reads up to {supported}); update the app to open it"
    )]
    Newer { path: PathBuf, found: i32, supported: i32 },
    #[error("{path}: the workspace is damaged ({detail})")]
    Corrupt { path: PathBuf, detail: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{context}: {source}")]
    Sqlite { context: String, source: rusqlite::Error },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How the Records screen asks for rows: a case-insensitive text filter over the text-like
/// fields, and a sort. Ties (and no sort) order by id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordQuery {
    pub filter: String,
    pub sort: Option<(crate::domain::FieldName, SortDirection)>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortDirection {
    #[default]
    Ascending,
    Descending,
}

pub struct Workspace {
    _private: (),
}

#[allow(unused_variables)]
impl Workspace {
    pub fn create(path: &Path) -> Result<Self> {
        todo!()
    }
    pub fn open(path: &Path) -> Result<Self> {
        todo!()
    }
    pub fn open_reader(path: &Path) -> Result<Self> {
        todo!()
    }
    pub fn in_memory() -> Result<Self> {
        todo!()
    }
    pub fn path(&self) -> Option<&Path> {
        todo!()
    }
    pub fn schema(&self) -> &Schema {
        todo!()
    }
    pub fn time_zone(&self) -> &str {
        todo!()
    }
    pub fn set_time_zone(&mut self, tz: &str) -> Result<()> {
        todo!()
    }
    pub fn add_record_type(&mut self, def: RecordTypeDef) -> Result<()> {
        todo!()
    }
    pub fn add_field(&mut self, ty: &RecordTypeName, field: FieldDef) -> Result<()> {
        todo!()
    }
    pub fn insert_record(&mut self, ty: &RecordTypeName, values: Vec<Value>) -> Result<RecordId> {
        todo!()
    }
    pub fn insert_records(
        &mut self,
        ty: &RecordTypeName,
        rows: &mut dyn Iterator<Item = Vec<Value>>,
        progress: &mut dyn FnMut(u64) -> bool,
    ) -> Result<u64> {
        todo!()
    }
    pub fn update_record(&mut self, ty: &RecordTypeName, record: &Record) -> Result<()> {
        todo!()
    }
    pub fn delete_record(&mut self, ty: &RecordTypeName, id: RecordId) -> Result<()> {
        todo!()
    }
    pub fn record(&self, ty: &RecordTypeName, id: RecordId) -> Result<Option<Record>> {
        todo!()
    }
    pub fn records_by_id(&self, ty: &RecordTypeName, ids: &[RecordId]) -> Result<Vec<Record>> {
        todo!()
    }
    pub fn all_records(&self, ty: &RecordTypeName) -> Result<Vec<Record>> {
        todo!()
    }
    pub fn count_records(&self, ty: &RecordTypeName) -> Result<u64> {
        todo!()
    }
    pub fn query_record_ids(&self, ty: &RecordTypeName, query: &RecordQuery) -> Result<Vec<RecordId>> {
        todo!()
    }
    pub fn record_titles(&self, ty: &RecordTypeName, ids: &[RecordId]) -> Result<HashMap<RecordId, String>> {
        todo!()
    }
    pub fn insert_seller(&mut self, seller: &Seller) -> Result<SellerId> {
        todo!()
    }
    pub fn sellers(&self) -> Result<Vec<Seller>> {
        todo!()
    }
    pub fn insert_team(&mut self, team: &Team) -> Result<TeamId> {
        todo!()
    }
    pub fn teams(&self) -> Result<Vec<Team>> {
        todo!()
    }
    pub fn insert_segment(&mut self, segment: &Segment) -> Result<SegmentId> {
        todo!()
    }
    pub fn update_segment(&mut self, segment: &Segment) -> Result<()> {
        todo!()
    }
    pub fn segments(&self, ty: &RecordTypeName) -> Result<Vec<Segment>> {
        todo!()
    }
    pub fn reorder_segments(&mut self, ty: &RecordTypeName, order: &[SegmentId]) -> Result<()> {
        todo!()
    }
    pub fn member_counts(&self, ty: &RecordTypeName) -> Result<HashMap<SegmentId, u64>> {
        todo!()
    }
    pub fn insert_sequence(&mut self, sequence: &Sequence) -> Result<SequenceId> {
        todo!()
    }
    pub fn sequences(&self, ty: &RecordTypeName) -> Result<Vec<Sequence>> {
        todo!()
    }
}
