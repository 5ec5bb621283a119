//! Bilinear warp throughput, per kernel table (scalar and, where the CPU
//! has it, AVX2), in samples per second: a 1920x1080 plane turned by 30
//! degrees about its centre, in runs of 64 samples, 16 lines at a time,
//! as the effects engine's warp goes through an MCU row.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use tessera_dsp::{Kernels, Plane};

const W: usize = 1920;
const H: usize = 1080;
/// Columns per tile.
const TILE: usize = 64;

fn tables() -> Vec<Kernels> {
    let mut t = vec![Kernels::scalar()];
    t.extend(Kernels::avx2());
    t
}

fn bench_rotate(c: &mut Criterion) {
    let mut s = 1u64;
    let data: Vec<u8> = (0..W * H + 2)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 56) as u8
        })
        .collect();
    let plane = Plane {
        data: &data,
        width: W,
        height: H,
        stride: W,
    };
    // Turned and magnified 2x, so that every sample's source is inside
    // (the engine fills the rest with the outside colour).
    let (sin, cos) = 30f64.to_radians().sin_cos();
    let (sin, cos) = (sin / 2.0, cos / 2.0);
    let one = 65536.0;
    let (du, dv) = ((cos * one) as i32, (-sin * one) as i32);
    let mut out = vec![vec![0u8; W]; 16];
    let mut g = c.benchmark_group("bilinear_line");
    g.throughput(Throughput::Elements((W * H) as u64));
    g.sample_size(10);
    for k in tables() {
        g.bench_function(k.name, |b| {
            b.iter(|| {
                // In tiles of `TILE` columns by 16 lines, as the effects
                // engine goes through an MCU row.
                for band in (0..H).step_by(16) {
                    for x0 in (0..W).step_by(TILE) {
                        for y in band..(band + 16).min(H) {
                            // Output (x, y) from source c + R^-1 ((x, y) - c).
                            let (qx, qy) = (x0 as f64 - W as f64 / 2.0, y as f64 - H as f64 / 2.0);
                            let u = W as f64 / 2.0 + cos * qx + sin * qy;
                            let v = H as f64 / 2.0 - sin * qx + cos * qy;
                            let out = &mut out[y % 16][x0..(x0 + TILE).min(W)];
                            (k.bilinear_line)(
                                &plane,
                                (u * one) as i32,
                                (v * one) as i32,
                                du,
                                dv,
                                out,
                            );
                        }
                    }
                    black_box(&out);
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_rotate);
criterion_main!(benches);
