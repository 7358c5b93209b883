//! The Sequences screen and the segment's Sequence tab: sequences, their steps, connections
//! to segments and enrolments.

use super::App;

/// What the sequences panels show beyond the workspace view.
#[derive(Debug, Default)]
pub struct SequencesState {}

#[derive(Clone, Debug, PartialEq)]
pub enum SequencesCommand {}

impl App {
    pub(super) fn apply_sequences(&mut self, command: SequencesCommand) {
        match command {}
    }
}
