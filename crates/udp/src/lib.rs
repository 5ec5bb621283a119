//! UDP at the edges of tessera: where RTP enters from cameras, ffmpeg and
//! GStreamer, and leaves for players.
//!
//! - [`RtpUrl`]: `rtp://host:port?iface=eth0&ttl=4&rcvbuf=8388608` parsed
//!   and checked.
//! - [`open_receiver`] / [`open_sender`]: sockets for unicast and
//!   multicast (group join on a chosen interface, address reuse, receive
//!   buffer size, TTL, loopback).
//! - [`Pacer`]: spreads a frame's packets over time so a receiver's socket
//!   buffer is not overrun (written without I/O; the caller sleeps).
//!
//! Protocol logic (RTP, jitter buffering) lives in `tessera-rtp`, without
//! sockets; this crate is only the sockets and the clock-driven pacing.
#![forbid(unsafe_code)]

mod pacer;
mod socket;
mod url;

pub use pacer::Pacer;
pub use socket::{DatagramStats, Receiver, open_receiver, open_sender};
pub use url::{RtpUrl, UrlError};
