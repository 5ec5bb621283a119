//! The 18-byte SC header (`docs/sc-format.md` section 3).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-------------------------------+-------------------------------+
//! |               x               |               y               |
//! +-------------------------------+-------------------------------+
//! |             width             |            height             |
//! +-------------------------------+-------------------------------+
//! |          true_width           |          true_height          |
//! +---------------+---------------+-------------------------------+
//! |     h_sub     |     v_sub     |     first_block (high 16)     |
//! +---------------+---------------+-------------------------------+
//! |      first_block (low 16)     |
//! +-------------------------------+
//! ```

use crate::error::Invalid;
use crate::geometry::{FrameGeometry, Region};

/// Bytes in the SC header.
pub const HEADER_LEN: usize = 18;

/// A parsed SC header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScHeader {
    pub region: Region,
    pub geometry: FrameGeometry,
    pub first_block: u32,
}

impl ScHeader {
    /// Parses and checks the header rules of section 3 (not the block
    /// data).
    pub fn parse(payload: &[u8]) -> Result<ScHeader, Invalid> {
        let Some(h) = payload.get(..HEADER_LEN) else {
            return Err(Invalid::ShortHeader);
        };
        let u16_at = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
        let region = Region {
            x: u16_at(0),
            y: u16_at(2),
            width: u16_at(4),
            height: u16_at(6),
        };
        let geometry =
            FrameGeometry::new(u16_at(8), u16_at(10), h[12], h[13]).map_err(|e| match e {
                crate::error::ScError::Invalid(r) => r,
                _ => Invalid::Subsampling,
            })?;
        region.check(&geometry)?;
        Ok(ScHeader {
            region,
            geometry,
            first_block: u32::from_be_bytes([h[14], h[15], h[16], h[17]]),
        })
    }

    /// Appends the 18 header bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        let r = &self.region;
        let g = &self.geometry;
        for v in [r.x, r.y, r.width, r.height, g.true_width, g.true_height] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.push(g.h_sub);
        out.push(g.v_sub);
        out.extend_from_slice(&self.first_block.to_be_bytes());
    }
}
