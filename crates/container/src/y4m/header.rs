//! The YUV4MPEG2 stream header: parsing and formatting.
//!
//! ```text
//! YUV4MPEG2 W<width> H<height> F<num>:<den> I<p|t|b|m|?> A<num>:<den> C<chroma> X<tag> ...\n
//! ```
//!
//! Tags are separated by single spaces (0x20) and each starts with a
//! one-letter name. `W` and `H` are required; every other tag is optional.

use tessera_core::{ChromaFormat, Limits, Rational};

use crate::ContainerKind;
use crate::error::{Error, Position, Result};

/// Where the chroma samples of a 4:2:0 stream sit relative to luma.
///
/// Only meaningful for [`ChromaFormat::Yuv420`]; other formats record
/// [`ChromaSiting::Jpeg`] and ignore it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ChromaSiting {
    /// `C420jpeg` (and plain `C420`): chroma centred between the four luma
    /// samples it covers, as JPEG/JFIF and H.261 place it.
    #[default]
    Jpeg,
    /// `C420mpeg2`: horizontally co-sited with the left luma column,
    /// vertically centred.
    Mpeg2,
    /// `C420paldv`: co-sited with the top-left luma sample (PAL DV).
    PalDv,
}

/// The `I` tag: how the frames are scanned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Interlace {
    /// `Ip` (also assumed when the tag is absent).
    #[default]
    Progressive,
    /// `It`: interlaced, top field first.
    TopFieldFirst,
    /// `Ib`: interlaced, bottom field first.
    BottomFieldFirst,
    /// `Im`: mixed; each `FRAME` line says which (we ignore those).
    Mixed,
    /// `I?`: unknown.
    Unknown,
}

impl Interlace {
    const fn letter(self) -> char {
        match self {
            Interlace::Progressive => 'p',
            Interlace::TopFieldFirst => 't',
            Interlace::BottomFieldFirst => 'b',
            Interlace::Mixed => 'm',
            Interlace::Unknown => '?',
        }
    }
}

/// The `XCOLORRANGE=` extension tag written by ffmpeg.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColorRange {
    /// `FULL`: samples use 0-255, as JPEG does.
    Full,
    /// `LIMITED`: luma 16-235, chroma 16-240, as broadcast video does.
    Limited,
}

/// Everything the stream header says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Y4mHeader {
    pub width: usize,
    pub height: usize,
    /// Frames per second. `F0:0` (unknown) or a missing tag reads as 25,
    /// as ffmpeg assumes.
    pub rate: Rational,
    pub format: ChromaFormat,
    pub siting: ChromaSiting,
    pub interlace: Interlace,
    /// Pixel aspect ratio; `None` for `A0:0` (unknown) or a missing tag.
    pub aspect: Option<Rational>,
    /// `XCOLORRANGE=`, if given. The writer writes `FULL` when this is
    /// `None`, since tessera's frames are full range.
    pub color_range: Option<ColorRange>,
    /// Tags this crate does not interpret, without their separating spaces
    /// (e.g. `"XFOO=1"`), kept in order and written back unchanged.
    /// `XYSCSS=` is not kept: the writer derives it from `format`.
    pub extra: Vec<String>,
}

impl Y4mHeader {
    /// A progressive, full-range header with square pixels.
    pub fn new(width: usize, height: usize, rate: Rational, format: ChromaFormat) -> Y4mHeader {
        Y4mHeader {
            width,
            height,
            rate,
            format,
            siting: ChromaSiting::Jpeg,
            interlace: Interlace::Progressive,
            aspect: Rational::new(1, 1),
            color_range: Some(ColorRange::Full),
            extra: Vec::new(),
        }
    }

    /// Bytes of sample data in one frame (excluding the `FRAME` line).
    pub fn frame_bytes(&self) -> usize {
        self.format.frame_bytes(self.width, self.height)
    }

    /// Parses the header line, without the leading `YUV4MPEG2 ` magic and
    /// without the final newline, checking the picture size against
    /// `limits`.
    pub fn parse_tags(line: &[u8], limits: &Limits) -> Result<Y4mHeader> {
        let mut width = None;
        let mut height = None;
        let mut rate = None;
        let mut chroma: Option<(ChromaFormat, ChromaSiting)> = None;
        let mut yscss: Option<ChromaFormat> = None;
        let mut interlace = Interlace::Progressive;
        let mut aspect = None;
        let mut color_range = None;
        let mut extra = Vec::new();

        let mut offset = MAGIC.len();
        for token in line.split(|&b| b == b' ') {
            let at = offset as u64;
            offset += token.len() + 1;
            let Some((&tag, value)) = token.split_first() else {
                continue; // tolerate doubled spaces
            };
            let bad = |reason: &str| {
                Error::malformed(
                    ContainerKind::Y4m,
                    Position::at(at),
                    format!("{reason} in tag {:?}", String::from_utf8_lossy(token)),
                )
            };
            match tag {
                b'W' => width = Some(parse_u32(value).ok_or_else(|| bad("bad width"))?),
                b'H' => height = Some(parse_u32(value).ok_or_else(|| bad("bad height"))?),
                b'F' => {
                    let (n, d) = parse_ratio(value).ok_or_else(|| bad("bad frame rate"))?;
                    rate = Rational::new(n, d);
                }
                b'A' => {
                    let (n, d) = parse_ratio(value).ok_or_else(|| bad("bad pixel aspect"))?;
                    aspect = Rational::new(n, d);
                }
                b'I' => {
                    interlace = match value {
                        b"p" => Interlace::Progressive,
                        b"t" => Interlace::TopFieldFirst,
                        b"b" => Interlace::BottomFieldFirst,
                        b"m" => Interlace::Mixed,
                        b"?" => Interlace::Unknown,
                        _ => return Err(bad("bad interlace mode")),
                    }
                }
                b'C' => chroma = Some(parse_chroma(value, at)?),
                b'X' if value.starts_with(b"COLORRANGE=") => {
                    color_range = match &value[b"COLORRANGE=".len()..] {
                        b"FULL" => Some(ColorRange::Full),
                        b"LIMITED" => Some(ColorRange::Limited),
                        _ => return Err(bad("unknown colour range")),
                    }
                }
                b'X' if value.starts_with(b"YSCSS=") => {
                    // ffmpeg's older spelling of the chroma format; used only
                    // when there is no C tag.
                    yscss = match &value[b"YSCSS=".len()..] {
                        b"420JPEG" | b"420MPEG2" | b"420PALDV" => Some(ChromaFormat::Yuv420),
                        b"411" => Some(ChromaFormat::Yuv411),
                        b"422" => Some(ChromaFormat::Yuv422),
                        b"444" => Some(ChromaFormat::Yuv444),
                        _ => None,
                    }
                }
                _ => {
                    let text = std::str::from_utf8(token).map_err(|_| bad("non-UTF-8 bytes"))?;
                    extra.push(text.to_owned());
                }
            }
        }

        let missing = |what: &str| {
            Error::malformed(
                ContainerKind::Y4m,
                Position::at(0),
                format!("header has no {what} tag"),
            )
        };
        let width = width.ok_or_else(|| missing("width (W)"))?;
        let height = height.ok_or_else(|| missing("height (H)"))?;
        if width == 0 || height == 0 {
            return Err(Error::malformed(
                ContainerKind::Y4m,
                Position::at(0),
                format!("picture size {width}x{height} is empty"),
            ));
        }
        limits.check_dimensions(u64::from(width), u64::from(height))?;
        let (format, siting) = chroma.unwrap_or(match yscss {
            Some(format) => (format, ChromaSiting::Jpeg),
            None => (ChromaFormat::Yuv420, ChromaSiting::Jpeg),
        });
        let header = Y4mHeader {
            width: width as usize,
            height: height as usize,
            rate: rate.unwrap_or(Rational::integer(25)),
            format,
            siting,
            interlace,
            aspect,
            color_range,
            extra,
        };
        limits.check_bytes(header.frame_bytes() as u64)?;
        Ok(header)
    }

    /// The header line, including the magic and the final newline.
    pub fn to_line(&self) -> String {
        use std::fmt::Write;
        let mut line = format!(
            "YUV4MPEG2 W{} H{} F{}:{} I{}",
            self.width,
            self.height,
            self.rate.num,
            self.rate.den,
            self.interlace.letter()
        );
        let (an, ad) = self.aspect.map_or((0, 0), |a| (a.num, a.den));
        let _ = write!(
            line,
            " A{an}:{ad} C{}",
            chroma_tag(self.format, self.siting)
        );
        if let Some(yscss) = yscss_tag(self.format, self.siting) {
            let _ = write!(line, " XYSCSS={yscss}");
        }
        let range = match self.color_range.unwrap_or(ColorRange::Full) {
            ColorRange::Full => "FULL",
            ColorRange::Limited => "LIMITED",
        };
        let _ = write!(line, " XCOLORRANGE={range}");
        for tag in &self.extra {
            line.push(' ');
            line.push_str(tag);
        }
        line.push('\n');
        line
    }
}

/// The stream magic, including its separating space.
pub(crate) const MAGIC: &[u8] = b"YUV4MPEG2 ";

/// The `C` tag value for a format and siting.
pub(crate) const fn chroma_tag(format: ChromaFormat, siting: ChromaSiting) -> &'static str {
    match format {
        ChromaFormat::Mono => "mono",
        ChromaFormat::Yuv420 => match siting {
            ChromaSiting::Jpeg => "420jpeg",
            ChromaSiting::Mpeg2 => "420mpeg2",
            ChromaSiting::PalDv => "420paldv",
        },
        ChromaFormat::Yuv422 => "422",
        ChromaFormat::Yuv444 => "444",
        ChromaFormat::Yuv411 => "411",
        ChromaFormat::Yuv440 => "440",
    }
}

/// The `XYSCSS=` value ffmpeg writes next to the `C` tag, where it has one.
const fn yscss_tag(format: ChromaFormat, siting: ChromaSiting) -> Option<&'static str> {
    match format {
        ChromaFormat::Yuv420 => Some(match siting {
            ChromaSiting::Jpeg => "420JPEG",
            ChromaSiting::Mpeg2 => "420MPEG2",
            ChromaSiting::PalDv => "420PALDV",
        }),
        ChromaFormat::Yuv422 => Some("422"),
        ChromaFormat::Yuv444 => Some("444"),
        ChromaFormat::Yuv411 => Some("411"),
        ChromaFormat::Mono | ChromaFormat::Yuv440 => None,
    }
}

fn parse_chroma(value: &[u8], at: u64) -> Result<(ChromaFormat, ChromaSiting)> {
    let siting = ChromaSiting::Jpeg;
    Ok(match value {
        b"420jpeg" | b"420" => (ChromaFormat::Yuv420, siting),
        b"420mpeg2" => (ChromaFormat::Yuv420, ChromaSiting::Mpeg2),
        b"420paldv" => (ChromaFormat::Yuv420, ChromaSiting::PalDv),
        b"422" => (ChromaFormat::Yuv422, siting),
        b"444" => (ChromaFormat::Yuv444, siting),
        b"411" => (ChromaFormat::Yuv411, siting),
        b"440" => (ChromaFormat::Yuv440, siting),
        b"mono" => (ChromaFormat::Mono, siting),
        _ => {
            let name = String::from_utf8_lossy(value);
            let known_deep = ["420p", "422p", "444p", "440p", "mono"]
                .iter()
                .any(|p| name.starts_with(p) && name[p.len()..].parse::<u8>().is_ok());
            return Err(if known_deep {
                Error::unsupported(
                    ContainerKind::Y4m,
                    format!("chroma format C{name}: only 8-bit samples are supported"),
                )
            } else if name == "444alpha" {
                Error::unsupported(ContainerKind::Y4m, "chroma format C444alpha (alpha plane)")
            } else {
                Error::malformed(
                    ContainerKind::Y4m,
                    Position::at(at),
                    format!("unknown chroma format C{name}"),
                )
            });
        }
    })
}

/// A decimal `u32` with no sign, spaces or other characters.
fn parse_u32(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// `N:D`, both decimal `u32`.
fn parse_ratio(value: &[u8]) -> Option<(u32, u32)> {
    let colon = value.iter().position(|&b| b == b':')?;
    Some((parse_u32(&value[..colon])?, parse_u32(&value[colon + 1..])?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(tags: &str) -> Result<Y4mHeader> {
        Y4mHeader::parse_tags(tags.as_bytes(), &Limits::default())
    }

    #[test]
    fn parses_what_ffmpeg_writes() {
        let h = parse("W17 H13 F30000:1001 Ip A1:1 C420mpeg2 XYSCSS=420MPEG2 XCOLORRANGE=LIMITED")
            .unwrap();
        assert_eq!((h.width, h.height), (17, 13));
        assert_eq!(h.rate, Rational::new(30000, 1001).unwrap());
        assert_eq!(h.format, ChromaFormat::Yuv420);
        assert_eq!(h.siting, ChromaSiting::Mpeg2);
        assert_eq!(h.interlace, Interlace::Progressive);
        assert_eq!(h.aspect, Rational::new(1, 1));
        assert_eq!(h.color_range, Some(ColorRange::Limited));
        assert!(h.extra.is_empty());
    }

    #[test]
    fn defaults_follow_the_format_convention() {
        let h = parse("W4 H2").unwrap();
        assert_eq!(h.format, ChromaFormat::Yuv420);
        assert_eq!(h.siting, ChromaSiting::Jpeg);
        assert_eq!(h.rate, Rational::integer(25));
        assert_eq!(h.aspect, None);
        assert_eq!(h.color_range, None);
        let h = parse("W4 H2 F0:0 A0:0 I?").unwrap();
        assert_eq!(h.rate, Rational::integer(25));
        assert_eq!(h.aspect, None);
        assert_eq!(h.interlace, Interlace::Unknown);
    }

    #[test]
    fn every_chroma_tag() {
        for (tag, format, siting) in [
            ("C420", ChromaFormat::Yuv420, ChromaSiting::Jpeg),
            ("C420jpeg", ChromaFormat::Yuv420, ChromaSiting::Jpeg),
            ("C420paldv", ChromaFormat::Yuv420, ChromaSiting::PalDv),
            ("C422", ChromaFormat::Yuv422, ChromaSiting::Jpeg),
            ("C444", ChromaFormat::Yuv444, ChromaSiting::Jpeg),
            ("C411", ChromaFormat::Yuv411, ChromaSiting::Jpeg),
            ("C440", ChromaFormat::Yuv440, ChromaSiting::Jpeg),
            ("Cmono", ChromaFormat::Mono, ChromaSiting::Jpeg),
            ("XYSCSS=411", ChromaFormat::Yuv411, ChromaSiting::Jpeg),
        ] {
            let h = parse(&format!("W8 H8 {tag}")).unwrap();
            assert_eq!((h.format, h.siting), (format, siting), "{tag}");
        }
        // The C tag wins over XYSCSS.
        let h = parse("W8 H8 C444 XYSCSS=411").unwrap();
        assert_eq!(h.format, ChromaFormat::Yuv444);
    }

    #[test]
    fn high_bit_depth_is_unsupported_not_malformed() {
        for tag in ["C420p10", "C444p16", "Cmono16", "C422p9", "C444alpha"] {
            let err = parse(&format!("W8 H8 {tag}")).unwrap_err();
            assert!(matches!(err, Error::Unsupported { .. }), "{tag}: {err}");
        }
        assert!(parse("W8 H8 C999").unwrap_err().is_malformed());
    }

    #[test]
    fn bad_numbers_are_malformed() {
        for tags in [
            "H8",
            "W8",
            "W0 H8",
            "W-8 H8",
            "W99999999999 H8",
            "W8 H8 F30",
            "W8 H8 F:1",
            "W8 H8 A1",
            "W8 H8 Ix",
            "W8 H8 XCOLORRANGE=SOME",
        ] {
            assert!(parse(tags).unwrap_err().is_malformed(), "{tags}");
        }
    }

    #[test]
    fn huge_sizes_hit_the_limits() {
        let err = parse("W100000 H100000").unwrap_err();
        assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
        let small = Limits {
            max_bytes: 100,
            ..Limits::default()
        };
        let err = Y4mHeader::parse_tags(b"W10 H10 C444", &small).unwrap_err();
        assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
    }

    #[test]
    fn unknown_tags_are_kept_and_written_back() {
        let h = parse("W8 H6 XFOO=bar  Zq C422").unwrap();
        assert_eq!(h.extra, ["XFOO=bar", "Zq"]);
        let line = h.to_line();
        assert_eq!(
            line,
            "YUV4MPEG2 W8 H6 F25:1 Ip A0:0 C422 XYSCSS=422 XCOLORRANGE=FULL XFOO=bar Zq\n"
        );
        let again = parse(&line[MAGIC.len()..line.len() - 1]).unwrap();
        assert_eq!(again.extra, h.extra);
        assert_eq!(again.color_range, Some(ColorRange::Full));
    }

    #[test]
    fn written_tags() {
        let rate = Rational::new(30000, 1001).unwrap();
        let mut h = Y4mHeader::new(17, 13, rate, ChromaFormat::Yuv420);
        assert_eq!(
            h.to_line(),
            "YUV4MPEG2 W17 H13 F30000:1001 Ip A1:1 C420jpeg XYSCSS=420JPEG XCOLORRANGE=FULL\n"
        );
        h.siting = ChromaSiting::PalDv;
        assert!(h.to_line().contains(" C420paldv XYSCSS=420PALDV "));
        h.format = ChromaFormat::Mono;
        assert!(h.to_line().contains(" Cmono XCOLORRANGE=FULL"));
        h.format = ChromaFormat::Yuv440;
        assert!(h.to_line().contains(" C440 XCOLORRANGE=FULL"));
    }
}
