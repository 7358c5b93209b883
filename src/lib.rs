//! Segment Builder: segments of CRM records, sequences and assignment rules, kept in one
//! SQLite workspace file. See ARCHITECTURE.md for the map.

pub mod app;
pub mod checksum;
pub mod cli;
pub mod clock;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod interchange;
pub mod state;
pub mod store;
pub mod ui;
pub mod worker;
