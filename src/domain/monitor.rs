//! What the Monitor shows about assignment: the rows of one record's assignment state,
//! the lists of unassigned and processed records, and the explanation of one record's
//! assignment ("Why this seller?") with its lines in words. Plain data: the store fills
//! it, the screens and the command line show it.

use jiff::Timestamp;

use crate::domain::assignment::{
    AssignmentRule, Candidate, Decision, DefaultOutcome, DefaultRoute, Routing, RuleId, RuleOutcome, Stamp,
    UnassignedReason, Verdict,
};
use crate::domain::{RecordId, RecordTypeName, SegmentId, Seller, SellerId};

/// The assignment state of one record: the Monitor's rows.
#[derive(Clone, Debug, PartialEq)]
pub struct AssignmentRow {
    pub record: RecordId,
    /// The segment the record was in when assigned (`None` for a manual assignment of a
    /// record in no segment).
    pub segment: Option<SegmentId>,
    /// The rule that fired; `None` when unassigned, assigned by hand or by the default route.
    pub rule: Option<RuleId>,
    /// Placed by the segment's default route (the last link of its fallback chain).
    pub by_default: bool,
    pub seller: Option<SellerId>,
    /// Why it is unassigned; `None` when assigned.
    pub reason: Option<UnassignedReason>,
    /// When it was decided; the age of an unassigned record is `now - at`.
    pub at: Timestamp,
}

/// A member of a segment no seller was assigned to.
#[derive(Clone, Debug, PartialEq)]
pub struct UnassignedMember {
    pub record: RecordId,
    pub title: String,
    pub segment: SegmentId,
    pub reason: UnassignedReason,
    /// Since when it waits: its last assignment attempt, or when it joined.
    pub since: Timestamp,
}

/// A record assignment placed with a seller.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessedRecord {
    pub record: RecordId,
    pub title: String,
    pub segment: Option<SegmentId>,
    /// The rule that fired and its name; `None` when assigned by hand or by the default route.
    pub rule: Option<(RuleId, String)>,
    /// Placed by the segment's default route.
    pub by_default: bool,
    pub seller: SellerId,
    pub at: Timestamp,
}

/// What the Monitor lists for a record type, at most `limit` rows of each.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MonitorLists {
    /// By record id.
    pub unassigned: Vec<UnassignedMember>,
    pub unassigned_total: u64,
    /// Newest first.
    pub processed: Vec<ProcessedRecord>,
    pub processed_total: u64,
}

/// "Why this seller?" for one record.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub record_type: RecordTypeName,
    pub record: RecordId,
    pub title: String,
    /// The segment it is in now (`None`: in no segment, so no rules apply).
    pub segment: Option<SegmentId>,
    /// The segment's rules in order, active or not.
    pub rules: Vec<AssignmentRule>,
    /// The segment's fallback chain after its rules.
    pub routing: Routing,
    /// What the rules decide; `None` when the record is in no segment.
    pub decision: Option<Decision>,
    /// Each seller under the fired rule, by id (empty when no rule fired).
    pub candidates: Vec<Candidate>,
    /// The stored assignment, if assignment has seen the record.
    pub stored: Option<AssignmentRow>,
    /// The clock the decision was computed at: the stored assignment's time when it was
    /// made by a rule (replayed against the sellers' load as it was then), else now.
    pub at: Timestamp,
    /// True when the decision replays the stored assignment.
    pub replayed: bool,
}

/// One rule of an [`Explanation`] in words.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RuleLine {
    pub rule: i64,
    pub name: String,
    /// `fired`, `no_seller` (passed on to the next rule), `conditions_not_met`, `too_old`,
    /// `inactive` or `not_tried`.
    pub outcome: &'static str,
    pub text: String,
}

/// One seller of an [`Explanation`] in words: the filter that removed it, or the figures.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CandidateLine {
    pub seller: i64,
    pub name: String,
    /// Passed every filter (chosen or not).
    pub eligible: bool,
    pub chosen: bool,
    /// `target`, `attributes`, `switch`, `capacity`, `availability`, `later_bucket`,
    /// `eligible` or `chosen`.
    pub filter: &'static str,
    pub text: String,
}

impl Explanation {
    /// The rule that fired, if one did.
    pub fn fired_rule(&self) -> Option<&AssignmentRule> {
        let why = match self.decision.as_ref()? {
            Decision::Assigned { why, .. } | Decision::Unassigned { why, .. } => why,
        };
        let (id, _) = why.rules.iter().find(|(_, outcome)| *outcome == RuleOutcome::Fired)?;
        self.rules.iter().find(|r| r.id == *id)
    }

    /// Every rule of the segment in order with what became of it.
    pub fn rule_lines(&self) -> Vec<RuleLine> {
        let Some(decision) = &self.decision else { return Vec::new() };
        let (why, reason) = match decision {
            Decision::Assigned { why, .. } => (why, None),
            Decision::Unassigned { why, reason } => (why, Some(*reason)),
        };
        why.rules
            .iter()
            .filter_map(|(id, outcome)| {
                let rule = self.rules.iter().find(|r| r.id == *id)?;
                let (key, text) = match outcome {
                    RuleOutcome::Fired => match reason {
                        None => ("fired", "Fired: its conditions are met".to_owned()),
                        Some(reason) => ("fired", format!("Fired, but no eligible seller: {reason}")),
                    },
                    RuleOutcome::ConditionsNotMet => ("conditions_not_met", "Conditions not met".to_owned()),
                    RuleOutcome::TooOld => (
                        "too_old",
                        format!(
                            "Conditions met, but created too long ago (more than {} hours)",
                            rule.created_within_hours.unwrap_or_default()
                        ),
                    ),
                    RuleOutcome::NoSeller(reason) => {
                        ("no_seller", format!("Conditions met, but no eligible seller ({reason}): passed on"))
                    }
                    RuleOutcome::Inactive => ("inactive", "Inactive".to_owned()),
                    RuleOutcome::NotTried => ("not_tried", "Not tried: a rule above fired".to_owned()),
                };
                Some(RuleLine { rule: id.0, name: rule.name.clone(), outcome: key, text })
            })
            .collect()
    }

    /// The last link of the chain in words, when the segment has one: what the default route
    /// did, or that it was not needed. `names` gives a seller's or team's name by the route.
    pub fn default_line(&self, name: &dyn Fn(DefaultRoute) -> String) -> Option<String> {
        if self.routing.default == DefaultRoute::LeaveUnassigned {
            return None;
        }
        let target = name(self.routing.default);
        let outcome = match self.decision.as_ref()? {
            Decision::Assigned { why, .. } | Decision::Unassigned { why, .. } => why.default,
        };
        Some(match outcome {
            None => format!("Default route ({target}): not needed, a rule placed the record"),
            Some(DefaultOutcome::Placed) => format!("Default route ({target}): placed the record"),
            Some(DefaultOutcome::Failed(reason)) => format!("Default route ({target}): no seller — {reason}"),
        })
    }

    /// Every seller under the fired rule (empty when no rule fired), eligible ones first
    /// (the chosen one on top), then by id.
    pub fn candidate_lines(&self, sellers: &[Seller]) -> Vec<CandidateLine> {
        let name_of = |id: SellerId| {
            sellers.iter().find(|s| s.id == id).map_or_else(|| format!("Seller {}", id.0), |s| s.name.clone())
        };
        let fired = self.fired_rule();
        let pick = match &self.decision {
            Some(Decision::Assigned { why, .. }) => why.pick,
            _ => None,
        };
        let within = fired.and_then(|r| r.available_within_hours).unwrap_or_default();
        let mut lines: Vec<CandidateLine> = self
            .candidates
            .iter()
            .map(|candidate| {
                let seller = sellers.iter().find(|s| s.id == candidate.seller);
                let (filter, text) = match &candidate.verdict {
                    Verdict::NotInTarget => {
                        ("target", "Removed by the target: not among the rule's sellers or team".to_owned())
                    }
                    Verdict::AttributeMismatch { attribute } => {
                        ("attributes", format!("Removed by attributes: {attribute} does not match"))
                    }
                    Verdict::SwitchedOff => ("switch", "Removed by the switch: \"Assign records\" is off".to_owned()),
                    Verdict::NoCapacity { open, capacity } => {
                        ("capacity", format!("Removed by capacity: {open} open records of {capacity}"))
                    }
                    Verdict::NotAvailable => {
                        ("availability", format!("Removed by availability: not working within {within} hours"))
                    }
                    Verdict::LaterBucket { bucket } => (
                        "later_bucket",
                        format!(
                            "Eligible, but available later ({}) than the chosen seller",
                            bucket_text(Some(*bucket))
                        ),
                    ),
                    Verdict::Eligible { free, last_assigned } => (
                        "eligible",
                        format!(
                            "Eligible, not picked: last assigned {}, {}",
                            last_text(*last_assigned),
                            load_text(*free, seller.and_then(|s| s.capacity))
                        ),
                    ),
                    Verdict::Chosen => {
                        let text = match pick {
                            Some(pick) => format!(
                                "Chosen by {} among {} eligible: last assigned {}, {}{}",
                                pick.method.to_string().to_lowercase(),
                                pick.eligible,
                                last_text(pick.last_assigned),
                                load_text(pick.free, seller.and_then(|s| s.capacity)),
                                if pick.bucket.is_some() {
                                    format!(", {}", bucket_text(pick.bucket))
                                } else {
                                    String::new()
                                }
                            ),
                            None => "Chosen".to_owned(),
                        };
                        ("chosen", text)
                    }
                };
                let chosen = candidate.verdict == Verdict::Chosen;
                let eligible = matches!(
                    candidate.verdict,
                    Verdict::Chosen | Verdict::Eligible { .. } | Verdict::LaterBucket { .. }
                );
                CandidateLine {
                    seller: candidate.seller.0,
                    name: name_of(candidate.seller),
                    eligible,
                    chosen,
                    filter,
                    text,
                }
            })
            .collect();
        lines.sort_by_key(|l| (!l.chosen, !l.eligible, l.seller));
        lines
    }
}

fn last_text(last: Option<Stamp>) -> String {
    match last {
        None => "never".to_owned(),
        Some(stamp) => stamp.at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

fn load_text(free: Option<u32>, capacity: Option<u32>) -> String {
    match (free, capacity) {
        (Some(free), Some(capacity)) => {
            format!("{} open of capacity {capacity} ({free} free)", capacity.saturating_sub(free))
        }
        _ => "no capacity limit".to_owned(),
    }
}

fn bucket_text(bucket: Option<u32>) -> String {
    match bucket {
        None | Some(0) => "available now".to_owned(),
        Some(b) => format!("available within {} hours", b * 24),
    }
}
