//! Frame and plane types, limits and shared geometry for tessera.
//!
//! This is the bottom of the crate graph: every codec and container crate
//! speaks in terms of [`Frame`], [`Plane`], [`ChromaFormat`], [`Rational`]
//! and [`Limits`]. Nothing here does I/O.
#![forbid(unsafe_code)]

pub mod frame;
pub mod limits;
pub mod pattern;
pub mod rational;
pub mod scene;

pub use frame::{ChromaFormat, Frame, Plane};
pub use limits::{LimitError, Limits};
pub use rational::Rational;
