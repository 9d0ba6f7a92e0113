//! Moving values across the boundary: core errors to `JsError`s, Rust values to plain JS objects,
//! and fields out of the objects a page passes in.

use crate::error::Error;
use wasm_bindgen::prelude::*;

pub(super) fn js_err(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

pub(super) fn invalid(reason: impl Into<String>) -> JsError {
    js_err(Error::InvalidInput {
        reason: reason.into(),
    })
}

/// Converts to plain JS values with serde-wasm-bindgen, in its JSON-compatible form (objects for
/// maps, `null` for `None`): the same object `JSON.parse` of the CLI's line gives, since every
/// rounded number is serialized as its decimal ([`crate::decimal::decimal4`]).
pub(super) fn to_js<T: serde::Serialize + ?Sized>(v: &T) -> JsValue {
    serde::Serialize::serialize(v, &serde_wasm_bindgen::Serializer::json_compatible())
        .expect("plain data converts to JS values")
}

/// Property `key` of `obj`; None when `obj` is not an object (or the lookup throws).
pub(super) fn prop(obj: &JsValue, key: &str) -> Option<JsValue> {
    if !obj.is_object() {
        return None;
    }
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).ok()
}

/// A field of a JS object as a string: strings as they are, other values as JSON, absent as None.
pub(super) fn field(obj: &JsValue, key: &str) -> Option<String> {
    let v = prop(obj, key)?;
    if v.is_undefined() || v.is_null() {
        return None;
    }
    v.as_string()
        .or_else(|| js_sys::JSON::stringify(&v).ok().map(String::from))
}

/// An option that is a string; None when absent or of another type.
pub(super) fn opt_string(options: &JsValue, key: &str) -> Option<String> {
    prop(options, key).and_then(|v| v.as_string())
}

/// An option that is a finite number `>= 0`; None when absent or anything else.
pub(super) fn opt_number(options: &JsValue, key: &str) -> Option<f64> {
    prop(options, key)
        .and_then(|v| v.as_f64())
        .filter(|x| x.is_finite() && *x >= 0.0)
}
