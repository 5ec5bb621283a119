//! Decoding: JPEG bytes to a [`CoefficientImage`] (no IDCT), or straight to
//! pixels with one IDCT per block as it is decoded.
//!
//! Sequential DCT-based mode with Huffman coding, T.81 Annex F.2 and the
//! syntax of Annex B. Every header field is checked before it sizes a
//! buffer; corrupt entropy-coded data yields an error, never a panic.

use tessera_core::{Frame, Limits, Plane};

use crate::bitreader::BitReader;
use crate::coeffs::{
    CoefficientImage, Colour, Component, ComponentSpec, Process, QuantTable, chroma_format_of,
};
use crate::error::{JpegError, Result};
use crate::huffman::DecodeTable;
use crate::markers::{self, FrameHeader, ScanComponent, Segment};
use crate::tables::ZIGZAG;

/// What a JPEG's headers say, read without decoding any scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JpegInfo {
    pub width: usize,
    pub height: usize,
    pub process: Process,
    pub components: Vec<ComponentSpec>,
    /// Tables defined before the first scan.
    pub quant_tables: [Option<QuantTable>; 4],
    pub restart_interval: u16,
    /// The planar layout, when the sampling factors describe a common one.
    pub chroma_format: Option<tessera_core::ChromaFormat>,
    /// What the components hold (YCbCr unless the file says RGB).
    pub colour: Colour,
}

/// Reads the headers up to the first scan.
pub fn read_info(data: &[u8], limits: &Limits) -> Result<JpegInfo> {
    let mut parser = Parser::new(data, limits)?;
    loop {
        match parser.next_segment()? {
            Step::Scan(_) | Step::End => break,
            Step::Other => {}
        }
    }
    let frame = parser.frame.as_ref().ok_or(JpegError::Truncated(
        "no frame header before the first scan",
    ))?;
    let probe = CoefficientImage::geometry(frame)?;
    Ok(JpegInfo {
        width: frame.width,
        height: frame.height,
        process: frame.process,
        components: frame.components.clone(),
        quant_tables: parser.quant,
        restart_interval: parser.restart_interval,
        chroma_format: chroma_format_of(&probe.components),
        colour: parser.colour(),
    })
}

/// Decodes to quantized DCT coefficients; no inverse DCT is run.
pub fn decode_coefficients(data: &[u8], limits: &Limits) -> Result<CoefficientImage> {
    let mut image = CoefficientImage::default();
    decode_coefficients_into(data, limits, &mut image)?;
    Ok(image)
}

/// [`decode_coefficients`] into `image`, reusing its block buffers when
/// they have the picture's block grid (a stream of same-size pictures then
/// allocates nothing: each block is cleared as it is decoded, where a new
/// image would be allocated and zeroed whole). Any other `image` is
/// replaced. On error `image` is left with a consistent geometry and
/// unspecified blocks.
pub fn decode_coefficients_into(
    data: &[u8],
    limits: &Limits,
    image: &mut CoefficientImage,
) -> Result<()> {
    match decode(data, limits, false, image)? {
        None => Ok(()),
        Some(_) => unreachable!("coefficients were asked for"),
    }
}

/// Decodes to planar YCbCr (or greyscale) pixels at the image's own
/// chroma sampling.
pub fn decode_frame(data: &[u8], limits: &Limits) -> Result<Frame> {
    let (frame, colour) = decode_planes(data, limits)?;
    if colour == Colour::Rgb {
        return Err(rgb_is_not_ycbcr());
    }
    Ok(frame)
}

/// The error for RGB-coded pictures where YCbCr planes are asked for.
pub(crate) fn rgb_is_not_ycbcr() -> JpegError {
    JpegError::Unsupported(
        "an RGB-coded JPEG (Adobe transform 0 or components R, G, B) as YCbCr planes; \
         decode_rgb reads it"
            .into(),
    )
}

/// The decoded planes, whatever they hold, and what they hold.
pub(crate) fn decode_planes(data: &[u8], limits: &Limits) -> Result<(Frame, Colour)> {
    let mut image = CoefficientImage::default();
    match decode(data, limits, true, &mut image)? {
        Some(pixels) => Ok(pixels),
        None => Ok((crate::pixels::planes_of(&image)?, image.colour)),
    }
}

pub(crate) enum Step {
    Scan(usize),
    End,
    Other,
}

pub(crate) struct Parser<'a> {
    data: &'a [u8],
    pub(crate) pos: usize,
    limits: &'a Limits,
    pub(crate) frame: Option<FrameHeader>,
    pub(crate) quant: [Option<QuantTable>; 4],
    dc: [Option<DecodeTable>; 4],
    ac: [Option<DecodeTable>; 4],
    pub(crate) restart_interval: u16,
    pub(crate) scan: Vec<ScanComponent>,
    /// The transform flag of an Adobe APP14 segment, if one was seen.
    adobe_transform: Option<u8>,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(data: &'a [u8], limits: &'a Limits) -> Result<Parser<'a>> {
        limits.check_bytes(data.len() as u64)?;
        if data.len() < 2 || data[0] != 0xFF || data[1] != markers::SOI {
            return Err(JpegError::malformed(0, "does not start with an SOI marker"));
        }
        Ok(Parser {
            data,
            pos: 2,
            limits,
            frame: None,
            quant: [None; 4],
            dc: [None, None, None, None],
            ac: [None, None, None, None],
            restart_interval: 0,
            scan: Vec::new(),
            adobe_transform: None,
        })
    }

    /// What the components hold, from the Adobe segment or the component
    /// identifiers (as libjpeg decides).
    pub(crate) fn colour(&self) -> Colour {
        let Some(frame) = &self.frame else {
            return Colour::YCbCr;
        };
        let ids: Vec<u8> = frame.components.iter().map(|c| c.id).collect();
        match (self.adobe_transform, ids.as_slice()) {
            (_, [_]) => Colour::YCbCr,
            (Some(0), _) => Colour::Rgb,
            (None, [b'R', b'G', b'B']) => Colour::Rgb,
            _ => Colour::YCbCr,
        }
    }

    /// Finds the next marker, skipping fill bytes (and, leniently, any
    /// stray bytes between segments).
    fn next_marker(&mut self) -> Option<(u8, usize)> {
        while self.pos + 1 < self.data.len() {
            if self.data[self.pos] == 0xFF {
                let code = self.data[self.pos + 1];
                if code != 0xFF && code != 0x00 {
                    let at = self.pos;
                    self.pos += 2;
                    return Some((code, at));
                }
            }
            self.pos += 1;
        }
        None
    }

    fn segment(&mut self, at: usize) -> Result<Segment<'a>> {
        let Some(len) = self.data.get(self.pos..self.pos + 2) else {
            return Err(JpegError::Truncated("a marker segment's length is missing"));
        };
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if len < 2 {
            return Err(JpegError::malformed(at, "marker segment length below 2"));
        }
        let Some(body) = self.data.get(self.pos + 2..self.pos + len) else {
            return Err(JpegError::Truncated(
                "a marker segment runs past the end of the data",
            ));
        };
        self.pos += len;
        Ok(Segment { offset: at, body })
    }

    /// Parses one marker segment. Returns `Scan(pos)` with the position of
    /// the entropy-coded data after an SOS.
    pub(crate) fn next_segment(&mut self) -> Result<Step> {
        let Some((code, at)) = self.next_marker() else {
            return Ok(Step::End);
        };
        match code {
            markers::SOF0 | markers::SOF1 => {
                if self.frame.is_some() {
                    return Err(JpegError::malformed(at, "a second frame header"));
                }
                let seg = self.segment(at)?;
                self.frame = Some(markers::parse_sof(&seg, code, self.limits)?);
            }
            markers::DHT => {
                let seg = self.segment(at)?;
                let (dc, ac) = (&mut self.dc, &mut self.ac);
                markers::parse_dht(&seg, |class, id, spec| {
                    let table = DecodeTable::new(&spec)?;
                    if class == 0 {
                        dc[id] = Some(table);
                    } else {
                        ac[id] = Some(table);
                    }
                    Ok(())
                })?;
            }
            markers::DQT => {
                let seg = self.segment(at)?;
                markers::parse_dqt(&seg, &mut self.quant)?;
            }
            markers::DRI => {
                let seg = self.segment(at)?;
                self.restart_interval = markers::parse_dri(&seg)?;
            }
            markers::SOS => {
                let seg = self.segment(at)?;
                let frame = self
                    .frame
                    .as_ref()
                    .ok_or_else(|| JpegError::malformed(at, "scan before the frame header"))?;
                self.scan = markers::parse_sos(&seg, frame)?;
                return Ok(Step::Scan(self.pos));
            }
            markers::EOI => return Ok(Step::End),
            markers::DAC => {
                return Err(JpegError::Unsupported("arithmetic coding (DAC)".into()));
            }
            // A DNL only matters with a zero height, refused at the SOF.
            markers::DNL => {
                self.segment(at)?;
            }
            // Markers without a length: TEM and stray restart markers.
            0x01 | 0xD0..=0xD7 => {}
            markers::SOI => return Err(JpegError::malformed(at, "a second SOI marker")),
            _ => {
                if let Some(name) = markers::unsupported_sof(code) {
                    return Err(JpegError::Unsupported(name.into()));
                }
                // APPn, COM, JPGn and reserved markers: skipped, but for
                // Adobe's APP14, whose transform flag says RGB or YCbCr.
                let seg = self.segment(at)?;
                if code == markers::APP14 && seg.body.len() >= 12 && seg.body.starts_with(b"Adobe")
                {
                    self.adobe_transform = Some(seg.body[11]);
                }
            }
        }
        Ok(Step::Other)
    }

    /// Tables for the components of the current scan.
    pub(crate) fn scan_tables(&self) -> Result<Vec<(&DecodeTable, &DecodeTable)>> {
        self.scan
            .iter()
            .map(|s| {
                let dc = self.dc[s.dc_table].as_ref();
                let ac = self.ac[s.ac_table].as_ref();
                match (dc, ac) {
                    (Some(dc), Some(ac)) => Ok((dc, ac)),
                    _ => Err(JpegError::malformed(
                        self.pos,
                        format!(
                            "scan uses Huffman tables DC{} / AC{} that were never defined",
                            s.dc_table, s.ac_table
                        ),
                    )),
                }
            })
            .collect()
    }

    pub(crate) fn quant_for(&self, spec: &ComponentSpec) -> Result<QuantTable> {
        self.quant[usize::from(spec.quant_index)].ok_or_else(|| {
            JpegError::malformed(
                self.pos,
                format!(
                    "quantization table {} is used but never defined",
                    spec.quant_index
                ),
            )
        })
    }
}

/// Receives each decoded block: `slot` gives a zeroed block to decode into,
/// `finish` is called once it is filled.
trait BlockSink {
    fn slot(&mut self, comp: usize, bx: usize, by: usize) -> &mut [i16; 64];
    fn finish(&mut self, comp: usize, bx: usize, by: usize);
}

struct CoefficientSink<'a> {
    components: &'a mut [Component],
    /// The blocks hold a previous picture: clear each before decoding it.
    clear: bool,
}

impl BlockSink for CoefficientSink<'_> {
    #[inline(always)]
    fn slot(&mut self, comp: usize, bx: usize, by: usize) -> &mut [i16; 64] {
        let block = self.components[comp].block_mut(bx, by);
        if self.clear {
            *block = [0; 64];
        }
        block
    }

    #[inline(always)]
    fn finish(&mut self, _: usize, _: usize, _: usize) {}
}

struct PixelSink {
    planes: Vec<Plane>,
    quant: Vec<[u16; 64]>,
    scratch: [i16; 64],
}

impl BlockSink for PixelSink {
    #[inline(always)]
    fn slot(&mut self, _: usize, _: usize, _: usize) -> &mut [i16; 64] {
        &mut self.scratch
    }

    #[inline(always)]
    fn finish(&mut self, comp: usize, bx: usize, by: usize) {
        let plane = &mut self.planes[comp];
        let offset = by * 8 * plane.stride + bx * 8;
        tessera_dsp::dequant_idct_put(
            &self.scratch,
            &self.quant[comp],
            &mut plane.data[offset..],
            plane.stride,
        );
        self.scratch = [0; 64];
    }
}

/// Decodes into `image` (see [`decode_coefficients_into`]), or, when
/// `want_pixels` and the first scan holds every component, straight to
/// pixels, which are returned (`image` then gets the geometry alone).
fn decode(
    data: &[u8],
    limits: &Limits,
    want_pixels: bool,
    img: &mut CoefficientImage,
) -> Result<Option<(Frame, Colour)>> {
    let mut parser = Parser::new(data, limits)?;
    let mut started = false;
    // The blocks hold an earlier picture and are cleared as they are
    // decoded.
    let mut reused = false;
    let mut pixels: Option<PixelSink> = None;
    let mut coded = Vec::new();
    loop {
        match parser.next_segment()? {
            Step::Other => continue,
            Step::End => break,
            Step::Scan(start) => {
                let frame = parser.frame.as_ref().expect("checked by the SOS parser");
                if !std::mem::replace(&mut started, true) {
                    let mut geometry = CoefficientImage::geometry(frame)?;
                    coded = vec![false; geometry.components.len()];
                    // One scan with every component: decode straight to
                    // pixels. Otherwise keep the coefficients.
                    if want_pixels && parser.scan.len() == frame.components.len() {
                        let quant = frame
                            .components
                            .iter()
                            .map(|s| parser.quant_for(s).map(|q| q.0))
                            .collect::<Result<Vec<_>>>()?;
                        let planes = geometry
                            .components
                            .iter()
                            .map(|c| Plane {
                                width: c.width,
                                height: c.height,
                                stride: c.blocks_wide * 8,
                                data: vec![0; c.blocks_wide * 8 * c.blocks_high * 8],
                            })
                            .collect();
                        pixels = Some(PixelSink {
                            planes,
                            quant,
                            scratch: [0; 64],
                        });
                        *img = geometry;
                    } else if img.same_grid(&geometry) {
                        img.take_blocks_into(&mut geometry);
                        *img = geometry;
                        reused = true;
                    } else {
                        geometry.allocate();
                        *img = geometry;
                    }
                }
                for s in &parser.scan {
                    if std::mem::replace(&mut coded[s.index], true) {
                        return Err(coded_twice(start));
                    }
                    // T.81 B.2.4.1: a scan's tables are defined before it.
                    parser.quant_for(&frame.components[s.index])?;
                }
                img.quant_tables = parser.quant;
                img.colour = parser.colour();
                img.restart_interval = parser.restart_interval;
                let tables = parser.scan_tables()?;
                let mut reader = BitReader::new(data, start);
                match pixels.as_mut() {
                    Some(sink) => decode_scan(
                        &mut reader,
                        &ImageGeometry::of(img, &img.components),
                        &parser.scan,
                        &tables,
                        parser.restart_interval,
                        sink,
                    )?,
                    None => {
                        let geometry = ImageGeometry::of(img, &img.components);
                        let mut components = std::mem::take(&mut img.components);
                        if let ([single], true) = (&parser.scan[..], reused) {
                            // A scan of one component codes only the blocks
                            // that hold samples: the rest must be zero.
                            clear_padding(&mut components[single.index]);
                        }
                        let result = decode_scan(
                            &mut reader,
                            &geometry,
                            &parser.scan,
                            &tables,
                            parser.restart_interval,
                            &mut CoefficientSink {
                                components: &mut components,
                                clear: reused,
                            },
                        );
                        img.components = components;
                        result?;
                    }
                }
                parser.pos = reader.marker_position();
            }
        }
    }
    if !started {
        return Err(JpegError::Truncated("no scan in the data"));
    }
    if coded.iter().any(|&c| !c) {
        return Err(JpegError::Truncated(
            "a component was never coded in any scan",
        ));
    }
    match pixels {
        Some(sink) => {
            let format = chroma_format_of(&img.components).ok_or_else(|| {
                JpegError::Unsupported(format!(
                    "sampling factors {} cannot be held as a planar frame",
                    sampling_string(&img.components)
                ))
            })?;
            Ok(Some((
                Frame {
                    width: img.width,
                    height: img.height,
                    format,
                    planes: sink.planes,
                },
                img.colour,
            )))
        }
        None => Ok(None),
    }
}

/// Zeroes the blocks of `c` outside its visible grid (MCU padding).
fn clear_padding(c: &mut Component) {
    let (vw, vh, bw) = (
        c.visible_blocks_wide(),
        c.visible_blocks_high(),
        c.blocks_wide,
    );
    for (i, block) in c.blocks.iter_mut().enumerate() {
        if i % bw >= vw || i / bw >= vh {
            *block = [0; 64];
        }
    }
}

/// The error for a component coded in a second scan.
pub(crate) fn coded_twice(offset: usize) -> JpegError {
    JpegError::malformed(
        offset,
        "a component is coded in two scans (progressive data in a sequential file?)",
    )
}

pub(crate) fn sampling_string(components: &[Component]) -> String {
    components
        .iter()
        .map(|c| format!("{}x{}", c.h, c.v))
        .collect::<Vec<_>>()
        .join(",")
}

/// The geometry a scan needs, apart from the blocks themselves.
struct ImageGeometry {
    mcus: (usize, usize),
    /// Per component: sampling factors and visible block grid.
    comps: Vec<(usize, usize, usize, usize)>,
}

impl ImageGeometry {
    fn of(image: &CoefficientImage, components: &[Component]) -> ImageGeometry {
        let (hmax, vmax) = crate::coeffs::max_sampling(components);
        ImageGeometry {
            mcus: (
                image.width.div_ceil(8 * hmax),
                image.height.div_ceil(8 * vmax),
            ),
            comps: components
                .iter()
                .map(|c| {
                    (
                        usize::from(c.h),
                        usize::from(c.v),
                        c.visible_blocks_wide(),
                        c.visible_blocks_high(),
                    )
                })
                .collect(),
        }
    }
}

/// Restart intervals (T.81 F.2.2.5, E.2.4): where they fall in a scan's
/// coded units, and the marker each must be.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Restarts {
    /// Units per interval, 0 for none.
    interval: usize,
    /// Units left before the next marker.
    until: usize,
    /// The number (0-7) of the next marker.
    next: u8,
}

impl Restarts {
    pub(crate) fn new(interval: u16) -> Restarts {
        Restarts {
            interval: usize::from(interval),
            until: usize::from(interval),
            next: 0,
        }
    }

    /// Call before each coded unit (MCU, or block of a one-component
    /// scan): reads the restart marker due there, which also resets the
    /// DC predictions.
    #[inline(always)]
    pub(crate) fn before_unit(
        &mut self,
        reader: &mut BitReader<'_>,
        preds: &mut [i32; 4],
    ) -> Result<()> {
        if self.interval == 0 {
            return Ok(());
        }
        if self.until == 0 {
            reader.restart(self.next)?;
            self.next = (self.next + 1) & 7;
            *preds = [0; 4];
            self.until = self.interval;
        }
        self.until -= 1;
        Ok(())
    }
}

/// Decodes one scan (T.81 F.2.2 with E.2 ordering): interleaved MCUs when
/// it has several components, single blocks in raster order otherwise.
fn decode_scan<S: BlockSink>(
    reader: &mut BitReader<'_>,
    geometry: &ImageGeometry,
    scan: &[ScanComponent],
    tables: &[(&DecodeTable, &DecodeTable)],
    restart_interval: u16,
    sink: &mut S,
) -> Result<()> {
    let mut preds = [0i32; 4];
    let mut restarts = Restarts::new(restart_interval);
    if let [single] = scan {
        let (_, _, bw, bh) = geometry.comps[single.index];
        let (dc, ac) = tables[0];
        for by in 0..bh {
            for bx in 0..bw {
                restarts.before_unit(reader, &mut preds)?;
                decode_block(
                    reader,
                    dc,
                    ac,
                    &mut preds[0],
                    sink.slot(single.index, bx, by),
                )?;
                sink.finish(single.index, bx, by);
            }
            if reader.overran() {
                return Err(JpegError::Truncated("entropy-coded data ended early"));
            }
        }
        return Ok(());
    }
    let (mx_count, my_count) = geometry.mcus;
    for my in 0..my_count {
        for mx in 0..mx_count {
            restarts.before_unit(reader, &mut preds)?;
            for (i, s) in scan.iter().enumerate() {
                let (h, v, _, _) = geometry.comps[s.index];
                let (dc, ac) = tables[i];
                for y in 0..v {
                    for x in 0..h {
                        let (bx, by) = (mx * h + x, my * v + y);
                        decode_block(reader, dc, ac, &mut preds[i], sink.slot(s.index, bx, by))?;
                        sink.finish(s.index, bx, by);
                    }
                }
            }
        }
        if reader.overran() {
            return Err(JpegError::Truncated("entropy-coded data ended early"));
        }
    }
    Ok(())
}

/// Decodes one 8x8 block's Huffman-coded coefficients (T.81 F.2.2.1 and
/// F.2.2.2) into `block`, which must be zero, in natural order.
#[inline(always)]
pub(crate) fn decode_block(
    reader: &mut BitReader<'_>,
    dc: &DecodeTable,
    ac: &DecodeTable,
    pred: &mut i32,
    block: &mut [i16; 64],
) -> Result<()> {
    // A local copy, which stays in registers (see `BitReader`).
    let mut local = *reader;
    let result = decode_block_with(&mut local, dc, ac, pred, block);
    *reader = local;
    result
}

#[inline(always)]
fn decode_block_with(
    reader: &mut BitReader<'_>,
    dc: &DecodeTable,
    ac: &DecodeTable,
    pred: &mut i32,
    block: &mut [i16; 64],
) -> Result<()> {
    reader.fill();
    let (size, diff) = reader.decode_coefficient(dc)?;
    if size > 11 {
        return Err(JpegError::malformed(
            0,
            format!("DC difference of category {size}"),
        ));
    }
    *pred = pred.wrapping_add(diff);
    // 8-bit samples give DC coefficients in -1024..=1023 (T.81 A.3.1);
    // corrupt differences can add up past that, and an encoder could not
    // write such a value back. Saturate, as the pixels would.
    block[0] = (*pred).clamp(-1024, 1023) as i16;
    let mut k = 1usize;
    while k < 64 {
        reader.fill();
        let (rs, value) = reader.decode_coefficient(ac)?;
        let run = usize::from(rs >> 4);
        if value == 0 {
            // SSSS = 0: end of block, or ZRL (sixteen zeros).
            if run != 15 {
                break; // EOB
            }
            k += 16; // ZRL
            continue;
        }
        k += run;
        if k > 63 {
            return Err(JpegError::malformed(
                0,
                "a block's AC coefficients run past position 63",
            ));
        }
        block[usize::from(ZIGZAG[k])] = value as i16;
        k += 1;
    }
    Ok(())
}
