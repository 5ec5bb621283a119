//! Signal-processing kernels for tessera: the 8x8 DCT pair of JPEG
//! (ITU-T T.81 A.3.3), quantization, the DCT-domain mix of quantized
//! blocks, colour conversion, and bilinear sampling of 8-bit planes
//! (affine warps).
//!
//! # Kernels and dispatch
//!
//! [`dct`], [`mix`] and [`bilinear`] hold the portable reference kernels.
//! `arch` holds the AVX2 versions, which run the same arithmetic lane for
//! lane and are tested to give bit-identical results. [`Kernels::detect`]
//! is the one place that chooses between them; the free functions
//! ([`fdct_8x8_u8`], [`fdct_8x8`], [`idct_8x8`], [`dequant_idct_put`],
//! [`bilinear_line`], [`mix_quantize`]) go through that choice, made once
//! and cached. Hot loops may take the table once with [`kernels`] and call
//! the function pointers directly.
//!
//! Setting the environment variable **`TESSERA_CPU=scalar`** forces the
//! portable kernels (for debugging and for comparing speed); any other value,
//! or none, picks the best kernels the CPU supports.
//!
//! ```
//! let mut coefs = [0i16; 64];
//! coefs[0] = 80; // DC only: a flat block
//! let quant = [2u16; 64];
//! let mut px = [0u8; 64];
//! tessera_dsp::dequant_idct_put(&coefs, &quant, &mut px, 8);
//! assert!(px.iter().all(|&p| p == 128 + 80 * 2 / 8));
//! println!("using {} kernels", tessera_dsp::active_kernels());
//! ```
//!
//! # Accuracy
//!
//! The inverse DCT meets IEEE Std 1180-1990; the forward DCT is within 1 of
//! the rounded exact transform on 8-bit input. See [`dct`].

#![deny(clippy::undocumented_unsafe_blocks)]

pub mod bilinear;
pub mod color;
pub mod dct;
pub mod mix;
pub mod quant;
pub mod scan;

mod arch;

use std::sync::OnceLock;

pub use bilinear::Plane;

/// One implementation of every DCT kernel, as function pointers.
///
/// All tables compute identical results; they differ only in speed.
#[derive(Clone, Copy, Debug)]
pub struct Kernels {
    /// `"scalar"` or `"avx2"`.
    pub name: &'static str,
    /// See [`fdct_8x8`].
    pub fdct_8x8: fn(&[i16; 64], &mut [i16; 64]),
    /// See [`idct_8x8`].
    pub idct_8x8: fn(&[i16; 64], &mut [i16; 64]),
    /// See [`dequant_idct_put`].
    pub dequant_idct_put: fn(&[i16; 64], &[u16; 64], &mut [u8], usize),
    /// See [`fdct_8x8_u8`].
    pub fdct_8x8_u8: fn(&[u8], usize, &mut [i16; 64]),
    /// See [`bilinear_line`].
    pub bilinear_line: fn(&Plane<'_>, i32, i32, i32, i32, &mut [u8]),
    /// See [`mix_quantize`].
    pub mix_quantize: fn(&mix::Mix, &[&[i16; 64]], &mut [i16; 64]),
}

impl Kernels {
    /// The portable kernels of [`dct`]; available everywhere.
    pub fn scalar() -> Kernels {
        Kernels {
            name: "scalar",
            fdct_8x8: dct::fdct_8x8,
            idct_8x8: dct::idct_8x8,
            dequant_idct_put: dct::dequant_idct_put,
            fdct_8x8_u8: dct::fdct_8x8_u8,
            bilinear_line: bilinear::bilinear_line,
            mix_quantize: mix::mix_quantize,
        }
    }

    /// The AVX2 kernels, or `None` when the CPU (or target) lacks AVX2.
    pub fn avx2() -> Option<Kernels> {
        #[cfg(target_arch = "x86_64")]
        {
            arch::x86_64::avx2::kernels()
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            None
        }
    }

    /// The best kernels for this CPU, honouring `TESSERA_CPU=scalar`.
    /// Not cached: use [`kernels`] for the cached choice.
    pub fn detect() -> Kernels {
        let forced_scalar =
            std::env::var_os("TESSERA_CPU").is_some_and(|v| v.eq_ignore_ascii_case("scalar"));
        if forced_scalar {
            return Kernels::scalar();
        }
        Kernels::avx2().unwrap_or_else(Kernels::scalar)
    }
}

/// The kernels chosen by [`Kernels::detect`] on first use, cached for the
/// life of the process.
#[inline]
pub fn kernels() -> &'static Kernels {
    static CHOSEN: OnceLock<Kernels> = OnceLock::new();
    CHOSEN.get_or_init(Kernels::detect)
}

/// Which implementation the dispatcher picked: `"avx2"` or `"scalar"`.
pub fn active_kernels() -> &'static str {
    kernels().name
}

/// Forward 8x8 DCT of pixels with T.81 A.3.3 scaling, level shift by -128
/// included: reads 8 rows of 8 samples starting at `src[0]`, rows `stride`
/// bytes apart; writes 64 coefficients row-major (natural order, index
/// `v * 8 + u`), rounded to nearest.
///
/// # Panics
///
/// If `src` is shorter than `7 * stride + 8`.
#[inline]
pub fn fdct_8x8_u8(src: &[u8], stride: usize, out: &mut [i16; 64]) {
    (kernels().fdct_8x8_u8)(src, stride, out)
}

/// Forward DCT of already level-shifted samples (natural order), T.81 A.3.3
/// scaling, rounded. Accurate for samples within 9 bits; any `i16` input is
/// accepted without panicking.
#[inline]
pub fn fdct_8x8(input: &[i16; 64], out: &mut [i16; 64]) {
    (kernels().fdct_8x8)(input, out)
}

/// Inverse DCT: natural-order coefficients (already dequantized) to
/// level-shifted samples, rounded, saturated to `i16` (no clamping to
/// 0..=255). Meets IEEE Std 1180-1990.
#[inline]
pub fn idct_8x8(input: &[i16; 64], out: &mut [i16; 64]) {
    (kernels().idct_8x8)(input, out)
}

/// The decoder's hot path: dequantize (`coeffs[i] * quant[i]`, natural order
/// both, quantizer 0 read as 1), inverse DCT, +128, clamp to 0..=255, and
/// store 8 rows of 8 bytes at `out[0..]`, rows `stride` apart.
///
/// # Panics
///
/// If `out` is shorter than `7 * stride + 8`.
#[inline]
pub fn dequant_idct_put(coeffs: &[i16; 64], quant: &[u16; 64], out: &mut [u8], stride: usize) {
    (kernels().dequant_idct_put)(coeffs, quant, out, stride)
}

/// Bilinear samples of an 8-bit plane along a line: `out[k]` is the plane
/// at `(u + k du, v + k dv) / 2^16` (pixel centres at integers, 16
/// fraction bits), neighbours past the edges repeating them, rounded to
/// nearest. The inner loop of an affine warp; see [`bilinear`].
///
/// # Panics
///
/// If the plane is empty or its `data` is shorter than its rows.
#[inline]
pub fn bilinear_line(plane: &Plane<'_>, u: i32, v: i32, du: i32, dv: i32, out: &mut [u8]) {
    (kernels().bilinear_line)(plane, u, v, du, dv, out)
}

/// The DCT-domain mix of quantized blocks, quantized with the output
/// table: see [`mix`] for the steps and [`mix::mix_quantize`] for the
/// reference. `blocks[i]` is term `i`'s block.
#[inline]
pub fn mix_quantize(mix: &mix::Mix, blocks: &[&[i16; 64]], out: &mut [i16; 64]) {
    (kernels().mix_quantize)(mix, blocks, out)
}
