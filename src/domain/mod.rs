//! The pure domain: record types and fields, values, the condition tree, segments,
//! sequences, sellers and teams, assignment rules and the choice of a seller (`assignment`),
//! membership and its priority rule (`membership`), segment
//! history (`history`), the lint of segment definitions (`lint`), the reference evaluator that defines what a condition
//! means (`eval`) and the validation of condition trees against the schema (`validate`).
//! Also the plain data the store and the workers hand to the screens: the Monitor's rows
//! (`monitor`), previews and impacts (`preview`), the overlap of segments (`overlap`), list queries (`query`).
//! No egui, no rusqlite, no threads, no IO.

pub mod assignment;
pub mod cadence;
pub mod condition;
pub mod condition_format;
pub mod describe;
pub mod edit;
pub mod eval;
pub mod explain;
pub mod format;
pub mod funnel;
pub mod history;
pub mod lint;
pub mod membership;
pub mod monitor;
pub mod number;
pub mod overlap;
pub mod people;
pub mod predicate;
pub mod preview;
pub mod quantity;
pub mod query;
pub mod schema;
pub mod segment;
pub mod segment_test;
pub mod sequence;
pub mod size;
pub mod timing;
pub mod validate;
pub mod value;

pub use condition::{
    Condition, DEFAULT_MAX_DEPTH, DateUnit, DateValue, FieldPath, Group, GroupMode, Node, NodeId, NodeIds, Operand,
    OperandKind, Operator, Quantifier, QuantifierKind, RelatedBlock, SegmentCondition, SegmentTest, operators_for,
};
pub use eval::{Dataset, EvalContext, MemoryDataset, matches};
pub use history::{SegmentChange, SegmentHistoryEntry, SegmentHistoryKind};
pub use membership::{
    EventKind, Impact, Joined, LifecyclePlan, Member, MembershipChange, MembershipChanges, MembershipEvent,
    MembershipReason, PlanError, Scope, SegmentEdit, SegmentRef,
};
pub use number::Number;
pub use people::{AttributeDefinition, Seller, SellerBulkChange, SellerUsage, Team, TimeOff, WorkPeriod};
pub use quantity::{Aggregate, AggregateTest};
pub use schema::{FieldDef, FieldKind, FieldName, RecordTypeDef, RecordTypeName, Schema};
pub use segment::{Segment, SegmentId, Sequence, SequenceId, SequenceOptions, Status, Step, StepKind};
pub use segment_test::{Definition, Definitions};
pub use validate::{Problem, ProblemKind, matches_everything, validate};
pub use value::{Record, RecordBatch, RecordId, SellerId, TeamId, Value, ValueView};
