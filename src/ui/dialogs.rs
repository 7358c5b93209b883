//! Modal dialogs: workspace path (open / create), confirmations.

use crate::state::ConditionsCommand;
use crate::state::RecordsCommand;
use crate::state::SegmentsCommand;
use egui::RichText;

use crate::domain::{FieldKind, Impact, RecordTypeDef, SegmentId};
use crate::state::import::ImportCommand;
use crate::state::{AppState, Command, Dialog, Loadable, PathPurpose};
use crate::state::{FieldForm, ImpactDialog, ImportForm, LifecycleAction, RecordTypeForm, SegmentForm};

use super::theme;

pub fn dialog_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let Some(dialog) = &state.dialog else { return };
    let modal = egui::Modal::new(egui::Id::unique("dialog")).show(ui.ctx(), |ui| {
        ui.set_width(480.0);
        match dialog {
            Dialog::WorkspacePath { purpose, text, error } => {
                path_dialog_ui(ui, *purpose, text, error.as_deref(), commands);
            }
            Dialog::ConfirmCreate { path } => {
                ui.heading("Create workspace?");
                ui.label(format!("There is no workspace at {}.", path.display()));
                ui.label("Create a new, empty workspace there?");
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui.button("Create workspace").clicked() {
                        commands.push(Command::CreateWorkspace(path.clone()));
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CloseDialog);
                    }
                });
            }
            Dialog::AddField(form) => add_field_ui(ui, state, form, commands),
            Dialog::AddRecordType(form) => add_record_type_ui(ui, form, commands),
            Dialog::SegmentForm(form) => segment_form_ui(ui, state, form, commands),
            Dialog::ImportRecords(form) => import_ui(ui, state, form, commands),
            Dialog::ConfirmDeleteRecord { record_type, id, title } => {
                ui.heading("Delete record?");
                ui.label(format!("\"{title}\" (#{id}) will be deleted. This cannot be undone."));
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui.button("Delete").clicked() {
                        commands
                            .push(Command::from(RecordsCommand::Delete { record_type: record_type.clone(), id: *id }));
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CloseDialog);
                    }
                });
            }
            Dialog::Impact(dialog) => impact_ui(ui, state, dialog, commands),
            Dialog::ConfirmDeleteSegment { id, name, sequence } => {
                ui.heading("Delete segment?");
                ui.label(format!("\"{name}\" will be deleted. Its members leave it; this cannot be undone."));
                match sequence {
                    Some(sequence) => ui.label(format!("Connected sequence: {sequence} (running enrolments are kept)")),
                    None => ui.label("Connected sequence: none"),
                };
                ui.label("Assignment rules: 0 assignment rules will be removed");
                ui.label(RichText::new("Its history is kept").weak());
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui.button("Delete segment").clicked() {
                        commands.push(Command::Segments(SegmentsCommand::Delete(*id)));
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CloseDialog);
                    }
                });
            }
            Dialog::ExportMembers { segment, text, error, replace } => {
                let back = Dialog::ExportMembers { segment: *segment, text: text.clone(), error: None, replace: None };
                export_ui(ui, "Export members", text, error.as_deref(), replace.as_deref(), back, commands);
            }
            Dialog::ExportRecords { record_type, text, error, replace } => {
                let back = Dialog::ExportRecords {
                    record_type: record_type.clone(),
                    text: text.clone(),
                    error: None,
                    replace: None,
                };
                export_ui(ui, "Export records as filtered", text, error.as_deref(), replace.as_deref(), back, commands);
            }
            Dialog::Definitions(dialog) => super::definitions::dialog_ui(ui, dialog, commands),
            Dialog::UnsavedChanges { segment_name, .. } => {
                ui.heading("Save changes?");
                ui.label(format!("The conditions of \"{segment_name}\" have unsaved changes."));
                if let Some(error) = state.builder.as_ref().and_then(|b| b.save_error.as_deref()) {
                    ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
                }
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui.button("Save changes").clicked() {
                        commands.push(Command::Conditions(ConditionsCommand::SaveThenContinue));
                    }
                    if ui.button("Discard changes").clicked() {
                        commands.push(Command::Conditions(ConditionsCommand::DiscardThenContinue));
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CloseDialog);
                    }
                });
            }
        }
    });
    if modal.should_close() {
        commands.push(Command::CloseDialog);
    }
}

fn path_dialog_ui(
    ui: &mut egui::Ui,
    purpose: PathPurpose,
    text: &str,
    error: Option<&str>,
    commands: &mut Vec<Command>,
) {
    let (title, action) = match purpose {
        PathPurpose::Open => ("Open workspace", "Open"),
        PathPurpose::Create => ("New workspace", "Create"),
    };
    ui.heading(title);
    ui.label("Workspace file");
    ui.horizontal(|ui| {
        let mut path = text.to_owned();
        let response =
            ui.add(egui::TextEdit::singleline(&mut path).hint_text("/path/to/workspace.sqlite").desired_width(360.0));
        if response.changed() {
            commands.push(Command::SetDialogText(path));
        }
        if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            commands.push(Command::SubmitPathDialog);
        }
        if ui.button("Browse…").clicked() {
            commands.push(Command::BrowseForPath);
        }
    });
    submit_row_ui(ui, error, action, Command::SubmitPathDialog, commands);
}

fn add_field_ui(ui: &mut egui::Ui, state: &AppState, form: &FieldForm, commands: &mut Vec<Command>) {
    let type_label = state
        .view
        .as_ref()
        .and_then(|v| v.record_type(&form.record_type))
        .map(|t| t.label.to_lowercase())
        .unwrap_or_default();
    ui.heading(format!("Add a field to {type_label} records"));
    let mut edited = form.clone();
    egui::Grid::new("add_field").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
        let label = ui.label("Field name");
        ui.add(egui::TextEdit::singleline(&mut edited.label).hint_text("e.g. Preferred language").desired_width(300.0))
            .labelled_by(label.id);
        ui.end_row();
        ui.label("Kind");
        egui::ComboBox::from_id_salt("field_kind").selected_text(edited.kind.to_string()).width(300.0).show_ui(
            ui,
            |ui| {
                for kind in FieldKind::ALL {
                    ui.selectable_value(&mut edited.kind, kind, kind.to_string());
                }
            },
        );
        ui.end_row();
        match edited.kind {
            FieldKind::Choice => {
                let label = ui.label("Options");
                ui.add(
                    egui::TextEdit::multiline(&mut edited.choices)
                        .hint_text("One per line, or separated by commas")
                        .desired_rows(4)
                        .desired_width(300.0),
                )
                .labelled_by(label.id);
                ui.end_row();
            }
            FieldKind::Lookup => {
                let label = ui.label("Points at");
                let types = state.view.as_ref().map(|v| v.schema.types.as_slice()).unwrap_or_default();
                let shown = edited
                    .lookup_target
                    .as_ref()
                    .and_then(|t| types.iter().find(|d| &d.name == t))
                    .map_or("Pick a record type", |d| d.plural_label.as_str());
                egui::ComboBox::from_id_salt("lookup_target")
                    .selected_text(shown)
                    .width(300.0)
                    .show_ui(ui, |ui| {
                        for def in types {
                            ui.selectable_value(&mut edited.lookup_target, Some(def.name.clone()), &def.plural_label);
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
            }
            _ => {}
        }
    });
    if edited != *form {
        edited.error = None;
        commands.push(Command::UpdateDialog(Dialog::AddField(edited)));
    }
    submit_row_ui(ui, form.error.as_deref(), "Add field", Command::from(RecordsCommand::SubmitAddField), commands);
}

fn add_record_type_ui(ui: &mut egui::Ui, form: &RecordTypeForm, commands: &mut Vec<Command>) {
    ui.heading("New record type");
    ui.label(RichText::new("It starts with a Name field; add more fields on the Records screen").weak());
    let mut edited = form.clone();
    egui::Grid::new("add_type").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
        let label = ui.label("Name (singular)");
        ui.add(egui::TextEdit::singleline(&mut edited.label).hint_text("e.g. Project").desired_width(300.0))
            .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Name (plural)");
        ui.add(egui::TextEdit::singleline(&mut edited.plural_label).hint_text("e.g. Projects").desired_width(300.0))
            .labelled_by(label.id);
        ui.end_row();
    });
    if edited != *form {
        edited.error = None;
        commands.push(Command::UpdateDialog(Dialog::AddRecordType(edited)));
    }
    submit_row_ui(
        ui,
        form.error.as_deref(),
        "Create record type",
        Command::from(RecordsCommand::SubmitAddRecordType),
        commands,
    );
}

/// "New segment…" and "Copy…": problems show as the user types; Create stays off until the
/// form is fine (the store checks again).
fn segment_form_ui(ui: &mut egui::Ui, state: &AppState, form: &SegmentForm, commands: &mut Vec<Command>) {
    let Some(view) = &state.view else { return };
    let source = form.copy_of.and_then(|id| view.segment(id));
    match source {
        Some(source) => ui.heading(format!("Copy \"{}\"", source.name)),
        None => ui.heading("New segment"),
    };
    ui.label(RichText::new("It starts as a draft at the bottom of the priority order").weak());
    let mut edited = form.clone();
    let mut submit = false;
    egui::Grid::new("segment_form").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
        let label = ui.label("Segment name");
        let name = ui
            .add(
                egui::TextEdit::singleline(&mut edited.name)
                    .hint_text("e.g. Hot leads in Germany")
                    .desired_width(320.0),
            )
            .labelled_by(label.id);
        if name.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            submit = true;
        } else {
            // Ready to type as soon as the dialog opens: the name takes the focus unless a
            // widget of this dialog has it (the button that opened it keeps it otherwise).
            let focused = ui.memory(|m| m.focused());
            let focus_layer = focused.and_then(|id| ui.ctx().read_response(id)).map(|r| r.layer_id);
            if focus_layer != Some(ui.layer_id()) {
                name.request_focus();
            }
        }
        ui.end_row();
        let label = ui.label("Description");
        ui.add(
            egui::TextEdit::multiline(&mut edited.description)
                .hint_text("Optional")
                .desired_rows(3)
                .desired_width(320.0),
        )
        .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Applies to");
        if source.is_some() {
            // A copy keeps the conditions, which only fit their own record type.
            let shown =
                view.record_type(&form.record_type).map_or(form.record_type.as_str(), |d| d.plural_label.as_str());
            ui.label(shown);
        } else {
            let shown = view.record_type(&edited.record_type).map_or("", |d| d.plural_label.as_str()).to_owned();
            egui::ComboBox::from_id_salt("segment_record_type")
                .selected_text(shown)
                .width(320.0)
                .show_ui(ui, |ui| {
                    for def in &view.schema.types {
                        ui.selectable_value(&mut edited.record_type, def.name.clone(), &def.plural_label);
                    }
                })
                .response
                .labelled_by(label.id);
        }
        ui.end_row();
    });
    if edited != *form {
        edited.error = None;
        commands.push(Command::UpdateDialog(Dialog::SegmentForm(edited.clone())));
    }
    let problem = view.segment_form_problem(&edited.record_type, &edited.name, &edited.description);
    // An empty name needs no scolding before the user typed anything.
    let shown_problem = problem.as_deref().filter(|_| !edited.name.trim().is_empty()).or(form.error.as_deref());
    if let Some(problem) = shown_problem {
        ui.label(RichText::new(problem).color(theme::error_colour(ui.visuals())));
    }
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        let action = if source.is_some() { "Create copy" } else { "Create segment" };
        if ui.add_enabled(problem.is_none(), egui::Button::new(action)).clicked() || submit && problem.is_none() {
            commands.push(Command::Segments(SegmentsCommand::SubmitForm));
        }
        if ui.button("Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

/// The impact of a lifecycle action and the choice of applying it to existing records now
/// or only to records created or updated from now on.
/// The active segments whose conditions name a segment this changes (directly or through
/// others), which are evaluated again in the same run.
fn dependents_ui(ui: &mut egui::Ui, view: &crate::state::WorkspaceView, action: &LifecycleAction, impact: &Impact) {
    let all: Vec<&crate::domain::Segment> = view.segments.values().flatten().collect();
    let definitions = crate::domain::Definitions::of(all.iter().copied());
    let mut changed: std::collections::BTreeSet<SegmentId> =
        impact.joins.keys().chain(impact.leaves.keys()).copied().collect();
    changed.extend(impact.moves.keys().flat_map(|(from, to)| [*from, *to]));
    match action {
        LifecycleAction::Activate(id) | LifecycleAction::Reevaluate(id) => {
            changed.insert(*id);
        }
        LifecycleAction::Save(segment) => {
            changed.insert(segment.id);
        }
        LifecycleAction::Reorder { .. } => {}
    }
    let mut names: Vec<&str> = changed
        .iter()
        .flat_map(|id| definitions.users_of(*id))
        .filter_map(|id| all.iter().find(|s| s.id == id && s.status == crate::domain::Status::Active))
        .map(|s| s.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    if !names.is_empty() {
        ui.label(format!("Segments that use it are evaluated again in the same run: {}", names.join(", ")));
    }
}

fn impact_ui(ui: &mut egui::Ui, state: &AppState, dialog: &ImpactDialog, commands: &mut Vec<Command>) {
    let Some(view) = &state.view else { return };
    let name_of = |id: SegmentId| view.segment(id).map_or_else(|| format!("#{}", id.0), |s| s.name.clone());
    let plural = view.record_type(&dialog.record_type).map(|d| d.plural_label.to_lowercase()).unwrap_or_default();
    ui.heading(&dialog.title);
    if let Some(blocked) = &dialog.blocked {
        ui.label(RichText::new(blocked).color(theme::error_colour(ui.visuals())));
        ui.add_space(8.0);
        if ui.button("Close").clicked() {
            commands.push(Command::CloseDialog);
        }
        return;
    }
    ui.label(RichText::new("Impact on existing records").strong());
    match &dialog.impact {
        Loadable::Ready(outcome) => {
            let impact = &outcome.impact;
            match &dialog.action {
                LifecycleAction::Activate(id) => {
                    let accepts = view.segment(*id).is_some_and(|s| s.accept_from_other_segments);
                    activation_impact_ui(ui, impact, *id, accepts, &plural, &name_of);
                }
                _ => segments_impact_ui(ui, impact, &plural, &name_of),
            }
            if impact.claimed_by_higher > 0 {
                ui.label(format!(
                    "{} matching {plural} are claimed by higher-priority segments",
                    theme::thousands(impact.claimed_by_higher)
                ));
            }
            dependents_ui(ui, view, &dialog.action, impact);
        }
        Loadable::Pending { .. } => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(RichText::new("Computing the impact").weak());
            });
        }
        Loadable::Failed { error, .. } => {
            ui.label(
                RichText::new(format!("The impact could not be computed: {error}"))
                    .color(theme::error_colour(ui.visuals())),
            );
        }
    }
    ui.add_space(8.0);
    if dialog.action.offers_from_now_on() {
        ui.add_enabled_ui(!dialog.applying, |ui| {
            if ui.radio(dialog.apply_to_existing, "Apply to existing records now").clicked() {
                commands.push(Command::Segments(SegmentsCommand::ChooseApplyToExisting(true)));
            }
            if ui.radio(!dialog.apply_to_existing, "Only records created or updated from now on").clicked() {
                commands.push(Command::Segments(SegmentsCommand::ChooseApplyToExisting(false)));
            }
        });
    }
    ui.add_space(8.0);
    if dialog.applying {
        let (fraction, message) = state.job.as_ref().map_or((None, ""), |j| (j.fraction, j.message.as_str()));
        ui.add(egui::ProgressBar::new(fraction.unwrap_or(0.0)).show_percentage().animate(fraction.is_none()));
        if !message.is_empty() {
            ui.label(RichText::new(message).weak());
        }
        if ui.button("Cancel").clicked() {
            commands.push(Command::CancelJob);
        }
        return;
    }
    ui.horizontal(|ui| {
        // Applying to existing records needs the impact first; "from now on" does not.
        let ready = matches!(dialog.impact, Loadable::Ready(_)) || !dialog.apply_to_existing;
        if ui.add_enabled(ready, egui::Button::new("Apply")).clicked() {
            commands.push(Command::Segments(SegmentsCommand::ApplyLifecycle));
        }
        if ui.button("Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

fn activation_impact_ui(
    ui: &mut egui::Ui,
    impact: &Impact,
    segment: SegmentId,
    accepts: bool,
    plural: &str,
    name_of: &dyn Fn(SegmentId) -> String,
) {
    let joins = impact.joins.get(&segment).copied().unwrap_or(0);
    ui.label(format!("{} {plural} would join", theme::thousands(joins)));
    let moves = impact.moves_into(segment);
    if !accepts {
        ui.label(
            RichText::new("Members of other segments stay: it does not accept records from other segments").weak(),
        );
    } else if moves.is_empty() {
        ui.label(RichText::new("No member of another segment would move in").weak());
    }
    for (from, count) in moves {
        ui.label(format!("{} would move in from {}", theme::thousands(count), name_of(from)));
    }
}

fn segments_impact_ui(ui: &mut egui::Ui, impact: &Impact, plural: &str, name_of: &dyn Fn(SegmentId) -> String) {
    if impact.is_empty() {
        ui.label(format!("No existing {plural} would join, leave or move"));
        return;
    }
    let mut touched: Vec<SegmentId> = impact.joins.keys().chain(impact.leaves.keys()).copied().collect();
    touched.extend(impact.moves.keys().flat_map(|(from, to)| [*from, *to]));
    touched.sort();
    touched.dedup();
    egui::Grid::new("impact_per_segment").num_columns(5).spacing([12.0, 4.0]).striped(true).show(ui, |ui| {
        for heading in ["Segment", "Join", "Leave", "Move in", "Move out"] {
            ui.label(RichText::new(heading).strong());
        }
        ui.end_row();
        for id in touched {
            let moved_in: u64 = impact.moves_into(id).iter().map(|(_, n)| n).sum();
            let moved_out: u64 = impact.moves_out_of(id).iter().map(|(_, n)| n).sum();
            ui.label(name_of(id));
            ui.label(theme::thousands(impact.joins.get(&id).copied().unwrap_or(0)));
            ui.label(theme::thousands(impact.leaves.get(&id).copied().unwrap_or(0)));
            ui.label(theme::thousands(moved_in));
            ui.label(theme::thousands(moved_out));
            ui.end_row();
        }
    });
    for ((from, to), count) in &impact.moves {
        ui.label(format!("{} would move from {} to {}", theme::thousands(*count), name_of(*from), name_of(*to)));
    }
    ui.label(format!(
        "In all: {} join, {} leave, {} move",
        theme::thousands(impact.join_count()),
        theme::thousands(impact.leave_count()),
        theme::thousands(impact.move_count())
    ));
}

/// "Export CSV…": where to write the members.
/// An export's file, or, when that file exists, "Replace …?" with Replace and Cancel
/// (back to the file: `back` is the dialog without the question).
fn export_ui(
    ui: &mut egui::Ui,
    title: &str,
    text: &str,
    error: Option<&str>,
    replace: Option<&std::path::Path>,
    back: Dialog,
    commands: &mut Vec<Command>,
) {
    if let Some(path) = replace {
        ui.heading(title);
        replace_ui(ui, path, Command::Segments(SegmentsCommand::SubmitExport), Command::UpdateDialog(back), commands);
        return;
    }
    ui.heading(title);
    let label = ui.label("CSV file");
    ui.horizontal(|ui| {
        let mut path = text.to_owned();
        let response = ui
            .add(egui::TextEdit::singleline(&mut path).hint_text("/path/to/members.csv").desired_width(360.0))
            .labelled_by(label.id);
        if response.changed() {
            commands.push(Command::SetDialogText(path));
        }
        if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            commands.push(Command::Segments(SegmentsCommand::SubmitExport));
        }
        if ui.button("Browse…").clicked() {
            commands.push(Command::BrowseForPath);
        }
    });
    submit_row_ui(ui, error, "Export", Command::Segments(SegmentsCommand::SubmitExport), commands);
}

/// "Replace …?" for an export's file that exists: `replace` writes over it, `cancel` goes
/// back to choosing the file.
pub(super) fn replace_ui(
    ui: &mut egui::Ui,
    path: &std::path::Path,
    replace: Command,
    cancel: Command,
    commands: &mut Vec<Command>,
) {
    ui.label(RichText::new(format!("Replace {}?", path.display())).strong());
    ui.label("The file exists already; replacing it loses what it holds now");
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if ui.button("Replace").clicked() {
            commands.push(replace);
        }
        if ui.button("Cancel").clicked() {
            commands.push(cancel);
        }
    });
}

/// "Import CSV…": the file, the first rows with a field for each column, what to do with
/// existing ids, every problem, and progress with Cancel while it runs.
fn import_ui(ui: &mut egui::Ui, state: &AppState, form: &ImportForm, commands: &mut Vec<Command>) {
    use crate::domain::query::OnExisting;

    let Some(def) = state.view.as_ref().and_then(|v| v.record_type(&form.record_type)) else { return };
    ui.set_width(640.0);
    ui.heading(format!("Import {}", def.plural_label.to_lowercase()));
    let running = form.progress.is_some();
    let update = |edit: &dyn Fn(&mut ImportForm), commands: &mut Vec<Command>| update_import(form, edit, commands);
    ui.horizontal(|ui| {
        let label = ui.label("CSV file");
        let mut path = form.path.clone();
        let response = ui
            .add_enabled(
                !running,
                egui::TextEdit::singleline(&mut path).hint_text("/path/to/records.csv").desired_width(380.0),
            )
            .labelled_by(label.id);
        if response.changed() {
            update(&|f| f.path.clone_from(&path), commands);
        }
        if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            commands.push(Command::Import(ImportCommand::ReadFile));
        }
        if ui.add_enabled(!running, egui::Button::new("Browse…")).clicked() {
            commands.push(Command::Import(ImportCommand::BrowseFile));
        }
        if ui.add_enabled(!running && !form.path.trim().is_empty(), egui::Button::new("Read file")).clicked() {
            commands.push(Command::Import(ImportCommand::ReadFile));
        }
    });
    if !form.headers.is_empty() {
        ui.add_space(6.0);
        ui.label(RichText::new("Columns: each fills the field chosen for it").strong());
        import_mapping_ui(ui, def, form, commands);
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.label("Rows whose id exists");
            for (choice, label) in [(OnExisting::Update, "Update them"), (OnExisting::Skip, "Skip them")] {
                if ui.radio(form.on_existing == choice, label).clicked() {
                    update(&|f| f.on_existing = choice, commands);
                }
            }
        });
        let mut decimal_comma = form.decimal_comma;
        if ui.checkbox(&mut decimal_comma, "Numbers use a decimal comma (1.234,5)").changed() {
            update(&|f| f.decimal_comma = decimal_comma, commands);
        }
        let mut only_valid = form.only_valid;
        if ui.checkbox(&mut only_valid, "Import only the valid rows (leave out rows with problems)").changed() {
            update(&|f| f.only_valid = only_valid, commands);
        }
    }
    if let Some(error) = &form.error {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    if !form.problems.is_empty() {
        egui::ScrollArea::vertical().id_salt("import_problems").max_height(160.0).show(ui, |ui| {
            for problem in &form.problems {
                ui.label(RichText::new(problem).small().color(theme::error_colour(ui.visuals())));
            }
        });
    }
    if let Some((fraction, message)) = &form.progress {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(message);
        });
        if let Some(fraction) = fraction {
            ui.add(egui::ProgressBar::new(*fraction).show_percentage());
        }
    }
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if running {
            if ui.button("Cancel import").clicked() {
                commands.push(Command::Import(ImportCommand::Cancel));
            }
        } else {
            if ui.add_enabled(!form.headers.is_empty(), egui::Button::new("Import")).clicked() {
                commands.push(Command::Import(ImportCommand::Submit));
            }
            if ui.button("Cancel").clicked() {
                commands.push(Command::CloseDialog);
            }
        }
    });
}

/// The columns of the file, each with the field it fills and its first values.
fn import_mapping_ui(ui: &mut egui::Ui, def: &RecordTypeDef, form: &ImportForm, commands: &mut Vec<Command>) {
    use crate::interchange::csv_records::Target;

    egui::ScrollArea::vertical().max_height(220.0).show(ui, |ui| {
        egui::Grid::new("import_mapping").num_columns(3).striped(true).spacing([12.0, 4.0]).show(ui, |ui| {
            ui.label(RichText::new("Column").weak());
            ui.label(RichText::new("Field").weak());
            ui.label(RichText::new("First values").weak());
            ui.end_row();
            for (column, mapping) in form.mapping.iter().enumerate() {
                ui.label(&mapping.header);
                let shown = match &mapping.target {
                    None => "(leave out)".to_owned(),
                    Some(Target::Id) => "Id".to_owned(),
                    Some(Target::Field(name)) => def.field(name).map_or(name.to_string(), |f| f.label.clone()),
                };
                egui::ComboBox::from_id_salt(("import_column", column)).selected_text(shown).show_ui(ui, |ui| {
                    let mut choices: Vec<(Option<Target>, String)> =
                        vec![(None, "(leave out)".to_owned()), (Some(Target::Id), "Id".to_owned())];
                    choices.extend(def.fields.iter().map(|f| (Some(Target::Field(f.name.clone())), f.label.clone())));
                    for (target, label) in choices {
                        if ui.selectable_label(mapping.target == target, label).clicked() {
                            update_import(form, &|f| f.mapping[column].target.clone_from(&target), commands);
                        }
                    }
                });
                let values: Vec<&str> =
                    form.sample.iter().filter_map(|row| row.get(column)).map(String::as_str).take(3).collect();
                ui.add(egui::Label::new(RichText::new(values.join(" · ")).weak()).truncate());
                ui.end_row();
            }
        });
    });
}

/// Asks for the import form with `edit` made to it.
fn update_import(form: &ImportForm, edit: &dyn Fn(&mut ImportForm), commands: &mut Vec<Command>) {
    let mut copy = form.clone();
    edit(&mut copy);
    commands.push(Command::UpdateDialog(Dialog::ImportRecords(copy)));
}

/// The foot of a form: its error, if any, then the action button and Cancel.
pub(super) fn submit_row_ui(
    ui: &mut egui::Ui,
    error: Option<&str>,
    action: &str,
    submit: Command,
    commands: &mut Vec<Command>,
) {
    if let Some(error) = error {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if ui.button(action).clicked() {
            commands.push(submit);
        }
        if ui.button("Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}
