//! 8-bit weights and idf: a quarter of the float model's size, which keeps the browser download
//! within its budget at no measured cost in accuracy.

use crate::features::FeatureConfig;

/// Float weights before quantization, as training produces them.
#[derive(Debug, Clone)]
pub struct LinearWeights {
    /// Class labels.
    pub labels: Vec<String>,
    /// Feature settings.
    pub features: FeatureConfig,
    /// Feature hashes, ascending.
    pub hashes: Vec<u32>,
    /// idf per feature.
    pub idf: Vec<f32>,
    /// Feature-major weights.
    pub weights: Vec<f32>,
    /// Bias per label.
    pub bias: Vec<f32>,
}

impl LinearWeights {
    /// Quantizes to the stored form. Each feature's weights are first centred across labels (which
    /// changes no softmax output), then stored as 8-bit integers with one scale per label.
    pub fn quantize(&self) -> Quantized {
        let c = self.labels.len();
        let mut w = self.weights.clone();
        for row in w.chunks_mut(c) {
            let mean = row.iter().sum::<f32>() / c as f32;
            row.iter_mut().for_each(|x| *x -= mean);
        }
        let mut scales = vec![0f32; c];
        for row in w.chunks(c) {
            for (l, x) in row.iter().enumerate() {
                scales[l] = scales[l].max(x.abs());
            }
        }
        for s in scales.iter_mut() {
            *s = if *s > 0.0 { *s / 127.0 } else { 1.0 };
        }
        let q: Vec<i8> = w
            .chunks(c)
            .flat_map(|row| {
                row.iter()
                    .enumerate()
                    .map(|(l, x)| (x / scales[l]).round().clamp(-127.0, 127.0) as i8)
                    .collect::<Vec<_>>()
            })
            .collect();
        let lo = self.idf.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = self.idf.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let (lo, step) = if self.idf.is_empty() {
            (0.0, 1.0)
        } else {
            (lo, ((hi - lo) / 255.0).max(1e-6))
        };
        let idf_q = self
            .idf
            .iter()
            .map(|x| ((x - lo) / step).round().clamp(0.0, 255.0) as u8)
            .collect();
        Quantized {
            weights_q: q,
            scales,
            idf_q,
            idf_min: lo,
            idf_step: step,
        }
    }
}

/// The stored form of [`LinearWeights`]: what the model file keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantized {
    /// Weights, feature-major: `q * scales[label]`.
    pub weights_q: Vec<i8>,
    /// Weight scale per label.
    pub scales: Vec<f32>,
    /// idf per feature: `idf_min + q * idf_step`.
    pub idf_q: Vec<u8>,
    /// Smallest idf.
    pub idf_min: f32,
    /// idf quantization step.
    pub idf_step: f32,
}
