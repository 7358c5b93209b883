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
use super::worklist::carried_steps;
use super::{Result, SqlContext, StoreError, Workspace, quote};
use crate::domain::cadence;
use crate::domain::sequence::{EndReason, Enrolment, EnrolmentStatus, SequenceProblem, StepOutcome, validate_sequence};
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
    /// Saves a sequence's name, description, options and steps (its record type, status and
    /// creation time stay as stored; `modified_on` is taken). Refused when there is no such
    /// sequence, when it is active (deactivate it first) or when it has problems. Running
    /// enrolments keep their step by position ([`Workspace::update_sequence_mapped`]).
    pub fn update_sequence(&mut self, sequence: &Sequence) -> Result<()> {
        let stored = self.stored_sequence(sequence.id)?;
        let origins: Vec<Option<u32>> =
            (0..sequence.steps.len()).map(|i| u32::try_from(i).ok().filter(|_| i < stored.steps.len())).collect();
        self.update_sequence_mapped(sequence, &origins)
    }

    /// [`Workspace::update_sequence`], saying where each new step came from: `origins[i]`
    /// is the stored position of step `i`, `None` for a new step. Running enrolments continue
    /// on their step wherever it moved; an enrolment whose step was removed continues at the
    /// next step that remains (the removed one is skipped), one with none left completes,
    /// and one whose step became a wait moves on to the step after it. Due times stay.
    pub fn update_sequence_mapped(&mut self, sequence: &Sequence, origins: &[Option<u32>]) -> Result<()> {
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
                "UPDATE sequence SET name = ?2, description = ?3, modified_on = ?4, working_hours = ?5,
                 stop_when_leaving = ?6 WHERE id = ?1",
                rusqlite::params![
                    sequence.id.0,
                    sequence.name,
                    sequence.description,
                    sequence.modified_on.to_string(),
                    sequence.options.working_hours,
                    sequence.options.stop_when_leaving
                ],
            )
            .with_context(|| context.clone())?;
        self.conn
            .execute("DELETE FROM sequence_step WHERE sequence_id = ?1", [sequence.id.0])
            .with_context(|| context.clone())?;
        self.write_steps(sequence.id, &sequence.steps, &context)?;
        let map = carried_steps(stored.steps.len(), &sequence.steps, origins);
        self.carry_enrolments(sequence.id, &map, sequence.modified_on)?;
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

    /// How many enrolments a sequence has, running and in all, and running per step.
    pub fn enrolment_counts(&self, sequence: SequenceId) -> Result<EnrolmentCounts> {
        let context = "counting enrolments";
        let (running, total): (i64, i64) = self
            .conn
            .query_row(
                "SELECT coalesce(sum(status = 'running'), 0), count(*) FROM enrolment WHERE sequence_id = ?1",
                [sequence.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .context(context)?;
        let steps: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sequence_step WHERE sequence_id = ?1", [sequence.0], |r| r.get(0))
            .context(context)?;
        let mut per_step = vec![0; usize::try_from(steps).unwrap_or(0)];
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT step, count(*) FROM enrolment WHERE sequence_id = ?1 AND status = 'running' GROUP BY step",
            )
            .context(context)?;
        let rows = stmt.query_map([sequence.0], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))).context(context)?;
        for row in rows {
            let (step, count) = row.context(context)?;
            if let Some(slot) = usize::try_from(step).ok().and_then(|s| per_step.get_mut(s)) {
                *slot = count.max(0).cast_unsigned();
            }
        }
        Ok(EnrolmentCounts { running: running.max(0).cast_unsigned(), total: total.max(0).cast_unsigned(), per_step })
    }

    /// A page of a sequence's enrolments, newest first, with record titles and segment names.
    pub fn enrolments(&self, sequence: SequenceId, offset: u64, limit: u64) -> Result<Vec<EnrolmentRow>> {
        let context = "reading enrolments";
        let stored = self.stored_sequence(sequence)?;
        let def = self.type_def(&stored.record_type)?.clone();
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
                Ok((RawEnrolment::from_row(r)?, r.get::<_, rusqlite::types::Value>(ENROLMENT_COLUMN_COUNT)?))
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
                self.enrolment_row(enrolment, title, segment_name, Some(&stored))
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
        let sequence = self.sequence_if_any(enrolment.sequence)?;
        self.enrolment_row(enrolment, title, segment_name, sequence.as_ref()).map(Some)
    }

    /// An enrolment with its current step, the sequence's state and its last finished step.
    fn enrolment_row(
        &self,
        enrolment: Enrolment,
        title: String,
        segment_name: String,
        sequence: Option<&Sequence>,
    ) -> Result<EnrolmentRow> {
        let last_outcome = self
            .conn
            .prepare_cached(
                "SELECT position, outcome FROM enrolment_step WHERE enrolment_id = ?1 ORDER BY id DESC LIMIT 1",
            )
            .and_then(|mut stmt| {
                stmt.query_row([enrolment.id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).optional()
            })
            .context("reading an enrolment's steps")?
            .and_then(|(position, outcome)| Some((u32::try_from(position).ok()?, StepOutcome::from_key(&outcome)?)));
        let step = sequence.and_then(|s| s.steps.get(enrolment.step as usize)).cloned();
        Ok(EnrolmentRow {
            title,
            segment_name,
            step,
            steps: sequence.map_or(0, |s| u32::try_from(s.steps.len()).unwrap_or(u32::MAX)),
            sequence_active: sequence.is_some_and(|s| s.status == Status::Active),
            last_outcome,
            enrolment,
        })
    }

    /// Enrolment for the joins, moves and leaves of an apply, inside its transaction: a move
    /// ends the record's running enrolment ("moved"); a record joining (or moving into) a
    /// segment whose sequence is active is enrolled at its first step (past leading waits,
    /// counted in the workspace's time zone from now), ending a running enrolment it still
    /// has ("re-enrolled"); a record leaving the segment it was enrolled from ends that
    /// enrolment ("left") when its sequence stops on leaving. One pass over the changes, then
    /// a few statements per thousands of records; nothing is read or written when no segment
    /// of the type has an active sequence and no enrolment of the type runs.
    pub(super) fn enrol_joined(&self, changes: &MembershipChanges, now: Timestamp) -> Result<()> {
        let context = "enrolling records in sequences";
        let ty = changes.record_type.as_str();
        let sequenced = self.active_sequences_of(ty)?;
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
        let mut left: HashMap<SegmentId, Vec<RecordId>> = HashMap::new();
        for change in &changes.changes {
            if let (Some(from), None, true) = (change.from, change.to, any_running) {
                left.entry(from).or_default().push(change.record);
            }
        }
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
                        "UPDATE enrolment SET status = 'ended', end_reason = ?2, ended_at = ?3, due_at = NULL
                         WHERE record_type = ?1 AND status = 'running'
                         AND record_id IN (SELECT value FROM json_each(?4))",
                    )
                    .and_then(|mut stmt| stmt.execute(rusqlite::params![ty, reason.key(), at, json_ids(chunk)]))
                    .context(context)?;
            }
        }
        self.end_left(ty, &left, &at)?;
        let mut enrol: Vec<_> = enrol.into_iter().collect();
        enrol.sort_by_key(|(segment, _)| *segment);
        let zone = jiff::tz::TimeZone::get(self.time_zone()).unwrap_or(jiff::tz::TimeZone::UTC);
        for (segment, records) in &enrol {
            let Some(sequence) = sequenced.get(segment) else { continue };
            let first =
                cadence::arrive(&self.steps_of(*sequence)?, 0, now, &cadence::WaitClock::calendar(zone.clone()));
            let (step, due_at) = match first {
                cadence::Next::Step { position, due_at } => (position, due_at),
                cadence::Next::Completed => (0, cadence::whole_second(now)),
            };
            let due_at = due_at.to_string();
            for chunk in records.chunks(ENROL_CHUNK) {
                self.conn
                    .prepare_cached(
                        "INSERT INTO enrolment (record_type, record_id, sequence_id, segment_id, step, status, started_at, due_at)
                         SELECT ?1, value, ?2, ?3, ?6, 'running', ?4, ?7 FROM json_each(?5)",
                    )
                    .and_then(|mut stmt| {
                        stmt.execute(rusqlite::params![ty, sequence.0, segment.0, at, json_ids(chunk), step, due_at])
                    })
                    .context(context)?;
            }
        }
        Ok(())
    }

    /// The segments of a record type connected to an active sequence, and that sequence.
    fn active_sequences_of(&self, ty: &str) -> Result<HashMap<SegmentId, SequenceId>> {
        let context = "reading the sequences of segments";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT s.id, q.id FROM segment s JOIN sequence q ON q.id = s.sequence_id
                 WHERE s.record_type = ?1 AND q.status = 'active'",
            )
            .context(context)?;
        let rows = stmt.query_map([ty], |r| Ok((SegmentId(r.get(0)?), SequenceId(r.get(1)?)))).context(context)?;
        rows.collect::<rusqlite::Result<_>>().context(context)
    }

    /// The steps of a sequence, in order.
    pub(super) fn steps_of(&self, sequence: SequenceId) -> Result<Vec<crate::domain::Step>> {
        let context = "reading a sequence's steps";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT kind, name, description, wait_minutes FROM sequence_step WHERE sequence_id = ?1 ORDER BY position",
            )
            .context(context)?;
        let rows = stmt
            .query_map([sequence.0], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get(3)?))
            })
            .context(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context(context)?;
        rows.into_iter()
            .map(|(kind, name, description, wait_minutes)| {
                let kind = crate::domain::StepKind::from_key(&kind)
                    .ok_or_else(|| self.corrupt(format!("sequence {}: unknown step kind \"{kind}\"", sequence.0)))?;
                Ok(crate::domain::Step { kind, name, description, wait_minutes })
            })
            .collect()
    }

    /// Ends the running enrolments of records that left the segment they were enrolled
    /// from, where the sequence stops when a record leaves.
    fn end_left(&self, ty: &str, left: &HashMap<SegmentId, Vec<RecordId>>, at: &str) -> Result<()> {
        for (segment, records) in left {
            for chunk in records.chunks(ENROL_CHUNK) {
                self.conn
                    .prepare_cached(
                        "UPDATE enrolment SET status = 'ended', end_reason = ?3, ended_at = ?4, due_at = NULL
                         WHERE record_type = ?1 AND status = 'running' AND segment_id = ?2
                         AND sequence_id IN (SELECT id FROM sequence WHERE stop_when_leaving = 1)
                         AND record_id IN (SELECT value FROM json_each(?5))",
                    )
                    .and_then(|mut stmt| {
                        stmt.execute(rusqlite::params![ty, segment.0, EndReason::Left.key(), at, json_ids(chunk)])
                    })
                    .context("ending enrolments of records that left their segment")?;
            }
        }
        Ok(())
    }

    /// A sequence as stored, or `None` when there is no such sequence.
    pub(super) fn sequence_if_any(&self, id: SequenceId) -> Result<Option<Sequence>> {
        match self.stored_sequence(id) {
            Ok(sequence) => Ok(Some(sequence)),
            Err(StoreError::Invalid(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// A sequence as stored, or `Invalid` naming the id.
    pub(super) fn stored_sequence(&self, id: SequenceId) -> Result<Sequence> {
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

    pub(super) fn read_enrolment(&self, raw: RawEnrolment) -> Result<Enrolment> {
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
            due_at: raw.due_at.as_deref().map(time).transpose()?,
        })
    }
}

pub(super) const ENROLMENT_COLUMNS: &str = "e.id, e.record_type, e.record_id, e.sequence_id, e.segment_id, e.step, e.status, \
     e.end_reason, e.started_at, e.ended_at, e.due_at";
/// How many columns [`ENROLMENT_COLUMNS`] has.
const ENROLMENT_COLUMN_COUNT: usize = 11;

/// An enrolment row as SQLite gives it.
pub(super) struct RawEnrolment {
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
    due_at: Option<String>,
}

impl RawEnrolment {
    pub(super) fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
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
            due_at: r.get(10)?,
        })
    }
}
