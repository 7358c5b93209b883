//! `overlap`: how many records each pair of a record type's segments both match, in
//! priority order (the Overlap screen's heat map as a table or JSON).

use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;

use super::error::{in_workspace, refused};
use super::{CliError, open_unverified};
use crate::domain::overlap::Analysis;
use crate::domain::{EvalContext, RecordTypeName, Segment};
use crate::engine::Snapshot;
use crate::worker::column_cache::load_with_cache;

/// A segment of the matrix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OverlapLine {
    /// 1 is the highest priority.
    pub priority: usize,
    pub name: String,
    pub status: String,
    /// Records its conditions match.
    pub matches: usize,
}

/// The answer of `overlap` (`--json` prints exactly this).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OverlapReport {
    pub record_type: String,
    pub segments: Vec<OverlapLine>,
    /// `shared[i][j]`: records segments `i` and `j` (in the order of `segments`) both match.
    pub shared: Vec<Vec<usize>>,
    /// How long the engine took for the matrix and the lint (not loading the records).
    pub elapsed_ms: f64,
}

impl OverlapReport {
    fn from_analysis(analysis: &Analysis) -> Self {
        OverlapReport {
            record_type: analysis.record_type.to_string(),
            segments: analysis
                .segments
                .iter()
                .enumerate()
                .map(|(i, s)| OverlapLine {
                    priority: i + 1,
                    name: s.name.clone(),
                    status: s.status.to_string(),
                    matches: s.matches,
                })
                .collect(),
            shared: analysis.shared.clone(),
            elapsed_ms: analysis.elapsed_ms,
        }
    }

    /// The matrix as a table: a row per segment, a column per priority number.
    pub fn to_text(&self) -> String {
        if self.segments.is_empty() {
            return format!("{} has no segments\n", self.record_type);
        }
        let labels: Vec<String> = self.segments.iter().map(|s| format!("{}. {}", s.priority, s.name)).collect();
        let label_width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        let widest = self.shared.iter().flatten().map(|n| n.to_string().len()).max().unwrap_or(1);
        let cell = widest.max(self.segments.len().to_string().len()) + 2;
        let mut out = format!("{:label_width$}", "");
        for line in &self.segments {
            out.push_str(&format!("{:>cell$}", line.priority));
        }
        out.push('\n');
        for (label, row) in labels.iter().zip(&self.shared) {
            out.push_str(&format!("{label:label_width$}"));
            for count in row {
                out.push_str(&format!("{count:>cell$}"));
            }
            out.push('\n');
        }
        out.push_str(&format!("computed in {:.0} ms\n", self.elapsed_ms));
        out
    }
}

/// `overlap`: the matrix of the segments of `record_type` at `now`.
pub fn overlap_command(path: &Path, record_type: &str, now: Timestamp) -> Result<OverlapReport, CliError> {
    let (snapshot, segments) = load(path, Some(record_type))?;
    let (ty, segments) = segments.into_iter().next().ok_or_else(|| refused("no record type to compare"))?;
    let ctx = EvalContext::new(now, snapshot.time_zone().clone());
    let analysis = crate::engine::overlap::analyse(&snapshot, &ty, &segments, &ctx)?;
    Ok(OverlapReport::from_analysis(&analysis))
}

/// The segments of each record type, in priority order.
pub(super) type SegmentsByType = Vec<(RecordTypeName, Vec<Segment>)>;

/// The snapshot of the workspace's records and the segments of `record_type` (every type
/// with segments when `None`), checked like `preview` does.
pub(super) fn load(path: &Path, record_type: Option<&str>) -> Result<(Snapshot, SegmentsByType), CliError> {
    if !path.exists() {
        return Err(refused(format!("{}: no such workspace", path.display())));
    }
    let workspace = open_unverified(path)?;
    let schema = workspace.schema().clone();
    let types: Vec<RecordTypeName> = match record_type {
        Some(name) => {
            let Some(def) = schema.get_by_str(name) else {
                let known: Vec<&str> = schema.types.iter().map(|t| t.name.as_str()).collect();
                return Err(refused(format!(
                    "there is no record type \"{name}\" (the workspace has {})",
                    known.join(", ")
                )));
            };
            vec![def.name.clone()]
        }
        None => schema.types.iter().map(|t| t.name.clone()).collect(),
    };
    let mut segments = Vec::new();
    for ty in types {
        let of_type = workspace.segments(&ty)?;
        if record_type.is_some() || !of_type.is_empty() {
            segments.push((ty, of_type));
        }
    }
    // The records from the column cache when it matches the file; the whole file is checked
    // only when they must be read from it. The unverified connection closes last.
    let verify = || workspace.verify().map_err(|e| in_workspace(path, &e));
    let (_, snapshot, _) = load_with_cache(path, &|_| {}, &verify)?;
    drop(workspace);
    Ok((snapshot, segments))
}
