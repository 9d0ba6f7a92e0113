//! The evaluation report an owner reads (`tiermatch eval --report r.html`, feature `cli`): one
//! self-contained HTML file (inline CSS and SVG, no scripts, nothing fetched) that draws the
//! figures `eval --json` prints ([`crate::metrics`]), so that someone who does not read JSON can
//! judge a model, or two side by side.

mod markup;
mod svg;

use crate::data::Row;
use crate::metrics::{ClassMetrics, Evaluation, TierChanges};
use crate::sop::clip_summary;
use crate::{Classification, DEFAULT_SOPS, Model};
use markup::{count, dec3, esc, figure, pct, row};
use std::fmt::Write;

/// Mistakes listed per model, the most confident first.
pub const MISTAKES_SHOWN: usize = 20;

/// One model's answers to labelled tickets and their figures.
pub struct ModelRun {
    /// What the model is called in the report (its path, or "the bundled model").
    pub name: String,
    /// The model, for its training metadata.
    pub model: Model,
    /// Its answer to each ticket, in ticket order.
    pub answers: Vec<Classification>,
    /// The figures of those answers.
    pub figures: Evaluation,
}

impl ModelRun {
    /// Answers `tickets` with `model` (as `classify` does) and computes the figures.
    pub fn new(name: String, model: Model, tickets: &[Row]) -> ModelRun {
        let answers: Vec<Classification> = tickets
            .iter()
            .map(|t| model.classify_text(&t.text, DEFAULT_SOPS))
            .collect();
        let truth: Vec<String> = tickets.iter().map(|t| t.label.clone()).collect();
        let figures = Evaluation::new(&truth, &answers, model.labels());
        ModelRun {
            name,
            model,
            answers,
            figures,
        }
    }

    /// The tickets whose answer changes from this run to `other` (same tickets).
    pub fn changes_to(&self, other: &ModelRun, tickets: &[Row]) -> TierChanges {
        let tiers =
            |r: &ModelRun| -> Vec<String> { r.answers.iter().map(|a| a.tier.clone()).collect() };
        let truth: Vec<String> = tickets.iter().map(|t| t.label.clone()).collect();
        TierChanges::new(&tiers(self), &tiers(other), &truth)
    }
}

/// A second model on the same tickets, and which tickets it answers otherwise.
pub struct Comparison<'a> {
    /// The second model's run.
    pub run: &'a ModelRun,
    /// The tickets whose label changes from the first model's answer to the second's.
    pub changes: &'a TierChanges,
}

/// Everything the report shows.
pub struct Page<'a> {
    /// What the tickets are called in the report (the `--input` path).
    pub input: String,
    /// The labelled tickets.
    pub tickets: &'a [Row],
    /// The model evaluated.
    pub run: &'a ModelRun,
    /// A second model, side by side.
    pub compare: Option<Comparison<'a>>,
}

impl Page<'_> {
    /// The report as one HTML document.
    pub fn html(&self) -> String {
        let runs: Vec<&ModelRun> = std::iter::once(self.run)
            .chain(self.compare.as_ref().map(|c| c.run))
            .collect();
        let mut s = String::with_capacity(64 * 1024);
        let _ = write!(
            s,
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>Ticket triage report: {}</title>\n<style>\n{}</style>\n</head>\n<body>\n<main>\n",
            esc(&self.run.name),
            include_str!("report.css")
        );
        header(&mut s, self, &runs);
        summary(&mut s, &runs);
        abstentions(&mut s, &runs);
        per_class(&mut s, &runs);
        confusion(&mut s, &runs);
        calibration(&mut s, &runs);
        if let Some(c) = &self.compare {
            changes(&mut s, &runs, c.changes);
        }
        for (i, r) in runs.iter().enumerate() {
            mistakes(&mut s, self.tickets, r, i, runs.len() > 1);
        }
        let _ = write!(
            s,
            "<footer>Made by tiermatch {} (<code>tiermatch eval --report</code>), with the figures \
             <code>tiermatch eval --json</code> prints. This file is complete in itself: it loads \
             nothing and runs no script.</footer>\n</main>\n</body>\n</html>\n",
            env!("CARGO_PKG_VERSION")
        );
        s
    }
}

/// A model's badge: `A` for the first, `B` for the second.
fn tag(i: usize) -> String {
    format!("<span class=\"tag m{i}\">{}</span>", ["A", "B"][i.min(1)])
}

/// The badge and name of a model where two are shown; nothing where there is one.
fn who(i: usize, two: bool) -> String {
    if two {
        format!("{} ", tag(i))
    } else {
        String::new()
    }
}

fn header(s: &mut String, page: &Page, runs: &[&ModelRun]) {
    let _ = write!(
        s,
        "<header>\n<h1>Ticket triage: how well the model routes your tickets</h1>\n\
         <p>{} labelled tickets from <b>{}</b>.</p>\n",
        count(page.tickets.len()),
        esc(&page.input)
    );
    for (i, r) in runs.iter().enumerate() {
        let m = r.model.meta();
        let trained = if m.date.is_empty() {
            String::new()
        } else {
            format!(
                ", trained {} on {} tickets ({})",
                esc(&m.date),
                count(m.rows as usize),
                esc(&m.algorithm)
            )
        };
        let _ = writeln!(
            s,
            "<p class=\"model\">{}Model: <b>{}</b>{trained}.</p>",
            who(i, runs.len() > 1),
            esc(&r.name)
        );
    }
    s.push_str("</header>\n");
}

/// A headline figure: its value per model, the second with its difference to the first.
struct Card<'a> {
    title: &'a str,
    name: &'a str,
    explain: &'a str,
    value: fn(&Evaluation) -> f64,
    shown: fn(f64) -> String,
    /// Whether a larger value is better (the difference is coloured by it).
    higher_is_better: bool,
}

fn summary(s: &mut String, runs: &[&ModelRun]) {
    let cards = [
        Card {
            title: "Right tier",
            name: "accuracy",
            explain: "of all tickets get the tier they should have",
            value: |e| e.report.accuracy,
            shown: pct,
            higher_is_better: true,
        },
        Card {
            title: "Macro-F1",
            name: "macro-f1",
            explain: "the F1 of each tier, averaged: rare tiers count as much as common ones (1 is perfect)",
            value: |e| e.report.macro_f1,
            shown: dec3,
            higher_is_better: true,
        },
        Card {
            title: "Abstains",
            name: "abstain-rate",
            explain: "of tickets it is not sure of and leaves to a person",
            value: |e| e.abstain_rate,
            shown: pct,
            higher_is_better: false,
        },
        Card {
            title: "Right when it answers",
            name: "answered-accuracy",
            explain: "of the tickets it does not abstain on get the right tier",
            value: |e| e.answered_accuracy,
            shown: pct,
            higher_is_better: true,
        },
        Card {
            title: "Calibration error",
            name: "ece",
            explain: "how far stated confidence is from the share right (0: a stated 80% is right 80% of the time)",
            value: |e| e.calibration.ece,
            shown: dec3,
            higher_is_better: false,
        },
    ];
    let two = runs.len() > 1;
    s.push_str(
        "<section id=\"summary\">\n<h2>At a glance</h2>\n<p class=\"lead\">Each ticket's \
         suggested tier against the tier it should have had.</p>\n<div class=\"cards\">\n",
    );
    for c in &cards {
        let _ = write!(
            s,
            "<div class=\"card{}\"><h3>{}</h3>",
            if two { " two" } else { "" },
            c.title
        );
        let first = (c.value)(&runs[0].figures);
        for (i, r) in runs.iter().enumerate() {
            let v = (c.value)(&r.figures);
            let delta = if i == 0 {
                String::new()
            } else {
                let d = v - first;
                let class = match (d.abs() < 5e-4, (d > 0.0) == c.higher_is_better) {
                    (true, _) => "",
                    (false, true) => " up",
                    (false, false) => " down",
                };
                let d = if (c.shown)(1.0).ends_with('%') {
                    format!("{:+.1} pts", d * 100.0)
                } else {
                    format!("{d:+.3}")
                };
                format!("<span class=\"delta{class}\">{d}</span>")
            };
            let _ = write!(
                s,
                "<div class=\"value\">{}{}{delta}</div>",
                who(i, two),
                figure(c.name, i, &(c.shown)(v))
            );
        }
        let _ = writeln!(s, "<p>{}</p></div>", c.explain);
    }
    s.push_str("</div>\n</section>\n");
}

fn abstentions(s: &mut String, runs: &[&ModelRun]) {
    s.push_str(
        "<section id=\"abstain\">\n<h2>When it is not sure</h2>\n<p class=\"lead\">A ticket the \
         model abstains on still gets a suggestion, flagged as unsure: a person triages it.</p>\n",
    );
    for (i, r) in runs.iter().enumerate() {
        let e = &r.figures;
        let answered = e.report.n - e.abstained;
        let _ = writeln!(
            s,
            "<p>{}It abstains on {} of the tickets ({} of {}). On the other {} it is right {} of \
             the time; on the ones it abstains on, its suggestion is right {}.</p>",
            who(i, runs.len() > 1),
            figure("abstain-rate", i, &pct(e.abstain_rate)),
            count(e.abstained),
            count(e.report.n),
            count(answered),
            figure("answered-accuracy", i, &pct(e.answered_accuracy)),
            pct(e.abstained_accuracy)
        );
    }
    s.push_str("</section>\n");
}

fn per_class(s: &mut String, runs: &[&ModelRun]) {
    let two = runs.len() > 1;
    s.push_str(
        "<section id=\"classes\">\n<h2>Per tier</h2>\n<p class=\"lead\">Precision: of the \
         tickets it sends to a tier, the share that belong there. Recall: of a tier's tickets, the \
         share it sends there. F1 balances the two.</p>\n<table class=\"classes\">\n<thead><tr><th>Tier</th>\
         <th class=\"num\">Tickets</th>",
    );
    for what in ["Precision", "Recall", "F1"] {
        for i in 0..runs.len() {
            let _ = write!(s, "<th class=\"num\">{}{what}</th>", who(i, two));
        }
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    type Pick = fn(&ClassMetrics) -> f64;
    let picks: [(&str, Pick); 3] = [
        ("precision", |m| m.precision),
        ("recall", |m| m.recall),
        ("f1", |m| m.f1),
    ];
    for c in &runs[0].figures.report.per_class {
        let _ = write!(
            s,
            "<tr><td><span class=\"label\">{}</span></td><td class=\"num\">{}</td>",
            esc(&c.label),
            figure(&format!("support:{}", c.label), 0, &count(c.support))
        );
        for (what, pick) in picks {
            for (i, r) in runs.iter().enumerate() {
                // the same label's row (a second model may order its labels otherwise)
                let shown = r
                    .figures
                    .report
                    .per_class
                    .iter()
                    .find(|m| m.label == c.label)
                    .map_or("–".to_string(), |m| {
                        figure(&format!("{what}:{}", c.label), i, &dec3(pick(m)))
                    });
                let _ = write!(s, "<td class=\"num\">{shown}</td>");
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n</section>\n");
}

fn confusion(s: &mut String, runs: &[&ModelRun]) {
    s.push_str(
        "<section id=\"confusion\">\n<h2>Where the tickets go</h2>\n<p class=\"lead\">Each row is \
         the tier a ticket should have had, each column the tier suggested; a cell counts the \
         tickets and is coloured by its share of the row: green where right, red where not.</p>\n\
         <div class=\"pair\">\n",
    );
    for (i, r) in runs.iter().enumerate() {
        let _ = writeln!(
            s,
            "<figure>{}{}</figure>",
            caption(i, r, runs.len() > 1),
            svg::heat_map(&r.figures.report)
        );
    }
    s.push_str("</div>\n</section>\n");
}

/// A figure's caption naming the model where two are shown.
fn caption(i: usize, r: &ModelRun, two: bool) -> String {
    if two {
        format!("<figcaption>{} {}</figcaption>", tag(i), esc(&r.name))
    } else {
        String::new()
    }
}

fn calibration(s: &mut String, runs: &[&ModelRun]) {
    s.push_str(
        "<section id=\"calibration\">\n<h2>Can the stated confidence be trusted?</h2>\n\
         <p class=\"lead\">Answers grouped by the confidence they state. Where a bar reaches the \
         dashed line, the confidence means what it says: a bar ending in red stated more than it \
         delivered, one ending in green less.</p>\n<div class=\"pair\">\n",
    );
    for (i, r) in runs.iter().enumerate() {
        let cal = &r.figures.calibration;
        let _ = write!(
            s,
            "<figure>{}<div class=\"calib\"><div>{}<p class=\"legend\"><i class=\"k-bar\"></i>share \
             right<i class=\"k-over\"></i>stated more<i class=\"k-under\"></i>stated less</p></div>\
             <div><table class=\"bins\"><thead><tr><th>Confidence</th><th class=\"num\">Answers</th>\
             <th class=\"num\">Stated</th><th class=\"num\">Right</th></tr></thead><tbody>",
            caption(i, r, runs.len() > 1),
            svg::reliability(cal)
        );
        for b in &cal.bins {
            let _ = write!(
                s,
                "<tr><td>{:.1}–{:.1}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td></tr>",
                b.from,
                b.to,
                count(b.n),
                pct(b.confidence),
                pct(b.accuracy)
            );
        }
        let _ = writeln!(
            s,
            "</tbody></table><p class=\"note\">Expected calibration error {}.</p></div></div></figure>",
            figure("ece", i, &dec3(cal.ece))
        );
    }
    s.push_str("</div>\n</section>\n");
}

fn changes(s: &mut String, runs: &[&ModelRun], c: &TierChanges) {
    // a direction only where the labels are tiers (every move is then up or down)
    let direction = if c.changed > 0 && c.raised + c.lowered == c.changed {
        format!(
            ": {} to a higher tier, {} to a lower one",
            figure("raised", 1, &count(c.raised)),
            figure("lowered", 1, &count(c.lowered))
        )
    } else {
        String::new()
    };
    let _ = write!(
        s,
        "<section id=\"changes\">\n<h2>What changes from {} to {}</h2>\n<p>{} of {} tickets get \
         another tier from {}{direction}. {} of the changes fix a wrong answer, {} break a right \
         one.</p>\n",
        tag(0),
        tag(1),
        figure("changed", 1, &count(c.changed)),
        count(c.tickets),
        tag(1),
        figure("fixed", 1, &count(c.fixed)),
        figure("broken", 1, &count(c.broken))
    );
    if !c.moves.is_empty() {
        let _ = write!(
            s,
            "<table class=\"classes\">\n<thead><tr><th>{} {}</th><th>{} {}</th><th class=\"num\">Tickets</th></tr></thead>\n<tbody>\n",
            tag(0),
            esc(&runs[0].name),
            tag(1),
            esc(&runs[1].name)
        );
        for m in &c.moves {
            let _ = writeln!(
                s,
                "<tr><td><span class=\"label\">{}</span></td><td>→ <span class=\"label\">{}</span></td>\
                 <td class=\"num\">{}</td></tr>",
                esc(&m.from),
                esc(&m.to),
                count(m.n)
            );
        }
        s.push_str("</tbody>\n</table>\n");
    }
    s.push_str("</section>\n");
}

/// The tickets a model got wrong, the most confident first (ticket order breaks ties).
fn mistakes_by_confidence(tickets: &[Row], answers: &[Classification]) -> Vec<usize> {
    let mut wrong: Vec<usize> = (0..tickets.len())
        .filter(|&i| answers[i].tier != tickets[i].label)
        .collect();
    wrong.sort_by(|&a, &b| answers[b].confidence.total_cmp(&answers[a].confidence));
    wrong
}

fn mistakes(s: &mut String, tickets: &[Row], r: &ModelRun, i: usize, two: bool) {
    let mut shown = mistakes_by_confidence(tickets, &r.answers);
    let title = match shown.len() {
        n if n > MISTAKES_SHOWN => format!("The {MISTAKES_SHOWN} most confident mistakes"),
        1 => "The one mistake".to_string(),
        n => format!("All {n} mistakes, the most confident first"),
    };
    shown.truncate(MISTAKES_SHOWN);
    let _ = write!(
        s,
        "<section id=\"mistakes-{i}\" class=\"mistakes\">\n<h2>{}{title}</h2>\n\
         <p class=\"lead\">Where the model was surest and wrong, with the words and cues that led \
         it there: the first place to look for a rule the model has not learned, or a ticket \
         labelled wrong.</p>\n",
        who(i, two),
    );
    if shown.is_empty() {
        s.push_str("<p>It got every ticket right.</p>\n</section>\n");
        return;
    }
    s.push_str(
        "<table>\n<thead><tr><th>Confidence</th><th>Suggested</th><th>Should be</th>\
         <th>Why it said so</th><th>Ticket</th></tr></thead>\n<tbody>\n",
    );
    for k in shown {
        let (t, a) = (&tickets[k], &r.answers[k]);
        let unsure = if a.abstain {
            " <span class=\"abstained\">abstained</span>"
        } else {
            ""
        };
        let reasons: Vec<String> = a.reasons.iter().map(|x| esc(x)).collect();
        let reasons = if reasons.is_empty() {
            "no word stood out".to_string()
        } else {
            reasons.join(" · ")
        };
        let id =
            t.id.as_deref()
                .map(|id| format!("<span class=\"id\">{}</span>", esc(id)))
                .unwrap_or_default();
        row(
            s,
            &[
                format!("{}{unsure}", pct(f64::from(a.confidence))),
                format!("<span class=\"label wrong\">{}</span>", esc(&a.tier)),
                format!("<span class=\"label right\">{}</span>", esc(&t.label)),
                format!("<span class=\"reasons\">{reasons}</span>"),
                format!(
                    "<div class=\"ticket\">{id}{}</div>",
                    esc(&clip_summary(&t.text))
                ),
            ],
        );
    }
    s.push_str("</tbody>\n</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scores;

    fn ticket(label: &str) -> Row {
        Row {
            path: "t.jsonl".into(),
            line: 1,
            id: None,
            text: "printer jam".into(),
            label: label.into(),
        }
    }

    fn answer(tier: &str, confidence: f32) -> Classification {
        Classification {
            id: None,
            tier: tier.into(),
            confidence,
            scores: Scores(Vec::new()),
            abstain: false,
            reasons: Vec::new(),
            sops: Vec::new(),
        }
    }

    /// A run of the bundled model (for its metadata) with the given answers.
    fn run(tickets: &[Row], answers: Vec<Classification>) -> ModelRun {
        let model = Model::from_bytes(include_bytes!("../../model/tiermatch.model")).unwrap();
        let truth: Vec<String> = tickets.iter().map(|t| t.label.clone()).collect();
        let figures = Evaluation::new(&truth, &answers, model.labels());
        ModelRun {
            name: "m".into(),
            model,
            answers,
            figures,
        }
    }

    #[test]
    fn mistakes_come_most_confident_first_in_ticket_order_on_ties() {
        let tickets: Vec<Row> = ["L1", "L2", "L3", "L1", "L2"].map(ticket).to_vec();
        let answers = [
            answer("L2", 0.6),
            answer("L2", 0.99),
            answer("L1", 0.9),
            answer("L3", 0.9),
            answer("L1", 0.5),
        ];
        assert_eq!(mistakes_by_confidence(&tickets, &answers), [2, 3, 0, 4]);
    }

    #[test]
    fn at_most_twenty_mistakes_are_listed_and_the_title_says_which() {
        let tickets: Vec<Row> = (0..25).map(|_| ticket("L1")).collect();
        let html = |wrong: usize| {
            let answers = (0..25)
                .map(|i| answer(if i < wrong { "L3" } else { "L1" }, 0.5))
                .collect();
            let r = run(&tickets, answers);
            Page {
                input: "t.jsonl".into(),
                tickets: &tickets,
                run: &r,
                compare: None,
            }
            .html()
        };
        let rows = |h: &str| h.matches("<span class=\"label wrong\">").count();
        let h = html(25);
        assert!(h.contains("The 20 most confident mistakes") && rows(&h) == 20);
        let h = html(3);
        assert!(h.contains("All 3 mistakes, the most confident first") && rows(&h) == 3);
        assert!(html(1).contains("The one mistake"));
        assert!(html(0).contains("It got every ticket right."));
    }
}
