//! The distribution simulator: each run is a [`Job`] on its own read connection (at a
//! million records a segment holds some hundred thousand members), reporting progress and
//! cancelled when a newer run starts, so the window stays responsive and the newest what-if
//! wins. It writes nothing.
//!
//! Commands are handled by the pure `apply` in `state::simulate`; this file carries out its
//! [`SimulateEffect`]s and takes the jobs' answers.

pub use crate::state::simulate::*;

use super::App;
use super::features::Runner;
use crate::domain::assignment::simulate::Simulation;
use crate::store::{StoreError, Workspace};
use crate::worker::jobs::{Job, Poll};

/// A running simulation (owned by the app's jobs).
pub(super) type SimulateJob = Job<Result<Option<Simulation>, StoreError>>;

impl Runner<SimulateEffect> for App {
    fn run(&mut self, effect: SimulateEffect) {
        match effect {
            SimulateEffect::Run { request, now } => {
                if let Some(job) = self.jobs.simulate.take() {
                    job.cancel();
                }
                let Some(path) = self.state.view.as_ref().map(|v| v.path.clone()) else {
                    self.state.rules.simulate.running = None;
                    return;
                };
                let job = Job::spawn("Simulating assignment", self.waker(), move |reporter| {
                    let ws = Workspace::open_reader(&path)?;
                    let mut progress = |done: u64, total: u64| {
                        let fraction = if total == 0 { 1.0 } else { done as f32 / total as f32 };
                        reporter.report(Some(fraction), format!("{done} of {total} records"))
                    };
                    ws.simulate_assignment(&request, now, &mut progress)
                });
                self.jobs.simulate = Some(job);
            }
            SimulateEffect::Cancel => {
                if let Some(job) = self.jobs.simulate.take() {
                    job.cancel();
                }
            }
        }
    }

    fn poll(&mut self) {
        let Some(job) = &self.jobs.simulate else { return };
        let sim = &mut self.state.rules.simulate;
        match job.poll() {
            Poll::Running(progress) => {
                sim.running = Some(SimulationProgress { fraction: progress.fraction, message: progress.message });
            }
            Poll::Done(outcome) => {
                self.jobs.simulate = None;
                sim.running = None;
                match outcome {
                    Ok(Some(result)) => {
                        sim.result = Some(result);
                        sim.error = None;
                    }
                    // Cancelled: the result shown stays.
                    Ok(None) => {}
                    Err(error) => sim.error = Some(format!("Could not simulate: {error}")),
                }
            }
            Poll::Lost => {
                self.jobs.simulate = None;
                sim.running = None;
                sim.error = Some("The simulation stopped unexpectedly".to_owned());
            }
        }
    }

    fn busy(&self) -> bool {
        self.jobs.simulate.is_some()
    }
}
