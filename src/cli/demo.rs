//! The lived-in demo: a generated workspace brought to life as if it had been used for the
//! last 90 days. Segments are activated on different days (one is deactivated again),
//! leads are edited now and then, and after every such day all records are evaluated at
//! that day's date, so memberships join, move and leave with their dates, rules assign the
//! joiners, sequences enrol them (and sellers work through some of the due steps), and
//! each segment's history has its status changes.
//! Deterministic from the spec. Above [`LIVED_IN_MAX_LEADS`] leads the life is brief (each
//! day's evaluation would take seconds): the segments are activated on their days, the
//! rules are in place, everything is evaluated once [`BRIEF_EVALUATED_AGO`] days ago and the
//! sellers work through the days since, so every screen still has real content. With no
//! leads it is an empty workspace of the built-in types.

use std::collections::BTreeSet;
use std::path::Path;

use jiff::SignedDuration;

use crate::demo::{DemoSpec, create_demo_workspace_living};
use crate::domain::assignment::{AssignmentRule, AttributeCondition, AttributeValue, Distribution, RuleId, Target};
use crate::domain::{FieldName, Group, NodeId, Record, RecordId, RecordTypeName, SegmentId, Status, Value};
use crate::store::{StoreError, Workspace};

/// The most leads a demo gets a history for.
pub const LIVED_IN_MAX_LEADS: u64 = 50_000;

/// Days before now on which the segments meant to be active are activated, in priority order.
const ACTIVATION_DAYS: [i64; 8] = [88, 80, 74, 66, 52, 40, 27, 12];
/// The planned-inactive segment: used from this day until that one.
const INACTIVE_SPAN: (i64, i64) = (85, 21);
/// Days on which some leads are edited (their rating changes), so members move and leave.
const EDIT_DAYS: [i64; 4] = [60, 45, 30, 7];
/// One lead in this many is edited on an edit day.
const EDIT_EVERY: u64 = 23;

/// Writes the demo workspace of `spec` at `path` with 90 days of history.
pub fn create_lived_in_demo(
    path: &Path,
    spec: &DemoSpec,
    progress: &mut dyn FnMut(f32, &str) -> bool,
) -> Result<(), StoreError> {
    if spec.leads == 0 {
        // Nothing at all: the built-in record types, no records, sellers or segments.
        return Workspace::create(path).map(drop);
    }
    if spec.leads > LIVED_IN_MAX_LEADS {
        return create_briefly_lived_demo(path, spec, progress);
    }
    let mut life = |file: &Path, planned: &[(SegmentId, Status)]| live(file, spec, planned);
    create_demo_workspace_living(path, spec, progress, Some(&mut life))
}

/// Writes the demo workspace of `spec` at `path` with the brief life of a large demo,
/// whatever its size.
pub fn create_briefly_lived_demo(
    path: &Path,
    spec: &DemoSpec,
    progress: &mut dyn FnMut(f32, &str) -> bool,
) -> Result<(), StoreError> {
    let mut life = |file: &Path, planned: &[(SegmentId, Status)]| live_briefly(file, spec, planned);
    create_demo_workspace_living(path, spec, progress, Some(&mut life))
}

/// Days before now on which a large demo is evaluated (once), after the last activation.
pub const BRIEF_EVALUATED_AGO: i64 = 10;

/// A large demo's life: the same days of activation (status changes with their dates) and
/// rules, but one evaluation, then the sellers' work on each day since.
fn live_briefly(path: &Path, spec: &DemoSpec, planned: &[(SegmentId, Status)]) -> Result<(), StoreError> {
    let days = plan_days(planned);
    let first = days.keys().next_back().copied().unwrap_or(0) + 2;
    add_rules(&mut Workspace::open_scratch(path)?, planned, days_ago(spec, first)?)?;
    {
        let mut ws = Workspace::open_scratch(path)?;
        for (&ago, day) in days.iter().rev() {
            let at = days_ago(spec, ago)?;
            for id in &day.activate {
                ws.set_segment_status(*id, Status::Active, at)?;
            }
            for id in &day.deactivate {
                ws.set_segment_status(*id, Status::Inactive, at)?;
            }
        }
    }
    let evaluated = days_ago(spec, BRIEF_EVALUATED_AGO)?;
    super::apply::apply_opened_by(path, evaluated, false, &SCRATCH).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut ws = Workspace::open_scratch(path)?;
    for ago in (1..BRIEF_EVALUATED_AGO).rev() {
        work_steps(&mut ws, days_ago(spec, ago)?, STEPS_WORKED_PER_BRIEF_DAY)?;
    }
    Ok(())
}

/// How the demo's applies open its file in the making (see [`Workspace::create_scratch`])
/// and read it.
const SCRATCH: super::apply::Access = super::apply::Access {
    open: Workspace::open_scratch,
    check: None,
    write: Workspace::open_scratch,
    load: load_without_cache,
    checkpoint_beside: false,
};

/// The demo's records read into the engine from SQL: a column cache beside the file being
/// made would be stale after each apply and is removed with the temporary name anyway.
fn load_without_cache(path: &Path) -> Result<(Workspace, crate::engine::Snapshot), crate::worker::WorkerError> {
    crate::worker::engine::load_types(path, None, &|_| {})
}

fn days_ago(spec: &DemoSpec, ago: i64) -> Result<jiff::Timestamp, StoreError> {
    spec.now.checked_sub(SignedDuration::from_hours(ago * 24)).map_err(|e| invalid(&e))
}

/// What happens on one day of the demo's past.
#[derive(Default)]
struct Day {
    activate: Vec<SegmentId>,
    deactivate: Vec<SegmentId>,
    edit: bool,
}

/// The days of activation and deactivation of `planned`, by days ago.
fn plan_days(planned: &[(SegmentId, Status)]) -> std::collections::BTreeMap<i64, Day> {
    let mut days: std::collections::BTreeMap<i64, Day> = std::collections::BTreeMap::new();
    let mut active = 0;
    for (id, status) in planned {
        match status {
            Status::Active => {
                let day = ACTIVATION_DAYS[active % ACTIVATION_DAYS.len()];
                days.entry(day).or_default().activate.push(*id);
                active += 1;
            }
            Status::Inactive => {
                days.entry(INACTIVE_SPAN.0).or_default().activate.push(*id);
                days.entry(INACTIVE_SPAN.1).or_default().deactivate.push(*id);
            }
            Status::Draft => {}
        }
    }
    days
}

fn live(path: &Path, spec: &DemoSpec, planned: &[(SegmentId, Status)]) -> Result<(), StoreError> {
    let mut days = plan_days(planned);
    for day in EDIT_DAYS {
        days.entry(day).or_default().edit = true;
    }
    // Today, everything is evaluated once more.
    days.entry(0).or_default();
    let first = days.keys().next_back().copied().unwrap_or(0) + 2;
    add_rules(&mut Workspace::open_scratch(path)?, planned, days_ago(spec, first)?)?;
    // From the oldest day to today.
    for (&ago, day) in days.iter().rev() {
        let at = days_ago(spec, ago)?;
        let mut ws = Workspace::open_scratch(path)?;
        for id in &day.activate {
            ws.set_segment_status(*id, Status::Active, at)?;
        }
        for id in &day.deactivate {
            ws.set_segment_status(*id, Status::Inactive, at)?;
        }
        if day.edit {
            edit_leads(&mut ws, spec, ago)?;
        }
        drop(ws);
        super::apply::apply_opened_by(path, at, false, &SCRATCH).map_err(|e| StoreError::Invalid(e.to_string()))?;
        if ago > 0 {
            work_steps(&mut Workspace::open_scratch(path)?, at, STEPS_WORKED_PER_DAY)?;
        }
    }
    Ok(())
}

/// How many due steps the sellers work through on a day of the demo's past.
const STEPS_WORKED_PER_DAY: usize = 300;
/// The same for the days of a brief life: fewer, every day since its one evaluation.
const STEPS_WORKED_PER_BRIEF_DAY: usize = 120;

/// The sellers' day: of the steps due at `at` (the most overdue first), two in three are
/// finished, one in seven of those skipped; the rest stay due, so enrolments stand on
/// different steps and the Work list has overdue steps on the first start.
fn work_steps(ws: &mut Workspace, at: jiff::Timestamp, most: usize) -> Result<(), StoreError> {
    use crate::domain::sequence::{StepOutcome, WorkFilter};
    let filter = WorkFilter { due_before: Some(at), ..WorkFilter::default() };
    let due = ws.first_work(&filter, at, most)?;
    // One transaction for the day: a commit per step would cost more than the step.
    ws.atomically(|ws| {
        for (i, item) in due.items.iter().enumerate() {
            if i % 3 == 2 {
                continue;
            }
            let outcome = if i % 7 == 0 { StepOutcome::Skipped } else { StepOutcome::Done };
            ws.complete_step(item.enrolment, outcome, at)?;
        }
        Ok(())
    })
}

/// Assignment rules for the segments meant to be active: the regional teams for regional
/// segments, sellers speaking the lead's language for leads without an owner, anyone with
/// room for the rest.
fn add_rules(ws: &mut Workspace, planned: &[(SegmentId, Status)], at: jiff::Timestamp) -> Result<(), StoreError> {
    let teams = ws.teams()?;
    let team = |name: &str| teams.iter().find(|t| t.name == name).map(|t| Target::Team(t.id));
    for (id, status) in planned {
        if *status == Status::Draft {
            continue;
        }
        let segment = ws.segment(*id)?;
        if segment.record_type.as_str() != "lead" {
            continue;
        }
        let (name, target, distribution) = match segment.name.as_str() {
            "Hot leads in Germany" | "DACH enterprise" => ("DACH team", team("DACH"), Distribution::RoundRobin),
            "French speakers" => ("France team", team("France & Southern Europe"), Distribution::LoadBalancing),
            "Tech companies in North America" => {
                ("North America team", team("North America"), Distribution::RoundRobin)
            }
            "Needs an owner" => {
                let speaks = AttributeCondition {
                    attribute: "Language".to_owned(),
                    values: AttributeValue::FromRecord(FieldName::new("language")),
                };
                ("Speaks the lead's language", Some(Target::SellersMatching(vec![speaks])), Distribution::LoadBalancing)
            }
            _ => ("Anyone with room", Some(Target::AnySeller), Distribution::RoundRobin),
        };
        let Some(target) = target else { continue };
        let rule = AssignmentRule {
            id: RuleId(0),
            name: name.to_owned(),
            active: true,
            conditions: Group::all(NodeId(0)),
            created_within_hours: None,
            target,
            distribution,
            honour_capacity: true,
            available_within_hours: None,
        };
        ws.insert_rule(*id, &rule, at)?;
    }
    Ok(())
}

/// Turns the rating of one lead in [`EDIT_EVERY`] (a different set each day) one step
/// along Hot → Warm → Cold → Hot.
fn edit_leads(ws: &mut Workspace, spec: &DemoSpec, ago: i64) -> Result<(), StoreError> {
    let lead = RecordTypeName::new("lead");
    let Some(def) = ws.schema().get(&lead).cloned() else { return Ok(()) };
    let Some(rating) = def.fields.iter().position(|f| f.name.as_str() == "rating") else { return Ok(()) };
    let offset = (spec.seed.wrapping_add(ago.unsigned_abs())) % EDIT_EVERY;
    let ids: BTreeSet<u64> = (1..=spec.leads).filter(|id| id % EDIT_EVERY == offset).collect();
    for id in ids {
        let id = RecordId(i64::try_from(id).map_err(|e| invalid(&e))?);
        let Some(record) = ws.record(&lead, id)? else { continue };
        let next = match record.values.get(rating) {
            Some(Value::Choice(now)) if now == "Hot" => "Warm",
            Some(Value::Choice(now)) if now == "Warm" => "Cold",
            _ => "Hot",
        };
        let mut values = record.values.clone();
        if let Some(slot) = values.get_mut(rating) {
            *slot = Value::Choice(next.to_owned());
        }
        ws.update_record(&lead, &Record { id, values })?;
    }
    Ok(())
}

fn invalid(error: &dyn std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("the demo's history: {error}"))
}
