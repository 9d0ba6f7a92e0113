//! linfa fits dense matrices; the training rows are sparse, and these build the one from the other
//! a block of columns at a time, so no fit needs the whole matrix at once.

use crate::features::SparseVec;
use ndarray::Array2;

/// One row per ticket, one column per selected feature.
pub(crate) fn dense(rows: &[SparseVec], k: usize) -> Array2<f64> {
    dense_columns(rows, &mut vec![0; rows.len()], 0, k)
}

/// Columns `start..end` of the rows as a dense matrix. Each row's entries are in index order and
/// `cursor[r]` is where row `r`'s column `start` begins (0 for the first block); it is moved to
/// `end`, so consecutive blocks read every entry once.
pub(crate) fn dense_columns(
    rows: &[SparseVec],
    cursor: &mut [usize],
    start: usize,
    end: usize,
) -> Array2<f64> {
    let mut x = Array2::<f64>::zeros((rows.len(), end - start));
    for ((r, v), p) in rows.iter().enumerate().zip(cursor.iter_mut()) {
        while *p < v.idx.len() && (v.idx[*p] as usize) < end {
            x[[r, v.idx[*p] as usize - start]] = v.val[*p] as f64;
            *p += 1;
        }
    }
    x
}
