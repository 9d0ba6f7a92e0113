//! Held-out scores kept row after row in flat arrays: cross-validation scores every ticket once
//! per smoothing value, and millions of tickets must not cost an allocation each.

/// One fold's held-out rows' scores from the fit of one smoothing value on the other folds.
pub(crate) struct HeldOut {
    /// The base model's raw scores, `labels` per row.
    pub logits: Vec<f32>,
    /// The stacker's inputs (empty when not stacking), the same number per row.
    pub stack_inputs: Vec<f32>,
}

/// Every row's held-out scores for one smoothing value, row after row in flat arrays.
pub(crate) struct OutOfFold {
    logits: Vec<f32>,
    stack_inputs: Vec<f32>,
    /// Scores per row: the number of labels.
    labels: usize,
}

impl OutOfFold {
    /// Room for `rows` rows of `labels` scores and of as many stacker inputs a row as the fold
    /// scores `held` of `held_rows` rows have.
    pub fn new(rows: usize, labels: usize, held: &HeldOut, held_rows: usize) -> OutOfFold {
        let width = held.stack_inputs.len() / held_rows.max(1);
        OutOfFold {
            logits: vec![0.0; rows * labels],
            stack_inputs: vec![0.0; rows * width],
            labels,
        }
    }

    /// Puts a fold's scores of the rows `ix` (in that order) in their rows' places.
    pub fn put(&mut self, ix: &[usize], held: &HeldOut) {
        let c = self.labels;
        let rows = self.logits.len() / c;
        let width = self.stack_inputs.len() / rows.max(1);
        for (k, &i) in ix.iter().enumerate() {
            self.logits[i * c..(i + 1) * c].copy_from_slice(&held.logits[k * c..(k + 1) * c]);
            self.stack_inputs[i * width..(i + 1) * width]
                .copy_from_slice(&held.stack_inputs[k * width..(k + 1) * width]);
        }
    }

    /// Per row, its raw scores.
    pub fn logit_rows(&self) -> Vec<Vec<f32>> {
        self.logits
            .chunks(self.labels)
            .map(<[f32]>::to_vec)
            .collect()
    }

    /// Per row, the stacker's inputs.
    pub fn stack_input_rows(&self) -> Vec<Vec<f32>> {
        let rows = self.logits.len() / self.labels;
        let width = self.stack_inputs.len() / rows.max(1);
        self.stack_inputs
            .chunks(width.max(1))
            .map(<[f32]>::to_vec)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_scores_land_in_their_rows() {
        // two folds of a five-row set, two labels, three stacker inputs a row
        let a = HeldOut {
            logits: vec![1.0, 2.0, 3.0, 4.0],
            stack_inputs: vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        };
        let b = HeldOut {
            logits: vec![5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
            stack_inputs: (7..16).map(|x| x as f32 / 10.0).collect(),
        };
        let mut o = OutOfFold::new(5, 2, &a, 2);
        o.put(&[3, 0], &a);
        o.put(&[1, 2, 4], &b);
        assert_eq!(
            o.logit_rows(),
            vec![
                vec![3.0, 4.0],
                vec![5.0, 6.0],
                vec![7.0, 8.0],
                vec![1.0, 2.0],
                vec![9.0, 10.0]
            ]
        );
        let s = o.stack_input_rows();
        assert_eq!(s[3], vec![0.1, 0.2, 0.3]);
        assert_eq!(s[0], vec![0.4, 0.5, 0.6]);
        assert_eq!(s[4], vec![1.3, 1.4, 1.5]);
    }
}
