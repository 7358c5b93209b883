//! Sequences after they are added (`segments::insert_sequence`): saving, copying, the
//! lifecycle, connecting segments, and enrolments.
//!
//! Rules kept here:
//! - a sequence is saved only when `domain::sequence::validate_sequence` finds nothing, and
//!   only while it is not active (deactivate it to edit it: running enrolments point at its
//!   steps by position);
//! - only an active sequence can be connected, to segments of its record type, one per
//!   segment; disconnecting leaves running enrolments alone;
//! - deactivating a sequence keeps its connections and its running enrolments (like a
//!   segment keeps its members) but enrols nobody new until it is active again;
//! - the apply of memberships enrols every record joining a segment whose sequence is active
//!   at its first step ([`Workspace::enrol_joined`], in the apply's transaction); a move ends
//!   the record's running enrolment ("moved") first, also into a segment without a
//!   sequence; a plain leave (or a deleted segment) leaves it running.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::OptionalExtension;

use super::membership::json_ids;
use super::{Result, SqlContext, StoreError, Workspace, quote};
use crate::domain::sequence::{EndReason, Enrolment, EnrolmentStatus, SequenceProblem, validate_sequence};
use crate::domain::{MembershipChanges, RecordId, RecordTypeName, SegmentId, Sequence, SequenceId, Status, Value};

/// Record ids per statement when writing enrolments (`json_each` over a JSON array).
const ENROL_CHUNK: usize = 20_000;

pub use crate::domain::sequence::{EnrolmentCounts, EnrolmentRow};

/// The problems of a sequence as one message for a refusal.
pub fn problems_text(name: &str, problems: &[SequenceProblem]) -> String {
    let parts: Vec<String> = problems
        .iter()
        .map(|p| match p.step {
            Some(step) => format!("step {}: {}", step + 1, p.kind),
            None => p.kind.to_string(),
        })
        .collect();
    format!("sequence {name}: {}", parts.join("; "))
}

impl Workspace {
    /// Saves a sequence's name, description and steps (its record type, status and creation
    /// time stay as stored; `modified_on` is taken). Refused when there is no such sequence,
    /// when it is active (deactivate it first) or when it has problems.
    pub fn update_sequence(&mut self, sequence: &Sequence) -> Result<()> {
        self.check_writable()?;
        let stored = self.stored_sequence(sequence.id)?;
        if stored.status == Status::Active {
            return Err(StoreError::Invalid(format!(
                "sequence {} is active; deactivate it before changing its steps",
                stored.name
            )));
        }
        let problems = validate_sequence(sequence);
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems_text(&sequence.name, &problems)));
        }
        let context = format!("saving sequence {}", sequence.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        self.conn
            .execute(
                "UPDATE sequence SET name = ?2, description = ?3, modified_on = ?4 WHERE id = ?1",
                rusqlite::params![sequence.id.0, sequence.name, sequence.description, sequence.modified_on.to_string()],
            )
            .with_context(|| context.clone())?;
        self.conn
            .execute("DELETE FROM sequence_step WHERE sequence_id = ?1", [sequence.id.0])
            .with_context(|| context.clone())?;
        self.write_steps(sequence.id, &sequence.steps, &context)?;
        tx.commit().with_context(|| context.clone())
    }

    /// A draft copy of a sequence named `name`, created at `now`.
    pub fn copy_sequence(&mut self, id: SequenceId, name: &str, now: Timestamp) -> Result<SequenceId> {
        let source = self.stored_sequence(id)?;
        let copy =
            Sequence { name: name.to_owned(), status: Status::Draft, created_on: now, modified_on: now, ..source };
        self.insert_sequence(&copy)
    }

    /// Activates or deactivates a sequence, following the lifecycle (Draft → Active ⇄
    /// Inactive). Activating checks the sequence (every problem refuses). Deactivating keeps
    /// its connected segments and running enrolments; nobody new is enrolled meanwhile.
    pub fn set_sequence_status(&mut self, id: SequenceId, status: Status, now: Timestamp) -> Result<()> {
        self.check_writable()?;
        let stored = self.stored_sequence(id)?;
        if !stored.status.can_become(status) {
            return Err(StoreError::Invalid(format!(
                "sequence {} is {} and cannot become {}",
                stored.name,
                stored.status.to_string().to_lowercase(),
                status.to_string().to_lowercase()
            )));
        }
        if status == Status::Active {
            let problems = validate_sequence(&stored);
            if !problems.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "{} (it cannot be activated)",
                    problems_text(&stored.name, &problems)
                )));
            }
        }
        self.conn
            .execute(
                "UPDATE sequence SET status = ?2, modified_on = ?3 WHERE id = ?1",
                rusqlite::params![id.0, status.key(), now.to_string()],
            )
            .context("changing a sequence's status")?;
        Ok(())
    }

    /// Connects a segment to an active sequence of its record type. Refused when the segment
    /// has a sequence already (disconnect it first). Recorded in the segment's history.
    /// Members already in the segment are not enrolled; records joining from now on are.
    pub fn connect_sequence(&mut self, segment: SegmentId, sequence: SequenceId, now: Timestamp) -> Result<()> {
        self.check_writable()?;
        let stored = self.segment(segment)?;
        let target = self.stored_sequence(sequence)?;
        if target.record_type != stored.record_type {
            return Err(StoreError::Invalid(format!(
                "sequence {} is for {} records; segment {} holds {} records",
                target.name, target.record_type, stored.name, stored.record_type
            )));
        }
        if target.status != Status::Active {
            return Err(StoreError::Invalid(format!(
                "sequence {} is {}; only active sequences can be connected",
                target.name,
                target.status.to_string().to_lowercase()
            )));
        }
        match stored.sequence {
            Some(current) if current == sequence => {
                return Err(StoreError::Invalid(format!(
                    "segment {} is connected to sequence {} already",
                    stored.name, target.name
                )));
            }
            Some(current) => {
                let name = self.sequence_name(current)?;
                return Err(StoreError::Invalid(format!(
                    "segment {} is connected to sequence {name}; disconnect it first (a segment has one sequence)",
                    stored.name
                )));
            }
            None => {}
        }
        self.set_segment_sequence(crate::domain::Segment { sequence: Some(sequence), modified_on: now, ..stored }, now)
    }

    /// Disconnects a segment from its sequence; running enrolments keep running. Refused
    /// when the segment has no sequence.
    pub fn disconnect_sequence(&mut self, segment: SegmentId, now: Timestamp) -> Result<()> {
        self.check_writable()?;
        let stored = self.segment(segment)?;
        if stored.sequence.is_none() {
            return Err(StoreError::Invalid(format!("segment {} has no sequence to disconnect", stored.name)));
        }
        self.set_segment_sequence(crate::domain::Segment { sequence: None, modified_on: now, ..stored }, now)
    }

    fn set_segment_sequence(&mut self, segment: crate::domain::Segment, now: Timestamp) -> Result<()> {
        let context = format!("connecting segment {}", segment.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        self.save_segment_in(&segment, now)?;
        tx.commit().with_context(|| context.clone())
    }

    /// How many enrolments a sequence has, running and in all.
    pub fn enrolment_counts(&self, sequence: SequenceId) -> Result<EnrolmentCounts> {
        let (running, total): (i64, i64) = self
            .conn
            .query_row(
                "SELECT coalesce(sum(status = 'running'), 0), count(*) FROM enrolment WHERE sequence_id = ?1",
                [sequence.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .context("counting enrolments")?;
        Ok(EnrolmentCounts { running: running.max(0) as u64, total: total.max(0) as u64 })
    }

    /// A page of a sequence's enrolments, newest first, with record titles and segment names.
    pub fn enrolments(&self, sequence: SequenceId, offset: u64, limit: u64) -> Result<Vec<EnrolmentRow>> {
        let context = "reading enrolments";
        let ty: Option<String> = self
            .conn
            .query_row("SELECT record_type FROM sequence WHERE id = ?1", [sequence.0], |r| r.get(0))
            .optional()
            .context(context)?;
        let Some(ty) = ty else {
            return Err(StoreError::Invalid(format!("there is no sequence with id {}", sequence.0)));
        };
        let def = self.type_def(&RecordTypeName::new(ty))?.clone();
        let sql = format!(
            "SELECT {ENROLMENT_COLUMNS}, r.{} FROM enrolment e LEFT JOIN {} r ON r.\"id\" = e.record_id
             WHERE e.sequence_id = ?1 ORDER BY e.id DESC LIMIT ?2 OFFSET ?3",
            quote(def.primary_field.as_str()),
            quote(def.name.as_str())
        );
        let mut stmt = self.conn.prepare(&sql).context(context)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let raw = stmt
            .query_map(rusqlite::params![sequence.0, limit, offset], |r| {
                Ok((RawEnrolment::from_row(r)?, r.get::<_, rusqlite::types::Value>(10)?))
            })
            .context(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context(context)?;
        let mut names = HashMap::new();
        raw.into_iter()
            .map(|(raw, title)| {
                let enrolment = self.read_enrolment(raw)?;
                let title = match title {
                    rusqlite::types::Value::Text(text) if !text.trim().is_empty() => text,
                    rusqlite::types::Value::Integer(n) => n.to_string(),
                    _ => format!("#{}", enrolment.record.0),
                };
                let segment_name = self.segment_name_of(enrolment.segment, &mut names)?;
                Ok(EnrolmentRow { enrolment, title, segment_name })
            })
            .collect()
    }

    /// A record's enrolment: the running one, else the newest ended one.
    pub fn enrolment_of(&self, ty: &RecordTypeName, record: RecordId) -> Result<Option<EnrolmentRow>> {
        let context = "reading a record's enrolment";
        let raw = self
            .conn
            .query_row(
                &format!(
                    "SELECT {ENROLMENT_COLUMNS} FROM enrolment e WHERE e.record_type = ?1 AND e.record_id = ?2
                     ORDER BY e.status = 'running' DESC, e.id DESC LIMIT 1"
                ),
                rusqlite::params![ty.as_str(), record.0],
                RawEnrolment::from_row,
            )
            .optional()
            .context(context)?;
        let Some(raw) = raw else { return Ok(None) };
        let enrolment = self.read_enrolment(raw)?;
        let segment_name = self.segment_name_of(enrolment.segment, &mut HashMap::new())?;
        let title = self
            .record(ty, record)?
            .and_then(|r| {
                let def = self.schema.get(ty)?;
                r.values.get(def.primary_index()?).and_then(Value::as_text).map(str::to_owned)
            })
            .unwrap_or_else(|| format!("#{}", record.0));
        Ok(Some(EnrolmentRow { enrolment, title, segment_name }))
    }

    /// Enrolment for the joins and moves of an apply, inside its transaction: a move ends
    /// the record's running enrolment ("moved"); a record joining (or moving into) a segment
    /// whose sequence is active is enrolled at its first step, ending a running enrolment it
    /// still has ("re-enrolled"). One pass over the changes, then a few statements per
    /// thousands of records; nothing is read or written when no segment of the type has an
    /// active sequence and no enrolment of the type runs.
    pub(super) fn enrol_joined(&self, changes: &MembershipChanges, now: Timestamp) -> Result<()> {
        let context = "enrolling records in sequences";
        let ty = changes.record_type.as_str();
        let mut sequenced: HashMap<SegmentId, SequenceId> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT s.id, q.id FROM segment s JOIN sequence q ON q.id = s.sequence_id
                     WHERE s.record_type = ?1 AND q.status = 'active'",
                )
                .context(context)?;
            let rows = stmt.query_map([ty], |r| Ok((SegmentId(r.get(0)?), SequenceId(r.get(1)?)))).context(context)?;
            for row in rows {
                let (segment, sequence) = row.context(context)?;
                sequenced.insert(segment, sequence);
            }
        }
        let any_running: bool = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM enrolment WHERE record_type = ?1 AND status = 'running')",
                [ty],
                |r| r.get(0),
            )
            .context(context)?;
        if sequenced.is_empty() && !any_running {
            return Ok(());
        }
        let mut end_moved = Vec::new();
        let mut end_reenrolled = Vec::new();
        let mut enrol: HashMap<SegmentId, Vec<RecordId>> = HashMap::new();
        for joined in changes.joined() {
            if joined.moved_from == Some(joined.segment) {
                continue;
            }
            let enrols = sequenced.contains_key(&joined.segment);
            if any_running {
                if joined.moved_from.is_some() {
                    end_moved.push(joined.record);
                } else if enrols {
                    end_reenrolled.push(joined.record);
                }
            }
            if enrols {
                enrol.entry(joined.segment).or_default().push(joined.record);
            }
        }
        let at = now.to_string();
        for (records, reason) in [(&end_moved, EndReason::Moved), (&end_reenrolled, EndReason::Reenrolled)] {
            for chunk in records.chunks(ENROL_CHUNK) {
                self.conn
                    .prepare_cached(
                        "UPDATE enrolment SET status = 'ended', end_reason = ?2, ended_at = ?3
                         WHERE record_type = ?1 AND status = 'running'
                         AND record_id IN (SELECT value FROM json_each(?4))",
                    )
                    .and_then(|mut stmt| stmt.execute(rusqlite::params![ty, reason.key(), at, json_ids(chunk)]))
                    .context(context)?;
            }
        }
        let mut enrol: Vec<_> = enrol.into_iter().collect();
        enrol.sort_by_key(|(segment, _)| *segment);
        for (segment, records) in &enrol {
            let Some(sequence) = sequenced.get(segment) else { continue };
            for chunk in records.chunks(ENROL_CHUNK) {
                self.conn
                    .prepare_cached(
                        "INSERT INTO enrolment (record_type, record_id, sequence_id, segment_id, step, status, started_at)
                         SELECT ?1, value, ?2, ?3, 0, 'running', ?4 FROM json_each(?5)",
                    )
                    .and_then(|mut stmt| {
                        stmt.execute(rusqlite::params![ty, sequence.0, segment.0, at, json_ids(chunk)])
                    })
                    .context(context)?;
            }
        }
        Ok(())
    }

    /// A sequence as stored, or `Invalid` naming the id.
    fn stored_sequence(&self, id: SequenceId) -> Result<Sequence> {
        let ty: Option<String> = self
            .conn
            .query_row("SELECT record_type FROM sequence WHERE id = ?1", [id.0], |r| r.get(0))
            .optional()
            .context("reading a sequence")?;
        let Some(ty) = ty else {
            return Err(StoreError::Invalid(format!("there is no sequence with id {}", id.0)));
        };
        self.sequences(&RecordTypeName::new(ty))?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| StoreError::Invalid(format!("there is no sequence with id {}", id.0)))
    }

    fn sequence_name(&self, id: SequenceId) -> Result<String> {
        let name: Option<String> = self
            .conn
            .query_row("SELECT name FROM sequence WHERE id = ?1", [id.0], |r| r.get(0))
            .optional()
            .context("reading a sequence name")?;
        Ok(name.unwrap_or_else(|| format!("#{}", id.0)))
    }

    pub(super) fn write_steps(&self, id: SequenceId, steps: &[crate::domain::Step], context: &str) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT INTO sequence_step (sequence_id, position, kind, name, description, wait_minutes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .context(context)?;
        for (position, step) in steps.iter().enumerate() {
            stmt.execute(rusqlite::params![
                id.0,
                position as i64,
                step.kind.key(),
                step.name,
                step.description,
                step.wait_minutes
            ])
            .context(context)?;
        }
        Ok(())
    }

    /// A segment's name, also once deleted (its last history entry), or `#id`.
    fn segment_name_of(&self, id: SegmentId, names: &mut HashMap<SegmentId, String>) -> Result<String> {
        self.segment_ref(id, names).map(|r| r.name)
    }

    fn read_enrolment(&self, raw: RawEnrolment) -> Result<Enrolment> {
        let what = format!("enrolment {}", raw.id);
        let time = |text: &str| -> Result<Timestamp> {
            text.parse().map_err(|e| self.corrupt(format!("{what}: \"{text}\" is not an RFC 3339 time ({e})")))
        };
        let status = EnrolmentStatus::from_key(&raw.status)
            .ok_or_else(|| self.corrupt(format!("{what}: unknown status \"{}\"", raw.status)))?;
        let end_reason = raw
            .end_reason
            .as_deref()
            .map(|key| {
                EndReason::from_key(key).ok_or_else(|| self.corrupt(format!("{what}: unknown end reason \"{key}\"")))
            })
            .transpose()?;
        Ok(Enrolment {
            id: raw.id,
            record_type: RecordTypeName::new(raw.record_type),
            record: RecordId(raw.record_id),
            sequence: SequenceId(raw.sequence_id),
            segment: SegmentId(raw.segment_id),
            step: u32::try_from(raw.step)
                .map_err(|_| self.corrupt(format!("{what}: step {} is not a step", raw.step)))?,
            status,
            end_reason,
            started_at: time(&raw.started_at)?,
            ended_at: raw.ended_at.as_deref().map(time).transpose()?,
        })
    }
}

const ENROLMENT_COLUMNS: &str = "e.id, e.record_type, e.record_id, e.sequence_id, e.segment_id, e.step, e.status, \
     e.end_reason, e.started_at, e.ended_at";

/// An enrolment row as SQLite gives it.
struct RawEnrolment {
    id: i64,
    record_type: String,
    record_id: i64,
    sequence_id: i64,
    segment_id: i64,
    step: i64,
    status: String,
    end_reason: Option<String>,
    started_at: String,
    ended_at: Option<String>,
}

impl RawEnrolment {
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            record_type: r.get(1)?,
            record_id: r.get(2)?,
            sequence_id: r.get(3)?,
            segment_id: r.get(4)?,
            step: r.get(5)?,
            status: r.get(6)?,
            end_reason: r.get(7)?,
            started_at: r.get(8)?,
            ended_at: r.get(9)?,
        })
    }
}
