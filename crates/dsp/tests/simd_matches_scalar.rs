//! The AVX2 kernels must give exactly the scalar results, on every kind of
//! input (including hostile full-range values, where both wrap the same).

mod common;

use common::Rng;
use tessera_dsp::Kernels;

fn avx2_or_skip() -> Option<Kernels> {
    let k = Kernels::avx2();
    if k.is_none() {
        eprintln!("no AVX2 on this CPU: nothing to compare");
    }
    k
}

/// Blocks of several shapes: full-range noise, typical coefficients,
/// DC-only, sparse, and extremes.
fn block(rng: &mut Rng, i: usize) -> [i16; 64] {
    let mut b = [0i16; 64];
    match i % 7 {
        0 => b = core::array::from_fn(|_| rng.next_u64() as i16),
        1 => b = core::array::from_fn(|_| rng.range(-1024, 1023) as i16),
        2 => b[0] = rng.next_u64() as i16,
        3 => {
            for _ in 0..rng.range(1, 6) {
                b[rng.range(0, 63) as usize] = rng.range(-300, 300) as i16;
            }
        }
        4 => {
            b = core::array::from_fn(|_| {
                if rng.next_u64() & 1 == 0 {
                    i16::MIN
                } else {
                    i16::MAX
                }
            })
        }
        _ => b = core::array::from_fn(|_| rng.range(-256, 255) as i16),
    }
    b
}

fn quant(rng: &mut Rng, i: usize) -> [u16; 64] {
    match i % 4 {
        0 => core::array::from_fn(|_| rng.range(1, 255) as u16),
        1 => core::array::from_fn(|_| rng.next_u64() as u16),
        2 => core::array::from_fn(|_| rng.range(0, 2) as u16),
        _ => [1; 64],
    }
}

#[test]
fn idct_8x8_bit_exact() {
    let Some(avx) = avx2_or_skip() else { return };
    let scalar = Kernels::scalar();
    let mut rng = Rng(1);
    for i in 0..60_000 {
        let b = block(&mut rng, i);
        let (mut s, mut v) = ([0; 64], [0; 64]);
        (scalar.idct_8x8)(&b, &mut s);
        (avx.idct_8x8)(&b, &mut v);
        assert_eq!(s, v, "block {b:?}");
    }
}

#[test]
fn fdct_8x8_bit_exact() {
    let Some(avx) = avx2_or_skip() else { return };
    let scalar = Kernels::scalar();
    let mut rng = Rng(2);
    for i in 0..60_000 {
        let b = block(&mut rng, i);
        let (mut s, mut v) = ([0; 64], [0; 64]);
        (scalar.fdct_8x8)(&b, &mut s);
        (avx.fdct_8x8)(&b, &mut v);
        assert_eq!(s, v, "block {b:?}");
    }
}

#[test]
fn fdct_8x8_u8_bit_exact_with_strides() {
    let Some(avx) = avx2_or_skip() else { return };
    let scalar = Kernels::scalar();
    let mut rng = Rng(3);
    for i in 0..40_000 {
        let stride = 8 + (i % 5) * 3;
        let len = 7 * stride + 8;
        let px: Vec<u8> = match i % 3 {
            0 => (0..len).map(|_| rng.next_u64() as u8).collect(),
            1 => (0..len)
                .map(|_| if rng.next_u64() & 1 == 0 { 0 } else { 255 })
                .collect(),
            _ => {
                let base = rng.range(0, 255);
                (0..len)
                    .map(|_| (base + rng.range(-3, 3)).clamp(0, 255) as u8)
                    .collect()
            }
        };
        let (mut s, mut v) = ([0; 64], [0; 64]);
        (scalar.fdct_8x8_u8)(&px, stride, &mut s);
        (avx.fdct_8x8_u8)(&px, stride, &mut v);
        assert_eq!(s, v, "stride {stride} pixels {px:?}");
    }
}

#[test]
fn dequant_idct_put_bit_exact() {
    let Some(avx) = avx2_or_skip() else { return };
    let scalar = Kernels::scalar();
    let mut rng = Rng(4);
    for i in 0..80_000 {
        let b = block(&mut rng, i);
        let q = quant(&mut rng, i / 6);
        let stride = 8 + (i % 3) * 8;
        let len = 7 * stride + 8;
        // Bytes between rows must stay untouched.
        let (mut s, mut v) = (vec![0xA5u8; len], vec![0xA5u8; len]);
        (scalar.dequant_idct_put)(&b, &q, &mut s, stride);
        (avx.dequant_idct_put)(&b, &q, &mut v, stride);
        assert_eq!(s, v, "block {b:?} quant {q:?}");
        for y in 0..7 {
            assert!(
                s[y * stride + 8..(y + 1) * stride]
                    .iter()
                    .all(|&p| p == 0xA5)
            );
        }
    }
}

#[test]
fn dequant_idct_put_dc_only_shortcut_matches_full_path() {
    // A DC-only block takes the shortcut; the same block with a zero AC
    // term made nonzero-then-cancelled cannot be built, so compare against
    // idct_8x8 of the dequantized block instead (same transform, no
    // shortcut), over every DC value at a few quantizers.
    for k in common::all_tables() {
        for q0 in [1u16, 2, 5, 8, 16, 31, 64] {
            let mut quant = [1u16; 64];
            quant[0] = q0;
            for dc in -2048i16..=2047 {
                if i32::from(dc) * i32::from(q0) > i32::from(i16::MAX)
                    || i32::from(dc) * i32::from(q0) < i32::from(i16::MIN)
                {
                    continue;
                }
                let mut b = [0i16; 64];
                b[0] = dc;
                let mut px = [0u8; 64];
                (k.dequant_idct_put)(&b, &quant, &mut px, 8);
                b[0] = dc * q0 as i16;
                let mut s = [0i16; 64];
                (k.idct_8x8)(&b, &mut s);
                let want: Vec<u8> = s
                    .iter()
                    .map(|&v| (i32::from(v) + 128).clamp(0, 255) as u8)
                    .collect();
                assert_eq!(px.as_slice(), want.as_slice(), "{} dc {dc} q {q0}", k.name);
            }
        }
    }
}

#[test]
fn put_agrees_with_idct_plus_128_on_typical_blocks() {
    let mut rng = Rng(5);
    for k in common::all_tables() {
        for _ in 0..5_000 {
            let b: [i16; 64] = core::array::from_fn(|_| rng.range(-64, 64) as i16);
            let q: [u16; 64] = core::array::from_fn(|_| rng.range(1, 16) as u16);
            let mut px = [0u8; 64];
            (k.dequant_idct_put)(&b, &q, &mut px, 8);
            let mut deq = [0i16; 64];
            tessera_dsp::quant::dequantize(&b, &q, &mut deq);
            let mut s = [0i16; 64];
            (k.idct_8x8)(&deq, &mut s);
            for i in 0..64 {
                assert_eq!(
                    i32::from(px[i]),
                    (i32::from(s[i]) + 128).clamp(0, 255),
                    "{}",
                    k.name
                );
            }
        }
    }
}

#[test]
fn dispatch_is_one_of_the_tables() {
    let name = tessera_dsp::active_kernels();
    assert!(name == "avx2" || name == "scalar");
    if std::env::var_os("TESSERA_CPU").is_some_and(|v| v == "scalar") {
        assert_eq!(name, "scalar");
    } else if Kernels::avx2().is_some() {
        assert_eq!(name, "avx2");
    }
}

/// Bilinear runs over planes with and without slack after the last row,
/// through the interior (gathered) and across every edge (clamped), with
/// steps of both signs, zero, tiny and huge.
#[test]
fn bilinear_line_bit_exact() {
    use tessera_dsp::Plane;
    let Some(avx) = avx2_or_skip() else { return };
    let scalar = Kernels::scalar();
    let mut rng = Rng(7);
    let one = 1i32 << tessera_dsp::bilinear::FRAC_BITS;
    for i in 0..4000 {
        let width = rng.range(1, 70) as usize;
        let height = rng.range(1, 40) as usize;
        let stride = width + rng.range(0, 5) as usize;
        // Slack 0 keeps the last row's gathers out (they need 2 bytes).
        let slack = rng.range(0, 3) as usize;
        let data: Vec<u8> = (0..(height - 1) * stride + width + slack)
            .map(|_| match i % 3 {
                0 => rng.next_u64() as u8,
                1 => [0, 255][(rng.next_u64() & 1) as usize],
                _ => rng.range(100, 140) as u8,
            })
            .collect();
        let plane = Plane {
            data: &data,
            width,
            height,
            stride,
        };
        let pos = |rng: &mut Rng, size: usize| rng.range(-3 * one, (size as i32 + 3) * one);
        let step = |rng: &mut Rng| match rng.range(0, 5) {
            0 => 0,
            1 => rng.range(-3, 3),
            2 => rng.range(-one, one),
            3 => rng.range(-4 * one, 4 * one),
            _ => rng.next_u64() as i32,
        };
        let (u, v) = (pos(&mut rng, width), pos(&mut rng, height));
        let (du, dv) = (step(&mut rng), step(&mut rng));
        let n = rng.range(0, 100) as usize;
        let (mut s, mut a) = (vec![0u8; n], vec![1u8; n]);
        (scalar.bilinear_line)(&plane, u, v, du, dv, &mut s);
        (avx.bilinear_line)(&plane, u, v, du, dv, &mut a);
        assert_eq!(
            s, a,
            "{width}x{height}+{stride} u {u} v {v} du {du} dv {dv}"
        );
    }
}

/// The scalar kernel against the definition computed in `f64`: within
/// the `f32` rounding of the interpolation (a rounded value may then land
/// a level apart only where the exact value is within a hair of a half).
#[test]
fn bilinear_line_matches_f64_interpolation() {
    use tessera_dsp::Plane;
    let mut rng = Rng(11);
    let (width, height) = (37usize, 23usize);
    let data: Vec<u8> = (0..width * height).map(|_| rng.next_u64() as u8).collect();
    let plane = Plane {
        data: &data,
        width,
        height,
        stride: width,
    };
    let at = |x: i64, y: i64| {
        let x = x.clamp(0, width as i64 - 1) as usize;
        let y = y.clamp(0, height as i64 - 1) as usize;
        f64::from(data[y * width + x])
    };
    for table in common::all_tables() {
        for _ in 0..300 {
            let one = 1 << 16;
            let (u, v) = (rng.range(-one, 40 * one), rng.range(-one, 25 * one));
            let (du, dv) = (rng.range(-one, one), rng.range(-one, one));
            let mut out = [0u8; 50];
            (table.bilinear_line)(&plane, u, v, du, dv, &mut out);
            for (k, &got) in out.iter().enumerate() {
                let pu = i64::from(u) + k as i64 * i64::from(du);
                let pv = i64::from(v) + k as i64 * i64::from(dv);
                let (x, y) = (pu >> 16, pv >> 16);
                let (fx, fy) = (
                    (pu & 0xffff) as f64 / 65536.0,
                    (pv & 0xffff) as f64 / 65536.0,
                );
                let top = at(x, y) * (1.0 - fx) + at(x + 1, y) * fx;
                let bottom = at(x, y + 1) * (1.0 - fx) + at(x + 1, y + 1) * fx;
                let want = top * (1.0 - fy) + bottom * fy;
                let err = (f64::from(got) - want).abs();
                assert!(
                    err <= 0.5 + 1e-3,
                    "{}: k {k}: {got} against {want}",
                    table.name
                );
            }
        }
    }
}

/// A block for the mix: any of `block`'s shapes, or one whose non-zero
/// coefficients stop at a random row (so that every number of skipped
/// 16-coefficient chunks is exercised).
fn mix_block(rng: &mut Rng, i: usize) -> [i16; 64] {
    if i.is_multiple_of(3) {
        let rows = rng.range(0, 8) as usize;
        let mut b = [0i16; 64];
        for c in b.iter_mut().take(rows * 8) {
            if rng.next_u64().is_multiple_of(3) {
                *c = rng.range(-2100, 2100) as i16;
            }
        }
        b
    } else {
        block(rng, i)
    }
}

fn weight(rng: &mut Rng) -> i16 {
    match rng.next_u64() % 4 {
        0 => rng.next_u64() as i16,
        1 => rng.range(0, 1 << 14) as i16,
        2 => [0, 1 << 13, 1 << 14, -(1 << 14), i16::MIN, i16::MAX][rng.range(0, 5) as usize],
        _ => rng.range(-(1 << 15) + 1, (1 << 15) - 1) as i16,
    }
}

#[test]
fn mix_quantize_bit_exact() {
    use tessera_dsp::mix::{MAX_DC, MAX_TERMS, Mix, MixTerm};
    let Some(avx) = avx2_or_skip() else { return };
    let scalar = Kernels::scalar();
    let mut rng = Rng(9);
    for i in 0..40_000 {
        let n = match i % 5 {
            0 => 1,
            1 | 2 => 2,
            3 => rng.range(0, 4) as usize,
            _ => rng.range(0, MAX_TERMS as i32) as usize,
        };
        let terms: Vec<MixTerm> = (0..n)
            .map(|t| MixTerm {
                quant: quant(&mut rng, i + t),
                weight: weight(&mut rng),
            })
            .collect();
        let dc = match rng.next_u64() % 3 {
            0 => 0,
            1 => rng.range(-MAX_DC, MAX_DC),
            _ => rng.range(-(2048 << 14), 2048 << 14),
        };
        let out_quant = quant(&mut rng, i / 4);
        let mix = Mix::new(&terms, dc, &out_quant).expect("at most MAX_TERMS");
        let blocks: Vec<[i16; 64]> = (0..n).map(|t| mix_block(&mut rng, i + t)).collect();
        let refs: Vec<&[i16; 64]> = blocks.iter().collect();
        // Fewer blocks than terms: the missing ones count as zero.
        let given = if i.is_multiple_of(97) { n / 2 } else { n };
        let (mut s, mut v) = ([1; 64], [2; 64]);
        (scalar.mix_quantize)(&mix, &refs[..given], &mut s);
        (avx.mix_quantize)(&mix, &refs[..given], &mut v);
        assert_eq!(
            s, v,
            "terms {terms:?} dc {dc} out {out_quant:?} blocks {blocks:?}"
        );
    }
}

/// Every 12-bit mixed value against every output table entry: the
/// quantizing step of the AVX2 kernel is exact for all of them.
#[test]
fn mix_quantize_every_value_and_divisor() {
    use tessera_dsp::mix::{Mix, MixTerm};
    let Some(avx) = avx2_or_skip() else { return };
    let scalar = Kernels::scalar();
    // One term, weight 1, step 1: the mixed value is the input clamped.
    let term = MixTerm {
        quant: [1; 64],
        weight: 1 << 14,
    };
    let values: Vec<i16> = (-2048..=2047).collect();
    // Every divisor that can give a non-zero quotient (|v| + q/2 >= q
    // needs q <= 4097), then a sample of the rest.
    let mut divisors: Vec<u16> = (0..=4200).collect();
    divisors.extend((4201..=u16::MAX).step_by(97));
    divisors.extend([32767, 32768, 65534, 65535]);
    for d in divisors {
        let mix = Mix::new(&[term], 0, &[d; 64]).unwrap();
        for chunk in values.chunks_exact(64) {
            let block: &[i16; 64] = chunk.try_into().unwrap();
            let (mut s, mut v) = ([0; 64], [0; 64]);
            (scalar.mix_quantize)(&mix, &[block], &mut s);
            (avx.mix_quantize)(&mix, &[block], &mut v);
            assert_eq!(s, v, "divisor {d}");
        }
    }
}
