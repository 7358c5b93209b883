//! Counts and sums over related records at 1,000,000 leads and 1,500,000 opportunities
//! (each opportunity points at a random lead through a bench-only lookup, 10% at none):
//! the time of the first evaluation of a related block, and of compiling and evaluating the
//! tree again after an edit elsewhere in it (the snapshot keeps the block's result), which
//! is what the live preview pays while the user edits.
//!
//! Run: `cargo bench --bench related` (`SB_BENCH_LEADS=100000` for a quicker run).

use std::hint::black_box;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use segment_builder::domain::{
    Aggregate, AggregateTest, Condition, EvalContext, FieldDef, FieldName, FieldPath, Group, GroupMode, Node, NodeId,
    Number, Operand, Operator, Quantifier, Record, RecordId, RecordTypeName, RelatedBlock, Schema, Value,
};
use segment_builder::engine::{Snapshot, compile};

fn leads() -> usize {
    std::env::var("SB_BENCH_LEADS").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000_000)
}

/// xorshift: deterministic and fast.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn block(quantifier: Quantifier) -> Group {
    let open = Node::Condition(Condition {
        id: NodeId(2),
        path: FieldPath::own("status"),
        operator: Operator::AnyOf,
        value: Operand::Choices(vec!["Open".to_owned()]),
    });
    let related = RelatedBlock {
        id: NodeId(1),
        quantifier,
        record_type: RecordTypeName::new("opportunity"),
        via: FieldName::new("lead"),
        group: Group { id: NodeId(3), mode: GroupMode::All, negated: false, children: vec![open] },
    };
    Group { id: NodeId(0), mode: GroupMode::All, negated: false, children: vec![Node::Related(related)] }
}

fn main() {
    let mut schema = Schema::built_in();
    let lead = RecordTypeName::new("lead");
    let opportunity = RecordTypeName::new("opportunity");
    if let Some(def) = schema.types.iter_mut().find(|t| t.name == opportunity) {
        def.fields.push(FieldDef::lookup("lead", "Lead", "lead"));
    }
    let (Some(lead_def), Some(opportunity_def)) = (schema.get(&lead), schema.get(&opportunity)) else {
        panic!("the built-in schema has leads and opportunities")
    };
    let lead_count = leads();
    let opportunity_count = lead_count * 3 / 2;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let lead_records: Vec<Record> = (1..=lead_count).map(|id| Record::empty(RecordId(id as i64), lead_def)).collect();
    let statuses = ["Open", "Won", "Lost"];
    let opportunity_records: Vec<Record> = (1..=opportunity_count)
        .map(|id| {
            let mut record = Record::empty(RecordId(id as i64), opportunity_def);
            if rng.below(10) != 0 {
                record.set(opportunity_def, "lead", Value::Lookup(RecordId(1 + rng.below(lead_count as u64) as i64)));
            }
            record.set(opportunity_def, "status", Value::Choice(statuses[rng.below(3) as usize].to_owned()));
            let cents = rng.below(50_000_000) as f64;
            record.set(opportunity_def, "estimated_value", Value::Money(cents / 100.0));
            record
        })
        .collect();
    let ctx = EvalContext::new(Timestamp::UNIX_EPOCH, TimeZone::UTC);
    let started = Instant::now();
    let snapshot = Snapshot::build(
        &schema,
        ctx.time_zone.clone(),
        [(&lead, lead_records.iter()), (&opportunity, opportunity_records.iter())],
        Vec::new(),
    );
    eprintln!("{lead_count} leads, {opportunity_count} opportunities: snapshot in {:.1?}", started.elapsed());
    let sum = |function, operator, value| {
        Quantifier::Aggregate(AggregateTest { function, field: FieldName::new("estimated_value"), operator, value })
    };
    let cases = [
        ("has at least one open", Quantifier::AtLeastOne),
        ("has at least 2 open", Quantifier::AtLeast(2)),
        ("has exactly 1 open", Quantifier::Exactly(1)),
        (
            "sum of open estimated value >= 100,000",
            sum(Aggregate::Sum, Operator::GreaterOrEqual, Number::Whole(100_000)),
        ),
        (
            "average of open estimated value < 2,500.50",
            sum(Aggregate::Average, Operator::LessThan, Number::Real(2_500.5)),
        ),
    ];
    for (name, quantifier) in cases {
        let root = block(quantifier);
        let started = Instant::now();
        let compiled = compile(&snapshot, &lead, &root, &ctx).unwrap_or_else(|e| panic!("{e}"));
        let matches = compiled.evaluate(&snapshot).count();
        drop(compiled);
        let first = started.elapsed();
        // Then the user edits elsewhere in the tree: each run compiles a new tree (the block
        // and another condition) and evaluates it, as the live preview does.
        let runs = 20u32;
        let mut times: Vec<Duration> = (0..runs)
            .map(|run| {
                let mut edited = root.clone();
                edited.children.push(Node::Condition(Condition {
                    id: NodeId(9),
                    path: FieldPath::own("score"),
                    operator: Operator::GreaterOrEqual,
                    value: Operand::Number(Number::Whole(i64::from(run))),
                }));
                let started = Instant::now();
                let compiled = compile(&snapshot, &lead, &edited, &ctx).unwrap_or_else(|e| panic!("{e}"));
                black_box(compiled.evaluate(&snapshot));
                started.elapsed()
            })
            .collect();
        times.sort();
        eprintln!(
            "{name}: {matches} leads; first {first:.1?}, then (tree edited elsewhere) median {:.2?} (min {:.2?}, max {:.2?})",
            times[times.len() / 2],
            times[0],
            times[times.len() - 1]
        );
    }
}
