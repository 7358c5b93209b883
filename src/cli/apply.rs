//! `apply`: every active segment evaluated on every record, and what changes written — or,
//! with `--dry-run`, only listed.

use std::collections::HashMap;
use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;

use super::error::refused;
use super::{CliError, refuse_read_only};
use crate::domain::{EvalContext, EventKind, SegmentId, Status};
use crate::store::{StoreError, Workspace};
use crate::worker::engine::load_snapshot;

/// What `apply` did to one record type (`--json` prints exactly these keys).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ApplyTypeReport {
    pub record_type: String,
    /// Records evaluated: every record of the type.
    pub evaluated: u64,
    /// Joined a segment from none.
    pub joined: u64,
    /// Moved from one segment to another.
    pub moved: u64,
    /// Left their segment for none.
    pub left: u64,
    /// Stayed where they were.
    pub unchanged: u64,
    /// Of the records that joined (or moved into a segment that re-runs assignment), those
    /// a rule gave a seller …
    pub assigned: u64,
    /// … and those left without one (no rule or seller fits, or the segment has no rules).
    /// Both are 0 in a dry run, which runs no assignment.
    pub unassigned: u64,
    /// Members left unassigned earlier (stranded) that the retry placed with a seller: the
    /// scheduled run retries them, as capacity frees up and sellers come back. 0 in a dry run.
    pub retried: u64,
}

/// One membership change a dry run would make (`--json` prints exactly these keys).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApplyChange {
    pub record_type: String,
    pub record: i64,
    /// "join", "leave" or "move".
    pub change: String,
    /// The segment it leaves, by name.
    pub from: Option<String>,
    /// The segment it joins, by name.
    pub to: Option<String>,
}

/// The answer of `apply`: the record types that have active segments, in schema order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    pub now: String,
    /// Nothing was written: the counts and `changes` say what would change.
    pub dry_run: bool,
    pub record_types: Vec<ApplyTypeReport>,
    /// In a dry run, every change, by record type and record id; empty otherwise.
    pub changes: Vec<ApplyChange>,
}

impl ApplyReport {
    /// Whether any membership changed (or would).
    pub fn changed(&self) -> bool {
        self.record_types.iter().any(|t| t.joined + t.moved + t.left > 0)
    }

    pub fn to_text(&self) -> String {
        if self.record_types.is_empty() {
            return "no record type has an active segment; nothing to apply\n".to_owned();
        }
        let mut out = format!(
            "{:<16} {:>10} {:>9} {:>9} {:>9} {:>10} {:>9} {:>10}\n",
            "record type", "evaluated", "joined", "moved", "left", "unchanged", "assigned", "unassigned"
        );
        for t in &self.record_types {
            out.push_str(&format!(
                "{:<16} {:>10} {:>9} {:>9} {:>9} {:>10} {:>9} {:>10}\n",
                t.record_type, t.evaluated, t.joined, t.moved, t.left, t.unchanged, t.assigned, t.unassigned
            ));
        }
        if self.dry_run {
            for c in &self.changes {
                let from = c.from.as_deref().unwrap_or("(none)");
                let to = c.to.as_deref().unwrap_or("(none)");
                out.push_str(&format!("would {} {} #{}: {from} -> {to}\n", c.change, c.record_type, c.record));
            }
            out.push_str("dry run: nothing was written\n");
        } else if !self.changed() {
            out.push_str("no membership changed\n");
        }
        for t in self.record_types.iter().filter(|t| t.retried > 0) {
            out.push_str(&format!("{} stranded {} records placed with a seller\n", t.retried, t.record_type));
        }
        out
    }
}

/// `apply`: every active segment evaluated on every record with priority (the engine's
/// "re-evaluate all records" of each record type), and the joins, moves and leaves that
/// calls for written in ONE transaction through the store, which assigns (and enrols) the
/// records that join. An older workspace is upgraded first; a failure changes nothing.
///
/// With `dry_run` nothing is written, not even an upgrade (an older workspace is refused)
/// or the records an interrupted import left: the report lists every change that would be
/// made, and the file stays byte for byte as it was.
///
/// The whole-file check is skipped when the file's pages are the ones the last check or
/// apply left a receipt of (see [`Workspace::check_unless_unchanged`]); an apply leaves the
/// receipt of what it wrote when nothing else wrote meanwhile.
pub fn apply_command(path: &Path, now: Timestamp, dry_run: bool) -> Result<ApplyReport, CliError> {
    let access = Access {
        open: Workspace::open_checked_later,
        check: Some(|path| Workspace::check_unless_unchanged(path).map(drop)),
        write: Workspace::open_checked_later,
        load: |path| load_snapshot(path, &|_| {}),
        checkpoint_beside: true,
    };
    apply_opened_by(path, now, dry_run, &access)
}

/// How [`apply_command`] opens the workspace.
pub(crate) type Opener = fn(&Path) -> Result<Workspace, crate::store::StoreError>;

/// How [`apply_command`] checks the whole file ([`Workspace::check_unless_unchanged`]).
pub(crate) type Checker = fn(&Path) -> Result<(), crate::store::StoreError>;

/// How [`apply_command`] opens, checks and reads the workspace: a user's is opened with
/// its header, identity and schema checked (an older one is checked whole before its
/// upgrade), checked whole on a thread of its own while its records are read, evaluated
/// and written, committed once that check passed, and read through the column cache. The
/// demo's file in the making is none of the user's (see [`Workspace::create_scratch`]).
pub(crate) struct Access {
    /// The first open, which upgrades an older workspace.
    pub open: Opener,
    /// The whole-file check, which every commit waits for; none for a file this process
    /// made. With one, the apply leaves the receipt of what it wrote.
    pub check: Option<Checker>,
    /// The open that writes the changes.
    pub write: Opener,
    pub load: Loader,
    /// Whether the write-ahead log is copied back into the file beside the retry of the
    /// stranded members, instead of in the commit of the changes (a file in WAL mode).
    pub checkpoint_beside: bool,
}

/// The copy of an apply's committed changes from the write-ahead log back into the file,
/// on a connection and thread of its own while the apply goes on; joined when dropped.
/// One that cannot run loses nothing: the changes are committed, and the next checkpoint
/// (at the latest the last connection's close) copies them.
struct Checkpointing(Option<std::thread::JoinHandle<()>>);

impl Checkpointing {
    fn start(path: &Path) -> Self {
        let path = path.to_owned();
        Self(Some(std::thread::spawn(move || {
            Workspace::checkpoint_beside(&path).ok();
        })))
    }
}

impl Drop for Checkpointing {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.join().ok();
        }
    }
}

/// How long a write-ahead log is for a digest to wait until it is copied back into the
/// file: until then a reader looks every page it reads up in the log (one table per 4,096
/// logged pages), after it reads the file alone. The digest after a ten-million-record
/// apply (a 1.7 GB log) took 16 s beside the copy and 4 s after it; after a million
/// records (170 MB) beside is quicker.
const LONG_LOG_BYTES: u64 = 512 << 20;

/// After an apply's commit, on threads of their own beside the retry: the copy of the
/// write-ahead log back into the file, when the apply defers it, and the receipt's digest
/// of the pages (good unless the retry writes), when it leaves one. After a long log the
/// digest is taken once the log is copied back.
fn copy_and_digest_beside(
    workspace: &Workspace,
    access: &Access,
    path: &Path,
) -> (Option<Checkpointing>, Option<crate::store::DigestBeside>) {
    let copy_first =
        access.checkpoint_beside && access.check.is_some() && crate::store::log_bytes(path) > LONG_LOG_BYTES;
    let checkpointing = (access.checkpoint_beside && !copy_first).then(|| Checkpointing::start(path));
    let digest = match access.check {
        None => None,
        Some(_) if copy_first => {
            let path = path.to_owned();
            workspace.digest_after(move || drop(Workspace::checkpoint_beside(&path)))
        }
        Some(_) => workspace.digest_beside(),
    };
    (checkpointing, digest)
}

/// The whole-file check of an apply, running beside its reading, evaluating and writing (at
/// a million records each takes about as long as the check). Dropped, it waits for the
/// check, so no thread outlives the apply.
struct Checking(Option<std::thread::JoinHandle<Result<(), crate::store::StoreError>>>);

impl Checking {
    fn start(check: Option<Checker>, path: &Path) -> Self {
        Self(check.map(|check| {
            let path = path.to_owned();
            std::thread::spawn(move || check(&path))
        }))
    }

    /// [`Checking::passed`] for a store function that asks before it writes or commits:
    /// whether it may, a failure kept in `failed` to be reported once it has stopped.
    fn passed_or_keep(&mut self, path: &Path, failed: &mut Option<CliError>) -> bool {
        match self.passed(path) {
            Ok(()) => true,
            Err(error) => {
                *failed = Some(error);
                false
            }
        }
    }

    /// Waits for the check: a damaged file refuses the apply before anything is committed.
    fn passed(&mut self, path: &Path) -> Result<(), CliError> {
        match self.0.take().map(std::thread::JoinHandle::join) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(error))) => Err(CliError::workspace(path, error)),
            Some(Err(_)) => {
                Err(refused(format!("{}: checking the workspace failed; nothing was changed", path.display())))
            }
        }
    }
}

impl Drop for Checking {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            // Only waited for here: the apply already failed or finished.
            handle.join().ok();
        }
    }
}

/// How [`apply_command`] reads the records into the engine: through the column cache
/// ([`load_snapshot`]); the demo, whose file is new and whose cache the apply's own writes
/// would make stale at once, builds them from SQL without writing one.
pub(crate) type Loader = fn(&Path) -> Result<(Workspace, crate::engine::Snapshot), crate::worker::WorkerError>;

/// [`apply_command`], opening and reading the workspace as `access` says.
pub(crate) fn apply_opened_by(
    path: &Path,
    now: Timestamp,
    dry_run: bool,
    access: &Access,
) -> Result<ApplyReport, CliError> {
    use crate::domain::{LifecyclePlan, MembershipChanges};
    use crate::engine::membership::{MemberColumn, evaluate_memberships};
    use crate::worker::engine::load_memberships;

    if !path.exists() {
        return Err(refused(format!("{}: no such workspace", path.display())));
    }
    let mut checking = Checking(None);
    // The connection that writes, and how many commits of others it had seen before the
    // check began: one more by the end means no receipt.
    let mut writer = None;
    if dry_run {
        drop(Workspace::open_reader(path).map_err(|e| CliError::workspace(path, e))?);
    } else {
        // Upgrades an older workspace; a foreign, corrupt or newer one is refused unchanged.
        refuse_read_only((access.open)(path).map_err(|e| CliError::workspace(path, e))?)?;
        let workspace = (access.write)(path).map_err(|e| CliError::workspace(path, e))?;
        let seen = workspace.commits_seen().map_err(|e| CliError::workspace(path, e))?;
        writer = Some((workspace, seen));
        checking = Checking::start(access.check, path);
        // First the records an interrupted import left unevaluated, with their own reasons.
        let pending = |e: crate::worker::WorkerError| {
            refused(format!("{}: evaluating the records an import left unevaluated: {e}", path.display()))
        };
        if crate::worker::pending::pending_upto(path).map_err(pending)?.is_some() {
            checking.passed(path)?;
            crate::worker::pending::finish_pending_at(path, now).map_err(pending)?;
        }
    }
    // What the retry's narrowing is true of: the file as no other program changed it since.
    let loaded_at = writer.as_ref().map(|(w, _)| w.commits_seen()).transpose();
    let loaded_at = loaded_at.map_err(|e| CliError::workspace(path, e))?;
    let (reader, mut snapshot) = (access.load)(path)?;
    let mut memberships = load_memberships(&reader, &mut snapshot)?;
    let ctx = EvalContext::new(now, snapshot.time_zone().clone());
    // Per record type with active segments: how many records, and the changes.
    let mut evaluated = Vec::new();
    let mut all: Vec<MembershipChanges> = Vec::new();
    let mut names: HashMap<SegmentId, String> = HashMap::new();
    let types: Vec<crate::domain::RecordTypeName> = snapshot.schema().types.iter().map(|t| t.name.clone()).collect();
    let types = snapshot.definitions().type_order(&types);
    for name in &types {
        let segments = reader.segments(name)?;
        names.extend(segments.iter().map(|s| (s.id, s.name.clone())));
        if !segments.iter().any(|s| s.status == Status::Active) {
            continue;
        }
        let plan = LifecyclePlan::reevaluate_all(name.clone(), segments, now);
        let empty = MemberColumn::default();
        let members = memberships.column(name).unwrap_or(&empty);
        let found =
            evaluate_memberships(&snapshot, &plan.record_type, &plan.segments, members, plan.scope, None, &ctx)?;
        let records = snapshot.type_snapshot(name).map_or(0, |t| t.live_count()) as u64;
        evaluated.push(records);
        // The types evaluated after this one see its new members ("is in segment X").
        let column = memberships.column_mut(name);
        column.apply(&snapshot, &found.changes);
        crate::engine::membership::share_members(&mut snapshot, name, column);
        all.push(found.changes);
    }
    // Only an apply that writes opened its writer. It keeps the engine: the retry of the
    // stranded members finds there those a seller could take.
    let Some((mut workspace, seen)) = writer else {
        return Ok(dry_run_report(now, &evaluated, &all, &names));
    };
    if access.checkpoint_beside {
        workspace.defer_checkpoints().map_err(|e| CliError::workspace(path, e))?;
    }
    // No membership changes: the stranded members are as the last run left them, so they
    // are retried now, beside the check, which the retry waits for only before writing.
    let engine = Evaluation { snapshot: &snapshot, memberships: &memberships, ctx: &ctx, loaded_at };
    let retried_early = if all.iter().all(MembershipChanges::is_empty) {
        Some(retry_while_checking(&mut workspace, &all, now, &mut checking, path, &engine)?)
    } else {
        None
    };
    let mark = workspace.assignment_mark().map_err(|e| CliError::workspace(path, e))?;
    let impacts = write_once_checked(&mut workspace, &all, now, &mut checking, path, reader)?;
    let (_checkpointing, digest) = copy_and_digest_beside(&workspace, access, path);
    let mut record_types = written_reports(&workspace, &evaluated, &all, impacts, mark, path)?;
    // Then the members still stranded from earlier runs, written only when placed.
    for (index, report) in record_types.iter_mut().enumerate() {
        report.retried = match &retried_early {
            Some(early) => early.get(index).copied().unwrap_or(0),
            None => engine
                .retry(&mut workspace, &report.record_type, now, mark)
                .map_err(|e| CliError::workspace(path, e))?,
        };
    }
    // Freed while the digest and the copy back into the file still run, not after them
    // (over a second at ten million records).
    drop((snapshot, memberships));
    if access.check.is_some() {
        // What was checked plus what this apply wrote. Committed already: without a
        // receipt the next apply checks the whole file again, nothing is lost.
        workspace.leave_receipt(seen, digest).ok();
    }
    Ok(ApplyReport { now: now.to_string(), dry_run: false, record_types, changes: Vec::new() })
}

/// What an apply wrote to each record type of `all` (with `evaluated` records), its
/// retry aside: the changes' `impacts`, and the assignments decided since `mark`.
fn written_reports(
    workspace: &Workspace,
    evaluated: &[u64],
    all: &[crate::domain::MembershipChanges],
    impacts: Vec<crate::domain::Impact>,
    mark: i64,
    path: &Path,
) -> Result<Vec<ApplyTypeReport>, CliError> {
    let mut record_types = Vec::new();
    for ((records, changes), impact) in evaluated.iter().zip(all).zip(impacts) {
        let (joined, moved, left) = (impact.join_count(), impact.move_count(), impact.leave_count());
        let to_assign = changes.joined().filter(|j| j.runs_assignment()).count() as u64;
        let assigned =
            workspace.assigned_since(&changes.record_type, mark).map_err(|e| CliError::workspace(path, e))?;
        record_types.push(ApplyTypeReport {
            record_type: changes.record_type.to_string(),
            evaluated: *records,
            joined,
            moved,
            left,
            unchanged: records.saturating_sub(joined + moved + left),
            assigned,
            unassigned: to_assign.saturating_sub(assigned),
            retried: 0,
        });
    }
    Ok(record_types)
}

/// The membership changes `all` written beside the whole-file check and committed only once
/// it passed: a damaged file is refused with nothing changed (the uncommitted pages never
/// reach the file). `beside`, the apply's reader, decides the first joins' assignments
/// while the memberships are written.
fn write_once_checked(
    workspace: &mut Workspace,
    all: &[crate::domain::MembershipChanges],
    now: Timestamp,
    checking: &mut Checking,
    path: &Path,
    beside: Workspace,
) -> Result<Vec<crate::domain::Impact>, CliError> {
    let mut failed = None;
    let mut may_commit = || checking.passed_or_keep(path, &mut failed);
    let reason = crate::domain::MembershipReason::Reevaluation;
    let written =
        workspace.apply_membership_changes_of_types(all, reason, now, &mut |_, _| true, &mut may_commit, Some(beside));
    if let Some(error) = failed {
        return Err(error);
    }
    match written {
        Ok(Some(impacts)) => Ok(impacts),
        Ok(None) => Err(refused(format!("{}: the apply was cancelled; nothing was changed", path.display()))),
        // A read of a damaged page fails the writing: the check says what is wrong.
        Err(e) => {
            checking.passed(path)?;
            Err(refused(format!("{}: nothing was changed: {e}", path.display())))
        }
    }
}

/// The records an apply evaluated and their memberships, its changes included (the
/// writer writes them next).
struct Evaluation<'a> {
    snapshot: &'a crate::engine::Snapshot,
    memberships: &'a crate::engine::Memberships,
    ctx: &'a EvalContext,
    /// The writer's [`Workspace::commits_seen`] before they were read.
    loaded_at: Option<i64>,
}

impl Evaluation<'_> {
    /// The members of `segment` that `placeable` admits ([`crate::engine::placeable`]).
    fn placeable_members(
        &self,
        ty: &crate::domain::RecordTypeName,
        segment: SegmentId,
        placeable: &crate::domain::assignment::Placeable,
    ) -> Option<Vec<crate::domain::RecordId>> {
        let members = self.memberships.column(ty)?;
        crate::engine::placeable::placeable_members(self.snapshot, ty, members, segment, placeable, self.ctx)
    }

    /// The retry of the stranded members of `ty` decided before `mark`, narrowed to those
    /// a seller with room could take: how many it placed.
    fn retry(&self, workspace: &mut Workspace, ty: &str, now: Timestamp, mark: i64) -> Result<u64, StoreError> {
        let ty = crate::domain::RecordTypeName::new(ty);
        let members = |segment, placeable: &_| self.placeable_members(&ty, segment, placeable);
        let placed = workspace.retry_stranded_when(&ty, now, mark, &mut || true, self.narrowing(&members))?;
        Ok(placed.map_or(0, |placed| placed.len() as u64))
    }

    /// The narrowing of a retry by `members`, true of the file as it was read.
    fn narrowing<'m>(
        &self,
        members: &'m dyn Fn(SegmentId, &crate::domain::assignment::Placeable) -> Option<Vec<crate::domain::RecordId>>,
    ) -> Option<crate::store::Narrowing<'m>> {
        self.loaded_at.map(|seen| crate::store::Narrowing { members, seen })
    }
}

/// The retry of the stranded members of each type of `all` (in its order), its reading and
/// deciding beside the whole-file check; it waits for the check before its first write. A
/// failed check refuses the apply with nothing written, and is what a read of a damaged
/// page reports too.
fn retry_while_checking(
    workspace: &mut Workspace,
    all: &[crate::domain::MembershipChanges],
    now: Timestamp,
    checking: &mut Checking,
    path: &Path,
    engine: &Evaluation<'_>,
) -> Result<Vec<u64>, CliError> {
    let mut retried = Vec::with_capacity(all.len());
    for changes in all {
        let mut failed = None;
        let mut may_write = || checking.passed_or_keep(path, &mut failed);
        let ty = &changes.record_type;
        let members = |segment, placeable: &_| engine.placeable_members(ty, segment, placeable);
        let placed = workspace.retry_stranded_when(ty, now, i64::MAX, &mut may_write, engine.narrowing(&members));
        if let Some(error) = failed {
            return Err(error);
        }
        match placed {
            Ok(placed) => retried.push(placed.map_or(0, |ids| ids.len() as u64)),
            Err(error) => {
                checking.passed(path)?;
                return Err(CliError::workspace(path, error));
            }
        }
    }
    Ok(retried)
}

/// What a dry run found: the counts per record type and every change, segments by name.
fn dry_run_report(
    now: Timestamp,
    evaluated: &[u64],
    all: &[crate::domain::MembershipChanges],
    names: &HashMap<SegmentId, String>,
) -> ApplyReport {
    let name = |id: Option<SegmentId>| id.map(|id| names.get(&id).cloned().unwrap_or_else(|| format!("#{}", id.0)));
    let mut record_types = Vec::new();
    let mut changes = Vec::new();
    for (records, found) in evaluated.iter().zip(all) {
        let impact = found.impact();
        let (joined, moved, left) = (impact.join_count(), impact.move_count(), impact.leave_count());
        record_types.push(ApplyTypeReport {
            record_type: found.record_type.to_string(),
            evaluated: *records,
            joined,
            moved,
            left,
            unchanged: records.saturating_sub(joined + moved + left),
            assigned: 0,
            unassigned: 0,
            retried: 0,
        });
        for change in &found.changes {
            let kind = match change.kind() {
                Some(EventKind::Join) => "join",
                Some(EventKind::Leave) => "leave",
                Some(EventKind::Move) => "move",
                None => continue,
            };
            changes.push(ApplyChange {
                record_type: found.record_type.to_string(),
                record: change.record.0,
                change: kind.to_owned(),
                from: name(change.from),
                to: name(change.to),
            });
        }
    }
    ApplyReport { now: now.to_string(), dry_run: true, record_types, changes }
}
