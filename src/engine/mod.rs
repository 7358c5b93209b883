//! Fast evaluation: compiled conditions over columnar snapshots, condition → SQL with bound
//! parameters, priority resolution, assignment distribution. No egui, no UI state.
//!
//! Filled by the condition-engine work (issue 3); the module exists so the layering is set.
