//! The Records screen: the query, the ids and rows fetched for it, the record form, its
//! commands and their pure handling ([`apply`]), which returns the [`RecordsEffect`]s the
//! app carries out (reading rows, storing, Undo, new fields and record types).

use std::collections::HashMap;

use jiff::Timestamp;

use super::effect::{Context, Effect};
use super::{AppState, Dialog, FieldForm, Loadable, NoticeLevel, RecordTypeForm};
use crate::domain::format::{format_value, parse_value};
use crate::domain::query::{RecordQuery, SortDirection};
use crate::domain::schema::logical_name_from_label;
use crate::domain::{FieldDef, FieldKind, FieldName, Record, RecordId, RecordTypeDef, RecordTypeName, Value};

/// The Records screen.
#[derive(Clone, Debug, Default)]
pub struct RecordsState {
    pub query: RecordQuery,
    /// The ids passing the filter, in the chosen order.
    pub ids: Loadable<Vec<RecordId>>,
    /// Rows fetched so far for the current query.
    pub rows: HashMap<RecordId, Record>,
    /// Titles of records that lookups point at, by type and id.
    pub titles: HashMap<(RecordTypeName, RecordId), String>,
    pub selected: Option<RecordId>,
    pub editor: Option<RecordEditor>,
}

/// The add / edit record form: one text input per field, parsed on every change.
#[derive(Clone, Debug)]
pub struct RecordEditor {
    pub record_type: RecordTypeName,
    /// `None` while adding a new record.
    pub id: Option<RecordId>,
    pub inputs: Vec<String>,
    /// A parse problem per field, shown under its input.
    pub problems: Vec<Option<String>>,
    /// Why the last save failed, if it did.
    pub save_error: Option<String>,
}

impl RecordEditor {
    pub fn has_problems(&self) -> bool {
        self.problems.iter().any(Option::is_some)
    }
}

/// What the Records screen, its record form and its schema dialogs ask for.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordsCommand {
    SetFilter(String),
    /// Sort by this field; asking again for the same field flips the direction.
    SortBy(FieldName),
    /// Rows the table wants to show but has not got yet.
    FetchRows(Vec<RecordId>),
    Select(RecordId),
    StartAdd,
    StartEdit(RecordId),
    SetInput {
        index: usize,
        text: String,
    },
    Save,
    CancelEdit,
    AskDelete(RecordId),
    Delete {
        record_type: RecordTypeName,
        id: RecordId,
    },
    /// Take back the newest record edit.
    Undo,
    ShowAddField,
    ShowAddRecordType,
    SubmitAddField,
    SubmitAddRecordType,
}

/// What the runner does for the Records screen: read, store and tell the engine.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordsEffect {
    /// Ask the records reader for the ids of the current query (a new generation).
    Refresh,
    /// Ask the records reader for these rows of the current query.
    FetchRows(Vec<RecordId>),
    /// The selected record changed: its enrolments are read again.
    Selected,
    /// Store the form's values: a new record when `id` is `None`.
    Save {
        record_type: RecordTypeName,
        id: Option<RecordId>,
        values: Vec<Value>,
    },
    Delete {
        record_type: RecordTypeName,
        id: RecordId,
    },
    Undo,
    AddField {
        record_type: RecordTypeName,
        field: FieldDef,
    },
    AddRecordType(RecordTypeDef),
}

/// Handles one Records command: the query, the form and its checks, the dialogs.
pub fn apply(state: &mut AppState, command: RecordsCommand, cx: &Context) -> Vec<Effect> {
    let effect = |effect: RecordsEffect| vec![Effect::Records(effect)];
    match command {
        RecordsCommand::SetFilter(filter) => {
            if state.records.query.filter == filter {
                return Vec::new();
            }
            state.records.query.filter = filter;
            effect(RecordsEffect::Refresh)
        }
        RecordsCommand::SortBy(field) => {
            let query = &mut state.records.query;
            query.sort = match query.sort.take() {
                Some((current, SortDirection::Ascending)) if current == field => {
                    Some((field, SortDirection::Descending))
                }
                _ => Some((field, SortDirection::Ascending)),
            };
            effect(RecordsEffect::Refresh)
        }
        RecordsCommand::FetchRows(mut ids) => {
            ids.retain(|id| !state.records.rows.contains_key(id));
            if ids.is_empty() { Vec::new() } else { effect(RecordsEffect::FetchRows(ids)) }
        }
        RecordsCommand::Select(id) => {
            state.records.selected = Some(id);
            effect(RecordsEffect::Selected)
        }
        RecordsCommand::StartAdd => {
            start_add(state, cx.now);
            Vec::new()
        }
        RecordsCommand::StartEdit(id) => start_edit(state, id),
        RecordsCommand::SetInput { index, text } => {
            set_input(state, index, text);
            Vec::new()
        }
        RecordsCommand::Save => save(state),
        RecordsCommand::CancelEdit => {
            state.records.editor = None;
            Vec::new()
        }
        RecordsCommand::AskDelete(id) => {
            if let Some(def) = state.current_type() {
                let title = state.records.rows.get(&id).map_or_else(|| format!("#{id}"), |r| record_title(def, r));
                state.dialog = Some(Dialog::ConfirmDeleteRecord { record_type: def.name.clone(), id, title });
            }
            Vec::new()
        }
        RecordsCommand::Delete { record_type, id } => {
            state.dialog = None;
            effect(RecordsEffect::Delete { record_type, id })
        }
        RecordsCommand::Undo => effect(RecordsEffect::Undo),
        RecordsCommand::ShowAddField => {
            if let Some(record_type) = state.record_type.clone() {
                state.dialog = Some(Dialog::AddField(FieldForm {
                    record_type,
                    label: String::new(),
                    kind: FieldKind::Text,
                    choices: String::new(),
                    lookup_target: None,
                    error: None,
                }));
            }
            Vec::new()
        }
        RecordsCommand::ShowAddRecordType => {
            state.dialog = Some(Dialog::AddRecordType(RecordTypeForm::default()));
            Vec::new()
        }
        RecordsCommand::SubmitAddField => {
            let Some(Dialog::AddField(form)) = &mut state.dialog else { return Vec::new() };
            match field_from_form(form) {
                Ok(field) => effect(RecordsEffect::AddField { record_type: form.record_type.clone(), field }),
                Err(error) => {
                    form.error = Some(error);
                    Vec::new()
                }
            }
        }
        RecordsCommand::SubmitAddRecordType => {
            let Some(Dialog::AddRecordType(form)) = &mut state.dialog else { return Vec::new() };
            match record_type_from_form(form) {
                Ok(def) => effect(RecordsEffect::AddRecordType(def)),
                Err(error) => {
                    form.error = Some(error);
                    Vec::new()
                }
            }
        }
    }
}

/// Opens an empty form for the current record type; "Created on" starts at `now`.
fn start_add(state: &mut AppState, now: Timestamp) {
    let Some(view) = &state.view else { return };
    let Some(def) = state.current_type() else { return };
    let inputs = def
        .fields
        .iter()
        .map(|f| {
            if f.kind == FieldKind::DateTime && f.name.as_str() == "created_on" {
                format_value(&Value::DateTime(now), &view.time_zone)
            } else {
                String::new()
            }
        })
        .collect::<Vec<_>>();
    let problems = vec![None; inputs.len()];
    let record_type = def.name.clone();
    state.records.editor = Some(RecordEditor { record_type, id: None, inputs, problems, save_error: None });
}

/// Opens the form on a fetched record of the current type.
pub fn start_edit(state: &mut AppState, id: RecordId) -> Vec<Effect> {
    let Some(view) = &state.view else { return Vec::new() };
    let Some(def) = state.current_type() else { return Vec::new() };
    let Some(record) = state.records.rows.get(&id) else {
        let text = format!("Record #{id} is not loaded yet; try again");
        return vec![Effect::Notify(NoticeLevel::Error, text)];
    };
    let inputs: Vec<String> = (0..def.fields.len())
        .map(|i| format_value(record.values.get(i).unwrap_or(&Value::Empty), &view.time_zone))
        .collect();
    let problems = vec![None; inputs.len()];
    let record_type = def.name.clone();
    state.records.selected = Some(id);
    state.records.editor = Some(RecordEditor { record_type, id: Some(id), inputs, problems, save_error: None });
    Vec::new()
}

/// Takes one field's text and checks it at once.
fn set_input(state: &mut AppState, index: usize, text: String) {
    let Some(view) = &state.view else { return };
    let Some(editor) = &mut state.records.editor else { return };
    let Some(field) = view.schema.get(&editor.record_type).and_then(|d| d.fields.get(index)) else { return };
    let problem = parse_value(field, &text, &view.time_zone).err();
    if let (Some(input), Some(slot)) = (editor.inputs.get_mut(index), editor.problems.get_mut(index)) {
        *input = text;
        *slot = problem;
        editor.save_error = None;
    }
}

/// Parses every field; the values are stored only when all of them parse.
fn save(state: &mut AppState) -> Vec<Effect> {
    let Some(view) = &state.view else { return Vec::new() };
    let Some(editor) = &mut state.records.editor else { return Vec::new() };
    let Some(def) = view.schema.get(&editor.record_type) else { return Vec::new() };
    let mut values = Vec::with_capacity(def.fields.len());
    for (index, field) in def.fields.iter().enumerate() {
        let input = editor.inputs.get(index).map(String::as_str).unwrap_or_default();
        match parse_value(field, input, &view.time_zone) {
            Ok(value) => values.push(value),
            Err(problem) => {
                if let Some(slot) = editor.problems.get_mut(index) {
                    *slot = Some(problem);
                }
            }
        }
    }
    if editor.has_problems() {
        editor.save_error = Some("Fix the fields marked in red, then save again".to_owned());
        return Vec::new();
    }
    vec![Effect::Records(RecordsEffect::Save { record_type: editor.record_type.clone(), id: editor.id, values })]
}

/// The field a form describes, or what is wrong with it.
pub fn field_from_form(form: &FieldForm) -> Result<FieldDef, String> {
    let label = form.label.trim();
    if label.is_empty() {
        return Err("Give the field a name".to_owned());
    }
    let name = logical_name_from_label(label);
    let mut field = FieldDef::new(&name, label, form.kind);
    match form.kind {
        FieldKind::Choice => {
            field.choices = form
                .choices
                .split(['\n', ','])
                .map(str::trim)
                .filter(|option| !option.is_empty())
                .map(str::to_owned)
                .collect();
            if field.choices.is_empty() {
                return Err("A choice field needs at least one option".to_owned());
            }
        }
        FieldKind::Lookup => {
            field.lookup_target = Some(form.lookup_target.clone().ok_or("Pick the record type the lookup points at")?);
        }
        _ => {}
    }
    Ok(field)
}

/// The custom record type a form describes (with a "Name" field), or what is wrong with it.
pub fn record_type_from_form(form: &RecordTypeForm) -> Result<RecordTypeDef, String> {
    let label = form.label.trim().to_owned();
    if label.is_empty() {
        return Err("Give the record type a name".to_owned());
    }
    let plural_label = match form.plural_label.trim() {
        "" => format!("{label}s"),
        plural => plural.to_owned(),
    };
    Ok(RecordTypeDef {
        name: RecordTypeName::new(logical_name_from_label(&label)),
        label,
        plural_label,
        primary_field: FieldName::new("name"),
        fields: vec![FieldDef::new("name", "Name", FieldKind::Text)],
        built_in: false,
    })
}

/// The title of a record: its primary field, or its id.
pub fn record_title(def: &RecordTypeDef, record: &Record) -> String {
    def.primary_index()
        .and_then(|i| record.values.get(i))
        .and_then(Value::as_text)
        .map_or_else(|| format!("#{}", record.id), str::to_owned)
}
