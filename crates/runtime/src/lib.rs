//! The effects runtime as state machines without I/O or clocks: the
//! [`aligner`] that puts inputs on the output's frame grid, the FX
//! [`processor`] that renders its band of its frames to RTP/SC, and the
//! [`reconstructor`] that merges bands and transcodes to JPEG. The
//! parameter [`params`] timeline and the feed's [`Control`] messages keep
//! every processor rendering each frame with the same values.
//!
//! Threads, sockets and the zenoh fabric that connect these live in
//! `tessera-cluster`.

pub mod aligner;
pub mod clock;
mod collect;
pub mod params;
pub mod processor;
pub mod reconstructor;

use serde::{Deserialize, Serialize};

pub use aligner::{AlignedFrame, Aligner};
pub use clock::FrameClock;
pub use params::{ParamChange, ParamTimeline};
pub use processor::{Processor, ProcessorStats};
pub use reconstructor::{OutputFrame, Reconstructor, ReconstructorStats};

/// A control message of the feed, published in order with the input
/// packets so that each processor sees it before the frames it affects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Control {
    /// A parameter change from a given frame on.
    Set(ParamChange),
    /// No frame at or after `frames` will come.
    End { frames: u64 },
}
