//! # tiermatch
//!
//! Ticket triage for MSP client portals: classify a ticket into L1/L2/L3 (or any label set an MSP
//! trains), with calibrated confidence and the words that drove the answer, and suggest the best
//! matching SOPs. The same small model file runs natively (CLI) and in the browser (WASM).
//!
//! ```
//! use tiermatch::{Model, train::{train, TrainOptions}, data::Row};
//! let row = |t: &str, l: &str| Row { path: "x".into(), line: 0, id: None, text: t.into(), label: l.into() };
//! let rows: Vec<Row> = (0..6).flat_map(|i| [
//!     row(&format!("forgot my password again {i}"), "L1"),
//!     row(&format!("password expired cannot log in {i}"), "L1"),
//!     row(&format!("whole office internet down {i}"), "L3"),
//!     row(&format!("server down nobody can work {i}"), "L3"),
//! ]).collect();
//! let opts = TrainOptions { folds: 2, threads: 1, ..TrainOptions::default() };
//! let (model, _report) = train(&rows, vec![], &opts).unwrap();
//! let bytes = model.to_bytes();
//! let model = Model::from_bytes(&bytes).unwrap();
//! let answer = model.classify("internet down", "the whole office is offline");
//! assert_eq!(answer.tier, "L3");
//! ```

#![warn(missing_docs)]

mod answer;
mod classify;
mod cues;
mod decimal;
mod error;
mod features;
pub mod metrics;
pub mod model;
mod relevance;
mod sop;
#[cfg(feature = "train")]
mod sop_import;
mod text;

#[cfg(feature = "train")]
pub mod data;
#[cfg(feature = "train")]
pub mod train;

#[cfg(feature = "cli")]
pub mod report;

#[cfg(any(feature = "wasm", test))]
pub mod wasm;

pub use answer::{Classification, Scores, Ticket};
pub use classify::DEFAULT_SOPS;
pub use cues::RubricParams;
pub use decimal::decimal4;
pub use error::{Error, Result};
pub use features::FeatureConfig;
pub use model::Model;
pub use sop::{Audience, SUMMARY_CHARS, Sop, SopIndex, SopMatch};
#[cfg(feature = "train")]
pub use sop_import::ArticleDefaults;
pub use text::normalize;
