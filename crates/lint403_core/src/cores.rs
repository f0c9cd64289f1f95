//! Work spread over the machine's cores: items handed out one at a time
//! from a shared counter (so a slow item does not hold up the others),
//! results in the order of the items.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `work` applied to every item on up to `threads` threads (the calling
/// thread one of them); the results in the order of `items`, the same as
/// `items.iter().map(work).collect()`. A panic in `work` is raised again
/// here.
pub fn map<T: Sync, R: Send>(items: &[T], threads: usize, work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.iter().map(work).collect();
    }
    let next = AtomicUsize::new(0);
    let taken = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else {
                return done;
            };
            done.push((index, work(item)));
        }
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(taken)).collect();
        let mut done = taken();
        for helper in helpers {
            match helper.join() {
                Ok(more) => done.extend(more),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        done
    });
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

/// How many threads the machine runs at once (1 when it cannot tell).
pub fn available() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

type Disposed = Box<dyn Send>;

/// Drops `value` on a background thread, so the caller goes on at once.
///
/// A large configuration's trees and model are millions of small
/// allocations, and freeing them took a tenth of a check's time on one
/// core while the others had nothing left to do. The thread drops values
/// in the order they come; a process that ends first leaves the rest to
/// the operating system, which takes the memory back either way. Where no
/// thread can be started, `value` is dropped here.
pub fn dispose<T: Send + 'static>(value: T) {
    static REAPER: std::sync::OnceLock<Option<std::sync::mpsc::Sender<Disposed>>> =
        std::sync::OnceLock::new();
    let reaper = REAPER.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<Disposed>();
        std::thread::Builder::new()
            .name("lint403-dispose".into())
            .spawn(move || receiver.into_iter().for_each(drop))
            .ok()
            .map(|_| sender)
    });
    if let Some(reaper) = reaper {
        // A send fails only when the thread is gone; the value comes back
        // in the error and is dropped here.
        let _ = reaper.send(Box::new(value));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_in_the_order_of_the_items() {
        let items: Vec<u64> = (0..1000).collect();
        for threads in [1, 2, 4] {
            let squares = super::map(&items, threads, |n| n * n);
            assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
        }
        assert!(super::map(&[] as &[u8], 4, |n| *n).is_empty());
    }

    /// A disposed value is dropped, on another thread.
    #[test]
    fn a_disposed_value_is_dropped_elsewhere() {
        struct Signal(std::sync::mpsc::Sender<std::thread::ThreadId>);
        impl Drop for Signal {
            fn drop(&mut self) {
                let _ = self.0.send(std::thread::current().id());
            }
        }
        let (sender, receiver) = std::sync::mpsc::channel();
        super::dispose(Signal(sender));
        let dropped_on = receiver
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("dropped");
        assert_ne!(dropped_on, std::thread::current().id());
    }
}
