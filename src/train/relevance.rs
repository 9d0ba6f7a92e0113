//! Learning when to show an SOP from tickets labelled with the SOPs that fit them: the words each
//! SOP's tickets use, a logistic model over the evidence of each match (linfa), and the probability
//! above which a match is shown, chosen out of fold so the first SOP shown is right often enough.
//!
//! Everything is measured out of fold: a ticket's candidates are found with words learned without
//! it, and its matches are weighed by a logistic model fitted without it.

use super::folds::splitmix;
use crate::classify::DEFAULT_SOPS;
use crate::error::{Error, Result};
use crate::metrics::{SopFigures, SopJudgement};
use crate::relevance::{
    Candidate, EVIDENCE_LEN, KeyIndex, SopRelevance, best_first, candidates, passes_cuts, stem_hash,
};
use crate::sop::{Audience, Sop, SopIndex, SopMatch};
use linfa::prelude::*;
use ndarray::{Array1, Array2};

/// How many learned words an SOP keeps.
pub const LEARNED_WORDS: usize = 15;

/// A learned word must occur in at least this many of an SOP's labelled tickets.
const MIN_TICKETS: usize = 2;

/// The share of staff views whose first SOP must fit, out of fold, at the chosen cut.
pub const STAFF_PRECISION: f64 = 0.65;

/// The share of client panels whose first article must fit, out of fold, at the chosen cut: a
/// wrong self-help article costs the client's trust in the panel.
pub const CLIENT_PRECISION: f64 = 0.8;

/// Folds of the out-of-fold estimates.
const FOLDS: usize = 5;

/// L2 strength of the logistic model.
const L2: f64 = 1.0;

/// One labelled ticket, as the relevance sees it.
struct Labelled<'a> {
    /// Its row in the training data.
    row: usize,
    /// The SOPs that fit it (indexes in the library).
    fits: Vec<usize>,
    /// Its judgement, as `eval --sop-judgements` reads one (a fitting SOP client-facing or not).
    judged: SopJudgement,
    /// Its words' stems (each once).
    stems: Vec<String>,
    /// The stem hash of every word, in text order.
    hashes: Vec<u32>,
    /// Its cosine with every SOP in the full-text index.
    text: Vec<f32>,
    norm: &'a str,
}

/// What was learned, and how it did out of fold.
#[derive(Debug, Clone, PartialEq)]
pub struct RelevanceFit {
    /// The library with each SOP's learned words.
    pub sops: Vec<Sop>,
    /// The learned relevance.
    pub relevance: SopRelevance,
    /// Labelled tickets it learned from.
    pub tickets: usize,
    /// Out of fold at the chosen cuts: how the client panel and the staff view would do.
    pub held_out: SopFigures,
}

/// Learns the relevance from `judgements` (by ticket id) of the training rows. `ids` and `norms`
/// are the rows' ids and normalized texts, `probs` their out-of-fold probabilities (in `labels`
/// order). Judgements of tickets that are not among the rows are ignored; one that names an SOP
/// the library does not have is an error.
#[allow(clippy::too_many_arguments)]
pub fn fit(
    judgements: &[SopJudgement],
    ids: &[Option<String>],
    norms: &[String],
    probs: &[Vec<f32>],
    labels: &[String],
    sops: &[Sop],
    index: &SopIndex,
    seed: u64,
) -> Result<Option<RelevanceFit>> {
    let by_id: std::collections::HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| id.as_deref().map(|id| (id, i)))
        .collect();
    let mut tickets: Vec<Labelled> = Vec::new();
    for j in judgements {
        let Some(&row) = by_id.get(j.id.as_str()) else {
            continue;
        };
        let fits = j
            .relevant
            .iter()
            .map(|s| {
                sops.iter()
                    .position(|x| &x.id == s)
                    .ok_or_else(|| Error::InvalidInput {
                        reason: format!(
                            "SOP label of ticket {:?} names {s:?}, which --sops does not have",
                            j.id
                        ),
                    })
            })
            .collect::<Result<Vec<usize>>>()?;
        let norm = norms[row].as_str();
        let words: Vec<&str> = crate::text::words(norm).collect();
        let mut stems: Vec<String> = words
            .iter()
            .filter(|w| learnable(w))
            .map(|w| crate::text::stem(w).to_string())
            .collect();
        stems.sort();
        stems.dedup();
        let judged = SopJudgement {
            client_ok: fits.iter().any(|&d| sops[d].audience == Audience::Client),
            ..j.clone()
        };
        tickets.push(Labelled {
            row,
            fits,
            judged,
            stems,
            hashes: words.iter().map(|w| stem_hash(w)).collect(),
            text: index.scores(&index.query_normalized(norm)),
            norm,
        });
    }
    if tickets.len() < FOLDS * 4 || !tickets.iter().any(|t| !t.fits.is_empty()) {
        return Ok(None);
    }
    // folds over the labelled tickets, by a seeded shuffle
    let mut order: Vec<usize> = (0..tickets.len()).collect();
    order.sort_by_key(|&i| splitmix(seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    let mut fold = vec![0usize; tickets.len()];
    for (k, &i) in order.iter().enumerate() {
        fold[i] = k % FOLDS;
    }
    // each ticket's candidates, found with words learned from the other folds
    let mut cands: Vec<Vec<Candidate>> = vec![Vec::new(); tickets.len()];
    for f in 0..FOLDS {
        let train: Vec<&Labelled> = (0..tickets.len())
            .filter(|&i| fold[i] != f)
            .map(|i| &tickets[i])
            .collect();
        let keys = KeyIndex::new(&with_learned(sops, &train));
        for (i, t) in tickets.iter().enumerate().filter(|&(i, _)| fold[i] == f) {
            cands[i] = evidence(t, &keys, sops, probs, labels);
        }
    }
    // out-of-fold probabilities of every candidate
    let mut held_out: Vec<Vec<f32>> = vec![Vec::new(); tickets.len()];
    for f in 0..FOLDS {
        let train: Vec<usize> = (0..tickets.len()).filter(|&i| fold[i] != f).collect();
        let Some(model) = fit_logistic(&tickets, &cands, &train)? else {
            return Ok(None);
        };
        for i in (0..tickets.len()).filter(|&i| fold[i] == f) {
            held_out[i] = cands[i]
                .iter()
                .map(|c| model.probability(&c.evidence))
                .collect();
        }
    }
    let matches: Vec<SopMatch> = (0..sops.len()).map(|d| index.match_of(d, 0.0)).collect();
    let (cuts, figures) = choose_cuts(&tickets, &cands, &held_out, &matches);
    let all: Vec<usize> = (0..tickets.len()).collect();
    let Some(model) = fit_logistic(&tickets, &cands, &all)? else {
        return Ok(None);
    };
    let all_tickets: Vec<&Labelled> = tickets.iter().collect();
    Ok(Some(RelevanceFit {
        sops: with_learned(sops, &all_tickets),
        relevance: SopRelevance {
            show_above: cuts.staff,
            show_client_above: cuts.client,
            ..model
        },
        tickets: tickets.len(),
        held_out: figures,
    }))
}

/// A word worth learning: not a stop word, not a number, at least three characters.
fn learnable(w: &str) -> bool {
    w.len() >= 3 && !w.bytes().all(|b| b.is_ascii_digit()) && !crate::cues::is_stopword(w)
}

/// `sops` with each SOP's learned words: the stems most typical of its labelled tickets (in at
/// least [`MIN_TICKETS`] of them, ranked by that count times their rarity among all tickets).
fn with_learned(sops: &[Sop], tickets: &[&Labelled]) -> Vec<Sop> {
    let n = tickets.len() as f64;
    let mut df: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for t in tickets {
        for s in &t.stems {
            *df.entry(s.as_str()).or_default() += 1;
        }
    }
    sops.iter()
        .enumerate()
        .map(|(d, sop)| {
            let mut count: std::collections::HashMap<&str, usize> =
                std::collections::HashMap::new();
            for t in tickets.iter().filter(|t| t.fits.contains(&d)) {
                for s in &t.stems {
                    *count.entry(s.as_str()).or_default() += 1;
                }
            }
            let mut ranked: Vec<(f64, &str)> = count
                .into_iter()
                .filter(|&(_, c)| c >= MIN_TICKETS)
                .map(|(s, c)| (c as f64 * ((1.0 + n) / (1.0 + df[s] as f64)).ln(), s))
                .collect();
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
            Sop {
                learned: ranked
                    .into_iter()
                    .take(LEARNED_WORDS)
                    .map(|(_, s)| s.to_string())
                    .collect(),
                ..sop.clone()
            }
        })
        .collect()
}

/// The candidates of one ticket with their evidence.
fn evidence(
    t: &Labelled,
    keys: &KeyIndex,
    sops: &[Sop],
    probs: &[Vec<f32>],
    labels: &[String],
) -> Vec<Candidate> {
    let p = &probs[t.row];
    let tier_probability = |tier: &str| labels.iter().position(|l| l == tier).map_or(0.0, |i| p[i]);
    let words = crate::text::words(t.norm).count();
    candidates(
        sops,
        &t.text,
        &keys.scores(&t.hashes),
        words,
        tier_probability,
    )
}

/// Fits the logistic model on the candidates of `tickets[rows]`; None when they are all of one
/// kind (every candidate fits, or none does).
fn fit_logistic(
    tickets: &[Labelled],
    cands: &[Vec<Candidate>],
    rows: &[usize],
) -> Result<Option<SopRelevance>> {
    let pairs: Vec<(&Candidate, bool)> = rows
        .iter()
        .flat_map(|&i| {
            cands[i]
                .iter()
                .map(move |c| (c, tickets[i].fits.contains(&c.sop)))
        })
        .collect();
    let positives = pairs.iter().filter(|p| p.1).count();
    if positives == 0 || positives == pairs.len() {
        return Ok(None);
    }
    let mut x = Array2::<f64>::zeros((pairs.len(), EVIDENCE_LEN));
    for (r, (c, _)) in pairs.iter().enumerate() {
        for (j, v) in c.evidence.values().iter().enumerate() {
            x[[r, j]] = *v as f64;
        }
    }
    let y: Array1<bool> = pairs.iter().map(|p| p.1).collect();
    let fitted = linfa_logistic::LogisticRegression::default()
        .alpha(L2)
        .max_iterations(200)
        .fit(&Dataset::new(x, y))
        .map_err(|e| Error::Training {
            reason: format!("SOP relevance: {e}"),
        })?;
    // linfa's positive class is the more frequent one: turn the weights toward "fits"
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    Ok(Some(SopRelevance {
        weights: fitted.params().iter().map(|w| (sign * w) as f32).collect(),
        bias: (sign * fitted.intercept()) as f32,
        show_above: 0.5,
        show_client_above: 0.5,
    }))
}

/// The cuts of [`SopRelevance`]: staff SOPs, client-facing SOPs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cuts {
    staff: f32,
    client: f32,
}

/// How the client panel and the staff view would do at `cuts`, out of fold: each ticket's
/// candidates above their cut, most likely first, at most [`DEFAULT_SOPS`], judged as `eval
/// --sop-judgements` judges answers.
fn figures_at(
    tickets: &[Labelled],
    cands: &[Vec<Candidate>],
    held_out: &[Vec<f32>],
    matches: &[SopMatch],
    cuts: Cuts,
) -> SopFigures {
    let shown: Vec<Vec<&SopMatch>> = cands
        .iter()
        .zip(held_out)
        .map(|(c, p)| {
            let above: Vec<f32> = c
                .iter()
                .zip(p)
                .map(|(c, &p)| {
                    if passes_cuts(p, c.evidence.client, cuts.staff, cuts.client) {
                        p
                    } else {
                        -1.0
                    }
                })
                .collect();
            best_first(&above, DEFAULT_SOPS, -1.0)
                .into_iter()
                .map(|i| &matches[c[i].sop])
                .collect()
        })
        .collect();
    let pairs: Vec<(&SopJudgement, &[&SopMatch])> = tickets
        .iter()
        .zip(&shown)
        .map(|(t, s)| (&t.judged, s.as_slice()))
        .collect();
    SopFigures::new(&pairs)
}

/// The lowest cuts at which, out of fold, the first client article shown fits at least
/// [`CLIENT_PRECISION`] of the time and the first SOP of the staff view [`STAFF_PRECISION`] (the
/// most precise cut where none does, among cuts that still show something on one ticket in 20).
fn choose_cuts(
    tickets: &[Labelled],
    cands: &[Vec<Candidate>],
    held_out: &[Vec<f32>],
    matches: &[SopMatch],
) -> (Cuts, SopFigures) {
    let grid: Vec<f32> = (5..=95).map(|c| c as f32 / 100.0).collect();
    let enough = (tickets.len() / 20).max(1);
    let lowest = |precision: &dyn Fn(f32) -> Option<f64>, target: f64| -> f32 {
        let mut best = (0.95, -1.0);
        for &cut in &grid {
            let Some(p) = precision(cut) else { break };
            if p >= target {
                return cut;
            }
            if p > best.1 {
                best = (cut, p);
            }
        }
        best.0
    };
    let client_cut = lowest(
        &|cut| {
            let f = figures_at(
                tickets,
                cands,
                held_out,
                matches,
                Cuts {
                    staff: 0.0,
                    client: cut,
                },
            );
            (f.client_shown >= enough).then_some(f.client_first_relevant)
        },
        CLIENT_PRECISION,
    );
    let staff_cut = lowest(
        &|cut| {
            let f = figures_at(
                tickets,
                cands,
                held_out,
                matches,
                Cuts {
                    staff: cut,
                    client: client_cut,
                },
            );
            (f.staff_shown >= enough).then_some(f.staff_first_relevant)
        },
        STAFF_PRECISION,
    );
    let cuts = Cuts {
        staff: staff_cut,
        client: client_cut.max(staff_cut),
    };
    (cuts, figures_at(tickets, cands, held_out, matches, cuts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize;

    fn sop(id: &str, title: &str, audience: Audience) -> Sop {
        Sop {
            id: id.into(),
            title: title.into(),
            tier: "L1".into(),
            audience,
            keywords: Vec::new(),
            url: None,
            summary: String::new(),
            learned: Vec::new(),
        }
    }

    /// Tickets about VPN, a label printer nobody wrote an SOP for, and passwords: the printer
    /// tickets share the VPN SOP's "will not connect", the VPN tickets use "tunnel" it lacks.
    fn data() -> (
        Vec<Sop>,
        Vec<Option<String>>,
        Vec<String>,
        Vec<SopJudgement>,
    ) {
        let sops = vec![
            sop("vpn", "VPN will not connect", Audience::Staff),
            sop("password", "Reset your password", Audience::Client),
        ];
        let (mut ids, mut norms, mut judged) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..60 {
            let (text, fits): (String, Vec<&str>) = match i % 3 {
                0 => (format!("vpn tunnel drops at home office {i}"), vec!["vpn"]),
                1 => (format!("zebra label printer will not connect {i}"), vec![]),
                _ => (
                    format!("forgot my password please reset it {i}"),
                    vec!["password"],
                ),
            };
            let id = format!("t{i}");
            ids.push(Some(id.clone()));
            norms.push(normalize(&text));
            judged.push(SopJudgement {
                id,
                relevant: fits.iter().map(|s| s.to_string()).collect(),
                client_ok: false,
            });
        }
        (sops, ids, norms, judged)
    }

    #[test]
    fn learns_words_cuts_and_a_relevance_that_separates() {
        let (sops, ids, norms, judged) = data();
        let index = SopIndex::new(sops.clone());
        let labels = vec!["L1".to_string(), "L2".to_string()];
        let probs = vec![vec![0.8, 0.2]; ids.len()];
        let fit = fit(&judged, &ids, &norms, &probs, &labels, &sops, &index, 7)
            .unwrap()
            .expect("enough labelled tickets");
        assert_eq!(fit.tickets, 60);
        // the VPN tickets' own word is learned for the VPN SOP, the printer's for none
        assert!(
            fit.sops[0].learned.iter().any(|w| w == "tunnel"),
            "{:?}",
            fit.sops[0].learned
        );
        assert!(
            fit.sops
                .iter()
                .all(|s| !s.learned.iter().any(|w| w == "zebra"))
        );
        let r = &fit.relevance;
        assert_eq!(r.weights.len(), EVIDENCE_LEN);
        assert!((0.05..=0.95).contains(&r.show_above), "{r:?}");
        assert!(r.show_client_above >= r.show_above, "{r:?}");
        // the cut reaches the staff view's precision bar out of fold
        assert!(
            fit.held_out.staff_first_relevant >= STAFF_PRECISION,
            "{:?}",
            fit.held_out
        );
        // the VPN SOP is likelier to fit a VPN ticket than a printer ticket sharing its title's words
        let keys = KeyIndex::new(&fit.sops);
        let probability = |text: &str| {
            let norm = normalize(text);
            let t = Labelled {
                row: 0,
                fits: Vec::new(),
                judged: SopJudgement {
                    id: String::new(),
                    relevant: Vec::new(),
                    client_ok: false,
                },
                stems: Vec::new(),
                hashes: crate::text::words(&norm).map(stem_hash).collect(),
                text: index.scores(&index.query_normalized(&norm)),
                norm: &norm,
            };
            let c = evidence(&t, &keys, &sops, &probs, &labels);
            let vpn = c
                .iter()
                .find(|c| c.sop == 0)
                .expect("the VPN SOP is a candidate");
            r.probability(&vpn.evidence)
        };
        let (vpn, printer) = (
            probability("the vpn tunnel drops again"),
            probability("zebra label printer will not connect"),
        );
        assert!(vpn > printer + 0.2, "vpn {vpn}, printer {printer}");
    }

    #[test]
    fn a_label_naming_an_unknown_sop_is_an_error_and_too_few_labels_learn_nothing() {
        let (sops, ids, norms, mut judged) = data();
        let index = SopIndex::new(sops.clone());
        let labels = vec!["L1".to_string(), "L2".to_string()];
        let probs = vec![vec![0.8, 0.2]; ids.len()];
        judged[4].relevant = vec!["no-such-sop".into()];
        let e = fit(&judged, &ids, &norms, &probs, &labels, &sops, &index, 7).unwrap_err();
        assert!(e.to_string().contains("no-such-sop"), "{e}");
        judged.truncate(10);
        judged[4].relevant.clear();
        let few = fit(&judged, &ids, &norms, &probs, &labels, &sops, &index, 7).unwrap();
        assert!(few.is_none());
    }
}
