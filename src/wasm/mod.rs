//! The browser binding (feature `wasm`): the `TierMatch` class for JavaScript, `attach()`, the
//! intake-form widget, and the suggestion panel both draw, built with web-sys.
//!
//! Thin by design: every answer comes from the core ([`Model::classify`](crate::Model::classify),
//! [`SopIndex::search`](crate::SopIndex::search)); this module only moves values across the
//! boundary and draws the panel. Results cross as plain JS objects with exactly the fields and the
//! numbers of the CLI's JSON line; errors become `JsError`s carrying the core error's message.
//! What the loaded model is, is a getter (`labels`, `version`, `modelCrateVersion`, `sops`), what
//! takes a ticket is a method, and every method that takes a ticket takes a `Ticket` or a string.
//!
//! Only `types` is also built natively, for tests, so its test can hold the hand-written
//! TypeScript declarations against the values the Rust types serialize to.

#[cfg(feature = "wasm")]
mod attach;
#[cfg(feature = "wasm")]
mod js;
#[cfg(feature = "wasm")]
mod panel;
#[cfg(feature = "wasm")]
mod richtext;
#[cfg(feature = "wasm")]
mod tiermatch;
mod types;

#[cfg(feature = "wasm")]
pub use attach::{Attachment, attach};
#[cfg(feature = "wasm")]
pub use tiermatch::{TierMatch, crate_version, format_version};
