//! The distribution simulator's plain data and arithmetic: which records a simulation
//! decides ([`SimulationSet`]), the what-ifs applied to copies of the sellers
//! ([`WhatIf`]), and the summary of its decisions per seller with a fairness figure
//! ([`Simulation`], [`Fairness`]). The decisions themselves come from [`super::Assigner`],
//! exactly as the real assignment makes them (`store::simulate`); `docs/simulator.md`
//! says what every figure means.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use super::{AssignmentRule, AttributeValue, Routing, RuleId, Target, UnassignedReason};
use crate::domain::eval::fold;
use crate::domain::people::{Seller, Team};
use crate::domain::segment::SegmentId;
use crate::domain::value::{RecordId, SellerId};

/// The records a simulation decides, all of them current members of the segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SimulationSet {
    /// Every member, decided again as if none had been assigned: their current assignments
    /// are taken off the sellers' open counts and last-assigned stamps first.
    Members,
    /// The members without a seller, against the sellers' load as it is: what "Run now"
    /// would do for this segment.
    Unassigned,
    /// The members created in the last `days` days (by `created_on`), decided again like
    /// [`SimulationSet::Members`].
    CreatedWithin { days: u32 },
}

impl SimulationSet {
    pub fn label(self) -> String {
        match self {
            SimulationSet::Members => "All members".to_owned(),
            SimulationSet::Unassigned => "Unassigned members".to_owned(),
            SimulationSet::CreatedWithin { days: 1 } => "Members created in the last day".to_owned(),
            SimulationSet::CreatedWithin { days } => format!("Members created in the last {days} days"),
        }
    }

    /// What the set means, for the hover text and the command line's help.
    pub fn description(self) -> &'static str {
        match self {
            SimulationSet::Members => {
                "Every member decided again from scratch, as if none had been assigned: their current \
                 assignments are taken off the sellers' open records and round robin order first"
            }
            SimulationSet::Unassigned => {
                "The members without a seller, against the sellers' load as it is now: what Run now would \
                 do for this segment"
            }
            SimulationSet::CreatedWithin { .. } => {
                "The members created in the last N days, decided again from scratch like all members: \
                 what assignment did or would do for records that joined lately"
            }
        }
    }

    /// Whether the set's current assignments are taken back before it is decided.
    pub fn from_scratch(self) -> bool {
        !matches!(self, SimulationSet::Unassigned)
    }
}

/// What to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulationRequest {
    pub segment: SegmentId,
    pub set: SimulationSet,
    /// The rules to run in order (an unsaved edit); `None`: the segment's stored rules.
    /// Inactive rules are skipped either way.
    pub rules: Option<Vec<AssignmentRule>>,
    pub what_if: WhatIf,
}

impl SimulationRequest {
    pub fn new(segment: SegmentId, set: SimulationSet) -> Self {
        Self { segment, set, rules: None, what_if: WhatIf::default() }
    }
}

/// Changes to the sellers that hold in the simulation only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WhatIf {
    /// A seller's capacity instead of the stored one (`None`: no limit).
    pub capacity: BTreeMap<SellerId, Option<u32>>,
    /// Sellers taken as away: as if their "assign records" switch were off.
    pub away: BTreeSet<SellerId>,
}

impl WhatIf {
    pub fn is_empty(&self) -> bool {
        self.capacity.is_empty() && self.away.is_empty()
    }

    /// Copies of `sellers` with the what-ifs applied.
    pub fn apply(&self, sellers: &[Seller]) -> Vec<Seller> {
        sellers
            .iter()
            .map(|seller| {
                let mut copy = seller.clone();
                if let Some(capacity) = self.capacity.get(&seller.id) {
                    copy.capacity = *capacity;
                }
                if self.away.contains(&seller.id) {
                    copy.assign_records = false;
                }
                copy
            })
            .collect()
    }
}

/// One record's simulated decision: the rule that placed it (`None`: the default route, or
/// unassigned) and the seller or the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimulatedRecord {
    pub record: RecordId,
    pub rule: Option<RuleId>,
    pub outcome: Result<SellerId, UnassignedReason>,
}

/// One seller's side of a simulation.
#[derive(Clone, Debug, PartialEq)]
pub struct SellerLoad {
    pub seller: SellerId,
    pub name: String,
    /// The capacity the simulation used (a what-if's, or the stored one); `None`: no limit.
    pub capacity: Option<u32>,
    /// Open records before the simulated set was decided (without the set's own
    /// assignments when it is decided from scratch).
    pub open_before: u32,
    /// Records of the set the simulation gave the seller.
    pub given: u32,
    /// The seller could get records of this segment: its "assign records" switch is on (and
    /// not away) and a rule or the default route targets it.
    pub eligible: bool,
    pub away: bool,
    /// The capacity is a what-if.
    pub capacity_changed: bool,
}

impl SellerLoad {
    pub fn open_after(&self) -> u32 {
        self.open_before.saturating_add(self.given)
    }
}

/// How evenly the simulated records went to the eligible sellers: the Gini coefficient of
/// the records given (0 = all got the same, towards 1 = one seller got all) and the
/// smallest and largest number given.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fairness {
    pub eligible: usize,
    pub min: u32,
    pub max: u32,
    pub gini: f64,
}

impl Fairness {
    /// The largest number given over the smallest; `None` when a seller got none.
    pub fn ratio(&self) -> Option<f64> {
        (self.min > 0).then(|| f64::from(self.max) / f64::from(self.min))
    }

    /// "Gini 0.12, max/min 1.3" for a line of text.
    pub fn summary(&self) -> String {
        let ratio = self.ratio().map_or_else(|| "– (a seller got none)".to_owned(), |r| format!("{r:.2}"));
        format!("Gini {:.2}, max/min {ratio} over {} eligible sellers", self.gini, self.eligible)
    }
}

/// What a simulation found: every decision in the order made, and the per-seller summary.
#[derive(Clone, Debug, PartialEq)]
pub struct Simulation {
    pub segment: SegmentId,
    pub set: SimulationSet,
    /// The clock the decisions were made at.
    pub at: Timestamp,
    /// The rules were an unsaved edit, not the stored ones.
    pub edited_rules: bool,
    pub what_if: WhatIf,
    pub records: Vec<SimulatedRecord>,
    /// Every seller, by ascending id.
    pub sellers: Vec<SellerLoad>,
    /// The unassigned records by reason, most first.
    pub unassigned: Vec<(UnassignedReason, u64)>,
    /// `None` when no seller is eligible.
    pub fairness: Option<Fairness>,
}

impl Simulation {
    pub fn assigned(&self) -> u64 {
        self.records.iter().filter(|r| r.outcome.is_ok()).count() as u64
    }

    pub fn unassigned_total(&self) -> u64 {
        self.unassigned.iter().map(|(_, n)| n).sum()
    }

    /// The seller a record would get, or why none.
    pub fn outcome_of(&self, record: RecordId) -> Option<Result<SellerId, UnassignedReason>> {
        self.records.iter().find(|r| r.record == record).map(|r| r.outcome)
    }
}

/// What [`summarize`] needs besides the decisions.
pub struct SimulationInput<'a> {
    pub segment: SegmentId,
    pub set: SimulationSet,
    pub at: Timestamp,
    pub edited_rules: bool,
    pub what_if: &'a WhatIf,
    /// The active rules used, and the segment's fallback chain.
    pub rules: &'a [AssignmentRule],
    pub routing: Routing,
    /// The sellers as the simulation saw them (what-ifs applied).
    pub sellers: &'a [Seller],
    pub teams: &'a [Team],
    /// Each seller's open records before the set was decided.
    pub open_before: &'a BTreeMap<SellerId, u32>,
}

/// The per-seller summary, reasons and fairness of `records`.
pub fn summarize(input: &SimulationInput<'_>, records: Vec<SimulatedRecord>) -> Simulation {
    let mut given: BTreeMap<SellerId, u32> = BTreeMap::new();
    let mut reasons: BTreeMap<&'static str, (UnassignedReason, u64)> = BTreeMap::new();
    for record in &records {
        match record.outcome {
            Ok(seller) => *given.entry(seller).or_default() += 1,
            Err(reason) => reasons.entry(reason_order(reason)).or_insert((reason, 0)).1 += 1,
        }
    }
    let targeted = targeted_sellers(input.rules, input.routing, input.sellers, input.teams);
    let mut sellers: Vec<SellerLoad> = input
        .sellers
        .iter()
        .map(|seller| SellerLoad {
            seller: seller.id,
            name: seller.name.clone(),
            capacity: seller.capacity,
            open_before: input.open_before.get(&seller.id).copied().unwrap_or(0),
            given: given.get(&seller.id).copied().unwrap_or(0),
            eligible: seller.assign_records && targeted.contains(&seller.id),
            away: input.what_if.away.contains(&seller.id),
            capacity_changed: input.what_if.capacity.contains_key(&seller.id),
        })
        .collect();
    sellers.sort_by_key(|s| s.seller);
    let counts: Vec<u32> = sellers.iter().filter(|s| s.eligible).map(|s| s.given).collect();
    let fairness = (!counts.is_empty()).then(|| Fairness {
        eligible: counts.len(),
        min: counts.iter().copied().min().unwrap_or(0),
        max: counts.iter().copied().max().unwrap_or(0),
        gini: gini(&counts),
    });
    let mut unassigned: Vec<(UnassignedReason, u64)> = reasons.into_values().collect();
    unassigned.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    Simulation {
        segment: input.segment,
        set: input.set,
        at: input.at,
        edited_rules: input.edited_rules,
        what_if: input.what_if.clone(),
        records,
        sellers,
        unassigned,
        fairness,
    }
}

/// A stable order of reasons for equal counts.
fn reason_order(reason: UnassignedReason) -> &'static str {
    match reason {
        UnassignedReason::NoRulesOnSegment => "1",
        UnassignedReason::NoRuleMatched => "2",
        UnassignedReason::TooOld => "3",
        UnassignedReason::NoSellerMatched => "4",
        UnassignedReason::NoCapacity => "5",
        UnassignedReason::NoAvailability => "6",
    }
}

/// The Gini coefficient of `values`: the mean absolute difference of every pair over twice
/// the mean. 0 when all are equal (or all 0); `(n − 1) / n` when one holds everything.
pub fn gini(values: &[u32]) -> f64 {
    let n = values.len();
    let total: u64 = values.iter().map(|v| u64::from(*v)).sum();
    if n == 0 || total == 0 {
        return 0.0;
    }
    let mut sorted: Vec<u64> = values.iter().map(|v| u64::from(*v)).collect();
    sorted.sort_unstable();
    // Σ_i Σ_j |x_i − x_j| = 2 Σ_i (2i − n + 1) x_(i) over the sorted values (i from 0).
    let mut weighted: i128 = 0;
    for (i, x) in sorted.iter().enumerate() {
        let i = i128::try_from(i).unwrap_or(i128::MAX);
        let n = i128::try_from(n).unwrap_or(i128::MAX);
        weighted += (2 * i - n + 1) * i128::from(*x);
    }
    #[allow(clippy::cast_precision_loss, reason = "a ratio for display; counts stay far below 2^52")]
    let gini = weighted as f64 / (n as f64 * total as f64);
    gini
}

/// The sellers a rule among `rules` (active ones) or the default route can name: every
/// seller for "any seller", those meeting each attribute condition (a condition whose values
/// come from the record: those with any value for the attribute), the listed sellers, the
/// team's members.
pub fn targeted_sellers(
    rules: &[AssignmentRule],
    routing: Routing,
    sellers: &[Seller],
    teams: &[Team],
) -> BTreeSet<SellerId> {
    let mut out = BTreeSet::new();
    let default = routing.default_rule();
    for rule in rules.iter().filter(|r| r.active).chain(default.as_ref()) {
        match &rule.target {
            Target::AnySeller => out.extend(sellers.iter().map(|s| s.id)),
            Target::SellersMatching(conditions) => {
                out.extend(sellers.iter().filter(|s| conditions.iter().all(|c| meets(s, c))).map(|s| s.id));
            }
            Target::Sellers(ids) => out.extend(ids.iter().copied()),
            Target::Team(team) => {
                out.extend(teams.iter().filter(|t| t.id == *team).flat_map(|t| t.members.iter().copied()));
            }
        }
    }
    out
}

fn meets(seller: &Seller, condition: &super::AttributeCondition) -> bool {
    let wanted = fold(&condition.attribute);
    let values: Vec<String> = seller
        .attributes
        .iter()
        .filter(|(name, _)| fold(name) == wanted)
        .flat_map(|(_, values)| values.iter().map(|v| fold(v)))
        .collect();
    match &condition.values {
        AttributeValue::Fixed(accepted) => accepted.iter().any(|a| values.contains(&fold(a))),
        AttributeValue::FromRecord(_) => !values.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gini_is_zero_when_even_and_grows_with_concentration() {
        let check = |values: &[u32], expected: f64| {
            let got = gini(values);
            assert!((got - expected).abs() < 1e-9, "gini({values:?}) = {got}, expected {expected}");
        };
        check(&[], 0.0);
        check(&[0, 0], 0.0);
        check(&[5, 5, 5], 0.0);
        check(&[0, 10], 0.5);
        check(&[0, 0, 0, 12], 0.75);
        // |1−3| twice over 2·n²·mean = 4 / (2·4·2) = 0.25.
        check(&[1, 3], 0.25);
    }

    #[test]
    fn the_ratio_is_missing_when_a_seller_got_none() {
        let f = Fairness { eligible: 2, min: 0, max: 3, gini: 0.5 };
        assert_eq!(f.ratio(), None);
        let f = Fairness { eligible: 2, min: 2, max: 3, gini: 0.1 };
        assert_eq!(f.ratio(), Some(1.5));
    }
}
