//! Fold assignment and the worker pool, kept apart from the fits so that the same seed gives the
//! same folds, and so the same model, on any number of threads.

/// Maps `f` over `items` on up to `threads` scoped threads, keeping the order.
pub(crate) fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.max(1).min(items.len().max(1));
    if threads == 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker thread panicked"))
            .collect()
    })
}

/// Stratified fold assignment: rows are ordered by label, then by a seeded hash, and dealt round
/// robin, so every fold gets its share of every label and the folds differ in size by one at most.
pub(crate) fn folds(y: &[usize], k: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..y.len()).collect();
    order.sort_by_key(|&i| (y[i], splitmix(seed ^ i as u64)));
    let mut out = vec![0; y.len()];
    for (n, i) in order.into_iter().enumerate() {
        out[i] = n % k;
    }
    out
}

/// SplitMix64's step: a well-mixed 64-bit hash of `x`.
pub(crate) fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_stratified_and_deterministic() {
        let y: Vec<usize> = (0..100).map(|i| i % 3).collect();
        let f = folds(&y, 5, 7);
        assert_eq!(f, folds(&y, 5, 7));
        for k in 0..5 {
            let n = f.iter().filter(|&&x| x == k).count();
            assert_eq!(n, 20, "fold {k}");
            for label in 0..3 {
                let m = (0..100).filter(|&i| f[i] == k && y[i] == label).count();
                assert!((6..=7).contains(&m), "fold {k} label {label}: {m}");
            }
        }
        assert_ne!(f, folds(&y, 5, 8));
    }
}
