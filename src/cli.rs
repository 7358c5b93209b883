//! What the command-line subcommands do, without a window: each takes plain arguments,
//! returns a report or a message saying what is wrong and where, and never panics on a
//! user's file. `main.rs` parses the arguments and prints.

use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;

use crate::domain::condition_format::from_ron;
use crate::domain::{EvalContext, Group, RecordTypeName, Status};
use crate::engine::fast::compile;
use crate::engine::priority::{SortKey, preview_against};
use crate::store::Workspace;
use crate::worker::column_cache::load_with_cache;

mod apply;
mod settings;

pub use apply::{ApplyChange, ApplyReport, ApplyTypeReport, apply_command};
pub use settings::{SettingsChange, settings_command, settings_text};

mod check;
pub use check::check_command;

mod lint;
mod overlap;
pub use lint::{LintReport, SegmentLintLine, TypeLint, VerdictLine, lint_command};
pub use overlap::{OverlapLine, OverlapReport, overlap_command};

mod simulate;
pub use simulate::{
    SimulateArgs, SimulateReport, SimulatedFairness, SimulatedReason, SimulatedSeller, simulate_command, simulation_set,
};

mod worklist;
pub use worklist::{CompleteStepReport, WorkListReport, WorkRow, complete_step_command, work_list_command};

mod demo;
pub use demo::{BRIEF_EVALUATED_AGO, LIVED_IN_MAX_LEADS, create_briefly_lived_demo, create_lived_in_demo};

mod error;
pub use crate::domain::explain::{AssignmentExplained, ExplainReport, SegmentExplained};
pub use error::CliError;
use error::{in_workspace, refused};

/// What to preview: a stored segment by name, or conditions from a file for a record type.
pub enum PreviewTarget<'a> {
    Segment(&'a str),
    Conditions { record_type: &'a str, file: &'a Path },
}

/// The answer of `preview`, as printed (`--json` prints exactly these keys).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PreviewReport {
    pub matches: usize,
    pub claimed_by_higher: usize,
    pub would_join: usize,
    /// The first matching records, newest first.
    pub ids: Vec<i64>,
}

impl PreviewReport {
    pub fn to_text(&self) -> String {
        let ids: Vec<String> = self.ids.iter().map(i64::to_string).collect();
        format!(
            "matches            {}\nclaimed by higher  {}\nwould join         {}\nfirst ids          {}\n",
            self.matches,
            self.claimed_by_higher,
            self.would_join,
            ids.join(" ")
        )
    }
}

/// How many records a segment (or a tree in a file) matches, how many of those the active
/// segments above it claim, and its first matches newest first, at `now`. Conditions from
/// a file are previewed as a new segment at the bottom: every active segment is above it.
pub fn preview_command(
    path: &Path,
    target: PreviewTarget<'_>,
    now: Timestamp,
    limit: usize,
) -> Result<PreviewReport, CliError> {
    if !path.exists() {
        return Err(refused(format!("{}: no such workspace", path.display())));
    }
    // The conditions file first: a file refused never opens the workspace.
    let mut from_file = match &target {
        PreviewTarget::Conditions { file, .. } => {
            refuse_the_workspace(path, file)?;
            let text = std::fs::read_to_string(file).map_err(|e| refused(format!("{}: {e}", file.display())))?;
            Some(from_ron(&text).map_err(|e| refused(format!("{}: {e}", file.display())))?)
        }
        PreviewTarget::Segment(_) => None,
    };
    let workspace = open_unverified(path)?;
    let schema = workspace.schema().clone();
    let (record_type, conditions, own_priority) = match target {
        PreviewTarget::Segment(name) => {
            let mut found = Vec::new();
            for def in &schema.types {
                let segments = workspace.segments(&def.name)?;
                found.extend(segments.into_iter().filter(|s| s.name == name));
            }
            if found.len() > 1 {
                let types: Vec<String> = found.iter().map(|s| s.record_type.to_string()).collect();
                return Err(refused(format!(
                    "several segments are named \"{name}\" (for {}); rename one",
                    types.join(", ")
                )));
            }
            let segment = found
                .pop()
                .ok_or_else(|| refused(format!("{}: there is no segment named \"{name}\"", path.display())))?;
            (segment.record_type.clone(), segment.conditions.clone(), Some((segment.id, segment.priority)))
        }
        PreviewTarget::Conditions { record_type, file } => {
            let record_type = RecordTypeName::new(record_type);
            if schema.get(&record_type).is_none() {
                let known: Vec<&str> = schema.types.iter().map(|t| t.name.as_str()).collect();
                return Err(refused(format!(
                    "there is no record type \"{record_type}\" (the workspace has {})",
                    known.join(", ")
                )));
            }
            let tree =
                from_file.take().ok_or_else(|| refused(format!("{}: the conditions were not read", file.display())))?;
            (record_type, tree, None)
        }
    };
    let Some(def) = schema.get(&record_type) else {
        return Err(refused(format!("there is no record type \"{record_type}\"")));
    };
    let definitions = workspace.segment_definitions()?;
    let own_id = own_priority.map(|(id, _)| id);
    let problems = crate::domain::validate::validate_segment(
        &schema,
        def,
        &conditions,
        crate::domain::DEFAULT_MAX_DEPTH.max(workspace.settings()?.nesting_limit),
        &definitions,
        own_id,
    );
    if !problems.is_empty() {
        let lines: Vec<String> = problems
            .iter()
            .map(|p| {
                let place: Vec<String> = p.path.iter().map(|i| (i + 1).to_string()).collect();
                format!("  at {}: {p}", if place.is_empty() { "the root".to_owned() } else { place.join(".") })
            })
            .collect();
        return Err(refused(format!("the conditions have problems:\n{}", lines.join("\n"))));
    }
    let higher: Vec<Group> = workspace
        .segments(&record_type)?
        .into_iter()
        .filter(|s| {
            s.status == Status::Active && own_priority.is_none_or(|(id, priority)| s.priority < priority && s.id != id)
        })
        .map(|s| s.conditions)
        .collect();
    // The records from the column cache when it matches the file; the whole file is checked
    // only when they must be read from it. The unverified connection closes last.
    let verify = || workspace.verify().map_err(|e| in_workspace(path, &e));
    let (_, mut snapshot, _) = load_with_cache(path, &|_| {}, &verify)?;
    // What segment conditions read: the segments, and the stored memberships of the types
    // whose segments the trees name, directly or through the segments they name (none for
    // most trees: reading them all took a third of a cold preview at a million records).
    let mut named = std::collections::BTreeSet::new();
    for tree in std::iter::once(&conditions).chain(&higher) {
        for id in crate::domain::segment_test::named(tree) {
            named.extend(definitions.named_from(id));
            named.insert(id);
        }
    }
    let read: std::collections::BTreeSet<&RecordTypeName> =
        named.iter().filter_map(|&id| definitions.get(id)).map(|d| &d.record_type).collect();
    let read: Vec<RecordTypeName> =
        schema.types.iter().filter(|t| read.contains(&t.name)).map(|t| t.name.clone()).collect();
    for (ty, pairs) in read.iter().zip(workspace.memberships_of_types(&read)?) {
        snapshot.set_memberships(ty, pairs)?;
    }
    snapshot.set_definitions(definitions);
    drop(workspace);
    let ctx = EvalContext::new(now, snapshot.time_zone().clone());
    let edited = compile(&snapshot, &record_type, &conditions, &ctx)?;
    let compiled = higher.iter().map(|g| compile(&snapshot, &record_type, g, &ctx)).collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<_> = compiled.iter().collect();
    let result = preview_against(&snapshot, &edited, &refs, &SortKey::newest_first(), limit);
    Ok(PreviewReport {
        matches: result.matches,
        claimed_by_higher: result.claimed_by_higher,
        would_join: result.would_join,
        ids: result.first.iter().map(|id| id.0).collect(),
    })
}

/// `import-records`: the rows of a CSV file into a record type, all or nothing. Every column
/// must match a field (by label or name) or be "id"; every problem is reported with its line
/// and column, and then nothing is written. The file streams through (see
/// [`crate::worker::import`]); `progress(fraction, message)` shows how far it is.
pub fn import_records_command(
    path: &Path,
    record_type: &str,
    file: &Path,
    on_existing: crate::store::OnExisting,
    decimal_mark: crate::domain::format::DecimalMark,
    now: Timestamp,
    progress: &mut dyn FnMut(Option<f32>, String) -> bool,
) -> Result<ImportReport, CliError> {
    use crate::domain::membership::fields_used_by_active;
    use crate::interchange::csv_records::{auto_map, headers};
    use crate::worker::import::{ImportRequest, import_csv};
    use std::io::Read as _;

    if !path.exists() {
        return Err(refused(format!("{}: no such workspace", path.display())));
    }
    refuse_the_workspace(path, file)?;
    let in_file = |message: String| refused(format!("{}: {message}", file.display()));
    // The header row: the file's start is enough.
    let mut start = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(HEADER_BYTES).read_to_end(&mut start))
        .map_err(|e| in_file(e.to_string()))?;
    // Checked once, by the import itself before it writes (`import_csv`): this open reads
    // the schema and segments only (a second `quick_check` was 3 s at a million records).
    // An older workspace is still checked whole before its upgrade.
    let workspace = Workspace::open_checked_later(path).map_err(|e| CliError::workspace(path, e))?;
    if let Some(reason) = workspace.read_only_reason() {
        return Err(refused(reason));
    }
    let schema = workspace.schema().clone();
    let Some(def) = schema.get_by_str(record_type) else {
        let known: Vec<&str> = schema.types.iter().map(|t| t.name.as_str()).collect();
        return Err(refused(format!(
            "there is no record type \"{record_type}\" (the workspace has {})",
            known.join(", ")
        )));
    };
    let segments = workspace.segments(&def.name)?;
    let tz = jiff::tz::TimeZone::get(workspace.time_zone()).unwrap_or(jiff::tz::TimeZone::UTC);
    drop(workspace);
    let headers = headers(&start).map_err(|p| in_file(p.to_string()))?;
    if headers.iter().all(|h| h.is_empty()) {
        return Err(in_file("line 1: the file has no header row naming the fields".to_owned()));
    }
    let mapping = auto_map(def, &headers);
    let unknown: Vec<String> = mapping
        .iter()
        .filter(|m| m.target.is_none())
        .map(|m| format!("line 1, column \"{}\": {} has no such field", m.header, def.label))
        .collect();
    if !unknown.is_empty() {
        let fields: Vec<&str> = def.fields.iter().map(|f| f.label.as_str()).collect();
        return Err(in_file(format!("{}\n  (fields: id, {})", unknown.join("\n  "), fields.join(", "))));
    }
    let used_fields = fields_used_by_active(&segments);
    let request = ImportRequest {
        workspace: path,
        file,
        def,
        mapping: &mapping,
        on_existing,
        only_valid: false,
        time_zone: &tz,
        decimal_mark,
        used_fields: &used_fields,
    };
    let imported = import_csv(&request, progress).map_err(|lines| match lines.as_slice() {
        // What is wrong with the file, the workspace (its check: it is damaged) or both.
        [one]
            if one.starts_with(&file.display().to_string())
                || one.starts_with(&path.display().to_string())
                || one.starts_with("nothing was imported") =>
        {
            refused(one.clone())
        }
        _ => {
            let lines: Vec<String> = lines.iter().map(|p| format!("  {p}")).collect();
            in_file(format!("nothing was imported:\n{}", lines.join("\n")))
        }
    })?;
    if imported.summary.cancelled {
        return Err(in_file("the import was cancelled; nothing was imported".to_owned()));
    }
    // The import marked its records "still to evaluate" in its transaction: evaluated now
    // (with any an interrupted import left), or by the next open or apply if this fails.
    let joined = crate::worker::pending::finish_pending_at(path, now).map_err(|e| {
        refused(format!(
            "the records were imported, but evaluating them against the segments failed ({e}); the next apply or opening the workspace evaluates them"
        ))
    })?;
    Ok(ImportReport { summary: imported.summary, joined })
}

/// How much of a CSV file is read for its header row.
const HEADER_BYTES: u64 = 64 * 1024;

/// What `import-records` did: the rows written, and how many records joined (or moved to)
/// a segment because of it.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportReport {
    pub summary: crate::store::ImportSummary,
    pub joined: u64,
}

/// `explain`: for one record, every segment of its type in priority order with each
/// condition's result and the record's value there, the segment it would join and the one
/// it is in.
pub fn explain_command(path: &Path, record_type: &str, record: i64, now: Timestamp) -> Result<ExplainReport, CliError> {
    if !path.exists() {
        return Err(refused(format!("{}: no such workspace", path.display())));
    }
    let workspace = open_unverified(path)?;
    let schema = workspace.schema().clone();
    let Some(def) = schema.get_by_str(record_type) else {
        let known: Vec<&str> = schema.types.iter().map(|t| t.name.as_str()).collect();
        return Err(refused(format!(
            "there is no record type \"{record_type}\" (the workspace has {})",
            known.join(", ")
        )));
    };
    match workspace.explain_record(def, crate::domain::RecordId(record), now, None)? {
        Some(report) => Ok(report),
        None => Err(refused(format!("there is no {} #{record}", def.label.to_lowercase()))),
    }
}

/// Refuses to read the workspace itself as an input file, before any descriptor is opened
/// on it (closing one would drop the locks of this process's connections to it).
fn refuse_the_workspace(path: &Path, file: &Path) -> Result<(), CliError> {
    if crate::store::is_same_file(path, file) || crate::store::is_held_workspace(file) {
        return Err(refused(format!(
            "{}: this is the workspace itself, not an input file; choose another file",
            file.display()
        )));
    }
    Ok(())
}

/// Closes a workspace opened for a change, refusing the change when it was opened for
/// viewing only (its file or folder cannot be written).
pub(crate) fn refuse_read_only(workspace: Workspace) -> Result<(), CliError> {
    match workspace.read_only_reason() {
        Some(reason) => Err(refused(reason)),
        None => Ok(()),
    }
}

/// A reader on the workspace; an older workspace is first upgraded, as the app does when it
/// opens one (a foreign, corrupt or newer file is refused unchanged either way).
fn open_reader(path: &Path) -> Result<Workspace, CliError> {
    drop(Workspace::open(path).map_err(|e| CliError::workspace(path, e))?);
    Workspace::open_reader(path).map_err(|e| CliError::workspace(path, e))
}

/// A workspace for a command that only reads, without the check of the whole file (see
/// `Workspace::open_unverified`); an older workspace is upgraded first, as [`open_reader`]
/// does.
fn open_unverified(path: &Path) -> Result<Workspace, CliError> {
    match Workspace::open_unverified(path) {
        Ok(Some(workspace)) => Ok(workspace),
        Ok(None) => open_reader(path),
        Err(e) => Err(CliError::workspace(path, e)),
    }
}

/// `export-definitions`: the workspace's definitions bundle written to `file` (under a
/// temporary name, moved into place when complete). Never over the workspace, its side
/// files or any SQLite database; over an existing file only with `overwrite`
/// (`--force`). Returns what it holds, for the summary line.
pub fn export_definitions_command(
    path: &Path,
    file: &Path,
    overwrite: crate::worker::export::Overwrite,
) -> Result<String, CliError> {
    use crate::interchange::definitions::{bundle, to_ron};
    use crate::worker::export::{ExportError, Overwrite, TargetError, check_target, write_export};

    if !path.exists() {
        return Err(refused(format!("{}: no such workspace", path.display())));
    }
    // Refused before the workspace is even opened: nothing is read or written for nothing.
    match check_target(file, path, overwrite) {
        Err(TargetError::Exists(_)) if overwrite == Overwrite::Refuse => {
            return Err(refused(format!("{}: exists already; add --force to replace it", file.display())));
        }
        Err(error) => return Err(refused(error.to_string())),
        Ok(_) => {}
    }
    let workspace = open_reader(path)?;
    let definitions = workspace.all_definitions().map_err(|e| CliError::workspace(path, e))?;
    let bundle = bundle(&definitions.view());
    let text = to_ron(&bundle).map_err(refused)?;
    drop(workspace);
    write_export(file, path, overwrite, |out| {
        use std::io::Write as _;
        out.write_all(text.as_bytes()).map(Some).map_err(|e| ExportError::write(file, e))
    })?;
    Ok(format!(
        "wrote {}: {} record types with custom fields, {} attributes, {} sellers, {} teams, {} sequences, {} segments, {} assignment rules",
        file.display(),
        bundle.record_types.len(),
        bundle.attributes.len(),
        bundle.sellers.len(),
        bundle.teams.len(),
        bundle.sequences.len(),
        bundle.segments.len(),
        bundle.segments.iter().map(|s| s.rules.len()).sum::<usize>()
    ))
}

/// The answer of `import-definitions`: what happened to each definition of the bundle
/// (`--json` prints exactly this).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportDefinitionsReport {
    pub lines: Vec<crate::interchange::definitions_plan::Line>,
}

impl ImportDefinitionsReport {
    pub fn to_text(&self) -> String {
        use crate::interchange::definitions_plan::Outcome;
        let mut text = String::new();
        for line in &self.lines {
            text.push_str(&format!("{line}\n"));
        }
        let count = |f: fn(&Outcome) -> bool| self.lines.iter().filter(|l| f(&l.outcome)).count();
        text.push_str(&format!(
            "{} created, {} replaced, {} renamed, {} skipped, {} kept\n",
            count(|o| matches!(o, Outcome::Created)),
            count(|o| matches!(o, Outcome::Replaced)),
            count(|o| matches!(o, Outcome::Renamed { .. })),
            count(|o| matches!(o, Outcome::Skipped)),
            count(|o| matches!(o, Outcome::Kept)),
        ));
        text
    }
}

/// `import-definitions`: reads the bundle `file`, checks all of it against the workspace
/// and itself, and writes it in one transaction. Any problem — the file unreadable or
/// malformed (line and column), a version this build does not read, a dangling reference,
/// an invalid condition or rule, a name clash without `on_clash` — is answered with every
/// problem and its place, and the workspace is left untouched.
pub fn import_definitions_command(
    path: &Path,
    file: &Path,
    on_clash: Option<crate::interchange::definitions_plan::OnClash>,
    now: Timestamp,
) -> Result<ImportDefinitionsReport, CliError> {
    use crate::interchange::definitions::from_ron;
    use crate::interchange::definitions_plan::{PlanError, plan};

    let text = std::fs::read_to_string(file).map_err(|e| refused(format!("{}: {e}", file.display())))?;
    let bundle = from_ron(&text).map_err(|e| refused(format!("{}: {e}", file.display())))?;
    if !path.exists() {
        return Err(refused(format!("{}: no such file", path.display())));
    }
    let mut workspace = Workspace::open(path).map_err(|e| CliError::workspace(path, e))?;
    if let Some(reason) = workspace.read_only_reason() {
        return Err(refused(reason));
    }
    let current = workspace.all_definitions().map_err(|e| CliError::workspace(path, e))?;
    let planned = plan(&bundle, &current.view(), on_clash, now).map_err(|error| match error {
        PlanError::Clashes(clashes) => {
            let mut message = format!(
                "{}: {} name(s) the workspace has already; choose --on-clash skip, replace or rename:",
                file.display(),
                clashes.len()
            );
            for clash in clashes {
                message.push_str(&format!("\n  {clash}"));
            }
            refused(message)
        }
        PlanError::Problems(problems) => {
            let mut message = format!("{}: {} problem(s), nothing was imported:", file.display(), problems.len());
            for problem in problems {
                message.push_str(&format!("\n  {problem}"));
            }
            refused(message)
        }
    })?;
    workspace
        .import_definitions(&planned, now)
        .map_err(|e| refused(format!("{}: nothing was imported: {}", file.display(), in_workspace(path, &e))))?;
    Ok(ImportDefinitionsReport { lines: planned.lines })
}
