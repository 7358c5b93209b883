//! "Explain": why one record is or is not in each segment, which seller the rules give it
//! and what happened to it over time. The `explain` command prints it; the window's Explain
//! panel draws it. The store builds it (`Workspace::explain_record`, `record_timeline`).

use jiff::Timestamp;
use serde::Serialize;

use super::segment::SegmentId;

/// The answer of `explain` for one segment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SegmentExplained {
    pub segment: String,
    pub status: String,
    pub priority: u32,
    pub matches: bool,
    pub conditions: Vec<super::eval::Explained>,
    #[serde(skip)]
    pub id: SegmentId,
    /// Whether it takes records that are members of lower-priority segments.
    #[serde(skip)]
    pub active: bool,
    #[serde(skip)]
    pub accepts_from_others: bool,
    /// The conditions are an unsaved draft's, not the stored ones.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub draft: bool,
}

/// The answer of `explain`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExplainReport {
    pub record_type: String,
    pub record: i64,
    pub title: String,
    /// The highest-priority active segment it matches, which it would join when evaluated.
    pub winner: Option<String>,
    /// The segment it is a member of now, if any.
    pub member_of: Option<String>,
    pub segments: Vec<SegmentExplained>,
    /// The rule and seller choice in the segment it is a member of.
    pub assignment: AssignmentExplained,
}

/// The rule and seller part of `explain` ("Why this seller?").
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AssignmentExplained {
    /// The segment whose rules apply (the one it is a member of).
    pub segment: Option<String>,
    /// `replayed`: the stored assignment a rule made, decided again at its time with the
    /// sellers' load then; `now`: what the rules decide at the clock's now.
    pub decided: &'static str,
    pub at: String,
    /// The rule that fired.
    pub rule: Option<String>,
    pub rules: Vec<super::monitor::RuleLine>,
    /// The last link of the segment's fallback chain, when it has one: what it did.
    pub default_route: Option<String>,
    /// The chosen seller.
    pub seller: Option<String>,
    /// Why it stays unassigned.
    pub reason: Option<String>,
    pub candidates: Vec<super::monitor::CandidateLine>,
    /// What is stored: "assigned to NAME by rule", "assigned to NAME by hand", "unassigned:
    /// REASON", or none.
    pub stored: Option<String>,
}

impl ExplainReport {
    pub fn to_text(&self) -> String {
        let mut out = format!("{} #{} \"{}\"\n", self.record_type, self.record, self.title);
        out.push_str(&format!("member of: {}\n", self.member_of.as_deref().unwrap_or("no segment")));
        out.push_str(&format!("would join: {}\n", self.winner.as_deref().unwrap_or("no active segment matches")));
        for s in &self.segments {
            let verdict = if s.matches { "matches" } else { "does not match" };
            out.push_str(&format!("\n{}. {} ({}): {verdict}\n", s.priority + 1, s.segment, s.status));
            for line in &s.conditions {
                let mark = if line.holds { "yes" } else { "no " };
                let value = line.value.as_ref().map(|v| format!("   [{v}]")).unwrap_or_default();
                out.push_str(&format!("  {mark} {}{}{value}\n", "  ".repeat(line.depth), line.text));
            }
        }
        let a = &self.assignment;
        out.push_str("\nassignment\n");
        out.push_str(&format!("stored: {}\n", a.stored.as_deref().unwrap_or("never assigned")));
        let Some(segment) = &a.segment else {
            out.push_str("in no segment: no assignment rules apply\n");
            return out;
        };
        let when = if a.decided == "replayed" { "as decided" } else { "as the rules decide" };
        out.push_str(&format!("rules of {segment} ({when} at {}):\n", a.at));
        if a.rules.is_empty() {
            out.push_str("  the segment has no assignment rules\n");
        }
        for (position, line) in a.rules.iter().enumerate() {
            out.push_str(&format!("  {}. {}: {}\n", position + 1, line.name, line.text));
        }
        match (&a.seller, &a.reason) {
            (Some(seller), _) => out.push_str(&format!("seller: {seller}\n")),
            (None, Some(reason)) => out.push_str(&format!("unassigned: {reason}\n")),
            (None, None) => {}
        }
        for line in &a.candidates {
            out.push_str(&format!("  {}: {}\n", line.name, line.text));
        }
        out
    }
}

/// Where the record stands in words: the segment it is in, the one it would join when
/// evaluated now, and why (the priority rule of [`super::membership::decide`]).
pub fn membership_verdict(report: &ExplainReport) -> String {
    let (current, winner) = (report.current(), report.winning());
    match (current, winner) {
        (None, None) => "In no segment, and no active segment matches it.".to_owned(),
        (None, Some(w)) => {
            format!("In no segment yet: it joins {} when evaluated (its first active match).", w.segment)
        }
        (Some(c), w) if c.active && !c.matches => match w {
            Some(w) => {
                format!("In {}, which it no longer matches: it moves to {} when evaluated.", c.segment, w.segment)
            }
            None => format!("In {}, which it no longer matches: it leaves when evaluated.", c.segment),
        },
        (Some(c), Some(w)) if w.id == c.id => format!("In {}: its highest-priority active match.", c.segment),
        (Some(c), Some(w)) if w.priority < c.priority && w.accepts_from_others => format!(
            "In {}, but {} matches with a higher priority and accepts records from other segments: it moves there when evaluated.",
            c.segment, w.segment
        ),
        (Some(c), Some(w)) if w.priority < c.priority => format!(
            "In {}. {} matches with a higher priority but does not accept records from other segments, so it stays.",
            c.segment, w.segment
        ),
        (Some(c), _) if !c.active => {
            format!("In {}, which is {}: kept there, not evaluated.", c.segment, c.status.to_lowercase())
        }
        (Some(c), _) => format!("In {}.", c.segment),
    }
}

/// Why the record is or is not in `segment`, in words, following the priority rule: its
/// conditions fail, the segment is not active, a higher segment claims the record, the
/// segment it is in keeps it (higher priority, or this one does not accept records from
/// others), or it joins when evaluated.
pub fn segment_verdict(report: &ExplainReport, segment: SegmentId) -> Option<String> {
    let focus = report.segments.iter().find(|s| s.id == segment)?;
    let name = &focus.segment;
    let current = report.current();
    if current.is_some_and(|c| c.id == segment) {
        return Some(match report.winning() {
            _ if focus.active && !focus.matches => {
                format!("A member of {name} that no longer matches it: it leaves when evaluated.")
            }
            Some(w) if w.id != segment && w.priority < focus.priority && w.accepts_from_others => {
                format!("A member of {name}, but {} claims it with a higher priority when evaluated.", w.segment)
            }
            _ => format!("A member of {name}."),
        });
    }
    if !focus.matches {
        return Some(format!("Not a member: it does not match {name} (see the conditions marked ✖)."));
    }
    if !focus.active {
        return Some(format!(
            "Matches, but {name} is {}: only active segments take records.",
            focus.status.to_lowercase()
        ));
    }
    let winner = report.winning()?;
    if winner.id != segment {
        return Some(format!("Matches, but claimed by {}, which has a higher priority.", winner.segment));
    }
    Some(match current {
        None => format!("Matches: it joins {name} when evaluated."),
        Some(c) if c.active && !c.matches => {
            format!("Matches: it leaves {} and joins {name} when evaluated.", c.segment)
        }
        Some(c) if c.priority < focus.priority => {
            format!("Matches, but it stays in {}, which has a higher priority.", c.segment)
        }
        Some(c) if !focus.accepts_from_others => format!(
            "Matches, but it is a member of {} and {name} does not accept records from other segments.",
            c.segment
        ),
        Some(c) => format!("Matches: it moves from {} to {name} when evaluated.", c.segment),
    })
}

impl ExplainReport {
    /// The segment it is a member of.
    pub fn current(&self) -> Option<&SegmentExplained> {
        self.member_of.as_ref().and_then(|n| self.segments.iter().find(|s| &s.segment == n))
    }

    /// The highest-priority active segment it matches.
    pub fn winning(&self) -> Option<&SegmentExplained> {
        self.winner.as_ref().and_then(|n| self.segments.iter().find(|s| &s.segment == n))
    }
}

/// What a line of a record's timeline is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum TimelineKind {
    Membership,
    Assignment,
    Sequence,
}

/// One event of a record's history: a join, leave or move with its reason, an assignment
/// or re-assignment, an enrolment, a sequence step done or skipped.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimelineEntry {
    pub at: Timestamp,
    pub kind: TimelineKind,
    pub text: String,
}
