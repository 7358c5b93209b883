//! Writes a generated demo into a new workspace file.

use std::path::Path;

use super::DemoSpec;
use crate::store::{StoreError, Workspace};

/// Creates a demo workspace at `path`. The workspace is built under a temporary name next
/// to it and renamed into place when complete, so a failure or a cancel leaves nothing.
/// `progress(fraction, message)` returns false to cancel.
pub fn create_demo_workspace(
    path: &Path,
    spec: &DemoSpec,
    progress: &mut dyn FnMut(f32, &str) -> bool,
) -> Result<(), StoreError> {
    let _ = (path, spec, progress, Workspace::in_memory);
    Err(StoreError::Invalid("demo generation is not available yet".into()))
}
