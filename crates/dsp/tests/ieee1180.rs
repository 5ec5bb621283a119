//! IEEE Std 1180-1990 accuracy test of the inverse DCT, full procedure:
//! for each of the ranges [-256, 255], [-5, 5], [-300, 300] and both signs,
//! 10 000 blocks of the standard's pseudo-random "pixel" data are forward
//! transformed in double precision, rounded and clipped to [-2048, 2047];
//! the IDCT under test and the double-precision IDCT (rounded) then run on
//! those coefficients, both outputs clipped to [-256, 255], and the error
//! statistics must meet the standard's limits. Run against the dispatched
//! kernels and the scalar kernels explicitly (and AVX2 where present).

mod common;

use tessera_dsp::dct::{fdct_8x8_f64, idct_8x8_f64};

/// The random number generator of IEEE 1180-1990: a 32-bit linear
/// congruential generator, scaled to `-l..=h`.
struct IeeeRand {
    randx: i32,
}

impl IeeeRand {
    fn new() -> Self {
        Self { randx: 1 }
    }

    fn next(&mut self, l: i32, h: i32) -> i32 {
        const Z: f64 = 0x7fff_ffff as f64;
        self.randx = self.randx.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let i = self.randx & 0x7fff_fffe;
        let x = f64::from(i) / Z * f64::from(l + h + 1);
        x as i32 - l
    }
}

/// Rounding as the standard's reference code does it (half away from zero).
fn round(v: f64) -> i32 {
    if v < 0.0 {
        -((0.5 - v) as i32)
    } else {
        (v + 0.5) as i32
    }
}

struct Stats {
    sum_err: [i64; 64],
    sum_sq: [i64; 64],
    peak: i32,
}

fn run(l: i32, h: i32, sign: i32) -> Vec<(String, Stats)> {
    const BLOCKS: usize = 10_000;
    let tables = common::all_tables();
    let mut stats: Vec<Stats> = tables
        .iter()
        .map(|_| Stats {
            sum_err: [0; 64],
            sum_sq: [0; 64],
            peak: 0,
        })
        .collect();
    let mut rng = IeeeRand::new();
    for _ in 0..BLOCKS {
        let block: [f64; 64] = core::array::from_fn(|_| f64::from(rng.next(l, h) * sign));
        let coefs = fdct_8x8_f64(&block).map(|c| round(c).clamp(-2048, 2047));
        let coefs_f = coefs.map(f64::from);
        let reference = idct_8x8_f64(&coefs_f).map(|v| round(v).clamp(-256, 255));
        let input = coefs.map(|c| c as i16);
        for (k, st) in tables.iter().zip(&mut stats) {
            let mut out = [0i16; 64];
            (k.idct_8x8)(&input, &mut out);
            for i in 0..64 {
                let err = i32::from(out[i]).clamp(-256, 255) - reference[i];
                st.sum_err[i] += i64::from(err);
                st.sum_sq[i] += i64::from(err * err);
                st.peak = st.peak.max(err.abs());
            }
        }
    }
    tables
        .iter()
        .map(|k| k.name.to_string())
        .zip(stats)
        .collect()
}

fn check(l: i32, h: i32, sign: i32) {
    for (name, st) in run(l, h, sign) {
        let n = 10_000.0;
        let what = format!("{name} kernels, L={l} H={h} sign={sign}");
        assert!(st.peak <= 1, "{what}: peak error {}", st.peak);
        let pmse = st.sum_sq.iter().map(|&s| s as f64 / n).fold(0.0, f64::max);
        assert!(pmse <= 0.06, "{what}: worst per-pixel MSE {pmse}");
        let omse = st.sum_sq.iter().sum::<i64>() as f64 / (64.0 * n);
        assert!(omse <= 0.02, "{what}: overall MSE {omse}");
        let pme = st
            .sum_err
            .iter()
            .map(|&s| (s as f64 / n).abs())
            .fold(0.0, f64::max);
        assert!(pme <= 0.015, "{what}: worst per-pixel mean error {pme}");
        let ome = (st.sum_err.iter().sum::<i64>() as f64 / (64.0 * n)).abs();
        assert!(ome <= 0.0015, "{what}: overall mean error {ome}");
        eprintln!(
            "{what}: peak {} pmse {pmse:.4} omse {omse:.5} pme {pme:.4} ome {ome:.6}",
            st.peak
        );
    }
}

#[test]
fn range_256_255_positive() {
    check(256, 255, 1);
}

#[test]
fn range_256_255_negative() {
    check(256, 255, -1);
}

#[test]
fn range_5_5_positive() {
    check(5, 5, 1);
}

#[test]
fn range_5_5_negative() {
    check(5, 5, -1);
}

#[test]
fn range_300_300_positive() {
    check(300, 300, 1);
}

#[test]
fn range_300_300_negative() {
    check(300, 300, -1);
}

#[test]
fn zero_input_gives_zero_output() {
    for k in common::all_tables() {
        let mut out = [7i16; 64];
        (k.idct_8x8)(&[0; 64], &mut out);
        assert_eq!(out, [0; 64], "{}", k.name);
    }
}

#[test]
fn generator_matches_the_standard() {
    // First values of the standard's generator for L=256, H=255, from a
    // direct evaluation of its definition (randx starts at 1).
    let mut r = IeeeRand::new();
    let mut randx: i64 = 1;
    for _ in 0..1000 {
        randx = (randx * 1_103_515_245 + 12_345) & 0xffff_ffff;
        let i = randx & 0x7fff_fffe;
        let want = ((i as f64 / 2_147_483_647.0) * 512.0) as i64 - 256;
        assert_eq!(i64::from(r.next(256, 255)), want);
    }
}
