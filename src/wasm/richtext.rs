//! The rich-text editor that may stand in for a form's description field (CKEditor in Request
//! Tracker, a contenteditable box in newer portals): attach() reads and follows it, because the
//! field it hides holds the text only once the form is submitted. The editor is reached through
//! its own JavaScript API, so the following is done in `richtext.js`.

use wasm_bindgen::prelude::*;
use web_sys::Element;

#[wasm_bindgen(module = "/src/wasm/richtext.js")]
extern "C" {
    /// A followed editor.
    pub(super) type RichText;

    /// The editor standing in for `field`, calling `on_change` after each change; None for a
    /// plain field.
    #[wasm_bindgen(js_name = followRichText)]
    pub(super) fn follow_rich_text(
        field: &Element,
        on_change: &js_sys::Function,
    ) -> Option<RichText>;

    /// What the editor shows, as plain text.
    #[wasm_bindgen(method)]
    pub(super) fn text(this: &RichText) -> String;

    /// Stops calling `on_change`.
    #[wasm_bindgen(method)]
    pub(super) fn stop(this: &RichText);
}
