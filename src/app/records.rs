//! The Records screen: the query and its rows, the record form, Undo of record edits, and
//! new fields and record types.

use crate::domain::{FieldDef, Record, RecordId, RecordTypeDef, RecordTypeName, Value};
use crate::state::records::RecordsEffect;
use crate::worker::engine::{EngineRequest, EngineWorker, SavedRecord};
use crate::worker::records::{RecordsWorker, Request, Response};

use super::features::Runner;
use super::{App, Dialog, EngineStatus, Loadable, NoticeLevel, ROW_CACHE_LIMIT, UNDO_LIMIT};

impl Runner<RecordsEffect> for App {
    fn busy(&self) -> bool {
        self.state.records.ids.is_pending() && self.records_worker.is_some()
    }

    fn run(&mut self, effect: RecordsEffect) {
        match effect {
            RecordsEffect::Refresh => self.refresh_records(),
            RecordsEffect::FetchRows(ids) => self.fetch_rows(ids),
            RecordsEffect::Selected => self.sync_sequences(),
            RecordsEffect::Save { record_type, id, values } => self.save_record(record_type, id, values),
            RecordsEffect::Delete { record_type, id } => self.delete_record(&record_type, id),
            RecordsEffect::Undo => self.undo(),
            RecordsEffect::AddField { record_type, field } => self.add_field(&record_type, field),
            RecordsEffect::AddRecordType(def) => self.add_record_type(def),
        }
    }
}

impl App {
    /// Forgets the fetched Records rows (their stored values changed, e.g. owners set by
    /// assignment); the table asks for the rows it shows again.
    pub(super) fn forget_record_rows(&mut self) {
        self.state.records.rows.clear();
        self.pages.rows_requested.clear();
    }

    /// Asks for the ids of the current query (a new generation): from the engine's snapshot
    /// once it is loaded (milliseconds at a million records), else from the records worker
    /// scanning SQL. The engine answers after the record changes sent before, so the list
    /// holds what was just saved.
    pub(super) fn refresh_records(&mut self) {
        let Some(record_type) = self.state.record_type.clone() else { return };
        let Some(worker) = &self.records_worker else { return };
        self.generations.records += 1;
        self.pages.rows_requested.clear();
        self.state.records.ids.start_over();
        let generation = self.generations.records;
        let query = self.state.records.query.clone();
        let engine_ready = matches!(self.state.engine, EngineStatus::Ready { .. }) && !self.engine_restart_due();
        if engine_ready
            && let Some(engine) = &self.engine_worker
            && engine.send(EngineRequest::RecordIds {
                generation,
                record_type: record_type.clone(),
                query: query.clone(),
            })
        {
            return;
        }
        if !worker.send(Request::Query { generation, record_type, query }) {
            self.state.records.ids.fail("The records reader is busy or stopped; try again".to_owned());
        }
    }

    fn fetch_rows(&mut self, ids: Vec<RecordId>) {
        let Some(record_type) = self.state.record_type.clone() else { return };
        let Some(worker) = &self.records_worker else { return };
        let wanted: Vec<RecordId> = ids
            .into_iter()
            // Rows already loaded were left out by `state::records::apply`.
            .filter(|id| !self.pages.rows_requested.contains(id))
            .collect();
        if wanted.is_empty() {
            return;
        }
        let request = Request::Fetch { generation: self.generations.records, record_type, ids: wanted.clone() };
        if worker.send(request) {
            self.pages.rows_requested.extend(wanted);
        }
    }

    /// The ids of a query, from the records worker or the engine.
    pub(super) fn take_record_ids(
        &mut self,
        generation: u64,
        result: Result<Vec<RecordId>, crate::worker::WorkerError>,
    ) {
        if generation != self.generations.records {
            // An answer to an older question: the user has moved on.
            return;
        }
        match result {
            Ok(ids) => self.state.records.ids = Loadable::Ready(ids),
            Err(error) => self.state.records.ids.fail(error.to_string()),
        }
    }

    pub(super) fn take_records_response(&mut self, response: Response) {
        match response {
            Response::Ids { generation, result } => self.take_record_ids(generation, result),
            Response::Rows { generation, result } if generation == self.generations.records => match result {
                Ok(page) => {
                    let records = &mut self.state.records;
                    if records.rows.len() + page.rows.len() > ROW_CACHE_LIMIT {
                        records.rows.clear();
                        self.pages.rows_requested.clear();
                    }
                    for row in page.rows {
                        self.pages.rows_requested.remove(&row.id);
                        records.rows.insert(row.id, row);
                    }
                    records.titles.extend(page.titles);
                }
                Err(error) => self.notify(NoticeLevel::Error, format!("Could not load records: {error}")),
            },
            Response::Found { generation, result } if generation == self.generations.search => {
                let Some(picker) = &mut self.state.record_picker else { return };
                match result {
                    Ok(found) => {
                        for (id, title) in &found {
                            self.state.known_titles.insert((picker.record_type.clone(), *id), title.clone());
                        }
                        picker.results = Loadable::Ready(found);
                    }
                    Err(error) => picker.results.fail(error.to_string()),
                }
            }
            Response::Members { generation, offset, result } => self.take_members(generation, offset, result),
            Response::Sizes { generation, result } => self.take_sizes(generation, result),
            Response::OpenBySeller { generation, result } => self.take_open_by_seller(generation, result),
            Response::History { generation, result } if generation == self.generations.history => match result {
                Ok(entries) => self.state.history.entries = Loadable::Ready(entries),
                Err(error) => self.state.history.entries.fail(error.to_string()),
            },
            // An answer to an older question: the user has moved on.
            Response::Rows { .. } | Response::Found { .. } | Response::History { .. } => {}
        }
    }

    /// Stores the form's parsed values (a new record when `id` is `None`), with Undo.
    fn save_record(&mut self, record_type: RecordTypeName, id: Option<RecordId>, values: Vec<Value>) {
        let Some(workspace) = &mut self.workspace else { return };
        let Some(editor) = &mut self.state.records.editor else { return };
        let label = workspace.schema().get(&record_type).map_or_else(|| record_type.to_string(), |d| d.label.clone());
        let before = match id {
            Some(id) => match workspace.record(&record_type, id) {
                Ok(before) => before,
                Err(error) => {
                    editor.save_error = Some(error.to_string());
                    return;
                }
            },
            None => None,
        };
        let result = match id {
            Some(id) => {
                let record = Record { id, values };
                workspace.update_record(&record_type, &record).map(|()| (record, false))
            }
            None => workspace.insert_record(&record_type, values.clone()).map(|id| (Record { id, values }, true)),
        };
        match result {
            Ok((record, created)) => {
                let id = record.id;
                let before_values = before.clone();
                self.push_undo(match before {
                    Some(before) => UndoStep::Edited { record_type: record_type.clone(), before },
                    None => UndoStep::Added { record_type: record_type.clone(), id },
                });
                self.record_changed(&record_type, RecordChange::Saved { before: before_values, after: record });
                self.state.records.editor = None;
                self.state.records.rows.remove(&id);
                self.pages.rows_requested.remove(&id);
                self.state.records.selected = Some(id);
                if created && let Some(view) = &mut self.state.view {
                    *view.record_counts.entry(record_type).or_default() += 1;
                }
                let verb = if created { "added" } else { "saved" };
                self.notify(NoticeLevel::Info, format!("{label} #{id} {verb}"));
                self.refresh_records();
            }
            Err(error) => editor.save_error = Some(error.to_string()),
        }
    }

    fn delete_record(&mut self, record_type: &RecordTypeName, id: RecordId) {
        let Some(workspace) = &mut self.workspace else { return };
        let before = match workspace.record(record_type, id) {
            Ok(before) => before,
            Err(error) => {
                self.notify(NoticeLevel::Error, error.to_string());
                return;
            }
        };
        // Its membership goes with it (one row by key, read before).
        let segment = workspace.membership_of(record_type, id).ok().flatten();
        match workspace.delete_record(record_type, id) {
            Ok(()) => {
                if let (Some(segment), Some(view)) = (segment, &mut self.state.view)
                    && let Some(count) = view.member_counts.get_mut(&segment)
                {
                    *count = count.saturating_sub(1);
                }
                if let Some(record) = before {
                    self.push_undo(UndoStep::Deleted { record_type: record_type.clone(), record });
                }
                let label = self
                    .state
                    .view
                    .as_ref()
                    .and_then(|v| v.record_type(record_type))
                    .map_or_else(|| record_type.to_string(), |d| d.label.clone());
                if let Some(view) = &mut self.state.view
                    && let Some(count) = view.record_counts.get_mut(record_type)
                {
                    *count = count.saturating_sub(1);
                }
                self.state.records.rows.remove(&id);
                self.record_changed(record_type, RecordChange::Deleted(id));
                if self.state.records.selected == Some(id) {
                    self.state.records.selected = None;
                }
                self.notify(NoticeLevel::Info, format!("{label} #{id} deleted"));
                self.refresh_records();
            }
            Err(error) => self.notify(NoticeLevel::Error, error.to_string()),
        }
    }

    /// Tells the engine about a changed or deleted record and refreshes the preview.
    pub(super) fn record_changed(&mut self, record_type: &RecordTypeName, change: RecordChange) {
        if let Some(worker) = &self.engine_worker {
            let sent = match change {
                RecordChange::Saved { before, after } => {
                    // Evaluated against the active segments at once when it matters.
                    let segments =
                        self.state.view.as_ref().map(|v| v.segments_of(record_type).to_vec()).unwrap_or_default();
                    let saved = vec![SavedRecord { before, after }];
                    let job = worker.records_saved(record_type.clone(), saved, segments, self.clock.now());
                    self.jobs.saved.push((record_type.clone(), job));
                    true
                }
                RecordChange::Deleted(id) => {
                    worker.send(EngineRequest::Remove { record_type: record_type.clone(), id })
                }
            };
            if !sent {
                self.notify(
                    NoticeLevel::Error,
                    "The preview engine missed a change; reopen the workspace to refresh it",
                );
            }
        }
        self.request_preview();
    }

    pub(super) fn push_undo(&mut self, step: UndoStep) {
        self.undo.push(step);
        let excess = self.undo.len().saturating_sub(UNDO_LIMIT);
        self.undo.drain(..excess);
        self.state.undo = self.undo.last().map(|s| self.describe_undo(s));
    }

    pub(super) fn describe_undo(&self, step: &UndoStep) -> String {
        let label = |ty: &RecordTypeName| {
            self.state
                .view
                .as_ref()
                .and_then(|v| v.record_type(ty))
                .map_or_else(|| ty.to_string(), |d| d.label.to_lowercase())
        };
        match step {
            UndoStep::Added { record_type, id } => format!("Undo adding {} #{id}", label(record_type)),
            UndoStep::Edited { record_type, before } => format!("Undo editing {} #{}", label(record_type), before.id),
            UndoStep::Deleted { record_type, record } => format!("Undo deleting {} #{}", label(record_type), record.id),
        }
    }

    /// Takes back the newest record edit: removes an added record, restores an edited one's
    /// values, puts a deleted one back with its id.
    pub(super) fn undo(&mut self) {
        let Some(step) = self.undo.pop() else { return };
        let description = self.describe_undo(&step);
        self.state.undo = self.undo.last().map(|s| self.describe_undo(s));
        let Some(workspace) = &mut self.workspace else { return };
        let (record_type, result, change, count_delta) = match step {
            UndoStep::Added { record_type, id } => {
                let result = workspace.delete_record(&record_type, id);
                (record_type, result, RecordChange::Deleted(id), -1)
            }
            UndoStep::Edited { record_type, before } => {
                // What it holds now, so the engine sees which fields change back.
                let current = workspace.record(&record_type, before.id).ok().flatten();
                let result = workspace.update_record(&record_type, &before);
                (record_type, result, RecordChange::Saved { before: current, after: before }, 0)
            }
            UndoStep::Deleted { record_type, record } => {
                let result = workspace.restore_record(&record_type, &record);
                (record_type, result, RecordChange::Saved { before: None, after: record }, 1)
            }
        };
        match result {
            Ok(()) => {
                let id = match &change {
                    RecordChange::Saved { after, .. } => after.id,
                    RecordChange::Deleted(id) => *id,
                };
                if let Some(view) = &mut self.state.view {
                    let count = view.record_counts.entry(record_type.clone()).or_default();
                    *count = count.saturating_add_signed(count_delta);
                }
                self.state.records.rows.remove(&id);
                self.pages.rows_requested.remove(&id);
                self.record_changed(&record_type, change);
                self.notify(NoticeLevel::Info, format!("{description}: done"));
                self.refresh_records();
            }
            Err(error) => self.notify(NoticeLevel::Error, format!("{description} failed: {error}")),
        }
    }

    fn add_field(&mut self, record_type: &RecordTypeName, field: FieldDef) {
        let Some(workspace) = &mut self.workspace else { return };
        let label = field.label.clone();
        match workspace.add_field(record_type, field) {
            Ok(()) => {
                self.state.dialog = None;
                self.notify(NoticeLevel::Info, format!("Field \"{label}\" added"));
                self.schema_changed();
            }
            Err(error) => {
                if let Some(Dialog::AddField(form)) = &mut self.state.dialog {
                    form.error = Some(error.to_string());
                }
            }
        }
    }

    fn add_record_type(&mut self, def: RecordTypeDef) {
        let Some(workspace) = &mut self.workspace else { return };
        let (name, label) = (def.name.clone(), def.label.clone());
        match workspace.add_record_type(def) {
            Ok(()) => {
                self.state.dialog = None;
                self.notify(NoticeLevel::Info, format!("Record type \"{label}\" added"));
                self.schema_changed();
                self.select_record_type(name);
            }
            Err(error) => {
                if let Some(Dialog::AddRecordType(form)) = &mut self.state.dialog {
                    form.error = Some(error.to_string());
                }
            }
        }
    }

    /// After a type or field was added: the screens and the records reader see the new schema.
    pub(super) fn schema_changed(&mut self) {
        let Some(workspace) = &self.workspace else { return };
        let schema = workspace.schema().clone();
        if let Some(view) = &mut self.state.view {
            for def in &schema.types {
                view.segments.entry(def.name.clone()).or_default();
                view.record_counts.entry(def.name.clone()).or_default();
            }
            view.schema = schema;
        }
        if let Some(path) = self.state.view.as_ref().map(|v| v.path.clone()) {
            // The readers have their own connections and schema: start fresh ones.
            self.records_worker = Some(RecordsWorker::start(path.clone(), self.waker()));
            self.engine_worker = Some(EngineWorker::start(path, self.waker()));
            self.state.engine = EngineStatus::Loading { fraction: None, message: "Loading records".into() };
        }
        self.state.records.rows.clear();
        self.state.records.editor = None;
        self.pages.rows_requested.clear();
        // Stored records changed shape: old values no longer fit.
        self.undo.clear();
        self.state.undo = None;
        self.refresh_records();
    }
}

/// A record edit Undo can take back.
pub(super) enum UndoStep {
    Added { record_type: RecordTypeName, id: RecordId },
    Edited { record_type: RecordTypeName, before: Record },
    Deleted { record_type: RecordTypeName, record: Record },
}

pub(super) enum RecordChange {
    /// Created (`before` is `None`) or updated.
    Saved {
        before: Option<Record>,
        after: Record,
    },
    Deleted(RecordId),
}
