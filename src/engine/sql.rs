//! Condition tree → SQL `WHERE` clause with bound parameters.
//!
//! [`compile_sql`] turns a tree over a record type into the text of a `WHERE` clause over
//! that type's table aliased [`ROOT_ALIAS`] (`t0`), plus its parameters. The store runs it as
//! `SELECT "id" FROM "<type>" AS t0 WHERE <where_sql>` (`Workspace::matching_ids`). This
//! module is pure: it writes text and values, it never talks to SQLite.
//!
//! The meaning is the reference evaluator's (`domain::eval`), and the shared helpers are
//! reused so each rule is computed once: [`fold`], [`int_test`], [`cents`](crate::domain::number::cents), [`compile_pattern`], [`shift`],
//! [`Period::days`](crate::domain::predicate::Period::days), [`resolve_path`], and [`EvalContext`]'s `today` / `instant_of`. A
//! differential property test (`tests/sql_differential.rs`) checks the two agree.
//!
//! # Safety of the text
//!
//! Every value from the user (texts, numbers, ids, dates, patterns, even the lengths derived
//! from them) is a numbered parameter `?N`, `N` = its 1-based index in
//! [`CompiledSql::params`]. Identifiers come only from the schema and are double-quoted.
//! Constants in the text are `0`, `1` and the aliases `t0`, `l<n>`, `r<n>`.
//!
//! # Two-valued logic
//!
//! Every condition compiles to an expression that is `0` or `1`, never NULL: a positive
//! predicate `P` over a value `v` (NULL when empty) is written `COALESCE(P, 0)`, "is empty"
//! is `v IS NULL`. So `NOT (…)` is the exact complement, as the brief requires:
//!
//! | tree | SQL |
//! | --- | --- |
//! | All of `a`, `b` / of nothing | `(a AND b)` / `1` |
//! | Any of `a`, `b` / of nothing | `(a OR b)` / `0` |
//! | negated group | `NOT (…)` |
//! | negative operator (does not equal, is none of, not on, is not empty…) | `NOT (<its positive twin>)` |
//! | a piece that does not fit the schema (also under a negative operator) | `0` |
//!
//! # Values
//!
//! `v` is the column `t0."field"`; through lookups it is a correlated subquery joining one
//! alias per hop: `(SELECT l2."name" FROM "company" AS l1 JOIN "company" AS l2
//! ON l2."id" = l1."parent" WHERE l1."id" = t0."company")`. An empty link gives no row: NULL.
//!
//! # Operators
//!
//! | field | operator | positive predicate `P` |
//! | --- | --- | --- |
//! | text, choice | equals | `sb_fold(v) = ?folded` |
//! | text | contains | `instr(sb_fold(v), ?folded) > 0` |
//! | text | begins with | `instr(sb_fold(v), ?folded) = 1` |
//! | text | ends with | `substr(sb_fold(v), ?-chars) = ?folded` |
//! | text | contains / begins / ends with an empty text | `v IS NOT NULL` |
//! | text, choice | is any of | `sb_fold(v) IN (?folded, …)`; an empty list is `0` |
//! | text | matches pattern | `sb_regexp(?pattern, v)` on the stored text; an invalid pattern is `0` |
//! | whole number | = < ≤ > ≥, between, is any of | `v >= ?low AND v <= ?high`, `v IN (?, …)` over integers: the evaluator's [`int_test`], so `> 2.5` is `v >= 3` and `= 2.5` is `0` |
//! | money | the same | the same over whole cents, `CAST(round(CAST(v AS REAL) * 100) AS INTEGER)` (the evaluator's `cents`) |
//! | decimal | = < ≤ > ≥ | `v op ?n`, the number bound as typed (an integer or a real: SQLite compares the two exactly) |
//! | decimal | between, is any of | `v BETWEEN ?low AND ?high`, `v IN (?, …)`; NaN operands are `0` / dropped |
//! | date | day ranges | `v >= ?'YYYY-MM-DD' AND v <= ?'YYYY-MM-DD'` |
//! | date-time | day ranges | `v >= ?start AND v < ?end`, UTC text `YYYY-MM-DDTHH:MM:SSZ` |
//! | date-time | before / after a typed time | `v < ?instant` (and `<=`, `>`, `>=`) |
//! | yes/no | is yes / is no | `v = 1` / `v = 0` |
//! | lookup, owner | is, is any of | `v = ?id`, `v IN (?id, …)` |
//! | owner | is a member of team | `v IN (SELECT "seller_id" FROM "team_member" WHERE "team_id" = ?team)` |
//! | every kind | is empty | `v IS NULL` (not wrapped) |
//!
//! Segment conditions (`segments`): "is in segment X" is `EXISTS (SELECT 1 FROM
//! "membership" AS m<n> WHERE … "record_id" = t0."id" AND "segment_id" = ?x)`, "is not in"
//! its `NOT`, "matches the conditions of X" is X's tree inlined; through lookups both sit in
//! an `EXISTS` over the joined lookups.
//!
//! Related-record blocks are `EXISTS (SELECT 1 FROM "deal" AS r<n> WHERE r<n>."thing" =
//! t0."id" AND (<group over r<n>>))`, and "has no" is `NOT EXISTS (…)`; at least / at most /
//! exactly N is `(SELECT COUNT(*) FROM … WHERE …) BETWEEN ?low AND ?high`; an aggregate is
//! `(SELECT sb_aggregate(?spec, r<n>."field") FROM … WHERE …)`, the store's SQL aggregate
//! that tallies the values as the evaluator does and answers its test
//! ([`crate::domain::quantity`]) with 0 or 1; over no rows it is NULL, and `COALESCE` gives
//! the test's answer for no values (a constant).
//!
//! # Dates
//!
//! Every date operator (but before / after a typed time on a date-time) is an inclusive range
//! of calendar days `[low, high]` computed in Rust exactly as the evaluator does (an open end
//! where it saturates). A date column compares ISO text. A date-time column, stored as fixed
//! width UTC text, is compared by its day in the workspace zone: `[low, high]` becomes the
//! instants `[start of low, start of high + 1)` in `ctx.time_zone` (the start of a day is its
//! first instant, so a DST gap at midnight is handled), formatted in the store's UTC form.
//! Stored date-times have whole seconds, so a bound with a fraction is rounded to the second
//! that keeps the comparison exact. Bounds outside the years 1–9999 the store can hold turn
//! into "no bound" or `0`.
//!
//! Known limit: a zone whose clocks go back across midnight (some historical transitions)
//! has days that are not one interval of instants; there the hour that belongs to the
//! previous day again counts as the later day. Texts containing the NUL character are
//! compared by SQLite's `substr`, which stops at NUL, for "ends with".

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::Offset;

use crate::domain::condition::{Condition, DateValue, FieldPath, Group, GroupMode, Node, Quantifier, RelatedBlock};
use crate::domain::eval::{EvalContext, HARD_DEPTH_LIMIT, compile_pattern, fold, resolve_path, shift};
use crate::domain::number::{IntTest, Number, exact_places, int_test};
use crate::domain::predicate::{
    Comparison, DateTest, LookupTest, NumberTest, OwnerTest, Predicate, TextTest, predicate,
};
use crate::domain::quantity::{AGGREGATE_OPERATORS, QuantityTest, Tally, aggregate_spec, aggregates};
use crate::domain::schema::{FieldKind, RecordTypeDef, Schema};
use crate::domain::segment_test::Definitions;

mod segments;

/// The alias of the record type's table in [`CompiledSql::where_sql`].
pub const ROOT_ALIAS: &str = "t0";

/// A `WHERE` clause over the record table aliased [`ROOT_ALIAS`], and its parameters:
/// `params[i]` binds `?{i + 1}`.
#[derive(Clone, Debug, PartialEq)]
pub struct CompiledSql {
    pub where_sql: String,
    pub params: Vec<SqlParam>,
}

/// A bound parameter value.
#[derive(Clone, Debug, PartialEq)]
pub enum SqlParam {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
}

/// Compiles the tree `root` over records of `ty` (a type of `schema`) into a `WHERE` clause
/// that selects exactly the records the reference evaluator matches at `ctx`.
/// No segment is known: a segment condition is `0` ([`compile_sql_in`] knows them).
pub fn compile_sql(schema: &Schema, ty: &RecordTypeDef, root: &Group, ctx: &EvalContext) -> CompiledSql {
    compile_sql_in(schema, &Definitions::default(), ty, root, ctx)
}

/// [`compile_sql`] with the segments a tree may name (`segments` module).
pub fn compile_sql_in(
    schema: &Schema,
    definitions: &Definitions,
    ty: &RecordTypeDef,
    root: &Group,
    ctx: &EvalContext,
) -> CompiledSql {
    let mut compiler = Compiler { schema, definitions, ctx, params: Vec::new(), aliases: 0, expanding: Vec::new() };
    let where_sql = compiler.group(ty, ROOT_ALIAS, root, 0);
    CompiledSql { where_sql, params: compiler.params }
}

const TRUE: &str = "1";
const FALSE: &str = "0";

/// One end of a range: the SQL comparison and the stored text it compares with; `None` is
/// an open end.
type Bound = Option<(&'static str, String)>;

/// A positive predicate before it is made two-valued.
enum Pred {
    /// Holds for no record.
    Never,
    /// Holds for every record with a value.
    NotEmpty,
    /// An SQL expression that may be NULL where the value is.
    Sql(String),
}

/// Lookups as joins: `FROM <t1> AS l1 JOIN <t2> AS l2 ON …` (`from`), the condition that
/// links the first to the record (`link`), the alias of the last (`last`) and its type.
pub(super) struct Joins<'t> {
    pub(super) from: String,
    pub(super) link: String,
    pub(super) last: String,
    pub(super) reached: &'t RecordTypeDef,
}

struct Compiler<'a> {
    schema: &'a Schema,
    definitions: &'a Definitions,
    ctx: &'a EvalContext,
    /// The segments whose trees are being inlined, innermost last: one named again is a
    /// cycle, `0` (as in `domain::eval`).
    expanding: Vec<crate::domain::SegmentId>,
    params: Vec<SqlParam>,
    /// The number of aliases handed out so far (for lookup hops and related blocks).
    aliases: usize,
}

impl<'a> Compiler<'a> {
    /// Adds a parameter; returns its placeholder.
    fn bind(&mut self, param: SqlParam) -> String {
        self.params.push(param);
        format!("?{}", self.params.len())
    }

    fn bind_text(&mut self, text: String) -> String {
        self.bind(SqlParam::Text(text))
    }

    /// `(?a, ?b, …)` for the values.
    fn bind_list(&mut self, values: impl IntoIterator<Item = SqlParam>) -> String {
        let placeholders: Vec<String> = values.into_iter().map(|p| self.bind(p)).collect();
        format!("({})", placeholders.join(", "))
    }

    fn alias(&mut self, prefix: &str) -> String {
        self.aliases += 1;
        format!("{prefix}{}", self.aliases)
    }

    /// All of nothing is `1`, Any of nothing `0`; a negated group is `NOT (…)`. Mirrors the
    /// evaluator's depth guard.
    fn group(&mut self, ty: &'a RecordTypeDef, alias: &str, group: &Group, depth: usize) -> String {
        if depth > HARD_DEPTH_LIMIT {
            return FALSE.to_owned();
        }
        let parts: Vec<String> = group.children.iter().map(|child| self.node(ty, alias, child, depth + 1)).collect();
        let combined = match (group.mode, parts.is_empty()) {
            (GroupMode::All, true) => TRUE.to_owned(),
            (GroupMode::Any, true) => FALSE.to_owned(),
            (GroupMode::All, false) => format!("({})", parts.join(" AND ")),
            (GroupMode::Any, false) => format!("({})", parts.join(" OR ")),
        };
        if group.negated { format!("NOT {combined}") } else { combined }
    }

    fn node(&mut self, ty: &'a RecordTypeDef, alias: &str, node: &Node, depth: usize) -> String {
        match node {
            Node::Condition(condition) => self.condition(ty, alias, condition),
            Node::Group(group) => self.group(ty, alias, group, depth),
            Node::Related(block) => self.related(ty, alias, block, depth),
            Node::Segment(node) => self.segment(ty, alias, node, depth),
        }
    }

    /// `EXISTS (SELECT 1 FROM <related> WHERE <via> = <this>.id AND <group>)`, or `NOT EXISTS`;
    /// a count of them between two bounds; or the store's aggregate `sb_aggregate` over them.
    fn related(&mut self, ty: &RecordTypeDef, alias: &str, block: &RelatedBlock, depth: usize) -> String {
        let schema = self.schema;
        let Some(related_ty) = schema.get(&block.record_type) else { return FALSE.to_owned() };
        let points_here = related_ty
            .field(&block.via)
            .is_some_and(|f| f.kind == FieldKind::Lookup && f.lookup_target.as_ref() == Some(&ty.name));
        if !points_here {
            return FALSE.to_owned();
        }
        // A misfit aggregate is `0` before anything of the block is bound.
        let aggregated = match &block.quantifier {
            Quantifier::Aggregate(test) => {
                let field = related_ty.field(&test.field).filter(|f| aggregates(f.kind));
                match field {
                    Some(field) if AGGREGATE_OPERATORS.contains(&test.operator) => Some((test, field)),
                    _ => return FALSE.to_owned(),
                }
            }
            _ => None,
        };
        let inner_alias = self.alias("r");
        let inner = self.group(related_ty, &inner_alias, &block.group, depth + 1);
        let from = format!(
            "FROM {} AS {inner_alias} WHERE {inner_alias}.{} = {alias}.\"id\" AND {inner}",
            quote(related_ty.name.as_str()),
            quote(block.via.as_str()),
        );
        let count = |this: &mut Self, low: u32, high: Option<u32>| {
            let low = this.bind(SqlParam::Integer(i64::from(low)));
            match high {
                Some(high) => {
                    let high = this.bind(SqlParam::Integer(i64::from(high)));
                    format!("(SELECT COUNT(*) {from}) BETWEEN {low} AND {high}")
                }
                None => format!("(SELECT COUNT(*) {from}) >= {low}"),
            }
        };
        match &block.quantifier {
            Quantifier::AtLeastOne => format!("EXISTS (SELECT 1 {from})"),
            Quantifier::None => format!("NOT EXISTS (SELECT 1 {from})"),
            Quantifier::AtLeast(n) => count(self, *n, None),
            Quantifier::AtMost(n) => count(self, 0, Some(*n)),
            Quantifier::Exactly(n) => count(self, *n, Some(*n)),
            Quantifier::Aggregate(_) => {
                let Some((test, field)) = aggregated else { return FALSE.to_owned() };
                // Over no rows the aggregate gives NULL: the answer for no values, from here.
                let empty = QuantityTest::new(&block.quantifier, Some(field.kind)).holds(&Tally::default());
                let spec = self.bind_text(aggregate_spec(test, field.kind));
                let column = quote(field.name.as_str());
                format!("COALESCE((SELECT sb_aggregate({spec}, {inner_alias}.{column}) {from}), {})", u8::from(empty))
            }
        }
    }

    /// A negative operator is `NOT (<positive twin>)`; a misfit is `0`.
    fn condition(&mut self, ty: &RecordTypeDef, alias: &str, condition: &Condition) -> String {
        let Some(field) = resolve_path(self.schema, ty, &condition.path) else { return FALSE.to_owned() };
        let operator = condition.operator;
        if !operator.applies_to(field.kind) || condition.value.kind() != operator.operand_kind(field.kind) {
            return FALSE.to_owned();
        }
        let Some(value) = self.value(ty, alias, &condition.path) else { return FALSE.to_owned() };
        match operator.positive_twin() {
            Some(twin) => {
                format!("NOT ({})", self.holds(field.kind, &value, predicate(field.kind, twin, &condition.value)))
            }
            None => self.holds(field.kind, &value, predicate(field.kind, operator, &condition.value)),
        }
    }

    /// The SQL of the value at the end of `path`: a column, or a correlated subquery through
    /// the lookups. `None` where the path does not fit the schema.
    fn value(&mut self, ty: &RecordTypeDef, alias: &str, path: &FieldPath) -> Option<String> {
        let joins = self.lookup_joins(ty, alias, &path.via)?;
        let column = quote(joins.reached.field(&path.field)?.name.as_str());
        let Joins { from, link, last, .. } = joins;
        Some(if path.via.is_empty() {
            format!("{alias}.{column}")
        } else {
            format!("(SELECT {last}.{column} FROM {from} WHERE {link})")
        })
    }

    /// The lookups `via` from `alias` (a record of `ty`) as joins; `None` where a hop is not
    /// a lookup into a known type.
    pub(super) fn lookup_joins<'t>(
        &mut self,
        ty: &'t RecordTypeDef,
        alias: &str,
        via: &[crate::domain::FieldName],
    ) -> Option<Joins<'t>>
    where
        'a: 't,
    {
        let schema: &'t Schema = self.schema;
        let mut joins = Joins { from: String::new(), link: String::new(), last: alias.to_owned(), reached: ty };
        for (index, hop) in via.iter().enumerate() {
            let field = joins.reached.field(hop).filter(|f| f.kind == FieldKind::Lookup)?;
            let target = schema.get(field.lookup_target.as_ref()?)?;
            let hop_alias = self.alias("l");
            let table = quote(target.name.as_str());
            if index == 0 {
                joins.from = format!("{table} AS {hop_alias}");
                joins.link = format!("{hop_alias}.\"id\" = {alias}.{}", quote(hop.as_str()));
            } else {
                let on = format!("{hop_alias}.\"id\" = {}.{}", joins.last, quote(hop.as_str()));
                joins.from.push_str(&format!(" JOIN {table} AS {hop_alias} ON {on}"));
            }
            joins.last = hop_alias;
            joins.reached = target;
        }
        Some(joins)
    }

    /// A positive test of `value`, as `0`/`1`: false on an empty value (except is empty).
    fn holds(&mut self, kind: FieldKind, value: &str, predicate: Predicate<'_>) -> String {
        let pred = match predicate {
            Predicate::IsEmpty => return format!("{value} IS NULL"),
            Predicate::Never => Pred::Never,
            Predicate::Text(test) => self.text(value, test),
            Predicate::Number(test) => match exact_places(kind) {
                Some(0) => self.whole(value, &int_test(test, 0)),
                Some(places) => {
                    let cents = format!("CAST(round(CAST({value} AS REAL) * 100) AS INTEGER)");
                    self.whole(&cents, &int_test(test, places))
                }
                None => self.number(value, test),
            },
            Predicate::Date(test) => self.date(kind, value, test),
            Predicate::YesNo(yes) => Pred::Sql(format!("{value} = {}", u8::from(yes))),
            Predicate::Lookup(LookupTest::Is(id)) => self.equals_id(value, id.0),
            Predicate::Lookup(LookupTest::AnyOf(ids)) => self.any_id(value, ids.iter().map(|id| id.0)),
            Predicate::Owner(OwnerTest::Is(id)) => self.equals_id(value, id.0),
            Predicate::Owner(OwnerTest::AnyOf(ids)) => self.any_id(value, ids.iter().map(|id| id.0)),
            Predicate::Owner(OwnerTest::MemberOfTeam(team)) => {
                let team = self.bind(SqlParam::Integer(team.0));
                Pred::Sql(format!("{value} IN (SELECT \"seller_id\" FROM \"team_member\" WHERE \"team_id\" = {team})"))
            }
        };
        match pred {
            Pred::Never => FALSE.to_owned(),
            Pred::NotEmpty => format!("{value} IS NOT NULL"),
            Pred::Sql(sql) => format!("COALESCE({sql}, 0)"),
        }
    }

    fn equals_id(&mut self, value: &str, id: i64) -> Pred {
        let id = self.bind(SqlParam::Integer(id));
        Pred::Sql(format!("{value} = {id}"))
    }

    fn any_id(&mut self, value: &str, ids: impl ExactSizeIterator<Item = i64>) -> Pred {
        if ids.len() == 0 {
            return Pred::Never;
        }
        let list = self.bind_list(ids.map(SqlParam::Integer));
        Pred::Sql(format!("{value} IN {list}"))
    }

    /// Case-insensitive through `sb_fold` (the evaluator's [`fold`]) on both sides; no LIKE,
    /// so `% _ \` are plain characters.
    fn text(&mut self, value: &str, test: TextTest<'_>) -> Pred {
        let folded = format!("sb_fold({value})");
        match test {
            TextTest::Equals(wanted) => {
                let wanted = self.bind_text(fold(wanted));
                Pred::Sql(format!("{folded} = {wanted}"))
            }
            TextTest::Contains(part) => self.text_part(&folded, part, Anchor::Inside),
            TextTest::BeginsWith(part) => self.text_part(&folded, part, Anchor::Start),
            TextTest::EndsWith(part) => self.text_part(&folded, part, Anchor::End),
            TextTest::AnyOf(options) => {
                if options.is_empty() {
                    return Pred::Never;
                }
                let list = self.bind_list(options.iter().map(|option| SqlParam::Text(fold(option))));
                Pred::Sql(format!("{folded} IN {list}"))
            }
            TextTest::Pattern(pattern) => {
                if compile_pattern(pattern).is_err() {
                    return Pred::Never;
                }
                let pattern = self.bind_text(pattern.to_owned());
                Pred::Sql(format!("sb_regexp({pattern}, {value})"))
            }
        }
    }

    /// Contains, begins with, ends with `part` on the folded value; an empty part holds for
    /// every value that is not empty.
    fn text_part(&mut self, folded: &str, part: &str, anchor: Anchor) -> Pred {
        let part = fold(part);
        if part.is_empty() {
            return Pred::NotEmpty;
        }
        match anchor {
            Anchor::Inside => Pred::Sql(format!("instr({folded}, {}) > 0", self.bind_text(part))),
            Anchor::Start => Pred::Sql(format!("instr({folded}, {}) = 1", self.bind_text(part))),
            Anchor::End => {
                // The last `chars` characters; a shorter value yields itself, which differs.
                let chars = i64::try_from(part.chars().count()).unwrap_or(i64::MAX);
                let from = self.bind(SqlParam::Integer(-chars));
                Pred::Sql(format!("substr({folded}, {from}) = {}", self.bind_text(part)))
            }
        }
    }

    /// An integer expression (a whole number, money in cents) tested by `test`.
    fn whole(&mut self, number: &str, test: &IntTest) -> Pred {
        let Some(test) = test.for_i64() else { return Pred::Never };
        let (min, max) = (i128::from(i64::MIN), i128::from(i64::MAX));
        match test {
            IntTest::Range(low, high) if low == high => {
                let x = self.bind(SqlParam::Integer(low as i64));
                Pred::Sql(format!("{number} = {x}"))
            }
            IntTest::Range(low, high) => {
                let mut tests = Vec::new();
                if low > min {
                    tests.push(format!("{number} >= {}", self.bind(SqlParam::Integer(low as i64))));
                }
                if high < max {
                    tests.push(format!("{number} <= {}", self.bind(SqlParam::Integer(high as i64))));
                }
                if tests.is_empty() { Pred::NotEmpty } else { Pred::Sql(tests.join(" AND ")) }
            }
            IntTest::AnyOf(options) => {
                let list = self.bind_list(options.into_iter().map(|x| SqlParam::Integer(x as i64)));
                Pred::Sql(format!("{number} IN {list}"))
            }
        }
    }

    /// A decimal `number`; a number is bound as typed (integer or real), which SQLite
    /// compares with a REAL exactly; NaN equals nothing, as in the evaluator.
    fn number(&mut self, number: &str, test: NumberTest<'_>) -> Pred {
        let param = |x: Number| match x {
            Number::Whole(n) => Some(SqlParam::Integer(n)),
            Number::Real(x) if x.is_nan() => None,
            Number::Real(x) => Some(SqlParam::Real(x)),
        };
        let compare = |this: &mut Self, sql_operator: &str, x: Number| {
            let Some(x) = param(x) else { return Pred::Never };
            let x = this.bind(x);
            Pred::Sql(format!("{number} {sql_operator} {x}"))
        };
        match test {
            NumberTest::Equals(x) => compare(self, "=", x),
            NumberTest::Compare(comparison, x) => compare(self, sql_comparison(comparison), x),
            NumberTest::Between(low, high) => {
                let (Some(low), Some(high)) = (param(low), param(high)) else { return Pred::Never };
                let low = self.bind(low);
                let high = self.bind(high);
                Pred::Sql(format!("{number} BETWEEN {low} AND {high}"))
            }
            NumberTest::AnyOf(options) => {
                let options: Vec<SqlParam> = options.iter().filter_map(|x| param(*x)).collect();
                if options.is_empty() {
                    return Pred::Never;
                }
                let list = self.bind_list(options);
                Pred::Sql(format!("{number} IN {list}"))
            }
        }
    }

    /// Dates and date-times: an inclusive range of calendar days, or (before / after a typed
    /// time on a date-time) an instant.
    fn date(&mut self, kind: FieldKind, value: &str, test: DateTest) -> Pred {
        let ctx = self.ctx;
        if let (FieldKind::DateTime, DateTest::Compare(comparison, DateValue::At(wall))) = (kind, test) {
            return match ctx.instant_of(wall) {
                Some(typed) => self.instant(value, comparison, typed),
                None => Pred::Never,
            };
        }
        let today = ctx.today();
        // Inclusive days; `None` is an open end.
        let (low, high): (Option<Date>, Option<Date>) = match test {
            DateTest::On(date) => (Some(date.date()), Some(date.date())),
            DateTest::Compare(Comparison::Less, date) => match date.date().yesterday() {
                Ok(day) => (None, Some(day)),
                Err(_) => return Pred::Never,
            },
            DateTest::Compare(Comparison::LessOrEqual, date) => (None, Some(date.date())),
            DateTest::Compare(Comparison::Greater, date) => match date.date().tomorrow() {
                Ok(day) => (Some(day), None),
                Err(_) => return Pred::Never,
            },
            DateTest::Compare(Comparison::GreaterOrEqual, date) => (Some(date.date()), None),
            DateTest::Between(low, high) => (Some(low), Some(high)),
            // today − N ≤ d ≤ today
            DateTest::InLast(amount, unit) => {
                (Some(shift(today, amount, unit, false).unwrap_or(Date::MIN)), Some(today))
            }
            // today ≤ d ≤ today + N
            DateTest::InNext(amount, unit) => {
                (Some(today), Some(shift(today, amount, unit, true).unwrap_or(Date::MAX)))
            }
            // d < today − N
            DateTest::OlderThan(amount, unit) => {
                match shift(today, amount, unit, false).and_then(|limit| limit.yesterday().ok()) {
                    Some(day) => (None, Some(day)),
                    None => return Pred::Never,
                }
            }
            DateTest::Calendar(period) => match period.days(today) {
                Some(range) => (Some(*range.start()), Some(*range.end())),
                None => return Pred::Never,
            },
        };
        if let (Some(low), Some(high)) = (low, high)
            && low > high
        {
            return Pred::Never;
        }
        let bounds = match kind {
            FieldKind::DateTime => self.instant_bounds(low, high),
            _ => day_bounds(low, high),
        };
        match bounds {
            None => Pred::Never,
            Some((lower, upper)) => self.range(value, lower, upper),
        }
    }

    /// `value >= lower AND value <op> upper`, with the open ends left out.
    fn range(&mut self, value: &str, lower: Bound, upper: Bound) -> Pred {
        let mut tests = Vec::new();
        for (sql_operator, text) in [lower, upper].into_iter().flatten() {
            let placeholder = self.bind_text(text);
            tests.push(format!("{value} {sql_operator} {placeholder}"));
        }
        if tests.is_empty() { Pred::NotEmpty } else { Pred::Sql(tests.join(" AND ")) }
    }

    /// The bounds of a date-time column for the days `[low, high]` in the workspace zone:
    /// `[start of low, start of high + 1)` as stored UTC text.
    fn instant_bounds(&self, low: Option<Date>, high: Option<Date>) -> Option<(Bound, Bound)> {
        let lower = match low {
            None => None,
            Some(day) => match self.start_of(day) {
                // Not representable: before every instant at the bottom, after them at the top.
                None if day.year() <= 0 => None,
                None => return None,
                Some(start) => match stored(start, Round::Up) {
                    Stored::Below => None,
                    Stored::Above => return None,
                    Stored::Text(text) => Some((">=", text)),
                },
            },
        };
        let upper = match high.map(|day| day.tomorrow()) {
            None | Some(Err(_)) => None,
            Some(Ok(next)) => match self.start_of(next) {
                None if next.year() <= 0 => return None,
                None => None,
                Some(end) => match stored(end, Round::Up) {
                    Stored::Below => return None,
                    Stored::Above => None,
                    Stored::Text(text) => Some(("<", text)),
                },
            },
        };
        Some((lower, upper))
    }

    /// The first instant of a calendar day in the workspace zone (after a gap at midnight).
    fn start_of(&self, day: Date) -> Option<Timestamp> {
        self.ctx.time_zone.to_ambiguous_timestamp(day.to_datetime(jiff::civil::Time::midnight())).compatible().ok()
    }

    /// Before / after an instant: stored values have whole seconds, so `v < t` is
    /// `v < ceil(t)`, `v <= t` is `v <= floor(t)` and so on.
    fn instant(&mut self, value: &str, comparison: Comparison, typed: Timestamp) -> Pred {
        let round = match comparison {
            Comparison::Less | Comparison::GreaterOrEqual => Round::Up,
            Comparison::LessOrEqual | Comparison::Greater => Round::Down,
        };
        let (sql_operator, upward) = (sql_comparison(comparison), comparison.upward());
        match stored(typed, round) {
            // Every stored value is above the bound, or every one below it.
            Stored::Below if upward => Pred::NotEmpty,
            Stored::Above if !upward => Pred::NotEmpty,
            Stored::Below | Stored::Above => Pred::Never,
            Stored::Text(text) => {
                let bound = self.bind_text(text);
                Pred::Sql(format!("{value} {sql_operator} {bound}"))
            }
        }
    }
}

/// The SQL operator of a comparison.
fn sql_comparison(comparison: Comparison) -> &'static str {
    match comparison {
        Comparison::Less => "<",
        Comparison::LessOrEqual => "<=",
        Comparison::Greater => ">",
        Comparison::GreaterOrEqual => ">=",
    }
}

/// The bounds of a date column (`YYYY-MM-DD`, years 1–9999): `None` when nothing can
/// match, an inner `None` for an open end.
fn day_bounds(low: Option<Date>, high: Option<Date>) -> Option<(Bound, Bound)> {
    let lower = match low {
        Some(day) if day.year() >= 1 => Some((">=", day_text(day))),
        _ => None,
    };
    let upper = match high {
        Some(day) if day.year() < 1 => return None,
        Some(day) => Some(("<=", day_text(day))),
        None => None,
    };
    Some((lower, upper))
}

/// Where a part must sit in a text.
#[derive(Clone, Copy)]
enum Anchor {
    Inside,
    Start,
    End,
}

#[derive(Clone, Copy)]
enum Round {
    Up,
    Down,
}

/// Where an instant falls against what the store can hold.
enum Stored {
    /// Before every storable instant (UTC year < 1).
    Below,
    /// After every storable instant (UTC year > 9999).
    Above,
    /// The store's text, rounded to a whole second: `YYYY-MM-DDTHH:MM:SSZ` in UTC.
    Text(String),
}

/// An instant as the store writes it, rounded up or down to a whole second.
fn stored(at: Timestamp, round: Round) -> Stored {
    let second = at.as_second();
    let nanos = at.subsec_nanosecond();
    let rounded = match round {
        Round::Up if nanos > 0 => second.checked_add(1),
        Round::Down if nanos < 0 => second.checked_sub(1),
        _ => Some(second),
    };
    let Some(at) = rounded.and_then(|s| Timestamp::from_second(s).ok()) else {
        // Rounding only fails at the very ends of time.
        return match round {
            Round::Up => Stored::Above,
            Round::Down => Stored::Below,
        };
    };
    let t = Offset::UTC.to_datetime(at);
    match t.year() {
        ..=0 => Stored::Below,
        10000.. => Stored::Above,
        year => Stored::Text(format!(
            "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )),
    }
}

/// The store's date text, `YYYY-MM-DD`.
fn day_text(day: Date) -> String {
    format!("{:04}-{:02}-{:02}", day.year(), day.month(), day.day())
}

/// An identifier from the schema, double-quoted (any `"` doubled).
fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::condition::{NodeId, Operand, Operator};
    use crate::domain::schema::{FieldDef, RecordTypeName};

    fn schema() -> Schema {
        let ty = RecordTypeDef {
            name: RecordTypeName::new("lead"),
            label: "Lead".into(),
            plural_label: "Leads".into(),
            primary_field: crate::domain::FieldName::new("name"),
            fields: vec![
                FieldDef::new("name", "Name", FieldKind::Text),
                FieldDef::new("at", "At", FieldKind::DateTime),
            ],
            built_in: false,
        };
        Schema { types: vec![ty] }
    }

    fn compile(root: &Group) -> CompiledSql {
        let schema = schema();
        let ctx = EvalContext::new(Timestamp::UNIX_EPOCH, jiff::tz::TimeZone::UTC);
        compile_sql(&schema, &schema.types[0], root, &ctx)
    }

    fn group(mode: GroupMode, negated: bool, children: Vec<Node>) -> Group {
        Group { id: NodeId(0), mode, negated, children }
    }

    fn condition(field: &str, operator: Operator, value: Operand) -> Node {
        Node::Condition(Condition { id: NodeId(1), path: FieldPath::own(field), operator, value })
    }

    #[test]
    fn empty_groups_and_misfits_are_constants() {
        assert_eq!(compile(&group(GroupMode::All, false, vec![])).where_sql, "1");
        assert_eq!(compile(&group(GroupMode::Any, false, vec![])).where_sql, "0");
        assert_eq!(compile(&group(GroupMode::Any, true, vec![])).where_sql, "NOT 0");
        let misfit = condition("name", Operator::NotEquals, Operand::Number(Number::Whole(1)));
        let compiled = compile(&group(GroupMode::All, false, vec![misfit]));
        assert_eq!(compiled.where_sql, "(0)");
        assert!(compiled.params.is_empty());
    }

    #[test]
    fn negative_operators_negate_a_two_valued_twin() {
        let node = condition("name", Operator::NotContains, Operand::Text("ÉM%".into()));
        let compiled = compile(&group(GroupMode::All, false, vec![node]));
        assert_eq!(compiled.where_sql, "(NOT (COALESCE(instr(sb_fold(t0.\"name\"), ?1) > 0, 0)))");
        assert_eq!(compiled.params, vec![SqlParam::Text("ém%".into())]);
    }

    #[test]
    fn instants_round_to_the_stored_whole_seconds() {
        let at: Timestamp = "2026-03-31T07:30:00.25Z".parse().unwrap();
        let text = |round| match stored(at, round) {
            Stored::Text(text) => text,
            _ => panic!("out of range"),
        };
        assert_eq!(text(Round::Up), "2026-03-31T07:30:01Z");
        assert_eq!(text(Round::Down), "2026-03-31T07:30:00Z");
        assert!(matches!(stored("-000001-06-01T00:00:00Z".parse().unwrap(), Round::Up), Stored::Below));
        assert_eq!(day_text(Date::constant(999, 1, 2)), "0999-01-02");
    }
}
