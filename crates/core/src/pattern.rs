//! Deterministic synthetic pictures for demos, tests and benchmarks.
//!
//! The pattern mixes what codecs find easy and hard: smooth gradients, a
//! moving disc with a sharp edge, fine stripes, and low-amplitude noise, all
//! moving with the frame index so consecutive frames differ.

use crate::frame::{ChromaFormat, Frame};

/// Frame `index` of a moving test pattern.
pub fn moving_pattern(width: usize, height: usize, format: ChromaFormat, index: u32) -> Frame {
    let mut frame = Frame::grey(width, height, format);
    let t = index as f32;
    let w = width.max(1) as f32;
    let h = height.max(1) as f32;
    let (cx, cy) = (
        w * (0.5 + 0.3 * (t * 0.07).sin()),
        h * (0.5 + 0.3 * (t * 0.05).cos()),
    );
    let radius = 0.2 * w.min(h);
    let mut seed = 0x9e37_79b9_u32 ^ index.wrapping_mul(0x85eb_ca6b);
    let luma = &mut frame.planes[0];
    for y in 0..luma.height {
        for x in 0..luma.width {
            let (fx, fy) = (x as f32, y as f32);
            let mut v = 40.0 + 150.0 * (fx + 2.0 * t) / w * 0.7 + 60.0 * fy / h;
            let d2 = (fx - cx) * (fx - cx) + (fy - cy) * (fy - cy);
            if d2 < radius * radius {
                v = 230.0 - 80.0 * (d2 / (radius * radius));
            }
            if y * 4 > luma.height * 3 && ((x + index as usize) / 3).is_multiple_of(2) {
                v = 0.5 * v + 20.0;
            }
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            v += ((seed >> 28) as f32) - 7.5;
            luma.row_mut(y)[x] = v.clamp(0.0, 255.0) as u8;
        }
    }
    if format.plane_count() == 3 {
        let (sx, sy) = format.chroma_shift();
        for (i, plane) in frame.planes.iter_mut().enumerate().skip(1) {
            for y in 0..plane.height {
                for x in 0..plane.width {
                    let (fx, fy) = (((x << sx) as f32), ((y << sy) as f32));
                    let d2 = (fx - cx) * (fx - cx) + (fy - cy) * (fy - cy);
                    let inside = d2 < radius * radius;
                    let v = if i == 1 {
                        if inside {
                            90.0
                        } else {
                            128.0 + 60.0 * (fx / w - 0.5)
                        }
                    } else if inside {
                        200.0
                    } else {
                        128.0 + 50.0 * (fy / h - 0.5) + 20.0 * (t * 0.1).sin()
                    };
                    plane.row_mut(y)[x] = v.clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_is_deterministic_and_moves() {
        let a = moving_pattern(33, 17, ChromaFormat::Yuv420, 3);
        let b = moving_pattern(33, 17, ChromaFormat::Yuv420, 3);
        let c = moving_pattern(33, 17, ChromaFormat::Yuv420, 4);
        assert!(a.is_consistent());
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
