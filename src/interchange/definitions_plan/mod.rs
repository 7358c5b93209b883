//! Importing a definitions bundle, decided before anything is written: [`plan`] checks the
//! whole bundle against the workspace's definitions and against itself, and answers either
//! every problem with its place (`segments[2] "Hot leads": condition 1.3: …`) or a [`Plan`]
//! — the record types, fields, attributes, sellers, teams, sequences and segments with rules
//! to write, in that order, as domain values. The store writes a plan in one transaction.
//!
//! References are by name in the bundle; in the plan they are ids: the id of an existing
//! definition (kept when it is replaced), or for a new one a *placeholder*, `-1 - i` for the
//! `i`-th item of its list ([`placeholder_index`]), which the writer swaps for the new id.
//!
//! Names that clash with the workspace (case-insensitive; sellers by email, or by name when
//! they have none; sequences and segments per record type) follow the [`OnClash`] policy.
//! Record types and fields are merged instead: a type the workspace has gets the bundle's
//! fields it lacks, and a field it has is kept as it is — but must be of the same kind.

use std::collections::{HashMap, HashSet};
use std::fmt;

use jiff::Timestamp;
use serde::Serialize;

mod checks;
mod people;
mod references;
mod settings;

use checks::{field_problem, type_problem};

use super::definitions::{
    AttributeValueEntry, Bundle, Definitions, RecordTypeEntry, RuleEntry, SegmentEntry, TargetEntry, seller_key,
};
use crate::domain::assignment::{AssignmentRule, AttributeCondition, AttributeValue, RuleId, Target, validate_rule};
use crate::domain::eval::fold;
use crate::domain::segment::{DESCRIPTION_MAX_CHARS, NAME_MAX_CHARS};
use crate::domain::{
    AttributeDefinition, FieldDef, FieldKind, FieldName, Group, RecordTypeDef, RecordTypeName, Schema, Segment,
    SegmentId, Seller, SellerId, Sequence, SequenceId, SequenceOptions, Step, StepKind, Team, TeamId,
};

/// The longest wait step: 30 days.
pub const MAX_WAIT_MINUTES: u32 = 30 * 24 * 60;

/// What to do with a bundle definition whose name the workspace already has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum OnClash {
    /// Keep the workspace's definition; the bundle's references to it use it.
    Skip,
    /// Overwrite the workspace's definition in place (it keeps its id).
    Replace,
    /// Import the bundle's definition under a free name, "Name (2)".
    Rename,
}

impl OnClash {
    pub const ALL: [OnClash; 3] = [OnClash::Skip, OnClash::Replace, OnClash::Rename];
}

impl fmt::Display for OnClash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OnClash::Skip => "Skip",
            OnClash::Replace => "Replace",
            OnClash::Rename => "Rename",
        })
    }
}

/// Something wrong with the bundle, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `segments[2] "Hot leads"`, `sellers[0] "Jana Becker"`, …
    pub place: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// A bundle definition whose name the workspace has already.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Clash {
    pub place: String,
    /// "attribute", "seller", "team", "sequence" or "segment".
    pub kind: &'static str,
    pub name: String,
}

impl fmt::Display for Clash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let article = if self.kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        write!(f, "{}: the workspace has {article} {} \"{}\" already", self.place, self.kind, self.name)
    }
}

/// Why there is no plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// Names clash and no policy was chosen.
    Clashes(Vec<Clash>),
    /// Everything wrong with the bundle (for the chosen policy).
    Problems(Vec<Problem>),
}

/// What the import does with one definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Replaced,
    Skipped,
    /// Created under another name.
    Renamed {
        to: String,
    },
    /// A record type or field the workspace has already, left as it is.
    Kept,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    /// "record type", "field", "attribute", "seller", "team", "sequence", "segment".
    pub kind: &'static str,
    pub name: String,
    pub outcome: Outcome,
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Outcome::Created => write!(f, "created {} {}", self.kind, self.name),
            Outcome::Replaced => write!(f, "replaced {} {}", self.kind, self.name),
            Outcome::Skipped => write!(f, "skipped {} {} (the workspace has one)", self.kind, self.name),
            Outcome::Renamed { to } => write!(f, "created {} {} as \"{to}\"", self.kind, self.name),
            Outcome::Kept => write!(f, "kept {} {} (the workspace has it)", self.kind, self.name),
        }
    }
}

/// A segment to write with its rules (targets may hold placeholders).
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedSegment {
    /// An existing id (replace) or a placeholder; `sequence` likewise.
    pub segment: Segment,
    pub rules: Vec<AssignmentRule>,
}

/// Everything an import writes, in this order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// New custom record types (lookups to types created later are in `fields`).
    pub types: Vec<RecordTypeDef>,
    pub fields: Vec<(RecordTypeName, FieldDef)>,
    /// Attribute definitions, with the name of the one each replaces.
    pub attributes: Vec<(AttributeDefinition, Option<String>)>,
    /// Existing id = replace it; placeholder = create.
    pub sellers: Vec<Seller>,
    pub teams: Vec<Team>,
    pub sequences: Vec<Sequence>,
    pub segments: Vec<PlannedSegment>,
    /// The bundle's workspace settings, written last.
    pub settings: Option<crate::domain::timing::WorkspaceSettings>,
    /// What happens to each definition of the bundle, in bundle order.
    pub lines: Vec<Line>,
}

impl Plan {
    /// How many lines have the outcome.
    pub fn count(&self, outcome: fn(&Outcome) -> bool) -> usize {
        self.lines.iter().filter(|l| outcome(&l.outcome)).count()
    }
}

/// The placeholder id of the `index`-th created item of a list.
pub fn placeholder(index: usize) -> i64 {
    -1 - index as i64
}

/// The index a placeholder id stands for; `None` for a real id.
pub fn placeholder_index(id: i64) -> Option<usize> {
    (id < 0).then(|| usize::try_from(-1 - id).unwrap_or(usize::MAX))
}

/// Checks `bundle` against the workspace's `current` definitions and plans its import at
/// `now`. Without a policy, clashing names are answered as [`PlanError::Clashes`].
pub fn plan(
    bundle: &Bundle,
    current: &Definitions<'_>,
    on_clash: Option<OnClash>,
    now: Timestamp,
) -> Result<Plan, PlanError> {
    let clashes = clashes(bundle, current);
    let policy = match on_clash {
        Some(policy) => policy,
        None if clashes.is_empty() => OnClash::Skip,
        None => return Err(PlanError::Clashes(clashes)),
    };
    let mut planner = Planner {
        policy,
        now,
        problems: Vec::new(),
        plan: Plan::default(),
        schema: current.schema.clone(),
        attributes: current.attributes.to_vec(),
        sellers: current.sellers.to_vec(),
        teams: current.teams.to_vec(),
        current,
        attribute_names: HashMap::new(),
        seller_ids: HashMap::new(),
        team_ids: HashMap::new(),
        sequence_ids: HashMap::new(),
        segment_ids: crate::domain::Definitions::default(),
        entry_ids: Vec::new(),
    };
    planner.record_types(&bundle.record_types);
    planner.attributes(bundle);
    planner.sellers(bundle);
    planner.teams(bundle);
    planner.sequences(bundle);
    planner.segments(bundle);
    planner.settings(bundle);
    if planner.problems.is_empty() { Ok(planner.plan) } else { Err(PlanError::Problems(planner.problems)) }
}

/// Every bundle definition whose name the workspace has already.
pub fn clashes(bundle: &Bundle, current: &Definitions<'_>) -> Vec<Clash> {
    let mut found = Vec::new();
    for (i, entry) in bundle.attributes.iter().enumerate() {
        if let Some(existing) = current.attributes.iter().find(|a| fold(&a.name) == fold(&entry.name)) {
            found.push(Clash {
                place: place("attributes", i, &entry.name),
                kind: "attribute",
                name: existing.name.clone(),
            });
        }
    }
    for (i, entry) in bundle.sellers.iter().enumerate() {
        let key = entry_seller_key(&entry.name, &entry.email);
        if let Some(existing) = current.sellers.iter().find(|s| fold(&seller_key(s)) == fold(&key)) {
            found.push(Clash { place: place("sellers", i, &entry.name), kind: "seller", name: seller_key(existing) });
        }
    }
    for (i, entry) in bundle.teams.iter().enumerate() {
        if let Some(existing) = current.teams.iter().find(|t| fold(&t.name) == fold(&entry.name)) {
            found.push(Clash { place: place("teams", i, &entry.name), kind: "team", name: existing.name.clone() });
        }
    }
    for (i, entry) in bundle.sequences.iter().enumerate() {
        if let Some(existing) = current
            .sequences
            .iter()
            .find(|s| s.record_type.as_str() == entry.record_type && fold(&s.name) == fold(&entry.name))
        {
            found.push(Clash {
                place: place("sequences", i, &entry.name),
                kind: "sequence",
                name: existing.name.clone(),
            });
        }
    }
    for (i, entry) in bundle.segments.iter().enumerate() {
        if let Some(existing) = current
            .segments
            .iter()
            .find(|s| s.record_type.as_str() == entry.record_type && fold(&s.name) == fold(&entry.name))
        {
            found.push(Clash {
                place: place("segments", i, &entry.name),
                kind: "segment",
                name: existing.name.clone(),
            });
        }
    }
    found
}

fn place(list: &str, index: usize, name: &str) -> String {
    format!("{list}[{index}] \"{name}\"")
}

fn entry_seller_key(name: &str, email: &str) -> String {
    if email.trim().is_empty() { name.to_owned() } else { email.to_owned() }
}

/// `base (2)`, `base (3)`, … — the first not in `taken` (folded names).
fn free_name(base: &str, taken: &HashSet<String>) -> String {
    (2..=u32::MAX).map(|n| format!("{base} ({n})")).find(|name| !taken.contains(&fold(name))).unwrap_or_default()
}

struct Planner<'a> {
    policy: OnClash,
    now: Timestamp,
    problems: Vec<Problem>,
    plan: Plan,
    current: &'a Definitions<'a>,
    /// The workspace as it will be: what references are checked against.
    schema: Schema,
    attributes: Vec<AttributeDefinition>,
    sellers: Vec<Seller>,
    teams: Vec<Team>,
    /// Folded bundle name → the attribute's name in the workspace after the import.
    attribute_names: HashMap<String, String>,
    /// Folded seller key → id (existing or placeholder).
    seller_ids: HashMap<String, SellerId>,
    team_ids: HashMap<String, TeamId>,
    /// (record type, folded name) → id.
    sequence_ids: HashMap<(String, String), SequenceId>,
    /// What segment conditions may name: the workspace's segments and the bundle's (by
    /// the id each will have; `references`).
    segment_ids: crate::domain::Definitions,
    /// The id each bundle segment will have, in the bundle's order.
    entry_ids: Vec<SegmentId>,
}

impl Planner<'_> {
    fn problem(&mut self, place: &str, message: impl Into<String>) {
        self.problems.push(Problem { place: place.to_owned(), message: message.into() });
    }

    fn line(&mut self, kind: &'static str, name: &str, outcome: Outcome) {
        self.plan.lines.push(Line { kind, name: name.to_owned(), outcome });
    }

    // ----- record types and fields -----

    fn record_types(&mut self, entries: &[RecordTypeEntry]) {
        // Every type that will exist, for lookup targets (the bundle's may point at each other).
        let mut known: HashSet<String> = self.schema.types.iter().map(|t| t.name.to_string()).collect();
        let mut seen = HashSet::new();
        for entry in entries {
            known.insert(entry.name.clone());
        }
        let mut deferred = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let at = place("record_types", i, &entry.name);
            if !seen.insert(entry.name.clone()) {
                self.problem(&at, "the bundle lists this record type twice");
                continue;
            }
            let mut fields = Vec::new();
            let mut names = HashSet::new();
            for (j, field) in entry.fields.iter().enumerate() {
                let field_at = format!("{at} fields[{j}] \"{}\"", field.name);
                let Some(kind) = FieldKind::from_key(&field.kind) else {
                    let keys: Vec<&str> = FieldKind::ALL.iter().map(|k| k.key()).collect();
                    self.problem(&field_at, format!("unknown kind \"{}\"; one of {}", field.kind, keys.join(", ")));
                    continue;
                };
                let def = FieldDef {
                    name: FieldName::new(field.name.clone()),
                    label: field.label.clone(),
                    kind,
                    choices: field.choices.clone(),
                    lookup_target: field.lookup_target.clone().map(RecordTypeName::new),
                    built_in: false,
                };
                if !names.insert(field.name.clone()) {
                    self.problem(&field_at, "the record type lists this field twice");
                    continue;
                }
                if let Some(message) = field_problem(&def, &known) {
                    self.problem(&field_at, message);
                    continue;
                }
                fields.push((field_at, def));
            }
            let name = RecordTypeName::new(entry.name.clone());
            if let Some(existing) = self.schema.get(&name).cloned() {
                self.line("record type", &entry.name, Outcome::Kept);
                for (field_at, field) in fields {
                    let shown = format!("{}.{}", entry.name, field.name);
                    match existing.field(&field.name) {
                        Some(have) if have.kind == field.kind && have.lookup_target == field.lookup_target => {
                            self.line("field", &shown, Outcome::Kept);
                        }
                        Some(have) => {
                            let target =
                                |t: &Option<RecordTypeName>| t.as_ref().map(|t| format!(" → {t}")).unwrap_or_default();
                            self.problem(
                                &field_at,
                                format!(
                                    "the workspace has this field as {}{}, the bundle as {}{}; a field's kind cannot change",
                                    have.kind,
                                    target(&have.lookup_target),
                                    field.kind,
                                    target(&field.lookup_target)
                                ),
                            );
                        }
                        None => {
                            self.line("field", &shown, Outcome::Created);
                            self.add_field_to_schema(&name, field.clone());
                            self.plan.fields.push((name.clone(), field));
                        }
                    }
                }
                continue;
            }
            if entry.built_in {
                self.problem(&at, "there is no built-in record type of that name");
                continue;
            }
            if let Some(message) = type_problem(entry, &fields) {
                self.problem(&at, message);
                continue;
            }
            // Lookups to types created after this one are added once those exist.
            let created: HashSet<String> = self.schema.types.iter().map(|t| t.name.to_string()).collect();
            let (now_fields, later): (Vec<_>, Vec<_>) = fields.into_iter().map(|(_, f)| f).partition(|f| {
                f.lookup_target.as_ref().is_none_or(|t| created.contains(t.as_str()) || t.as_str() == entry.name)
            });
            let def = RecordTypeDef {
                name: name.clone(),
                label: entry.label.clone(),
                plural_label: entry.plural_label.clone(),
                primary_field: FieldName::new(entry.primary_field.clone()),
                fields: now_fields,
                built_in: false,
            };
            self.line("record type", &entry.name, Outcome::Created);
            self.schema.types.push(def.clone());
            self.plan.types.push(def);
            deferred.extend(later.into_iter().map(|f| (name.clone(), f)));
        }
        for (ty, field) in deferred {
            self.add_field_to_schema(&ty, field.clone());
            self.plan.fields.push((ty, field));
        }
    }

    fn add_field_to_schema(&mut self, ty: &RecordTypeName, field: FieldDef) {
        if let Some(def) = self.schema.types.iter_mut().find(|t| &t.name == ty) {
            def.fields.push(field);
        }
    }

    // ----- sequences -----

    fn sequences(&mut self, bundle: &Bundle) {
        let mut seen = HashSet::new();
        let mut taken: HashSet<(String, String)> =
            self.current.sequences.iter().map(|s| (s.record_type.to_string(), fold(&s.name))).collect();
        taken.extend(bundle.sequences.iter().map(|s| (s.record_type.clone(), fold(&s.name))));
        for (i, entry) in bundle.sequences.iter().enumerate() {
            let at = place("sequences", i, &entry.name);
            let key = (entry.record_type.clone(), fold(&entry.name));
            if !seen.insert(key.clone()) {
                self.problem(&at, format!("the bundle lists this {} sequence twice", entry.record_type));
                continue;
            }
            let before = self.problems.len();
            let ty = RecordTypeName::new(entry.record_type.clone());
            if self.schema.get(&ty).is_none() {
                self.problem(&at, format!("there is no record type \"{ty}\" in the bundle or the workspace"));
            }
            if let Some(message) = name_problem(&entry.name, &entry.description) {
                self.problem(&at, message);
            }
            let mut steps = Vec::new();
            for (k, step) in entry.steps.iter().enumerate() {
                let step_at = format!("{at} steps[{k}] \"{}\"", step.name);
                match (step.kind, step.wait_minutes) {
                    (StepKind::Wait, None) => self.problem(&step_at, "a wait step needs wait_minutes"),
                    (StepKind::Wait, Some(m)) if m == 0 || m > MAX_WAIT_MINUTES => self.problem(
                        &step_at,
                        format!("a wait of {m} minutes; waits are 1 minute to 30 days ({MAX_WAIT_MINUTES} minutes)"),
                    ),
                    (StepKind::Wait, Some(_)) if k + 1 == entry.steps.len() => {
                        self.problem(&step_at, "a wait step cannot be the last step");
                    }
                    (kind, Some(_)) if kind != StepKind::Wait => {
                        self.problem(&step_at, "only a wait step has wait_minutes");
                    }
                    _ => {}
                }
                if step.name.trim().is_empty() {
                    self.problem(&step_at, "the step needs a name");
                }
                steps.push(Step {
                    kind: step.kind,
                    name: step.name.clone(),
                    description: step.description.clone(),
                    wait_minutes: step.wait_minutes,
                });
            }
            if self.problems.len() > before {
                continue;
            }
            let options =
                SequenceOptions { working_hours: entry.working_hours, stop_when_leaving: entry.stop_when_leaving };
            let sequence = Sequence {
                id: SequenceId(0),
                record_type: ty.clone(),
                name: entry.name.clone(),
                description: entry.description.clone(),
                status: entry.status,
                steps,
                options,
                created_on: self.now,
                modified_on: self.now,
            };
            let existing =
                self.current.sequences.iter().find(|s| s.record_type == ty && fold(&s.name) == key.1).cloned();
            let id = match (existing, self.policy) {
                (None, _) => {
                    self.line("sequence", &entry.name, Outcome::Created);
                    self.new_sequence(sequence)
                }
                (Some(existing), OnClash::Skip) => {
                    self.line("sequence", &entry.name, Outcome::Skipped);
                    existing.id
                }
                (Some(existing), OnClash::Replace) => {
                    self.line("sequence", &entry.name, Outcome::Replaced);
                    self.plan.sequences.push(Sequence {
                        id: existing.id,
                        name: existing.name.clone(),
                        created_on: existing.created_on,
                        ..sequence
                    });
                    existing.id
                }
                (Some(_), OnClash::Rename) => {
                    let to = free_name(&entry.name, &names_of(&taken, ty.as_str()));
                    taken.insert((ty.to_string(), fold(&to)));
                    self.line("sequence", &entry.name, Outcome::Renamed { to: to.clone() });
                    self.new_sequence(Sequence { name: to, ..sequence })
                }
            };
            self.sequence_ids.insert(key, id);
        }
    }

    fn new_sequence(&mut self, sequence: Sequence) -> SequenceId {
        let id = SequenceId(placeholder(self.plan.sequences.len()));
        self.plan.sequences.push(Sequence { id, ..sequence });
        id
    }

    // ----- segments and rules -----

    fn segments(&mut self, bundle: &Bundle) {
        (self.segment_ids, self.entry_ids) = self.segment_ids(bundle);
        let mut seen = HashSet::new();
        let mut taken: HashSet<(String, String)> =
            self.current.segments.iter().map(|s| (s.record_type.to_string(), fold(&s.name))).collect();
        taken.extend(bundle.segments.iter().map(|s| (s.record_type.clone(), fold(&s.name))));
        for (i, entry) in bundle.segments.iter().enumerate() {
            let at = place("segments", i, &entry.name);
            let key = (entry.record_type.clone(), fold(&entry.name));
            if !seen.insert(key.clone()) {
                self.problem(&at, format!("the bundle lists this {} segment twice", entry.record_type));
                continue;
            }
            let ty = RecordTypeName::new(entry.record_type.clone());
            let Some(def) = self.schema.get(&ty).cloned() else {
                self.problem(&at, format!("there is no record type \"{ty}\" in the bundle or the workspace"));
                continue;
            };
            let existing =
                self.current.segments.iter().find(|s| s.record_type == ty && fold(&s.name) == key.1).cloned();
            if existing.is_some() && self.policy == OnClash::Skip {
                self.line("segment", &entry.name, Outcome::Skipped);
                continue;
            }
            let before = self.problems.len();
            let segment = self.segment(entry, &def, &at, self.entry_ids.get(i).copied());
            let rules: Vec<AssignmentRule> =
                entry.rules.iter().enumerate().filter_map(|(k, rule)| self.rule(rule, &def, &at, k)).collect();
            if self.problems.len() > before {
                continue;
            }
            match existing {
                None => {
                    self.line("segment", &entry.name, Outcome::Created);
                    let id = SegmentId(placeholder(self.plan.segments.len()));
                    self.plan.segments.push(PlannedSegment { segment: Segment { id, ..segment }, rules });
                }
                Some(existing) if self.policy == OnClash::Replace => {
                    if existing.status != segment.status && !existing.status.can_become(segment.status) {
                        self.problem(
                            &at,
                            format!(
                                "the workspace's segment is {} and cannot become {} (Draft → Active ⇄ Inactive)",
                                existing.status, segment.status
                            ),
                        );
                        continue;
                    }
                    self.line("segment", &entry.name, Outcome::Replaced);
                    self.plan.segments.push(PlannedSegment {
                        segment: Segment {
                            id: existing.id,
                            name: existing.name.clone(),
                            priority: existing.priority,
                            created_on: existing.created_on,
                            ..segment
                        },
                        rules,
                    });
                }
                Some(_) => {
                    let to = free_name(&entry.name, &names_of(&taken, ty.as_str()));
                    taken.insert((ty.to_string(), fold(&to)));
                    self.line("segment", &entry.name, Outcome::Renamed { to: to.clone() });
                    let id = SegmentId(placeholder(self.plan.segments.len()));
                    self.plan.segments.push(PlannedSegment { segment: Segment { id, name: to, ..segment }, rules });
                }
            }
        }
    }

    /// `id`: the id the segment will have, so segments of the bundle naming each other in a
    /// cycle are caught (at the second of them, once the first one's names are read).
    fn segment(&mut self, entry: &SegmentEntry, def: &RecordTypeDef, at: &str, id: Option<SegmentId>) -> Segment {
        if let Some(message) = name_problem(&entry.name, &entry.description) {
            self.problem(at, message);
        }
        let sequence = entry.sequence.as_ref().and_then(|name| {
            let key = (entry.record_type.clone(), fold(name));
            let found = self.sequence_ids.get(&key).copied().or_else(|| {
                self.current
                    .sequences
                    .iter()
                    .find(|s| s.record_type == def.name && fold(&s.name) == key.1)
                    .map(|s| s.id)
            });
            if found.is_none() {
                self.problem(
                    at,
                    format!("sequence \"{name}\" is not a {} sequence of the bundle or the workspace", def.name),
                );
            }
            found
        });
        let (conditions, unnamed) = self.named_segments(entry, def, at);
        let limit = crate::domain::DEFAULT_MAX_DEPTH;
        if let Some(id) = id {
            let definition = crate::domain::Definition {
                name: entry.name.clone(),
                record_type: def.name.clone(),
                conditions: conditions.clone(),
            };
            self.segment_ids.insert(id, definition);
        }
        let definitions = &self.segment_ids;
        let problems =
            crate::domain::validate::validate_segment(&self.schema, def, &conditions, limit, definitions, id);
        for problem in problems.iter().filter(|p| !unnamed.contains(&p.path)) {
            self.problem(at, format!("condition {}: {problem}", tree_place(&problem.path)));
        }
        Segment {
            id: SegmentId(0),
            record_type: def.name.clone(),
            name: entry.name.clone(),
            description: entry.description.clone(),
            status: entry.status,
            priority: 0,
            conditions,
            accept_from_other_segments: entry.accept_from_other_segments,
            rerun_assignment_on_move: entry.rerun_assignment_on_move,
            sequence,
            created_on: self.now,
            modified_on: self.now,
        }
    }

    fn rule(&mut self, entry: &RuleEntry, def: &RecordTypeDef, segment_at: &str, k: usize) -> Option<AssignmentRule> {
        let at = format!("{segment_at} rules[{k}] \"{}\"", entry.name);
        let before = self.problems.len();
        let target = match &entry.target {
            TargetEntry::AnySeller => Target::AnySeller,
            TargetEntry::SellersMatching(conditions) => Target::SellersMatching(
                conditions
                    .iter()
                    .map(|c| AttributeCondition {
                        attribute: self.attribute(&c.attribute).map_or_else(|| c.attribute.clone(), |a| a.name.clone()),
                        values: match &c.values {
                            AttributeValueEntry::Fixed(values) => AttributeValue::Fixed(values.clone()),
                            AttributeValueEntry::FromRecord(field) => {
                                AttributeValue::FromRecord(FieldName::new(field.clone()))
                            }
                        },
                    })
                    .collect(),
            ),
            TargetEntry::Sellers(keys) => Target::Sellers(
                keys.iter()
                    .filter_map(|key| {
                        let id = self.seller_id(key);
                        if id.is_none() {
                            self.problem(
                                &at,
                                format!("seller \"{key}\" is neither in the bundle nor in the workspace"),
                            );
                        }
                        id
                    })
                    .collect(),
            ),
            TargetEntry::Team(name) => {
                if let Some(id) = self.team_id(name) {
                    Target::Team(id)
                } else {
                    self.problem(&at, format!("team \"{name}\" is neither in the bundle nor in the workspace"));
                    return None;
                }
            }
        };
        let rule = AssignmentRule {
            id: RuleId(0),
            name: entry.name.clone(),
            active: entry.active,
            conditions: Group::from(entry.conditions.clone()),
            created_within_hours: entry.created_within_hours,
            target,
            distribution: entry.distribution.into(),
            honour_capacity: entry.honour_capacity,
            available_within_hours: entry.available_within_hours,
        };
        if self.problems.len() > before {
            return None;
        }
        let problems = validate_rule(&self.schema, def, &self.attributes, &self.sellers, &self.teams, &rule);
        if problems.is_empty() {
            return Some(rule);
        }
        for problem in problems {
            self.problem(&at, problem.to_string());
        }
        None
    }
}

/// The folded names of one record type's definitions.
fn names_of(taken: &HashSet<(String, String)>, ty: &str) -> HashSet<String> {
    taken.iter().filter(|(t, _)| t == ty).map(|(_, n)| n.clone()).collect()
}

/// A condition's place in a tree: child numbers from 1, dotted ("2.1"); "root" for the root.
fn tree_place(path: &[usize]) -> String {
    if path.is_empty() {
        return "root".to_owned();
    }
    path.iter().map(|i| (i + 1).to_string()).collect::<Vec<_>>().join(".")
}

fn name_problem(name: &str, description: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some("the name is required".into());
    }
    let chars = name.chars().count();
    if chars > NAME_MAX_CHARS {
        return Some(format!("the name has {chars} characters, at most {NAME_MAX_CHARS} allowed"));
    }
    let chars = description.chars().count();
    if chars > DESCRIPTION_MAX_CHARS {
        return Some(format!("the description has {chars} characters, at most {DESCRIPTION_MAX_CHARS} allowed"));
    }
    None
}

/// "HH:MM" as minutes since midnight, 00:00 to 24:00.
fn minutes(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}
