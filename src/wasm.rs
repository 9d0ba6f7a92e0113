//! The browser binding (feature `wasm`): the `TierMatch` class for JavaScript and `attach()`, the
//! intake-form widget built with web-sys.
//!
//! Thin by design: every answer comes from the core ([`Model::classify`],
//! [`SopIndex::search`](crate::SopIndex::search)); this module only moves values across the
//! boundary and draws the suggestion panel. Results cross as JSON text parsed by the engine
//! (`JSON.parse`), so a JS object has exactly the fields and the numbers of the CLI's JSON line.
//! Errors become `JsError`s carrying the core error's message.

use crate::answer::{Ticket, ticket_text};
use crate::classify::DEFAULT_SOPS;
use crate::error::Error;
use crate::model::{FORMAT_VERSION, Model};
use crate::sop::{Audience, SopMatch};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlFormElement, HtmlInputElement};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A ticket: `subject` and `body` (or `text`), and an optional `id` that the answer echoes. */
export interface Ticket { id?: string; subject?: string; body?: string; text?: string; }
/** One matching SOP. */
export interface SopMatch {
  id: string; title: string; score: number; tier: string;
  audience: "client" | "staff"; url?: string;
}
/** One SOP of the model's library. */
export interface Sop {
  id: string; title: string; tier: string; audience: "client" | "staff";
  keywords: string[]; url: string | null; summary: string;
}
/** The answer: the same fields as a line of `tiermatch classify --jsonl`. */
export interface Classification {
  id?: string; tier: string; confidence: number; scores: Record<string, number>;
  abstain: boolean; reasons: string[]; sops: SopMatch[];
}
/** How and from what the model was trained. */
export interface TrainMeta {
  corpus_hash: string; rows: number; date: string; command: string; algorithm: string;
  cv_accuracy: number; cv_macro_f1: number;
}
/** Versions of this package and of the loaded model file. */
export interface VersionInfo {
  crateVersion: string; formatVersion: number; modelCrateVersion: string;
  labels: string[]; sopCount: number; meta: TrainMeta;
}
/** Options of `attach()`. Every field is optional except `model` for the free function. */
export interface AttachOptions {
  model?: TierMatch;
  /** "client" (default): matching self-help SOPs; "staff": also tier, confidence, abstain, reasons. */
  mode?: "client" | "staff";
  /** The panel element, or a selector for it. Default: `[data-tiermatch-panel]` in the form, else a new one after the description. */
  panel?: Element | string;
  /** Selector of the subject field in the form. Default `[name=subject]`. */
  subject?: string;
  /** Selector of the description field in the form. Default `[name=description]`, else `[name=body]`. */
  body?: string;
  /** Quiet time after the last keystroke before classifying, in ms. Default 150. */
  debounceMs?: number;
  /** How many SOPs the panel lists. Default 3. */
  maxSops?: number;
}
"#;

fn js_err(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

fn invalid(reason: impl Into<String>) -> JsError {
    js_err(Error::InvalidInput {
        reason: reason.into(),
    })
}

/// Converts to plain JS values with serde-wasm-bindgen, in its JSON-compatible form (objects for
/// maps, `null` for `None`): the same object `JSON.parse` of the CLI's line gives, since every
/// rounded number is serialized as its decimal ([`crate::decimal::decimal4`]).
fn to_js<T: serde::Serialize + ?Sized>(v: &T) -> JsValue {
    serde::Serialize::serialize(v, &serde_wasm_bindgen::Serializer::json_compatible())
        .expect("plain data converts to JS values")
}

/// Property `key` of `obj`; None when `obj` is not an object (or the lookup throws).
fn prop(obj: &JsValue, key: &str) -> Option<JsValue> {
    if !obj.is_object() {
        return None;
    }
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).ok()
}

/// A field of a JS object as a string: strings as they are, other values as JSON, absent as None.
fn field(obj: &JsValue, key: &str) -> Option<String> {
    let v = prop(obj, key)?;
    if v.is_undefined() || v.is_null() {
        return None;
    }
    v.as_string()
        .or_else(|| js_sys::JSON::stringify(&v).ok().map(String::from))
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct VersionInfo<'a> {
    crate_version: &'a str,
    format_version: u16,
    model_crate_version: &'a str,
    labels: &'a [String],
    sop_count: usize,
    meta: MetaJs<'a>,
}

/// The training metadata for JS: the model file's fields, its cross-validated figures as decimals.
#[derive(serde::Serialize)]
struct MetaJs<'a> {
    corpus_hash: &'a str,
    rows: u32,
    date: &'a str,
    command: &'a str,
    algorithm: &'a str,
    #[serde(serialize_with = "crate::decimal::serialize")]
    cv_accuracy: f32,
    #[serde(serialize_with = "crate::decimal::serialize")]
    cv_macro_f1: f32,
}

impl<'a> From<&'a crate::model::TrainMeta> for MetaJs<'a> {
    fn from(m: &'a crate::model::TrainMeta) -> Self {
        MetaJs {
            corpus_hash: &m.corpus_hash,
            rows: m.rows,
            date: &m.date,
            command: &m.command,
            algorithm: &m.algorithm,
            cv_accuracy: m.cv_accuracy,
            cv_macro_f1: m.cv_macro_f1,
        }
    }
}

/// `x` (in `0..=1`) with four decimals, without linking float formatting.
fn fixed4(x: f32) -> String {
    let n = (x.clamp(0.0, 1.0) * 10_000.0).round() as u32;
    let frac = (n % 10_000).to_string();
    format!("{}.{}{frac}", n / 10_000, "0".repeat(4 - frac.len()))
}

/// `x` (in `0..=1`) as a whole percentage.
fn percent(x: f32) -> u32 {
    (x.clamp(0.0, 1.0) * 100.0).round() as u32
}

/// A loaded tiermatch model, for JavaScript.
#[wasm_bindgen(js_name = TierMatch)]
pub struct TierMatch {
    model: Rc<Model>,
}

#[wasm_bindgen(js_class = TierMatch)]
impl TierMatch {
    /// Loads a model from the bytes of a model file; throws an `Error` naming the cause (bad
    /// magic, unsupported version, truncated, checksum mismatch, inconsistent payload).
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<TierMatch, JsError> {
        // Loading the bundled model takes about 16 bytes of heap per byte of model file. Taking
        // it in one step and handing it back to the allocator grows the linear memory once
        // instead of ~16 times: in a cold Chromium page those grows cost 16 ms of a 66 ms load
        // (a trace). Only for what looks like a model file, at most 32 MiB, and never fatal: a
        // wrong file still gets its error, not a trap.
        if bytes.starts_with(crate::model::MAGIC) {
            let mut reserve = Vec::<u8>::new();
            let _ = reserve.try_reserve_exact(bytes.len().saturating_mul(16).min(32 << 20));
        }
        Model::from_bytes(bytes)
            .map(|m| TierMatch { model: Rc::new(m) })
            .map_err(js_err)
    }

    /// Classifies a ticket `{id?, subject?, body?, text?}` (or a plain string). Returns a plain
    /// object with exactly the fields of the CLI's JSON line.
    #[wasm_bindgen(unchecked_return_type = "Classification")]
    pub fn classify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Ticket | string")] ticket: JsValue,
    ) -> Result<JsValue, JsError> {
        let (id, text) = if let Some(s) = ticket.as_string() {
            (None, s)
        } else if ticket.is_object() {
            let t = Ticket {
                id: field(&ticket, "id"),
                subject: field(&ticket, "subject"),
                body: field(&ticket, "body"),
                text: field(&ticket, "text"),
            };
            if t.is_blank() {
                return Err(invalid(
                    "the ticket has no \"subject\", \"body\" or \"text\" field",
                ));
            }
            (t.id.clone(), t.full_text())
        } else {
            return Err(invalid(
                "classify() takes a ticket object {subject, body} or a string",
            ));
        };
        let mut c = self.model.classify_text(&text, DEFAULT_SOPS);
        c.id = id;
        Ok(to_js(&c))
    }

    /// The best `k` SOPs for a text (all audiences), best first.
    #[wasm_bindgen(js_name = searchSops, unchecked_return_type = "SopMatch[]")]
    pub fn search_sops(&self, text: &str, k: usize) -> JsValue {
        to_js(&self.model.search_sops(text, k))
    }

    /// The model's SOP library.
    #[wasm_bindgen(unchecked_return_type = "Sop[]")]
    pub fn sops(&self) -> JsValue {
        to_js(self.model.sop_index().sops())
    }

    /// The model's labels, in score order.
    #[wasm_bindgen(getter)]
    pub fn labels(&self) -> Vec<String> {
        self.model.labels().to_vec()
    }

    /// The version of tiermatch that wrote the model file (compare with [`crate_version`]): a
    /// cheap check for a page to run while it loads, unlike the whole [`TierMatch::version`].
    #[wasm_bindgen(getter, js_name = modelCrateVersion)]
    pub fn model_crate_version(&self) -> String {
        self.model.payload().crate_version.clone()
    }

    /// Versions of this package and of the model file, the labels and the training metadata.
    #[wasm_bindgen(getter, unchecked_return_type = "VersionInfo")]
    pub fn version(&self) -> JsValue {
        to_js(&VersionInfo {
            crate_version: env!("CARGO_PKG_VERSION"),
            format_version: FORMAT_VERSION,
            model_crate_version: &self.model.payload().crate_version,
            labels: self.model.labels(),
            sop_count: self.model.sop_index().len(),
            meta: self.model.meta().into(),
        })
    }

    /// Wires a form to this model; see the free function [`attach`].
    #[wasm_bindgen(js_name = attach)]
    pub fn attach_to(
        &self,
        form: &HtmlFormElement,
        #[wasm_bindgen(unchecked_param_type = "AttachOptions")] options: JsValue,
    ) -> Result<Attachment, JsError> {
        attach_model(self.model.clone(), form, &options)
    }

    /// A second handle on the same model (used by `attach()` to read `options.model` without
    /// taking the caller's object).
    #[wasm_bindgen(js_name = __share, skip_typescript)]
    pub fn share(&self) -> TierMatch {
        TierMatch {
            model: self.model.clone(),
        }
    }
}

/// This package's version (the crate version), available before any model is loaded.
#[wasm_bindgen(js_name = crateVersion)]
pub fn crate_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The model file format version this build reads.
#[wasm_bindgen(js_name = formatVersion)]
pub fn format_version() -> u16 {
    FORMAT_VERSION
}

// ------------------------------------------------------------------------------------------------
// attach(): the intake-form widget
// ------------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Client,
    Staff,
}

/// The state a wired form keeps between keystrokes.
struct Widget {
    model: Rc<Model>,
    document: Document,
    window: web_sys::Window,
    form: HtmlFormElement,
    subject: Element,
    body: Element,
    panel: Element,
    tier_input: HtmlInputElement,
    conf_input: HtmlInputElement,
    mode: Mode,
    max_sops: usize,
    debounce_ms: i32,
    timer: Option<i32>,
    /// What the panel shows now, to leave it (and screen readers) alone when nothing changed.
    shown: String,
    first_done: bool,
    /// The event handlers. They live here, so the widget stays wired for the life of the page
    /// even when the page drops the `Attachment`; `detach()` takes them out.
    listeners: Option<Listeners>,
}

type Listener = Closure<dyn FnMut(web_sys::Event)>;

struct Listeners {
    on_input: Listener,
    on_submit: Listener,
    _on_timer: Closure<dyn FnMut()>,
}

/// A wired form. The wiring lasts until `detach()`, whether or not this handle is kept.
#[wasm_bindgen]
pub struct Attachment {
    widget: Rc<RefCell<Widget>>,
}

#[wasm_bindgen]
impl Attachment {
    /// Classifies the current text now (skipping the debounce) and updates the panel and inputs.
    pub fn refresh(&self) {
        self.widget.borrow_mut().cancel_timer();
        run(&self.widget);
    }

    /// Removes the listeners. The panel and the hidden inputs stay as they are.
    pub fn detach(&self) {
        let listeners = {
            let mut w = self.widget.borrow_mut();
            w.cancel_timer();
            let Some(l) = w.listeners.take() else {
                return;
            };
            let f = l.on_input.as_ref().unchecked_ref();
            let _ = w.subject.remove_event_listener_with_callback("input", f);
            let _ = w.body.remove_event_listener_with_callback("input", f);
            let _ = w.form.remove_event_listener_with_callback("reset", f);
            let f = l.on_submit.as_ref().unchecked_ref();
            let _ = w.form.remove_event_listener_with_callback("submit", f);
            l
        };
        drop(listeners);
    }
}

/// Wires an intake form: classifies its subject and description as the person types (debounced),
/// shows the suggestion panel (`aria-live="polite"`, `data-tier` set once a result is shown),
/// and keeps hidden `suggested_tier` and `suggested_tier_confidence` inputs current, creating
/// them when missing. Never prevents or changes the form's own submit: a submit only flushes a
/// pending classification so the hidden inputs are current. `options.model` is a `TierMatch`.
#[wasm_bindgen]
pub fn attach(
    form: &HtmlFormElement,
    #[wasm_bindgen(unchecked_param_type = "AttachOptions")] options: JsValue,
) -> Result<Attachment, JsError> {
    let m = prop(&options, "model")
        .filter(|m| m.is_object())
        .ok_or_else(|| invalid("attach(form, options): options.model must be a TierMatch"))?;
    let share = prop(&m, "__share")
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| invalid("attach(form, options): options.model is not a TierMatch"))?;
    let shared = share
        .call0(&m)
        .map_err(|_| invalid("attach(form, options): options.model was freed"))?;
    let tm = TierMatch::try_from_js_value(shared)
        .map_err(|_| invalid("attach(form, options): options.model is not a TierMatch"))?;
    attach_model(tm.model, form, &options)
}

fn opt_string(options: &JsValue, key: &str) -> Option<String> {
    prop(options, key).and_then(|v| v.as_string())
}

fn opt_number(options: &JsValue, key: &str) -> Option<f64> {
    prop(options, key)
        .and_then(|v| v.as_f64())
        .filter(|x| x.is_finite() && *x >= 0.0)
}

fn find_field(form: &HtmlFormElement, selectors: &[&str]) -> Option<Element> {
    selectors
        .iter()
        .find_map(|s| form.query_selector(s).ok().flatten())
}

fn hidden_input(
    document: &Document,
    form: &HtmlFormElement,
    name: &str,
) -> Result<HtmlInputElement, JsError> {
    let sel = format!("input[name=\"{name}\"]");
    if let Some(Ok(input)) = form
        .query_selector(&sel)
        .ok()
        .flatten()
        .map(|el| el.dyn_into::<HtmlInputElement>())
    {
        return Ok(input);
    }
    let input: HtmlInputElement = document
        .create_element("input")
        .map_err(|_| invalid("cannot create an input element"))?
        .unchecked_into();
    input.set_type("hidden");
    input.set_name(name);
    form.append_child(&input)
        .map_err(|_| invalid("cannot add a hidden input to the form"))?;
    Ok(input)
}

fn attach_model(
    model: Rc<Model>,
    form: &HtmlFormElement,
    options: &JsValue,
) -> Result<Attachment, JsError> {
    let window = web_sys::window().ok_or_else(|| invalid("attach() needs a browser window"))?;
    let document = window
        .document()
        .ok_or_else(|| invalid("attach() needs a document"))?;
    let mode = match opt_string(options, "mode").as_deref() {
        None | Some("client") => Mode::Client,
        Some("staff") => Mode::Staff,
        Some(other) => {
            return Err(invalid(format!(
                "attach(): mode must be \"client\" or \"staff\", not \"{other}\""
            )));
        }
    };
    let subject_sel = opt_string(options, "subject");
    let subject = match &subject_sel {
        Some(s) => find_field(form, &[s.as_str()]),
        None => find_field(form, &["[name=subject]"]),
    }
    .ok_or_else(|| {
        invalid(format!(
            "attach(): no subject field {} in the form",
            subject_sel.as_deref().unwrap_or("[name=subject]")
        ))
    })?;
    let body_sel = opt_string(options, "body");
    let body = match &body_sel {
        Some(s) => find_field(form, &[s.as_str()]),
        None => find_field(form, &["[name=description]", "[name=body]"]),
    }
    .ok_or_else(|| {
        invalid(format!(
            "attach(): no description field {} in the form",
            body_sel.as_deref().unwrap_or("[name=description]")
        ))
    })?;
    let panel = match prop(options, "panel") {
        Some(p) if p.is_string() => {
            let sel = p.as_string().unwrap_or_default();
            document
                .query_selector(&sel)
                .ok()
                .flatten()
                .ok_or_else(|| invalid(format!("attach(): no panel element {sel}")))?
        }
        Some(p) if p.is_object() => p
            .dyn_into::<Element>()
            .map_err(|_| invalid("attach(): options.panel is not an element"))?,
        _ => match form.query_selector("[data-tiermatch-panel]").ok().flatten() {
            Some(p) => p,
            None => {
                let p = document
                    .create_element("div")
                    .map_err(|_| invalid("cannot create the panel"))?;
                let parent = body
                    .parent_node()
                    .ok_or_else(|| invalid("attach(): the description field has no parent"))?;
                parent
                    .insert_before(&p, body.next_sibling().as_ref())
                    .map_err(|_| invalid("cannot insert the panel"))?;
                p
            }
        },
    };
    let _ = panel.set_attribute("data-tiermatch-panel", "");
    let _ = panel.class_list().add_1("tm-panel");
    let _ = panel.set_attribute("aria-live", "polite");
    let _ = panel.set_attribute("role", "status");
    if !panel.has_attribute("aria-label") {
        let _ = panel.set_attribute("aria-label", "Suggestions");
    }
    let _ = panel.set_attribute(
        "data-mode",
        if mode == Mode::Staff {
            "staff"
        } else {
            "client"
        },
    );
    let tier_input = hidden_input(&document, form, "suggested_tier")?;
    let conf_input = hidden_input(&document, form, "suggested_tier_confidence")?;
    let widget = Rc::new(RefCell::new(Widget {
        model,
        document,
        window,
        form: form.clone(),
        subject,
        body,
        panel,
        tier_input,
        conf_input,
        mode,
        max_sops: opt_number(options, "maxSops").map_or(DEFAULT_SOPS, |x| x as usize),
        debounce_ms: opt_number(options, "debounceMs").map_or(150, |x| x.min(10_000.0) as i32),
        timer: None,
        shown: String::from("\u{0}"),
        first_done: false,
        listeners: None,
    }));

    let w = widget.clone();
    let on_timer = Closure::<dyn FnMut()>::new(move || {
        w.borrow_mut().timer = None;
        run(&w);
    });
    let tf: js_sys::Function = on_timer
        .as_ref()
        .unchecked_ref::<js_sys::Function>()
        .clone();

    let w = widget.clone();
    let on_input = Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| {
        let mut w = w.borrow_mut();
        w.cancel_timer();
        let ms = w.debounce_ms;
        w.timer = w
            .window
            .set_timeout_with_callback_and_timeout_and_arguments_0(&tf, ms)
            .ok();
    });
    let w = widget.clone();
    let on_submit = Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| {
        // Never prevents the submit: only makes the hidden inputs current if a keystroke is pending.
        let pending = w.borrow().timer.is_some();
        if pending {
            w.borrow_mut().cancel_timer();
            run(&w);
        }
    });
    {
        let w = widget.borrow();
        let f = on_input.as_ref().unchecked_ref();
        w.subject
            .add_event_listener_with_callback("input", f)
            .map_err(|_| invalid("cannot listen to the subject field"))?;
        w.body
            .add_event_listener_with_callback("input", f)
            .map_err(|_| invalid("cannot listen to the description field"))?;
        // A reset empties the fields without input events: refresh once it is done.
        w.form
            .add_event_listener_with_callback("reset", f)
            .map_err(|_| invalid("cannot listen to the form"))?;
        w.form
            .add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref())
            .map_err(|_| invalid("cannot listen to the form"))?;
    }
    widget.borrow_mut().listeners = Some(Listeners {
        on_input,
        on_submit,
        _on_timer: on_timer,
    });
    run(&widget);
    Ok(Attachment { widget })
}

/// Updates a widget, then tells the page (`tiermatch:result` on the form, bubbling, with the
/// classification or `null` as `detail`) once the widget is no longer borrowed, so a listener
/// may call back into it.
fn run(widget: &Rc<RefCell<Widget>>) {
    let (form, detail) = {
        let mut w = widget.borrow_mut();
        let detail = w.update();
        (w.form.clone(), detail)
    };
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    init.set_detail(&detail);
    if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict("tiermatch:result", &init) {
        let _ = form.dispatch_event(&ev);
    }
}

fn value_of(el: &Element) -> String {
    if let Some(i) = el.dyn_ref::<HtmlInputElement>() {
        i.value()
    } else if let Some(t) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        t.value()
    } else {
        el.text_content().unwrap_or_default()
    }
}

/// At most about `max` characters of `text`, cut at a word boundary, with `…` when cut.
fn clip(text: &str, max: usize) -> String {
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

impl Widget {
    fn cancel_timer(&mut self) {
        if let Some(t) = self.timer.take() {
            self.window.clear_timeout_with_handle(t);
        }
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

    fn sop_item(&self, s: &SopMatch, staff: bool) -> Element {
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
        } else if let Some(sop) = self.model.sop_index().sops().iter().find(|x| x.id == s.id) {
            let summary = clip(&sop.summary, 160);
            if !summary.is_empty() {
                let _ = li.append_child(&self.el("p", "tm-sop-summary", Some(&summary)));
            }
        }
        li
    }

    fn clear_panel(&self) {
        while let Some(c) = self.panel.first_child() {
            let _ = self.panel.remove_child(&c);
        }
    }

    /// Reads the fields, classifies, updates the hidden inputs and (when it changed) the panel.
    /// Returns the classification as a JS object (`null` for an empty form).
    fn update(&mut self) -> JsValue {
        let subject = value_of(&self.subject);
        let body = value_of(&self.body);
        if subject.trim().is_empty() && body.trim().is_empty() {
            self.tier_input.set_value("");
            self.conf_input.set_value("");
            if !self.shown.is_empty() {
                self.shown.clear();
                self.clear_panel();
                let _ = self.panel.remove_attribute("data-tier");
                let _ = self.panel.class_list().add_1("tm-empty");
                let hint = if self.mode == Mode::Staff {
                    "Tier, confidence and matching SOPs appear here as the ticket is typed."
                } else {
                    "Suggestions appear here as you describe the problem."
                };
                let _ = self
                    .panel
                    .append_child(&self.el("p", "tm-hint", Some(hint)));
            }
            return JsValue::NULL;
        }
        let text = ticket_text(&subject, &body);
        // Always the CLI's call, so the hidden inputs hold exactly what `classify` answers.
        let c = self.model.classify_text(&text, DEFAULT_SOPS);
        self.tier_input.set_value(&c.tier);
        self.conf_input.set_value(&fixed4(c.confidence));
        let sops: Vec<SopMatch> = match self.mode {
            Mode::Staff if self.max_sops <= c.sops.len() => {
                c.sops.iter().take(self.max_sops).cloned().collect()
            }
            Mode::Staff => self.model.search_sops(&text, self.max_sops),
            Mode::Client => self
                .model
                .search_sops(&text, self.max_sops + 8)
                .into_iter()
                .filter(|s| s.audience == Audience::Client)
                .take(self.max_sops)
                .collect(),
        };
        let mut key = format!("{}|", c.tier);
        if self.mode == Mode::Staff {
            key.push_str(&format!(
                "{}|{}|{}|",
                percent(c.confidence),
                c.abstain,
                c.reasons.join("\u{1}")
            ));
        }
        for s in &sops {
            key.push_str(&s.id);
            key.push('\u{1}');
        }
        let _ = self.panel.set_attribute("data-tier", &c.tier);
        let _ = self.panel.class_list().remove_1("tm-empty");
        if key != self.shown {
            self.render(&c, &sops);
            self.shown = key;
        }
        if !self.first_done {
            self.first_done = true;
            if let Some(p) = self.window.performance() {
                let _ = p.mark("tiermatch:first-result");
            }
        }
        to_js(&c)
    }

    fn render(&self, c: &crate::Classification, sops: &[SopMatch]) {
        self.clear_panel();
        let p = &self.panel;
        if self.mode == Mode::Staff {
            let head = self.el("div", "tm-head", None);
            let badge = self.el("span", "tm-badge", Some(&c.tier));
            let _ = badge.set_attribute("data-tier", &c.tier);
            let _ = head.append_child(&self.el("span", "tm-label", Some("Suggested tier")));
            let _ = head.append_child(&badge);
            let conf = format!("{}% confident", percent(c.confidence));
            let _ = head.append_child(&self.el("span", "tm-confidence", Some(&conf)));
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
            let _ = p.append_child(&head);
            if c.abstain {
                let _ = p.append_child(&self.el(
                    "p",
                    "tm-abstain",
                    Some("Not sure: a person should triage this ticket."),
                ));
            }
            if !c.reasons.is_empty() {
                let _ = p.append_child(&self.el("p", "tm-subhead", Some("Why")));
                let ul = self.el("ul", "tm-reasons", None);
                for r in &c.reasons {
                    let _ = ul.append_child(&self.el("li", "tm-reason", Some(r)));
                }
                let _ = p.append_child(&ul);
            }
            if !sops.is_empty() {
                let _ = p.append_child(&self.el("p", "tm-subhead", Some("Matching SOPs")));
            }
        } else if !sops.is_empty() {
            let _ = p.append_child(&self.el("p", "tm-subhead", Some("Try this first")));
        } else {
            let _ = p.append_child(&self.el(
                "p",
                "tm-hint",
                Some("No self-help article fits yet. Describe the problem and submit: our team will pick it up."),
            ));
        }
        if !sops.is_empty() {
            let ol = self.el("ol", "tm-sops", None);
            for s in sops {
                let _ = ol.append_child(&self.sop_item(s, self.mode == Mode::Staff));
            }
            let _ = p.append_child(&ol);
        }
    }
}
