//! Segments in priority order (conditions stored as RON text), their member counts, and
//! sequences with their steps. Timestamps are RFC 3339 text.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row};

use super::{Result, SqlContext, StoreError, Workspace, is_unique_error};
use crate::domain::SegmentHistoryKind;
use crate::domain::condition_format::{from_ron, to_ron};
use crate::domain::history::{SegmentChange, priority_text, segment_changes, summary_text};
use crate::domain::segment::{DESCRIPTION_MAX_CHARS, NAME_MAX_CHARS};
use crate::domain::{RecordTypeName, Segment, SegmentId, Sequence, SequenceId, Status, Step, StepKind};

pub(super) const SEGMENT_COLUMNS: &str = "id, record_type, name, description, status, priority, conditions, \
     accept_from_other_segments, rerun_assignment_on_move, sequence_id, created_on, modified_on";

impl Workspace {
    /// Adds a segment at the bottom of its record type's priority order (the incoming
    /// `priority` and `id` are ignored) and returns its id. Checked: the record type, a name
    /// of at most [`NAME_MAX_CHARS`] characters not used by another segment of the type
    /// (ignoring case), a description of at most [`DESCRIPTION_MAX_CHARS`], and a connected
    /// sequence of the same record type.
    pub fn insert_segment(&mut self, segment: &Segment) -> Result<SegmentId> {
        self.check_writable()?;
        self.check_segment(segment, None)?;
        let context = format!("adding segment {}", segment.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        self.conn
            .execute(
                &format!(
                    // Never the id of a deleted segment: its history and its members' history
                    // keep naming it.
                    "INSERT INTO segment ({SEGMENT_COLUMNS}) VALUES (
                     1 + max(coalesce((SELECT max(id) FROM segment), 0),
                             coalesce((SELECT max(segment_id) FROM segment_history), 0)),
                     ?1, ?2, ?3, ?4,
                     (SELECT coalesce(max(priority) + 1, 0) FROM segment WHERE record_type = ?1),
                     ?5, ?6, ?7, ?8, ?9, ?10)"
                ),
                rusqlite::params_from_iter(segment_values(segment, segment.record_type.as_str().to_owned())),
            )
            .map_err(|e| Self::segment_error(segment, e, &context))?;
        let id = SegmentId(self.conn.last_insert_rowid());
        let stored = self.segment(id)?;
        let change = SegmentChange::new(SegmentHistoryKind::Created, "", summary_text(&stored, &self.schema));
        self.write_history(&stored, &change, segment.created_on)?;
        tx.commit().with_context(|| context.clone())?;
        Ok(id)
    }

    /// Saves an existing segment: everything but its record type (which cannot change) and
    /// its priority (see [`Workspace::reorder_segments`]). Checked as in
    /// [`Workspace::insert_segment`]; a status change must follow the lifecycle (Draft →
    /// Active ⇄ Inactive) and an activated segment's conditions must be valid. Every change
    /// is recorded in the segment's history at its `modified_on`. Existing records are not
    /// evaluated (see `LifecyclePlan::save` for that).
    pub fn update_segment(&mut self, segment: &Segment) -> Result<()> {
        self.check_writable()?;
        let context = format!("saving segment {}", segment.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        self.save_segment_in(segment, segment.modified_on)?;
        tx.commit().with_context(|| context.clone())
    }

    /// [`Workspace::update_segment`] inside the caller's transaction, history at `now`.
    pub(super) fn save_segment_in(&self, segment: &Segment, now: Timestamp) -> Result<()> {
        let stored: Option<String> = self
            .conn
            .query_row("SELECT record_type FROM segment WHERE id = ?1", [segment.id.0], |r| r.get(0))
            .optional()
            .context("reading a segment")?;
        match stored {
            None => return Err(StoreError::Invalid(format!("there is no segment with id {}", segment.id.0))),
            Some(ty) if ty != segment.record_type.as_str() => {
                return Err(StoreError::Invalid(format!(
                    "segment {}: its record type cannot change from {ty} to {}",
                    segment.name, segment.record_type
                )));
            }
            Some(_) => {}
        }
        let before = self.segment(segment.id)?;
        if before.status != segment.status && !before.status.can_become(segment.status) {
            return Err(StoreError::Invalid(format!(
                "segment {} is {} and cannot become {}",
                before.name, before.status, segment.status
            )));
        }
        if segment.status == Status::Active {
            self.check_activatable(segment)?;
        }
        self.check_segment(segment, Some(segment.id))?;
        let context = format!("saving segment {}", segment.name);
        self.conn
            .execute(
                "UPDATE segment SET name = ?2, description = ?3, status = ?4, conditions = ?5,
                 accept_from_other_segments = ?6, rerun_assignment_on_move = ?7, sequence_id = ?8,
                 created_on = ?9, modified_on = ?10
                 WHERE id = ?1",
                rusqlite::params_from_iter(segment_values(segment, segment.id.0)),
            )
            .map_err(|e| Self::segment_error(segment, e, &context))?;
        let after = Segment { priority: before.priority, ..segment.clone() };
        for change in segment_changes(&before, &after, &self.schema) {
            self.write_history(&after, &change, now)?;
        }
        Ok(())
    }

    /// The segments of a record type in priority order (0, the highest, first). A segment
    /// whose stored conditions cannot be read is `Corrupt`, naming it.
    pub fn segments(&self, ty: &RecordTypeName) -> Result<Vec<Segment>> {
        let context = "reading segments";
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {SEGMENT_COLUMNS} FROM segment WHERE record_type = ?1 ORDER BY priority, id"))
            .context(context)?;
        let mut rows = stmt.query([ty.as_str()]).context(context)?;
        let mut segments = Vec::new();
        while let Some(row) = rows.next().context(context)? {
            segments.push(self.read_segment(row)?);
        }
        Ok(segments)
    }

    /// Sets the priority order of a record type's segments in one transaction: `order` must
    /// hold each segment of the type exactly once (else `Invalid`); the first gets priority 0.
    /// Each segment whose priority changes gets a history entry, now.
    pub fn reorder_segments(&mut self, ty: &RecordTypeName, order: &[SegmentId]) -> Result<()> {
        self.reorder_segments_at(ty, order, crate::clock::now())
    }

    /// [`Workspace::reorder_segments`], recorded in history at `now`. Existing records are
    /// not evaluated (see `LifecyclePlan::reorder` for that).
    pub fn reorder_segments_at(&mut self, ty: &RecordTypeName, order: &[SegmentId], now: Timestamp) -> Result<()> {
        self.check_writable()?;
        let context = format!("reordering the segments of {ty}");
        let tx = self.write_scope().with_context(|| context.clone())?;
        self.reorder_in(ty, order, now)?;
        tx.commit().with_context(|| context.clone())
    }

    /// [`Workspace::reorder_segments_at`] inside the caller's transaction.
    pub(super) fn reorder_in(&self, ty: &RecordTypeName, order: &[SegmentId], now: Timestamp) -> Result<()> {
        self.type_def(ty)?;
        let context = format!("reordering the segments of {ty}");
        let before = self.segments(ty)?;
        let current: HashSet<i64> = before.iter().map(|s| s.id.0).collect();
        let given: HashSet<i64> = order.iter().map(|s| s.0).collect();
        if given.len() != order.len() || given != current {
            return Err(StoreError::Invalid(format!(
                "the new order of the {ty} segments must name each of its {} segments exactly once",
                current.len()
            )));
        }
        {
            // Two passes keep UNIQUE (record_type, priority) true after every statement.
            let mut stmt =
                self.conn.prepare("UPDATE segment SET priority = ?2 WHERE id = ?1").with_context(|| context.clone())?;
            for (position, id) in order.iter().enumerate() {
                stmt.execute(rusqlite::params![id.0, -1 - position as i64]).with_context(|| context.clone())?;
            }
            for (position, id) in order.iter().enumerate() {
                stmt.execute(rusqlite::params![id.0, position as i64]).with_context(|| context.clone())?;
            }
        }
        for segment in &before {
            let position = order.iter().position(|id| *id == segment.id).unwrap_or_default();
            let priority = u32::try_from(position).unwrap_or(u32::MAX);
            if priority != segment.priority {
                let change = SegmentChange::new(
                    SegmentHistoryKind::Priority,
                    priority_text(segment.priority),
                    priority_text(priority),
                );
                self.write_history(segment, &change, now)?;
            }
        }
        Ok(())
    }

    /// How many records are members of each segment of the type (0 for a segment with none).
    pub fn member_counts(&self, ty: &RecordTypeName) -> Result<HashMap<SegmentId, u64>> {
        let context = "counting segment members";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.id, count(m.record_id) FROM segment s
                 LEFT JOIN membership m ON m.segment_id = s.id AND m.record_type = s.record_type
                 WHERE s.record_type = ?1 GROUP BY s.id",
            )
            .context(context)?;
        let counts = stmt
            .query_map([ty.as_str()], |r| Ok((SegmentId(r.get(0)?), r.get::<_, i64>(1)?.max(0) as u64)))
            .context(context)?
            .collect::<rusqlite::Result<_>>()
            .context(context)?;
        Ok(counts)
    }

    /// Per segment of `ty`, its members no seller owns yet (the owner field is empty): the
    /// records assignment has still to place. Empty for a type without an owner field.
    pub fn unassigned_counts(&self, ty: &RecordTypeName) -> Result<HashMap<SegmentId, u64>> {
        let def = self.type_def(ty)?;
        let Some(owner) = def.fields.iter().find(|f| f.kind == crate::domain::FieldKind::Owner) else {
            return Ok(HashMap::new());
        };
        let context = "counting unassigned members";
        let sql = format!(
            "SELECT m.segment_id, count(*) FROM membership m JOIN {} r ON r.\"id\" = m.record_id
             WHERE m.record_type = ?1 AND r.{} IS NULL GROUP BY m.segment_id",
            super::quote(ty.as_str()),
            super::quote(owner.name.as_str())
        );
        let mut stmt = self.conn.prepare(&sql).context(context)?;
        let counts = stmt
            .query_map([ty.as_str()], |r| Ok((SegmentId(r.get(0)?), r.get::<_, i64>(1)?.max(0) as u64)))
            .context(context)?
            .collect::<rusqlite::Result<_>>()
            .context(context)?;
        Ok(counts)
    }

    /// Adds a sequence with its steps; the incoming `id` is ignored. Checked: the record
    /// type, and everything `domain::sequence::validate_sequence` checks (every problem is
    /// named, with its step).
    pub fn insert_sequence(&mut self, sequence: &Sequence) -> Result<SequenceId> {
        self.check_writable()?;
        self.type_def(&sequence.record_type)?;
        let problems = crate::domain::sequence::validate_sequence(sequence);
        if !problems.is_empty() {
            return Err(StoreError::Invalid(super::sequences::problems_text(&sequence.name, &problems)));
        }
        let context = format!("adding sequence {}", sequence.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        tx.execute(
            "INSERT INTO sequence (record_type, name, description, status, created_on, modified_on,
                 working_hours, stop_when_leaving)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                sequence.record_type.as_str(),
                sequence.name,
                sequence.description,
                sequence.status.key(),
                sequence.created_on.to_string(),
                sequence.modified_on.to_string(),
                sequence.options.working_hours,
                sequence.options.stop_when_leaving,
            ],
        )
        .with_context(|| context.clone())?;
        let id = SequenceId(tx.last_insert_rowid());
        self.write_steps(id, &sequence.steps, &context)?;
        tx.commit().with_context(|| context.clone())?;
        Ok(id)
    }

    /// The sequences of a record type, by id, with their steps in order.
    pub fn sequences(&self, ty: &RecordTypeName) -> Result<Vec<Sequence>> {
        let context = "reading sequences";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, name, description, status, created_on, modified_on, working_hours, stop_when_leaving
                 FROM sequence WHERE record_type = ?1 ORDER BY id",
            )
            .context(context)?;
        let rows = stmt
            .query_map([ty.as_str()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    crate::domain::SequenceOptions { working_hours: r.get(6)?, stop_when_leaving: r.get(7)? },
                ))
            })
            .context(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context(context)?;
        let mut steps_stmt = self
            .conn
            .prepare(
                "SELECT kind, name, description, wait_minutes FROM sequence_step WHERE sequence_id = ?1 ORDER BY position",
            )
            .context(context)?;
        let mut sequences = Vec::with_capacity(rows.len());
        for (id, name, description, status, created_on, modified_on, options) in rows {
            let what = format!("sequence {id} ({name})");
            let step_rows = steps_stmt
                .query_map([id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get(3)?))
                })
                .context(context)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .context(context)?;
            let mut steps = Vec::with_capacity(step_rows.len());
            for (kind, step_name, step_description, wait_minutes) in step_rows {
                let kind = StepKind::from_key(&kind)
                    .ok_or_else(|| self.corrupt(format!("{what}: unknown step kind \"{kind}\"")))?;
                steps.push(Step { kind, name: step_name, description: step_description, wait_minutes });
            }
            sequences.push(Sequence {
                id: SequenceId(id),
                record_type: ty.clone(),
                status: self.parse_status(&status, &what)?,
                created_on: self.parse_timestamp(&created_on, &what)?,
                modified_on: self.parse_timestamp(&modified_on, &what)?,
                name,
                description,
                steps,
                options,
            });
        }
        Ok(sequences)
    }

    fn check_segment(&self, segment: &Segment, existing: Option<SegmentId>) -> Result<()> {
        self.type_def(&segment.record_type)?;
        check_name_and_description("segment", &segment.name, &segment.description)?;
        let clash: Option<String> = self
            .conn
            .query_row(
                "SELECT name FROM segment WHERE record_type = ?1 AND sb_fold(name) = sb_fold(?2) AND id IS NOT ?3",
                rusqlite::params![segment.record_type.as_str(), segment.name, existing.map(|s| s.0)],
                |r| r.get(0),
            )
            .optional()
            .context("checking segment names")?;
        if let Some(other) = clash {
            return Err(StoreError::Invalid(format!(
                "segment name \"{}\": the {} segment \"{other}\" has that name already",
                segment.name, segment.record_type
            )));
        }
        if let Some(sequence) = segment.sequence {
            let ty: Option<String> = self
                .conn
                .query_row("SELECT record_type FROM sequence WHERE id = ?1", [sequence.0], |r| r.get(0))
                .optional()
                .context("checking the segment's sequence")?;
            match ty {
                None => {
                    return Err(StoreError::Invalid(format!(
                        "segment {}: there is no sequence with id {}",
                        segment.name, sequence.0
                    )));
                }
                Some(ty) if ty != segment.record_type.as_str() => {
                    return Err(StoreError::Invalid(format!(
                        "segment {}: the sequence {} is for {ty}, not {}",
                        segment.name, sequence.0, segment.record_type
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn segment_error(segment: &Segment, error: rusqlite::Error, context: &str) -> StoreError {
        if is_unique_error(&error) {
            StoreError::Invalid(format!(
                "segment name \"{}\": another {} segment has that name already",
                segment.name, segment.record_type
            ))
        } else {
            super::sqlite_error(context.to_owned(), error)
        }
    }

    pub(super) fn read_segment(&self, row: &Row<'_>) -> Result<Segment> {
        let context = "reading a segment";
        let id: i64 = row.get(0).context(context)?;
        let name: String = row.get(2).context(context)?;
        let what = format!("segment {id} ({name})");
        let status: String = row.get(4).context(context)?;
        let priority: i64 = row.get(5).context(context)?;
        let conditions: String = row.get(6).context(context)?;
        let created_on: String = row.get(10).context(context)?;
        let modified_on: String = row.get(11).context(context)?;
        Ok(Segment {
            id: SegmentId(id),
            record_type: RecordTypeName::new(row.get::<_, String>(1).context(context)?),
            description: row.get(3).context(context)?,
            status: self.parse_status(&status, &what)?,
            priority: u32::try_from(priority)
                .map_err(|_| self.corrupt(format!("{what}: priority {priority} is not a priority")))?,
            conditions: from_ron(&conditions).map_err(|e| self.corrupt(format!("{what}: {e}")))?,
            accept_from_other_segments: row.get(7).context(context)?,
            rerun_assignment_on_move: row.get(8).context(context)?,
            sequence: row.get::<_, Option<i64>>(9).context(context)?.map(SequenceId),
            created_on: self.parse_timestamp(&created_on, &what)?,
            modified_on: self.parse_timestamp(&modified_on, &what)?,
            name,
        })
    }

    fn parse_status(&self, key: &str, what: &str) -> Result<Status> {
        Status::from_key(key).ok_or_else(|| self.corrupt(format!("{what}: unknown status \"{key}\"")))
    }

    fn parse_timestamp(&self, text: &str, what: &str) -> Result<Timestamp> {
        text.parse().map_err(|e| self.corrupt(format!("{what}: \"{text}\" is not an RFC 3339 time ({e})")))
    }
}

fn check_name_and_description(what: &str, name: &str, description: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(StoreError::Invalid(format!("{what}: the name is required")));
    }
    let name_chars = name.chars().count();
    if name_chars > NAME_MAX_CHARS {
        return Err(StoreError::Invalid(format!(
            "{what} name \"{name}\": {name_chars} characters, at most {NAME_MAX_CHARS} allowed"
        )));
    }
    let description_chars = description.chars().count();
    if description_chars > DESCRIPTION_MAX_CHARS {
        return Err(StoreError::Invalid(format!(
            "{what} {name}: the description has {description_chars} characters, at most {DESCRIPTION_MAX_CHARS} allowed"
        )));
    }
    Ok(())
}

/// The ten stored values of a segment in column order (`?1` … `?10`), the first being its
/// key: the record type when inserting, the id when updating.
fn segment_values(segment: &Segment, key: impl Into<rusqlite::types::Value>) -> [rusqlite::types::Value; 10] {
    use rusqlite::types::Value as V;
    [
        key.into(),
        V::Text(segment.name.clone()),
        V::Text(segment.description.clone()),
        V::Text(segment.status.key().to_owned()),
        V::Text(to_ron(&segment.conditions)),
        V::Integer(i64::from(segment.accept_from_other_segments)),
        V::Integer(i64::from(segment.rerun_assignment_on_move)),
        segment.sequence.map_or(V::Null, |s| V::Integer(s.0)),
        V::Text(segment.created_on.to_string()),
        V::Text(segment.modified_on.to_string()),
    ]
}
