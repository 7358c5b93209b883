//! The demo segments and sequences: enough that the first screen shows priorities, every
//! status, connected sequences, lookups, negated groups and a related-record block.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};

use crate::domain::{
    Condition, DateUnit, FieldName, FieldPath, Group, GroupMode, Node, NodeIds, Number, Operand, Operator as Op,
    Quantifier, RecordTypeName, RelatedBlock, Segment, SegmentId, Sequence, SequenceId, Status, Step, StepKind,
};

const NEW_LEAD_OUTREACH: &str = "New lead outreach";
const RE_ENGAGE: &str = "Re-engage stale leads";
const DEAL_CLOSING: &str = "Deal closing cadence";

/// Which demo sequence (by name) a demo segment (by name) should be connected to once both
/// are stored. `None` for segments without a sequence and for names that are not demo
/// segments.
pub fn sequence_for_segment(segment_name: &str) -> Option<&'static str> {
    Some(match segment_name {
        "Hot leads in Germany"
        | "DACH enterprise"
        | "French speakers"
        | "Website sign-ups this quarter"
        | "High-scoring software leads"
        | "Tech companies in North America" => NEW_LEAD_OUTREACH,
        "Stale leads" => RE_ENGAGE,
        "Big deals closing this month" | "Stalled opportunities" => DEAL_CLOSING,
        _ => return None,
    })
}

/// Builds one condition tree with unique node ids.
struct Tree(NodeIds);

impl Tree {
    fn new() -> Self {
        Self(NodeIds::default())
    }

    fn when(&mut self, field: &str, operator: Op, value: Operand) -> Node {
        self.at(FieldPath::own(field), operator, value)
    }

    fn at(&mut self, path: FieldPath, operator: Op, value: Operand) -> Node {
        Node::Condition(Condition { id: self.0.next_id(), path, operator, value })
    }

    fn group(&mut self, mode: GroupMode, negated: bool, children: Vec<Node>) -> Group {
        Group { id: self.0.next_id(), mode, negated, children }
    }

    fn all(&mut self, children: Vec<Node>) -> Group {
        self.group(GroupMode::All, false, children)
    }
}

fn texts(values: &[&str]) -> Operand {
    Operand::TextList(values.iter().map(|v| (*v).to_owned()).collect())
}

fn choices(values: &[&str]) -> Operand {
    Operand::Choices(values.iter().map(|v| (*v).to_owned()).collect())
}

fn text(value: &str) -> Operand {
    Operand::Text(value.to_owned())
}

fn days_before(now: Timestamp, days: i64) -> Timestamp {
    now.checked_sub(SignedDuration::from_hours(24 * days)).unwrap_or(now)
}

struct Draft {
    record_type: &'static str,
    name: &'static str,
    description: &'static str,
    status: Status,
    accept_from_other_segments: bool,
    conditions: Group,
}

/// The demo segments, each type's in priority order (priority 0, 1, … per record type).
/// Ids are placeholders (`SegmentId(0)`) and no sequence is connected: see
/// [`sequence_for_segment`].
pub fn segments(now: Timestamp) -> Vec<Segment> {
    let drafts =
        lead_drafts().into_iter().chain(more_lead_drafts()).chain(dated_lead_drafts(now)).chain(other_drafts());
    let mut priorities: Vec<(&str, u32)> = Vec::new();
    drafts
        .enumerate()
        .map(|(n, d)| {
            let priority = if let Some((_, next)) = priorities.iter_mut().find(|(ty, _)| *ty == d.record_type) {
                *next += 1;
                *next
            } else {
                priorities.push((d.record_type, 0));
                0
            };
            let created_on = days_before(now, 120 - 7 * n as i64);
            Segment {
                id: SegmentId(0),
                record_type: RecordTypeName::new(d.record_type),
                name: d.name.to_owned(),
                description: d.description.to_owned(),
                status: d.status,
                priority,
                conditions: d.conditions,
                accept_from_other_segments: d.accept_from_other_segments || priority == 0,
                rerun_assignment_on_move: priority == 0,
                sequence: None,
                created_on,
                modified_on: days_before(now, (n % 5) as i64 + 1),
            }
        })
        .collect()
}

/// The first lead segments, in priority order (split only to keep functions short).
fn lead_drafts() -> Vec<Draft> {
    let mut drafts = Vec::new();
    let mut add = |record_type, name, description, status, conditions| {
        drafts.push(Draft { record_type, name, description, status, accept_from_other_segments: false, conditions });
    };

    let mut t = Tree::new();
    let conditions = {
        let children =
            vec![t.when("country", Op::Equals, text("Germany")), t.when("rating", Op::AnyOf, choices(&["Hot"]))];
        t.all(children)
    };
    add("lead", "Hot leads in Germany", "Hot German leads go straight to the DACH team.", Status::Active, conditions);

    let mut t = Tree::new();
    let conditions = {
        let children = vec![
            t.when("country", Op::AnyOf, texts(&["Germany", "Austria", "Switzerland"])),
            t.when("employee_count", Op::GreaterOrEqual, Operand::Number(Number::Whole(1_000))),
        ];
        t.all(children)
    };
    add(
        "lead",
        "DACH enterprise",
        "Companies of 1,000 people or more in Germany, Austria and Switzerland.",
        Status::Active,
        conditions,
    );

    let mut t = Tree::new();
    let conditions = {
        let children = vec![
            t.when("language", Op::Equals, text("French")),
            t.when("country", Op::AnyOf, texts(&["France", "Belgium"])),
        ];
        t.group(GroupMode::Any, false, children)
    };
    add("lead", "French speakers", "Leads who prefer French or are in France or Belgium.", Status::Active, conditions);

    let mut t = Tree::new();
    let conditions = {
        let children = vec![
            t.when("lead_source", Op::AnyOf, choices(&["Web"])),
            t.when("created_on", Op::ThisQuarter, Operand::None),
        ];
        t.all(children)
    };
    add(
        "lead",
        "Website sign-ups this quarter",
        "Everyone who signed up on the website this quarter.",
        Status::Active,
        conditions,
    );

    drafts
}

/// The next lead segments, in priority order.
fn more_lead_drafts() -> Vec<Draft> {
    let mut drafts = Vec::new();
    let mut add = |record_type, name, description, status, conditions| {
        drafts.push(Draft { record_type, name, description, status, accept_from_other_segments: false, conditions });
    };

    let mut t = Tree::new();
    let conditions = {
        let children = vec![
            t.at(FieldPath::through(&["account"], "industry"), Op::AnyOf, choices(&["Software"])),
            t.when("score", Op::GreaterOrEqual, Operand::Number(Number::Whole(60))),
        ];
        t.all(children)
    };
    add(
        "lead",
        "High-scoring software leads",
        "Leads scoring 60 or more whose account is a software company.",
        Status::Active,
        conditions,
    );

    let mut t = Tree::new();
    let conditions = {
        let children = vec![
            t.when("company", Op::Contains, text("tech")),
            t.when("country", Op::AnyOf, texts(&["United States", "Canada"])),
        ];
        t.all(children)
    };
    add(
        "lead",
        "Tech companies in North America",
        "Company names containing \"tech\", in the United States or Canada.",
        Status::Active,
        conditions,
    );

    let mut t = Tree::new();
    let conditions = {
        let excluded = vec![
            t.when("status", Op::AnyOf, choices(&["Disqualified"])),
            t.when("rating", Op::AnyOf, choices(&["Cold"])),
        ];
        let excluded = Node::Group(t.group(GroupMode::Any, true, excluded));
        let children = vec![t.when("owner", Op::IsEmpty, Operand::None), excluded];
        t.all(children)
    };
    add(
        "lead",
        "Needs an owner",
        "Unassigned leads that are neither disqualified nor cold.",
        Status::Active,
        conditions,
    );

    let mut t = Tree::new();
    let conditions = {
        let children = vec![
            t.when("last_activity_on", Op::OlderThan, Operand::Relative { amount: 90, unit: DateUnit::Days }),
            t.when("status", Op::NoneOf, choices(&["Qualified", "Disqualified"])),
        ];
        t.all(children)
    };
    add(
        "lead",
        "Stale leads",
        "No activity for more than 90 days and not yet qualified or disqualified.",
        Status::Active,
        conditions,
    );

    let mut t = Tree::new();
    let conditions = {
        // Three levels: big qualified leads, in North America or German-speaking at a
        // software or manufacturing account.
        let german = vec![
            t.when("language", Op::Equals, text("German")),
            t.at(FieldPath::through(&["account"], "industry"), Op::AnyOf, choices(&["Software", "Manufacturing"])),
        ];
        let german = Node::Group(t.all(german));
        let region = vec![t.when("country", Op::AnyOf, texts(&["United States", "Canada"])), german];
        let region = Node::Group(t.group(GroupMode::Any, false, region));
        let children = vec![
            t.when("estimated_value", Op::GreaterOrEqual, Operand::Number(Number::Whole(100_000))),
            t.when("qualified", Op::IsYes, Operand::None),
            region,
        ];
        t.all(children)
    };
    add(
        "lead",
        "Enterprise pipeline",
        "Work in progress: qualified leads worth 100,000 or more in our two strongest regions.",
        Status::Draft,
        conditions,
    );

    drafts
}

/// The last lead segments, in priority order: those about past dates.
fn dated_lead_drafts(now: Timestamp) -> Vec<Draft> {
    let mut drafts = Vec::new();
    let mut add = |record_type, name, description, status, conditions| {
        drafts.push(Draft { record_type, name, description, status, accept_from_other_segments: false, conditions });
    };

    let today = now.to_zoned(TimeZone::UTC).date();
    let day = |days: i64| today.checked_sub(Span::new().days(days)).unwrap_or(today);

    let mut t = Tree::new();
    let conditions = {
        let children = vec![
            t.when("lead_source", Op::AnyOf, choices(&["Trade show"])),
            t.when("created_on", Op::Between, Operand::DateRange { low: day(400), high: day(330) }),
        ];
        t.all(children)
    };
    add(
        "lead",
        "Trade show follow-up",
        "Leads from last year's trade show season. Kept for reference.",
        Status::Inactive,
        conditions,
    );
    drafts
}

/// The opportunity and account segments, each type's in priority order.
fn other_drafts() -> Vec<Draft> {
    let mut drafts = Vec::new();
    let mut add = |record_type, name, description, status, conditions| {
        drafts.push(Draft { record_type, name, description, status, accept_from_other_segments: false, conditions });
    };

    let mut t = Tree::new();
    let conditions = {
        let children = vec![
            t.when("estimated_value", Op::GreaterOrEqual, Operand::Number(Number::Whole(100_000))),
            t.when("estimated_close_date", Op::ThisMonth, Operand::None),
            t.when("status", Op::AnyOf, choices(&["Open"])),
        ];
        t.all(children)
    };
    add(
        "opportunity",
        "Big deals closing this month",
        "Open deals of 100,000 or more expected to close this month.",
        Status::Active,
        conditions,
    );

    let mut t = Tree::new();
    let conditions = {
        let children = vec![
            t.when("status", Op::AnyOf, choices(&["Open"])),
            t.when("stage", Op::AnyOf, choices(&["Propose", "Close"])),
            t.when("last_activity_on", Op::OlderThan, Operand::Relative { amount: 30, unit: DateUnit::Days }),
        ];
        t.all(children)
    };
    add(
        "opportunity",
        "Stalled opportunities",
        "Late-stage open deals without activity for a month.",
        Status::Active,
        conditions,
    );

    let mut t = Tree::new();
    let conditions = {
        let open = vec![t.when("status", Op::AnyOf, choices(&["Open"]))];
        let open = t.all(open);
        let block = Node::Related(RelatedBlock {
            id: t.0.next_id(),
            quantifier: Quantifier::AtLeastOne,
            record_type: RecordTypeName::new("opportunity"),
            via: FieldName::new("account"),
            group: open,
        });
        let children = vec![block, t.when("account_type", Op::AnyOf, choices(&["Customer"]))];
        t.all(children)
    };
    add(
        "account",
        "Customers with open deals",
        "Customers that have at least one open opportunity.",
        Status::Active,
        conditions,
    );
    drafts
}

fn step(kind: StepKind, name: &str, description: &str) -> Step {
    Step { kind, name: name.to_owned(), description: description.to_owned(), wait_minutes: None }
}

fn wait(days: u32) -> Step {
    let label = if days == 1 { "Wait 1 day".to_owned() } else { format!("Wait {days} days") };
    Step { kind: StepKind::Wait, name: label, description: String::new(), wait_minutes: Some(days * 24 * 60) }
}

/// The demo sequences, all active. Ids are placeholders (`SequenceId(0)`).
pub fn sequences(now: Timestamp) -> Vec<Sequence> {
    use StepKind as K;
    let sequence = |record_type: &str, name: &str, description: &str, steps: Vec<Step>, age_days: i64| Sequence {
        id: SequenceId(0),
        record_type: RecordTypeName::new(record_type),
        name: name.to_owned(),
        description: description.to_owned(),
        status: Status::Active,
        steps,
        options: crate::domain::SequenceOptions::default(),
        created_on: days_before(now, age_days),
        modified_on: days_before(now, age_days / 4),
    };
    vec![
        sequence(
            "lead",
            NEW_LEAD_OUTREACH,
            "First contact with a new lead: introduce, call, follow up.",
            vec![
                step(
                    K::ManualEmail,
                    "Introduce yourself",
                    "A short personal email: who you are and why you are writing.",
                ),
                wait(2),
                step(K::PhoneCall, "Discovery call", "Ask about their goals, timeline and who decides."),
                wait(3),
                step(K::AutomatedEmail, "Share a customer story", "The case study closest to their industry."),
                step(
                    K::Task,
                    "Qualify or disqualify",
                    "Update the lead's status and rating after the first exchanges.",
                ),
            ],
            150,
        ),
        sequence(
            "lead",
            RE_ENGAGE,
            "Wake up leads that went quiet before closing them.",
            vec![
                step(K::AutomatedEmail, "Check-in email", "Is this still a priority? One question, easy to answer."),
                wait(5),
                step(K::PhoneCall, "Re-engagement call", "Call once; leave a voicemail if nobody answers."),
                wait(7),
                step(K::TextMessage, "Short reminder", "A two-line text with a link to book a meeting."),
                step(K::Task, "Nurture or close", "Move the lead to nurturing or disqualify it."),
            ],
            110,
        ),
        sequence(
            "opportunity",
            DEAL_CLOSING,
            "From proposal to signature.",
            vec![
                step(K::PhoneCall, "Confirm decision makers", "Who signs, who approves the budget, by when."),
                step(K::ManualEmail, "Send the proposal", "Attach the proposal and suggest a review meeting."),
                wait(3),
                step(K::PhoneCall, "Proposal follow-up", "Walk through open questions and objections."),
                wait(2),
                step(K::Task, "Prepare the contract", "Hand over to legal with the agreed terms."),
            ],
            90,
        ),
    ]
}
