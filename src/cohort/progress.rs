//! A progress bar on stderr for cohort feature extraction: redrawn in place on a terminal, one line
//! per tenth of the cohort otherwise (logs stay readable).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

const WIDTH: usize = 30;

pub(super) struct Progress {
    total: usize,
    done: AtomicUsize,
    cached: AtomicUsize,
    terminal: bool,
}

impl Progress {
    pub(super) fn new(total: usize) -> Self {
        Progress {
            total,
            done: AtomicUsize::new(0),
            cached: AtomicUsize::new(0),
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// One more patient done; `cached` when its features came from the cache.
    pub(super) fn tick(&self, cached: bool) {
        let cached = self.cached.fetch_add(usize::from(cached), Ordering::Relaxed) + usize::from(cached);
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let step = self.total.div_ceil(10).max(1);
        if self.terminal {
            let filled = done * WIDTH / self.total.max(1);
            eprint!(
                "\rradscore: features [{}{}] {done}/{} ({cached} cached)",
                "#".repeat(filled),
                " ".repeat(WIDTH - filled),
                self.total
            );
            let _ = std::io::stderr().flush();
        } else if done.is_multiple_of(step) || done == self.total {
            eprintln!("radscore: features {done}/{} ({cached} cached)", self.total);
        }
    }

    /// Ends the bar's line on a terminal.
    pub(super) fn finish(&self) {
        if self.terminal && self.total > 0 {
            eprintln!();
        }
    }
}
