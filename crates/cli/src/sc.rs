//! `tessera sc`: the semicompressed format from the command line. `encode`
//! turns a video into RTP/SC packets in a pcap capture (one SSRC per
//! subregion), `decode` reassembles, merges and transcodes a capture to
//! Y4M or Motion-JPEG, and `stats` compares SC and JPEG frame sizes.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tessera_container::pcap::{PcapUdpReader, PcapUdpWriter};
use tessera_core::{Limits, Rational};
use tessera_jpeg::quality::tables_for_quality;
use tessera_sc::{
    AssembledFrame, Assembler, AssemblerConfig, Invalid, Packetizer, PacketizerConfig, RateLimit,
    Region, ScImage,
};

use crate::media::{Input, Output, Picture};

/// First SSRC of `sc encode`; region `i` uses `BASE_SSRC + i`.
pub const BASE_SSRC: u32 = 0x5C00_0001;
/// Where `sc encode` addresses its datagrams.
pub const DESTINATION: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 100), 5004);

/// Parses a rate-limit specification: comma-separated `quality=Q` (zero
/// coefficients that quantize to zero at IJG quality Q), `cutoff=N` (drop
/// AC coefficients with u+v > N) and `replenish=T` (skip blocks that
/// changed by at most T since last sent).
pub fn parse_rate_limit(specs: &[String]) -> Result<RateLimit> {
    let mut limit = RateLimit::default();
    for item in specs
        .iter()
        .flat_map(|s| s.split(','))
        .filter(|s| !s.trim().is_empty())
    {
        let (key, value) = item
            .split_once('=')
            .with_context(|| format!("rate limit {item:?}: expected KEY=VALUE"))?;
        let number: u32 = value
            .trim()
            .parse()
            .with_context(|| format!("rate limit {item:?}: {value:?} is not a number"))?;
        match key.trim() {
            "quality" if (1..=100).contains(&number) => {
                limit.zero_below = Some(tables_for_quality(number as u8).0);
            }
            "cutoff" if number <= 14 => limit.frequency_cutoff = Some(number as u8),
            "replenish" if number <= 4095 => limit.replenish_threshold = Some(number as u16),
            "quality" | "cutoff" | "replenish" => {
                bail!(
                    "rate limit {item:?}: value out of range (quality 1-100, cutoff 0-14, replenish 0-4095)"
                )
            }
            other => bail!("rate limit key {other:?}: expected quality, cutoff or replenish"),
        }
    }
    Ok(limit)
}

/// Parses `X,Y,W,H`.
pub fn parse_region(text: &str) -> Result<Region, String> {
    Region::parse(text).ok_or_else(|| format!("{text:?}: expected X,Y,WIDTH,HEIGHT in luma pixels"))
}

/// `sc encode` settings.
#[derive(Clone, Debug)]
pub struct EncodeOptions {
    pub regions: Option<usize>,
    pub region: Vec<Region>,
    pub max_packet: usize,
    pub rate_limit: RateLimit,
    pub fps: Rational,
    pub max_frames: Option<u64>,
}

fn to_sc(picture: Picture, limits: &Limits) -> Result<ScImage> {
    Ok(match picture {
        Picture::Raw(frame) => ScImage::from_frame(&frame)?,
        Picture::Jpeg(bytes) => {
            ScImage::from_jpeg(&tessera_jpeg::decode_coefficients(&bytes, limits)?)?
        }
    })
}

/// 90 kHz timestamp of frame `index` at `rate`.
fn timestamp(index: u64, rate: Rational) -> u32 {
    (u128::from(index) * 90_000 * u128::from(rate.den) / u128::from(rate.num)) as u32
}

/// Encodes `input` to RTP/SC packets in a pcap capture.
pub fn encode(input: &Path, pcap: &Path, options: &EncodeOptions) -> Result<String> {
    let limits = Limits::default();
    let mut reader = Input::open(input, limits)?;
    let rate = reader.rate.unwrap_or(options.fps);
    let file = File::create(pcap).with_context(|| format!("cannot create {}", pcap.display()))?;
    let mut writer = PcapUdpWriter::new(BufWriter::new(file))?;
    let mut packetizers: Vec<(Region, Packetizer, SocketAddrV4)> = Vec::new();
    let mut geometry = None;
    let mut index = 0u64;
    while options.max_frames.is_none_or(|m| index < m) {
        let Some(picture) = reader.next_picture()? else {
            break;
        };
        let image = to_sc(picture, &limits)
            .with_context(|| format!("{}: frame {index}", input.display()))?;
        match geometry {
            None => {
                let g = image.geometry;
                let regions = if options.region.is_empty() {
                    g.bands(options.regions.unwrap_or(1))
                } else {
                    options.region.clone()
                };
                for (i, region) in regions.into_iter().enumerate() {
                    region.check(&g).map_err(|e| {
                        anyhow::anyhow!(
                            "region {region:?}: {e} (frame grid {}x{} blocks, MCU {}x{})",
                            g.bw(),
                            g.bh(),
                            g.mcu_width(),
                            g.mcu_height()
                        )
                    })?;
                    let mut config = PacketizerConfig::new(BASE_SSRC + i as u32);
                    config.max_packet = options.max_packet;
                    config.rate_limit = options.rate_limit.clone();
                    let source =
                        SocketAddrV4::new(Ipv4Addr::new(10, 0, 1, 1 + (i % 250) as u8), 5004);
                    packetizers.push((region, Packetizer::new(config)?, source));
                }
                geometry = Some(g);
            }
            Some(g) if g != image.geometry => bail!(
                "{}: frame {index} is {}x{}, the stream started at {}x{}",
                input.display(),
                image.geometry.true_width,
                image.geometry.true_height,
                g.true_width,
                g.true_height
            ),
            Some(_) => {}
        }
        let ts = timestamp(index, rate);
        let time = Duration::from_secs_f64(index as f64 / rate.as_f64());
        for (region, packetizer, source) in &mut packetizers {
            for packet in packetizer.packetize(&image, *region, ts)? {
                writer.write(time, *source, DESTINATION, &packet)?;
            }
        }
        index += 1;
    }
    if index == 0 {
        bail!("{}: no frames", input.display());
    }
    writer.into_inner()?;
    let g = geometry.expect("at least one frame");
    let mut text = format!(
        "{} -> {}: {index} frames {}x{} {} at {rate} fps, {} region(s), packets of at most {} bytes",
        input.display(),
        pcap.display(),
        g.true_width,
        g.true_height,
        g.chroma_format(),
        packetizers.len(),
        options.max_packet
    );
    let (mut packets, mut bytes) = (0, 0);
    for (region, packetizer, _) in &packetizers {
        let s = packetizer.stats();
        packets += s.packets;
        bytes += s.bytes;
        text += &format!(
            "\n  region {},{},{},{}: {} packets, {} bytes, {} blocks sent, {} skipped by replenishment",
            region.x,
            region.y,
            region.width,
            region.height,
            s.packets,
            s.bytes,
            s.blocks_sent,
            s.blocks_skipped
        );
    }
    text += &format!(
        "\n  total {packets} packets, {bytes} bytes ({:.0} bytes/frame)",
        bytes as f64 / index as f64
    );
    Ok(text)
}

/// Reads the SC frames of a capture, calling `frame` for each.
fn assemble(
    pcap: &Path,
    mut frame: impl FnMut(AssembledFrame) -> Result<()>,
) -> Result<(Assembler, u64)> {
    let file = File::open(pcap).with_context(|| format!("cannot open {}", pcap.display()))?;
    let mut reader =
        PcapUdpReader::new(BufReader::new(file)).with_context(|| pcap.display().to_string())?;
    let mut assembler = Assembler::new(AssemblerConfig::default());
    while let Some(datagram) = reader
        .next_datagram()
        .with_context(|| pcap.display().to_string())?
    {
        for f in assembler.push(&datagram.payload) {
            frame(f)?;
        }
    }
    for f in assembler.flush() {
        frame(f)?;
    }
    Ok((assembler, reader.skipped()))
}

fn drop_report(assembler: &Assembler, skipped: u64) -> String {
    let s = assembler.stats();
    let mut text = format!(
        "  packets {} ({} bytes), frames {} ({} forced), duplicates {}, late {}, over limits {}, non-UDP records {skipped}",
        s.packets, s.bytes, s.frames, s.forced_frames, s.duplicates, s.late, s.over_limits
    );
    for reason in Invalid::ALL {
        let n = s.invalid(reason);
        if n > 0 {
            text += &format!("\n  dropped {n}: {reason}");
        }
    }
    text
}

/// The frame rate of a capture from its first two RTP timestamps.
fn capture_rate(pcap: &Path) -> Result<Option<Rational>> {
    let file = File::open(pcap).with_context(|| format!("cannot open {}", pcap.display()))?;
    let mut reader =
        PcapUdpReader::new(BufReader::new(file)).with_context(|| pcap.display().to_string())?;
    let mut first: Option<u32> = None;
    for _ in 0..100_000 {
        let Some(d) = reader.next_datagram()? else {
            break;
        };
        let Ok(rtp) = rtp_types::RtpPacket::parse(&d.payload) else {
            continue;
        };
        match first {
            None => first = Some(rtp.timestamp()),
            Some(t0) if rtp.timestamp() != t0 => {
                let delta = rtp.timestamp().wrapping_sub(t0);
                if delta < 90_000 * 60 {
                    return Ok(Rational::from_f64(90_000.0 / f64::from(delta)));
                }
            }
            Some(_) => {}
        }
    }
    Ok(None)
}

/// Reassembles a capture and writes Y4M or Motion-JPEG.
pub fn decode(pcap: &Path, output: &Path, quality: u8, fps: Option<Rational>) -> Result<String> {
    let (luma, chroma) = tables_for_quality(quality);
    let rate = match fps {
        Some(r) => r,
        None => capture_rate(pcap)?.unwrap_or(Rational::integer(25)),
    };
    let mut out = Output::new(output, rate)?;
    let y4m = matches!(out.kind, tessera_container::ContainerKind::Y4m);
    let (assembler, skipped) = assemble(pcap, |f| {
        if y4m {
            out.write_frame(&f.image.to_frame()?)
        } else {
            let jpeg = f.image.to_jpeg_bytes(&luma, &chroma)?;
            let g = f.image.geometry;
            out.write_jpeg(
                &jpeg,
                usize::from(g.true_width),
                usize::from(g.true_height),
                g.chroma_format(),
            )
        }
    })?;
    let frames = out.frames;
    if frames == 0 {
        bail!(
            "{}: no valid SC frames\n{}",
            pcap.display(),
            drop_report(&assembler, skipped)
        );
    }
    out.finish()?;
    let how = if y4m {
        String::new()
    } else {
        format!(", transcoded to JPEG quality {quality} in the DCT domain")
    };
    Ok(format!(
        "{} -> {}: {frames} frames at {rate} fps{how}\n{}",
        pcap.display(),
        output.display(),
        drop_report(&assembler, skipped)
    ))
}

/// Per-frame SC size against JPEG size.
pub fn stats(input: &Path, quality: u8, max_packet: usize) -> Result<String> {
    let (luma, chroma) = tables_for_quality(quality);
    let mut lines = vec![format!(
        "{:>6} {:>10} {:>10} {:>7}",
        "frame", "sc_bytes", "jpeg_bytes", "ratio"
    )];
    let (mut total_sc, mut total_jpeg, mut n) = (0u64, 0u64, 0u64);
    let mut row = |sc: u64, jpeg: u64| {
        lines.push(format!(
            "{n:>6} {sc:>10} {jpeg:>10} {:>7.2}",
            sc as f64 / jpeg.max(1) as f64
        ));
        total_sc += sc;
        total_jpeg += jpeg;
        n += 1;
    };
    let is_pcap = input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pcap"));
    let source;
    if is_pcap {
        assemble(input, |f| {
            let sc: u64 = f.packets.iter().map(|p| p.len() as u64).sum();
            let jpeg = f.image.to_jpeg_bytes(&luma, &chroma)?.len() as u64;
            row(sc, jpeg);
            Ok(())
        })?;
        source = format!("JPEG = DCT-domain transcode at quality {quality}");
    } else {
        let limits = Limits::default();
        let mut reader = Input::open(input, limits)?;
        let mut packetizer = None;
        let options = tessera_jpeg::EncodeOptions::default();
        let mut from_jpeg = false;
        while let Some(picture) = reader.next_picture()? {
            let jpeg = match &picture {
                Picture::Jpeg(bytes) => {
                    from_jpeg = true;
                    bytes.len() as u64
                }
                Picture::Raw(frame) => {
                    tessera_jpeg::encode_frame(frame, quality, &options)?.len() as u64
                }
            };
            let image = to_sc(picture, &limits)?;
            let p = match &mut packetizer {
                Some(p) => p,
                None => {
                    let mut config = PacketizerConfig::new(BASE_SSRC);
                    config.max_packet = max_packet;
                    packetizer.insert(Packetizer::new(config)?)
                }
            };
            let sc: u64 = p
                .packetize(&image, image.geometry.full_region(), 0)?
                .iter()
                .map(|p| p.len() as u64)
                .sum();
            row(sc, jpeg);
        }
        source = if from_jpeg {
            "JPEG = the input's own images".to_string()
        } else {
            format!("JPEG = our encoder at quality {quality}")
        };
    }
    if n == 0 {
        bail!("{}: no frames", input.display());
    }
    lines.push(format!(
        "total: {n} frames, SC {total_sc} bytes, JPEG {total_jpeg} bytes, SC/JPEG {:.2} ({source}; SC packets of at most {max_packet} bytes, RTP headers included)",
        total_sc as f64 / total_jpeg.max(1) as f64
    ));
    Ok(lines.join("\n"))
}
