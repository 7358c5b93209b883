//! The segments' size charts: every segment's joins and leaves per day over the charts'
//! window, read in the background by the records worker whenever member counts may have
//! changed (the workspace opened, an apply or evaluation finished).

use jiff::ToSpan;

use crate::domain::size::{ChangesByDay, SIZE_DAYS};
use crate::state::{Loadable, SegmentSizes};
use crate::worker::WorkerError;
use crate::worker::records::Request;

use super::App;

impl App {
    /// The size charts are read again on a later frame.
    pub(super) fn sizes_due(&mut self) {
        self.generations.sizes_due = true;
    }

    /// Asks the records worker for the changes per day when they are due.
    pub(super) fn request_sizes(&mut self) {
        if !self.generations.sizes_due {
            return;
        }
        let (Some(worker), Some(view)) = (&self.records_worker, &self.state.view) else { return };
        let zone = view.time_zone.clone();
        let today = self.clock.now().to_zoned(zone.clone()).date();
        let first = today.checked_sub(i64::try_from(SIZE_DAYS - 1).unwrap_or(0).days()).unwrap_or(today);
        let Ok(since) = first.to_zoned(zone.clone()).map(|z| z.timestamp()) else { return };
        let generation = self.generations.sizes + 1;
        if worker.send(Request::Sizes { generation, since, zone }) {
            self.generations.sizes = generation;
            self.generations.sizes_due = false;
            self.state.sizes.start_over();
            self.pages.sizes_today = Some(today);
        }
    }

    pub(super) fn take_sizes(&mut self, generation: u64, result: Result<ChangesByDay, WorkerError>) {
        if generation != self.generations.sizes {
            return;
        }
        let Some(today) = self.pages.sizes_today else { return };
        match result {
            Ok(changes) => self.state.sizes = Loadable::Ready(SegmentSizes { changes, today }),
            Err(error) => self.state.sizes.fail(format!("Could not read how the segments grew: {error}")),
        }
    }
}
