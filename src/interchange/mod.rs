//! Data in and out of a workspace as files: CSV records and the definitions bundle.
//! Pure conversion (bytes to typed rows and back, every problem with its place); the store
//! writes, the callers read and write files.

pub mod csv_quotes;
pub mod csv_records;
pub mod definitions;
pub mod definitions_plan;
