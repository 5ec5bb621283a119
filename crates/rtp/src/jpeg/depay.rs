//! The receiving side: one frame's RTP/JPEG packets become a complete JPEG
//! file (RFC 2435 section 3 and Appendix B).
//!
//! The payload carries no JPEG headers; they are rebuilt from the main
//! header's type, Q, width and height: SOI, DQT (the tables of Appendix A
//! for Q 1-99, the in-band ones for Q 128-255), SOF0 with components 0, 1,
//! 2 sampled 2x1 or 2x2 / 1x1 / 1x1, DHT with the four Annex K tables, DRI
//! for types 64-127, SOS, then the scan data and EOI.

use super::header::JpegPayload;
use super::qtables::{tables_for_q, to_zigzag};
use super::scan::STD_TABLES;
use super::{DepayStats, MAX_FRAME_BYTES};
use crate::error::{Result, RtpError};

/// Tables kept per Q 128-255 for senders that omit them in later frames.
type TableCache = [Option<Box<([u8; 64], [u8; 64])>>; 128];

/// Rebuilds JPEG files from RTP/JPEG packets.
#[derive(Debug)]
pub struct JpegDepayloader {
    tables: TableCache,
    stats: DepayStats,
}

impl Default for JpegDepayloader {
    fn default() -> Self {
        Self::new()
    }
}

/// What the first packet of a frame says, which every other packet must
/// repeat.
#[derive(Clone, Copy, PartialEq, Eq)]
struct FrameKey {
    timestamp: u32,
    kind: u8,
    q: u8,
    width: u8,
    height: u8,
    restart_interval: Option<u16>,
}

impl JpegDepayloader {
    pub fn new() -> Self {
        JpegDepayloader {
            tables: std::array::from_fn(|_| None),
            stats: DepayStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &DepayStats {
        &self.stats
    }

    /// Rebuilds one frame from its packets (RTP headers included), given in
    /// sequence order with nothing missing: the first at fragment offset
    /// 0, each continuing where the previous one ended, the last with the
    /// marker bit.
    pub fn depayload<P: AsRef<[u8]>>(&mut self, packets: &[P]) -> Result<Vec<u8>> {
        match self.rebuild(packets) {
            Ok(jpeg) => {
                self.stats.frames += 1;
                self.stats.bytes += jpeg.len() as u64;
                Ok(jpeg)
            }
            Err(e) => {
                self.stats.errors += 1;
                Err(e)
            }
        }
    }

    fn rebuild<P: AsRef<[u8]>>(&mut self, packets: &[P]) -> Result<Vec<u8>> {
        let Some(last) = packets.last() else {
            return Err(RtpError::InvalidArgument("no packets for a frame".into()));
        };
        // Bound the output before allocating it.
        let total: usize = packets.iter().map(|p| p.as_ref().len()).sum();
        if total > MAX_FRAME_BYTES {
            return Err(RtpError::Unsupported(format!(
                "{total} bytes of packets for one frame (at most {MAX_FRAME_BYTES})"
            )));
        }
        let mut key: Option<FrameKey> = None;
        let mut tables = None;
        let mut scan = Vec::with_capacity(total);
        for packet in packets {
            let rtp = rtp_types::RtpPacket::parse(packet.as_ref())
                .map_err(|e| RtpError::malformed(format!("RTP packet: {e}")))?;
            let (ssrc, seq) = (rtp.ssrc(), rtp.sequence_number());
            let at = |e: RtpError| match e {
                RtpError::Malformed { what, .. } => RtpError::malformed_packet(what, ssrc, seq),
                other => other,
            };
            let p = JpegPayload::parse(rtp.payload()).map_err(at)?;
            let this = FrameKey {
                timestamp: rtp.timestamp(),
                kind: p.main.kind,
                q: p.main.q,
                width: p.main.width,
                height: p.main.height,
                restart_interval: p.restart.map(|r| r.interval),
            };
            match key {
                None => {
                    if p.main.fragment_offset != 0 {
                        return Err(RtpError::malformed_packet(
                            format!(
                                "RTP/JPEG frame starts at fragment offset {} (its first packet is missing)",
                                p.main.fragment_offset
                            ),
                            ssrc,
                            seq,
                        ));
                    }
                    check_header(&this).map_err(at)?;
                    tables = Some(self.tables_for(this.q, p.quant).map_err(at)?);
                    key = Some(this);
                }
                Some(k) if k != this => {
                    return Err(RtpError::malformed_packet(
                        "RTP/JPEG header (timestamp, type, Q, size or restart interval) changes within a frame",
                        ssrc,
                        seq,
                    ));
                }
                Some(_) => {
                    if p.main.fragment_offset as usize != scan.len() {
                        return Err(RtpError::malformed_packet(
                            format!(
                                "RTP/JPEG fragment offset {}, expected {} (a packet is missing)",
                                p.main.fragment_offset,
                                scan.len()
                            ),
                            ssrc,
                            seq,
                        ));
                    }
                }
            }
            scan.extend_from_slice(p.data);
        }
        let rtp = rtp_types::RtpPacket::parse(last.as_ref())
            .map_err(|e| RtpError::malformed(format!("RTP packet: {e}")))?;
        if !rtp.marker_bit() {
            return Err(RtpError::malformed_packet(
                "RTP/JPEG frame's last packet has no marker bit (the frame is cut short)",
                rtp.ssrc(),
                rtp.sequence_number(),
            ));
        }
        let (Some(key), Some((luma, chroma))) = (key, tables) else {
            return Err(RtpError::InvalidArgument("no packets for a frame".into()));
        };
        let mut jpeg = Vec::with_capacity(scan.len() + 700);
        write_headers(&key, &luma, &chroma, &mut jpeg);
        jpeg.extend_from_slice(&scan);
        if !scan.ends_with(&[0xff, 0xd9]) {
            jpeg.extend_from_slice(&[0xff, 0xd9]);
        }
        Ok(jpeg)
    }

    /// The frame's two tables in zig-zag order.
    fn tables_for(
        &mut self,
        q: u8,
        quant: Option<(super::header::QuantHeader, &[u8])>,
    ) -> Result<([u8; 64], [u8; 64])> {
        if q < 128 {
            let (l, c) = tables_for_q(q);
            return Ok((to_zigzag(&l), to_zigzag(&c)));
        }
        let Some((header, data)) = quant else {
            return Err(RtpError::malformed(format!(
                "RTP/JPEG Q {q} without a quantization table header"
            )));
        };
        let slot = usize::from(q - 128);
        if header.length == 0 {
            self.stats.cached_tables += 1;
            return self.tables[slot].as_deref().copied().ok_or_else(|| {
                RtpError::malformed(format!("RTP/JPEG Q {q} refers to tables never received"))
            });
        }
        if header.precision != 0 {
            return Err(RtpError::Unsupported(format!(
                "RTP/JPEG 16-bit quantization tables (precision {:#04x})",
                header.precision
            )));
        }
        let tables = match data.len() {
            64 => {
                let t: [u8; 64] = data[..64].try_into().unwrap_or([0; 64]);
                (t, t)
            }
            n if n >= 128 && n % 64 == 0 => (
                data[..64].try_into().unwrap_or([0; 64]),
                data[64..128].try_into().unwrap_or([0; 64]),
            ),
            n => {
                return Err(RtpError::malformed(format!(
                    "RTP/JPEG quantization table length {n} (8-bit tables are 64 bytes each)"
                )));
            }
        };
        if tables.0.contains(&0) || tables.1.contains(&0) {
            return Err(RtpError::malformed("RTP/JPEG quantization table entry 0"));
        }
        self.stats.inband_tables += 1;
        if q < 255 {
            self.tables[slot] = Some(Box::new(tables));
        }
        Ok(tables)
    }
}

fn check_header(key: &FrameKey) -> Result<()> {
    match key.kind {
        0 | 1 | 64 | 65 => {}
        2..=63 | 66..=127 => {
            return Err(RtpError::Unsupported(format!(
                "RTP/JPEG type {} (types 0, 1, 64 and 65 are defined)",
                key.kind
            )));
        }
        _ => {
            return Err(RtpError::Unsupported(format!(
                "RTP/JPEG dynamic type {} (needs out-of-band negotiation)",
                key.kind
            )));
        }
    }
    match key.q {
        0 => return Err(RtpError::malformed("RTP/JPEG Q 0 (reserved)")),
        100..=127 => {
            return Err(RtpError::Unsupported(format!(
                "RTP/JPEG Q {} (100-127 are reserved)",
                key.q
            )));
        }
        _ => {}
    }
    if key.width == 0 || key.height == 0 {
        return Err(RtpError::malformed(format!(
            "RTP/JPEG size {}x{}",
            u32::from(key.width) * 8,
            u32::from(key.height) * 8
        )));
    }
    Ok(())
}

fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
    out.extend_from_slice(&[0xff, marker]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
}

/// The JPEG headers of RFC 2435 Appendix B for one frame.
fn write_headers(key: &FrameKey, luma: &[u8; 64], chroma: &[u8; 64], out: &mut Vec<u8>) {
    out.extend_from_slice(&[0xff, 0xd8]);
    let mut dqt = Vec::with_capacity(130);
    dqt.push(0);
    dqt.extend_from_slice(luma);
    dqt.push(1);
    dqt.extend_from_slice(chroma);
    segment(out, 0xdb, &dqt);
    let (w, h) = (u16::from(key.width) * 8, u16::from(key.height) * 8);
    let luma_sampling = if key.kind & 1 == 1 { 0x22 } else { 0x21 };
    let mut sof = vec![8];
    sof.extend_from_slice(&h.to_be_bytes());
    sof.extend_from_slice(&w.to_be_bytes());
    sof.extend_from_slice(&[3, 0, luma_sampling, 0, 1, 0x11, 1, 2, 0x11, 1]);
    segment(out, 0xc0, &sof);
    let mut dht = Vec::with_capacity(420);
    for (i, (bits, values)) in STD_TABLES.iter().enumerate() {
        // DC luma = class 0 id 0, AC luma = 1/0, DC chroma = 0/1, AC chroma = 1/1.
        let (class, id) = ((i % 2) as u8, (i / 2) as u8);
        dht.push(class << 4 | id);
        dht.extend_from_slice(*bits);
        dht.extend_from_slice(values);
    }
    segment(out, 0xc4, &dht);
    if let Some(interval) = key.restart_interval.filter(|&r| r > 0) {
        segment(out, 0xdd, &interval.to_be_bytes());
    }
    segment(out, 0xda, &[3, 0, 0x00, 1, 0x11, 2, 0x11, 0, 63, 0]);
}
