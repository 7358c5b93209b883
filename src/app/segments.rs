//! Screens and the record type; carrying out the Segments screen's effects (its commands are
//! handled by the pure `state::segments::apply`): the priority order and new segments.

use crate::domain::{RecordTypeName, Segment, SegmentId};
use crate::state::RecordsState;
use crate::state::monitor::MonitorCommand;
use crate::state::segments::SegmentsEffect;
use crate::store::SegmentOptions;

use super::features::Runner;
use super::{App, Command, Dialog, NoticeLevel, Screen};

impl Runner<SegmentsEffect> for App {
    fn run(&mut self, effect: SegmentsEffect) {
        match effect {
            SegmentsEffect::Preview => self.request_preview(),
            SegmentsEffect::ReadTab => self.sync_detail_tab(true),
            SegmentsEffect::Reorder { record_type, order } => self.reorder_segments(&record_type, &order),
            SegmentsEffect::ShowImpact(action) => self.show_impact(action, None),
            SegmentsEffect::Insert { segment, copied } => self.insert_segment(&segment, copied),
            SegmentsEffect::Deactivate(id) => self.deactivate_segment(id),
            SegmentsEffect::ApplyLifecycle => self.apply_lifecycle(),
            SegmentsEffect::Delete(id) => self.delete_segment(id),
            SegmentsEffect::SetOptions { id, accept_from_other_segments, rerun_assignment_on_move } => {
                let options = SegmentOptions { accept_from_other_segments, rerun_assignment_on_move };
                self.set_segment_options(id, options);
            }
            SegmentsEffect::FetchMembers(offsets) => self.fetch_members(offsets),
            SegmentsEffect::Export => self.submit_export(),
        }
    }
}

impl App {
    /// Shows a screen, reading what it shows when it has nothing yet.
    pub(super) fn show_screen(&mut self, screen: Screen) {
        self.state.screen = screen;
        if screen == Screen::Records && self.state.records.ids.latest().is_none() {
            self.refresh_records();
        }
        self.sync_sequences();
        if screen == Screen::Monitor {
            self.apply_now(Command::Monitor(MonitorCommand::Refresh));
        }
    }

    pub(super) fn select_record_type(&mut self, name: RecordTypeName) {
        if self.state.record_type.as_ref() == Some(&name) {
            return;
        }
        self.state.record_type = Some(name);
        self.state.records = RecordsState::default();
        self.pages.rows_requested.clear();
        self.select_first_segment();
        self.refresh_records();
        self.request_preview();
    }

    pub(super) fn select_first_segment(&mut self) {
        let first = self
            .state
            .view
            .as_ref()
            .zip(self.state.record_type.as_ref())
            .and_then(|(view, ty)| view.segments_of(ty).first().map(|s| s.id));
        self.state.selected_segment = first;
    }

    /// Saves a record type's whole priority order in one transaction. Whatever happens, the
    /// list then shows what is stored.
    fn reorder_segments(&mut self, record_type: &RecordTypeName, order: &[SegmentId]) {
        let Some(workspace) = &mut self.workspace else { return };
        if let Err(error) = workspace.reorder_segments(record_type, order) {
            self.notify(NoticeLevel::Error, format!("The new order was not saved: {error}"));
        }
        self.reload_segments(record_type);
        // What the segments above the selected one claim has changed.
        self.request_preview();
    }

    /// Reads a record type's segments from the store again. Member counts are not re-read:
    /// nothing that calls this changes them (an apply brings its own counts, a new segment
    /// has none), and counting scans every membership on the UI thread.
    pub(super) fn reload_segments(&mut self, record_type: &RecordTypeName) {
        let Some(workspace) = &self.workspace else { return };
        match workspace.segments(record_type) {
            Ok(segments) => {
                if let Some(view) = &mut self.state.view {
                    view.segments.insert(record_type.clone(), segments);
                }
            }
            Err(error) => self.notify(NoticeLevel::Error, format!("Could not read the segments again: {error}")),
        }
    }

    /// Stores the Draft segment the form described (at the bottom of its type's order) and
    /// selects it.
    fn insert_segment(&mut self, segment: &Segment, copied: bool) {
        let Some(workspace) = &mut self.workspace else { return };
        match workspace.insert_segment(segment) {
            Ok(id) => {
                self.state.dialog = None;
                self.reload_segments(&segment.record_type);
                self.select_record_type(segment.record_type.clone());
                self.state.selected_segment = Some(id);
                self.state.segment_search.clear();
                self.request_preview();
                let verb = if copied { "copied" } else { "created" };
                self.notify(NoticeLevel::Info, format!("Segment \"{}\" {verb} as a draft", segment.name));
            }
            Err(error) => {
                if let Some(Dialog::SegmentForm(form)) = &mut self.state.dialog {
                    form.error = Some(error.to_string());
                }
            }
        }
    }
}
