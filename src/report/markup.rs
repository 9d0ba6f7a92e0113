//! The few pieces of HTML the report is written with, so that every text from outside (ticket
//! text, labels, reasons, file names) goes through one escaping function and can never become
//! markup.

use std::fmt::Write;

/// `text` with `& < > " '` replaced by character references: safe as element text and as a
/// quoted attribute value.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A fraction as a percentage with one decimal, `0.8571` → `85.7%`.
pub(crate) fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A figure in `0..=1` with three decimals, as `eval` prints it.
pub(crate) fn dec3(x: f64) -> String {
    format!("{x:.3}")
}

/// A whole number with thousands separated by commas, `5700` → `5,700`.
pub(crate) fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A figure shown in the report, marked with what it is and whose it is (`data-figure`,
/// `data-model`), so that it can be found and checked against `eval --json`.
pub(crate) fn figure(name: &str, model: usize, shown: &str) -> String {
    format!(
        "<span class=\"fig\" data-figure=\"{}\" data-model=\"{model}\">{}</span>",
        esc(name),
        esc(shown)
    )
}

/// A table row of cells that are already markup.
pub(crate) fn row(out: &mut String, cells: &[String]) {
    out.push_str("<tr>");
    for c in cells {
        let _ = write!(out, "<td>{c}</td>");
    }
    out.push_str("</tr>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_stays_text() {
        assert_eq!(
            esc("<img src=x onerror=alert(1)> & \"it's\""),
            "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;it&#39;s&quot;"
        );
        assert_eq!(esc("Grüße, 😀"), "Grüße, 😀");
        assert!(
            figure("f1-<b>", 1, "<0.5>").contains("f1-&lt;b&gt;\" data-model=\"1\">&lt;0.5&gt;<")
        );
    }

    #[test]
    fn numbers_read_as_eval_prints_them() {
        assert_eq!(pct(0.857_14), "85.7%");
        assert_eq!(pct(1.0), "100.0%");
        assert_eq!(dec3(0.730_49), "0.730");
        assert_eq!(
            [0, 7, 999, 1000, 5700, 1_234_567].map(count),
            ["0", "7", "999", "1,000", "5,700", "1,234,567"]
        );
    }
}
