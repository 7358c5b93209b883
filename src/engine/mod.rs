//! Fast evaluation: condition trees compiled against columnar snapshots of the records
//! ([`snapshot`], [`fast`]), evaluated into bitsets ([`bitset`]), and the priority
//! resolution the live preview and membership use ([`priority`]), and the memberships of
//! every record with the evaluation that decides what an action changes ([`membership`]),
//! how segments overlap ([`overlap`]) and the lint that needs their records ([`lint`]),
//! what each condition of a tree costs ([`funnel`]).
//!
//! The meaning of a tree is the reference evaluator's (`domain::eval`); a property test
//! (`tests/fast_engine.rs`) checks both give the same records. No egui, no rusqlite: the
//! store feeds snapshots with records, the worker runs previews off the UI thread.
//!
//! [`sql`] compiles the same trees to an SQL `WHERE` clause with bound parameters (the
//! store runs it); `tests/sql_differential.rs` checks it against the reference evaluator.

pub mod bitset;
pub mod cache;
pub mod fast;
pub mod funnel;
pub mod lint;
pub mod membership;
pub mod overlap;
pub mod placeable;
pub mod priority;
pub mod radix;
pub mod records;
pub mod snapshot;
pub mod sql;

pub use bitset::Bitset;
pub use fast::{Compiled, compile};
pub use membership::{Evaluated, MemberColumn, Memberships, evaluate_memberships};
pub use priority::{
    NO_SEGMENT, PreviewResult, SortKey, claims, first_matching, preview, preview_against, union, winners,
};
pub use snapshot::{Snapshot, TypeBuilder, TypeSnapshot};

use crate::domain::RecordTypeName;

/// Why the engine cannot do what was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("the workspace has no record type \"{0}\"")]
    UnknownType(RecordTypeName),
    #[error("the records were loaded for the time zone {snapshot}, not {context}")]
    TimeZoneMismatch { snapshot: String, context: String },
}
