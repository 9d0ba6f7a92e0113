//! The JavaScript view of the values that cross the boundary: the TypeScript declarations
//! (`types.d.ts`, hand-written so a JS object reads as the CLI's JSON line) and the one value only
//! JavaScript sees ([`VersionInfo`]), held together by a native test so the two cannot drift.

use crate::model::{FORMAT_VERSION, Model, TrainMeta};

/// The declarations added to the package's `.d.ts`; the test below reads the same file.
#[cfg(feature = "wasm")]
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("types.d.ts");

/// What `TierMatch.version` returns: versions of this package and of the model file, the labels
/// and the training metadata.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct VersionInfo<'a> {
    crate_version: &'a str,
    format_version: u16,
    model_crate_version: &'a str,
    labels: &'a [String],
    sop_count: usize,
    meta: MetaJs<'a>,
}

impl<'a> VersionInfo<'a> {
    pub(super) fn of(model: &'a Model) -> Self {
        VersionInfo {
            crate_version: env!("CARGO_PKG_VERSION"),
            format_version: FORMAT_VERSION,
            model_crate_version: &model.payload().crate_version,
            labels: model.labels(),
            sop_count: model.sop_index().len(),
            meta: model.meta().into(),
        }
    }
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

impl<'a> From<&'a TrainMeta> for MetaJs<'a> {
    fn from(m: &'a TrainMeta) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use std::collections::{BTreeMap, BTreeSet};

    /// One declared field of an interface.
    struct Field {
        optional: bool,
        ty: String,
    }

    /// The interfaces of `types.d.ts`, and which of their fields a checked value has had.
    struct Declarations {
        interfaces: BTreeMap<String, BTreeMap<String, Field>>,
        seen: BTreeSet<String>,
    }

    impl Declarations {
        /// Parses the `export interface NAME { field?: type; ... }` blocks, comments removed.
        fn read() -> Declarations {
            let mut text = include_str!("types.d.ts").to_string();
            while let Some(start) = text.find("/*") {
                let end = start + text[start..].find("*/").expect("closed comment") + 2;
                text.replace_range(start..end, "");
            }
            let mut interfaces = BTreeMap::new();
            for block in text.split("export interface ").skip(1) {
                let (name, rest) = block.split_once('{').expect("interface body");
                let body = &rest[..rest.find('}').expect("interface end")];
                let fields = body
                    .split(';')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(|f| {
                        let (name, ty) = f.split_once(':').expect("name: type");
                        let name = name.trim();
                        let field = Field {
                            optional: name.ends_with('?'),
                            ty: ty.trim().to_string(),
                        };
                        (name.trim_end_matches('?').to_string(), field)
                    })
                    .collect();
                interfaces.insert(name.trim().to_string(), fields);
            }
            Declarations {
                interfaces,
                seen: BTreeSet::new(),
            }
        }

        /// Whether `v` has the TypeScript type `ty` (primitives, string literals, unions, `T[]`,
        /// `Record<string, T>` and the interfaces declared here).
        fn check(&mut self, ty: &str, v: &Value) -> Result<(), String> {
            let ty = ty.trim();
            let fits = if ty.contains('|') {
                ty.split('|').any(|t| self.check(t, v).is_ok())
            } else if let Some(item) = ty.strip_suffix("[]") {
                let items = v.as_array().ok_or_else(|| format!("{v} is not {ty}"))?;
                items.iter().try_for_each(|x| self.check(item, x))?;
                true
            } else if let Some(item) = ty
                .strip_prefix("Record<string,")
                .and_then(|t| t.strip_suffix('>'))
            {
                let map = v.as_object().ok_or_else(|| format!("{v} is not {ty}"))?;
                map.values().try_for_each(|x| self.check(item, x))?;
                true
            } else if let Some(lit) = ty.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                v.as_str() == Some(lit)
            } else {
                match ty {
                    "string" => v.is_string(),
                    "number" => v.is_number(),
                    "boolean" => v.is_boolean(),
                    "null" => v.is_null(),
                    name => return self.check_interface(name, v),
                }
            };
            if fits {
                Ok(())
            } else {
                Err(format!("{v} is not {ty}"))
            }
        }

        /// Whether `v` is an object with exactly the fields of interface `name`, each of its type;
        /// records the fields it has.
        fn check_interface(&mut self, name: &str, v: &Value) -> Result<(), String> {
            let obj = v
                .as_object()
                .ok_or_else(|| format!("{v} is not an object ({name})"))?;
            let fields = self
                .interfaces
                .get(name)
                .ok_or_else(|| format!("types.d.ts declares no interface {name}"))?;
            if let Some(extra) = obj.keys().find(|k| !fields.contains_key(*k)) {
                return Err(format!(
                    "{name} in types.d.ts lacks the field {extra:?} of {v}"
                ));
            }
            let mut present = Vec::new();
            for (key, field) in fields {
                match obj.get(key) {
                    Some(x) => present.push((key.clone(), field.ty.clone(), x)),
                    None if field.optional => {}
                    None => return Err(format!("{name}.{key} is declared but missing from {v}")),
                }
            }
            for (key, ty, x) in present {
                self.check(&ty, x)
                    .map_err(|e| format!("{name}.{key}: {e}"))?;
                self.seen.insert(format!("{name}.{key}"));
            }
            Ok(())
        }
    }

    /// Everything the package returns to JavaScript, serialized from the bundled model, has exactly
    /// the fields and JSON types its interface declares, and every declared field occurs.
    #[test]
    fn the_typescript_declarations_match_what_the_rust_types_serialize() {
        let m = Model::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("model/tiermatch.model"),
        )
        .expect("bundled model");
        let mut values: Vec<(&str, Value)> = Vec::new();
        for (id, text) in [
            (
                Some("t-1"),
                "Password expired, cannot log in. Windows says my password has expired.",
            ),
            (
                None,
                "All our files are encrypted and there is a note asking for bitcoin",
            ),
            (None, ""),
        ] {
            let mut c = m.classify_text(text, crate::classify::DEFAULT_SOPS);
            c.id = id.map(String::from);
            values.push(("Classification", serde_json::to_value(&c).unwrap()));
        }
        let matches = m.search_sops("forgot my password, ERP account locked", 10);
        values.push(("SopMatch[]", serde_json::to_value(&matches).unwrap()));
        values.push(("Sop[]", serde_json::to_value(m.sop_index().sops()).unwrap()));
        values.push((
            "VersionInfo",
            serde_json::to_value(VersionInfo::of(&m)).unwrap(),
        ));
        let mut d = Declarations::read();
        for (ty, v) in &values {
            d.check(ty, v).unwrap_or_else(|e| panic!("{ty}: {e}"));
        }
        for name in [
            "Classification",
            "SopMatch",
            "Sop",
            "VersionInfo",
            "TrainMeta",
        ] {
            for key in d.interfaces[name].keys() {
                let field = format!("{name}.{key}");
                assert!(
                    d.seen.contains(&field),
                    "{field} is declared but the Rust type never writes it"
                );
            }
        }
    }

    #[test]
    fn the_check_rejects_a_field_the_declarations_lack_or_a_wrong_type() {
        let mut d = Declarations::read();
        let sop =
            json!({"id": "a", "title": "A", "score": 0.5, "tier": "L1", "audience": "client"});
        assert!(d.check("SopMatch", &sop).is_ok());
        let mut extra = sop.clone();
        extra["rank"] = json!(1);
        assert!(d.check("SopMatch", &extra).is_err());
        let mut wrong = sop.clone();
        wrong["audience"] = json!("everyone");
        assert!(d.check("SopMatch", &wrong).is_err());
        let mut missing = sop;
        missing.as_object_mut().unwrap().remove("tier");
        assert!(d.check("SopMatch", &missing).is_err());
    }
}
