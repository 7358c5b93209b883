//! Memberships (a record is in at most one segment per record type) and their history.
//!
//! Every change goes through [`Workspace::apply_membership_changes`] (or
//! [`Workspace::apply_lifecycle`], which makes a segment change in the same transaction):
//! the membership rows and one `membership_history` row per join, leave and move are
//! written in ONE transaction; a cancel or an error rolls all of it back.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension};

use super::{Result, SqlContext, StoreError, Workspace};
use crate::domain::membership::EventKind;
use crate::domain::{
    Impact, Member, MembershipChanges, MembershipEvent, MembershipReason, RecordId, RecordTypeName, SegmentEdit,
    SegmentId, SegmentRef, Status,
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
        let tx = self.conn.unchecked_transaction().with_context(|| context.clone())?;
        self.apply_edit(edit, now)?;
        self.check_targets(changes)?;
        if !write_changes(&self.conn, changes, reason, now, progress)? {
            // Dropping `tx` rolls back the edit and every change written so far.
            return Ok(ApplyOutcome::Cancelled);
        }
        self.after_joins(changes, reason, now)?;
        tx.commit().with_context(|| context.clone())?;
        Ok(ApplyOutcome::Applied(changes.impact()))
    }

    /// The hook of joins and moves in, inside the apply's transaction: enrolment in the
    /// segment's sequence and assignment (later issues) write here, from
    /// `changes.joined()`; an error rolls the whole apply back.
    fn after_joins(&self, _changes: &MembershipChanges, _reason: MembershipReason, _now: Timestamp) -> Result<()> {
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

    /// Every membership of a record type, as (record, segment), by record.
    pub fn memberships(&self, ty: &RecordTypeName) -> Result<Vec<(RecordId, SegmentId)>> {
        let context = "reading memberships";
        let mut stmt = self
            .conn
            .prepare("SELECT record_id, segment_id FROM membership WHERE record_type = ?1 ORDER BY record_id")
            .context(context)?;
        let rows = stmt
            .query_map([ty.as_str()], |r| Ok((RecordId(r.get(0)?), SegmentId(r.get(1)?))))
            .context(context)?
            .collect::<rusqlite::Result<_>>()
            .context(context)?;
        Ok(rows)
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
    fn segment_ref(&self, id: SegmentId, names: &mut HashMap<SegmentId, String>) -> Result<SegmentRef> {
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

    /// A second read-write connection for a background worker that applies memberships:
    /// no migrations and no integrity check (the app's [`Workspace::open`] did both), so a
    /// workspace that is not current is refused like [`Workspace::open_reader`] refuses it.
    pub fn open_worker_writer(path: &Path) -> Result<Self> {
        let reader = Self::open_reader(path)?;
        drop(reader);
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
            .context("opening the workspace for a background writer")?;
        super::open::configure_writer(&conn)?;
        let (schema, time_zone) = super::schema::load(&conn, path)?;
        Ok(Self { conn, path: Some(path.to_owned()), schema, time_zone, writable: true })
    }
}

/// Writes the membership rows and history of `changes`; false when cancelled.
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
    let mut join = conn
        .prepare_cached(
            "INSERT INTO membership (record_type, record_id, segment_id, since, reason, moved_from)
             VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
        )
        .context(context)?;
    let mut leave = conn
        .prepare_cached("DELETE FROM membership WHERE record_type = ?1 AND record_id = ?2 AND segment_id = ?3")
        .context(context)?;
    let mut moved = conn
        .prepare_cached(
            "UPDATE membership SET segment_id = ?4, since = ?5, reason = ?6, moved_from = ?3
             WHERE record_type = ?1 AND record_id = ?2 AND segment_id = ?3",
        )
        .context(context)?;
    let mut history = conn
        .prepare_cached(
            "INSERT INTO membership_history (at, record_type, record_id, kind, from_segment, to_segment, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .context(context)?;
    let stale = |record: RecordId| {
        StoreError::Invalid(format!(
            "{ty} {record}: its membership changed since it was evaluated; evaluate again and retry"
        ))
    };
    for (done, change) in changes.changes.iter().enumerate() {
        let record = change.record;
        let Some(kind) = change.kind() else { continue };
        let written = match (kind, change.from, change.to) {
            (EventKind::Join, _, Some(to)) => join
                .execute(rusqlite::params![ty, record.0, to.0, at, reason.key()])
                .map_err(|e| if super::is_unique_error(&e) { stale(record) } else { sql_error(e, context) })?,
            (EventKind::Leave, Some(from), _) => {
                leave.execute(rusqlite::params![ty, record.0, from.0]).map_err(|e| sql_error(e, context))?
            }
            (EventKind::Move, Some(from), Some(to)) => moved
                .execute(rusqlite::params![ty, record.0, from.0, to.0, at, reason.key()])
                .map_err(|e| sql_error(e, context))?,
            _ => 0,
        };
        if written != 1 {
            return Err(stale(record));
        }
        history
            .execute(rusqlite::params![
                at,
                ty,
                record.0,
                kind.key(),
                change.from.map(|s| s.0),
                change.to.map(|s| s.0),
                reason.key()
            ])
            .map_err(|e| sql_error(e, context))?;
        let done = done as u64 + 1;
        if done.is_multiple_of(APPLY_PROGRESS_EVERY) && !progress(done, total) {
            return Ok(false);
        }
    }
    Ok(progress(total, total))
}

fn sql_error(source: rusqlite::Error, context: &str) -> StoreError {
    StoreError::Sqlite { context: context.to_owned(), source }
}
