//! The Sequences screen and the segment's Sequence tab: sequences, their steps, connections
//! to segments and enrolments.
//!
//! The editor works on a [`SequenceDraft`] (a new sequence, or a copy of the selected one);
//! problems are recomputed on every edit and a draft with problems is never saved. An active
//! sequence is read-only: deactivate it to edit it. Enrolment lists are small indexed reads
//! (a page and two counts), refreshed when the screen shows, the selection changes, or a
//! saved record's evaluation finishes ([`App::sync_sequences`]).
//!
//! Commands are handled by the pure [`apply`] in `state::sequences`; this file is the
//! runner's side: the [`SequencesEffect`]s it returns, carried out against the workspace.

pub use crate::state::sequences::*;

use jiff::Timestamp;

use super::App;
use super::features::Runner;
use crate::domain::{SegmentId, Sequence, SequenceId, Status};
use crate::state::NoticeLevel;
use crate::state::Screen;
use crate::store::EnrolmentCounts;

impl Runner<SequencesEffect> for App {
    /// Carries out what the Sequences screen asked for, and what follows from the answer.
    fn run(&mut self, effect: SequencesEffect) {
        match effect {
            SequencesEffect::LoadEnrolments { more } => self.load_enrolments(more),
            SequencesEffect::Copy { id, name, now } => self.copy_sequence(id, &name, now),
            SequencesEffect::SetStatus { id, status, now } => self.set_sequence_status(id, status, now),
            SequencesEffect::Save { sequence, new, origins } => self.save_sequence(&sequence, new, &origins),
            SequencesEffect::Connect { segment, sequence, now } => {
                let result = self.workspace.as_mut().map(|ws| ws.connect_sequence(segment, sequence, now));
                self.after_connection(segment, result, "connected");
            }
            SequencesEffect::Disconnect { segment, now } => {
                let result = self.workspace.as_mut().map(|ws| ws.disconnect_sequence(segment, now));
                self.after_connection(segment, result, "disconnected");
            }
        }
    }
}

impl App {
    /// Refreshes what the sequence panels read from the store for the screen on show: the
    /// selected sequence's enrolments, or the selected record's enrolment.
    pub(super) fn sync_sequences(&mut self) {
        match self.state.screen {
            Screen::Sequences => self.load_enrolments(false),
            Screen::Records => self.load_record_enrolment(),
            Screen::WorkList => self.refresh_work_list(),
            _ => {}
        }
    }

    fn select_sequence(&mut self, id: SequenceId) {
        let effects = select(&mut self.state, id);
        self.run_effects(effects);
    }

    fn copy_sequence(&mut self, id: SequenceId, name: &str, now: Timestamp) {
        let Some(workspace) = &mut self.workspace else { return };
        match workspace.copy_sequence(id, name, now) {
            Ok(copy) => {
                self.reload_sequences();
                self.select_sequence(copy);
                self.notify(NoticeLevel::Info, format!("Created the draft \"{name}\""));
            }
            Err(error) => self.notify(NoticeLevel::Error, format!("The sequence was not copied: {error}")),
        }
    }

    fn set_sequence_status(&mut self, id: SequenceId, status: Status, now: Timestamp) {
        let Some(workspace) = &mut self.workspace else { return };
        let result = workspace.set_sequence_status(id, status, now);
        let name = self.state.view.as_ref().and_then(|v| v.sequence(id)).map(|s| s.name.clone()).unwrap_or_default();
        match result {
            Ok(()) => {
                let text = match status {
                    Status::Active => format!("\"{name}\" is active; connect it to segments"),
                    _ => format!("\"{name}\" is inactive; running enrolments continue, nobody new is enrolled"),
                };
                self.notify(NoticeLevel::Info, text);
            }
            Err(error) => {
                let verb = if status == Status::Active { "activated" } else { "deactivated" };
                self.notify(NoticeLevel::Error, format!("The sequence was not {verb}: {error}"));
            }
        }
        self.reload_sequences();
        if self.state.sequences.selected == Some(id) && !self.state.sequences.draft.as_ref().is_some_and(|d| d.dirty) {
            self.select_sequence(id);
        }
    }

    fn save_sequence(&mut self, sequence: &Sequence, new: bool, origins: &[Option<u32>]) {
        let Some(workspace) = &mut self.workspace else { return };
        let result = if new {
            workspace.insert_sequence(sequence)
        } else {
            workspace.update_sequence_mapped(sequence, origins).map(|()| sequence.id)
        };
        match result {
            Ok(id) => {
                self.reload_sequences();
                self.select_sequence(id);
                self.notify(NoticeLevel::Info, format!("Saved \"{}\"", sequence.name));
            }
            Err(error) => {
                if let Some(draft) = &mut self.state.sequences.draft {
                    draft.save_error = Some(format!("Not saved: {error}"));
                }
            }
        }
    }

    fn after_connection(&mut self, segment: SegmentId, result: Option<crate::store::Result<()>>, what: &str) {
        let Some(ty) = self.state.view.as_ref().and_then(|v| v.segment(segment)).map(|s| s.record_type.clone()) else {
            return;
        };
        match result {
            Some(Ok(())) => {
                self.reload_segments(&ty);
                let name = self.state.view.as_ref().and_then(|v| v.segment(segment)).map(|s| s.name.clone());
                let text = match what {
                    "connected" => format!(
                        "\"{}\" is connected; records joining it from now on are enrolled",
                        name.unwrap_or_default()
                    ),
                    _ => format!("\"{}\" is disconnected; running enrolments continue", name.unwrap_or_default()),
                };
                self.notify(NoticeLevel::Info, text);
            }
            Some(Err(error)) => self.notify(NoticeLevel::Error, format!("Not {what}: {error}")),
            None => {}
        }
    }

    /// Reads every record type's sequences again into the view.
    pub(super) fn reload_sequences(&mut self) {
        let (Some(workspace), Some(view)) = (&self.workspace, &self.state.view) else { return };
        let read: Result<Vec<Vec<Sequence>>, _> =
            view.schema.types.iter().map(|def| workspace.sequences(&def.name)).collect();
        match read {
            Ok(found) => {
                if let Some(view) = &mut self.state.view {
                    view.sequences = found.into_iter().flatten().collect();
                }
            }
            Err(error) => self.notify(NoticeLevel::Error, format!("Could not read the sequences again: {error}")),
        }
    }

    /// The first page of the selected sequence's enrolments, or (`more`) one page more.
    fn load_enrolments(&mut self, more: bool) {
        let Some(id) = self.state.sequences.selected else {
            self.state.sequences.enrolments = None;
            return;
        };
        let Some(workspace) = &self.workspace else { return };
        let shown = match &self.state.sequences.enrolments {
            Some(list) if more && list.sequence == id => list.rows.len() as u64,
            _ => 0,
        };
        let limit = shown + ENROLMENT_PAGE;
        let read_at = self.clock.now();
        let read = workspace.enrolment_counts(id).and_then(|counts| Ok((counts, workspace.enrolments(id, 0, limit)?)));
        let list = match read {
            Ok((counts, rows)) => EnrolmentList { sequence: id, counts, rows, error: None, read_at },
            Err(error) => EnrolmentList {
                sequence: id,
                counts: EnrolmentCounts::default(),
                rows: Vec::new(),
                error: Some(format!("Could not read the enrolments: {error}")),
                read_at,
            },
        };
        self.state.sequences.enrolments = Some(list);
    }

    fn load_record_enrolment(&mut self) {
        let (Some(ty), Some(record)) = (self.state.record_type.clone(), self.state.records.selected) else {
            self.state.sequences.record_enrolment = None;
            return;
        };
        let Some(workspace) = &self.workspace else { return };
        let enrolment = workspace.enrolment_of(&ty, record).map_err(|e| e.to_string());
        let read_at = self.clock.now();
        self.state.sequences.record_enrolment = Some(RecordEnrolment { record_type: ty, record, enrolment, read_at });
    }
}
