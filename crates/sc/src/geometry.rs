//! The parent frame's block grid, block addresses and subregions
//! (`docs/sc-format.md` sections 3 and 4).

use crate::error::{Invalid, ScError};

/// Which plane a block belongs to. SC numbers blocks Y, then Cr, then Cb
/// (section 4), unlike JPEG's Y, Cb, Cr component order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlaneKind {
    Y,
    Cr,
    Cb,
}

/// The parent frame: its display size and chroma subsampling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameGeometry {
    pub true_width: u16,
    pub true_height: u16,
    /// Horizontal chroma subsampling: 1, 2 or 4.
    pub h_sub: u8,
    /// Vertical chroma subsampling: 1 or 2.
    pub v_sub: u8,
}

impl FrameGeometry {
    /// Checks the rules of section 3 on the parent frame.
    pub fn new(true_width: u16, true_height: u16, h_sub: u8, v_sub: u8) -> Result<Self, ScError> {
        if true_width == 0 || true_height == 0 {
            return Err(ScError::Invalid(Invalid::ZeroTrueSize));
        }
        if !matches!(h_sub, 1 | 2 | 4) || !matches!(v_sub, 1 | 2) {
            return Err(ScError::Invalid(Invalid::Subsampling));
        }
        Ok(FrameGeometry {
            true_width,
            true_height,
            h_sub,
            v_sub,
        })
    }

    /// Geometry of a frame in one of the chroma formats SC can carry.
    pub fn for_format(
        width: usize,
        height: usize,
        format: tessera_core::ChromaFormat,
    ) -> Result<Self, ScError> {
        let (sx, sy) = format.chroma_shift();
        if format == tessera_core::ChromaFormat::Mono {
            return Err(ScError::Unsupported(
                "monochrome frames (SC always carries three planes)".into(),
            ));
        }
        let (w, h) = (u16::try_from(width), u16::try_from(height));
        match (w, h) {
            (Ok(w), Ok(h)) => FrameGeometry::new(w, h, 1 << sx, 1 << sy),
            _ => Err(ScError::Unsupported(format!(
                "frame size {width}x{height} (SC sizes are 16-bit)"
            ))),
        }
    }

    /// The chroma format the subsampling factors describe.
    pub fn chroma_format(&self) -> tessera_core::ChromaFormat {
        use tessera_core::ChromaFormat::*;
        match (self.h_sub, self.v_sub) {
            (1, 1) => Yuv444,
            (2, 1) => Yuv422,
            (2, 2) => Yuv420,
            (1, 2) => Yuv440,
            _ => Yuv411,
        }
    }

    /// Width of one MCU in luma pixels (`8*h_sub`).
    pub fn mcu_width(&self) -> u32 {
        8 * u32::from(self.h_sub)
    }

    /// Height of one MCU in luma pixels (`8*v_sub`).
    pub fn mcu_height(&self) -> u32 {
        8 * u32::from(self.v_sub)
    }

    /// Luma block columns `bw`.
    pub fn bw(&self) -> u32 {
        u32::from(self.true_width).div_ceil(self.mcu_width()) * u32::from(self.h_sub)
    }

    /// Luma block rows `bh`.
    pub fn bh(&self) -> u32 {
        u32::from(self.true_height).div_ceil(self.mcu_height()) * u32::from(self.v_sub)
    }

    /// Chroma block columns `cbw`.
    pub fn cbw(&self) -> u32 {
        self.bw() / u32::from(self.h_sub)
    }

    /// Chroma block rows `cbh`.
    pub fn cbh(&self) -> u32 {
        self.bh() / u32::from(self.v_sub)
    }

    /// Blocks in the whole frame, all planes.
    pub fn total_blocks(&self) -> u32 {
        self.bw() * self.bh() + 2 * self.cbw() * self.cbh()
    }

    /// Block columns and rows of a plane.
    pub fn plane_blocks(&self, plane: PlaneKind) -> (u32, u32) {
        match plane {
            PlaneKind::Y => (self.bw(), self.bh()),
            PlaneKind::Cr | PlaneKind::Cb => (self.cbw(), self.cbh()),
        }
    }

    /// First address of a plane.
    pub fn plane_base(&self, plane: PlaneKind) -> u32 {
        let luma = self.bw() * self.bh();
        match plane {
            PlaneKind::Y => 0,
            PlaneKind::Cr => luma,
            PlaneKind::Cb => luma + self.cbw() * self.cbh(),
        }
    }

    /// Address of block `(bx, by)` of `plane` (section 4).
    pub fn address(&self, plane: PlaneKind, bx: u32, by: u32) -> u32 {
        let (w, _) = self.plane_blocks(plane);
        self.plane_base(plane) + by * w + bx
    }

    /// The plane and block position of an address, if it is in the frame.
    pub fn locate(&self, addr: u32) -> Option<(PlaneKind, u32, u32)> {
        for plane in [PlaneKind::Y, PlaneKind::Cr, PlaneKind::Cb] {
            let (w, h) = self.plane_blocks(plane);
            let base = self.plane_base(plane);
            if addr >= base && addr < base + w * h {
                let i = addr - base;
                return Some((plane, i % w, i / w));
            }
        }
        None
    }

    /// The whole padded frame as a region.
    pub fn full_region(&self) -> Region {
        Region {
            x: 0,
            y: 0,
            width: (8 * self.bw()) as u16,
            height: (8 * self.bh()) as u16,
        }
    }

    /// Splits the frame into `n` horizontal bands on the MCU grid, as even
    /// as the grid allows (fewer when the frame has fewer MCU rows).
    pub fn bands(&self, n: usize) -> Vec<Region> {
        let rows = self.bh() / u32::from(self.v_sub);
        let n = (n.max(1) as u32).min(rows);
        let full = self.full_region();
        (0..n)
            .map(|i| {
                let start = rows * i / n;
                let end = rows * (i + 1) / n;
                Region {
                    x: 0,
                    y: (start * self.mcu_height()) as u16,
                    width: full.width,
                    height: ((end - start) * self.mcu_height()) as u16,
                }
            })
            .collect()
    }
}

/// A subregion of the parent frame, in luma pixels, on the MCU grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
}

impl Region {
    /// Checks the subregion rules of section 3 against `geometry`.
    pub fn check(&self, geometry: &FrameGeometry) -> Result<(), Invalid> {
        let (mw, mh) = (geometry.mcu_width(), geometry.mcu_height());
        let (x, y, w, h) = (
            u32::from(self.x),
            u32::from(self.y),
            u32::from(self.width),
            u32::from(self.height),
        );
        if x % mw != 0 || w % mw != 0 || y % mh != 0 || h % mh != 0 || w == 0 || h == 0 {
            return Err(Invalid::RegionOffGrid);
        }
        if x + w > 8 * geometry.bw() || y + h > 8 * geometry.bh() {
            return Err(Invalid::RegionOutsideFrame);
        }
        Ok(())
    }

    /// Block rectangle `(bx0, by0, bx1, by1)` (exclusive ends) of this
    /// region in `plane`.
    pub fn block_rect(&self, geometry: &FrameGeometry, plane: PlaneKind) -> (u32, u32, u32, u32) {
        let (sx, sy) = match plane {
            PlaneKind::Y => (8, 8),
            _ => (8 * u32::from(geometry.h_sub), 8 * u32::from(geometry.v_sub)),
        };
        (
            u32::from(self.x) / sx,
            u32::from(self.y) / sy,
            (u32::from(self.x) + u32::from(self.width)) / sx,
            (u32::from(self.y) + u32::from(self.height)) / sy,
        )
    }

    /// Whether the block at `addr` lies inside this region (section 4).
    pub fn contains(&self, geometry: &FrameGeometry, addr: u32) -> bool {
        match geometry.locate(addr) {
            Some((plane, bx, by)) => {
                let (x0, y0, x1, y1) = self.block_rect(geometry, plane);
                bx >= x0 && bx < x1 && by >= y0 && by < y1
            }
            None => false,
        }
    }

    /// Addresses of this region's blocks in increasing order.
    pub fn addresses<'a>(&'a self, geometry: &'a FrameGeometry) -> impl Iterator<Item = u32> + 'a {
        [PlaneKind::Y, PlaneKind::Cr, PlaneKind::Cb]
            .into_iter()
            .flat_map(move |plane| {
                let (x0, y0, x1, y1) = self.block_rect(geometry, plane);
                (y0..y1).flat_map(move |by| (x0..x1).map(move |bx| geometry.address(plane, bx, by)))
            })
    }

    /// Parses `X,Y,W,H`.
    pub fn parse(text: &str) -> Option<Region> {
        let parts: Vec<u16> = text
            .split(',')
            .map(|p| p.trim().parse().ok())
            .collect::<Option<_>>()?;
        match parts[..] {
            [x, y, width, height] => Some(Region {
                x,
                y,
                width,
                height,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_grid_examples() {
        let hd = FrameGeometry::new(1920, 1080, 2, 2).unwrap();
        assert_eq!((hd.bw(), hd.bh(), hd.cbw(), hd.cbh()), (240, 136, 120, 68));
        let small = FrameGeometry::new(64, 64, 2, 2).unwrap();
        assert_eq!(small.plane_base(PlaneKind::Cr), 64);
        assert_eq!(small.plane_base(PlaneKind::Cb), 80);
        assert_eq!(small.total_blocks(), 96);
        assert_eq!(small.locate(79), Some((PlaneKind::Cr, 3, 3)));
        assert_eq!(small.locate(96), None);
    }

    #[test]
    fn region_rules() {
        let g = FrameGeometry::new(100, 50, 2, 2).unwrap();
        // bw = ceil(100/16)*2 = 14, bh = ceil(50/16)*2 = 8.
        assert_eq!((g.bw(), g.bh()), (14, 8));
        let ok = Region {
            x: 16,
            y: 16,
            width: 32,
            height: 48,
        };
        assert!(ok.check(&g).is_ok());
        let off = Region { x: 8, ..ok };
        assert_eq!(off.check(&g), Err(Invalid::RegionOffGrid));
        let out = Region {
            x: 96,
            width: 32,
            ..ok
        };
        assert_eq!(out.check(&g), Err(Invalid::RegionOutsideFrame));
        let addrs: Vec<u32> = ok.addresses(&g).collect();
        assert_eq!(addrs.len(), 4 * 6 + 2 * 2 * 3);
        assert!(addrs.windows(2).all(|w| w[0] < w[1]));
        assert!(addrs.iter().all(|&a| ok.contains(&g, a)));
        let bands = g.bands(3);
        assert_eq!(bands.len(), 3);
        let total: u32 = bands.iter().map(|b| b.addresses(&g).count() as u32).sum();
        assert_eq!(total, g.total_blocks());
    }
}
