//! The reference evaluator: what a condition tree means, written once, record by record.
//!
//! This is the definition the fast engine and the SQL compiler are tested against, so it is
//! written to read like the "Semantics" section of BRIEF.md rather than to be fast.
//!
//! Decisions where the brief is silent:
//! - Text and choice comparisons fold both sides with Unicode full case folding ([`fold`]:
//!   no trimming, no accent folding, no normalization): "ÉMILE" equals "émile", "Straße"
//!   equals "STRASSE", " UK" does not equal "UK". `%`, `_`, `\` and `'` are ordinary
//!   characters. Contains / begins / ends with look for the folded part in the folded value.
//! - Matches pattern uses the `regex` crate, case-insensitive, on the value as stored
//!   (see [`compile_pattern`]): the regex engine folds one character to one (simple case
//!   folding), so `ß` does not match `ss` there. An invalid pattern matches nothing.
//! - A condition that does not fit the schema (unknown field, an operator the field does not
//!   offer, an operand of the wrong kind) is false, also for negative operators; so is a
//!   related-record block whose record type or `via` does not fit. Validation reports them.
//! - A date operand with a time (`DateValue::At`) on a date-only field, or with on / not on
//!   / between, is compared by its calendar day; only before / after and their "on or" forms
//!   on a date-time field compare instants.
//! - Relative ranges that step outside the calendar jiff supports saturate: "in the last
//!   100000 years" includes every past date, "older than 100000 years" nothing.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use regex::{Regex, RegexBuilder};

use super::condition::{Condition, DateUnit, DateValue, FieldPath, Group, GroupMode, Node, Quantifier, RelatedBlock};
use super::number::{cents, f64_holds, int_test};
use super::predicate::{DateTest, LookupTest, NumberTest, OwnerTest, Predicate, TextTest, predicate};
use super::quantity::{QuantityTest, Tally};
use super::schema::{FieldDef, FieldKind, FieldName, RecordTypeDef, RecordTypeName, Schema};
use super::segment::SegmentId;
use super::segment_test::{Definitions, SegmentCondition, SegmentTest, reached_type};
use super::value::{Record, RecordId, SellerId, TeamId, Value};

/// The largest compiled size of a pattern, in bytes.
pub const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// Nesting beyond which the evaluator gives up (false) instead of recursing further.
/// Validation refuses trees far below this ([`super::condition::DEFAULT_MAX_DEPTH`]); this
/// only keeps an unvalidated tree from exhausting the stack.
pub const HARD_DEPTH_LIMIT: usize = 256;

/// The clock and the workspace time zone that relative dates are resolved against.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalContext {
    pub now: Timestamp,
    pub time_zone: TimeZone,
}

impl EvalContext {
    pub fn new(now: Timestamp, time_zone: TimeZone) -> Self {
        Self { now, time_zone }
    }

    /// The calendar day of `now` in the workspace time zone.
    pub fn today(&self) -> Date {
        self.day_of(self.now)
    }

    /// The calendar day of an instant in the workspace time zone.
    pub fn day_of(&self, instant: Timestamp) -> Date {
        self.time_zone.to_datetime(instant).date()
    }

    /// The instant of a wall-clock time typed by the user, read in the workspace time zone
    /// (a time skipped or repeated by a DST change resolves as jiff's "compatible" rule: the
    /// later offset in a gap, the earlier one in a fold).
    pub fn instant_of(&self, wall: DateTime) -> Option<Timestamp> {
        self.time_zone.to_ambiguous_timestamp(wall).compatible().ok()
    }
}

/// The records a tree is evaluated over: the schema, records by id, the records pointing at
/// a record, and team membership.
pub trait Dataset {
    fn schema(&self) -> &Schema;
    fn record(&self, ty: &RecordTypeName, id: RecordId) -> Option<&Record>;
    /// The records of `ty` whose lookup field `via` holds `target`.
    fn referencing(&self, ty: &RecordTypeName, via: &FieldName, target: RecordId) -> Vec<&Record>;
    /// The sellers of a team; empty for an unknown team.
    fn team_members(&self, team: TeamId) -> &[SellerId];
    /// The segment record `id` of `ty` is stored as a member of, if any.
    fn segment_of(&self, _ty: &RecordTypeName, _id: RecordId) -> Option<SegmentId> {
        None
    }
    /// The segments a tree may name ("is in segment", "matches the conditions of").
    fn definitions(&self) -> &Definitions {
        static NONE: std::sync::LazyLock<Definitions> = std::sync::LazyLock::new(Definitions::default);
        &NONE
    }
}

/// A [`Dataset`] held in memory: for tests and small workspaces.
#[derive(Clone, Debug, Default)]
pub struct MemoryDataset {
    schema: Schema,
    records: HashMap<RecordTypeName, BTreeMap<RecordId, Record>>,
    teams: HashMap<TeamId, Vec<SellerId>>,
    memberships: HashMap<(RecordTypeName, RecordId), SegmentId>,
    definitions: Definitions,
}

impl MemoryDataset {
    pub fn new(schema: Schema) -> Self {
        Self {
            schema,
            records: HashMap::new(),
            teams: HashMap::new(),
            memberships: HashMap::new(),
            definitions: Definitions::default(),
        }
    }

    /// Stores record `id` of `ty` as a member of `segment` (`None`: of none).
    pub fn set_membership(&mut self, ty: &RecordTypeName, id: RecordId, segment: Option<SegmentId>) {
        match segment {
            Some(segment) => self.memberships.insert((ty.clone(), id), segment),
            None => self.memberships.remove(&(ty.clone(), id)),
        };
    }

    /// The segments trees may name.
    pub fn set_definitions(&mut self, definitions: Definitions) {
        self.definitions = definitions;
    }

    /// Adds or replaces a record; returns the one it replaced.
    pub fn insert(&mut self, ty: &RecordTypeName, record: Record) -> Option<Record> {
        self.records.entry(ty.clone()).or_default().insert(record.id, record)
    }

    pub fn set_team(&mut self, team: TeamId, members: Vec<SellerId>) {
        self.teams.insert(team, members);
    }

    /// The records of a type, by ascending id.
    pub fn records(&self, ty: &RecordTypeName) -> impl Iterator<Item = &Record> {
        self.records.get(ty).into_iter().flat_map(|records| records.values())
    }

    /// The ids of the records of `ty` that `root` matches, ascending. Empty for an unknown type.
    pub fn matching(&self, ctx: &EvalContext, ty: &RecordTypeName, root: &Group) -> Vec<RecordId> {
        let Some(def) = self.schema.get(ty) else { return Vec::new() };
        self.records(ty).filter(|record| matches(self, ctx, def, record, root)).map(|record| record.id).collect()
    }
}

impl Dataset for MemoryDataset {
    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn record(&self, ty: &RecordTypeName, id: RecordId) -> Option<&Record> {
        self.records.get(ty)?.get(&id)
    }

    fn referencing(&self, ty: &RecordTypeName, via: &FieldName, target: RecordId) -> Vec<&Record> {
        let Some(index) = self.schema.get(ty).and_then(|def| def.field_index(via)) else { return Vec::new() };
        self.records(ty).filter(|record| record.values.get(index) == Some(&Value::Lookup(target))).collect()
    }

    fn team_members(&self, team: TeamId) -> &[SellerId] {
        self.teams.get(&team).map_or(&[][..], Vec::as_slice)
    }

    fn segment_of(&self, ty: &RecordTypeName, id: RecordId) -> Option<SegmentId> {
        self.memberships.get(&(ty.clone(), id)).copied()
    }

    fn definitions(&self) -> &Definitions {
        &self.definitions
    }
}

/// Whether `record` (of type `ty`) matches the tree `root`.
///
/// Meant for validated trees; a piece that does not fit the schema is false, never a panic.
pub fn matches(ds: &dyn Dataset, ctx: &EvalContext, ty: &RecordTypeDef, record: &Record, root: &Group) -> bool {
    Evaluator { ds, ctx, expanding: std::cell::RefCell::default() }.group(ty, record, root, 0)
}

/// One line of [`explain`]: a node of the tree, whether it holds for the record, and for a
/// condition the value the record has there (formatted; "(empty)" when empty).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Explained {
    pub depth: usize,
    pub holds: bool,
    pub text: String,
    pub value: Option<String>,
}

/// Why `record` does or does not match `root`: every node in tree order with its result,
/// computed by the same evaluator as [`matches`] (so the first line's `holds` is exactly
/// `matches(...)`).
pub fn explain(
    ds: &dyn Dataset,
    ctx: &EvalContext,
    ty: &RecordTypeDef,
    record: &Record,
    root: &Group,
    names: &dyn super::describe::Names,
) -> Vec<Explained> {
    let evaluator = Evaluator { ds, ctx, expanding: std::cell::RefCell::default() };
    let mut lines = Vec::new();
    explain_group(&evaluator, ty, record, root, 0, names, &mut lines);
    lines
}

fn explain_group(
    evaluator: &Evaluator<'_>,
    ty: &RecordTypeDef,
    record: &Record,
    group: &Group,
    depth: usize,
    names: &dyn super::describe::Names,
    out: &mut Vec<Explained>,
) {
    let head = match (group.mode, group.negated) {
        (GroupMode::All, false) => "All of",
        (GroupMode::Any, false) => "Any of",
        (GroupMode::All, true) => "Not all of",
        (GroupMode::Any, true) => "None of",
    };
    let head = if group.children.is_empty() { format!("{head} nothing") } else { head.to_owned() };
    out.push(Explained { depth, holds: evaluator.group(ty, record, group, depth), text: head, value: None });
    let schema = evaluator.ds.schema();
    for child in &group.children {
        let holds = evaluator.node(ty, record, child, depth + 1);
        match child {
            Node::Condition(condition) => {
                let text = super::describe::condition_text(condition, ty, schema, names);
                let value = evaluator.resolve(ty, record, &condition.path).map(|(_, value)| match value {
                    Value::Empty => "(empty)".to_owned(),
                    value => super::format::format_value(value, &evaluator.ctx.time_zone),
                });
                out.push(Explained { depth: depth + 1, holds, text, value });
            }
            Node::Group(inner) => explain_group(evaluator, ty, record, inner, depth + 1, names, out),
            Node::Related(block) => {
                let related = schema.get(&block.record_type);
                let via =
                    related.and_then(|t| t.field(&block.via)).map_or(block.via.to_string(), |f| f.label.to_lowercase());
                let found = schema
                    .get(&block.record_type)
                    .map_or(0, |t| evaluator.ds.referencing(&t.name, &block.via, record.id).len());
                let plural = related.map_or(block.record_type.to_string(), |t| t.plural_label.to_lowercase());
                let quantity = super::describe::quantity_text(&block.quantifier, related, &plural);
                let text = format!("{quantity} whose {via} is this record and where");
                out.push(Explained { depth: depth + 1, holds, text, value: Some(format!("{found} related")) });
            }
            Node::Segment(node) => {
                let text = super::describe::segment_text(node, ty, schema, evaluator.ds.definitions());
                out.push(Explained { depth: depth + 1, holds, text, value: None });
            }
        }
    }
}

/// The one case fold of the app: Unicode full case folding (`CaseFolding.txt` statuses C
/// and F, not the Turkic T), nothing trimmed or normalized. "ÉMILE" equals "émile",
/// "Straße" folds to "strasse" (the folded text can be longer than the original), "ΟΔΟΣ",
/// "οδος" and "οδοσ" all fold to "οδοσ", "ﬁ" to "fi", "ǅ" to "ǆ"; "İ" folds to "i̇" (i and
/// a combining dot), so "İstanbul" does not equal "istanbul", and the dotless "ı" stays
/// itself. Every text comparison folds both sides with it: this evaluator, the fast
/// engine's dictionaries and the store's SQL function `sb_fold`.
pub fn fold(text: &str) -> String {
    unicase::UniCase::new(text).to_folded_case()
}

/// Compiles a "matches pattern" operand the way the evaluator reads it: case-insensitive,
/// Unicode, at most [`PATTERN_SIZE_LIMIT`] bytes compiled. The error is the user's message.
pub fn compile_pattern(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).case_insensitive(true).size_limit(PATTERN_SIZE_LIMIT).build()
}

/// `today` moved by `amount` units forward (`forward`) or back; `None` outside the calendar.
/// Months and years step calendar months, clamping to the month's last day (Mar 31 − 1 month
/// is Feb 28 or 29); weeks are 7 days.
pub fn shift(today: Date, amount: u32, unit: DateUnit, forward: bool) -> Option<Date> {
    let amount = i64::from(amount);
    let span = match unit {
        DateUnit::Days => Span::new().try_days(amount),
        DateUnit::Weeks => Span::new().try_weeks(amount),
        DateUnit::Months => Span::new().try_months(amount),
        DateUnit::Years => Span::new().try_years(amount),
    }
    .ok()?;
    if forward { today.checked_add(span).ok() } else { today.checked_sub(span).ok() }
}

/// The field a path ends at, with the type it belongs to, following each `via` lookup
/// through the schema. `None` when a hop is unknown or not a lookup, or the field is unknown.
pub fn resolve_path<'s>(schema: &'s Schema, ty: &'s RecordTypeDef, path: &FieldPath) -> Option<&'s FieldDef> {
    let mut current = ty;
    for hop in &path.via {
        let field = current.field(hop)?;
        if field.kind != FieldKind::Lookup {
            return None;
        }
        current = schema.get(field.lookup_target.as_ref()?)?;
    }
    current.field(&path.field)
}

static EMPTY: Value = Value::Empty;

struct Evaluator<'a> {
    ds: &'a dyn Dataset,
    ctx: &'a EvalContext,
    /// The segments whose conditions are being evaluated ("matches the conditions of"),
    /// innermost last: one named again is a cycle, false.
    expanding: std::cell::RefCell<Vec<SegmentId>>,
}

impl<'a> Evaluator<'a> {
    /// All of nothing is true, Any of nothing is false; a negated group is the complement.
    fn group(&self, ty: &RecordTypeDef, record: &Record, group: &Group, depth: usize) -> bool {
        if depth > HARD_DEPTH_LIMIT {
            return false;
        }
        let holds = |node: &Node| self.node(ty, record, node, depth + 1);
        let result = match group.mode {
            GroupMode::All => group.children.iter().all(holds),
            GroupMode::Any => group.children.iter().any(holds),
        };
        result != group.negated
    }

    fn node(&self, ty: &RecordTypeDef, record: &Record, node: &Node, depth: usize) -> bool {
        match node {
            Node::Condition(condition) => self.condition(ty, record, condition),
            Node::Group(group) => self.group(ty, record, group, depth),
            Node::Related(block) => self.related(ty, record, block, depth),
            Node::Segment(node) => self.segment(ty, record, node, depth),
        }
    }

    /// "is in / is not in / matches the conditions of segment X", of the record the path
    /// reaches (`segment_test` has the rules).
    fn segment(&self, ty: &RecordTypeDef, record: &Record, node: &SegmentCondition, depth: usize) -> bool {
        let schema = self.ds.schema();
        let Some(definition) = self.ds.definitions().get(node.segment) else { return false };
        let Some(target_ty) = reached_type(schema, ty, &node.via).filter(|t| t.name == definition.record_type) else {
            return false;
        };
        let target = self.follow(ty, record, &node.via);
        match node.test {
            SegmentTest::InSegment | SegmentTest::NotInSegment => {
                let member = target.is_some_and(|t| self.ds.segment_of(&target_ty.name, t.id) == Some(node.segment));
                member == (node.test == SegmentTest::InSegment)
            }
            SegmentTest::MatchesConditions => {
                let Some(target) = target else { return false };
                if self.expanding.borrow().contains(&node.segment) {
                    return false;
                }
                self.expanding.borrow_mut().push(node.segment);
                let holds = self.group(target_ty, target, &definition.conditions, depth + node.via.len() + 1);
                self.expanding.borrow_mut().pop();
                holds
            }
        }
    }

    /// The record lookups `via` lead to from `record`; `None` at an empty or dangling link.
    /// The path must fit the schema ([`reached_type`]).
    fn follow<'r>(&self, ty: &'r RecordTypeDef, record: &'r Record, via: &[FieldName]) -> Option<&'r Record>
    where
        'a: 'r,
    {
        let schema = self.ds.schema();
        let mut current_ty = ty;
        let mut current = record;
        for hop in via {
            let index = current_ty.field_index(hop)?;
            let target = schema.get(current_ty.fields[index].lookup_target.as_ref()?)?;
            current = match current.values.get(index) {
                Some(Value::Lookup(id)) => self.ds.record(&target.name, *id)?,
                _ => return None,
            };
            current_ty = target;
        }
        Some(current)
    }

    /// "has at least one / at least N … <`record_type`> whose <via> is this record and
    /// where <group>", or an aggregate of a field of those records ([`QuantityTest`]).
    fn related(&self, ty: &RecordTypeDef, record: &Record, block: &RelatedBlock, depth: usize) -> bool {
        let schema = self.ds.schema();
        let Some(related_ty) = schema.get(&block.record_type) else { return false };
        let points_here = related_ty
            .field(&block.via)
            .is_some_and(|f| f.kind == FieldKind::Lookup && f.lookup_target.as_ref() == Some(&ty.name));
        if !points_here {
            return false;
        }
        let field = match &block.quantifier {
            Quantifier::Aggregate(aggregate) => related_ty.field_index(&aggregate.field),
            _ => None,
        };
        let test = QuantityTest::new(&block.quantifier, field.map(|index| related_ty.fields[index].kind));
        let mut tally = Tally::default();
        for related in self.ds.referencing(&related_ty.name, &block.via, record.id) {
            if self.group(related_ty, related, &block.group, depth + 1) {
                tally.add(field.and_then(|index| exact_value(related.values.get(index)?)));
            }
        }
        test.holds(&tally)
    }

    /// A negative operator is the exact complement of its positive twin.
    fn condition(&self, ty: &RecordTypeDef, record: &Record, condition: &Condition) -> bool {
        let Some((field, value)) = self.resolve(ty, record, &condition.path) else { return false };
        let operator = condition.operator;
        if !operator.applies_to(field.kind) || condition.value.kind() != operator.operand_kind(field.kind) {
            return false;
        }
        match operator.positive_twin() {
            Some(twin) => !self.holds(field.kind, value, predicate(field.kind, twin, &condition.value)),
            None => self.holds(field.kind, value, predicate(field.kind, operator, &condition.value)),
        }
    }

    /// The field at the end of the path and its value; a missing or empty link on the way
    /// makes the value empty.
    fn resolve<'r>(
        &self,
        ty: &'r RecordTypeDef,
        record: &'r Record,
        path: &FieldPath,
    ) -> Option<(&'r FieldDef, &'r Value)>
    where
        'a: 'r,
    {
        let schema = self.ds.schema();
        let mut current_ty = ty;
        let mut current = Some(record);
        for hop in &path.via {
            let index = current_ty.field_index(hop)?;
            let field = &current_ty.fields[index];
            let target = schema.get(field.lookup_target.as_ref()?)?;
            if field.kind != FieldKind::Lookup {
                return None;
            }
            current = match current.and_then(|r| r.values.get(index)) {
                Some(Value::Lookup(id)) => self.ds.record(&target.name, *id),
                _ => None,
            };
            current_ty = target;
        }
        let index = current_ty.field_index(&path.field)?;
        let value = current.and_then(|r| r.values.get(index)).unwrap_or(&EMPTY);
        Some((&current_ty.fields[index], value))
    }

    /// Whether a positive test holds; only is empty holds on an empty value.
    fn holds(&self, kind: FieldKind, value: &Value, predicate: Predicate<'_>) -> bool {
        if value.is_empty() {
            return predicate == Predicate::IsEmpty;
        }
        match predicate {
            Predicate::IsEmpty | Predicate::Never => false,
            Predicate::Text(test) => value.as_text().is_some_and(|text| text_holds(text, test)),
            Predicate::Number(test) => number_holds(kind, value, test),
            Predicate::Date(test) => self.date_holds(value, test),
            Predicate::YesNo(wanted) => matches!(value, Value::YesNo(yes) if *yes == wanted),
            Predicate::Lookup(test) => match (value, test) {
                (Value::Lookup(id), LookupTest::Is(wanted)) => *id == wanted,
                (Value::Lookup(id), LookupTest::AnyOf(wanted)) => wanted.contains(id),
                _ => false,
            },
            Predicate::Owner(test) => match (value, test) {
                (Value::Owner(seller), OwnerTest::Is(wanted)) => *seller == wanted,
                (Value::Owner(seller), OwnerTest::AnyOf(wanted)) => wanted.contains(seller),
                (Value::Owner(seller), OwnerTest::MemberOfTeam(team)) => self.ds.team_members(team).contains(seller),
                _ => false,
            },
        }
    }

    /// A date-time value is compared by its calendar day in the workspace zone, except before
    /// / after a date-time typed with a time, which compare instants. Ranges are inclusive.
    fn date_holds(&self, value: &Value, test: DateTest) -> bool {
        let (day, instant) = match value {
            Value::Date(day) => (*day, None),
            Value::DateTime(instant) => (self.ctx.day_of(*instant), Some(*instant)),
            _ => return false,
        };
        let today = self.ctx.today();
        match test {
            DateTest::Compare(comparison, DateValue::At(wall)) if instant.is_some() => {
                let (Some(instant), Some(typed)) = (instant, self.ctx.instant_of(wall)) else { return false };
                comparison.holds(instant, typed)
            }
            DateTest::On(date) => day == date.date(),
            DateTest::Compare(comparison, date) => comparison.holds(day, date.date()),
            DateTest::Between(low, high) => low <= day && day <= high,
            // today − N ≤ d ≤ today
            DateTest::InLast(amount, unit) => {
                let from = shift(today, amount, unit, false).unwrap_or(Date::MIN);
                from <= day && day <= today
            }
            // today ≤ d ≤ today + N
            DateTest::InNext(amount, unit) => {
                let until = shift(today, amount, unit, true).unwrap_or(Date::MAX);
                today <= day && day <= until
            }
            // d < today − N
            DateTest::OlderThan(amount, unit) => shift(today, amount, unit, false).is_some_and(|limit| day < limit),
            DateTest::Calendar(period) => period.days(today).is_some_and(|days| days.contains(&day)),
        }
    }
}

fn text_holds(text: &str, test: TextTest<'_>) -> bool {
    let value = fold(text);
    match test {
        TextTest::Equals(wanted) => value == fold(wanted),
        TextTest::Contains(part) => value.contains(&fold(part)),
        TextTest::BeginsWith(start) => value.starts_with(&fold(start)),
        TextTest::EndsWith(end) => value.ends_with(&fold(end)),
        TextTest::AnyOf(options) => options.iter().any(|option| value == fold(option)),
        TextTest::Pattern(pattern) => compile_pattern(pattern).is_ok_and(|regex| regex.is_match(text)),
    }
}

/// The integer an aggregate reads: a whole number, or money in cents.
fn exact_value(value: &Value) -> Option<i64> {
    match value {
        Value::WholeNumber(n) => Some(*n),
        Value::Money(amount) if !amount.is_nan() => Some(cents(*amount)),
        _ => None,
    }
}

/// Whole numbers compare as `i64` and money as whole cents, exactly against the typed
/// number (`= 2.5` holds for no whole number); decimals compare their `f64` exactly. A
/// value of another kind than the field's is no number there.
fn number_holds(kind: FieldKind, value: &Value, test: NumberTest<'_>) -> bool {
    match (kind, value) {
        (FieldKind::WholeNumber, Value::WholeNumber(n)) => int_test(test, 0).holds(i128::from(*n)),
        (FieldKind::Money, Value::Money(amount)) => {
            !amount.is_nan() && int_test(test, 2).holds(i128::from(cents(*amount)))
        }
        (FieldKind::Decimal, Value::Decimal(x)) => f64_holds(*x, test),
        _ => false,
    }
}
