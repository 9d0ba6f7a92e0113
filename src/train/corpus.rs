//! The training tickets as training keeps them: each ticket once, as the ids of its features
//! with their counts, delta- and varint-coded in one byte arena. An export is read twice, once to
//! count every feature's tickets and once to keep only the features some fit can select (those in
//! at least `min_df` tickets, numbered most frequent first so that the codes stay short): memory
//! follows what is kept, not the hashed feature space, and a ticket's text is dropped as soon as it
//! is featurized.

use super::folds::parallel_map;
use crate::data::{Row, RowSource};
use crate::error::Result;
use crate::features::{CHAR_BIT, FeatureConfig, HASH_BITS, SparseVec, Vocab, count_features};
use crate::text::normalize;

/// Rows featurized together, on the worker threads.
const BATCH: usize = 4096;

/// Marks a hash or an id that is not kept.
const NONE: u32 = u32::MAX;

/// What the first reading learns: the labels, in row order, and each feature's ticket count.
pub(crate) struct Census {
    /// Distinct labels, in order of first appearance.
    pub names: Vec<String>,
    /// Per row, its label's index in `names`.
    pub row_labels: Vec<u32>,
    /// Tickets per feature hash (indexed by hash).
    df: Vec<u32>,
}

impl Census {
    /// Rows read.
    pub fn rows(&self) -> usize {
        self.row_labels.len()
    }

    /// Per row, its label.
    pub fn labels(&self) -> Vec<&str> {
        self.row_labels
            .iter()
            .map(|&l| self.names[l as usize].as_str())
            .collect()
    }
}

/// Reads `source` in batches, featurizing each batch on `threads` workers with `work`, and hands
/// each row's result to `take` in row order.
fn in_batches<R: Send>(
    source: &(impl RowSource + ?Sized),
    threads: usize,
    work: impl Fn(&Row) -> R + Sync,
    mut take: impl FnMut(&Row, R) -> Result<()>,
) -> Result<()> {
    let mut batch: Vec<Row> = Vec::with_capacity(BATCH);
    let mut flush = |batch: &mut Vec<Row>| -> Result<()> {
        let done = parallel_map(batch, threads, &work);
        for (row, r) in batch.iter().zip(done) {
            take(row, r)?;
        }
        batch.clear();
        Ok(())
    };
    source.for_each_row(&mut |row| {
        batch.push(row.clone());
        if batch.len() == BATCH {
            flush(&mut batch)?;
        }
        Ok(())
    })?;
    flush(&mut batch)
}

/// The first reading: labels and every feature's ticket count. `seen` sees each row once, in
/// order (for what is computed over the raw rows, such as the corpus hash).
pub(crate) fn census(
    source: &(impl RowSource + ?Sized),
    cfg: &FeatureConfig,
    threads: usize,
    mut seen: impl FnMut(&Row),
) -> Result<Census> {
    let mut census = Census {
        names: Vec::new(),
        row_labels: Vec::new(),
        df: vec![0; 1 << HASH_BITS],
    };
    let mut index: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    in_batches(
        source,
        threads,
        |row| count_features(&normalize(&row.text), cfg),
        |row, counts| {
            seen(row);
            let l = match index.get(&row.label) {
                Some(&l) => l,
                None => {
                    let l = census.names.len() as u32;
                    index.insert(row.label.clone(), l);
                    census.names.push(row.label.clone());
                    l
                }
            };
            census.row_labels.push(l);
            for (h, _) in counts {
                census.df[h as usize] += 1;
            }
            Ok(())
        },
    )?;
    Ok(census)
}

/// The kept tickets: per ticket, its features in at least `min_df` tickets, as ids with counts.
pub(crate) struct Corpus {
    /// Feature hash of each id; ids are numbered by falling ticket count, ties by hash.
    hashes: Vec<u32>,
    /// Every ticket's coded features, one ticket after the other (see [`Corpus::row`]).
    arena: Vec<u8>,
    /// Where each ticket's code ends in `arena`.
    ends: Vec<u64>,
}

/// The second reading: keeps every ticket's features in at least `min_df` tickets, and hands each
/// row and its normalized text to `extra`, whose results come back in row order.
pub(crate) fn keep<E: Send>(
    source: &(impl RowSource + ?Sized),
    census: Census,
    cfg: &FeatureConfig,
    min_df: u32,
    threads: usize,
    extra: impl Fn(&Row, &str) -> E + Sync,
) -> Result<(Corpus, Vec<E>)> {
    let (hashes, id_of) = number_features(census.df, min_df);
    let mut corpus = Corpus {
        hashes,
        arena: Vec::new(),
        ends: Vec::with_capacity(census.row_labels.len()),
    };
    let mut extras = Vec::with_capacity(census.row_labels.len());
    in_batches(
        source,
        threads,
        |row| {
            let norm = normalize(&row.text);
            let mut ids: Vec<(u32, u32)> = count_features(&norm, cfg)
                .into_iter()
                .filter_map(|(h, n)| {
                    let id = id_of[h as usize];
                    (id != NONE).then_some((id, n))
                })
                .collect();
            ids.sort_unstable_by_key(|x| x.0);
            (encode(&ids), extra(row, &norm))
        },
        |_, (code, e)| {
            corpus.arena.extend_from_slice(&code);
            corpus.ends.push(corpus.arena.len() as u64);
            extras.push(e);
            Ok(())
        },
    )?;
    corpus.arena.shrink_to_fit();
    Ok((corpus, extras))
}

/// The hashes in at least `min_df` tickets, most frequent first (ties by hash), and the map from
/// hash to that rank ([`NONE`] for the others).
fn number_features(df: Vec<u32>, min_df: u32) -> (Vec<u32>, Vec<u32>) {
    let min_df = min_df.max(1);
    let mut kept: Vec<u32> = (0..df.len() as u32)
        .filter(|&h| df[h as usize] >= min_df)
        .collect();
    kept.sort_by(|&a, &b| df[b as usize].cmp(&df[a as usize]).then(a.cmp(&b)));
    let mut id_of = df;
    id_of.iter_mut().for_each(|x| *x = NONE);
    for (id, &h) in kept.iter().enumerate() {
        id_of[h as usize] = id as u32;
    }
    (kept, id_of)
}

/// Codes `(id, count)` pairs with ascending ids: per pair, the gap to the previous id (less one)
/// shifted left by one, the low bit set when the count is above 1, as a varint, then the count
/// less 2 as a varint when that bit is set.
fn encode(ids: &[(u32, u32)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ids.len() * 2);
    let mut next = 0u32;
    for &(id, n) in ids {
        let gap = u64::from(id - next);
        varint(&mut out, gap << 1 | u64::from(n > 1));
        if n > 1 {
            varint(&mut out, u64::from(n - 2));
        }
        next = id + 1;
    }
    out
}

fn varint(out: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        out.push(x as u8 | 0x80);
        x >>= 7;
    }
    out.push(x as u8);
}

/// One ticket's `(id, count)` pairs, ids ascending, decoded from the arena.
pub(crate) struct RowFeatures<'a> {
    code: &'a [u8],
    next: u32,
}

impl RowFeatures<'_> {
    fn varint(&mut self) -> u64 {
        let mut x = 0u64;
        let mut shift = 0;
        loop {
            let b = self.code[0];
            self.code = &self.code[1..];
            x |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return x;
            }
            shift += 7;
        }
    }
}

impl Iterator for RowFeatures<'_> {
    type Item = (u32, u32);

    #[inline]
    fn next(&mut self) -> Option<(u32, u32)> {
        if self.code.is_empty() {
            return None;
        }
        let v = self.varint();
        let id = self.next + (v >> 1) as u32;
        let n = if v & 1 == 1 {
            self.varint() as u32 + 2
        } else {
            1
        };
        self.next = id + 1;
        Some((id, n))
    }
}

impl Corpus {
    /// Tickets kept.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Distinct features kept.
    pub fn features(&self) -> usize {
        self.hashes.len()
    }

    /// The feature hash of an id.
    #[inline]
    pub fn hash(&self, id: u32) -> u32 {
        self.hashes[id as usize]
    }

    /// Bytes the kept tickets take.
    pub fn bytes(&self) -> usize {
        self.arena.len() + self.ends.len() * 8 + self.hashes.len() * 4
    }

    /// Ticket `i`'s features: `(id, count)`, ids ascending.
    pub fn row(&self, i: usize) -> RowFeatures<'_> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        RowFeatures {
            code: &self.arena[start..self.ends[i] as usize],
            next: 0,
        }
    }

    /// The tf-idf vectors of tickets over a vocabulary chosen on them.
    pub fn weighing<'a>(&'a self, vocab: &'a Vocab) -> Weighing<'a> {
        let index = self
            .hashes
            .iter()
            .map(|&h| vocab.get(h).unwrap_or(NONE))
            .collect();
        Weighing {
            corpus: self,
            vocab,
            index,
        }
    }

    /// The corpus of already counted tickets, `(hash, count)` sorted by hash.
    #[cfg(test)]
    pub fn of_counts(docs: &[Vec<(u32, u32)>], min_df: u32) -> Corpus {
        let mut df = vec![0u32; 1 << HASH_BITS];
        for d in docs {
            for &(h, _) in d {
                df[h as usize] += 1;
            }
        }
        let (hashes, id_of) = number_features(df, min_df);
        let mut corpus = Corpus {
            hashes,
            arena: Vec::new(),
            ends: Vec::new(),
        };
        for d in docs {
            let mut ids: Vec<(u32, u32)> = d
                .iter()
                .filter(|&&(h, _)| id_of[h as usize] != NONE)
                .map(|&(h, n)| (id_of[h as usize], n))
                .collect();
            ids.sort_unstable_by_key(|x| x.0);
            corpus.arena.extend(encode(&ids));
            corpus.ends.push(corpus.arena.len() as u64);
        }
        corpus
    }
}

/// Tickets as tf-idf vectors over a vocabulary: what [`Vocab::vectorize_counts`] gives for their
/// counted features, read from the arena one ticket at a time.
pub(crate) struct Weighing<'a> {
    corpus: &'a Corpus,
    vocab: &'a Vocab,
    /// Per feature id, its index in the vocabulary ([`NONE`] when not in it).
    index: Vec<u32>,
}

impl Weighing<'_> {
    /// Ticket `i`'s vector.
    pub fn vector(&self, i: usize) -> SparseVec {
        let mut runs: Vec<(u32, u32, bool)> = self
            .corpus
            .row(i)
            .filter_map(|(id, n)| {
                let j = self.index[id as usize];
                (j != NONE).then(|| (j, n, self.corpus.hash(id) & CHAR_BIT != 0))
            })
            .collect();
        runs.sort_unstable_by_key(|r| r.0);
        SparseVec::weigh(&runs, &self.vocab.idf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_decode_to_what_was_kept() {
        let docs = vec![
            vec![(3, 1), (7, 2), (1 << 20, 300), (CHAR_BIT | 5, 1)],
            vec![],
            vec![(3, 4), (9, 1), (CHAR_BIT | 5, 1)],
            vec![(7, 1), (9, 1), (1 << 20, 1)],
        ];
        let corpus = Corpus::of_counts(&docs, 2);
        assert_eq!(corpus.len(), 4);
        // 9 and 1<<20 are in two tickets, like 3, 7 and CHAR_BIT|5
        assert_eq!(corpus.features(), 5);
        for (i, d) in docs.iter().enumerate() {
            let mut got: Vec<(u32, u32)> =
                corpus.row(i).map(|(id, n)| (corpus.hash(id), n)).collect();
            got.sort_unstable();
            assert_eq!(&got, d, "ticket {i}");
        }
        // most frequent first: every feature here is in two tickets, so by hash
        assert_eq!(corpus.hashes, vec![3, 7, 9, 1 << 20, CHAR_BIT | 5]);
        let once = Corpus::of_counts(&docs, 3);
        assert_eq!(once.features(), 0);
        assert!(once.row(0).next().is_none());
    }

    #[test]
    fn weighing_is_vectorize_counts() {
        let cfg = FeatureConfig::default();
        let texts = [
            "printer jam on the third floor",
            "the printer prints blank pages",
            "vpn drops every hour on the third floor",
            "blank screen after login",
        ];
        let docs: Vec<Vec<(u32, u32)>> = texts
            .iter()
            .map(|t| count_features(&normalize(t), &cfg))
            .collect();
        let corpus = Corpus::of_counts(&docs, 1);
        let mut hashes: Vec<u32> = docs[0].iter().chain(&docs[2]).map(|x| x.0).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let idf: Vec<f32> = (0..hashes.len()).map(|i| 1.0 + i as f32 * 0.01).collect();
        let vocab = Vocab::new(hashes, idf);
        let w = corpus.weighing(&vocab);
        for (i, d) in docs.iter().enumerate() {
            assert_eq!(w.vector(i), vocab.vectorize_counts(d), "ticket {i}");
        }
    }
}
