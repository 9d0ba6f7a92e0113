//! Evaluation figures: accuracy, macro-F1, per-class precision/recall/F1, confusion matrix, how
//! well stated confidence matches accuracy (calibration), and how the suggested SOPs fare against
//! judged tickets, as the client panel and the staff view show them.

use crate::sop::{Audience, SopMatch};
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

/// Confidence bins of the calibration `train` and `eval` print (0.1 wide).
pub const CALIBRATION_BINS: usize = 10;

/// One confidence bin of a [`Calibration`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Lowest confidence in the bin.
    pub from: f64,
    /// Confidence the bin stops below (the last bin includes 1).
    pub to: f64,
    /// Answers in the bin.
    pub n: usize,
    /// Their mean stated confidence.
    pub confidence: f64,
    /// The fraction of them that were right.
    pub accuracy: f64,
}

/// Whether stated confidence can be taken at its word: answers binned by confidence, each bin's
/// mean confidence against its accuracy, and the expected calibration error (ECE), the mean gap
/// weighted by bin size. 0 is perfectly calibrated; a model that says 0.9 and is right 60% of
/// the time scores 0.3.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// Expected calibration error.
    pub ece: f64,
    /// The non-empty bins, lowest confidence first.
    pub bins: Vec<CalibrationBin>,
}

impl Calibration {
    /// Bins `(confidence, right)` answers into `bins` equal-width bins over 0..=1.
    pub fn new(answers: &[(f64, bool)], bins: usize) -> Calibration {
        let bins = bins.max(1);
        let mut sums = vec![(0usize, 0f64, 0usize); bins];
        for &(conf, right) in answers {
            let b = ((conf.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
            sums[b].0 += 1;
            sums[b].1 += conf;
            sums[b].2 += right as usize;
        }
        let n = answers.len().max(1) as f64;
        let mut ece = 0.0;
        let mut out = Vec::new();
        for (b, &(k, conf, right)) in sums.iter().enumerate() {
            if k == 0 {
                continue;
            }
            let (confidence, accuracy) = (conf / k as f64, right as f64 / k as f64);
            ece += k as f64 / n * (confidence - accuracy).abs();
            out.push(CalibrationBin {
                from: b as f64 / bins as f64,
                to: (b + 1) as f64 / bins as f64,
                n: k,
                confidence,
                accuracy,
            });
        }
        Calibration { ece, bins: out }
    }

    /// A readable table.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut s = String::from("confidence  answers  mean conf.  accuracy\n");
        for b in &self.bins {
            let _ = writeln!(
                s,
                "{:.1}-{:.1}     {:>7}  {:>10.3}  {:>8.3}",
                b.from, b.to, b.n, b.confidence, b.accuracy
            );
        }
        let _ = writeln!(s, "expected calibration error {:.3}", self.ece);
        s
    }
}

/// The SOPs judged to fit one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SopJudgement {
    /// The ticket's id.
    pub id: String,
    /// The SOP ids that fit, best first; empty when none does.
    pub relevant: Vec<String>,
    /// One of them is client-facing.
    pub client_ok: bool,
}

/// How suggested SOPs fare against judgements. The client panel shows the client-facing entries of
/// an answer's SOPs; the staff view shows them all.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SopFigures {
    /// Tickets judged.
    pub tickets: usize,
    /// Tickets on which the client panel shows an article.
    pub client_shown: usize,
    /// Of those, the fraction whose first article fits.
    pub client_first_relevant: f64,
    /// Tickets with a fitting client-facing article.
    pub client_fits: usize,
    /// Of those, the fraction on which the panel shows a fitting article.
    pub client_recall: f64,
    /// Tickets on which the staff view shows an SOP.
    pub staff_shown: usize,
    /// Of those, the fraction whose first SOP fits.
    pub staff_first_relevant: f64,
    /// Tickets with a fitting SOP.
    pub staff_fits: usize,
    /// Of those, the fraction with a fitting SOP among the first three shown.
    pub staff_top3_recall: f64,
    /// Tickets no SOP fits.
    pub none_fits: usize,
    /// Of those, the fraction on which no SOP is shown.
    pub silent_when_none_fits: f64,
}

impl SopFigures {
    /// The figures of `(judgement, the answer's SOPs)` pairs (owned or borrowed matches).
    pub fn new<M: std::borrow::Borrow<SopMatch>>(pairs: &[(&SopJudgement, &[M])]) -> SopFigures {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let (mut client_shown, mut client_first, mut client_fits, mut client_hit) = (0, 0, 0, 0);
        let (mut staff_shown, mut staff_first, mut staff_fits, mut staff_top3) = (0, 0, 0, 0);
        let (mut none_fits, mut silent) = (0, 0);
        for (j, shown) in pairs {
            let sops: Vec<&SopMatch> = shown.iter().map(|s| s.borrow()).collect();
            let fits = |s: &&SopMatch| j.relevant.contains(&s.id);
            let client: Vec<&SopMatch> = sops
                .iter()
                .copied()
                .filter(|s| s.audience == Audience::Client)
                .collect();
            if let Some(first) = client.first() {
                client_shown += 1;
                client_first += usize::from(fits(first));
            }
            if j.client_ok {
                client_fits += 1;
                client_hit += usize::from(client.iter().any(fits));
            }
            if let Some(first) = sops.first() {
                staff_shown += 1;
                staff_first += usize::from(fits(first));
            }
            if j.relevant.is_empty() {
                none_fits += 1;
                silent += usize::from(sops.is_empty());
            } else {
                staff_fits += 1;
                staff_top3 += usize::from(sops.iter().take(3).any(fits));
            }
        }
        SopFigures {
            tickets: pairs.len(),
            client_shown,
            client_first_relevant: ratio(client_first, client_shown),
            client_fits,
            client_recall: ratio(client_hit, client_fits),
            staff_shown,
            staff_first_relevant: ratio(staff_first, staff_shown),
            staff_fits,
            staff_top3_recall: ratio(staff_top3, staff_fits),
            none_fits,
            silent_when_none_fits: ratio(silent, none_fits),
        }
    }

    /// A readable table.
    pub fn table(&self) -> String {
        format!(
            "SOP suggestions on {} judged tickets\n\
             client panel: first article fits {:.3} of the {} times one is shown; a fitting article \
             is shown for {:.3} of the {} tickets that have one\n\
             staff view:   first SOP fits {:.3} of the {} times one is shown; a fitting SOP is in \
             the first three for {:.3} of the {} tickets that have one; silent on {:.3} of the {} \
             tickets no SOP fits\n",
            self.tickets,
            self.client_first_relevant,
            self.client_shown,
            self.client_recall,
            self.client_fits,
            self.staff_first_relevant,
            self.staff_shown,
            self.staff_top3_recall,
            self.staff_fits,
            self.silent_when_none_fits,
            self.none_fits,
        )
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

    #[test]
    fn calibration_error_is_the_weighted_gap_per_bin() {
        // 0.95 stated, 3 of 4 right: gap 0.2; 0.55 stated, 1 of 2 right: gap 0.05
        let answers = [
            (0.95, true),
            (0.95, true),
            (0.95, true),
            (0.95, false),
            (0.55, true),
            (0.55, false),
        ];
        let c = Calibration::new(&answers, 10);
        assert_eq!(c.bins.len(), 2);
        assert_eq!((c.bins[0].n, c.bins[1].n), (2, 4));
        assert!((c.bins[0].from - 0.5).abs() < 1e-12 && (c.bins[1].to - 1.0).abs() < 1e-12);
        assert!((c.ece - (4.0 * 0.2 + 2.0 * 0.05) / 6.0).abs() < 1e-12);
        assert!(c.table().contains("expected calibration error 0.150"));
        // confidence 1 falls in the last bin; a calibrated set scores 0
        let c = Calibration::new(&[(1.0, true), (0.25, false), (0.25, false)], 4);
        assert_eq!(c.bins.last().unwrap().n, 1);
        assert!((c.ece - 0.25 * 2.0 / 3.0).abs() < 1e-12);
        let c = Calibration::new(&[(0.5, true), (0.5, false)], 10);
        assert!(c.ece.abs() < 1e-12);
        assert!(Calibration::new(&[], 10).bins.is_empty());
    }

    #[test]
    fn sop_figures_count_what_each_view_shows() {
        let m = |id: &str, audience| SopMatch {
            id: id.into(),
            title: String::new(),
            score: 0.5,
            tier: "L1".into(),
            audience,
            url: None,
            relevance: None,
        };
        let j = |id: &str, relevant: &[&str], client_ok| SopJudgement {
            id: id.into(),
            relevant: relevant.iter().map(|s| s.to_string()).collect(),
            client_ok,
        };
        let (a, b, c) = (
            j("a", &["vpn"], true),
            j("b", &["printer"], false),
            j("c", &[], false),
        );
        let sa = [m("mfa", Audience::Staff), m("vpn", Audience::Client)];
        let sb = [m("vpn", Audience::Client), m("disk", Audience::Staff)];
        let f = SopFigures::new(&[(&a, &sa[..]), (&b, &sb[..]), (&c, &[][..])]);
        assert_eq!((f.client_shown, f.client_first_relevant), (2, 0.5));
        assert_eq!((f.client_fits, f.client_recall), (1, 1.0));
        assert_eq!((f.staff_shown, f.staff_first_relevant), (2, 0.0));
        assert_eq!((f.staff_fits, f.staff_top3_recall), (2, 0.5));
        assert_eq!((f.none_fits, f.silent_when_none_fits), (1, 1.0));
    }
}
