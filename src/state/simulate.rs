//! The distribution simulator on a segment's Assignment rules tab: which members to
//! simulate, the rules (stored, or the rule editor's unsaved edit), the what-ifs (a seller's
//! capacity, a seller away) and the newest result. A what-if changed while a result is
//! shown simulates again at once, so the bars follow. The simulation runs as a job
//! (`app::simulate`) and writes nothing.

use jiff::Timestamp;

use super::AppState;
use super::effect::{Context, Effect};
use crate::domain::SellerId;
use crate::domain::assignment::RuleId;
use crate::domain::assignment::simulate::{Simulation, SimulationRequest, SimulationSet};

/// The days "created in the last N days" starts with.
pub const DEFAULT_DAYS: u32 = 7;

/// The rule set an unsaved edit makes: the stored rules with the edited one in its place
/// (a new rule last).
#[derive(Clone, Debug, PartialEq)]
pub struct EditedRules {
    pub rules: Vec<crate::domain::assignment::AssignmentRule>,
    /// The edited rule's name, for "with the unsaved edit of …".
    pub name: String,
}

/// Where a running simulation stands.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulationProgress {
    pub fraction: Option<f32>,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SimulateState {
    pub set: SimulationSet,
    /// The N of "created in the last N days", kept while another set is chosen.
    pub days: u32,
    /// The rules of the next run when not the stored ones.
    pub edited: Option<EditedRules>,
    /// The newest simulation asked for.
    pub request: Option<SimulationRequest>,
    /// The capacity and availability what-ifs, for every run until reset.
    pub what_if: crate::domain::assignment::simulate::WhatIf,
    pub running: Option<SimulationProgress>,
    /// The newest result (kept while a new one runs).
    pub result: Option<Simulation>,
    pub error: Option<String>,
}

impl Default for SimulateState {
    fn default() -> Self {
        Self {
            set: SimulationSet::Unassigned,
            days: DEFAULT_DAYS,
            edited: None,
            request: None,
            what_if: crate::domain::assignment::simulate::WhatIf::default(),
            running: None,
            result: None,
            error: None,
        }
    }
}

impl SimulateState {
    /// The result, when it is of `segment`.
    pub fn result_of(&self, segment: crate::domain::SegmentId) -> Option<&Simulation> {
        self.result.as_ref().filter(|r| r.segment == segment)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum SimulateCommand {
    /// Which members the next run decides.
    ChooseSet(SimulationSet),
    /// Simulate the selected segment with the chosen set, rules and what-ifs.
    Run,
    /// Simulate the rule editor's unsaved rule among the stored ones (the editor stays open).
    RunEdit,
    /// Go back to the stored rules (and simulate again when a result is shown).
    UseStoredRules,
    /// A seller's capacity in the simulation: `Some(capacity)` (`None` inside: no limit), or
    /// `None` for the stored one.
    SetCapacity {
        seller: SellerId,
        capacity: Option<Option<u32>>,
    },
    SetAway {
        seller: SellerId,
        away: bool,
    },
    ResetWhatIfs,
    Cancel,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SimulateEffect {
    /// Run a simulation at `now` (a running one is cancelled: the newest wins).
    Run {
        request: SimulationRequest,
        now: Timestamp,
    },
    Cancel,
}

/// Handles a simulator command.
pub fn apply(state: &mut AppState, command: SimulateCommand, ctx: &Context) -> Vec<Effect> {
    let sim = &mut state.rules.simulate;
    match command {
        SimulateCommand::ChooseSet(set) => {
            if let SimulationSet::CreatedWithin { days } = set {
                sim.days = days.max(1);
                sim.set = SimulationSet::CreatedWithin { days: sim.days };
            } else {
                sim.set = set;
            }
            Vec::new()
        }
        SimulateCommand::Run => run(state, ctx),
        SimulateCommand::RunEdit => {
            let Some(editor) = &state.rules.editor else { return Vec::new() };
            if editor.problem_count() > 0 {
                state.rules.simulate.error = Some("Fix the rule's problems to simulate it".to_owned());
                return Vec::new();
            }
            let id = editor.rule.unwrap_or(RuleId(-1));
            let edited = editor.form.to_rule(id, editor.builder.draft.clone());
            let mut rules = state.rules.rules.clone();
            match rules.iter_mut().find(|r| r.id == id) {
                Some(slot) => *slot = edited.clone(),
                None => rules.push(edited.clone()),
            }
            state.rules.simulate.edited = Some(EditedRules { rules, name: edited.name });
            run(state, ctx)
        }
        SimulateCommand::UseStoredRules => {
            sim.edited = None;
            rerun_if_shown(state, ctx)
        }
        SimulateCommand::SetCapacity { seller, capacity } => {
            match capacity {
                Some(capacity) => sim.what_if.capacity.insert(seller, capacity),
                None => sim.what_if.capacity.remove(&seller),
            };
            rerun_if_shown(state, ctx)
        }
        SimulateCommand::SetAway { seller, away } => {
            if away {
                sim.what_if.away.insert(seller);
            } else {
                sim.what_if.away.remove(&seller);
            }
            rerun_if_shown(state, ctx)
        }
        SimulateCommand::ResetWhatIfs => {
            sim.what_if = crate::domain::assignment::simulate::WhatIf::default();
            rerun_if_shown(state, ctx)
        }
        SimulateCommand::Cancel => {
            sim.running = None;
            vec![Effect::Simulate(SimulateEffect::Cancel)]
        }
    }
}

/// Simulates the selected segment.
fn run(state: &mut AppState, ctx: &Context) -> Vec<Effect> {
    let Some(segment) = state.selected_segment else { return Vec::new() };
    let sim = &mut state.rules.simulate;
    let request = SimulationRequest {
        segment,
        set: sim.set,
        rules: sim.edited.as_ref().map(|e| e.rules.clone()),
        what_if: sim.what_if.clone(),
    };
    sim.request = Some(request.clone());
    sim.error = None;
    sim.running = Some(SimulationProgress { fraction: None, message: "Starting".to_owned() });
    vec![Effect::Simulate(SimulateEffect::Run { request, now: ctx.now })]
}

/// Simulates again when a result of the selected segment is shown (a what-if changed).
fn rerun_if_shown(state: &mut AppState, ctx: &Context) -> Vec<Effect> {
    let shown = state.selected_segment.is_some_and(|s| state.rules.simulate.result_of(s).is_some());
    if shown { run(state, ctx) } else { Vec::new() }
}
