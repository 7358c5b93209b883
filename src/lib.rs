//! Segment Builder: segments of CRM records, sequences and assignment rules, kept in one
//! SQLite workspace file. See ARCHITECTURE.md for the map.

pub mod demo;
pub mod domain;
pub mod store;
