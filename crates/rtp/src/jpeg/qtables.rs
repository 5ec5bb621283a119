//! Quantization tables for Q 1-99 (RFC 2435 Appendix A).
//!
//! The appendix starts from the example tables of T.81 Annex K (K.1 for
//! luminance, K.2 for chrominance) and scales every entry by a factor
//! that depends on Q: `5000 / Q` percent below 50, `200 - 2 Q` percent
//! from 50 up. Each scaled entry is rounded to nearest (`(t * s + 50) /
//! 100`) and limited to 1-255, so every table is 8-bit. Q outside 1-99 is
//! first clamped into that range.

use tessera_jpeg::tables::{STD_CHROMA_QUANT, STD_LUMA_QUANT, ZIGZAG};

/// One table scaled for `q`, in natural (row-major) order.
fn scaled(base: &[u16; 64], q: u8) -> [u8; 64] {
    let q = u32::from(q.clamp(1, 99));
    let percent = if q < 50 { 5000 / q } else { 200 - 2 * q };
    let mut out = [0u8; 64];
    for (o, &t) in out.iter_mut().zip(base) {
        *o = ((u32::from(t) * percent + 50) / 100).clamp(1, 255) as u8;
    }
    out
}

/// The luminance and chrominance tables RFC 2435 defines for `q` (1-99),
/// in natural order.
pub fn tables_for_q(q: u8) -> ([u8; 64], [u8; 64]) {
    (scaled(&STD_LUMA_QUANT, q), scaled(&STD_CHROMA_QUANT, q))
}

/// Natural order to zig-zag order (the order of DQT and of the RTP/JPEG
/// quantization table header).
pub fn to_zigzag(natural: &[u8; 64]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (k, &n) in ZIGZAG.iter().enumerate() {
        out[k] = natural[usize::from(n)];
    }
    out
}

/// Zig-zag order to natural order.
pub fn from_zigzag(zigzag: &[u8; 64]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (k, &n) in ZIGZAG.iter().enumerate() {
        out[usize::from(n)] = zigzag[k];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q50_is_annex_k_and_ends_clamp() {
        let (l, c) = tables_for_q(50);
        assert!(
            l.iter()
                .zip(STD_LUMA_QUANT)
                .all(|(&a, b)| u16::from(a) == b)
        );
        assert!(
            c.iter()
                .zip(STD_CHROMA_QUANT)
                .all(|(&a, b)| u16::from(a) == b)
        );
        // Q 1: 5000 % of every entry, clamped to 255.
        assert!(tables_for_q(1).0.iter().all(|&v| v == 255));
        // Q 99: 2 %: 16 -> (32 + 50) / 100 = 0 -> clamped to 1.
        assert_eq!(tables_for_q(99).0[0], 1);
        // Q 75: 50 %: 16 -> 8, 11 -> 6 (5.5 rounds up).
        assert_eq!(&tables_for_q(75).0[..2], &[8, 6]);
    }

    #[test]
    fn matches_the_jpeg_crates_ijg_scaling_for_1_to_99() {
        // An independent implementation of the same rule (IJG's), which
        // RFC 2435 Appendix A follows for Q 1-99.
        for q in 1..=99u8 {
            let (l, c) = tables_for_q(q);
            let (jl, jc) = tessera_jpeg::quality::tables_for_quality(q);
            assert!(l.iter().zip(jl.0).all(|(&a, b)| u16::from(a) == b), "Q {q}");
            assert!(c.iter().zip(jc.0).all(|(&a, b)| u16::from(a) == b), "Q {q}");
        }
    }

    #[test]
    fn zigzag_round_trips() {
        let natural: [u8; 64] = std::array::from_fn(|i| i as u8);
        let zz = to_zigzag(&natural);
        assert_eq!(&zz[..4], &[0, 1, 8, 16]);
        assert_eq!(from_zigzag(&zz), natural);
    }
}
