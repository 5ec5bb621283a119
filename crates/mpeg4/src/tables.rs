//! Constant tables of ISO/IEC 14496-2 (MPEG-4 Visual): coefficient scans,
//! default quantisation matrices and the variable-length code tables of
//! Annex B.
//!
//! The VLC tables are written the way the standard prints them, one row per
//! codeword with the codeword as a bit string, so that a row can be checked
//! against the standard by eye. [`crate::vlc`] turns them into encoding and
//! decoding lookup tables at compile time; the tests there check that each
//! table is prefix-free and fills exactly the code space it should.

/// A codeword: the low `len` bits of `code`, sent MSB first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vlc {
    pub code: u32,
    pub len: u8,
}

/// Parses a codeword written as in the standard's tables, e.g.
/// `"0000 0101 1"`; spaces are ignored. Any other character, an empty
/// string or more than 24 bits (the longest, a shape `mvds` codeword, has
/// 17) fail (at compile time for constants).
pub const fn vlc(bits: &str) -> Vlc {
    let b = bits.as_bytes();
    let mut code = 0u32;
    let mut len = 0u8;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' => {}
            b'0' | b'1' => {
                assert!(len < 24, "codeword longer than 24 bits");
                code = (code << 1) | (b[i] - b'0') as u32;
                len += 1;
            }
            _ => panic!("codeword characters must be 0, 1 or space"),
        }
        i += 1;
    }
    assert!(len > 0, "empty codeword");
    Vlc { code, len }
}

// ---------------------------------------------------------------------------
// Scans and quantisation matrices
// ---------------------------------------------------------------------------

/// Zigzag scan (inverse scan, 14496-2 7.4.2, the scan of JPEG): scan
/// index -> raster position `8 * row + column` in the 8x8 block; and its
/// inverse, raster position -> scan index.
pub use tessera_dsp::scan::{ZIGZAG, ZIGZAG_INDEX};

/// Alternate-horizontal scan (7.4.2; used for intra blocks with AC
/// prediction from the block above): scan index -> raster position.
#[rustfmt::skip]
pub const ALTERNATE_HORIZONTAL: [u8; 64] = [
     0,  1,  2,  3,  8,  9, 16, 17,
    10, 11,  4,  5,  6,  7, 15, 14,
    13, 12, 19, 18, 24, 25, 32, 33,
    26, 27, 20, 21, 22, 23, 28, 29,
    30, 31, 34, 35, 40, 41, 48, 49,
    42, 43, 36, 37, 38, 39, 44, 45,
    46, 47, 50, 51, 56, 57, 58, 59,
    52, 53, 54, 55, 60, 61, 62, 63,
];

/// Alternate-vertical scan (7.4.2; used for intra blocks with AC
/// prediction from the block to the left, and for every block when
/// `alternate_vertical_scan_flag` is set): scan index -> raster position.
/// It is the transpose of [`ALTERNATE_HORIZONTAL`].
#[rustfmt::skip]
pub const ALTERNATE_VERTICAL: [u8; 64] = [
     0,  8, 16, 24,  1,  9,  2, 10,
    17, 25, 32, 40, 48, 56, 57, 49,
    41, 33, 26, 18,  3, 11,  4, 12,
    19, 27, 34, 42, 50, 58, 35, 43,
    51, 59, 20, 28,  5, 13,  6, 14,
    21, 29, 36, 44, 52, 60, 37, 45,
    53, 61, 22, 30,  7, 15, 23, 31,
    38, 46, 54, 62, 39, 47, 55, 63,
];

/// Default intra matrix for the MPEG quantisation method (`quant_type` 1,
/// video_object_layer semantics, 6.3.3), in raster order: index
/// `8 * v + u` for vertical frequency `v` and horizontal frequency `u`.
/// (A matrix sent in the bitstream comes in zigzag order instead.)
#[rustfmt::skip]
pub const DEFAULT_INTRA_QMAT: [u8; 64] = [
     8, 17, 18, 19, 21, 23, 25, 27,
    17, 18, 19, 21, 23, 25, 27, 28,
    20, 21, 22, 23, 24, 26, 28, 30,
    21, 22, 23, 24, 26, 28, 30, 32,
    22, 23, 24, 26, 28, 30, 32, 35,
    23, 24, 26, 28, 30, 32, 35, 38,
    25, 26, 28, 30, 32, 35, 38, 41,
    27, 28, 30, 32, 35, 38, 41, 45,
];

/// Default non-intra matrix for the MPEG quantisation method (6.3.3), in
/// raster order like [`DEFAULT_INTRA_QMAT`].
#[rustfmt::skip]
pub const DEFAULT_NON_INTRA_QMAT: [u8; 64] = [
    16, 17, 18, 19, 20, 21, 22, 23,
    17, 18, 19, 20, 21, 22, 23, 24,
    18, 19, 20, 21, 22, 23, 24, 25,
    19, 20, 21, 22, 23, 24, 26, 27,
    20, 21, 22, 23, 25, 26, 27, 28,
    21, 22, 23, 24, 26, 27, 28, 30,
    22, 23, 24, 26, 27, 28, 30, 31,
    23, 24, 25, 27, 28, 30, 31, 33,
];

// ---------------------------------------------------------------------------
// Macroblock type and coded block pattern
// ---------------------------------------------------------------------------

/// Table B-6: `mcbpc` in I-VOPs, as `(mb_type, cbpc, codeword)`. `cbpc`
/// bit 1 is block 4 (Cb), bit 0 block 5 (Cr). mb_type 3 is intra, 4 intra
/// with dquant.
///
/// Unused code space (7/512): codewords starting `0000 001`, `0000 0001` or
/// `0000 0000 0`.
pub const MCBPC_I: [(u8, u8, Vlc); 8] = [
    (3, 0b00, vlc("1")),
    (3, 0b01, vlc("001")),
    (3, 0b10, vlc("010")),
    (3, 0b11, vlc("011")),
    (4, 0b00, vlc("0001")),
    (4, 0b01, vlc("0000 01")),
    (4, 0b10, vlc("0000 10")),
    (4, 0b11, vlc("0000 11")),
];

/// Table B-6: the stuffing codeword of I-VOP `mcbpc`.
pub const MCBPC_I_STUFFING: Vlc = vlc("0000 0000 1");

/// Table B-7: `mcbpc` in P-VOPs, as `(mb_type, cbpc, codeword)`. mb_type 0
/// is inter, 1 inter with dquant, 2 inter with four vectors, 3 intra, 4
/// intra with dquant.
///
/// Unused code space (1/512): codewords starting `0000 0000 0` (H.263 puts
/// its INTER4V+Q codes there; 14496-2 has no such type).
pub const MCBPC_P: [(u8, u8, Vlc); 20] = [
    (0, 0b00, vlc("1")),
    (0, 0b01, vlc("0011")),
    (0, 0b10, vlc("0010")),
    (0, 0b11, vlc("0001 01")),
    (1, 0b00, vlc("011")),
    (1, 0b01, vlc("0000 111")),
    (1, 0b10, vlc("0000 110")),
    (1, 0b11, vlc("0000 0010 1")),
    (2, 0b00, vlc("010")),
    (2, 0b01, vlc("0000 101")),
    (2, 0b10, vlc("0000 100")),
    (2, 0b11, vlc("0000 0101")),
    (3, 0b00, vlc("0001 1")),
    (3, 0b01, vlc("0000 0100")),
    (3, 0b10, vlc("0000 0011")),
    (3, 0b11, vlc("0000 011")),
    (4, 0b00, vlc("0001 00")),
    (4, 0b01, vlc("0000 0010 0")),
    (4, 0b10, vlc("0000 0001 1")),
    (4, 0b11, vlc("0000 0001 0")),
];

/// Table B-7: the stuffing codeword of P-VOP `mcbpc`.
pub const MCBPC_P_STUFFING: Vlc = vlc("0000 0000 1");

/// Table B-8: `cbpy`, indexed by the CBPY(I) column, the pattern of intra
/// macroblocks (bit 3 = luma block 0, top left ... bit 0 = block 3, bottom
/// right). For inter macroblocks the same codeword stands for the CBPY(P)
/// column, the complement `15 - index`.
///
/// Unused code space (1/32): codewords starting `0000 0`.
pub const CBPY: [Vlc; 16] = [
    vlc("0011"),
    vlc("0010 1"),
    vlc("0010 0"),
    vlc("1001"),
    vlc("0001 1"),
    vlc("0111"),
    vlc("0000 10"),
    vlc("1011"),
    vlc("0001 0"),
    vlc("0000 11"),
    vlc("0101"),
    vlc("1010"),
    vlc("0100"),
    vlc("1000"),
    vlc("0110"),
    vlc("11"),
];

/// `cbpy` of a macroblock of a shaped VOP with one, two or three
/// non-transparent luma blocks (Annex B, the CBPY tables for fewer than
/// four non-transparent blocks), indexed by the pattern of those blocks
/// (the first non-transparent block in the most significant bit), CBPY(I)
/// column; CBPY(P) is the complement, as with four blocks.
pub const CBPY_PARTIAL: [&[Vlc]; 3] = [
    &[vlc("01"), vlc("1")],
    &[vlc("0001"), vlc("001"), vlc("01"), vlc("1")],
    &[
        vlc("011"),
        vlc("0000 01"),
        vlc("0000 1"),
        vlc("010"),
        vlc("0001 0"),
        vlc("0001 1"),
        vlc("001"),
        vlc("1"),
    ],
];

// ---------------------------------------------------------------------------
// Motion vectors
// ---------------------------------------------------------------------------

/// Table B-12: `horizontal_mv_data` / `vertical_mv_data` (motion_code),
/// indexed by `motion_code + 32` for motion_code in -32..=32. The last bit
/// of every codeword but that of 0 is the sign (1 = negative).
///
/// Unused code space (1/2048): codewords starting `0000 0000 000`.
#[rustfmt::skip]
pub const MOTION_CODE: [Vlc; 65] = [
    /* -32 */ vlc("0000 0000 0010 1"),
    /* -31 */ vlc("0000 0000 0011 1"),
    /* -30 */ vlc("0000 0000 0101"),
    /* -29 */ vlc("0000 0000 0111"),
    /* -28 */ vlc("0000 0000 1001"),
    /* -27 */ vlc("0000 0000 1011"),
    /* -26 */ vlc("0000 0000 1101"),
    /* -25 */ vlc("0000 0000 1111"),
    /* -24 */ vlc("0000 0001 001"),
    /* -23 */ vlc("0000 0001 011"),
    /* -22 */ vlc("0000 0001 101"),
    /* -21 */ vlc("0000 0001 111"),
    /* -20 */ vlc("0000 0010 001"),
    /* -19 */ vlc("0000 0010 011"),
    /* -18 */ vlc("0000 0010 101"),
    /* -17 */ vlc("0000 0010 111"),
    /* -16 */ vlc("0000 0011 001"),
    /* -15 */ vlc("0000 0011 011"),
    /* -14 */ vlc("0000 0011 101"),
    /* -13 */ vlc("0000 0011 111"),
    /* -12 */ vlc("0000 0100 001"),
    /* -11 */ vlc("0000 0100 011"),
    /* -10 */ vlc("0000 0100 11"),
    /*  -9 */ vlc("0000 0101 01"),
    /*  -8 */ vlc("0000 0101 11"),
    /*  -7 */ vlc("0000 0111"),
    /*  -6 */ vlc("0000 1001"),
    /*  -5 */ vlc("0000 1011"),
    /*  -4 */ vlc("0000 111"),
    /*  -3 */ vlc("0001 1"),
    /*  -2 */ vlc("0011"),
    /*  -1 */ vlc("011"),
    /*   0 */ vlc("1"),
    /*   1 */ vlc("010"),
    /*   2 */ vlc("0010"),
    /*   3 */ vlc("0001 0"),
    /*   4 */ vlc("0000 110"),
    /*   5 */ vlc("0000 1010"),
    /*   6 */ vlc("0000 1000"),
    /*   7 */ vlc("0000 0110"),
    /*   8 */ vlc("0000 0101 10"),
    /*   9 */ vlc("0000 0101 00"),
    /*  10 */ vlc("0000 0100 10"),
    /*  11 */ vlc("0000 0100 010"),
    /*  12 */ vlc("0000 0100 000"),
    /*  13 */ vlc("0000 0011 110"),
    /*  14 */ vlc("0000 0011 100"),
    /*  15 */ vlc("0000 0011 010"),
    /*  16 */ vlc("0000 0011 000"),
    /*  17 */ vlc("0000 0010 110"),
    /*  18 */ vlc("0000 0010 100"),
    /*  19 */ vlc("0000 0010 010"),
    /*  20 */ vlc("0000 0010 000"),
    /*  21 */ vlc("0000 0001 110"),
    /*  22 */ vlc("0000 0001 100"),
    /*  23 */ vlc("0000 0001 010"),
    /*  24 */ vlc("0000 0001 000"),
    /*  25 */ vlc("0000 0000 1110"),
    /*  26 */ vlc("0000 0000 1100"),
    /*  27 */ vlc("0000 0000 1010"),
    /*  28 */ vlc("0000 0000 1000"),
    /*  29 */ vlc("0000 0000 0110"),
    /*  30 */ vlc("0000 0000 0100"),
    /*  31 */ vlc("0000 0000 0011 0"),
    /*  32 */ vlc("0000 0000 0010 0"),
];

// ---------------------------------------------------------------------------
// Intra DC
// ---------------------------------------------------------------------------

/// Table B-13: `dct_dc_size_luminance`, indexed by the size 0..=12.
///
/// Unused code space (1/2048): codewords starting `0000 0000 000`.
pub const DC_SIZE_LUMA: [Vlc; 13] = [
    vlc("011"),
    vlc("11"),
    vlc("10"),
    vlc("010"),
    vlc("001"),
    vlc("0001"),
    vlc("0000 1"),
    vlc("0000 01"),
    vlc("0000 001"),
    vlc("0000 0001"),
    vlc("0000 0000 1"),
    vlc("0000 0000 01"),
    vlc("0000 0000 001"),
];

/// Table B-14: `dct_dc_size_chrominance`, indexed by the size 0..=12.
///
/// Unused code space (1/4096): codewords starting `0000 0000 0000`.
pub const DC_SIZE_CHROMA: [Vlc; 13] = [
    vlc("11"),
    vlc("10"),
    vlc("01"),
    vlc("001"),
    vlc("0001"),
    vlc("0000 1"),
    vlc("0000 01"),
    vlc("0000 001"),
    vlc("0000 0001"),
    vlc("0000 0000 1"),
    vlc("0000 0000 01"),
    vlc("0000 0000 001"),
    vlc("0000 0000 0001"),
];

// ---------------------------------------------------------------------------
// Transform coefficients (TCOEF)
// ---------------------------------------------------------------------------

/// One row of Table B-16 or B-17: the event `(last, run, |level|)` and its
/// codeword. The sign bit `s` that follows every codeword (0 = positive) is
/// not part of `vlc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tcoef {
    pub last: bool,
    pub run: u8,
    pub level: u8,
    pub vlc: Vlc,
}

const fn t(last: u8, run: u8, level: u8, bits: &str) -> Tcoef {
    Tcoef {
        last: last != 0,
        run,
        level,
        vlc: vlc(bits),
    }
}

/// The ESCAPE codeword shared by Tables B-16 and B-17 (7.4.1.3). It is
/// followed by `0` (mode 1), `10` (mode 2) or `11` (mode 3, Table B-18).
pub const TCOEF_ESCAPE: Vlc = vlc("0000 011");

/// Table B-16: TCOEF of intra macroblocks, `t(last, run, |level|, code)`,
/// in (last, run, level) order. With the sign bits and [`TCOEF_ESCAPE`] it
/// leaves 1/512 of the code space unused: codewords starting `0000 0000 0`.
#[rustfmt::skip]
pub const TCOEF_INTRA: [Tcoef; 102] = [
    t(0,  0,  1, "10"),
    t(0,  0,  2, "110"),
    t(0,  0,  3, "1111"),
    t(0,  0,  4, "0110 1"),
    t(0,  0,  5, "0110 0"),
    t(0,  0,  6, "0101 01"),
    t(0,  0,  7, "0100 11"),
    t(0,  0,  8, "0100 10"),
    t(0,  0,  9, "0010 111"),
    t(0,  0, 10, "0001 1111"),
    t(0,  0, 11, "0001 1110"),
    t(0,  0, 12, "0001 1101"),
    t(0,  0, 13, "0001 0010 1"),
    t(0,  0, 14, "0001 0010 0"),
    t(0,  0, 15, "0001 0001 1"),
    t(0,  0, 16, "0001 0000 1"),
    t(0,  0, 17, "0000 1000 01"),
    t(0,  0, 18, "0000 1000 00"),
    t(0,  0, 19, "0000 0011 11"),
    t(0,  0, 20, "0000 0011 10"),
    t(0,  0, 21, "0000 0000 111"),
    t(0,  0, 22, "0000 0000 110"),
    t(0,  0, 23, "0000 0100 000"),
    t(0,  0, 24, "0000 0100 001"),
    t(0,  0, 25, "0000 0101 0000"),
    t(0,  0, 26, "0000 0101 0001"),
    t(0,  0, 27, "0000 0101 0010"),
    t(0,  1,  1, "1110"),
    t(0,  1,  2, "0101 00"),
    t(0,  1,  3, "0010 110"),
    t(0,  1,  4, "0001 1100"),
    t(0,  1,  5, "0001 0000 0"),
    t(0,  1,  6, "0000 1111 1"),
    t(0,  1,  7, "0000 0011 01"),
    t(0,  1,  8, "0000 0100 010"),
    t(0,  1,  9, "0000 0101 0011"),
    t(0,  1, 10, "0000 0101 0101"),
    t(0,  2,  1, "0101 1"),
    t(0,  2,  2, "0010 101"),
    t(0,  2,  3, "0000 1111 0"),
    t(0,  2,  4, "0000 0011 00"),
    t(0,  2,  5, "0000 0101 0110"),
    t(0,  3,  1, "0100 01"),
    t(0,  3,  2, "0001 1011"),
    t(0,  3,  3, "0000 1110 1"),
    t(0,  3,  4, "0000 0010 11"),
    t(0,  4,  1, "0100 00"),
    t(0,  4,  2, "0001 0001 0"),
    t(0,  4,  3, "0000 0010 10"),
    t(0,  5,  1, "0011 01"),
    t(0,  5,  2, "0000 1110 0"),
    t(0,  5,  3, "0000 0010 00"),
    t(0,  6,  1, "0010 010"),
    t(0,  6,  2, "0000 1101 1"),
    t(0,  6,  3, "0000 0101 0100"),
    t(0,  7,  1, "0010 100"),
    t(0,  7,  2, "0000 1101 0"),
    t(0,  7,  3, "0000 0101 0111"),
    t(0,  8,  1, "0001 1001"),
    t(0,  8,  2, "0000 0010 01"),
    t(0,  9,  1, "0001 1000"),
    t(0,  9,  2, "0000 0100 011"),
    t(0, 10,  1, "0001 0111"),
    t(0, 11,  1, "0000 1100 1"),
    t(0, 12,  1, "0000 1100 0"),
    t(0, 13,  1, "0000 0001 11"),
    t(0, 14,  1, "0000 0101 1000"),
    t(1,  0,  1, "0111"),
    t(1,  0,  2, "0011 00"),
    t(1,  0,  3, "0001 0110"),
    t(1,  0,  4, "0000 1011 1"),
    t(1,  0,  5, "0000 0001 10"),
    t(1,  0,  6, "0000 0000 101"),
    t(1,  0,  7, "0000 0000 100"),
    t(1,  0,  8, "0000 0101 1001"),
    t(1,  1,  1, "0011 11"),
    t(1,  1,  2, "0000 1011 0"),
    t(1,  1,  3, "0000 0001 01"),
    t(1,  2,  1, "0011 10"),
    t(1,  2,  2, "0000 0001 00"),
    t(1,  3,  1, "0010 001"),
    t(1,  3,  2, "0000 0100 100"),
    t(1,  4,  1, "0010 000"),
    t(1,  4,  2, "0000 0100 101"),
    t(1,  5,  1, "0010 011"),
    t(1,  5,  2, "0000 0101 1010"),
    t(1,  6,  1, "0001 0101"),
    t(1,  6,  2, "0000 0101 1011"),
    t(1,  7,  1, "0001 0100"),
    t(1,  8,  1, "0001 0011"),
    t(1,  9,  1, "0001 1010"),
    t(1, 10,  1, "0000 1010 1"),
    t(1, 11,  1, "0000 1010 0"),
    t(1, 12,  1, "0000 1001 1"),
    t(1, 13,  1, "0000 1001 0"),
    t(1, 14,  1, "0000 1000 1"),
    t(1, 15,  1, "0000 0100 110"),
    t(1, 16,  1, "0000 0100 111"),
    t(1, 17,  1, "0000 0101 1100"),
    t(1, 18,  1, "0000 0101 1101"),
    t(1, 19,  1, "0000 0101 1110"),
    t(1, 20,  1, "0000 0101 1111"),
];

/// Table B-17: TCOEF of inter macroblocks, laid out like [`TCOEF_INTRA`]
/// (the same codewords as H.263's TCOEF table); the same 1/512 is unused.
#[rustfmt::skip]
pub const TCOEF_INTER: [Tcoef; 102] = [
    t(0,  0,  1, "10"),
    t(0,  0,  2, "1111"),
    t(0,  0,  3, "0101 01"),
    t(0,  0,  4, "0010 111"),
    t(0,  0,  5, "0001 1111"),
    t(0,  0,  6, "0001 0010 1"),
    t(0,  0,  7, "0001 0010 0"),
    t(0,  0,  8, "0000 1000 01"),
    t(0,  0,  9, "0000 1000 00"),
    t(0,  0, 10, "0000 0000 111"),
    t(0,  0, 11, "0000 0000 110"),
    t(0,  0, 12, "0000 0100 000"),
    t(0,  1,  1, "110"),
    t(0,  1,  2, "0101 00"),
    t(0,  1,  3, "0001 1110"),
    t(0,  1,  4, "0000 0011 11"),
    t(0,  1,  5, "0000 0100 001"),
    t(0,  1,  6, "0000 0101 0000"),
    t(0,  2,  1, "1110"),
    t(0,  2,  2, "0001 1101"),
    t(0,  2,  3, "0000 0011 10"),
    t(0,  2,  4, "0000 0101 0001"),
    t(0,  3,  1, "0110 1"),
    t(0,  3,  2, "0001 0001 1"),
    t(0,  3,  3, "0000 0011 01"),
    t(0,  4,  1, "0110 0"),
    t(0,  4,  2, "0001 0001 0"),
    t(0,  4,  3, "0000 0101 0010"),
    t(0,  5,  1, "0101 1"),
    t(0,  5,  2, "0000 0011 00"),
    t(0,  5,  3, "0000 0101 0011"),
    t(0,  6,  1, "0100 11"),
    t(0,  6,  2, "0000 0010 11"),
    t(0,  6,  3, "0000 0101 0100"),
    t(0,  7,  1, "0100 10"),
    t(0,  7,  2, "0000 0010 10"),
    t(0,  8,  1, "0100 01"),
    t(0,  8,  2, "0000 0010 01"),
    t(0,  9,  1, "0100 00"),
    t(0,  9,  2, "0000 0010 00"),
    t(0, 10,  1, "0010 110"),
    t(0, 10,  2, "0000 0101 0101"),
    t(0, 11,  1, "0010 101"),
    t(0, 12,  1, "0010 100"),
    t(0, 13,  1, "0001 1100"),
    t(0, 14,  1, "0001 1011"),
    t(0, 15,  1, "0001 0000 1"),
    t(0, 16,  1, "0001 0000 0"),
    t(0, 17,  1, "0000 1111 1"),
    t(0, 18,  1, "0000 1111 0"),
    t(0, 19,  1, "0000 1110 1"),
    t(0, 20,  1, "0000 1110 0"),
    t(0, 21,  1, "0000 1101 1"),
    t(0, 22,  1, "0000 1101 0"),
    t(0, 23,  1, "0000 0100 010"),
    t(0, 24,  1, "0000 0100 011"),
    t(0, 25,  1, "0000 0101 0110"),
    t(0, 26,  1, "0000 0101 0111"),
    t(1,  0,  1, "0111"),
    t(1,  0,  2, "0000 1100 1"),
    t(1,  0,  3, "0000 0000 101"),
    t(1,  1,  1, "0011 11"),
    t(1,  1,  2, "0000 0000 100"),
    t(1,  2,  1, "0011 10"),
    t(1,  3,  1, "0011 01"),
    t(1,  4,  1, "0011 00"),
    t(1,  5,  1, "0010 011"),
    t(1,  6,  1, "0010 010"),
    t(1,  7,  1, "0010 001"),
    t(1,  8,  1, "0010 000"),
    t(1,  9,  1, "0001 1010"),
    t(1, 10,  1, "0001 1001"),
    t(1, 11,  1, "0001 1000"),
    t(1, 12,  1, "0001 0111"),
    t(1, 13,  1, "0001 0110"),
    t(1, 14,  1, "0001 0101"),
    t(1, 15,  1, "0001 0100"),
    t(1, 16,  1, "0001 0011"),
    t(1, 17,  1, "0000 1100 0"),
    t(1, 18,  1, "0000 1011 1"),
    t(1, 19,  1, "0000 1011 0"),
    t(1, 20,  1, "0000 1010 1"),
    t(1, 21,  1, "0000 1010 0"),
    t(1, 22,  1, "0000 1001 1"),
    t(1, 23,  1, "0000 1001 0"),
    t(1, 24,  1, "0000 1000 1"),
    t(1, 25,  1, "0000 0001 11"),
    t(1, 26,  1, "0000 0001 10"),
    t(1, 27,  1, "0000 0001 01"),
    t(1, 28,  1, "0000 0001 00"),
    t(1, 29,  1, "0000 0100 100"),
    t(1, 30,  1, "0000 0100 101"),
    t(1, 31,  1, "0000 0100 110"),
    t(1, 32,  1, "0000 0100 111"),
    t(1, 33,  1, "0000 0101 1000"),
    t(1, 34,  1, "0000 0101 1001"),
    t(1, 35,  1, "0000 0101 1010"),
    t(1, 36,  1, "0000 0101 1011"),
    t(1, 37,  1, "0000 0101 1100"),
    t(1, 38,  1, "0000 0101 1101"),
    t(1, 39,  1, "0000 0101 1110"),
    t(1, 40,  1, "0000 0101 1111"),
];

/// Table B-18: escape mode 3 sends `last` (1 bit), `run` (6 bits, 0..=63),
/// a marker bit, `level` (12 bits, two's complement; 0 and -2048 are
/// forbidden) and a marker bit.
pub const ESCAPE3_RUN_BITS: u32 = 6;
/// Width of the escape mode 3 level (Table B-18).
pub const ESCAPE3_LEVEL_BITS: u32 = 12;

/// A range row of the LMAX/RMAX tables: for `last`, every argument in
/// `from..=to` maps to `value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscapeRange {
    pub last: bool,
    pub from: u8,
    pub to: u8,
    pub value: u8,
}

const fn e(last: u8, from: u8, to: u8, value: u8) -> EscapeRange {
    EscapeRange {
        last: last != 0,
        from,
        to,
        value,
    }
}

/// Table B-19 (ESCL(a)): LMAX of intra TCOEF by (last, run), the largest
/// level Table B-16 has for that run. Runs not listed have none.
pub const INTRA_LMAX: [EscapeRange; 11] = [
    e(0, 0, 0, 27),
    e(0, 1, 1, 10),
    e(0, 2, 2, 5),
    e(0, 3, 3, 4),
    e(0, 4, 7, 3),
    e(0, 8, 9, 2),
    e(0, 10, 14, 1),
    e(1, 0, 0, 8),
    e(1, 1, 1, 3),
    e(1, 2, 6, 2),
    e(1, 7, 20, 1),
];

/// Table B-20 (ESCL(b)): LMAX of inter TCOEF by (last, run).
pub const INTER_LMAX: [EscapeRange; 9] = [
    e(0, 0, 0, 12),
    e(0, 1, 1, 6),
    e(0, 2, 2, 4),
    e(0, 3, 6, 3),
    e(0, 7, 10, 2),
    e(0, 11, 26, 1),
    e(1, 0, 0, 3),
    e(1, 1, 1, 2),
    e(1, 2, 40, 1),
];

/// Table B-21 (ESCR(a)): RMAX of intra TCOEF by (last, level), the largest
/// run Table B-16 has for that level. Levels not listed have none.
pub const INTRA_RMAX: [EscapeRange; 11] = [
    e(0, 1, 1, 14),
    e(0, 2, 2, 9),
    e(0, 3, 3, 7),
    e(0, 4, 4, 3),
    e(0, 5, 5, 2),
    e(0, 6, 10, 1),
    e(0, 11, 27, 0),
    e(1, 1, 1, 20),
    e(1, 2, 2, 6),
    e(1, 3, 3, 1),
    e(1, 4, 8, 0),
];

/// Table B-22 (ESCR(b)): RMAX of inter TCOEF by (last, level).
pub const INTER_RMAX: [EscapeRange; 9] = [
    e(0, 1, 1, 26),
    e(0, 2, 2, 10),
    e(0, 3, 3, 6),
    e(0, 4, 4, 2),
    e(0, 5, 6, 1),
    e(0, 7, 12, 0),
    e(1, 1, 1, 40),
    e(1, 2, 2, 1),
    e(1, 3, 3, 0),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn bit_string(v: Vlc) -> String {
        format!("{:0w$b}", v.code, w = usize::from(v.len))
    }

    /// `codes` and the documented `unused` prefixes must be prefix-free
    /// among each other and fill the code space exactly (Kraft sum 1), so
    /// a wrong bit or length in a transcribed row shows up here.
    fn check_code_space(name: &str, codes: &[Vlc], unused: &[Vlc]) {
        let all: Vec<Vlc> = codes.iter().chain(unused).copied().collect();
        for (i, &a) in all.iter().enumerate() {
            assert!(a.len >= 1 && a.len <= 16 && a.code < 1 << a.len);
            for (j, &b) in all.iter().enumerate() {
                if i != j && a.len <= b.len {
                    assert_ne!(
                        b.code >> (b.len - a.len),
                        a.code,
                        "{name}: {} is a prefix of {}",
                        bit_string(a),
                        bit_string(b)
                    );
                }
            }
        }
        let kraft: u64 = all.iter().map(|v| 1u64 << (32 - v.len)).sum();
        assert_eq!(kraft, 1 << 32, "{name}: Kraft sum {kraft} / 2^32");
    }

    /// A TCOEF table's codewords with both sign bits, and the escape.
    fn tcoef_codes(table: &[Tcoef]) -> Vec<Vlc> {
        let mut codes: Vec<Vlc> = table
            .iter()
            .flat_map(|t| {
                (0..2).map(move |s| Vlc {
                    code: (t.vlc.code << 1) | s,
                    len: t.vlc.len + 1,
                })
            })
            .collect();
        codes.push(TCOEF_ESCAPE);
        codes
    }

    #[test]
    fn vlc_tables_fill_their_code_space() {
        let rows = |t: &[(u8, u8, Vlc)]| t.iter().map(|r| r.2).collect::<Vec<_>>();
        let mut mcbpc_i = rows(&MCBPC_I);
        mcbpc_i.push(MCBPC_I_STUFFING);
        check_code_space(
            "B-6",
            &mcbpc_i,
            &[vlc("0000 001"), vlc("0000 0001"), vlc("0000 0000 0")],
        );
        let mut mcbpc_p = rows(&MCBPC_P);
        mcbpc_p.push(MCBPC_P_STUFFING);
        check_code_space("B-7", &mcbpc_p, &[vlc("0000 0000 0")]);
        check_code_space("B-8", &CBPY, &[vlc("0000 0")]);
        check_code_space("B-12", &MOTION_CODE, &[vlc("0000 0000 000")]);
        check_code_space("B-13", &DC_SIZE_LUMA, &[vlc("0000 0000 000")]);
        check_code_space("B-14", &DC_SIZE_CHROMA, &[vlc("0000 0000 0000")]);
        check_code_space("B-16", &tcoef_codes(&TCOEF_INTRA), &[vlc("0000 0000 0")]);
        check_code_space("B-17", &tcoef_codes(&TCOEF_INTER), &[vlc("0000 0000 0")]);
    }

    #[test]
    fn mcbpc_rows_cover_each_type_and_pattern_once() {
        let i: HashSet<(u8, u8)> = MCBPC_I.iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(
            i,
            (3..=4).flat_map(|t| (0..4).map(move |c| (t, c))).collect()
        );
        let p: HashSet<(u8, u8)> = MCBPC_P.iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(
            p,
            (0..=4).flat_map(|t| (0..4).map(move |c| (t, c))).collect()
        );
    }

    #[test]
    fn motion_code_sign_is_the_last_bit() {
        assert_eq!(MOTION_CODE[32], vlc("1"));
        for m in 1..=32 {
            let (pos, neg) = (MOTION_CODE[32 + m], MOTION_CODE[32 - m]);
            assert_eq!(pos.len, neg.len, "motion_code ±{m}");
            assert_eq!(pos.code & 1, 0, "motion_code {m}");
            assert_eq!(neg.code, pos.code | 1, "motion_code -{m}");
            // Longer codes for larger magnitudes.
            assert!(pos.len >= MOTION_CODE[32 + m - 1].len);
        }
    }

    #[test]
    fn dc_size_codes_grow_with_size() {
        // From size 4 (luma) or 3 (chroma) on: zeros then a single 1.
        for (s, v) in DC_SIZE_LUMA.iter().enumerate().skip(4) {
            assert_eq!((v.code, usize::from(v.len)), (1, s - 1), "luma size {s}");
        }
        for (s, v) in DC_SIZE_CHROMA.iter().enumerate().skip(3) {
            assert_eq!((v.code, usize::from(v.len)), (1, s), "chroma size {s}");
        }
    }

    /// The largest level of each run (`by_run`) or the largest run of each
    /// level, for one `last`, from the TCOEF rows.
    fn table_max(table: &[Tcoef], last: bool, by_run: bool) -> Vec<(u8, u8)> {
        let mut max = std::collections::BTreeMap::new();
        for t in table.iter().filter(|t| t.last == last) {
            let (key, value) = if by_run {
                (t.run, t.level)
            } else {
                (t.level, t.run)
            };
            let m = max.entry(key).or_insert(value);
            *m = (*m).max(value);
        }
        max.into_iter().collect()
    }

    fn expand_ranges(rows: &[EscapeRange], last: bool) -> Vec<(u8, u8)> {
        let mut out: Vec<(u8, u8)> = rows
            .iter()
            .filter(|r| r.last == last)
            .flat_map(|r| (r.from..=r.to).map(move |a| (a, r.value)))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn lmax_and_rmax_agree_with_the_tcoef_tables() {
        let cases: [(&str, &[Tcoef], &[EscapeRange], bool); 4] = [
            ("B-19", &TCOEF_INTRA, &INTRA_LMAX, true),
            ("B-20", &TCOEF_INTER, &INTER_LMAX, true),
            ("B-21", &TCOEF_INTRA, &INTRA_RMAX, false),
            ("B-22", &TCOEF_INTER, &INTER_RMAX, false),
        ];
        for (name, table, ranges, by_run) in cases {
            for last in [false, true] {
                assert_eq!(
                    expand_ranges(ranges, last),
                    table_max(table, last, by_run),
                    "{name} last={last}"
                );
            }
        }
    }

    #[test]
    fn tcoef_tables_have_each_event_once_without_holes() {
        for table in [&TCOEF_INTRA, &TCOEF_INTER] {
            let events: HashSet<(bool, u8, u8)> =
                table.iter().map(|t| (t.last, t.run, t.level)).collect();
            assert_eq!(events.len(), table.len());
            // Every run has levels 1..=LMAX and every level runs 0..=RMAX.
            for last in [false, true] {
                for (run, lmax) in table_max(table, last, true) {
                    assert!((1..=lmax).all(|l| events.contains(&(last, run, l))));
                }
                for (level, rmax) in table_max(table, last, false) {
                    assert!((0..=rmax).all(|r| events.contains(&(last, r, level))));
                }
            }
        }
        // Table B-16 reuses the codewords of Table B-17 for other events.
        let codes = |t: &[Tcoef]| t.iter().map(|t| t.vlc).collect::<HashSet<_>>();
        assert_eq!(codes(&TCOEF_INTRA), codes(&TCOEF_INTER));
    }

    fn is_permutation(scan: &[u8; 64]) -> bool {
        let mut seen = [false; 64];
        scan.iter()
            .all(|&p| !std::mem::replace(&mut seen[usize::from(p)], true))
    }

    #[test]
    fn scans_are_permutations_with_their_shapes() {
        for scan in [&ZIGZAG, &ALTERNATE_HORIZONTAL, &ALTERNATE_VERTICAL] {
            assert!(is_permutation(scan));
            assert_eq!(scan[0], 0);
        }
        // Zigzag walks the anti-diagonals in order, down-left on odd ones
        // and up-right on even ones.
        let rc = |p: u8| (i32::from(p / 8), i32::from(p % 8));
        for pair in ZIGZAG.windows(2) {
            let ((r0, c0), (r1, c1)) = (rc(pair[0]), rc(pair[1]));
            let (d0, d1) = (r0 + c0, r1 + c1);
            assert!(d1 == d0 || d1 == d0 + 1);
            if d1 == d0 {
                assert_eq!(r1 - r0, if d0 % 2 == 1 { 1 } else { -1 });
            }
        }
        for i in 0..64 {
            let (r, c) = rc(ALTERNATE_HORIZONTAL[i]);
            assert_eq!(ALTERNATE_VERTICAL[i], (c * 8 + r) as u8);
        }
    }

    #[test]
    fn default_matrices_rise_with_frequency() {
        for m in [&DEFAULT_INTRA_QMAT, &DEFAULT_NON_INTRA_QMAT] {
            for r in 0..8 {
                for c in 0..8 {
                    if c < 7 {
                        assert!(m[r * 8 + c] <= m[r * 8 + c + 1]);
                    }
                    if r < 7 {
                        assert!(m[r * 8 + c] <= m[r * 8 + c + 8]);
                    }
                }
            }
        }
        assert_eq!((DEFAULT_INTRA_QMAT[0], DEFAULT_INTRA_QMAT[63]), (8, 45));
        assert_eq!(
            (DEFAULT_NON_INTRA_QMAT[0], DEFAULT_NON_INTRA_QMAT[63]),
            (16, 33)
        );
        // The intra matrix is not symmetric: row 0 holds 17 where column 0
        // holds 17 too, but 18 / 20 differ.
        assert_eq!((DEFAULT_INTRA_QMAT[2], DEFAULT_INTRA_QMAT[16]), (18, 20));
    }

    #[test]
    fn codeword_strings_parse() {
        assert_eq!(vlc("10"), Vlc { code: 2, len: 2 });
        assert_eq!(
            vlc("0000 0101 1"),
            Vlc {
                code: 0b1011,
                len: 9
            }
        );
        assert_eq!(bit_string(TCOEF_ESCAPE), "0000011");
    }
}
