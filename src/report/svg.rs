//! The report's two pictures, drawn as inline SVG so that the file needs nothing from outside:
//! the confusion matrix as a heat map, and the reliability diagram of the stated confidence.

use super::markup::{count, esc, pct};
use crate::metrics::{Calibration, Report};
use std::fmt::Write;

/// Characters of a label shown on an axis (the whole label is in the cell's tooltip).
const LABEL_CHARS: usize = 18;

/// A label clipped to [`LABEL_CHARS`] characters for an axis.
fn short(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        return label.to_string();
    }
    let mut s: String = label.chars().take(LABEL_CHARS - 1).collect();
    s.push('…');
    s
}

/// The fill of a heat-map cell holding `share` of its row: green on the diagonal (right
/// answers), red elsewhere, darker for more, grey for none; and the text colour that reads on it.
fn cell_colours(share: f64, right: bool) -> (String, &'static str) {
    if share <= 0.0 {
        return ("#f8fafc".into(), "#9ca3af");
    }
    let (hue, sat) = if right { (150, 50) } else { (4, 72) };
    let light = 97.0 - share.clamp(0.0, 1.0) * 55.0;
    let text = if light < 62.0 { "#fff" } else { "#1f2937" };
    (format!("hsl({hue} {sat}% {light:.0}%)"), text)
}

/// The confusion matrix as a heat map: rows are the right labels, columns the model's answers,
/// each cell coloured by its share of the row and showing its count (and share, where it fits).
pub(crate) fn heat_map(r: &Report) -> String {
    let c = r.labels.len();
    let cell = (480 / c.max(1)).clamp(14, 80);
    let longest = r
        .labels
        .iter()
        .map(|l| short(l).chars().count())
        .max()
        .unwrap_or(1);
    let rotate = c > 6 || longest > 4;
    let left = 34 + (longest * 7).clamp(20, 130);
    let top = if rotate { 24 + longest * 5 } else { 44 };
    // rotated column labels reach past the last column
    let right = if rotate { longest * 6 } else { 8 };
    let (w, h) = (left + c * cell + right, top + c * cell + 8);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"heat\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
         aria-label=\"confusion matrix\">"
    );
    let _ = write!(
        s,
        "<text class=\"axis-title\" x=\"{}\" y=\"12\" text-anchor=\"middle\">model&#39;s answer →</text>\
         <text class=\"axis-title\" transform=\"translate(12 {}) rotate(-90)\" text-anchor=\"middle\">right answer →</text>",
        left + c * cell / 2,
        top + c * cell / 2
    );
    for (j, label) in r.labels.iter().enumerate() {
        let x = left + j * cell + cell / 2;
        if rotate {
            let _ = write!(
                s,
                "<text class=\"tick\" transform=\"translate({} {}) rotate(-45)\">{}</text>",
                x + 3,
                top - 6,
                esc(&short(label))
            );
        } else {
            let _ = write!(
                s,
                "<text class=\"tick\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                top - 8,
                esc(&short(label))
            );
        }
    }
    for (i, (label, counts)) in r.labels.iter().zip(&r.confusion).enumerate() {
        let y = top + i * cell;
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>",
            left - 6,
            y + cell / 2,
            esc(&short(label))
        );
        let total: usize = counts.iter().sum();
        for (j, &n) in counts.iter().enumerate() {
            let share = n as f64 / total.max(1) as f64;
            let (fill, ink) = cell_colours(share, i == j);
            let x = left + j * cell;
            let _ = write!(
                s,
                "<g><title>right {} · answered {}: {} of {} ({})</title>\
                 <rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" fill=\"{fill}\" stroke=\"#fff\"/>",
                esc(label),
                esc(&r.labels[j]),
                count(n),
                count(total),
                pct(share)
            );
            if cell >= 26 {
                let big = cell >= 50;
                let ny = y + cell / 2 - if big { 6 } else { 0 };
                let _ = write!(
                    s,
                    "<text class=\"n\" x=\"{}\" y=\"{ny}\" fill=\"{ink}\" text-anchor=\"middle\" dominant-baseline=\"middle\">{}</text>",
                    x + cell / 2,
                    count(n)
                );
                if big {
                    let _ = write!(
                        s,
                        "<text class=\"share\" x=\"{}\" y=\"{}\" fill=\"{ink}\" text-anchor=\"middle\" dominant-baseline=\"middle\">{}</text>",
                        x + cell / 2,
                        ny + 15,
                        pct(share)
                    );
                }
            }
            s.push_str("</g>");
        }
    }
    s.push_str("</svg>");
    s
}

/// The reliability diagram: per confidence bin, the share of right answers (bar height) against
/// the confidence stated (the diagonal), the gap between them red where the model is
/// over-confident and green where under-confident, and below, how many answers fall in each bin.
pub(crate) fn reliability(cal: &Calibration) -> String {
    let (left, top, pw, ph) = (46.0, 14.0, 360.0, 240.0);
    let (hist_top, hist_h) = (top + ph + 70.0, 56.0);
    let (w, h) = (left + pw + 16.0, hist_top + hist_h + 30.0);
    let x = |c: f64| left + c.clamp(0.0, 1.0) * pw;
    let y = |a: f64| top + (1.0 - a.clamp(0.0, 1.0)) * ph;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"reliability\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
         aria-label=\"reliability diagram\">"
    );
    for k in 0..=5 {
        let v = k as f64 / 5.0;
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{left}\" x2=\"{}\" y1=\"{yv}\" y2=\"{yv}\"/>\
             <text class=\"tick\" x=\"{}\" y=\"{yv}\" text-anchor=\"end\" dominant-baseline=\"middle\">{v:.1}</text>\
             <text class=\"tick\" x=\"{xv}\" y=\"{}\" text-anchor=\"middle\">{v:.1}</text>",
            left + pw,
            left - 6.0,
            top + ph + 16.0,
            yv = y(v),
            xv = x(v),
        );
    }
    let _ = write!(
        s,
        "<text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">stated confidence</text>\
         <text class=\"axis-title\" transform=\"translate(12 {}) rotate(-90)\" text-anchor=\"middle\">share right</text>",
        left + pw / 2.0,
        top + ph + 32.0,
        top + ph / 2.0
    );
    for b in &cal.bins {
        let (x0, x1) = (x(b.from) + 1.0, x(b.to) - 1.0);
        let (lo, hi) = (b.accuracy.min(b.confidence), b.accuracy.max(b.confidence));
        // the bar up to the lower of the two; above it, up to the higher, red where the model
        // promised more than it delivered (over-confident), green where less
        let gap = if b.confidence > b.accuracy {
            "over"
        } else {
            "under"
        };
        let _ = write!(
            s,
            "<g><title>confidence {:.1}–{:.1}: {} answers, stated {:.3} on average, right {}</title>\
             <rect class=\"bar\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>\
             <rect class=\"{gap}\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/></g>",
            b.from,
            b.to,
            count(b.n),
            b.confidence,
            pct(b.accuracy),
            y(lo),
            x1 - x0,
            y(0.0) - y(lo),
            y(hi),
            x1 - x0,
            y(lo) - y(hi)
        );
    }
    let _ = write!(
        s,
        "<line class=\"ideal\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
        x(0.0),
        y(0.0),
        x(1.0),
        y(1.0)
    );
    let most = cal.bins.iter().map(|b| b.n).max().unwrap_or(1).max(1);
    let _ = write!(
        s,
        "<text class=\"axis-title\" x=\"{left}\" y=\"{}\">answers in each band</text>\
         <line class=\"grid\" x1=\"{left}\" x2=\"{}\" y1=\"{base}\" y2=\"{base}\"/>",
        hist_top - 12.0,
        left + pw,
        base = hist_top + hist_h
    );
    for b in &cal.bins {
        let (x0, x1) = (x(b.from) + 1.0, x(b.to) - 1.0);
        let bh = hist_h * b.n as f64 / most as f64;
        let _ = write!(
            s,
            "<rect class=\"count\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\"/>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            hist_top + hist_h - bh,
            x1 - x0,
            (x0 + x1) / 2.0,
            hist_top + hist_h + 14.0,
            count(b.n)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heat_map_has_a_cell_per_pair_and_escapes_labels() {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let r = Report::new(&v(&["a", "<b>", "<b>"]), &v(&["a", "a", "<b>"]), &[]);
        let svg = heat_map(&r);
        assert_eq!(svg.matches("<rect").count(), 4);
        assert!(!svg.contains("<b>") && svg.contains("&lt;b&gt;"));
        // a row is coloured by its share: half of <b> went to a
        assert!(svg.contains("1 of 2 (50.0%)"), "{svg}");
    }

    #[test]
    fn the_diagram_shows_each_bin_and_its_count() {
        let cal = Calibration::new(&[(0.95, true), (0.95, false), (0.55, true)], 10);
        let svg = reliability(&cal);
        assert_eq!(svg.matches("class=\"bar\"").count(), 2);
        assert_eq!(svg.matches("class=\"count\"").count(), 2);
        assert!(
            svg.contains("confidence 0.9–1.0: 2 answers, stated 0.950 on average, right 50.0%")
        );
    }

    #[test]
    fn long_labels_are_clipped_on_the_axis_only() {
        assert_eq!(short("L1"), "L1");
        let long = "network-and-infrastructure-team";
        assert_eq!(short(long).chars().count(), LABEL_CHARS);
        let r = Report::new(&[long.to_string()], &[long.to_string()], &[]);
        assert!(
            heat_map(&r).contains(long),
            "the tooltip keeps the whole label"
        );
    }
}
