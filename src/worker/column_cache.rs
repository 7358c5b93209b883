//! Loading the snapshot through the column cache (`engine::cache`): read the cache beside
//! the workspace, check it was made for this workspace, schema and time zone, replay the
//! records changed since (read again one by one), and only when that cannot be done build
//! the columns from SQL (`load_types`) and write a new cache.

use std::path::Path;

use jiff::tz::TimeZone;

use super::engine::load_types;
use crate::domain::{RecordId, RecordTypeName};
use crate::engine::Snapshot;
use crate::engine::cache::{self, CacheKey};
use crate::store::Workspace;
use crate::worker::WorkerError;

/// Replaying more changed records than this rewrites the cache, so the next open does not
/// read them again.
const REWRITE_AFTER_RECORDS: usize = 2_000;

/// How the snapshot was obtained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheUse {
    /// From the cache, with this many changed records read again.
    Hit { replayed: usize },
    /// Built from SQL, for this reason (no cache, another schema, …).
    Built { reason: String },
}

/// What [`load_with_cache`] did, beside the snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheReport {
    pub used: CacheUse,
    /// Why the cache could not be written (a read-only folder, a full disk): the snapshot
    /// is right all the same.
    pub not_written: Option<String>,
}

/// The snapshot of every record type of the workspace at `path`, from the column cache
/// when it matches the file, else built from SQL (and cached for next time); with a reader
/// on the workspace. `verify` runs first when the records must be read from SQL (a
/// workspace opened without its full check: `Workspace::open_unverified`).
pub fn load_with_cache(
    path: &Path,
    progress: &(dyn Fn(f32) + Sync),
    verify: &dyn Fn() -> Result<(), String>,
) -> Result<(Workspace, Snapshot, CacheReport), WorkerError> {
    let cache_path = cache::cache_path(path);
    let reader = match Workspace::open_unverified(path) {
        Ok(Some(reader)) => reader,
        Ok(None) => Workspace::open_reader(path)?,
        Err(e) => return Err(e.into()),
    };
    // Nothing is made beside a workspace that cannot be written.
    let writable = reader.file_is_writable();
    let write = |key: &CacheKey, snapshot: &Snapshot| {
        if writable {
            cache::write(&cache_path, key, snapshot).err().map(|e| e.to_string())
        } else {
            Some("the workspace cannot be written".to_owned())
        }
    };
    // The log's position first: records read afterwards are at least as new.
    let now = current_key(&reader).map_err(WorkerError::Message)?;
    let reason = match from_cache(&reader, &cache_path, &now) {
        Ok((snapshot, seq, replayed)) => {
            progress(1.0);
            let mut report = CacheReport { used: CacheUse::Hit { replayed }, not_written: None };
            if replayed > REWRITE_AFTER_RECORDS {
                let key = CacheKey { seq, ..now };
                report.not_written = write(&key, &snapshot);
            }
            return Ok((reader, snapshot, report));
        }
        Err(reason) => reason,
    };
    drop(reader);
    verify().map_err(WorkerError::Message)?;
    let (reader, snapshot) = load_types(path, None, progress)?;
    let not_written = write(&now, &snapshot);
    Ok((reader, snapshot, CacheReport { used: CacheUse::Built { reason }, not_written }))
}

/// The key a cache made now would carry.
fn current_key(reader: &Workspace) -> Result<CacheKey, String> {
    let position = reader.log_position().map_err(|e| e.to_string())?;
    CacheKey::new(position.workspace, position.seq, reader.schema(), reader.time_zone()).map_err(|e| e.to_string())
}

/// The cached snapshot brought up to date, the log number it is now at and how many
/// records were read again; `Err` says why the cache cannot be used.
fn from_cache(reader: &Workspace, cache_path: &Path, now: &CacheKey) -> Result<(Snapshot, i64, usize), String> {
    let file = cache::read(cache_path).map_err(|e| e.to_string())?.ok_or("no column cache yet")?;
    if !file.key.same_origin(now) {
        return Err("the cache was made for another workspace, schema or time zone".to_owned());
    }
    let changes = reader.changes_after(file.key.seq).map_err(|e| e.to_string())?;
    if let Some(unknown) = changes.unknown {
        return Err(unknown);
    }
    let time_zone = TimeZone::get(reader.time_zone()).unwrap_or(TimeZone::UTC);
    let teams = reader.teams().map_err(|e| e.to_string())?.into_iter().map(|t| (t.id, t.members));
    let mut snapshot = file.snapshot(reader.schema(), time_zone, teams).map_err(|e| e.to_string())?;
    drop(file);
    let mut replayed = 0;
    for (ty, ids) in &changes.records {
        if reader.schema().get(ty).is_none() {
            continue;
        }
        let ids: Vec<RecordId> = ids.iter().copied().collect();
        replayed += replay(reader, &mut snapshot, ty, &ids)?;
    }
    Ok((snapshot, changes.seq, replayed))
}

/// Reads the records `ids` of `ty` again into `snapshot` (removing those that are gone,
/// and reading again the records that pointed at them); returns how many were read.
fn replay(reader: &Workspace, snapshot: &mut Snapshot, ty: &RecordTypeName, ids: &[RecordId]) -> Result<usize, String> {
    let records = reader.records_by_id(ty, ids).map_err(|e| e.to_string())?;
    let mut gone: Vec<RecordId> = ids.to_vec();
    for record in &records {
        snapshot.upsert(ty, record).map_err(|e| e.to_string())?;
    }
    let found: std::collections::HashSet<RecordId> = records.iter().map(|r| r.id).collect();
    gone.retain(|id| !found.contains(id));
    let mut replayed = records.len();
    for &id in &gone {
        snapshot.remove(ty, id).map_err(|e| e.to_string())?;
    }
    if !gone.is_empty() {
        for (referrer, ids) in snapshot.referrers(ty, &gone) {
            for record in reader.records_by_id(&referrer, &ids).map_err(|e| e.to_string())? {
                snapshot.upsert(&referrer, &record).map_err(|e| e.to_string())?;
                replayed += 1;
            }
        }
    }
    Ok(replayed + gone.len())
}
