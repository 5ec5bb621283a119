//! Measurement 2: SC encode (packetize) time per block as the region
//! grows, on a 1920x1080 4:2:0 frame.

use std::time::Duration;

use tessera_core::Limits;
use tessera_sc::{FrameGeometry, Packetizer, PacketizerConfig, Region, ScImage};

use crate::inputs::Coded;
use crate::timing::{calls_for, per_call};

#[derive(Clone, Debug)]
pub struct EncodeRow {
    pub content: &'static str,
    pub shape: &'static str,
    pub region: Region,
    pub blocks: usize,
    pub packets: usize,
    pub sc_bytes: usize,
    /// Fastest batch, ns per block.
    pub ns_per_block: f64,
    /// CPU time over all batches, ns per block.
    pub cpu_ns_per_block: Option<f64>,
}

/// The regions, in MCUs (16x16 pixels): centred squares, full-width bands
/// and full-height columns of growing size.
fn regions(g: &FrameGeometry, smoke: bool) -> Vec<(&'static str, Region)> {
    let (mw, mh) = (g.mcu_width(), g.mcu_height());
    let (cols, rows) = (g.bw() * 8 / mw, g.bh() * 8 / mh);
    let region = |x: u32, y: u32, w: u32, h: u32| Region {
        x: (x * mw) as u16,
        y: (y * mh) as u16,
        width: (w * mw) as u16,
        height: (h * mh) as u16,
    };
    let mut out = Vec::new();
    let squares: &[u32] = if smoke {
        &[1, 4]
    } else {
        &[1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 68]
    };
    for &s in squares.iter().filter(|&&s| s <= cols.min(rows)) {
        out.push(("square", region((cols - s) / 2, (rows - s) / 2, s, s)));
    }
    if smoke {
        return out;
    }
    for h in [1, 2, 4, 8, 17, 34, 68].into_iter().filter(|&h| h <= rows) {
        out.push(("band", region(0, 0, cols, h)));
    }
    for w in [1, 2, 4, 8, 15, 30, 60, 120]
        .into_iter()
        .filter(|&w| w <= cols)
    {
        out.push(("column", region(0, 0, w, rows)));
    }
    out
}

/// Times `Packetizer::packetize` for every region of each content frame.
pub fn measure(contents: &[&Coded], smoke: bool) -> Vec<EncodeRow> {
    let target = Duration::from_millis(if smoke { 1 } else { 25 });
    let batches = if smoke { 1 } else { 7 };
    let mut rows = Vec::new();
    for coded in contents {
        let coefficients =
            tessera_jpeg::decode_coefficients(&coded.jpeg, &Limits::default()).expect("decode");
        let image = ScImage::from_jpeg(&coefficients).expect("SC image");
        let mut packetizer =
            Packetizer::new(PacketizerConfig::new(0x5C00_0002)).expect("packetizer");
        for (shape, region) in regions(&image.geometry, smoke) {
            let packets = packetizer.packetize(&image, region, 0).expect("packetize");
            let blocks = region.addresses(&image.geometry).count();
            let mut run = || {
                std::hint::black_box(packetizer.packetize(&image, region, 0).expect("packetize"));
            };
            let calls = calls_for(target, &mut run);
            let t = per_call(batches, calls, &mut run);
            rows.push(EncodeRow {
                content: coded.source,
                shape,
                region,
                blocks,
                packets: packets.len(),
                sc_bytes: packets.iter().map(Vec::len).sum(),
                ns_per_block: t.wall_min * 1e9 / blocks as f64,
                cpu_ns_per_block: t.cpu.map(|c| c * 1e9 / blocks as f64),
            });
        }
    }
    rows
}

/// The forward DCT that makes an SC image from pixels, per block, for
/// scale: ns per block over the whole frame (fastest of a few runs).
pub fn dct_ns_per_block(coded: &Coded) -> f64 {
    let frame = tessera_jpeg::decode_frame(&coded.jpeg, &Limits::default()).expect("decode");
    let image = ScImage::from_frame(&frame).expect("SC image");
    let blocks = image.blocks.len();
    let t = per_call(3, 1, || {
        std::hint::black_box(ScImage::from_frame(&frame).expect("SC image"));
    });
    t.wall_min * 1e9 / blocks as f64
}
