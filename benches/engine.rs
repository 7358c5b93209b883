//! The fast engine at 1,000,000 leads: snapshot build, the live preview of six typical
//! segments (compile + count + claimed by 20 higher segments + first 100 newest), and the
//! winning segment of every lead among 20 active ones.
//!
//! Leads come from a small deterministic generator with a realistic skew (US/DE/UK heavy,
//! ~12% empty values, languages consistent with countries).
//!
//! The workspace benchmarks read the demo workspace of 1M leads (written once to
//! target/bench-1m.sqlite, loaded the way the app does): each of the six segments as the
//! fast preview and as SQLite counting its compiled WHERE clause. `benches/load.rs`
//! measures that load.
//!
//! The lifecycle benchmarks copy that workspace, add 20 active lead segments and time
//! re-evaluating every lead (evaluate, resolve priority, write memberships and history in
//! one transaction) and the impact of activating a segment.
//!
//! Run: `cargo bench --bench engine -- --warm-up-time 1 --measurement-time 3`
//! (only the lifecycle: `cargo bench --bench engine -- lifecycle_1m`)

mod shared;

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use segment_builder::domain::{
    Condition, DateUnit, EvalContext, FieldPath, Group, GroupMode, Node, NodeId, NodeIds, Operand, Operator, Record,
    RecordId, RecordTypeDef, RecordTypeName, Schema, SellerId, TeamId, Value,
};
use segment_builder::domain::{LifecyclePlan, Number, Segment, SegmentId, Status};
use segment_builder::engine::sql::compile_sql;
use segment_builder::engine::{Compiled, Snapshot, SortKey, compile, preview, union, winners};
use segment_builder::engine::{MemberColumn, Memberships, evaluate_memberships};
use segment_builder::store::{ApplyOutcome, Workspace};
use segment_builder::worker::NoWaker;
use segment_builder::worker::engine::{Applied, Lifecycle, load_snapshot, run_impact};
use segment_builder::worker::jobs::Job;

/// Leads in the in-memory benches: 1M, or `SB_BENCH_LEADS` (e.g. 10000000 for the 10M
/// figures; then only the preview and resolution groups run, named after the size).
fn lead_count() -> usize {
    std::env::var("SB_BENCH_LEADS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000)
}

/// "1m", "10m": the size in group names.
fn size_label() -> String {
    format!("{}m", lead_count() / 1_000_000)
}
const ACCOUNTS: usize = 50_000;

/// splitmix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// An item chosen by weight.
    fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut roll = (self.next() % u64::from(total)) as u32;
        for (item, weight) in items {
            if roll < *weight {
                return *item;
            }
            roll -= weight;
        }
        items[0].0
    }
}

/// (country, its languages, its cities, weight)
const COUNTRIES: &[(&str, &[&str], &[&str], u32)] = &[
    ("United States", &["English"], &["New York", "Chicago", "Austin", "Seattle", "Boston"], 26),
    ("Germany", &["German"], &["Berlin", "München", "Hamburg", "Köln"], 15),
    ("United Kingdom", &["English"], &["London", "Manchester", "Leeds"], 13),
    ("France", &["French"], &["Paris", "Lyon", "Marseille"], 8),
    ("Canada", &["English", "English", "French"], &["Toronto", "Montréal", "Vancouver"], 6),
    ("Belgium", &["French", "Dutch"], &["Brussels", "Antwerp"], 3),
    ("Netherlands", &["Dutch"], &["Amsterdam", "Rotterdam"], 5),
    ("Spain", &["Spanish"], &["Madrid", "Barcelona"], 5),
    ("Italy", &["Italian"], &["Milano", "Roma"], 5),
    ("Japan", &["Japanese"], &["Tokyo", "Osaka"], 4),
    ("Brazil", &["Portuguese"], &["São Paulo", "Rio de Janeiro"], 4),
    ("India", &["English"], &["Bengaluru", "Mumbai"], 4),
    ("Australia", &["English"], &["Sydney", "Melbourne"], 2),
];

const FIRST: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Lukas",
    "Émile",
    "Sophie",
    "Hannah",
    "Jürgen",
    "Chloé",
    "Marco",
    "Giulia",
    "Hiro",
    "Yuki",
    "Ana",
    "João",
    "Priya",
    "Arjun",
    "Liam",
    "Olivia",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Martin",
    "Bernard",
    "Dubois",
    "Rossi",
    "Russo",
    "Tanaka",
    "Suzuki",
    "Silva",
    "Santos",
    "Patel",
    "Sharma",
    "Taylor",
    "Wilson",
    "O'Brien",
    "van Dijk",
    "De Smet",
    "López",
    "García",
];
const COMPANY_HEADS: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Nakatomi",
    "Oceanic",
    "Massive",
    "Blue Sun",
    "Aperture",
    "Black Mesa",
    "Virtucon",
    "Gringotts",
];
const COMPANY_TAILS: &[&str] = &[
    "Tech",
    "Technologies",
    "Systems",
    "Labs",
    "GmbH",
    "Group",
    "Partners",
    "Solutions",
    "Foods",
    "Logistics",
    "Bank",
    "Holdings",
    "FinTech",
    "Consulting",
    "Industries",
    "Retail",
    "Health",
    "Energy",
    "Media",
    "Ventures",
];
const TITLES: &[&str] = &[
    "CEO",
    "CTO",
    "CFO",
    "VP Sales",
    "Head of IT",
    "IT Manager",
    "Procurement Manager",
    "Developer",
    "Analyst",
    "Operations Manager",
    "Marketing Director",
    "Founder",
    "Consultant",
    "Office Manager",
    "Engineer",
];
const TOPICS: &[&str] = &[
    "Interested in analytics",
    "Cloud migration",
    "Security audit",
    "Renewal",
    "Upgrade licences",
    "Pricing request",
    "Demo request",
    "Partnership",
    "Trade show follow-up",
    "Webinar attendee",
    "Newsletter signup",
    "RFP",
];
const MAIL_DOMAINS: &[(&str, u32)] =
    &[("gmail.com", 22), ("yahoo.com", 6), ("outlook.com", 9), ("hotmail.com", 4), ("", 59)];

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn ctx() -> EvalContext {
    shared::ctx()
}

fn leads(def: &RecordTypeDef, now: Timestamp) -> Vec<Record> {
    let mut rng = Rng(42);
    let index = |name: &str| def.fields.iter().position(|f| f.name.as_str() == name).unwrap_or(usize::MAX);
    let [topic, first, last, email, phone, company, job, country, city, language] =
        ["topic", "first_name", "last_name", "email", "phone", "company", "job_title", "country", "city", "language"]
            .map(index);
    let [industry, source, status, rating, product] =
        ["industry", "lead_source", "status", "rating", "product_interest"].map(index);
    let [value, employees, revenue, score, qualified, created, activity, owner, account] = [
        "estimated_value",
        "employee_count",
        "annual_revenue",
        "score",
        "qualified",
        "created_on",
        "last_activity_on",
        "owner",
        "account",
    ]
    .map(index);
    let choice = |rng: &mut Rng, field: usize| {
        let options = &def.fields[field].choices;
        Value::Choice(options[rng.below(options.len())].clone())
    };
    let weights: Vec<(usize, u32)> = COUNTRIES.iter().enumerate().map(|(i, c)| (i, c.3)).collect();
    let mut records = Vec::with_capacity(lead_count());
    for id in 1..=lead_count() {
        let mut values = vec![Value::Empty; def.fields.len()];
        let (country_name, languages, cities, _) = COUNTRIES[rng.weighted(&weights)];
        let first_name = rng.pick(FIRST);
        let last_name = rng.pick(LAST);
        let company_name = format!("{} {} {}", rng.pick(COMPANY_HEADS), rng.pick(COMPANY_TAILS), rng.below(800));
        let domain = match rng.weighted(MAIL_DOMAINS) {
            "" => format!("{}.com", company_name.to_lowercase().replace(' ', "")),
            d => d.to_owned(),
        };
        values[topic] = text(rng.pick(TOPICS));
        values[last] = text(last_name);
        let v = text(first_name);
        maybe(&mut rng, &mut values, first, v);
        let local = format!("{}.{}{}", first_name.to_lowercase(), last_name.to_lowercase().replace(' ', ""), id);
        let v = text(format!("{local}@{domain}"));
        maybe(&mut rng, &mut values, email, v);
        let v = text(format!("+{} {:09}", 1 + rng.below(99), rng.below(1_000_000_000)));
        maybe(&mut rng, &mut values, phone, v);
        let v = text(company_name);
        maybe(&mut rng, &mut values, company, v);
        let v = text(rng.pick(TITLES));
        maybe(&mut rng, &mut values, job, v);
        let v = text(country_name);
        maybe(&mut rng, &mut values, country, v);
        let v = text(rng.pick(cities));
        maybe(&mut rng, &mut values, city, v);
        let v = text(rng.pick(languages));
        maybe(&mut rng, &mut values, language, v);
        for field in [industry, source, status, product] {
            let v = choice(&mut rng, field);
            maybe(&mut rng, &mut values, field, v);
        }
        let hot = rng.weighted(&[("Hot", 20), ("Warm", 35), ("Cold", 45)]);
        let v = Value::Choice(hot.to_owned());
        maybe(&mut rng, &mut values, rating, v);
        let estimated = 1_000.0 * (500f64).powf(rng.below(10_000) as f64 / 10_000.0);
        let v = Value::Money((estimated * 100.0).round() / 100.0);
        maybe(&mut rng, &mut values, value, v);
        let v = Value::WholeNumber(1 + rng.below(50_000) as i64);
        maybe(&mut rng, &mut values, employees, v);
        let v = Value::Money((rng.below(100_000_000) as f64) * 10.0);
        maybe(&mut rng, &mut values, revenue, v);
        let v = Value::WholeNumber(rng.below(101) as i64);
        maybe(&mut rng, &mut values, score, v);
        let q = rng.weighted(&[(Some(true), 40), (Some(false), 45), (None, 15)]);
        values[qualified] = q.map_or(Value::Empty, Value::YesNo);
        let ago = |rng: &mut Rng, days: usize| {
            now.checked_sub(SignedDuration::from_secs(rng.below(days * 86_400) as i64)).unwrap_or(now)
        };
        values[created] = Value::DateTime(ago(&mut rng, 3 * 365));
        let last_activity = Value::DateTime(ago(&mut rng, 2 * 365));
        let v = last_activity;
        maybe(&mut rng, &mut values, activity, v);
        let v = Value::Owner(SellerId(1 + rng.below(200) as i64));
        maybe(&mut rng, &mut values, owner, v);
        let v = Value::Lookup(RecordId(1 + rng.below(ACCOUNTS) as i64));
        maybe(&mut rng, &mut values, account, v);
        records.push(Record { id: RecordId(id as i64), values });
    }
    records
}

/// Sets a value, except for about 12% of them, left empty.
fn maybe(rng: &mut Rng, values: &mut [Value], field: usize, value: Value) {
    if !rng.chance(12) {
        values[field] = value;
    }
}

fn accounts(def: &RecordTypeDef) -> Vec<Record> {
    let mut rng = Rng(7);
    (1..=ACCOUNTS)
        .map(|id| {
            let mut record = Record::empty(RecordId(id as i64), def);
            record.set(def, "name", text(format!("{} {} {id}", rng.pick(COMPANY_HEADS), rng.pick(COMPANY_TAILS))));
            let industries =
                &def.fields[def.field_index(&segment_builder::domain::FieldName::new("industry")).unwrap_or(0)].choices;
            if let Some(industry) = industries.get(rng.below(industries.len().max(1))) {
                record.set(def, "industry", Value::Choice(industry.clone()));
            }
            record.set(def, "country", text(COUNTRIES[rng.below(COUNTRIES.len())].0));
            record
        })
        .collect()
}

// Tree builders.

fn c(field: &str, operator: Operator, value: Operand) -> Node {
    Node::Condition(Condition { id: NodeId(0), path: FieldPath::own(field), operator, value })
}

fn group(mode: GroupMode, children: Vec<Node>) -> Group {
    Group { id: NodeId(0), mode, negated: false, children }
}

fn all(children: Vec<Node>) -> Group {
    let mut root = group(GroupMode::All, children);
    root.renumber(&mut NodeIds::default());
    root
}

fn any(children: Vec<Node>) -> Node {
    Node::Group(group(GroupMode::Any, children))
}

fn t(s: &str) -> Operand {
    Operand::Text(s.to_owned())
}

fn options(items: &[&str]) -> Operand {
    Operand::Choices(items.iter().map(|s| (*s).to_owned()).collect())
}

fn texts(items: &[&str]) -> Operand {
    Operand::TextList(items.iter().map(|s| (*s).to_owned()).collect())
}

fn n(x: f64) -> Operand {
    Operand::Number(Number::from(x))
}

fn days(amount: u32) -> Operand {
    Operand::Relative { amount, unit: DateUnit::Days }
}

/// The six segments of the issue.
fn six() -> Vec<(&'static str, Group)> {
    use Operator::{AnyOf, Between, Contains, Equals, GreaterOrEqual, InLast, IsYes};
    vec![
        ("1_country_germany", all(vec![c("country", Equals, t("Germany"))])),
        (
            "2_us_hot_score60",
            all(vec![
                c("country", Equals, t("United States")),
                c("rating", AnyOf, options(&["Hot"])),
                c("score", GreaterOrEqual, n(60.0)),
            ]),
        ),
        (
            "3_qualified_french_hot_warm",
            all(vec![
                c("qualified", IsYes, Operand::None),
                any(vec![
                    c("country", AnyOf, texts(&["France", "Belgium", "Canada"])),
                    c("language", Equals, t("French")),
                ]),
                c("rating", AnyOf, options(&["Hot", "Warm"])),
            ]),
        ),
        ("4_company_contains_tech", all(vec![c("company", Contains, t("tech"))])),
        (
            "5_active_60d_value_10k_100k",
            all(vec![
                c("last_activity_on", InLast, days(60)),
                c(
                    "estimated_value",
                    Between,
                    Operand::NumberRange { low: Number::Whole(10_000), high: Number::Whole(100_000) },
                ),
            ]),
        ),
        ("6_email_contains_gmail", all(vec![c("email", Contains, t("gmail"))])),
    ]
}

/// Twenty plausible active segments, highest priority first.
fn twenty() -> Vec<Group> {
    use Operator::{
        AnyOf, BeginsWith, Between, Contains, EndsWith, Equals, GreaterOrEqual, GreaterThan, InLast, IsEmpty, IsNo,
        IsYes, NoneOf, OlderThan,
    };
    vec![
        all(vec![c("score", GreaterOrEqual, n(95.0)), c("rating", AnyOf, options(&["Hot"]))]),
        all(vec![c("estimated_value", GreaterOrEqual, n(400_000.0))]),
        all(vec![c("job_title", AnyOf, texts(&["CEO", "CTO", "CFO"])), c("country", Equals, t("Germany"))]),
        all(vec![c("lead_source", AnyOf, options(&["Trade show"])), c("qualified", IsYes, Operand::None)]),
        all(vec![c("created_on", InLast, days(7))]),
        all(vec![c("company", Contains, t("bank")), c("employee_count", GreaterThan, n(1_000.0))]),
        all(vec![c("email", EndsWith, t(".de")), c("status", AnyOf, options(&["New"]))]),
        all(vec![c("country", Equals, t("Japan")), c("rating", NoneOf, options(&["Cold"]))]),
        all(vec![c("industry", AnyOf, options(&["Healthcare", "Education"])), c("score", GreaterThan, n(70.0))]),
        all(vec![c("product_interest", AnyOf, options(&["Security"])), c("annual_revenue", GreaterThan, n(5e8))]),
        all(vec![c("last_activity_on", OlderThan, Operand::Relative { amount: 1, unit: DateUnit::Years })]),
        all(vec![c("owner", IsEmpty, Operand::None), c("rating", AnyOf, options(&["Hot"]))]),
        all(vec![c("language", Equals, t("Spanish"))]),
        all(vec![c("country", Equals, t("United Kingdom")), c("score", GreaterOrEqual, n(80.0))]),
        all(vec![c("status", AnyOf, options(&["Disqualified"]))]),
        all(vec![c("city", AnyOf, texts(&["Paris", "Lyon"])), c("qualified", IsNo, Operand::None)]),
        all(vec![c("topic", Contains, t("demo"))]),
        all(vec![c("phone", BeginsWith, t("+49"))]),
        all(vec![
            c("industry", AnyOf, options(&["Software"])),
            c(
                "estimated_value",
                Between,
                Operand::NumberRange { low: Number::Whole(50_000), high: Number::Whole(200_000) },
            ),
        ]),
        all(vec![c("account", IsEmpty, Operand::None)]),
    ]
}

fn engine(crit: &mut Criterion) {
    if only_lifecycle() {
        return;
    }
    let schema = Schema::built_in();
    let ctx = ctx();
    let lead = RecordTypeName::new("lead");
    let account = RecordTypeName::new("account");
    let (Some(lead_def), Some(account_def)) = (schema.get(&lead), schema.get(&account)) else {
        panic!("the built-in schema has leads and accounts")
    };
    let started = Instant::now();
    let lead_records = leads(lead_def, ctx.now);
    let account_records = accounts(account_def);
    eprintln!("generated {} leads in {:.1?}", lead_count(), started.elapsed());
    let teams = vec![(TeamId(1), (1..=20).map(SellerId).collect::<Vec<_>>())];
    let build = || {
        Snapshot::build(
            &schema,
            ctx.time_zone.clone(),
            [(&lead, lead_records.iter()), (&account, account_records.iter())],
            teams.clone(),
        )
    };
    let started = Instant::now();
    let snapshot = build();
    eprintln!("built the snapshot in {:.1?}", started.elapsed());

    let newest = SortKey::newest_first();
    let started = Instant::now();
    let warm = compile(&snapshot, &lead, &all(vec![]), &ctx).unwrap_or_else(|e| panic!("{e}"));
    let _ = preview(&snapshot, &warm, &snapshot_rows(&snapshot, &lead), &newest, 1);
    eprintln!("sorted leads newest first in {:.1?}", started.elapsed());

    let leads_bytes = snapshot.type_snapshot(&lead).map_or(0, segment_builder::engine::TypeSnapshot::heap_bytes);
    eprintln!(
        "snapshot heap: {:.1} MB in all, leads {:.1} MB = {:.0} bytes per lead (with the newest-first order)",
        snapshot.heap_bytes() as f64 / 1e6,
        leads_bytes as f64 / 1e6,
        leads_bytes as f64 / lead_count() as f64
    );

    let higher: Vec<Compiled> =
        twenty().iter().map(|root| compile(&snapshot, &lead, root, &ctx).unwrap_or_else(|e| panic!("{e}"))).collect();
    let higher_refs: Vec<&Compiled> = higher.iter().collect();
    let claimed = union(&snapshot, &lead, &higher_refs);
    eprintln!("the 20 higher segments claim {} leads", claimed.count());

    let mut previews = crit.benchmark_group(format!("preview_{}", size_label()));
    for (name, root) in six() {
        let compiled = compile(&snapshot, &lead, &root, &ctx).unwrap_or_else(|e| panic!("{e}"));
        let result = preview(&snapshot, &compiled, &claimed, &newest, 100);
        eprintln!(
            "{name}: {} match, {} claimed by higher, {} would join, first {:?}",
            result.matches,
            result.claimed_by_higher,
            result.would_join,
            &result.first[..3.min(result.first.len())]
        );
        let runs = 20;
        let started = Instant::now();
        for _ in 0..runs {
            black_box(compile(&snapshot, &lead, &root, &ctx).is_ok());
        }
        let compiling = started.elapsed() / runs;
        let started = Instant::now();
        for _ in 0..runs {
            black_box(compiled.evaluate(&snapshot));
        }
        eprintln!("{name}: compile {compiling:.1?}, evaluate {:.1?}", started.elapsed() / runs);
        previews.bench_function(name, |b| {
            b.iter(|| {
                let compiled = compile(&snapshot, &lead, &root, &ctx).unwrap_or_else(|e| panic!("{e}"));
                black_box(preview(&snapshot, &compiled, &claimed, &newest, 100))
            });
        });
    }
    previews.finish();

    let mut resolution = crit.benchmark_group(format!("resolve_{}", size_label()));
    resolution.bench_function("union_of_20_higher", |b| b.iter(|| black_box(union(&snapshot, &lead, &higher_refs))));
    resolution.bench_function("winners_of_20", |b| b.iter(|| black_box(winners(&snapshot, &lead, &higher_refs))));
    resolution.finish();

    if lead_count() != 1_000_000 {
        return;
    }
    workspace_benches(crit);

    let mut building = crit.benchmark_group("build_1m");
    building.sample_size(10);
    building.bench_function("snapshot_build", |b| b.iter(|| black_box(build())));
    building.finish();
}

/// Activating and re-evaluating on the 1M-lead workspace with 20 active lead segments
/// (the demo's own lead segments set to draft): evaluate, resolve priority, and write the
/// memberships and their history in one transaction, as the engine worker does. Each
/// iteration starts from no memberships (reset outside the timing).
fn lifecycle_benches(crit: &mut Criterion) {
    let source = shared::demo_workspace();
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-1m-lifecycle.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        std::fs::remove_file(format!("{}{suffix}", path.display())).ok();
    }
    std::fs::copy(&source, &path).unwrap_or_else(|e| panic!("{e}"));
    let lead = RecordTypeName::new("lead");
    let now = ctx().now;
    {
        let mut ws = Workspace::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let raw = rusqlite::Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
        raw.execute("UPDATE segment SET status = 'draft' WHERE record_type = 'lead'", [])
            .unwrap_or_else(|e| panic!("{e}"));
        for (n, conditions) in twenty().into_iter().enumerate() {
            let segment = Segment {
                id: SegmentId(0),
                record_type: lead.clone(),
                name: format!("Bench segment {}", n + 1),
                description: String::new(),
                status: Status::Active,
                priority: 0,
                conditions,
                // Every other one takes members from lower segments.
                accept_from_other_segments: n % 2 == 0,
                rerun_assignment_on_move: n % 4 == 0,
                sequence: None,
                created_on: now,
                modified_on: now,
            };
            ws.insert_segment(&segment).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let started = Instant::now();
    let (reader, mut snapshot) = load_snapshot(&path, &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("lifecycle: loaded the snapshot in {:.1?}", started.elapsed());
    let segments = reader.segments(&lead).unwrap_or_else(|e| panic!("{e}"));
    let raw = rusqlite::Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let reset = || {
        raw.execute_batch("DELETE FROM membership; DELETE FROM membership_history;").unwrap_or_else(|e| panic!("{e}"));
    };
    let mut writer = None;
    let (_job, completion) = Job::<()>::pending("bench", std::sync::Arc::new(NoWaker));
    let reporter = completion.reporter();

    // The parts, once: evaluation alone, then evaluation and writing.
    let plan = LifecyclePlan::reevaluate_all(lead.clone(), segments.clone(), now);
    let eval_ctx = EvalContext::new(now, snapshot.time_zone().clone());
    let started = Instant::now();
    let evaluated =
        evaluate_memberships(&snapshot, &lead, &segments, &MemberColumn::default(), plan.scope, None, &eval_ctx)
            .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "lifecycle: evaluated 20 active segments in {:.1?}: {} joins",
        started.elapsed(),
        evaluated.impact.join_count()
    );
    reset();
    let mut memberships = Memberships::default();
    let mut lifecycle =
        Lifecycle { path: &path, snapshot: &mut snapshot, memberships: &mut memberships, writer: &mut writer };
    let started = Instant::now();
    let applied = lifecycle.apply(&plan, reporter).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("lifecycle: re-evaluate all and write in {:.1?}: {}", started.elapsed(), applied.outcome_counts());

    // Activating the top segment with the other 19 active and their members in place:
    // evaluation, moves into it, joins.
    let top = segments.iter().find(|s| s.name == "Bench segment 1").map_or(SegmentId(0), |s| s.id);
    let mut without_top = segments.clone();
    for segment in &mut without_top {
        if segment.id == top {
            segment.status = Status::Inactive;
        }
    }

    let mut group = crit.benchmark_group("lifecycle_1m");
    group.sample_size(10);
    group.bench_function("reevaluate_all_20_active_write_memberships_and_history", |b| {
        b.iter_custom(|iters| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iters {
                reset();
                let mut memberships = Memberships::default();
                let mut lifecycle = Lifecycle {
                    path: &path,
                    snapshot: &mut snapshot,
                    memberships: &mut memberships,
                    writer: &mut writer,
                };
                let started = Instant::now();
                black_box(lifecycle.apply(&plan, reporter).unwrap_or_else(|e| panic!("{e}")));
                total += started.elapsed();
            }
            total
        });
    });
    reset();
    raw.execute("UPDATE segment SET status = 'inactive' WHERE id = ?1", [top.0]).unwrap_or_else(|e| panic!("{e}"));
    let mut memberships = Memberships::default();
    let mut lifecycle =
        Lifecycle { path: &path, snapshot: &mut snapshot, memberships: &mut memberships, writer: &mut writer };
    let plan = LifecyclePlan::reevaluate_all(lead.clone(), without_top.clone(), now);
    lifecycle.apply(&plan, reporter).unwrap_or_else(|e| panic!("{e}"));
    let activate =
        LifecyclePlan::activate(lead.clone(), without_top.clone(), top, now).unwrap_or_else(|e| panic!("{e}"));
    let outcome = run_impact(&snapshot, &memberships, &activate).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "lifecycle: activating the top segment: {} join, {} move in, {} claimed by higher",
        outcome.impact.join_count(),
        outcome.impact.move_count(),
        outcome.impact.claimed_by_higher
    );
    group.bench_function("impact_of_activating_the_top_segment", |b| {
        b.iter(|| black_box(run_impact(&snapshot, &memberships, &activate)));
    });
    let mut lifecycle =
        Lifecycle { path: &path, snapshot: &mut snapshot, memberships: &mut memberships, writer: &mut writer };
    let started = Instant::now();
    let applied = lifecycle.apply(&activate, reporter).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "lifecycle: activating the top segment applied in {:.1?}: {}",
        started.elapsed(),
        applied.outcome_counts()
    );
    group.finish();
}

/// The six segments on the demo workspace: the fast preview against SQLite counting with
/// the compiled WHERE clause (the baseline). Its load is measured by `benches/load.rs`.
fn workspace_benches(crit: &mut Criterion) {
    let path = shared::demo_workspace();
    let started = Instant::now();
    let (reader, snapshot) = load_snapshot(&path, &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("loaded the workspace snapshot in {:.1?}", started.elapsed());
    let lead = RecordTypeName::new("lead");
    let leads_bytes = snapshot.type_snapshot(&lead).map_or(0, segment_builder::engine::TypeSnapshot::heap_bytes);
    let rows = snapshot.type_snapshot(&lead).map_or(1, segment_builder::engine::TypeSnapshot::rows).max(1);
    eprintln!("workspace snapshot: leads {:.0} bytes per lead", leads_bytes as f64 / rows as f64);
    let ctx = EvalContext::new(ctx().now, snapshot.time_zone().clone());
    let schema = reader.schema().clone();
    let Some(lead_def) = schema.get(&lead) else { panic!("the demo workspace has leads") };
    let newest = SortKey::newest_first();
    let nobody = segment_builder::engine::Bitset::empty(rows);

    let mut group = crit.benchmark_group("workspace_1m");
    group.sample_size(10);
    for (name, root) in six() {
        let sql = compile_sql(&schema, lead_def, &root, &ctx);
        let compiled = compile(&snapshot, &lead, &root, &ctx).unwrap_or_else(|e| panic!("{e}"));
        let fast = preview(&snapshot, &compiled, &nobody, &newest, 100).matches;
        let slow = reader.count_matching(&lead, &sql).unwrap_or_else(|e| panic!("{e}"));
        eprintln!("{name} on the demo workspace: fast {fast}, SQLite {slow}");
        if fast as u64 != slow {
            eprintln!("{name}: THE FAST ENGINE AND SQLITE DISAGREE");
        }
        group.bench_function(format!("fast_preview/{name}"), |b| {
            b.iter(|| {
                let compiled = compile(&snapshot, &lead, &root, &ctx).unwrap_or_else(|e| panic!("{e}"));
                black_box(preview(&snapshot, &compiled, &nobody, &newest, 100))
            });
        });
        group.bench_function(format!("sqlite_count/{name}"), |b| {
            b.iter(|| black_box(reader.count_matching(&lead, &compile_sql(&schema, lead_def, &root, &ctx))));
        });
    }
    group.finish();
}

/// Joins, leaves and moves of an apply, or "cancelled".
trait OutcomeCounts {
    fn outcome_counts(&self) -> String;
}

impl OutcomeCounts for Applied {
    fn outcome_counts(&self) -> String {
        match &self.outcome {
            ApplyOutcome::Applied(impact) => {
                format!("{} joins, {} leaves, {} moves", impact.join_count(), impact.leave_count(), impact.move_count())
            }
            ApplyOutcome::Cancelled => "cancelled".to_owned(),
        }
    }
}

/// Every row of a type (to warm the sort order).
fn snapshot_rows(snapshot: &Snapshot, ty: &RecordTypeName) -> segment_builder::engine::Bitset {
    snapshot.type_snapshot(ty).map_or_else(|| segment_builder::engine::Bitset::empty(0), |t| t.live().clone())
}

criterion_group!(benches, engine, lifecycle);

/// Whether the command line's filter asks for the lifecycle group only: then the in-memory
/// leads are not generated.
fn only_lifecycle() -> bool {
    std::env::args().skip(1).any(|a| a.starts_with("lifecycle"))
}

/// Only at 1M leads (the workspace is the 1M demo).
fn lifecycle(crit: &mut Criterion) {
    if lead_count() == 1_000_000 {
        lifecycle_benches(crit);
    }
}
criterion_main!(benches);
