//! What the screens read from a workspace when it opens or another program changed it.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::tz::TimeZone;

use crate::state::WorkspaceView;
use crate::store::{StoreError, Workspace};

/// Reads what the screens show from a workspace.
pub fn load_view(workspace: &Workspace) -> Result<WorkspaceView, StoreError> {
    let schema = workspace.schema().clone();
    let time_zone_name = workspace.time_zone().to_owned();
    let time_zone = TimeZone::get(&time_zone_name).unwrap_or(TimeZone::UTC);
    let mut segments = BTreeMap::new();
    let mut member_counts = std::collections::HashMap::new();
    let mut unassigned_counts = std::collections::HashMap::new();
    let mut record_counts = BTreeMap::new();
    let mut sequences = Vec::new();
    for def in &schema.types {
        segments.insert(def.name.clone(), workspace.segments(&def.name)?);
        member_counts.extend(workspace.member_counts(&def.name)?);
        unassigned_counts.extend(workspace.unassigned_counts(&def.name)?);
        record_counts.insert(def.name.clone(), workspace.count_records(&def.name)?);
        sequences.extend(workspace.sequences(&def.name)?);
    }
    Ok(WorkspaceView {
        path: workspace.path().map(Path::to_path_buf).unwrap_or_default(),
        schema,
        time_zone,
        time_zone_name,
        segments,
        member_counts,
        unassigned_counts,
        sequences,
        sellers: workspace.sellers()?,
        teams: workspace.teams()?,
        record_counts,
    })
}
