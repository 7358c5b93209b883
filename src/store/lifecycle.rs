//! The segment lifecycle (Draft → Active ⇄ Inactive, delete), options, and the segment
//! history every change writes.

use super::{Result, SqlContext, StoreError, Workspace};
use crate::domain::history::{SegmentChange, summary_text};
use crate::domain::{
    MembershipReason, SegmentEdit, SegmentHistoryEntry, SegmentHistoryKind, SegmentId, Status, segment::Segment,
};
use jiff::Timestamp;

/// The two options of a segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegmentOptions {
    /// A member of a lower segment moves here when it matches.
    pub accept_from_other_segments: bool,
    /// Re-run assignment when a record moves in (kept only with the first option).
    pub rerun_assignment_on_move: bool,
}

impl Workspace {
    /// One segment by id, or `Invalid` naming the id.
    pub fn segment(&self, id: SegmentId) -> Result<Segment> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {} FROM segment WHERE id = ?1", super::segments::SEGMENT_COLUMNS))
            .context("reading a segment")?;
        let mut rows = stmt.query([id.0]).context("reading a segment")?;
        match rows.next().context("reading a segment")? {
            Some(row) => self.read_segment(row),
            None => Err(StoreError::Invalid(format!("there is no segment with id {}", id.0))),
        }
    }

    /// Activates or deactivates a segment without evaluating existing records: "only
    /// records created or updated from now on", and Deactivate (which keeps the members and
    /// adds none). The lifecycle is Draft → Active ⇄ Inactive; anything else is `Invalid`.
    /// Recorded in the segment's history.
    pub fn set_segment_status(&mut self, id: SegmentId, status: Status, now: Timestamp) -> Result<()> {
        self.check_writable()?;
        let tx = self.write_scope().context("changing a segment's status")?;
        self.set_status_in(id, status, now)?;
        tx.commit().context("changing a segment's status")
    }

    /// Sets "accept records from other segments" and "re-run assignment when a record moves
    /// in" (which needs the first: without it, it is stored off). Recorded in history. It
    /// moves no record now: "Re-evaluate" (or saving through a plan) does.
    pub fn set_segment_options(&mut self, id: SegmentId, options: SegmentOptions, now: Timestamp) -> Result<()> {
        self.check_writable()?;
        let before = self.segment(id)?;
        let after = Segment {
            accept_from_other_segments: options.accept_from_other_segments,
            rerun_assignment_on_move: options.accept_from_other_segments && options.rerun_assignment_on_move,
            modified_on: now,
            ..before.clone()
        };
        let tx = self.write_scope().context("changing a segment's options")?;
        self.save_segment_in(&after, now)?;
        tx.commit().context("changing a segment's options")
    }

    /// Deletes a segment that is not active (inactive, or a draft): its members leave it
    /// (each with a history entry, reason "segment deleted"), its history keeps its name and
    /// a "deleted" entry with its last conditions; its assignment rules are deleted;
    /// enrolments and past assignments are kept. An active segment is refused: deactivate it first.
    pub fn delete_segment(&mut self, id: SegmentId, now: Timestamp) -> Result<()> {
        self.check_writable()?;
        let segment = self.segment(id)?;
        if segment.status == Status::Active {
            return Err(StoreError::Invalid(format!(
                "segment {} is active; deactivate it before deleting it",
                segment.name
            )));
        }
        let users: Vec<String> = self
            .all_segments()?
            .into_iter()
            .filter(|s| s.id != id && crate::domain::segment_test::named(&s.conditions).contains(&id))
            .map(|s| format!("\"{}\"", s.name))
            .collect();
        if !users.is_empty() {
            return Err(StoreError::Invalid(format!(
                "segment {} cannot be deleted: the conditions of {} use it; change them first",
                segment.name,
                users.join(", ")
            )));
        }
        let context = format!("deleting segment {}", segment.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        let at = now.to_string();
        tx.execute(
            "INSERT INTO membership_history (at, record_type, record_id, kind, from_segment, to_segment, reason)
             SELECT ?1, record_type, record_id, 'leave', segment_id, NULL, ?2 FROM membership WHERE segment_id = ?3
             ORDER BY record_id",
            rusqlite::params![at, MembershipReason::SegmentDeleted.key(), id.0],
        )
        .with_context(|| context.clone())?;
        tx.execute("DELETE FROM membership WHERE segment_id = ?1", [id.0]).with_context(|| context.clone())?;
        let change = SegmentChange::new(SegmentHistoryKind::Deleted, summary_text(&segment, &self.schema), "");
        self.write_history(&segment, &change, now)?;
        // Rules go with their segment; past assignments naming them stay.
        tx.execute("DELETE FROM assignment_rule WHERE segment_id = ?1", [id.0]).with_context(|| context.clone())?;
        tx.execute("DELETE FROM segment WHERE id = ?1", [id.0]).with_context(|| context.clone())?;
        tx.commit().with_context(|| context.clone())
    }

    /// Every segment of every record type (each type's in priority order).
    pub fn all_segments(&self) -> Result<Vec<Segment>> {
        let mut all = Vec::new();
        for def in &self.schema.types {
            all.extend(self.segments(&def.name)?);
        }
        Ok(all)
    }

    /// What segment conditions may name: every segment's name, type and conditions.
    pub fn segment_definitions(&self) -> Result<crate::domain::Definitions> {
        Ok(crate::domain::Definitions::of(&self.all_segments()?))
    }

    /// The history of a segment (also a deleted one), newest first.
    pub fn segment_history(&self, id: SegmentId) -> Result<Vec<SegmentHistoryEntry>> {
        let context = "reading segment history";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT at, segment_name, kind, before, after FROM segment_history WHERE segment_id = ?1
                 ORDER BY id DESC",
            )
            .context(context)?;
        let rows = stmt
            .query_map([id.0], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .context(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context(context)?;
        rows.into_iter()
            .map(|(at, segment_name, kind, before, after)| {
                let what = format!("the history of segment {segment_name}");
                Ok(SegmentHistoryEntry {
                    at: at
                        .parse()
                        .map_err(|e| self.corrupt(format!("{what}: \"{at}\" is not an RFC 3339 time ({e})")))?,
                    segment: id,
                    change: SegmentChange {
                        kind: SegmentHistoryKind::from_key(&kind)
                            .ok_or_else(|| self.corrupt(format!("{what}: unknown change \"{kind}\"")))?,
                        before,
                        after,
                    },
                    segment_name,
                })
            })
            .collect()
    }

    /// Makes `edit` inside the caller's transaction, with its history.
    pub(super) fn apply_edit(&self, edit: &SegmentEdit, now: Timestamp) -> Result<()> {
        match edit {
            SegmentEdit::Nothing => Ok(()),
            SegmentEdit::SetStatus { segment, status } => self.set_status_in(*segment, *status, now),
            SegmentEdit::Save(segment) => self.save_segment_in(segment, now),
            SegmentEdit::Reorder { record_type, order } => self.reorder_in(record_type, order, now),
        }
    }

    fn set_status_in(&self, id: SegmentId, status: Status, now: Timestamp) -> Result<()> {
        let before = self.segment(id)?;
        if !before.status.can_become(status) {
            return Err(StoreError::Invalid(format!(
                "segment {} is {} and cannot become {status}",
                before.name, before.status
            )));
        }
        if status == Status::Active {
            self.check_activatable(&before)?;
        }
        self.conn
            .execute(
                "UPDATE segment SET status = ?2, modified_on = ?3 WHERE id = ?1",
                rusqlite::params![id.0, status.key(), now.to_string()],
            )
            .context("changing a segment's status")?;
        let change = SegmentChange::new(SegmentHistoryKind::Status, before.status.to_string(), status.to_string());
        self.write_history(&before, &change, now)
    }

    /// A segment whose conditions have problems cannot be activated; conditions nested
    /// deeper than the workspace's nesting limit are one.
    pub(super) fn check_activatable(&self, segment: &Segment) -> Result<()> {
        let limit = self.settings()?.nesting_limit;
        let def = self.schema.get(&segment.record_type).ok_or_else(|| {
            StoreError::Invalid(format!(
                "segment {}: there is no record type \"{}\"",
                segment.name, segment.record_type
            ))
        })?;
        let definitions = self.segment_definitions()?;
        let problems = crate::domain::validate::validate_segment(
            &self.schema,
            def,
            &segment.conditions,
            limit,
            &definitions,
            Some(segment.id),
        );
        match problems.first() {
            None => Ok(()),
            Some(problem) => Err(StoreError::Invalid(format!(
                "segment {} cannot be activated: {} (and {} more problems)",
                segment.name,
                problem.kind,
                problems.len() - 1
            ))),
        }
    }

    /// Writes one history entry for `segment` (its name and record type as given).
    pub(super) fn write_history(&self, segment: &Segment, change: &SegmentChange, now: Timestamp) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO segment_history (at, segment_id, record_type, segment_name, kind, before, after)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut stmt| {
                stmt.execute(rusqlite::params![
                    now.to_string(),
                    segment.id.0,
                    segment.record_type.as_str(),
                    segment.name,
                    change.kind.key(),
                    change.before,
                    change.after
                ])
            })
            .with_context(|| format!("recording the history of segment {}", segment.name))?;
        Ok(())
    }
}
