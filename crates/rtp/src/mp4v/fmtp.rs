//! The MP4V-ES media type's parameters (RFC 6416 section 7.1) and the SDP
//! of one MP4V-ES stream (section 7.4):
//!
//! ```text
//! m=video 5004 RTP/AVP 96
//! a=rtpmap:96 MP4V-ES/90000
//! a=fmtp:96 profile-level-id=1;config=000001B001000001B58913000001000000012000C48D88...
//! a=framerate:25
//! ```
//!
//! `profile-level-id` is the decimal `profile_and_level_indication` of
//! ISO/IEC 14496-2 Table G-1 (1 = Simple Profile level 1 when absent);
//! `config` is the configuration headers (VOS, VO, VOL) in hexadecimal.

use tessera_core::Rational;

use super::{CLOCK_RATE, ENCODING, start_code};
use crate::error::{Result, RtpError};
use crate::sdp::{MediaFormat, SdpStream, parse_sdp_with_format, write_sdp_with_format};

/// `profile-level-id` when the SDP gives none (RFC 6416 section 7.1).
const DEFAULT_PROFILE_LEVEL: u8 = 1;
/// Longest `config` accepted, in bytes (an SDP is at most 64 KiB).
const MAX_CONFIG_BYTES: usize = 16 * 1024;

/// The format parameters of an MP4V-ES stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mp4vFormat {
    /// `profile_and_level_indication` (Table G-1).
    pub profile_level_id: u8,
    /// Configuration headers (VOS, VO, VOL); empty when not given.
    pub config: Vec<u8>,
}

impl Mp4vFormat {
    /// The parameters for a stream with these configuration headers (cut
    /// at a GOV or VOP by [`config_headers`](super::config_headers)): the
    /// profile and level from its VOS header (the byte after
    /// `00 00 01 B0`), 1 when it has none.
    pub fn from_config(config: &[u8]) -> Self {
        let config = super::config_headers(config);
        let profile_level_id = super::start_codes(config)
            .find(|&at| config.get(at + 3) == Some(&start_code::VISUAL_OBJECT_SEQUENCE))
            .and_then(|at| config.get(at + 4).copied())
            .unwrap_or(DEFAULT_PROFILE_LEVEL);
        Mp4vFormat {
            profile_level_id,
            config: config.to_vec(),
        }
    }

    /// The `a=fmtp` parameters and `a=framerate` of these parameters.
    pub fn to_media_format(&self, framerate: Option<Rational>) -> MediaFormat {
        let mut fmtp = vec![(
            "profile-level-id".to_string(),
            self.profile_level_id.to_string(),
        )];
        if !self.config.is_empty() {
            fmtp.push(("config".to_string(), hex(&self.config)));
        }
        MediaFormat { fmtp, framerate }
    }

    /// Reads `profile-level-id` and `config` (both optional).
    pub fn from_media_format(format: &MediaFormat) -> Result<Self> {
        let profile_level_id = match format.get("profile-level-id") {
            None => DEFAULT_PROFILE_LEVEL,
            Some(text) => text.parse().map_err(|_| {
                RtpError::malformed(format!(
                    "SDP: MP4V-ES profile-level-id \"{text}\" (a decimal 0-255)"
                ))
            })?,
        };
        let config = match format.get("config") {
            None => Vec::new(),
            Some(text) => unhex(text)?,
        };
        Ok(Mp4vFormat {
            profile_level_id,
            config,
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn unhex(text: &str) -> Result<Vec<u8>> {
    let bad = |why: &str| RtpError::malformed(format!("SDP: MP4V-ES config: {why}"));
    if text.len() > 2 * MAX_CONFIG_BYTES {
        return Err(bad(&format!(
            "{} hex digits (at most {})",
            text.len(),
            2 * MAX_CONFIG_BYTES
        )));
    }
    if !text.len().is_multiple_of(2) {
        return Err(bad("an odd number of hex digits"));
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| bad(&format!("\"{}\" is not hex", String::from_utf8_lossy(pair))))
        })
        .collect()
}

/// An MP4V-ES stream as its SDP describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mp4vSdp {
    pub stream: SdpStream,
    pub format: Mp4vFormat,
    pub framerate: Option<Rational>,
}

/// The SDP of an MP4V-ES stream: [`crate::sdp::write_sdp`]'s lines (make
/// `stream` with [`SdpStream::mp4v`]) plus `a=fmtp` and, when given,
/// `a=framerate`.
pub fn write_mp4v_sdp(
    session_name: &str,
    stream: &SdpStream,
    format: &Mp4vFormat,
    framerate: Option<Rational>,
) -> String {
    write_sdp_with_format(session_name, stream, &format.to_media_format(framerate))
}

/// Reads the first video stream of an SDP, which must be MP4V-ES at 90
/// kHz (the only clock this crate's receivers use).
pub fn parse_mp4v_sdp(text: &str) -> Result<Mp4vSdp> {
    let (stream, format) = parse_sdp_with_format(text)?;
    if !stream.encoding.eq_ignore_ascii_case(ENCODING) {
        return Err(RtpError::Unsupported(format!(
            "SDP encoding {} (expected {ENCODING})",
            stream.encoding
        )));
    }
    if stream.clock_rate != CLOCK_RATE {
        return Err(RtpError::Unsupported(format!(
            "MP4V-ES clock rate {} (expected {CLOCK_RATE})",
            stream.clock_rate
        )));
    }
    Ok(Mp4vSdp {
        format: Mp4vFormat::from_media_format(&format)?,
        framerate: format.framerate,
        stream,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The configuration ffmpeg 5.1's mpeg4 encoder writes for 352x288.
    const FFMPEG_CONFIG: &str = "000001B001000001B58913000001000000012000C48D8800CD0B04241443000001B24C61766335392E33372E313030";

    #[test]
    fn writes_and_reads_back() {
        let config = unhex(FFMPEG_CONFIG).unwrap();
        let format = Mp4vFormat::from_config(&config);
        assert_eq!(format.profile_level_id, 1);
        let stream = SdpStream::mp4v("127.0.0.1".parse().unwrap(), 5004);
        let text = write_mp4v_sdp("cam", &stream, &format, Some(Rational::integer(25)));
        assert!(text.contains("m=video 5004 RTP/AVP 96\r\n"), "{text}");
        assert!(text.contains("a=rtpmap:96 MP4V-ES/90000\r\n"));
        assert!(text.contains(&format!(
            "a=fmtp:96 profile-level-id=1;config={FFMPEG_CONFIG}\r\n"
        )));
        assert!(text.contains("a=framerate:25\r\n"));
        let read = parse_mp4v_sdp(&text).unwrap();
        assert_eq!(read.stream, stream);
        assert_eq!(read.format, format);
        assert_eq!(read.framerate, Some(Rational::integer(25)));
        // Profile and level from the VOS header; none: level 1.
        assert_eq!(
            Mp4vFormat::from_config(&[0, 0, 1, 0xb0, 0xf5]).profile_level_id,
            0xf5
        );
        assert_eq!(
            Mp4vFormat::from_config(&[0, 0, 1, 0x20]).profile_level_id,
            1
        );
        let bare = Mp4vFormat::from_config(&[]);
        let text = write_mp4v_sdp("x", &stream, &bare, None);
        assert!(text.contains("a=fmtp:96 profile-level-id=1\r\n"), "{text}");
        assert!(!text.contains("framerate"));
        assert_eq!(parse_mp4v_sdp(&text).unwrap().format, bare);
    }

    #[test]
    fn reads_ffmpeg_sdp() {
        let text = format!(
            "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=No Name\nc=IN IP4 127.0.0.1\nt=0 0\n\
             a=tool:libavformat LIBAVFORMAT_VERSION\nm=video 40000 RTP/AVP 96\n\
             a=rtpmap:96 MP4V-ES/90000\na=fmtp:96 profile-level-id=1; config={}\n",
            FFMPEG_CONFIG.to_lowercase()
        );
        let read = parse_mp4v_sdp(&text).unwrap();
        assert_eq!((read.stream.port, read.stream.payload_type), (40000, 96));
        assert_eq!(read.format.config, unhex(FFMPEG_CONFIG).unwrap());
        assert_eq!(read.format.config[..4], [0, 0, 1, 0xb0]);
    }

    #[test]
    fn clear_errors() {
        let sdp = |fmtp: &str, map: &str| {
            format!(
                "v=0\nc=IN IP4 1.2.3.4\nm=video 5000 RTP/AVP 96\na=rtpmap:96 {map}\na=fmtp:96 {fmtp}\n"
            )
        };
        let err = |t: String| parse_mp4v_sdp(&t).unwrap_err().to_string();
        assert!(err(sdp("config=0", "MP4V-ES/90000")).contains("odd"));
        assert!(err(sdp("config=zz", "MP4V-ES/90000")).contains("not hex"));
        assert!(err(sdp("profile-level-id=300", "MP4V-ES/90000")).contains("profile-level-id"));
        assert!(err(sdp("", "H264/90000")).contains("expected MP4V-ES"));
        assert!(err(sdp("", "MP4V-ES/1000")).contains("clock rate"));
        let long = "00".repeat(MAX_CONFIG_BYTES + 1);
        assert!(err(sdp(&format!("config={long}"), "MP4V-ES/90000")).contains("at most"));
        // Case of the subtype and of parameter names does not matter.
        let ok = parse_mp4v_sdp(&sdp("Profile-Level-Id=8", "mp4v-es/90000")).unwrap();
        assert_eq!(ok.format.profile_level_id, 8);
    }
}
