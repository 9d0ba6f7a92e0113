//! Evaluation figures: accuracy, macro-F1, per-class precision/recall/F1, confusion matrix, how
//! well stated confidence matches accuracy (calibration), and how the suggested SOPs fare against
//! judged tickets, as the client panel and the staff view show them; and how two models' answers
//! to the same tickets differ.

use crate::answer::Classification;
use crate::decimal::decimal4;
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

/// What `eval` reports of a model's answers to labelled tickets: the tier figures, how often it
/// abstains and how right it is where it answers, and the calibration of its stated confidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Accuracy, macro-F1, per-class figures and the confusion matrix.
    pub report: Report,
    /// Answers flagged `abstain` (a person should triage).
    pub abstained: usize,
    /// Their fraction of all answers.
    pub abstain_rate: f64,
    /// Accuracy of the answers not flagged `abstain`.
    pub answered_accuracy: f64,
    /// Accuracy of the answers flagged `abstain` (how often the unsure suggestion is right).
    pub abstained_accuracy: f64,
    /// Stated confidence (as shown, to four decimals) against accuracy.
    pub calibration: Calibration,
}

impl Evaluation {
    /// The figures of `answers` to tickets labelled `truth` (same order), labels in `order` first.
    pub fn new(truth: &[String], answers: &[Classification], order: &[String]) -> Evaluation {
        let pred: Vec<String> = answers.iter().map(|a| a.tier.clone()).collect();
        let report = Report::new(truth, &pred, order);
        let abstained = answers.iter().filter(|a| a.abstain).count();
        let right_where = |abstain: bool| {
            answers
                .iter()
                .zip(truth)
                .filter(|(a, t)| a.abstain == abstain && &a.tier == *t)
                .count()
        };
        let answered = answers.len() - abstained;
        let calibration = Calibration::new(
            &answers
                .iter()
                .zip(truth)
                .map(|(a, t)| (decimal4(a.confidence), &a.tier == t))
                .collect::<Vec<_>>(),
            CALIBRATION_BINS,
        );
        Evaluation {
            report,
            abstained,
            abstain_rate: abstained as f64 / answers.len().max(1) as f64,
            answered_accuracy: right_where(false) as f64 / answered.max(1) as f64,
            abstained_accuracy: right_where(true) as f64 / abstained.max(1) as f64,
            calibration,
        }
    }

    /// A readable table.
    pub fn table(&self) -> String {
        format!(
            "{}abstains on {:.1}% ({}); accuracy of the answered {:.3}\n{}",
            self.report.table(),
            self.abstain_rate * 100.0,
            self.abstained,
            self.answered_accuracy,
            self.calibration.table()
        )
    }
}

/// How many tickets one label moves to another between two models' answers to the same tickets,
/// and whether each move fixes or breaks an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierChanges {
    /// Tickets compared.
    pub tickets: usize,
    /// Tickets whose label differs.
    pub changed: usize,
    /// Of those, moved to a higher tier (`L1` → `L2`: labels `L` and a number); 0 for other labels.
    pub raised: usize,
    /// Of those, moved to a lower tier.
    pub lowered: usize,
    /// Changed tickets the second model gets right and the first did not.
    pub fixed: usize,
    /// Changed tickets the first model got right and the second does not.
    pub broken: usize,
    /// Every move that happens, most frequent first.
    pub moves: Vec<TierMove>,
}

/// Tickets moved from one label to another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierMove {
    /// The first model's label.
    pub from: String,
    /// The second model's label.
    pub to: String,
    /// How many tickets.
    pub n: usize,
}

/// The rank of a tier label, `L1` → 1; None for other labels.
fn tier_rank(label: &str) -> Option<u32> {
    label.strip_prefix('L')?.parse().ok()
}

impl TierChanges {
    /// The changes from `first` to `second` (the labels each model gave, same tickets, same order),
    /// judged against the tickets' `truth`.
    pub fn new(first: &[String], second: &[String], truth: &[String]) -> TierChanges {
        assert!(
            first.len() == second.len() && first.len() == truth.len(),
            "answers to different tickets"
        );
        let mut c = TierChanges {
            tickets: first.len(),
            changed: 0,
            raised: 0,
            lowered: 0,
            fixed: 0,
            broken: 0,
            moves: Vec::new(),
        };
        let mut moves = std::collections::BTreeMap::<(&str, &str), usize>::new();
        for ((a, b), t) in first.iter().zip(second).zip(truth) {
            if a == b {
                continue;
            }
            c.changed += 1;
            *moves.entry((a, b)).or_default() += 1;
            match (tier_rank(a), tier_rank(b)) {
                (Some(x), Some(y)) if y > x => c.raised += 1,
                (Some(x), Some(y)) if y < x => c.lowered += 1,
                _ => {}
            }
            c.fixed += usize::from(b == t);
            c.broken += usize::from(a == t);
        }
        c.moves = moves
            .into_iter()
            .map(|((from, to), n)| TierMove {
                from: from.to_string(),
                to: to.to_string(),
                n,
            })
            .collect();
        // most frequent first; the map's order breaks ties
        c.moves.sort_by_key(|m| std::cmp::Reverse(m.n));
        c
    }

    /// A readable summary.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut s = format!(
            "{} of {} tickets change label ({} to a higher tier, {} to a lower); {} fixed, {} broken\n",
            self.changed, self.tickets, self.raised, self.lowered, self.fixed, self.broken
        );
        for m in &self.moves {
            let _ = writeln!(s, "  {} -> {}: {}", m.from, m.to, m.n);
        }
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

    fn answer(tier: &str, confidence: f32, abstain: bool) -> Classification {
        Classification {
            id: None,
            tier: tier.into(),
            confidence,
            scores: crate::Scores(Vec::new()),
            abstain,
            reasons: Vec::new(),
            sops: Vec::new(),
        }
    }

    #[test]
    fn an_evaluation_splits_answered_and_abstained() {
        let truth = v(&["L1", "L1", "L2", "L3"]);
        let answers = [
            answer("L1", 0.9, false),
            answer("L2", 0.8, false),
            answer("L2", 0.4, true),
            answer("L1", 0.3, true),
        ];
        let e = Evaluation::new(&truth, &answers, &v(&["L1", "L2", "L3"]));
        assert_eq!((e.report.n, e.abstained), (4, 2));
        assert!((e.report.accuracy - 0.5).abs() < 1e-12);
        assert_eq!((e.abstain_rate, e.answered_accuracy), (0.5, 0.5));
        assert_eq!(e.abstained_accuracy, 0.5);
        assert_eq!(e.calibration.bins.len(), 4);
        assert!(
            e.table()
                .contains("abstains on 50.0% (2); accuracy of the answered 0.500")
        );
        // confidence is binned as shown, to four decimals: 0.69996 is 0.7
        let e = Evaluation::new(&v(&["L1"]), &[answer("L1", 0.699_96, false)], &[]);
        assert_eq!(e.calibration.bins[0].from, 0.7);
    }

    #[test]
    fn tier_changes_count_moves_directions_fixes_and_breaks() {
        let truth = v(&["L1", "L2", "L3", "L3", "L1"]);
        let first = v(&["L1", "L1", "L2", "L3", "L2"]);
        let second = v(&["L1", "L2", "L3", "L2", "L1"]);
        let c = TierChanges::new(&first, &second, &truth);
        assert_eq!((c.tickets, c.changed), (5, 4));
        assert_eq!((c.raised, c.lowered), (2, 2));
        assert_eq!((c.fixed, c.broken), (3, 1));
        let moves: Vec<(&str, &str, usize)> = c
            .moves
            .iter()
            .map(|m| (m.from.as_str(), m.to.as_str(), m.n))
            .collect();
        assert_eq!(
            moves,
            [
                ("L1", "L2", 1),
                ("L2", "L1", 1),
                ("L2", "L3", 1),
                ("L3", "L2", 1)
            ]
        );
        assert!(c.table().starts_with(
            "4 of 5 tickets change label (2 to a higher tier, 2 to a lower); 3 fixed, 1 broken"
        ));
        // labels that are not tiers move, but neither up nor down
        let c = TierChanges::new(
            &v(&["net", "net"]),
            &v(&["desk", "net"]),
            &v(&["desk", "x"]),
        );
        assert_eq!((c.changed, c.raised, c.lowered, c.fixed), (1, 0, 0, 1));
        assert_eq!(c.moves[0].n, 1);
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
