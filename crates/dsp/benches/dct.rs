//! DCT and DCT-domain mix kernel throughput, per kernel table (scalar and,
//! where the CPU has it, AVX2), in blocks per second.

use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use tessera_dsp::Kernels;

const BLOCKS: usize = 1024;

/// SplitMix64.
fn rng(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn tables() -> Vec<Kernels> {
    let mut t = vec![Kernels::scalar()];
    t.extend(Kernels::avx2());
    t
}

/// Natural-order index of the first zig-zag positions (T.81 Figure A.6).
const ZIGZAG_24: [usize; 24] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34,
];

/// Quantized blocks shaped like real JPEG data: a DC term and a few
/// low-frequency AC terms (the first 24 in zig-zag order), the rest zero.
fn typical_blocks(seed: u64) -> Vec<[i16; 64]> {
    let mut s = seed;
    (0..BLOCKS)
        .map(|_| {
            let mut b = [0i16; 64];
            b[0] = (rng(&mut s) % 200) as i16 - 100;
            let n = 1 + rng(&mut s) % 10;
            for _ in 0..n {
                let i = ZIGZAG_24[1 + (rng(&mut s) % 23) as usize];
                b[i] = (rng(&mut s) % 20) as i16 - 10;
                if b[i] == 0 {
                    b[i] = 1;
                }
            }
            b
        })
        .collect()
}

/// Every coefficient nonzero: the full transform, no shortcut.
fn dense_blocks(seed: u64) -> Vec<[i16; 64]> {
    let mut s = seed;
    (0..BLOCKS)
        .map(|_| core::array::from_fn(|_| ((rng(&mut s) % 64) as i16 - 32) | 1))
        .collect()
}

/// The blocks' DC coefficients alone (flat blocks).
fn dc_only(blocks: &[[i16; 64]]) -> Vec<[i16; 64]> {
    blocks
        .iter()
        .map(|b| {
            let mut d = [0i16; 64];
            d[0] = b[0];
            d
        })
        .collect()
}

fn bench_idct(c: &mut Criterion) {
    let quant: [u16; 64] = core::array::from_fn(|i| 4 + i as u16);
    let typical = typical_blocks(1);
    let dense = dense_blocks(2);
    let dc_only = dc_only(&typical);
    // A 64-block-wide strip (4 KiB, stays in L1): measures the kernel, not
    // the memory system.
    const WIDE: usize = 64;
    let stride = WIDE * 8;
    let mut frame = vec![0u8; stride * 8];

    let mut g = c.benchmark_group("dequant_idct_put");
    g.throughput(Throughput::Elements(BLOCKS as u64));
    for k in tables() {
        for (label, blocks) in [
            ("typical", &typical),
            ("dense", &dense),
            ("dc_only", &dc_only),
        ] {
            g.bench_function(BenchmarkId::new(k.name, label), |b| {
                b.iter(|| {
                    for (i, blk) in blocks.iter().enumerate() {
                        (k.dequant_idct_put)(
                            black_box(blk),
                            &quant,
                            &mut frame[(i % WIDE) * 8..],
                            stride,
                        );
                    }
                })
            });
        }
    }
    g.finish();

    let mut g = c.benchmark_group("idct_8x8");
    g.throughput(Throughput::Elements(BLOCKS as u64));
    let mut out = [0i16; 64];
    for k in tables() {
        g.bench_function(k.name, |b| {
            b.iter(|| {
                for blk in &typical {
                    (k.idct_8x8)(black_box(blk), &mut out);
                    black_box(&out);
                }
            })
        });
    }
    g.finish();
}

fn bench_fdct(c: &mut Criterion) {
    let mut s = 5;
    let stride = BLOCKS * 8;
    let frame: Vec<u8> = (0..stride * 8).map(|_| rng(&mut s) as u8).collect();
    let mut g = c.benchmark_group("fdct_8x8_u8");
    g.throughput(Throughput::Elements(BLOCKS as u64));
    let mut out = [0i16; 64];
    for k in tables() {
        g.bench_function(k.name, |b| {
            b.iter(|| {
                for i in 0..BLOCKS {
                    (k.fdct_8x8_u8)(black_box(&frame[i * 8..]), stride, &mut out);
                    black_box(&out);
                }
            })
        });
    }
    g.finish();
}

/// The two-input mix of a dissolve (weights 0.3 / 0.7, a DC offset),
/// quantized with a typical table: input blocks in L2, so this measures
/// the kernel rather than the memory system.
fn bench_mix(c: &mut Criterion) {
    use tessera_dsp::mix::{Mix, MixTerm};
    let quant: [u16; 64] = core::array::from_fn(|i| 4 + i as u16);
    let out_quant: [u16; 64] = core::array::from_fn(|i| 3 + i as u16 / 2);
    let mix = Mix::new(
        &[
            MixTerm {
                quant,
                weight: 4915,
            },
            MixTerm {
                quant,
                weight: 11469,
            },
        ],
        100 << 14,
        &out_quant,
    )
    .expect("two terms");
    let (typical, dense) = (typical_blocks(3), dense_blocks(4));
    let dc_only = dc_only(&typical);
    let mut g = c.benchmark_group("mix_quantize");
    g.throughput(Throughput::Elements(BLOCKS as u64));
    let mut out = [0i16; 64];
    for k in tables() {
        for (label, a, b) in [
            ("typical", &typical, &dense),
            ("dense", &dense, &dense),
            ("dc_only", &dc_only, &dc_only),
        ] {
            g.bench_function(BenchmarkId::new(k.name, label), |bench| {
                bench.iter(|| {
                    for (x, y) in a.iter().zip(b.iter().rev()) {
                        (k.mix_quantize)(&mix, black_box(&[x, y]), &mut out);
                        black_box(&out);
                    }
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_idct, bench_fdct, bench_mix);
criterion_main!(benches);
