//! The builder's funnel at 1,000,000 leads with a tree of 20 conditions (text, choice,
//! number, money, date-time, yes/no, owner and a lookup's field; five of them in a nested
//! Any group): what each node matches on its own and what the tree gains without it, as
//! `engine::funnel::funnel` computes them for the window after every edit.
//! Target: ≤ 100 ms.
//!
//! Run: `cargo bench --bench funnel` (`SB_BENCH_RUNS=9` for more runs).

mod shared;

use std::time::Instant;

use segment_builder::domain::{
    Condition, DateUnit, FieldPath, Group, GroupMode, Node, NodeIds, Number, Operand, Operator, RecordTypeName,
};
use segment_builder::engine::compile;
use segment_builder::engine::funnel::funnel;
use segment_builder::worker::engine::load_snapshot;

fn runs() -> usize {
    std::env::var("SB_BENCH_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(5)
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn when(path: FieldPath, operator: Operator, value: Operand) -> Node {
    Node::Condition(Condition { id: segment_builder::domain::NodeId(0), path, operator, value })
}

fn own(field: &str, operator: Operator, value: Operand) -> Node {
    when(FieldPath::own(field), operator, value)
}

fn texts(items: &[&str]) -> Operand {
    Operand::TextList(items.iter().map(|s| (*s).to_owned()).collect())
}

fn choices(items: &[&str]) -> Operand {
    Operand::Choices(items.iter().map(|s| (*s).to_owned()).collect())
}

fn whole(n: i64) -> Operand {
    Operand::Number(Number::Whole(n))
}

/// Twenty conditions, fifteen at the root and five in a nested Any group.
fn tree() -> Group {
    let text = |s: &str| Operand::Text(s.to_owned());
    let any = Group {
        id: segment_builder::domain::NodeId(0),
        mode: GroupMode::Any,
        negated: false,
        children: vec![
            own("job_title", Operator::Contains, text("manager")),
            own("job_title", Operator::Contains, text("director")),
            own("annual_revenue", Operator::GreaterThan, whole(1_000_000)),
            own("product_interest", Operator::AnyOf, choices(&["Analytics", "Security"])),
            when(FieldPath::through(&["account"], "industry"), Operator::AnyOf, choices(&["Software", "Retail"])),
        ],
    };
    let mut root = Group {
        id: segment_builder::domain::NodeId(0),
        mode: GroupMode::All,
        negated: false,
        children: vec![
            own("country", Operator::AnyOf, texts(&["Germany", "France", "United Kingdom", "Spain", "Italy"])),
            own("rating", Operator::AnyOf, choices(&["Hot", "Warm"])),
            own("status", Operator::NoneOf, choices(&["Disqualified"])),
            own("score", Operator::GreaterOrEqual, whole(10)),
            own(
                "employee_count",
                Operator::Between,
                Operand::NumberRange { low: Number::Whole(5), high: Number::Whole(50_000) },
            ),
            own("estimated_value", Operator::GreaterThan, whole(100)),
            own("created_on", Operator::InLast, Operand::Relative { amount: 3, unit: DateUnit::Years }),
            own("email", Operator::Contains, text("@")),
            own("topic", Operator::NotContains, text("test")),
            own("qualified", Operator::IsNo, Operand::None),
            own("lead_source", Operator::NoneOf, choices(&["Other"])),
            own("city", Operator::IsNotEmpty, Operand::None),
            own("owner", Operator::IsNotEmpty, Operand::None),
            own("last_name", Operator::NotBeginsWith, text("zz")),
            own("phone", Operator::IsNotEmpty, Operand::None),
            Node::Group(any),
        ],
    };
    root.renumber(&mut NodeIds::default());
    root
}

fn main() {
    let path = shared::demo_workspace();
    let lead = RecordTypeName::new("lead");
    let (_reader, snapshot) = load_snapshot(&path, &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    let ctx = segment_builder::domain::EvalContext::new(shared::ctx().now, snapshot.time_zone().clone());
    let root = tree();
    let (mut whole_tree, mut funnels) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..runs() {
        let t = Instant::now();
        let matches =
            compile(&snapshot, &lead, &root, &ctx).unwrap_or_else(|e| panic!("{e}")).evaluate(&snapshot).count();
        whole_tree.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let found = funnel(&snapshot, &lead, &root, &ctx).unwrap_or_else(|e| panic!("{e}"));
        funnels.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(found.total, matches, "the funnel's total is the tree's");
        last = Some(found);
    }
    let found = last.unwrap_or_else(|| panic!("no runs"));
    let conditions = found.nodes.len() - 2;
    assert_eq!(conditions, 20, "twenty conditions (and the root and the nested group)");
    println!("funnel, 1M leads, 20 conditions (median of {}):", runs());
    println!("  the tree evaluated once                     {:>8.1} ms  ({} matches)", median(whole_tree), found.total);
    println!("  every node alone and the tree without it    {:>8.1} ms", median(funnels));
    for (id, figures) in &found.nodes {
        println!("    node {:>2}: alone {:>9}, without {:?}", id.0, figures.alone, figures.without);
    }
}
