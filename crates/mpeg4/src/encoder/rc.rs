//! Rate control: a constant quantiser, or a target bit rate kept with a
//! VBV-style buffer model (Annex D's video buffering verifier sizes the
//! buffer; the controller steers the quantiser so the buffer neither
//! overflows nor runs dry and the long-run rate meets the target).

use crate::header::VopType;

/// How the encoder picks quantisers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateControl {
    /// Every VOP at this quantiser (1..=31).
    Qp(u8),
    /// A target in bits per second.
    Bitrate { bits_per_second: u64 },
}

impl RateControl {
    pub fn bit_rate(&self) -> Option<u64> {
        match *self {
            RateControl::Qp(_) => None,
            RateControl::Bitrate { bits_per_second } => Some(bits_per_second),
        }
    }
}

/// VBV buffer size for a bit rate: one second of data, within the 18-bit
/// field of the VOL (units of 16384 bits).
pub fn vbv_buffer_bits(bit_rate: u64, _fps: f64) -> u64 {
    bit_rate.clamp(16384, ((1 << 18) - 1) * 16384)
}

#[derive(Debug, Clone)]
pub struct RateController {
    mode: RateControl,
    fps: f64,
    /// Per VOP type: bits * qp observed (complexity), decayed average.
    complexity: [f64; 2],
    seen: [bool; 2],
    /// Bits spent minus bits budgeted so far.
    debt: f64,
    buffer: f64,
    buffer_size: f64,
    last_qp: [u8; 2],
    mbs: usize,
}

impl RateController {
    pub fn new(mode: &RateControl, fps: f64, mbs: usize) -> RateController {
        let rate = mode.bit_rate().unwrap_or(0) as f64;
        let size = vbv_buffer_bits(mode.bit_rate().unwrap_or(0), fps) as f64;
        RateController {
            mode: *mode,
            fps,
            complexity: [0.0; 2],
            seen: [false; 2],
            debt: 0.0,
            buffer: size * 0.75,
            buffer_size: size.max(rate / fps * 4.0),
            last_qp: [0; 2],
            mbs,
        }
    }

    fn index(kind: VopType) -> usize {
        match kind {
            VopType::I => 0,
            VopType::P => 1,
        }
    }

    /// Quantiser for the next VOP of this type.
    pub fn qp(&mut self, kind: VopType) -> u8 {
        let rate = match self.mode {
            RateControl::Qp(q) => return q.clamp(1, 31),
            RateControl::Bitrate { bits_per_second } => bits_per_second as f64,
        };
        let i = Self::index(kind);
        let per_frame = rate / self.fps;
        // I-VOPs get a larger share; the debt is repaid over about a second.
        let share = if kind == VopType::I { 4.0 } else { 1.0 };
        let mut target = per_frame * share - self.debt / self.fps.max(1.0);
        // Keep the buffer away from its ends.
        let fullness = self.buffer / self.buffer_size;
        target *= (1.5 - fullness).clamp(0.5, 1.5);
        let target = target.max(per_frame * 0.1).max(self.mbs as f64 * 2.0);
        let complexity = if self.seen[i] {
            self.complexity[i]
        } else if self.seen[1 - i] {
            self.complexity[1 - i] * if kind == VopType::I { 3.0 } else { 0.33 }
        } else {
            // First VOP: about 1.5 bits per pixel at quantiser 2.
            self.mbs as f64 * 384.0 * 3.0
        };
        let mut q = (complexity / target).round().clamp(1.0, 31.0) as u8;
        if self.last_qp[i] != 0 {
            let last = self.last_qp[i];
            q = q.clamp(last.saturating_sub(3).max(1), (last + 3).min(31));
        }
        q
    }

    /// Records what a VOP cost.
    pub fn update(&mut self, kind: VopType, qp: u8, bits: u64) {
        let RateControl::Bitrate { bits_per_second } = self.mode else {
            return;
        };
        let i = Self::index(kind);
        let c = bits as f64 * f64::from(qp);
        self.complexity[i] = if self.seen[i] {
            self.complexity[i] * 0.5 + c * 0.5
        } else {
            c
        };
        self.seen[i] = true;
        self.last_qp[i] = qp;
        let per_frame = bits_per_second as f64 / self.fps;
        self.debt += bits as f64 - per_frame;
        self.buffer = (self.buffer - bits as f64 + per_frame).clamp(0.0, self.buffer_size);
    }
}
