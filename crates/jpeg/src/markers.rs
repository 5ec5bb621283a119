//! Marker codes (T.81 Table B.1) and the marker segment parsers.

use tessera_core::Limits;

use crate::coeffs::{ComponentSpec, Process, QuantTable};
use crate::error::{JpegError, Result};
use crate::huffman::HuffmanSpec;
use crate::tables::ZIGZAG;

pub const SOI: u8 = 0xD8;
pub const EOI: u8 = 0xD9;
pub const SOS: u8 = 0xDA;
pub const DQT: u8 = 0xDB;
pub const DNL: u8 = 0xDC;
pub const DRI: u8 = 0xDD;
pub const DHT: u8 = 0xC4;
pub const DAC: u8 = 0xCC;
pub const SOF0: u8 = 0xC0;
pub const SOF1: u8 = 0xC1;
pub const APP0: u8 = 0xE0;
pub const APP14: u8 = 0xEE;
pub const COM: u8 = 0xFE;
pub const RST0: u8 = 0xD0;

/// A human name for a frame marker this codec does not decode.
pub fn unsupported_sof(code: u8) -> Option<&'static str> {
    Some(match code {
        0xC2 => "progressive DCT (SOF2)",
        0xC3 => "lossless (SOF3)",
        0xC5..=0xC7 => "hierarchical (differential) coding",
        0xC9 => "arithmetic coding (SOF9)",
        0xCA => "progressive arithmetic coding (SOF10)",
        0xCB => "lossless arithmetic coding (SOF11)",
        0xCD..=0xCF => "hierarchical arithmetic coding",
        _ => return None,
    })
}

/// Where a segment's parameters are: `data[start..end]`, after the length.
pub struct Segment<'a> {
    pub offset: usize,
    pub body: &'a [u8],
}

/// Frame header contents (T.81 B.2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    pub process: Process,
    pub precision: u8,
    pub width: usize,
    pub height: usize,
    pub components: Vec<ComponentSpec>,
}

pub fn parse_sof(seg: &Segment<'_>, code: u8, limits: &Limits) -> Result<FrameHeader> {
    let b = seg.body;
    if b.len() < 6 {
        return Err(JpegError::malformed(seg.offset, "frame header too short"));
    }
    let precision = b[0];
    let height = usize::from(u16::from_be_bytes([b[1], b[2]]));
    let width = usize::from(u16::from_be_bytes([b[3], b[4]]));
    let count = usize::from(b[5]);
    if precision != 8 {
        return Err(JpegError::Unsupported(format!(
            "{precision}-bit samples (only 8-bit is supported)"
        )));
    }
    if b.len() != 6 + 3 * count {
        return Err(JpegError::malformed(
            seg.offset,
            format!("frame header of {} bytes for {count} components", b.len()),
        ));
    }
    if count != 1 && count != 3 {
        return Err(JpegError::Unsupported(format!(
            "{count} components (only 1 and 3 are supported)"
        )));
    }
    if width == 0 || height == 0 {
        return Err(JpegError::Unsupported(format!(
            "image size {width}x{height} (a zero height needs a DNL marker, which is not supported)"
        )));
    }
    limits.check_dimensions(width as u64, height as u64)?;
    let mut components = Vec::with_capacity(count);
    for c in b[6..].chunks_exact(3) {
        let spec = ComponentSpec {
            id: c[0],
            h: c[1] >> 4,
            v: c[1] & 15,
            quant_index: c[2],
        };
        if components.iter().any(|s: &ComponentSpec| s.id == spec.id) {
            return Err(JpegError::malformed(
                seg.offset,
                format!("component id {} appears twice", spec.id),
            ));
        }
        if !(1..=4).contains(&spec.h) || !(1..=4).contains(&spec.v) || spec.quant_index > 3 {
            return Err(JpegError::malformed(
                seg.offset,
                format!(
                    "component {} has sampling {}x{} and table {}",
                    spec.id, spec.h, spec.v, spec.quant_index
                ),
            ));
        }
        components.push(spec);
    }
    Ok(FrameHeader {
        process: if code == SOF0 {
            Process::Baseline
        } else {
            Process::ExtendedSequential
        },
        precision,
        width,
        height,
        components,
    })
}

/// Parses a DQT segment (T.81 B.2.4.1) into `tables`.
pub fn parse_dqt(seg: &Segment<'_>, tables: &mut [Option<QuantTable>; 4]) -> Result<()> {
    let mut b = seg.body;
    while let [pq_tq, rest @ ..] = b {
        let (precision, id) = (pq_tq >> 4, usize::from(pq_tq & 15));
        if id > 3 || precision > 1 {
            return Err(JpegError::malformed(
                seg.offset,
                format!("quantization table {id} with precision {precision}"),
            ));
        }
        let size = if precision == 0 { 64 } else { 128 };
        if rest.len() < size {
            return Err(JpegError::malformed(
                seg.offset,
                "quantization table cut short",
            ));
        }
        let mut table = [0u16; 64];
        for k in 0..64 {
            let q = if precision == 0 {
                u16::from(rest[k])
            } else {
                u16::from_be_bytes([rest[2 * k], rest[2 * k + 1]])
            };
            // A zero entry would divide by zero in encoders; decoders treat
            // it as 1 like libjpeg does.
            table[usize::from(ZIGZAG[k])] = q.max(1);
        }
        tables[id] = Some(QuantTable(table));
        b = &rest[size..];
    }
    Ok(())
}

/// Parses a DHT segment (T.81 B.2.4.2), calling `store(class, id, spec)`
/// for each table; class 0 is DC, 1 is AC.
pub fn parse_dht(
    seg: &Segment<'_>,
    mut store: impl FnMut(u8, usize, HuffmanSpec) -> Result<()>,
) -> Result<()> {
    let mut b = seg.body;
    while let [tc_th, rest @ ..] = b {
        let (class, id) = (tc_th >> 4, usize::from(tc_th & 15));
        if class > 1 || id > 3 {
            return Err(JpegError::malformed(
                seg.offset,
                format!("Huffman table class {class} id {id}"),
            ));
        }
        if rest.len() < 16 {
            return Err(JpegError::malformed(seg.offset, "Huffman table cut short"));
        }
        let mut bits = [0u8; 16];
        bits.copy_from_slice(&rest[..16]);
        let total: usize = bits.iter().map(|&n| usize::from(n)).sum();
        if total > 256 || rest.len() < 16 + total {
            return Err(JpegError::malformed(
                seg.offset,
                format!("Huffman table with {total} symbols does not fit its segment"),
            ));
        }
        let values = rest[16..16 + total].to_vec();
        // With 8-bit samples DC differences have categories 0-11 and AC
        // coefficients RRRRSSSS with SSSS 0-10 (T.81 F.1.2.1, F.1.2.2). A
        // larger category would decode to a coefficient no 8-bit encoder
        // can write back.
        let bad = values.iter().find(|&&v| match class {
            0 => v > 11,
            _ => v & 15 > 10,
        });
        if let Some(v) = bad {
            return Err(JpegError::malformed(
                seg.offset,
                format!(
                    "{} Huffman table {id} holds symbol 0x{v:02X}, a category too large for 8-bit samples",
                    if class == 0 { "DC" } else { "AC" }
                ),
            ));
        }
        store(class, id, HuffmanSpec { bits, values }).map_err(|e| match e {
            JpegError::Malformed { reason, .. } => JpegError::malformed(seg.offset, reason),
            other => other,
        })?;
        b = &rest[16 + total..];
    }
    Ok(())
}

/// Parses a DRI segment (T.81 B.2.4.4).
pub fn parse_dri(seg: &Segment<'_>) -> Result<u16> {
    match seg.body {
        [a, b] => Ok(u16::from_be_bytes([*a, *b])),
        _ => Err(JpegError::malformed(
            seg.offset,
            "restart interval segment is not 2 bytes",
        )),
    }
}

/// One component of a scan header: frame component index and table ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanComponent {
    pub index: usize,
    pub dc_table: usize,
    pub ac_table: usize,
}

/// Parses a scan header (T.81 B.2.3), mapping component ids to frame
/// component indices. Only sequential parameters are accepted.
pub fn parse_sos(seg: &Segment<'_>, frame: &FrameHeader) -> Result<Vec<ScanComponent>> {
    let b = seg.body;
    let count = usize::from(*b.first().unwrap_or(&0));
    if count == 0 || count > 4 || b.len() != 1 + 2 * count + 3 {
        return Err(JpegError::malformed(
            seg.offset,
            "scan header has the wrong length",
        ));
    }
    let mut comps: Vec<ScanComponent> = Vec::with_capacity(count);
    for c in b[1..1 + 2 * count].chunks_exact(2) {
        let index = frame
            .components
            .iter()
            .position(|s| s.id == c[0])
            .ok_or_else(|| {
                JpegError::malformed(seg.offset, format!("scan names unknown component {}", c[0]))
            })?;
        if comps.iter().any(|s| s.index == index) {
            return Err(JpegError::malformed(
                seg.offset,
                "scan names a component twice",
            ));
        }
        let (dc_table, ac_table) = (usize::from(c[1] >> 4), usize::from(c[1] & 15));
        if dc_table > 3 || ac_table > 3 {
            return Err(JpegError::malformed(
                seg.offset,
                "scan uses a Huffman table id over 3",
            ));
        }
        comps.push(ScanComponent {
            index,
            dc_table,
            ac_table,
        });
    }
    let blocks_per_mcu: usize = comps
        .iter()
        .map(|s| {
            let spec = &frame.components[s.index];
            usize::from(spec.h) * usize::from(spec.v)
        })
        .sum();
    if comps.len() > 1 && blocks_per_mcu > 10 {
        return Err(JpegError::malformed(
            seg.offset,
            format!("an MCU of {blocks_per_mcu} blocks (at most 10 are allowed)"),
        ));
    }
    let tail = &b[1 + 2 * count..];
    let (ss, se, ah_al) = (tail[0], tail[1], tail[2]);
    if ss != 0 || se != 63 || ah_al != 0 {
        return Err(JpegError::malformed(
            seg.offset,
            format!("sequential scan with Ss={ss} Se={se} Ah/Al=0x{ah_al:02X}"),
        ));
    }
    Ok(comps)
}
