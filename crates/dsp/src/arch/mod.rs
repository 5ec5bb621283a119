//! Architecture-specific kernels. Each submodule offers a constructor that
//! returns its [`Kernels`](crate::Kernels) only when the running CPU supports
//! it; [`crate::Kernels::detect`] is the single place that picks one.

#[cfg(target_arch = "x86_64")]
pub(crate) mod x86_64;
