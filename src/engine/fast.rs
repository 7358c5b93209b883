//! Condition trees compiled against a [`Snapshot`] and evaluated as column scans into
//! bitsets.
//!
//! [`compile`] does the work that depends on the values' distinct forms and on the clock:
//! text operators are decided once per dictionary entry (a table by code), dates become
//! ranges of day numbers or instants, lookups become target rows. [`Compiled::evaluate`]
//! then only scans columns, 64 rows per word, in parallel.
//!
//! The meaning is the reference evaluator's (`domain::eval`), decision for decision: a
//! positive operator is false on an empty value, a negative one is the complement of its
//! twin (a table or a range flipped whole, empty rows included), a condition that does not
//! fit the schema is false, a path through an empty or missing lookup reads an empty value,
//! a related-record block looks at live related records only.

use super::EngineError;
use super::bitset::{Bitset, pack};
use super::snapshot::{
    CODE_EMPTY, CODE_FIRST, Codes, Column, DAY_LOWEST, INSTANT_LOWEST, INSTANT_NONE, LINK_EMPTY, LINK_INVALID,
    Snapshot, TemporalColumn, day_number, instant_number,
};
use crate::domain::eval::{HARD_DEPTH_LIMIT, shift};
use crate::domain::number::{IntTest, exact_places, int_test};
use crate::domain::predicate::{Comparison, DateTest, LookupTest, OwnerTest, Predicate, predicate};
use crate::domain::{
    Condition, DateValue, EvalContext, FieldKind, Group, GroupMode, Node, Operator, RecordId, RecordTypeName,
    RelatedBlock,
};

mod numbers;
mod related;
mod segments;
mod text;

use numbers::{ExactTest, decimal_predicate, whole_words};
use text::text_entries;

/// A condition tree compiled for one record type of one snapshot at one clock.
#[derive(Debug)]
pub struct Compiled {
    record_type: RecordTypeName,
    position: usize,
    stamp: (u64, u64),
    root: Expr,
    source: Group,
    ctx: EvalContext,
}

/// Compiles `root` for the records of `ty`. The context's time zone must be the one the
/// snapshot was built in (it gave date-time values their calendar days).
pub fn compile(
    snapshot: &Snapshot,
    ty: &RecordTypeName,
    root: &Group,
    ctx: &EvalContext,
) -> Result<Compiled, EngineError> {
    if ctx.time_zone != *snapshot.time_zone() {
        return Err(EngineError::TimeZoneMismatch {
            snapshot: snapshot.time_zone().iana_name().unwrap_or("a fixed offset").to_owned(),
            context: ctx.time_zone.iana_name().unwrap_or("a fixed offset").to_owned(),
        });
    }
    let position = snapshot.type_position(ty)?;
    let compiler = Compiler { snapshot, ctx, expanding: std::cell::RefCell::default() };
    Ok(Compiled {
        record_type: ty.clone(),
        position,
        stamp: snapshot.stamp(),
        root: compiler.group(position, root, 0),
        source: root.clone(),
        ctx: ctx.clone(),
    })
}

impl Compiled {
    pub fn record_type(&self) -> &RecordTypeName {
        &self.record_type
    }

    /// The rows of live records that match, over all rows of the type. On a snapshot that
    /// changed since compiling (or another snapshot) the tree is compiled again first.
    pub fn evaluate(&self, snapshot: &Snapshot) -> Bitset {
        if snapshot.stamp() != self.stamp {
            return match compile(snapshot, &self.record_type, &self.source, &self.ctx) {
                Ok(fresh) => fresh.evaluate(snapshot),
                Err(_) => Bitset::empty(snapshot.type_snapshot(&self.record_type).map_or(0, |t| t.rows())),
            };
        }
        let live = snapshot.types()[self.position].live();
        let mut rows = eval(snapshot, &self.root, self.position, Some(live));
        rows.and_with(live);
        rows
    }

    /// The rows of `within` that match (`within` should hold live rows only): rows outside
    /// it are not evaluated, which makes resolving many segments in turn cheaper.
    pub fn evaluate_within(&self, snapshot: &Snapshot, within: &Bitset) -> Bitset {
        if snapshot.stamp() != self.stamp {
            let mut rows = self.evaluate(snapshot);
            rows.and_with(within);
            return rows;
        }
        let mut rows = eval(snapshot, &self.root, self.position, Some(within));
        rows.and_with(within);
        rows.and_with(snapshot.types()[self.position].live());
        rows
    }

    /// The ids of the matching records, ascending by row (for tests and small lists).
    pub fn matching_ids(&self, snapshot: &Snapshot) -> Vec<RecordId> {
        let rows = self.evaluate(snapshot);
        snapshot.types().get(self.position).map_or_else(Vec::new, |t| t.ids_of(&rows))
    }
}

#[derive(Debug)]
enum Expr {
    Const(bool),
    All(Vec<Expr>),
    Any(Vec<Expr>),
    Not(Box<Expr>),
    /// A test on a column of the type being evaluated.
    Scan {
        column: usize,
        test: Test,
    },
    /// The value of `inner` at the row lookup `column` points at; `on_empty` where the
    /// lookup is empty (the condition on an empty value).
    Through {
        column: usize,
        target: usize,
        inner: Box<Expr>,
        on_empty: bool,
    },
    /// Rows that live records of `related` point at through `via` and that match `group`,
    /// as many as `measure` asks.
    Related {
        related: usize,
        via: usize,
        group: Box<Expr>,
        measure: related::Measure,
        /// What the result depends on besides the snapshot: the block, where it sits, the
        /// day (relative dates); the snapshot keeps results by it.
        key: String,
    },
    /// Precomputed rows of the type (stored members of a segment, live rows).
    Rows(Bitset),
}

#[derive(Debug)]
enum Test {
    /// Text, choice or owner: the codes that hold.
    Codes(CodeTest),
    /// A decimal column's values.
    Number {
        predicate: NumberPredicate,
        negate: bool,
    },
    /// A whole-number or money column's exact values (money in cents).
    Whole {
        test: IntTest,
        negate: bool,
    },
    /// Day number within `low ..= high`.
    Days {
        low: i32,
        high: i32,
        negate: bool,
    },
    /// Instant within range where the value has one, else the day within range.
    Moments {
        instants: (i64, i64),
        days: (i32, i32),
    },
    Bits {
        which: Which,
        negate: bool,
    },
    /// Lookup rows among `rows` (sorted; may include [`LINK_EMPTY`]).
    Links {
        rows: Vec<u32>,
        negate: bool,
    },
    /// Precomputed rows (lookups whose target type is unknown).
    Rows(Bitset),
}

#[derive(Debug)]
enum CodeTest {
    One(u32),
    AllBut(u32),
    Table(Vec<bool>),
}

#[derive(Clone, Copy, Debug)]
enum Which {
    Empty,
    Yes,
    No,
}

#[derive(Debug)]
enum NumberPredicate {
    Equals(f64),
    Less(f64),
    LessOrEqual(f64),
    Greater(f64),
    GreaterOrEqual(f64),
    Between(f64, f64),
    AnyOf(Vec<f64>),
    /// An operand no `f64` holds exactly (a whole number beyond 2^53): compared exactly.
    Exact(ExactTest),
}

struct Compiler<'a> {
    snapshot: &'a Snapshot,
    ctx: &'a EvalContext,
    /// The segments whose trees are being compiled in ("matches the conditions of"),
    /// innermost last: one named again is a cycle, false (as in `domain::eval`).
    expanding: std::cell::RefCell<Vec<crate::domain::SegmentId>>,
}

impl Compiler<'_> {
    /// All of nothing is true, Any of nothing false; a negated group is the complement.
    fn group(&self, t: usize, group: &Group, depth: usize) -> Expr {
        if depth > HARD_DEPTH_LIMIT {
            return Expr::Const(false);
        }
        let children = group.children.iter().map(|node| self.node(t, node, depth + 1));
        let combined = match group.mode {
            GroupMode::All => combine(children, true),
            GroupMode::Any => combine(children, false),
        };
        if group.negated { not(combined) } else { combined }
    }

    fn node(&self, t: usize, node: &Node, depth: usize) -> Expr {
        match node {
            Node::Condition(condition) => self.condition(t, condition),
            Node::Group(group) => self.group(t, group, depth),
            Node::Related(block) => self.related(t, block, depth),
            Node::Segment(node) => self.segment(t, node, depth),
        }
    }

    fn related(&self, t: usize, block: &RelatedBlock, depth: usize) -> Expr {
        let schema = self.snapshot.schema();
        let Some(related) = schema.types.iter().position(|d| d.name == block.record_type) else {
            return Expr::Const(false);
        };
        let related_def = &schema.types[related];
        let points_here = related_def
            .field(&block.via)
            .is_some_and(|f| f.kind == FieldKind::Lookup && f.lookup_target.as_ref() == Some(&schema.types[t].name));
        let Some(via) = related_def.field_index(&block.via).filter(|_| points_here) else {
            return Expr::Const(false);
        };
        let group = self.group(related, &block.group, depth + 1);
        let measure = related::Measure::new(related_def, &block.quantifier);
        let block_text = serde_json::to_string(&(&block.quantifier, &block.group)).unwrap_or_default();
        let key = format!("{t}/{related}/{via}/{depth}/{}/{block_text}", self.ctx.today());
        match group {
            Expr::Const(false) => Expr::Const(measure.holds_for_none()),
            group => Expr::Related { related, via, group: Box::new(group), measure, key },
        }
    }

    /// A negative operator is the exact complement of its positive twin.
    fn condition(&self, t: usize, condition: &Condition) -> Expr {
        let schema = self.snapshot.schema();
        let mut hops = Vec::new();
        let mut current = t;
        for hop in &condition.path.via {
            let def = &schema.types[current];
            let Some(index) = def.field_index(hop) else { return Expr::Const(false) };
            let field = &def.fields[index];
            let target =
                field.lookup_target.as_ref().and_then(|name| schema.types.iter().position(|d| &d.name == name));
            let (Some(target), FieldKind::Lookup) = (target, field.kind) else { return Expr::Const(false) };
            hops.push((index, target));
            current = target;
        }
        let def = &schema.types[current];
        let Some(index) = def.field_index(&condition.path.field) else { return Expr::Const(false) };
        let field = &def.fields[index];
        let operator = condition.operator;
        if !operator.applies_to(field.kind) || condition.value.kind() != operator.operand_kind(field.kind) {
            return Expr::Const(false);
        }
        let (positive, negate) = match operator.positive_twin() {
            Some(twin) => (twin, true),
            None => (operator, false),
        };
        let leaf = self.leaf(current, index, predicate(field.kind, positive, &condition.value), negate);
        let on_empty = (positive == Operator::IsEmpty) != negate;
        hops.into_iter().rev().fold(leaf, |inner, (column, target)| match inner {
            Expr::Const(value) if value == on_empty => inner,
            inner => Expr::Through { column, target, inner: Box::new(inner), on_empty },
        })
    }

    /// The test of a positive predicate on column `index` of type `t`, complemented when
    /// `negate`.
    fn leaf(&self, t: usize, index: usize, predicate: Predicate<'_>, negate: bool) -> Expr {
        let Some(column) = self.snapshot.types()[t].columns.get(index) else { return Expr::Const(false) };
        let scan = |test| Expr::Scan { column: index, test };
        let never = Expr::Const(negate);
        let empty = || scan(Test::Bits { which: Which::Empty, negate });
        match predicate {
            Predicate::Never => never,
            Predicate::IsEmpty => match column {
                Column::Text(c) => {
                    let mut table = vec![false; c.dictionary.len() + CODE_FIRST as usize];
                    table[CODE_EMPTY as usize] = true;
                    codes_expr(index, table, negate)
                }
                Column::Owner(c) => {
                    let mut table = vec![true, false];
                    table.extend(c.sellers.iter().map(|_| false));
                    codes_expr(index, table, negate)
                }
                Column::Number(_) | Column::Temporal(_) | Column::YesNo(_) => empty(),
                Column::Lookup(_) => scan(Test::Links { rows: vec![LINK_EMPTY], negate }),
            },
            Predicate::Text(test) => {
                let Column::Text(c) = column else { return never };
                let mut table = vec![false; c.dictionary.len() + CODE_FIRST as usize];
                text_entries(&c.dictionary, test, &mut table[CODE_FIRST as usize..]);
                codes_expr(index, table, negate)
            }
            Predicate::Owner(test) => {
                let Column::Owner(c) = column else { return never };
                let members = match test {
                    OwnerTest::MemberOfTeam(team) => self.snapshot.team_members(team),
                    OwnerTest::Is(_) | OwnerTest::AnyOf(_) => &[],
                };
                let mut table = vec![false, false];
                table.extend(c.sellers.iter().map(|seller| match test {
                    OwnerTest::Is(wanted) => *seller == wanted,
                    OwnerTest::AnyOf(wanted) => wanted.contains(seller),
                    OwnerTest::MemberOfTeam(_) => members.contains(seller),
                }));
                codes_expr(index, table, negate)
            }
            Predicate::Number(test) => {
                let Column::Number(c) = column else { return never };
                let kind = self.snapshot.schema().types[t].fields.get(index).map(|f| f.kind);
                match (&c.exact, kind.and_then(exact_places)) {
                    (Some(_), Some(places)) => match int_test(test, places).for_i64() {
                        Some(test) => scan(Test::Whole { test, negate }),
                        None => never,
                    },
                    (None, None) => scan(Test::Number { predicate: decimal_predicate(test), negate }),
                    _ => never,
                }
            }
            Predicate::Date(test) => {
                let Column::Temporal(c) = column else { return never };
                match self.date_test(c, test, negate) {
                    Some(test) => scan(test),
                    None => never,
                }
            }
            Predicate::YesNo(yes) => {
                let Column::YesNo(_) = column else { return never };
                scan(Test::Bits { which: if yes { Which::Yes } else { Which::No }, negate })
            }
            Predicate::Lookup(test) => {
                let Column::Lookup(c) = column else { return never };
                let wanted: Vec<RecordId> = match test {
                    LookupTest::Is(id) => vec![id],
                    LookupTest::AnyOf(ids) => ids.to_vec(),
                };
                if let Some(target) = c.target {
                    let target = &self.snapshot.types()[target];
                    let mut rows: Vec<u32> =
                        wanted.iter().filter_map(|id| target.row_of(*id)).map(|row| row as u32).collect();
                    rows.sort_unstable();
                    rows.dedup();
                    if rows.is_empty() { never } else { scan(Test::Links { rows, negate }) }
                } else {
                    let mut rows = Bitset::empty(c.rows.len());
                    for (&row, id) in &c.untargeted {
                        if wanted.contains(id) {
                            rows.insert(row);
                        }
                    }
                    if negate {
                        rows.negate();
                    }
                    scan(Test::Rows(rows))
                }
            }
        }
    }

    /// A date-time value is compared by its calendar day, except before / after a
    /// date-time typed with a time, which compare instants. Ranges are inclusive. `None`:
    /// the positive test holds nowhere.
    fn date_test(&self, column: &TemporalColumn, test: DateTest, negate: bool) -> Option<Test> {
        let today = self.ctx.today();
        let days = |(low, high): (i32, i32)| Some(Test::Days { low, high, negate });
        match test {
            DateTest::Compare(comparison, DateValue::At(wall)) if column.instants.is_some() => {
                let day_range = compared_days(comparison, day_number(wall.date()));
                let instant_range = match self.ctx.instant_of(wall).map(instant_number) {
                    None => (1, 0),
                    Some(typed) => match comparison {
                        Comparison::Less => (INSTANT_LOWEST, typed - 1),
                        Comparison::LessOrEqual => (INSTANT_LOWEST, typed),
                        Comparison::Greater => typed.checked_add(1).map_or((1, 0), |next| (next, i64::MAX)),
                        Comparison::GreaterOrEqual => (typed, i64::MAX),
                    },
                };
                Some(Test::Moments { instants: instant_range, days: day_range })
            }
            DateTest::On(date) => {
                let day = day_number(date.date());
                days((day, day))
            }
            DateTest::Compare(comparison, date) => days(compared_days(comparison, day_number(date.date()))),
            DateTest::Between(low, high) => days((day_number(low), day_number(high))),
            // today − N ≤ d ≤ today
            DateTest::InLast(amount, unit) => {
                let from = shift(today, amount, unit, false).unwrap_or(jiff::civil::Date::MIN);
                days((day_number(from), day_number(today)))
            }
            // today ≤ d ≤ today + N
            DateTest::InNext(amount, unit) => {
                let until = shift(today, amount, unit, true).unwrap_or(jiff::civil::Date::MAX);
                days((day_number(today), day_number(until)))
            }
            // d < today − N
            DateTest::OlderThan(amount, unit) => {
                let limit = shift(today, amount, unit, false)?;
                days((DAY_LOWEST, day_number(limit) - 1))
            }
            DateTest::Calendar(period) => {
                let range = period.days(today)?;
                days((day_number(*range.start()), day_number(*range.end())))
            }
        }
    }
}

/// The inclusive day numbers before / on or before / after / on or after `day`.
fn compared_days(comparison: Comparison, day: i32) -> (i32, i32) {
    match comparison {
        Comparison::Less => (DAY_LOWEST, day - 1),
        Comparison::LessOrEqual => (DAY_LOWEST, day),
        Comparison::Greater => (day + 1, i32::MAX),
        Comparison::GreaterOrEqual => (day, i32::MAX),
    }
}

/// `All` (`all = true`) or `Any` of the children, constants folded.
fn combine(children: impl Iterator<Item = Expr>, all: bool) -> Expr {
    let mut kept = Vec::new();
    for child in children {
        match child {
            // A neutral child drops out; an absorbing one decides.
            Expr::Const(value) if value == all => {}
            Expr::Const(value) => return Expr::Const(value),
            child => kept.push(child),
        }
    }
    match kept.len() {
        0 => Expr::Const(all),
        1 => kept.pop().unwrap_or(Expr::Const(all)),
        _ if all => Expr::All(kept),
        _ => Expr::Any(kept),
    }
}

fn not(expr: Expr) -> Expr {
    match expr {
        Expr::Const(value) => Expr::Const(!value),
        Expr::Not(inner) => *inner,
        expr => Expr::Not(Box::new(expr)),
    }
}

/// A scan of coded column `column` for the codes whose table entry (flipped when `negate`)
/// is true, as the cheapest test that does it.
fn codes_expr(column: usize, mut table: Vec<bool>, negate: bool) -> Expr {
    if negate {
        for holds in &mut table {
            *holds = !*holds;
        }
    }
    let holding = table.iter().filter(|holds| **holds).count();
    let first = |wanted: bool| table.iter().position(|holds| *holds == wanted).unwrap_or(0) as u32;
    let test = match holding {
        0 => return Expr::Const(false),
        n if n == table.len() => return Expr::Const(true),
        1 => CodeTest::One(first(true)),
        n if n + 1 == table.len() => CodeTest::AllBut(first(false)),
        _ => CodeTest::Table(table),
    };
    Expr::Scan { column, test: Test::Codes(test) }
}

/// The rows of type `t` where `expr` holds. With a `mask`, only rows in the mask are
/// exact (`result ∩ mask = truth ∩ mask`): words the mask leaves empty are skipped.
fn eval(snapshot: &Snapshot, expr: &Expr, t: usize, mask: Option<&Bitset>) -> Bitset {
    let ty = &snapshot.types()[t];
    let rows = ty.rows();
    match expr {
        Expr::Const(true) => Bitset::full(rows),
        Expr::Const(false) => Bitset::empty(rows),
        Expr::All(children) => {
            let mut acc: Option<Bitset> = None;
            for child in children {
                let result = eval(snapshot, child, t, acc.as_ref().or(mask));
                acc = Some(match acc {
                    None => result,
                    Some(mut acc) => {
                        acc.and_with(&result);
                        acc
                    }
                });
            }
            acc.unwrap_or_else(|| Bitset::full(rows))
        }
        Expr::Any(children) => {
            let mut acc = Bitset::empty(rows);
            for (i, child) in children.iter().enumerate() {
                let undecided = (i > 0).then(|| {
                    let mut undecided = mask.cloned().unwrap_or_else(|| Bitset::full(rows));
                    undecided.and_not_with(&acc);
                    undecided
                });
                let result = eval(snapshot, child, t, undecided.as_ref().or(mask));
                acc.or_with(&result);
            }
            acc
        }
        Expr::Not(inner) => {
            let mut result = eval(snapshot, inner, t, mask);
            result.negate();
            result
        }
        Expr::Scan { column, test } => match ty.columns.get(*column) {
            Some(column) => scan(column, test, rows, mask),
            None => Bitset::empty(rows),
        },
        Expr::Through { column, target, inner, on_empty } => {
            let Some(Column::Lookup(links)) = ty.columns.get(*column) else { return Bitset::empty(rows) };
            let inner = eval(snapshot, inner, *target, None);
            let on_empty = *on_empty;
            masked_words(rows, mask, |w| {
                pack(&links.rows, w, |row| if row >= LINK_INVALID { on_empty } else { inner.contains(row as usize) })
            })
        }
        Expr::Related { related, via, group, measure, key } => {
            if let Some(found) = snapshot.related_rows(key) {
                return (*found).clone();
            }
            let related_ty = &snapshot.types()[*related];
            let mut matching = eval(snapshot, group, *related, Some(related_ty.live()));
            matching.and_with(related_ty.live());
            let found = match related_ty.columns.get(*via) {
                Some(Column::Lookup(links)) => measure.rows(related_ty, links, &matching, rows),
                _ => Bitset::empty(rows),
            };
            snapshot.keep_related_rows(key.clone(), std::sync::Arc::new(found.clone()));
            found
        }
        Expr::Rows(set) => set.clone(),
    }
}

fn masked_words(rows: usize, mask: Option<&Bitset>, word: impl Fn(usize) -> u64 + Sync) -> Bitset {
    match mask {
        Some(mask) => {
            let mask = mask.words();
            Bitset::from_words(rows, |w| if mask.get(w).is_some_and(|m| *m != 0) { word(w) } else { 0 })
        }
        None => Bitset::from_words(rows, word),
    }
}

fn flip(bits: u64, negate: bool) -> u64 {
    if negate { !bits } else { bits }
}

fn scan(column: &Column, test: &Test, rows: usize, mask: Option<&Bitset>) -> Bitset {
    match (column, test) {
        (Column::Text(c), Test::Codes(test)) => scan_codes(&c.codes, test, rows, mask),
        (Column::Owner(c), Test::Codes(test)) => scan_codes(&c.codes, test, rows, mask),
        (Column::Number(c), Test::Number { predicate, negate }) => {
            let values = &c.values;
            let negate = *negate;
            macro_rules! by {
                ($pred:expr) => {
                    masked_words(rows, mask, |w| flip(pack(values, w, $pred), negate))
                };
            }
            match predicate {
                NumberPredicate::Equals(x) => by!(|v| v == *x),
                NumberPredicate::Less(x) => by!(|v| v < *x),
                NumberPredicate::LessOrEqual(x) => by!(|v| v <= *x),
                NumberPredicate::Greater(x) => by!(|v| v > *x),
                NumberPredicate::GreaterOrEqual(x) => by!(|v| v >= *x),
                NumberPredicate::Between(low, high) => by!(|v| (*low <= v) && (v <= *high)),
                NumberPredicate::AnyOf(options) => by!(|v| options.contains(&v)),
                NumberPredicate::Exact(test) => by!(|v| test.holds(v)),
            }
        }
        (Column::Number(c), Test::Whole { test, negate }) => {
            let Some(exact) = &c.exact else { return Bitset::empty(rows) };
            match test {
                IntTest::Range(low, high) => {
                    let (low, high) = (*low as i64, *high as i64);
                    whole_words(&c.none, exact, rows, mask, *negate, |v| (low <= v) && (v <= high))
                }
                IntTest::AnyOf(options) => {
                    let options: Vec<i64> = options.iter().map(|x| *x as i64).collect();
                    whole_words(&c.none, exact, rows, mask, *negate, |v| options.binary_search(&v).is_ok())
                }
            }
        }
        (Column::Temporal(c), Test::Days { low, high, negate }) => {
            let (low, high, negate) = (*low, *high, *negate);
            masked_words(rows, mask, |w| flip(pack(&c.days, w, |d| (low <= d) && (d <= high)), negate))
        }
        (Column::Temporal(c), Test::Moments { instants, days }) => {
            let Some(moments) = &c.instants else { return Bitset::empty(rows) };
            let (i_low, i_high) = *instants;
            let (d_low, d_high) = *days;
            masked_words(rows, mask, |w| {
                let base = w * 64;
                let end = (base + 64).min(rows);
                let mut bits = 0u64;
                for (i, (&instant, &day)) in moments[base..end].iter().zip(&c.days[base..end]).enumerate() {
                    let by_instant = (i_low <= instant) && (instant <= i_high);
                    let by_day = (d_low <= day) && (day <= d_high);
                    let holds = if instant == INSTANT_NONE { by_day } else { by_instant };
                    bits |= u64::from(holds) << i;
                }
                bits
            })
        }
        (Column::Number(c), Test::Bits { which: Which::Empty, negate }) => copy_bits(&c.empty, *negate),
        (Column::Temporal(c), Test::Bits { which: Which::Empty, negate }) => copy_bits(&c.empty, *negate),
        (Column::YesNo(c), Test::Bits { which, negate }) => copy_bits(
            match which {
                Which::Empty => &c.empty,
                Which::Yes => &c.yes,
                Which::No => &c.no,
            },
            *negate,
        ),
        (Column::Lookup(c), Test::Links { rows: wanted, negate }) => {
            let negate = *negate;
            match wanted.as_slice() {
                [one] => masked_words(rows, mask, |w| flip(pack(&c.rows, w, |row| row == *one), negate)),
                _ => masked_words(rows, mask, |w| {
                    flip(pack(&c.rows, w, |row| wanted.binary_search(&row).is_ok()), negate)
                }),
            }
        }
        (_, Test::Rows(set)) => set.clone(),
        _ => Bitset::empty(rows),
    }
}

fn copy_bits(set: &Bitset, negate: bool) -> Bitset {
    let mut copy = set.clone();
    if negate {
        copy.negate();
    }
    copy
}

fn scan_codes(codes: &Codes, test: &CodeTest, rows: usize, mask: Option<&Bitset>) -> Bitset {
    macro_rules! over {
        ($codes:expr, $ty:ty) => {{
            let codes = $codes;
            match test {
                CodeTest::One(code) => match <$ty>::try_from(*code) {
                    Ok(code) => masked_words(rows, mask, |w| pack(codes, w, |c| c == code)),
                    Err(_) => Bitset::empty(rows),
                },
                CodeTest::AllBut(code) => match <$ty>::try_from(*code) {
                    Ok(code) => masked_words(rows, mask, |w| pack(codes, w, |c| c != code)),
                    Err(_) => Bitset::full(rows),
                },
                CodeTest::Table(table) => {
                    masked_words(rows, mask, |w| pack(codes, w, |c| table.get(c as usize).copied().unwrap_or(false)))
                }
            }
        }};
    }
    match codes {
        Codes::U8(codes) => over!(codes, u8),
        Codes::U16(codes) => over!(codes, u16),
        Codes::U32(codes) => over!(codes, u32),
    }
}
