//! The builder's funnel: what each node of the draft matches on its own and how many
//! records the whole tree would gain without it, as the engine last answered, keyed by
//! node id. Asked with every preview of a draft without problems; an answer to an older
//! question than the newest is dropped.

use std::collections::BTreeMap;

use crate::domain::NodeId;

pub use crate::domain::funnel::NodeFigures;

/// One answer of the engine.
#[derive(Clone, Debug, PartialEq)]
pub struct FunnelAnswer {
    /// The question it answers (see [`FunnelState::ask`]).
    pub generation: u64,
    pub nodes: BTreeMap<NodeId, NodeFigures>,
    /// The node (not a group) whose removal gains the most records, if any gains.
    pub top_gain: Option<NodeId>,
    pub elapsed_ms: f64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FunnelState {
    /// The newest question asked; `None` when nothing is to be shown (a draft with
    /// problems, an engine still loading).
    asked: Option<u64>,
    answer: Option<FunnelAnswer>,
}

impl FunnelState {
    /// A question for the draft as it is now: the last answer stays until it is answered.
    pub fn ask(&mut self, generation: u64) {
        self.asked = Some(generation);
    }

    /// Nothing to show: the draft has problems or the engine cannot answer.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Takes an answer if it is to the newest question; false (dropped) otherwise.
    pub fn take(&mut self, answer: FunnelAnswer) -> bool {
        if self.asked != Some(answer.generation) {
            return false;
        }
        self.answer = Some(answer);
        true
    }

    /// Whether figures are asked for (or shown): the window keeps their room while they come.
    pub fn is_asked(&self) -> bool {
        self.asked.is_some()
    }

    /// Whether the figures shown are of an older draft than the one being edited.
    pub fn is_pending(&self) -> bool {
        self.asked.is_some() && self.asked != self.answer.as_ref().map(|a| a.generation)
    }

    /// The last answer's figures of a node, while a question is open or answered.
    pub fn figures(&self, id: NodeId) -> Option<NodeFigures> {
        self.asked?;
        self.answer.as_ref()?.nodes.get(&id).copied()
    }

    /// The node whose removal gains the most, and how many it gains.
    pub fn top_gain(&self) -> Option<(NodeId, i64)> {
        let id = self.answer.as_ref()?.top_gain?;
        Some((id, self.figures(id)?.without?))
    }

    pub fn answer(&self) -> Option<&FunnelAnswer> {
        self.asked?;
        self.answer.as_ref()
    }
}
