//! `simulate`: a segment's stored rules run over a set of its members without writing
//! anything (the distribution simulator of the Assignment rules tab), with what-if
//! capacities and sellers away.

use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;

use super::error::refused;
use super::{CliError, open_unverified};
use crate::domain::assignment::simulate::{Simulation, SimulationSet, WhatIf};
use crate::store::{SimulationRequest, Workspace, reason_key};

/// One seller's line (`--json` prints exactly these keys).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SimulatedSeller {
    pub id: i64,
    pub name: String,
    /// Records of the set the seller would get.
    pub records: u32,
    pub open_before: u32,
    pub open_after: u32,
    /// `null`: no limit.
    pub capacity: Option<u32>,
    /// A rule or the default route can give the seller records of this segment.
    pub eligible: bool,
    pub away: bool,
}

/// The unassigned of one reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SimulatedReason {
    /// The stored key (`no_capacity`, …).
    pub reason: String,
    /// The reason as the app shows it.
    pub text: String,
    pub records: u64,
}

/// The fairness among the eligible sellers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimulatedFairness {
    pub eligible_sellers: usize,
    pub min: u32,
    pub max: u32,
    /// `null` when a seller got none.
    pub max_min_ratio: Option<f64>,
    pub gini: f64,
}

/// The answer of `simulate` (`--json` prints exactly this).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimulateReport {
    pub segment: String,
    /// "members", "unassigned" or "recent".
    pub set: String,
    pub days: Option<u32>,
    pub now: String,
    /// Records simulated.
    pub records: usize,
    pub assigned: u64,
    pub unassigned: u64,
    pub sellers: Vec<SimulatedSeller>,
    pub unassigned_by_reason: Vec<SimulatedReason>,
    /// `null` when no seller is eligible.
    pub fairness: Option<SimulatedFairness>,
}

impl SimulateReport {
    fn from_simulation(segment: &str, simulation: &Simulation) -> Self {
        let (set, days) = match simulation.set {
            SimulationSet::Members => ("members", None),
            SimulationSet::Unassigned => ("unassigned", None),
            SimulationSet::CreatedWithin { days } => ("recent", Some(days)),
        };
        SimulateReport {
            segment: segment.to_owned(),
            set: set.to_owned(),
            days,
            now: simulation.at.to_string(),
            records: simulation.records.len(),
            assigned: simulation.assigned(),
            unassigned: simulation.unassigned_total(),
            sellers: simulation
                .sellers
                .iter()
                .map(|s| SimulatedSeller {
                    id: s.seller.0,
                    name: s.name.clone(),
                    records: s.given,
                    open_before: s.open_before,
                    open_after: s.open_after(),
                    capacity: s.capacity,
                    eligible: s.eligible,
                    away: s.away,
                })
                .collect(),
            unassigned_by_reason: simulation
                .unassigned
                .iter()
                .map(|(reason, n)| SimulatedReason {
                    reason: reason_key(*reason).to_owned(),
                    text: reason.to_string(),
                    records: *n,
                })
                .collect(),
            fairness: simulation.fairness.map(|f| SimulatedFairness {
                eligible_sellers: f.eligible,
                min: f.min,
                max: f.max,
                max_min_ratio: f.ratio(),
                gini: f.gini,
            }),
        }
    }

    pub fn to_text(&self) -> String {
        let set = match self.days {
            Some(days) => format!("members created in the last {days} days"),
            None if self.set == "members" => "all members, from scratch".to_owned(),
            None => "unassigned members".to_owned(),
        };
        let mut out = format!(
            "{}: {} records ({set}) at {}: {} assigned, {} unassigned; nothing was written\n",
            self.segment, self.records, self.now, self.assigned, self.unassigned
        );
        let width = self.sellers.iter().map(|s| s.name.chars().count()).max().unwrap_or(6).max(6);
        out.push_str(&format!(
            "{:<width$} {:>8} {:>8} {:>8} {:>9}\n",
            "seller", "records", "open", "after", "capacity"
        ));
        for s in &self.sellers {
            let capacity = s.capacity.map_or_else(|| "-".to_owned(), |c| c.to_string());
            let mut note = String::new();
            if s.away {
                note.push_str("  away");
            } else if !s.eligible {
                note.push_str("  not eligible");
            }
            out.push_str(&format!(
                "{:<width$} {:>8} {:>8} {:>8} {:>9}{note}\n",
                s.name, s.records, s.open_before, s.open_after, capacity
            ));
        }
        for r in &self.unassigned_by_reason {
            out.push_str(&format!("unassigned: {} ({})\n", r.records, r.text));
        }
        match &self.fairness {
            Some(f) => {
                let ratio = f.max_min_ratio.map_or_else(|| "- (a seller got none)".to_owned(), |r| format!("{r:.2}"));
                out.push_str(&format!(
                    "fairness: Gini {:.3}, max/min {ratio} (min {}, max {}) over {} eligible sellers\n",
                    f.gini, f.min, f.max, f.eligible_sellers
                ));
            }
            None => out.push_str("fairness: no eligible seller\n"),
        }
        out
    }
}

/// What `simulate` was asked.
pub struct SimulateArgs<'a> {
    pub segment: &'a str,
    pub set: SimulationSet,
    /// `SELLER=N` (a seller by name or id; `N` or `none` for no limit).
    pub capacities: &'a [String],
    /// Sellers (by name or id) taken as away.
    pub away: &'a [String],
}

/// The set named on the command line: "members", "unassigned" or "recent" (with `days`).
pub fn simulation_set(name: &str, days: Option<u32>) -> Result<SimulationSet, CliError> {
    match (name, days) {
        ("members", None) => Ok(SimulationSet::Members),
        ("unassigned", None) => Ok(SimulationSet::Unassigned),
        ("recent", Some(days)) if days > 0 => Ok(SimulationSet::CreatedWithin { days }),
        ("recent", _) => Err(refused("--set recent needs --days N (1 or more)")),
        ("members" | "unassigned", Some(_)) => Err(refused("--days goes with --set recent")),
        (other, _) => Err(refused(format!("unknown set \"{other}\" (members, unassigned or recent)"))),
    }
}

/// `simulate`: the segment named `args.segment` at `now`; nothing is written.
pub fn simulate_command(path: &Path, args: &SimulateArgs<'_>, now: Timestamp) -> Result<SimulateReport, CliError> {
    if !path.exists() {
        return Err(refused(format!("{}: no such workspace", path.display())));
    }
    let workspace = open_unverified(path)?;
    let segment = find_segment(&workspace, args.segment)?;
    let sellers = workspace.sellers().map_err(|e| CliError::workspace(path, e))?;
    let seller = |name: &str| {
        sellers
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name) || s.id.0.to_string() == name)
            .map(|s| s.id)
            .ok_or_else(|| refused(format!("there is no seller \"{name}\"")))
    };
    let mut what_if = WhatIf::default();
    for pair in args.capacities {
        let Some((name, value)) = pair.rsplit_once('=') else {
            return Err(refused(format!("--capacity takes SELLER=N, not \"{pair}\"")));
        };
        let capacity = match value.trim() {
            "none" => None,
            n => Some(n.parse::<u32>().map_err(|_| refused(format!("--capacity {pair}: \"{n}\" is not a number")))?),
        };
        what_if.capacity.insert(seller(name.trim())?, capacity);
    }
    for name in args.away {
        what_if.away.insert(seller(name)?);
    }
    let request = SimulationRequest { what_if, ..SimulationRequest::new(segment, args.set) };
    let simulation = workspace
        .simulate_assignment(&request, now, &mut |_, _| true)
        .map_err(|e| CliError::workspace(path, e))?
        .ok_or_else(|| refused("the simulation was cancelled"))?;
    Ok(SimulateReport::from_simulation(args.segment, &simulation))
}

fn find_segment(workspace: &Workspace, name: &str) -> Result<crate::domain::SegmentId, CliError> {
    let mut names = Vec::new();
    for def in &workspace.schema().types {
        for segment in workspace.segments(&def.name)? {
            if segment.name == name {
                return Ok(segment.id);
            }
            names.push(segment.name);
        }
    }
    Err(refused(format!("there is no segment \"{name}\" (the workspace has {})", names.join(", "))))
}
