//! The arithmetic model every DCT kernel is written in: eight `i32` lanes.
//!
//! The butterflies in [`super::llm`] are generic over [`Lanes`]. The portable
//! kernels instantiate them with [`I32x8`] (plain arrays, wrapping `i32`
//! arithmetic); the AVX2 kernels instantiate them with one `__m256i` per value.
//! Each operation below is defined as the wrapping `i32` operation on every
//! lane, which is exactly what the AVX2 instructions compute, so both
//! instantiations give the same bits by construction (and tests check it).

use core::ops::{Add, Sub};

/// Eight `i32` lanes with wrapping arithmetic.
pub(crate) trait Lanes: Copy + Add<Output = Self> + Sub<Output = Self> {
    /// `c` in every lane. `self` is only a witness that values of this type
    /// may be made here (for the AVX2 type: that the CPU has AVX2).
    fn splat(self, c: i32) -> Self;
    /// Lane-wise product with a constant, low 32 bits (wrapping).
    fn mul_c(self, c: i32) -> Self;
    /// Lane-wise left shift by `N` (bits shifted out are lost).
    fn shl<const N: i32>(self) -> Self;
    /// Lane-wise arithmetic right shift by `N`.
    fn sra<const N: i32>(self) -> Self;
    /// Transposes an 8x8 matrix held as eight values of eight lanes:
    /// lane `j` of output `i` is lane `i` of input `j`.
    fn transpose(m: [Self; 8]) -> [Self; 8];
}

/// Portable eight-lane vector: the scalar reference of the lane model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct I32x8(pub(crate) [i32; 8]);

impl Add for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Self(core::array::from_fn(|i| self.0[i].wrapping_add(o.0[i])))
    }
}

impl Sub for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Self(core::array::from_fn(|i| self.0[i].wrapping_sub(o.0[i])))
    }
}

impl Lanes for I32x8 {
    #[inline(always)]
    fn splat(self, c: i32) -> Self {
        Self([c; 8])
    }
    #[inline(always)]
    fn mul_c(self, c: i32) -> Self {
        Self(self.0.map(|x| x.wrapping_mul(c)))
    }
    #[inline(always)]
    fn shl<const N: i32>(self) -> Self {
        Self(self.0.map(|x| x.wrapping_shl(N as u32)))
    }
    #[inline(always)]
    fn sra<const N: i32>(self) -> Self {
        Self(self.0.map(|x| x >> N))
    }
    #[inline(always)]
    fn transpose(m: [Self; 8]) -> [Self; 8] {
        core::array::from_fn(|i| Self(core::array::from_fn(|j| m[j].0[i])))
    }
}
