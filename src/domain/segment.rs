//! Segments and sequences.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::condition::Group;
use super::schema::RecordTypeName;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SegmentId(pub i64);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SequenceId(pub i64);

/// Draft → Active ⇄ Inactive. Shared by segments and sequences.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    Draft,
    Active,
    Inactive,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Draft, Status::Active, Status::Inactive];

    /// The stable key stored in the workspace.
    pub fn key(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Active => "active",
            Status::Inactive => "inactive",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The lifecycle: Draft → Active ⇄ Inactive. Staying the same is not a change.
    pub fn can_become(self, next: Status) -> bool {
        matches!((self, next), (Status::Draft | Status::Inactive, Status::Active) | (Status::Active, Status::Inactive))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Draft => "Draft",
            Status::Active => "Active",
            Status::Inactive => "Inactive",
        })
    }
}

/// The most characters a segment (or sequence) name may have.
pub const NAME_MAX_CHARS: usize = 100;
/// The most characters a description may have.
pub const DESCRIPTION_MAX_CHARS: usize = 2_000;

/// A group of records of one type, defined by conditions, in a priority order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub id: SegmentId,
    pub record_type: RecordTypeName,
    pub name: String,
    pub description: String,
    pub status: Status,
    /// 0 is the highest priority; unique per record type.
    pub priority: u32,
    pub conditions: Group,
    /// "Accept records from other segments": a member of a lower segment moves here.
    pub accept_from_other_segments: bool,
    /// Re-run assignment when a record moves in (only with `accept_from_other_segments`).
    pub rerun_assignment_on_move: bool,
    pub sequence: Option<SequenceId>,
    pub created_on: Timestamp,
    pub modified_on: Timestamp,
}

/// What a sequence step asks the seller to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StepKind {
    ManualEmail,
    AutomatedEmail,
    PhoneCall,
    Task,
    TextMessage,
    Wait,
}

impl StepKind {
    pub const ALL: [StepKind; 6] = [
        StepKind::ManualEmail,
        StepKind::AutomatedEmail,
        StepKind::PhoneCall,
        StepKind::Task,
        StepKind::TextMessage,
        StepKind::Wait,
    ];

    pub fn key(self) -> &'static str {
        match self {
            StepKind::ManualEmail => "manual_email",
            StepKind::AutomatedEmail => "automated_email",
            StepKind::PhoneCall => "phone_call",
            StepKind::Task => "task",
            StepKind::TextMessage => "text_message",
            StepKind::Wait => "wait",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StepKind::ManualEmail => "Manual email",
            StepKind::AutomatedEmail => "Automated email",
            StepKind::PhoneCall => "Phone call",
            StepKind::Task => "Task",
            StepKind::TextMessage => "Text message",
            StepKind::Wait => "Wait",
        })
    }
}

/// One step of a sequence. `wait_minutes` is set for `Wait` steps only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub kind: StepKind,
    pub name: String,
    pub description: String,
    pub wait_minutes: Option<u32>,
}

/// A cadence of seller activities that records joining a connected segment are enrolled in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sequence {
    pub id: SequenceId,
    pub record_type: RecordTypeName,
    pub name: String,
    pub description: String,
    pub status: Status,
    pub steps: Vec<Step>,
    /// How its enrolments run (waits, leaving the segment).
    #[serde(default)]
    pub options: SequenceOptions,
    pub created_on: Timestamp,
    pub modified_on: Timestamp,
}

/// How a sequence's enrolments run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceOptions {
    /// Waits count the owner's working hours (and skip their time off) instead of calendar
    /// time in the owner's time zone.
    pub working_hours: bool,
    /// A record leaving the segment it was enrolled from ends its enrolment ("left the
    /// segment"); otherwise it keeps running.
    pub stop_when_leaving: bool,
}
