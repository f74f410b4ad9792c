//! Work spread over threads. The inputs of a run, the modules of a walked
//! directory and the files a report points into are each a list of
//! independent items, done by up to `jobs` scoped threads (the caller's
//! included), each taking the next item not taken yet. Results come back
//! to the caller's thread, which puts each in its place, so nothing that
//! follows depends on which thread did what.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Does `work(i)` for every `i` in `0..count` on up to `jobs` threads, the
/// calling one included, and tells `hear` on the calling thread: `(i,
/// None)` just before that thread does item `i` itself, and `(i,
/// Some(result))` once item `i` is done, by any thread. With one job, or
/// one item, every item is done in order on the calling thread. A thread
/// the system will not lend is done without.
pub(crate) fn each<T: Send>(
    jobs: usize,
    count: usize,
    work: &(dyn Fn(usize) -> T + Sync),
    hear: &mut dyn FnMut(usize, Option<T>),
) {
    if jobs <= 1 || count <= 1 {
        for i in 0..count {
            hear(i, None);
            hear(i, Some(work(i)));
        }
        return;
    }
    let next = AtomicUsize::new(0);
    let take = || Some(next.fetch_add(1, Ordering::Relaxed)).filter(|&i| i < count);
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::channel::<(usize, T)>();
        for _ in 1..jobs.min(count) {
            let (sender, take) = (sender.clone(), &take);
            let helper = move || {
                while let Some(i) = take() {
                    if sender.send((i, work(i))).is_err() {
                        break;
                    }
                }
            };
            if std::thread::Builder::new()
                .spawn_scoped(scope, helper)
                .is_err()
            {
                break;
            }
        }
        drop(sender);
        while let Some(i) = take() {
            for (done, result) in receiver.try_iter() {
                hear(done, Some(result));
            }
            hear(i, None);
            hear(i, Some(work(i)));
        }
        for (done, result) in receiver {
            hear(done, Some(result));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_done_once_whatever_the_jobs() {
        for jobs in [1, 2, 3, 64] {
            for count in [0, 1, 2, 5, 100] {
                let mut results = vec![None; count];
                let mut here = Vec::new();
                each(jobs, count, &|i| i * 2, &mut |i, result| match result {
                    None => here.push(i),
                    Some(r) => {
                        assert!(results[i].replace(r).is_none(), "item {i} done twice");
                    }
                });
                let want: Vec<Option<usize>> = (0..count).map(|i| Some(i * 2)).collect();
                assert_eq!(results, want, "{jobs} jobs, {count} items");
                assert!(here.windows(2).all(|w| w[0] < w[1]), "taken in order");
                if jobs == 1 {
                    assert_eq!(here, (0..count).collect::<Vec<_>>());
                }
            }
        }
    }
}
