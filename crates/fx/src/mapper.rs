//! The FX mapper.
