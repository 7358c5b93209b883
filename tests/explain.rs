//! The Explain panel (issue 14): why a record is or is not in each segment, checked against
//! the reference evaluator and the priority rule; its timeline checked against the history
//! tables row by row; and the panel opened from the preview table and the Members tab, also
//! explaining a draft while it is edited.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

mod common;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use common::harness::{lead, open_app, reference_dataset, run_until, wait_for_label};
use segment_builder::app::App;
use segment_builder::demo::DemoSpec;
use segment_builder::domain::explain::{
    AssignmentExplained, ExplainReport, SegmentExplained, TimelineKind, membership_verdict, segment_verdict,
};
use segment_builder::domain::membership::{Current, Winner, decide};
use segment_builder::domain::{Dataset, EvalContext, Group, GroupMode, NodeId, RecordId, SegmentId};
use segment_builder::state::Loadable;
use segment_builder::store::Workspace;

fn lived_demo(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("lived.sqlite");
    let spec = DemoSpec::with_leads(1_500, DemoSpec::STANDARD_SEED, segment_builder::clock::now());
    segment_builder::cli::create_lived_in_demo(&path, &spec, &mut |_, _| true).expect("demo");
    path
}

/// A segment as the verdicts see it: priority is its index.
#[derive(Clone, Copy, Debug)]
struct Shape {
    active: bool,
    accepts: bool,
    matches: bool,
}

fn report(shapes: &[Shape], current: Option<usize>) -> ExplainReport {
    let name = |i: usize| format!("S{i}");
    let segments: Vec<SegmentExplained> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| SegmentExplained {
            segment: name(i),
            status: if s.active { "Active" } else { "Inactive" }.to_owned(),
            priority: u32::try_from(i).unwrap(),
            matches: s.matches,
            conditions: Vec::new(),
            id: SegmentId(i64::try_from(i).unwrap() + 1),
            active: s.active,
            accepts_from_others: s.accepts,
            draft: false,
        })
        .collect();
    let winner = shapes.iter().position(|s| s.active && s.matches).map(name);
    ExplainReport {
        record_type: "lead".to_owned(),
        record: 1,
        title: String::new(),
        winner,
        member_of: current.map(name),
        segments,
        assignment: AssignmentExplained {
            segment: None,
            decided: "now",
            at: String::new(),
            rule: None,
            rules: Vec::new(),
            default_route: None,
            seller: None,
            reason: None,
            candidates: Vec::new(),
            stored: None,
        },
    }
}

/// Whether a segment's verdict says the record ends up in it once evaluated.
fn says_it_ends_in(verdict: &str, name: &str) -> bool {
    verdict.starts_with("Matches: it joins")
        || verdict.starts_with("Matches: it moves from")
        || verdict.starts_with("Matches: it leaves")
        || verdict == format!("A member of {name}.")
}

#[test]
fn every_verdict_follows_the_priority_rule() {
    // Every combination of three segments (active, accepting, matching) and every current
    // membership: the segment whose verdict says the record ends there is exactly the one
    // `decide` puts it in, and the record-level line names it.
    let mut checked = 0;
    for bits in 0..(1u32 << 9) {
        let shapes: Vec<Shape> = (0..3)
            .map(|i| Shape {
                active: bits >> (3 * i) & 1 == 1,
                accepts: bits >> (3 * i + 1) & 1 == 1,
                matches: bits >> (3 * i + 2) & 1 == 1,
            })
            .collect();
        for current in [None, Some(0), Some(1), Some(2)] {
            let report = report(&shapes, current);
            let winner = shapes.iter().position(|s| s.active && s.matches);
            let as_current = current.map(|i| Current {
                segment: SegmentId(i64::try_from(i).unwrap() + 1),
                priority: u32::try_from(i).unwrap(),
                active: shapes[i].active,
                matches: shapes[i].matches,
            });
            let as_winner = winner.map(|i| Winner {
                segment: SegmentId(i64::try_from(i).unwrap() + 1),
                priority: u32::try_from(i).unwrap(),
                accepts_from_other_segments: shapes[i].accepts,
                rerun_assignment_on_move: false,
            });
            let end =
                decide(RecordId(1), as_current, as_winner).map_or(as_current.map(|c| c.segment), |change| change.to);
            for i in 0..3 {
                let id = SegmentId(i64::try_from(i).unwrap() + 1);
                let verdict = segment_verdict(&report, id).expect("a verdict for a segment of the report");
                assert_eq!(
                    says_it_ends_in(&verdict, &format!("S{i}")),
                    end == Some(id),
                    "S{i}: {verdict:?}; shapes {shapes:?}, in {current:?}, ends in {end:?}"
                );
                if !shapes[i].matches && current != Some(i) {
                    assert!(verdict.contains("does not match"), "{verdict}");
                }
            }
            let line = membership_verdict(&report);
            if let Some(end) = end {
                assert!(line.contains(&format!("S{}", end.0 - 1)), "{line:?} names where it ends ({end:?})");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 2048);
}

#[test]
fn a_claimed_match_and_a_refused_move_say_why() {
    let plain = Shape { active: true, accepts: false, matches: true };
    // Not a member; S0 and S1 both match: S1 is claimed by S0.
    let r = report(&[plain, plain], None);
    assert_eq!(segment_verdict(&r, SegmentId(2)).unwrap(), "Matches, but claimed by S0, which has a higher priority.");
    // A member of S1 that matches S0, which does not accept records from others.
    let r = report(&[plain, plain], Some(1));
    let verdict = segment_verdict(&r, SegmentId(1)).unwrap();
    assert!(verdict.contains("S0 does not accept records from other segments"), "{verdict}");
    let line = membership_verdict(&r);
    assert!(line.contains("does not accept records from other segments, so it stays"), "{line}");
}

#[test]
fn the_store_explains_a_record_against_the_reference_and_tells_its_history() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = lived_demo(&dir);
    let ws = Workspace::open(&path).expect("open");
    let def = ws.schema().get(&lead()).cloned().expect("lead type");
    let now = segment_builder::clock::now();
    let (dataset, zone) = reference_dataset(&path);
    let ctx = EvalContext::new(now, zone);
    let segments = ws.segments(&lead()).expect("segments");

    // A lead that went through a sequence step, so every kind of event is there.
    let conn = rusqlite::Connection::open(&path).expect("a plain connection");
    let id: i64 = conn
        .query_row(
            "SELECT e.record_id FROM enrolment_step s JOIN enrolment e ON e.id = s.enrolment_id
             WHERE e.record_type = 'lead' ORDER BY e.record_id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("a lead with a step done");
    let report = ws.explain_record(&def, RecordId(id), now, None).expect("explain").expect("the lead exists");
    let record = dataset.record(&lead(), RecordId(id)).expect("the record").clone();
    for (segment, explained) in segments.iter().zip(&report.segments) {
        let matches = segment_builder::domain::matches(&dataset, &ctx, &def, &record, &segment.conditions);
        assert_eq!(explained.matches, matches, "{}", segment.name);
        assert_eq!(explained.conditions.first().map(|l| l.holds), Some(matches));
        assert!(!explained.draft);
    }
    let member = ws.membership_of(&lead(), RecordId(id)).expect("membership");
    assert_eq!(report.current().map(|s| s.id), member);

    let timeline = ws.record_timeline(&lead(), RecordId(id)).expect("timeline");
    let count = |sql: &str| -> usize {
        conn.query_row(sql, [id], |r| r.get::<_, i64>(0)).map(|n| usize::try_from(n).unwrap()).expect("count")
    };
    let of = |kind: TimelineKind| timeline.iter().filter(|e| e.kind == kind).count();
    assert_eq!(
        of(TimelineKind::Membership),
        count("SELECT count(*) FROM membership_history WHERE record_type = 'lead' AND record_id = ?1")
    );
    assert!(of(TimelineKind::Membership) > 0);
    assert_eq!(
        of(TimelineKind::Assignment),
        count("SELECT count(*) FROM assignment_history WHERE record_type = 'lead' AND record_id = ?1")
    );
    let enrolment_events = count(
        "SELECT (SELECT count(*) FROM enrolment WHERE record_type = 'lead' AND record_id = ?1)
              + (SELECT count(*) FROM enrolment WHERE record_type = 'lead' AND record_id = ?1 AND status = 'ended')
              + (SELECT count(*) FROM enrolment_step s JOIN enrolment e ON e.id = s.enrolment_id
                 WHERE e.record_type = 'lead' AND e.record_id = ?1)",
    );
    assert_eq!(of(TimelineKind::Sequence), enrolment_events);
    assert!(timeline.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");
    assert!(timeline.iter().any(|e| e.text.contains("step 1")), "{timeline:?}");

    // A draft stands in for its segment's stored conditions: "all of nothing" matches.
    let missed = segments
        .iter()
        .zip(&report.segments)
        .find(|(_, e)| !e.matches)
        .map(|(s, _)| s.id)
        .expect("a segment the lead does not match");
    let everything = Group::all(NodeId(0));
    let drafted =
        ws.explain_record(&def, RecordId(id), now, Some((missed, &everything))).expect("explain").expect("lead");
    let explained = drafted.segments.iter().find(|s| s.id == missed).expect("the drafted segment");
    assert!(explained.draft && explained.matches);
    assert!(drafted.segments.iter().filter(|s| s.id != missed).all(|s| !s.draft));
}

fn explained(app: &App) -> Option<&segment_builder::state::explain::Explained> {
    match &app.state().explain.result {
        Loadable::Ready(found) => Some(found),
        _ => None,
    }
}

#[test]
fn explain_opens_from_the_preview_and_the_members_tab_and_follows_the_draft() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = lived_demo(&dir);
    let mut harness = open_app(&path);
    let first_segment = harness.state().state().selected_segment.expect("the first segment is selected");
    let ready = |app: &App| matches!(app.state().preview.result, Loadable::Ready(_));
    run_until(&mut harness, "the preview", ready);

    // Right-click a preview row, then Explain.
    let row = harness.state().state().preview.result.latest().expect("preview").rows[0].record.clone();
    let title = row.values[0].as_text().expect("a topic").to_owned();
    harness.get_all_by_label(&title).next().expect("the first row").click_secondary();
    harness.run_steps(3);
    harness.get_by_label("Explain").click();
    harness.run_steps(2);
    run_until(&mut harness, "the explanation", |app| explained(app).is_some_and(|e| e.report.record == row.id.0));
    wait_for_label(&mut harness, "Seller");
    let found = explained(harness.state()).expect("explained").clone();
    assert!(harness.query_all_by_label_contains(&format!("Timeline ({})", found.timeline.len())).next().is_some());
    // The selected segment is the one explained first, with its verdict.
    let verdict = segment_verdict(&found.report, first_segment).expect("the selected segment's verdict");
    wait_for_label(&mut harness, &verdict);

    // The Members tab: each row has its Explain button.
    harness.get_all_by_label("Members").next().expect("the Members tab").click();
    run_until(&mut harness, "the members", |app| !app.state().members.rows.is_empty());
    harness.run_steps(3);
    let member = harness.state().state().members.rows.values().next().expect("a member").member.record;
    // The first button (the panel's heading is a label of the same text).
    harness.get_all_by_role_and_label(Role::Button, "Explain").next().expect("a row's Explain").click();
    harness.run_steps(3);
    run_until(&mut harness, "the member explained", |app| explained(app).is_some_and(|e| e.report.record == member.0));
    let name = harness.state().state().view.as_ref().unwrap().segment(first_segment).unwrap().name.clone();
    wait_for_label(&mut harness, &format!("A member of {name}."));

    // Editing the segment's conditions explains the draft, and Close closes the panel.
    let mode = harness.state().state().builder.as_ref().expect("builder").draft.mode;
    let other = if mode == GroupMode::All { "Any" } else { "All" };
    harness.get_all_by_label(other).next().expect("the root's mode").click();
    run_until(&mut harness, "the draft explained", |app| {
        explained(app).is_some_and(|e| e.report.segments.iter().any(|s| s.id == first_segment && s.draft))
    });
    wait_for_label(&mut harness, "Explained with the conditions being edited, not yet saved");
    harness.get_by_label("×").click();
    harness.run_steps(3);
    assert!(harness.state().state().explain.target.is_none());
    assert!(harness.query_by_label("Seller").is_none(), "the panel is gone");
}
