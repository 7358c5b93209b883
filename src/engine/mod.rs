//! Fast evaluation: compiled conditions over columnar snapshots, condition → SQL with bound
//! parameters, priority resolution, assignment distribution. No egui, no UI state.
//!
//! - `sql`: a condition tree as an SQL `WHERE` clause with bound parameters.

pub mod sql;
