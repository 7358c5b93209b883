//! THE ONLY module that touches SQLite: opening, refusing and migrating workspace files,
//! the schema of record types, records, sellers and teams, segments and sequences.
//!
//! The public API is [`Workspace`]; its methods live in the submodules by topic:
//!
//! - `open`: create / open / refuse files, connection settings, the SQL functions `sb_fold`
//!   and `sb_regexp`;
//! - `migrate`: the `PRAGMA user_version` migration list and the table definitions;
//! - `schema`: loading the schema from its metadata tables, custom types and fields, the time zone;
//! - `settings`: the workspace settings (time zone, evaluation interval, nesting limit);
//! - `records`: records of every record type (one table per type, one column per field);
//! - `import`: the rows of an imported file, written in one transaction;
//! - `people`: sellers, teams and seller attribute definitions;
//! - `segments`: segments (priority order, conditions as RON), member counts and sequences;
//! - `lifecycle`: activate / deactivate / delete segments, their options, segment history;
//! - `membership`: memberships and their history, written in one transaction per apply;
//! - `assignment`: segments' assignment rules, the sellers' ledger, and the assignment of
//!   joining records (run by the apply, in its transaction) and by hand;
//! - `sequences`: saving, copying, activating sequences, connecting them to segments, and
//!   the enrolments the apply writes for joining records (in its transaction);
//! - `monitor`: the Monitor's lists, "Run now" and the explanation of an assignment;
//! - `simulate`: the distribution simulator (the assignment path over a copy of the ledger,
//!   nothing written);
//! - `routing`: each segment's fallback chain after its rules (version 9);
//! - `cache_log`: the workspace's identity (version 7) and the records changed since a
//!   point of the change log, for the column cache;
//! - `pending`: the marks of imported records still to evaluate (written with the import,
//!   cleared with the evaluation);
//! - `held`: the workspace files this process holds open, so none is opened twice with `std::fs`;
//! - `query`: the records a compiled condition tree (`engine::sql`) selects.
//!
//! Values are always bound parameters; identifiers come only from the validated schema and
//! are always double-quoted ([`quote`]).
//!
//! Every write runs in a `WriteScope` (`write`): an SQLite savepoint, a transaction at the
//! top level, so [`Workspace::atomically`] composes store writes into one all-or-nothing
//! change and, on error, rolls back and reloads the cached schema. The outermost scope
//! begins IMMEDIATE (a deferred read-then-write gets a BUSY no busy timeout retries);
//! writers wait up to 60 s for each other, a watching connection at most 250 ms
//! (`StoreError::Busy`), and it refuses a write over a change it has not seen
//! (`StoreError::Stale`). Other programs' changes are found through the `change_log`
//! table its triggers fill and `PRAGMA data_version` (`changes`).
//!
//! Tables by version: 2 added `membership` (one row per record in a segment),
//! `membership_history` and `segment_history`; 3 the assignment tables; 4 `enrolment`; 5
//! `change_log` and `pending_evaluation`. History rows name segments, rules and sellers by
//! id without foreign keys, so they outlive what they name.

mod assign;
mod assignment;
mod assignment_write;
mod cache_log;
mod changes;
mod definitions;
mod explain;
mod held;
mod import;
mod lifecycle;
mod membership;
mod migrate;
mod monitor;
mod mounts;
mod open;
mod pending;
mod people;
mod query;
mod receipt;
mod records;
mod routing;
mod schema;
mod segments;
mod sequences;
mod settings;
mod simulate;
mod touched;
mod worklist;
mod write;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use crate::domain::assignment::simulate::SimulationRequest;
pub use crate::domain::query::{RecordQuery, SortDirection};
pub use assignment::{AssignmentFilter, AssignmentRow, RULE_FORMAT_VERSION, reason_key};
pub use cache_log::{LogPosition, LoggedChanges};
pub use changes::{OtherChanges, STALE_MESSAGE, writer_token};
pub use definitions::AllDefinitions;
pub use held::{is_held_workspace, is_same_file};
pub use import::{ImportSummary, OnExisting, WrittenRecord};
pub use lifecycle::SegmentOptions;
pub use membership::{APPLY_PROGRESS_EVERY, ApplyOutcome};
pub use monitor::{
    CandidateLine, Explanation, MonitorLists, Narrowing, ProcessedRecord, RuleLine, RunOutcome, UnassignedMember,
};
pub use mounts::{network_filesystem, network_share_warning};
pub use open::{create_private_dir, log_bytes};
pub use pending::{PendingEvaluation, PendingMarks};
pub use receipt::{Checked, DigestBeside, receipt_path};
pub use sequences::{EnrolmentCounts, EnrolmentRow};
pub use touched::LOGGED_PER_TRANSACTION;

use crate::domain::{RecordTypeDef, RecordTypeName, Schema};

/// `PRAGMA application_id` of every workspace: "SGB1".
pub const APPLICATION_ID: i32 = 0x5347_4231;
/// `PRAGMA user_version` this build writes and the newest it can open.
pub const SCHEMA_VERSION: i32 = 11;

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
    /// Another program holds the workspace's write lock longer than the busy timeout.
    #[error("{context}: the workspace is busy, another program is writing to it; try again in a moment")]
    Busy { context: String },
    /// A watching workspace refused to write over another program's change it has not
    /// taken yet (see `Workspace::watch_other_writers`).
    #[error("{}", changes::STALE_MESSAGE)]
    Stale,
    /// The user cancelled a change while it ran: returned from inside
    /// [`Workspace::atomically`] so that nothing of it, not even an empty commit, is written.
    #[error("cancelled")]
    Cancelled,
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The file or its folder cannot be written: the workspace was opened for viewing
    /// ([`Workspace::read_only_reason`]) and every change is refused with this.
    #[error("{0} is read-only (the folder or file cannot be written): opened for viewing; changes cannot be saved")]
    ReadOnly(PathBuf),
    /// SQLite ran out of disk space (`SQLITE_FULL`): the transaction was rolled back.
    #[error("{}disk full — nothing was saved; free some space and try again", shown_prefix(.path.as_deref()))]
    DiskFull { path: Option<PathBuf> },
}

/// "PATH: " before a message, or nothing when the path is not known where the error arose.
fn shown_prefix(path: Option<&Path>) -> String {
    path.map(|p| format!("{}: ", p.display())).unwrap_or_default()
}

impl StoreError {
    /// The error with `path` named, where it does not name the workspace yet.
    #[must_use]
    pub fn in_workspace(self, path: &Path) -> Self {
        match self {
            StoreError::DiskFull { path: None } => StoreError::DiskFull { path: Some(path.to_owned()) },
            StoreError::Sqlite { source, .. } if source.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) => {
                StoreError::DiskFull { path: Some(path.to_owned()) }
            }
            other => other,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open workspace file (or an in-memory one): one SQLite connection and the schema
/// loaded from it. A reader ([`Workspace::open_reader`]) refuses every change.
pub struct Workspace {
    conn: Connection,
    path: Option<PathBuf>,
    schema: Schema,
    time_zone: String,
    writable: bool,
    /// Opened for viewing because the file or its folder cannot be written (see
    /// [`Workspace::read_only_reason`]).
    read_only: bool,
    /// Watching other writers (off unless asked for).
    watch: changes::Watch,
    /// Inside [`Workspace::atomically`] (see `write`).
    atomic: std::sync::Arc<write::Atomic>,
    /// This process's registration of the file (see `held`): LAST, so it is released only
    /// after the connection has closed.
    #[allow(dead_code)]
    held: Option<held::Held>,
}

impl Workspace {
    /// The file, or `None` for an in-memory workspace.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The record types and their fields, as last loaded or changed through this workspace.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The workspace's IANA time zone ("UTC" in a new workspace); relative dates use it.
    pub fn time_zone(&self) -> &str {
        &self.time_zone
    }

    /// The path shown in errors: the file, or `:memory:`.
    fn shown_path(&self) -> PathBuf {
        self.path.clone().unwrap_or_else(|| PathBuf::from(":memory:"))
    }

    fn corrupt(&self, detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt { path: self.shown_path(), detail: detail.into() }
    }

    /// Why this workspace was opened for viewing only (its file or folder cannot be
    /// written), as the message every change is refused with; `None` when it can be changed.
    pub fn read_only_reason(&self) -> Option<String> {
        self.read_only.then(|| StoreError::ReadOnly(self.shown_path()).to_string())
    }

    /// Refuses changes through a reader connection.
    fn check_writable(&self) -> Result<()> {
        if self.read_only {
            Err(StoreError::ReadOnly(self.shown_path()))
        } else if self.writable {
            self.check_fresh()
        } else {
            Err(StoreError::Invalid(format!(
                "{}: this connection is read-only; changes go through the workspace opened for writing",
                self.shown_path().display()
            )))
        }
    }

    /// The definition of a record type, or `Invalid` naming the unknown type.
    fn type_def(&self, ty: &RecordTypeName) -> Result<&RecordTypeDef> {
        self.schema.get(ty).ok_or_else(|| StoreError::Invalid(format!("there is no record type \"{ty}\"")))
    }
}

/// Quotes an SQL identifier. Identifiers come from the validated schema only; quoting (and
/// doubling any `"`) keeps them identifiers whatever they are.
pub(crate) fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Begins a read transaction on `conn` and reads, which is when it takes its snapshot; on
/// an error no transaction is left open.
fn begin_read(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN")?;
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(())).inspect_err(|_| {
        // Ending a transaction that only read loses nothing.
        conn.execute_batch("COMMIT").ok();
    })
}

/// Adds "what was being done" to rusqlite errors.
trait SqlContext<T> {
    fn context(self, what: &str) -> Result<T>;
    fn with_context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> SqlContext<T> for rusqlite::Result<T> {
    fn context(self, what: &str) -> Result<T> {
        self.map_err(|source| sqlite_error(what.to_owned(), source))
    }

    fn with_context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| sqlite_error(what(), source))
    }
}

/// An SQLite error with what was being done; a lock held too long by another program is
/// [`StoreError::Busy`].
fn sqlite_error(context: String, source: rusqlite::Error) -> StoreError {
    match source.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy) => StoreError::Busy { context },
        Some(rusqlite::ErrorCode::DiskFull) => StoreError::DiskFull { path: None },
        _ => StoreError::Sqlite { context, source },
    }
}

/// Whether an SQLite error is a foreign key violation (a lookup to a missing record…).
fn is_foreign_key_error(error: &rusqlite::Error) -> bool {
    error.sqlite_error().is_some_and(|e| e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
}

/// Whether an SQLite error is a UNIQUE / PRIMARY KEY violation.
fn is_unique_error(error: &rusqlite::Error) -> bool {
    error.sqlite_error().is_some_and(|e| {
        e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    })
}
