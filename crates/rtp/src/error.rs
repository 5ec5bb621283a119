//! The one error type of the RTP crate, grouped by who is at fault.

/// Everything that can go wrong parsing or building RTP, RTCP, RTP/JPEG
/// and SDP.
#[derive(Debug, thiserror::Error)]
pub enum RtpError {
    /// The peer's bytes break a rule of the format. `ssrc` and `seq` say
    /// which packet, when known.
    #[error("malformed {what}{}", context(*ssrc, *seq))]
    Malformed {
        what: String,
        ssrc: Option<u32>,
        seq: Option<u16>,
    },
    /// Valid input that this crate does not implement (an RTP/JPEG type
    /// other than 0, 1, 64, 65; 4:4:4 or greyscale JPEG; frames over 2040
    /// pixels a side; ...).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The caller asked for something inconsistent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The JPEG given to the payloader, or rebuilt by the depayloader,
    /// could not be read or written.
    #[error(transparent)]
    Jpeg(#[from] tessera_jpeg::JpegError),
}

fn context(ssrc: Option<u32>, seq: Option<u16>) -> String {
    match (ssrc, seq) {
        (Some(ssrc), Some(seq)) => format!(" (SSRC {ssrc:#010x}, seq {seq})"),
        (Some(ssrc), None) => format!(" (SSRC {ssrc:#010x})"),
        (None, Some(seq)) => format!(" (seq {seq})"),
        (None, None) => String::new(),
    }
}

impl RtpError {
    /// A [`RtpError::Malformed`] with no packet context.
    pub fn malformed(what: impl Into<String>) -> RtpError {
        RtpError::Malformed {
            what: what.into(),
            ssrc: None,
            seq: None,
        }
    }

    /// A [`RtpError::Malformed`] about one packet.
    pub fn malformed_packet(what: impl Into<String>, ssrc: u32, seq: u16) -> RtpError {
        RtpError::Malformed {
            what: what.into(),
            ssrc: Some(ssrc),
            seq: Some(seq),
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = RtpError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_names_the_packet() {
        let e = RtpError::malformed_packet("RTP/JPEG header: 3 bytes", 0xabc, 7);
        assert_eq!(
            e.to_string(),
            "malformed RTP/JPEG header: 3 bytes (SSRC 0x00000abc, seq 7)"
        );
        assert_eq!(RtpError::malformed("SDP").to_string(), "malformed SDP");
    }
}
