//! Creating, opening and refusing workspace files.
//!
//! Opening never modifies a file it refuses. In order:
//! 1. the 100-byte header is read with `std::fs` (only when no connection of this process
//!    has the file open: see `held`): no SQLite magic → `NotSqlite`, another
//!    `application_id` → `Foreign`, a newer `user_version` → `Newer`;
//! 2. the file is opened READ-ONLY: the authoritative `application_id` / `user_version` are
//!    checked again, `PRAGMA quick_check` runs (→ `Corrupt`), and a current workspace's
//!    schema is loaded and validated (→ `Corrupt`);
//!    ([`Workspace::open_unverified`], for read-only commands, skips the `quick_check` and
//!    lets its caller run it only when it reads the file at large);
//! 3. only then is it opened read-write: migrations and the schema load run in one
//!    transaction (a failure rolls back and leaves the file as it was), and last the
//!    journal is switched to WAL.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::domain::FieldKind;
use crate::domain::number::cents;
use crate::domain::quantity::{QuantityTest, Tally, read_aggregate_spec};

use super::changes::Watch;
use super::held::Held;
use super::receipt::{self, Checked};
use super::{APPLICATION_ID, Result, SCHEMA_VERSION, SqlContext, StoreError, Workspace, migrate, schema};
use crate::domain::eval::{compile_pattern, fold};

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// How long a read-only connection waits for another one's lock before giving up (in WAL,
/// readers wait only while another connection recovers the log).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a read-write connection waits for another writer (another process's `apply`
/// or import holds the write lock for its whole transaction: seconds at a million records)
/// before its write fails as busy. Writes begin IMMEDIATE, so the wait is all up front.
const WRITER_BUSY_TIMEOUT: Duration = Duration::from_mins(1);
/// `PRAGMA cache_size` of read-write connections: negative means KiB, so 64 MiB.
const WRITER_CACHE_KIB: i64 = -64 * 1024;

/// The two header fields that say whose file this is and which version wrote it.
#[derive(Clone, Copy, Debug)]
struct Identity {
    application_id: i32,
    user_version: i32,
}

impl Workspace {
    /// Creates a new workspace file with the built-in record types and default settings
    /// ("UTC" time zone). `AlreadyExists` if anything is at `path`; on failure the new file
    /// is removed again.
    pub fn create(path: &Path) -> Result<Self> {
        Self::create_journaled(path, Journal::Wal)
    }

    /// [`Workspace::create`] for a file that this process alone makes, and throws away
    /// unless it finishes it (the demo, under a temporary name): writes go through a
    /// rollback journal without syncs. New pages are then written once, where WAL writes
    /// them to its log and again into the file, which at a million records saves seconds;
    /// a crash leaves a file that is never handed out. Open it again with
    /// [`Workspace::open_scratch`]; [`Workspace::finish_scratch`] makes it a workspace
    /// like any other before anybody else may see it.
    pub fn create_scratch(path: &Path) -> Result<Self> {
        Self::create_journaled(path, Journal::Scratch)
    }

    /// Opens a file made by [`Workspace::create_scratch`] again, journaled as it was made
    /// (checked as [`Workspace::open_checked_later`] checks).
    pub fn open_scratch(path: &Path) -> Result<Self> {
        Self::open_probed(path, Probe::FullUnlessCurrent, Journal::Scratch)
    }

    /// Makes a file made by [`Workspace::create_scratch`] a workspace like any other: on
    /// the disk (the switch to WAL commits with a full sync, which flushes every write
    /// made without one) and in WAL. No other connection to it may be open.
    pub fn finish_scratch(path: &Path) -> Result<()> {
        let ws = Self::open_scratch(path)?;
        ws.conn.pragma_update(None, "synchronous", "FULL").context("syncing the new workspace")?;
        use_journal(&ws.conn, Journal::Wal)
    }

    fn create_journaled(path: &Path, journal: Journal) -> Result<Self> {
        match private_file_options().open(path) {
            Ok(file) => drop(file),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => return Err(StoreError::AlreadyExists(path.to_owned())),
            Err(source) => return Err(StoreError::Io { path: path.to_owned(), source }),
        }
        // Nothing to check in a file just made empty; registered before SQLite opens it.
        let held = Held::register(path, || Ok::<(), StoreError>(()))?;
        let created = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .context("opening the new workspace")
            .and_then(|conn| Self::initialize(conn, Some(path.to_owned()), held, journal));
        if created.is_err() {
            // The half-made file is ours and useless; the creation error is what matters, so
            // a failure to remove it as well is not reported on top.
            std::fs::remove_file(path).ok();
        }
        created
    }

    /// Opens an existing workspace for reading and writing, migrating an older one. Refuses,
    /// without changing a byte: a missing file (`NotFound`), a file that is not SQLite
    /// (`NotSqlite`, including an empty file), another application's database or an SQLite
    /// database with no application id (`Foreign`), a newer workspace (`Newer`) and a
    /// damaged one (`Corrupt`).
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_probed(path, Probe::Full, Journal::Wal)
    }

    /// [`Workspace::open`] without `PRAGMA quick_check` over the whole file for a current
    /// workspace (≈ 1 s a million records), so the window answers first: the header,
    /// identity and schema are checked as `open` checks them, and the caller checks the
    /// whole file itself: the window in the background right after, an import before it
    /// writes ([`Workspace::check_before_writing`]). An older one is checked before its upgrade.
    pub fn open_checked_later(path: &Path) -> Result<Self> {
        Self::open_probed(path, Probe::FullUnlessCurrent, Journal::Wal)
    }

    /// Checks the whole workspace file at `path` as [`Workspace::open`] does (header,
    /// identity, `PRAGMA quick_check`, schema) through a connection that cannot write:
    /// `Corrupt` names what is damaged. Works beside the app's own connections.
    /// The check passed leaves its receipt beside the file (see `store::receipt`).
    pub fn check(path: &Path) -> Result<()> {
        Self::check_trusting(path, false, true).map(drop)
    }

    /// [`Workspace::check`], but a file whose pages are the ones a passed check or an apply
    /// left a receipt of is taken as checked without `PRAGMA quick_check` (a tenth of the
    /// time): what the check did.
    pub fn check_unless_unchanged(path: &Path) -> Result<Checked> {
        Self::check_trusting(path, true, true)
    }

    /// [`Workspace::check_unless_unchanged`] before a write (an import): no receipt is left.
    pub fn check_before_writing(path: &Path) -> Result<Checked> {
        Self::check_trusting(path, true, false)
    }

    fn check_trusting(path: &Path, trust_receipt: bool, receipt_wanted: bool) -> Result<Checked> {
        let _held = hold(path)?;
        let (conn, immutable) = probe(path, Probe::Unverified)?;
        // Nothing is made beside a workspace that cannot be written.
        let leaves_receipt = receipt_wanted && !immutable && !conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true);
        // One read transaction: the digest is of the pages the check reads.
        conn.execute_batch("BEGIN").map_err(|e| classify(path, e, "checking the workspace"))?;
        let identity = read_identity(&conn).map_err(|e| classify(path, e, "reading the workspace header"))?;
        // Read again inside the transaction: another process may have upgraded it.
        check_identity(path, identity)?;
        // A digest that cannot be taken only means the whole check.
        let digest = receipt::digest(&conn).ok();
        let checked = if trust_receipt && digest.is_some() && receipt::read(path) == digest {
            Checked::Unchanged
        } else {
            quick_check(path, &conn)?;
            Checked::Whole
        };
        if identity.user_version == SCHEMA_VERSION {
            schema::load(&conn, path).map_err(|e| as_corrupt(path, e))?;
        }
        conn.execute_batch("COMMIT").map_err(|e| classify(path, e, "checking the workspace"))?;
        drop(conn);
        if let (Checked::Whole, Some(digest), true) = (checked, digest, leaves_receipt) {
            // Without it the next check is whole again, nothing else.
            receipt::write(path, digest).ok();
        }
        Ok(checked)
    }

    fn open_probed(path: &Path, check: Probe, journal: Journal) -> Result<Self> {
        let held = hold(path)?;
        let (probed, immutable) = probe(path, check)?;
        if immutable {
            // The folder cannot be written (no `-shm` could be made): viewing only.
            return Self::viewing(path, probed, held);
        }
        drop(probed);

        let mut conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| classify(path, e, "opening the workspace for writing"))?;
        // SQLite opens a file it may not write read-only without saying so.
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            drop(conn);
            return Self::open_for_viewing(path, held);
        }
        configure(&conn)?;
        let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) if cannot_write(&e) => return Self::open_for_viewing(path, held),
            Err(e) => return Err(classify(path, e, "locking the workspace")),
        };
        // Read again under the lock: another process may have migrated it meanwhile.
        let identity = read_identity(&tx).map_err(|e| classify(path, e, "reading the workspace version"))?;
        check_identity(path, identity)?;
        migrate::migrate(&tx, identity.user_version)?;
        let (schema, time_zone) = schema::load(&tx, path).map_err(|e| as_corrupt(path, e))?;
        tx.commit().context("committing the workspace upgrade")?;
        use_journal(&conn, journal)?;
        let watch = Watch::tracking(&mut conn)?;
        Ok(Self {
            conn,
            path: Some(path.to_owned()),
            schema,
            time_zone,
            writable: true,
            read_only: false,
            watch,
            held,
            atomic: std::sync::Arc::default(),
        })
    }

    /// Opens a read-only connection for background workers: no migrations, no
    /// `quick_check` (the writer's open ran it), every change refused. Refuses what
    /// [`Workspace::open`] refuses, and a workspace that still needs upgrading (`Invalid`).
    /// In a folder that cannot be written it reads the file as it is (see [`probe`]).
    pub fn open_reader(path: &Path) -> Result<Self> {
        let held = hold(path)?;
        let (conn, _) = probe(path, Probe::Reader)?;
        let (schema, time_zone) = schema::load(&conn, path).map_err(|e| as_corrupt(path, e))?;
        Ok(Self {
            conn,
            path: Some(path.to_owned()),
            schema,
            time_zone,
            writable: false,
            read_only: false,
            watch: Watch::default(),
            atomic: std::sync::Arc::default(),
            held,
        })
    }

    /// Opens a current workspace for a read-only command without `PRAGMA quick_check` over
    /// the whole file (≈ 1 s a million records): the header, the identity and the schema
    /// are checked as [`Workspace::open`] checks them, and nothing is ever written through
    /// it. The caller runs [`Workspace::verify`] before it reads the file at large (a cache
    /// that matches the file needs no such read). `None` for an older workspace: it must be
    /// upgraded, which writes, so [`Workspace::open`] with every check does it.
    ///
    /// Its connection is read-write with `query_only` on, like the first look of
    /// [`Workspace::open`]: closed last, it leaves no `-wal` or `-shm` beside a file it
    /// refused.
    pub fn open_unverified(path: &Path) -> Result<Option<Self>> {
        let held = hold(path)?;
        let (conn, _) = probe(path, Probe::Unverified)?;
        let identity = read_identity(&conn).map_err(|e| classify(path, e, "reading the workspace header"))?;
        if identity.user_version < SCHEMA_VERSION {
            return Ok(None);
        }
        let (schema, time_zone) = schema::load(&conn, path).map_err(|e| as_corrupt(path, e))?;
        Ok(Some(Self {
            conn,
            path: Some(path.to_owned()),
            schema,
            time_zone,
            writable: false,
            read_only: false,
            watch: Watch::default(),
            atomic: std::sync::Arc::default(),
            held,
        }))
    }

    /// Whether this connection could write the file (a workspace whose file or folder cannot
    /// be written is opened read-only by SQLite): files beside a workspace that cannot be
    /// written are not made either.
    pub fn file_is_writable(&self) -> bool {
        !self.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true)
    }

    /// Checks the whole file (`PRAGMA quick_check`): `Corrupt` if it is damaged.
    pub fn verify(&self) -> Result<()> {
        quick_check(&self.shown_path(), &self.conn)
    }

    /// The workspace for viewing only, when its file or folder cannot be written: every
    /// change is refused with [`StoreError::ReadOnly`]. An older workspace cannot be
    /// upgraded, so it is refused.
    fn open_for_viewing(path: &Path, held: Option<Held>) -> Result<Self> {
        let (conn, _) = probe(path, Probe::Viewing)?;
        Self::viewing(path, conn, held)
    }

    fn viewing(path: &Path, conn: Connection, held: Option<Held>) -> Result<Self> {
        let identity = read_identity(&conn).map_err(|e| classify(path, e, "reading the workspace header"))?;
        if identity.user_version < SCHEMA_VERSION {
            return Err(StoreError::Invalid(format!(
                "{} is read-only (the folder or file cannot be written) and was made by an older version of Segment Builder (workspace version {}); it must be upgraded once, which writes to it: open it where it can be written",
                path.display(),
                identity.user_version
            )));
        }
        let (schema, time_zone) = schema::load(&conn, path).map_err(|e| as_corrupt(path, e))?;
        Ok(Self {
            conn,
            path: Some(path.to_owned()),
            schema,
            time_zone,
            writable: false,
            read_only: true,
            watch: Watch::default(),
            atomic: std::sync::Arc::default(),
            held,
        })
    }

    /// A new workspace that lives in memory only: for tests.
    pub fn in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory().context("opening an in-memory workspace")?;
        Self::initialize(conn, None, None, Journal::Wal)
    }

    /// Sets up an empty database as a current workspace.
    fn initialize(mut conn: Connection, path: Option<PathBuf>, held: Option<Held>, journal: Journal) -> Result<Self> {
        configure(&conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).context("starting the workspace")?;
        tx.pragma_update(None, "application_id", APPLICATION_ID).context("marking the file as a workspace")?;
        migrate::migrate(&tx, 0)?;
        let shown = path.clone().unwrap_or_else(|| PathBuf::from(":memory:"));
        let (schema, time_zone) = schema::load(&tx, &shown)?;
        tx.commit().context("committing the new workspace")?;
        use_journal(&conn, journal)?;
        let watch = Watch::tracking(&mut conn)?;
        Ok(Self {
            conn,
            path,
            schema,
            time_zone,
            writable: true,
            read_only: false,
            watch,
            held,
            atomic: std::sync::Arc::default(),
        })
    }

    /// Loads the schema and settings again from the file: a reader calls it to see record
    /// types and fields added through the writer since it was opened.
    pub fn reload_schema(&mut self) -> Result<()> {
        let (schema, time_zone) = schema::load(&self.conn, &self.shown_path())?;
        self.schema = schema;
        self.time_zone = time_zone;
        Ok(())
    }
}

/// Options that create a new file readable and writable by its owner only (0600 on Unix;
/// SQLite gives the `-wal` and `-shm` the database file's mode). Workspaces hold names,
/// emails and phone numbers.
fn private_file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates `dir` and its missing parents readable by their owner only (0700 on Unix); the
/// mode of folders that exist already is left as it is.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| StoreError::Io { path: dir.to_owned(), source })
}

/// Registers `path` as held by this process and, when no connection of this process has
/// it open yet, checks its header with plain file IO first (see [`read_header`]). When one
/// has, the file is not opened with `std::fs` at all (closing that descriptor would drop
/// every SQLite lock of this process on it): the probe reads the identity through SQLite.
pub(super) fn hold(path: &Path) -> Result<Option<Held>> {
    Held::register(path, || check_identity(path, read_header(path)?))
}

/// Reads the SQLite header with plain file IO, so a file that is not SQLite is refused
/// before SQLite ever touches it. Only while this process holds no connection to it.
fn read_header(path: &Path) -> Result<Identity> {
    let mut file = File::open(path).map_err(|source| match source.kind() {
        ErrorKind::NotFound => StoreError::NotFound(path.to_owned()),
        _ => StoreError::Io { path: path.to_owned(), source },
    })?;
    let mut header = [0u8; 100];
    match file.read_exact(&mut header) {
        Ok(()) => {}
        // Shorter than a header, including an empty file: not a database we can open.
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Err(StoreError::NotSqlite(path.to_owned())),
        Err(source) => return Err(StoreError::Io { path: path.to_owned(), source }),
    }
    if &header[..16] != SQLITE_MAGIC {
        return Err(StoreError::NotSqlite(path.to_owned()));
    }
    let be_i32 = |at: usize| i32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]);
    Ok(Identity { application_id: be_i32(68), user_version: be_i32(60) })
}

fn check_identity(path: &Path, identity: Identity) -> Result<()> {
    if identity.application_id != APPLICATION_ID {
        return Err(StoreError::Foreign { path: path.to_owned(), application_id: identity.application_id });
    }
    if identity.user_version > SCHEMA_VERSION {
        return Err(StoreError::Newer {
            path: path.to_owned(),
            found: identity.user_version,
            supported: SCHEMA_VERSION,
        });
    }
    if identity.user_version < 0 {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: format!("workspace version {} is not a version", identity.user_version),
        });
    }
    Ok(())
}

fn read_identity(conn: &Connection) -> rusqlite::Result<Identity> {
    Ok(Identity {
        application_id: conn.pragma_query_value(None, "application_id", |r| r.get(0))?,
        user_version: conn.pragma_query_value(None, "user_version", |r| r.get(0))?,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// Before opening for writing: `quick_check`, and load the schema if no migration is due.
    Full,
    /// Like `Full`, the `quick_check` only when a migration is due (see
    /// [`Workspace::open_checked_later`]).
    FullUnlessCurrent,
    /// A reader: the version must be current.
    Reader,
    /// A read-only command: like `Full` without the `quick_check` (see
    /// [`Workspace::open_unverified`]).
    Unverified,
    /// A workspace that cannot be written: checked by the caller.
    Viewing,
}

/// Opens the file read-only and checks what the header check could not see; true with it
/// when the file had to be opened `immutable` (see [`read_only_connection`]).
///
/// `NO_MUTEX`: a `Connection` is used by one thread at a time (it is not `Sync`), so
/// SQLite's per-call connection mutex only costs time: about 40% of a full table scan.
fn probe(path: &Path, probe: Probe) -> Result<(Connection, bool)> {
    let first = matches!(probe, Probe::Full | Probe::FullUnlessCurrent | Probe::Unverified);
    let (conn, identity, immutable) = read_only_connection(path, first)?;
    configure_connection(&conn)?;
    check_identity(path, identity)?;
    match probe {
        Probe::Full | Probe::FullUnlessCurrent => {
            if probe == Probe::Full || identity.user_version < SCHEMA_VERSION {
                quick_check(path, &conn)?;
            }
            if identity.user_version == SCHEMA_VERSION {
                schema::load(&conn, path).map_err(|e| as_corrupt(path, e))?;
            }
        }
        Probe::Reader => {
            if identity.user_version < SCHEMA_VERSION {
                return Err(StoreError::Invalid(format!(
                    "{}: the workspace (version {}) must be opened by the app once to upgrade it to version {SCHEMA_VERSION}",
                    path.display(),
                    identity.user_version
                )));
            }
        }
        Probe::Unverified | Probe::Viewing => {}
    }
    Ok((conn, immutable))
}

/// A read-only connection and the file's identity. A workspace in WAL mode needs its
/// `-shm` beside it even to be read; in a folder that cannot be written, where none exists
/// and none can be made, the file is opened `immutable` instead (no locks, no side files:
/// it is read as it is) — unless a `-wal` with changes not yet in the file is there, which
/// could not be read that way.
///
/// `first` (the probe of [`Workspace::open`]) opens read-write but with `query_only` on,
/// so it cannot write either: a read-only connection that closes last leaves the `-wal`
/// and `-shm` it made beside the file, a read-write one removes them, so a file refused
/// (damaged, say) is left with nothing new beside it.
fn read_only_connection(path: &Path, first: bool) -> Result<(Connection, Identity, bool)> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let probe_flags = if first { OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX } else { flags };
    let opened = Connection::open_with_flags(path, probe_flags).and_then(|conn| {
        if first {
            conn.pragma_update(None, "query_only", true)?;
        }
        let identity = read_identity(&conn)?;
        Ok((conn, identity))
    });
    let error = match opened {
        Ok((conn, identity)) => return Ok((conn, identity, false)),
        Err(error) => error,
    };
    if !cannot_write(&error) {
        return Err(classify(path, error, "reading the workspace header"));
    }
    if wal_has_changes(path) {
        return Err(StoreError::Invalid(format!(
            "{} is read-only (the folder or file cannot be written) and its write-ahead log ({}-wal) holds changes that cannot be read without writing; open it where it can be written",
            path.display(),
            path.display()
        )));
    }
    let conn = Connection::open_with_flags(immutable_uri(path), flags | OpenFlags::SQLITE_OPEN_URI)
        .map_err(|e| classify(path, e, "opening the workspace read-only"))?;
    let identity = read_identity(&conn).map_err(|e| classify(path, e, "reading the workspace header"))?;
    Ok((conn, identity, true))
}

/// Refuses a read-write connection that cannot write (its file or folder cannot be
/// written) with [`StoreError::ReadOnly`]: an empty IMMEDIATE transaction takes the write
/// lock (and needs the `-shm`) without writing a byte.
pub(super) fn check_can_write(path: &Path, conn: &Connection) -> Result<()> {
    let read_only = || StoreError::ReadOnly(path.to_owned());
    if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
        return Err(read_only());
    }
    match conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK") {
        Ok(()) => Ok(()),
        Err(e) if cannot_write(&e) => Err(read_only()),
        Err(e) => Err(super::sqlite_error("locking the workspace".to_owned(), e)),
    }
}

/// Whether SQLite failed because it may not write the file or make a side file beside it.
fn cannot_write(error: &rusqlite::Error) -> bool {
    matches!(error.sqlite_error_code(), Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen))
}

/// Whether a `-wal` with content is beside `path` (read through metadata: no descriptor).
fn wal_has_changes(path: &Path) -> bool {
    log_bytes(path) > 0
}

/// The length of the write-ahead log beside `path` (0 without one), read through
/// metadata: no descriptor. At least what the last transaction wrote to it.
pub fn log_bytes(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(PathBuf::from(wal)).map_or(0, |m| m.len())
}

/// `file:PATH?immutable=1`, the path percent-encoded where a URI needs it.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for &byte in path.as_os_str().as_encoded_bytes() {
        if byte.is_ascii_alphanumeric() || b"/-_.~".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

fn quick_check(path: &Path, conn: &Connection) -> Result<()> {
    let problems = (|| {
        let mut stmt = conn.prepare("PRAGMA quick_check(5)")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()
    })()
    .map_err(|e| classify(path, e, "checking the workspace"))?;
    if problems.len() == 1 && problems[0] == "ok" {
        Ok(())
    } else {
        Err(StoreError::Corrupt { path: path.to_owned(), detail: problems.join("; ") })
    }
}

/// SQLite's "this is damaged" and "this is not a database" become our variants.
fn classify(path: &Path, error: rusqlite::Error, context: &str) -> StoreError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
            StoreError::Corrupt { path: path.to_owned(), detail: error.to_string() }
        }
        Some(rusqlite::ErrorCode::NotADatabase) => StoreError::NotSqlite(path.to_owned()),
        _ => StoreError::Sqlite { context: context.to_owned(), source: error },
    }
}

/// While opening, a schema that cannot be read means a damaged workspace.
fn as_corrupt(path: &Path, error: StoreError) -> StoreError {
    match error {
        StoreError::Sqlite { context, source } => {
            StoreError::Corrupt { path: path.to_owned(), detail: format!("{context}: {source}") }
        }
        StoreError::Corrupt { detail, .. } => StoreError::Corrupt { path: path.to_owned(), detail },
        other => other,
    }
}

/// Settings of every read-write connection, before anything is written.
fn configure(conn: &Connection) -> Result<()> {
    configure_connection(conn)?;
    conn.busy_timeout(WRITER_BUSY_TIMEOUT).context("setting the busy timeout")?;
    super::changes::configure_own_writer(conn)?;
    conn.pragma_update(None, "foreign_keys", true).context("turning on foreign keys")?;
    // A 64 MiB page cache (negative: KiB) keeps bulk imports from thrashing the default 2 MiB.
    conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB).context("setting the page cache size")?;
    conn.pragma_update(None, "temp_store", "MEMORY").context("keeping temporary data in memory")?;
    Ok(())
}

/// Settings of an extra read-write connection to a workspace already open (and in WAL).
/// Its commits do not checkpoint the WAL (a million-row apply would then also copy every
/// page back into the file before answering): its owner calls
/// [`Workspace::checkpoint`] after answering.
pub(super) fn configure_writer(conn: &Connection) -> Result<()> {
    configure(conn)?;
    conn.pragma_update(None, "synchronous", "NORMAL").context("setting synchronous")?;
    conn.pragma_update(None, "wal_autocheckpoint", 0).context("deferring checkpoints")
}

/// Settings of every connection, read-only ones included.
fn configure_connection(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT).context("setting the busy timeout")?;
    register_functions(conn)
}

/// How a read-write connection journals what it writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Journal {
    /// WAL with synchronous=NORMAL: every workspace anybody may open.
    Wal,
    /// A rollback journal without syncs: see [`Workspace::create_scratch`].
    Scratch,
}

/// Sets the journal: last, once the file is known to be a good workspace (switching to
/// WAL rewrites the header).
fn use_journal(conn: &Connection, journal: Journal) -> Result<()> {
    if journal == Journal::Scratch {
        let mode: String = conn
            .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
            .context("switching to a rollback journal")?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(StoreError::Invalid(format!("the new workspace kept its journal mode {mode}")));
        }
        return conn.pragma_update(None, "synchronous", "OFF").context("setting synchronous");
    }
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).context("switching to WAL")?;
    // An in-memory database keeps its "memory" journal.
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        return Err(StoreError::Invalid(format!("the workspace could not switch to WAL (journal mode {mode})")));
    }
    conn.pragma_update(None, "synchronous", "NORMAL").context("setting synchronous")?;
    Ok(())
}

/// The SQL functions of every connection:
/// - `sb_fold(text)`: the Unicode full case folding of [`fold`], NULL stays NULL. Case-insensitive
///   "contains" is `instr(sb_fold(col), ?folded_needle) > 0`, where `% _ \` are plain text.
/// - `sb_regexp(pattern, text)`: 1 when `text` matches `pattern` read by [`compile_pattern`]
///   (case-insensitive), 0 when not or when the pattern is invalid; NULL when either is NULL.
fn register_functions(conn: &Connection) -> Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_INNOCUOUS;
    conn.create_scalar_function("sb_fold", 1, flags, |ctx| Ok(sql_text(ctx.get_raw(0)).map(|text| fold(&text))))
        .context("registering sb_fold")?;
    let cache = RefCell::new(PatternCache::default());
    conn.create_scalar_function("sb_regexp", 2, flags, move |ctx| {
        let (Some(pattern), Some(text)) = (sql_text(ctx.get_raw(0)), sql_text(ctx.get_raw(1))) else {
            return Ok(None);
        };
        let found = match cache.try_borrow_mut() {
            Ok(mut cache) => cache.is_match(&pattern, &text),
            // Only if SQLite ever re-entered the function: answer without the cache.
            Err(_) => compile_pattern(&pattern).is_ok_and(|regex| regex.is_match(&text)),
        };
        Ok(Some(found))
    })
    .context("registering sb_regexp")?;
    conn.create_aggregate_function("sb_aggregate", 2, flags, AggregateFunction).context("registering sb_aggregate")
}

/// `sb_aggregate(spec, value)`: the related records' tally of `value` (whole numbers, or
/// money in cents) asked the aggregate test `spec` carries
/// ([`crate::domain::quantity::aggregate_spec`]): 1 or 0, NULL over no rows.
struct AggregateFunction;

impl rusqlite::functions::Aggregate<(Option<(QuantityTest, FieldKind)>, Tally), Option<bool>> for AggregateFunction {
    fn init(
        &self,
        ctx: &mut rusqlite::functions::Context<'_>,
    ) -> rusqlite::Result<(Option<(QuantityTest, FieldKind)>, Tally)> {
        let spec = sql_text(ctx.get_raw(0)).and_then(|text| read_aggregate_spec(&text));
        Ok((spec, Tally::default()))
    }

    fn step(
        &self,
        ctx: &mut rusqlite::functions::Context<'_>,
        (spec, tally): &mut (Option<(QuantityTest, FieldKind)>, Tally),
    ) -> rusqlite::Result<()> {
        let kind = spec.as_ref().map(|(_, kind)| *kind);
        let value = match (kind, ctx.get_raw(1)) {
            (Some(FieldKind::WholeNumber), ValueRef::Integer(n)) => Some(n),
            (Some(FieldKind::Money), ValueRef::Integer(n)) => Some(cents(n as f64)),
            (Some(FieldKind::Money), ValueRef::Real(x)) if !x.is_nan() => Some(cents(x)),
            _ => None,
        };
        tally.add(value);
        Ok(())
    }

    fn finalize(
        &self,
        _: &mut rusqlite::functions::Context<'_>,
        acc: Option<(Option<(QuantityTest, FieldKind)>, Tally)>,
    ) -> rusqlite::Result<Option<bool>> {
        Ok(acc.map(|(spec, tally)| spec.is_some_and(|(test, _)| test.holds(&tally))))
    }
}

/// The text of an SQL value (numbers as their text), `None` for NULL and blobs.
fn sql_text(raw: ValueRef<'_>) -> Option<Cow<'_, str>> {
    match raw {
        ValueRef::Null | ValueRef::Blob(_) => None,
        ValueRef::Text(bytes) => Some(String::from_utf8_lossy(bytes)),
        ValueRef::Integer(n) => Some(Cow::Owned(n.to_string())),
        ValueRef::Real(x) => Some(Cow::Owned(x.to_string())),
    }
}

/// The most recently used patterns of `sb_regexp`, compiled (`None`: invalid), newest last.
#[derive(Default)]
struct PatternCache {
    entries: Vec<(String, Option<Regex>)>,
}

impl PatternCache {
    const CAPACITY: usize = 16;

    fn is_match(&mut self, pattern: &str, text: &str) -> bool {
        let index = if let Some(index) = self.entries.iter().position(|(p, _)| p == pattern) {
            index
        } else {
            if self.entries.len() >= Self::CAPACITY {
                self.entries.remove(0);
            }
            self.entries.push((pattern.to_owned(), compile_pattern(pattern).ok()));
            self.entries.len() - 1
        };
        self.entries[index].1.as_ref().is_some_and(|regex| regex.is_match(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immutable_uris_escape_what_a_uri_reads() {
        assert_eq!(immutable_uri(Path::new("/a b/w?#%.sqlite")), "file:/a%20b/w%3F%23%25.sqlite?immutable=1");
        assert_eq!(immutable_uri(Path::new("rel/é.sqlite")), "file:rel/%C3%A9.sqlite?immutable=1");
    }

    #[test]
    fn sb_fold_lowercases_unicode_and_keeps_null() {
        let conn = Connection::open_in_memory().unwrap();
        register_functions(&conn).unwrap();
        let folded: Option<String> = conn.query_row("SELECT sb_fold('ÉMILE Ωmega')", [], |r| r.get(0)).unwrap();
        assert_eq!(folded.as_deref(), Some("émile ωmega"));
        let folded: Option<String> = conn.query_row("SELECT sb_fold('Straße ΟΔΟΣ')", [], |r| r.get(0)).unwrap();
        assert_eq!(folded.as_deref(), Some("strasse οδοσ"));
        let null: Option<String> = conn.query_row("SELECT sb_fold(NULL)", [], |r| r.get(0)).unwrap();
        assert_eq!(null, None);
    }

    #[test]
    fn sb_regexp_matches_ignoring_case_and_refuses_bad_patterns() {
        let conn = Connection::open_in_memory().unwrap();
        register_functions(&conn).unwrap();
        let run = |pattern: &str, text: Option<&str>| -> Option<bool> {
            conn.query_row("SELECT sb_regexp(?1, ?2)", rusqlite::params![pattern, text], |r| r.get(0)).unwrap()
        };
        assert_eq!(run("^émile$", Some("ÉMILE")), Some(true));
        assert_eq!(run("^émile$", Some("émile!")), Some(false));
        assert_eq!(run("(", Some("(")), Some(false));
        assert_eq!(run("a", None), None);
        // More patterns than the cache holds, then the first ones again.
        for round in 0..2 {
            for n in 0..PatternCache::CAPACITY + 3 {
                assert_eq!(run(&format!("^{n}$"), Some(&n.to_string())), Some(true), "round {round}");
            }
        }
    }
}
