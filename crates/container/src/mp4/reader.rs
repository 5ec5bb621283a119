//! Reading the MPEG-4 Visual track of an MP4 file held in memory: walks
//! `moov/trak/mdia/minf/stbl` and cuts the samples out of the file with
//! the sample tables.
//!
//! Every field is read with a bounds check, every box must fit in its
//! parent, and nothing is allocated from a count before the bytes that
//! back it are known to be there: the sample list is at most one entry per
//! input byte and the sample data at most the input's size.

use tessera_core::Limits;

use super::{Mp4Sample, Mp4Video, Mp4VideoConfig, OBJECT_TYPE_MPEG4_VISUAL, tag};
use crate::error::{Error, Result};

/// Reads the first MPEG-4 Visual (`mp4v`) track of the MP4 file `bytes`:
/// its configuration and its samples in decoding order, with durations and
/// sync flags.
///
/// Other tracks are skipped. Composition offsets (`ctts`) and edit lists
/// are ignored: the samples come in decoding order. Errors:
/// [`Error::MalformedMp4`] for a broken file (a box past its parent's end,
/// tables that disagree, a sample outside the file),
/// [`Error::UnsupportedMp4`] for a file without an `mp4v` track or with
/// several sample descriptions, and [`Error::LimitExceeded`] for a picture
/// or a sample over `limits`.
pub fn read_mp4_video(bytes: &[u8], limits: Limits) -> Result<Mp4Video> {
    let file = Mp4Box {
        kind: *b"file",
        offset: 0,
        body: bytes,
        body_at: 0,
    };
    // Walk every top-level box, so that a file cut short fails here even
    // when `moov` comes first.
    let mut moov = None;
    for b in file.children(0) {
        let b = b?;
        if &b.kind == b"moov" && moov.is_none() {
            moov = Some(b);
        }
    }
    let moov = moov.ok_or_else(|| Error::malformed_mp4(0, "no moov box"))?;
    check_nesting(&moov, 0)?;

    let mut iods_profile = None;
    let mut other_video = None;
    let mut track = None;
    for b in moov.children(0) {
        let b = b?;
        match &b.kind {
            b"iods" => iods_profile = visual_profile(&b)?,
            b"trak" if track.is_none() => match read_track(&b, bytes, limits)? {
                Track::Mp4v(t) => track = Some(t),
                Track::OtherVideo(kind) => other_video = Some(kind),
                Track::NotVideo => {}
            },
            _ => {}
        }
    }
    let Some(mut video) = track else {
        return Err(Error::UnsupportedMp4(match other_video {
            Some(kind) => format!(
                "no MPEG-4 Visual track (the video is '{}')",
                String::from_utf8_lossy(&kind)
            ),
            None => "no video track".into(),
        }));
    };
    let config = &mut video.config;
    config.profile_level = iods_profile
        .or(match config.decoder_config[..] {
            [0, 0, 1, 0xb0, profile_level, ..] => Some(profile_level),
            _ => None,
        })
        .unwrap_or(0xff);
    Ok(video)
}

/// Deepest nesting of boxes [`check_nesting`] follows.
const MAX_DEPTH: usize = 16;

/// Checks that the boxes inside `b` fit in it, descending into the
/// containers of the track structure, so that a broken size fails even in
/// a box the reader has no use for.
fn check_nesting(b: &Mp4Box<'_>, depth: usize) -> Result<()> {
    let skip = match &b.kind {
        b"moov" | b"trak" | b"mdia" | b"minf" | b"dinf" | b"stbl" | b"edts" => 0,
        b"stsd" | b"dref" => 8,
        b"mp4v" => VISUAL_SAMPLE_ENTRY,
        _ => return Ok(()),
    };
    if depth == MAX_DEPTH {
        return Ok(());
    }
    for child in b.children(skip) {
        check_nesting(&child?, depth + 1)?;
    }
    Ok(())
}

/// What a `trak` turned out to be.
enum Track {
    Mp4v(Mp4Video),
    /// A video track with another sample entry type.
    OtherVideo([u8; 4]),
    NotVideo,
}

fn read_track(trak: &Mp4Box<'_>, file: &[u8], limits: Limits) -> Result<Track> {
    let mdia = trak.require(b"mdia", 0)?;
    let mut hdlr = mdia.require(b"hdlr", 0)?.fields();
    hdlr.skip(8, "hdlr version and pre_defined")?;
    if &hdlr.array::<4>("handler_type")? != b"vide" {
        return Ok(Track::NotVideo);
    }
    let mut mdhd = mdia.require(b"mdhd", 0)?.fields();
    let version = mdhd.u8("mdhd version")?;
    mdhd.skip(3 + if version == 1 { 16 } else { 8 }, "mdhd times")?;
    let timescale = mdhd.u32("mdhd timescale")?;
    if timescale == 0 {
        return Err(Error::malformed_mp4(mdhd.offset(), "timescale 0"));
    }
    let stbl = mdia.require(b"minf", 0)?.require(b"stbl", 0)?;

    let stsd = stbl.require(b"stsd", 0)?;
    let entries = stsd.fields().at(4).u32("stsd entry_count")?;
    let entry = stsd
        .children(8)
        .next()
        .ok_or_else(|| Error::malformed_mp4(stsd.offset, "stsd holds no sample entry"))??;
    if &entry.kind != b"mp4v" {
        return Ok(Track::OtherVideo(entry.kind));
    }
    if entries != 1 {
        return Err(Error::UnsupportedMp4(format!(
            "{entries} sample descriptions in one track"
        )));
    }
    let mut config = read_sample_entry(&entry)?;
    config.timescale = timescale;
    limits.check_dimensions(config.width.into(), config.height.into())?;

    let samples = read_samples(&stbl, file, limits)?;
    Ok(Track::Mp4v(Mp4Video { config, samples }))
}

/// Size of the fields of a `VisualSampleEntry` before its child boxes.
const VISUAL_SAMPLE_ENTRY: usize = 78;

/// The picture size from an `mp4v` entry and the rest from its `esds`.
/// `timescale` and `profile_level` are left for the caller.
fn read_sample_entry(entry: &Mp4Box<'_>) -> Result<Mp4VideoConfig> {
    let mut f = entry.fields();
    f.skip(24, "VisualSampleEntry reserved fields")?;
    let width = f.u16("width")?;
    let height = f.u16("height")?;
    f.skip(VISUAL_SAMPLE_ENTRY - 28, "VisualSampleEntry")?;
    let mut config = Mp4VideoConfig {
        width,
        height,
        timescale: 0,
        decoder_config: Vec::new(),
        profile_level: 0xff,
        avg_bitrate: 0,
        max_bitrate: 0,
        buffer_size: 0,
    };

    let esds = entry.require(b"esds", VISUAL_SAMPLE_ENTRY)?;
    let mut f = esds.fields();
    f.skip(4, "esds version")?;
    let mut es = f.descriptor(tag::ES)?;
    es.skip(2, "ES_ID")?;
    let flags = es.u8("ES_Descriptor flags")?;
    if flags & 0x80 != 0 {
        es.skip(2, "dependsOn_ES_ID")?;
    }
    if flags & 0x40 != 0 {
        let len = es.u8("URLlength")?;
        es.skip(len.into(), "URLstring")?;
    }
    if flags & 0x20 != 0 {
        es.skip(2, "OCR_ES_Id")?;
    }
    let mut decoder = None;
    while !es.is_empty() {
        let (t, sub) = es.any_descriptor()?;
        if t == tag::DECODER_CONFIG && decoder.is_none() {
            decoder = Some(sub);
        }
    }
    let mut dc =
        decoder.ok_or_else(|| Error::malformed_mp4(esds.offset, "no DecoderConfigDescriptor"))?;
    let object_type = dc.u8("objectTypeIndication")?;
    if object_type != OBJECT_TYPE_MPEG4_VISUAL {
        return Err(Error::UnsupportedMp4(format!(
            "mp4v track with objectTypeIndication {object_type:#04x}, not MPEG-4 Visual (0x20)"
        )));
    }
    dc.skip(1, "streamType")?;
    config.buffer_size = dc.u24("bufferSizeDB")?;
    config.max_bitrate = dc.u32("maxBitrate")?;
    config.avg_bitrate = dc.u32("avgBitrate")?;
    while !dc.is_empty() {
        let (t, sub) = dc.any_descriptor()?;
        if t == tag::DECODER_SPECIFIC_INFO && config.decoder_config.is_empty() {
            config.decoder_config = sub.data[sub.pos..].to_vec();
        }
    }
    Ok(config)
}

/// `visualProfileLevelIndication` from an `iods` box, when it names one.
fn visual_profile(iods: &Mp4Box<'_>) -> Result<Option<u8>> {
    let mut f = iods.fields();
    f.skip(4, "iods version")?;
    let (t, mut od) = f.any_descriptor()?;
    if t != tag::MP4_IOD && t != tag::INITIAL_OBJECT {
        return Err(Error::malformed_mp4(
            iods.offset,
            format!("iods holds descriptor tag {t:#04x}, not an initial object descriptor"),
        ));
    }
    let id_and_flags = od.u16("ObjectDescriptorID")?;
    if id_and_flags & 0x20 != 0 {
        return Ok(None); // URL_Flag: the descriptor lives elsewhere.
    }
    od.skip(3, "OD, scene and audio profiles")?;
    Ok(Some(od.u8("visualProfileLevelIndication")?))
}

/// Builds the sample list from `stsz`, `stts`, `stss`, `stsc` and
/// `stco`/`co64`, cutting each sample out of `file`.
fn read_samples(stbl: &Mp4Box<'_>, file: &[u8], limits: Limits) -> Result<Vec<Mp4Sample>> {
    let max_count = file.len();

    let stsz = stbl.find(b"stsz", 0)?.ok_or_else(|| {
        let what = if stbl.find(b"stz2", 0).ok().flatten().is_some() {
            "compact sample sizes (stz2)"
        } else {
            "a sample table without stsz"
        };
        Error::UnsupportedMp4(what.into())
    })?;
    let mut f = stsz.fields();
    f.skip(4, "stsz version")?;
    let constant = f.u32("sample_size")?;
    let count = f.u32("sample_count")? as usize;
    if count > max_count {
        return Err(Error::malformed_mp4(
            stsz.offset,
            format!("{count} samples in a {max_count}-byte file"),
        ));
    }
    let sizes: Vec<u32> = if constant == 0 {
        let table = f.take(count.saturating_mul(4), "stsz entries")?;
        table.chunks_exact(4).map(be32).collect()
    } else {
        vec![constant; count]
    };

    let stts = stbl.require(b"stts", 0)?;
    let mut f = stts.fields();
    f.skip(4, "stts version")?;
    let runs = f.u32("stts entry_count")? as usize;
    let table = f.take(runs.saturating_mul(8), "stts entries")?;
    let mut durations = Vec::with_capacity(count);
    for run in table.chunks_exact(8) {
        let (n, delta) = (be32(&run[..4]) as usize, be32(&run[4..]));
        if n > count - durations.len() {
            return Err(Error::malformed_mp4(
                stts.offset,
                format!("stts covers more than the {count} samples of stsz"),
            ));
        }
        durations.resize(durations.len() + n, delta);
    }
    if durations.len() != count {
        return Err(Error::malformed_mp4(
            stts.offset,
            format!("stts covers {} of {count} samples", durations.len()),
        ));
    }

    let mut sync = vec![true; count];
    if let Some(stss) = stbl.find(b"stss", 0)? {
        let mut f = stss.fields();
        f.skip(4, "stss version")?;
        let n = f.u32("stss entry_count")? as usize;
        sync.fill(false);
        for number in f.take(n.saturating_mul(4), "stss entries")?.chunks_exact(4) {
            let number = be32(number) as usize;
            if number == 0 || number > count {
                return Err(Error::malformed_mp4(
                    stss.offset,
                    format!("sync sample {number} of {count}"),
                ));
            }
            sync[number - 1] = true;
        }
    }

    let stsc = stbl.require(b"stsc", 0)?;
    let mut f = stsc.fields();
    f.skip(4, "stsc version")?;
    let n = f.u32("stsc entry_count")? as usize;
    let mut chunk_runs = Vec::new();
    for entry in f
        .take(n.saturating_mul(12), "stsc entries")?
        .chunks_exact(12)
    {
        let (first, per_chunk, description) =
            (be32(&entry[..4]), be32(&entry[4..8]), be32(&entry[8..]));
        let expected_after = chunk_runs.last().map_or(0, |&(f, _)| f);
        if first <= expected_after || (chunk_runs.is_empty() && first != 1) || description != 1 {
            return Err(Error::malformed_mp4(
                stsc.offset,
                format!("stsc entry ({first}, {per_chunk}, {description})"),
            ));
        }
        chunk_runs.push((first, per_chunk));
    }

    let offsets: Vec<u64> = if let Some(stco) = stbl.find(b"stco", 0)? {
        let mut f = stco.fields();
        f.skip(4, "stco version")?;
        let n = f.u32("stco entry_count")? as usize;
        let table = f.take(n.saturating_mul(4), "stco entries")?;
        table.chunks_exact(4).map(|b| u64::from(be32(b))).collect()
    } else if let Some(co64) = stbl.find(b"co64", 0)? {
        let mut f = co64.fields();
        f.skip(4, "co64 version")?;
        let n = f.u32("co64 entry_count")? as usize;
        let table = f.take(n.saturating_mul(8), "co64 entries")?;
        table.chunks_exact(8).map(be64).collect()
    } else {
        return Err(Error::malformed_mp4(stbl.offset, "no stco or co64 box"));
    };

    let mut samples = Vec::with_capacity(count);
    let mut total: u64 = 0;
    let mut run = 0;
    for (i, &chunk_offset) in offsets.iter().enumerate() {
        if samples.len() == count {
            break;
        }
        let chunk = i as u64 + 1;
        while run + 1 < chunk_runs.len() && u64::from(chunk_runs[run + 1].0) <= chunk {
            run += 1;
        }
        let per_chunk = chunk_runs.get(run).map_or(0, |&(_, n)| n);
        let mut at = chunk_offset;
        for _ in 0..per_chunk {
            let index = samples.len();
            if index == count {
                break;
            }
            let size = sizes[index];
            limits.check_bytes(size.into())?;
            total += u64::from(size);
            let end = at
                .checked_add(u64::from(size))
                .filter(|&end| end <= file.len() as u64 && total <= file.len() as u64);
            let Some(end) = end else {
                return Err(Error::malformed_mp4(
                    stbl.offset,
                    format!(
                        "sample {} ({size} bytes at {at}) lies outside the file",
                        index + 1
                    ),
                ));
            };
            samples.push(Mp4Sample {
                data: file[at as usize..end as usize].to_vec(),
                duration: durations[index],
                sync: sync[index],
            });
            at = end;
        }
    }
    if samples.len() != count {
        return Err(Error::malformed_mp4(
            stbl.offset,
            format!("the chunks hold {} of {count} samples", samples.len()),
        ));
    }
    Ok(samples)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be64(b: &[u8]) -> u64 {
    u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

/// A box found in the input: its type, where it starts, and its body.
#[derive(Clone, Copy, Debug)]
struct Mp4Box<'a> {
    kind: [u8; 4],
    /// Offset of the box header in the file.
    offset: u64,
    body: &'a [u8],
    /// Offset of `body` in the file.
    body_at: u64,
}

impl<'a> Mp4Box<'a> {
    /// The boxes of the body from byte `skip` on (past the fields of a
    /// sample entry, say).
    fn children(&self, skip: usize) -> Children<'a> {
        Children {
            data: self.body.get(skip..).unwrap_or(&[]),
            at: self.body_at + skip as u64,
            failed: false,
        }
    }

    /// The first child box of type `kind`.
    fn find(&self, kind: &[u8; 4], skip: usize) -> Result<Option<Mp4Box<'a>>> {
        for b in self.children(skip) {
            let b = b?;
            if &b.kind == kind {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }

    /// As [`find`](Self::find), with a missing box an error.
    fn require(&self, kind: &[u8; 4], skip: usize) -> Result<Mp4Box<'a>> {
        self.find(kind, skip)?.ok_or_else(|| {
            Error::malformed_mp4(
                self.offset,
                format!(
                    "no {} box in {}",
                    String::from_utf8_lossy(kind),
                    String::from_utf8_lossy(&self.kind)
                ),
            )
        })
    }

    fn fields(&self) -> Fields<'a> {
        Fields {
            data: self.body,
            base: self.body_at,
            pos: 0,
        }
    }
}

/// Iterates the boxes in a run of bytes; stops after the first error.
struct Children<'a> {
    data: &'a [u8],
    /// Offset of `data` in the file.
    at: u64,
    failed: bool,
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<Mp4Box<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.data.is_empty() {
            return None;
        }
        let result = self.next_box();
        self.failed = result.is_err();
        Some(result)
    }
}

impl<'a> Children<'a> {
    fn next_box(&mut self) -> Result<Mp4Box<'a>> {
        let offset = self.at;
        let left = self.data.len() as u64;
        let mut f = Fields {
            data: self.data,
            base: offset,
            pos: 0,
        };
        let size = f.u32("box size")?;
        let kind = f.array::<4>("box type")?;
        let size = match size {
            0 => left,
            1 => f.u64("box largesize")?,
            n => u64::from(n),
        };
        let header = f.pos as u64;
        let name = String::from_utf8_lossy(&kind);
        if size < header {
            return Err(Error::malformed_mp4(
                offset,
                format!("{name} box of {size} bytes is shorter than its header"),
            ));
        }
        if size > left {
            return Err(Error::malformed_mp4(
                offset,
                format!("{name} box of {size} bytes runs past its container ({left} bytes left)"),
            ));
        }
        let (this, rest) = self.data.split_at(size as usize);
        self.data = rest;
        self.at += size;
        Ok(Mp4Box {
            kind,
            offset,
            body: &this[header as usize..],
            body_at: offset + header,
        })
    }
}

/// Big-endian fields read from a box body or a descriptor, each checked
/// against its end.
#[derive(Debug)]
struct Fields<'a> {
    data: &'a [u8],
    /// Offset of `data` in the file.
    base: u64,
    pos: usize,
}

impl<'a> Fields<'a> {
    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Moves to byte `pos` of the body.
    fn at(mut self, pos: usize) -> Self {
        self.pos = pos;
        self
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let Some(end) = end else {
            return Err(Error::malformed_mp4(
                self.offset(),
                format!("{what} ({n} bytes) runs past the end of its box"),
            ));
        };
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn skip(&mut self, n: usize, what: &str) -> Result<()> {
        self.take(n, what).map(|_| ())
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    fn u24(&mut self, what: &str) -> Result<u32> {
        let [a, b, c] = self.array(what)?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// The next descriptor (ISO/IEC 14496-1 8.3.3): its tag, and its body
    /// as fields of their own.
    fn any_descriptor(&mut self) -> Result<(u8, Fields<'a>)> {
        let tag = self.u8("descriptor tag")?;
        let mut size = 0usize;
        for i in 0..4 {
            let b = self.u8("descriptor size")?;
            size = size << 7 | usize::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
            if i == 3 {
                return Err(Error::malformed_mp4(
                    self.offset(),
                    "descriptor size longer than four bytes",
                ));
            }
        }
        let base = self.offset();
        let data = self.take(size, "descriptor")?;
        Ok((tag, Fields { data, base, pos: 0 }))
    }

    /// The next descriptor, which must have tag `expected`.
    fn descriptor(&mut self, expected: u8) -> Result<Fields<'a>> {
        let at = self.offset();
        let (t, body) = self.any_descriptor()?;
        if t != expected {
            return Err(Error::malformed_mp4(
                at,
                format!("descriptor tag {t:#04x} where {expected:#04x} belongs"),
            ));
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mp4::Mp4Writer;
    use std::io::Cursor;

    fn config() -> Mp4VideoConfig {
        Mp4VideoConfig {
            width: 64,
            height: 48,
            timescale: 1000,
            decoder_config: vec![0, 0, 1, 0xb0, 8, 0, 0, 1, 0xb5, 9],
            profile_level: 8,
            avg_bitrate: 1,
            max_bitrate: 2,
            buffer_size: 3,
        }
    }

    fn file(samples: &[(Vec<u8>, u32, bool)]) -> Vec<u8> {
        let mut w = Mp4Writer::new(Cursor::new(Vec::new()), config()).unwrap();
        for (data, duration, sync) in samples {
            w.write_sample(data, *duration, *sync).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn reads_back_what_was_written() {
        let samples: Vec<_> = (0..50u32)
            .map(|i| {
                (
                    vec![i as u8; (i * 7 % 13) as usize],
                    40 + i % 3,
                    i % 10 == 0,
                )
            })
            .collect();
        let video = read_mp4_video(&file(&samples), Limits::default()).unwrap();
        assert_eq!(video.config, config());
        let back: Vec<_> = video
            .samples
            .into_iter()
            .map(|s| (s.data, s.duration, s.sync))
            .collect();
        assert_eq!(back, samples);
    }

    #[test]
    fn an_empty_track_reads_as_no_samples() {
        let video = read_mp4_video(&file(&[]), Limits::default()).unwrap();
        assert!(video.samples.is_empty());
    }

    #[test]
    fn limits_apply() {
        let bytes = file(&[(vec![1; 100], 1, true)]);
        let small = Limits {
            max_bytes: 99,
            ..Limits::default()
        };
        assert!(matches!(
            read_mp4_video(&bytes, small),
            Err(Error::LimitExceeded(_))
        ));
        let narrow = Limits {
            max_dimension: 32,
            ..Limits::default()
        };
        assert!(matches!(
            read_mp4_video(&bytes, narrow),
            Err(Error::LimitExceeded(_))
        ));
    }

    #[test]
    fn profile_falls_back_to_the_vos_header_without_iods() {
        let mut bytes = file(&[(vec![1; 4], 1, true)]);
        let at = bytes.windows(4).position(|w| w == b"iods").unwrap();
        bytes[at..at + 4].copy_from_slice(b"skip");
        let video = read_mp4_video(&bytes, Limits::default()).unwrap();
        assert_eq!(video.config.profile_level, 8);
    }

    #[test]
    fn descriptor_sizes_may_be_padded() {
        // ffmpeg writes every descriptor size as four bytes.
        let mut f = Fields {
            data: &[0x05, 0x80, 0x80, 0x80, 0x02, 7, 8, 9],
            base: 0,
            pos: 0,
        };
        let (t, body) = f.any_descriptor().unwrap();
        assert_eq!((t, body.data), (5, &[7u8, 8][..]));
        assert_eq!(f.u8("rest").unwrap(), 9);
        let mut f = Fields {
            data: &[0x05, 0x80, 0x80, 0x80, 0x80, 0x02],
            base: 0,
            pos: 0,
        };
        assert!(f.any_descriptor().unwrap_err().is_malformed());
    }

    #[test]
    fn broken_files_are_errors() {
        let good = file(&[(vec![1; 10], 1, true), (vec![2; 10], 1, false)]);
        // Writes `value` at `rel` bytes from the type of the first `kind` box.
        let patch = |kind: &[u8; 4], rel: isize, value: u32| {
            let mut b = good.clone();
            let at = (b.windows(4).position(|w| w == kind).unwrap() as isize + rel) as usize;
            b[at..at + 4].copy_from_slice(&value.to_be_bytes());
            read_mp4_video(&b, Limits::default()).unwrap_err()
        };
        // Box sizes: too small, past the parent, past the file.
        assert!(patch(b"stsz", -4, 4).is_malformed());
        assert!(patch(b"stts", -4, 1 << 20).is_malformed());
        assert!(patch(b"moov", -4, u32::MAX).is_malformed());
        // Tables that disagree or point outside the file.
        assert!(patch(b"stsz", 12, 3).is_malformed(), "sample count");
        assert!(
            patch(b"stsz", 12, u32::MAX).is_malformed(),
            "huge sample count"
        );
        assert!(
            patch(b"stts", 8, u32::MAX).is_malformed(),
            "huge stts entry count"
        );
        assert!(patch(b"stts", 12, 5).is_malformed(), "stts run");
        assert!(patch(b"stss", 12, 3).is_malformed(), "sync sample number");
        assert!(patch(b"stsc", 12, 2).is_malformed(), "first chunk");
        assert!(
            patch(b"stsc", 16, 1).is_malformed(),
            "too few samples per chunk"
        );
        assert!(patch(b"stco", 12, 1 << 30).is_malformed(), "chunk offset");
        assert!(patch(b"stsz", 16, 1 << 20).is_malformed(), "sample size");
        assert!(matches!(patch(b"stsd", 8, 2), Error::UnsupportedMp4(_)));
        assert!(matches!(
            patch(b"hdlr", 12, u32::from_be_bytes(*b"soun")),
            Error::UnsupportedMp4(_)
        ));
        assert!(
            patch(b"esds", 8, 0x0400_0000).is_malformed(),
            "descriptor tag"
        );
        let mut b = good.clone();
        let at = b.windows(4).position(|w| w == b"esds").unwrap();
        // Header, version, ES tag, size, ES_ID, flags, DCD tag, size: then
        // objectTypeIndication, here made H.264.
        b[at + 15] = 0x21;
        assert!(matches!(
            read_mp4_video(&b, Limits::default()),
            Err(Error::UnsupportedMp4(_))
        ));
        assert!(
            read_mp4_video(b"", Limits::default())
                .unwrap_err()
                .is_malformed()
        );
    }
}
