//! Sequences beyond their shape (`segment::Sequence`): the validation of a sequence and its
//! steps, and enrolments — a record running a sequence because it joined a segment.
//!
//! A sequence is valid when it has a name (at most [`NAME_MAX_CHARS`] characters), a
//! description of at most [`DESCRIPTION_MAX_CHARS`], at least one step, and every step has a
//! name; a wait step waits between [`WAIT_MIN_MINUTES`] and [`WAIT_MAX_MINUTES`] and is
//! never the last step; only wait steps have a wait.

use std::fmt;

use jiff::Timestamp;

use super::schema::RecordTypeName;
use super::segment::{DESCRIPTION_MAX_CHARS, NAME_MAX_CHARS, SegmentId, Sequence, SequenceId, Step, StepKind};
use super::value::{RecordId, SellerId};

/// The shortest wait: one minute.
pub const WAIT_MIN_MINUTES: u32 = 1;
/// The longest wait: 30 days.
pub const WAIT_MAX_MINUTES: u32 = 30 * 24 * 60;

/// One problem of a sequence; `step` is the index of the step it is about (`None`: the
/// sequence itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequenceProblem {
    pub step: Option<usize>,
    pub kind: SequenceProblemKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SequenceProblemKind {
    NameRequired,
    NameTooLong {
        chars: usize,
    },
    DescriptionTooLong {
        chars: usize,
    },
    NoSteps,
    StepNameRequired,
    StepNameTooLong {
        chars: usize,
    },
    StepDescriptionTooLong {
        chars: usize,
    },
    /// A wait step without a wait time.
    WaitMissing,
    /// A step that is not a wait but has a wait time.
    WaitOnOtherKind {
        kind: StepKind,
    },
    WaitTooShort,
    WaitTooLong {
        minutes: u32,
    },
    WaitLast,
}

impl fmt::Display for SequenceProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NameRequired => f.write_str("Give the sequence a name"),
            Self::NameTooLong { chars } => {
                write!(f, "The name has {chars} characters; at most {NAME_MAX_CHARS} are allowed")
            }
            Self::DescriptionTooLong { chars } => {
                write!(f, "The description has {chars} characters; at most {DESCRIPTION_MAX_CHARS} are allowed")
            }
            Self::NoSteps => f.write_str("Add at least one step"),
            Self::StepNameRequired => f.write_str("Give the step a name"),
            Self::StepNameTooLong { chars } => {
                write!(f, "The step name has {chars} characters; at most {NAME_MAX_CHARS} are allowed")
            }
            Self::StepDescriptionTooLong { chars } => {
                write!(f, "The step description has {chars} characters; at most {DESCRIPTION_MAX_CHARS} are allowed")
            }
            Self::WaitMissing => f.write_str("A wait step needs a wait time"),
            Self::WaitOnOtherKind { kind } => write!(f, "A {} step has no wait time", kind.to_string().to_lowercase()),
            Self::WaitTooShort => f.write_str("Wait at least one minute"),
            Self::WaitTooLong { minutes } => {
                write!(f, "Wait for at most 30 days (this waits {})", wait_text(*minutes))
            }
            Self::WaitLast => f.write_str("A wait cannot be the last step; add a step after it"),
        }
    }
}

impl fmt::Display for SequenceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Some(step) => write!(f, "Step {}: {}", step + 1, self.kind),
            None => self.kind.fmt(f),
        }
    }
}

/// Every problem of `sequence`: the sequence's own first, then each step's in order.
pub fn validate_sequence(sequence: &Sequence) -> Vec<SequenceProblem> {
    let mut problems = Vec::new();
    let mut add = |step: Option<usize>, kind| problems.push(SequenceProblem { step, kind });
    if sequence.name.trim().is_empty() {
        add(None, SequenceProblemKind::NameRequired);
    }
    let chars = sequence.name.chars().count();
    if chars > NAME_MAX_CHARS {
        add(None, SequenceProblemKind::NameTooLong { chars });
    }
    let chars = sequence.description.chars().count();
    if chars > DESCRIPTION_MAX_CHARS {
        add(None, SequenceProblemKind::DescriptionTooLong { chars });
    }
    if sequence.steps.is_empty() {
        add(None, SequenceProblemKind::NoSteps);
    }
    let last = sequence.steps.len().saturating_sub(1);
    for (index, step) in sequence.steps.iter().enumerate() {
        for kind in step_problems(step, index == last) {
            add(Some(index), kind);
        }
    }
    problems
}

fn step_problems(step: &Step, is_last: bool) -> Vec<SequenceProblemKind> {
    let mut problems = Vec::new();
    if step.name.trim().is_empty() {
        problems.push(SequenceProblemKind::StepNameRequired);
    }
    let chars = step.name.chars().count();
    if chars > NAME_MAX_CHARS {
        problems.push(SequenceProblemKind::StepNameTooLong { chars });
    }
    let chars = step.description.chars().count();
    if chars > DESCRIPTION_MAX_CHARS {
        problems.push(SequenceProblemKind::StepDescriptionTooLong { chars });
    }
    match (step.kind, step.wait_minutes) {
        (StepKind::Wait, None) => problems.push(SequenceProblemKind::WaitMissing),
        (StepKind::Wait, Some(minutes)) if minutes < WAIT_MIN_MINUTES => {
            problems.push(SequenceProblemKind::WaitTooShort);
        }
        (StepKind::Wait, Some(minutes)) if minutes > WAIT_MAX_MINUTES => {
            problems.push(SequenceProblemKind::WaitTooLong { minutes });
        }
        (StepKind::Wait, Some(_)) => {}
        (kind, Some(_)) => problems.push(SequenceProblemKind::WaitOnOtherKind { kind }),
        (_, None) => {}
    }
    if step.kind == StepKind::Wait && is_last {
        problems.push(SequenceProblemKind::WaitLast);
    }
    problems
}

/// "2 d 4 h", "3 h", "1 d", "45 min".
pub fn wait_text(minutes: u32) -> String {
    let (days, hours, rest) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days} d"));
    }
    if hours > 0 {
        parts.push(format!("{hours} h"));
    }
    if rest > 0 || parts.is_empty() {
        parts.push(format!("{rest} min"));
    }
    parts.join(" ")
}

/// A new step of `kind` with a sane default name (and a one-day wait for a wait step).
pub fn default_step(kind: StepKind) -> Step {
    Step {
        kind,
        name: kind.to_string(),
        description: String::new(),
        wait_minutes: (kind == StepKind::Wait).then_some(24 * 60),
    }
}

/// Whether an enrolment is still running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnrolmentStatus {
    Running,
    Ended,
}

impl EnrolmentStatus {
    pub fn key(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Ended => "ended",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [Self::Running, Self::Ended].into_iter().find(|s| s.key() == key)
    }
}

impl fmt::Display for EnrolmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Running => "Running",
            Self::Ended => "Ended",
        })
    }
}

/// Why an enrolment ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// The record moved to another segment.
    Moved,
    /// The record joined a segment with a sequence again (after leaving its old segment).
    Reenrolled,
    /// Its last step was done or skipped.
    Completed,
    /// The record left its segment and the sequence stops when that happens.
    Left,
}

impl EndReason {
    pub const ALL: [EndReason; 4] = [Self::Moved, Self::Reenrolled, Self::Completed, Self::Left];

    pub fn key(self) -> &'static str {
        match self {
            Self::Moved => "moved",
            Self::Reenrolled => "re-enrolled",
            Self::Completed => "completed",
            Self::Left => "left",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

impl fmt::Display for EndReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Moved => "moved to another segment",
            Self::Reenrolled => "enrolled again",
            Self::Completed => "completed",
            Self::Left => "left the segment",
        })
    }
}

/// What became of a step of an enrolment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepOutcome {
    Done,
    Skipped,
}

impl StepOutcome {
    pub fn key(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Skipped => "skipped",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [Self::Done, Self::Skipped].into_iter().find(|s| s.key() == key)
    }
}

impl fmt::Display for StepOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Done => "done",
            Self::Skipped => "skipped",
        })
    }
}

/// A record running (or having run) a sequence because it joined a segment.
#[derive(Clone, Debug, PartialEq)]
pub struct Enrolment {
    pub id: i64,
    pub record_type: RecordTypeName,
    pub record: RecordId,
    pub sequence: SequenceId,
    pub segment: SegmentId,
    /// The index of the current step (0 is the first); never a wait while running.
    pub step: u32,
    pub status: EnrolmentStatus,
    pub end_reason: Option<EndReason>,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// When the current step is (or was) due; `None` once ended.
    pub due_at: Option<Timestamp>,
}

/// Where an enrolment stands, as a list shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrolmentState {
    /// The current step is to be done, since `since`.
    Due {
        since: Timestamp,
    },
    /// The current step waits until `until`.
    Waiting {
        until: Timestamp,
    },
    /// Running, but its sequence is not active: nothing is due until it is again.
    Paused,
    Ended {
        reason: EndReason,
        at: Timestamp,
    },
}

impl Enrolment {
    /// Where it stands at `now`; `sequence_active` says whether its sequence runs.
    pub fn state(&self, now: Timestamp, sequence_active: bool) -> EnrolmentState {
        match (self.status, self.end_reason, self.ended_at) {
            (EnrolmentStatus::Ended, Some(reason), Some(at)) => EnrolmentState::Ended { reason, at },
            (EnrolmentStatus::Ended, ..) => {
                EnrolmentState::Ended { reason: EndReason::Completed, at: self.ended_at.unwrap_or(self.started_at) }
            }
            (EnrolmentStatus::Running, ..) if !sequence_active => EnrolmentState::Paused,
            (EnrolmentStatus::Running, ..) => {
                let due = self.due_at.unwrap_or(self.started_at);
                if due <= now { EnrolmentState::Due { since: due } } else { EnrolmentState::Waiting { until: due } }
            }
        }
    }
}

/// One enrolment with what a list shows about it.
#[derive(Clone, Debug, PartialEq)]
pub struct EnrolmentRow {
    pub enrolment: Enrolment,
    /// The record's title (its primary field), or `#id` when it has none or is deleted.
    pub title: String,
    /// The segment's name, also once it is deleted, or `#id`.
    pub segment_name: String,
    /// The current step as the sequence has it now (`None`: past its last step).
    pub step: Option<Step>,
    /// How many steps the sequence has.
    pub steps: u32,
    /// Whether the sequence is active (a running enrolment of another one is paused).
    pub sequence_active: bool,
    /// What became of the step before, if any was finished.
    pub last_outcome: Option<(u32, StepOutcome)>,
}

/// How many enrolments a sequence has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnrolmentCounts {
    pub running: u64,
    pub total: u64,
    /// Running enrolments per step position (as long as the sequence's steps).
    pub per_step: Vec<u64>,
}

/// Which due steps the Work list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkFilter {
    /// The record's owner.
    pub seller: Option<SellerId>,
    pub sequence: Option<SequenceId>,
    pub kind: Option<StepKind>,
    /// Steps due at or before this instant; `None`: every running step, also waiting ones.
    pub due_before: Option<Timestamp>,
}

/// One step to do: a running enrolment of an active sequence and its current step.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkItem {
    pub enrolment: i64,
    pub record_type: RecordTypeName,
    pub record: RecordId,
    pub title: String,
    pub owner: Option<SellerId>,
    pub sequence: SequenceId,
    pub sequence_name: String,
    pub position: u32,
    pub steps: u32,
    pub kind: StepKind,
    pub step_name: String,
    pub due_at: Timestamp,
    /// Due before today (in the workspace's time zone).
    pub overdue: bool,
}

/// The Work list: the first rows by due time (overdue first) and how many match in all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorkList {
    pub items: Vec<WorkItem>,
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::segment::Status;

    fn step(kind: StepKind, name: &str, wait_minutes: Option<u32>) -> Step {
        Step { kind, name: name.to_owned(), description: String::new(), wait_minutes }
    }

    fn sequence(steps: Vec<Step>) -> Sequence {
        Sequence {
            id: SequenceId(1),
            record_type: RecordTypeName::new("lead"),
            name: "Welcome".to_owned(),
            description: String::new(),
            status: Status::Draft,
            steps,
            options: crate::domain::SequenceOptions::default(),
            created_on: Timestamp::UNIX_EPOCH,
            modified_on: Timestamp::UNIX_EPOCH,
        }
    }

    /// The problems as "step: message" lines (`-` for the sequence itself).
    fn check(sequence: Sequence, expected: &[&str]) {
        let found: Vec<String> = validate_sequence(&sequence)
            .iter()
            .map(|p| format!("{}: {}", p.step.map_or("-".to_owned(), |s| (s + 1).to_string()), p.kind))
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn valid_sequences_have_no_problems() {
        check(sequence(vec![step(StepKind::PhoneCall, "Call", None)]), &[]);
        check(
            sequence(vec![
                step(StepKind::ManualEmail, "Hello", None),
                step(StepKind::Wait, "A minute", Some(1)),
                step(StepKind::Wait, "Thirty days", Some(WAIT_MAX_MINUTES)),
                step(StepKind::TextMessage, "Text", None),
            ]),
            &[],
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_step() {
        check(sequence(vec![]), &["-: Add at least one step"]);
        check(
            Sequence { name: "  ".into(), ..sequence(vec![]) },
            &["-: Give the sequence a name", "-: Add at least one step"],
        );
        check(
            Sequence { name: "x".repeat(NAME_MAX_CHARS + 1), ..sequence(vec![step(StepKind::Task, "T", None)]) },
            &["-: The name has 101 characters; at most 100 are allowed"],
        );
        check(
            sequence(vec![
                step(StepKind::Task, " ", None),
                step(StepKind::Wait, "Zero", Some(0)),
                step(StepKind::Wait, "Long", Some(WAIT_MAX_MINUTES + 1)),
                step(StepKind::Wait, "None", None),
                step(StepKind::PhoneCall, "Call", Some(5)),
                step(StepKind::Wait, "Last", Some(60)),
            ]),
            &[
                "1: Give the step a name",
                "2: Wait at least one minute",
                "3: Wait for at most 30 days (this waits 30 d 1 min)",
                "4: A wait step needs a wait time",
                "5: A phone call step has no wait time",
                "6: A wait cannot be the last step; add a step after it",
            ],
        );
    }

    #[test]
    fn a_single_wait_is_last() {
        check(
            sequence(vec![step(StepKind::Wait, "Wait", Some(60))]),
            &["1: A wait cannot be the last step; add a step after it"],
        );
    }

    #[test]
    fn wait_text_reads_well() {
        assert_eq!(wait_text(0), "0 min");
        assert_eq!(wait_text(45), "45 min");
        assert_eq!(wait_text(60), "1 h");
        assert_eq!(wait_text(24 * 60 + 4 * 60), "1 d 4 h");
        assert_eq!(wait_text(WAIT_MAX_MINUTES), "30 d");
    }

    #[test]
    fn keys_round_trip() {
        for status in [EnrolmentStatus::Running, EnrolmentStatus::Ended] {
            assert_eq!(EnrolmentStatus::from_key(status.key()), Some(status));
        }
        for reason in EndReason::ALL {
            assert_eq!(EndReason::from_key(reason.key()), Some(reason));
        }
        for outcome in [StepOutcome::Done, StepOutcome::Skipped] {
            assert_eq!(StepOutcome::from_key(outcome.key()), Some(outcome));
        }
        assert_eq!(default_step(StepKind::Wait).wait_minutes, Some(24 * 60));
        assert_eq!(default_step(StepKind::Task).wait_minutes, None);
    }
}
