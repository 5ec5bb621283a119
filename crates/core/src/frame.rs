//! Planar 8-bit YCbCr frames.

use std::fmt;

/// How the chroma planes of a frame are subsampled relative to luma.
///
/// The names follow the `J:a:b` convention; the table gives the chroma
/// subsampling factor horizontally x vertically:
///
/// | format   | chroma size       |
/// |----------|-------------------|
/// | `Mono`   | no chroma planes  |
/// | `Yuv444` | 1 x 1             |
/// | `Yuv422` | 1/2 x 1           |
/// | `Yuv420` | 1/2 x 1/2         |
/// | `Yuv440` | 1 x 1/2           |
/// | `Yuv411` | 1/4 x 1           |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChromaFormat {
    Mono,
    Yuv420,
    Yuv422,
    Yuv444,
    Yuv440,
    Yuv411,
}

impl ChromaFormat {
    /// All formats, in a stable order (useful for tests and help text).
    pub const ALL: [ChromaFormat; 6] = [
        ChromaFormat::Mono,
        ChromaFormat::Yuv420,
        ChromaFormat::Yuv422,
        ChromaFormat::Yuv444,
        ChromaFormat::Yuv440,
        ChromaFormat::Yuv411,
    ];

    /// log2 of the chroma subsampling factor, `(horizontal, vertical)`.
    pub const fn chroma_shift(self) -> (u32, u32) {
        match self {
            ChromaFormat::Mono | ChromaFormat::Yuv444 => (0, 0),
            ChromaFormat::Yuv420 => (1, 1),
            ChromaFormat::Yuv422 => (1, 0),
            ChromaFormat::Yuv440 => (0, 1),
            ChromaFormat::Yuv411 => (2, 0),
        }
    }

    /// Number of planes: 1 for monochrome, 3 otherwise.
    pub const fn plane_count(self) -> usize {
        match self {
            ChromaFormat::Mono => 1,
            _ => 3,
        }
    }

    /// Size of plane `index` for a frame of `width` x `height` luma samples.
    /// Chroma sizes round up, as JPEG, Y4M and ffmpeg do.
    pub const fn plane_size(self, index: usize, width: usize, height: usize) -> (usize, usize) {
        if index == 0 {
            return (width, height);
        }
        let (sx, sy) = self.chroma_shift();
        (
            (width + (1 << sx) - 1) >> sx,
            (height + (1 << sy) - 1) >> sy,
        )
    }

    /// Total bytes of one frame stored without padding.
    pub fn frame_bytes(self, width: usize, height: usize) -> usize {
        (0..self.plane_count())
            .map(|i| {
                let (w, h) = self.plane_size(i, width, height);
                w * h
            })
            .sum()
    }

    /// The common short name (`420`, `422`, `mono`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            ChromaFormat::Mono => "mono",
            ChromaFormat::Yuv420 => "4:2:0",
            ChromaFormat::Yuv422 => "4:2:2",
            ChromaFormat::Yuv444 => "4:4:4",
            ChromaFormat::Yuv440 => "4:4:0",
            ChromaFormat::Yuv411 => "4:1:1",
        }
    }

    /// ffmpeg's `pix_fmt` name for the full-range (JPEG) variant.
    pub const fn ffmpeg_pix_fmt(self) -> &'static str {
        match self {
            ChromaFormat::Mono => "gray",
            ChromaFormat::Yuv420 => "yuvj420p",
            ChromaFormat::Yuv422 => "yuvj422p",
            ChromaFormat::Yuv444 => "yuvj444p",
            ChromaFormat::Yuv440 => "yuvj440p",
            ChromaFormat::Yuv411 => "yuvj411p",
        }
    }
}

impl fmt::Display for ChromaFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One plane of 8-bit samples, row-major, `stride` bytes between rows.
#[derive(Clone, PartialEq, Eq)]
pub struct Plane {
    pub width: usize,
    pub height: usize,
    pub stride: usize,
    pub data: Vec<u8>,
}

impl fmt::Debug for Plane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plane")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("stride", &self.stride)
            .finish_non_exhaustive()
    }
}

impl Plane {
    /// A plane filled with `value`, stride equal to width.
    pub fn filled(width: usize, height: usize, value: u8) -> Plane {
        Plane {
            width,
            height,
            stride: width,
            data: vec![value; width * height],
        }
    }

    /// Wraps tightly packed samples (`data.len() == width * height`).
    ///
    /// # Panics
    /// If the length does not match; callers build `data` themselves.
    pub fn from_packed(width: usize, height: usize, data: Vec<u8>) -> Plane {
        assert_eq!(data.len(), width * height, "plane data length");
        Plane {
            width,
            height,
            stride: width,
            data,
        }
    }

    /// Row `y` without the stride padding.
    #[inline]
    pub fn row(&self, y: usize) -> &[u8] {
        &self.data[y * self.stride..y * self.stride + self.width]
    }

    /// Mutable row `y` without the stride padding.
    #[inline]
    pub fn row_mut(&mut self, y: usize) -> &mut [u8] {
        &mut self.data[y * self.stride..y * self.stride + self.width]
    }

    /// Iterates over the visible rows.
    pub fn rows(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.height).map(move |y| self.row(y))
    }

    /// The visible samples, tightly packed.
    pub fn to_packed(&self) -> Vec<u8> {
        if self.stride == self.width && self.data.len() == self.width * self.height {
            return self.data.clone();
        }
        let mut out = Vec::with_capacity(self.width * self.height);
        for row in self.rows() {
            out.extend_from_slice(row);
        }
        out
    }

    /// The same samples with `stride == width`.
    pub fn packed(self) -> Plane {
        if self.stride == self.width && self.data.len() == self.width * self.height {
            return self;
        }
        let data = self.to_packed();
        Plane::from_packed(self.width, self.height, data)
    }
}

/// A planar 8-bit YCbCr (or greyscale) picture.
///
/// Samples are full range (0-255) as in JPEG unless a container says
/// otherwise; the frame itself does not interpret them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub width: usize,
    pub height: usize,
    pub format: ChromaFormat,
    /// Y, then Cb and Cr unless monochrome.
    pub planes: Vec<Plane>,
}

impl Frame {
    /// A frame of mid-grey (Y=128, Cb=Cr=128).
    pub fn grey(width: usize, height: usize, format: ChromaFormat) -> Frame {
        Frame::filled(width, height, format, [128, 128, 128])
    }

    /// A frame where plane `i` holds `value[i]` everywhere.
    pub fn filled(width: usize, height: usize, format: ChromaFormat, value: [u8; 3]) -> Frame {
        let planes = (0..format.plane_count())
            .map(|i| {
                let (w, h) = format.plane_size(i, width, height);
                Plane::filled(w, h, value[i])
            })
            .collect();
        Frame {
            width,
            height,
            format,
            planes,
        }
    }

    /// The same picture in another chroma format: each output chroma
    /// sample is the mean (rounded) of the input chroma samples covering
    /// the same luma area, which averages when subsampling and repeats
    /// when upsampling. Monochrome gains neutral chroma; chroma dropped to
    /// monochrome is discarded.
    pub fn with_format(&self, format: ChromaFormat) -> Frame {
        let mut out = Frame::grey(self.width, self.height, format);
        out.planes[0] = self.planes[0].clone();
        if format == ChromaFormat::Mono || self.format == ChromaFormat::Mono {
            return out;
        }
        let (ts, ss) = (format.chroma_shift(), self.format.chroma_shift());
        for i in 1..3 {
            let src = &self.planes[i];
            let dst = &mut out.planes[i];
            for y in 0..dst.height {
                // Luma rows of this output sample, clipped to the frame.
                let ly0 = y << ts.1;
                let ly1 = ((y + 1) << ts.1).min(self.height.max(1));
                let (sy0, sy1) = (ly0 >> ss.1, ((ly1 - 1) >> ss.1).min(src.height - 1));
                for x in 0..dst.width {
                    let lx0 = x << ts.0;
                    let lx1 = ((x + 1) << ts.0).min(self.width.max(1));
                    let (sx0, sx1) = (lx0 >> ss.0, ((lx1 - 1) >> ss.0).min(src.width - 1));
                    let (mut sum, mut n) = (0u32, 0u32);
                    for sy in sy0..=sy1 {
                        for &v in &src.row(sy)[sx0..=sx1] {
                            sum += u32::from(v);
                            n += 1;
                        }
                    }
                    dst.row_mut(y)[x] = ((sum + n / 2) / n.max(1)) as u8;
                }
            }
        }
        out
    }

    /// Builds a frame from tightly packed planar bytes (Y, then Cb, Cr),
    /// as Y4M and ffmpeg's `rawvideo` store them. Returns `None` if `data`
    /// has the wrong length.
    pub fn from_planar_bytes(
        width: usize,
        height: usize,
        format: ChromaFormat,
        data: &[u8],
    ) -> Option<Frame> {
        if data.len() != format.frame_bytes(width, height) {
            return None;
        }
        let mut offset = 0;
        let planes = (0..format.plane_count())
            .map(|i| {
                let (w, h) = format.plane_size(i, width, height);
                let plane = Plane::from_packed(w, h, data[offset..offset + w * h].to_vec());
                offset += w * h;
                plane
            })
            .collect();
        Some(Frame {
            width,
            height,
            format,
            planes,
        })
    }

    /// Appends the visible samples, plane after plane, to `out`.
    pub fn write_planar_bytes(&self, out: &mut Vec<u8>) {
        out.reserve(self.format.frame_bytes(self.width, self.height));
        for plane in &self.planes {
            for row in plane.rows() {
                out.extend_from_slice(row);
            }
        }
    }

    /// The visible samples, plane after plane.
    pub fn to_planar_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_planar_bytes(&mut out);
        out
    }

    /// Checks that the planes agree with `width`, `height` and `format`.
    pub fn is_consistent(&self) -> bool {
        self.planes.len() == self.format.plane_count()
            && self.planes.iter().enumerate().all(|(i, p)| {
                (p.width, p.height) == self.format.plane_size(i, self.width, self.height)
                    && p.stride >= p.width
                    && p.data.len() >= p.stride * p.height.saturating_sub(1) + p.width
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plane_sizes_round_up() {
        assert_eq!(ChromaFormat::Yuv420.plane_size(1, 17, 13), (9, 7));
        assert_eq!(ChromaFormat::Yuv411.plane_size(2, 17, 13), (5, 13));
        assert_eq!(ChromaFormat::Yuv440.plane_size(1, 17, 13), (17, 7));
        assert_eq!(ChromaFormat::Yuv420.frame_bytes(1, 1), 3);
        assert_eq!(ChromaFormat::Mono.frame_bytes(4, 4), 16);
    }

    #[test]
    fn planar_bytes_round_trip() {
        for format in ChromaFormat::ALL {
            let n = format.frame_bytes(17, 13);
            let data: Vec<u8> = (0..n).map(|i| (i * 7) as u8).collect();
            let frame = Frame::from_planar_bytes(17, 13, format, &data).unwrap();
            assert!(frame.is_consistent());
            assert_eq!(frame.to_planar_bytes(), data);
            assert!(Frame::from_planar_bytes(17, 13, format, &data[1..]).is_none());
        }
    }

    #[test]
    fn chroma_resampling_averages_down_and_repeats_up() {
        let mut f = Frame::filled(4, 2, ChromaFormat::Yuv444, [9, 0, 0]);
        f.planes[1].row_mut(0).copy_from_slice(&[10, 20, 30, 41]);
        f.planes[1].row_mut(1).copy_from_slice(&[10, 20, 30, 40]);
        let down = f.with_format(ChromaFormat::Yuv420);
        assert_eq!(down.planes[1].to_packed(), [15, 35]);
        assert_eq!(down.planes[0].to_packed(), f.planes[0].to_packed());
        let up = down.with_format(ChromaFormat::Yuv422);
        assert_eq!(up.planes[1].to_packed(), [15, 35, 15, 35]);
        // Odd sizes: edge samples cover fewer luma samples.
        let odd = Frame::grey(5, 3, ChromaFormat::Yuv444).with_format(ChromaFormat::Yuv411);
        assert!(odd.is_consistent());
        assert_eq!(odd.planes[2].width, 2);
    }
}
