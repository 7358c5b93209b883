//! Assignment at issue 6's scale: 100,000 leads joining a segment at once, routed over 200
//! sellers by a rule with seller attributes taken from the lead (seller language = lead
//! language), load balancing, capacity and "available within 48 hours" (work hours in three
//! time zones, some time off, some sellers without a schedule, some switched off). A first
//! rule whose conditions no lead meets is tried for every lead as well. Target: ≤ 1 s.
//!
//! Each iteration prepares the sellers (`Assigner::new`) and assigns every lead in join
//! order with a fresh ledger.
//!
//! Run: `cargo bench --bench assignment -- --warm-up-time 1 --measurement-time 5`

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use segment_builder::domain::assignment::{
    Assigner, AssignmentRule, AttributeCondition, AttributeValue, Decision, Distribution, RuleId, SellerLedger, Target,
};
use segment_builder::domain::{
    Condition, EvalContext, FieldName, FieldPath, Group, GroupMode, MemoryDataset, Node, NodeId, Operand, Operator,
    Record, RecordId, Schema, Seller, SellerId, TimeOff, Value, WorkPeriod,
};

const LEADS: i64 = 100_000;
const SELLERS: i64 = 200;
const LANGUAGES: [&str; 5] = ["English", "German", "French", "Spanish", "Japanese"];
const ZONES: [&str; 3] = ["Europe/Berlin", "America/New_York", "Asia/Tokyo"];

/// A small deterministic generator (xorshift), so every run sees the same workspace.
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

fn sellers(rng: &mut Rng) -> Vec<Seller> {
    (1..=SELLERS)
        .map(|id| {
            let first = LANGUAGES[rng.below(5) as usize];
            let second = LANGUAGES[rng.below(5) as usize];
            let mut languages = vec![first.to_owned()];
            if second != first && rng.below(2) == 0 {
                languages.push(second.to_owned());
            }
            let scheduled = rng.below(10) != 0;
            let zone = ZONES[rng.below(3) as usize];
            let start = 7 + rng.below(4) as u16;
            let work_hours = if scheduled {
                (1..=5)
                    .map(|weekday| WorkPeriod { weekday, start_minute: start * 60, end_minute: (start + 8) * 60 })
                    .collect()
            } else {
                Vec::new()
            };
            let mut time_off = Vec::new();
            if rng.below(8) == 0 {
                let from: DateTime = "2026-03-30T00:00".parse().unwrap_or_default();
                let to: DateTime = "2026-04-02T00:00".parse().unwrap_or_default();
                time_off.push(TimeOff { start: from, end: to, reason: "Holiday".into() });
            }
            Seller {
                id: SellerId(id),
                name: format!("Seller {id}"),
                email: format!("seller{id}@example.com"),
                time_zone: zone.into(),
                attributes: BTreeMap::from([("Language".to_owned(), languages)]),
                capacity: Some(400 + rng.below(800) as u32),
                work_hours,
                time_off,
                assign_records: rng.below(20) != 0,
            }
        })
        .collect()
}

fn rules() -> Vec<AssignmentRule> {
    let nobody = Group {
        id: NodeId(0),
        mode: GroupMode::All,
        negated: false,
        children: vec![Node::Condition(Condition {
            id: NodeId(1),
            path: FieldPath { via: Vec::new(), field: FieldName::new("country") },
            operator: Operator::Equals,
            value: Operand::Text("Atlantis".into()),
        })],
    };
    let base = AssignmentRule {
        id: RuleId(1),
        name: "Atlantis".into(),
        active: true,
        conditions: nobody,
        created_within_hours: None,
        target: Target::AnySeller,
        distribution: Distribution::RoundRobin,
        honour_capacity: false,
        available_within_hours: None,
    };
    let by_language = AssignmentRule {
        id: RuleId(2),
        name: "Same language".into(),
        conditions: Group::all(NodeId(0)),
        target: Target::SellersMatching(vec![AttributeCondition {
            attribute: "Language".into(),
            values: AttributeValue::FromRecord(FieldName::new("language")),
        }]),
        distribution: Distribution::LoadBalancing,
        honour_capacity: true,
        available_within_hours: Some(48),
        ..base.clone()
    };
    vec![base, by_language]
}

fn assignment(c: &mut Criterion) {
    let schema = Schema::built_in();
    let Some(def) = schema.get_by_str("lead") else { return };
    let mut rng = Rng(0x5eed_cafe_f00d_beef);
    let sellers = sellers(&mut rng);
    let countries = ["UK", "US", "DE", "FR", "ES", "JP"];
    let leads: Vec<Record> = (1..=LEADS)
        .map(|id| {
            let mut record = Record::empty(RecordId(id), def);
            record.set(def, "country", Value::Text(countries[rng.below(6) as usize].into()));
            if rng.below(10) != 0 {
                record.set(def, "language", Value::Text(LANGUAGES[rng.below(5) as usize].into()));
            }
            record
        })
        .collect();
    let rules = rules();
    let ds = MemoryDataset::new(schema.clone());
    let now = "2026-03-31T10:00:00Z".parse().unwrap_or_default();
    let ctx = EvalContext::new(now, TimeZone::get("Europe/Berlin").unwrap_or(TimeZone::UTC));

    // What one run does, once, for the record.
    let assigner = Assigner::new(&ds, &ctx, def, &rules, &sellers, &[]);
    let decisions = assigner.assign_many(leads.iter().map(|r| (r, None)), &mut SellerLedger::default());
    let assigned = decisions.iter().filter(|d| matches!(d, Decision::Assigned { .. })).count();
    eprintln!("assignment_100k: {assigned} of {LEADS} leads assigned over {SELLERS} sellers");

    let mut group = c.benchmark_group("assignment");
    group.sample_size(10);
    group.bench_function("assign_100k_leads_200_sellers", |b| {
        b.iter(|| {
            let assigner = Assigner::new(&ds, &ctx, def, &rules, &sellers, &[]);
            let mut ledger = SellerLedger::default();
            black_box(assigner.assign_many(leads.iter().map(|r| (r, None)), &mut ledger))
        });
    });
    group.finish();
}

criterion_group!(benches, assignment);
criterion_main!(benches);
