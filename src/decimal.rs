//! Four-decimal numbers: one rounding rule for every probability and score an answer shows, so the
//! CLI's JSON text, the JS object and the hidden form fields carry the same decimals.

/// `x` in whole ten-thousandths, rounded half away from zero (in `f32`, as answers are computed).
pub fn ten_thousandths(x: f32) -> i32 {
    (x * 10_000.0).round() as i32
}

/// `x` rounded to four decimals, kept as an `f32`.
pub fn round4(x: f32) -> f32 {
    ten_thousandths(x) as f32 / 10_000.0
}

/// `x` rounded to four decimals, as the `f64` nearest that decimal. Every serializer then shows the
/// same number: JSON text prints `0.91` either way, and serde-wasm-bindgen's JS number is the one
/// `JSON.parse("0.91")` gives, not the widened `f32` `0.9100000262260437`.
pub fn decimal4(x: f32) -> f64 {
    ten_thousandths(x) as f64 / 10_000.0
}

/// `serialize_with` form of [`decimal4`].
pub fn serialize<S: serde::Serializer>(x: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(decimal4(*x))
}

/// `serialize_with` form of [`decimal4`] for an optional number (`None` as `null`).
pub fn serialize_option<S: serde::Serializer>(x: &Option<f32>, s: S) -> Result<S::Ok, S::Error> {
    match x {
        Some(x) => s.serialize_some(&decimal4(*x)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_the_nearest_decimal() {
        assert_eq!(round4(0.912_34), 0.9123);
        assert_eq!(round4(0.912_36), 0.9124);
        assert_eq!(decimal4(0.91), 0.91);
        assert_eq!(decimal4(round4(1.0 / 3.0)), 0.3333);
        assert_eq!(ten_thousandths(0.000_05), 1);
        assert_eq!(decimal4(-0.25), -0.25);
        // the f64 is the decimal's own, not the widened f32
        assert_ne!(0.91f32 as f64, 0.91);
        assert_eq!(decimal4(0.91f32).to_string(), "0.91");
    }
}
