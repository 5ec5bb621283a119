//! Helpers shared by the integration tests.

#![allow(dead_code)]

use tessera_dsp::Kernels;

/// SplitMix64: a small deterministic generator.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i32
    }
}

/// Every kernel table this machine can run: scalar, the dispatched one, and
/// AVX2 when present.
pub fn all_tables() -> Vec<Kernels> {
    let mut t = vec![Kernels::scalar(), *tessera_dsp::kernels()];
    t.extend(Kernels::avx2());
    t
}
