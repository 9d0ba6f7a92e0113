//! Chi² feature selection: linfa fits dense matrices, and keeping the features most tied to a
//! label keeps that matrix at N × K instead of N × every hashed feature.

use super::options::TrainOptions;
use crate::features::Vocab;

/// Document frequency filter, then chi² (max over labels) top-K, sorted by hash; idf attached.
pub(crate) fn select_features(
    docs: &[Vec<(u32, u32)>],
    y: &[usize],
    ix: &[usize],
    c: usize,
    opts: &TrainOptions,
) -> Vocab {
    let mut df: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
    for &i in ix {
        for &(h, _) in &docs[i] {
            *df.entry(h).or_default() += 1;
        }
    }
    let mut cand: Vec<u32> = df
        .iter()
        .filter(|&(_, &n)| n >= opts.min_df)
        .map(|(&h, _)| h)
        .collect();
    cand.sort_unstable();
    let pos: std::collections::HashMap<u32, usize> =
        cand.iter().enumerate().map(|(p, &h)| (h, p)).collect();
    let mut per_class = vec![0u32; cand.len() * c];
    let mut class_n = vec![0u32; c];
    for &i in ix {
        class_n[y[i]] += 1;
        for &(h, _) in &docs[i] {
            if let Some(&p) = pos.get(&h) {
                per_class[p * c + y[i]] += 1;
            }
        }
    }
    let n = ix.len() as f64;
    let mut scored: Vec<(f64, u32, usize)> = cand
        .iter()
        .enumerate()
        .map(|(p, &h)| {
            let f = df[&h] as f64;
            let mut best = 0f64;
            for l in 0..c {
                // 2x2 table: feature present/absent x label/other
                let a = per_class[p * c + l] as f64;
                let b = f - a;
                let cc = class_n[l] as f64 - a;
                let d = n - f - cc;
                let den = (a + b) * (cc + d) * (a + cc) * (b + d);
                if den > 0.0 {
                    let chi = n * (a * d - b * cc).powi(2) / den;
                    best = best.max(chi);
                }
            }
            (best, h, p)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.truncate(opts.features_for(c));
    scored.sort_by_key(|s| s.1);
    let hashes: Vec<u32> = scored.iter().map(|s| s.1).collect();
    let idf: Vec<f32> = hashes
        .iter()
        .map(|h| (1.0 + ((1.0 + n) / (1.0 + df[h] as f64)).ln()) as f32)
        .collect();
    Vocab::new(hashes, idf)
}
