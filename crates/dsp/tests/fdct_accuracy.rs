//! The forward DCT against a double-precision T.81 A.3.3 reference: on
//! 8-bit input, every coefficient is within 1 of the rounded exact value.

mod common;

use common::Rng;
use tessera_dsp::dct::{fdct_8x8_f64, idct_8x8_f64};

fn check_u8(px: &[u8; 64], worst: &mut f64, mismatches: &mut u64) {
    let shifted = px.map(|p| f64::from(p) - 128.0);
    let exact = fdct_8x8_f64(&shifted);
    for k in common::all_tables() {
        let mut out = [0i16; 64];
        (k.fdct_8x8_u8)(px, 8, &mut out);
        let mut out2 = [0i16; 64];
        (k.fdct_8x8)(&px.map(|p| i16::from(p) - 128), &mut out2);
        assert_eq!(out, out2, "{}: u8 and i16 entry points differ", k.name);
        for i in 0..64 {
            let e = (f64::from(out[i]) - exact[i]).abs();
            *worst = worst.max(e);
            if f64::from(out[i]) != exact[i].round() {
                *mismatches += 1;
            }
            assert!(
                (i32::from(out[i]) - exact[i].round() as i32).abs() <= 1,
                "{}: coefficient {i} is {} exact {}",
                k.name,
                out[i],
                exact[i]
            );
        }
    }
}

#[test]
fn fdct_within_one_on_random_8bit_blocks() {
    let mut rng = Rng(11);
    let (mut worst, mut mism) = (0.0, 0);
    for i in 0..20_000 {
        let px: [u8; 64] = match i % 4 {
            0 => core::array::from_fn(|_| rng.next_u64() as u8),
            1 => core::array::from_fn(|_| if rng.next_u64() & 1 == 0 { 0 } else { 255 }),
            2 => {
                let base = rng.range(0, 255);
                core::array::from_fn(|_| (base + rng.range(-8, 8)).clamp(0, 255) as u8)
            }
            _ => {
                let (a, b) = (rng.range(0, 255), rng.range(0, 255));
                core::array::from_fn(|j| {
                    ((a * (j as i32 % 8) + b * (j as i32 / 8)) / 7).clamp(0, 255) as u8
                })
            }
        };
        check_u8(&px, &mut worst, &mut mism);
    }
    eprintln!("worst |fdct - exact| = {worst:.3}, {mism} coefficients off the rounded value");
    assert!(worst < 1.0);
}

#[test]
fn fdct_extreme_patterns() {
    let (mut worst, mut mism) = (0.0, 0);
    // Checkerboards and stripes at full swing hit the largest coefficients.
    for pattern in 0..8u32 {
        let px: [u8; 64] = core::array::from_fn(|j| {
            let (y, x) = (j as u32 / 8, j as u32 % 8);
            let on = match pattern {
                0 => (x + y) % 2 == 0,
                1 => x % 2 == 0,
                2 => y % 2 == 0,
                3 => x < 4,
                4 => y < 4,
                5 => (x / 2 + y / 2) % 2 == 0,
                6 => true,
                _ => false,
            };
            if on { 255 } else { 0 }
        });
        check_u8(&px, &mut worst, &mut mism);
        let inv = px.map(|p| 255 - p);
        check_u8(&inv, &mut worst, &mut mism);
    }
}

#[test]
fn fdct_nine_bit_input_within_one() {
    let mut rng = Rng(12);
    for _ in 0..5_000 {
        let s: [i16; 64] = core::array::from_fn(|_| rng.range(-256, 255) as i16);
        let exact = fdct_8x8_f64(&s.map(f64::from));
        for k in common::all_tables() {
            let mut out = [0i16; 64];
            (k.fdct_8x8)(&s, &mut out);
            for i in 0..64 {
                assert!(
                    (f64::from(out[i]) - exact[i]).abs() < 1.0,
                    "{} coef {i}",
                    k.name
                );
            }
        }
    }
}

#[test]
fn forward_then_inverse_reconstructs() {
    let mut rng = Rng(13);
    for _ in 0..5_000 {
        let px: [u8; 64] = core::array::from_fn(|_| rng.next_u64() as u8);
        for k in common::all_tables() {
            let mut c = [0i16; 64];
            (k.fdct_8x8_u8)(&px, 8, &mut c);
            let mut back = [0u8; 64];
            (k.dequant_idct_put)(&c, &[1; 64], &mut back, 8);
            for i in 0..64 {
                assert!(px[i].abs_diff(back[i]) <= 1, "{}", k.name);
            }
        }
    }
}

#[test]
fn reference_pair_is_inverse() {
    let mut rng = Rng(14);
    let s: [f64; 64] = core::array::from_fn(|_| f64::from(rng.range(-128, 127)));
    let back = idct_8x8_f64(&fdct_8x8_f64(&s));
    for i in 0..64 {
        assert!((back[i] - s[i]).abs() < 1e-9);
    }
}
