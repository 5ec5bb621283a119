//! Round trips of whole BABs through the encoder and decoder.

use super::bab::{decode_bab_data, encode_bab_data, reconstruction_at};
use super::*;
use crate::bits::{BitReader, BitWriter};
use proptest::prelude::*;

use tessera_testkit::Rng;

fn bab_from(mut f: impl FnMut(i32, i32) -> bool) -> Bab {
    let mut b = [0; 256];
    for y in 0..16 {
        for x in 0..16 {
            b[y * 16 + x] = if f(x as i32, y as i32) { 255 } else { 0 };
        }
    }
    b
}

/// Discs, rectangles, edges at every offset and angle, noise, stripes.
fn shapes() -> Vec<(String, Bab)> {
    let mut v = Vec::new();
    for (cx, cy, r) in [(8, 8, 5), (3, 12, 7), (15, 0, 9), (8, 8, 11), (-2, 5, 8)] {
        v.push((
            format!("disc {cx},{cy},{r}"),
            bab_from(|x, y| (x - cx).pow(2) + (y - cy).pow(2) <= r * r),
        ));
    }
    for (x0, y0, x1, y1) in [(2, 3, 9, 14), (0, 0, 16, 5), (7, 0, 8, 16), (4, 4, 12, 12)] {
        v.push((
            format!("rect {x0},{y0}-{x1},{y1}"),
            bab_from(|x, y| x >= x0 && x < x1 && y >= y0 && y < y1),
        ));
    }
    for k in 1..16 {
        v.push((format!("vertical edge {k}"), bab_from(|x, _| x < k)));
        v.push((format!("horizontal edge {k}"), bab_from(|_, y| y >= k)));
        v.push((format!("diagonal edge {k}"), bab_from(|x, y| x + y < 2 * k)));
    }
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for density in [2, 8, 50, 92, 98] {
        let b = bab_from(|_, _| rng.below(100) < density);
        v.push((format!("noise {density}%"), b));
    }
    v.push(("stripes".into(), bab_from(|x, _| x % 2 == 0)));
    v.push(("checker".into(), bab_from(|x, y| (x / 2 + y / 3) % 2 == 0)));
    v
}

fn borders() -> Vec<BabBorder> {
    let mut rng = Rng(77);
    vec![
        BabBorder::transparent(),
        BabBorder::from_fn(|_, _| true),
        BabBorder::from_fn(|x, y| x + y < 6),
        BabBorder::from_fn(|_, _| rng.below(2) == 0),
    ]
}

fn preds(bab: &Bab) -> Vec<PredBab> {
    let mut rng = Rng(5);
    vec![
        // Shifted by one pixel: a plausible motion-compensated BAB.
        PredBab::from_fn(|x, y| {
            let (x, y) = (x - 1, y);
            (0..16).contains(&x) && (0..16).contains(&y) && bab[(y * 16 + x) as usize] != 0
        }),
        PredBab::from_fn(|_, _| rng.below(3) == 0),
    ]
}

fn decode(
    bytes: &[u8],
    t: BabType,
    border: &BabBorder,
    pred: Option<&PredBab>,
    disable: bool,
) -> (Bab, usize) {
    let mut r = BitReader::new(bytes);
    let b = decode_bab_data(&mut r, t, border, pred, disable).unwrap();
    (b, r.position())
}

fn normalized(b: &Bab) -> Bab {
    b.map(|v| if v != 0 { 255 } else { 0 })
}

#[test]
fn every_mode_ratio_and_scan_round_trips() {
    for (name, bab) in shapes() {
        for border in borders() {
            for pred in preds(&bab) {
                for t in [BabType::IntraCae, BabType::InterCaeMvdZero] {
                    for cr in ConvRatio::ALL {
                        for transposed in [false, true] {
                            let mut w = BitWriter::new();
                            let recon = encode_bab_data(
                                &mut w,
                                t,
                                cr,
                                transposed,
                                &bab,
                                &border,
                                Some(&pred),
                                false,
                            );
                            let len = w.bit_len() as usize;
                            w.put(5, 0b10110);
                            w.stuff_to_byte();
                            let bytes = w.into_bytes();
                            let (got, pos) = decode(&bytes, t, &border, Some(&pred), false);
                            let what = format!("{name} {t:?} {cr:?} transposed {transposed}");
                            assert_eq!(got, recon, "{what}");
                            assert_eq!(pos, len, "{what}: decoder ends at the code's end");
                            assert_eq!(recon, reconstruction_at(&bab, &border, cr), "{what}");
                            if cr == ConvRatio::One {
                                assert_eq!(recon, normalized(&bab), "{what}");
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn conv_ratio_disabled_round_trips() {
    for (name, bab) in shapes().into_iter().take(10) {
        let border = BabBorder::transparent();
        let mut w = BitWriter::new();
        let recon = encode_bab_data(
            &mut w,
            BabType::IntraCae,
            ConvRatio::One,
            true,
            &bab,
            &border,
            None,
            true,
        );
        w.stuff_to_byte();
        let bytes = w.into_bytes();
        let (got, _) = decode(&bytes, BabType::IntraCae, &border, None, true);
        assert_eq!(got, recon, "{name}");
        assert_eq!(got, bab, "{name}");
    }
}

/// Encodes with `enc` as an I- and a P-VOP BAB, decodes, and checks the
/// reconstruction against the input.
fn encoder_round_trip(enc: BabEncoder) {
    let mut rng = Rng(99);
    for (name, bab) in shapes() {
        for border in borders() {
            // I-VOP.
            let types = [BabType::Transparent, BabType::Opaque, BabType::IntraCae];
            let ctx = IntraBabTypeContext {
                top_left: types[rng.below(3) as usize],
                top: types[rng.below(3) as usize],
                top_right: types[rng.below(3) as usize],
                left: types[rng.below(3) as usize],
            };
            let mut w = BitWriter::new();
            let coded = enc.encode_i(&mut w, &bab, &border, &ctx);
            assert_eq!(coded.bits, w.bit_len());
            w.stuff_to_byte();
            let bytes = w.into_bytes();
            let mut r = BitReader::new(&bytes);
            let d = decode_bab_i(&mut r, &ctx, &border, enc.change_conv_ratio_disable).unwrap();
            assert_eq!(d.bab_type, coded.bab_type, "{name}");
            assert_eq!(d.bab, coded.recon, "{name}");
            assert_eq!(r.position() as u64, coded.bits, "{name}");
            assert!(acceptable(&bab, &d.bab, enc.alpha_threshold), "{name}");
            if enc.alpha_threshold == 0 {
                assert_eq!(d.bab, normalized(&bab), "{name}");
            }

            // P-VOP, with a few motion vectors and predictors.
            for pred in preds(&bab) {
                let colocated = BabType::ALL[rng.below(7) as usize];
                let mvp = ShapeMv::new(rng.below(5) as i32 - 2, rng.below(5) as i32 - 2);
                let mv = if rng.below(2) == 0 {
                    mvp
                } else {
                    ShapeMv::new(rng.below(41) as i32 - 20, rng.below(41) as i32 - 20)
                };
                let mut w = BitWriter::new();
                let coded = enc.encode_p(&mut w, &bab, &border, colocated, mvp, mv, &pred);
                assert_eq!(coded.bits, w.bit_len());
                w.stuff_to_byte();
                let bytes = w.into_bytes();
                let mut r = BitReader::new(&bytes);
                let mut mc_called = None;
                let d = decode_bab_p(
                    &mut r,
                    colocated,
                    &border,
                    mvp,
                    enc.change_conv_ratio_disable,
                    |m| {
                        mc_called = Some(m);
                        pred.clone()
                    },
                )
                .unwrap();
                assert_eq!(d.bab_type, coded.bab_type, "{name}");
                assert_eq!(d.mv, coded.mv, "{name}");
                assert_eq!(mc_called, coded.mv, "{name}");
                if let Some(m) = coded.mv {
                    assert_eq!(m, mv, "{name}");
                }
                assert_eq!(d.bab, coded.recon, "{name}");
                assert_eq!(r.position() as u64, coded.bits, "{name}");
                assert!(acceptable(&bab, &d.bab, enc.alpha_threshold), "{name}");
                if enc.alpha_threshold == 0 {
                    assert_eq!(d.bab, normalized(&bab), "{name}");
                }
            }
        }
    }
}

#[test]
fn lossless_encoder_round_trips() {
    encoder_round_trip(BabEncoder::default());
    encoder_round_trip(BabEncoder {
        alpha_threshold: 0,
        change_conv_ratio_disable: true,
    });
}

#[test]
fn lossy_encoder_stays_within_threshold() {
    for th in [255, 3 * 255, 8 * 255, 16 * 255] {
        encoder_round_trip(BabEncoder {
            alpha_threshold: th,
            change_conv_ratio_disable: false,
        });
    }
}

#[test]
fn lossy_encoder_uses_every_kind_of_bab() {
    // With a generous threshold, smooth shapes go to reduced ratios, and a
    // near-constant block to a constant type.
    let enc = BabEncoder {
        alpha_threshold: 4 * 255,
        change_conv_ratio_disable: false,
    };
    let border = BabBorder::transparent();
    let mut w = BitWriter::new();
    let rect = bab_from(|x, y| (4..12).contains(&x) && (4..12).contains(&y));
    let c = enc.encode_i(&mut w, &rect, &border, &IntraBabTypeContext::TRANSPARENT);
    assert_eq!(c.bab_type, BabType::IntraCae);
    // The up-sampling filter rounds the corners: not exact at 1/4, but a
    // reduced ratio all the same.
    assert!(matches!(
        c.conv_ratio,
        Some(ConvRatio::Half | ConvRatio::Quarter)
    ));
    let nearly = bab_from(|x, y| !(x == 3 && y == 3));
    let c = enc.encode_i(&mut w, &nearly, &border, &IntraBabTypeContext::TRANSPARENT);
    assert_eq!(c.bab_type, BabType::Opaque);
    // Lossless: the same pictures code exactly.
    let c =
        BabEncoder::default().encode_i(&mut w, &nearly, &border, &IntraBabTypeContext::TRANSPARENT);
    assert_eq!(c.bab_type, BabType::IntraCae);
    assert_eq!(c.recon, nearly);
}

#[test]
fn inter_modes_are_chosen_when_the_prediction_fits() {
    let enc = BabEncoder::default();
    let border = BabBorder::transparent();
    let disc = bab_from(|x, y| (x - 7).pow(2) + (y - 9).pow(2) <= 30);
    let exact = PredBab::from_fn(|x, y| {
        (0..16).contains(&x) && (0..16).contains(&y) && disc[(y * 16 + x) as usize] != 0
    });
    let mut w = BitWriter::new();
    let mvp = ShapeMv::new(1, -1);
    let c = enc.encode_p(&mut w, &disc, &border, BabType::IntraCae, mvp, mvp, &exact);
    assert_eq!(c.bab_type, BabType::MvdZeroNoUpdate);
    let c = enc.encode_p(
        &mut w,
        &disc,
        &border,
        BabType::IntraCae,
        mvp,
        ShapeMv::new(3, 2),
        &exact,
    );
    assert_eq!(c.bab_type, BabType::MvdNonZeroNoUpdate);
    assert_eq!(c.mv, Some(ShapeMv::new(3, 2)));
    // Out of the mvds range: no motion.
    let c = enc.encode_p(
        &mut w,
        &disc,
        &border,
        BabType::IntraCae,
        mvp,
        ShapeMv::new(30, 0),
        &exact,
    );
    assert_eq!(c.bab_type, BabType::IntraCae);
}

#[test]
fn contexts_and_filter_known_answers() {
    // A fully opaque BAB with opaque borders: every pixel is the likeliest
    // symbol in the all-ones intra context, so it costs few bits; the
    // reduced ratios reconstruct it exactly.
    let opaque = [255u8; 256];
    let border = BabBorder::from_fn(|_, _| true);
    for cr in ConvRatio::ALL {
        assert_eq!(reconstruction_at(&opaque, &border, cr), opaque, "{cr:?}");
        let mut w = BitWriter::new();
        encode_bab_data(
            &mut w,
            BabType::IntraCae,
            cr,
            false,
            &opaque,
            &border,
            None,
            false,
        );
        // conv_ratio (1-2 bits), scan_type (1), and a short code.
        assert!(w.bit_len() <= 12, "{cr:?}: {} bits", w.bit_len());
    }
    let transparent = [0u8; 256];
    let border = BabBorder::transparent();
    for cr in ConvRatio::ALL {
        assert_eq!(reconstruction_at(&transparent, &border, cr), transparent);
    }
    // The probabilities of the all-opaque and all-transparent contexts
    // favour continuing the run.
    assert!(tables::INTRA_PROB[1023] < 32768 && tables::INTRA_PROB[0] > 32768);
    assert!(tables::INTER_PROB[511] < 32768 && tables::INTER_PROB[0] > 32768);
    assert!(
        tables::INTRA_PROB
            .iter()
            .chain(&tables::INTER_PROB)
            .all(|&p| p > 0)
    );
}

/// A BAB (a noisy disc, 20x20 rows with its borders) and an 18x18
/// prediction, CAE-coded by the reference software's context and coder
/// functions (ISO/IEC 14496-5), computed outside this project: bits after
/// `scan_type` and their FNV-1a hash (one byte per bit), for intra/inter
/// and rows/columns.
#[test]
fn cae_matches_reference_bits() {
    let cur: [u32; 20] = [
        0x3b4c4, 0x13539, 0x40007, 0x40000, 0x00000, 0xc1f10, 0x42fc0, 0x87bc0, 0x8ffe8, 0x1fff0,
        0x5ffb0, 0xdeff8, 0x9fff0, 0x5dff0, 0xcef60, 0x23fc0, 0x83f80, 0x81f00, 0x81f00, 0x81f00,
    ];
    let pred: [u32; 18] = [
        0x00000, 0x00001, 0x20001, 0x00020, 0x00fe0, 0x01ff8, 0x07ef8, 0x03dfc, 0x05ffc, 0x04ffc,
        0x076fc, 0x07ffd, 0x07fbc, 0x26dfc, 0x07df8, 0x017f0, 0x01fc4, 0x00000,
    ];
    let c = |x: i32, y: i32| (cur[(y + 2) as usize] >> (17 - x)) & 1 == 1;
    let border = BabBorder::from_fn(c);
    let bab = bab_from(c);
    let pred = PredBab::from_fn(|x, y| (pred[(y + 1) as usize] >> (16 - x)) & 1 == 1);
    let cases = [
        (BabType::IntraCae, false, 220, 11_735_104_405_019_696_749u64),
        (BabType::IntraCae, true, 230, 2_735_736_385_640_304_625),
        (
            BabType::InterCaeMvdZero,
            false,
            190,
            15_117_704_435_423_605_456,
        ),
        (
            BabType::InterCaeMvdZero,
            true,
            202,
            3_775_038_774_291_265_087,
        ),
    ];
    for (t, transposed, len, hash) in cases {
        let mut w = BitWriter::new();
        let recon = encode_bab_data(
            &mut w,
            t,
            ConvRatio::One,
            transposed,
            &bab,
            &border,
            Some(&pred),
            true,
        );
        assert_eq!(recon, bab);
        let n = w.bit_len();
        w.align_zero();
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes);
        assert_eq!(r.get_bit().unwrap(), !transposed, "scan_type");
        assert_eq!(n - 1, len, "{t:?} transposed {transposed}");
        let mut h = 1_469_598_103_934_665_603u64;
        for _ in 1..n {
            h ^= u64::from(r.get_bit().unwrap());
            h = h.wrapping_mul(1_099_511_628_211);
        }
        assert_eq!(h, hash, "{t:?} transposed {transposed}");
    }
}

#[test]
fn shape_mv_prediction() {
    let a = Some(ShapeMv::new(1, 2));
    let b = Some(ShapeMv::new(-3, 4));
    assert_eq!(ShapeMv::predict([None; 6]), ShapeMv::ZERO);
    assert_eq!(
        ShapeMv::predict([None, a, b, None, None, None]),
        ShapeMv::new(1, 2)
    );
    assert_eq!(
        ShapeMv::predict([None, None, None, None, None, b]),
        ShapeMv::new(-3, 4)
    );
    assert_eq!(ShapeMv::from_half_pel(-3, 5), ShapeMv::new(-1, 2));
}

#[test]
fn border_from_plane() {
    // A 40x40 plane, opaque left half; the BAB at (16, 16).
    let plane: Vec<u8> = (0..40 * 40)
        .map(|i| if i % 40 < 20 { 255 } else { 0 })
        .collect();
    let b = BabBorder::from_plane(&plane, 40, 40, 40, 16, 16);
    assert_eq!(b.top[0][..8], [1, 1, 1, 1, 1, 1, 0, 0]);
    assert_eq!(b.left[5], [1, 1]);
    let p = PredBab::from_plane(&plane, 40, 40, 40, 16, 16, ShapeMv::new(-2, 0));
    assert_eq!(p.at(0, 5), 1);
    assert_eq!(p.at(0, 6), 0);
    // Outside the plane: transparent.
    let b = BabBorder::from_plane(&plane, 40, 40, 40, 0, 0);
    assert_eq!(b.top, [[0; 20]; 2]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_bytes_never_panic(
        data in proptest::collection::vec(any::<u8>(), 0..80),
        colocated in 0usize..7,
        disable in any::<bool>(),
    ) {
        let border = BabBorder::from_fn(|x, y| (x + y) % 3 == 0);
        let pred = PredBab::from_fn(|x, y| x > y);
        let _ = decode_bab_i(
            &mut BitReader::new(&data),
            &IntraBabTypeContext::TRANSPARENT,
            &border,
            disable,
        );
        let _ = decode_bab_p(
            &mut BitReader::new(&data),
            BabType::ALL[colocated],
            &border,
            ShapeMv::new(2, -1),
            disable,
            |_| pred.clone(),
        );
        for t in BabType::ALL {
            let _ = decode_bab_data(&mut BitReader::new(&data), t, &border, None, disable);
            let _ = decode_bab_data(&mut BitReader::new(&data), t, &border, Some(&pred), disable);
        }
    }

    #[test]
    fn random_babs_round_trip(
        bits in proptest::collection::vec(any::<bool>(), 256),
        border_bits in proptest::collection::vec(any::<bool>(), 72),
        th in prop_oneof![Just(0u32), 0u32..4096],
        shift in (-2i32..=2, -2i32..=2),
        colocated in 0usize..7,
    ) {
        let bab = bab_from(|x, y| bits[(y * 16 + x) as usize]);
        let border = BabBorder::from_fn(|x, y| {
            let i = if y < 0 { (y + 2) * 20 + x + 2 } else { 40 + y * 2 + x + 2 };
            border_bits[i as usize % 72]
        });
        let enc = BabEncoder { alpha_threshold: th, change_conv_ratio_disable: false };
        let mut w = BitWriter::new();
        let c = enc.encode_i(&mut w, &bab, &border, &IntraBabTypeContext::TRANSPARENT);
        w.stuff_to_byte();
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes);
        let d = decode_bab_i(&mut r, &IntraBabTypeContext::TRANSPARENT, &border, false).unwrap();
        prop_assert_eq!(d.bab, c.recon);
        prop_assert!(acceptable(&bab, &d.bab, th));

        // The same BAB in a P-VOP, predicted from a shifted copy of itself.
        let pred = PredBab::from_fn(|x, y| {
            let (x, y) = (x + shift.0, y + shift.1);
            (0..16).contains(&x) && (0..16).contains(&y) && bits[(y * 16 + x) as usize]
        });
        let mvp = ShapeMv::new(shift.1, shift.0);
        let mv = ShapeMv::new(shift.0, shift.1);
        let colocated = BabType::ALL[colocated];
        let mut w = BitWriter::new();
        let c = enc.encode_p(&mut w, &bab, &border, colocated, mvp, mv, &pred);
        w.stuff_to_byte();
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes);
        let d = decode_bab_p(&mut r, colocated, &border, mvp, false, |_| pred.clone()).unwrap();
        prop_assert_eq!(d.bab, c.recon);
        prop_assert_eq!(d.mv, c.mv);
        prop_assert!(acceptable(&bab, &d.bab, th));
    }
}
