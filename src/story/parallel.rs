//! Work on every post of a large story shared out over the machine's cores. Checking that
//! stored HTML is exactly the sanitiser's output, and every URL safe, is a fifth of rendering
//! a 100,000-post story to HTML; each post is checked on its own, so the posts are cut into
//! one run per core and each run checked on a thread of its own.

/// Fewer items than this per thread are not worth a thread.
const MIN_PER_THREAD: usize = 2_000;

/// `f` of each of `items` (given its index and a state of `S` per thread, such as a cache), in
/// their order. The items are moved out one at a time and the results written in place, so
/// that a large story is held at most twice over (as it was read and as it is shown), as a
/// loop on one thread would hold it.
pub(super) fn map_in_order<T, U, S>(
    items: Vec<T>,
    f: impl Fn(&mut S, usize, T) -> Option<U> + Sync,
) -> Vec<Option<U>>
where
    T: Send,
    U: Send,
    S: Default,
{
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let per = items.len().div_ceil(cores).max(MIN_PER_THREAD);
    let mut input: Vec<Option<T>> = items.into_iter().map(Some).collect();
    let mut output: Vec<Option<U>> = std::iter::repeat_with(|| None).take(input.len()).collect();
    let run = |base: usize, input: &mut [Option<T>], output: &mut [Option<U>]| {
        let mut state = S::default();
        for (i, (item, out)) in input.iter_mut().zip(output).enumerate() {
            if let Some(item) = item.take() {
                *out = f(&mut state, base + i, item);
            }
        }
    };
    std::thread::scope(|scope| {
        let run = &run;
        let mut parts = input.chunks_mut(per).zip(output.chunks_mut(per));
        // The calling thread takes the first part rather than waiting idle.
        let first = parts.next();
        let others: Vec<_> = parts
            .enumerate()
            .map(|(n, (input, output))| scope.spawn(move || run((n + 1) * per, input, output)))
            .collect();
        if let Some((input, output)) = first {
            run(0, input, output);
        }
        for handle in others {
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: [usize; 5] = [
        0,
        1,
        MIN_PER_THREAD,
        MIN_PER_THREAD + 1,
        5 * MIN_PER_THREAD + 17,
    ];

    #[test]
    fn every_item_is_mapped_once_in_order_with_its_index() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        for n in SIZES {
            let items: Vec<u64> = (0..n as u64).map(|i| i * 3).collect();
            let out = map_in_order(items, |seen: &mut usize, i, item| {
                *seen += 1;
                Some((i, item, *seen))
            });
            assert_eq!(out.len(), n);
            // How many items each thread's state counted, part by part.
            let mut parts: Vec<usize> = Vec::new();
            for (k, slot) in out.iter().enumerate() {
                let (i, item, seen) = slot.expect("every item mapped");
                assert_eq!((i, item), (k, k as u64 * 3));
                if seen == 1 {
                    parts.push(1);
                } else {
                    assert_eq!(Some(seen - 1), parts.last().copied(), "item {k}");
                    *parts.last_mut().unwrap() = seen;
                }
            }
            assert!(parts.len() <= cores);
            if let Some((last, full)) = parts.split_last() {
                assert!(full.iter().all(|&p| p >= MIN_PER_THREAD && p >= *last));
            }
            if cores > 1 && n > MIN_PER_THREAD {
                assert!(parts.len() > 1, "{n} items on one thread");
            }
        }
    }

    #[test]
    fn an_item_that_makes_nothing_leaves_its_slot_empty() {
        for n in SIZES {
            let out = map_in_order((0..n).collect(), |_: &mut (), i, item: usize| {
                assert_eq!(i, item);
                (i % 7 != 3).then_some(i)
            });
            let expected: Vec<Option<usize>> = (0..n).map(|i| (i % 7 != 3).then_some(i)).collect();
            assert_eq!(out, expected);
        }
    }

    #[test]
    #[should_panic(expected = "item 4321")]
    fn a_panic_on_a_thread_reaches_the_caller() {
        let items: Vec<usize> = (0..4 * MIN_PER_THREAD).collect();
        map_in_order(items, |_: &mut (), _, item| {
            assert_ne!(item, 4321, "item 4321");
            Some(item)
        });
    }
}
