//! The Work list at 100,000 running enrolments (issue 17's target: at most 50 ms filtered by
//! seller). A workspace of 100,000 leads owned by 50 sellers, all enrolled in one sequence
//! (Call, a day's wait, Task) on different days, is written once to target/; the bench times
//! `Workspace::work_list` for one seller (about 2,000 rows) with the first 500 shown, and,
//! for comparison, for every seller.
//!
//! Run: `cargo bench --bench worklist -- --warm-up-time 1 --measurement-time 3`

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use segment_builder::domain::sequence::WorkFilter;
use segment_builder::domain::{
    Group, MembershipChange, MembershipChanges, MembershipReason, NodeId, Record, RecordId, RecordTypeName, Segment,
    SegmentId, Seller, SellerId, Sequence, SequenceId, SequenceOptions, Status, Step, StepKind, Value,
};
use segment_builder::store::Workspace;

const LEADS: i64 = 100_000;
const SELLERS: i64 = 50;

fn now() -> Timestamp {
    Timestamp::constant(1_774_951_200, 0)
}

fn workspace() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-worklist-100k.sqlite");
    if path.exists() {
        drop(Workspace::open(&path).unwrap_or_else(|e| panic!("{e}")));
        return path;
    }
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).unwrap_or_else(|e| panic!("{e}"));
    }
    let lead = RecordTypeName::new("lead");
    let mut ws = Workspace::create(&path).unwrap_or_else(|e| panic!("{e}"));
    let sellers: Vec<SellerId> = (0..SELLERS)
        .map(|i| {
            let seller = Seller {
                id: SellerId(0),
                name: format!("Seller {i}"),
                email: format!("seller{i}@example.com"),
                time_zone: "Europe/Berlin".into(),
                attributes: BTreeMap::new(),
                capacity: None,
                work_hours: Vec::new(),
                time_off: Vec::new(),
                assign_records: true,
            };
            ws.insert_seller(&seller).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let def = ws.schema().get(&lead).unwrap_or_else(|| panic!("lead")).clone();
    let mut rows = (0..LEADS).map(|i| {
        let mut record = Record::empty(RecordId(0), &def);
        record.set(&def, "topic", Value::Text(format!("Lead {i}")));
        record.set(&def, "owner", Value::Owner(sellers[(i % SELLERS) as usize]));
        record.values
    });
    ws.insert_records(&lead, &mut rows, &mut |_| true).unwrap_or_else(|e| panic!("{e}"));
    let segment = Segment {
        id: SegmentId(0),
        record_type: lead.clone(),
        name: "Every lead".into(),
        description: String::new(),
        status: Status::Draft,
        priority: 0,
        conditions: Group::all(NodeId(0)),
        accept_from_other_segments: false,
        rerun_assignment_on_move: false,
        sequence: None,
        created_on: now(),
        modified_on: now(),
    };
    let segment = ws.insert_segment(&segment).unwrap_or_else(|e| panic!("{e}"));
    ws.set_segment_status(segment, Status::Active, now()).unwrap_or_else(|e| panic!("{e}"));
    let step =
        |kind, name: &str, wait_minutes| Step { kind, name: name.into(), description: String::new(), wait_minutes };
    let sequence = ws
        .insert_sequence(&Sequence {
            id: SequenceId(0),
            record_type: lead.clone(),
            name: "Follow up".into(),
            description: String::new(),
            status: Status::Draft,
            steps: vec![
                step(StepKind::PhoneCall, "Call", None),
                step(StepKind::Wait, "A day", Some(1440)),
                step(StepKind::Task, "Send the offer", None),
            ],
            options: SequenceOptions::default(),
            created_on: now(),
            modified_on: now(),
        })
        .unwrap_or_else(|e| panic!("{e}"));
    ws.set_sequence_status(sequence, Status::Active, now()).unwrap_or_else(|e| panic!("{e}"));
    ws.connect_sequence(segment, sequence, now()).unwrap_or_else(|e| panic!("{e}"));
    // Enrolled over 20 days, a fifth of the leads each day.
    for day in 0..20 {
        let changes = MembershipChanges {
            record_type: lead.clone(),
            changes: (1..=LEADS)
                .filter(|id| id % 20 == day)
                .map(|id| MembershipChange {
                    record: RecordId(id),
                    from: None,
                    to: Some(segment),
                    rerun_assignment: false,
                })
                .collect(),
        };
        let at = now() - SignedDuration::from_hours(24 * (20 - day));
        ws.apply_membership_changes(&changes, MembershipReason::RecordCreated, at, &mut |_, _| true)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    path
}

fn work_list_benches(crit: &mut Criterion) {
    let path = workspace();
    let ws = Workspace::open_reader(&path).unwrap_or_else(|e| panic!("{e}"));
    let seller = SellerId(7);
    let by_seller = WorkFilter { seller: Some(seller), due_before: Some(now()), ..WorkFilter::default() };
    let list = ws.work_list(&by_seller, now(), 500).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("one seller: {} due steps ({} shown)", list.total, list.items.len());
    assert!(list.total >= 1_900, "the seller has about 2,000 due steps: {}", list.total);
    crit.bench_function("work_list_100k_by_seller", |b| {
        b.iter(|| black_box(ws.work_list(&by_seller, now(), 500).unwrap_or_else(|e| panic!("{e}"))));
    });
    let everyone = WorkFilter { due_before: Some(now()), ..WorkFilter::default() };
    crit.bench_function("work_list_100k_everyone", |b| {
        b.iter(|| black_box(ws.work_list(&everyone, now(), 500).unwrap_or_else(|e| panic!("{e}"))));
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = work_list_benches
}
criterion_main!(benches);
