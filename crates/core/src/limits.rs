//! Bounds on what a parser may allocate for untrusted input.
//!
//! Every parser takes a [`Limits`] and checks header fields against it
//! before sizing any buffer from them.

/// Caps applied to untrusted input before any allocation it would drive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted width or height, in samples.
    pub max_dimension: u32,
    /// Largest accepted width x height, in luma samples.
    pub max_pixels: u64,
    /// Largest accepted size of one encoded unit (a JPEG image, a Y4M
    /// frame, an AVI chunk), in bytes.
    pub max_bytes: u64,
}

impl Default for Limits {
    /// 16384 x 16384 at most, 64 megapixels, 256 MiB per encoded unit.
    fn default() -> Self {
        Limits {
            max_dimension: 16384,
            max_pixels: 64 << 20,
            max_bytes: 256 << 20,
        }
    }
}

/// A header asked for more than the [`Limits`] allow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} is {value}, over the limit of {limit}")]
pub struct LimitError {
    pub what: &'static str,
    pub value: u64,
    pub limit: u64,
}

impl Limits {
    /// No limits beyond what the formats themselves can express.
    pub const fn unlimited() -> Limits {
        Limits {
            max_dimension: u32::MAX,
            max_pixels: u64::MAX,
            max_bytes: u64::MAX,
        }
    }

    /// Checks a picture size.
    pub fn check_dimensions(&self, width: u64, height: u64) -> Result<(), LimitError> {
        let max = u64::from(self.max_dimension);
        if width > max {
            return Err(LimitError {
                what: "width",
                value: width,
                limit: max,
            });
        }
        if height > max {
            return Err(LimitError {
                what: "height",
                value: height,
                limit: max,
            });
        }
        let pixels = width.saturating_mul(height);
        if pixels > self.max_pixels {
            return Err(LimitError {
                what: "pixel count",
                value: pixels,
                limit: self.max_pixels,
            });
        }
        Ok(())
    }

    /// Checks the size of one encoded unit.
    pub fn check_bytes(&self, bytes: u64) -> Result<(), LimitError> {
        if bytes > self.max_bytes {
            return Err(LimitError {
                what: "encoded size",
                value: bytes,
                limit: self.max_bytes,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_are_checked() {
        let limits = Limits {
            max_dimension: 100,
            max_pixels: 50 * 50,
            max_bytes: 10,
        };
        assert!(limits.check_dimensions(50, 50).is_ok());
        assert_eq!(limits.check_dimensions(101, 1).unwrap_err().what, "width");
        assert_eq!(limits.check_dimensions(1, 101).unwrap_err().what, "height");
        assert_eq!(
            limits.check_dimensions(51, 50).unwrap_err().what,
            "pixel count"
        );
        assert!(limits.check_bytes(11).is_err());
        assert!(
            Limits::unlimited()
                .check_dimensions(u64::from(u32::MAX), u64::from(u32::MAX))
                .is_ok()
        );
    }
}
