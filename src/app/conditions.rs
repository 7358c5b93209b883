//! The condition builder of the selected segment and its preview: builder edits, undo and
//! save, the engine's answers, record titles and the record picker's search.

use crate::state::SegmentsCommand;
use std::collections::BTreeMap;

use crate::domain::{Group, NodeId, RecordId, RecordTypeName, SegmentId};
use crate::engine::priority::SortKey;
use crate::worker::engine::{EngineRequest, EngineResponse};
use crate::worker::records::Request;

use super::{App, Command, Dialog, EngineStatus, Loadable, NoticeLevel, PREVIEW_ROWS, builder, definitions, lifecycle};
use crate::state::PreviewState;
use crate::state::conditions::ConditionsEffect;

use super::features::Runner;

impl Runner<ConditionsEffect> for App {
    fn run(&mut self, effect: ConditionsEffect) {
        match effect {
            ConditionsEffect::Preview => self.request_preview(),
            ConditionsEffect::OpenRecord(id) => self.open_preview_record(id),
            ConditionsEffect::SearchRecords { node, record_type, text } => {
                self.search_records(node, record_type, text);
            }
            ConditionsEffect::Save { then: None } => {
                self.save_conditions(None);
            }
            ConditionsEffect::Save { then: Some((segment_name, then)) } => {
                match self.save_conditions(Some(then.clone())) {
                    lifecycle::SaveOutcome::Saved => self.apply(*then),
                    // The impact dialog carries `then` out after the change is stored.
                    lifecycle::SaveOutcome::Asked => {}
                    // The dialog stays, showing why the save failed.
                    lifecycle::SaveOutcome::Failed => {
                        self.state.dialog = Some(Dialog::UnsavedChanges { segment_name, then });
                    }
                }
            }
            ConditionsEffect::Continue(then) => self.apply(*then),
        }
    }
}

impl App {
    pub(super) fn take_engine_response(&mut self, response: EngineResponse) {
        match response {
            EngineResponse::Ready { records, heap_bytes, elapsed_ms } => {
                self.state.engine = EngineStatus::Ready { records, heap_bytes, elapsed_ms };
                self.request_preview();
            }
            EngineResponse::Evaluated(Ok(per_type)) => {
                let mut joined = 0;
                for (record_type, applied) in &per_type {
                    if let crate::store::ApplyOutcome::Applied(impact) = &applied.outcome {
                        joined += impact.join_count() + impact.move_count();
                    }
                    self.set_member_counts(record_type, applied);
                }
                let text = format!("Evaluated the records an interrupted import left: {joined} joined a segment");
                self.notify(NoticeLevel::Info, text);
            }
            EngineResponse::Evaluated(Err(error)) => {
                let text = format!("Could not evaluate the records an interrupted import left: {error}");
                self.notify(NoticeLevel::Error, text);
            }
            EngineResponse::Failed(error) => {
                self.notify(NoticeLevel::Error, format!("Could not load the records for previews: {error}"));
                self.state.engine = EngineStatus::Failed(error.to_string());
            }
            EngineResponse::OutOfDate(error) => {
                self.notify(
                    NoticeLevel::Error,
                    format!("The previews are out of date ({error}); reloading the records"),
                );
                self.restart_engine_soon();
            }
            EngineResponse::Preview { generation, result } if generation == self.generations.preview => match result {
                Ok(outcome) => self.state.preview.result = Loadable::Ready(outcome),
                Err(error) => self.state.preview.result.fail(error.to_string()),
            },
            EngineResponse::Preview { .. } => {}
            EngineResponse::RecordIds { generation, result } => self.take_record_ids(generation, result),
            EngineResponse::Funnel { generation, result } => self.take_funnel(generation, result),
        }
    }

    /// Keeps the funnel's figures if they answer the builder's newest question. A failure
    /// shows nothing: the preview, asked together, says what went wrong.
    fn take_funnel(
        &mut self,
        generation: u64,
        result: Result<crate::engine::funnel::Funnel, crate::worker::WorkerError>,
    ) {
        let Some(builder) = &mut self.state.builder else { return };
        match result {
            Ok(funnel) => {
                let answer = builder::FunnelAnswer {
                    generation,
                    nodes: funnel.nodes,
                    top_gain: funnel.top_gain,
                    elapsed_ms: funnel.elapsed_ms,
                };
                builder.funnel.take(answer);
            }
            Err(_) => builder.funnel.clear(),
        }
    }

    /// Asks the engine for the funnel of the segment builder's draft, when it has no
    /// problems and the engine is ready (nothing is shown otherwise). Asked after the
    /// preview, which the engine answers first.
    fn request_funnel(&mut self) {
        let Some(builder) = &mut self.state.builder else { return };
        let ready = matches!(self.state.engine, EngineStatus::Ready { .. });
        let Some(worker) = self.engine_worker.as_ref().filter(|_| ready && !builder.has_problems()) else {
            builder.funnel.clear();
            return;
        };
        self.generations.funnel += 1;
        let generation = self.generations.funnel;
        let request = EngineRequest::Funnel {
            generation,
            record_type: builder.record_type.clone(),
            conditions: builder.draft.clone(),
            now: self.clock.now(),
        };
        if worker.send(request) {
            builder.funnel.ask(generation);
        } else {
            builder.funnel.clear();
        }
    }

    /// Asks the engine for the preview of the selected segment: its matches, what the active
    /// segments above it claim, and its newest matching records.
    pub(super) fn request_preview(&mut self) {
        let Some(segment) = self.state.selected_segment().cloned() else {
            self.state.preview = PreviewState::default();
            return;
        };
        if self.state.preview.segment != Some(segment.id) {
            // Another segment's figures must not show under this one, even dimmed.
            self.state.preview.result = Loadable::default();
        }
        self.state.preview.segment = Some(segment.id);
        // While the builder edits this segment, the preview follows its draft.
        let conditions = match &mut self.state.builder {
            Some(builder) if builder.segment == segment.id && builder.has_problems() => {
                let problems = builder.problems_phrase();
                builder.funnel.clear();
                self.state.preview.stale_because =
                    Some(format!("Fix {problems} in the conditions to update the preview"));
                return;
            }
            Some(builder) if builder.segment == segment.id => builder.draft.clone(),
            _ => segment.conditions.clone(),
        };
        self.state.preview.stale_because = None;
        let Some(worker) = &self.engine_worker else { return };
        if !matches!(self.state.engine, EngineStatus::Ready { .. }) {
            self.request_funnel();
            return;
        }
        let for_builder = self.state.builder.as_ref().is_some_and(|b| b.segment == segment.id);
        let higher: Vec<(SegmentId, Group)> = self
            .state
            .view
            .as_ref()
            .map(|view| view.segments_of(&segment.record_type))
            .unwrap_or_default()
            .iter()
            .filter(|s| s.priority < segment.priority && s.status == crate::domain::Status::Active)
            .map(|s| (s.id, s.conditions.clone()))
            .collect();
        let sort = match &self.state.preview.sort {
            Some((field, descending)) => SortKey { field: field.clone(), descending: *descending },
            None => SortKey::newest_first(),
        };
        self.generations.preview += 1;
        self.state.preview.result.start_over();
        let request = EngineRequest::Preview {
            generation: self.generations.preview,
            record_type: segment.record_type.clone(),
            conditions,
            higher,
            sort,
            now: self.clock.now(),
            limit: PREVIEW_ROWS,
        };
        if !worker.send(request) {
            self.state.preview.result.fail("The preview engine is busy or stopped; select the segment again".into());
        }
        if for_builder {
            self.request_funnel();
        }
    }

    /// Whether carrying out `command` would replace the builder while it holds unsaved edits.
    pub(super) fn would_drop_unsaved_edits(&self, command: &Command) -> bool {
        let Some(builder) = self.state.builder.as_ref().filter(|b| b.is_dirty()) else { return false };
        match command {
            Command::Segments(SegmentsCommand::Select(id)) => *id != builder.segment,
            Command::SelectRecordType(name) => self.state.record_type.as_ref() != Some(name),
            Command::ShowPathDialog(_)
            | Command::OpenWorkspace(_)
            | Command::CreateWorkspace(_)
            | Command::Segments(SegmentsCommand::ShowNew | SegmentsCommand::ShowCopy(_))
            | Command::Definitions(definitions::DefinitionsCommand::Show(definitions::DefinitionsMode::Import))
            | Command::Quit => true,
            _ => false,
        }
    }

    /// Gives the selected segment its builder (a fresh one when the selection changed).
    pub(super) fn sync_builder(&mut self) {
        let selected = self.state.selected_segment;
        if self.state.builder.as_ref().map(|b| b.segment) == selected {
            return;
        }
        if self.state.view.is_none() {
            self.state.builder = None;
            return;
        }
        // Nesting is checked against the workspace's own limit, as activation does.
        let limit = self.read_settings().map_or(crate::domain::DEFAULT_MAX_DEPTH, |s| s.nesting_limit);
        let Some(view) = &self.state.view else { return };
        self.state.builder = self.state.selected_segment().map(|segment| {
            builder::Builder::new(segment.id, segment.record_type.clone(), segment.conditions.clone(), &view.schema)
                .with_nesting_limit(limit, &view.schema)
                .with_definitions(crate::domain::Definitions::of(view.segments.values().flatten()), &view.schema)
        });
        self.state.record_picker = None;
        self.learn_titles();
        // The preview of a newly selected segment was asked before its builder existed.
        self.request_funnel();
    }

    /// Reads the titles of the records the builder's conditions name (a few rows by id).
    pub(super) fn learn_titles(&mut self) {
        let (Some(builder), Some(view), Some(workspace)) = (&self.state.builder, &self.state.view, &self.workspace)
        else {
            return;
        };
        let Some(def) = view.schema.get(&builder.record_type) else { return };
        let mut wanted: BTreeMap<RecordTypeName, Vec<RecordId>> = BTreeMap::new();
        builder::records_named(&view.schema, def, &builder.draft, &mut wanted);
        let mut failure = None;
        for (record_type, ids) in wanted {
            match workspace.record_titles(&record_type, &ids) {
                Ok(titles) => {
                    for (id, title) in titles {
                        self.state.known_titles.insert((record_type.clone(), id), title);
                    }
                }
                Err(error) => failure = Some(error),
            }
        }
        if let Some(error) = failure {
            self.notify(NoticeLevel::Error, format!("Could not read record names: {error}"));
        }
    }

    /// Shows a record from the preview on the Records screen, in its editor.
    pub(super) fn open_preview_record(&mut self, id: RecordId) {
        let from_preview =
            self.state.preview.result.latest().and_then(|o| o.rows.iter().find(|r| r.record.id == id)).cloned();
        let known = from_preview.map(|r| r.record).or_else(|| self.state.records.rows.get(&id).cloned());
        // A member not listed anywhere yet: one row by id.
        let read = || {
            let (workspace, record_type) = (self.workspace.as_ref()?, self.state.record_type.as_ref()?);
            workspace.record(record_type, id).ok().flatten()
        };
        let Some(record) = known.or_else(read) else {
            self.notify(NoticeLevel::Error, format!("Record #{id} could not be read; it may have been deleted"));
            return;
        };
        // Opened where the user is: the form shows over the current screen.
        self.state.records.rows.insert(id, record);
        let effects = crate::state::records::start_edit(&mut self.state, id);
        self.run_effects(effects);
    }

    /// Asks the records worker for records to offer in a condition's record picker.
    pub(super) fn search_records(&mut self, node: NodeId, record_type: RecordTypeName, text: String) {
        let picker = self.state.record_picker.get_or_insert_with(|| crate::state::RecordPicker {
            node,
            record_type: record_type.clone(),
            text: String::new(),
            results: Loadable::default(),
        });
        if picker.node != node || picker.record_type != record_type {
            *picker = crate::state::RecordPicker {
                node,
                record_type: record_type.clone(),
                text: String::new(),
                results: Loadable::default(),
            };
        }
        picker.text.clone_from(&text);
        picker.results.start_over();
        self.generations.search += 1;
        let request = Request::Search { generation: self.generations.search, record_type, text, limit: 50 };
        if !self.records_worker.as_ref().is_some_and(|w| w.send(request)) {
            picker.results.fail("The record search is busy or stopped; type again".to_owned());
        }
    }
}
