//! The charts (issue 14), on a lived-in demo: a segment's size over time (the joins and
//! leaves per day the store reads from the membership history, the sizes counted back from
//! today's members, the chart on the Details tab) and the sellers' load against capacity.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

mod common;

use std::collections::HashMap;

use egui_kittest::kittest::{NodeT, Queryable};

use common::harness::{lead, open_app, run_until, wait_for_label};
use segment_builder::demo::DemoSpec;
use segment_builder::domain::SegmentId;
use segment_builder::domain::size::{DayChanges, SIZE_DAYS, size_series};
use segment_builder::state::Loadable;
use segment_builder::store::Workspace;

fn lived_demo(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("lived.sqlite");
    let spec = DemoSpec::with_leads(2_000, DemoSpec::STANDARD_SEED, segment_builder::clock::now());
    segment_builder::cli::create_lived_in_demo(&path, &spec, &mut |_, _| true).expect("demo");
    path
}

/// The joins and leaves per segment and day, counted row by row from the history.
fn counted_by_hand(
    path: &std::path::Path,
    zone: &jiff::tz::TimeZone,
) -> HashMap<(SegmentId, jiff::civil::Date), DayChanges> {
    let sql = rusqlite::Connection::open(path).expect("plain SQLite");
    let mut stmt = sql.prepare("SELECT at, kind, from_segment, to_segment FROM membership_history").expect("query");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, Option<i64>>(3)?,
            ))
        })
        .expect("rows")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows");
    let mut changes: HashMap<(SegmentId, jiff::civil::Date), DayChanges> = HashMap::new();
    for (at, kind, from, to) in rows {
        let at: jiff::Timestamp = at.parse().expect("a time");
        // The store counts by the hour (UTC), then puts the hour on the zone's day.
        let hour = at
            .round(jiff::TimestampRound::new().smallest(jiff::Unit::Hour).mode(jiff::RoundMode::Trunc))
            .expect("hour");
        let day = hour.to_zoned(zone.clone()).date();
        if kind != "leave" {
            changes.entry((SegmentId(to.expect("a join has a segment")), day)).or_default().joins += 1;
        }
        if kind != "join" {
            changes.entry((SegmentId(from.expect("a leave has a segment")), day)).or_default().leaves += 1;
        }
    }
    changes
}

#[test]
fn the_store_counts_joins_and_leaves_per_day_and_sizes_count_back_to_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = lived_demo(&dir);
    let ws = Workspace::open(&path).expect("open");
    let zone = jiff::tz::TimeZone::get(ws.time_zone()).expect("zone");
    let since: jiff::Timestamp = "2000-01-01T00:00:00Z".parse().expect("a time");
    let stored = ws.membership_changes_by_day(since, &zone).expect("changes");
    assert_eq!(stored, counted_by_hand(&path, &zone), "the same counts as row by row");
    assert!(stored.values().any(|c| c.leaves > 0), "members left on some day");

    // Counted back from today's members, every segment was empty before its first member
    // joined (all of them within the window), so the counts and the history agree.
    let today = segment_builder::clock::now().to_zoned(zone.clone()).date();
    let mut grown = 0;
    for segment in ws.segments(&lead()).expect("segments") {
        let members = ws.member_count(segment.id).expect("count");
        let series = size_series(segment.id, members, &stored, today, SIZE_DAYS);
        assert_eq!(series.members.len(), SIZE_DAYS);
        assert_eq!(series.members.last(), Some(&members), "{}: today's size", segment.name);
        assert_eq!(series.members[0], 0, "{}: nobody before the demo's 90 days", segment.name);
        grown += usize::from(members > 0 && series.changed());
    }
    assert!(grown >= 3, "several segments have a size history: {grown}");
}

#[test]
fn the_details_tab_draws_the_size_chart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = lived_demo(&dir);
    let mut harness = open_app(&path);
    run_until(&mut harness, "the size history", |app| matches!(app.state().sizes, Loadable::Ready(_)));
    let segments = Workspace::open(&path).expect("open").segments(&lead()).expect("segments");
    let first = &segments[0];
    // The first segment is selected on opening.
    assert_eq!(harness.state().state().selected_segment, Some(first.id));
    harness.get_by_label("Details").click();
    wait_for_label(&mut harness, &format!("Members over the last {SIZE_DAYS} days"));
    // The chart, not the line saying nothing changed.
    assert!(harness.query_by_label_contains("nobody joined or left").is_none(), "the segment grew in the demo");
    let sizes = harness.state().state().sizes.latest().cloned().expect("sizes");
    let members = harness.state().state().view.as_ref().expect("view").member_counts.get(&first.id).copied();
    let series = sizes.series(first.id, members.unwrap_or(0));
    assert!(series.changed() && series.members[0] == 0, "{series:?}");
}

#[test]
fn the_sellers_screen_shows_each_sellers_load_against_capacity() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = lived_demo(&dir);
    let sql = rusqlite::Connection::open(&path).expect("plain SQLite");
    let mut stmt = sql
        .prepare(
            "SELECT seller_id, count(*) FROM assignment WHERE status = 'assigned' AND seller_id IS NOT NULL GROUP BY 1",
        )
        .expect("query");
    let expected: HashMap<segment_builder::domain::SellerId, u64> = stmt
        .query_map([], |r| Ok((segment_builder::domain::SellerId(r.get(0)?), r.get::<_, i64>(1)?.unsigned_abs())))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(!expected.is_empty(), "the demo's rules assigned records");
    let sellers = Workspace::open(&path).expect("open").sellers().expect("sellers");
    let full = sellers
        .iter()
        .filter_map(|s| s.capacity.map(|c| expected.get(&s.id).copied().unwrap_or(0) >= u64::from(c)))
        .filter(|full| *full)
        .count();
    let capped = sellers.iter().filter(|s| s.capacity.is_some()).count();

    let mut harness = open_app(&path);
    harness.get_by_label("Sellers & teams").click();
    wait_for_label(&mut harness, "Open records against capacity");
    run_until(&mut harness, "the open records", |app| !app.state().sellers.open.is_empty());
    harness.run_steps(2);
    assert_eq!(harness.state().state().sellers.open, expected, "the chart's counts are the assignments");
    // A small label: its text is the node's value.
    let found: Vec<String> = harness
        .query_all_by_label_contains("sellers with a limit")
        .filter_map(|n| n.accesskit_node().value())
        .collect();
    assert_eq!(found, [format!("{full} of {capped} sellers with a limit are at or over it")]);
}
