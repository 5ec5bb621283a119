//! Session descriptions (SDP, RFC 8866) for one RTP video stream: written
//! for the streams we send, so that ffplay, GStreamer and VLC can receive
//! them, and read for the streams we are given.
//!
//! Only what one stream needs is read: the connection address (`c=`,
//! session or media level, with a TTL for IPv4 multicast), the first
//! `m=video` line's port and payload type, and its `a=rtpmap` (RFC 3551
//! static types 26 = JPEG/90000 need none). [`parse_sdp_with_format`] also
//! reads that payload type's `a=fmtp` parameters and the stream's
//! `a=framerate` ([`MediaFormat`]), which payload formats with dynamic
//! types need (MP4V-ES: [`crate::mp4v::Mp4vFormat`]).

use std::net::IpAddr;

use tessera_core::Rational;

use crate::error::{Result, RtpError};

/// One RTP stream as SDP describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdpStream {
    pub address: IpAddr,
    pub port: u16,
    /// Multicast TTL (IPv4 `c=` lines only).
    pub ttl: Option<u8>,
    pub payload_type: u8,
    /// `JPEG`, `X-SC`, ...
    pub encoding: String,
    pub clock_rate: u32,
}

impl SdpStream {
    /// An RTP/JPEG stream (payload type 26, 90 kHz).
    pub fn jpeg(address: IpAddr, port: u16) -> Self {
        SdpStream {
            address,
            port,
            ttl: address.is_multicast().then_some(16),
            payload_type: crate::jpeg::PAYLOAD_TYPE,
            encoding: "JPEG".into(),
            clock_rate: crate::jpeg::CLOCK_RATE,
        }
    }

    /// An RTP/MP4V-ES stream (RFC 6416; dynamic payload type 96, 90 kHz).
    pub fn mp4v(address: IpAddr, port: u16) -> Self {
        SdpStream {
            payload_type: crate::mp4v::PAYLOAD_TYPE,
            encoding: crate::mp4v::ENCODING.into(),
            clock_rate: crate::mp4v::CLOCK_RATE,
            ..SdpStream::jpeg(address, port)
        }
    }

    /// An RTP/SC stream (dynamic payload type 100, 90 kHz).
    pub fn sc(address: IpAddr, port: u16) -> Self {
        SdpStream {
            payload_type: 100,
            encoding: "X-SC".into(),
            ..SdpStream::jpeg(address, port)
        }
    }
}

/// What a stream's media section says about its payload beyond the
/// `a=rtpmap`: the format parameters of its payload type (`a=fmtp`, RFC
/// 8866 section 6.15) and its frame rate (`a=framerate`, section 6.13).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MediaFormat {
    /// `name=value` pairs of `a=fmtp:PT name=value; name=value`, in the
    /// order written. A parameter without `=` has an empty value.
    pub fmtp: Vec<(String, String)>,
    pub framerate: Option<Rational>,
}

impl MediaFormat {
    /// The value of format parameter `name` (names are case-insensitive,
    /// RFC 4855 section 3); the first if it is repeated.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fmtp
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `a=framerate` takes a decimal number: 25, 29.97, 12.5.
fn framerate_decimal(rate: Rational) -> String {
    if rate.den == 1 {
        return rate.num.to_string();
    }
    let text = format!("{:.3}", rate.as_f64());
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// One line of text without the characters that would end it or the
/// `a=fmtp` list early.
fn fmtp_text(text: &str) -> String {
    text.chars()
        .filter(|&c| !c.is_control() && c != ';')
        .collect::<String>()
        .trim()
        .to_string()
}

fn addr_type(address: &IpAddr) -> &'static str {
    match address {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    }
}

/// The SDP text for `stream`: version, origin, session name, connection,
/// timing, one `m=video` line and its `a=rtpmap`. Lines end in CRLF.
pub fn write_sdp(session_name: &str, stream: &SdpStream) -> String {
    write_sdp_with_format(session_name, stream, &MediaFormat::default())
}

/// [`write_sdp`] plus `a=fmtp` (when `format` has parameters) and
/// `a=framerate` (when it has a rate) for the stream's payload type.
pub fn write_sdp_with_format(
    session_name: &str,
    stream: &SdpStream,
    format: &MediaFormat,
) -> String {
    // The name is one line of text; keep it so.
    let name: String = session_name.chars().filter(|c| !c.is_control()).collect();
    let name = if name.trim().is_empty() {
        "tessera".to_string()
    } else {
        name
    };
    let kind = addr_type(&stream.address);
    let connection = match (stream.address, stream.ttl) {
        (IpAddr::V4(a), Some(ttl)) if a.is_multicast() => format!("{a}/{ttl}"),
        (a, _) => a.to_string(),
    };
    let origin = match stream.address {
        a if a.is_multicast() || a.is_unspecified() => match a {
            IpAddr::V4(_) => "127.0.0.1".to_string(),
            IpAddr::V6(_) => "::1".to_string(),
        },
        a => a.to_string(),
    };
    let mut text = format!(
        "v=0\r\n\
         o=- 0 0 IN {kind} {origin}\r\n\
         s={name}\r\n\
         c=IN {kind} {connection}\r\n\
         t=0 0\r\n\
         m=video {port} RTP/AVP {pt}\r\n\
         a=rtpmap:{pt} {enc}/{rate}\r\n",
        port = stream.port,
        pt = stream.payload_type,
        enc = stream.encoding,
        rate = stream.clock_rate,
    );
    let params: Vec<String> = format
        .fmtp
        .iter()
        .map(|(n, v)| (fmtp_text(n), fmtp_text(v)))
        .filter(|(n, _)| !n.is_empty())
        .map(|(n, v)| if v.is_empty() { n } else { format!("{n}={v}") })
        .collect();
    if !params.is_empty() {
        text += &format!("a=fmtp:{} {}\r\n", stream.payload_type, params.join(";"));
    }
    if let Some(rate) = format.framerate {
        text += &format!("a=framerate:{}\r\n", framerate_decimal(rate));
    }
    text
}

fn bad(what: impl Into<String>) -> RtpError {
    RtpError::malformed(format!("SDP: {}", what.into()))
}

/// `c=IN IP4 ADDR[/TTL[/N]]`.
fn parse_connection(value: &str) -> Result<(IpAddr, Option<u8>)> {
    let mut parts = value.split_ascii_whitespace();
    let (Some("IN"), Some(kind), Some(addr), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(format!("connection line \"c={value}\"")));
    };
    let mut fields = addr.split('/');
    let host = fields.next().unwrap_or_default();
    let address: IpAddr = host
        .parse()
        .map_err(|_| bad(format!("connection address \"{host}\" (not an IP address)")))?;
    match (kind, address) {
        ("IP4", IpAddr::V4(_)) | ("IP6", IpAddr::V6(_)) => {}
        _ => return Err(bad(format!("address type {kind} with address {host}"))),
    }
    let ttl = match (address, fields.next()) {
        (IpAddr::V4(_), Some(ttl)) => Some(
            ttl.parse::<u8>()
                .map_err(|_| bad(format!("TTL \"{ttl}\"")))?,
        ),
        _ => None,
    };
    Ok((address, ttl))
}

/// Reads the first video stream of an SDP.
pub fn parse_sdp(text: &str) -> Result<SdpStream> {
    parse_sdp_with_format(text).map(|(stream, _)| stream)
}

/// `a=fmtp:PT` parameters: `name=value` separated by `;`.
fn parse_fmtp(params: &str) -> Vec<(String, String)> {
    params
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((n, v)) => (n.trim().to_string(), v.trim().to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}

/// Reads the first video stream of an SDP with its payload type's format
/// parameters and its frame rate.
pub fn parse_sdp_with_format(text: &str) -> Result<(SdpStream, MediaFormat)> {
    if text.len() > 64 * 1024 {
        return Err(bad(format!("{} bytes (at most 64 KiB)", text.len())));
    }
    let mut session_conn = None;
    let mut media: Option<(u16, u8)> = None;
    let mut media_conn = None;
    let mut in_video = false;
    let mut rtpmap: Option<(String, u32)> = None;
    let mut format = MediaFormat::default();
    for line in text.lines() {
        let line = line.trim_end_matches('\r').trim();
        let Some((key, value)) = line.split_once('=') else {
            if line.is_empty() {
                continue;
            }
            return Err(bad(format!("line \"{line}\" is not type=value")));
        };
        match key {
            "m" => {
                if media.is_some() {
                    // Only the first video stream is read.
                    in_video = false;
                    continue;
                }
                let fields: Vec<&str> = value.split_ascii_whitespace().collect();
                if fields.first() != Some(&"video") {
                    in_video = false;
                    continue;
                }
                let [_, port, proto, pt, ..] = fields.as_slice() else {
                    return Err(bad(format!("media line \"m={value}\"")));
                };
                if !proto.starts_with("RTP/") {
                    return Err(RtpError::Unsupported(format!(
                        "SDP transport {proto} (RTP/AVP only)"
                    )));
                }
                let port: u16 = port
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .parse()
                    .map_err(|_| bad(format!("port \"{port}\"")))?;
                let pt: u8 = pt
                    .parse()
                    .ok()
                    .filter(|&pt: &u8| pt < 128)
                    .ok_or_else(|| bad(format!("payload type \"{pt}\"")))?;
                media = Some((port, pt));
                in_video = true;
            }
            "c" if media.is_none() => session_conn = Some(parse_connection(value)?),
            "c" if in_video => media_conn = Some(parse_connection(value)?),
            "a" if in_video => {
                if let Some(map) = value.strip_prefix("rtpmap:") {
                    let Some((pt, rest)) = map.split_once(char::is_whitespace) else {
                        return Err(bad(format!("attribute \"a={value}\"")));
                    };
                    if Some(pt.trim().parse::<u8>().ok()) != Some(media.map(|m| m.1)) {
                        continue;
                    }
                    let mut parts = rest.trim().split('/');
                    let encoding = parts.next().unwrap_or_default().to_string();
                    let rate = parts.next().unwrap_or_default();
                    let rate: u32 = rate
                        .parse()
                        .ok()
                        .filter(|&r| r > 0)
                        .ok_or_else(|| bad(format!("clock rate \"{rate}\"")))?;
                    if encoding.is_empty() {
                        return Err(bad(format!("attribute \"a={value}\"")));
                    }
                    rtpmap = Some((encoding, rate));
                } else if let Some(fmtp) = value.strip_prefix("fmtp:") {
                    let (pt, params) = fmtp.split_once(char::is_whitespace).unwrap_or((fmtp, ""));
                    if pt.trim().parse::<u8>().ok() == media.map(|m| m.1) {
                        format.fmtp = parse_fmtp(params);
                    }
                } else if let Some(rate) = value.strip_prefix("framerate:") {
                    format.framerate = Some(
                        rate.trim()
                            .parse()
                            .map_err(|_| bad(format!("frame rate \"{rate}\"")))?,
                    );
                }
            }
            _ => {}
        }
    }
    let Some((port, payload_type)) = media else {
        return Err(bad("no m=video line"));
    };
    let Some((address, ttl)) = media_conn.or(session_conn) else {
        return Err(bad("no c= line (connection address)"));
    };
    let (encoding, clock_rate) = match rtpmap {
        Some(map) => map,
        None if payload_type == crate::jpeg::PAYLOAD_TYPE => {
            ("JPEG".to_string(), crate::jpeg::CLOCK_RATE)
        }
        None => {
            return Err(bad(format!(
                "no a=rtpmap for dynamic payload type {payload_type}"
            )));
        }
    };
    let stream = SdpStream {
        address,
        port,
        ttl,
        payload_type,
        encoding,
        clock_rate,
    };
    Ok((stream, format))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_players_read() {
        let s = SdpStream::jpeg("239.1.2.3".parse().unwrap(), 5004);
        let text = write_sdp("cam\n1", &s);
        assert!(text.contains("c=IN IP4 239.1.2.3/16\r\n"), "{text}");
        assert!(text.contains("m=video 5004 RTP/AVP 26\r\n"));
        assert!(text.contains("a=rtpmap:26 JPEG/90000\r\n"));
        assert!(text.contains("s=cam1\r\n"));
        assert_eq!(parse_sdp(&text).unwrap(), s);
        let sc = SdpStream::sc("127.0.0.1".parse().unwrap(), 6000);
        let text = write_sdp("sc", &sc);
        assert!(text.contains("a=rtpmap:100 X-SC/90000"));
        assert!(text.contains("c=IN IP4 127.0.0.1\r\n"));
        assert_eq!(parse_sdp(&text).unwrap(), sc);
        let v6 = SdpStream::jpeg("::1".parse().unwrap(), 7000);
        assert!(write_sdp("x", &v6).contains("c=IN IP6 ::1\r\n"));
        assert_eq!(parse_sdp(&write_sdp("x", &v6)).unwrap(), v6);
    }

    #[test]
    fn reads_other_tools_sdp() {
        // As ffmpeg writes it: session-level c=, audio first, static JPEG
        // without rtpmap.
        let text = "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=No Name\nc=IN IP4 127.0.0.1\nt=0 0\n\
                    a=tool:libavformat\nm=audio 4000 RTP/AVP 0\nm=video 5006 RTP/AVP 26\n";
        let s = parse_sdp(text).unwrap();
        assert_eq!((s.port, s.payload_type, s.clock_rate), (5006, 26, 90000));
        assert_eq!(s.encoding, "JPEG");
        // Media-level c= wins; rtpmap of a dynamic type.
        let text = "v=0\nc=IN IP4 10.0.0.1\nm=video 9000 RTP/AVP 96\nc=IN IP4 10.0.0.2\n\
                    a=rtpmap:96 H264/90000\n";
        let s = parse_sdp(text).unwrap();
        assert_eq!(s.address, "10.0.0.2".parse::<IpAddr>().unwrap());
        assert_eq!(s.encoding, "H264");
    }

    #[test]
    fn format_parameters_and_frame_rate() {
        let s = SdpStream::mp4v("127.0.0.1".parse().unwrap(), 5004);
        let format = MediaFormat {
            fmtp: vec![
                ("profile-level-id".into(), "1".into()),
                ("config".into(), "000001B0".into()),
                ("evil;\r\nm".into(), "x;y\n".into()),
                ("flag".into(), String::new()),
            ],
            framerate: Rational::new(30000, 1001),
        };
        let text = write_sdp_with_format("mp4v", &s, &format);
        assert!(text.contains("a=rtpmap:96 MP4V-ES/90000\r\n"), "{text}");
        assert!(
            text.contains("a=fmtp:96 profile-level-id=1;config=000001B0;evilm=xy;flag\r\n"),
            "{text}"
        );
        assert!(text.contains("a=framerate:29.97\r\n"), "{text}");
        let (stream, read) = parse_sdp_with_format(&text).unwrap();
        assert_eq!(stream, s);
        assert_eq!(read.get("PROFILE-LEVEL-ID"), Some("1"));
        assert_eq!(read.get("config"), Some("000001B0"));
        assert_eq!(read.get("flag"), Some(""));
        assert_eq!(read.get("missing"), None);
        assert_eq!(read.framerate, Rational::new(30000, 1001));
        // Nothing extra for plain streams; whole and fractional rates.
        assert_eq!(
            write_sdp_with_format("x", &s, &MediaFormat::default()),
            write_sdp("x", &s)
        );
        for (rate, text) in [
            (Rational::integer(25), "25"),
            (Rational::new(25, 2).unwrap(), "12.5"),
        ] {
            let f = MediaFormat {
                fmtp: Vec::new(),
                framerate: Some(rate),
            };
            let sdp = write_sdp_with_format("x", &s, &f);
            assert!(sdp.contains(&format!("a=framerate:{text}\r\n")), "{sdp}");
            assert_eq!(parse_sdp_with_format(&sdp).unwrap().1, f);
        }
    }

    #[test]
    fn reads_ffmpeg_fmtp_of_its_own_payload_type_only() {
        // As ffmpeg 5.1 writes MP4V-ES (space after the semicolon).
        let text = "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=No Name\nc=IN IP4 127.0.0.1\nt=0 0\n\
                    a=tool:libavformat LIBAVFORMAT_VERSION\nm=video 40000 RTP/AVP 96\n\
                    a=rtpmap:96 MP4V-ES/90000\na=fmtp:97 config=FF\n\
                    a=fmtp:96 profile-level-id=1; config=000001B001\n";
        let (s, f) = parse_sdp_with_format(text).unwrap();
        assert_eq!(
            (s.port, s.payload_type, s.encoding.as_str()),
            (40000, 96, "MP4V-ES")
        );
        assert_eq!(f.get("config"), Some("000001B001"));
        assert_eq!(f.framerate, None);
        let bad_rate = format!("{text}a=framerate:fast\n");
        assert!(
            parse_sdp_with_format(&bad_rate)
                .unwrap_err()
                .to_string()
                .contains("frame rate")
        );
    }

    #[test]
    fn clear_errors() {
        let err = |t: &str| parse_sdp(t).unwrap_err().to_string();
        assert!(err("v=0\nc=IN IP4 1.2.3.4\n").contains("no m=video"));
        assert!(err("v=0\nm=video 5000 RTP/AVP 26\n").contains("no c="));
        assert!(err("c=IN IP4 1.2.3.4\nm=video 99999 RTP/AVP 26\n").contains("port"));
        assert!(err("c=IN IP4 1.2.3.4\nm=video 5000 RTP/AVP 96\n").contains("rtpmap"));
        assert!(err("c=IN IP4 nohost\nm=video 5000 RTP/AVP 26\n").contains("not an IP"));
        assert!(err("c=IN IP4 1.2.3.4\nm=video 5000 RTP/AVP 200\n").contains("payload type"));
        assert!(err("garbage\n").contains("type=value"));
    }
}
