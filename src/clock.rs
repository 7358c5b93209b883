//! The one place that reads the system clock, so that time can be injected.
//!
//! `App` holds a [`Clock`] and asks it for every "now" of command handling: tests give it a
//! [`FixedClock`]. Code without an `App` (the command line, workers, the store's own
//! stamps) calls [`now`]. `clippy.toml` disallows `jiff::Timestamp::now` everywhere else.

use std::fmt::Debug;

use jiff::Timestamp;

/// Where "now" comes from.
pub trait Clock: Debug + Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still at the time it holds (for tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// The system clock's time, for code that has no [`Clock`] to ask.
pub fn now() -> Timestamp {
    SystemClock.now()
}
