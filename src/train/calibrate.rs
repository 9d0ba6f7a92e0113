//! What turns out-of-fold scores into stated confidence and routing: the temperature, the rubric
//! factors and the thresholds, each fitted on held-out predictions so none of them flatters itself.

use crate::classify::apply_rubric;
use crate::cues::{Cues, RubricLabels, RubricParams};
use crate::model::{argmax, softmax};

/// A relative cost of abstaining (a person triages by hand) against a wrong route (cost 1), used
/// to choose the abstain threshold on held-out predictions.
pub const ABSTAIN_COST: f64 = 0.4;

/// The abstain threshold [`fit_abstain`] chose, and what it gives on the held-out predictions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Abstain {
    /// Abstain when the top probability is below this.
    pub below: f32,
    /// Share of abstentions.
    pub rate: f64,
    /// Accuracy of the answers that did not abstain.
    pub answered_accuracy: f64,
}

fn nll(logits: &[Vec<f32>], y: &[usize], t: f32) -> f64 {
    logits
        .iter()
        .zip(y)
        .map(|(z, &l)| -(softmax(z, t)[l].max(1e-12) as f64).ln())
        .sum::<f64>()
        / y.len().max(1) as f64
}

/// Temperature minimizing the negative log-likelihood of the held-out scores (golden-section
/// search over log T in [0.01, 100]).
pub(crate) fn fit_temperature(logits: &[Vec<f32>], y: &[usize]) -> f32 {
    let (mut a, mut b) = (0.01f64.ln(), 100f64.ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let f = |lt: f64| nll(logits, y, lt.exp() as f32);
    let (mut x1, mut x2) = (b - g * (b - a), a + g * (b - a));
    let (mut f1, mut f2) = (f(x1), f(x2));
    for _ in 0..60 {
        if f1 < f2 {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - g * (b - a);
            f1 = f(x1);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (b - a);
            f2 = f(x2);
        }
    }
    (((a + b) / 2.0).exp() as f32 * 1000.0).round() / 1000.0
}

pub(crate) fn macro_f1(probs: &[Vec<f32>], y: &[usize], c: usize) -> f64 {
    let mut tp = vec![0f64; c];
    let mut pred_n = vec![0f64; c];
    let mut true_n = vec![0f64; c];
    for (p, &t) in probs.iter().zip(y) {
        let a = argmax(p);
        pred_n[a] += 1.0;
        true_n[t] += 1.0;
        if a == t {
            tp[a] += 1.0;
        }
    }
    let present = true_n.iter().filter(|&&n| n > 0.0).count().max(1) as f64;
    (0..c)
        .map(|l| {
            if tp[l] == 0.0 {
                0.0
            } else {
                2.0 * tp[l] / (pred_n[l] + true_n[l])
            }
        })
        .sum::<f64>()
        / present
}

/// Grid search of the rubric factors on held-out probabilities, maximizing macro-F1; the smallest
/// factors win ties, so a cue the model already knows gets no extra weight.
pub(crate) fn fit_rubric(
    probs: &[Vec<f32>],
    y: &[usize],
    idx: RubricLabels,
    evidence: &[(Cues, f32)],
    c: usize,
) -> RubricParams {
    const GRID: [f32; 6] = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0];
    let mut best = (
        macro_f1(probs, y, c),
        RubricParams {
            security: 0.0,
            scope: 0.0,
            sop_l1: 0.0,
        },
    );
    for &security in &GRID {
        for &scope in &GRID {
            for &sop_l1 in &GRID {
                let params = RubricParams {
                    security,
                    scope,
                    sop_l1,
                };
                let adjusted: Vec<Vec<f32>> = probs
                    .iter()
                    .zip(evidence)
                    .map(|(p, (cues, s))| apply_rubric(p, idx, &params, cues, *s))
                    .collect();
                let f = macro_f1(&adjusted, y, c);
                if f > best.0 + 1e-9 {
                    best = (f, params);
                }
            }
        }
    }
    best.1
}

/// The routed label: the most probable one, or the intake label when unsure (rubric rule 4).
pub(crate) fn route(p: &[f32], threshold: f32, intake: Option<usize>) -> usize {
    let a = argmax(p);
    match intake {
        Some(l1) if p[a] < threshold => l1,
        _ => a,
    }
}

/// For the rubric's labels, where an unsure answer goes to L1 intake: the threshold that gives
/// the best held-out macro-F1 of the routed tier (the lowest on ties; 0 means no fallback).
pub(crate) fn fit_intake_threshold(probs: &[Vec<f32>], y: &[usize], l1: usize, c: usize) -> f32 {
    let mut best = (f64::NEG_INFINITY, 0f32);
    for step in 0..=19 {
        let t = step as f32 * 0.05;
        let routed: Vec<Vec<f32>> = probs
            .iter()
            .map(|p| {
                let mut onehot = vec![0f32; c];
                onehot[route(p, t, Some(l1))] = 1.0;
                onehot
            })
            .collect();
        let f = macro_f1(&routed, y, c);
        if f > best.0 + 1e-9 {
            best = (f, t);
        }
    }
    best.1
}

/// Threshold on the top probability minimizing wrong answers + [`ABSTAIN_COST`] × abstentions on
/// held-out predictions.
pub(crate) fn fit_abstain(probs: &[Vec<f32>], y: &[usize]) -> Abstain {
    let n = y.len().max(1) as f64;
    let mut best = (
        f64::INFINITY,
        Abstain {
            below: 0.0,
            rate: 0.0,
            answered_accuracy: 0.0,
        },
    );
    for step in 0..=19 {
        let t = step as f32 * 0.05;
        let (mut wrong, mut abstained, mut right) = (0f64, 0f64, 0f64);
        for (p, &l) in probs.iter().zip(y) {
            let a = argmax(p);
            if p[a] < t {
                abstained += 1.0;
            } else if a == l {
                right += 1.0;
            } else {
                wrong += 1.0;
            }
        }
        let cost = (wrong + ABSTAIN_COST * abstained) / n;
        if cost < best.0 - 1e-12 {
            let answered = right + wrong;
            let acc = if answered > 0.0 {
                right / answered
            } else {
                0.0
            };
            best = (
                cost,
                Abstain {
                    below: t,
                    rate: abstained / n,
                    answered_accuracy: acc,
                },
            );
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_softens_overconfident_scores() {
        // Scores that are right 75% of the time with huge margins want a large temperature.
        let logits: Vec<Vec<f32>> = (0..100)
            .map(|i| {
                if i % 4 == 0 {
                    vec![0.0, 20.0]
                } else {
                    vec![20.0, 0.0]
                }
            })
            .collect();
        let y = vec![0usize; 100];
        let t = fit_temperature(&logits, &y);
        let p = softmax(&logits[1], t)[0];
        assert!((p - 0.75).abs() < 0.02, "t {t} p {p}");
    }

    #[test]
    fn abstain_threshold_follows_the_cost() {
        // Half the answers are confident and right; half unsure and wrong.
        let mut probs = Vec::new();
        let mut y = Vec::new();
        for i in 0..100 {
            if i % 2 == 0 {
                probs.push(vec![0.95, 0.05]);
                y.push(0);
            } else {
                probs.push(vec![0.4, 0.6]);
                y.push(0);
            }
        }
        let Abstain {
            below: t,
            rate,
            answered_accuracy: acc,
        } = fit_abstain(&probs, &y);
        assert!(t > 0.6 && t <= 0.95, "{t}");
        assert!((rate - 0.5).abs() < 1e-9);
        assert!((acc - 1.0).abs() < 1e-9);
    }
}
