//! x86-64 kernels.

pub(crate) mod avx2;
pub(crate) mod avx2_mix;
