//! IJG-style quality scaling of the Annex K tables, and its inverse: an
//! estimate of the quality a file was written at.

use crate::coeffs::QuantTable;
use crate::tables::{STD_CHROMA_QUANT, STD_LUMA_QUANT};

/// Scales `base` for `quality` 1-100 the way the IJG library does: 50
/// keeps the table, 100 gives all ones, lower values grow it. Entries are
/// limited to 1-255 so the result stays baseline.
pub fn scale_table(base: &[u16; 64], quality: u8) -> QuantTable {
    let q = u32::from(quality.clamp(1, 100));
    let scale = if q < 50 { 5000 / q } else { 200 - 2 * q };
    let mut out = [0u16; 64];
    for (o, &b) in out.iter_mut().zip(base) {
        *o = ((u32::from(b) * scale + 50) / 100).clamp(1, 255) as u16;
    }
    QuantTable(out)
}

/// Luminance and chrominance tables for `quality` 1-100.
pub fn tables_for_quality(quality: u8) -> (QuantTable, QuantTable) {
    (
        scale_table(&STD_LUMA_QUANT, quality),
        scale_table(&STD_CHROMA_QUANT, quality),
    )
}

/// The IJG quality whose table is closest to a given one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QualityEstimate {
    /// 1-100.
    pub quality: u8,
    /// The table is exactly the scaled standard table.
    pub exact: bool,
}

/// Estimates the IJG quality of a luminance (`chroma == false`) or
/// chrominance table by finding the closest scaled Annex K table.
pub fn estimate_quality(table: &QuantTable, chroma: bool) -> QualityEstimate {
    let base = if chroma {
        &STD_CHROMA_QUANT
    } else {
        &STD_LUMA_QUANT
    };
    let mut best = (u64::MAX, 50u8);
    for q in 1..=100u8 {
        let candidate = scale_table(base, q);
        let err: u64 = candidate
            .0
            .iter()
            .zip(&table.0)
            .map(|(&a, &b)| {
                let d = i64::from(a) - i64::from(b);
                (d * d) as u64
            })
            .sum();
        if err < best.0 {
            best = (err, q);
        }
    }
    QualityEstimate {
        quality: best.1,
        exact: best.0 == 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_matches_ijg() {
        assert_eq!(scale_table(&STD_LUMA_QUANT, 50).0, STD_LUMA_QUANT);
        assert!(scale_table(&STD_LUMA_QUANT, 100).0.iter().all(|&q| q == 1));
        // Quality 75: scale 50, 16 -> 8, 11 -> 6 (rounded).
        let q75 = scale_table(&STD_LUMA_QUANT, 75);
        assert_eq!(q75.0[0], 8);
        assert_eq!(q75.0[1], 6);
        // Quality 1 saturates at 255.
        assert!(scale_table(&STD_LUMA_QUANT, 1).0.iter().all(|&q| q == 255));
    }

    #[test]
    fn estimate_inverts_scaling() {
        for q in [10u8, 25, 50, 75, 90, 95] {
            let (l, c) = tables_for_quality(q);
            let e = estimate_quality(&l, false);
            assert!(e.exact);
            assert_eq!(scale_table(&STD_LUMA_QUANT, e.quality), l);
            assert!(estimate_quality(&c, true).exact);
        }
    }
}
