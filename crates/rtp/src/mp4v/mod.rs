//! The RTP payload format for MPEG-4 Visual elementary streams, MP4V-ES
//! (RFC 6416 section 5, media type section 7.1).
//!
//! The payload is the bitstream itself, with no payload header: each
//! packet carries a piece of one access unit, that is one VOP (6.2.5 of
//! ISO/IEC 14496-2) and the headers that precede it in the stream (the
//! configuration, VOS / VO / VOL, and a GOV).
//!
//! ```text
//!  access unit:  [VOS][VO][VOL] [GOV] [VOP header | video packet 1 | video packet 2 | ...]
//!                 \-- config --/                   ^ resync marker   ^ resync marker
//!  packets:      |<- 1 ------------------------------------------>|<- 2 ----------- ... ->|
//!                 M=0, timestamp T                                  M=1 on the last, T
//! ```
//!
//! - [`Mp4vPayloader`] cuts an access unit into packets of at most
//!   `max_packet` bytes: one packet when it fits; otherwise cut at start
//!   codes (header boundaries) and at the video packet boundaries the
//!   encoder reports, as many whole pieces per packet as fit, and at the
//!   size limit only where a piece is larger than a packet (section 5.2).
//!   Every packet has the access unit's timestamp; the last has the marker
//!   bit (section 5.1). It can put the configuration in front of every
//!   I-VOP, for receivers that join late.
//! - [`Mp4vDepayloader`] joins packets given in sequence order back into
//!   access units, which end at the marker bit or at a change of
//!   timestamp; an access unit with a lost packet is dropped and counted,
//!   never delivered with a hole. Out of order input goes through
//!   [`crate::jitter::JitterBuffer`] first, with [`starts_frame`] as its
//!   [`crate::jitter::FrameStart::Custom`].
//! - [`Mp4vFormat`], [`write_mp4v_sdp`] and [`parse_mp4v_sdp`]: the
//!   `profile-level-id` and `config` parameters of `a=fmtp` (section 7.1)
//!   and the SDP of one stream.
//!
//! A start code (`00 00 01` and a code byte, 6.2.1) occurs in an MPEG-4
//! Visual stream only where a header begins, so a payload that starts with
//! one starts a header; a video packet starts with a resync marker instead
//! (16 to 22 zero bits and a one), which plain bytes can imitate, so its
//! offsets come from the encoder.

mod depay;
mod fmtp;
mod pay;

pub use depay::Mp4vDepayloader;
pub use fmtp::{Mp4vFormat, Mp4vSdp, parse_mp4v_sdp, write_mp4v_sdp};
pub use pay::{MIN_PACKET, Mp4vPayloader};

/// The payload type this crate uses for MP4V-ES (a dynamic one, RFC 3551
/// section 3; the SDP says which).
pub const PAYLOAD_TYPE: u8 = 96;
/// The default timestamp clock of MP4V-ES (RFC 6416 section 5.1).
pub const CLOCK_RATE: u32 = 90_000;
/// The media subtype in `a=rtpmap`.
pub const ENCODING: &str = "MP4V-ES";
/// Largest access unit the depayloader assembles by default (a 1080p
/// I-VOP at high quality is under 1 MiB).
pub const MAX_ACCESS_UNIT_BYTES: usize = 4 << 20;

/// Start code values (the byte after `00 00 01`), Table 6-3 of ISO/IEC
/// 14496-2.
pub(crate) mod start_code {
    /// `video_object_start_code`: 0x00 to 0x1f.
    pub const VIDEO_OBJECT: std::ops::RangeInclusive<u8> = 0x00..=0x1f;
    /// `video_object_layer_start_code`: 0x20 to 0x2f.
    pub const VOL: std::ops::RangeInclusive<u8> = 0x20..=0x2f;
    pub const VISUAL_OBJECT_SEQUENCE: u8 = 0xb0;
    pub const USER_DATA: u8 = 0xb2;
    pub const VISUAL_OBJECT: u8 = 0xb5;
    pub const VOP: u8 = 0xb6;
}

/// The configuration headers at the start of `data`: VOS, VO, VOL and
/// user data, up to the first other start code (a GOV, a VOP). What
/// `tessera_mpeg4::es::split` calls `config` is everything before the
/// first VOP, which includes the GOV that ffmpeg writes there; the SDP's
/// `config` (RFC 6416 section 7.1) and what is repeated before I-VOPs are
/// the configuration only.
pub fn config_headers(data: &[u8]) -> &[u8] {
    for at in start_codes(data) {
        match data.get(at + 3) {
            Some(code)
                if start_code::VIDEO_OBJECT.contains(code)
                    || start_code::VOL.contains(code)
                    || [
                        start_code::VISUAL_OBJECT_SEQUENCE,
                        start_code::VISUAL_OBJECT,
                        start_code::USER_DATA,
                    ]
                    .contains(code) => {}
            _ => return &data[..at],
        }
    }
    data
}

/// Byte offsets of the start codes (`00 00 01`) in `data`.
pub(crate) fn start_codes(data: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = data.get(from..)?.windows(3).position(|w| w == [0, 0, 1])? + from;
        from = at + 3;
        Some(at)
    })
}

/// Whether an access unit holds an I-VOP (`vop_coding_type` 0, 6.3.5),
/// and whether a VOL header comes before it.
pub(crate) fn intra_and_config(access_unit: &[u8]) -> (bool, bool) {
    let mut vol = false;
    for at in start_codes(access_unit) {
        match access_unit.get(at + 3) {
            Some(&start_code::VOP) => {
                let intra = access_unit.get(at + 4).is_some_and(|b| b >> 6 == 0);
                return (intra, vol);
            }
            Some(code) if start_code::VOL.contains(code) => vol = true,
            _ => {}
        }
    }
    (false, vol)
}

/// Whether an MP4V-ES payload can start an access unit: `Some(true)` when
/// it starts with a start code (a header), `Some(false)` when not (the
/// rest of a VOP), `None` when it is too short to hold one. For the jitter
/// buffer's [`crate::jitter::FrameStart::Custom`].
///
/// A packet that follows a configuration-only packet of the same access
/// unit starts with a start code too, so after a loss the frame released
/// may lack headers that came before its VOP; its VOP is whole.
pub fn starts_frame(payload: &[u8]) -> Option<bool> {
    (payload.len() >= 4).then(|| payload.starts_with(&[0, 0, 1]))
}

/// Payloader settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mp4vPayloaderConfig {
    /// Largest packet, RTP header included (default 1400; the payload gets
    /// 12 bytes less).
    pub max_packet: usize,
    /// Default 96.
    pub payload_type: u8,
    pub ssrc: u32,
    pub initial_sequence: u16,
    /// The configuration headers (VOS, VO, VOL) that `repeat_config`
    /// sends, as in the SDP's `config`; anything from a GOV or VOP start
    /// code on is left out ([`config_headers`]), so `tessera_mpeg4`'s
    /// `es::split(..).config` can be given as it is.
    pub config: Vec<u8>,
    /// Put `config` in front of every access unit that holds an I-VOP and
    /// carries no VOL header of its own (default false: the caller decides
    /// what each access unit carries).
    pub repeat_config: bool,
}

impl Mp4vPayloaderConfig {
    /// Defaults for one sender: 1400-byte packets, payload type 96,
    /// sequence numbers from 0, no configuration added.
    pub fn new(ssrc: u32) -> Self {
        Mp4vPayloaderConfig {
            max_packet: 1400,
            payload_type: PAYLOAD_TYPE,
            ssrc,
            initial_sequence: 0,
            config: Vec::new(),
            repeat_config: false,
        }
    }
}

/// Payloader counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mp4vPayStats {
    pub access_units: u64,
    pub packets: u64,
    /// Packet bytes, RTP headers included.
    pub bytes: u64,
    /// Access units sent in more than one packet.
    pub fragmented: u64,
    /// Packets cut at the size limit rather than at a header or video
    /// packet boundary (a piece larger than a packet).
    pub forced_cuts: u64,
    /// Access units the configuration was put in front of.
    pub config_repeats: u64,
}

/// Depayloader settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mp4vDepayloaderConfig {
    /// Largest access unit assembled (default [`MAX_ACCESS_UNIT_BYTES`]);
    /// a larger one is dropped and counted.
    pub max_access_unit: usize,
    /// Accept only this payload type (default: any).
    pub payload_type: Option<u8>,
    /// Access units kept for [`Mp4vDepayloader::pop`] (default 16); when a
    /// new one finds the queue full the oldest is dropped and counted.
    pub max_queued: usize,
}

impl Default for Mp4vDepayloaderConfig {
    fn default() -> Self {
        Mp4vDepayloaderConfig {
            max_access_unit: MAX_ACCESS_UNIT_BYTES,
            payload_type: None,
            max_queued: 16,
        }
    }
}

/// Depayloader counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mp4vDepayStats {
    /// Packets pushed, valid or not.
    pub packets: u64,
    /// Not RTP version 2, or another payload type than configured.
    pub invalid: u64,
    /// Packets behind the sequence already seen (duplicates, reordered):
    /// discarded.
    pub late: u64,
    /// Packets missing from the sequence numbers.
    pub lost: u64,
    /// Access units delivered.
    pub access_units: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Access units dropped: a packet of theirs lost, their start not
    /// seen, too large, cut short by a new SSRC or by
    /// [`Mp4vDepayloader::flush`], or not popped in time. Access units
    /// whose packets were all lost are in `lost` only.
    pub dropped: u64,
    /// Of `dropped`, those larger than `max_access_unit`.
    pub oversized: u64,
    /// Of `dropped`, those pushed out of a full queue.
    pub overflow: u64,
    /// Packets of dropped access units.
    pub discarded_packets: u64,
    /// SSRCs seen after the first.
    pub source_changes: u64,
}

/// One access unit rebuilt from its packets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessUnit {
    pub ssrc: u32,
    /// The RTP timestamp of its VOP.
    pub timestamp: u32,
    /// The payloads joined: headers, if sent, then the VOP.
    pub data: Vec<u8>,
    /// Packets lost since the access unit delivered before this one (a
    /// decoder may want to resynchronise: the VOPs between are gone).
    pub loss: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_start_codes_and_vop_types() {
        let data = [
            0, 0, 1, 0xb0, 0, 0, 0, 1, 0x20, 5, 0, 0, 1, 0xb6, 0x40, 0, 0,
        ];
        assert_eq!(start_codes(&data).collect::<Vec<_>>(), [0, 5, 10]);
        assert_eq!(intra_and_config(&data), (false, true));
        assert_eq!(intra_and_config(&[0, 0, 1, 0xb6, 0x10]), (true, false));
        // No VOP, or a VOP cut before its coding type.
        assert_eq!(
            intra_and_config(&[0, 0, 1, 0x21, 0, 0, 1, 0xb6]),
            (false, true)
        );
        assert_eq!(intra_and_config(&[]), (false, false));
        assert_eq!(starts_frame(&[0, 0, 1, 0xb6]), Some(true));
        assert_eq!(starts_frame(&[0, 0, 0x81, 0]), Some(false));
        assert_eq!(starts_frame(&[0, 0, 1]), None);
    }

    #[test]
    fn configuration_stops_at_gov_and_vop() {
        let config = [
            0, 0, 1, 0xb0, 1, 0, 0, 1, 0xb5, 9, 0, 0, 1, 0, 0, 0, 1, 0x20, 7,
        ];
        let user = [0, 0, 1, 0xb2, b'x'];
        let gov = [0, 0, 1, 0xb3, 0, 0x10, 7];
        let with_user = [&config[..], &user].concat();
        assert_eq!(config_headers(&[&with_user[..], &gov].concat()), with_user);
        assert_eq!(
            config_headers(&[&config[..], &[0, 0, 1, 0xb6, 0]].concat()),
            config
        );
        assert_eq!(config_headers(&config), config);
        assert_eq!(config_headers(&gov), []);
        assert_eq!(config_headers(&[0, 0, 1]), []);
    }
}
