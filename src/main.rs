//! The command line: which workspace to open, or a subcommand to run without a window.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use segment_builder::app::{App, Startup, default_demo_path};
use segment_builder::cli::{
    PreviewTarget, SimulateArgs, apply_command, check_command, complete_step_command, explain_command,
    export_definitions_command, import_definitions_command, import_records_command, lint_command, overlap_command,
    preview_command, simulate_command, work_list_command,
};
use segment_builder::demo::DemoSpec;
use segment_builder::domain::format::DecimalMark;
use segment_builder::interchange::definitions_plan::OnClash;
use segment_builder::store::OnExisting;
use segment_builder::worker::export::Overwrite;

/// Segment Builder: build segments of CRM records, connect them to sequences and route
/// them to sellers. Everything lives in one SQLite workspace file.
#[derive(Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli {
    /// The workspace to open (created after asking when it does not exist). Without it,
    /// the demo workspace in your data directory opens, generated on first run.
    workspace: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write a demo workspace with generated records.
    Demo {
        /// Where to write it. Must not exist yet.
        path: PathBuf,
        /// How many leads to generate (accounts, contacts and opportunities scale along).
        #[arg(long, default_value_t = 10_000)]
        records: u64,
        /// The seed of the generator: the same seed gives the same workspace.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Import the rows of a CSV file into a record type: all of them, or none when any row
    /// has a problem (each is listed with its line and column).
    ImportRecords {
        /// The workspace.
        path: PathBuf,
        /// The record type, by its logical name (lead, account, …).
        #[arg(long = "type")]
        record_type: String,
        /// The CSV file: a header row naming fields by label or name, "id" optional.
        file: PathBuf,
        /// What to do with a row whose id is already in the workspace.
        #[arg(long, value_enum, default_value_t = Existing::Update)]
        on_existing: Existing,
        /// Numbers in the file use a decimal comma and points between thousands
        /// (`1.234,5` = 1234.5, `1,5` = 1.5). Without it a comma only separates thousands
        /// (`1,234.5`), and a number like `1,5` is refused with its line and column.
        #[arg(long)]
        decimal_comma: bool,
        /// Evaluate the imported records against the segments at this time (RFC 3339)
        /// instead of now.
        #[arg(long)]
        now: Option<jiff::Timestamp>,
    },
    /// Evaluate every active segment on every record, with priority, and write what changes:
    /// joins, moves and leaves (with history), assignment of the records that join. One
    /// transaction; prints per record type the records evaluated, joined, moved, left,
    /// unchanged, assigned and unassigned.
    Apply {
        /// The workspace.
        path: PathBuf,
        /// Evaluate at this time (RFC 3339) instead of now.
        #[arg(long)]
        now: Option<jiff::Timestamp>,
        /// Write nothing: print what would change, record by record (the file stays byte
        /// for byte as it was; an older workspace is refused instead of upgraded).
        #[arg(long)]
        dry_run: bool,
        /// Print JSON: {"now", "`dry_run`", "`record_types"`: [{"`record_type`", "evaluated",
        /// "joined", "moved", "left", "unchanged", "assigned", "unassigned"}], "changes":
        /// [{"`record_type`", "record", "change", "from", "to"}] (changes only in a dry run)}.
        #[arg(long)]
        json: bool,
    },
    /// Show the workspace settings, or change the ones given: the time zone relative dates
    /// are resolved in, how often the window evaluates date-based segments again, and how
    /// deeply conditions may nest.
    Settings {
        /// The workspace.
        path: PathBuf,
        /// An IANA time zone name ("Europe/Berlin").
        #[arg(long)]
        time_zone: Option<String>,
        /// Minutes between evaluations of date-based segments while a window is open (1–1440).
        #[arg(long)]
        interval_minutes: Option<u32>,
        /// How many levels condition groups may nest (1–64).
        #[arg(long)]
        nesting_limit: Option<usize>,
        /// Print JSON: {"`time_zone`", "`interval_minutes`", "`nesting_limit`"}.
        #[arg(long)]
        json: bool,
    },
    /// Why a record is (or is not) in each segment: every condition's result with the
    /// record's value, the segment it would join and the one it is in.
    Explain {
        /// The workspace.
        path: PathBuf,
        /// The record type, by its logical name (lead, account, …).
        #[arg(long = "type")]
        record_type: String,
        /// The record's id.
        #[arg(long)]
        record: i64,
        /// Evaluate at this time (RFC 3339) instead of now.
        #[arg(long)]
        now: Option<jiff::Timestamp>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write every definition (custom types and fields, attributes, sellers, teams,
    /// sequences, segments with conditions and priority) to one RON file; see
    /// docs/definitions-format.md.
    ExportDefinitions {
        /// The workspace.
        path: PathBuf,
        /// The RON file to write. Never the workspace or another SQLite database.
        file: PathBuf,
        /// Replace the file if it exists (without it, an existing file is refused).
        #[arg(long)]
        force: bool,
    },
    /// Read a definitions bundle (see docs/definitions-format.md) into a workspace: all of
    /// it after checking everything, or nothing, each problem listed with its place.
    ImportDefinitions {
        /// The workspace.
        path: PathBuf,
        /// The RON file to read.
        file: PathBuf,
        /// What to do with a definition whose name the workspace has already; without it,
        /// such clashes are listed and nothing is imported.
        #[arg(long, value_enum)]
        on_clash: Option<Clash>,
        /// Print JSON: {"lines": [{"kind", "name", "outcome"}]}.
        #[arg(long)]
        json: bool,
    },
    /// How many records a segment matches, how many of those higher active segments claim,
    /// and the first matches, newest first.
    Preview {
        /// The workspace.
        path: PathBuf,
        /// A stored segment, by name.
        #[arg(long, conflicts_with_all = ["record_type", "conditions"], required_unless_present = "conditions")]
        segment: Option<String>,
        /// The record type the conditions of `--conditions` test.
        #[arg(long = "type", requires = "conditions")]
        record_type: Option<String>,
        /// A condition tree in the RON form the workspace stores.
        #[arg(long, requires = "record_type")]
        conditions: Option<PathBuf>,
        /// How many of the first matching ids to list.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Evaluate at this time (RFC 3339) instead of now.
        #[arg(long)]
        now: Option<jiff::Timestamp>,
        /// Print JSON with the keys matches, `claimed_by_higher`, `would_join` and ids.
        #[arg(long)]
        json: bool,
    },
    /// How many records each pair of a record type's segments both match, in priority
    /// order (the diagonal: what each matches).
    Overlap {
        /// The workspace.
        path: PathBuf,
        /// The record type, by its logical name (lead, account, …).
        #[arg(long = "type")]
        record_type: String,
        /// Evaluate at this time (RFC 3339) instead of now.
        #[arg(long)]
        now: Option<jiff::Timestamp>,
        /// Print JSON: {"`record_type`", "segments": [{"priority", "name", "status",
        /// "matches"}], "shared": [[count, …], …], "`elapsed_ms`"}.
        #[arg(long)]
        json: bool,
    },
    /// What is wrong with the segments: shadowed by higher ones, conditions that can never
    /// hold together, matching no record today, the same definition or records as another,
    /// a condition that changes nothing.
    Lint {
        /// The workspace.
        path: PathBuf,
        /// Only this record type (every type with segments without it).
        #[arg(long = "type")]
        record_type: Option<String>,
        /// Evaluate at this time (RFC 3339) instead of now.
        #[arg(long)]
        now: Option<jiff::Timestamp>,
        /// Print JSON: {"`record_types`": [{"`record_type`", "segments": [{"priority",
        /// "segment", "status", "verdicts": [{"kind", "message", …}]}]}]}.
        #[arg(long)]
        json: bool,
    },
    /// Run a segment's assignment rules over a set of its members without writing anything:
    /// per seller the records they would get and their load against capacity, the
    /// unassigned by reason, and how fair the split is (see docs/simulator.md).
    Simulate {
        /// The workspace.
        path: PathBuf,
        /// The segment, by name.
        #[arg(long)]
        segment: String,
        /// members (all, decided again from scratch), unassigned, or recent (created in the
        /// last --days N days, from scratch).
        #[arg(long, default_value = "unassigned")]
        set: String,
        /// With --set recent: how many days back.
        #[arg(long)]
        days: Option<u32>,
        /// A what-if capacity, SELLER=N (name or id; N or none), repeatable.
        #[arg(long = "capacity")]
        capacities: Vec<String>,
        /// A seller (name or id) taken as away: gets no records, repeatable.
        #[arg(long)]
        away: Vec<String>,
        /// Decide at this time (RFC 3339) instead of now.
        #[arg(long)]
        now: Option<jiff::Timestamp>,
        /// Print JSON: the segment, set, days, now and counts (records, assigned,
        /// unassigned), a line per seller (id, name, records, `open_before`, `open_after`,
        /// capacity, eligible, away), `unassigned_by_reason` (reason, text, records) and
        /// fairness (`eligible_sellers`, min, max, `max_min_ratio`, gini).
        #[arg(long)]
        json: bool,
    },
    /// Check the whole workspace file for damage (`PRAGMA quick_check`) without changing it.
    Check {
        /// The workspace.
        path: PathBuf,
    },
    /// The steps of running enrolments that are due, overdue first: the seller's "up next"
    /// list.
    WorkList {
        /// The workspace.
        path: PathBuf,
        /// Only steps of records this seller (by email) owns.
        #[arg(long)]
        seller: Option<String>,
        /// Steps due at or before this time (RFC 3339); now when not given.
        #[arg(long)]
        due_before: Option<jiff::Timestamp>,
        /// At most this many steps (the total is counted anyway).
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Finish the current step of an enrolment (done, or skipped with --skip) and move it
    /// to its next step; the last step completes the enrolment.
    CompleteStep {
        /// The workspace.
        path: PathBuf,
        /// The enrolment, by its id (see work-list).
        #[arg(long)]
        enrolment: i64,
        /// Skip the step instead of marking it done.
        #[arg(long)]
        skip: bool,
        /// Finish it at this time (RFC 3339) instead of now.
        #[arg(long)]
        now: Option<jiff::Timestamp>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Clash {
    Skip,
    Replace,
    Rename,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Existing {
    Update,
    Skip,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    warn_of_network_share(cli.command.as_ref());
    match cli.command {
        Some(Cmd::Demo { path, records, seed }) => demo(path, records, seed),
        Some(Cmd::ImportRecords { path, record_type, file, on_existing, decimal_comma, now }) => {
            let on_existing = match on_existing {
                Existing::Update => OnExisting::Update,
                Existing::Skip => OnExisting::Skip,
            };
            let now = now.unwrap_or_else(segment_builder::clock::now);
            let mut progress = terminal_progress();
            let mark = if decimal_comma { DecimalMark::Comma } else { DecimalMark::Point };
            let imported = import_records_command(&path, &record_type, &file, on_existing, mark, now, &mut progress);
            if std::io::stderr().is_terminal() {
                eprint!("\r{:<50}\r", "");
            }
            match imported {
                Ok(report) => {
                    let summary = &report.summary;
                    println!(
                        "added {}, updated {}, skipped {}; {} joined a segment",
                        summary.inserted, summary.updated, summary.skipped, report.joined
                    );
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(Cmd::Apply { path, now, dry_run, json }) => {
            let now = now.unwrap_or_else(segment_builder::clock::now);
            finish(apply_command(&path, now, dry_run), json, segment_builder::cli::ApplyReport::to_text)
        }
        Some(Cmd::Settings { path, time_zone, interval_minutes, nesting_limit, json }) => {
            let change = segment_builder::cli::SettingsChange { time_zone, interval_minutes, nesting_limit };
            finish(segment_builder::cli::settings_command(&path, &change), json, segment_builder::cli::settings_text)
        }
        Some(Cmd::Explain { path, record_type, record, now, json }) => {
            let now = now.unwrap_or_else(segment_builder::clock::now);
            finish(
                explain_command(&path, &record_type, record, now),
                json,
                segment_builder::cli::ExplainReport::to_text,
            )
        }
        Some(Cmd::ExportDefinitions { path, file, force }) => {
            let overwrite = if force { Overwrite::Replace } else { Overwrite::Refuse };
            finish(export_definitions_command(&path, &file, overwrite), false, |summary| format!("{summary}\n"))
        }
        Some(Cmd::ImportDefinitions { path, file, on_clash, json }) => {
            let on_clash = on_clash.map(|c| match c {
                Clash::Skip => OnClash::Skip,
                Clash::Replace => OnClash::Replace,
                Clash::Rename => OnClash::Rename,
            });
            finish(import_definitions_command(&path, &file, on_clash, segment_builder::clock::now()), json, |report| {
                report.to_text()
            })
        }
        Some(Cmd::Preview { path, segment, record_type, conditions, limit, now, json }) => {
            let target = match (&segment, &record_type, &conditions) {
                (Some(name), _, _) => PreviewTarget::Segment(name),
                (None, Some(record_type), Some(file)) => PreviewTarget::Conditions { record_type, file },
                _ => {
                    eprintln!("error: give --segment NAME, or --type TYPE with --conditions FILE");
                    return ExitCode::from(2);
                }
            };
            let now = now.unwrap_or_else(segment_builder::clock::now);
            finish(preview_command(&path, target, now, limit), json, segment_builder::cli::PreviewReport::to_text)
        }
        Some(Cmd::Check { path }) => finish(check_command(&path), false, String::clone),
        Some(Cmd::Overlap { path, record_type, now, json }) => {
            let now = now.unwrap_or_else(segment_builder::clock::now);
            finish(overlap_command(&path, &record_type, now), json, segment_builder::cli::OverlapReport::to_text)
        }
        Some(Cmd::Lint { path, record_type, now, json }) => {
            let now = now.unwrap_or_else(segment_builder::clock::now);
            finish(lint_command(&path, record_type.as_deref(), now), json, segment_builder::cli::LintReport::to_text)
        }
        Some(Cmd::Simulate { path, segment, set, days, capacities, away, now, json }) => {
            let now = now.unwrap_or_else(segment_builder::clock::now);
            let report = segment_builder::cli::simulation_set(&set, days).and_then(|set| {
                let args = SimulateArgs { segment: &segment, set, capacities: &capacities, away: &away };
                simulate_command(&path, &args, now)
            });
            finish(report, json, segment_builder::cli::SimulateReport::to_text)
        }
        Some(Cmd::WorkList { path, seller, due_before, limit, json }) => {
            let now = segment_builder::clock::now();
            let report = work_list_command(&path, seller.as_deref(), due_before, now, limit);
            finish(report, json, segment_builder::cli::WorkListReport::to_text)
        }
        Some(Cmd::CompleteStep { path, enrolment, skip, now, json }) => {
            let now = now.unwrap_or_else(segment_builder::clock::now);
            let report = complete_step_command(&path, enrolment, skip, now);
            finish(report, json, segment_builder::cli::CompleteStepReport::to_text)
        }
        None => {
            let startup = match cli.workspace {
                Some(path) => Startup::Open(path),
                None => Startup::Demo(default_demo_path()),
            };
            window(startup)
        }
    }
}

/// One warning line on stderr when the command's workspace is on a network share.
fn warn_of_network_share(command: Option<&Cmd>) {
    let path = match command {
        Some(
            Cmd::ImportRecords { path, .. }
            | Cmd::Apply { path, .. }
            | Cmd::Settings { path, .. }
            | Cmd::Explain { path, .. }
            | Cmd::ExportDefinitions { path, .. }
            | Cmd::ImportDefinitions { path, .. }
            | Cmd::Preview { path, .. }
            | Cmd::Overlap { path, .. }
            | Cmd::Lint { path, .. }
            | Cmd::Simulate { path, .. }
            | Cmd::Check { path }
            | Cmd::WorkList { path, .. }
            | Cmd::CompleteStep { path, .. },
        ) => path,
        Some(Cmd::Demo { .. }) | None => return,
    };
    if let Some(warning) = segment_builder::store::network_share_warning(path) {
        eprintln!("warning: {warning}");
    }
}

/// A command's answer: `text` (or, with `--json`, the report as JSON) on stdout, or the
/// error on stderr with a failing exit code.
fn finish<R: serde::Serialize, E: std::fmt::Display>(
    result: Result<R, E>,
    json: bool,
    text: impl FnOnce(&R) -> String,
) -> ExitCode {
    match result {
        Ok(report) if json => print_json(&report),
        Ok(report) => {
            print!("{}", text(&report));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn print_json(report: &impl serde::Serialize) -> ExitCode {
    match serde_json::to_string(report) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Progress on the terminal (nothing when stderr is not one): the percentage and what is
/// being done, rewritten in place when the percentage changes.
fn terminal_progress() -> impl FnMut(Option<f32>, String) -> bool {
    let shown = std::io::stderr().is_terminal();
    let mut last_shown = -1i32;
    move |fraction: Option<f32>, message: String| {
        let percent = fraction.map_or(0, |f| (f * 100.0).round() as i32);
        if shown && percent != last_shown {
            last_shown = percent;
            eprint!("\r{percent:>3}%  {message:<40}");
            // Progress is best effort: a closed stderr must not stop the work.
            std::io::stderr().flush().ok();
        }
        true
    }
}

fn demo(path: PathBuf, records: u64, seed: u64) -> ExitCode {
    let spec = DemoSpec::with_leads(records, seed, segment_builder::clock::now());
    let started = std::time::Instant::now();
    let mut last_shown = -1i32;
    let mut progress = |fraction: f32, message: &str| {
        let percent = (fraction * 100.0).round() as i32;
        if percent != last_shown {
            last_shown = percent;
            eprint!("\r{percent:>3}%  {message:<40}");
            // Progress is best effort: a closed stderr must not stop the work.
            std::io::stderr().flush().ok();
        }
        true
    };
    match segment_builder::cli::create_lived_in_demo(&path, &spec, &mut progress) {
        Ok(()) => {
            eprintln!("\rwrote {} with {records} leads in {:.1} s", path.display(), started.elapsed().as_secs_f32());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("\nerror: {error}");
            ExitCode::FAILURE
        }
    }
}

fn window(startup: Startup) -> ExitCode {
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: egui::ViewportBuilder::default()
            .with_title("Segment Builder")
            .with_app_id("segment-builder")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([960.0, 600.0]),
        ..Default::default()
    };
    let result = eframe::run_native(
        "Segment Builder",
        options,
        Box::new(move |cc| {
            let recent = cc.storage.and_then(|s| eframe::get_value::<Vec<PathBuf>>(s, RECENT_KEY)).unwrap_or_default();
            let export_folder = cc.storage.and_then(|s| eframe::get_value::<PathBuf>(s, EXPORT_FOLDER_KEY));
            let mut app = App::new(startup, recent);
            app.set_export_folder(export_folder);
            Ok(Box::new(Window(app)))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: could not open a window: {error}");
            ExitCode::FAILURE
        }
    }
}

const RECENT_KEY: &str = "recent_workspaces";
const EXPORT_FOLDER_KEY: &str = "export_folder";

struct Window(App);

impl eframe::App for Window {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.0.ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, RECENT_KEY, &self.0.state().recent);
        if let Some(folder) = &self.0.state().export_folder {
            eframe::set_value(storage, EXPORT_FOLDER_KEY, folder);
        }
    }
}
