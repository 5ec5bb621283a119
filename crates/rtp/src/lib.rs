//! RTP for the stream edges: packets, payload formats, reception and
//! session description, all without I/O.
//!
//! - [`seq`]: extended sequence numbers and timestamps (RFC 3550 A.1).
//! - [`packet`]: RTP header access (RFC 3550 section 5.1) over
//!   `rtp-types`.
//! - [`jpeg`]: the RFC 2435 JPEG payload, packetizer and depacketizer.
//! - [`mp4v`]: the RFC 6416 MPEG-4 Visual payload (MP4V-ES): access units
//!   to packets and back, and its SDP parameters.
//! - [`jitter`]: a per-SSRC reorder and jitter buffer that releases whole
//!   frames in timestamp order, with loss, duplicate, reorder and late
//!   counters and RFC 3550 A.8 interarrival jitter.
//! - [`rtcp`]: sender and receiver reports (RFC 3550 section 6.4) with the
//!   loss arithmetic of A.3.
//! - [`sdp`]: writing and reading the SDP (RFC 8866) of one video stream,
//!   with its format parameters and frame rate.
//!
//! Sockets and clocks belong to the caller: time comes in as a
//! [`std::time::Duration`] since any fixed epoch.
#![forbid(unsafe_code)]

mod error;
pub mod jitter;
pub mod jpeg;
pub mod mp4v;
pub mod packet;
pub mod rtcp;
pub mod sdp;
pub mod seq;

pub use error::{Result, RtpError};
