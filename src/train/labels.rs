//! Which labels a training run learns, checked before any feature is counted: memory and the
//! model grow with labels × features, and a label of one ticket cannot be held out.

use super::options::{MAX_LABELS, TrainOptions};
use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// The label tickets with fewer than `--min-label-count` tickets are folded into.
pub const OTHER_LABEL: &str = "other";

/// Single-ticket labels are refused when they are more than this share of the labels: a few are
/// stragglers of a real export (cross-validation scores them as missed), many mean the column is
/// not a label at all (an id, a free-text field).
const MAX_SINGLE_TICKET_SHARE: f64 = 0.25;

/// The labels learned and each row's label index.
pub(crate) struct LabelSet {
    /// Sorted, distinct.
    pub labels: Vec<String>,
    /// Per row, its index in `labels`.
    pub y: Vec<usize>,
    /// Labels folded into [`OTHER_LABEL`].
    pub folded: usize,
    /// Labels (after folding) with a single ticket.
    pub single: Vec<String>,
}

/// The rows' labels (one per row) after folding those with fewer than `opts.min_label_count` tickets into
/// [`OTHER_LABEL`]; refuses fewer than 2 labels, more than [`MAX_LABELS`], and a label column
/// where more than a quarter of the labels have a single ticket.
pub(crate) fn label_set<'r>(rows: &[&'r str], opts: &TrainOptions) -> Result<LabelSet> {
    let tally = count(rows.iter().copied());
    let keep = |l: &str| tally[l] >= opts.min_label_count;
    let folded = tally.keys().filter(|l| !keep(l)).count();
    let name = |l: &'r str| -> &'r str { if keep(l) { l } else { OTHER_LABEL } };
    let counts = count(rows.iter().map(|&r| name(r)));
    let labels: Vec<String> = counts.keys().map(|l| l.to_string()).collect();
    let single: Vec<String> = counts
        .iter()
        .filter(|&(_, &n)| n == 1)
        .map(|(l, _)| l.to_string())
        .collect();
    let refuse = |reason: String| Err(Error::Training { reason });
    if labels.len() < 2 {
        return refuse(format!(
            "{} distinct label(s) in {} rows; at least 2 are needed",
            labels.len(),
            rows.len()
        ));
    }
    if labels.len() > MAX_LABELS {
        return refuse(format!(
            "{} distinct labels in {} tickets; at most {MAX_LABELS} can be trained (memory and the \
             model file grow with labels × features). Check that the label column is a label \
             (not an id or a free-text field); {}",
            labels.len(),
            rows.len(),
            fold_hint(&tally)
        ));
    }
    if single.len() as f64 > MAX_SINGLE_TICKET_SHARE * labels.len() as f64 {
        return refuse(format!(
            "{} of the {} labels have a single ticket ({}): cross-validation cannot hold such a \
             label out, and no model learns it from one example. Check that the label column is \
             a label (not an id or a free-text field); {}",
            single.len(),
            labels.len(),
            examples(&single),
            fold_hint(&tally)
        ));
    }
    let y = rows
        .iter()
        .map(|r| {
            labels
                .binary_search_by(|l| l.as_str().cmp(name(r)))
                .expect("label listed")
        })
        .collect();
    Ok(LabelSet {
        labels,
        y,
        folded,
        single,
    })
}

fn count<'a>(labels: impl Iterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for l in labels {
        *counts.entry(l).or_default() += 1;
    }
    counts
}

/// The first few labels of a list, quoted.
fn examples(labels: &[String]) -> String {
    let shown: Vec<String> = labels.iter().take(5).map(|l| format!("{l:?}")).collect();
    let more = labels.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// What to do about rare labels: the smallest `--min-label-count` that leaves at least 2 and at
/// most [`MAX_LABELS`] labels with at least 2 tickets each, or merging by hand when none does.
fn fold_hint(tally: &BTreeMap<&str, usize>) -> String {
    let fits = (2..=tally.values().copied().max().unwrap_or(0)).find(|&n| {
        let kept = tally.values().filter(|&&c| c >= n).count();
        let rest: usize = tally.values().filter(|&&c| c < n).sum();
        let labels = kept + usize::from(rest > 0);
        (2..=MAX_LABELS).contains(&labels) && rest != 1
    });
    match fits {
        Some(n) => {
            let kept = tally.values().filter(|&&c| c >= n).count();
            format!(
                "merge rare labels into broader ones, or pass --min-label-count {n} to fold the \
                 labels with fewer than {n} tickets into one {OTHER_LABEL:?} label ({kept} labels \
                 and {OTHER_LABEL:?} remain)"
            )
        }
        None => "no label has enough tickets to keep: merge labels into broader ones".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(rows: &[&str], opts: &TrainOptions) -> String {
        match label_set(rows, opts) {
            Err(Error::Training { reason }) => reason,
            Err(e) => panic!("{e}"),
            Ok(s) => panic!("accepted {} labels", s.labels.len()),
        }
    }

    #[test]
    fn a_label_per_ticket_is_refused_with_what_to_do() {
        let ids: Vec<String> = (0..40).map(|i| format!("t{i}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let r = refusal(&ids, &TrainOptions::default());
        assert!(
            r.contains("40 of the 40 labels have a single ticket"),
            "{r}"
        );
        assert!(
            r.contains("\"t0\", \"t1\"") && r.contains("and 35 more"),
            "{r}"
        );
        assert!(r.contains("merge labels"), "{r}");
    }

    #[test]
    fn many_single_ticket_labels_are_refused_and_folding_them_trains() {
        let mut labels = vec!["a"; 6];
        labels.extend(["b"; 5]);
        labels.extend(["x", "y", "z"]);
        let r = refusal(&labels, &TrainOptions::default());
        assert!(r.contains("3 of the 5 labels have a single ticket"), "{r}");
        assert!(r.contains("--min-label-count 2"), "{r}");
        let opts = TrainOptions {
            min_label_count: 2,
            ..TrainOptions::default()
        };
        let set = label_set(&labels, &opts).unwrap();
        assert_eq!(set.labels, ["a", "b", OTHER_LABEL]);
        assert_eq!(set.folded, 3);
        assert_eq!(set.y[13], 2);
        assert!(set.single.is_empty());
        // a straggler or two are kept (and reported)
        let mut labels = vec!["a"; 6];
        labels.extend(["b"; 5]);
        labels.extend(["c", "d", "e", "f"].iter().flat_map(|l| [*l; 2]));
        labels.push("x");
        let set = label_set(&labels, &TrainOptions::default()).unwrap();
        assert_eq!((set.labels.len(), set.single), (7, vec!["x".to_string()]));
    }

    #[test]
    fn more_labels_than_the_limit_are_refused() {
        let names: Vec<String> = (0..=MAX_LABELS).map(|i| format!("g{i:04}")).collect();
        let mut labels: Vec<&str> = names.iter().flat_map(|n| [n.as_str(); 2]).collect();
        // ten labels of three tickets: --min-label-count 3 keeps them
        labels.extend(names[..10].iter().map(String::as_str));
        let r = refusal(&labels, &TrainOptions::default());
        assert!(
            r.contains(&format!("{} distinct labels", MAX_LABELS + 1))
                && r.contains(&format!("at most {MAX_LABELS}")),
            "{r}"
        );
        assert!(r.contains("--min-label-count 3"), "{r}");
        assert!(r.contains("(10 labels and \"other\" remain)"), "{r}");
    }
}
