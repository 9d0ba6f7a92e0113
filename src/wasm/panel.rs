//! The suggestion panel, drawn with web-sys: the one renderer behind `attach()` and
//! `TierMatch.renderPanel`, so the intake widget and the staff page show the same markup and
//! follow one link policy.

use super::js::{invalid, opt_string};
use crate::Classification;
use crate::model::Model;
use crate::sop::{Audience, SopMatch};
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

/// Who reads the panel.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Mode {
    /// The person asking for help: self-help SOPs with their summaries.
    Client,
    /// The service desk: also tier, confidence, abstain and reasons.
    Staff,
}

impl Mode {
    /// The `mode` option (`"client"` when absent) of `caller`.
    pub(super) fn read(options: &JsValue, caller: &str) -> Result<Mode, JsError> {
        match opt_string(options, "mode").as_deref() {
            None | Some("client") => Ok(Mode::Client),
            Some("staff") => Ok(Mode::Staff),
            Some(other) => Err(invalid(format!(
                "{caller}: mode must be \"client\" or \"staff\", not \"{other}\""
            ))),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Mode::Client => "client",
            Mode::Staff => "staff",
        }
    }
}

/// What a panel shows besides the classification (`PanelOptions` in types.d.ts).
pub(super) struct PanelOptions {
    pub(super) mode: Mode,
    /// The tier a person chose instead of the suggestion (an empty string is none).
    pub(super) overridden_to: Option<String>,
}

impl PanelOptions {
    /// The options of `renderPanel()`.
    pub(super) fn read(options: &JsValue) -> Result<PanelOptions, JsError> {
        Ok(PanelOptions {
            mode: Mode::read(options, "renderPanel()")?,
            overridden_to: opt_string(options, "overriddenTo").filter(|t| !t.is_empty()),
        })
    }
}

/// The SOPs a panel lists: the answer's own, all of them for staff and the client-facing ones for
/// clients, so what people see is what `classify` answers and nothing is searched again.
pub(super) fn sops_to_show(c: &Classification, mode: Mode) -> Vec<SopMatch> {
    match mode {
        Mode::Staff => c.sops.clone(),
        Mode::Client => c
            .sops
            .iter()
            .filter(|s| s.audience == Audience::Client)
            .cloned()
            .collect(),
    }
}

/// `x` (in `0..=1`) with four decimals, without linking float formatting.
pub(super) fn fixed4(x: f32) -> String {
    let n = crate::decimal::ten_thousandths(x.clamp(0.0, 1.0));
    let frac = (n % 10_000).to_string();
    format!("{}.{}{frac}", n / 10_000, "0".repeat(4 - frac.len()))
}

/// `x` (in `0..=1`) as a whole percentage.
pub(super) fn percent(x: f32) -> u32 {
    (x.clamp(0.0, 1.0) * 100.0).round() as u32
}

/// At most about `max` characters of `text`, cut at a word boundary, with `…` when cut.
fn ellipsize(text: &str, max: usize) -> String {
    let text = text.trim_end_matches('…');
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => {
            let head = &text[..end];
            let cut = head.rfind(' ').filter(|&i| i > end / 2).unwrap_or(end);
            let head = head[..cut].trim_end_matches([',', ';', ':', ' ', '-', '(']);
            format!("{head}…")
        }
    }
}

/// Only web links and same-site paths become `href`s; anything else is shown as plain text.
fn safe_href(url: &str) -> Option<&str> {
    let u = url.trim();
    let lower = u.get(..8).unwrap_or(u).to_ascii_lowercase();
    let ok = lower.starts_with("https://")
        || lower.starts_with("http://")
        || (u.starts_with('/') && !u.starts_with("//"));
    ok.then_some(u)
}

/// A panel element, and the document that makes its children.
pub(super) struct Panel {
    document: Document,
    element: Element,
}

impl Panel {
    /// Marks `element` as a panel for `mode` (class `tm-panel`, `data-mode`), for the stylesheet.
    pub(super) fn new(document: Document, element: Element, mode: Mode) -> Panel {
        let _ = element.class_list().add_1("tm-panel");
        let _ = element.set_attribute("data-mode", mode.as_str());
        Panel { document, element }
    }

    fn el(&self, tag: &str, class: &str, text: Option<&str>) -> Element {
        let e = self
            .document
            .create_element(tag)
            .expect("creating a standard element cannot fail");
        if !class.is_empty() {
            e.set_class_name(class);
        }
        if let Some(t) = text {
            e.set_text_content(Some(t));
        }
        e
    }

    fn clear(&self) {
        while let Some(c) = self.element.first_child() {
            let _ = self.element.remove_child(&c);
        }
    }

    fn append(&self, child: &Element) {
        let _ = self.element.append_child(child);
    }

    /// The state before anything is typed: no tier, a hint of what will appear.
    pub(super) fn show_hint(&self, mode: Mode) {
        self.clear();
        let _ = self.element.remove_attribute("data-tier");
        let _ = self.element.class_list().add_1("tm-empty");
        let hint = match mode {
            Mode::Staff => "Tier, confidence and matching SOPs appear here as the ticket is typed.",
            Mode::Client => "Suggestions appear here as you describe the problem.",
        };
        self.append(&self.el("p", "tm-hint", Some(hint)));
    }

    /// Draws a classification with the SOPs to list (`model` gives the client view's summaries);
    /// the panel's `data-tier` is the tier shown last (the override, when there is one).
    pub(super) fn show(
        &self,
        model: &Model,
        c: &Classification,
        sops: &[SopMatch],
        options: &PanelOptions,
    ) {
        let tier = options.overridden_to.as_deref().unwrap_or(&c.tier);
        let _ = self.element.set_attribute("data-tier", tier);
        let _ = self.element.class_list().remove_1("tm-empty");
        self.clear();
        let staff = options.mode == Mode::Staff;
        if staff {
            self.staff_head(c, options.overridden_to.as_deref());
            if c.abstain {
                self.append(&self.el(
                    "p",
                    "tm-abstain",
                    Some("Not sure: a person should triage this ticket."),
                ));
            }
            if !c.reasons.is_empty() {
                self.append(&self.el("p", "tm-subhead", Some("Why")));
                let ul = self.el("ul", "tm-reasons", None);
                for r in &c.reasons {
                    let _ = ul.append_child(&self.el("li", "tm-reason", Some(r)));
                }
                self.append(&ul);
            }
            if !sops.is_empty() {
                self.append(&self.el("p", "tm-subhead", Some("Matching SOPs")));
            }
        } else if !sops.is_empty() {
            self.append(&self.el("p", "tm-subhead", Some("Try this first")));
        } else {
            self.append(&self.el(
                "p",
                "tm-hint",
                Some("No self-help article fits yet. Describe the problem and submit: our team will pick it up."),
            ));
        }
        if !sops.is_empty() {
            let ol = self.el("ol", "tm-sops", None);
            for s in sops {
                let _ = ol.append_child(&self.sop_item(model, s, staff));
            }
            self.append(&ol);
        }
    }

    fn badge(&self, tier: &str) -> Element {
        let badge = self.el("span", "tm-badge", Some(tier));
        let _ = badge.set_attribute("data-tier", tier);
        badge
    }

    fn staff_head(&self, c: &Classification, overridden_to: Option<&str>) {
        let head = self.el("div", "tm-head", None);
        let _ = head.append_child(&self.el("span", "tm-label", Some("Suggested tier")));
        let _ = head.append_child(&self.badge(&c.tier));
        let conf = format!("{}% confident", percent(c.confidence));
        let _ = head.append_child(&self.el("span", "tm-confidence", Some(&conf)));
        if let Some(tier) = overridden_to {
            let _ = head.append_child(&self.el("span", "tm-label", Some("overridden to")));
            let _ = head.append_child(&self.badge(tier));
        }
        if let Ok(m) = self.document.create_element("meter") {
            let _ = m.set_attribute("min", "0");
            let _ = m.set_attribute("max", "1");
            let _ = m.set_attribute("low", "0.5");
            let _ = m.set_attribute("high", "0.8");
            let _ = m.set_attribute("optimum", "1");
            let _ = m.set_attribute("value", &fixed4(c.confidence));
            let _ = m.set_attribute("aria-label", "confidence");
            m.set_class_name("tm-meter");
            let _ = head.append_child(&m);
        }
        self.append(&head);
    }

    fn sop_item(&self, model: &Model, s: &SopMatch, staff: bool) -> Element {
        let li = self.el("li", "tm-sop", None);
        let title: Element = match s.url.as_deref().and_then(safe_href) {
            Some(href) => {
                let a = self.el("a", "tm-sop-link", Some(&s.title));
                let _ = a.set_attribute("href", href);
                let _ = a.set_attribute("target", "_blank");
                let _ = a.set_attribute("rel", "noopener noreferrer");
                a
            }
            None => self.el("span", "tm-sop-title", Some(&s.title)),
        };
        let _ = li.append_child(&title);
        if staff {
            let aud = match s.audience {
                Audience::Client => "client",
                Audience::Staff => "staff",
            };
            let meta = format!(" {} · {aud} · match {}%", s.tier, percent(s.score));
            let _ = li.append_child(&self.el("span", "tm-sop-meta", Some(&meta)));
        } else if let Some(sop) = model.sop_index().sops().iter().find(|x| x.id == s.id) {
            let summary = ellipsize(&sop.summary, 160);
            if !summary.is_empty() {
                let _ = li.append_child(&self.el("p", "tm-sop-summary", Some(&summary)));
            }
        }
        li
    }
}
