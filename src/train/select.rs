//! Chi² feature selection: linfa fits dense matrices, and keeping the features most tied to a
//! label keeps that matrix at N × K instead of N × every hashed feature.

use super::corpus::Corpus;
use super::options::TrainOptions;
use crate::features::Vocab;

/// Document frequency filter, then chi² (max over labels) top-K, sorted by hash; idf attached.
///
/// Memory is a few numbers per feature the corpus keeps, whatever the number of labels: the
/// labels are visited one at a time, and the labels a feature does not occur in are scored all at
/// once.
pub(crate) fn select_features(
    corpus: &Corpus,
    y: &[usize],
    ix: &[usize],
    c: usize,
    opts: &TrainOptions,
) -> Vocab {
    let mut df = vec![0u32; corpus.features()];
    for &i in ix {
        for (id, _) in corpus.row(i) {
            df[id as usize] += 1;
        }
    }
    // candidates (feature ids) in hash order
    let min_df = opts.min_df.max(1);
    let mut cand: Vec<u32> = (0..df.len() as u32)
        .filter(|&id| df[id as usize] >= min_df)
        .collect();
    cand.sort_unstable_by_key(|&id| corpus.hash(id));
    let best = best_chi2(corpus, y, ix, c, &cand, &df);
    let n = ix.len() as f64;
    let mut scored: Vec<(f64, u32, u32)> = cand
        .iter()
        .zip(best)
        .map(|(&id, b)| (b, corpus.hash(id), id))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.truncate(opts.features_for(c));
    scored.sort_by_key(|s| s.1);
    let hashes: Vec<u32> = scored.iter().map(|s| s.1).collect();
    let idf: Vec<f32> = scored
        .iter()
        .map(|s| (1.0 + ((1.0 + n) / (1.0 + df[s.2 as usize] as f64)).ln()) as f32)
        .collect();
    Vocab::new(hashes, idf)
}

/// Chi² of the 2×2 table feature present/absent × label/other, for a feature in `f` of `n`
/// tickets, `a` of them among the `m` tickets of the label; 0 where the table is degenerate.
fn chi2(n: f64, f: f64, m: f64, a: f64) -> f64 {
    let b = f - a;
    let cc = m - a;
    let d = n - f - cc;
    let den = (a + b) * (cc + d) * (a + cc) * (b + d);
    if den > 0.0 {
        n * (a * d - b * cc).powi(2) / den
    } else {
        0.0
    }
}

/// Each candidate's chi² maximized over the labels. A label is visited with its rows, scoring the
/// candidates it holds; for the labels a candidate does not occur in, chi² is `n f m / ((n - f)
/// (n - m))`, which grows with the label's size `m`, so the largest of them gives their maximum.
/// `cand` are feature ids, `df` their ticket counts on `ix`, indexed by id.
fn best_chi2(
    corpus: &Corpus,
    y: &[usize],
    ix: &[usize],
    c: usize,
    cand: &[u32],
    df: &[u32],
) -> Vec<f64> {
    const NOT: u32 = u32::MAX;
    let mut pos = vec![NOT; df.len()];
    for (p, &id) in cand.iter().enumerate() {
        pos[id as usize] = p as u32;
    }
    let n = ix.len() as f64;
    let mut class_n = vec![0u32; c];
    for &i in ix {
        class_n[y[i]] += 1;
    }
    // labels largest first; rows grouped by label in that order
    let mut order: Vec<usize> = (0..c).collect();
    order.sort_by(|&a, &b| class_n[b].cmp(&class_n[a]).then(a.cmp(&b)));
    let mut rank = vec![0usize; c];
    for (r, &l) in order.iter().enumerate() {
        rank[l] = r;
    }
    let mut rows: Vec<usize> = ix.to_vec();
    rows.sort_by_key(|&i| rank[y[i]]);
    let mut best = vec![0f64; cand.len()];
    // how many of the largest labels, in `order`, each candidate occurs in without a gap
    let mut leading = vec![0usize; cand.len()];
    let mut count = vec![0u32; cand.len()];
    let mut touched: Vec<usize> = Vec::new();
    for group in rows.chunk_by(|&i, &j| y[i] == y[j]) {
        let l = y[group[0]];
        for &i in group {
            for (id, _) in corpus.row(i) {
                let p = pos[id as usize];
                if p != NOT {
                    let p = p as usize;
                    if count[p] == 0 {
                        touched.push(p);
                    }
                    count[p] += 1;
                }
            }
        }
        for &p in &touched {
            let f = df[cand[p] as usize] as f64;
            best[p] = best[p].max(chi2(n, f, class_n[l] as f64, count[p] as f64));
            if leading[p] == rank[l] {
                leading[p] += 1;
            }
            count[p] = 0;
        }
        touched.clear();
    }
    for (p, b) in best.iter_mut().enumerate() {
        if let Some(&absent) = order.get(leading[p]) {
            let f = df[cand[p] as usize] as f64;
            *b = b.max(chi2(n, f, class_n[absent] as f64, 0.0));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Chi² over every (candidate, label) pair, from a candidates × labels table.
    fn best_chi2_dense(
        docs: &[Vec<(u32, u32)>],
        y: &[usize],
        ix: &[usize],
        c: usize,
        cand: &[u32],
        df: &HashMap<u32, u32>,
    ) -> Vec<f64> {
        let mut per_class = vec![0u32; cand.len() * c];
        let mut class_n = vec![0u32; c];
        for &i in ix {
            class_n[y[i]] += 1;
            for &(h, _) in &docs[i] {
                if let Ok(p) = cand.binary_search(&h) {
                    per_class[p * c + y[i]] += 1;
                }
            }
        }
        let n = ix.len() as f64;
        (0..cand.len())
            .map(|p| {
                let f = df[&cand[p]] as f64;
                (0..c).fold(0f64, |best, l| {
                    let m = class_n[l] as f64;
                    best.max(chi2(n, f, m, per_class[p * c + l] as f64))
                })
            })
            .collect()
    }

    #[test]
    fn label_by_label_chi2_is_the_full_table_chi2() {
        // fixed-seed random documents over 40 features and up to 9 labels (some without rows)
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |m: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % m
        };
        for c in [2usize, 3, 5, 9] {
            let docs: Vec<Vec<(u32, u32)>> = (0..60)
                .map(|_| {
                    let mut d: Vec<(u32, u32)> =
                        (0..next(12)).map(|_| (next(40) as u32 * 7, 1)).collect();
                    d.sort_unstable();
                    d.dedup();
                    d
                })
                .collect();
            // above 2 labels, the last never occurs
            let present = if c > 2 { c - 1 } else { c };
            let y: Vec<usize> = (0..60).map(|_| next(present as u64) as usize).collect();
            let ix: Vec<usize> = (0..60).filter(|i| i % 5 != 0).collect();
            let mut df: HashMap<u32, u32> = HashMap::new();
            for &i in &ix {
                for &(h, _) in &docs[i] {
                    *df.entry(h).or_default() += 1;
                }
            }
            let mut cand: Vec<u32> = df.keys().copied().collect();
            cand.sort_unstable();
            let dense = best_chi2_dense(&docs, &y, &ix, c, &cand, &df);
            // the same candidates as the corpus's ids, in hash order
            let corpus = Corpus::of_counts(&docs, 1);
            let mut id_df = vec![0u32; corpus.features()];
            for &i in &ix {
                for (id, _) in corpus.row(i) {
                    id_df[id as usize] += 1;
                }
            }
            let mut ids: Vec<u32> = (0..corpus.features() as u32)
                .filter(|&id| id_df[id as usize] > 0)
                .collect();
            ids.sort_unstable_by_key(|&id| corpus.hash(id));
            assert_eq!(
                ids.iter().map(|&id| corpus.hash(id)).collect::<Vec<_>>(),
                cand
            );
            let fast = best_chi2(&corpus, &y, &ix, c, &ids, &id_df);
            assert_eq!(fast, dense, "{c} labels");
            assert!(fast.iter().any(|&b| b > 0.0));
        }
    }
}
