//! Records still to evaluate: an import marks the records it wrote IN ITS OWN transaction
//! (table `pending_evaluation`, version 5), and the evaluation that joins them to their
//! segments clears the marks in ITS transaction. Killed in between, the marks survive and
//! the next open (the window's engine), `apply` or `import-records` finishes the
//! evaluation first, so no imported record silently misses its segment.
//!
//! Marks are numbered (`id`, ascending): a reader takes the marks up to the newest it saw
//! ([`Workspace::pending_upto`]) BEFORE it reads the records, so every record it evaluates
//! was written before it read them, and it clears exactly those marks, never one that
//! another process added meanwhile. Evaluating a record twice changes nothing the second
//! time, so an evaluation that commits and is killed before its marks are cleared is
//! harmless.

use rusqlite::params;

use super::membership::json_ids;
use super::{Result, SqlContext, Workspace};
use crate::domain::{RecordId, RecordTypeName};

/// Marks are inserted per this many records (one JSON array each).
const MARKS_PER_STATEMENT: usize = 50_000;

/// A run of marks, by their numbers, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingMarks {
    pub first: i64,
    pub last: i64,
}

impl PendingMarks {
    /// Every mark up to `last`.
    pub fn up_to(last: i64) -> Self {
        Self { first: i64::MIN, last }
    }
}

/// The records of one type still to evaluate: the ones created and the ones updated (a
/// record in both lists counts as created).
#[derive(Clone, Debug, PartialEq)]
pub struct PendingEvaluation {
    pub record_type: RecordTypeName,
    pub created: Vec<RecordId>,
    pub updated: Vec<RecordId>,
}

impl Workspace {
    /// Marks `created` and `updated` records of `ty` as still to evaluate, inside the
    /// caller's transaction (an import's). `None` when there is nothing to mark.
    pub fn mark_pending(
        &mut self,
        ty: &RecordTypeName,
        created: &[RecordId],
        updated: &[RecordId],
    ) -> Result<Option<PendingMarks>> {
        self.check_writable()?;
        if created.is_empty() && updated.is_empty() {
            return Ok(None);
        }
        let context = format!("marking the imported {ty} records for evaluation");
        let tx = self.write_scope().with_context(|| context.clone())?;
        let newest = |conn: &rusqlite::Connection| -> rusqlite::Result<i64> {
            conn.query_row("SELECT coalesce(max(id), 0) FROM pending_evaluation", [], |r| r.get(0))
        };
        let before = newest(&tx).with_context(|| context.clone())?;
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO pending_evaluation (record_type, record_id, kind) SELECT ?1, value, ?2 FROM json_each(?3)",
            )
            .with_context(|| context.clone())?;
        for (ids, kind) in [(created, "created"), (updated, "updated")] {
            for chunk in ids.chunks(MARKS_PER_STATEMENT) {
                insert.execute(params![ty.as_str(), kind, json_ids(chunk)]).with_context(|| context.clone())?;
            }
        }
        drop(insert);
        let after = newest(&tx).with_context(|| context.clone())?;
        tx.commit().with_context(|| context.clone())?;
        Ok(Some(PendingMarks { first: before + 1, last: after }))
    }

    /// The number of the newest mark, `None` when no record waits for evaluation.
    pub fn pending_upto(&self) -> Result<Option<i64>> {
        self.conn.query_row("SELECT max(id) FROM pending_evaluation", [], |r| r.get(0)).context("reading the marks")
    }

    /// The records marked in `marks`, per record type (in name order).
    pub fn pending_evaluations(&self, marks: PendingMarks) -> Result<Vec<PendingEvaluation>> {
        let context = "reading the records still to evaluate";
        // In the order of the marks (the table's own, no sort): sorting a million marks by type
        // first, and a text per row for the type and the kind, were most of a second.
        let mut stmt = self
            .conn
            .prepare(
                "SELECT record_type, record_id, kind = 'created' FROM pending_evaluation WHERE id BETWEEN ?1 AND ?2
                 ORDER BY id",
            )
            .context(context)?;
        let mut rows = stmt.query([marks.first, marks.last]).context(context)?;
        let mut found: Vec<PendingEvaluation> = Vec::new();
        let mut current = 0;
        while let Some(row) = rows.next().context(context)? {
            let ty = row.get_ref(0).and_then(|v| Ok(v.as_str()?)).context(context)?;
            let (id, created) = (RecordId(row.get(1).context(context)?), row.get::<_, bool>(2).context(context)?);
            if found.get(current).is_none_or(|p| p.record_type.as_str() != ty) {
                current = found.iter().position(|p| p.record_type.as_str() == ty).unwrap_or_else(|| {
                    let (created, updated) = (Vec::new(), Vec::new());
                    found.push(PendingEvaluation { record_type: RecordTypeName::new(ty), created, updated });
                    found.len() - 1
                });
            }
            if let Some(pending) = found.get_mut(current) {
                if created { pending.created.push(id) } else { pending.updated.push(id) }
            }
        }
        found.sort_by(|a, b| a.record_type.cmp(&b.record_type));
        for pending in &mut found {
            once_each(&mut pending.created);
            if !pending.updated.is_empty() {
                let created: std::collections::HashSet<RecordId> = pending.created.iter().copied().collect();
                pending.updated.retain(|id| !created.contains(id));
                once_each(&mut pending.updated);
            }
        }
        Ok(found)
    }

    /// Clears the marks in `marks`, inside the caller's transaction (the evaluation's).
    pub fn clear_pending(&mut self, marks: PendingMarks) -> Result<()> {
        self.check_writable()?;
        let context = "clearing the marks of evaluated records";
        let tx = self.write_scope().context(context)?;
        tx.execute("DELETE FROM pending_evaluation WHERE id BETWEEN ?1 AND ?2", [marks.first, marks.last])
            .context(context)?;
        tx.commit().context(context)
    }
}

/// Leaves each id once, where it first was; ids that only ascend (an import's) are kept as
/// they are, without a set of a million ids.
fn once_each(ids: &mut Vec<RecordId>) {
    if ids.windows(2).all(|pair| pair[0] < pair[1]) {
        return;
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
}
