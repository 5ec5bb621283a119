//! The sending side: a baseline JPEG file becomes RTP/JPEG packets
//! (RFC 2435 section 3).
//!
//! A file is sent as it is when it already fits the payload format: three
//! components sampled 2x1/1x1/1x1 (type 0) or 2x2/1x1/1x1 (type 1) in one
//! interleaved scan coded with the Annex K Huffman tables. Otherwise it is
//! re-coded in the DCT domain first, which is lossless: its coefficients
//! are decoded, put on the standard sampling grid when the file's factors
//! are an equivalent ratio (ffmpeg writes 4:2:2 as 2x2/1x2/1x2, for
//! example), and encoded again with the Annex K tables.

use std::borrow::Cow;

use tessera_core::Limits;
use tessera_jpeg::{
    CoefficientImage, ComponentSpec, EncodeOptions, HuffmanMode, JpegInfo, QuantTable,
    decode_coefficients, encode_coefficients, read_info,
};

use super::header::{MainHeader, QuantHeader, RestartHeader};
use super::qtables::{tables_for_q, to_zigzag};
use super::scan::{STD_TABLES, restart_intervals, walk};
use super::{JpegPayloaderConfig, JpegQ, MAX_DIMENSION, PayStats};
use crate::error::{Result, RtpError};

/// RTP fixed header without CSRCs or extension (RFC 3550 section 5.1).
const RTP_HEADER_LEN: usize = 12;
/// Smallest `max_packet` accepted: room for every header and the tables.
pub const MIN_PACKET: usize =
    RTP_HEADER_LEN + MainHeader::LEN + RestartHeader::LEN + QuantHeader::LEN + 128 + 32;
/// The fragment offset has 24 bits.
const MAX_SCAN_BYTES: usize = 1 << 24;

/// What the payload headers need to know about one frame.
#[derive(Debug)]
pub(crate) struct Prepared<'a> {
    /// 0 (4:2:2) or 1 (4:2:0), plus 64 with restart markers.
    pub kind: u8,
    pub width8: u8,
    pub height8: u8,
    /// Natural order.
    pub luma: [u8; 64],
    pub chroma: [u8; 64],
    pub restart_interval: u16,
    pub scan: Cow<'a, [u8]>,
    /// The file was re-coded (sampling or Huffman tables).
    pub recoded: bool,
}

fn table_8bit(info_tables: &[Option<QuantTable>; 4], index: u8) -> Result<[u8; 64]> {
    let table = info_tables
        .get(usize::from(index))
        .copied()
        .flatten()
        .ok_or_else(|| RtpError::malformed(format!("JPEG input: no quantization table {index}")))?;
    if !table.is_8bit() {
        return Err(RtpError::Unsupported(
            "16-bit quantization tables (RTP/JPEG senders here use 8-bit ones)".into(),
        ));
    }
    Ok(std::array::from_fn(|i| table.0[i] as u8))
}

/// Checks that `jpeg` can be carried and finds its scan data, re-coding it
/// when needed.
pub(crate) fn prepare(jpeg: &[u8]) -> Result<Prepared<'_>> {
    let info = read_info(jpeg, &Limits::default())?;
    let (kind, standard_sampling) = rtp_type(&info)?;
    let (w8, h8) = (info.width.div_ceil(8), info.height.div_ceil(8));
    if w8 > MAX_DIMENSION / 8 || h8 > MAX_DIMENSION / 8 {
        return Err(RtpError::Unsupported(format!(
            "{}x{} picture: RTP/JPEG (RFC 2435) carries at most {MAX_DIMENSION}x{MAX_DIMENSION}",
            info.width, info.height
        )));
    }
    let [y, cb, cr] = [info.components[0], info.components[1], info.components[2]];
    let luma = table_8bit(&info.quant_tables, y.quant_index)?;
    let chroma = table_8bit(&info.quant_tables, cb.quant_index)?;
    if table_8bit(&info.quant_tables, cr.quant_index)? != chroma {
        return Err(RtpError::Unsupported(
            "Cb and Cr use different quantization tables (RTP/JPEG has one chroma table)".into(),
        ));
    }
    let restart = info.restart_interval;
    let kind = kind + if restart > 0 { 64 } else { 0 };
    let base = Prepared {
        kind,
        width8: w8 as u8,
        height8: h8 as u8,
        luma,
        chroma,
        restart_interval: restart,
        scan: Cow::Borrowed(&[]),
        recoded: false,
    };
    if standard_sampling && let Some(scan) = sendable_scan(jpeg, &info)? {
        return Ok(Prepared {
            scan: Cow::Borrowed(scan),
            ..base
        });
    }
    // Re-code in the DCT domain.
    let mut image = decode_coefficients(jpeg, &Limits::default())?;
    if !standard_sampling {
        image = normalize_sampling(&image, if kind & 1 == 1 { 2 } else { 1 })?;
    }
    let bytes = encode_coefficients(
        &image,
        &EncodeOptions {
            huffman: HuffmanMode::Standard,
            restart_interval: Some(restart),
            jfif: false,
            comment: None,
        },
    )?;
    let layout = walk(&bytes)?;
    let scan = match layout.scans.as_slice() {
        [(_, scan)] => scan.to_vec(),
        _ => return Err(RtpError::malformed("re-coded JPEG has no single scan")),
    };
    Ok(Prepared {
        scan: Cow::Owned(scan),
        recoded: true,
        ..base
    })
}

/// The RTP/JPEG type (0 or 1) of the file's sampling, and whether the
/// factors are exactly the standard ones.
fn rtp_type(info: &JpegInfo) -> Result<(u8, bool)> {
    let describe = || {
        info.chroma_format
            .map_or_else(|| "this sampling".to_string(), |f| f.to_string())
    };
    if info.components.len() != 3 {
        return Err(RtpError::Unsupported(format!(
            "{} component(s): RTP/JPEG types 0 and 1 carry YCbCr 4:2:2 or 4:2:0 only",
            info.components.len()
        )));
    }
    let [y, cb, cr] = [info.components[0], info.components[1], info.components[2]];
    let ratio = |a: u8, b: u8| (b != 0 && a.is_multiple_of(b)).then(|| a / b);
    let (Some(rh), Some(rv)) = (ratio(y.h, cb.h), ratio(y.v, cb.v)) else {
        return Err(RtpError::Unsupported(format!(
            "{}: RTP/JPEG carries 4:2:2 or 4:2:0 only",
            describe()
        )));
    };
    if (cb.h, cb.v) != (cr.h, cr.v) {
        return Err(RtpError::Unsupported(
            "Cb and Cr sampled differently: RTP/JPEG carries 4:2:2 or 4:2:0 only".into(),
        ));
    }
    let kind = match (rh, rv) {
        (2, 1) => 0,
        (2, 2) => 1,
        _ => {
            return Err(RtpError::Unsupported(format!(
                "{}: RTP/JPEG carries 4:2:2 or 4:2:0 only",
                describe()
            )));
        }
    };
    Ok((kind, (cb.h, cb.v) == (1, 1)))
}

/// The scan data of a file that can be sent unchanged: one interleaved
/// scan of Y, Cb, Cr in frame order, with the Annex K Huffman tables.
fn sendable_scan<'a>(jpeg: &'a [u8], info: &JpegInfo) -> Result<Option<&'a [u8]>> {
    let layout = walk(jpeg)?;
    let [(sos, scan)] = layout.scans.as_slice() else {
        return Ok(None);
    };
    if sos.len() != 10 || sos[0] != 3 || sos[7..] != [0, 63, 0] {
        return Ok(None);
    }
    for (i, c) in info.components.iter().enumerate() {
        let (id, tables) = (sos[1 + 2 * i], sos[2 + 2 * i]);
        if id != c.id {
            return Ok(None);
        }
        let (dc, ac) = (usize::from(tables >> 4), usize::from(tables & 15));
        let std = if i == 0 { 0 } else { 2 };
        let same = |class: usize, id: usize, k: usize| {
            layout.huffman[class]
                .get(id)
                .copied()
                .flatten()
                .is_some_and(|(bits, values)| bits == STD_TABLES[k].0 && values == STD_TABLES[k].1)
        };
        if !same(0, dc, std) || !same(1, ac, std + 1) {
            return Ok(None);
        }
    }
    Ok(Some(scan))
}

/// The same coefficients on the standard grid: Y 2xV, Cb and Cr 1x1.
/// The component sizes do not change (the ratios are the same), so every
/// visible block is carried over; MCU padding blocks are zero.
fn normalize_sampling(image: &CoefficientImage, v: u8) -> Result<CoefficientImage> {
    let specs: Vec<ComponentSpec> = image
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| ComponentSpec {
            id: c.id,
            h: if i == 0 { 2 } else { 1 },
            v: if i == 0 { v } else { 1 },
            quant_index: c.quant_index,
        })
        .collect();
    let mut out = CoefficientImage::new(
        image.width,
        image.height,
        &specs,
        image.quant_tables,
        &Limits::unlimited(),
    )?;
    out.process = image.process;
    out.restart_interval = image.restart_interval;
    for (dst, src) in out.components.iter_mut().zip(&image.components) {
        let bw = dst.blocks_wide.min(src.blocks_wide);
        let bh = dst.blocks_high.min(src.blocks_high);
        for by in 0..bh {
            for bx in 0..bw {
                *dst.block_mut(bx, by) = *src.block(bx, by);
            }
        }
    }
    Ok(out)
}

/// Turns JPEG files into RTP/JPEG packets.
#[derive(Debug)]
pub struct JpegPayloader {
    config: JpegPayloaderConfig,
    sequence: u16,
    stats: PayStats,
}

impl JpegPayloader {
    /// Checks the configuration: `max_packet` from [`MIN_PACKET`] to 65535,
    /// Q 1-99 for [`JpegQ::Standard`], a payload type below 128.
    pub fn new(config: JpegPayloaderConfig) -> Result<Self> {
        if !(MIN_PACKET..=65535).contains(&config.max_packet) {
            return Err(RtpError::InvalidArgument(format!(
                "max_packet {} (must be {MIN_PACKET}-65535)",
                config.max_packet
            )));
        }
        if let JpegQ::Standard(q) = config.q
            && !(1..=99).contains(&q)
        {
            return Err(RtpError::InvalidArgument(format!(
                "Q {q} (standard tables are defined for 1-99)"
            )));
        }
        if config.payload_type >= 128 {
            return Err(RtpError::InvalidArgument(format!(
                "payload type {} (7 bits)",
                config.payload_type
            )));
        }
        Ok(JpegPayloader {
            sequence: config.initial_sequence,
            config,
            stats: PayStats::default(),
        })
    }

    /// The sequence number the next packet will carry.
    pub fn sequence(&self) -> u16 {
        self.sequence
    }

    /// Counters so far.
    pub fn stats(&self) -> &PayStats {
        &self.stats
    }

    /// The packets (RTP header included) of one JPEG file, all with
    /// `timestamp`, the last one with the marker bit.
    pub fn packetize(&mut self, jpeg: &[u8], timestamp: u32) -> Result<Vec<Vec<u8>>> {
        let frame = prepare(jpeg)?;
        let q = match self.config.q {
            JpegQ::InBand => 255,
            JpegQ::Standard(q) => {
                let (l, c) = tables_for_q(q);
                if l != frame.luma || c != frame.chroma {
                    return Err(RtpError::InvalidArgument(format!(
                        "the JPEG's quantization tables are not RFC 2435's for Q {q}; send them in band"
                    )));
                }
                q
            }
        };
        if frame.scan.len() >= MAX_SCAN_BYTES {
            return Err(RtpError::Unsupported(format!(
                "{} bytes of scan data (the 24-bit fragment offset allows {})",
                frame.scan.len(),
                MAX_SCAN_BYTES - 1
            )));
        }
        let pieces = split(&frame, q, self.config.max_packet);
        let mut packets = Vec::with_capacity(pieces.len());
        let mut payload = Vec::with_capacity(self.config.max_packet);
        let count = pieces.len();
        for (n, piece) in pieces.into_iter().enumerate() {
            payload.clear();
            MainHeader {
                type_specific: 0,
                fragment_offset: piece.range.start as u32,
                kind: frame.kind,
                q,
                width: frame.width8,
                height: frame.height8,
            }
            .write(&mut payload);
            if let Some(restart) = piece.restart {
                restart.write(&mut payload);
            }
            if q >= 128 && piece.range.start == 0 {
                QuantHeader {
                    mbz: 0,
                    precision: 0,
                    length: 128,
                }
                .write(&mut payload);
                payload.extend_from_slice(&to_zigzag(&frame.luma));
                payload.extend_from_slice(&to_zigzag(&frame.chroma));
            }
            payload.extend_from_slice(&frame.scan[piece.range]);
            let packet = crate::packet::build(
                self.config.payload_type,
                n + 1 == count,
                self.sequence,
                timestamp,
                self.config.ssrc,
                &payload,
            )?;
            debug_assert!(packet.len() <= self.config.max_packet);
            self.sequence = self.sequence.wrapping_add(1);
            self.stats.packets += 1;
            self.stats.bytes += packet.len() as u64;
            packets.push(packet);
        }
        self.stats.frames += 1;
        if frame.recoded {
            self.stats.recoded_frames += 1;
        }
        Ok(packets)
    }
}

/// One packet's share of the scan data.
#[derive(Debug)]
struct Piece {
    range: std::ops::Range<usize>,
    restart: Option<RestartHeader>,
}

/// Cuts the scan data into packets. With restart markers, packets hold one
/// or more whole restart intervals where they fit; an interval larger than
/// a packet is cut into fragments (F set on the first, L on the last).
fn split(frame: &Prepared<'_>, q: u8, max_packet: usize) -> Vec<Piece> {
    let restart = frame.kind >= 64;
    let headers = RTP_HEADER_LEN + MainHeader::LEN + if restart { RestartHeader::LEN } else { 0 };
    let room = |offset: usize| {
        let tables = if q >= 128 && offset == 0 {
            QuantHeader::LEN + 128
        } else {
            0
        };
        max_packet - headers - tables
    };
    let scan = &frame.scan;
    let mut pieces = Vec::new();
    if !restart {
        let mut pos = 0;
        loop {
            let end = (pos + room(pos)).min(scan.len());
            pieces.push(Piece {
                range: pos..end,
                restart: None,
            });
            pos = end;
            if pos >= scan.len() {
                return pieces;
            }
        }
    }
    let intervals = restart_intervals(scan);
    let header = |first: bool, last: bool, index: usize| RestartHeader {
        interval: frame.restart_interval,
        first,
        last,
        count: (index % usize::from(RestartHeader::UNKNOWN_COUNT)) as u16,
    };
    let (mut i, mut pos) = (0usize, 0usize);
    while i < intervals.len() {
        let start = intervals[i].start + pos;
        let space = room(start);
        if intervals[i].end - start <= space {
            let mut j = i + 1;
            if pos == 0 {
                // Whole intervals, as many as fit.
                while j < intervals.len() && intervals[j].end - start <= space {
                    j += 1;
                }
            }
            pieces.push(Piece {
                range: start..intervals[j - 1].end,
                restart: Some(header(pos == 0, true, i)),
            });
            (i, pos) = (j, 0);
        } else {
            pieces.push(Piece {
                range: start..start + space,
                restart: Some(header(pos == 0, false, i)),
            });
            pos += space;
        }
    }
    pieces
}
