//! `attach()`: the intake-form widget, so a portal gets suggestions while a ticket is typed and a
//! suggested tier with the submitted form by adding two lines.

use super::js::{invalid, opt_number, opt_string, prop, to_js};
use super::panel::{Mode, Panel, PanelOptions, fixed4, percent, sops_to_show};
use super::richtext::{RichText, follow_rich_text};
use super::tiermatch::TierMatch;
use crate::answer::ticket_text;
use crate::classify::DEFAULT_SOPS;
use crate::model::Model;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlFormElement, HtmlInputElement};

/// Where the panel goes, as `options.panel` says.
enum PanelAt {
    /// A selector, looked up in the document.
    Selector(String),
    /// The element itself.
    Element(Element),
    /// `[data-tiermatch-panel]` in the form, else a new element after the description.
    Default,
}

/// The options of `attach()` (`AttachOptions` in types.d.ts, without `model`), read once.
struct AttachOptions {
    mode: Mode,
    panel: PanelAt,
    /// Selector of the subject field.
    subject: Option<String>,
    /// Selector of the description field.
    body: Option<String>,
    /// Name of the field that receives the suggested tier.
    tier_field: String,
    /// Name of the field that receives the confidence.
    confidence_field: String,
    debounce_ms: i32,
    max_sops: usize,
}

impl AttachOptions {
    fn read(options: &JsValue) -> Result<AttachOptions, JsError> {
        let mode = Mode::read(options, "attach()")?;
        let panel = match prop(options, "panel") {
            Some(p) if p.is_string() => PanelAt::Selector(p.as_string().unwrap_or_default()),
            Some(p) if p.is_object() => PanelAt::Element(
                p.dyn_into::<Element>()
                    .map_err(|_| invalid("attach(): options.panel is not an element"))?,
            ),
            _ => PanelAt::Default,
        };
        Ok(AttachOptions {
            mode,
            panel,
            subject: opt_string(options, "subject"),
            body: opt_string(options, "body"),
            tier_field: opt_string(options, "tierField")
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "suggested_tier".into()),
            confidence_field: opt_string(options, "confidenceField")
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "suggested_tier_confidence".into()),
            debounce_ms: opt_number(options, "debounceMs").map_or(150, |x| x.min(10_000.0) as i32),
            max_sops: opt_number(options, "maxSops").map_or(DEFAULT_SOPS, |x| x as usize),
        })
    }
}

/// The state a wired form keeps between keystrokes.
struct Widget {
    model: Rc<Model>,
    window: web_sys::Window,
    form: HtmlFormElement,
    subject: Element,
    body: Element,
    /// The rich-text editor standing in for `body`, when there is one.
    rich: Option<RichText>,
    panel: Panel,
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
            if let Some(rich) = &w.rich {
                rich.stop();
            }
            l
        };
        drop(listeners);
    }
}

/// Wires an intake form: classifies its subject and description as the person types (debounced),
/// shows the suggestion panel (`aria-live="polite"`, `data-tier` set once a result is shown),
/// and keeps the `suggested_tier` and `suggested_tier_confidence` inputs (or those
/// `options.tierField` and `options.confidenceField` name) current, creating hidden ones when
/// missing. A rich-text editor standing in for the description is followed. Never prevents or changes the form's own submit: a submit only flushes a
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

/// The panel element `at` names, created after the description field when the form has none.
fn panel_element(
    document: &Document,
    form: &HtmlFormElement,
    body: &Element,
    at: PanelAt,
) -> Result<Element, JsError> {
    match at {
        PanelAt::Selector(sel) => document
            .query_selector(&sel)
            .ok()
            .flatten()
            .ok_or_else(|| invalid(format!("attach(): no panel element {sel}"))),
        PanelAt::Element(e) => Ok(e),
        PanelAt::Default => match form.query_selector("[data-tiermatch-panel]").ok().flatten() {
            Some(p) => Ok(p),
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
                Ok(p)
            }
        },
    }
}

pub(super) fn attach_model(
    model: Rc<Model>,
    form: &HtmlFormElement,
    options: &JsValue,
) -> Result<Attachment, JsError> {
    let window = web_sys::window().ok_or_else(|| invalid("attach() needs a browser window"))?;
    let document = window
        .document()
        .ok_or_else(|| invalid("attach() needs a document"))?;
    let options = AttachOptions::read(options)?;
    let subject = match &options.subject {
        Some(s) => find_field(form, &[s.as_str()]),
        None => find_field(form, &["[name=subject]"]),
    }
    .ok_or_else(|| {
        invalid(format!(
            "attach(): no subject field {} in the form",
            options.subject.as_deref().unwrap_or("[name=subject]")
        ))
    })?;
    let body = match &options.body {
        Some(s) => find_field(form, &[s.as_str()]),
        None => find_field(form, &["[name=description]", "[name=body]"]),
    }
    .ok_or_else(|| {
        invalid(format!(
            "attach(): no description field {} in the form",
            options.body.as_deref().unwrap_or("[name=description]")
        ))
    })?;
    let element = panel_element(&document, form, &body, options.panel)?;
    let _ = element.set_attribute("data-tiermatch-panel", "");
    let _ = element.set_attribute("aria-live", "polite");
    let _ = element.set_attribute("role", "status");
    if !element.has_attribute("aria-label") {
        let _ = element.set_attribute("aria-label", "Suggestions");
    }
    let tier_input = hidden_input(&document, form, &options.tier_field)?;
    let conf_input = hidden_input(&document, form, &options.confidence_field)?;
    let widget = Rc::new(RefCell::new(Widget {
        model,
        window,
        form: form.clone(),
        subject,
        body,
        rich: None,
        panel: Panel::new(document, element, options.mode),
        tier_input,
        conf_input,
        mode: options.mode,
        max_sops: options.max_sops,
        debounce_ms: options.debounce_ms,
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
    // Called after the panel is placed: an editor's box that sits after the field takes the
    // default panel's place, and the panel moves after it.
    let body = widget.borrow().body.clone();
    let rich = follow_rich_text(&body, on_input.as_ref().unchecked_ref());
    widget.borrow_mut().rich = rich;
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

impl Widget {
    fn cancel_timer(&mut self) {
        if let Some(t) = self.timer.take() {
            self.window.clear_timeout_with_handle(t);
        }
    }

    /// Reads the fields, classifies, updates the hidden inputs and (when it changed) the panel.
    /// Returns the classification as a JS object (`null` for an empty form).
    fn update(&mut self) -> JsValue {
        let subject = value_of(&self.subject);
        let body = match &self.rich {
            Some(rich) => rich.text(),
            None => value_of(&self.body),
        };
        if subject.trim().is_empty() && body.trim().is_empty() {
            self.tier_input.set_value("");
            self.conf_input.set_value("");
            if !self.shown.is_empty() {
                self.shown.clear();
                self.panel.show_hint(self.mode);
            }
            return JsValue::NULL;
        }
        let text = ticket_text(&subject, &body);
        // The CLI's call, so the hidden inputs hold exactly what `classify` answers (the tier does
        // not depend on how many SOPs are asked for).
        let c = self.model.classify_text(&text, self.max_sops);
        self.tier_input.set_value(&c.tier);
        self.conf_input.set_value(&fixed4(c.confidence));
        let sops = sops_to_show(&c, self.mode);
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
        if key != self.shown {
            let options = PanelOptions {
                mode: self.mode,
                overridden_to: None,
            };
            self.panel.show(&self.model, &c, &sops, &options);
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
}
