//! The `TierMatch` class: a loaded model as JavaScript sees it, so a page can classify, search
//! the SOPs and draw the panel without knowing the model's insides.

use super::attach::{Attachment, attach_model};
use super::js::{field, invalid, js_err, to_js};
use super::panel::{Panel, PanelOptions, sops_to_show};
use super::types::VersionInfo;
use crate::answer::Ticket;
use crate::classify::DEFAULT_SOPS;
use crate::model::{FORMAT_VERSION, Model};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlFormElement};

/// A ticket as a page passes it: a string, or `{id?, subject?, body?, text?}`.
struct TicketIn {
    id: Option<String>,
    text: String,
}

impl TicketIn {
    /// Reads the ticket argument of `caller` (`classify()`, `searchSops()`).
    fn read(ticket: &JsValue, caller: &str) -> Result<TicketIn, JsError> {
        if let Some(text) = ticket.as_string() {
            return Ok(TicketIn { id: None, text });
        }
        if !ticket.is_object() {
            return Err(invalid(format!(
                "{caller} takes a ticket object {{subject, body}} or a string"
            )));
        }
        let t = Ticket {
            id: field(ticket, "id"),
            subject: field(ticket, "subject"),
            body: field(ticket, "body"),
            text: field(ticket, "text"),
        };
        if t.is_blank() {
            return Err(invalid(
                "the ticket has no \"subject\", \"body\" or \"text\" field",
            ));
        }
        Ok(TicketIn {
            text: t.full_text(),
            id: t.id,
        })
    }
}

/// A loaded tiermatch model, for JavaScript.
#[wasm_bindgen(js_name = TierMatch)]
pub struct TierMatch {
    pub(super) model: Rc<Model>,
}

#[wasm_bindgen(js_class = TierMatch)]
impl TierMatch {
    /// Loads a model from the bytes of a model file; throws an `Error` naming the cause (bad
    /// magic, unsupported version, truncated, checksum mismatch, inconsistent payload).
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<TierMatch, JsError> {
        // Loading the bundled model takes about 16 bytes of heap per byte of model file. Taking
        // it in one step and handing it back to the allocator grows the linear memory once
        // instead of ~16 times. Only for what looks like a model file, at most 32 MiB, and never
        // fatal: a wrong file still gets its error, not a trap.
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
        let ticket = TicketIn::read(&ticket, "classify()")?;
        let mut c = self.model.classify_text(&ticket.text, DEFAULT_SOPS);
        c.id = ticket.id;
        Ok(to_js(&c))
    }

    /// The best `k` SOPs (default 3) for a ticket or a text (all audiences), best first.
    #[wasm_bindgen(js_name = searchSops, unchecked_return_type = "SopMatch[]")]
    pub fn search_sops(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Ticket | string")] ticket: JsValue,
        k: Option<usize>,
    ) -> Result<JsValue, JsError> {
        let ticket = TicketIn::read(&ticket, "searchSops()")?;
        let k = k.unwrap_or(DEFAULT_SOPS);
        Ok(to_js(&self.model.search_sops(&ticket.text, k)))
    }

    /// Draws the suggestion panel `attach()` shows for a ticket into `element`, replacing what it
    /// held: in `"staff"` mode tier, confidence, abstain, reasons and matching SOPs; in `"client"`
    /// mode (the default) self-help SOPs with their summaries.
    #[wasm_bindgen(js_name = renderPanel)]
    pub fn render_panel(
        &self,
        element: &Element,
        #[wasm_bindgen(unchecked_param_type = "Ticket | string")] ticket: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "PanelOptions")] options: JsValue,
    ) -> Result<(), JsError> {
        let ticket = TicketIn::read(&ticket, "renderPanel()")?;
        let options = PanelOptions::read(&options)?;
        let document = element
            .owner_document()
            .ok_or_else(|| invalid("renderPanel(): the element has no document"))?;
        let panel = Panel::new(document, element.clone(), options.mode);
        if ticket.text.trim().is_empty() {
            panel.show_hint(options.mode);
            return Ok(());
        }
        let c = self.model.classify_text(&ticket.text, DEFAULT_SOPS);
        let sops = sops_to_show(&c, options.mode);
        panel.show(&self.model, &c, &sops, &options);
        Ok(())
    }

    /// The model's SOP library.
    #[wasm_bindgen(getter, unchecked_return_type = "Sop[]")]
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
        to_js(&VersionInfo::of(&self.model))
    }

    /// Wires a form to this model; see the free function `attach`.
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
