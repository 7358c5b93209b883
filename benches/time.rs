//! Time passing at 1,000,000 leads: the daily re-evaluation with 20 active lead segments of
//! which 5 read the clock (issue 17's target: at most 1 s). The 1M demo workspace (see
//! `benches/shared`) is copied, its lead segments set to draft and 20 bench segments added;
//! every lead is evaluated once at day 0, then the bench times finding what one day changes
//! (`time_changes`) and, once, evaluating and writing it (`Lifecycle::time_passed`).
//!
//! Run: `cargo bench --bench time -- --warm-up-time 1 --measurement-time 3`

mod shared;

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::SignedDuration;
use segment_builder::domain::{
    Condition, DateUnit, EvalContext, FieldPath, Group, GroupMode, LifecyclePlan, Node, NodeId, NodeIds, Number,
    Operand, Operator, RecordTypeName, Segment, SegmentId, Status,
};
use segment_builder::engine::Memberships;
use segment_builder::store::Workspace;
use segment_builder::worker::NoWaker;
use segment_builder::worker::engine::{Lifecycle, Since, load_snapshot, time_changes};
use segment_builder::worker::jobs::Job;

use shared::ctx;

fn c(field: &str, operator: Operator, value: Operand) -> Node {
    Node::Condition(Condition { id: NodeId(0), path: FieldPath::own(field), operator, value })
}

fn all(children: Vec<Node>) -> Group {
    let mut root = Group { id: NodeId(0), mode: GroupMode::All, negated: false, children };
    root.renumber(&mut NodeIds::default());
    root
}

fn text(s: &str) -> Operand {
    Operand::Text(s.to_owned())
}

fn options(items: &[&str]) -> Operand {
    Operand::Choices(items.iter().map(|s| (*s).to_owned()).collect())
}

fn relative(amount: u32, unit: DateUnit) -> Operand {
    Operand::Relative { amount, unit }
}

/// Twenty active segments, highest priority first; five read the clock.
fn twenty() -> Vec<Group> {
    use Operator::{AnyOf, Equals, GreaterOrEqual, InLast, OlderThan, ThisMonth};
    let mut segments = vec![
        all(vec![c("rating", AnyOf, options(&["Hot"])), c("country", Equals, text("Germany"))]),
        all(vec![c("created_on", InLast, relative(7, DateUnit::Days))]),
        all(vec![c("score", GreaterOrEqual, Operand::Number(Number::Whole(95)))]),
        all(vec![c("last_activity_on", OlderThan, relative(90, DateUnit::Days))]),
        all(vec![c("country", Equals, text("France"))]),
        all(vec![c("last_activity_on", InLast, relative(14, DateUnit::Days)), c("rating", AnyOf, options(&["Warm"]))]),
        all(vec![c("country", Equals, text("United Kingdom"))]),
        all(vec![c("created_on", ThisMonth, Operand::None)]),
        all(vec![c("last_activity_on", OlderThan, relative(1, DateUnit::Years))]),
    ];
    for country in ["United States", "Japan", "Spain", "Italy", "Canada", "Brazil", "India", "Netherlands"] {
        segments.push(all(vec![c("country", Equals, text(country))]));
    }
    for status in ["New", "Contacted", "Qualified"] {
        segments.push(all(vec![c("status", AnyOf, options(&[status]))]));
    }
    segments
}

fn time_benches(crit: &mut Criterion) {
    let source = shared::demo_workspace();
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-1m-time.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        std::fs::remove_file(format!("{}{suffix}", path.display())).ok();
    }
    std::fs::copy(&source, &path).unwrap_or_else(|e| panic!("{e}"));
    let lead = RecordTypeName::new("lead");
    let day0 = ctx().now;
    let day1 = day0.checked_add(SignedDuration::from_hours(24)).unwrap_or_else(|e| panic!("{e}"));
    {
        let mut ws = Workspace::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let raw = rusqlite::Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
        raw.execute("UPDATE segment SET status = 'draft' WHERE record_type = 'lead'", [])
            .unwrap_or_else(|e| panic!("{e}"));
        ws.set_time_zone("Europe/Berlin").unwrap_or_else(|e| panic!("{e}"));
        for (n, conditions) in twenty().into_iter().enumerate() {
            let segment = Segment {
                id: SegmentId(0),
                record_type: lead.clone(),
                name: format!("Bench segment {}", n + 1),
                description: String::new(),
                status: Status::Active,
                priority: 0,
                conditions,
                accept_from_other_segments: n % 2 == 0,
                rerun_assignment_on_move: false,
                sequence: None,
                created_on: day0,
                modified_on: day0,
            };
            ws.insert_segment(&segment).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let (reader, mut snapshot) = load_snapshot(&path, &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    let segments = reader.segments(&lead).unwrap_or_else(|e| panic!("{e}"));
    let mut memberships = Memberships::default();
    let mut writer = None;
    let (_job, completion) = Job::<()>::pending("bench", std::sync::Arc::new(NoWaker));
    let reporter = completion.reporter();
    let by_type = vec![(lead.clone(), segments.clone())];
    {
        let mut lifecycle =
            Lifecycle { path: &path, snapshot: &mut snapshot, memberships: &mut memberships, writer: &mut writer };
        let started = Instant::now();
        lifecycle
            .apply(&LifecyclePlan::reevaluate_all(lead.clone(), segments.clone(), day0), reporter)
            .unwrap_or_else(|e| panic!("{e}"));
        eprintln!("time: every lead evaluated and written at day 0 in {:.1?}", started.elapsed());
        // The first evaluation as time passes notes the time.
        lifecycle.time_passed(&by_type, day0, false, reporter).unwrap_or_else(|e| panic!("{e}"));
    }
    let next_day = EvalContext::new(day1, snapshot.time_zone().clone());
    let changes = time_changes(&snapshot, &memberships, &lead, &segments, Since::Evaluated(day0), &next_day)
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("time: one day later, {} leads change segment", changes.len());

    let mut group = crit.benchmark_group("time_1m");
    group.sample_size(10);
    group.bench_function("find_what_one_day_changes_5_of_20_dated", |b| {
        b.iter(|| {
            black_box(time_changes(&snapshot, &memberships, &lead, &segments, Since::Evaluated(day0), &next_day))
        });
    });
    group.finish();

    let mut lifecycle =
        Lifecycle { path: &path, snapshot: &mut snapshot, memberships: &mut memberships, writer: &mut writer };
    let started = Instant::now();
    let done = lifecycle.time_passed(&by_type, day1, false, reporter).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "time: the daily re-evaluation (find and write {} changes with history) took {:.1?}",
        done.per_type.iter().map(|(_, a)| a.outcome_counts_total()).sum::<u64>(),
        started.elapsed()
    );
}

trait Total {
    fn outcome_counts_total(&self) -> u64;
}

impl Total for segment_builder::worker::engine::Applied {
    fn outcome_counts_total(&self) -> u64 {
        match &self.outcome {
            segment_builder::store::ApplyOutcome::Applied(impact) => {
                impact.join_count() + impact.move_count() + impact.leave_count()
            }
            segment_builder::store::ApplyOutcome::Cancelled => 0,
        }
    }
}

criterion_group!(benches, time_benches);
criterion_main!(benches);
