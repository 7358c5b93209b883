//! `lint`: what is wrong with the segments of each record type — shadowed, contradictory,
//! matching no record today, the same as another, a condition that changes nothing (the
//! verdicts of `domain::lint`, as the segment list and the builder show them).

use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;

use super::CliError;
use crate::domain::EvalContext;
use crate::domain::lint::Verdict;

/// One verdict with its message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerdictLine {
    #[serde(flatten)]
    pub verdict: Verdict,
    pub message: String,
}

/// A segment and its verdicts (none when nothing is wrong).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SegmentLintLine {
    /// 1 is the highest priority.
    pub priority: usize,
    pub segment: String,
    pub status: String,
    pub verdicts: Vec<VerdictLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TypeLint {
    pub record_type: String,
    pub segments: Vec<SegmentLintLine>,
}

/// The answer of `lint` (`--json` prints exactly this).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LintReport {
    pub record_types: Vec<TypeLint>,
}

impl LintReport {
    /// How many verdicts in all.
    pub fn findings(&self) -> usize {
        self.record_types.iter().flat_map(|t| &t.segments).map(|s| s.verdicts.len()).sum()
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for ty in &self.record_types {
            for segment in ty.segments.iter().filter(|s| !s.verdicts.is_empty()) {
                out.push_str(&format!(
                    "{} {}. {} ({})\n",
                    ty.record_type, segment.priority, segment.segment, segment.status
                ));
                for line in &segment.verdicts {
                    out.push_str(&format!("  {}\n", line.message));
                }
            }
        }
        let segments: usize = self.record_types.iter().map(|t| t.segments.len()).sum();
        out.push_str(&format!("{} finding(s) in {segments} segment(s)\n", self.findings()));
        out
    }
}

/// `lint`: the verdicts of every segment of `record_type` (every type with segments when
/// `None`) at `now`.
pub fn lint_command(path: &Path, record_type: Option<&str>, now: Timestamp) -> Result<LintReport, CliError> {
    let (snapshot, by_type) = super::overlap::load(path, record_type)?;
    let ctx = EvalContext::new(now, snapshot.time_zone().clone());
    let mut record_types = Vec::new();
    for (ty, segments) in by_type {
        let analysis = crate::engine::overlap::analyse(&snapshot, &ty, &segments, &ctx)?;
        let lines = analysis
            .segments
            .iter()
            .zip(analysis.lints)
            .enumerate()
            .map(|(i, (segment, lint))| SegmentLintLine {
                priority: i + 1,
                segment: segment.name.clone(),
                status: segment.status.to_string(),
                verdicts: lint
                    .verdicts
                    .into_iter()
                    .map(|verdict| VerdictLine { message: verdict.message(), verdict })
                    .collect(),
            })
            .collect();
        record_types.push(TypeLint { record_type: ty.to_string(), segments: lines });
    }
    Ok(LintReport { record_types })
}
