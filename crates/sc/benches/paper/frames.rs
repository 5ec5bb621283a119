//! Per-frame figures: SC size against the M-JPEG frame it came from
//! (measurement 1), and the receiver's cost of turning the SC packets back
//! into M-JPEG (measurement 3).

use std::time::Instant;

use tessera_core::Limits;
use tessera_jpeg::{QuantTable, decode_coefficients};
use tessera_sc::{
    AssembledFrame, Assembler, AssemblerConfig, Packetizer, PacketizerConfig, ScImage,
};

use crate::inputs::{Coded, Coder};

/// Tables of the transcode's output: IJG quality 75.
pub fn output_tables() -> (QuantTable, QuantTable) {
    tessera_jpeg::quality::tables_for_quality(75)
}

#[derive(Clone, Debug)]
pub struct FrameRow {
    pub resolution: String,
    pub source: &'static str,
    pub coder: Coder,
    pub q: u8,
    pub frame: usize,
    pub mjpeg_bytes: usize,
    /// All RTP/SC packets of the whole frame, headers included.
    pub sc_bytes: usize,
    pub sc_packets: usize,
    /// The transcode's JPEG (quality 75, Annex K Huffman tables).
    pub out_bytes: usize,
    /// Packets to a completed frame in an [`Assembler`], seconds.
    pub assemble: f64,
    /// `ScImage` to JPEG bytes, seconds.
    pub transcode: f64,
}

/// Replays packetized frames into one assembler as a continuing stream:
/// each replay gets fresh sequence numbers and a new timestamp written into
/// the RTP header, so repeating a frame is not a duplicate.
pub struct Feed {
    assembler: Assembler,
    sequence: u16,
    timestamp: u32,
}

impl Feed {
    pub fn new() -> Feed {
        Feed {
            assembler: Assembler::new(AssemblerConfig::default()),
            sequence: 0,
            timestamp: 0,
        }
    }

    /// Pushes `packets` (one whole frame) and returns the frame they
    /// complete.
    pub fn assemble(&mut self, packets: &mut [Vec<u8>]) -> AssembledFrame {
        self.timestamp = self.timestamp.wrapping_add(3600);
        let mut done = Vec::new();
        for packet in packets.iter_mut() {
            packet[2..4].copy_from_slice(&self.sequence.to_be_bytes());
            packet[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
            self.sequence = self.sequence.wrapping_add(1);
            done.extend(self.assembler.push(packet));
        }
        assert_eq!(done.len(), 1, "the marker packet completes the frame");
        assert_eq!(self.assembler.stats().invalid_total(), 0);
        done.pop().expect("one frame")
    }
}

/// An input frame made ready for the receiver: its SC image and packets.
pub struct Prepared {
    pub image: ScImage,
    pub packets: Vec<Vec<u8>>,
}

pub fn prepare(coded: &Coded, packetizer: &mut Packetizer) -> Prepared {
    let coefficients =
        decode_coefficients(&coded.jpeg, &Limits::default()).expect("decode ffmpeg's JPEG");
    let image = ScImage::from_jpeg(&coefficients).expect("SC image");
    let packets = packetizer
        .packetize(&image, image.geometry.full_region(), 0)
        .expect("packetize");
    Prepared { image, packets }
}

/// Every frame of `inputs`, one at a time; timings are the fastest of
/// `reps` runs.
pub fn measure(resolution: &str, inputs: &[Coded], reps: usize) -> Vec<FrameRow> {
    let mut packetizer = Packetizer::new(PacketizerConfig::new(0x5C00_0001)).expect("packetizer");
    let mut feed = Feed::new();
    let (luma, chroma) = output_tables();
    let fastest = |f: &mut dyn FnMut()| {
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    inputs
        .iter()
        .map(|coded| {
            let mut prepared = prepare(coded, &mut packetizer);
            let sc_bytes = prepared.packets.iter().map(Vec::len).sum();
            let sc_packets = prepared.packets.len();
            let assembled = feed.assemble(&mut prepared.packets);
            assert!(*assembled.image == prepared.image, "SC round trip");
            let assemble = fastest(&mut || drop(feed.assemble(&mut prepared.packets)));
            let mut out_bytes = 0;
            let transcode = fastest(&mut || {
                let jpeg = prepared
                    .image
                    .to_jpeg_bytes(&luma, &chroma)
                    .expect("transcode");
                out_bytes = jpeg.len();
            });
            FrameRow {
                resolution: resolution.to_string(),
                source: coded.source,
                coder: coded.coder,
                q: coded.q,
                frame: coded.frame,
                mjpeg_bytes: coded.jpeg.len(),
                sc_bytes,
                sc_packets,
                out_bytes,
                assemble,
                transcode,
            }
        })
        .collect()
}
