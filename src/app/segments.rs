//! Screens, the record type and segment selection, the segment list's order and the new
//! segment form.

use crate::domain::{Group, NodeId, RecordTypeName, Segment, SegmentId, Status};
use crate::state::SegmentForm;

use super::{App, Command, Dialog, NoticeLevel, Screen, monitor};
use crate::state::RecordsState;

impl App {
    /// Screens, the segment list and a segment's lifecycle, tabs and exports.
    pub(super) fn apply_segments(&mut self, command: Command) {
        match command {
            Command::ShowScreen(screen) => {
                self.state.screen = screen;
                if screen == Screen::Records && self.state.records.ids.latest().is_none() {
                    self.refresh_records();
                }
                self.sync_sequences();
                if screen == Screen::Monitor {
                    self.apply_monitor(monitor::MonitorCommand::Refresh);
                }
            }
            Command::SelectRecordType(name) => self.select_record_type(name),
            Command::SelectSegment(id) => {
                self.state.selected_segment = Some(id);
                self.request_preview();
            }
            Command::ShowDetailTab(tab) => {
                self.state.detail_tab = tab;
                self.sync_detail_tab(true);
            }
            Command::SetSegmentSearch(text) => self.state.segment_search = text,
            Command::MoveSegment { id, to_index } => self.move_segment(id, to_index),
            Command::ShowNewSegment => {
                if let Some(record_type) = self.state.record_type.clone() {
                    self.state.dialog = Some(Dialog::SegmentForm(SegmentForm {
                        copy_of: None,
                        record_type,
                        name: String::new(),
                        description: String::new(),
                        error: None,
                    }));
                }
            }
            Command::ShowCopySegment(id) => {
                if let Some(source) = self.state.view.as_ref().and_then(|v| v.segment(id)) {
                    self.state.dialog = Some(Dialog::SegmentForm(SegmentForm {
                        copy_of: Some(id),
                        record_type: source.record_type.clone(),
                        name: format!("Copy of {}", source.name),
                        description: source.description.clone(),
                        error: None,
                    }));
                }
            }
            Command::SubmitSegmentForm => self.submit_segment_form(),
            Command::ShowActivate(id) => self.show_impact(crate::state::LifecycleAction::Activate(id), None),
            Command::ShowReevaluate(id) => self.show_impact(crate::state::LifecycleAction::Reevaluate(id), None),
            Command::DeactivateSegment(id) => self.deactivate_segment(id),
            Command::ChooseApplyToExisting(choice) => self.choose_apply_to_existing(choice),
            Command::ApplyLifecycle => self.apply_lifecycle(),
            Command::AskDeleteSegment(id) => self.ask_delete_segment(id),
            Command::DeleteSegment(id) => self.delete_segment(id),
            Command::SetSegmentOptions { id, accept_from_other_segments, rerun_assignment_on_move } => self
                .set_segment_options(
                    id,
                    crate::store::SegmentOptions { accept_from_other_segments, rerun_assignment_on_move },
                ),
            Command::FetchMembers(offsets) => self.fetch_members(offsets),
            Command::ShowExportMembers(id) => self.show_export_members(id),
            Command::SubmitExport => self.submit_export(),
            Command::ShowExportRecords => self.show_export_records(),
            // Routed to the other handlers by `apply_now`.
            _ => {}
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

    /// Moves a segment to `to_index` of its type's priority order and saves the whole order
    /// in one transaction. Whatever happens, the list then shows what is stored.
    pub(super) fn move_segment(&mut self, id: SegmentId, to_index: usize) {
        let Some(view) = &self.state.view else { return };
        let Some(record_type) = view.segment(id).map(|s| s.record_type.clone()) else { return };
        let mut order: Vec<SegmentId> = view.segments_of(&record_type).iter().map(|s| s.id).collect();
        let Some(from) = order.iter().position(|s| *s == id) else { return };
        let to = to_index.min(order.len().saturating_sub(1));
        if from == to {
            return;
        }
        let moved = order.remove(from);
        order.insert(to, moved);
        // Active segments trading places may move members: ask first, showing the impact.
        let segments = view.segments_of(&record_type);
        let passed = &segments[from.min(to)..=from.max(to)];
        let affects_active = passed.iter().filter(|s| s.status == Status::Active).count() >= 2
            && segments.get(from).is_some_and(|s| s.status == Status::Active);
        if affects_active {
            self.show_impact(crate::state::LifecycleAction::Reorder { record_type, order, moved: id }, None);
            return;
        }
        let Some(workspace) = &mut self.workspace else { return };
        if let Err(error) = workspace.reorder_segments(&record_type, &order) {
            self.notify(NoticeLevel::Error, format!("The new order was not saved: {error}"));
        }
        self.reload_segments(&record_type);
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

    /// Creates the Draft segment the segment form describes (empty, or a copy), at the bottom
    /// of its type's order, and selects it.
    pub(super) fn submit_segment_form(&mut self) {
        let Some(Dialog::SegmentForm(form)) = &self.state.dialog else { return };
        let Some(view) = &self.state.view else { return };
        let form = form.clone();
        if let Some(problem) = view.segment_form_problem(&form.record_type, &form.name, &form.description) {
            self.set_segment_form_error(problem);
            return;
        }
        let now = self.clock.now();
        let segment = match form.copy_of {
            Some(source) => {
                if let Some(source) = view.segment(source) {
                    Segment {
                        name: form.name.trim().to_owned(),
                        description: form.description.clone(),
                        status: Status::Draft,
                        created_on: now,
                        modified_on: now,
                        ..source.clone()
                    }
                } else {
                    self.set_segment_form_error("The segment to copy no longer exists".to_owned());
                    return;
                }
            }
            None => Segment {
                id: SegmentId(0),
                record_type: form.record_type.clone(),
                name: form.name.trim().to_owned(),
                description: form.description.clone(),
                status: Status::Draft,
                priority: 0,
                conditions: Group::all(NodeId(0)),
                accept_from_other_segments: false,
                rerun_assignment_on_move: false,
                sequence: None,
                created_on: now,
                modified_on: now,
            },
        };
        let Some(workspace) = &mut self.workspace else { return };
        match workspace.insert_segment(&segment) {
            Ok(id) => {
                self.state.dialog = None;
                self.reload_segments(&segment.record_type);
                self.select_record_type(segment.record_type.clone());
                self.state.selected_segment = Some(id);
                self.state.segment_search.clear();
                self.request_preview();
                let verb = if form.copy_of.is_some() { "copied" } else { "created" };
                self.notify(NoticeLevel::Info, format!("Segment \"{}\" {verb} as a draft", segment.name));
            }
            Err(error) => self.set_segment_form_error(error.to_string()),
        }
    }

    pub(super) fn set_segment_form_error(&mut self, problem: String) {
        if let Some(Dialog::SegmentForm(form)) = &mut self.state.dialog {
            form.error = Some(problem);
        }
    }
}
