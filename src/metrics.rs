//! Classification metrics: accuracy, macro-F1, per-class precision/recall/F1, confusion matrix.

use serde::Serialize;

/// Precision, recall and F1 of one label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassMetrics {
    /// The label.
    pub label: String,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// Number of true examples.
    pub support: usize,
}

/// The full report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Number of examples.
    pub n: usize,
    /// Fraction right.
    pub accuracy: f64,
    /// Mean F1 over the labels that occur in the truth.
    pub macro_f1: f64,
    /// Per label, in `labels` order.
    pub per_class: Vec<ClassMetrics>,
    /// Label order of the matrix.
    pub labels: Vec<String>,
    /// `confusion[truth][predicted]`.
    pub confusion: Vec<Vec<usize>>,
}

impl Report {
    /// Computes the report. Labels are the union of truth and predictions, sorted, unless `order`
    /// gives them (labels outside `order` are appended, sorted).
    pub fn new(truth: &[String], pred: &[String], order: &[String]) -> Report {
        assert_eq!(
            truth.len(),
            pred.len(),
            "truth and predictions differ in length"
        );
        let mut labels: Vec<String> = order.to_vec();
        let mut extra: Vec<&String> = truth
            .iter()
            .chain(pred)
            .filter(|l| !order.contains(l))
            .collect();
        extra.sort();
        extra.dedup();
        labels.extend(extra.into_iter().cloned());
        let pos = |l: &String| labels.iter().position(|x| x == l).expect("label listed");
        let c = labels.len();
        let mut confusion = vec![vec![0usize; c]; c];
        for (t, p) in truth.iter().zip(pred) {
            confusion[pos(t)][pos(p)] += 1;
        }
        let n = truth.len();
        let right: usize = (0..c).map(|i| confusion[i][i]).sum();
        let mut per_class = Vec::with_capacity(c);
        let mut f1_sum = 0.0;
        let mut f1_n = 0;
        for i in 0..c {
            let tp = confusion[i][i] as f64;
            let support: usize = confusion[i].iter().sum();
            let predicted: usize = (0..c).map(|r| confusion[r][i]).sum();
            let precision = if predicted > 0 {
                tp / predicted as f64
            } else {
                0.0
            };
            let recall = if support > 0 {
                tp / support as f64
            } else {
                0.0
            };
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            if support > 0 {
                f1_sum += f1;
                f1_n += 1;
            }
            per_class.push(ClassMetrics {
                label: labels[i].clone(),
                precision,
                recall,
                f1,
                support,
            });
        }
        Report {
            n,
            accuracy: if n > 0 { right as f64 / n as f64 } else { 0.0 },
            macro_f1: if f1_n > 0 { f1_sum / f1_n as f64 } else { 0.0 },
            per_class,
            labels,
            confusion,
        }
    }

    /// A readable table.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "examples {}  accuracy {:.3}  macro-F1 {:.3}",
            self.n, self.accuracy, self.macro_f1
        );
        let w = self
            .labels
            .iter()
            .map(|l| l.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(s, "{:<w$}  precision  recall     f1  support", "label");
        for m in &self.per_class {
            let _ = writeln!(
                s,
                "{:<w$}  {:>9.3}  {:>6.3}  {:>5.3}  {:>7}",
                m.label, m.precision, m.recall, m.f1, m.support
            );
        }
        if self.labels.len() <= 12 {
            let _ = writeln!(s, "confusion (rows: truth, columns: predicted)");
            let _ = write!(s, "{:<w$}", "");
            for l in &self.labels {
                let _ = write!(s, " {:>w$}", l);
            }
            let _ = writeln!(s);
            for (l, row) in self.labels.iter().zip(&self.confusion) {
                let _ = write!(s, "{:<w$}", l);
                for v in row {
                    let _ = write!(s, " {:>w$}", v);
                }
                let _ = writeln!(s);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: &[&str]) -> Vec<String> {
        x.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn computes_known_figures() {
        let truth = v(&["a", "a", "b", "b", "c"]);
        let pred = v(&["a", "b", "b", "b", "a"]);
        let r = Report::new(&truth, &pred, &[]);
        assert_eq!(r.labels, v(&["a", "b", "c"]));
        assert!((r.accuracy - 0.6).abs() < 1e-12);
        // a: p 1/2 r 1/2 f 1/2; b: p 2/3 r 1 f 0.8; c: 0
        assert!((r.per_class[0].f1 - 0.5).abs() < 1e-12);
        assert!((r.per_class[1].f1 - 0.8).abs() < 1e-12);
        assert!((r.macro_f1 - 1.3 / 3.0).abs() < 1e-12);
        assert_eq!(
            r.confusion,
            vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 0, 0]]
        );
        assert!(r.table().contains("macro-F1 0.433"));
    }

    #[test]
    fn labels_only_predicted_do_not_count_in_macro_f1() {
        let r = Report::new(&v(&["a", "a"]), &v(&["a", "z"]), &v(&["a"]));
        assert_eq!(r.labels, v(&["a", "z"]));
        assert!((r.macro_f1 - 2.0 / 3.0).abs() < 1e-12);
    }
}
