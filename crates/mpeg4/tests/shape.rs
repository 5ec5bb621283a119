//! Binary shape end to end: objects of generated scenes (moving, scaling,
//! entering and leaving) encoded as shaped layers and decoded by our
//! decoder. Lossless shape must come back exactly, lossy shape within its
//! threshold, and the texture equal to the encoder's reconstruction.

use tessera_core::Rational;
use tessera_core::scene::{Scene, SceneSpec};
use tessera_mpeg4::decoder::Decoder;
use tessera_mpeg4::encoder::{Encoder, EncoderConfig, RateControl};
use tessera_mpeg4::header::Shape;
use tessera_mpeg4::shape::vop::VopRect;

struct Coded {
    stream: Vec<u8>,
    /// Per frame: the encoder's reconstructed shape and texture, and the
    /// input mask's VOP crop.
    recon: Vec<Option<(VopRect, Vec<u8>, tessera_core::Frame)>>,
    inputs: Vec<tessera_core::Plane>,
    shape_bits: u64,
    bits: u64,
}

fn encode(spec: SceneSpec, object: usize, shape: Shape, threshold: u32, qp: u8) -> Coded {
    let scene = Scene::new(spec).unwrap();
    let mut cfg = EncoderConfig::new(spec.width, spec.height, spec.rate);
    cfg.shape = shape;
    cfg.alpha_threshold = threshold;
    cfg.object_id = object as u8;
    cfg.rate = RateControl::Qp(qp);
    cfg.gop = 10;
    let mut enc = Encoder::new(cfg).unwrap();
    let mut stream = enc.headers();
    let mut recon = Vec::new();
    let mut inputs = Vec::new();
    let (mut shape_bits, mut bits) = (0, 0);
    for f in scene.frames() {
        let mask = &f.masks[object - 1];
        let vop = enc.encode_object(&f.frame, mask).unwrap();
        stream.extend_from_slice(&vop.data);
        bits += vop.data.len() as u64 * 8;
        let s = vop.shape.expect("shaped layer");
        shape_bits += s.shape_bits;
        recon.push(s.rect.map(|r| (r, s.alpha.clone(), enc.reconstruction())));
        inputs.push(mask.clone());
    }
    Coded {
        stream,
        recon,
        inputs,
        shape_bits,
        bits,
    }
}

fn spec(frames: u32, seed: u64) -> SceneSpec {
    SceneSpec {
        width: 176,
        height: 144,
        frames,
        rate: Rational::integer(25),
        objects: 3,
        seed,
    }
}

/// The scene-sized mask of a decoded VOP.
fn scene_mask(rect: &VopRect, alpha: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut out = vec![0u8; width * height];
    for y in 0..rect.height {
        for x in 0..rect.width {
            let (sx, sy) = (rect.x + x as i32, rect.y + y as i32);
            if sx >= 0 && sy >= 0 && (sx as usize) < width && (sy as usize) < height {
                out[sy as usize * width + sx as usize] = alpha[y * rect.width + x];
            } else {
                assert_eq!(alpha[y * rect.width + x], 0, "opaque outside the scene");
            }
        }
    }
    out
}

#[test]
fn lossless_shape_and_texture_decode_exactly() {
    for seed in [1, 7] {
        let spec = spec(24, seed);
        for object in 1..=3 {
            let coded = encode(spec, object, Shape::Binary, 0, 6);
            let vops = Decoder::default().decode_stream(&coded.stream).unwrap();
            assert_eq!(vops.len(), coded.recon.len());
            for (i, (vop, recon)) in vops.iter().zip(&coded.recon).enumerate() {
                let shape = vop.shape.as_ref().unwrap();
                let input = &coded.inputs[i];
                match (shape.rect, recon) {
                    (None, None) => {
                        assert!(!input.data.contains(&255), "object {object} frame {i}");
                    }
                    (Some(rect), Some((erect, ealpha, etex))) => {
                        assert_eq!(rect, *erect);
                        assert_eq!(&shape.alpha, ealpha, "object {object} frame {i}");
                        let m = scene_mask(&rect, &shape.alpha, spec.width, spec.height);
                        assert!(
                            m == input.data,
                            "seed {seed} object {object} frame {i}: shape"
                        );
                        assert!(
                            vop.frame == *etex,
                            "seed {seed} object {object} frame {i}: texture"
                        );
                    }
                    other => panic!("frame {i}: decoded {:?}", other.0),
                }
            }
            assert!(coded.shape_bits > 0 && coded.shape_bits < coded.bits);
        }
    }
}

#[test]
fn lossy_shape_stays_within_the_threshold() {
    let spec = spec(12, 3);
    for threshold in [16 * 255 / 4, 64 * 255 / 4] {
        let lossless = encode(spec, 2, Shape::Binary, 0, 8);
        let coded = encode(spec, 2, Shape::Binary, threshold, 8);
        assert!(coded.shape_bits < lossless.shape_bits);
        let vops = Decoder::default().decode_stream(&coded.stream).unwrap();
        for (i, vop) in vops.iter().enumerate() {
            let shape = vop.shape.as_ref().unwrap();
            let Some(rect) = shape.rect else { continue };
            let m = scene_mask(&rect, &shape.alpha, spec.width, spec.height);
            let input = &coded.inputs[i];
            // Every 4x4 block of every BAB within the threshold.
            for by in (0..rect.height).step_by(4) {
                for bx in (0..rect.width).step_by(4) {
                    let mut sad = 0u32;
                    for y in by..by + 4 {
                        for x in bx..bx + 4 {
                            let (sx, sy) = (rect.x as usize + x, rect.y as usize + y);
                            if sx < spec.width && sy < spec.height {
                                let i = sy * spec.width + sx;
                                sad += u32::from(m[i].abs_diff(input.data[i]));
                            }
                        }
                    }
                    assert!(sad <= threshold, "frame {i} block ({bx},{by}): {sad}");
                }
            }
        }
    }
}

#[test]
fn binary_only_objects_carry_shape_alone() {
    let spec = spec(12, 5);
    let coded = encode(spec, 1, Shape::BinaryOnly, 0, 8);
    let vops = Decoder::default().decode_stream(&coded.stream).unwrap();
    for (i, vop) in vops.iter().enumerate() {
        let shape = vop.shape.as_ref().unwrap();
        let m = match shape.rect {
            Some(rect) => scene_mask(&rect, &shape.alpha, spec.width, spec.height),
            None => vec![0; spec.width * spec.height],
        };
        assert!(m == coded.inputs[i].data, "frame {i}");
    }
    // Besides the shape, only headers: configuration, GOV and VOP headers.
    assert!(coded.bits - coded.shape_bits < 400 + 200 * u64::from(spec.frames));
    let textured = encode(spec, 1, Shape::Binary, 0, 8);
    assert!(coded.bits * 3 < textured.bits);
}

/// The reference decoder's answers for a stream of `tests/reference`.
struct Answer {
    opaque: u64,
    mask_fnv: u64,
    luma_sum: u64,
}

fn answers(name: &str) -> Vec<Answer> {
    let path = format!("{}/tests/reference/{name}.txt", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Answer {
                opaque: f[1].parse().unwrap(),
                mask_fnv: u64::from_str_radix(f[2], 16).unwrap(),
                luma_sum: f[3].parse().unwrap(),
            }
        })
        .collect()
}

fn fnv64(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[test]
fn reference_encoder_streams_decode_as_the_reference_decoder_does() {
    for (name, width, height) in [
        ("shp_qcif_ip", 176, 144),
        ("odd_ip", 160, 112),
        ("cif_ip_lossy", 352, 288),
        ("qcif_cr_mpeg", 176, 144),
    ] {
        let path = format!("{}/tests/reference/{name}.m4v", env!("CARGO_MANIFEST_DIR"));
        let vops = Decoder::default()
            .decode_stream(&std::fs::read(path).unwrap())
            .unwrap();
        let expect = answers(name);
        assert_eq!(vops.len(), expect.len(), "{name}");
        let luma = std::fs::read(format!(
            "{}/tests/reference/{name}.luma",
            env!("CARGO_MANIFEST_DIR")
        ))
        .ok();
        let mut at = 0;
        for (i, (vop, want)) in vops.iter().zip(&expect).enumerate() {
            let shape = vop.shape.as_ref().unwrap();
            let mask = match shape.rect {
                Some(rect) => scene_mask(&rect, &shape.alpha, width, height),
                None => vec![0; width * height],
            };
            assert_eq!(fnv64(&mask), want.mask_fnv, "{name} VOP {i}: shape");
            // Texture inside the shape, within the inverse DCTs' rounding.
            let mut sum = 0u64;
            let mut n = 0u64;
            if let Some(rect) = shape.rect {
                for y in 0..height {
                    for x in 0..width {
                        if mask[y * width + x] == 0 {
                            continue;
                        }
                        let (vx, vy) = (x - rect.x as usize, y - rect.y as usize);
                        let v = vop.frame.planes[0].row(vy)[vx];
                        sum += u64::from(v);
                        n += 1;
                        if let Some(l) = &luma {
                            assert!(v.abs_diff(l[at]) <= 2, "{name} VOP {i} ({x},{y})");
                            at += 1;
                        }
                    }
                }
            }
            assert_eq!(n, want.opaque);
            assert!(sum.abs_diff(want.luma_sum) <= n, "{name} VOP {i}: luma");
        }
    }
}
