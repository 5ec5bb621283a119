//! Video files of any supported container, read as a sequence of pictures
//! and written from one: the glue between containers and the JPEG codec.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use tessera_container::ContainerKind;
use tessera_container::avi::{AviReader, AviWriter};
use tessera_container::mjpeg::{MjpegReader, MjpegWriter};
use tessera_container::y4m::{Y4mHeader, Y4mReader, Y4mWriter};
use tessera_core::{ChromaFormat, Frame, Limits, Rational};

/// One picture as a container holds it.
#[derive(Debug)]
pub enum Picture {
    /// Decoded planes (Y4M).
    Raw(Frame),
    /// A complete JPEG image (Motion-JPEG, AVI).
    Jpeg(Vec<u8>),
}

/// The container of a path, from its extension, then its first bytes.
pub fn container_of(path: &Path) -> Result<ContainerKind> {
    if let Some(kind) = ContainerKind::from_path(path) {
        return Ok(kind);
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"))
    {
        return Ok(ContainerKind::Mjpeg);
    }
    let mut head = [0u8; 16];
    if let Ok(mut file) = File::open(path) {
        use std::io::Read;
        let n = file.read(&mut head).unwrap_or(0);
        if let Some(kind) = ContainerKind::sniff(&head[..n]) {
            return Ok(kind);
        }
    }
    bail!(
        "{}: unknown video format (expected .y4m, .mjpeg or .avi)",
        path.display()
    )
}

pub fn kind_name(kind: ContainerKind) -> &'static str {
    match kind {
        ContainerKind::Y4m => "YUV4MPEG2 (y4m)",
        ContainerKind::Mjpeg => "Motion-JPEG (raw concatenated JPEG)",
        ContainerKind::Avi => "AVI (RIFF, MJPG)",
    }
}

enum Reader {
    Y4m(Y4mReader<BufReader<File>>),
    Mjpeg(MjpegReader<BufReader<File>>),
    Avi(Box<AviReader<BufReader<File>>>),
}

/// An opened input file.
pub struct Input {
    pub path: PathBuf,
    pub kind: ContainerKind,
    /// Frames per second if the container records it.
    pub rate: Option<Rational>,
    /// Frame count the headers announce, if any.
    pub announced_frames: Option<u64>,
    /// Size and sampling, when the container says (Y4M).
    pub y4m_header: Option<Y4mHeader>,
    reader: Reader,
    read: u64,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Input {
    pub fn open(path: &Path, limits: Limits) -> Result<Input> {
        let kind = container_of(path)?;
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let buf = BufReader::with_capacity(1 << 20, file);
        let ctx = || format!("{}", path.display());
        let (reader, rate, announced, header) = match kind {
            ContainerKind::Y4m => {
                let r = Y4mReader::new(buf, limits).with_context(ctx)?;
                let header = r.header().clone();
                let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                let per_frame = header.frame_bytes() as u64 + 6;
                let estimate = len / per_frame.max(1);
                (
                    Reader::Y4m(r),
                    Some(header.rate),
                    Some(estimate),
                    Some(header),
                )
            }
            ContainerKind::Mjpeg => (
                Reader::Mjpeg(MjpegReader::new(buf, limits)),
                None,
                None,
                None,
            ),
            ContainerKind::Avi => {
                let r = AviReader::new(buf, limits).with_context(ctx)?;
                let info = r.info().clone();
                (
                    Reader::Avi(Box::new(r)),
                    Some(info.rate),
                    Some(info.frame_count),
                    None,
                )
            }
        };
        Ok(Input {
            path: path.to_owned(),
            kind,
            rate,
            announced_frames: announced,
            y4m_header: header,
            reader,
            read: 0,
        })
    }

    /// The next picture's samples into `frame`, `false` at the end. Y4M
    /// samples are read straight into `frame`'s memory when it has the
    /// stream's geometry (the previous frame, say); JPEG pictures are
    /// decoded.
    pub fn next_frame_into(&mut self, frame: &mut Frame, limits: &Limits) -> Result<bool> {
        let index = self.read;
        let path = self.path.clone();
        let context = || format!("{}: frame {index}", path.display());
        let more = match &mut self.reader {
            Reader::Y4m(r) => r.read_frame_into(frame).with_context(context)?,
            _ => match self.next_picture()? {
                Some(Picture::Raw(f)) => {
                    *frame = f;
                    return Ok(true);
                }
                Some(Picture::Jpeg(bytes)) => {
                    *frame = tessera_jpeg::decode_frame(&bytes, limits).with_context(context)?;
                    return Ok(true);
                }
                None => false,
            },
        };
        if more {
            self.read += 1;
        }
        Ok(more)
    }

    /// The next picture, or `None` at the end.
    pub fn next_picture(&mut self) -> Result<Option<Picture>> {
        let index = self.read;
        let picture = match &mut self.reader {
            Reader::Y4m(r) => r.read_frame().map(|f| f.map(Picture::Raw)),
            Reader::Mjpeg(r) => r.next_image().map(|i| i.map(Picture::Jpeg)),
            Reader::Avi(r) => r.next_image().map(|i| i.map(Picture::Jpeg)),
        }
        .with_context(|| format!("{}: frame {index}", self.path.display()))?;
        if picture.is_some() {
            self.read += 1;
        }
        Ok(picture)
    }
}

enum Writer {
    Y4m(Y4mWriter<BufWriter<File>>),
    Mjpeg(MjpegWriter<BufWriter<File>>),
    Avi(AviWriter<BufWriter<File>>),
}

/// An output file, created when the first picture's geometry is known.
pub struct Output {
    pub path: PathBuf,
    pub kind: ContainerKind,
    rate: Rational,
    writer: Option<Writer>,
    geometry: Option<(usize, usize, ChromaFormat)>,
    pub frames: u64,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Output {
    pub fn new(path: &Path, rate: Rational) -> Result<Output> {
        let kind = ContainerKind::from_path(path).with_context(|| {
            format!(
                "{}: cannot tell the output format from the extension (use .y4m, .mjpeg or .avi)",
                path.display()
            )
        })?;
        Ok(Output {
            path: path.to_owned(),
            kind,
            rate,
            writer: None,
            geometry: None,
            frames: 0,
        })
    }

    /// Changes the frame rate recorded in the file; only before the first
    /// frame is written (the headers are written then).
    pub fn set_rate(&mut self, rate: Rational) -> Result<()> {
        if self.writer.is_some() {
            bail!(
                "internal: the rate of {} is already written",
                self.path.display()
            );
        }
        self.rate = rate;
        Ok(())
    }

    fn create(&self, width: usize, height: usize, format: ChromaFormat) -> Result<Writer> {
        let file = File::create(&self.path)
            .with_context(|| format!("cannot create {}", self.path.display()))?;
        let buf = BufWriter::with_capacity(1 << 20, file);
        Ok(match self.kind {
            ContainerKind::Y4m => {
                let header = Y4mHeader::new(width, height, self.rate, format);
                Writer::Y4m(Y4mWriter::new(buf, &header)?)
            }
            ContainerKind::Mjpeg => Writer::Mjpeg(MjpegWriter::new(buf)),
            ContainerKind::Avi => Writer::Avi(AviWriter::new(
                buf,
                u32::try_from(width)?,
                u32::try_from(height)?,
                self.rate,
            )?),
        })
    }

    /// Checks every frame has the first frame's geometry, creating the file
    /// on the first.
    fn writer_for(
        &mut self,
        width: usize,
        height: usize,
        format: ChromaFormat,
    ) -> Result<&mut Writer> {
        match self.geometry {
            None => {
                let writer = self.create(width, height, format)?;
                self.writer = Some(writer);
                self.geometry = Some((width, height, format));
            }
            Some(g) if g != (width, height, format) => bail!(
                "frame {} is {width}x{height} {format}, but the stream started as {}x{} {}; \
                 a file holds one geometry",
                self.frames,
                g.0,
                g.1,
                g.2
            ),
            Some(_) => {}
        }
        Ok(self.writer.as_mut().expect("created above"))
    }

    /// Writes a decoded frame (Y4M outputs only).
    pub fn write_frame(&mut self, frame: &Frame) -> Result<()> {
        match self.writer_for(frame.width, frame.height, frame.format)? {
            Writer::Y4m(w) => w.write_frame(frame)?,
            _ => bail!("internal: raw frame for a JPEG container"),
        }
        self.frames += 1;
        Ok(())
    }

    /// Writes a JPEG image (Motion-JPEG and AVI outputs only).
    pub fn write_jpeg(
        &mut self,
        jpeg: &[u8],
        width: usize,
        height: usize,
        format: ChromaFormat,
    ) -> Result<()> {
        match self.writer_for(width, height, format)? {
            Writer::Mjpeg(w) => w.write_image(jpeg)?,
            Writer::Avi(w) => w.write_image(jpeg)?,
            Writer::Y4m(_) => bail!("internal: JPEG for a Y4M output"),
        }
        self.frames += 1;
        Ok(())
    }

    /// Finishes the file (AVI sizes and index) and flushes it.
    pub fn finish(self) -> Result<()> {
        use std::io::Write;
        match self.writer {
            None => bail!("no frames to write to {}", self.path.display()),
            Some(Writer::Y4m(w)) => w.into_inner()?.flush()?,
            Some(Writer::Mjpeg(w)) => w.into_inner()?.flush()?,
            Some(Writer::Avi(w)) => w.finish()?.flush()?,
        }
        Ok(())
    }
}
