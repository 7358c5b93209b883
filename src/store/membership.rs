//! Memberships (a record is in at most one segment per record type) and their history.
//!
//! Every change goes through [`Workspace::apply_membership_changes`] (or
//! [`Workspace::apply_lifecycle`], which makes a segment change in the same transaction):
//! the membership rows and one `membership_history` row per join, leave and move are
//! written in ONE transaction; a cancel or an error rolls all of it back.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension};

use super::assign::Decisions;
use super::changes::Watch;
use super::{Result, SqlContext, StoreError, Workspace};
use crate::domain::history::{evaluation_text, is_evaluation};
use crate::domain::membership::EventKind;
use crate::domain::{
    Impact, Member, MembershipChanges, MembershipEvent, MembershipReason, RecordId, RecordTypeName, SegmentChange,
    SegmentEdit, SegmentHistoryKind, SegmentId, SegmentRef, Status,
};

/// [`Workspace::apply_membership_changes`] reports progress (and checks for a cancel) after
/// every this many changes.
pub const APPLY_PROGRESS_EVERY: u64 = 20_000;

/// How an apply ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// Committed: what changed.
    Applied(Impact),
    /// The progress callback asked to stop: nothing was written.
    Cancelled,
}

/// The name of a segment, also once it is deleted (from its last history entry), or `#id`.
const SEGMENT_NAME_SQL: &str = "coalesce((SELECT name FROM segment WHERE id = ?1),
     (SELECT segment_name FROM segment_history WHERE segment_id = ?1 ORDER BY id DESC LIMIT 1))";

impl Workspace {
    /// Writes `changes` (from the engine's evaluation) and their history in one
    /// transaction, at `now`, for `reason`. Each change must start from the stored
    /// membership (a join from none, a leave or move from the segment the record is in),
    /// else `Invalid` ("changed since evaluated"), and every segment joined must be an
    /// active segment of the type. `progress(done, total)` runs every
    /// [`APPLY_PROGRESS_EVERY`] changes and at the end; returning false cancels: nothing is
    /// written and the outcome is [`ApplyOutcome::Cancelled`].
    pub fn apply_membership_changes(
        &mut self,
        changes: &MembershipChanges,
        reason: MembershipReason,
        now: Timestamp,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<ApplyOutcome> {
        self.apply_lifecycle(&SegmentEdit::Nothing, changes, reason, now, progress)
    }

    /// [`Workspace::apply_membership_changes`] after making `edit` (activating, saving or
    /// reordering segments, with its segment history), all in one transaction.
    pub fn apply_lifecycle(
        &mut self,
        edit: &SegmentEdit,
        changes: &MembershipChanges,
        reason: MembershipReason,
        now: Timestamp,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<ApplyOutcome> {
        self.check_writable()?;
        self.type_def(&changes.record_type)?;
        let context = format!("updating the memberships of {}", changes.record_type);
        let tx = self.write_scope().with_context(|| context.clone())?;
        self.apply_edit(edit, now)?;
        self.check_targets(changes)?;
        if !write_changes(&self.conn, changes, reason, now, progress)? {
            // Dropping `tx` rolls back the edit and every change written so far.
            return Ok(ApplyOutcome::Cancelled);
        }
        self.after_joins(changes, now, None)?;
        self.record_evaluation(changes, reason, now)?;
        tx.commit().with_context(|| context.clone())?;
        Ok(ApplyOutcome::Applied(changes.impact()))
    }

    /// The hook of joins and moves in, inside the apply's transaction: assignment of the
    /// joining records (`assign`), and enrolment in the segment's sequence
    /// (`sequences`), from `changes.joined()`; an error rolls the whole apply back.
    /// With `ahead`, the assignment is what was decided ahead for these changes.
    fn after_joins(&self, changes: &MembershipChanges, now: Timestamp, ahead: Option<Decisions>) -> Result<()> {
        self.assign_joined(changes, now, ahead)?;
        self.enrol_joined(changes, now)
    }

    /// A re-evaluation's or time's changes in the history of each segment they touched:
    /// how many joined, left and moved, and the members after.
    fn record_evaluation(&self, changes: &MembershipChanges, reason: MembershipReason, now: Timestamp) -> Result<()> {
        if !is_evaluation(reason) {
            return Ok(());
        }
        let impact = changes.impact();
        let touched: BTreeSet<SegmentId> = changes.changes.iter().flat_map(|c| [c.from, c.to]).flatten().collect();
        for id in touched {
            let segment = match self.segment(id) {
                Ok(segment) => segment,
                // A segment deleted meanwhile has no history to add to.
                Err(StoreError::Invalid(_)) => continue,
                Err(error) => return Err(error),
            };
            if let Some(text) = evaluation_text(&impact, id, self.member_count(id)?, reason) {
                self.write_history(&segment, &SegmentChange::new(SegmentHistoryKind::Evaluated, "", text), now)?;
            }
        }
        Ok(())
    }

    /// Every segment joined must be an active segment of the changes' record type.
    fn check_targets(&self, changes: &MembershipChanges) -> Result<()> {
        let targets: HashSet<SegmentId> = changes.changes.iter().filter_map(|c| c.to).collect();
        for target in targets {
            let found: Option<(String, String, String)> = self
                .conn
                .query_row("SELECT record_type, name, status FROM segment WHERE id = ?1", [target.0], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
                .context("checking the segments records join")?;
            match found {
                None => return Err(StoreError::Invalid(format!("there is no segment with id {}", target.0))),
                Some((ty, name, _)) if ty != changes.record_type.as_str() => {
                    return Err(StoreError::Invalid(format!(
                        "segment {name} holds {ty} records, not {}",
                        changes.record_type
                    )));
                }
                Some((_, name, status)) if status != Status::Active.key() => {
                    return Err(StoreError::Invalid(format!(
                        "segment {name} is {status}: records only join active segments"
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// The changes of several record types (the command line's `apply`: every active
    /// segment on every record) with their history, assignment and the rest of the joins'
    /// hook, in ONE transaction: as [`Workspace::apply_membership_changes`] for each, but a
    /// cancel or an error anywhere leaves every type as it was. `progress(done, total)`
    /// counts the changes of all types. `may_commit` is asked once everything is written,
    /// right before the commit (an apply waits there for the whole-file check that ran
    /// beside the writing): false rolls it all back. `None` when cancelled or rolled back;
    /// else the impact of each.
    ///
    /// `beside`: a read-only workspace of the same file, with no transaction open, decides
    /// the assignments of the first joins on a thread of its own while this one writes the
    /// memberships ([`Workspace::decide_first_joins`]; a third of a second at a million
    /// records). It is used only when this call begins the transaction (not inside an
    /// atomic change, whose earlier writes the reader could not see); should it fail, the
    /// joins are decided here, as without it.
    pub fn apply_membership_changes_of_types(
        &mut self,
        all: &[MembershipChanges],
        reason: MembershipReason,
        now: Timestamp,
        progress: &mut dyn FnMut(u64, u64) -> bool,
        may_commit: &mut dyn FnMut() -> bool,
        beside: Option<Workspace>,
    ) -> Result<Option<Vec<Impact>>> {
        self.check_writable()?;
        for changes in all {
            self.type_def(&changes.record_type)?;
        }
        let context = "updating the memberships of every record type";
        // A transaction begun by this call, so that nothing it has not written is unseen.
        let beside = beside.filter(|_| self.conn.is_autocommit());
        let tx = self.write_scope().context(context)?;
        let total: u64 = all.iter().map(|c| c.changes.len() as u64).sum();
        let mut before = 0;
        let written = std::thread::scope(|scope| {
            // Begun only now: its read must come after this writer's transaction began.
            let mut deciding = beside.map(|reader| scope.spawn(move || reader.decide_first_joins(all, now)));
            let mut ahead = None;
            let mut write_all = || {
                for (place, changes) in all.iter().enumerate() {
                    self.check_targets(changes)?;
                    let mut within = |done: u64, _: u64| progress(before + done, total);
                    if !write_changes(&self.conn, changes, reason, now, &mut within)? {
                        return Ok(false);
                    }
                    // Waited for at the first type whose joins may be assigned.
                    if changes.joined().any(|j| j.runs_assignment())
                        && let Some(handle) = deciding.take()
                    {
                        ahead = handle.join().ok().and_then(Result::ok).flatten();
                    }
                    let mine = ahead.take_if(|(first, _)| *first == place).map(|(_, decisions)| decisions);
                    self.after_joins(changes, now, mine)?;
                    self.record_evaluation(changes, reason, now)?;
                    before += changes.changes.len() as u64;
                }
                Ok(true)
            };
            let written = write_all();
            // Not left to the scope, which would raise a panic of the reader's here.
            if let Some(handle) = deciding.take() {
                handle.join().ok();
            }
            written
        });
        // Dropping `tx` rolls back every type written so far.
        if !written? || !may_commit() {
            return Ok(None);
        }
        tx.commit().context(context)?;
        Ok(Some(all.iter().map(MembershipChanges::impact).collect()))
    }

    /// The newest assignment decision so far (0 when there is none): with
    /// [`Workspace::assigned_since`], what one apply assigned.
    pub fn assignment_mark(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT coalesce(max(id), 0) FROM assignment_history", [], |r| r.get(0))
            .context("reading the assignment history")
    }

    /// How many records of `ty` were assigned to a seller after `mark`.
    pub fn assigned_since(&self, ty: &RecordTypeName, mark: i64) -> Result<u64> {
        let count: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM assignment_history WHERE id > ?1 AND record_type = ?2 AND status = 'assigned'",
                rusqlite::params![mark, ty.as_str()],
                |r| r.get(0),
            )
            .context("counting assignments")?;
        Ok(count.max(0) as u64)
    }

    /// Every membership of a record type, as (record, segment), by record.
    pub fn memberships(&self, ty: &RecordTypeName) -> Result<Vec<(RecordId, SegmentId)>> {
        Ok(self.memberships_of_types(std::slice::from_ref(ty))?.pop().unwrap_or_default())
    }

    /// Every membership of each of `types`, as [`Workspace::memberships`] gives them, in one
    /// pass over the table: its key begins with the record, so each type asked apart read
    /// all of it (a tenth of a second per type at a million records). Rows of other types
    /// are skipped; no type asked for reads nothing.
    pub fn memberships_of_types(&self, types: &[RecordTypeName]) -> Result<Vec<Vec<(RecordId, SegmentId)>>> {
        let context = "reading memberships";
        let mut by_type = vec![Vec::new(); types.len()];
        if types.is_empty() {
            return Ok(by_type);
        }
        let mut stmt = self
            .conn
            .prepare("SELECT record_type, record_id, segment_id FROM membership ORDER BY record_id, record_type")
            .context(context)?;
        let mut rows = stmt.query([]).context(context)?;
        while let Some(row) = rows.next().context(context)? {
            let ty = row.get_ref(0).context(context)?;
            // Compared as bytes: a type name is checked as text only when it is kept.
            let Some(place) = ty.as_bytes().ok().and_then(|ty| types.iter().position(|t| t.as_str().as_bytes() == ty))
            else {
                continue;
            };
            by_type[place].push((RecordId(row.get(1).context(context)?), SegmentId(row.get(2).context(context)?)));
        }
        Ok(by_type)
    }

    /// The segment a record is in, if any.
    pub fn membership_of(&self, ty: &RecordTypeName, record: RecordId) -> Result<Option<SegmentId>> {
        self.conn
            .query_row(
                "SELECT segment_id FROM membership WHERE record_type = ?1 AND record_id = ?2",
                rusqlite::params![ty.as_str(), record.0],
                |r| r.get(0).map(SegmentId),
            )
            .optional()
            .context("reading a membership")
    }

    /// How many members a segment has.
    pub fn member_count(&self, segment: SegmentId) -> Result<u64> {
        let count: i64 = self
            .conn
            .query_row("SELECT count(*) FROM membership WHERE segment_id = ?1", [segment.0], |r| r.get(0))
            .context("counting members")?;
        Ok(count.max(0) as u64)
    }

    /// A page of a segment's members, by record id: when and why each joined.
    pub fn members(&self, segment: SegmentId, offset: u64, limit: u64) -> Result<Vec<Member>> {
        let context = "reading segment members";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT m.record_id, m.since, m.reason, m.moved_from FROM membership m
                 WHERE m.segment_id = ?1 ORDER BY m.record_id LIMIT ?2 OFFSET ?3",
            )
            .context(context)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(rusqlite::params![segment.0, limit, offset], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<i64>>(3)?))
            })
            .context(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context(context)?;
        let mut names = HashMap::new();
        rows.into_iter()
            .map(|(record, since, reason, moved_from)| {
                let what = format!("the membership of record {record}");
                Ok(Member {
                    record: RecordId(record),
                    since: self.history_time(&since, &what)?,
                    reason: self.history_reason(&reason, &what)?,
                    moved_from: moved_from.map(|id| self.segment_ref(SegmentId(id), &mut names)).transpose()?,
                })
            })
            .collect()
    }

    /// Every join, leave and move of a record, oldest first, with segment names (also of
    /// segments deleted since).
    pub fn membership_history(&self, ty: &RecordTypeName, record: RecordId) -> Result<Vec<MembershipEvent>> {
        let context = "reading membership history";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT at, kind, from_segment, to_segment, reason FROM membership_history
                 WHERE record_type = ?1 AND record_id = ?2 ORDER BY id",
            )
            .context(context)?;
        let rows = stmt
            .query_map(rusqlite::params![ty.as_str(), record.0], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .context(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context(context)?;
        let mut names = HashMap::new();
        rows.into_iter()
            .map(|(at, kind, from, to, reason)| {
                let what = format!("the membership history of {ty} {record}");
                Ok(MembershipEvent {
                    at: self.history_time(&at, &what)?,
                    record_type: ty.clone(),
                    record,
                    kind: EventKind::from_key(&kind)
                        .ok_or_else(|| self.corrupt(format!("{what}: unknown kind \"{kind}\"")))?,
                    from: from.map(|id| self.segment_ref(SegmentId(id), &mut names)).transpose()?,
                    to: to.map(|id| self.segment_ref(SegmentId(id), &mut names)).transpose()?,
                    reason: self.history_reason(&reason, &what)?,
                })
            })
            .collect()
    }

    /// A segment's id and name, also once deleted; cached in `names`.
    pub(super) fn segment_ref(&self, id: SegmentId, names: &mut HashMap<SegmentId, String>) -> Result<SegmentRef> {
        if let Some(name) = names.get(&id) {
            return Ok(SegmentRef { id, name: name.clone() });
        }
        let name: Option<String> = self
            .conn
            .query_row(&format!("SELECT {SEGMENT_NAME_SQL}"), [id.0], |r| r.get(0))
            .context("reading a segment name")?;
        let name = name.unwrap_or_else(|| format!("#{}", id.0));
        names.insert(id, name.clone());
        Ok(SegmentRef { id, name })
    }

    fn history_time(&self, text: &str, what: &str) -> Result<Timestamp> {
        text.parse().map_err(|e| self.corrupt(format!("{what}: \"{text}\" is not an RFC 3339 time ({e})")))
    }

    fn history_reason(&self, key: &str, what: &str) -> Result<MembershipReason> {
        MembershipReason::from_key(key).ok_or_else(|| self.corrupt(format!("{what}: unknown reason \"{key}\"")))
    }

    /// Copies committed changes from the write-ahead log back into the workspace file, as
    /// far as readers allow (a passive checkpoint). The worker writer calls it after
    /// answering, since its own commits do not.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())).context("checkpointing the workspace")
    }

    /// Leaves copying the write-ahead log back into the file to [`Workspace::checkpoint`]:
    /// a large commit then returns without copying every page it wrote (an `apply` has
    /// them copied beside its retry, by a connection of its own).
    pub fn defer_checkpoints(&self) -> Result<()> {
        self.conn.pragma_update(None, "wal_autocheckpoint", 0).context("deferring checkpoints")
    }

    /// [`Workspace::checkpoint`] of the workspace at `path` through a connection of its own
    /// that takes no lock a writer waits for, for an owner that defers checkpoints: it runs
    /// beside that owner's next transaction.
    pub fn checkpoint_beside(path: &Path) -> Result<()> {
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
            .context("opening the workspace to copy its log back")?;
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())).context("checkpointing the workspace")
    }

    /// A second read-write connection for a background worker that applies memberships:
    /// no migrations and no integrity check (the app's [`Workspace::open`] did both), so a
    /// workspace that is not current is refused like [`Workspace::open_reader`] refuses it.
    pub fn open_worker_writer(path: &Path) -> Result<Self> {
        let reader = Self::open_reader(path)?;
        // Registered before the reader lets go, so the file stays held throughout.
        let held = super::open::hold(path)?;
        drop(reader);
        let mut conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
            .context("opening the workspace for a background writer")?;
        super::open::configure_writer(&conn)?;
        super::open::check_can_write(path, &conn)?;
        let (schema, time_zone) = super::schema::load(&conn, path)?;
        let watch = Watch::tracking(&mut conn)?;
        Ok(Self {
            conn,
            path: Some(path.to_owned()),
            schema,
            time_zone,
            writable: true,
            read_only: false,
            held,
            watch,
            atomic: std::sync::Arc::default(),
        })
    }
}

/// Writes the membership rows and history of `changes`; false when cancelled.
///
/// Changes are written in groups of the same (kind, from, to), each group as a few
/// statements over a JSON array of record ids (`json_each`): one statement per thousands
/// of rows instead of two per row, which is what makes a million changes take seconds.
fn write_changes(
    conn: &Connection,
    changes: &MembershipChanges,
    reason: MembershipReason,
    now: Timestamp,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<bool> {
    let context = "writing memberships";
    let ty = changes.record_type.as_str();
    let at = now.to_string();
    let total = changes.changes.len() as u64;
    // Group by (from, to), keeping record order within a group.
    let mut groups: HashMap<(Option<SegmentId>, Option<SegmentId>), Vec<RecordId>> = HashMap::new();
    for change in &changes.changes {
        if change.kind().is_some() {
            groups.entry((change.from, change.to)).or_default().push(change.record);
        }
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by_key(|((from, to), _)| (*from, *to));
    let mut done: u64 = (changes.changes.len() - groups.iter().map(|(_, ids)| ids.len()).sum::<usize>()) as u64;
    let mut next_report = APPLY_PROGRESS_EVERY;
    for ((from, to), records) in &groups {
        for chunk in records.chunks(APPLY_PROGRESS_EVERY as usize) {
            let ids = json_ids(chunk);
            let kind = match (from, to) {
                (None, Some(_)) => EventKind::Join,
                (Some(_), None) => EventKind::Leave,
                _ => EventKind::Move,
            };
            let written = match kind {
                EventKind::Join => conn
                    .prepare_cached(
                        "INSERT INTO membership (record_type, record_id, segment_id, since, reason, moved_from)
                         SELECT ?1, value, ?2, ?3, ?4, NULL FROM json_each(?5)",
                    )
                    .and_then(|mut stmt| stmt.execute(rusqlite::params![ty, to.map(|s| s.0), at, reason.key(), ids]))
                    .map_err(|e| {
                        if super::is_unique_error(&e) { stale(conn, ty, &ids, None) } else { sql_error(e, context) }
                    })?,
                EventKind::Leave => conn
                    .prepare_cached(
                        "DELETE FROM membership WHERE record_type = ?1 AND segment_id = ?2
                         AND record_id IN (SELECT value FROM json_each(?3))",
                    )
                    .and_then(|mut stmt| stmt.execute(rusqlite::params![ty, from.map(|s| s.0), ids]))
                    .map_err(|e| sql_error(e, context))?,
                EventKind::Move => conn
                    .prepare_cached(
                        "UPDATE membership SET segment_id = ?3, since = ?4, reason = ?5, moved_from = ?2
                         WHERE record_type = ?1 AND segment_id = ?2 AND record_id IN (SELECT value FROM json_each(?6))",
                    )
                    .and_then(|mut stmt| {
                        stmt.execute(rusqlite::params![ty, from.map(|s| s.0), to.map(|s| s.0), at, reason.key(), ids])
                    })
                    .map_err(|e| sql_error(e, context))?,
            };
            if written != chunk.len() {
                return Err(stale(conn, ty, &ids, *from));
            }
            conn.prepare_cached(
                "INSERT INTO membership_history (at, record_type, record_id, kind, from_segment, to_segment, reason)
                 SELECT ?1, ?2, value, ?3, ?4, ?5, ?6 FROM json_each(?7)",
            )
            .and_then(|mut stmt| {
                stmt.execute(rusqlite::params![
                    at,
                    ty,
                    kind.key(),
                    from.map(|s| s.0),
                    to.map(|s| s.0),
                    reason.key(),
                    ids
                ])
            })
            .map_err(|e| sql_error(e, context))?;
            done += chunk.len() as u64;
            if done >= next_report {
                next_report = done + APPLY_PROGRESS_EVERY;
                if !progress(done, total) {
                    return Ok(false);
                }
            }
        }
    }
    Ok(progress(total, total))
}

/// Record ids as a JSON array (`[1,2,3]`), for `json_each` (one bound parameter however many ids).
pub(super) fn json_ids(records: &[RecordId]) -> String {
    let mut text = String::with_capacity(records.len() * 8 + 2);
    text.push('[');
    for (i, record) in records.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&record.0.to_string());
    }
    text.push(']');
    text
}

/// The error of a change that does not start from the stored membership, naming the first
/// record of `ids` whose membership is not `from` (`None`: not in a segment).
fn stale(conn: &Connection, ty: &str, ids: &str, from: Option<SegmentId>) -> StoreError {
    let found: Option<i64> = conn
        .query_row(
            "SELECT j.value FROM json_each(?2) j LEFT JOIN membership m ON m.record_type = ?1 AND m.record_id = j.value
             WHERE m.segment_id IS NOT ?3 LIMIT 1",
            rusqlite::params![ty, ids, from.map(|s| s.0)],
            |r| r.get(0),
        )
        .ok();
    let which = found.map_or_else(|| "a record".to_owned(), |id| format!("{ty} {id}"));
    StoreError::Invalid(format!("{which}: its membership changed since it was evaluated; evaluate again and retry"))
}

fn sql_error(source: rusqlite::Error, context: &str) -> StoreError {
    super::sqlite_error(context.to_owned(), source)
}

impl Workspace {
    /// Per segment and day (in `zone`) since `since`, how many records joined it (a move
    /// into it included) and how many left it (a move out of it included), from
    /// `membership_history`. Counted by the hour in SQL, then put on the zone's days.
    pub fn membership_changes_by_day(
        &self,
        since: Timestamp,
        zone: &jiff::tz::TimeZone,
    ) -> Result<crate::domain::size::ChangesByDay> {
        let context = "reading how segments grew and shrank";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT substr(at, 1, 13), kind, from_segment, to_segment, count(*) FROM membership_history
                 WHERE at >= ?1 GROUP BY 1, 2, 3, 4",
            )
            .context(context)?;
        let rows = stmt
            .query_map([since.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .context(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context(context)?;
        let mut changes = crate::domain::size::ChangesByDay::new();
        for (hour, kind, from, to, count) in rows {
            let at: Timestamp = format!("{hour}:00:00Z").parse().map_err(|e| {
                self.corrupt(format!("membership history: \"{hour}\" is not the start of a time ({e})"))
            })?;
            let day = at.to_zoned(zone.clone()).date();
            let count = u64::try_from(count).unwrap_or(0);
            let (joined, left) = match kind.as_str() {
                "join" => (to, None),
                "leave" => (None, from),
                _ => (to, from),
            };
            if let Some(to) = joined {
                changes.entry((SegmentId(to), day)).or_default().joins += count;
            }
            if let Some(from) = left {
                changes.entry((SegmentId(from), day)).or_default().leaves += count;
            }
        }
        Ok(changes)
    }
}
